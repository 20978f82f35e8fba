//! /proc/PID/maps: parsing its lines, gdb's memory-map XML made from them,
//! and the region around an address (a mapping, or the gap between two)
//! that lldb's `qMemoryRegionInfo` asks for.

use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub shared: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    pub start: u64,
    pub end: u64,
    pub perms: Perms,
    pub offset: u64,
    pub dev: String,
    pub inode: u64,
    /// The path or pseudo-name (`[stack]`); may contain spaces.
    pub path: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed maps line {line_number}: {line:?}")]
pub struct MapsError {
    pub line_number: usize,
    pub line: String,
}

fn parse_line(line: &str) -> Option<MapEntry> {
    let mut rest = line;
    let mut field = || {
        let trimmed = rest.trim_start_matches(' ');
        let end = trimmed.find(' ').unwrap_or(trimmed.len());
        let (word, tail) = trimmed.split_at(end);
        rest = tail;
        (!word.is_empty()).then_some(word)
    };
    let (start, end) = field()?.split_once('-')?;
    let perms = field()?.as_bytes();
    let offset = field()?;
    let dev = field()?;
    let inode = field()?;
    if perms.len() != 4 {
        return None;
    }
    let path = rest.trim_start_matches(' ');
    Some(MapEntry {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        perms: Perms {
            read: perms[0] == b'r',
            write: perms[1] == b'w',
            exec: perms[2] == b'x',
            shared: perms[3] == b's',
        },
        offset: u64::from_str_radix(offset, 16).ok()?,
        dev: dev.to_string(),
        inode: inode.parse().ok()?,
        path: (!path.is_empty()).then(|| path.to_string()),
    })
}

pub fn parse_maps(text: &str) -> Result<Vec<MapEntry>, MapsError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| {
            parse_line(line).ok_or_else(|| MapsError {
                line_number: i + 1,
                line: line.to_string(),
            })
        })
        .collect()
}

pub fn find(entries: &[MapEntry], addr: u64) -> Option<&MapEntry> {
    entries.iter().find(|e| e.start <= addr && addr < e.end)
}

/// The region containing `addr`: its start and end (exclusive; `None`
/// past the top of the address space) and the mapping there, or `None` for
/// the unmapped gap between the mappings around it.
pub fn region_around(entries: &[MapEntry], addr: u64) -> (u64, Option<u64>, Option<&MapEntry>) {
    if let Some(entry) = find(entries, addr) {
        return (entry.start, Some(entry.end), Some(entry));
    }
    let start = entries
        .iter()
        .map(|e| e.end)
        .filter(|&end| end <= addr)
        .max()
        .unwrap_or(0);
    let end = entries.iter().map(|e| e.start).filter(|&s| s > addr).min();
    (start, end, None)
}

/// gdb's memory-map document: every region RAM (process memory is never
/// flash or ROM to gdb), sorted by address.
pub fn memory_map_xml(entries: &[MapEntry]) -> String {
    let mut sorted: Vec<&MapEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.start);
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\" \"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n<memory-map>\n",
    );
    for e in sorted {
        let _ = writeln!(
            xml,
            "  <memory type=\"ram\" start=\"{:#x}\" length=\"{:#x}\"/>",
            e.start,
            e.end.saturating_sub(e.start)
        );
    }
    xml.push_str("</memory-map>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
55d0c0a00000-55d0c0a01000 r--p 00000000 fe:01 1311   /usr/bin/my prog
7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0                          [stack]
7f0000000000-7f0000001000 rw-s 00001000 00:05 42    /dev/shm/x (deleted)
7f0000002000-7f0000003000 ---p 00000000 00:00 0
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

    #[test]
    fn parses_real_looking_lines() {
        let maps = parse_maps(SAMPLE).unwrap();
        assert_eq!(maps.len(), 5);
        assert_eq!(maps[0].path.as_deref(), Some("/usr/bin/my prog"));
        assert!(maps[0].perms.read && !maps[0].perms.write);
        assert_eq!(maps[1].path.as_deref(), Some("[stack]"));
        assert!(maps[2].perms.shared);
        assert_eq!(maps[2].offset, 0x1000);
        assert_eq!(maps[2].path.as_deref(), Some("/dev/shm/x (deleted)"));
        assert_eq!(maps[3].path, None);
        assert_eq!(maps[4].start, 0xffffffffff600000);
        assert_eq!(
            find(&maps, 0x7ffd1c000010).unwrap().path.as_deref(),
            Some("[stack]")
        );
        assert!(find(&maps, 0x10).is_none());
    }

    #[test]
    fn regions_and_gaps() {
        let maps = parse_maps(SAMPLE).unwrap();
        let (start, end, entry) = region_around(&maps, 0x7ffd1c000010);
        assert_eq!((start, end), (0x7ffd1c000000, Some(0x7ffd1c021000)));
        assert_eq!(entry.unwrap().path.as_deref(), Some("[stack]"));
        // Below the first mapping: from 0 to it.
        assert_eq!(region_around(&maps, 0x10), (0, Some(0x55d0c0a00000), None));
        // Between two mappings (the list is not sorted).
        assert_eq!(
            region_around(&maps, 0x7f0000001000),
            (0x7f0000001000, Some(0x7f0000002000), None)
        );
        // Above the last one: to the top of the address space.
        assert_eq!(
            region_around(&maps, 0xffffffffff601000),
            (0xffffffffff601000, None, None)
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        let err = parse_maps("00400000-00401000 r-xp 0 08:01\n").unwrap_err();
        assert_eq!(err.line_number, 1);
        assert!(parse_maps("zz-10 r--p 0 0:0 0\n").is_err());
        assert!(parse_maps("10-20 r--pX 0 0:0 0\n").is_err());
    }

    #[test]
    fn own_maps_and_xml() {
        let own = parse_maps(&std::fs::read_to_string("/proc/self/maps").unwrap()).unwrap();
        assert!(own.iter().any(|e| e.path.as_deref() == Some("[stack]")));
        let xml = memory_map_xml(&parse_maps(SAMPLE).unwrap());
        assert!(xml.contains("<memory type=\"ram\" start=\"0x55d0c0a00000\" length=\"0x1000\"/>"));
        assert!(xml.find("0x55d0c0a00000").unwrap() < xml.find("0x7f0000000000").unwrap());
        assert!(!xml.contains("rom") && !xml.contains("flash"));
    }
}
