//! The events the process holds for its caller without any waiting: those
//! picked on resume from threads that had one pending (reported instead of
//! running), and the process's end, which is kept for good (every later
//! call sees the process gone) but handed out once. Fork children reported
//! to gdb wait here too, for the caller to take over.

use std::collections::{HashSet, VecDeque};

use crate::inferior::ptrace::Tid;

use super::{Process, StopEvent};

#[derive(Default)]
pub(super) struct Outbox {
    /// Pending events chosen on resume, reported without running anything.
    ready: VecDeque<StopEvent>,
    exit: Option<StopEvent>,
    /// The exit was handed out (by `take`, or reported from a wait).
    exit_reported: bool,
    /// Children reported in a Fork event, for the caller to take over.
    forked: Vec<Process>,
}

impl Outbox {
    /// How the process ended, if it has.
    pub(super) fn exit(&self) -> Option<StopEvent> {
        self.exit
    }

    pub(super) fn has_exited(&self) -> bool {
        self.exit.is_some()
    }

    /// The process has ended (or we have left it) with `event`.
    pub(super) fn set_exit(&mut self, event: StopEvent) {
        self.exit = Some(event);
    }

    /// The exit has reached the caller another way: not to be handed out.
    pub(super) fn mark_exit_reported(&mut self) {
        self.exit_reported = true;
    }

    /// An event to report before anything runs again.
    pub(super) fn push(&mut self, event: StopEvent) {
        self.ready.push_back(event);
    }

    /// A child reported in a Fork event, for the caller.
    pub(super) fn push_forked(&mut self, child: Process) {
        self.forked.push(child);
    }

    /// The children reported since the last call.
    pub(super) fn take_forked(&mut self) -> Vec<Process> {
        std::mem::take(&mut self.forked)
    }

    /// The threads with an event waiting here.
    pub(super) fn ready_tids(&self) -> HashSet<Tid> {
        self.ready.iter().filter_map(|e| e.tid()).collect()
    }

    /// The next event: a ready one, else the process's end (once).
    pub(super) fn take(&mut self) -> Option<StopEvent> {
        if let Some(event) = self.ready.pop_front() {
            return Some(event);
        }
        match self.exit {
            Some(exit) if !self.exit_reported => {
                self.exit_reported = true;
                Some(exit)
            }
            _ => None,
        }
    }
}
