//! One gdb connection: the event loop that waits on both the connection and
//! the inferior (SIGCHLD through a signalfd, with `poll`), frames packets,
//! answers the ones our protocol layer owns and feeds the rest to gdbstub's
//! state machine, whose output it captures, edits where needed and sends.

use std::collections::VecDeque;
use std::os::fd::AsFd;

use gdbstub::conn::Connection as GdbConnection;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, GdbStubBuilder, MultiThreadStopReason};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signalfd::SignalFd;

use crate::inferior::process::StopEvent;
use crate::protocol::framing::{self, Frame, FrameReader};
use crate::protocol::{memory_read, qxfer_reply, stop_reply, threads_xfer, validate, PACKET_SIZE};
use crate::target::arch::RegNum;
use crate::target::DebugTarget;
use crate::transport::Connection;

/// gdbstub writes its replies here; we take them out after every call.
#[derive(Default)]
pub struct Capture {
    out: Vec<u8>,
}

impl GdbConnection for Capture {
    type Error = std::convert::Infallible;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

type Machine<'a> = GdbStubStateMachine<'a, DebugTarget, Capture>;

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

enum Wake {
    Frames,
    ConnectionLost,
    Terminated(i32),
    Child,
}

pub struct Session<'s> {
    conn: Connection,
    signals: &'s mut SignalFd,
    reader: FrameReader,
    frames: VecDeque<Frame>,
    no_ack: bool,
    last_sent: Vec<u8>,
    /// Packets replayed into a rebuilt gdbstub to restore its state.
    handshake: Vec<Vec<u8>>,
    multiprocess: bool,
    last_stop: Option<StopEvent>,
}

const OUR_FEATURES: &str = ";qXfer:threads:read+";

impl<'s> Session<'s> {
    pub fn new(
        conn: Connection,
        signals: &'s mut SignalFd,
        last_stop: Option<StopEvent>,
    ) -> Session<'s> {
        Session {
            conn,
            signals,
            reader: FrameReader::new(PACKET_SIZE - 4),
            frames: VecDeque::new(),
            no_ack: false,
            last_sent: Vec::new(),
            handshake: Vec::new(),
            multiprocess: false,
            last_stop,
        }
    }

    pub fn last_stop(&self) -> Option<StopEvent> {
        self.last_stop
    }

    fn new_machine<'a>(&mut self, target: &mut DebugTarget) -> Result<Machine<'a>, SessionError> {
        let stub = GdbStubBuilder::new(Capture::default())
            .packet_buffer_size(PACKET_SIZE)
            .build()
            .map_err(|e| SessionError::Stub(e.to_string()))?;
        let mut machine = stub
            .run_state_machine(target)
            .map_err(|e| SessionError::Stub(e.to_string()))?;
        // Acknowledgements are ours: gdbstub runs in no-ack mode from the start.
        let mut replay = vec![b"QStartNoAckMode".to_vec()];
        replay.extend(self.handshake.iter().cloned());
        for packet in replay {
            machine = feed(machine, target, &packet).map_err(SessionError::Stub)?;
            take_output(&mut machine);
        }
        Ok(machine)
    }

    /// Run the session until it ends.
    pub fn run(&mut self, target: &mut DebugTarget) -> Result<SessionEnd, SessionError> {
        let mut machine = self.new_machine(target)?;
        loop {
            machine = match machine {
                GdbStubStateMachine::Idle(_) => {
                    if target.exit_requested {
                        return Ok(SessionEnd::ExitRequested);
                    }
                    let frame = match self.next_frame()? {
                        Ok(frame) => frame,
                        Err(end) => return Ok(end),
                    };
                    self.handle_frame(machine, target, frame)?
                }
                GdbStubStateMachine::Running(inner) => {
                    let event = match self.wait_for_stop(target)? {
                        Ok(event) => event,
                        Err(end) => return Ok(end),
                    };
                    self.last_stop = Some(event);
                    let reason = stop_reply::to_gdbstub(event);
                    let regs = match target.process.as_mut() {
                        Some(process) => stop_reply::expedited_registers(process, event),
                        None => Vec::new(),
                    };
                    let mut regs_iter = regs.iter().map(|(n, b)| (RegNum(*n), b.as_slice()));
                    let result = inner.report_stop_with_regs(target, reason, &mut regs_iter);
                    let mut next = result.map_err(|e| SessionError::Stub(e.to_string()))?;
                    self.send_output(&mut next, None)?;
                    next
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
                    return Ok(match inner.get_reason() {
                        DisconnectReason::Disconnect => {
                            if let Some(process) = target.process.as_mut() {
                                eprintln!("Detaching from process {}", process.pid());
                                process.detach()?;
                            }
                            SessionEnd::Detached
                        }
                        DisconnectReason::Kill => SessionEnd::Killed,
                        DisconnectReason::TargetExited(_)
                        | DisconnectReason::TargetTerminated(_) => SessionEnd::ProcessExited(
                            self.last_stop.unwrap_or(StopEvent::Exited { code: 0 }),
                        ),
                    });
                }
            }
        }
    }

    /// Handle one frame from gdb while the target is stopped.
    fn handle_frame<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        frame: Frame,
    ) -> Result<Machine<'a>, SessionError> {
        match frame {
            Frame::Packet(body) => {
                if !self.no_ack {
                    self.write(b"+")?;
                }
                self.handle_packet(machine, target, body)
            }
            // Without acknowledgements a stray `-` is noise: resending would
            // put an extra reply in front of the next one.
            Frame::Nack => {
                if !self.no_ack && !self.last_sent.is_empty() {
                    let again = self.last_sent.clone();
                    self.write(&again)?;
                }
                Ok(machine)
            }
            // Without acknowledgements gdb waits for a reply to every packet,
            // mangled or not: an error keeps the two sides in step.
            Frame::BadChecksum | Frame::Oversized => {
                if self.no_ack {
                    self.send_packet(b"E01")?;
                } else {
                    self.write(b"-")?;
                }
                Ok(machine)
            }
            // Ctrl-C with nothing running: nothing to interrupt.
            Frame::Ack | Frame::Interrupt => Ok(machine),
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
        if let Some(reply) = self.own_reply(target, &body) {
            self.send_packet(&reply)?;
            if body == b"QStartNoAckMode" {
                self.no_ack = true;
            }
            return Ok(machine);
        }
        match feed(machine, target, &body) {
            Ok(mut next) => {
                // Remembered only once gdbstub took it: a packet it rejects
                // would fail again when replayed, and end the session.
                self.remember_handshake(&body);
                let edit = body.starts_with(b"qSupported").then_some(OUR_FEATURES);
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
                self.send_packet(b"E01")?;
                self.new_machine(target)
            }
        }
    }

    /// Keep the packets that set gdbstub state, to replay into a new machine.
    fn remember_handshake(&mut self, body: &[u8]) {
        if body.starts_with(b"qSupported") {
            self.multiprocess = body.windows(13).any(|w| w == b"multiprocess+");
            self.handshake.retain(|p| !p.starts_with(b"qSupported"));
            self.handshake.push(body.to_vec());
        } else if body.starts_with(b"Hg") || body.starts_with(b"Hc") {
            let prefix = body[..2].to_vec();
            self.handshake.retain(|p| !p.starts_with(&prefix));
            self.handshake.push(body.to_vec());
        }
    }

    /// Packets our layer answers instead of gdbstub.
    fn own_reply(&mut self, target: &mut DebugTarget, body: &[u8]) -> Option<Vec<u8>> {
        let threads = target
            .process
            .as_ref()
            .map(|p| p as &dyn validate::ThreadSet);
        if let Some(refusal) = validate::refuse(body, threads) {
            return Some(refusal);
        }
        match body {
            b"QStartNoAckMode" => Some(b"OK".to_vec()),
            b"?" => Some(stop_reply::question_mark_reply(
                target.process.as_mut(),
                self.last_stop,
                self.multiprocess,
            )),
            _ if body.starts_with(b"m") => Some(memory_read::reply(body, target.process.as_ref())),
            _ if body.starts_with(b"qXfer:threads:read::") => {
                let window =
                    crate::protocol::parse_offset_length(&body[b"qXfer:threads:read::".len()..]);
                Some(match (window, target.process.as_ref()) {
                    (Some((offset, length)), Some(process)) => qxfer_reply(
                        threads_xfer::threads_xml(process).as_bytes(),
                        offset,
                        length,
                    ),
                    (None, _) => b"E00".to_vec(),
                    (_, None) => b"E01".to_vec(),
                })
            }
            // gdbstub answers unknown register numbers with an empty reply,
            // which gdb takes for "p not supported".
            _ if body.starts_with(b"p") || body.starts_with(b"P") => {
                let number = &body[1..body.iter().position(|&b| b == b'=').unwrap_or(body.len())];
                let known = crate::protocol::hex::parse_u64(number).is_some_and(|n| {
                    let limit = match &target.process {
                        Some(p) => p.register_context().num_regs(),
                        None => 0,
                    };
                    (n as usize) < limit
                });
                (!known).then(|| b"E01".to_vec())
            }
            _ => None,
        }
    }

    /// Send what gdbstub wrote, packet by packet, appending `extra` to the first.
    fn send_output(
        &mut self,
        machine: &mut Machine<'_>,
        extra: Option<&str>,
    ) -> Result<(), SessionError> {
        let output = take_output(machine);
        for (i, body) in framing::split_packets(&output).into_iter().enumerate() {
            let mut body = body;
            if i == 0 {
                if let Some(extra) = extra {
                    body.extend_from_slice(extra.as_bytes());
                }
            }
            self.send_packet(&body)?;
        }
        Ok(())
    }

    fn send_packet(&mut self, body: &[u8]) -> Result<(), SessionError> {
        if crate::logging::remote_debug() {
            let shown = &body[..body.len().min(200)];
            log::info!(target: crate::logging::REMOTE, "putpkt (\"{}\");", String::from_utf8_lossy(shown));
        }
        let packet = framing::encode_packet(body, true);
        self.write(&packet)?;
        self.last_sent = packet;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        if let Err(e) = self.conn.write_all(bytes) {
            log::debug!("write to gdb failed: {e}");
            // The read side will see the connection go; nothing more to send.
        }
        Ok(())
    }

    /// The next frame from gdb, blocking while the target is stopped.
    fn next_frame(&mut self) -> Result<Result<Frame, SessionEnd>, SessionError> {
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return Ok(Ok(frame));
            }
            match self.wait()? {
                Wake::Frames | Wake::Child => {}
                Wake::ConnectionLost => return Ok(Err(SessionEnd::ConnectionLost)),
                Wake::Terminated(sig) => return Ok(Err(SessionEnd::Terminated(sig))),
            }
        }
    }

    /// Wait while the target runs: for its stop, Ctrl-C from gdb, or the end.
    fn wait_for_stop(
        &mut self,
        target: &mut DebugTarget,
    ) -> Result<Result<StopEvent, SessionEnd>, SessionError> {
        loop {
            let Some(process) = target.process.as_mut() else {
                return Ok(Ok(StopEvent::Exited { code: 0 }));
            };
            // Only Ctrl-C means something while running; packets wait. Look
            // before blocking: a Ctrl-C read together with the resume packet
            // is already queued, and no new data may ever wake us for it.
            let mut keep = VecDeque::new();
            while let Some(frame) = self.frames.pop_front() {
                match frame {
                    Frame::Interrupt => process.interrupt()?,
                    Frame::Packet(_) | Frame::Nack | Frame::BadChecksum | Frame::Oversized => {
                        keep.push_back(frame)
                    }
                    Frame::Ack => {}
                }
            }
            self.frames = keep;
            if let Some(event) = process.poll_event()? {
                return Ok(Ok(event));
            }
            match self.wait()? {
                Wake::Child | Wake::Frames => {}
                Wake::ConnectionLost => return Ok(Err(SessionEnd::ConnectionLost)),
                Wake::Terminated(sig) => return Ok(Err(SessionEnd::Terminated(sig))),
            }
        }
    }

    /// Block until the connection has data or a signal arrives.
    fn wait(&mut self) -> Result<Wake, SessionError> {
        let (conn_ready, signal_ready) = {
            let mut fds = [
                PollFd::new(self.conn.input_fd(), PollFlags::POLLIN),
                PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => return Ok(Wake::Child),
                Err(e) => return Err(SessionError::Poll(e)),
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (ready(&fds[0]), ready(&fds[1]))
        };
        if signal_ready {
            let mut child = false;
            while let Ok(Some(info)) = self.signals.read_signal() {
                match info.ssi_signo as i32 {
                    libc::SIGCHLD => child = true,
                    sig => return Ok(Wake::Terminated(sig)),
                }
            }
            if child && !conn_ready {
                return Ok(Wake::Child);
            }
        }
        if conn_ready {
            let mut buf = vec![0u8; 64 * 1024];
            match self.conn.read(&mut buf) {
                Ok(0) => return Ok(Wake::ConnectionLost),
                Ok(n) => {
                    for &b in &buf[..n] {
                        if let Some(frame) = self.reader.push(b) {
                            self.frames.push_back(frame);
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    log::debug!("read from gdb failed: {e}");
                    return Ok(Wake::ConnectionLost);
                }
            }
            return Ok(Wake::Frames);
        }
        Ok(Wake::Child)
    }
}

/// Feed one packet body to gdbstub, framed as it expects.
fn feed<'a>(
    mut machine: Machine<'a>,
    target: &mut DebugTarget,
    body: &[u8],
) -> Result<Machine<'a>, String> {
    let framed = framing::encode_packet(body, false);
    for &byte in &framed {
        machine = match machine {
            GdbStubStateMachine::Idle(inner) => inner
                .incoming_data(target, byte)
                .map_err(|e| e.to_string())?,
            GdbStubStateMachine::Running(inner) => inner
                .incoming_data(target, byte)
                .map_err(|e| e.to_string())?,
            other => return Ok(other),
        };
    }
    Ok(machine)
}

fn take_output(machine: &mut Machine<'_>) -> Vec<u8> {
    let conn = match machine {
        GdbStubStateMachine::Idle(inner) => inner.borrow_conn(),
        GdbStubStateMachine::Running(inner) => inner.borrow_conn(),
        GdbStubStateMachine::CtrlCInterrupt(inner) => inner.borrow_conn(),
        GdbStubStateMachine::Disconnected(inner) => inner.borrow_conn(),
    };
    std::mem::take(&mut conn.out)
}
