//! Signal packets gdbstub has no trait for: `QPassSignals` and
//! `QProgramSignals` (which signals go to the program without a stop, and
//! which may be delivered at all), and `qXfer:siginfo:read/write`
//! (`$_siginfo`). Parsing lives here; the session applies the result.
//! Signals stay in gdb's numbering here: which host signal each one is, is
//! the architecture's fact, and the session translates.

use std::collections::HashSet;

/// Parse `SIG;SIG;...` (gdb numbers in hex) into the set of gdb signal
/// numbers it names. A malformed list is None.
pub fn parse_signal_list(list: &[u8]) -> Option<HashSet<u8>> {
    let mut signals = HashSet::new();
    // gdb ends the list with a `;`.
    for item in list.split(|&b| b == b';').filter(|item| !item.is_empty()) {
        let number = super::hex::parse_u64(item)?;
        signals.insert(u8::try_from(number).ok()?);
    }
    Some(signals)
}

/// The data of a qXfer write: the packet's binary escapes undone.
pub fn unescape_binary(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.iter();
    while let Some(&b) = bytes.next() {
        if b == b'}' {
            if let Some(&next) = bytes.next() {
                out.push(next ^ 0x20);
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// Split `OFFSET:DATA` of a qXfer write annex tail.
pub fn parse_write(text: &[u8]) -> Option<(u64, Vec<u8>)> {
    let colon = text.iter().position(|&b| b == b':')?;
    let offset = super::hex::parse_u64(&text[..colon])?;
    Some((offset, unescape_binary(&text[colon + 1..])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::framing;

    #[test]
    fn signal_lists() {
        // gdb numbers: 0xe SIGALRM, 0x1e SIGUSR1, 0x1f SIGUSR2.
        let set = parse_signal_list(b"e;1e;1f").unwrap();
        assert_eq!(set, HashSet::from([0xe, 0x1e, 0x1f]));
        assert_eq!(parse_signal_list(b"").unwrap().len(), 0);
        assert!(parse_signal_list(b"zz").is_none());
        assert_eq!(parse_signal_list(b"e;1e;").unwrap().len(), 2);
        assert!(parse_signal_list(b"1;x;2").is_none());
        assert!(parse_signal_list(b"fffffffff").is_none());
    }

    #[test]
    fn write_annex() {
        let data = [0u8, b'#', b'}', 7];
        let mut text = b"10:".to_vec();
        framing::escape_binary(&data, &mut text);
        assert_eq!(parse_write(&text), Some((0x10, data.to_vec())));
        assert_eq!(parse_write(b"zz:1"), None);
        assert_eq!(parse_write(b"10"), None);
    }
}
