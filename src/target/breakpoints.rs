//! Software breakpoints (Z0/z0). Hardware breakpoints and watchpoints through
//! the debug registers come with the Linux-completeness work.

use gdbstub::target::ext::breakpoints::{Breakpoints, SwBreakpoint, SwBreakpointOps};
use gdbstub::target::TargetResult;

use super::{errno_reply, DebugTarget};

impl Breakpoints for DebugTarget {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
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
