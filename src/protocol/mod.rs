//! Our protocol layer around gdbstub: framing and acknowledgements, and the
//! packets we answer ourselves because gdbstub 0.7 lacks them or gets them
//! wrong for a Linux process (see docs/protocol.md). Everything else is fed
//! to gdbstub's state machine as a verified packet.

pub mod breakpoints;
pub mod command;
pub mod exec_and_args;
pub mod framing;
pub mod hex;
pub mod host_io;
pub mod host_stat;
pub mod lldb_info;
pub mod lldb_threads;
pub mod memory;
pub mod memory_tags;
pub mod osdata;
pub mod qsupported;
pub mod reply;
pub mod signals;
pub mod stop_reply;
pub mod svr4_annex;
pub mod thread_id;
pub mod thread_options;
pub mod threads_xfer;
pub mod tracepoints;
pub mod validate;
pub mod vcont;
pub mod vrun;

/// Largest packet we accept and advertise (`PacketSize`). gdb sizes its
/// memory reads to fit the hex reply in one packet, so this is also what
/// makes `dump memory` fast.
pub const PACKET_SIZE: usize = 0x100000;

/// Text for an XML attribute or element of a qXfer document.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Parse a qXfer `OFFSET,LENGTH` annex tail.
pub fn parse_offset_length(text: &[u8]) -> Option<(u64, usize)> {
    let text = std::str::from_utf8(text).ok()?;
    let (offset, length) = text.split_once(',')?;
    Some((
        u64::from_str_radix(offset, 16).ok()?,
        usize::from_str_radix(length, 16).ok()?,
    ))
}

/// A qXfer reply for the window `[offset, offset + length)` of `document`:
/// `m` and data when more follows, `l` and data at the end (binary-escaped).
pub fn qxfer_reply(document: &[u8], offset: u64, length: usize) -> Vec<u8> {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(document.len());
    // Leave room for escapes: every byte may double.
    let length = length.min(PACKET_SIZE / 2 - 16);
    let end = start.saturating_add(length).min(document.len());
    let mut reply = vec![if end < document.len() { b'm' } else { b'l' }];
    framing::escape_binary(&document[start..end], &mut reply);
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qxfer_windows() {
        assert_eq!(qxfer_reply(b"abcdef", 0, 4), b"mabcd");
        assert_eq!(qxfer_reply(b"abcdef", 4, 4), b"lef");
        assert_eq!(qxfer_reply(b"abcdef", 10, 4), b"l");
        assert_eq!(parse_offset_length(b"1f,ffb"), Some((0x1f, 0xffb)));
        assert_eq!(parse_offset_length(b"1f"), None);
        assert_eq!(parse_offset_length(b"zz,1"), None);
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
