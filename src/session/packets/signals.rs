//! Signals gdb configures and inspects: `QPassSignals`/`QProgramSignals`
//! (which signals go to the program without a stop, and which it may be
//! given at all), for every process we trace; `qXfer:siginfo:read/write`
//! (`$_siginfo` of the selected thread). gdb numbers the signals its own
//! way; they become host numbers here, on their way down.

use std::collections::HashSet;

use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
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
    let set = host_signals(&set);
    target.settings().update(|s| match which {
        SignalList::Pass => s.signals.pass = set,
        SignalList::Program => s.signals.program = Some(set),
    });
    Reply::Ok
}

/// The host signals of a set of gdb signal numbers; numbers with no host
/// signal are left out.
fn host_signals(gdb: &HashSet<u8>) -> HashSet<i32> {
    gdb.iter()
        .filter_map(|&g| native::SIGNALS.from_gdb(g))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdb_numbers_become_host_signals() {
        // gdb numbers: 0xe SIGALRM, 0x1e SIGUSR1, 0x1f SIGUSR2; 7 is SIGEMT,
        // which only MIPS has.
        let set = host_signals(&HashSet::from([0xe, 0x1e, 0x1f]));
        assert_eq!(
            set,
            HashSet::from([libc::SIGALRM, libc::SIGUSR1, libc::SIGUSR2])
        );
        let emt = host_signals(&HashSet::from([7]));
        assert_eq!(
            emt.len(),
            usize::from(native::SIGNALS.from_gdb(7).is_some())
        );
        assert!(host_signals(&HashSet::new()).is_empty());
    }
}
