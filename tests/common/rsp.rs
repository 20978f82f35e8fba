//! A raw GDB remote protocol client over TCP, for tests that must send
//! what gdb never would: framing packets with their checksum (or a wrong
//! one), reading replies and acknowledgements (RLE expanded, checksums
//! checked), acknowledging them until no-ack mode is on, and Ctrl-C.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long `reply` and `request` wait for an answer.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// One unit from the server: an acknowledgement or a packet body (RLE expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Ack,
    Nack,
    Packet(Vec<u8>),
    /// `%NAME:BODY` (non-stop `%Stop`), never acknowledged.
    Notification(Vec<u8>),
}

pub struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
    /// Set once QStartNoAckMode is accepted: nothing is acknowledged.
    pub no_ack: bool,
    /// The last few things sent, for failure messages.
    history: std::collections::VecDeque<Vec<u8>>,
    /// Notifications that arrived while waiting for a reply.
    notifications: std::collections::VecDeque<Vec<u8>>,
}

pub fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |s, b| s.wrapping_add(*b))
}

/// `$BODY#XX`, the packet as sent on the wire.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(b'$');
    out.extend_from_slice(body);
    out.extend_from_slice(format!("#{:02x}", checksum(body)).as_bytes());
    out
}

pub fn rle_decode(body: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'*' && i + 1 < body.len() && !out.is_empty() {
            let last = *out.last().unwrap();
            out.extend(std::iter::repeat_n(last, body[i + 1] as usize - 29));
            i += 2;
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

/// Bytes for a failure message, escaped and cut short.
pub fn show(bytes: &[u8]) -> String {
    let text = bytes[..bytes.len().min(120)].escape_ascii().to_string();
    if bytes.len() > 120 {
        format!("\"{text}\"... ({} bytes)", bytes.len())
    } else {
        format!("\"{text}\"")
    }
}

impl Client {
    /// Connect to the server on 127.0.0.1:PORT, acknowledging packets.
    pub fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to server");
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            pending: Vec::new(),
            no_ack: false,
            history: Default::default(),
            notifications: Default::default(),
        }
    }

    /// Send bytes as they are (no framing), remembered for failure messages.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        if self.history.len() == 4 {
            self.history.pop_front();
        }
        self.history.push_back(bytes.to_vec());
        if let Err(e) = self.stream.write_all(bytes) {
            panic!("write to server: {e}; {}", self.recent());
        }
    }

    fn recent(&self) -> String {
        let sent: Vec<String> = self.history.iter().map(|b| show(b)).collect();
        format!("last sent: {}", sent.join(", "))
    }

    /// Send one packet, framed with its checksum.
    pub fn send(&mut self, body: &[u8]) {
        self.send_raw(&frame(body));
    }

    /// Ctrl-C: the interrupt byte, outside any packet.
    pub fn interrupt(&mut self) {
        self.send_raw(b"\x03");
    }

    /// Take one token out of `pending`, if a whole one is there.
    fn parse_token(&mut self) -> Option<Token> {
        let first = *self.pending.first()?;
        match first {
            b'+' | b'-' => {
                self.pending.remove(0);
                Some(if first == b'+' {
                    Token::Ack
                } else {
                    Token::Nack
                })
            }
            b'$' | b'%' => {
                let hash = self.pending.iter().position(|&b| b == b'#')?;
                if self.pending.len() < hash + 3 {
                    return None;
                }
                let body = self.pending[1..hash].to_vec();
                let sum = std::str::from_utf8(&self.pending[hash + 1..hash + 3])
                    .ok()
                    .and_then(|s| u8::from_str_radix(s, 16).ok());
                assert_eq!(
                    sum,
                    Some(checksum(&body)),
                    "server sent a bad checksum: {}",
                    show(&self.pending)
                );
                self.pending.drain(..hash + 3);
                if first == b'%' {
                    return Some(Token::Notification(rle_decode(&body)));
                }
                if !self.no_ack {
                    self.send_raw(b"+");
                }
                Some(Token::Packet(rle_decode(&body)))
            }
            _ => panic!("junk from server: {}", show(&self.pending)),
        }
    }

    /// The next token, or None when nothing comes within `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Option<Token> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(token) = self.parse_token() {
                return Some(token);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut buf = [0u8; 65536];
            match self.stream.read(&mut buf) {
                Ok(0) => panic!("server closed the connection; {}", self.recent()),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return None
                }
                Err(e) => panic!("read from server: {e}; {}", self.recent()),
            }
        }
    }

    /// The next reply packet, skipping acknowledgements.
    #[track_caller]
    pub fn reply(&mut self, what: &[u8]) -> Vec<u8> {
        loop {
            match self.recv(REPLY_TIMEOUT) {
                Some(Token::Packet(body)) => return body,
                Some(Token::Notification(body)) => self.notifications.push_back(body),
                Some(Token::Ack) => {}
                Some(Token::Nack) => panic!("unexpected NAK after {}", show(what)),
                None => panic!("no reply to {} within {REPLY_TIMEOUT:?}", show(what)),
            }
        }
    }

    /// The next notification (`Stop:...`), or None when none comes within
    /// `timeout`.
    pub fn notification(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        if let Some(body) = self.notifications.pop_front() {
            return Some(body);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.recv(left)? {
                Token::Notification(body) => return Some(body),
                Token::Ack => {}
                other => panic!("{other:?} while waiting for a notification"),
            }
        }
    }

    /// Send a packet and return its reply (after any console output of a
    /// monitor command).
    #[track_caller]
    pub fn request(&mut self, body: &[u8]) -> Vec<u8> {
        self.send(body);
        loop {
            let reply = self.reply(body);
            // Monitor commands may print (`O` + hex) before their reply.
            let console = reply.len() > 1
                && reply[0] == b'O'
                && reply[1..].iter().all(|b| b.is_ascii_hexdigit());
            if !(body.starts_with(b"qRcmd") && console) {
                return reply;
            }
        }
    }

    /// Nothing at all arrives for a while.
    #[track_caller]
    pub fn assert_quiet(&mut self, after: &[u8]) {
        if let Some(token) = self.recv(Duration::from_millis(100)) {
            panic!("unexpected {token:?} after {}", show(after));
        }
    }

    /// QStartNoAckMode, then no acknowledgements either way.
    pub fn start_no_ack(&mut self) {
        assert_eq!(self.request(b"QStartNoAckMode"), b"OK");
        self.no_ack = true;
        // The acknowledgement of QStartNoAckMode's reply may still be in flight.
        self.assert_quiet(b"QStartNoAckMode");
    }
}
