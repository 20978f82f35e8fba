//! arm64's hardware breakpoints and watchpoints as the kernel exposes them
//! (NT_ARM_HW_BREAK / NT_ARM_HW_WATCH): the `user_hwdebug_state` regset's
//! bytes, the slot count and debug architecture in its `dbg_info`, the
//! control words, and the split of a watched range into the aligned
//! doublewords one watchpoint register covers. A separate kernel interface
//! from the register file in `aarch64.rs`, with encodings of its own.

use super::{need, RegsError};

/// Most slots the regset can describe.
pub const MAX_HW_SLOTS: usize = 16;
/// `struct user_hwdebug_state`: dbg_info, pad (u32), then per slot
/// { u64 addr; u32 ctrl; u32 pad; }.
pub const HWDEBUG_HEADER_SIZE: usize = 8;
pub const HWDEBUG_SLOT_SIZE: usize = 16;
pub const HWDEBUG_STATE_SIZE: usize = HWDEBUG_HEADER_SIZE + MAX_HW_SLOTS * HWDEBUG_SLOT_SIZE;
/// A watchpoint register covers one aligned doubleword.
pub const WATCH_ALIGN: u64 = 8;
/// si_code of the SIGTRAP for a hardware breakpoint/watchpoint hit.
pub const TRAP_HWBKPT: i32 = 4;

/// Number of breakpoint or watchpoint slots, from dbg_info's low byte.
pub fn hw_slots(dbg_info: u32) -> usize {
    ((dbg_info & 0xff) as usize).min(MAX_HW_SLOTS)
}

/// Debug architecture version, dbg_info bits 8-15.
pub fn hw_debug_arch(dbg_info: u32) -> u8 {
    ((dbg_info >> 8) & 0xff) as u8
}

/// What a watchpoint traps on (the control word's load/store bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    Read,
    Write,
    Access,
}

const CTRL_ENABLE: u32 = 1;
/// Privilege field (bits 1-2) = 0b10: trap at EL0 only.
const CTRL_EL0: u32 = 0b10 << 1;

/// Control word for a watchpoint on `len` bytes at `offset` within the
/// aligned doubleword in the address register: enable, EL0, load/store at
/// bits 3-4, byte-address-select at bits 5-12. None when the bytes do not
/// fit in the doubleword.
pub fn watch_ctrl(kind: WatchKind, offset: u64, len: u64) -> Option<u32> {
    if len == 0 || offset >= WATCH_ALIGN || offset + len > WATCH_ALIGN {
        return None;
    }
    let lsc: u32 = match kind {
        WatchKind::Read => 0b01,
        WatchKind::Write => 0b10,
        WatchKind::Access => 0b11,
    };
    let bas = ((1u32 << len) - 1) << offset;
    Some(CTRL_ENABLE | CTRL_EL0 | (lsc << 3) | (bas << 5))
}

/// Control word for a hardware breakpoint on an A64 instruction.
pub fn break_ctrl() -> u32 {
    CTRL_ENABLE | CTRL_EL0 | (0xf << 5)
}

/// One watchpoint register's worth of a watched range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchWindow {
    /// Aligned doubleword address for the address register.
    pub addr: u64,
    /// First watched byte within it.
    pub offset: u64,
    /// Watched bytes.
    pub len: u64,
}

impl WatchWindow {
    pub fn ctrl(&self, kind: WatchKind) -> u32 {
        // A window from split_watch_range always fits.
        watch_ctrl(kind, self.offset, self.len).unwrap_or(0)
    }
}

/// Split `[addr, addr + len)` into doubleword windows, one per slot.
///
/// Lazy, because gdb's length is untrusted: a caller takes one window more
/// than it has slots instead of splitting 2^64 bytes. A range that runs
/// past the end of the address space yields nothing.
pub fn split_watch_range(addr: u64, len: u64) -> impl Iterator<Item = WatchWindow> {
    let end = addr.checked_add(len).unwrap_or(addr);
    let mut start = addr;
    std::iter::from_fn(move || {
        if start >= end {
            return None;
        }
        let aligned = start & !(WATCH_ALIGN - 1);
        let offset = start - aligned;
        let chunk = (WATCH_ALIGN - offset).min(end - start);
        start += chunk;
        Some(WatchWindow {
            addr: aligned,
            offset,
            len: chunk,
        })
    })
}

/// The NT_ARM_HW_BREAK / NT_ARM_HW_WATCH regset contents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HwDebugState {
    pub dbg_info: u32,
    /// (address, control) for each slot.
    pub slots: Vec<(u64, u32)>,
}

impl HwDebugState {
    /// Parse the kernel's bytes; slots beyond what the buffer holds are absent.
    pub fn from_bytes(buf: &[u8]) -> Result<HwDebugState, RegsError> {
        need("hwdebug state", buf, HWDEBUG_HEADER_SIZE)?;
        let dbg_info = u32::from_le_bytes(buf[0..4].try_into().unwrap_or([0; 4]));
        let slots = buf[HWDEBUG_HEADER_SIZE..]
            .chunks_exact(HWDEBUG_SLOT_SIZE)
            .take(MAX_HW_SLOTS)
            .map(|slot| {
                (
                    u64::from_le_bytes(slot[0..8].try_into().unwrap_or([0; 8])),
                    u32::from_le_bytes(slot[8..12].try_into().unwrap_or([0; 4])),
                )
            })
            .collect();
        Ok(HwDebugState { dbg_info, slots })
    }

    /// The bytes to pass to PTRACE_SETREGSET: header plus exactly the slots
    /// present (the kernel writes as many slots as the iovec covers).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(HWDEBUG_HEADER_SIZE + self.slots.len() * 16);
        buf.extend_from_slice(&self.dbg_info.to_le_bytes());
        buf.extend_from_slice(&[0; 4]);
        for &(addr, ctrl) in self.slots.iter().take(MAX_HW_SLOTS) {
            buf.extend_from_slice(&addr.to_le_bytes());
            buf.extend_from_slice(&ctrl.to_le_bytes());
            buf.extend_from_slice(&[0; 4]);
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchpoint_control_words() {
        // 8 bytes written: enable, EL0, store, BAS 0xff.
        assert_eq!(watch_ctrl(WatchKind::Write, 0, 8), Some(0x1ff5));
        // 4 bytes read at offset 4: BAS 0xf0.
        assert_eq!(
            watch_ctrl(WatchKind::Read, 4, 4),
            Some(1 | (2 << 1) | (1 << 3) | (0xf0 << 5))
        );
        assert_eq!(
            watch_ctrl(WatchKind::Access, 7, 1),
            Some(1 | (2 << 1) | (3 << 3) | (0x80 << 5))
        );
        assert_eq!(watch_ctrl(WatchKind::Write, 6, 4), None);
        assert_eq!(watch_ctrl(WatchKind::Write, 0, 0), None);
        assert_eq!(break_ctrl(), 0x1e5);
    }

    #[test]
    fn watch_ranges_split_on_doublewords() {
        assert_eq!(
            split_watch_range(0x1000, 8).collect::<Vec<_>>(),
            vec![WatchWindow {
                addr: 0x1000,
                offset: 0,
                len: 8
            }]
        );
        assert_eq!(
            split_watch_range(0x1006, 4).collect::<Vec<_>>(),
            vec![
                WatchWindow {
                    addr: 0x1000,
                    offset: 6,
                    len: 2
                },
                WatchWindow {
                    addr: 0x1008,
                    offset: 0,
                    len: 2
                },
            ]
        );
        assert_eq!(
            split_watch_range(0x1003, 1)
                .next()
                .map(|w| w.ctrl(WatchKind::Write)),
            Some(0x1 | 0x4 | 0x10 | (0x8 << 5))
        );
        assert_eq!(split_watch_range(0x1000, 0).count(), 0);
        // gdb's length is untrusted: the split must not walk 2^64 bytes.
        assert_eq!(split_watch_range(0x39fe, u64::MAX).count(), 0);
        assert_eq!(split_watch_range(0x39fe, u64::MAX / 2).take(5).count(), 5);
    }

    #[test]
    fn hwdebug_state_bytes() {
        let mut buf = vec![0u8; HWDEBUG_STATE_SIZE];
        buf[0..4].copy_from_slice(&0x0000_0604u32.to_le_bytes()); // v8.? arch 6, 4 slots
        buf[8..16].copy_from_slice(&0x4000_1000u64.to_le_bytes());
        buf[16..20].copy_from_slice(&0x1ff5u32.to_le_bytes());
        let state = HwDebugState::from_bytes(&buf).unwrap();
        assert_eq!(hw_slots(state.dbg_info), 4);
        assert_eq!(hw_debug_arch(state.dbg_info), 6);
        assert_eq!(state.slots.len(), 16);
        assert_eq!(state.slots[0], (0x4000_1000, 0x1ff5));
        assert_eq!(state.to_bytes(), buf);
        let short = HwDebugState {
            dbg_info: 0,
            slots: vec![(0x10, 1)],
        };
        assert_eq!(short.to_bytes().len(), 24);
        assert_eq!(hw_slots(0xff), MAX_HW_SLOTS);
    }
}
