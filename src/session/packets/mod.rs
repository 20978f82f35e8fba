//! One small module per packet family our layer answers itself; the
//! dispatcher (`super::dispatch`) sends each parsed `Command` here. A
//! handler takes only what it needs (the target, a piece of session state)
//! and returns a typed `Reply`.

pub(super) mod detach;
pub(super) mod host_io;
pub(super) mod kill;
pub(super) mod libraries;
pub(super) mod lldb_info;
pub(super) mod lldb_threads;
pub(super) mod memory;
pub(super) mod memory_region;
pub(super) mod memory_tags;
pub(super) mod monitor;
pub(super) mod osdata;
pub(super) mod points;
pub(super) mod registers;
pub(super) mod run;
pub(super) mod signals;
pub(super) mod syscalls;
pub(super) mod thread_events;
pub(super) mod threads;
pub(super) mod tls;
pub(super) mod trace;
pub(super) mod trace_frames;

use crate::inferior::process::ProcessError;
use crate::protocol::reply::Reply;

/// The `Exx` a failed inferior request gives.
pub(super) fn error(e: ProcessError) -> Reply {
    Reply::Error(e.errno())
}
