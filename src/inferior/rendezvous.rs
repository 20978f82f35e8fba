//! Where the program keeps its pointer to the dynamic linker's `r_debug`
//! (the "rendezvous" structure): the value word of its DT_DEBUG dynamic
//! entry, or the word that MIPS's DT_MIPS_RLD_MAP / DT_MIPS_RLD_MAP_REL
//! names. lldb's `qShlibInfoAddr` asks for exactly this location and reads
//! the pointer there itself, each time it looks (before the dynamic linker
//! runs the word is 0, and lldb waits); it is not `r_debug`'s own address,
//! which lldb would misread as the pointer.
//!
//! Found from the program headers in memory (AT_PHDR, the load bias from
//! PT_PHDR, then PT_DYNAMIC), for any word size and byte order. The walk to
//! `r_debug` itself, and the library list, are `svr4`'s.

use super::auxv::{lookup, WordFormat, AT_PHDR, AT_PHENT, AT_PHNUM};
use super::svr4::{ReadMemory, Svr4Error};

const PT_DYNAMIC: u64 = 2;
const PT_PHDR: u64 = 6;
const DT_NULL: u64 = 0;
const DT_DEBUG: u64 = 21;
const DT_MIPS_RLD_MAP: u64 = 0x7000_0016;
const DT_MIPS_RLD_MAP_REL: u64 = 0x7000_0035;
const MAX_DYNAMIC_ENTRIES: u64 = 4096;
const MAX_PROGRAM_HEADERS: u64 = 1024;

fn word(mem: &mut dyn ReadMemory, fmt: WordFormat, addr: u64) -> Option<u64> {
    let mut buf = [0u8; 8];
    mem.read_memory(addr, &mut buf[..fmt.size]).ok()?;
    fmt.read_word(&buf)
}

/// The address of the word that holds (or will hold) `r_debug`'s address.
pub fn r_debug_pointer_location(
    mem: &mut dyn ReadMemory,
    fmt: WordFormat,
    auxv: &[(u64, u64)],
) -> Result<u64, Svr4Error> {
    let dynamic = dynamic_section(mem, fmt, auxv)?;
    let entry_size = 2 * fmt.size as u64;
    for i in 0..MAX_DYNAMIC_ENTRIES {
        let entry = dynamic + i * entry_size;
        let value_at = entry + fmt.size as u64;
        let (Some(tag), Some(value)) = (word(mem, fmt, entry), word(mem, fmt, value_at)) else {
            return Err(Svr4Error::NoDebugEntry);
        };
        match tag {
            DT_NULL => break,
            DT_DEBUG => return Ok(value_at),
            DT_MIPS_RLD_MAP => return Ok(value),
            DT_MIPS_RLD_MAP_REL => return Ok(entry.wrapping_add(value)),
            _ => {}
        }
    }
    Err(Svr4Error::NoDebugEntry)
}

/// The run-time address of the program's dynamic section.
fn dynamic_section(
    mem: &mut dyn ReadMemory,
    fmt: WordFormat,
    auxv: &[(u64, u64)],
) -> Result<u64, Svr4Error> {
    let phdr = lookup(auxv, AT_PHDR).ok_or(Svr4Error::MissingAuxv("AT_PHDR"))?;
    let phnum = lookup(auxv, AT_PHNUM)
        .ok_or(Svr4Error::MissingAuxv("AT_PHNUM"))?
        .min(MAX_PROGRAM_HEADERS);
    let wide = fmt.size == 8;
    let entsize = lookup(auxv, AT_PHENT).unwrap_or(if wide { 56 } else { 32 });
    // p_vaddr: after p_type, p_flags, p_offset (64-bit) or p_type, p_offset.
    let vaddr_offset = if wide { 16 } else { 8 };
    let half = WordFormat { size: 4, ..fmt };
    let (mut bias, mut dynamic) = (None, None);
    for i in 0..phnum {
        let header = phdr + i * entsize;
        let p_type = word(mem, half, header).ok_or(Svr4Error::ProgramHeaders(phdr))?;
        let vaddr = word(mem, fmt, header + vaddr_offset).ok_or(Svr4Error::ProgramHeaders(phdr))?;
        match p_type {
            PT_PHDR => bias = Some(phdr.wrapping_sub(vaddr)),
            PT_DYNAMIC => dynamic = Some(vaddr),
            _ => {}
        }
    }
    // No PT_PHDR (ld.so run as the program) or no dynamic section (a
    // static program): no DT_DEBUG to find, as `svr4` also decides.
    match (bias, dynamic) {
        (Some(bias), Some(dynamic)) => Ok(dynamic.wrapping_add(bias)),
        _ => Err(Svr4Error::NoDebugEntry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::svr4::MemoryReadError;
    use std::collections::HashMap;

    /// Words at addresses, in one format.
    struct Words(WordFormat, HashMap<u64, u64>);

    impl ReadMemory for Words {
        fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryReadError> {
            // Only whole words or the low half of a word (p_type).
            let value = *self.1.get(&addr).ok_or(MemoryReadError { addr })?;
            let bytes = if self.0.big_endian {
                value.to_be_bytes()[8 - buf.len()..].to_vec()
            } else {
                value.to_le_bytes()[..buf.len()].to_vec()
            };
            buf.copy_from_slice(&bytes);
            Ok(())
        }
    }

    /// A PIE loaded at `bias` (headers at link address 0x40) whose dynamic
    /// section (link address 0x3000) holds `entries`.
    fn program(fmt: WordFormat, bias: u64, entries: &[(u64, u64)]) -> (Words, Vec<(u64, u64)>) {
        let wide = fmt.size == 8;
        let (entsize, vaddr_at) = if wide { (56, 16) } else { (32, 8) };
        let phdr = bias + 0x40;
        let mut words = HashMap::new();
        for (i, (p_type, vaddr)) in [(PT_PHDR, 0x40), (1, 0), (PT_DYNAMIC, 0x3000)]
            .into_iter()
            .enumerate()
        {
            let header = phdr + i as u64 * entsize;
            // p_type is the first 32-bit half: in a big-endian 64-bit word
            // it would be the high half, so store it as its own word.
            words.insert(header, p_type);
            words.insert(header + vaddr_at, vaddr);
        }
        let dynamic = bias + 0x3000;
        let size = fmt.size as u64;
        for (i, &(tag, value)) in entries.iter().enumerate() {
            words.insert(dynamic + i as u64 * 2 * size, tag);
            words.insert(dynamic + i as u64 * 2 * size + size, value);
        }
        let auxv = vec![(AT_PHDR, phdr), (AT_PHENT, entsize), (AT_PHNUM, 3)];
        (Words(fmt, words), auxv)
    }

    const LE64: WordFormat = WordFormat {
        size: 8,
        big_endian: false,
    };
    const BE32: WordFormat = WordFormat {
        size: 4,
        big_endian: true,
    };

    #[test]
    fn dt_debug_value_word_at_the_load_bias() {
        let bias = 0x5555_5555_4000;
        let (mut mem, auxv) = program(LE64, bias, &[(1, 7), (DT_DEBUG, 0), (DT_NULL, 0)]);
        // The second entry's value word, whether or not ld.so set it yet.
        let expected = bias + 0x3000 + 16 + 8;
        assert_eq!(
            r_debug_pointer_location(&mut mem, LE64, &auxv),
            Ok(expected)
        );
    }

    #[test]
    fn mips_rld_map_entries_32_bit_big_endian() {
        let bias = 0x40_0000;
        let (mut mem, auxv) = program(BE32, bias, &[(DT_MIPS_RLD_MAP, 0x41_0010)]);
        assert_eq!(
            r_debug_pointer_location(&mut mem, BE32, &auxv),
            Ok(0x41_0010)
        );
        let (mut mem, auxv) = program(BE32, bias, &[(5, 0), (DT_MIPS_RLD_MAP_REL, 0x100)]);
        assert_eq!(
            r_debug_pointer_location(&mut mem, BE32, &auxv),
            Ok(bias + 0x3000 + 8 + 0x100)
        );
    }

    #[test]
    fn no_debug_entry_or_no_headers() {
        let (mut mem, auxv) = program(LE64, 0x1000, &[(1, 7), (DT_NULL, 0)]);
        assert_eq!(
            r_debug_pointer_location(&mut mem, LE64, &auxv),
            Err(Svr4Error::NoDebugEntry)
        );
        assert_eq!(
            r_debug_pointer_location(&mut mem, LE64, &[]),
            Err(Svr4Error::MissingAuxv("AT_PHDR"))
        );
        let unreadable = [(AT_PHDR, 0x9999), (AT_PHNUM, 1)];
        assert_eq!(
            r_debug_pointer_location(&mut mem, LE64, &unreadable),
            Err(Svr4Error::ProgramHeaders(0x9999))
        );
    }
}
