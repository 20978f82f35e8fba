//! The process's life under our control, from its side: stopping every
//! thread (all-stop, keeping what they report pending), and leaving it at the
//! end of a session, by detaching (breakpoints out, signals gdb never saw
//! handed on), killing and reaping it, or whichever of the two suits how it
//! came to us (`release`, also on drop).

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};

use crate::inferior::journal;
use crate::inferior::ptrace::{self as pt, Tid, WaitStatus};

use super::events::Afterwards;
use super::{ptrace_err, Origin, Process, ProcessError, StopEvent};

impl Process {
    /// Stop every thread (all-stop), keeping whatever they report pending.
    pub fn stop(&mut self) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Ok(());
        }
        self.stop_all()
    }

    /// The threads resumed and not yet seen stopping.
    pub(super) fn running_threads(&self) -> Vec<Tid> {
        self.threads
            .iter()
            .filter(|(_, t)| t.running)
            .map(|(tid, _)| *tid)
            .collect()
    }

    /// A status met while every thread is being stopped (`stop_all`,
    /// `detach`): handled, its event kept pending on its thread for a later
    /// resume. True when it was the process's end.
    fn hold_while_stopping(&mut self, got: Tid, status: WaitStatus) -> Result<bool, ProcessError> {
        if let Some(event) = self.handle_status(got, status, Afterwards::StayStopped)? {
            if event.is_exit() {
                return Ok(true);
            }
            if let Some(thread) = self.threads.get_mut(&got) {
                thread.pending = Some(event);
            }
        }
        Ok(false)
    }

    /// Stop every running thread (all-stop), keeping events that arrive meanwhile pending.
    pub fn stop_all(&mut self) -> Result<(), ProcessError> {
        loop {
            let running = self.running_threads();
            if running.is_empty() {
                return Ok(());
            }
            for &tid in &running {
                let thread = self.threads.get_mut(&tid).expect("listed above");
                if !thread.sigstop_expected {
                    // A task cloned without CLONE_THREAD is not in our
                    // thread group: tgkill says ESRCH, tkill reaches it.
                    let sent = match pt::tgkill(self.pid, tid, libc::SIGSTOP) {
                        Err(Errno::ESRCH) if tid != self.pid => pt::tkill(tid, libc::SIGSTOP),
                        sent => sent,
                    };
                    match sent {
                        Ok(()) => thread.sigstop_expected = true,
                        // Already exiting: its exit status will come.
                        Err(Errno::ESRCH) => {}
                        Err(errno) => return Err(ptrace_err(tid)(errno)),
                    }
                }
            }
            for tid in running {
                while self.threads.get(&tid).is_some_and(|t| t.running) {
                    // A leader that exited before the others never reports
                    // its SIGSTOP: do not block on it.
                    let leader = tid == self.pid;
                    let found = pt::wait(tid.as_raw(), leader).map_err(ptrace_err(tid))?;
                    let Some((got, status)) = found else {
                        if leader && !self.forget_exited_leader() {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                        continue;
                    };
                    if self.hold_while_stopping(got, status)? {
                        return Ok(());
                    }
                }
            }
            // New threads may have appeared while stopping: go round again.
        }
    }

    /// Detach: breakpoints out, every thread let go running, with any signal
    /// it was stopped by delivered.
    pub fn detach(&mut self) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Ok(());
        }
        self.stop_all()?;
        let removal = self.points.remove_planted(&self.memory);
        if !self.points.hw.is_empty() {
            self.points.hw.clear();
            if let Err(e) = self.apply_hw_everywhere() {
                log::warn!("clearing debug registers: {e}");
            }
        }
        // A SIGSTOP we sent and the thread has not reported yet would stop the
        // process after we leave: let it arrive first.
        let waiting: Vec<Tid> = self
            .threads
            .iter()
            .filter(|(_, t)| t.sigstop_expected)
            .map(|(tid, _)| *tid)
            .collect();
        for tid in waiting {
            if pt::cont(tid, 0).is_err() {
                continue;
            }
            if let Some(thread) = self.threads.get_mut(&tid) {
                thread.running = true;
            }
            while self
                .threads
                .get(&tid)
                .is_some_and(|t| t.sigstop_expected && t.running)
            {
                let Ok(Some((got, status))) = pt::wait(tid.as_raw(), false) else {
                    break;
                };
                if self.hold_while_stopping(got, status)? {
                    return Ok(());
                }
            }
        }
        let settings = self.settings.clone();
        for (tid, thread) in self.threads.take_all() {
            // Signals gdb never saw go to the program if gdb allows it
            // (QProgramSignals; all of them if gdb said nothing).
            let signal = thread
                .unreported_signal()
                .filter(|&s| settings.get().signals.allows(s))
                .unwrap_or(0);
            if let Err(e) = pt::detach(tid, signal) {
                log::warn!("detaching thread {tid}: {e}");
            }
        }
        self.outbox.set_exit(StopEvent::Exited { code: 0 });
        journal::record(|j| j.forget_process(self.pid));
        removal.map_err(ProcessError::from)
    }

    /// Kill the process and reap it.
    pub fn kill(&mut self) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Ok(());
        }
        let _ = self.points.remove_planted(&self.memory);
        let _ = kill(self.pid, Signal::SIGKILL);
        // Each thread's death is reported to us, the leader's last (only
        // after the others are reaped). Wait for ours only: other processes
        // we trace keep their events.
        let others: Vec<Tid> = self
            .threads
            .keys()
            .copied()
            .filter(|t| *t != self.pid)
            .collect();
        // A "thread" cloned without CLONE_THREAD (gdb.base/step-over-
        // syscall.exp's clone) is a process of its own: the SIGKILL above
        // does not reach it, and waiting for its death would hang.
        for &tid in &others {
            let _ = pt::tkill(tid, libc::SIGKILL);
        }
        for tid in others {
            while let Ok(Some((_, status))) = pt::wait(tid.as_raw(), false) {
                if status.is_exit() {
                    break;
                }
            }
        }
        while let Ok(Some((_, status))) = pt::wait(self.pid.as_raw(), false) {
            if status.is_exit() {
                break;
            }
        }
        self.process_gone(StopEvent::Killed {
            signal: libc::SIGKILL,
        });
        Ok(())
    }

    /// Leave the target as the user expects after the session: a launched
    /// process dies with us, an attached one goes on running untraced.
    pub fn release(&mut self) {
        let result = match self.origin {
            Origin::Launched => self.kill(),
            Origin::Attached => self.detach(),
        };
        if let Err(e) = result {
            log::warn!("cleaning up process {}: {e}", self.pid);
        }
    }

    /// The process has ended with `event`: reap what is left of it and
    /// forget its threads and breakpoints.
    pub(super) fn process_gone(&mut self, event: StopEvent) -> StopEvent {
        // Reap whatever else is left of the thread group.
        for tid in self.threads.keys() {
            while let Ok(Some(_)) = pt::wait(tid.as_raw(), true) {}
        }
        self.threads.clear();
        self.regs.forget_all();
        self.points.software.forget_all();
        self.points.actions.clear();
        self.outbox.set_exit(event);
        journal::record(|j| j.forget_process(self.pid));
        event
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.outbox.has_exited() {
            self.release();
        }
    }
}
