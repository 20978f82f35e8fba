//! `qXfer:osdata:read:ANNEX:OFFSET,LENGTH` (`info os`). Needs no process.
//! The document is taken at offset 0 and served from here for the later
//! windows, so that a table read in several packets is one consistent
//! snapshot of /proc. An unknown annex is an empty document, as with
//! gdbserver.

use crate::protocol::reply::Reply;
use crate::protocol::{osdata, parse_offset_length, qxfer_reply};

/// The document being read, by annex.
#[derive(Debug, Default)]
pub(in crate::session) struct OsdataReads {
    current: Option<(Vec<u8>, Vec<u8>)>,
}

impl OsdataReads {
    pub(in crate::session) fn read(&mut self, args: &[u8]) -> Reply {
        let Some(colon) = args.iter().rposition(|&b| b == b':') else {
            return Reply::Error(0);
        };
        let (annex, window) = (&args[..colon], &args[colon + 1..]);
        let Some((offset, length)) = parse_offset_length(window) else {
            return Reply::Error(0);
        };
        let cached = self.current.as_ref().is_some_and(|(a, _)| a == annex);
        if offset == 0 || !cached {
            let document = std::str::from_utf8(annex)
                .ok()
                .and_then(osdata::document)
                .unwrap_or_default();
            self.current = Some((annex.to_vec(), document.into_bytes()));
        }
        match &self.current {
            Some((_, document)) => Reply::Data(qxfer_reply(document, offset, length)),
            None => Reply::Error(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_windows_and_unknown_annexes() {
        let mut reads = OsdataReads::default();
        assert_eq!(reads.read(b"processes"), Reply::Error(0));
        assert_eq!(reads.read(b"processes:zz"), Reply::Error(0));
        assert_eq!(
            reads.read(b"no-such-annex:0,100"),
            Reply::Data(b"l".to_vec())
        );
    }
}
