//! `vRun;PROGRAM;ARG...` (gdb's `run` in extended mode): start the program
//! with the arguments exactly as gdb sent them, empty ones included
//! (gdbstub's parser drops those), and reply as gdbstub did. A packet whose
//! hex we do not read goes to gdbstub as before, which answers it its way.
//! `qExecAndArgs` (gdb 18) asks what `run` would start: the program run
//! last, on our command line or by `vRun`.

use crate::protocol::exec_and_args;
use crate::protocol::reply::Reply;
use crate::protocol::vrun;
use crate::stub::DebugTarget;

use super::error;

/// Our reply to `vRun;` + `rest`, or None for gdbstub to answer.
pub(in crate::session) fn run(
    target: &mut DebugTarget,
    multiprocess: bool,
    rest: &[u8],
) -> Option<Reply> {
    let request = vrun::parse(rest)?;
    let program = Some(request.program.as_slice()).filter(|p| !p.is_empty());
    Some(match target.run_program(program, &request.args) {
        Ok(()) => {
            let process = target.process.as_ref();
            let pid = process.map_or(1, |p| p.pid().as_raw());
            let tid = process.and_then(|p| p.thread_ids().next().map(|t| t.as_raw()));
            Reply::Data(vrun::started_reply(pid, tid, multiprocess))
        }
        Err(e) => {
            log::debug!("error reply: {e}");
            error(e)
        }
    })
}

/// `qExecAndArgs`: `U` when we started no program (`--multi` with nothing
/// run yet, or only attached, as gdbserver), else the program we started
/// last (on our command line or with `vRun`) and its arguments.
pub(in crate::session) fn exec_and_args(target: &DebugTarget) -> Reply {
    let spec = target.last_run.as_ref();
    Reply::Data(exec_and_args::reply(
        spec.map(|s| s.program.as_str()),
        spec.map_or(&[], |s| s.args.as_slice()),
    ))
}
