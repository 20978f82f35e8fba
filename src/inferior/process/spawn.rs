//! The events by which a traced thread makes another task or a new program:
//! a clone (a new thread, which we trace from its first instruction), a fork
//! or vfork (a child process, handed to gdb or cleaned of our breakpoints
//! and let go), a vfork child letting go of its parent's memory, and an
//! exec (every other thread gone, a new address space, no breakpoints).

use nix::sys::ptrace;
use nix::unistd::Pid;

use crate::inferior::journal;
use crate::inferior::memory::Memory;
use crate::inferior::ptrace::{self as pt, Tid, WaitStatus};

use super::events::Afterwards;
use super::points::Points;
use super::thread::ThreadState;
use super::{ptrace_err, Origin, Process, ProcessError, StopEvent};

impl Process {
    /// `tid` cloned a new thread: trace it, and let `tid` go on; or, if
    /// gdb asked to hear of `tid`'s clones (`QThreadOptions`), a Clone
    /// event with both threads stopped.
    pub(super) fn on_clone(
        &mut self,
        tid: Tid,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        let new_tid = Pid::from_raw(ptrace::getevent(tid).map_err(ptrace_err(tid))? as i32);
        let report = self.settings.get().clone_reported.contains(&tid.as_raw());
        if report {
            self.add_clone(new_tid, Afterwards::StayStopped)?;
            self.mark_stopped(tid);
            return Ok(Some(StopEvent::Clone {
                tid,
                child: new_tid,
            }));
        }
        self.add_clone(new_tid, then)?;
        self.mark_stopped(tid);
        self.carry_on(tid, then)
    }

    fn add_clone(&mut self, new_tid: Tid, then: Afterwards) -> Result<(), ProcessError> {
        let stopped = self.threads.take_early_stop(new_tid);
        let thread = ThreadState::cloned(stopped, !self.points.hw.is_empty());
        self.threads.insert(new_tid, thread);
        if stopped && then == Afterwards::RunOn {
            self.restart(new_tid)?;
        }
        Ok(())
    }

    /// `tid` forked (or vforked) a child: a Fork event for gdb if it follows
    /// forks, else the child is let go and `tid` goes on.
    pub(super) fn on_fork(
        &mut self,
        tid: Tid,
        vfork: bool,
        report: bool,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        let child = Pid::from_raw(ptrace::getevent(tid).map_err(ptrace_err(tid))? as i32);
        self.mark_stopped(tid);
        self.wait_child_start(child)?;
        let mut process = self.adopt_child(child, vfork)?;
        if report {
            self.outbox.push_forked(process);
            return Ok(Some(StopEvent::Fork { tid, child, vfork }));
        }
        // gdb cannot follow it: take our breakpoints out of its copy
        // of the memory and let it go.
        process.origin = Origin::Attached;
        process.release();
        self.carry_on(tid, then)
    }

    /// A vfork child of `tid` has exec'd or exited (reported only to a gdb
    /// that follows forks).
    pub(super) fn on_vfork_done(&mut self, tid: Tid) -> StopEvent {
        self.mark_stopped(tid);
        StopEvent::VforkDone { tid }
    }

    /// Children reported by Fork events since the last call.
    pub fn take_forked(&mut self) -> Vec<Process> {
        self.outbox.take_forked()
    }

    /// Wait for a new child's first stop (it may have come already).
    fn wait_child_start(&mut self, child: Pid) -> Result<(), ProcessError> {
        if self.threads.take_early_stop(child) {
            return Ok(());
        }
        loop {
            match pt::wait(child.as_raw(), false).map_err(ptrace_err(child))? {
                Some((_, WaitStatus::Stopped(_))) => return Ok(()),
                Some((_, status)) if status.is_exit() => return Err(ProcessError::Exited),
                _ => {}
            }
        }
    }

    /// A new child of ours, already stopped at its first instruction after
    /// fork. It shares the parent's settings, catches the parent's system
    /// calls and inherits its planted breakpoints (`Points::inherited`).
    fn adopt_child(&self, child: Pid, vfork: bool) -> Result<Process, ProcessError> {
        let mut process = Process::new(child, self.origin, &self.settings)?;
        process.threads.insert(child, ThreadState::default());
        process.catch_syscalls = self.catch_syscalls.clone();
        process.points = Points::inherited(&self.points, vfork);
        process.trace = self.trace.clone();
        if self.origin == Origin::Attached {
            // Untraced, the child would die at the first trap its copy of
            // our breakpoints holds: the guardian must know of it too.
            journal::record(|j| j.attached(child, false));
            process.points.software.announce_all(&process.memory);
        }
        Ok(process)
    }

    /// `tid` exec'd a new program: it alone is left, under the leader's
    /// tid, in a new address space. An Exec event, or for a gdb that does
    /// not know them a plain SIGTRAP, as before the protocol had them.
    pub(super) fn on_exec(&mut self, tid: Tid, report: bool) -> Result<StopEvent, ProcessError> {
        // The execve returns after this event: keep the record of
        // its entry, made on the thread that called it.
        let former = ptrace::getevent(tid)
            .map(|t| Pid::from_raw(t as i32))
            .unwrap_or(tid);
        let in_execve = self.threads.get(&former).and_then(|t| t.in_syscall);
        // Every other thread is gone and the address space is new.
        self.threads.retain(|t, _| *t == tid);
        self.threads.ensure(tid);
        self.points.software.forget_all();
        journal::record(|j| j.forget_breakpoints(self.pid));
        self.points.actions.clear();
        // exec clears the debug registers too.
        self.points.hw.clear();
        self.tls_layout = None;
        self.memory = Memory::open(self.pid)?;
        self.regs.reprobe(tid);
        self.mark_stopped(tid);
        if let Some(leader) = self.threads.get_mut(&tid) {
            leader.in_syscall = in_execve;
        }
        Ok(if report {
            StopEvent::Exec { tid }
        } else {
            StopEvent::Signal {
                tid,
                signal: libc::SIGTRAP,
            }
        })
    }
}
