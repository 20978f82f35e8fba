//! `QThreadOptions;OPTIONS[:THREAD-ID];...` (gdb 15 and later): which
//! thread events gdb wants reported for which threads, parsed into actions
//! the session applies in order (a later action overrides an earlier one
//! for the threads it names, as gdbserver does: gdb sends the default for
//! everyone first, then the thread it steps). Pure: the session checks the
//! threads named against those that exist.

use super::hex;

/// `GDB_THREAD_OPTION_CLONE`: report a clone by the thread as a stop.
pub const CLONE: u64 = 0x1;
/// `GDB_THREAD_OPTION_EXIT`: report the thread's exit (`w` status).
pub const EXIT: u64 = 0x2;
/// The options we implement, offered as `QThreadOptions=SUPPORTED` in
/// `qSupported` (gdb asks for them only when both are there).
pub const SUPPORTED: u64 = CLONE | EXIT;

/// The threads one action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No thread id, or `-1` / `p-1.-1`: every thread.
    All,
    /// `pPID.-1` or `pPID.0`: every thread of a process.
    Process(i32),
    /// `pPID.TID` or `TID`: one thread.
    Thread(i32),
}

impl Scope {
    /// Is thread `tid` of process `pid` among these threads?
    pub fn covers(self, pid: i32, tid: i32) -> bool {
        match self {
            Scope::All => true,
            Scope::Process(p) => p == pid,
            Scope::Thread(t) => t == tid,
        }
    }
}

/// One `OPTIONS[:THREAD-ID]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub options: u64,
    pub scope: Scope,
}

/// Why a `QThreadOptions` packet is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No hex number where the options belong, or one too large.
    BadOptions,
    /// Bits we do not implement (gdb only asks for what we offered).
    Unsupported(u64),
    /// A thread id that names no thread, process or "all".
    BadThread,
}

/// The actions of `QThreadOptions` + `rest` (`rest` is what follows the
/// packet name: empty, or `;ACTION;ACTION...`).
pub fn parse(rest: &[u8]) -> Result<Vec<Action>, Refused> {
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let list = rest.strip_prefix(b";").ok_or(Refused::BadOptions)?;
    list.split(|&b| b == b';').map(action).collect()
}

fn action(text: &[u8]) -> Result<Action, Refused> {
    let (options, thread) = match text.iter().position(|&b| b == b':') {
        Some(colon) => (&text[..colon], Some(&text[colon + 1..])),
        None => (text, None),
    };
    let options = hex::parse_u64(options).ok_or(Refused::BadOptions)?;
    if options & !SUPPORTED != 0 {
        return Err(Refused::Unsupported(options & !SUPPORTED));
    }
    let scope = match thread {
        None => Scope::All,
        Some(id) => scope(id).ok_or(Refused::BadThread)?,
    };
    Ok(Action { options, scope })
}

/// A thread id: `-1`, positive hex, or `pPID.TID` with each part `-1` or
/// positive (a tid of 0 or -1 means the whole process).
fn scope(id: &[u8]) -> Option<Scope> {
    let Some(rest) = id.strip_prefix(b"p") else {
        return match id {
            b"-1" => Some(Scope::All),
            _ => positive(id).map(Scope::Thread),
        };
    };
    let (pid, tid) = match rest.iter().position(|&b| b == b'.') {
        Some(dot) => (&rest[..dot], &rest[dot + 1..]),
        None => (rest, &b"-1"[..]),
    };
    match (pid, tid) {
        (b"-1", b"-1") => Some(Scope::All),
        (b"-1", _) => None,
        (pid, b"-1" | b"0") => positive(pid).map(Scope::Process),
        (pid, tid) => {
            positive(pid)?;
            positive(tid).map(Scope::Thread)
        }
    }
}

fn positive(text: &[u8]) -> Option<i32> {
    hex::parse_u64(text)
        .and_then(|n| i32::try_from(n).ok())
        .filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(options: u64, scope: Scope) -> Action {
        Action { options, scope }
    }

    #[test]
    fn what_gdb_sends() {
        assert_eq!(parse(b";0"), Ok(vec![one(0, Scope::All)]));
        assert_eq!(
            parse(b";0;2:p21b1.21b1"),
            Ok(vec![one(0, Scope::All), one(2, Scope::Thread(0x21b1))])
        );
        assert_eq!(
            parse(b";0;3:p21b1.21b1"),
            Ok(vec![one(0, Scope::All), one(3, Scope::Thread(0x21b1))])
        );
        assert_eq!(parse(b""), Ok(vec![]));
        assert_eq!(parse(b";2:1f"), Ok(vec![one(2, Scope::Thread(0x1f))]));
        assert_eq!(parse(b";2:-1"), Ok(vec![one(2, Scope::All)]));
        assert_eq!(parse(b";2:p-1.-1"), Ok(vec![one(2, Scope::All)]));
        assert_eq!(parse(b";2:p7.-1"), Ok(vec![one(2, Scope::Process(7))]));
        assert_eq!(parse(b";2:p7"), Ok(vec![one(2, Scope::Process(7))]));
        assert_eq!(parse(b";2:p7.0"), Ok(vec![one(2, Scope::Process(7))]));
    }

    #[test]
    fn malformed_forms_are_refused() {
        use Refused::*;
        let cases: &[(&[u8], Refused)] = &[
            (b";zz", BadOptions),
            (b";", BadOptions),
            (b"0", BadOptions),
            (b";:1", BadOptions),
            (b";2;", BadOptions),
            (b";10000000000000000", BadOptions),
            (b";4", Unsupported(4)),
            (b";ff", Unsupported(0xfc)),
            (b";2:p-5.-1", BadThread),
            (b";2:p-1.5", BadThread),
            (b";2:", BadThread),
            (b";2:0", BadThread),
            (b";2:pffffffffffff.1", BadThread),
            (b";2:p5.zz", BadThread),
            (b";2:p5.-2", BadThread),
        ];
        for (packet, why) in cases {
            let text = String::from_utf8_lossy(packet);
            assert_eq!(parse(packet).as_ref(), Err(why), "{text}");
        }
    }
}
