//! Resuming, our own path (gdbstub is told the target cannot resume):
//! `vCont` and the legacy `c`/`C`/`s`/`S` turned into the run control's
//! own requests (host signals, `stub::ThreadSelection`), for every process
//! we trace; in all-stop mode, the wait for the first
//! event (every thread then stops), Ctrl-C while running, and the stop
//! reply that makes the stopped thread current.

use std::collections::{HashSet, VecDeque};

use nix::poll::PollTimeout;

use super::glue::{take_output, Machine};
use super::link::Wake;
use super::stop_report;
use super::{describe_exit, Session, SessionEnd, SessionError};
use crate::inferior::process::{ResumeAction, StopEvent};
use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::protocol::framing::Frame;
use crate::protocol::vcont::{self, Action, Threads};
use crate::stub::{DebugTarget, Polled, Resumed, ThreadRequest, ThreadSelection};

/// How often an all-stop wait looks for leader threads that exited
/// without a word.
const LEADER_EXIT_POLL_MS: u16 = 200;

impl Session<'_> {
    /// `vCont`, `c`, `C`, `s`, `S`: resume threads ourselves. In all-stop
    /// mode wait here for the stop and report it; in non-stop mode reply
    /// `OK` at once (stops come as notifications).
    pub(super) fn resume<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        body: &[u8],
    ) -> Result<Machine<'a>, SessionError> {
        let Some(actions) = self.resume_actions(target, body) else {
            self.link.send_packet(b"E01")?;
            return Ok(machine);
        };
        let any = self
            .selection
            .general
            .or_else(|| self.last_stop.and_then(|e| e.tid()))
            .or_else(|| target.process.as_ref().and_then(|p| p.thread_ids().next()));
        if self.non_stop {
            self.settle_unreported(target, &actions);
        } else {
            self.stops.thread_events.clear();
        }
        // Non-stop: a thread whose stop gdb has not taken from the queue
        // yet stays stopped on a wildcard resume (gdb has yet to see it
        // stopped), as in gdbserver.
        let queued: HashSet<Tid> = self
            .stops
            .queue
            .iter()
            .filter_map(|(tid, _)| *tid)
            .collect();
        let resumed = target.resume_threads(&actions, any, self.non_stop, &queued);
        if resumed.is_ok() && std::mem::take(&mut self.interrupt_next_resume) {
            target.interrupt()?;
        }
        if self.non_stop {
            self.link.send_packet(match resumed {
                Ok(_) => b"OK",
                Err(_) => b"E01",
            })?;
            return Ok(machine);
        }
        match resumed {
            Ok(Resumed::Running) => {}
            Ok(Resumed::Nothing) => {
                self.link.send_packet(b"E01")?;
                return Ok(machine);
            }
            Err(e) => {
                log::warn!("resume: {e}");
                self.link
                    .send_packet(format!("E{:02x}", e.errno()).as_bytes())?;
                return Ok(machine);
            }
        }
        match self.wait_all_stop(target)? {
            Ok(Some((pid, event))) => self.report_stop(machine, target, pid, event),
            Ok(None) => {
                // gdb's "No unwaited-for children left."
                self.link.send_packet(b"N")?;
                Ok(machine)
            }
            Err(end) => {
                self.end_after_reply = Some(end);
                Ok(machine)
            }
        }
    }

    /// The requests of a resume packet; a legacy packet acts on the `Hc`
    /// thread (or the current one) and, unless `Hc` named a thread, lets the
    /// rest of its process continue, as gdbserver does.
    fn resume_actions(
        &self,
        target: &mut DebugTarget,
        body: &[u8],
    ) -> Option<Vec<(ThreadRequest, ThreadSelection)>> {
        let actions = self.packet_actions(target, body)?;
        Some(
            actions
                .into_iter()
                .map(|(action, threads)| (request(action), selection(threads)))
                .collect(),
        )
    }

    /// The actions of a resume packet, as the wire says them.
    fn packet_actions(
        &self,
        target: &mut DebugTarget,
        body: &[u8],
    ) -> Option<Vec<(Action, Threads)>> {
        if body.starts_with(b"vCont;") {
            return vcont::parse(body);
        }
        let (action, address) = vcont::parse_legacy(body)?;
        let tid = self
            .selection
            .cont
            .or(self.selection.general)
            .or_else(|| self.last_stop.and_then(|e| e.tid()))
            .or_else(|| target.process.as_ref().and_then(|p| p.thread_ids().next()))?;
        if !target.select_tid(tid) {
            return None;
        }
        let pid = target.process.as_ref()?.pid().as_raw();
        if let Some(address) = address {
            let process = target.process.as_mut()?;
            if let Err(e) = process.write_pc(tid, address) {
                log::warn!("resume at {address:#x}: {e}");
                return None;
            }
        }
        let mut actions = vec![(
            action,
            Threads::Thread {
                pid: Some(pid),
                tid: tid.as_raw(),
            },
        )];
        if self.selection.cont.is_none() {
            actions.push((Action::Continue { signal: 0 }, Threads::Process(pid)));
        }
        Some(actions)
    }

    /// Tell gdb of an all-stop event of process `pid`. The stopped thread
    /// becomes current, on gdb's side as on ours (gdb assumes so and sends
    /// no `Hg` for it). The end of the last process ends a session that is
    /// not extended.
    fn report_stop<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        pid: i32,
        event: StopEvent,
    ) -> Result<Machine<'a>, SessionError> {
        // A thread's exit is no stop of a thread gdb could select.
        let thread_exit = matches!(event, StopEvent::ThreadExited { .. });
        if !thread_exit {
            self.last_stop = Some(event);
            self.selection.general = None;
        }
        target.select_pid(pid);
        let reply = match target.process.as_mut() {
            Some(process) if process.pid().as_raw() == pid => {
                stop_report::reply(process, event, self.features.reply_style())
            }
            _ => stop_report::no_process(),
        };
        let reply = self.disabled.stop_reply(reply);
        self.link.send_packet(&reply)?;
        if event.is_exit() {
            target.remove_process(pid);
            self.forget_threads();
            if target.process.is_none() && !target.extended {
                self.end_after_reply = Some(SessionEnd::ProcessExited(event));
                return Ok(machine);
            }
            eprintln!("\n{}", describe_exit(event));
            return self.new_machine(target);
        }
        let Some(tid) = event.tid() else {
            return Ok(machine);
        };
        let select = if self.features.multiprocess {
            format!("Hgp{pid:x}.{:x}", tid.as_raw())
        } else {
            format!("Hg{:x}", tid.as_raw())
        };
        let mut machine = self
            .handshake
            .feed(machine, target, select.as_bytes())
            .map_err(SessionError::Stub)?;
        take_output(&mut machine);
        Ok(machine)
    }

    /// All-stop: wait while the target runs, for the first event of any
    /// process (then every thread is stopped), Ctrl-C from gdb, or the end.
    /// None when no resumed thread is left to wait for (they all exited).
    fn wait_all_stop(
        &mut self,
        target: &mut DebugTarget,
    ) -> Result<Result<Option<(i32, StopEvent)>, SessionEnd>, SessionError> {
        loop {
            // Only Ctrl-C means something while running; packets wait. Look
            // before blocking: a Ctrl-C read together with the resume packet
            // is already queued, and no new data may ever wake us for it.
            let mut keep = VecDeque::new();
            while let Some(frame) = self.link.frames.pop_front() {
                match frame {
                    Frame::Interrupt => target.interrupt()?,
                    Frame::Packet(_) | Frame::Nack | Frame::BadChecksum | Frame::Oversized => {
                        keep.push_back(frame)
                    }
                    Frame::Ack => {}
                }
            }
            self.link.frames = keep;
            let more_events = match target.poll_event()? {
                Polled::Event { pid, event } => {
                    target.stop_everything()?;
                    return Ok(Ok(Some((pid, event))));
                }
                Polled::Quiet => false,
                Polled::Busy => true,
            };
            if target.process.is_none() && target.others.is_empty() {
                return Ok(Ok(Some((0, StopEvent::Exited { code: 0 }))));
            }
            target.forget_exited_leaders();
            // Not while a thread is being killed by another's exit_group:
            // its exit, and the process's, are still to come.
            if !target.any_running() && self.features.no_resumed && !target.any_thread_exiting() {
                return Ok(Ok(None));
            }
            // A leader thread's exit wakes nobody: look again now and then.
            let timeout = if more_events {
                PollTimeout::ZERO
            } else {
                PollTimeout::from(LEADER_EXIT_POLL_MS)
            };
            match self.link.wait(timeout)? {
                Wake::Child | Wake::Frames => {}
                Wake::ConnectionLost => return Ok(Err(SessionEnd::ConnectionLost)),
                Wake::Terminated(sig) => return Ok(Err(SessionEnd::Terminated(sig))),
            }
        }
    }
}

/// The run control's request for a `vCont` action: gdb's signal numbers
/// become the host's (0, no signal, for one the host does not have).
fn request(action: Action) -> ThreadRequest {
    let host = |signal: u8| native::SIGNALS.from_gdb(signal).unwrap_or(0);
    ThreadRequest::Resume(match action {
        Action::Continue { signal } => ResumeAction::Continue {
            signal: host(signal),
        },
        Action::Step { signal } => ResumeAction::Step {
            signal: host(signal),
        },
        Action::RangeStep { start, end } => ResumeAction::RangeStep { start, end },
        Action::Stop => return ThreadRequest::Stop,
    })
}

/// The run control's selection for the threads a `vCont` action names.
fn selection(threads: Threads) -> ThreadSelection {
    match threads {
        Threads::All => ThreadSelection::All,
        Threads::Process(pid) => ThreadSelection::Process(pid),
        Threads::Thread { pid, tid } => ThreadSelection::Thread { pid, tid },
        Threads::Any => ThreadSelection::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_become_requests_with_host_signals() {
        assert_eq!(
            request(Action::Continue { signal: 0 }),
            ThreadRequest::Resume(ResumeAction::Continue { signal: 0 })
        );
        // gdb's 0x1e is SIGUSR1, whatever the host numbers it.
        assert_eq!(
            request(Action::Continue { signal: 0x1e }),
            ThreadRequest::Resume(ResumeAction::Continue {
                signal: libc::SIGUSR1
            })
        );
        assert_eq!(
            request(Action::Step { signal: 0x1f }),
            ThreadRequest::Resume(ResumeAction::Step {
                signal: libc::SIGUSR2
            })
        );
        // A number the host has no signal for resumes without one.
        assert_eq!(
            request(Action::Step { signal: 0xff }),
            ThreadRequest::Resume(ResumeAction::Step { signal: 0 })
        );
        assert_eq!(
            request(Action::RangeStep {
                start: 0x400,
                end: 0x410
            }),
            ThreadRequest::Resume(ResumeAction::RangeStep {
                start: 0x400,
                end: 0x410
            })
        );
        assert_eq!(request(Action::Stop), ThreadRequest::Stop);
    }

    #[test]
    fn thread_sets_become_selections() {
        assert_eq!(selection(Threads::All), ThreadSelection::All);
        assert_eq!(selection(Threads::Process(5)), ThreadSelection::Process(5));
        assert_eq!(
            selection(Threads::Thread {
                pid: Some(5),
                tid: 6
            }),
            ThreadSelection::Thread {
                pid: Some(5),
                tid: 6
            }
        );
        assert_eq!(
            selection(Threads::Thread { pid: None, tid: 6 }),
            ThreadSelection::Thread { pid: None, tid: 6 }
        );
        assert_eq!(selection(Threads::Any), ThreadSelection::Any);
    }
}
