//! Breakpoints and watchpoints (Z0-Z4): software breakpoints planted in
//! memory, hardware breakpoints and watchpoints in the debug registers.

use gdbstub::target::ext::breakpoints::{
    Breakpoints, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint,
    SwBreakpointOps, WatchKind,
};
use gdbstub::target::TargetResult;

use super::{errno_reply, DebugTarget};
use crate::inferior::hw_debug::{HwKind, HwRequest};

impl Breakpoints for DebugTarget {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for DebugTarget {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.process_mut()?
            .insert_breakpoint(addr)
            .map_err(errno_reply)?;
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.process_mut()?
            .remove_breakpoint(addr)
            .map_err(errno_reply)?;
        Ok(true)
    }
}

fn watch_kind(kind: WatchKind) -> HwKind {
    match kind {
        WatchKind::Write => HwKind::Write,
        WatchKind::Read => HwKind::Read,
        WatchKind::ReadWrite => HwKind::Access,
    }
}

impl DebugTarget {
    fn insert_hw(&mut self, request: HwRequest) -> TargetResult<bool, Self> {
        self.process_mut()?
            .insert_hw(request)
            .map_err(errno_reply)?;
        Ok(true)
    }

    fn remove_hw(&mut self, request: HwRequest) -> TargetResult<bool, Self> {
        self.process_mut()?.remove_hw(request).map_err(errno_reply)
    }
}

impl HwBreakpoint for DebugTarget {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.insert_hw(HwRequest {
            kind: HwKind::Execute,
            addr,
            len: 1,
        })
    }

    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.remove_hw(HwRequest {
            kind: HwKind::Execute,
            addr,
            len: 1,
        })
    }
}

impl HwWatchpoint for DebugTarget {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        self.insert_hw(HwRequest {
            kind: watch_kind(kind),
            addr,
            len,
        })
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        self.remove_hw(HwRequest {
            kind: watch_kind(kind),
            addr,
            len,
        })
    }
}
