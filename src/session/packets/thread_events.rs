//! `QThreadEvents:1` / `QThreadEvents:0`: whether gdb hears of each
//! thread's exit (a `w` stop reply). gdb turns them on while it stops every
//! thread (non-stop, or `maint set target-non-stop on`): it sends `vCont;t`
//! for each running thread and waits for each to stop, and a thread that
//! exits instead must be reported, or gdb waits for ever.

use crate::protocol::reply::Reply;
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
