//! The reply to `qXfer:libraries-svr4:read`: the dynamic linker's list of
//! loaded objects, found as GNU gdbserver finds it — program headers from
//! AT_PHDR, the dynamic section, DT_DEBUG (or MIPS's DT_MIPS_RLD_MAP*) to
//! `r_debug`, then the `link_map` chain of every link-map namespace (glibc's
//! `r_debug_extended` chain, which `dlmopen` extends) — for any word size and
//! byte order. `libraries_from` is the augmented form
//! (`qXfer:libraries-svr4:read:start=...;prev=...`): only the tail of one
//! namespace's list, from a `link_map` gdb names, so that a program loading
//! many libraries does not have the whole list resent at each load.

use std::collections::HashSet;
use std::fmt::Write;

use super::auxv::{lookup, WordFormat, AT_PHDR, AT_PHENT, AT_PHNUM};

const PT_DYNAMIC: u64 = 2;
const PT_PHDR: u64 = 6;
const DT_NULL: u64 = 0;
const DT_DEBUG: u64 = 21;
const DT_MIPS_RLD_MAP: u64 = 0x7000_0016;
const DT_MIPS_RLD_MAP_REL: u64 = 0x7000_0035;
const MAX_DYNAMIC_ENTRIES: usize = 4096;
const MAX_LIBRARIES: usize = 10_000;
const PATH_MAX: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryReadError {
    pub addr: u64,
}

/// Reads the inferior's memory: all of `buf` or an error.
pub trait ReadMemory {
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryReadError>;
}

impl<F: FnMut(u64, &mut [u8]) -> Result<(), MemoryReadError>> ReadMemory for F {
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryReadError> {
        self(addr, buf)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Svr4Error {
    #[error("the auxiliary vector has no {0}")]
    MissingAuxv(&'static str),
    #[error("cannot read the program headers at {0:#x}")]
    ProgramHeaders(u64),
    /// The program has no dynamic section, or one without DT_DEBUG: a
    /// static executable, or ld.so run as the program. That will not
    /// change, and gdb, told so by an error (as gdbserver does), looks for
    /// `_r_debug` through its symbols instead.
    #[error("the program has no DT_DEBUG entry")]
    NoDebugEntry,
}

const EMPTY: &str = "<library-list-svr4 version=\"1.0\"/>";

fn read_word(mem: &mut dyn ReadMemory, fmt: WordFormat, addr: u64) -> Option<u64> {
    let mut buf = [0u8; 8];
    mem.read_memory(addr, &mut buf[..fmt.size]).ok()?;
    fmt.read_word(&buf)
}

/// (p_type, p_vaddr) of each program header.
fn program_headers(
    mem: &mut dyn ReadMemory,
    fmt: WordFormat,
    auxv: &[(u64, u64)],
) -> Result<Vec<(u64, u64)>, Svr4Error> {
    let phdr = lookup(auxv, AT_PHDR).ok_or(Svr4Error::MissingAuxv("AT_PHDR"))?;
    let phnum = lookup(auxv, AT_PHNUM)
        .ok_or(Svr4Error::MissingAuxv("AT_PHNUM"))?
        .min(1024) as usize;
    let default_entsize = if fmt.size == 8 { 56 } else { 32 };
    let entsize = lookup(auxv, AT_PHENT)
        .map(|e| e as usize)
        .unwrap_or(default_entsize);
    if entsize < default_entsize {
        return Err(Svr4Error::ProgramHeaders(phdr));
    }
    let mut table = vec![0u8; phnum * entsize];
    mem.read_memory(phdr, &mut table)
        .map_err(|_| Svr4Error::ProgramHeaders(phdr))?;
    let half = WordFormat { size: 4, ..fmt };
    Ok(table
        .chunks_exact(entsize)
        .filter_map(|h| {
            let p_type = half.read_word(h)?;
            // Elf64_Phdr: type, flags, offset, vaddr; Elf32_Phdr: type, offset, vaddr.
            let vaddr = if fmt.size == 8 {
                fmt.read_word(&h[16..])?
            } else {
                fmt.read_word(&h[8..])?
            };
            Some((p_type, vaddr))
        })
        .collect())
}

/// The address of `r_debug`, or None while the dynamic linker has not set it.
fn find_r_debug(
    mem: &mut dyn ReadMemory,
    fmt: WordFormat,
    auxv: &[(u64, u64)],
) -> Result<Option<u64>, Svr4Error> {
    let headers = program_headers(mem, fmt, auxv)?;
    let phdr = lookup(auxv, AT_PHDR).unwrap_or(0);
    // Position-independent executables are loaded at a bias: PT_PHDR's link
    // address against where the headers really are. Programs that need
    // DT_DEBUG have PT_PHDR; one without it (ld.so run as the program, a
    // shared library) has nothing for us, as gdbserver also decides.
    let bias = headers
        .iter()
        .find(|(t, _)| *t == PT_PHDR)
        .map(|(_, vaddr)| phdr.wrapping_sub(*vaddr))
        .ok_or(Svr4Error::NoDebugEntry)?;
    let Some(&(_, dyn_vaddr)) = headers.iter().find(|(t, _)| *t == PT_DYNAMIC) else {
        return Err(Svr4Error::NoDebugEntry);
    };
    let dynamic = dyn_vaddr.wrapping_add(bias);
    for i in 0..MAX_DYNAMIC_ENTRIES as u64 {
        let entry = dynamic + i * 2 * fmt.size as u64;
        let Some(tag) = read_word(mem, fmt, entry) else {
            return Ok(None);
        };
        let Some(value) = read_word(mem, fmt, entry + fmt.size as u64) else {
            return Ok(None);
        };
        match tag {
            DT_NULL => return Err(Svr4Error::NoDebugEntry),
            DT_DEBUG => return Ok((value != 0).then_some(value)),
            DT_MIPS_RLD_MAP => return Ok(read_word(mem, fmt, value).filter(|&a| a != 0)),
            DT_MIPS_RLD_MAP_REL => {
                return Ok(read_word(mem, fmt, entry.wrapping_add(value)).filter(|&a| a != 0))
            }
            _ => {}
        }
    }
    Ok(None)
}

/// A NUL-terminated string, read in shrinking pieces near unreadable memory.
fn read_string(mem: &mut dyn ReadMemory, addr: u64) -> Option<String> {
    let mut out = Vec::new();
    let mut chunk = 256usize;
    while out.len() < PATH_MAX {
        let mut buf = vec![0u8; chunk];
        let at = addr + out.len() as u64;
        if mem.read_memory(at, &mut buf).is_err() {
            if chunk == 1 {
                break;
            }
            chunk /= 2;
            continue;
        }
        if let Some(nul) = buf.iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..nul]);
            return Some(String::from_utf8_lossy(&out).into_owned());
        }
        out.extend_from_slice(&buf);
    }
    (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned())
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The libraries of one link-map namespace, from `lm` on, as `<library>`
/// elements tagged with `lmid` (the address of the namespace's `r_debug`).
/// `prev` is what the first entry's `l_prev` must be: a broken list ends the
/// walk instead of reporting garbage. `seen` spans every namespace so that a
/// corrupt chain cannot loop or grow without bound.
fn read_namespace(
    mem: &mut dyn ReadMemory,
    fmt: WordFormat,
    lmid: u64,
    mut lm: u64,
    mut prev: u64,
    seen: &mut HashSet<u64>,
    out: &mut String,
) {
    let word = fmt.size as u64;
    while lm != 0 && seen.len() < MAX_LIBRARIES && seen.insert(lm) {
        // struct link_map { l_addr, l_name, l_ld, l_next, l_prev }
        let fields: Option<Vec<u64>> = (0..5).map(|i| read_word(mem, fmt, lm + i * word)).collect();
        let Some(fields) = fields else {
            break;
        };
        let (l_addr, l_name, l_ld, l_next, l_prev) =
            (fields[0], fields[1], fields[2], fields[3], fields[4]);
        if l_prev != prev {
            log::debug!("link_map list inconsistent at {lm:#x}; stopping");
            break;
        }
        let name = if l_name != 0 {
            read_string(mem, l_name)
        } else {
            None
        };
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            let _ = write!(
                out,
                "<library name=\"{}\" lm=\"{lm:#x}\" l_addr=\"{l_addr:#x}\" l_ld=\"{l_ld:#x}\" lmid=\"{lmid:#x}\"/>",
                xml_escape(&name)
            );
        }
        prev = lm;
        lm = l_next;
    }
}

/// The document for every link-map namespace. glibc keeps one `r_debug` per
/// namespace (`dlmopen` creates more); from `r_version` 2 on they are
/// `r_debug_extended` and chained by `r_next`, the word after `r_ldbase`.
/// Walking only the first namespace hid every `dlmopen`ed library from gdb.
/// Each library carries its namespace's `r_debug` address as `lmid`: gdb 13
/// keeps one list per `lmid` (so the same file may be loaded in several
/// namespaces) and GNU gdbserver 13 identifies namespaces the same way.
pub fn libraries_svr4_xml(
    mem: &mut dyn ReadMemory,
    auxv: &[(u64, u64)],
    fmt: WordFormat,
) -> Result<String, Svr4Error> {
    let Some(main_r_debug) = find_r_debug(mem, fmt, auxv)? else {
        return Ok(EMPTY.to_string());
    };
    let word = fmt.size as u64;
    let half = WordFormat { size: 4, ..fmt };
    let mut header = String::new();
    let mut libraries = String::new();
    let mut seen_lms = HashSet::new();
    let mut seen_namespaces = HashSet::new();
    let mut r_debug = main_r_debug;
    while r_debug != 0 && seen_namespaces.insert(r_debug) && seen_lms.len() < MAX_LIBRARIES {
        // struct r_debug { int r_version; struct link_map *r_map; ElfW(Addr)
        // r_brk; enum r_state; ElfW(Addr) r_ldbase; }: every field after
        // r_version is word-aligned.
        let Some(version) = read_word(mem, half, r_debug) else {
            break;
        };
        // Before the dynamic linker fills it in (or if it is not an r_debug
        // at all), there is nothing to report.
        if version < 1 || version > i32::MAX as u64 {
            break;
        }
        let Some(mut lm) = read_word(mem, fmt, r_debug + word) else {
            break;
        };
        let mut prev = 0;
        if r_debug == main_r_debug {
            if lm == 0 {
                break;
            }
            // The first entry of the main namespace is the executable,
            // which gdb knows as main-lm rather than as a library.
            header = format!(" main-lm=\"{lm:#x}\"");
            seen_lms.insert(lm);
            prev = lm;
            let Some(next) = read_word(mem, fmt, lm + 3 * word) else {
                break;
            };
            lm = next;
        }
        read_namespace(mem, fmt, r_debug, lm, prev, &mut seen_lms, &mut libraries);
        if version < 2 {
            break;
        }
        let Some(next) = read_word(mem, fmt, r_debug + 5 * word) else {
            break;
        };
        r_debug = next;
    }
    if header.is_empty() && libraries.is_empty() {
        return Ok(EMPTY.to_string());
    }
    Ok(format!(
        "<library-list-svr4 version=\"1.0\"{header}>{libraries}</library-list-svr4>"
    ))
}

/// Where a partial list starts: gdb's `start` and `prev`, and the
/// namespace (`lmid`) its libraries are tagged with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListFrom {
    pub lm: u64,
    pub prev: u64,
    pub lmid: u64,
}

/// The libraries from `from.lm` to the end of its namespace's list, as GNU
/// gdbserver answers `start`: no `main-lm`, the first entry included when
/// it has a name, and nothing at all when `from.lm`'s `l_prev` is not
/// `from.prev` (gdb's list is stale: it reads the whole list again).
pub fn libraries_from(mem: &mut dyn ReadMemory, fmt: WordFormat, from: ListFrom) -> String {
    let mut libraries = String::new();
    read_namespace(
        mem,
        fmt,
        from.lmid,
        from.lm,
        from.prev,
        &mut HashSet::new(),
        &mut libraries,
    );
    format!("<library-list-svr4 version=\"1.0\">{libraries}</library-list-svr4>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A sparse fake address space.
    struct Fake {
        fmt: WordFormat,
        bytes: BTreeMap<u64, u8>,
    }

    impl Fake {
        fn word(&mut self, addr: u64, value: u64) {
            for i in 0..self.fmt.size {
                let shift = if self.fmt.big_endian {
                    (self.fmt.size - 1 - i) * 8
                } else {
                    i * 8
                };
                self.bytes.insert(addr + i as u64, (value >> shift) as u8);
            }
        }
        fn half(&mut self, addr: u64, value: u32) {
            let fmt = self.fmt;
            self.fmt = WordFormat { size: 4, ..fmt };
            self.word(addr, value as u64);
            self.fmt = fmt;
        }
        fn string(&mut self, addr: u64, s: &str) {
            for (i, b) in s.bytes().chain(std::iter::once(0)).enumerate() {
                self.bytes.insert(addr + i as u64, b);
            }
        }
    }

    impl ReadMemory for Fake {
        fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryReadError> {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = *self
                    .bytes
                    .get(&(addr + i as u64))
                    .ok_or(MemoryReadError { addr })?;
            }
            Ok(())
        }
    }

    /// A PIE loaded at bias 0x1000_0000 with three link_maps.
    fn image(fmt: WordFormat, cycle: bool) -> (Fake, Vec<(u64, u64)>) {
        let mut m = Fake {
            fmt,
            bytes: BTreeMap::new(),
        };
        let w = fmt.size as u64;
        let (entsize, vaddr_at) = if w == 8 { (56, 16) } else { (32, 8) };
        let phdr = 0x1000_0040;
        for i in 0..2 * entsize {
            m.bytes.insert(phdr + i, 0);
        }
        m.half(phdr, PT_PHDR as u32);
        m.word(phdr + vaddr_at, 0x40);
        m.half(phdr + entsize, PT_DYNAMIC as u32);
        m.word(phdr + entsize + vaddr_at, 0x2000);
        let dynamic = 0x1000_2000;
        m.word(dynamic, 1);
        m.word(dynamic + w, 0);
        m.word(dynamic + 2 * w, DT_DEBUG);
        m.word(dynamic + 3 * w, 0x5000);
        m.word(0x5000, 1);
        let lms = [0x6000u64, 0x6100, 0x6200];
        m.word(0x5000 + w, lms[0]);
        let names = ["", "/lib/libc.so.6", "/lib/a&b.so"];
        for (i, &lm) in lms.iter().enumerate() {
            m.word(lm, 0x100 * i as u64);
            m.word(lm + w, 0x7000 + 0x100 * i as u64);
            m.string(0x7000 + 0x100 * i as u64, names[i]);
            m.word(lm + 2 * w, 0x8000 + i as u64);
            let next = match lms.get(i + 1) {
                Some(&n) => n,
                None if cycle => lms[0],
                None => 0,
            };
            m.word(lm + 3 * w, next);
            m.word(lm + 4 * w, if i == 0 { 0 } else { lms[i - 1] });
        }
        let auxv = vec![(AT_PHDR, phdr), (AT_PHNUM, 2), (AT_PHENT, entsize)];
        (m, auxv)
    }

    const EXPECTED: &str = "<library-list-svr4 version=\"1.0\" main-lm=\"0x6000\"><library name=\"/lib/libc.so.6\" lm=\"0x6100\" l_addr=\"0x100\" l_ld=\"0x8001\" lmid=\"0x5000\"/><library name=\"/lib/a&amp;b.so\" lm=\"0x6200\" l_addr=\"0x200\" l_ld=\"0x8002\" lmid=\"0x5000\"/></library-list-svr4>";

    #[test]
    fn walks_64_bit_little_endian() {
        let fmt = WordFormat {
            size: 8,
            big_endian: false,
        };
        let (mut m, auxv) = image(fmt, false);
        assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), EXPECTED);
    }

    #[test]
    fn walks_32_bit_big_endian() {
        let fmt = WordFormat {
            size: 4,
            big_endian: true,
        };
        let (mut m, auxv) = image(fmt, false);
        assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), EXPECTED);
    }

    #[test]
    fn cycles_end_the_walk() {
        let fmt = WordFormat {
            size: 8,
            big_endian: false,
        };
        let (mut m, auxv) = image(fmt, true);
        assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), EXPECTED);
    }

    /// r_version 2 chains a second namespace (`dlmopen`): its libraries
    /// follow, tagged with its own r_debug, first entry included.
    #[test]
    fn walks_every_namespace() {
        for fmt in [
            WordFormat {
                size: 8,
                big_endian: false,
            },
            WordFormat {
                size: 4,
                big_endian: true,
            },
        ] {
            let w = fmt.size as u64;
            let (mut m, auxv) = image(fmt, false);
            // Version 1: r_next is not there, even if the word happens to be set.
            m.word(0x5000 + 5 * w, 0x9000);
            assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), EXPECTED);
            m.half(0x5000, 2);
            m.half(0x9000, 2);
            m.word(0x9000 + w, 0xa000);
            m.word(0x9000 + 5 * w, 0);
            for (i, lm) in [0xa000u64, 0xa100].into_iter().enumerate() {
                m.word(lm, 0x1000 * (i as u64 + 1));
                m.word(lm + w, 0xb000 + 0x100 * i as u64);
                m.string(
                    0xb000 + 0x100 * i as u64,
                    ["/lib/ns1.so", "/lib/libc.so.6"][i],
                );
                m.word(lm + 2 * w, 0xc000 + i as u64);
                m.word(lm + 3 * w, if i == 0 { 0xa100 } else { 0 });
                m.word(lm + 4 * w, if i == 0 { 0 } else { 0xa000 });
            }
            let second = "<library name=\"/lib/ns1.so\" lm=\"0xa000\" l_addr=\"0x1000\" l_ld=\"0xc000\" lmid=\"0x9000\"/><library name=\"/lib/libc.so.6\" lm=\"0xa100\" l_addr=\"0x2000\" l_ld=\"0xc001\" lmid=\"0x9000\"/>";
            let expected = EXPECTED.replace("</library-list", &format!("{second}</library-list"));
            assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), expected);
            // A chain that loops back ends instead of repeating.
            m.word(0x9000 + 5 * w, 0x5000);
            assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), expected);
        }
    }

    /// `start`/`prev`: the tail of the list from `start`, checked against
    /// `prev`, tagged with the lmid gdb gave.
    #[test]
    fn windowed_list_from_start() {
        for fmt in [
            WordFormat {
                size: 8,
                big_endian: false,
            },
            WordFormat {
                size: 4,
                big_endian: true,
            },
        ] {
            let (mut m, _) = image(fmt, false);
            let from = |lm, prev| ListFrom {
                lm,
                prev,
                lmid: 0x5000,
            };
            let last = "<library name=\"/lib/a&amp;b.so\" lm=\"0x6200\" l_addr=\"0x200\" l_ld=\"0x8002\" lmid=\"0x5000\"/>";
            let open = "<library-list-svr4 version=\"1.0\">";
            let close = "</library-list-svr4>";
            assert_eq!(
                libraries_from(&mut m, fmt, from(0x6200, 0x6100)),
                format!("{open}{last}{close}")
            );
            // From the second entry: both libraries, no main-lm.
            let both = libraries_from(&mut m, fmt, from(0x6100, 0x6000));
            assert_eq!(both, EXPECTED.replace(" main-lm=\"0x6000\"", ""), "{both}");
            // From the executable itself: its empty name is left out.
            assert_eq!(libraries_from(&mut m, fmt, from(0x6000, 0)), both);
            // gdb's idea of the previous entry is stale: nothing.
            assert_eq!(
                libraries_from(&mut m, fmt, from(0x6200, 0x6000)),
                format!("{open}{close}")
            );
            // An address that is no link_map: nothing, no error.
            assert_eq!(
                libraries_from(&mut m, fmt, from(0xdead_0000, 0)),
                format!("{open}{close}")
            );
        }
    }

    #[test]
    fn before_the_dynamic_linker_ran() {
        let fmt = WordFormat {
            size: 8,
            big_endian: false,
        };
        let (mut m, auxv) = image(fmt, false);
        m.word(0x1000_2000 + 24, 0); // DT_DEBUG still 0
        assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), EMPTY);
        assert!(libraries_svr4_xml(&mut m, &[], fmt).is_err());
    }

    #[test]
    fn no_debug_entry_is_an_error() {
        let fmt = WordFormat {
            size: 8,
            big_endian: false,
        };
        let (mut m, auxv) = image(fmt, false);
        m.word(0x1000_2000 + 16, 0); // DT_NULL where DT_DEBUG was
        assert_eq!(
            libraries_svr4_xml(&mut m, &auxv, fmt),
            Err(Svr4Error::NoDebugEntry)
        );
    }

    #[test]
    fn mips_rld_map_rel() {
        let fmt = WordFormat {
            size: 4,
            big_endian: true,
        };
        let (mut m, auxv) = image(fmt, false);
        let entry = 0x1000_2000 + 8;
        m.word(entry, DT_MIPS_RLD_MAP_REL);
        m.word(entry + 4, 0x100); // the word at entry + 0x100 holds &r_debug
        m.word(entry + 0x100, 0x5000);
        assert_eq!(libraries_svr4_xml(&mut m, &auxv, fmt).unwrap(), EXPECTED);
    }

    #[test]
    fn own_process_lists_libc() {
        use std::os::unix::fs::FileExt;
        let fmt = WordFormat::native();
        let auxv =
            crate::inferior::auxv::parse_auxv(&std::fs::read("/proc/self/auxv").unwrap(), fmt);
        let mem = std::fs::File::open("/proc/self/mem").unwrap();
        let mut reader = |addr: u64, buf: &mut [u8]| {
            mem.read_exact_at(buf, addr)
                .map_err(|_| MemoryReadError { addr })
        };
        let xml = libraries_svr4_xml(&mut reader, &auxv, fmt).unwrap();
        assert!(xml.contains("libc.so"), "{xml}");
    }
}
