//! `QThreadEvents:1` / `QThreadEvents:0`: whether gdb hears of each
//! thread's exit (a `w` stop reply). gdb turns them on while it stops every
//! thread (non-stop, or `maint set target-non-stop on`): it sends `vCont;t`
//! for each running thread and waits for each to stop, and a thread that
//! exits instead must be reported, or gdb waits for ever.
//!
//! `QThreadOptions` (gdb 15 and later) asks the same per thread: the EXIT
//! option has the thread's exit reported (the same `w` through the
//! process outbox) while gdb steps that thread over a breakpoint. The
//! threads it names are checked against those that exist; a packet with
//! a bad part changes nothing.

use std::collections::BTreeSet;

use crate::protocol::reply::Reply;
use crate::protocol::thread_options::{self, Scope, EXIT};
use crate::stub::DebugTarget;

pub(in crate::session) fn set(target: &mut DebugTarget, args: &[u8]) -> Reply {
    let on = match args {
        b"0" => false,
        b"1" => true,
        _ => return Reply::Error(libc::EINVAL as u8),
    };
    target.settings().update(|s| s.report_thread_events = on);
    Reply::Ok
}

/// `QThreadOptions` + `rest`: set each existing thread's options, later
/// actions overriding earlier ones for the threads they name.
pub(in crate::session) fn set_options(target: &mut DebugTarget, rest: &[u8]) -> Reply {
    let actions = match thread_options::parse(rest) {
        Ok(actions) => actions,
        Err(refused) => {
            log::debug!("QThreadOptions refused: {refused:?}");
            return Reply::Error(1);
        }
    };
    let threads: Vec<(i32, i32)> = target
        .all_processes()
        .flat_map(|p| {
            let pid = p.pid().as_raw();
            p.thread_ids().map(move |t| (pid, t.as_raw()))
        })
        .collect();
    // "All" names everyone there is, even nobody.
    let named = |scope: Scope| {
        scope == Scope::All || threads.iter().any(|&(pid, tid)| scope.covers(pid, tid))
    };
    if !actions.iter().all(|a| named(a.scope)) {
        return Reply::Error(1);
    }
    let mut exit_reported = target.settings().get().exit_reported.clone();
    exit_reported.retain(|tid| threads.iter().any(|&(_, t)| t == *tid));
    for action in &actions {
        let chosen: BTreeSet<i32> = threads
            .iter()
            .filter(|&&(pid, tid)| action.scope.covers(pid, tid))
            .map(|&(_, tid)| tid)
            .collect();
        if action.options & EXIT != 0 {
            exit_reported.extend(chosen);
        } else {
            exit_reported.retain(|tid| !chosen.contains(tid));
        }
    }
    target
        .settings()
        .update(|s| s.exit_reported = exit_reported);
    Reply::Ok
}
