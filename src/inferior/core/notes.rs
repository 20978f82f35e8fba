//! The notes of a core file, encoded from plain descriptions for any
//! class and byte order (`CoreArch`): the note framing (name and
//! descriptor each padded to 4 bytes, as Linux writes them even in ELF64),
//! `NT_PRSTATUS`, `NT_PRPSINFO` and `NT_FILE`. The register sets, siginfo
//! and auxv go in as the kernel handed them over, untouched.

use rgdbserver_arch::core_file::{self as cf, CoreArch, FNAME_SIZE, PSARGS_SIZE};

/// One note: owner name ("CORE", "LINUX"), type and descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub name: &'static str,
    pub kind: u32,
    pub desc: Vec<u8>,
}

/// Stores integers in the target's byte order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Endian {
    pub(super) big: bool,
}

impl Endian {
    pub(super) fn put(self, buf: &mut [u8], at: usize, size: usize, value: u64) {
        let bytes = value.to_le_bytes();
        let field = &mut buf[at..at + size];
        field.copy_from_slice(&bytes[..size]);
        if self.big {
            field.reverse();
        }
    }
}

fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

impl Note {
    /// The note's size in the file.
    pub fn encoded_len(&self) -> usize {
        12 + pad4(self.name.len() + 1) + pad4(self.desc.len())
    }

    /// Append the note as it goes in the file.
    pub(super) fn encode(&self, endian: Endian, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + self.encoded_len(), 0);
        let buf = &mut out[start..];
        endian.put(buf, 0, 4, self.name.len() as u64 + 1);
        endian.put(buf, 4, 4, self.desc.len() as u64);
        endian.put(buf, 8, 4, self.kind as u64);
        buf[12..12 + self.name.len()].copy_from_slice(self.name.as_bytes());
        let desc = 12 + pad4(self.name.len() + 1);
        buf[desc..desc + self.desc.len()].copy_from_slice(&self.desc);
    }
}

/// Seconds and microseconds, as `struct timeval`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeVal {
    pub sec: u64,
    pub usec: u64,
}

/// What `NT_PRSTATUS` says of one thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadStatus {
    /// The signal it stopped with (0: none).
    pub cursig: i32,
    pub sigpend: u64,
    pub sighold: u64,
    /// Its thread id, then the process's parent, group and session.
    pub tid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub sid: i32,
    /// User, system, children's user and children's system time.
    pub times: [TimeVal; 4],
    /// The general registers as PTRACE_GETREGSET NT_PRSTATUS gave them
    /// (cut or zero-filled to `elf_gregset_t`'s size).
    pub gregs: Vec<u8>,
}

/// `NT_PRSTATUS` for one thread.
pub fn prstatus(arch: &CoreArch, t: &ThreadStatus) -> Note {
    let l = arch.prstatus;
    let e = Endian {
        big: arch.big_endian,
    };
    let word = arch.word_size();
    let mut d = vec![0u8; l.size];
    e.put(&mut d, l.info_signo, 4, t.cursig as u32 as u64);
    e.put(&mut d, l.cursig, 2, t.cursig as u16 as u64);
    e.put(&mut d, l.sigpend, word, t.sigpend);
    e.put(&mut d, l.sighold, word, t.sighold);
    for (i, id) in [t.tid, t.ppid, t.pgrp, t.sid].into_iter().enumerate() {
        e.put(&mut d, l.pid + 4 * i, 4, id as u32 as u64);
    }
    for (i, tv) in t.times.iter().enumerate() {
        let at = l.utime + i * 2 * word;
        e.put(&mut d, at, word, tv.sec);
        e.put(&mut d, at + word, word, tv.usec);
    }
    let n = t.gregs.len().min(l.reg_size);
    d[l.reg..l.reg + n].copy_from_slice(&t.gregs[..n]);
    e.put(&mut d, l.fpvalid, 4, 1);
    Note {
        name: "CORE",
        kind: cf::NT_PRSTATUS,
        desc: d,
    }
}

/// What `NT_PRPSINFO` says of the process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessStatus {
    /// The state letter of /proc/PID/stat (`t` for a traced stop).
    pub state: u8,
    pub nice: i8,
    pub flags: u64,
    pub uid: u32,
    pub gid: u32,
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub sid: i32,
    /// `comm`.
    pub fname: Vec<u8>,
    /// /proc/PID/cmdline (arguments separated by NULs).
    pub cmdline: Vec<u8>,
}

/// `NT_PRPSINFO`: `pr_state` is the letter's index in "RSDTZW" (as gdb's
/// gcore computes it; a traced stop counts as `T`), `pr_psargs` the command
/// line with spaces for NULs, cut to 79 bytes, as the kernel writes it.
pub fn prpsinfo(arch: &CoreArch, p: &ProcessStatus) -> Note {
    let l = arch.prpsinfo;
    let e = Endian {
        big: arch.big_endian,
    };
    let mut d = vec![0u8; l.size];
    let upper = p.state.to_ascii_uppercase();
    d[0] = b"RSDTZW".iter().position(|&c| c == upper).unwrap_or(6) as u8;
    d[1] = p.state;
    d[2] = (upper == b'Z') as u8;
    d[3] = p.nice as u8;
    e.put(&mut d, l.flag, arch.word_size(), p.flags);
    e.put(&mut d, l.uid, l.uid_size, p.uid as u64);
    e.put(&mut d, l.gid, l.uid_size, p.gid as u64);
    for (i, id) in [p.pid, p.ppid, p.pgrp, p.sid].into_iter().enumerate() {
        e.put(&mut d, l.pid + 4 * i, 4, id as u32 as u64);
    }
    let fname = &p.fname[..p.fname.len().min(FNAME_SIZE - 1)];
    d[l.fname..l.fname + fname.len()].copy_from_slice(fname);
    let args = p.cmdline.strip_suffix(b"\0").unwrap_or(&p.cmdline);
    let args = &args[..args.len().min(PSARGS_SIZE - 1)];
    for (i, &b) in args.iter().enumerate() {
        d[l.psargs + i] = if b == 0 { b' ' } else { b };
    }
    Note {
        name: "CORE",
        kind: cf::NT_PRPSINFO,
        desc: d,
    }
}

/// A file-backed mapping, for `NT_FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    pub start: u64,
    pub end: u64,
    /// Offset in the file, in bytes.
    pub offset: u64,
    pub name: Vec<u8>,
}

/// `NT_FILE`: count, page size, (start, end, offset in pages) per mapping,
/// then the names, each ending in NUL.
pub fn nt_file(arch: &CoreArch, page_size: u64, files: &[FileMapping]) -> Note {
    let e = Endian {
        big: arch.big_endian,
    };
    let w = arch.word_size();
    let mut d = vec![0u8; w * (2 + 3 * files.len())];
    e.put(&mut d, 0, w, files.len() as u64);
    e.put(&mut d, w, w, page_size);
    for (i, f) in files.iter().enumerate() {
        let at = w * (2 + 3 * i);
        e.put(&mut d, at, w, f.start);
        e.put(&mut d, at + w, w, f.end);
        e.put(&mut d, at + 2 * w, w, f.offset / page_size.max(1));
    }
    for f in files {
        d.extend_from_slice(&f.name);
        d.push(0);
    }
    Note {
        name: "CORE",
        kind: cf::NT_FILE,
        desc: d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rgdbserver_arch::core_file::{mips_o32, X86_64};

    fn le(d: &[u8], at: usize, size: usize) -> u64 {
        let mut b = [0u8; 8];
        b[..size].copy_from_slice(&d[at..at + size]);
        u64::from_le_bytes(b)
    }

    #[test]
    fn framing_pads_name_and_desc_to_four() {
        let note = Note {
            name: "LINUX",
            kind: 0x202,
            desc: vec![1, 2, 3, 4, 5],
        };
        let mut out = vec![0xee];
        note.encode(Endian { big: false }, &mut out);
        let n = &out[1..];
        assert_eq!(n.len(), note.encoded_len());
        assert_eq!(n.len(), 12 + 8 + 8);
        assert_eq!((le(n, 0, 4), le(n, 4, 4), le(n, 8, 4)), (6, 5, 0x202));
        assert_eq!(&n[12..20], b"LINUX\0\0\0");
        assert_eq!(&n[20..], &[1, 2, 3, 4, 5, 0, 0, 0]);
        let mut big = Vec::new();
        note.encode(Endian { big: true }, &mut big);
        assert_eq!(&big[..12], &[0, 0, 0, 6, 0, 0, 0, 5, 0, 0, 2, 2]);
    }

    #[test]
    fn prstatus_fields_where_bfd_reads_them() {
        let t = ThreadStatus {
            cursig: 5,
            sigpend: 0x100,
            sighold: 0x200,
            tid: 4242,
            ppid: 1,
            pgrp: 7,
            sid: 8,
            times: [TimeVal { sec: 3, usec: 4 }; 4],
            gregs: (0..216).map(|i| i as u8).collect(),
        };
        let note = prstatus(&X86_64, &t);
        let d = &note.desc;
        assert_eq!((note.name, note.kind, d.len()), ("CORE", 1, 336));
        assert_eq!((le(d, 0, 4), le(d, 12, 2)), (5, 5));
        assert_eq!((le(d, 16, 8), le(d, 24, 8)), (0x100, 0x200));
        assert_eq!(
            (le(d, 32, 4), le(d, 36, 4), le(d, 40, 4), le(d, 44, 4)),
            (4242, 1, 7, 8)
        );
        assert_eq!((le(d, 48, 8), le(d, 56, 8), le(d, 96, 8)), (3, 4, 3));
        assert_eq!(&d[112..328], &t.gregs[..]);
        assert_eq!(le(d, 328, 4), 1);
        // Too many register bytes are cut; too few leave zeros.
        let long = prstatus(
            &X86_64,
            &ThreadStatus {
                gregs: vec![9; 300],
                ..t.clone()
            },
        );
        assert_eq!(&long.desc[328..332], &[1, 0, 0, 0]);
        let o32 = prstatus(
            &mips_o32(true),
            &ThreadStatus {
                gregs: vec![9; 4],
                ..t
            },
        );
        assert_eq!(o32.desc.len(), 256);
        assert_eq!(&o32.desc[24..28], &[0, 0, 0x10, 0x92]);
        assert_eq!(&o32.desc[72..77], &[9, 9, 9, 9, 0]);
    }

    #[test]
    fn prpsinfo_state_names_and_args() {
        let p = ProcessStatus {
            state: b't',
            nice: -2,
            flags: 0x400000,
            uid: 1000,
            gid: 100,
            pid: 10,
            ppid: 9,
            pgrp: 10,
            sid: 3,
            fname: b"a-very-long-command-name".to_vec(),
            cmdline: [b"prog\0-x\0".as_slice(), &[b'y'; 100]].concat(),
        };
        let note = prpsinfo(&X86_64, &p);
        let d = &note.desc;
        assert_eq!((note.kind, d.len()), (3, 136));
        assert_eq!(&d[..4], &[3, b't', 0, 0xfe]);
        assert_eq!(
            (le(d, 8, 8), le(d, 16, 4), le(d, 20, 4)),
            (0x400000, 1000, 100)
        );
        assert_eq!((le(d, 24, 4), le(d, 28, 4), le(d, 36, 4)), (10, 9, 3));
        assert_eq!(&d[40..56], b"a-very-long-com\0");
        assert!(d[56..].starts_with(b"prog -x yyy"));
        assert_eq!((d[56 + 78], d[56 + 79]), (b'y', 0));
        let zombie = prpsinfo(
            &X86_64,
            &ProcessStatus {
                state: b'Z',
                cmdline: b"a\0".to_vec(),
                ..p
            },
        );
        assert_eq!(&zombie.desc[..3], &[4, b'Z', 1]);
        assert_eq!(&zombie.desc[56..58], b"a\0");
    }

    #[test]
    fn nt_file_counts_pages_then_names() {
        let files = [
            FileMapping {
                start: 0x1000,
                end: 0x3000,
                offset: 0x2000,
                name: b"/bin/a".to_vec(),
            },
            FileMapping {
                start: 0x5000,
                end: 0x6000,
                offset: 0,
                name: b"/x (deleted)".to_vec(),
            },
        ];
        let note = nt_file(&X86_64, 4096, &files);
        let d = &note.desc;
        assert_eq!((note.kind, le(d, 0, 8), le(d, 8, 8)), (0x46494c45, 2, 4096));
        assert_eq!(
            (le(d, 16, 8), le(d, 24, 8), le(d, 32, 8)),
            (0x1000, 0x3000, 2)
        );
        assert_eq!(
            (le(d, 40, 8), le(d, 48, 8), le(d, 56, 8)),
            (0x5000, 0x6000, 0)
        );
        assert_eq!(&d[64..], b"/bin/a\0/x (deleted)\0");
        let o32 = nt_file(&mips_o32(true), 4096, &files[..1]);
        assert_eq!(&o32.desc[..8], &[0, 0, 0, 1, 0, 0, 0x10, 0]);
        assert_eq!(o32.desc.len(), 4 * 5 + 7);
    }
}
