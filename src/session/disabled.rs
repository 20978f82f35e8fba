//! `--disable-packet`: packets the session pretends not to know, a testing
//! aid from GNU gdbserver that GDB's testsuite uses to exercise gdb's
//! fallbacks (no `vCont`, `S` instead of `T` stop replies, no thread ids,
//! `m` instead of `x`). The server makes these settings from the command
//! line's list; the session knows nothing of the command line.

/// Packets the session pretends not to know (`--disable-packet`, a
/// testing aid from gdbserver that the GDB testsuite uses).
#[derive(Debug, Clone, Copy, Default)]
pub struct DisabledPackets {
    pub vcont: bool,
    /// `T` stop replies: plain `S` instead.
    pub t: bool,
    /// The `thread:` part of `T` stop replies.
    pub tthread: bool,
    pub qc: bool,
    pub qfthreadinfo: bool,
    /// `x` (binary memory reads): not offered (`binary-upload+`), and
    /// answered as unknown, so gdb reads with `m`.
    pub x: bool,
}

impl DisabledPackets {
    /// A stop reply as these settings want it.
    pub(super) fn stop_reply(&self, reply: Vec<u8>) -> Vec<u8> {
        if reply.first() != Some(&b'T') {
            return reply;
        }
        if self.t {
            let mut plain = b"S".to_vec();
            plain.extend_from_slice(&reply[1..3.min(reply.len())]);
            return plain;
        }
        if self.tthread {
            let text = String::from_utf8_lossy(&reply).into_owned();
            let kept: Vec<&str> = text
                .split_inclusive(';')
                .filter(|part| !part.starts_with("thread:"))
                .collect();
            return kept.concat().into_bytes();
        }
        reply
    }
}
