//! Signals gdb configures and inspects: `QPassSignals`/`QProgramSignals`
//! (which signals go to the program without a stop, and which it may be
//! given at all), for every process we trace; `qXfer:siginfo:read/write`
//! (`$_siginfo` of the selected thread).

use crate::inferior::ptrace::Tid;
use crate::protocol::reply::Reply;
use crate::protocol::{parse_offset_length, qxfer_reply, signals};
use crate::stub::DebugTarget;

use super::error;

/// Which of the two signal lists a packet sets.
#[derive(Debug, Clone, Copy)]
pub(in crate::session) enum SignalList {
    /// `QPassSignals`: delivered without stopping.
    Pass,
    /// `QProgramSignals`: the ones the program may be given.
    Program,
}

pub(in crate::session) fn set_list(
    target: &mut DebugTarget,
    which: SignalList,
    list: &[u8],
) -> Reply {
    let Some(set) = signals::parse_signal_list(list) else {
        return Reply::Error(1);
    };
    target.settings().update(|s| match which {
        SignalList::Pass => s.signals.pass = set,
        SignalList::Program => s.signals.program = Some(set),
    });
    Reply::Ok
}

/// `qXfer:siginfo:read::OFFSET,LENGTH` of `tid`.
pub(in crate::session) fn read_siginfo(
    target: &DebugTarget,
    tid: Option<Tid>,
    window: &[u8],
) -> Reply {
    let Some((offset, length)) = parse_offset_length(window) else {
        return Reply::Error(0);
    };
    let (Some(process), Some(tid)) = (target.process.as_ref(), tid) else {
        return Reply::Error(1);
    };
    match process.siginfo(tid) {
        Ok(info) => Reply::Data(qxfer_reply(&info, offset, length)),
        Err(e) => error(e),
    }
}

/// `qXfer:siginfo:write::OFFSET:DATA` of `tid`.
pub(in crate::session) fn write_siginfo(
    target: &mut DebugTarget,
    tid: Option<Tid>,
    args: &[u8],
) -> Reply {
    let Some((offset, data)) = signals::parse_write(args) else {
        return Reply::Error(0);
    };
    let (Some(process), Some(tid)) = (target.process.as_mut(), tid) else {
        return Reply::Error(1);
    };
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    match process.write_siginfo(tid, offset, &data) {
        Ok(()) => Reply::Data(format!("{:x}", data.len()).into_bytes()),
        Err(e) => error(e),
    }
}
