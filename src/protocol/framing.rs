//! Remote Serial Protocol framing: splitting the byte stream from gdb into
//! packets, interrupts and acknowledgements, and encoding our replies
//! (run-length compression, checksum).
//!
//! gdbstub treats a bad checksum, a `-` (NAK) or an oversized packet as a fatal
//! error that ends the session, so framing is ours: only complete, verified
//! packets ever reach gdbstub.

/// What the client sent, one unit at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A packet body (between `$` and `#`), checksum verified, escapes and
    /// run-length encoding left as sent.
    Packet(Vec<u8>),
    /// `\x03`: the user pressed Ctrl-C.
    Interrupt,
    /// `+`
    Ack,
    /// `-`: the client wants our last packet again.
    Nack,
    /// A packet whose checksum did not match.
    BadChecksum,
    /// A packet longer than we accept; its bytes were dropped.
    Oversized,
}

enum State {
    Idle,
    Body,
    Checksum1,
    Checksum2(u8),
    /// Skipping the rest of an oversized packet.
    Discard,
    DiscardChecksum(u8),
}

/// Incremental packet splitter: feed it bytes in any chunking.
pub struct FrameReader {
    state: State,
    body: Vec<u8>,
    max_body: usize,
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl FrameReader {
    pub fn new(max_body: usize) -> Self {
        FrameReader {
            state: State::Idle,
            body: Vec::new(),
            max_body,
        }
    }

    /// Feed one byte; returns a frame when one completes.
    pub fn push(&mut self, byte: u8) -> Option<Frame> {
        // `$` never appears inside a packet (binary data escapes it), so it
        // always starts a new one: a packet cut off before its checksum is
        // dropped instead of swallowing the next, good packet.
        if byte == b'$' {
            self.body.clear();
            self.state = State::Body;
            return None;
        }
        match self.state {
            State::Idle => match byte {
                0x03 => Some(Frame::Interrupt),
                b'+' => Some(Frame::Ack),
                b'-' => Some(Frame::Nack),
                // Line noise between packets is ignored, as gdbserver does.
                _ => None,
            },
            State::Body => {
                if byte == b'#' {
                    self.state = State::Checksum1;
                } else if self.body.len() >= self.max_body {
                    self.body.clear();
                    self.state = State::Discard;
                } else {
                    self.body.push(byte);
                }
                None
            }
            State::Checksum1 => {
                self.state = State::Checksum2(byte);
                None
            }
            State::Checksum2(first) => {
                self.state = State::Idle;
                let sent = hex_value(first)
                    .zip(hex_value(byte))
                    .map(|(h, l)| h << 4 | l);
                let computed = checksum(&self.body);
                if sent == Some(computed) {
                    Some(Frame::Packet(std::mem::take(&mut self.body)))
                } else {
                    self.body.clear();
                    Some(Frame::BadChecksum)
                }
            }
            State::Discard => {
                if byte == b'#' {
                    self.state = State::DiscardChecksum(0);
                }
                None
            }
            State::DiscardChecksum(seen) => {
                if seen == 1 {
                    self.state = State::Idle;
                    Some(Frame::Oversized)
                } else {
                    self.state = State::DiscardChecksum(seen + 1);
                    None
                }
            }
        }
    }

    /// True while a packet has started but not finished.
    pub fn mid_packet(&self) -> bool {
        !matches!(self.state, State::Idle)
    }
}

pub fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |sum, b| sum.wrapping_add(*b))
}

/// Run-length encode a packet body the way gdb decodes it: `X*n` repeats `X`
/// `n - 29` more times. Counts that would encode as `#` or `$` are avoided,
/// and runs shorter than four bytes are left alone (no gain).
pub fn rle_encode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        let mut run = 1;
        while i + run < body.len() && body[i + run] == byte && run < 98 {
            run += 1;
        }
        out.push(byte);
        let mut repeats = run - 1;
        // A repeat count of 6 or 7 would encode as '#' or '$'.
        if repeats == 6 || repeats == 7 {
            repeats = 5;
        }
        if repeats >= 3 {
            out.push(b'*');
            out.push(repeats as u8 + 29);
            i += 1 + repeats;
        } else {
            i += 1;
        }
    }
    out
}

/// Expand run-length encoding (used on gdbstub's own replies before we edit
/// them, and by tests).
pub fn rle_decode(body: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'*' && i + 1 < body.len() {
            if let Some(&last) = out.last() {
                let count = body[i + 1].saturating_sub(29) as usize;
                out.extend(std::iter::repeat_n(last, count));
                i += 2;
                continue;
            }
        }
        out.push(body[i]);
        i += 1;
    }
    out
}

/// Frame a body for the wire: `$` body `#` checksum, with RLE applied.
pub fn encode_packet(body: &[u8], rle: bool) -> Vec<u8> {
    let payload = if rle { rle_encode(body) } else { body.to_vec() };
    let mut out = Vec::with_capacity(payload.len() + 4);
    out.push(b'$');
    out.extend_from_slice(&payload);
    out.push(b'#');
    out.extend_from_slice(format!("{:02x}", checksum(&payload)).as_bytes());
    out
}

/// Split a stream of already-framed packets (`$...#xx` as gdbstub writes them)
/// into their bodies. Anything outside packets is ignored.
pub fn split_packets(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = FrameReader::new(usize::MAX);
    stream
        .iter()
        .filter_map(|&b| match reader.push(b) {
            Some(Frame::Packet(body)) => Some(body),
            _ => None,
        })
        .collect()
}

/// Escape binary data for packets that carry it raw (`}` escapes `#$}*`).
pub fn escape_binary(data: &[u8], out: &mut Vec<u8>) {
    for &b in data {
        if matches!(b, b'#' | b'$' | b'}' | b'*') {
            out.push(b'}');
            out.push(b ^ 0x20);
        } else {
            out.push(b);
        }
    }
}

/// Undo `escape_binary`: the bytes of binary packet data (`X`, gdb's
/// writes); None if the data ends inside an escape.
pub fn unescape_binary(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.iter();
    while let Some(&b) = bytes.next() {
        out.push(if b == b'}' { bytes.next()? ^ 0x20 } else { b });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(reader: &mut FrameReader, bytes: &[u8]) -> Vec<Frame> {
        bytes.iter().filter_map(|&b| reader.push(b)).collect()
    }

    #[test]
    fn splits_packets_acks_and_interrupts() {
        let mut r = FrameReader::new(100);
        let frames = feed(&mut r, b"+$g#67\x03-$m0,4#fd");
        assert_eq!(
            frames,
            vec![
                Frame::Ack,
                Frame::Packet(b"g".to_vec()),
                Frame::Interrupt,
                Frame::Nack,
                Frame::Packet(b"m0,4".to_vec())
            ]
        );
    }

    #[test]
    fn bad_checksum_and_garbage() {
        let mut r = FrameReader::new(100);
        assert_eq!(feed(&mut r, b"$g#00"), vec![Frame::BadChecksum]);
        assert_eq!(feed(&mut r, b"$g#zz"), vec![Frame::BadChecksum]);
        assert_eq!(
            feed(&mut r, b"noise$g#67"),
            vec![Frame::Packet(b"g".to_vec())]
        );
    }

    #[test]
    fn cut_off_packets_are_dropped_at_the_next_start() {
        let mut r = FrameReader::new(100);
        assert_eq!(
            feed(&mut r, b"$m12$g#67$m12#$g#67$m12#6$g#67"),
            vec![Frame::Packet(b"g".to_vec()); 3]
        );
        // Also the tail of an oversized packet.
        let mut r = FrameReader::new(4);
        assert_eq!(
            feed(&mut r, b"$0123456789$g#67"),
            vec![Frame::Packet(b"g".to_vec())]
        );
    }

    #[test]
    fn oversized_packets_are_dropped_whole() {
        let mut r = FrameReader::new(4);
        assert_eq!(
            feed(&mut r, b"$0123456789#00$g#67"),
            vec![Frame::Oversized, Frame::Packet(b"g".to_vec())]
        );
    }

    #[test]
    fn rle_round_trips_and_avoids_special_counts() {
        for len in 0..120 {
            let body: Vec<u8> = std::iter::repeat_n(b'0', len).chain(*b"12").collect();
            let enc = rle_encode(&body);
            assert!(!enc.contains(&b'#') && !enc.contains(&b'$'), "{len}");
            assert_eq!(rle_decode(&enc), body, "{len}");
        }
        assert_eq!(rle_encode(b"00000000"), b"0*\"00");
    }

    #[test]
    fn encode_packet_checksums_the_wire_bytes() {
        assert_eq!(encode_packet(b"OK", true), b"$OK#9a");
        let framed = encode_packet(b"0000000000", true);
        let frames = feed(&mut FrameReader::new(100), &framed);
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn escapes_binary() {
        let mut out = Vec::new();
        escape_binary(b"a#$}*b", &mut out);
        assert_eq!(out, b"a}\x03}\x04}]}\nb");
        assert_eq!(unescape_binary(&out), Some(b"a#$}*b".to_vec()));
        assert_eq!(unescape_binary(b""), Some(vec![]));
        assert_eq!(unescape_binary(b"ab}"), None);
        // Any byte may follow an escape; gdb only escapes the four.
        assert_eq!(unescape_binary(b"}\x20"), Some(vec![0]));
    }
}
