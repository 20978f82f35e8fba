//! `k`: kill every process, answered `X09` (with `;process:PID` when the
//! client speaks multiprocess), the reply lldb waits for; lldb took
//! gdbstub's `OK` for a failure (`unexpected response to k packet`). gdb
//! reads no reply to `k` (GNU gdbserver sends none): it sends `k` only
//! when it has no `vKill`, and then drops the connection in `target
//! remote` mode, so the reply is harmless to it.

use crate::inferior::regs::native;
use crate::protocol::reply::Reply;
use crate::protocol::stop_reply::StopReply;
use crate::stub::DebugTarget;

use super::error;

/// Kill everything: the reply, and whether the session ends after it.
pub(in crate::session) fn kill_all(target: &mut DebugTarget, multiprocess: bool) -> (Reply, bool) {
    let Some(pid) = target.all_processes().next().map(|p| p.pid().as_raw()) else {
        return (Reply::Error(1), false);
    };
    match target.kill_all() {
        Ok(ends) => {
            let killed = StopReply::Killed {
                pid: Some(pid),
                signal: native::SIGNALS.to_gdb(libc::SIGKILL),
            };
            (Reply::Data(killed.encode(multiprocess)), ends)
        }
        Err(e) => (error(e), false),
    }
}
