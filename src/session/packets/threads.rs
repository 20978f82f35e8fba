//! The thread lists gdb reads: `qfThreadInfo`/`qsThreadInfo` (ids in
//! batches, every thread of every process we follow) and
//! `qXfer:threads:read` (the XML document, names and cores too).

use std::collections::VecDeque;

use crate::protocol::reply::Reply;
use crate::protocol::{parse_offset_length, qxfer_reply, threads_xfer};
use crate::stub::DebugTarget;

/// Ids per `qfThreadInfo`/`qsThreadInfo` reply.
const BATCH: usize = 256;

/// The ids still to send after `qfThreadInfo` sent the first batch.
#[derive(Debug, Default)]
pub(in crate::session) struct ThreadList {
    pending: VecDeque<String>,
}

impl ThreadList {
    /// `qfThreadInfo`: take the list now, send its first batch.
    pub(in crate::session) fn first(&mut self, target: &DebugTarget, multiprocess: bool) -> Reply {
        self.pending = all_thread_ids(target, multiprocess).into();
        self.next()
    }

    /// `qsThreadInfo`: the next batch, or `l` at the end.
    pub(in crate::session) fn next(&mut self) -> Reply {
        if self.pending.is_empty() {
            return Reply::Data(b"l".to_vec());
        }
        let batch: Vec<String> = self
            .pending
            .drain(..self.pending.len().min(BATCH))
            .collect();
        Reply::Data(format!("m{}", batch.join(",")).into_bytes())
    }
}

/// Every thread of every process we follow, as gdb names them.
fn all_thread_ids(target: &DebugTarget, multiprocess: bool) -> Vec<String> {
    let mut ids = Vec::new();
    for process in target.all_processes() {
        let pid = process.pid().as_raw();
        for tid in process.thread_ids() {
            let tid = tid.as_raw();
            ids.push(if multiprocess {
                format!("p{pid:x}.{tid:x}")
            } else {
                format!("{tid:x}")
            });
        }
    }
    ids
}

/// `qXfer:threads:read::OFFSET,LENGTH`. No process (yet, or any more): an
/// empty list.
pub(in crate::session) fn xfer(target: &DebugTarget, multiprocess: bool, window: &[u8]) -> Reply {
    match parse_offset_length(window) {
        Some((offset, length)) => Reply::Data(qxfer_reply(
            threads_xfer::threads_xml(target.all_processes(), multiprocess).as_bytes(),
            offset,
            length,
        )),
        None => Reply::Error(0),
    }
}
