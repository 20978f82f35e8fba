//! The auxiliary vector (/proc/PID/auxv) as (type, value) pairs, for any
//! word size and byte order, since the same server code serves 32-bit
//! big-endian MIPS as well as x86_64.

pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_BASE: u64 = 7;
pub const AT_ENTRY: u64 = 9;
/// The second word of CPU capability bits (arm64's HWCAP2_MTE is here).
pub const AT_HWCAP2: u64 = 26;

/// How the target stores a machine word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordFormat {
    pub size: usize,
    pub big_endian: bool,
}

impl WordFormat {
    pub const fn native() -> WordFormat {
        WordFormat {
            size: std::mem::size_of::<usize>(),
            big_endian: cfg!(target_endian = "big"),
        }
    }

    /// Read one word from the start of `bytes`.
    pub fn read_word(&self, bytes: &[u8]) -> Option<u64> {
        let bytes = bytes.get(..self.size)?;
        let mut value = 0u64;
        if self.big_endian {
            for &b in bytes {
                value = value << 8 | b as u64;
            }
        } else {
            for &b in bytes.iter().rev() {
                value = value << 8 | b as u64;
            }
        }
        Some(value)
    }
}

/// Parse up to AT_NULL; a truncated final entry is ignored.
pub fn parse_auxv(bytes: &[u8], format: WordFormat) -> Vec<(u64, u64)> {
    let mut entries = Vec::new();
    for entry in bytes.chunks_exact(2 * format.size) {
        let (Some(kind), Some(value)) = (
            format.read_word(entry),
            format.read_word(&entry[format.size..]),
        ) else {
            break;
        };
        if kind == AT_NULL {
            break;
        }
        entries.push((kind, value));
    }
    entries
}

pub fn lookup(entries: &[(u64, u64)], kind: u64) -> Option<u64> {
    entries.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_32_bit() {
        let bytes = [
            0, 0, 0, 3, 0, 1, 0, 0x34, 0, 0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
        ];
        let fmt = WordFormat {
            size: 4,
            big_endian: true,
        };
        let entries = parse_auxv(&bytes, fmt);
        assert_eq!(entries, vec![(AT_PHDR, 0x10034), (AT_PHNUM, 9)]);
        assert_eq!(lookup(&entries, AT_PHNUM), Some(9));
        assert_eq!(lookup(&entries, AT_BASE), None);
    }

    #[test]
    fn own_auxv() {
        let bytes = std::fs::read("/proc/self/auxv").unwrap();
        let entries = parse_auxv(&bytes, WordFormat::native());
        assert!(lookup(&entries, AT_PHDR).is_some());
        assert!(lookup(&entries, AT_ENTRY).is_some());
        // Truncation never panics.
        for cut in 0..bytes.len().min(100) {
            parse_auxv(&bytes[..cut], WordFormat::native());
        }
    }
}
