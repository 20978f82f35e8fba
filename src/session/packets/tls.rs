//! `qGetTLSAddr:THREAD,OFFSET,LM`: where a thread's `__thread` variable
//! lives (the inferior computes it from glibc's TLS layout).

use crate::protocol::hex;
use crate::protocol::reply::Reply;
use crate::protocol::thread_id::thread_of;
use crate::stub::DebugTarget;

pub(in crate::session) fn address(target: &mut DebugTarget, args: &[u8]) -> Reply {
    let mut parts = args.split(|&b| b == b',');
    let (Some(thread), Some(offset), Some(lm), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Reply::Error(1);
    };
    let (Some(tid), Some(offset), Some(lm)) = (
        thread_of(thread),
        hex::parse_u64(offset),
        hex::parse_u64(lm),
    ) else {
        return Reply::Error(1);
    };
    if !target.thread_db || !target.select_tid(tid) {
        return Reply::Error(1);
    }
    let Some(process) = target.process.as_mut() else {
        return Reply::Error(1);
    };
    match process.tls_address(tid, offset, lm) {
        Ok(addr) => Reply::Data(format!("{addr:x}").into_bytes()),
        Err(e) => {
            log::debug!("qGetTLSAddr: {e}");
            Reply::Error(1)
        }
    }
}
