//! Running threads as gdb asks: the resume plan (each thread's action, or
//! the default; a thread with an event pending reports it instead of
//! running, and in all-stop holds everyone back), continuing threads we
//! stopped silently, interrupting, non-stop's stop requests, and handing
//! out the events that need no waiting.

use std::collections::{HashMap, HashSet};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};

use crate::inferior::ptrace::{self as pt, Tid};

use super::{ptrace_err, Process, ProcessError, ResumeAction, StopEvent};

impl Process {
    /// Resume threads: each named thread does its action, the others do
    /// `default` (None keeps them stopped: scheduler locking). A thread that
    /// would run but has an event pending does not run; its event is
    /// reported by the next `take_ready`. In all-stop (`!non_stop`) one such
    /// event keeps every thread stopped, as gdb expects a single stop.
    pub fn resume(
        &mut self,
        actions: &HashMap<Tid, ResumeAction>,
        default: Option<ResumeAction>,
        non_stop: bool,
    ) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Err(ProcessError::Exited);
        }
        self.non_stop = non_stop;
        self.regs.forget_all();
        let mut plan: Vec<(Tid, ResumeAction)> = self
            .threads
            .keys()
            .filter_map(|tid| actions.get(tid).copied().or(default).map(|a| (*tid, a)))
            .collect();

        let mut held = HashSet::new();
        for (tid, _) in &plan {
            let thread = self.threads.get_mut(tid).expect("planned threads exist");
            match thread.pending {
                // gdb took the breakpoint out since: the thread, whose PC is
                // already back at the breakpoint, simply runs that code.
                Some(StopEvent::Breakpoint { addr, .. })
                    if !self.points.software.contains(addr) =>
                {
                    thread.pending = None;
                }
                // Stopped by a signal gdb has since said to pass: deliver it.
                Some(StopEvent::Signal { signal, .. })
                    if self.settings.get().signals.pass.contains(&signal) =>
                {
                    thread.pending = None;
                    thread.deliver = Some(signal);
                }
                Some(event) => {
                    thread.pending = None;
                    self.outbox.push(event);
                    if !non_stop {
                        // Signals gdb gave the other threads wait for their
                        // next run.
                        self.keep_resume_signals(&plan);
                        return Ok(());
                    }
                    held.insert(*tid);
                }
                None => {}
            }
        }
        plan.retain(|(tid, _)| !held.contains(tid));

        for (tid, action) in plan {
            if self.threads.get(&tid).is_some_and(|t| t.running) {
                continue;
            }
            self.refresh_hw(tid)?;
            let thread = self.threads.get_mut(&tid).expect("planned threads exist");
            let (requested, step) = match action {
                ResumeAction::Continue { signal } => (signal, false),
                ResumeAction::Step { signal } => (signal, true),
                ResumeAction::RangeStep { .. } => (0, true),
            };
            thread.range = match action {
                ResumeAction::RangeStep { start, end } => Some((start, end)),
                _ => None,
            };
            let signal = thread.signal_for_resume(requested);
            let catching = self.catch_syscalls.is_some();
            let result = if step {
                pt::step(tid, signal)
            } else if catching {
                pt::syscall(tid, signal)
            } else {
                pt::cont(tid, signal)
            };
            match result {
                Ok(()) => {
                    thread.running = true;
                    thread.stepping = step;
                }
                // The thread is gone (exiting): its exit status will tell.
                Err(Errno::ESRCH) => thread.running = true,
                Err(errno) => return Err(ptrace_err(tid)(errno)),
            }
        }
        Ok(())
    }

    /// Nothing runs this time (an event is pending), but gdb has handed the
    /// signals in `plan` to their threads: keep them for when each thread
    /// next runs, as GNU gdbserver enqueues them. Dropping them lost a
    /// signal gdb passed on (gdb.threads/siginfo-threads.exp). The thread
    /// stays in its signal-delivery-stop, so the signal keeps its siginfo.
    fn keep_resume_signals(&mut self, plan: &[(Tid, ResumeAction)]) {
        for (tid, action) in plan {
            let (ResumeAction::Continue { signal } | ResumeAction::Step { signal }) = *action
            else {
                continue;
            };
            if signal == 0 {
                continue;
            }
            let Some(thread) = self.threads.get_mut(tid) else {
                continue;
            };
            if let Err(kept) = thread.keep_signal(signal) {
                log::warn!("thread {tid}: signal {signal} dropped, {kept} already waits")
            }
        }
    }

    /// Continue a silently stopped thread the way it was going.
    pub(super) fn restart(&mut self, tid: Tid) -> Result<(), ProcessError> {
        self.restart_with(tid, 0)
    }

    /// Continue a silently stopped thread the way it was going, delivering `signal`.
    pub(super) fn restart_with(&mut self, tid: Tid, signal: i32) -> Result<(), ProcessError> {
        self.refresh_hw(tid)?;
        self.regs.forget(tid);
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        let signal = thread.signal_for_resume(signal);
        let result = if thread.stepping {
            pt::step(tid, signal)
        } else if self.catch_syscalls.is_some() {
            pt::syscall(tid, signal)
        } else {
            pt::cont(tid, signal)
        };
        match result {
            Ok(()) | Err(Errno::ESRCH) => {
                thread.running = true;
                Ok(())
            }
            Err(errno) => Err(ptrace_err(tid)(errno)),
        }
    }

    /// Interrupt a running process, as Ctrl-C in gdb asks: SIGINT, which the
    /// next stop reports.
    pub fn interrupt(&mut self) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Ok(());
        }
        kill(self.pid, Signal::SIGINT).map_err(ptrace_err(self.pid))
    }

    /// Non-stop `vCont;t`: stop a running thread; its stop is reported as
    /// `Stopped` (or as whatever event it meets first). A stopped thread is
    /// left as it is.
    pub fn request_stop(&mut self, tid: Tid) -> Result<(), ProcessError> {
        let pid = self.pid;
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        if !thread.running {
            return Ok(());
        }
        thread.stop_requested = true;
        if !thread.sigstop_expected {
            match pt::tgkill(pid, tid, libc::SIGSTOP) {
                Ok(()) => thread.sigstop_expected = true,
                Err(Errno::ESRCH) => {}
                Err(errno) => return Err(ptrace_err(tid)(errno)),
            }
        }
        Ok(())
    }

    /// Is this thread running (resumed and not seen stopping)?
    pub fn is_running(&self, tid: Tid) -> bool {
        self.threads.get(&tid).is_some_and(|t| t.running)
    }

    /// Any thread running?
    pub fn any_running(&self) -> bool {
        self.threads.values().any(|t| t.running)
    }

    /// An event that needs no waiting: one held back on resume, or the
    /// process's end (handed out once).
    pub fn take_ready(&mut self) -> Option<StopEvent> {
        self.outbox.take()
    }
}
