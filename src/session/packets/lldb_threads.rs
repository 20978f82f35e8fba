//! lldb's thread packets: `QListThreadsInStopReply` (its keys in every `T`
//! reply, see `stop_report`), `jThreadsInfo` (every thread at once, with
//! names and expedited registers) and `qThreadStopInfoTID` (one thread's
//! stop, as a `T` reply). Without them lldb lists threads with
//! `qfThreadInfo`, selects each with `Hg` and reads its registers one by
//! one, and shows no thread names.

use crate::inferior::process::StopEvent;
use crate::inferior::procfs;
use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::protocol::hex;
use crate::protocol::lldb_threads::{threads_info_reply, ThreadInfo, ThreadStopInfo};
use crate::protocol::reply::Reply;
use crate::stub::DebugTarget;

use super::super::stop_report::{self, ReplyStyle};

/// `jThreadsInfo`: every thread of the current process; the one whose
/// stop gdb was told of (`last`) says why it stopped.
pub(in crate::session) fn threads_info(target: &mut DebugTarget, last: Option<StopEvent>) -> Reply {
    let Some(process) = target.process.as_mut().filter(|p| !p.has_exited()) else {
        return Reply::Error(1);
    };
    let pid = process.pid();
    let tids: Vec<Tid> = process.thread_ids().collect();
    let threads: Vec<ThreadInfo> = tids
        .into_iter()
        .map(|tid| ThreadInfo {
            tid: tid.as_raw(),
            name: procfs::thread_name(pid, tid)
                .map(String::into_bytes)
                .unwrap_or_default(),
            registers: stop_report::expedited_registers(process, tid),
            stop: last.filter(|e| e.tid() == Some(tid)).map(stop_info),
        })
        .collect();
    Reply::Data(threads_info_reply(&threads))
}

/// A stop event in lldb's words.
fn stop_info(event: StopEvent) -> ThreadStopInfo {
    let trap = native::SIGNALS.to_gdb(libc::SIGTRAP);
    let (reason, signal, watch_addr) = match event {
        StopEvent::Breakpoint { .. } | StopEvent::HwBreak { .. } => ("breakpoint", trap, None),
        StopEvent::Step { .. } => ("trace", trap, None),
        StopEvent::Watch { addr, .. } => ("watchpoint", trap, Some(addr)),
        StopEvent::Exec { .. } => ("exec", trap, None),
        StopEvent::Signal { signal, .. } => ("signal", native::SIGNALS.to_gdb(signal), None),
        _ => ("signal", trap, None),
    };
    ThreadStopInfo {
        reason,
        signal,
        watch_addr,
    }
}

/// `qThreadStopInfoTID`: the `T` reply for that thread: the reported stop
/// if it is that thread's, else a plain stop (`T00`).
pub(in crate::session) fn thread_stop_info(
    target: &mut DebugTarget,
    last: Option<StopEvent>,
    tid: &[u8],
    style: ReplyStyle,
) -> Reply {
    let Some(tid) = hex::parse_u64(tid)
        .and_then(|t| i32::try_from(t).ok())
        .map(Tid::from_raw)
    else {
        return Reply::Error(1);
    };
    let Some(process) = target
        .process
        .as_mut()
        .filter(|p| !p.has_exited() && p.has_thread(tid))
    else {
        return Reply::Error(1);
    };
    let event = last
        .filter(|e| e.tid() == Some(tid))
        .unwrap_or(StopEvent::Stopped { tid });
    Reply::Data(stop_report::reply(process, event, style))
}
