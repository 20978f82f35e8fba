//! Turning one wait status into a stop event for gdb, or into nothing (a
//! clone, our own SIGSTOP, a thread's exit, a signal gdb said to pass). The
//! dispatcher, `handle_status`, asks `route` (pure, unit-tested) where a
//! status goes and calls that handler: here for exits and signals, in
//! `spawn` (clone, fork, vfork, exec), `trap` (SIGTRAP: breakpoints, steps,
//! watchpoints) and `syscall` (system-call stops).
//!
//! A status comes either from the caller's `waitpid(-1)` while threads run
//! (`handle_wait`), or from our own waits while every thread is being
//! stopped (`stop_all`, the step over a breakpoint, detach). What happens
//! then to a thread whose status needs no report is the one difference
//! between the two, and `Afterwards` says which it is.

use crate::inferior::procfs;
use crate::inferior::ptrace::{Tid, WaitStatus};

use super::route::{self, Known, Route};
use super::{Process, ProcessError, StopEvent};

/// What a thread whose status is handled silently does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Afterwards {
    /// Threads run (the caller's wait): it goes on the way it was going.
    RunOn,
    /// Every thread is being stopped: it stays stopped.
    StayStopped,
}

impl Process {
    /// One wait status of ours (see `owns`), collected by the caller's
    /// `waitpid(-1)`. Returns an event to report; other threads keep running
    /// (stopping them for all-stop is the caller's call: `stop_all`).
    pub fn handle_wait(
        &mut self,
        tid: Tid,
        status: WaitStatus,
    ) -> Result<Option<StopEvent>, ProcessError> {
        let event = self.handle_status(tid, status, Afterwards::RunOn)?;
        if event.is_some_and(|e| e.is_exit()) {
            self.outbox.mark_exit_reported();
        }
        if let Some(tid) = event.and_then(|e| e.tid()) {
            if let Some(thread) = self.threads.get_mut(&tid) {
                thread.stop_reported();
            }
        }
        Ok(event)
    }

    /// Is this wait status ours to handle (a thread of ours, or the leader)?
    pub fn owns(&self, tid: Tid) -> bool {
        tid == self.pid || self.threads.contains_key(&tid)
    }

    /// A stop from a thread nobody knows yet: a new thread or fork child
    /// whose creator's event has not been seen. Remembered, in case it is ours.
    pub fn note_unknown_stop(&mut self, tid: Tid) {
        self.threads.note_early_stop(tid);
    }

    /// Turn one wait status into a reportable event, or deal with it silently
    /// (clone events, our own SIGSTOPs, thread exits); `then` says whether
    /// silently handled threads go on running.
    pub(super) fn handle_status(
        &mut self,
        tid: Tid,
        status: WaitStatus,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        log::trace!("wait: {tid} {status:?}");
        // It ran since its registers were last read.
        self.regs.forget(tid);
        let route = {
            let settings = self.settings.get();
            route::route(
                status,
                &Known {
                    leader: tid == self.pid,
                    thread: self.threads.get(&tid),
                    settings: &settings,
                    catching_syscalls: self.catch_syscalls.is_some(),
                },
            )
        };
        match route {
            Route::ProcessEnded(event) => Ok(Some(self.process_gone(event))),
            Route::EarlyStop => {
                self.threads.note_early_stop(tid);
                Ok(None)
            }
            Route::Nothing => Ok(None),
            Route::ThreadExit { code } => {
                self.on_thread_exit(tid, code);
                Ok(None)
            }
            Route::Clone => self.on_clone(tid, then),
            Route::Exec { report } => self.on_exec(tid, report).map(Some),
            Route::Fork { vfork, report } => self.on_fork(tid, vfork, report, then),
            Route::VforkDone => Ok(Some(self.on_vfork_done(tid))),
            Route::Syscall => self.on_syscall(tid, then),
            Route::Silent => {
                self.mark_stopped(tid);
                self.carry_on(tid, then)
            }
            Route::OurSigstop { report } => self.on_our_sigstop(tid, report, then),
            Route::Trap => self.on_trap(tid, then),
            Route::Signal {
                signal,
                pass: false,
            } => {
                self.mark_stopped(tid);
                Ok(Some(StopEvent::Signal { tid, signal }))
            }
            Route::Signal { signal, pass: true } => {
                if route::breakpoint_may_raise(signal) && self.on_software_breakpoint(tid)? {
                    self.mark_stopped(tid);
                    return Ok(Some(StopEvent::Signal { tid, signal }));
                }
                self.pass_signal(tid, signal, then)
            }
        }
    }

    /// Is `tid`'s PC at one of gdb's software breakpoints (where gdb takes
    /// a SIGSEGV or SIGILL for the breakpoint's hit)?
    fn on_software_breakpoint(&mut self, tid: Tid) -> Result<bool, ProcessError> {
        if self.points.software.is_empty() {
            return Ok(false);
        }
        let pc = self.regs.pc(tid)?;
        Ok(self.points.software.contains(pc))
    }

    /// A thread stopped silently: let it go on if threads run, and report
    /// nothing.
    pub(super) fn carry_on(
        &mut self,
        tid: Tid,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        if then == Afterwards::RunOn {
            self.restart(tid)?;
        }
        Ok(None)
    }

    pub(super) fn mark_stopped(&mut self, tid: Tid) {
        if let Some(thread) = self.threads.get_mut(&tid) {
            thread.running = false;
        }
    }

    // ----- exits -----

    /// A thread other than the leader has exited: forget it, and if gdb
    /// asked to hear of thread exits, keep the event in the outbox (it is
    /// the next one handed out, whether the exit came from the caller's
    /// wait or from ours while stopping every thread).
    fn on_thread_exit(&mut self, tid: Tid, code: i32) {
        self.threads.remove(&tid);
        self.regs.forget(tid);
        let settings = self.settings.get();
        let wanted =
            settings.report_thread_events || settings.exit_reported.contains(&tid.as_raw());
        drop(settings);
        // Its options end with it (the tid may be reused).
        self.settings.update(|s| {
            s.exit_reported.remove(&tid.as_raw());
            s.clone_reported.remove(&tid.as_raw());
        });
        if wanted {
            self.outbox.push(StopEvent::ThreadExited { tid, code });
        }
    }

    /// A leader thread that exited while other threads live on reports
    /// nothing (its exit status waits for the whole group): find it by its
    /// zombie state and forget its thread, as for any other thread's exit.
    /// True if it was found gone.
    pub fn forget_exited_leader(&mut self) -> bool {
        let leader_runs = self.threads.get(&self.pid).is_some_and(|t| t.running);
        if !leader_runs || self.threads.len() < 2 {
            return false;
        }
        let zombie = procfs::is_zombie(self.pid);
        if zombie {
            log::debug!("thread group leader {} exited alone: dropped", self.pid);
            self.threads.remove(&self.pid);
            self.regs.forget(self.pid);
        }
        zombie
    }

    /// Is one of our threads on its way out (killed by another's
    /// exit_group, say)? Its exit status is still to come.
    pub fn some_thread_exiting(&self) -> bool {
        self.threads
            .keys()
            .any(|&t| procfs::is_exiting(self.pid, t))
    }

    // ----- signals -----

    /// The SIGSTOP we sent `tid` has arrived: reported only if gdb asked
    /// for the stop (`report`).
    fn on_our_sigstop(
        &mut self,
        tid: Tid,
        report: bool,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        let thread = self.threads.get_mut(&tid).expect("checked by the caller");
        thread.sigstop_expected = false;
        thread.stop_requested = false;
        self.mark_stopped(tid);
        if report {
            return Ok(Some(StopEvent::Stopped { tid }));
        }
        self.carry_on(tid, then)
    }

    /// A signal gdb said to pass (and the thread is not stepping): no
    /// stop, it goes straight to the thread.
    fn pass_signal(
        &mut self,
        tid: Tid,
        signal: i32,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        self.mark_stopped(tid);
        // gdb said not to stop for it: hand it straight to the thread.
        match then {
            Afterwards::RunOn => self.restart_with(tid, signal)?,
            Afterwards::StayStopped => {
                if let Some(thread) = self.threads.get_mut(&tid) {
                    thread.deliver = Some(signal);
                }
            }
        }
        Ok(None)
    }
}
