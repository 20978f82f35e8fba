//! Non-stop mode (`QNonStop:1`): threads stop and run alone, and each stop
//! goes to gdb as a `%Stop` notification, then one `vStopped` at a time,
//! from a queue; non-stop `?` reports every stopped thread. Also the
//! threads gdb has not been told of yet (the non-leaders of a process it
//! attached to), reported when gdb asks them to stop.

use std::collections::{HashMap, HashSet, VecDeque};

use super::glue::{take_output, Machine};
use super::stop_report;
use super::{describe_exit, Session, SessionError};
use crate::inferior::process::{Origin, StopEvent};
use crate::inferior::ptrace::Tid;
use crate::protocol::framing;
use crate::stub::{DebugTarget, Polled, ThreadRequest, ThreadSelection};

/// The stop replies gdb has not taken yet, and what each thread last
/// reported.
#[derive(Debug, Default)]
pub(super) struct StopQueue {
    /// Stop replies not yet taken by gdb; the first has been sent as a
    /// `%Stop` notification when `notified` is set.
    pub(super) queue: VecDeque<(Option<Tid>, Vec<u8>)>,
    pub(super) notified: bool,
    /// The last event each thread reported, for non-stop `?`.
    pub(super) thread_events: HashMap<Tid, StopEvent>,
    /// Stopped threads gdb has not been told of (it takes them for
    /// running). Their stop is reported when gdb asks them to stop.
    pub(super) unreported: HashSet<Tid>,
}

impl Session<'_> {
    /// Non-stop: an unreported stopped thread that gdb asks to stop is
    /// reported stopped now; one it resumes is simply resumed.
    pub(super) fn settle_unreported(
        &mut self,
        target: &mut DebugTarget,
        actions: &[(ThreadRequest, ThreadSelection)],
    ) {
        if self.stops.unreported.is_empty() {
            return;
        }
        for process in target.all_processes_mut() {
            let pid = process.pid().as_raw();
            let threads: Vec<Tid> = process.thread_ids().collect();
            for tid in threads {
                if !self.stops.unreported.contains(&tid) {
                    continue;
                }
                let chosen = actions
                    .iter()
                    .find(|(_, threads)| threads.holds(pid, tid.as_raw()));
                match chosen {
                    Some((ThreadRequest::Stop, _)) => {
                        self.stops.unreported.remove(&tid);
                        let event = StopEvent::Stopped { tid };
                        self.stops.thread_events.insert(tid, event);
                        let reply = stop_report::reply(process, event, self.features.reply_style());
                        self.stops
                            .queue
                            .push_back((Some(tid), self.disabled.stop_reply(reply)));
                    }
                    Some(_) => {
                        self.stops.unreported.remove(&tid);
                    }
                    None => {}
                }
            }
        }
    }

    /// Non-stop: queue a stop reply for every event the target has, and
    /// send the first as a `%Stop` notification unless one is out already.
    /// True if the target may have more at once (its poll ran out of time).
    pub(super) fn notify_stops(&mut self, target: &mut DebugTarget) -> Result<bool, SessionError> {
        let more_events = loop {
            let (pid, event) = match target.poll_event()? {
                Polled::Event { pid, event } => (pid, event),
                Polled::Quiet => break false,
                Polled::Busy => break true,
            };
            let Some(process) = target.all_processes_mut().find(|p| p.pid().as_raw() == pid) else {
                continue;
            };
            let reply = stop_report::reply(process, event, self.features.reply_style());
            self.stops
                .queue
                .push_back((event.tid(), self.disabled.stop_reply(reply)));
            // A thread's exit is no stop: nothing of it to keep.
            if let StopEvent::ThreadExited { .. } = event {
                continue;
            }
            self.last_stop = Some(event);
            match event.tid() {
                Some(tid) => {
                    self.stops.thread_events.insert(tid, event);
                }
                None => {
                    eprintln!("\n{}", describe_exit(event));
                    target.remove_process(pid);
                    self.forget_threads();
                }
            }
        };
        if !self.stops.notified {
            if let Some((_, first)) = self.stops.queue.front().cloned() {
                let mut body = b"Stop:".to_vec();
                body.extend_from_slice(&first);
                self.link.send_notification(&body)?;
                self.stops.notified = true;
            }
        }
        Ok(more_events)
    }

    /// Non-stop `vAttach`: `OK`, where all-stop replies with the stop. gdb
    /// then asks the new process's threads to stop (`vCont;t`), and only
    /// then, once it knows the process's architecture, hears they stopped.
    pub(super) fn attached_in_non_stop(
        &mut self,
        machine: &mut Machine<'_>,
        target: &mut DebugTarget,
    ) -> Result<(), SessionError> {
        let output = take_output(machine);
        let replies = framing::split_packets(&output);
        let attached = replies
            .first()
            .is_some_and(|r| matches!(r.first(), Some(b'T' | b'S')));
        if !attached {
            for reply in replies {
                self.link.send_packet(&reply)?;
            }
            return Ok(());
        }
        self.link.send_packet(b"OK")?;
        if let Some(process) = target.process.as_ref() {
            self.stops.unreported.extend(process.thread_ids());
        }
        Ok(())
    }

    /// `vStopped`: gdb took the stop reply it was sent; the next one, or
    /// `OK` when none is left.
    pub(super) fn next_notification(&mut self) -> Vec<u8> {
        if self.stops.notified {
            self.stops.queue.pop_front();
        }
        match self.stops.queue.front() {
            Some((_, next)) => {
                self.stops.notified = true;
                next.clone()
            }
            None => {
                self.stops.notified = false;
                b"OK".to_vec()
            }
        }
    }

    /// Non-stop `?`: a stop reply for every stopped thread, the first as
    /// the reply and the rest for `vStopped`, as gdbserver does.
    pub(super) fn non_stop_status(&mut self, target: &mut DebugTarget) -> Vec<u8> {
        self.stops.queue.clear();
        self.stops.notified = false;
        self.stops.unreported.clear();
        for process in target.all_processes_mut() {
            let stopped: Vec<Tid> = process
                .thread_ids()
                .filter(|&t| !process.is_running(t))
                .collect();
            for tid in stopped {
                // Threads that never reported anything (the non-leaders
                // of a process we attached to) are left for gdb to stop,
                // as gdbserver does: gdb is not ready for a burst of stops
                // on connecting.
                let event = match self.stops.thread_events.get(&tid) {
                    Some(&event) => event,
                    None if self.last_stop.and_then(|e| e.tid()) == Some(tid) => {
                        self.last_stop.expect("checked")
                    }
                    None if tid == process.pid() => match process.origin() {
                        Origin::Launched => StopEvent::Signal {
                            tid,
                            signal: libc::SIGTRAP,
                        },
                        Origin::Attached => StopEvent::Stopped { tid },
                    },
                    None => {
                        self.stops.unreported.insert(tid);
                        continue;
                    }
                };
                let reply = stop_report::reply(process, event, self.features.reply_style());
                self.stops
                    .queue
                    .push_back((Some(tid), self.disabled.stop_reply(reply)));
            }
        }
        match self.stops.queue.front() {
            Some((_, first)) => {
                self.stops.notified = true;
                first.clone()
            }
            None => b"OK".to_vec(),
        }
    }
}
