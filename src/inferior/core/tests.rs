//! The core writer's layout checked by parsing its output by hand: the ELF
//! and program headers, the notes, sparse segment data; and its file rules.

use std::cell::Cell;
use std::io::Cursor;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use rgdbserver_arch::core_file::{mips_o32, X86_64};

use super::*;
use crate::inferior::maps::Perms;

const PAGE: u64 = 4096;

/// Memory: 0x10000..0x30000 holds a pattern except for the all-zero pages
/// at 0x11000 and 0x2f000; 0x40000..0x42000 cannot be read.
struct Fake {
    gone: bool,
    reads: Cell<usize>,
}

fn byte_at(addr: u64) -> u8 {
    if (0x11000..0x12000).contains(&addr) || addr >= 0x2f000 {
        0
    } else {
        (addr % 251) as u8 | 1
    }
}

impl CoreMemory for Fake {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Option<usize> {
        self.reads.set(self.reads.get() + 1);
        if !(0x10000..0x30000).contains(&addr) {
            return None;
        }
        let n = buf.len().min((0x30000 - addr) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = byte_at(addr + i as u64);
        }
        Some(n)
    }

    fn vanished(&self) -> bool {
        self.gone
    }
}

fn fake() -> Fake {
    Fake {
        gone: false,
        reads: Cell::new(0),
    }
}

fn rw() -> Perms {
    Perms {
        read: true,
        write: true,
        ..Perms::default()
    }
}

fn image(arch: &CoreArch) -> CoreImage<'_> {
    CoreImage {
        arch,
        page_size: PAGE,
        notes: vec![
            Note {
                name: "CORE",
                kind: 1,
                desc: vec![7; 10],
            },
            Note {
                name: "LINUX",
                kind: 0x202,
                desc: vec![8; 4],
            },
        ],
        segments: vec![
            Segment {
                start: 0x10000,
                end: 0x30000,
                perms: rw(),
                dump: 0x20000,
            },
            Segment {
                start: 0x30000,
                end: 0x31000,
                perms: Perms::default(),
                dump: 0,
            },
            Segment {
                start: 0x40000,
                end: 0x42000,
                perms: Perms {
                    exec: true,
                    read: true,
                    ..Perms::default()
                },
                dump: 0x2000,
            },
        ],
    }
}

struct Elf<'a> {
    d: &'a [u8],
    big: bool,
}

impl Elf<'_> {
    fn num(&self, at: usize, size: usize) -> u64 {
        let mut v = 0u64;
        for i in 0..size {
            let b = self.d[at + if self.big { i } else { size - 1 - i }] as u64;
            v = v << 8 | b;
        }
        v
    }
}

#[test]
fn elf64_headers_notes_and_sparse_data() {
    let img = image(&X86_64);
    let mut out = Cursor::new(Vec::new());
    let mut seen = Vec::new();
    let written = write_core(&mut out, &img, &fake(), &mut |d, t| seen.push((d, t))).unwrap();
    let d = out.into_inner();
    let elf = Elf { d: &d, big: false };
    assert_eq!(&d[..7], b"\x7fELF\x02\x01\x01");
    assert_eq!((elf.num(16, 2), elf.num(18, 2), elf.num(20, 4)), (4, 62, 1));
    assert_eq!((elf.num(32, 8), elf.num(40, 8)), (64, 0));
    assert_eq!(
        (elf.num(52, 2), elf.num(54, 2), elf.num(56, 2)),
        (64, 56, 4)
    );
    // PT_NOTE: right after the four program headers.
    let notes_at = 64 + 4 * 56;
    assert_eq!((elf.num(64, 4), elf.num(72, 8)), (4, notes_at as u64));
    assert_eq!(
        (elf.num(96, 8), elf.num(112, 8)),
        (12 + 8 + 12 + 12 + 8 + 4, 4)
    );
    // The notes as encoded.
    assert_eq!(elf.num(notes_at, 4), 5);
    assert_eq!(elf.num(notes_at + 4, 4), 10);
    assert_eq!(&d[notes_at + 12..notes_at + 17], b"CORE\0");
    assert_eq!(&d[notes_at + 20..notes_at + 30], &[7; 10]);
    let second = notes_at + 12 + 8 + 12;
    assert_eq!(&d[second + 12..second + 18], b"LINUX\0");
    // PT_LOADs: data from the next page; offsets follow each other.
    let ph = |i: usize, field: usize| elf.num(64 + i * 56 + field, 8);
    let load = |i: usize| (elf.num(64 + i * 56, 4), elf.num(64 + i * 56 + 4, 4));
    assert_eq!((load(1), load(2), load(3)), ((1, 6), (1, 0), (1, 5)));
    assert_eq!(
        (ph(1, 8), ph(1, 16), ph(1, 32), ph(1, 40), ph(1, 48)),
        (PAGE, 0x10000, 0x20000, 0x20000, PAGE)
    );
    assert_eq!(
        (ph(2, 8), ph(2, 32), ph(2, 40)),
        (PAGE + 0x20000, 0, 0x1000)
    );
    assert_eq!((ph(3, 8), ph(3, 32)), (PAGE + 0x20000, 0x2000));
    // Memory as read, zeros where it was zero or unreadable.
    let data = &d[PAGE as usize..];
    assert_eq!(data.len(), 0x22000);
    assert!((0..0x20000).all(|i| data[i] == byte_at(0x10000 + i as u64)));
    assert!(data[0x20000..].iter().all(|&b| b == 0));
    assert_eq!(written.file_size, d.len() as u64);
    // Stored: the pattern less the two zero pages' worth (0x11000, 0x2f000).
    assert_eq!(written.stored, 0x20000 - 0x2000);
    assert_eq!(seen.last(), Some(&(0x22000, 0x22000)));
}

#[test]
fn elf32_big_endian() {
    let arch = mips_o32(true);
    let img = image(&arch);
    let mut out = Cursor::new(Vec::new());
    write_core(&mut out, &img, &fake(), &mut |_, _| {}).unwrap();
    let d = out.into_inner();
    let elf = Elf { d: &d, big: true };
    assert_eq!(&d[4..6], &[1, 2]);
    assert_eq!((elf.num(16, 2), elf.num(18, 2), elf.num(28, 4)), (4, 8, 52));
    assert_eq!(
        (elf.num(40, 2), elf.num(42, 2), elf.num(44, 2)),
        (52, 32, 4)
    );
    let ph = |i: usize, at: usize| elf.num(52 + i * 32 + at, 4);
    // type, offset, vaddr, filesz, memsz, flags, align
    assert_eq!((ph(0, 0), ph(0, 4), ph(0, 16)), (4, 52 + 4 * 32, 56));
    assert_eq!(
        (
            ph(1, 0),
            ph(1, 4),
            ph(1, 8),
            ph(1, 16),
            ph(1, 20),
            ph(1, 24),
            ph(1, 28)
        ),
        (1, PAGE, 0x10000, 0x20000, 0x20000, 6, PAGE)
    );
    assert_eq!(elf.num(52 + 4 * 32 + 8, 4), 1);
    assert_eq!(d[PAGE as usize], byte_at(0x10000));
}

#[test]
fn file_is_sparse_private_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("core");
    let img = image(&X86_64);
    let w = write_core_file(&path, &img, &fake(), &mut |_, _| {}).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), w.file_size);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    // The zero pages and the unreadable segment take no blocks.
    assert!(
        meta.blocks() * 512 < w.file_size,
        "{} blocks",
        meta.blocks()
    );
    let before = std::fs::read(&path).unwrap();
    let err = write_core_file(&path, &img, &fake(), &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(err, CoreError::File(DumpError::Exists(_))),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_vanished_process_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("core");
    let gone = Fake {
        gone: true,
        reads: Cell::new(0),
    };
    let err = write_core_file(&path, &image(&X86_64), &gone, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, CoreError::Vanished), "{err}");
    assert!(!path.exists());
}

/// Fails with ENOSPC once `room` bytes are written.
struct Full {
    inner: Cursor<Vec<u8>>,
    room: u64,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let pos = self.inner.position();
        if pos + buf.len() as u64 > self.room {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Full {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn a_full_disk_is_an_error() {
    for room in [10, 5000, 0x20000] {
        let mut out = Full {
            inner: Cursor::new(Vec::new()),
            room,
        };
        let err = write_core(&mut out, &image(&X86_64), &fake(), &mut |_, _| {}).unwrap_err();
        match err {
            CoreError::Io(e) => assert_eq!(e.raw_os_error(), Some(libc::ENOSPC)),
            e => panic!("{e}"),
        }
    }
}

#[test]
fn big_chunks_not_pages() {
    // 0x20000 bytes readable: one read for it, then one failing read per
    // unreadable page of the last segment (and the first failing page's
    // retry after the partial read).
    let mem = fake();
    write_core(
        &mut Cursor::new(Vec::new()),
        &image(&X86_64),
        &mem,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(mem.reads.get(), 1 + 2);
}

#[test]
fn too_many_segments() {
    let mut img = image(&X86_64);
    img.segments = vec![img.segments[1].clone(); PN_XNUM];
    let err = write_core(&mut Cursor::new(Vec::new()), &img, &fake(), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, CoreError::TooManySegments(_)));
}
