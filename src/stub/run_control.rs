//! Running and stopping every process we trace, for our own resume path
//! (gdbstub resumes one process at a time and knows no non-stop mode):
//! requests on thread selections (`ThreadRequest`, `ThreadSelection`: this
//! layer's own types, which the session makes of `vCont` actions) resolved
//! per thread across processes, one `waitpid(-1)`
//! for all of them with each status handed to the process that owns the
//! thread, and all-stop's rule that every thread stops when one reports.

use std::collections::{HashMap, HashSet};

use nix::errno::Errno;

use super::DebugTarget;
use crate::inferior::process::{ProcessError, ResumeAction, StopEvent};
use crate::inferior::ptrace::{self as pt, Tid};

/// How long `poll_event` may work through statuses that report nothing.
const WAIT_BUDGET: std::time::Duration = std::time::Duration::from_millis(50);

/// What one thread is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadRequest {
    Resume(ResumeAction),
    /// Non-stop: stop it and report it.
    Stop,
}

/// The threads a request applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadSelection {
    /// Every thread of every process.
    All,
    /// Every thread of one process.
    Process(i32),
    /// One thread (of process `pid`, when given).
    Thread { pid: Option<i32>, tid: i32 },
    /// Any thread: the one the caller passes as `any`.
    Any,
}

impl ThreadSelection {
    /// Does this selection hold thread `tid` of process `pid`? (`Any` holds
    /// no thread by itself.)
    pub fn holds(&self, pid: i32, tid: i32) -> bool {
        match *self {
            ThreadSelection::All => true,
            ThreadSelection::Process(p) => p == pid,
            ThreadSelection::Thread { pid: p, tid: t } => t == tid && p.is_none_or(|p| p == pid),
            ThreadSelection::Any => false,
        }
    }
}

/// What `poll_event` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    /// An event of process `pid`.
    Event { pid: i32, event: StopEvent },
    /// Nothing to report now.
    Quiet,
    /// Nothing to report yet, but the time for looking ran out with wait
    /// statuses possibly left: poll again without waiting for a signal.
    Busy,
}

/// What a resume request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed {
    /// Threads run (or an event is ready to report).
    Running,
    /// The actions named no thread we could resume.
    Nothing,
}

impl DebugTarget {
    /// Apply requests: each thread takes the first request whose selection
    /// holds it; threads no request names are left as they are. `any` is
    /// the thread `ThreadSelection::Any` means. In all-stop mode a thread with an
    /// event pending keeps its process from running (that event is the
    /// next stop); in non-stop mode only that thread stays stopped.
    /// Threads in `held` take only requests that name them alone.
    pub fn resume_threads(
        &mut self,
        requests: &[(ThreadRequest, ThreadSelection)],
        any: Option<Tid>,
        non_stop: bool,
        held: &HashSet<Tid>,
    ) -> Result<Resumed, ProcessError> {
        let mut resumed = Resumed::Nothing;
        for process in self.all_processes_mut() {
            if process.has_exited() {
                continue;
            }
            let pid = process.pid().as_raw();
            let mut plan = HashMap::new();
            let mut stops = Vec::new();
            for tid in process.thread_ids() {
                let chosen = requests.iter().find(|(_, threads)| {
                    let named = matches!(threads, ThreadSelection::Thread { .. });
                    (threads.holds(pid, tid.as_raw()) && (named || !held.contains(&tid)))
                        || (*threads == ThreadSelection::Any && any == Some(tid))
                });
                match chosen.map(|(request, _)| *request) {
                    Some(ThreadRequest::Resume(action)) => {
                        plan.insert(tid, action);
                    }
                    Some(ThreadRequest::Stop) => stops.push(tid),
                    None => {}
                }
            }
            for tid in stops {
                process.request_stop(tid)?;
            }
            if !plan.is_empty() {
                process.resume(&plan, None, non_stop)?;
                resumed = Resumed::Running;
            }
        }
        Ok(resumed)
    }

    /// The next event of any process, without blocking: one that is ready,
    /// or one found by `waitpid(-1)`, with its process id. Works at most
    /// `WAIT_BUDGET` on statuses that report nothing (threads stepped over
    /// a breakpoint whose condition is false, say), then says `Busy`, so
    /// that the caller can answer gdb (which gives up on a reply after two
    /// seconds) before calling again.
    pub fn poll_event(&mut self) -> Result<Polled, ProcessError> {
        for process in self.all_processes_mut() {
            if let Some(event) = process.take_ready() {
                let pid = process.pid().as_raw();
                return Ok(Polled::Event { pid, event });
            }
        }
        let started = std::time::Instant::now();
        while started.elapsed() < WAIT_BUDGET {
            let (tid, status) = match pt::wait(-1, true) {
                Ok(Some(found)) => found,
                Ok(None) | Err(Errno::ECHILD) => return Ok(Polled::Quiet),
                Err(errno) => return Err(ProcessError::Ptrace { tid: -1, errno }),
            };
            let found = match self.all_processes_mut().find(|p| p.owns(tid)) {
                Some(process) => {
                    let pid = process.pid().as_raw();
                    // A status with nothing to report may still have left
                    // an event in the process's outbox (a thread's exit).
                    let event = match process.handle_wait(tid, status)? {
                        Some(event) => Some(event),
                        None => process.take_ready(),
                    };
                    Some(event.map(|event| Polled::Event { pid, event }))
                }
                None => None,
            };
            match found {
                Some(Some(polled)) => {
                    self.adopt_forked();
                    return Ok(polled);
                }
                Some(None) => {}
                // A new thread or fork child reporting before its creator's
                // event: whichever process it belongs to will look for it.
                None if !status.is_exit() => {
                    for process in self.all_processes_mut() {
                        process.note_unknown_stop(tid);
                    }
                }
                // A process we let go, ending.
                None => {}
            }
        }
        Ok(Polled::Busy)
    }

    /// All-stop: stop every running thread of every process (events met
    /// meanwhile stay pending for later resumes).
    pub fn stop_everything(&mut self) -> Result<(), ProcessError> {
        for process in self.all_processes_mut() {
            if !process.has_exited() && process.any_running() {
                process.stop_all()?;
            }
        }
        Ok(())
    }

    /// Ctrl-C: interrupt the current process if it runs, else the first
    /// that does.
    pub fn interrupt(&mut self) -> Result<(), ProcessError> {
        let current_runs = self
            .process
            .as_ref()
            .is_some_and(|p| !p.has_exited() && p.any_running());
        let process = if current_runs {
            self.process.as_mut()
        } else {
            self.all_processes_mut()
                .find(|p| !p.has_exited() && p.any_running())
        };
        match process {
            Some(process) => process.interrupt(),
            None => Ok(()),
        }
    }

    /// Forget leader threads that exited while their process lives on
    /// (see `Process::forget_exited_leader`).
    pub fn forget_exited_leaders(&mut self) {
        for process in self.all_processes_mut() {
            if !process.has_exited() {
                process.forget_exited_leader();
            }
        }
    }

    /// Is a thread of a live process on its way out, its exit still to come?
    pub fn any_thread_exiting(&self) -> bool {
        self.all_processes()
            .any(|p| !p.has_exited() && p.some_thread_exiting())
    }

    /// Is any thread of any process running?
    pub fn any_running(&self) -> bool {
        self.all_processes()
            .any(|p| !p.has_exited() && p.any_running())
    }

    /// Forget a process that has exited (its end was reported).
    pub fn remove_process(&mut self, pid: i32) {
        if self
            .process
            .as_ref()
            .is_some_and(|p| p.pid().as_raw() == pid)
        {
            self.drop_current();
        } else {
            self.others.remove(&pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_selections_hold_what_they_name() {
        assert!(ThreadSelection::All.holds(1, 2));
        assert!(ThreadSelection::Process(1).holds(1, 2));
        assert!(!ThreadSelection::Process(1).holds(3, 2));
        assert!(ThreadSelection::Thread { pid: None, tid: 2 }.holds(1, 2));
        assert!(!ThreadSelection::Thread {
            pid: Some(3),
            tid: 2
        }
        .holds(1, 2));
        assert!(ThreadSelection::Thread {
            pid: Some(1),
            tid: 2
        }
        .holds(1, 2));
        assert!(!ThreadSelection::Any.holds(1, 2));
    }
}
