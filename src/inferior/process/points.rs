//! Breakpoints and watchpoints as the process manages them: software
//! breakpoints planted in memory (the table itself is `inferior::breakpoints`;
//! conditions and commands are `conditions`), and hardware breakpoints and
//! watchpoints, which live in every thread's debug registers and so are
//! programmed into stopped threads at once and into running ones before
//! they next run. `Points` holds all three tables for the process.

use std::collections::BTreeSet;

use nix::errno::Errno;

use crate::inferior::breakpoints::{CodeMemory, SoftwareBreakpoints};
use crate::inferior::hw_debug::{HwDebug, HwDebugError, HwRequest};
use crate::inferior::journal;
use crate::inferior::memory::MemoryError;
use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;

use super::conditions::BreakpointActions;
use super::{Process, ProcessError};

/// Everything the process has planted or programmed to stop it: the
/// software breakpoints, gdb's conditions and commands on them, and the
/// hardware breakpoints and watchpoints.
#[derive(Default)]
pub(super) struct Points {
    pub(super) software: SoftwareBreakpoints,
    /// gdb's conditions and commands for software breakpoints.
    pub(super) actions: BreakpointActions,
    pub(super) hw: HwDebug,
    /// The software breakpoints gdb inserted (`Z0`).
    pub(super) gdb: BTreeSet<u64>,
    /// The traps of the running trace (`tracing`); an address may be in
    /// both sets, with one trap planted.
    pub(super) traced: BTreeSet<u64>,
    /// A vfork child shares its parent's memory: the breakpoints planted
    /// there are the parent's to take out, not ours.
    parents: bool,
}

impl Points {
    /// A new child's: a forked copy of the memory holds the parent's
    /// planted breakpoints (and so do their conditions), a vforked child
    /// shares the parent's memory and has none of its own to take out.
    /// Debug registers are not inherited.
    pub(super) fn inherited(parent: &Points, vfork: bool) -> Points {
        if vfork {
            return Points {
                parents: true,
                ..Points::default()
            };
        }
        Points {
            software: parent.software.clone(),
            actions: parent.actions.clone(),
            gdb: parent.gdb.clone(),
            traced: parent.traced.clone(),
            ..Points::default()
        }
    }

    /// Take our software breakpoints out of memory, when they are ours
    /// (a vfork child leaves its parent's in place).
    pub(super) fn remove_planted(&mut self, memory: &dyn CodeMemory) -> Result<(), MemoryError> {
        if self.parents {
            return Ok(());
        }
        self.software.remove_all(memory)
    }
}

impl Process {
    pub fn insert_breakpoint(&mut self, addr: u64) -> Result<(), ProcessError> {
        self.points
            .software
            .insert(&self.memory, addr, native::BREAKPOINT_INSN)?;
        self.points.gdb.insert(addr);
        Ok(())
    }

    /// gdb's breakpoint at `addr` goes; its trap stays while a tracepoint
    /// needs it.
    pub fn remove_breakpoint(&mut self, addr: u64) -> Result<(), ProcessError> {
        self.points.actions.forget(addr);
        self.points.gdb.remove(&addr);
        if self.points.traced.contains(&addr) {
            return Ok(());
        }
        self.points.software.remove(&self.memory, addr)?;
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
        if self.points.hw.contains(request) {
            return Ok(());
        }
        self.points.hw.insert(request)?;
        if let Err(e) = self.apply_hw_everywhere() {
            self.points.hw.remove(request);
            let _ = self.apply_hw_everywhere();
            return Err(e);
        }
        Ok(())
    }

    /// Remove one hardware breakpoint or watchpoint; false if there was none.
    pub fn remove_hw(&mut self, request: HwRequest) -> Result<bool, ProcessError> {
        if !self.points.hw.remove(request) {
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
        self.journal_hw();
        for (tid, thread) in self.threads.iter_mut() {
            if thread.running {
                thread.debug_regs_stale = true;
                continue;
            }
            match self.points.hw.apply(*tid) {
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

    /// Tell the guardian's journal when debug registers are about to be
    /// armed (a memory store, no system call).
    fn journal_hw(&self) {
        if !self.points.hw.is_empty() {
            journal::record(|j| j.hw_armed(self.pid));
        }
    }

    /// Bring a thread's debug registers up to date before it runs.
    pub(super) fn refresh_hw(&mut self, tid: Tid) -> Result<(), ProcessError> {
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        if thread.debug_regs_stale {
            if !self.points.hw.is_empty() {
                journal::record(|j| j.hw_armed(self.pid));
            }
            match self.points.hw.apply(tid) {
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
        self.points.gdb.clear();
        self.points.traced.clear();
        if self.outbox.has_exited() {
            self.points.software.forget_all();
            self.points.actions.clear();
            self.points.hw.clear();
            return Ok(());
        }
        self.points.actions.clear();
        let software = self.points.software.remove_all(&self.memory);
        let had_hw = !self.points.hw.is_empty();
        self.points.hw.clear();
        if had_hw {
            self.apply_hw_everywhere()?;
        }
        software?;
        Ok(())
    }
}
