//! Just enough ELF to find a symbol's value in a shared object or an
//! executable: the header, section headers, `.dynsym` (or, for static
//! executables, which have no dynamic symbols, `.symtab`) and its string
//! table, for 32- and 64-bit objects of either byte order. Pure code over
//! the file's bytes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Format {
    wide: bool,
    big: bool,
}

impl Format {
    fn u16(&self, data: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 2] = data.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        } as u64)
    }

    fn u32(&self, data: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as u64)
    }

    fn u64(&self, data: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
        Some(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// An address-sized field.
    fn word(&self, data: &[u8], at: usize) -> Option<u64> {
        if self.wide {
            self.u64(data, at)
        } else {
            self.u32(data, at)
        }
    }
}

const SHT_SYMTAB: u64 = 2;
const SHT_DYNSYM: u64 = 11;

fn format_of(elf: &[u8]) -> Option<Format> {
    if elf.get(..4)? != b"\x7fELF" {
        return None;
    }
    Some(Format {
        wide: *elf.get(4)? == 2,
        big: *elf.get(5)? == 2,
    })
}

/// The entry point (`e_entry`) of an ELF file: with the process's AT_ENTRY
/// it gives the load bias of a position-independent executable.
pub fn entry_point(elf: &[u8]) -> Option<u64> {
    format_of(elf)?.word(elf, 0x18)
}

/// The values of the named dynamic symbols (relative to the load base),
/// in the order asked; None for those not found. None overall if the
/// bytes are not an ELF file we can read.
pub fn dynamic_symbols(elf: &[u8], names: &[&str]) -> Option<Vec<Option<u64>>> {
    symbols_in(elf, names, SHT_DYNSYM)
}

/// The same from the full symbol table (`.symtab`), which is where a
/// static executable keeps glibc's symbols (unless stripped).
pub fn static_symbols(elf: &[u8], names: &[&str]) -> Option<Vec<Option<u64>>> {
    symbols_in(elf, names, SHT_SYMTAB)
}

fn symbols_in(elf: &[u8], names: &[&str], table: u64) -> Option<Vec<Option<u64>>> {
    let format = format_of(elf)?;
    let (shoff, shentsize, shnum) = if format.wide {
        (
            format.u64(elf, 0x28)?,
            format.u16(elf, 0x3a)?,
            format.u16(elf, 0x3c)?,
        )
    } else {
        (
            format.u32(elf, 0x20)?,
            format.u16(elf, 0x2e)?,
            format.u16(elf, 0x30)?,
        )
    };
    let section = |index: u64| -> Option<(u64, u64, u64, u64, u64)> {
        let at = usize::try_from(shoff.checked_add(index.checked_mul(shentsize)?)?).ok()?;
        let kind = format.u32(elf, at + 4)?;
        if format.wide {
            Some((
                kind,
                format.u64(elf, at + 0x18)?,
                format.u64(elf, at + 0x20)?,
                format.u32(elf, at + 0x28)?,
                format.u64(elf, at + 0x38)?,
            ))
        } else {
            Some((
                kind,
                format.u32(elf, at + 0x10)?,
                format.u32(elf, at + 0x14)?,
                format.u32(elf, at + 0x18)?,
                format.u32(elf, at + 0x24)?,
            ))
        }
    };
    let (symtab_offset, symtab_size, strtab_index, entsize) = (0..shnum)
        .filter_map(section)
        .find(|(kind, ..)| *kind == table)
        .map(|(_, offset, size, link, entsize)| (offset, size, link, entsize))?;
    let (_, strtab_offset, strtab_size, _, _) = section(strtab_index)?;
    let strings = elf.get(
        usize::try_from(strtab_offset).ok()?..usize::try_from(strtab_offset + strtab_size).ok()?,
    )?;
    let entsize = if entsize == 0 {
        if format.wide {
            24
        } else {
            16
        }
    } else {
        entsize
    };
    let mut found = vec![None; names.len()];
    let count = symtab_size / entsize;
    for i in 0..count {
        let at = usize::try_from(symtab_offset + i * entsize).ok()?;
        let name_at = format.u32(elf, at)? as usize;
        let value = if format.wide {
            format.word(elf, at + 8)?
        } else {
            format.word(elf, at + 4)?
        };
        let Some(name) = strings
            .get(name_at..)
            .and_then(|s| s.split(|&b| b == 0).next())
        else {
            continue;
        };
        if let Some(slot) = names.iter().position(|n| n.as_bytes() == name) {
            found[slot] = Some(value);
        }
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_symbols_in_this_systems_libc() {
        let Ok(libc) = std::fs::read("/lib/x86_64-linux-gnu/libc.so.6")
            .or_else(|_| std::fs::read("/lib64/libc.so.6"))
        else {
            // Another layout: the synthetic test below still runs.
            return;
        };
        let found = dynamic_symbols(&libc, &["malloc", "no_such_symbol_here"]).unwrap();
        assert!(found[0].is_some_and(|v| v > 0));
        assert_eq!(found[1], None);
    }

    /// A tiny ELF of the given class and byte order with a symbol table
    /// (section type `table`) of one symbol.
    fn synthetic(big: bool, wide: bool, table: u64) -> Vec<u8> {
        let put = |buf: &mut Vec<u8>, at: usize, value: u64, size: usize| {
            let bytes = if big {
                value.to_be_bytes()
            } else {
                value.to_le_bytes()
            };
            let bytes = if big {
                &bytes[8 - size..]
            } else {
                &bytes[..size]
            };
            buf[at..at + size].copy_from_slice(bytes);
        };
        let (ehsize, shentsize, symsize) = if wide { (64, 64, 24) } else { (52, 40, 16) };
        let strtab = b"\0the_symbol\0".to_vec();
        let strtab_off = ehsize;
        let symtab_off = strtab_off + strtab.len();
        let shoff = symtab_off + 2 * symsize;
        let mut elf = vec![0u8; shoff + 3 * shentsize];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = if wide { 2 } else { 1 };
        elf[5] = if big { 2 } else { 1 };
        elf[strtab_off..strtab_off + strtab.len()].copy_from_slice(&strtab);
        // Symbol 1: name at 1, value 0x1234.
        let sym = symtab_off + symsize;
        put(&mut elf, sym, 1, 4);
        if wide {
            put(&mut elf, sym + 8, 0x1234, 8);
        } else {
            put(&mut elf, sym + 4, 0x1234, 4);
        }
        if wide {
            put(&mut elf, 0x18, 0x401000, 8);
            put(&mut elf, 0x28, shoff as u64, 8);
            put(&mut elf, 0x3a, shentsize as u64, 2);
            put(&mut elf, 0x3c, 3, 2);
        } else {
            put(&mut elf, 0x18, 0x401000, 4);
            put(&mut elf, 0x20, shoff as u64, 4);
            put(&mut elf, 0x2e, shentsize as u64, 2);
            put(&mut elf, 0x30, 3, 2);
        }
        // Section 1: .dynsym linking to section 2: .dynstr.
        let s1 = shoff + shentsize;
        let s2 = shoff + 2 * shentsize;
        put(&mut elf, s1 + 4, table, 4);
        put(&mut elf, s2 + 4, 3, 4);
        if wide {
            put(&mut elf, s1 + 0x18, symtab_off as u64, 8);
            put(&mut elf, s1 + 0x20, 2 * symsize as u64, 8);
            put(&mut elf, s1 + 0x28, 2, 4);
            put(&mut elf, s1 + 0x38, symsize as u64, 8);
            put(&mut elf, s2 + 0x18, strtab_off as u64, 8);
            put(&mut elf, s2 + 0x20, strtab.len() as u64, 8);
        } else {
            put(&mut elf, s1 + 0x10, symtab_off as u64, 4);
            put(&mut elf, s1 + 0x14, 2 * symsize as u64, 4);
            put(&mut elf, s1 + 0x18, 2, 4);
            put(&mut elf, s1 + 0x24, symsize as u64, 4);
            put(&mut elf, s2 + 0x10, strtab_off as u64, 4);
            put(&mut elf, s2 + 0x14, strtab.len() as u64, 4);
        }
        elf
    }

    #[test]
    fn every_class_and_byte_order() {
        for big in [false, true] {
            for wide in [false, true] {
                let elf = synthetic(big, wide, SHT_DYNSYM);
                let found = dynamic_symbols(&elf, &["the_symbol", "other"]).unwrap();
                assert_eq!(found, [Some(0x1234), None], "big {big} wide {wide}");
                assert_eq!(entry_point(&elf), Some(0x401000));
                // Only the table asked for is searched.
                assert!(static_symbols(&elf, &["the_symbol"]).is_none());
                let elf = synthetic(big, wide, SHT_SYMTAB);
                let found = static_symbols(&elf, &["the_symbol"]).unwrap();
                assert_eq!(found, [Some(0x1234)], "big {big} wide {wide}");
                assert!(dynamic_symbols(&elf, &["the_symbol"]).is_none());
            }
        }
        assert!(dynamic_symbols(b"not elf", &["x"]).is_none());
        assert!(dynamic_symbols(b"\x7fELF\x02\x01", &["x"]).is_none());
    }
}
