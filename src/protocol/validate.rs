//! Packets refused before gdbstub sees them, because gdbstub would take them
//! at face value:
//!
//! - thread ids that are malformed or name nobody (gdbstub does not check
//!   them, and a `vCont` that names only unknown threads, or has no actions
//!   at all, resumes nothing, so no stop reply ever comes);
//! - resume requests with no process (gdbstub reports a made-up exit and the
//!   session ends);
//! - odd-length hex in monitor commands (gdbstub pads it).
//!
//! gdbserver answers all of these with `E01`.

use super::reply::Reply;

/// The threads a packet may name. The session implements it over the
/// processes it follows, so this gate never sees a process.
pub trait ThreadSet {
    fn has_process(&self, pid: u64) -> bool;
    fn has_thread(&self, tid: u64) -> bool;
}

/// One half of a thread id as packets write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Id {
    /// `-1`
    All,
    /// `0`
    Any,
    Is(u64),
}

fn parse_id(text: &[u8]) -> Option<Id> {
    if text == b"-1" {
        return Some(Id::All);
    }
    match super::hex::parse_u64(text)? {
        0 => Some(Id::Any),
        n => Some(Id::Is(n)),
    }
}

/// `pPID.TID`, `pPID` (all its threads) or `TID`. None if it does not parse.
pub(crate) fn parse_thread(text: &[u8]) -> Option<(Option<Id>, Id)> {
    match text.strip_prefix(b"p") {
        Some(rest) => match rest.iter().position(|&b| b == b'.') {
            Some(dot) => Some((Some(parse_id(&rest[..dot])?), parse_id(&rest[dot + 1..])?)),
            None => Some((Some(parse_id(rest)?), Id::All)),
        },
        None => Some((None, parse_id(text)?)),
    }
}

/// Is this thread id malformed, or does it name a process or thread that is
/// not there? Malformed ids are refused here rather than left to gdbstub,
/// whose parser is lenient (`p1.2.junk` is thread 2 to it).
fn unknown(text: &[u8], threads: Option<&dyn ThreadSet>) -> bool {
    let Some((pid, tid)) = parse_thread(text) else {
        return true;
    };
    match threads {
        None => matches!(pid, Some(Id::Is(_))) || matches!(tid, Id::Is(_)),
        Some(set) => {
            matches!(pid, Some(Id::Is(p)) if !set.has_process(p))
                || matches!(tid, Id::Is(t) if !set.has_thread(t))
        }
    }
}

/// `Some(reply)` when the packet must be refused with that reply.
pub fn refuse(body: &[u8], threads: Option<&dyn ThreadSet>) -> Option<Reply> {
    let error = || Some(Reply::Error(1));
    if let Some(id) = body
        .strip_prefix(b"Hg")
        .or_else(|| body.strip_prefix(b"Hc"))
    {
        return if unknown(id, threads) { error() } else { None };
    }
    // gdbstub takes anything starting with `vCont` but `vCont?` for a
    // resume, with the actions after the first `;`.
    if body.starts_with(b"vCont") && body != b"vCont?" {
        let mut actions = body.split(|&b| b == b';').skip(1).peekable();
        let names_unknown = |action: &[u8]| {
            action
                .iter()
                .position(|&b| b == b':')
                .is_some_and(|colon| unknown(&action[colon + 1..], threads))
        };
        let refused = threads.is_none() || actions.peek().is_none() || actions.any(names_unknown);
        return if refused { error() } else { None };
    }
    // gdbstub reads odd-length hex as if it had a leading zero; gdbserver
    // refuses it.
    if let Some(hex) = body.strip_prefix(b"qRcmd,") {
        if hex.len() % 2 != 0 {
            return error();
        }
    }
    // Legacy resume packets with nothing to resume.
    if threads.is_none() && matches!(body.first(), Some(b'c' | b'C' | b's' | b'S')) {
        return error();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl ThreadSet for Two {
        fn has_process(&self, pid: u64) -> bool {
            pid == 0x100
        }
        fn has_thread(&self, tid: u64) -> bool {
            tid == 0x100 || tid == 0x101
        }
    }

    fn with(body: &[u8]) -> Option<Reply> {
        refuse(body, Some(&Two))
    }

    fn without(body: &[u8]) -> Option<Reply> {
        refuse(body, None)
    }

    #[test]
    fn unknown_threads_are_refused() {
        let e01 = Some(Reply::Error(1));
        for ok in [
            &b"Hg0"[..],
            b"Hg-1",
            b"Hc-1",
            b"Hg101",
            b"Hgp100.101",
            b"Hgp100.-1",
            b"Hgp-1.-1",
            b"Hgp0.0",
            b"Hgp100",
            b"vCont;c",
            b"vCont;s:101;c",
            b"vCont;s:p100.101;c:p100.-1",
            b"vCont;c:-1",
            b"vCont?",
            b"c",
            b"g",
        ] {
            assert_eq!(with(ok), None, "{}", String::from_utf8_lossy(ok));
        }
        for bad in [
            &b"Hg102"[..],
            b"Hcp1.ffff",
            b"Hgp99999.99999",
            b"Hgp1.-1",
            b"Hgp1",
            b"vCont;c:p1.ffff",
            b"vCont;s:101;c:p1.-1",
            b"vCont;s:102",
            b"vCont;C05:102;c",
            b"vCont",
            b"vCont-c",
            b"vCont?x",
        ] {
            assert_eq!(with(bad), e01, "{}", String::from_utf8_lossy(bad));
        }
        // Malformed ids too, even those gdbstub would read leniently.
        for malformed in [
            &b"Hgpzz.1"[..],
            b"Hg",
            b"Hgp100.101.zz",
            b"vCont;c:zz",
            b"vCont;c:",
            b"vCont;S0b:p100.101.zz",
            b"vCont;c:p100.0000000000000000101",
        ] {
            assert_eq!(
                with(malformed),
                e01,
                "{}",
                String::from_utf8_lossy(malformed)
            );
        }
    }

    #[test]
    fn resuming_nothing_is_refused() {
        let e01 = Some(Reply::Error(1));
        for bad in [
            &b"c"[..],
            b"s",
            b"C05",
            b"S05;1000",
            b"vCont;c",
            b"vCont;s:1",
            b"vCont-c",
            b"Hg1",
            b"Hgp1.-1",
            b"qRcmd,6",
            b"qRcmd,686",
        ] {
            assert_eq!(without(bad), e01, "{}", String::from_utf8_lossy(bad));
        }
        for ok in [
            &b"Hg0"[..],
            b"Hgp0.0",
            b"Hc-1",
            b"vCont?",
            b"g",
            b"?",
            b"qRcmd,68",
        ] {
            assert_eq!(without(ok), None, "{}", String::from_utf8_lossy(ok));
        }
    }
}
