//! `QThreadEvents:1` / `QThreadEvents:0`: whether gdb hears of each
//! thread's exit (a `w` stop reply). gdb turns them on while it stops every
//! thread (non-stop, or `maint set target-non-stop on`): it sends `vCont;t`
//! for each running thread and waits for each to stop, and a thread that
//! exits instead must be reported, or gdb waits for ever.
//!
//! `QThreadOptions` (gdb 15 and later) asks the same per thread while gdb
//! steps that thread over a breakpoint: the EXIT option has its exit
//! reported (the same `w` through the process outbox), the CLONE option
//! its clones (a `T05clone:` stop, the new thread stopped too). The
//! threads it names are checked against those that exist; a packet with
//! a bad part changes nothing.

use std::collections::BTreeSet;

use crate::protocol::reply::Reply;
use crate::protocol::thread_options::{self, Scope, CLONE, EXIT};
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
    let settings = target.settings().get().clone();
    let (mut exits, mut clones) = (settings.exit_reported, settings.clone_reported);
    for (set, bit) in [(&mut exits, EXIT), (&mut clones, CLONE)] {
        // Threads gone since are forgotten (a tid may come back).
        set.retain(|tid| threads.iter().any(|&(_, t)| t == *tid));
        for action in &actions {
            let chosen = threads
                .iter()
                .filter(|&&(pid, tid)| action.scope.covers(pid, tid))
                .map(|&(_, tid)| tid);
            if action.options & bit != 0 {
                set.extend(chosen);
            } else {
                let chosen: BTreeSet<i32> = chosen.collect();
                set.retain(|tid| !chosen.contains(tid));
            }
        }
    }
    target.settings().update(|s| {
        s.exit_reported = exits;
        s.clone_reported = clones;
    });
    Reply::Ok
}
