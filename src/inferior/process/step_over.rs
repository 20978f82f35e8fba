//! Stepping one thread over a software breakpoint it stopped at but that
//! gdb is not to hear of (a false condition, or commands run instead), as
//! GNU gdbserver's step-over does: every thread stopped, the trap lifted,
//! the thread single-stepped, the trap planted again. The step is waited
//! for here, while the other threads' events are kept pending, and what it
//! ends with goes back through the wait-status handling.

use nix::errno::Errno;

use crate::inferior::ptrace::{self as pt, Tid, WaitStatus};
use crate::inferior::regs::native;

use super::events::Afterwards;
use super::trap::{SI_KERNEL, TRAP_BRKPT};
use super::{ptrace_err, Process, ProcessError, StopEvent};

impl Process {
    /// Move `tid` past the breakpoint at `addr`, whose condition is false,
    /// and let everything run on as before, as GNU gdbserver does (its
    /// step-over): every thread stopped, the breakpoint lifted, `tid`
    /// single-stepped, the breakpoint planted again. What the step ends
    /// with may be an event for gdb (a fork or clone made by a system call
    /// instruction under the breakpoint, an exit, a signal, a watchpoint):
    /// that is returned with everyone stopped, as is an event another
    /// thread had while being stopped. A plain end of the step is nothing
    /// to report, unless gdb itself was stepping `tid`.
    ///
    /// Synchronous: a step over a system call that blocks holds the
    /// session until the call returns.
    pub(super) fn step_over_breakpoint(
        &mut self,
        tid: Tid,
        addr: u64,
    ) -> Result<Option<StopEvent>, ProcessError> {
        let was_running = self.running_threads();
        self.stop_all()?;
        if let Some(exit) = self.outbox.exit() {
            return Ok(Some(exit));
        }
        let gdb_stepping = self.threads.get(&tid).is_some_and(|t| t.stepping);
        self.points.software.lift(&self.memory, addr)?;
        self.refresh_hw(tid)?;
        self.regs.forget(tid);
        let status = match pt::step(tid, 0) {
            Ok(()) => self.wait_step_over(tid)?,
            // Killed under us: its exit comes through the usual wait.
            Err(Errno::ESRCH) => None,
            // No single step here after all: report the breakpoint, and gdb
            // evaluates the condition itself.
            Err(errno) => {
                log::debug!("cannot step {tid} over {addr:#x} ({errno}): reporting it");
                self.points.software.replant(&self.memory, addr)?;
                return Ok(Some(StopEvent::Breakpoint { tid, addr }));
            }
        };
        // Whatever the step brought, the breakpoint goes back in (unless
        // the process is gone with it).
        if let Err(e) = self.points.software.replant(&self.memory, addr) {
            log::debug!("breakpoint at {addr:#x} not planted again: {e}");
        }
        let event = match status {
            None => None,
            // The instruction under the breakpoint is itself one (a
            // "permanent" breakpoint the program carries): the step traps
            // at `addr` again. Move past it, as GNU gdbserver does, or the
            // thread would trap there for ever (gdb.base/bp-permanent.exp).
            Some(WaitStatus::Stopped(libc::SIGTRAP)) if self.trapped_at(tid, addr)? => {
                let past = addr.wrapping_add(native::BREAKPOINT_INSN.len() as u64);
                self.regs.set_pc(tid, past)?;
                self.mark_stopped(tid);
                Some(StopEvent::Step { tid })
            }
            Some(status) => {
                if let Some(thread) = self.threads.get_mut(&tid) {
                    thread.running = true;
                    thread.stepping = true;
                }
                let event = self.handle_status(tid, status, Afterwards::StayStopped)?;
                if let Some(thread) = self.threads.get_mut(&tid) {
                    thread.stepping = gdb_stepping;
                }
                event
            }
        };
        let reported = match event {
            Some(StopEvent::Step { .. }) if !gdb_stepping => None,
            other => other,
        };
        if let Some(exit) = self.outbox.exit() {
            return Ok(Some(reported.unwrap_or(exit)));
        }
        if self.non_stop {
            // Threads run on their own: what the others met while stopped
            // for the step is reported in its turn, and the rest run on
            // (the stepped thread too, unless it has something to report).
            for t in &was_running {
                if let Some(pending) = self.threads.get_mut(t).and_then(|th| th.pending.take()) {
                    self.outbox.push(pending);
                }
            }
            let ready = self.outbox.ready_tids();
            let stepped = reported.is_none().then_some(tid);
            for t in was_running.into_iter().chain(stepped) {
                if !ready.contains(&t) && self.threads.get(&t).is_some_and(|th| !th.running) {
                    self.restart(t)?;
                }
            }
            return Ok(reported);
        }
        if reported.is_some() {
            return Ok(reported);
        }
        for t in &was_running {
            if let Some(pending) = self.threads.get_mut(t).and_then(|th| th.pending.take()) {
                return Ok(Some(pending));
            }
        }
        for t in was_running.into_iter().chain(std::iter::once(tid)) {
            if self.threads.get(&t).is_some_and(|th| !th.running) {
                self.restart(t)?;
            }
        }
        Ok(None)
    }

    /// Whether `tid`'s SIGTRAP is a breakpoint instruction at `addr`.
    fn trapped_at(&mut self, tid: Tid, addr: u64) -> Result<bool, ProcessError> {
        let code = pt::siginfo_code(tid).map_err(ptrace_err(tid))?;
        if code != SI_KERNEL && code != TRAP_BRKPT {
            return Ok(false);
        }
        let pc = self.regs.pc(tid)?;
        Ok(pc.wrapping_sub(native::PC_ADJUST_AFTER_BREAKPOINT) == addr)
    }

    /// The status that ends `tid`'s step over a breakpoint (None if it is
    /// gone). Polled rather than waited for: if the step exits the whole
    /// process, the leader's exit is held back until the other threads,
    /// dead too by then, are reaped, which this does meanwhile.
    fn wait_step_over(&mut self, tid: Tid) -> Result<Option<WaitStatus>, ProcessError> {
        let mut pause = std::time::Duration::from_micros(50);
        loop {
            if let Some((_, status)) = pt::wait(tid.as_raw(), true).map_err(ptrace_err(tid))? {
                return Ok(Some(status));
            }
            let others: Vec<Tid> = self.threads.keys().copied().filter(|t| *t != tid).collect();
            for other in others {
                if let Ok(Some((got, status))) = pt::wait(other.as_raw(), true) {
                    let event = self.handle_status(got, status, Afterwards::StayStopped)?;
                    if let (Some(event), Some(thread)) = (event, self.threads.get_mut(&got)) {
                        thread.pending = Some(event);
                    }
                }
            }
            if self.outbox.has_exited() || !self.threads.contains_key(&tid) {
                return Ok(None);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(std::time::Duration::from_millis(10));
        }
    }
}
