//! Which mappings a core file holds, and how much of each: the kernel's
//! `vma_dump_size` rules (fs/binfmt_elf.c), driven by
//! /proc/PID/coredump_filter and what /proc/PID/smaps says of each mapping
//! (`Anonymous:` pages, i.e. written private memory; `VmFlags:` `dd`, `io`,
//! `ht`). Every mapping gets a `PT_LOAD`; one not dumped has no bytes in
//! the file (gdb then reads it from the program's files, as from a kernel's
//! core). Memory we cannot read at all (`[vvar]`, `[vsyscall]`) is not
//! dumped either. Two differences from the kernel, both from what /proc
//! shows: the ELF-header page is dumped when the mapping starts with ELF's
//! magic (the kernel also takes any executable file's first page unread),
//! and special mappings the kernel reads with its own access (`[vvar]`,
//! `[vsyscall]`) are left out when we cannot read them.

use crate::inferior::dump::Reader;
use crate::inferior::maps::{self, MapEntry, MapsError};

/// coredump_filter bits (`man 5 core`).
pub const ANON_PRIVATE: u32 = 1 << 0;
pub const ANON_SHARED: u32 = 1 << 1;
pub const MAPPED_PRIVATE: u32 = 1 << 2;
pub const MAPPED_SHARED: u32 = 1 << 3;
pub const ELF_HEADERS: u32 = 1 << 4;
pub const HUGETLB_PRIVATE: u32 = 1 << 5;
pub const HUGETLB_SHARED: u32 = 1 << 6;
/// The kernel's default (0x33).
pub const DEFAULT_FILTER: u32 = ANON_PRIVATE | ANON_SHARED | ELF_HEADERS | HUGETLB_PRIVATE;

/// One mapping with what smaps adds (None: smaps did not say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub entry: MapEntry,
    /// `Anonymous:` in kB.
    pub anonymous_kb: Option<u64>,
    /// `VmFlags:`' two-letter flags.
    pub vm_flags: Option<Vec<String>>,
}

/// A `PT_LOAD`: the mapping, and how many bytes from its start the file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub start: u64,
    pub end: u64,
    pub perms: maps::Perms,
    pub dump: u64,
}

/// Parse /proc/PID/smaps (or plain maps: then nothing is added).
pub fn parse_smaps(text: &str) -> Result<Vec<Mapping>, MapsError> {
    let mut out: Vec<Mapping> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let first = line.split_ascii_whitespace().next().unwrap_or("");
        if first.is_empty() {
            continue;
        }
        if let Some(key) = first.strip_suffix(':') {
            let Some(last) = out.last_mut() else { continue };
            let value = line[first.len()..].trim();
            match key {
                "Anonymous" => {
                    last.anonymous_kb = value.split_whitespace().next().and_then(|n| n.parse().ok())
                }
                "VmFlags" => {
                    last.vm_flags = Some(value.split_whitespace().map(str::to_string).collect())
                }
                _ => {}
            }
            continue;
        }
        let mut entries = maps::parse_maps(line).map_err(|e| MapsError {
            line_number: i + 1,
            line: e.line,
        })?;
        out.push(Mapping {
            entry: entries.remove(0),
            anonymous_kb: None,
            vm_flags: None,
        });
    }
    Ok(out)
}

/// Parse coredump_filter's hex; the default when it cannot be read.
pub fn parse_filter(text: Option<&str>) -> u32 {
    text.and_then(|t| u32::from_str_radix(t.trim(), 16).ok())
        .unwrap_or(DEFAULT_FILTER)
}

impl Mapping {
    fn has_flag(&self, flag: &str) -> bool {
        self.vm_flags
            .as_ref()
            .is_some_and(|f| f.iter().any(|x| x == flag))
    }

    fn name(&self) -> &str {
        self.entry.path.as_deref().unwrap_or("")
    }

    /// Backed by a file (what `NT_FILE` lists): a path, not `[heap]` and the like.
    pub fn file_backed(&self) -> bool {
        self.entry
            .path
            .as_deref()
            .is_some_and(|p| !p.starts_with('['))
    }

    /// Shared memory with no file of its own (the kernel: an inode with no
    /// links): `/dev/zero`, System V segments, deleted files and memfds.
    fn anonymous_shared(&self) -> bool {
        let name = self.name();
        !self.file_backed()
            || name.ends_with(" (deleted)")
            || name.starts_with("/dev/zero")
            || name.starts_with("/SYSV")
            || name.starts_with("/memfd:")
    }

    /// Has private pages of its own: written to since mapped. Without
    /// smaps, guessed from the permissions and the name.
    fn written_private(&self) -> bool {
        match self.anonymous_kb {
            Some(kb) => kb > 0,
            None => self.entry.perms.write || matches!(self.name(), "" | "[heap]" | "[stack]"),
        }
    }
}

/// How many bytes of `m` the kernel would dump, before checking we can read them.
fn wanted(m: &Mapping, filter: u32, page: u64, read: &Reader<'_>) -> u64 {
    let whole = m.entry.end - m.entry.start;
    let name = m.name();
    if name == "[vdso]" || name == "[vsyscall]" {
        return whole;
    }
    if m.has_flag("dd") || m.has_flag("io") {
        return 0;
    }
    let on = |bit: u32| filter & bit != 0;
    if m.has_flag("ht") {
        let bit = if m.entry.perms.shared {
            HUGETLB_SHARED
        } else {
            HUGETLB_PRIVATE
        };
        return if on(bit) { whole } else { 0 };
    }
    if m.entry.perms.shared {
        let bit = if m.anonymous_shared() {
            ANON_SHARED
        } else {
            MAPPED_SHARED
        };
        return if on(bit) { whole } else { 0 };
    }
    if on(ANON_PRIVATE) && m.written_private() {
        return whole;
    }
    if !m.file_backed() {
        return 0;
    }
    if on(MAPPED_PRIVATE) {
        return whole;
    }
    if on(ELF_HEADERS) && m.entry.offset == 0 && m.entry.perms.read {
        let mut magic = [0u8; 4];
        if read(m.entry.start, &mut magic) == Some(4) && magic == *b"\x7fELF" {
            return page.min(whole);
        }
    }
    0
}

/// The segments of a core file of `mappings`, in address order.
pub fn select(mappings: &[Mapping], filter: u32, page: u64, read: &Reader<'_>) -> Vec<Segment> {
    let mut segments: Vec<Segment> = mappings
        .iter()
        .map(|m| {
            let mut dump = wanted(m, filter, page, read);
            let mut probe = [0u8; 1];
            if dump > 0 && read(m.entry.start, &mut probe).is_none() {
                dump = 0;
            }
            Segment {
                start: m.entry.start,
                end: m.entry.end,
                perms: m.entry.perms,
                dump,
            }
        })
        .collect();
    segments.sort_by_key(|s| s.start);
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0c0a00000-55d0c0a01000 r--p 00000000 fe:01 1311   /usr/bin/prog
Size:                  4 kB
Anonymous:             0 kB
VmFlags: rd mr mw me dw sd
55d0c0a01000-55d0c0a02000 rw-p 00001000 fe:01 1311   /usr/bin/prog
Anonymous:             4 kB
VmFlags: rd wr mr mw me ac sd
55d0c0b00000-55d0c0b21000 rw-p 00000000 00:00 0      [heap]
Anonymous:           132 kB
VmFlags: rd wr mr mw me ac sd
7f0000000000-7f0000001000 rw-s 00000000 00:05 42     /dev/shm/x
Anonymous:             0 kB
VmFlags: rd wr sh mr mw me ms sd
7f0000001000-7f0000002000 rw-s 00000000 00:01 7      /dev/zero (deleted)
Anonymous:             0 kB
VmFlags: rd wr sh mr mw me ms sd
7f0000002000-7f0000003000 ---p 00000000 00:00 0
Anonymous:             0 kB
VmFlags: mr mw me sd
7f0000003000-7f0000004000 r--p 00000000 fe:01 99     /usr/lib/libc.so.6
Anonymous:             0 kB
VmFlags: rd mr mw me sd
7f0000200000-7f0000400000 rw-p 00000000 00:0f 5      /anon_hugepage (deleted)
Anonymous:             0 kB
VmFlags: rd wr mr mw me ht sd
7ffd1c000000-7ffd1c002000 r--p 00000000 00:00 0      [vvar]
Anonymous:             0 kB
VmFlags: rd mr pf io de dd sd
7ffd1c002000-7ffd1c004000 r-xp 00000000 00:00 0      [vdso]
Anonymous:             0 kB
VmFlags: rd ex mr mw me de sd
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]
Anonymous:             0 kB
VmFlags: ex
";

    /// Readable everywhere but [vsyscall]; ELF magic at prog's and libc's start.
    fn fake(addr: u64, buf: &mut [u8]) -> Option<usize> {
        if addr >= 0xffffffffff600000 {
            return None;
        }
        buf.fill(0);
        if addr == 0x55d0c0a00000 || addr == 0x7f0000003000 {
            let n = buf.len().min(4);
            buf[..n].copy_from_slice(&b"\x7fELF"[..n]);
        }
        Some(buf.len())
    }

    fn dumps(filter: u32) -> Vec<u64> {
        let maps = parse_smaps(SMAPS).unwrap();
        select(&maps, filter, 4096, &fake)
            .iter()
            .map(|s| s.dump)
            .collect()
    }

    #[test]
    fn parses_smaps_fields() {
        let maps = parse_smaps(SMAPS).unwrap();
        assert_eq!(maps.len(), 11);
        assert_eq!(maps[2].anonymous_kb, Some(132));
        assert_eq!(maps[2].entry.path.as_deref(), Some("[heap]"));
        assert!(maps[7].has_flag("ht") && !maps[7].has_flag("h"));
        assert!(maps[0].file_backed() && !maps[2].file_backed() && !maps[5].file_backed());
        // Plain maps parse too, with nothing added.
        let plain = parse_smaps("1000-2000 rw-p 00000000 00:00 0\n").unwrap();
        assert_eq!(
            (plain[0].anonymous_kb, plain[0].vm_flags.as_ref()),
            (None, None)
        );
        assert!(parse_smaps("garbage here\n").is_err());
    }

    #[test]
    fn default_filter_follows_the_kernel() {
        assert_eq!(
            dumps(DEFAULT_FILTER),
            [
                0x1000,   // prog's ELF header page
                0x1000,   // prog's written .data
                0x21000,  // heap
                0,        // shared file: not by default
                0x1000,   // anonymous shared
                0,        // never-written reservation
                0x1000,   // libc's ELF header page
                0x200000, // private hugetlb
                0,        // [vvar]: io, dd
                0x2000,   // [vdso]: always
                0,        // [vsyscall]: unreadable here
            ]
        );
    }

    #[test]
    fn filter_bits_switch_kinds() {
        let all = ANON_PRIVATE | ANON_SHARED | MAPPED_PRIVATE | MAPPED_SHARED | ELF_HEADERS;
        let d = dumps(all | HUGETLB_SHARED);
        assert_eq!((d[0], d[3], d[6], d[7]), (0x1000, 0x1000, 0x1000, 0));
        let none = dumps(0);
        assert_eq!(none, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2000, 0]);
        assert_eq!(dumps(ANON_PRIVATE)[..3], [0, 0x1000, 0x21000]);
        assert_eq!(parse_filter(Some("00000033\n")), 0x33);
        assert_eq!(parse_filter(Some("zz")), DEFAULT_FILTER);
        assert_eq!(parse_filter(None), DEFAULT_FILTER);
    }

    #[test]
    fn without_smaps_writable_private_memory_counts_as_written() {
        let maps = parse_smaps(
            "1000-2000 rw-p 00000000 00:00 0\n2000-3000 r--p 00001000 08:01 5 /lib/x.so\n3000-4000 r--p 00000000 00:00 0 [stack]\n",
        )
        .unwrap();
        let segs = select(&maps, DEFAULT_FILTER, 4096, &fake);
        assert_eq!(
            segs.iter().map(|s| s.dump).collect::<Vec<_>>(),
            [0x1000, 0, 0x1000]
        );
    }
}
