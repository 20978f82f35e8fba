//! One gdb connection: the poll loop that waits on both the connection and
//! the inferior (SIGCHLD through a signalfd), and what happens to each
//! packet: our own layer's answer (`dispatch`, `packets/`), a resume
//! (`resume`), or gdbstub's, whose output is captured and edited before it
//! goes out (`glue`). Its parts, each in its own module:
//!
//! - `link`: bytes, frames, acknowledgements, garbage limits;
//! - `glue`: gdbstub's state machine, its output, the handshake replay;
//! - `features`: what `qSupported` negotiated; `disabled`: `--disable-packet`;
//! - `dispatch` and `packets/`: the packets our layer answers itself;
//! - `resume`: our resume path and all-stop reporting;
//! - `stop_report`: the stop reply for an inferior event;
//! - `non_stop`: non-stop mode's notification queue.

use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, MultiThreadStopReason};
use nix::poll::PollTimeout;
use nix::sys::signalfd::SignalFd;
use std::os::fd::BorrowedFd;

use crate::inferior::process::StopEvent;
use crate::protocol::framing::{self, Frame};
use crate::protocol::thread_id::process_of;
use crate::stub::DebugTarget;
use crate::transport::Connection;

mod disabled;
mod dispatch;
mod features;
mod glue;
mod link;
mod non_stop;
mod packets;
mod resume;
mod stop_report;

pub use disabled::DisabledPackets;
use features::Features;
use glue::{feed_unrecorded, take_output, Handshake, Machine};
use link::{Incoming, Link, Wake};
use non_stop::StopQueue;
use packets::osdata::OsdataReads;
use packets::threads::Selection;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("gdbstub: {0}")]
    Stub(String),
    #[error("{0}")]
    Process(#[from] crate::inferior::process::ProcessError),
    #[error("poll: {0}")]
    Poll(nix::Error),
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// gdb detached: the process was let go, running.
    Detached,
    /// gdb killed the process.
    Killed,
    /// The process exited (or died of a signal) and gdb was told.
    ProcessExited(StopEvent),
    /// The connection closed or failed; the process is left as it was.
    ConnectionLost,
    /// `monitor exit`.
    ExitRequested,
    /// The server received this termination signal.
    Terminated(i32),
}

pub struct Session<'s> {
    link: Link<'s>,
    /// Packets replayed into a rebuilt gdbstub to restore its state.
    handshake: Handshake,
    /// What `qSupported` negotiated.
    features: Features,
    /// The last stop gdb was told of.
    last_stop: Option<StopEvent>,
    /// The threads `Hg` and `Hc` selected, and the `qsThreadInfo` list.
    selection: Selection,
    /// The `qXfer:osdata` document being read.
    osdata: OsdataReads,
    /// A `qTfP`/`qTfV` upload being read.
    trace_uploads: packets::trace::Uploads,
    /// `D` for the last process outside extended mode: end after the reply.
    end_after_reply: Option<SessionEnd>,
    disabled: DisabledPackets,
    /// gdb switched us to non-stop mode (`QNonStop:1`).
    non_stop: bool,
    /// Non-stop stop replies and what threads last reported.
    stops: StopQueue,
    /// Ctrl-C came while nothing ran: interrupt the next resume.
    interrupt_next_resume: bool,
    /// Fault injection for the tests: panic on a packet starting with this.
    panic_on_packet: Option<Vec<u8>>,
}

/// Environment variable naming a packet prefix that makes the session
/// panic: lets the tests prove that a bug leaves the target safe.
pub const PANIC_INJECTION_ENV: &str = "RGDBSERVER_FAULT_PANIC_ON_PACKET";

impl<'s> Session<'s> {
    pub fn new(
        conn: Connection,
        signals: &'s mut SignalFd,
        last_stop: Option<StopEvent>,
        disabled: DisabledPackets,
        listener: Option<BorrowedFd<'s>>,
    ) -> Session<'s> {
        Session {
            link: Link::new(conn, signals, listener),
            handshake: Handshake::default(),
            features: Features::default(),
            last_stop,
            selection: Selection::default(),
            osdata: OsdataReads::default(),
            trace_uploads: Default::default(),
            end_after_reply: None,
            disabled,
            non_stop: false,
            stops: StopQueue::default(),
            interrupt_next_resume: false,
            panic_on_packet: std::env::var_os(PANIC_INJECTION_ENV)
                .filter(|v| !v.is_empty())
                .map(|v| v.as_encoded_bytes().to_vec()),
        }
    }

    pub fn last_stop(&self) -> Option<StopEvent> {
        self.last_stop
    }

    fn new_machine<'a>(&mut self, target: &mut DebugTarget) -> Result<Machine<'a>, SessionError> {
        self.handshake.new_machine(target)
    }

    /// Run the session until it ends.
    pub fn run(&mut self, target: &mut DebugTarget) -> Result<SessionEnd, SessionError> {
        let end = self.serve(target);
        // gdb is gone: so is a trace run it did not leave running.
        packets::trace::disconnected(target);
        end
    }

    fn serve(&mut self, target: &mut DebugTarget) -> Result<SessionEnd, SessionError> {
        // Extended mode is per connection: gdb asks again with `!`; so are
        // thread events (a gdb that left them on must not leave them to the
        // next one, which may not expect `w` replies).
        target.extended = false;
        target.settings().update(|s| {
            s.report_thread_events = false;
            s.exit_reported.clear();
            s.clone_reported.clear();
        });
        let mut machine = self.new_machine(target)?;
        loop {
            machine = match machine {
                GdbStubStateMachine::Idle(_) => {
                    if let Some(end) = self.end_after_reply.take() {
                        return Ok(end);
                    }
                    let more_events = self.non_stop && self.notify_stops(target)?;
                    // Wait statuses may be left over from a busy poll:
                    // look at gdb's packets, then come straight back.
                    let timeout = if more_events {
                        PollTimeout::ZERO
                    } else {
                        PollTimeout::NONE
                    };
                    match self.next_input(timeout)? {
                        Ok(Some(frame)) => self.handle_frame(machine, target, frame)?,
                        Ok(None) => machine,
                        Err(end) => return Ok(end),
                    }
                }
                // DebugTarget offers gdbstub no resume support, and only its
                // resume handlers lead here.
                GdbStubStateMachine::Running(_) => {
                    return Err(SessionError::Stub(
                        "gdbstub entered its running state, which our protocol layer owns".into(),
                    ))
                }
                GdbStubStateMachine::CtrlCInterrupt(inner) => {
                    if let Some(process) = target.process.as_mut() {
                        process.interrupt()?;
                    }
                    inner
                        .interrupt_handled(target, None::<MultiThreadStopReason<u64>>)
                        .map_err(|e| SessionError::Stub(e.to_string()))?
                }
                GdbStubStateMachine::Disconnected(inner) => {
                    let end = match inner.get_reason() {
                        DisconnectReason::Disconnect => {
                            if let Some(mut process) = target.process.take() {
                                eprintln!("Detaching from process {}", process.pid());
                                process.detach()?;
                            }
                            SessionEnd::Detached
                        }
                        DisconnectReason::Kill => SessionEnd::Killed,
                        DisconnectReason::TargetExited(_)
                        | DisconnectReason::TargetTerminated(_) => {
                            let event = self.last_stop.unwrap_or(StopEvent::Exited { code: 0 });
                            SessionEnd::ProcessExited(event)
                        }
                    };
                    let others_left = !target.others.is_empty();
                    if !target.extended && !others_left {
                        return Ok(end);
                    }
                    // Extended remote: the connection stays for the next
                    // `run` or `attach`; only the process is gone.
                    if let SessionEnd::ProcessExited(event) = end {
                        eprintln!("\n{}", describe_exit(event));
                    }
                    target.drop_current();
                    self.forget_threads();
                    self.new_machine(target)?
                }
            }
        }
    }

    /// The process is gone: its thread ids must not be replayed into gdbstub,
    /// nor a Ctrl-C meant for it reach the next one.
    fn forget_threads(&mut self) {
        self.interrupt_next_resume = false;
        self.handshake.forget_threads();
    }

    /// Handle one frame from gdb while the target is stopped.
    fn handle_frame<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        frame: Frame,
    ) -> Result<Machine<'a>, SessionError> {
        match self.link.take_frame(frame)? {
            Some(Incoming::Packet(body)) => self.handle_packet(machine, target, body),
            // Ctrl-C between two resumes (gdb pressed it while we sent a
            // stop, e.g. between software-watchpoint steps): interrupt the
            // next resume, as gdbserver does. Not before: a stray \x03
            // must not kill a process gdb then detaches from.
            Some(Incoming::Interrupt) => {
                self.interrupt_next_resume = true;
                Ok(machine)
            }
            None => Ok(machine),
        }
    }

    fn handle_packet<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        body: Vec<u8>,
    ) -> Result<Machine<'a>, SessionError> {
        if crate::logging::remote_debug() {
            log::info!(target: crate::logging::REMOTE, "getpkt (\"{}\");", String::from_utf8_lossy(&body));
        }
        if let Some(prefix) = &self.panic_on_packet {
            if body.starts_with(prefix) {
                panic!("fault injected by {PANIC_INJECTION_ENV}");
            }
        }
        let body = self.own_pid_in_vkill(target, body);
        let body = crate::protocol::qsupported::with_feature_list(body);
        if let Some(answer) = self.own_reply(target, &body) {
            for packet in &answer.output {
                self.link.send_packet(packet)?;
            }
            let reply = if self.features.error_strings {
                answer.reply.into_bytes_with_text()
            } else {
                answer.reply.into_bytes()
            };
            self.link.send_packet(&reply)?;
            if body == b"QStartNoAckMode" {
                self.link.stop_acks();
            }
            return Ok(machine);
        }
        if is_resume(&body) {
            return self.resume(machine, target, &body);
        }
        if body.starts_with(b"qSupported") {
            self.features = Features::negotiate(&body, target, &self.disabled);
        } else {
            self.selection.select(target, &body);
        }
        if body.first() == Some(&b'R') && target.extended {
            // `R` (gdbstub cannot parse gdb's `R0`): start the last program
            // again. No reply; point gdbstub's current thread at the new
            // process, as gdb sends no Hg after it.
            use gdbstub::target::ext::extended_mode::ExtendedMode;
            if let Err(e) = target.restart() {
                log::warn!("restart: {e}");
            }
            self.forget_threads();
            let mut machine = machine;
            for packet in [&b"Hg0"[..], b"Hc0"] {
                machine = feed_unrecorded(machine, target, packet).map_err(SessionError::Stub)?;
                take_output(&mut machine);
            }
            return Ok(machine);
        }
        if body.starts_with(b"vCont;") {
            // gdbstub drops the pid of `p<pid>.-1`: pick the process here.
            let pid = body
                .split(|&b| b == b';')
                .filter_map(|action| {
                    action
                        .iter()
                        .position(|&b| b == b':')
                        .map(|i| &action[i + 1..])
                })
                .find_map(process_of);
            if let Some(pid) = pid {
                target.select_pid(pid);
            }
        }
        // gdbstub answers; the handshake keeps the packet if it sets
        // gdbstub state, once gdbstub took it.
        match self.handshake.feed(machine, target, &body) {
            Ok(mut next) => {
                let features = self.features.clone();
                let edit = body.starts_with(b"qSupported").then_some(&features);
                if self.non_stop && body.starts_with(b"vAttach;") {
                    self.attached_in_non_stop(&mut next, target)?;
                    return Ok(next);
                }
                self.send_output(&mut next, edit)?;
                Ok(next)
            }
            Err(error) => {
                // gdbstub gave up on this packet and its state machine is gone:
                // answer with an error and carry on with a fresh one.
                log::warn!(
                    "packet {:?} rejected: {error}",
                    String::from_utf8_lossy(&body)
                );
                self.link.send_packet(b"E01")?;
                self.new_machine(target)
            }
        }
    }

    /// Without multiprocess ids gdb knows a process by a made-up pid (42000)
    /// yet still sends `vKill;PID`: like gdbserver, that then means the
    /// current process.
    fn own_pid_in_vkill(&self, target: &DebugTarget, body: Vec<u8>) -> Vec<u8> {
        match &target.process {
            Some(process) if !self.features.multiprocess && body.starts_with(b"vKill;") => {
                format!("vKill;{:x}", process.pid().as_raw()).into_bytes()
            }
            _ => body,
        }
    }

    /// Send what gdbstub wrote, packet by packet; the first made our
    /// `qSupported` reply when `qsupported` is given.
    fn send_output(
        &mut self,
        machine: &mut Machine<'_>,
        qsupported: Option<&Features>,
    ) -> Result<(), SessionError> {
        let output = take_output(machine);
        for (i, body) in framing::split_packets(&output).into_iter().enumerate() {
            let body = match qsupported {
                Some(features) if i == 0 => features.qsupported_reply(&body),
                _ => body,
            };
            self.link.send_packet(&body)?;
        }
        Ok(())
    }

    /// The next frame from gdb, blocking while the target is stopped. In
    /// non-stop mode None when the target may have news (SIGCHLD).
    fn next_input(
        &mut self,
        timeout: PollTimeout,
    ) -> Result<Result<Option<Frame>, SessionEnd>, SessionError> {
        loop {
            if let Some(frame) = self.link.frames.pop_front() {
                return Ok(Ok(Some(frame)));
            }
            match self.link.wait(timeout)? {
                Wake::Frames => {}
                Wake::Child if self.non_stop => return Ok(Ok(None)),
                Wake::Child => {}
                Wake::ConnectionLost => return Ok(Err(SessionEnd::ConnectionLost)),
                Wake::Terminated(sig) => return Ok(Err(SessionEnd::Terminated(sig))),
            }
        }
    }
}

/// Packets that resume the target, which our layer handles.
fn is_resume(body: &[u8]) -> bool {
    body.starts_with(b"vCont;") || matches!(body.first(), Some(b'c' | b'C' | b's' | b'S'))
}

/// What the server prints when the process ends, as gdbserver does.
pub fn describe_exit(event: StopEvent) -> String {
    match event {
        StopEvent::Killed { signal } => format!("Child terminated with signal = {signal}"),
        StopEvent::Exited { code } => format!("Child exited with status {code}"),
        _ => String::new(),
    }
}
