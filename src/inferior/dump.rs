//! Server-side memory dumps behind `monitor dump-memory` and `monitor
//! dump-maps`: the target's memory written to files on the server's host,
//! without hex-encoding it through gdb's packets.
//!
//! Rules, the same for both commands:
//! - Files are created with `O_CREAT|O_EXCL` (mode 0600: dumps may hold the
//!   target's secrets); an existing file is never overwritten or truncated.
//! - A file is complete or absent. A range that is not wholly mapped is
//!   refused before anything is created; if reading fails part-way (memory
//!   the kernel will not hand out, such as `[vvar]` or a file mapping past
//!   the end of its file) the partial file is removed and the error names
//!   the first unreadable address.
//! - Memory is read as the program sees it (breakpoint bytes hidden), in
//!   4 MiB chunks through the caller's reader (`Process::read_memory`:
//!   `process_vm_readv`, falling back to /proc/PID/mem).
//! - `dump-maps` skips mappings without read permission (guard pages and
//!   address-space reservations, which ptrace could read but only as pages
//!   faulted in for the occasion) and mappings that fail to read, and lists
//!   them; it writes into a new or empty directory only.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::maps::{self, MapEntry};

/// Largest range one file may hold.
pub const MAX_DUMP: u64 = 64 << 30;
/// Bytes read from the target per step.
const CHUNK: usize = 4 << 20;

/// Reads target memory: the number of bytes read from the start of `buf`
/// (fewer when the range runs into unreadable memory), `None` when none.
pub type Reader<'a> = dyn Fn(u64, &mut [u8]) -> Option<usize> + 'a;

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("END {end:#x} is below START {start:#x}")]
    Reversed { start: u64, end: u64 },
    #[error("{size:#x} bytes is more than the {MAX_DUMP:#x}-byte limit")]
    TooLarge { size: u64 },
    #[error("{} already exists; not overwriting it", .0.display())]
    Exists(PathBuf),
    #[error("cannot create {}: {source}", path.display())]
    Create { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("Cannot access memory at address {addr:#x}")]
    Unreadable { addr: u64 },
    #[error("{} exists and is not an empty directory", .0.display())]
    DirNotEmpty(PathBuf),
    #[error("cannot use directory {}: {source}", path.display())]
    Dir { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Maps(#[from] maps::MapsError),
}

/// Parse `0x`-prefixed hex or plain decimal.
pub fn parse_address(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(hex, 16).ok()
        }
        Some(_) => None,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        None => None,
    }
}

/// The first address of `[start, end)` that no mapping covers.
pub fn first_gap(entries: &[MapEntry], start: u64, end: u64) -> Option<u64> {
    let mut addr = start;
    while addr < end {
        match maps::find(entries, addr) {
            Some(e) => addr = e.end,
            None => return Some(addr),
        }
    }
    None
}

/// A new file for the server to write (O_EXCL, mode 0600): never one that
/// exists. Core files (`inferior::core`) are made with it too.
pub fn create_new(path: &Path) -> Result<File, DumpError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => DumpError::Exists(path.to_path_buf()),
            _ => DumpError::Create {
                path: path.to_path_buf(),
                source,
            },
        })
}

/// Copy `[start, end)` from the target into `file`.
fn copy_range(
    read: &Reader<'_>,
    file: &mut File,
    path: &Path,
    start: u64,
    end: u64,
) -> Result<(), DumpError> {
    let size = end - start;
    let mut buf = vec![0u8; CHUNK.min(size as usize)];
    let mut addr = start;
    while addr < end {
        let n = buf.len().min((end - addr) as usize);
        let chunk = &mut buf[..n];
        let mut done = 0;
        while done < n {
            match read(addr + done as u64, &mut chunk[done..]) {
                Some(got) if got > 0 => done += got,
                _ => {
                    return Err(DumpError::Unreadable {
                        addr: addr + done as u64,
                    })
                }
            }
        }
        file.write_all(chunk).map_err(|source| DumpError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        addr += n as u64;
    }
    Ok(())
}

/// Write `[start, end)` to the new file `path`; the number of bytes written.
/// `entries` (the target's mappings) let an unmapped range fail before the
/// file is created.
pub fn dump_memory(
    read: &Reader<'_>,
    entries: &[MapEntry],
    path: &Path,
    start: u64,
    end: u64,
) -> Result<u64, DumpError> {
    if end < start {
        return Err(DumpError::Reversed { start, end });
    }
    let size = end - start;
    if size > MAX_DUMP {
        return Err(DumpError::TooLarge { size });
    }
    if let Some(addr) = first_gap(entries, start, end) {
        return Err(DumpError::Unreadable { addr });
    }
    let mut file = create_new(path)?;
    match copy_range(read, &mut file, path, start, end) {
        Ok(()) => Ok(size),
        Err(e) => {
            // Ours: created above with O_EXCL.
            drop(file);
            let _ = std::fs::remove_file(path);
            Err(e)
        }
    }
}

/// `START-END_PERMS_NAME.bin` for one mapping: addresses as zero-padded hex
/// (so `ls` sorts by address), the name reduced to `[A-Za-z0-9._+-]`, keeping
/// its end (the file name) when long.
pub fn file_name(entry: &MapEntry) -> String {
    let p = entry.perms;
    let perms = format!(
        "{}{}{}{}",
        if p.read { 'r' } else { '-' },
        if p.write { 'w' } else { '-' },
        if p.exec { 'x' } else { '-' },
        if p.shared { 's' } else { 'p' },
    );
    let mut name = String::new();
    for c in entry.path.as_deref().unwrap_or("anon").chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-');
        let c = if keep { c } else { '_' };
        if !(c == '_' && (name.is_empty() || name.ends_with('_'))) {
            name.push(c);
        }
    }
    let name = name.trim_end_matches('_');
    let name = if name.is_empty() { "anon" } else { name };
    // Characters are ASCII here, so byte slicing is safe.
    let name = &name[name.len().saturating_sub(100)..];
    format!("{:012x}-{:012x}_{perms}_{name}.bin", entry.start, entry.end)
}

/// What `dump_maps` did.
#[derive(Debug, Default)]
pub struct MapsDump {
    /// Files written: name and size.
    pub written: Vec<(String, u64)>,
    /// Mappings not written: their maps line and why.
    pub skipped: Vec<(String, String)>,
}

impl MapsDump {
    pub fn bytes(&self) -> u64 {
        self.written.iter().map(|(_, n)| n).sum()
    }
}

/// Make `dir` if needed; it must end up an empty directory.
fn prepare_dir(dir: &Path) -> Result<(), DumpError> {
    let dir_err = |source| DumpError::Dir {
        path: dir.to_path_buf(),
        source,
    };
    match std::fs::read_dir(dir) {
        Ok(mut contents) => {
            if contents.next().is_some() {
                return Err(DumpError::DirNotEmpty(dir.to_path_buf()));
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(dir_err)
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
            Err(DumpError::DirNotEmpty(dir.to_path_buf()))
        }
        Err(e) => Err(dir_err(e)),
    }
}

fn write_new(path: &Path, data: &[u8]) -> Result<(), DumpError> {
    create_new(path)?
        .write_all(data)
        .map_err(|source| DumpError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Write each readable mapping in `maps_text` (the target's /proc/PID/maps)
/// to its own file in `dir`, with `maps.txt` (the text verbatim) and
/// `index.txt` (file, size or reason skipped, and maps line for every
/// mapping). Stops at the first error on the server's side (disk full);
/// files already written stay, each complete.
pub fn dump_maps(read: &Reader<'_>, maps_text: &str, dir: &Path) -> Result<MapsDump, DumpError> {
    let entries = maps::parse_maps(maps_text)?;
    prepare_dir(dir)?;
    write_new(&dir.join("maps.txt"), maps_text.as_bytes())?;
    let lines = maps_text.lines().filter(|l| !l.is_empty());
    let mut report = MapsDump::default();
    let mut index = String::from(
        "# one line per mapping in maps.txt: FILE<TAB>BYTES<TAB>MAPS LINE, or -<TAB>skipped: REASON<TAB>MAPS LINE\n",
    );
    for (entry, line) in entries.iter().zip(lines) {
        let size = entry.end.saturating_sub(entry.start);
        let skip = if !entry.perms.read {
            Some("no read permission".to_string())
        } else if size > MAX_DUMP {
            Some(format!("larger than {MAX_DUMP:#x} bytes"))
        } else {
            None
        };
        let outcome = match skip {
            Some(reason) => Err(reason),
            None => {
                let name = file_name(entry);
                let path = dir.join(&name);
                match dump_memory(read, &entries, &path, entry.start, entry.end) {
                    Ok(n) => Ok((name, n)),
                    Err(e @ DumpError::Unreadable { .. }) => Err(e.to_string()),
                    Err(e) => return Err(e),
                }
            }
        };
        match outcome {
            Ok((name, n)) => {
                index.push_str(&format!("{name}\t{n}\t{line}\n"));
                report.written.push((name, n));
            }
            Err(reason) => {
                index.push_str(&format!("-\tskipped: {reason}\t{line}\n"));
                report.skipped.push((line.to_string(), reason));
            }
        }
    }
    write_new(&dir.join("index.txt"), index.as_bytes())?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
1000-3000 rw-p 00000000 00:00 0 /tmp/a b(deleted)
3000-4000 ---p 00000000 00:00 0
5000-6000 r--p 00000000 00:00 0                  [vvar]
";

    /// Memory 0x1000..0x4000 holds the low byte of each address; 0x5000
    /// is mapped but unreadable; reads return at most 0x700 bytes at a time.
    fn fake(addr: u64, buf: &mut [u8]) -> Option<usize> {
        if !(0x1000..0x4000).contains(&addr) {
            return None;
        }
        let n = buf.len().min((0x4000 - addr) as usize).min(0x700);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = (addr + i as u64) as u8;
        }
        Some(n)
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_address("0x10"), Some(16));
        assert_eq!(parse_address("0XfF"), Some(255));
        assert_eq!(parse_address("4096"), Some(4096));
        assert_eq!(parse_address("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "0x",
            "-1",
            "1e3",
            "0x1g",
            "18446744073709551616",
            "&buf",
        ] {
            assert_eq!(parse_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn gaps() {
        let entries = maps::parse_maps(MAPS).unwrap();
        assert_eq!(first_gap(&entries, 0x1000, 0x4000), None);
        assert_eq!(first_gap(&entries, 0x2000, 0x5800), Some(0x4000));
        assert_eq!(first_gap(&entries, 0x800, 0x1000), Some(0x800));
        assert_eq!(first_gap(&entries, 0x1000, 0x1000), None);
    }

    #[test]
    fn dump_memory_rules() {
        let dir = tempfile::tempdir().unwrap();
        let entries = maps::parse_maps(MAPS).unwrap();
        let path = dir.path().join("out");
        assert_eq!(
            dump_memory(&fake, &entries, &path, 0x1100, 0x2f00).unwrap(),
            0x1e00
        );
        let data = std::fs::read(&path).unwrap();
        assert_eq!(data.len(), 0x1e00);
        assert!(data
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (0x1100 + i) as u8));
        // Never overwritten.
        assert!(matches!(
            dump_memory(&fake, &entries, &path, 0x1000, 0x1001),
            Err(DumpError::Exists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), data);
        // Refused before a file exists.
        let other = dir.path().join("other");
        for (start, end) in [(0x2000, 0x1000), (0, MAX_DUMP + 1), (0x3000, 0x4800)] {
            assert!(dump_memory(&fake, &entries, &other, start, end).is_err());
            assert!(!other.exists());
        }
        // Mapped but unreadable part-way: the partial file goes.
        let err = dump_memory(&fake, &entries, &other, 0x5000, 0x5001).unwrap_err();
        assert_eq!(err.to_string(), "Cannot access memory at address 0x5000");
        assert!(!other.exists());
        // Empty range: an empty file.
        assert_eq!(
            dump_memory(&fake, &entries, &other, 0x1000, 0x1000).unwrap(),
            0
        );
        assert_eq!(std::fs::metadata(&other).unwrap().len(), 0);
    }

    #[test]
    fn file_names() {
        let entries = maps::parse_maps(MAPS).unwrap();
        assert_eq!(
            file_name(&entries[0]),
            "000000001000-000000003000_rw-p_tmp_a_b_deleted.bin"
        );
        assert_eq!(
            file_name(&entries[1]),
            "000000003000-000000004000_---p_anon.bin"
        );
        assert_eq!(
            file_name(&entries[2]),
            "000000005000-000000006000_r--p_vvar.bin"
        );
        let long = MapEntry {
            path: Some(format!("/{}/lib.so", "d".repeat(300))),
            ..entries[0].clone()
        };
        assert!(file_name(&long).ends_with("dddd_lib.so.bin"));
        assert!(file_name(&long).len() < 150);
    }

    #[test]
    fn dump_maps_rules() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("new/dir");
        let report = dump_maps(&fake, MAPS, &dir).unwrap();
        assert_eq!(report.written.len(), 1);
        assert_eq!(report.bytes(), 0x2000);
        assert_eq!(report.skipped.len(), 2);
        assert_eq!(report.skipped[0].1, "no read permission");
        assert_eq!(
            report.skipped[1].1,
            "Cannot access memory at address 0x5000"
        );
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "000000001000-000000003000_rw-p_tmp_a_b_deleted.bin",
                "index.txt",
                "maps.txt"
            ]
        );
        assert_eq!(std::fs::read_to_string(dir.join("maps.txt")).unwrap(), MAPS);
        let index = std::fs::read_to_string(dir.join("index.txt")).unwrap();
        assert!(index.contains("\t8192\t1000-3000 rw-p"), "{index}");
        assert!(
            index.contains("-\tskipped: no read permission\t3000-4000 ---p"),
            "{index}"
        );
        // A non-empty directory, or a file, is refused.
        assert!(matches!(
            dump_maps(&fake, MAPS, &dir),
            Err(DumpError::DirNotEmpty(_))
        ));
        let file = dir.join("maps.txt");
        assert!(matches!(
            dump_maps(&fake, MAPS, &file),
            Err(DumpError::DirNotEmpty(_))
        ));
        // An empty existing directory is used.
        let empty = top.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(dump_maps(&fake, MAPS, &empty).is_ok());
    }
}
