//! Thread-local storage addresses for `qGetTLSAddr` (gdb 13 asks the server
//! to resolve `__thread` variables). GNU gdbserver loads libthread_db for
//! this; we read the same facts ourselves: glibc publishes the layout of
//! the structures involved as `_thread_db_*` descriptors in libc.so's
//! dynamic symbols (three u32: size in bits, element count, offset), and
//! from them and the thread pointer we walk the thread's DTV as
//! libthread_db's `td_thr_tlsbase` does.
//!
//! Where the thread descriptor lies depends on glibc's TLS variant: at the
//! thread pointer on x86-64 (variant II), `_thread_db_const_thread_area`
//! bytes below it on arm64 and MIPS (variant I), as libthread_db's
//! `ps_get_thread_area` callbacks in gdbserver compute it.
//!
//! A static executable has no libc.so: glibc's descriptors are in the
//! executable's own symbol table, and gdb, which finds no link map for it,
//! asks with module 0. glibc gives the executable's TLS module id 1 there
//! (`__libc_setup_tls`), which is what GNU gdbserver asks libthread_db for.

use super::elf_symbols;
use super::maps::MapEntry;

/// Where a field lies and how wide it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub bytes: u64,
    pub offset: u64,
}

impl Field {
    /// From a `_thread_db_*` descriptor: size in bits, count, offset.
    fn from_descriptor(words: [u32; 3]) -> Option<Field> {
        let bytes = u64::from(words[0]) / 8;
        (bytes == 4 || bytes == 8 || bytes == 16).then_some(Field {
            bytes,
            offset: u64::from(words[2]),
        })
    }
}

/// The glibc structure layout needed to find a module's TLS block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsLayout {
    /// `struct link_map`'s l_tls_modid and l_tls_offset.
    pub modid: Field,
    pub static_offset: Field,
    /// The DTV pointer in the thread descriptor.
    pub dtv_pointer: Field,
    /// The DTV's entries (element size) and their `pointer.val`.
    pub dtv_entry: Field,
    pub dtv_value: Field,
    /// `_thread_db_const_thread_area`: on variant I, how far below the
    /// thread pointer the thread descriptor starts (on x86-64 it names the
    /// fs register instead, and is not used).
    pub thread_area: u64,
}

/// glibc's TLS variant on this architecture, with what locates the
/// thread's structures from its thread pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVariant {
    /// Variant II (x86-64): the thread descriptor is at the thread pointer
    /// and static TLS blocks lie below it.
    TcbAtTp,
    /// Variant I (arm64, MIPS): the thread descriptor lies below the thread
    /// pointer, and static TLS blocks above the thread control block, which
    /// ends `tcb_offset` bytes below the thread pointer (MIPS's
    /// TLS_TCB_OFFSET; 0 on arm64).
    DtvAtTp { tcb_offset: u64 },
}

/// The symbols looked up: five field descriptors, then
/// `_thread_db_const_thread_area`, a u32 variable read where it exists.
const SYMBOLS: [&str; 6] = [
    "_thread_db_link_map_l_tls_modid",
    "_thread_db_link_map_l_tls_offset",
    "_thread_db_pthread_dtvp",
    "_thread_db_dtv_dtv",
    "_thread_db_dtv_t_pointer_val",
    "_thread_db_const_thread_area",
];
const FIELD_DESCRIPTORS: usize = 5;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TlsError {
    #[error(
        "no glibc in the process (its libc.so, or a static executable, carries the TLS layout)"
    )]
    NoLibc,
    #[error("libc.so has no thread_db descriptors")]
    NoDescriptors,
    #[error("the module has no TLS")]
    NoTls,
    #[error("this thread's TLS block for the module is not allocated yet")]
    NotAllocated,
    #[error("cannot read memory at {0:#x}")]
    Memory(u64),
    #[error("cannot read the thread's thread pointer")]
    NoThreadPointer,
}

/// libc's mapping with file offset 0: its path and load base.
pub fn find_libc(maps: &[MapEntry]) -> Option<(String, u64)> {
    maps.iter().find_map(|m| {
        let path = m.path.as_deref()?;
        let name = path.rsplit('/').next()?;
        let is_libc =
            name.starts_with("libc.so") || (name.starts_with("libc-") && name.ends_with(".so"));
        (is_libc && m.offset == 0).then(|| (path.to_string(), m.start))
    })
}

/// Build the layout from libc's file and a reader of the process's memory
/// (the descriptors are read where libc is loaded).
pub fn layout(
    libc_file: &[u8],
    base: u64,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
) -> Result<TlsLayout, TlsError> {
    let values =
        elf_symbols::dynamic_symbols(libc_file, &SYMBOLS).ok_or(TlsError::NoDescriptors)?;
    layout_from(&values, base, read)
}

/// The same for a static executable, from its `.symtab`; `base` is its
/// load bias (0 unless it is a static PIE).
pub fn static_layout(
    exe_file: &[u8],
    base: u64,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
) -> Result<TlsLayout, TlsError> {
    let values = elf_symbols::static_symbols(exe_file, &SYMBOLS).ok_or(TlsError::NoDescriptors)?;
    layout_from(&values, base, read)
}

fn layout_from(
    values: &[Option<u64>],
    base: u64,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
) -> Result<TlsLayout, TlsError> {
    let (descriptors, thread_area) = values.split_at(FIELD_DESCRIPTORS);
    let thread_area = match thread_area.first().copied().flatten() {
        Some(value) => {
            let addr = base.wrapping_add(value);
            let mut raw = [0u8; 4];
            if !read(addr, &mut raw) {
                return Err(TlsError::Memory(addr));
            }
            u64::from(u32::from_ne_bytes(raw))
        }
        None => 0,
    };
    let mut fields = Vec::new();
    for value in descriptors {
        let addr = base.wrapping_add(value.ok_or(TlsError::NoDescriptors)?);
        let mut raw = [0u8; 12];
        if !read(addr, &mut raw) {
            return Err(TlsError::Memory(addr));
        }
        let word =
            |i: usize| u32::from_ne_bytes(raw[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
        fields.push(
            Field::from_descriptor([word(0), word(1), word(2)]).ok_or(TlsError::NoDescriptors)?,
        );
    }
    Ok(TlsLayout {
        modid: fields[0],
        static_offset: fields[1],
        dtv_pointer: fields[2],
        dtv_entry: fields[3],
        dtv_value: fields[4],
        thread_area,
    })
}

/// glibc's markers: a DTV slot not allocated yet, and l_tls_offset values
/// that are not a static offset.
const TLS_DTV_UNALLOCATED: u64 = u64::MAX;
const NO_TLS_OFFSET: u64 = 0;
const FORCED_DYNAMIC_TLS_OFFSET: u64 = u64::MAX;

/// The TLS module id of a static executable, which has no link map
/// (gdb then sends 0 for it).
const STATIC_EXECUTABLE_MODID: u64 = 1;

/// The address of `offset` in the TLS block of module `link_map` for the
/// thread whose thread pointer is `tp`. `link_map` 0 is a static
/// executable's own TLS.
pub fn address(
    layout: &TlsLayout,
    variant: TlsVariant,
    tp: u64,
    link_map: u64,
    offset: u64,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
) -> Result<u64, TlsError> {
    let mut read_field = |base: u64, field: Field| -> Result<u64, TlsError> {
        let addr = base.wrapping_add(field.offset);
        let size = field.bytes.min(8) as usize;
        let mut buf = [0u8; 8];
        if !read(addr, &mut buf[..size]) {
            return Err(TlsError::Memory(addr));
        }
        Ok(if size == 4 {
            u64::from(u32::from_ne_bytes(buf[..4].try_into().expect("4 bytes")))
        } else {
            u64::from_ne_bytes(buf)
        })
    };
    let modid = if link_map == 0 {
        STATIC_EXECUTABLE_MODID
    } else {
        read_field(link_map, layout.modid)?
    };
    if modid == 0 {
        return Err(TlsError::NoTls);
    }
    let descriptor = match variant {
        TlsVariant::TcbAtTp => tp,
        TlsVariant::DtvAtTp { .. } => tp.wrapping_sub(layout.thread_area),
    };
    let dtv = read_field(descriptor, layout.dtv_pointer)?;
    let slot = dtv.wrapping_add(modid.wrapping_mul(layout.dtv_entry.bytes));
    let block = read_field(slot, layout.dtv_value)?;
    // The markers are -1 in the field's own width (4 bytes on i386).
    let minus_one = |field: Field| u64::MAX >> (64 - 8 * field.bytes.min(8));
    if block != TLS_DTV_UNALLOCATED & minus_one(layout.dtv_value) && block != 0 {
        return Ok(block.wrapping_add(offset));
    }
    // Not in this thread's DTV yet: a module with static TLS still has
    // its block at a fixed distance from the thread pointer (with no link
    // map, that distance is not known).
    if link_map == 0 {
        return Err(TlsError::NotAllocated);
    }
    let static_offset = read_field(link_map, layout.static_offset)?;
    if static_offset != NO_TLS_OFFSET
        && static_offset != FORCED_DYNAMIC_TLS_OFFSET & minus_one(layout.static_offset)
    {
        let block = match variant {
            TlsVariant::TcbAtTp => tp.wrapping_sub(static_offset),
            TlsVariant::DtvAtTp { tcb_offset } => {
                tp.wrapping_sub(tcb_offset).wrapping_add(static_offset)
            }
        };
        return Ok(block.wrapping_add(offset));
    }
    Err(TlsError::NotAllocated)
}

#[cfg(test)]
mod tests {
    use super::TlsVariant::*;
    use super::*;
    use std::collections::HashMap;

    fn layout_x86_64() -> TlsLayout {
        TlsLayout {
            modid: Field {
                bytes: 8,
                offset: 1152,
            },
            static_offset: Field {
                bytes: 8,
                offset: 1144,
            },
            dtv_pointer: Field {
                bytes: 8,
                offset: 8,
            },
            dtv_entry: Field {
                bytes: 16,
                offset: 0,
            },
            dtv_value: Field {
                bytes: 8,
                offset: 0,
            },
            // FS, a register number on x86-64.
            thread_area: 25,
        }
    }

    fn memory(words: &[(u64, u64)]) -> impl FnMut(u64, &mut [u8]) -> bool {
        let map: HashMap<u64, u64> = words.iter().copied().collect();
        move |addr, buf| match map.get(&addr) {
            Some(v) => {
                buf.copy_from_slice(&v.to_ne_bytes()[..buf.len()]);
                true
            }
            None => false,
        }
    }

    #[test]
    fn through_the_dtv_or_the_static_offset() {
        let layout = layout_x86_64();
        let (tp, lm, dtv) = (0x7000_0000u64, 0x5000u64, 0x9000u64);
        // Module 2, its block allocated in the DTV.
        let mut read = memory(&[
            (lm + 1152, 2),
            (tp + 8, dtv),
            (dtv + 32, 0xabc000),
            (lm + 1144, 0x80),
        ]);
        assert_eq!(
            address(&layout, TcbAtTp, tp, lm, 0x10, &mut read),
            Ok(0xabc010)
        );
        // Not allocated in the DTV, but static: below the thread pointer.
        let mut read = memory(&[
            (lm + 1152, 2),
            (tp + 8, dtv),
            (dtv + 32, u64::MAX),
            (lm + 1144, 0x80),
        ]);
        assert_eq!(
            address(&layout, TcbAtTp, tp, lm, 0x10, &mut read),
            Ok(tp - 0x80 + 0x10)
        );
        // Dynamic and not allocated yet.
        let mut read = memory(&[
            (lm + 1152, 2),
            (tp + 8, dtv),
            (dtv + 32, u64::MAX),
            (lm + 1144, u64::MAX),
        ]);
        assert_eq!(
            address(&layout, TcbAtTp, tp, lm, 0, &mut read),
            Err(TlsError::NotAllocated)
        );
        // A static executable (no link map): module 1, through the DTV only.
        let mut read = memory(&[(tp + 8, dtv), (dtv + 16, 0xdef000)]);
        assert_eq!(
            address(&layout, TcbAtTp, tp, 0, 0x8, &mut read),
            Ok(0xdef008)
        );
        let mut read = memory(&[(tp + 8, dtv), (dtv + 16, u64::MAX)]);
        assert_eq!(
            address(&layout, TcbAtTp, tp, 0, 0x8, &mut read),
            Err(TlsError::NotAllocated)
        );
        // A module without TLS.
        let mut read = memory(&[(lm + 1152, 0)]);
        assert_eq!(
            address(&layout, TcbAtTp, tp, lm, 0, &mut read),
            Err(TlsError::NoTls)
        );
        let mut read = memory(&[]);
        assert_eq!(
            address(&layout, TcbAtTp, tp, lm, 0, &mut read),
            Err(TlsError::Memory(lm + 1152))
        );
    }

    #[test]
    fn variant_one_finds_the_descriptor_below_the_thread_pointer() {
        // arm64's glibc 2.36: struct pthread is 0x740 bytes and ends at
        // tpidr_el0, where the TCB's dtv pointer is.
        let layout = TlsLayout {
            dtv_pointer: Field {
                bytes: 8,
                offset: 0x740,
            },
            thread_area: 0x740,
            ..layout_x86_64()
        };
        let arm64 = DtvAtTp { tcb_offset: 0 };
        let (tp, lm, dtv) = (0x7f00_1000u64, 0x5000u64, 0x9000u64);
        let mut read = memory(&[(lm + 1152, 2), (tp, dtv), (dtv + 32, 0xabc000)]);
        assert_eq!(
            address(&layout, arm64, tp, lm, 0x10, &mut read),
            Ok(0xabc010)
        );
        // Static TLS not in the DTV yet: above the TCB at the thread pointer.
        let mut read = memory(&[
            (lm + 1152, 2),
            (tp, dtv),
            (dtv + 32, u64::MAX),
            (lm + 1144, 0x10),
        ]);
        assert_eq!(
            address(&layout, arm64, tp, lm, 0x8, &mut read),
            Ok(tp + 0x10 + 0x8)
        );
        // MIPS: the TCB ends 0x7000 below the thread pointer.
        let mips = DtvAtTp { tcb_offset: 0x7000 };
        let layout = TlsLayout {
            dtv_pointer: Field {
                bytes: 8,
                offset: 0x748,
            },
            thread_area: 0x7750,
            ..layout
        };
        let descriptor = tp - 0x7750;
        let mut read = memory(&[(descriptor + 0x748, dtv), (dtv + 16, 0xdef000)]);
        assert_eq!(address(&layout, mips, tp, 0, 0x4, &mut read), Ok(0xdef004));
        let mut read = memory(&[
            (lm + 1152, 2),
            (descriptor + 0x748, dtv),
            (dtv + 32, u64::MAX),
            (lm + 1144, 0x10),
        ]);
        assert_eq!(
            address(&layout, mips, tp, lm, 0x8, &mut read),
            Ok(tp - 0x7000 + 0x10 + 0x8)
        );
    }

    #[test]
    fn descriptors_become_fields() {
        assert_eq!(
            Field::from_descriptor([64, 1, 1152]),
            Some(Field {
                bytes: 8,
                offset: 1152
            })
        );
        assert_eq!(
            Field::from_descriptor([128, 134217727, 0]),
            Some(Field {
                bytes: 16,
                offset: 0
            })
        );
        assert_eq!(Field::from_descriptor([25, 512, 24]), None);
    }
}
