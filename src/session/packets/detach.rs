//! `D` / `D;PID`: detach one process (gdbstub would end the session
//! whatever the pid); and `qAttached` without a pid, which gdbstub answers
//! "attached" whatever the process is (gdb would then detach a program it
//! launched instead of killing it).

use crate::inferior::process::Origin;
use crate::protocol::reply::Reply;
use crate::session::{Session, SessionEnd};
use crate::stub::DebugTarget;

impl Session<'_> {
    /// Detach `pid` (None: the current process). The session goes on while
    /// processes remain, or in extended mode.
    pub(in crate::session) fn detach(
        &mut self,
        target: &mut DebugTarget,
        pid: Option<i32>,
    ) -> Reply {
        if let Some(pid) = pid {
            if !target.select_pid(pid) {
                return Reply::Error(1);
            }
        }
        let Some(mut process) = target.process.take() else {
            return Reply::Error(1);
        };
        eprintln!("Detaching from process {}", process.pid());
        if let Err(e) = process.detach() {
            log::warn!("detaching {}: {e}", process.pid());
        }
        target.drop_current();
        self.forget_threads();
        if target.process.is_none() && !target.extended {
            self.end_after_reply = Some(SessionEnd::Detached);
        }
        Reply::Ok
    }
}

/// `qAttached`: of the current process.
pub(in crate::session) fn attached(target: &DebugTarget) -> Reply {
    match target.process.as_ref().map(|p| p.origin()) {
        Some(Origin::Attached) => Reply::Data(b"1".to_vec()),
        Some(Origin::Launched) => Reply::Data(b"0".to_vec()),
        None => Reply::Error(1),
    }
}
