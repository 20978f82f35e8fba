//! `qXfer:libraries-svr4:read:ANNEX:OFFSET,LENGTH`: the dynamic linker's
//! list of loaded objects. Ours rather than gdbstub's, whose extension
//! cannot see the annex: with `augmented-libraries-svr4-read+` gdb may name
//! a `link_map` to start from (`start`, `prev`, `lmid`), and gets only the
//! libraries from there on instead of the whole list at every `dlopen`.
//! An empty annex (or `start=0`) is the whole document, as before.

use crate::inferior::svr4::ListFrom;
use crate::protocol::qxfer_reply;
use crate::protocol::reply::Reply;
use crate::protocol::svr4_annex::{parse_read, Svr4Annex};
use crate::stub::DebugTarget;

use super::error;

pub(in crate::session) fn read(target: &DebugTarget, args: &[u8]) -> Reply {
    // A malformed annex or window: E01, as GNU gdbserver answers.
    let Some((annex, offset, length)) = parse_read(args) else {
        return Reply::Error(1);
    };
    let Some(process) = target.process.as_ref() else {
        return Reply::Error(1);
    };
    let document = match list_from(annex) {
        Some(from) => process.libraries_svr4_xml_from(from),
        None => match process.libraries_svr4_xml() {
            Ok(xml) => xml,
            Err(e) => return error(e),
        },
    };
    Reply::Data(qxfer_reply(document.as_bytes(), offset, length))
}

/// Where the walk starts, or None for the whole list. Without `lmid`
/// (gdb before 13) the libraries are tagged 0, as GNU gdbserver tags them.
fn list_from(annex: Svr4Annex) -> Option<ListFrom> {
    (annex.start != 0).then_some(ListFrom {
        lm: annex.start,
        prev: annex.prev,
        lmid: annex.lmid.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_zero_or_none_is_the_whole_list() {
        assert_eq!(list_from(Svr4Annex::default()), None);
        // prev without start: ignored, as gdbserver does.
        assert_eq!(
            list_from(Svr4Annex {
                prev: 8,
                ..Svr4Annex::default()
            }),
            None
        );
        assert_eq!(
            list_from(Svr4Annex {
                start: 0x10,
                prev: 8,
                lmid: Some(0x5000)
            }),
            Some(ListFrom {
                lm: 0x10,
                prev: 8,
                lmid: 0x5000
            })
        );
        assert_eq!(
            list_from(Svr4Annex {
                start: 0x10,
                prev: 8,
                lmid: None
            })
            .map(|f| f.lmid),
            Some(0)
        );
    }

    #[test]
    fn malformed_or_no_process_is_e01() {
        let target = DebugTarget::new(crate::stub::TargetConfig::default());
        assert_eq!(read(&target, b"start=zz:0,fff"), Reply::Error(1));
        assert_eq!(read(&target, b":0"), Reply::Error(1));
        assert_eq!(read(&target, b":0,fff"), Reply::Error(1));
    }
}
