//! Turning away a second client while a session holds the server.
//!
//! The hazard: the listening socket stays open during a session (the next
//! session needs it), so the kernel completes a second client's connection
//! and queues it, and nobody ever answers it: that gdb hangs in `target
//! remote` with no word of why. GNU gdbserver behaves the same way without
//! `--once`.
//!
//! The rule: while a session is open, a small thread of our own accepts
//! every other connection, answers its first packet with an error text gdb
//! prints (`E.` followed by a message, which gdb shows as "Remote failure
//! reply: ..."), and closes it. Between sessions it accepts nothing: the
//! server's own loop takes the next client. The two never race for one
//! connection, because both decide under one lock: the thread accepts only
//! while the phase is `Session`, and the server accepts only while it is
//! `Waiting` and sets `Session` before its session starts.
//!
//! A client that reconnects at once after closing its connection must not
//! be turned away because the server has not yet seen the close: a waiting
//! connection is left alone for `GRACE` first, and is the server's if the
//! session ends meanwhile.
//!
//! The thread owns a duplicate of the listening descriptor and no other
//! state of the server; it never touches a traced process.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::protocol::framing::checksum;
use crate::transport::Listener;

/// How long the thread sleeps in `poll` before looking at its stop flag.
const POLL_MS: u16 = 200;
/// How long a connection waits while a session is open before it is
/// turned away (the session may be ending).
const GRACE: Duration = Duration::from_secs(1);
/// How long a turned-away client gets to send its first packet.
const FIRST_PACKET_WAIT: Duration = Duration::from_secs(3);

/// The reply a second client gets (gdb prints it after "Remote failure
/// reply: ").
pub const BUSY_REPLY: &[u8] =
    b"E.rgdbserver: another debugger's session holds this server; connect again when it ends";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The server waits for its next client and accepts it itself.
    Waiting,
    /// A session is open: other clients are turned away.
    Session,
}

enum Socket {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// The handle the server keeps; dropping it stops the thread.
pub struct Doorkeeper {
    phase: Arc<Mutex<Phase>>,
    stop: Arc<AtomicBool>,
}

impl Doorkeeper {
    /// Start turning clients away for `listener`'s socket. None for a serial
    /// line or stdio, which have no second client, or if the descriptor
    /// cannot be duplicated (the server then behaves as before).
    pub fn start(listener: &Listener) -> Option<Doorkeeper> {
        let socket = match listener {
            Listener::Tcp(l) => Socket::Tcp(l.try_clone().ok()?),
            Listener::Unix(_) => Socket::Unix(listener.unix_listener()?.try_clone().ok()?),
            Listener::Serial(_) | Listener::Stdio { .. } => return None,
        };
        let phase = Arc::new(Mutex::new(Phase::Waiting));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_phase, thread_stop) = (phase.clone(), stop.clone());
        std::thread::Builder::new()
            .name("doorkeeper".into())
            .spawn(move || watch(socket, &thread_phase, &thread_stop))
            .ok()?;
        Some(Doorkeeper { phase, stop })
    }

    /// The server is about to accept its next client itself. Returns once
    /// the thread is not in the middle of accepting one.
    pub fn waiting(&self) {
        *lock(&self.phase) = Phase::Waiting;
    }

    /// The server accepted its client: turn away the others.
    pub fn session(&self) {
        *lock(&self.phase) = Phase::Session;
    }
}

impl Drop for Doorkeeper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn lock(phase: &Mutex<Phase>) -> MutexGuard<'_, Phase> {
    // The thread cannot panic while holding the lock in a way that leaves
    // the phase wrong; take the value either way.
    phase.lock().unwrap_or_else(|e| e.into_inner())
}

fn watch(socket: Socket, phase: &Mutex<Phase>, stop: &AtomicBool) {
    // Since when a connection has been waiting during a session.
    let mut waiting_since: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let readable = {
            let fd = match &socket {
                Socket::Tcp(l) => l.as_fd(),
                Socket::Unix(l) => l.as_fd(),
            };
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            matches!(poll(&mut fds, PollTimeout::from(POLL_MS)), Ok(n) if n > 0)
        };
        if !readable {
            waiting_since = None;
            continue;
        }
        let client = {
            let guard = lock(phase);
            let since = *waiting_since.get_or_insert_with(Instant::now);
            if *guard != Phase::Session || since.elapsed() < GRACE {
                if *guard != Phase::Session {
                    waiting_since = None;
                }
                drop(guard);
                // The server takes this one, or may yet; let it.
                std::thread::sleep(Duration::from_millis(u64::from(POLL_MS) / 10));
                continue;
            }
            waiting_since = None;
            accept(&socket)
        };
        if let Some((mut stream, peer)) = client {
            eprintln!("Turned away a second client{peer}: a session is in progress.");
            turn_away(&mut *stream);
        }
    }
}

trait Stream: Read + Write {
    fn set_read_timeout(&self, timeout: Duration) -> std::io::Result<()>;
}

impl Stream for std::net::TcpStream {
    fn set_read_timeout(&self, timeout: Duration) -> std::io::Result<()> {
        std::net::TcpStream::set_read_timeout(self, Some(timeout))
    }
}

impl Stream for std::os::unix::net::UnixStream {
    fn set_read_timeout(&self, timeout: Duration) -> std::io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, Some(timeout))
    }
}

fn accept(socket: &Socket) -> Option<(Box<dyn Stream>, String)> {
    match socket {
        Socket::Tcp(l) => {
            let (stream, peer) = l.accept().ok()?;
            let from = format!(" from host {}, port {}", peer.ip(), peer.port());
            Some((Box::new(stream), from))
        }
        Socket::Unix(l) => {
            let (stream, _) = l.accept().ok()?;
            Some((Box::new(stream), String::new()))
        }
    }
}

/// Wait (briefly) for the client's first packet, acknowledge it and answer
/// it with `BUSY_REPLY`; then the connection closes.
fn turn_away(stream: &mut dyn Stream) {
    let deadline = Instant::now() + FIRST_PACKET_WAIT;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !first_packet_complete(&seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(left).is_err() {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.write_all(&busy_packet());
}

/// Has a whole packet (`$...#xx`) arrived?
fn first_packet_complete(bytes: &[u8]) -> bool {
    let Some(start) = bytes.iter().position(|&b| b == b'$') else {
        return false;
    };
    bytes[start..]
        .iter()
        .position(|&b| b == b'#')
        .is_some_and(|hash| bytes.len() >= start + hash + 3)
}

/// `+` for the client's packet, then the busy reply framed.
fn busy_packet() -> Vec<u8> {
    let mut out = b"+$".to_vec();
    out.extend_from_slice(BUSY_REPLY);
    out.extend_from_slice(format!("#{:02x}", checksum(BUSY_REPLY)).as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_is_complete_with_its_checksum() {
        assert!(!first_packet_complete(b""));
        assert!(!first_packet_complete(b"+"));
        assert!(!first_packet_complete(b"+$qSupported:xml"));
        assert!(!first_packet_complete(b"+$qSupported#3"));
        assert!(first_packet_complete(b"+$qSupported#37"));
        assert!(first_packet_complete(b"$?#3f"));
    }

    #[test]
    fn the_reply_is_acknowledged_and_framed() {
        let packet = busy_packet();
        assert!(packet.starts_with(b"+$E.rgdbserver: "));
        let text = &packet[2..packet.len() - 3];
        assert_eq!(text, BUSY_REPLY);
        let sum = u8::from_str_radix(
            std::str::from_utf8(&packet[packet.len() - 2..]).unwrap(),
            16,
        );
        assert_eq!(sum.unwrap(), checksum(BUSY_REPLY));
        // No byte that would need escaping in a reply.
        assert!(!BUSY_REPLY.iter().any(|b| b"$#}*".contains(b)));
    }
}
