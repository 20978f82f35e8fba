//! Turning away a second client while a session holds the server.
//!
//! The hazard: the listening socket stays open during a session (the next
//! session needs it), so the kernel completes a second client's connection
//! and queues it, and nobody ever answers it: that gdb hangs in `target
//! remote` with no word of why. GNU gdbserver behaves the same way without
//! `--once`.
//!
//! The rule: the session's own poll loop (`session::link`) watches the
//! listening socket too. When a client waits there, the session first looks
//! at its own connection, so that a client which closed its connection and
//! reconnected at once is seen gone and the newcomer is the server's next
//! client. Otherwise `turn_away` accepts the newcomer, answers its first
//! packet with an error text gdb prints (`E.` and a message: gdb shows
//! "Remote failure reply: ..."), and closes it. The wait for that first
//! packet happens on a short-lived thread of its own, so the session never
//! waits on a stranger; no thread lives in the server otherwise (a second
//! thread, even asleep, makes every small packet dearer).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::protocol::framing::checksum;

/// How long a turned-away client gets to send its first packet.
const FIRST_PACKET_WAIT: Duration = Duration::from_secs(3);

/// The reply a second client gets (gdb prints it after "Remote failure
/// reply: ").
pub const BUSY_REPLY: &[u8] =
    b"E.rgdbserver: another debugger's session holds this server; connect again when it ends";

/// Accept the client waiting on `listener` and turn it away (on a thread of
/// its own that ends with the connection). Nothing happens if no client is
/// there after all.
pub fn turn_away(listener: BorrowedFd<'_>) {
    // SAFETY: accept4 on a valid listening descriptor with null address
    // pointers (we need no peer address); the descriptor it returns, if any,
    // is new and ours alone.
    let fd = unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
        )
    };
    if fd < 0 {
        return;
    }
    // SAFETY: `fd` was just returned by accept4 and is owned by nothing else.
    let stream = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    eprintln!("Turned away a second client: a session is in progress.");
    let spawned = std::thread::Builder::new()
        .name("turn-away".into())
        .spawn(move || answer_and_close(stream));
    if spawned.is_err() {
        log::warn!("no thread to answer a second client; it is closed unanswered");
    }
}

/// Wait (briefly) for the client's first packet, acknowledge it and answer
/// it with `BUSY_REPLY`; then the connection closes.
fn answer_and_close(mut stream: File) {
    let deadline = Instant::now() + FIRST_PACKET_WAIT;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !first_packet_complete(&seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        if ms == 0 {
            break;
        }
        let mut fds = [PollFd::new(stream.as_fd(), PollFlags::POLLIN)];
        if !matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0) {
            continue;
        }
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
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
