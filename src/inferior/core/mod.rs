//! ELF core files of a stopped process, written by the server itself
//! (`monitor gcore`), laid out as Linux's `fs/binfmt_elf.c` writes them:
//! the ELF header, a `PT_NOTE` then one `PT_LOAD` per mapping (address
//! order), the notes, and from the next page boundary the segments' bytes.
//!
//! Everything here works on plain descriptions, with no process: the notes
//! (`notes`), the segments and how much of each to dump (`select`), and a
//! `CoreMemory` to read them from, into any `Write + Seek`. Memory is read
//! in 4 MiB chunks in one pass; pages that are all zeros, or that cannot
//! be read, are not written but skipped over (the file is sparse, and gdb
//! reads zeros there, as from a kernel core whose pages were never touched).
//! The process side (reading registers, /proc) is `process::core_dump`;
//! the file rules (O_EXCL, mode 0600, no partial file) are `dump`'s.

pub mod notes;
pub mod select;

use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rgdbserver_arch::core_file::CoreArch;

use crate::inferior::dump::{self, DumpError};
use notes::Endian;
pub use notes::Note;
pub use select::Segment;

/// Bytes read from the target per step.
const CHUNK: usize = 4 << 20;
/// ELF's limit on `e_phnum` without extended numbering.
const PN_XNUM: usize = 0xffff;

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const ET_CORE: u16 = 4;

/// Where the core's memory comes from.
pub trait CoreMemory {
    /// Read from `addr`: the bytes read from the start of `buf` (fewer when
    /// the range runs into unreadable memory), None when none.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Option<usize>;
    /// The process is gone (asked after a read fails).
    fn vanished(&self) -> bool;
}

/// A core file's contents, described.
pub struct CoreImage<'a> {
    pub arch: &'a CoreArch,
    pub page_size: u64,
    pub notes: Vec<Note>,
    pub segments: Vec<Segment>,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// The file's size.
    pub file_size: u64,
    /// Bytes of memory stored (the file's segment data less its holes).
    pub stored: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0} mappings are more than an ELF core can number")]
    TooManySegments(usize),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("the process vanished while its core was being written")]
    Vanished,
    #[error("{0}")]
    File(#[from] DumpError),
    #[error("cannot write the core: {0}")]
    Io(#[from] io::Error),
}

/// Progress: bytes of memory handled so far, of the total.
pub type Progress<'a> = dyn FnMut(u64, u64) + 'a;

struct Layout {
    ehsize: usize,
    phentsize: usize,
    notes_offset: u64,
    data_offset: u64,
}

fn layout(image: &CoreImage<'_>) -> Layout {
    let (ehsize, phentsize) = if image.arch.class64 {
        (64, 56)
    } else {
        (52, 32)
    };
    let notes_offset = (ehsize + phentsize * (1 + image.segments.len())) as u64;
    let notes_len: usize = image.notes.iter().map(Note::encoded_len).sum();
    let page = image.page_size.max(1);
    Layout {
        ehsize,
        phentsize,
        notes_offset,
        data_offset: (notes_offset + notes_len as u64).div_ceil(page) * page,
    }
}

/// The ELF header, program headers and notes: the file's first bytes.
fn headers(image: &CoreImage<'_>, l: &Layout) -> Vec<u8> {
    let arch = image.arch;
    let e = Endian {
        big: arch.big_endian,
    };
    let w = arch.word_size();
    let mut out = vec![0u8; l.notes_offset as usize];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = if arch.class64 { 2 } else { 1 };
    out[5] = if arch.big_endian { 2 } else { 1 };
    out[6] = 1;
    e.put(&mut out, 16, 2, ET_CORE as u64);
    e.put(&mut out, 18, 2, arch.machine as u64);
    e.put(&mut out, 20, 4, 1);
    // e_entry, e_phoff, e_shoff are words; the rest follows them.
    e.put(&mut out, 24 + w, w, l.ehsize as u64);
    let rest = 24 + 3 * w;
    e.put(&mut out, rest, 4, arch.flags as u64);
    e.put(&mut out, rest + 4, 2, l.ehsize as u64);
    e.put(&mut out, rest + 6, 2, l.phentsize as u64);
    e.put(&mut out, rest + 8, 2, 1 + image.segments.len() as u64);
    let notes_len: usize = image.notes.iter().map(Note::encoded_len).sum();
    let mut phdr = |i: usize, kind: u32, flags: u32, fields: [u64; 6]| {
        let at = l.ehsize + i * l.phentsize;
        let p = &mut out[at..at + l.phentsize];
        e.put(p, 0, 4, kind as u64);
        // offset, vaddr, paddr, filesz, memsz, align
        if arch.class64 {
            e.put(p, 4, 4, flags as u64);
            for (j, v) in fields.iter().enumerate() {
                e.put(p, 8 + 8 * j, 8, *v);
            }
        } else {
            for (j, v) in fields.iter().enumerate() {
                let at = if j < 5 { 4 + 4 * j } else { 28 };
                e.put(p, at, 4, *v);
            }
            e.put(p, 24, 4, flags as u64);
        }
    };
    phdr(
        0,
        PT_NOTE,
        0,
        [l.notes_offset, 0, 0, notes_len as u64, 0, 4],
    );
    let mut offset = l.data_offset;
    for (i, s) in image.segments.iter().enumerate() {
        let p = &s.perms;
        let flags = (p.read as u32) << 2 | (p.write as u32) << 1 | p.exec as u32;
        let fields = [offset, s.start, 0, s.dump, s.end - s.start, image.page_size];
        phdr(1 + i, PT_LOAD, flags, fields);
        offset += s.dump;
    }
    for note in &image.notes {
        note.encode(e, &mut out);
    }
    out
}

/// Writes at file positions, seeking only where a hole was skipped.
struct Sink<'w, W: Write + Seek> {
    out: &'w mut W,
    pos: u64,
}

impl<W: Write + Seek> Sink<'_, W> {
    fn write_at(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        if at != self.pos {
            self.out.seek(SeekFrom::Start(at))?;
        }
        self.out.write_all(data)?;
        self.pos = at + data.len() as u64;
        Ok(())
    }
}

/// Fill `buf` from `addr`; unreadable pages stay zero. Fails only if the
/// process is gone.
fn fill(mem: &dyn CoreMemory, addr: u64, buf: &mut [u8], page: usize) -> Result<(), CoreError> {
    let mut done = 0;
    while done < buf.len() {
        let at = addr + done as u64;
        match mem.read(at, &mut buf[done..]) {
            Some(n) if n > 0 => done += n,
            _ => {
                if mem.vanished() {
                    return Err(CoreError::Vanished);
                }
                let skip = page - (at as usize % page);
                let end = (done + skip).min(buf.len());
                buf[done..end].fill(0);
                done = end;
            }
        }
    }
    Ok(())
}

fn is_zero(page: &[u8]) -> bool {
    page.chunks(16)
        .all(|c| c.iter().fold(0u8, |acc, &b| acc | b) == 0)
}

/// Write the core described by `image` into `out` (positioned at 0,
/// empty), reading memory from `mem` and telling `progress` how far it is.
pub fn write_core<W: Write + Seek>(
    out: &mut W,
    image: &CoreImage<'_>,
    mem: &dyn CoreMemory,
    progress: &mut Progress<'_>,
) -> Result<Written, CoreError> {
    if 1 + image.segments.len() >= PN_XNUM {
        return Err(CoreError::TooManySegments(image.segments.len()));
    }
    let l = layout(image);
    let mut sink = Sink { out, pos: 0 };
    sink.write_at(0, &headers(image, &l))?;
    let page = image.page_size.max(1) as usize;
    let total: u64 = image.segments.iter().map(|s| s.dump).sum();
    let mut handled = 0u64;
    let mut stored = 0u64;
    let mut offset = l.data_offset;
    let mut buf = vec![0u8; CHUNK];
    for s in &image.segments {
        let mut done = 0u64;
        while done < s.dump {
            let n = (CHUNK as u64).min(s.dump - done) as usize;
            let chunk = &mut buf[..n];
            fill(mem, s.start + done, chunk, page)?;
            // Write each run of pages that are not all zeros.
            let mut run: Option<usize> = None;
            for (i, p) in chunk.chunks(page).enumerate() {
                let at = i * page;
                match (is_zero(p), run) {
                    (false, None) => run = Some(at),
                    (true, Some(from)) => {
                        sink.write_at(offset + done + from as u64, &chunk[from..at])?;
                        stored += (at - from) as u64;
                        run = None;
                    }
                    _ => {}
                }
            }
            if let Some(from) = run {
                sink.write_at(offset + done + from as u64, &chunk[from..])?;
                stored += (n - from) as u64;
            }
            done += n as u64;
            handled += n as u64;
            progress(handled, total);
        }
        offset += s.dump;
    }
    // A file ending in a hole still needs its length.
    let file_size = offset.max(sink.pos);
    if sink.pos < file_size {
        sink.write_at(file_size - 1, &[0])?;
    }
    sink.out.flush()?;
    Ok(Written { file_size, stored })
}

/// Write the core to the new file `path` (O_EXCL, mode 0600). On any
/// failure the partial file is removed.
pub fn write_core_file(
    path: &Path,
    image: &CoreImage<'_>,
    mem: &dyn CoreMemory,
    progress: &mut Progress<'_>,
) -> Result<Written, CoreError> {
    let mut file = dump::create_new(path)?;
    let result = write_core(&mut file, image, mem, progress).map_err(|e| match e {
        CoreError::Io(source) => CoreError::Write {
            path: path.to_path_buf(),
            source,
        },
        e => e,
    });
    if result.is_err() {
        // Ours: created above with O_EXCL.
        drop(file);
        let _ = std::fs::remove_file(path);
    }
    result
}

#[cfg(test)]
mod tests;
