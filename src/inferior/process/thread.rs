//! One thread's run-control record (LLDB's NativeThreadLinux role): whether
//! it runs and how it was resumed, what it still owes us (a SIGSTOP we sent,
//! an event seen while every thread was being stopped, a signal to deliver
//! when it next runs) and what gdb asked of its current resume (a stop, a
//! range to step in). The process makes every decision; a thread only keeps
//! its own state, and these methods are the small changes made to it.
//!
//! `ThreadTable` is the process's set of them, with the threads whose
//! first stop came before their creator's clone event (`early stops`).

use std::collections::{btree_map, BTreeMap, HashSet};

use crate::inferior::ptrace::Tid;

use super::StopEvent;

/// The threads of one process, by tid, and the early stops: new threads
/// (or fork children) seen stopping before the event that creates them.
#[derive(Debug, Default)]
pub(super) struct ThreadTable {
    threads: BTreeMap<Tid, ThreadState>,
    early_stops: HashSet<Tid>,
}

impl ThreadTable {
    pub(super) fn get(&self, tid: &Tid) -> Option<&ThreadState> {
        self.threads.get(tid)
    }

    pub(super) fn get_mut(&mut self, tid: &Tid) -> Option<&mut ThreadState> {
        self.threads.get_mut(tid)
    }

    pub(super) fn contains_key(&self, tid: &Tid) -> bool {
        self.threads.contains_key(tid)
    }

    pub(super) fn insert(&mut self, tid: Tid, thread: ThreadState) {
        self.threads.insert(tid, thread);
    }

    pub(super) fn remove(&mut self, tid: &Tid) -> Option<ThreadState> {
        self.threads.remove(tid)
    }

    /// `tid`'s record, made fresh if it has none.
    pub(super) fn ensure(&mut self, tid: Tid) -> &mut ThreadState {
        self.threads.entry(tid).or_default()
    }

    pub(super) fn keys(&self) -> btree_map::Keys<'_, Tid, ThreadState> {
        self.threads.keys()
    }

    pub(super) fn values(&self) -> btree_map::Values<'_, Tid, ThreadState> {
        self.threads.values()
    }

    pub(super) fn iter(&self) -> btree_map::Iter<'_, Tid, ThreadState> {
        self.threads.iter()
    }

    pub(super) fn iter_mut(&mut self) -> btree_map::IterMut<'_, Tid, ThreadState> {
        self.threads.iter_mut()
    }

    pub(super) fn len(&self) -> usize {
        self.threads.len()
    }

    pub(super) fn retain(&mut self, keep: impl FnMut(&Tid, &mut ThreadState) -> bool) {
        self.threads.retain(keep);
    }

    /// Every thread's record, leaving none (the early stops stay).
    pub(super) fn take_all(&mut self) -> BTreeMap<Tid, ThreadState> {
        std::mem::take(&mut self.threads)
    }

    pub(super) fn clear(&mut self) {
        self.threads.clear();
    }

    /// `tid`, not ours yet, reported its first stop: remembered for the
    /// event that makes it ours.
    pub(super) fn note_early_stop(&mut self, tid: Tid) {
        self.early_stops.insert(tid);
    }

    /// Had `tid` stopped already, before the event that made it ours?
    /// (Forgotten now.)
    pub(super) fn take_early_stop(&mut self, tid: Tid) -> bool {
        self.early_stops.remove(&tid)
    }
}

impl std::ops::Index<&Tid> for ThreadTable {
    type Output = ThreadState;

    fn index(&self, tid: &Tid) -> &ThreadState {
        &self.threads[tid]
    }
}

#[derive(Debug, Default)]
pub(super) struct ThreadState {
    /// Resumed and not yet seen stopping.
    pub(super) running: bool,
    /// We sent it a SIGSTOP that it has not reported yet.
    pub(super) sigstop_expected: bool,
    /// Last resumed with PTRACE_SINGLESTEP.
    pub(super) stepping: bool,
    /// An event seen while stopping everyone, reported on a later resume.
    pub(super) pending: Option<StopEvent>,
    /// Its debug registers do not match the process's table yet.
    pub(super) debug_regs_stale: bool,
    /// A pass-through signal that arrived while everyone was being stopped:
    /// delivered when the thread next runs.
    pub(super) deliver: Option<i32>,
    /// The system call it entered, while it is inside one we saw it enter.
    pub(super) in_syscall: Option<u64>,
    /// gdb asked for it to stop (non-stop `vCont;t`): its stop is reported.
    pub(super) stop_requested: bool,
    /// Range stepping: keep stepping while the PC is in here.
    pub(super) range: Option<(u64, u64)>,
    /// It collected at this tracepoint and stayed there (reported for
    /// gdb's breakpoint at the same place, or held while everyone was
    /// stopped): the trap it meets there when resumed is the same hit.
    pub(super) collected_at: Option<u64>,
}

impl ThreadState {
    /// A thread found stopped on attach, with the signal it stopped with (if
    /// any) as its first event.
    pub(super) fn attached(pending: Option<StopEvent>) -> ThreadState {
        ThreadState {
            pending,
            ..ThreadState::default()
        }
    }

    /// A thread its creator's clone event told us of: it runs towards the
    /// SIGSTOP the kernel stops every new thread with, unless that stop
    /// (`already_stopped`) came first. It starts without debug registers:
    /// they are stale if the process has any.
    pub(super) fn cloned(already_stopped: bool, debug_regs_stale: bool) -> ThreadState {
        ThreadState {
            running: !already_stopped,
            sigstop_expected: !already_stopped,
            debug_regs_stale,
            ..ThreadState::default()
        }
    }

    /// The signal to resume it with: the one asked for, or else (none
    /// asked) the one kept for its next run.
    pub(super) fn signal_for_resume(&mut self, requested: i32) -> i32 {
        match requested {
            0 => self.deliver.take().unwrap_or(0),
            signal => signal,
        }
    }

    /// Keep `signal` for its next run. Only one waits at a time: if another
    /// is kept already, that one stays and is returned.
    pub(super) fn keep_signal(&mut self, signal: i32) -> Result<(), i32> {
        match self.deliver {
            None => {
                self.deliver = Some(signal);
                Ok(())
            }
            Some(kept) if kept == signal => Ok(()),
            Some(kept) => Err(kept),
        }
    }

    /// Its stop has been reported: what gdb asked of the resume is done.
    pub(super) fn stop_reported(&mut self) {
        self.stop_requested = false;
        self.range = None;
    }

    /// The signal to let it go with on detach: one it stopped with that gdb
    /// never saw (our own SIGSTOPs and traps aside), or one kept for it.
    pub(super) fn unreported_signal(&self) -> Option<i32> {
        match self.pending {
            Some(StopEvent::Signal { signal, .. })
                if signal != libc::SIGTRAP && signal != libc::SIGSTOP =>
            {
                Some(signal)
            }
            _ => self.deliver,
        }
    }
}
