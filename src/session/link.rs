//! The link to gdb: bytes in and out of the connection, framed packets,
//! acknowledgements (`+`/`-`, and none after `QStartNoAckMode`), and the
//! limits that tell a protocol peer from line noise. It also waits on the
//! signalfd that brings SIGCHLD (the inferior has news) and termination
//! signals, since one `poll` serves both.
//!
//! In acknowledgement mode each packet we send waits for gdb's `+` before
//! the next goes out, and a `-` brings that same packet back, as the
//! protocol asks: sending two packets back to back (console output and a
//! reply) and resending only the last on a `-` would lose the first.

use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signalfd::SignalFd;

use super::SessionError;
use crate::protocol::framing::{self, Frame, FrameReader};
use crate::protocol::PACKET_SIZE;
use crate::transport::Connection;

/// A client that sends this much without one valid packet is not gdb: it
/// is treated as gone. Well above the largest packet we accept.
const GARBAGE_BYTES_LIMIT: usize = 4 * PACKET_SIZE;
/// gdb resends a packet a few times on a NAK; this many bad frames in a row
/// is line noise or an attack, not a protocol peer.
const BAD_FRAMES_LIMIT: usize = 64;
/// How long a packet waits for its `+` before we go on without it (gdb
/// acknowledges at once; a client that never does only slows down).
const ACK_WAIT: Duration = Duration::from_secs(2);
/// How often one packet is sent again on `-` before we go on without it.
const RESENDS_LIMIT: usize = 8;

/// What woke a wait.
pub(super) enum Wake {
    Frames,
    ConnectionLost,
    Terminated(i32),
    Child,
}

/// What a frame from gdb asks of the session, once the link has dealt with
/// acknowledgements.
pub(super) enum Incoming {
    Packet(Vec<u8>),
    /// `\x03`.
    Interrupt,
}

pub(super) struct Link<'s> {
    conn: Connection,
    signals: &'s mut SignalFd,
    /// The server's listening socket, watched for a second client to turn
    /// away (`crate::busy`); None for serial lines and stdio.
    listener: Option<BorrowedFd<'s>>,
    reader: FrameReader,
    /// Frames read and not yet handled.
    pub(super) frames: VecDeque<Frame>,
    no_ack: bool,
    last_sent: Vec<u8>,
    /// Bytes received since the last well-formed packet.
    bytes_since_packet: usize,
    /// Bad-checksum or oversized frames in a row.
    bad_frames_in_a_row: usize,
    /// The connection was found gone (or the client over its garbage
    /// limits) while waiting for an acknowledgement: the next wait says so.
    lost: bool,
    /// Where `read` puts what the connection has: allocated once, since a
    /// zeroed 64 KiB buffer per read cost more than the rest of a small
    /// packet's handling.
    input: Box<[u8]>,
}

/// The most one `read` from the connection takes.
const READ_CHUNK: usize = 64 * 1024;

impl<'s> Link<'s> {
    pub(super) fn new(
        conn: Connection,
        signals: &'s mut SignalFd,
        listener: Option<BorrowedFd<'s>>,
    ) -> Link<'s> {
        Link {
            conn,
            signals,
            listener,
            reader: FrameReader::new(PACKET_SIZE - 4),
            frames: VecDeque::new(),
            no_ack: false,
            last_sent: Vec::new(),
            bytes_since_packet: 0,
            bad_frames_in_a_row: 0,
            lost: false,
            input: vec![0u8; READ_CHUNK].into_boxed_slice(),
        }
    }

    /// gdb and we stop acknowledging (`QStartNoAckMode` was answered).
    pub(super) fn stop_acks(&mut self) {
        self.no_ack = true;
    }

    /// Deal with a frame's acknowledgement side; what is left for the
    /// session, if anything.
    pub(super) fn take_frame(&mut self, frame: Frame) -> Result<Option<Incoming>, SessionError> {
        match frame {
            Frame::Packet(body) => {
                if !self.no_ack {
                    self.write(b"+")?;
                }
                Ok(Some(Incoming::Packet(body)))
            }
            // Without acknowledgements a stray `-` is noise: resending would
            // put an extra reply in front of the next one.
            Frame::Nack => {
                if !self.no_ack && !self.last_sent.is_empty() {
                    let again = self.last_sent.clone();
                    self.write(&again)?;
                }
                Ok(None)
            }
            // Without acknowledgements gdb waits for a reply to every packet,
            // mangled or not: an error keeps the two sides in step.
            Frame::BadChecksum | Frame::Oversized => {
                if self.no_ack {
                    self.send_packet(b"E01")?;
                } else {
                    self.write(b"-")?;
                }
                Ok(None)
            }
            Frame::Interrupt => Ok(Some(Incoming::Interrupt)),
            Frame::Ack => Ok(None),
        }
    }

    pub(super) fn send_packet(&mut self, body: &[u8]) -> Result<(), SessionError> {
        if crate::logging::remote_debug() {
            let shown = &body[..body.len().min(200)];
            log::info!(target: crate::logging::REMOTE, "putpkt (\"{}\");", String::from_utf8_lossy(shown));
        }
        let packet = framing::encode_packet(body, true);
        self.write(&packet)?;
        if !self.no_ack {
            self.await_ack(&packet)?;
        }
        self.last_sent = packet;
        Ok(())
    }

    /// Wait for gdb's `+` for `packet`, sending it again on each `-`. What
    /// else arrives meanwhile (gdb's next packet, a Ctrl-C) stays queued
    /// in order for the session.
    fn await_ack(&mut self, packet: &[u8]) -> Result<(), SessionError> {
        let deadline = Instant::now() + ACK_WAIT;
        let mut resends = 0;
        let mut seen = self.frames.len();
        loop {
            if let Some(at) = self
                .frames
                .iter()
                .skip(seen)
                .position(|f| matches!(f, Frame::Ack | Frame::Nack))
            {
                let at = seen + at;
                let nack = matches!(self.frames.remove(at), Some(Frame::Nack));
                seen = at;
                if !nack {
                    return Ok(());
                }
                if resends == RESENDS_LIMIT {
                    log::warn!("packet refused {RESENDS_LIMIT} times; going on");
                    return Ok(());
                }
                resends += 1;
                self.write(packet)?;
                continue;
            }
            seen = self.frames.len();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.lost {
                log::debug!("no acknowledgement for a packet; going on");
                return Ok(());
            }
            let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX).max(1);
            let ready = {
                let mut fds = [PollFd::new(self.conn.input_fd(), PollFlags::POLLIN)];
                match poll(&mut fds, PollTimeout::from(ms)) {
                    Ok(n) => n > 0,
                    Err(nix::errno::Errno::EINTR) => false,
                    Err(e) => return Err(SessionError::Poll(e)),
                }
            };
            if ready && matches!(self.read_frames(), Wake::ConnectionLost) {
                self.lost = true;
            }
        }
    }

    /// A `%NAME:BODY` notification (non-stop `%Stop`): never acknowledged,
    /// never resent.
    pub(super) fn send_notification(&mut self, body: &[u8]) -> Result<(), SessionError> {
        let mut packet = framing::encode_packet(body, true);
        packet[0] = b'%';
        if crate::logging::remote_debug() {
            log::info!(target: crate::logging::REMOTE, "notif (\"{}\");", String::from_utf8_lossy(body));
        }
        self.write(&packet)
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        if let Err(e) = self.conn.write_all(bytes) {
            log::debug!("write to gdb failed: {e}");
            // The read side will see the connection go; nothing more to send.
        }
        Ok(())
    }

    /// Block until the connection has data or a signal arrives. A second
    /// client waiting on the listening socket meanwhile is turned away,
    /// unless our own connection turns out to be closed (see `crate::busy`).
    pub(super) fn wait(&mut self, timeout: PollTimeout) -> Result<Wake, SessionError> {
        if self.lost {
            return Ok(Wake::ConnectionLost);
        }
        let (conn_ready, signal_ready, client_waiting) = {
            let mut fds = vec![
                PollFd::new(self.conn.input_fd(), PollFlags::POLLIN),
                PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
            ];
            if let Some(listener) = self.listener {
                fds.push(PollFd::new(listener, PollFlags::POLLIN));
            }
            match poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => return Ok(Wake::Child),
                Err(e) => return Err(SessionError::Poll(e)),
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (
                ready(&fds[0]),
                ready(&fds[1]),
                fds.get(2).is_some_and(ready),
            )
        };
        if signal_ready {
            // One signal per wake, not a read until EAGAIN: these are
            // standard signals, pending once each, and one still pending
            // makes the next poll return at once. Nearly every wake has
            // just the SIGCHLD of a stop already reaped, so the second read
            // would be a wasted system call per stop.
            if let Ok(Some(info)) = self.signals.read_signal() {
                match info.ssi_signo as i32 {
                    libc::SIGCHLD if !conn_ready && !client_waiting => return Ok(Wake::Child),
                    libc::SIGCHLD => {}
                    sig => return Ok(Wake::Terminated(sig)),
                }
            }
        }
        if conn_ready {
            // Our connection first: if it is closed, the waiting client is
            // the next session's.
            return Ok(self.read_frames());
        }
        if client_waiting {
            self.client_waiting()?;
        }
        Ok(Wake::Child)
    }

    /// A client waits on the listening socket while our connection showed
    /// nothing: give our connection a moment to show a close that is on its
    /// way (the client may be us, reconnecting), else turn the newcomer away.
    fn client_waiting(&mut self) -> Result<(), SessionError> {
        let closing = {
            let mut fds = [PollFd::new(self.conn.input_fd(), PollFlags::POLLIN)];
            matches!(poll(&mut fds, PollTimeout::from(100u16)), Ok(n) if n > 0)
        };
        if !closing {
            if let Some(listener) = self.listener {
                crate::busy::turn_away(listener);
            }
        }
        Ok(())
    }

    /// Read what the connection has and frame it.
    fn read_frames(&mut self) -> Wake {
        match self.conn.read(&mut self.input) {
            Ok(0) => return Wake::ConnectionLost,
            Ok(n) => {
                self.bytes_since_packet += n;
                for &b in &self.input[..n] {
                    if let Some(frame) = self.reader.push(b) {
                        match frame {
                            Frame::Packet(_) => {
                                self.bytes_since_packet = 0;
                                self.bad_frames_in_a_row = 0;
                            }
                            Frame::BadChecksum | Frame::Oversized => self.bad_frames_in_a_row += 1,
                            Frame::Ack | Frame::Nack | Frame::Interrupt => {}
                        }
                        self.frames.push_back(frame);
                    }
                }
                if self.bytes_since_packet > GARBAGE_BYTES_LIMIT
                    || self.bad_frames_in_a_row > BAD_FRAMES_LIMIT
                {
                    log::warn!(
                        "{} bytes and {} bad frames since the last valid packet: dropping the client",
                        self.bytes_since_packet,
                        self.bad_frames_in_a_row
                    );
                    return Wake::ConnectionLost;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => {
                log::debug!("read from gdb failed: {e}");
                return Wake::ConnectionLost;
            }
        }
        Wake::Frames
    }
}
