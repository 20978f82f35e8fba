//! arm64 hardware breakpoints and watchpoints through the NT_ARM_HW_BREAK and
//! NT_ARM_HW_WATCH register sets (the `imp` of `hw_debug` on aarch64).
//!
//! Each watchpoint register covers bytes of one aligned doubleword, so a
//! watched range takes one slot per doubleword it touches. The kernel says how
//! many slots the CPU has in each set's `dbg_info`; a request that needs a
//! slot beyond that fails when it is programmed, and the process then takes it
//! back out. A hit arrives as SIGTRAP with si_code TRAP_HWBKPT, si_addr the
//! address that fired and si_errno naming the slot (odd for breakpoint slot
//! (n-1)/2, negative for watchpoint slot (-n-1)/2). arm64 watchpoints trap
//! before the access: gdb knows (its aarch64 watchpoints are "nonsteppable")
//! and steps over the access itself with the watchpoints out.

use rgdbserver_arch::aarch64::{
    self as arch, break_ctrl, hw_slots, split_watch_range, HwDebugState, WatchKind, WatchWindow,
    HWDEBUG_HEADER_SIZE, HWDEBUG_SLOT_SIZE, HWDEBUG_STATE_SIZE, MAX_HW_SLOTS,
};

use super::*;
use crate::inferior::ptrace as pt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WatchSlot {
    window: WatchWindow,
    kind: WatchKind,
    request: HwRequest,
}

#[derive(Debug, Default)]
pub struct HwDebug {
    breaks: [Option<HwRequest>; MAX_HW_SLOTS],
    watches: [Option<WatchSlot>; MAX_HW_SLOTS],
}

fn ptrace_error(tid: Tid) -> impl Fn(nix::errno::Errno) -> HwDebugError {
    move |errno| HwDebugError::Ptrace {
        tid: tid.as_raw(),
        errno,
    }
}

/// Write `slots` into one of the two register sets of `tid`.
fn program(tid: Tid, note: u32, slots: &[(u64, u32)]) -> Result<(), HwDebugError> {
    let mut buf = vec![0u8; HWDEBUG_STATE_SIZE];
    let got = pt::get_regset(tid, note as i32, &mut buf).map_err(ptrace_error(tid))?;
    let state = HwDebugState::from_bytes(&buf[..got]).map_err(|_| HwDebugError::Unsupported)?;
    let available = hw_slots(state.dbg_info);
    // Every slot the CPU has, ours or cleared; a request beyond them cannot be had.
    if slots
        .iter()
        .enumerate()
        .any(|(i, &(_, ctrl))| ctrl != 0 && i >= available)
    {
        return Err(HwDebugError::NoSlots);
    }
    let new = HwDebugState {
        dbg_info: state.dbg_info,
        slots: (0..available)
            .map(|i| slots.get(i).copied().unwrap_or((0, 0)))
            .collect(),
    };
    let bytes = new.to_bytes();
    debug_assert_eq!(
        bytes.len(),
        HWDEBUG_HEADER_SIZE + available * HWDEBUG_SLOT_SIZE
    );
    pt::set_regset(tid, note as i32, &bytes).map_err(ptrace_error(tid))
}

impl HwDebug {
    pub fn is_empty(&self) -> bool {
        self.breaks.iter().all(Option::is_none) && self.watches.iter().all(Option::is_none)
    }

    /// Reserve slots for `request`. Nothing is written to threads yet.
    pub fn insert(&mut self, request: HwRequest) -> Result<(), HwDebugError> {
        let kind = match request.kind {
            HwKind::Execute => {
                let free = self
                    .breaks
                    .iter()
                    .position(Option::is_none)
                    .ok_or(HwDebugError::NoSlots)?;
                self.breaks[free] = Some(request);
                return Ok(());
            }
            HwKind::Write => WatchKind::Write,
            HwKind::Read => WatchKind::Read,
            HwKind::Access => WatchKind::Access,
        };
        let free: Vec<usize> = (0..MAX_HW_SLOTS)
            .filter(|&i| self.watches[i].is_none())
            .collect();
        // One window past the free slots is enough to refuse.
        let windows: Vec<WatchWindow> = split_watch_range(request.addr, request.len)
            .take(free.len() + 1)
            .collect();
        if windows.is_empty() || windows.len() > free.len() {
            return Err(HwDebugError::NoSlots);
        }
        for (window, slot) in windows.into_iter().zip(free) {
            self.watches[slot] = Some(WatchSlot {
                window,
                kind,
                request,
            });
        }
        Ok(())
    }

    /// Whether slots are held for a request equal to `request`.
    pub fn contains(&self, request: HwRequest) -> bool {
        self.breaks.contains(&Some(request))
            || self.watches.iter().flatten().any(|s| s.request == request)
    }

    /// Release the slots of one request equal to `request`; false if none.
    pub fn remove(&mut self, request: HwRequest) -> bool {
        let mut found = false;
        for slot in self.breaks.iter_mut() {
            if *slot == Some(request) {
                *slot = None;
                found = true;
            }
        }
        for slot in self.watches.iter_mut() {
            if slot.is_some_and(|s| s.request == request) {
                *slot = None;
                found = true;
            }
        }
        found
    }

    pub fn clear(&mut self) {
        *self = HwDebug::default();
    }

    /// Program this thread's breakpoint and watchpoint registers to match the table.
    pub fn apply(&self, tid: Tid) -> Result<(), HwDebugError> {
        let breaks: Vec<(u64, u32)> = self
            .breaks
            .iter()
            .map(|b| b.map_or((0, 0), |r| (r.addr, break_ctrl())))
            .collect();
        let watches: Vec<(u64, u32)> = self
            .watches
            .iter()
            .map(|w| w.map_or((0, 0), |s| (s.window.addr, s.window.ctrl(s.kind))))
            .collect();
        program(tid, arch::NT_ARM_HW_BREAK, &breaks)?;
        program(tid, arch::NT_ARM_HW_WATCH, &watches)
    }

    /// Which request made this thread trap, from its siginfo.
    pub fn take_hit(&self, tid: Tid) -> Result<Option<HwHit>, HwDebugError> {
        let info = pt::get_siginfo_raw(tid).map_err(ptrace_error(tid))?;
        let word = |at: usize| i32::from_ne_bytes(info[at..at + 4].try_into().unwrap_or([0; 4]));
        let (errno, code) = (word(4), word(8));
        if code != arch::TRAP_HWBKPT {
            return Ok(None);
        }
        let addr = u64::from_ne_bytes(info[16..24].try_into().unwrap_or([0; 8]));
        let watch_hit = |s: WatchSlot| HwHit {
            kind: s.request.kind,
            addr: addr.clamp(
                s.request.addr,
                s.request.addr + s.request.len.saturating_sub(1),
            ),
        };
        // Compat (32-bit) tasks get the slot in si_errno.
        if errno > 0 {
            let slot = ((errno - 1) / 2) as usize;
            return Ok(self.breaks.get(slot).copied().flatten().map(|_| HwHit {
                kind: HwKind::Execute,
                addr,
            }));
        }
        if errno < 0 {
            let slot = ((-errno - 1) / 2) as usize;
            return Ok(self.watches.get(slot).copied().flatten().map(watch_hit));
        }
        if self.breaks.iter().flatten().any(|r| r.addr == addr) {
            return Ok(Some(HwHit {
                kind: HwKind::Execute,
                addr,
            }));
        }
        // The doubleword holding the address; else the watched bytes just
        // above it (an access, such as a store pair, may start below them).
        let watches = || self.watches.iter().flatten().copied();
        let hit = watches()
            .find(|s| addr >= s.window.addr && addr < s.window.addr + arch::WATCH_ALIGN)
            .or_else(|| {
                watches().find(|s| {
                    let first = s.window.addr + s.window.offset;
                    first > addr && first - addr < 2 * arch::WATCH_ALIGN
                })
            });
        Ok(hit.map(watch_hit))
    }
}
