//! Threads as gdb sees them: which one `Hg` and `Hc` selected, and the
//! lists gdb reads, `qfThreadInfo`/`qsThreadInfo` (ids in batches, every
//! thread of every process we follow) and `qXfer:threads:read` (the XML
//! document, names and cores too, taken at offset 0 and served from a
//! snapshot for the later windows: gdb reads it 4 KiB at a time, and
//! with 1000 threads rebuilding it per window meant 26000 /proc reads
//! per listing).

use std::collections::VecDeque;

use crate::inferior::procfs;
use crate::inferior::ptrace::Tid;
use crate::protocol::reply::Reply;
use crate::protocol::thread_id::{process_of, thread_of};
use crate::protocol::threads_xfer::{self, ThreadEntry};
use crate::protocol::{parse_offset_length, qxfer_reply};
use crate::stub::DebugTarget;

/// The threads gdb selected, and the thread list it is reading.
#[derive(Debug, Default)]
pub(in crate::session) struct Selection {
    /// The thread `Hg` selected, if a specific one (else the last stop's).
    pub(in crate::session) general: Option<Tid>,
    /// The thread `Hc` selected, if a specific one: legacy `c`/`s` act on it.
    pub(in crate::session) cont: Option<Tid>,
    /// Thread ids for `qsThreadInfo`, after `qfThreadInfo` sent the first.
    pub(in crate::session) list: ThreadList,
    /// The `qXfer:threads` document being read.
    pub(in crate::session) document: ThreadsDocument,
}

impl Selection {
    /// Note what an `Hg`/`Hc` packet selects (gdbstub answers it). A thread
    /// of another process we follow makes that process current.
    pub(in crate::session) fn select(&mut self, target: &mut DebugTarget, body: &[u8]) {
        let (which, id) = body.split_at(2.min(body.len()));
        match which {
            b"Hg" => self.general = thread_of(id),
            b"Hc" => self.cont = thread_of(id),
            _ => return,
        }
        if let Some(pid) = process_of(id) {
            target.select_pid(pid);
        }
    }
}

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

/// Every thread of every process we follow, with its core and name from
/// its /proc stat (one read per thread), for `qXfer:threads:read`.
fn thread_entries(target: &DebugTarget) -> Vec<ThreadEntry> {
    let mut threads = Vec::new();
    for process in target.all_processes() {
        let pid = process.pid();
        for tid in process.thread_ids() {
            let stat = procfs::thread_stat(pid, tid).ok();
            threads.push(ThreadEntry {
                pid: pid.as_raw(),
                tid: tid.as_raw(),
                core: stat.as_deref().and_then(threads_xfer::last_cpu),
                name: stat
                    .as_deref()
                    .and_then(threads_xfer::command_name)
                    .map(str::to_string),
            });
        }
    }
    threads
}

/// The `qXfer:threads` document gdb is reading, as taken at offset 0.
#[derive(Debug, Default)]
pub(in crate::session) struct ThreadsDocument {
    snapshot: Option<Vec<u8>>,
}

impl ThreadsDocument {
    /// `qXfer:threads:read::OFFSET,LENGTH`. No process (yet, or any
    /// more): an empty list.
    pub(in crate::session) fn read(
        &mut self,
        target: &DebugTarget,
        multiprocess: bool,
        window: &[u8],
    ) -> Reply {
        let Some((offset, length)) = parse_offset_length(window) else {
            return Reply::Error(0);
        };
        let document = match self.snapshot.take() {
            Some(document) if offset != 0 => document,
            _ => threads_xfer::threads_xml(&thread_entries(target), multiprocess).into_bytes(),
        };
        let reply = qxfer_reply(&document, offset, length);
        self.snapshot = Some(document);
        Reply::Data(reply)
    }
}
