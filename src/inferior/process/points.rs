//! Breakpoints and watchpoints as the process manages them: software
//! breakpoints planted in memory (the table itself is `inferior::breakpoints`;
//! conditions and commands are `conditions`), and hardware breakpoints and
//! watchpoints, which live in every thread's debug registers and so are
//! programmed into stopped threads at once and into running ones before
//! they next run.

use nix::errno::Errno;

use crate::inferior::hw_debug::{HwDebugError, HwRequest};
use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;

use super::{Process, ProcessError};

impl Process {
    pub fn insert_breakpoint(&mut self, addr: u64) -> Result<(), ProcessError> {
        self.breakpoints
            .insert(&self.memory, addr, native::BREAKPOINT_INSN)?;
        Ok(())
    }

    pub fn remove_breakpoint(&mut self, addr: u64) -> Result<(), ProcessError> {
        self.actions.forget(addr);
        self.breakpoints.remove(&self.memory, addr)?;
        Ok(())
    }

    /// Add a hardware breakpoint or watchpoint to every thread.
    pub fn insert_hw(&mut self, request: HwRequest) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Err(ProcessError::Exited);
        }
        // gdb inserting the same request again (as it does to update a
        // hardware breakpoint's conditions): it is in already, as with GNU
        // gdbserver. Taking another slot each time ran out of them
        // (gdb.base/break-idempotent.exp, "Cannot insert hardware
        // breakpoint").
        if self.hw.contains(request) {
            return Ok(());
        }
        self.hw.insert(request)?;
        if let Err(e) = self.apply_hw_everywhere() {
            self.hw.remove(request);
            let _ = self.apply_hw_everywhere();
            return Err(e);
        }
        Ok(())
    }

    /// Remove one hardware breakpoint or watchpoint; false if there was none.
    pub fn remove_hw(&mut self, request: HwRequest) -> Result<bool, ProcessError> {
        if !self.hw.remove(request) {
            return Ok(false);
        }
        if !self.outbox.has_exited() {
            self.apply_hw_everywhere()?;
        }
        Ok(true)
    }

    /// Program the debug registers of stopped threads now; running ones
    /// (there are none in all-stop) get them before they next run.
    pub(super) fn apply_hw_everywhere(&mut self) -> Result<(), ProcessError> {
        for (tid, thread) in self.threads.iter_mut() {
            if thread.running {
                thread.debug_regs_stale = true;
                continue;
            }
            match self.hw.apply(*tid) {
                Ok(()) => thread.debug_regs_stale = false,
                // A thread on its way out cannot be programmed, nor run.
                Err(HwDebugError::Ptrace {
                    errno: Errno::ESRCH,
                    ..
                }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Bring a thread's debug registers up to date before it runs.
    pub(super) fn refresh_hw(&mut self, tid: Tid) -> Result<(), ProcessError> {
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        if thread.debug_regs_stale {
            match self.hw.apply(tid) {
                Ok(())
                | Err(HwDebugError::Ptrace {
                    errno: Errno::ESRCH,
                    ..
                }) => thread.debug_regs_stale = false,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Take every software and hardware breakpoint and watchpoint out.
    pub fn remove_all_breakpoints(&mut self) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            self.breakpoints.forget_all();
            self.actions.clear();
            self.hw.clear();
            return Ok(());
        }
        self.actions.clear();
        let software = self.breakpoints.remove_all(&self.memory);
        let had_hw = !self.hw.is_empty();
        self.hw.clear();
        if had_hw {
            self.apply_hw_everywhere()?;
        }
        software?;
        Ok(())
    }
}
