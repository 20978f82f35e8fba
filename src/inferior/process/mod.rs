//! One traced process and its threads under all-stop control (LLDB's
//! NativeProcessLinux role): resuming threads as gdb asks, turning wait
//! statuses into stop events, stopping every other thread when one stops and
//! keeping their events pending, and detaching or killing cleanly.
//!
//! This module holds the types the rest of the server sees (`Process`,
//! `StopEvent`, `ResumeAction`, ...), the process's construction and its
//! register and memory access. The rest has a home of its own:
//!
//! - `thread`: one thread's run-control record (`ThreadState`) and the
//!   process's table of them (`ThreadTable`);
//! - `resume`: running threads as gdb asks, and the events ready at once;
//! - `events`: the wait-status dispatcher, exits and signals; `route` its
//!   decisions as pure functions (which handler, what a SIGTRAP was); `spawn`
//!   (clone, fork, vfork, exec), `trap` (SIGTRAP) and `syscall` handle the
//!   other kinds;
//! - `step_over`: stepping a thread past a breakpoint gdb is not told of;
//! - `conditions`: breakpoint conditions and commands;
//! - `points`: software and hardware breakpoints and watchpoints (`Points`);
//! - `info`: what /proc and the dynamic linker say (auxv, libraries, TLS,
//!   memory map);
//! - `lifecycle`: stopping everything, detaching, killing, releasing;
//! - `core_dump`: a core file of the stopped process (`monitor gcore`).

mod conditions;
mod core_dump;
mod events;
mod info;
mod lifecycle;
mod memory_tags;
mod outbox;
mod points;
mod registers;
mod resume;
mod route;
mod spawn;
mod step_over;
mod syscall;
mod thread;
mod tracing;
mod trap;

pub use core_dump::{CoreSummary, GcoreError};
pub use info::{Credentials, Region};
pub use memory_tags::server_supports_memory_tagging;

use std::collections::HashSet;

use nix::errno::Errno;
use nix::unistd::Pid;

use crate::inferior::hw_debug::{HwDebugError, HwKind};
use crate::inferior::journal;
use crate::inferior::launch::{self, LaunchError, LaunchSpec};
use crate::inferior::memory::{Memory, MemoryError};
use crate::inferior::procfs;
use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::regs::{self, native, RegsError};
use crate::inferior::settings::SharedSettings;
use crate::inferior::tls;
use crate::inferior::trace::SharedTrace;

use outbox::Outbox;
use points::Points;
use registers::Registers;
use thread::{ThreadState, ThreadTable};

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Launch(#[from] LaunchError),
    #[error(transparent)]
    Memory(#[from] MemoryError),
    #[error(transparent)]
    Regs(#[from] RegsError),
    #[error("ptrace failed on thread {tid}: {errno}")]
    Ptrace { tid: i32, errno: Errno },
    #[error("no such thread {0}")]
    NoSuchThread(i32),
    #[error("the process has exited")]
    Exited,
    #[error("{0}")]
    Proc(String),
    #[error(transparent)]
    HwDebug(#[from] HwDebugError),
}

impl ProcessError {
    /// The errno gdb gets in an `Exx` reply.
    pub fn errno(&self) -> u8 {
        match self {
            ProcessError::Memory(e) => e.errno(),
            ProcessError::Regs(e) => e.errno(),
            ProcessError::Ptrace { errno, .. } => *errno as i32 as u8,
            ProcessError::NoSuchThread(_) | ProcessError::Exited => libc::ESRCH as u8,
            ProcessError::Proc(_) => libc::EIO as u8,
            ProcessError::Launch(_) => libc::EIO as u8,
            ProcessError::HwDebug(HwDebugError::NoSlots) => libc::ENOSPC as u8,
            ProcessError::HwDebug(HwDebugError::Unsupported) => libc::EOPNOTSUPP as u8,
            ProcessError::HwDebug(HwDebugError::Ptrace { errno, .. }) => *errno as i32 as u8,
        }
    }
}

fn ptrace_err(tid: Tid) -> impl Fn(Errno) -> ProcessError {
    move |errno| ProcessError::Ptrace {
        tid: tid.as_raw(),
        errno,
    }
}

/// Why the process stopped, as reported to gdb. Signals are host numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopEvent {
    /// Hit one of our software breakpoints; the PC is already moved back to it.
    Breakpoint {
        tid: Tid,
        addr: u64,
    },
    /// Finished a single step.
    Step {
        tid: Tid,
    },
    /// Reached a hardware breakpoint (the PC is at it).
    HwBreak {
        tid: Tid,
    },
    /// A watchpoint fired on an access to `addr` (the access has happened).
    Watch {
        tid: Tid,
        kind: HwKind,
        addr: u64,
    },
    /// Forked (or vforked) `child`, which is stopped and waiting for gdb.
    Fork {
        tid: Tid,
        child: Pid,
        vfork: bool,
    },
    /// Cloned the new thread `child` (reported only after `QThreadOptions`
    /// asked, with the new thread stopped as well).
    Clone {
        tid: Tid,
        child: Tid,
    },
    /// A vfork child has exec'd or exited: the parent runs on its own memory again.
    VforkDone {
        tid: Tid,
    },
    /// Exec'd a new program (every other thread is gone).
    Exec {
        tid: Tid,
    },
    /// Entering (`entry`) or returning from system call `nr`.
    Syscall {
        tid: Tid,
        nr: u64,
        entry: bool,
    },
    /// Stopped because gdb asked (non-stop `vCont;t`): no signal.
    Stopped {
        tid: Tid,
    },
    /// Stopped with a signal (which will be delivered if gdb resumes with it).
    Signal {
        tid: Tid,
        signal: i32,
    },
    /// A thread other than the last has exited (`QThreadEvents` on). The
    /// thread is gone: `tid()` names no stopped thread for this event.
    ThreadExited {
        tid: Tid,
        code: i32,
    },
    Exited {
        code: i32,
    },
    Killed {
        signal: i32,
    },
}

impl StopEvent {
    pub fn tid(&self) -> Option<Tid> {
        match *self {
            StopEvent::Breakpoint { tid, .. }
            | StopEvent::Step { tid }
            | StopEvent::HwBreak { tid }
            | StopEvent::Watch { tid, .. }
            | StopEvent::Fork { tid, .. }
            | StopEvent::Clone { tid, .. }
            | StopEvent::VforkDone { tid }
            | StopEvent::Exec { tid }
            | StopEvent::Syscall { tid, .. }
            | StopEvent::Stopped { tid }
            | StopEvent::Signal { tid, .. } => Some(tid),
            StopEvent::ThreadExited { .. }
            | StopEvent::Exited { .. }
            | StopEvent::Killed { .. } => None,
        }
    }

    pub fn is_exit(&self) -> bool {
        matches!(self, StopEvent::Exited { .. } | StopEvent::Killed { .. })
    }
}

/// What gdb asked one thread to do on resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeAction {
    Continue {
        signal: i32,
    },
    Step {
        signal: i32,
    },
    /// Step until the PC leaves `[start, end)` (`vCont;r`): gdb hears of
    /// the last step only.
    RangeStep {
        start: u64,
        end: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Launched,
    Attached,
}

pub struct Process {
    pid: Pid,
    origin: Origin,
    threads: ThreadTable,
    memory: Memory,
    regs: Registers,
    /// Software and hardware breakpoints and watchpoints, and gdb's
    /// conditions and commands on them.
    points: Points,
    /// What gdb said for every process (signals, fork and exec events):
    /// one value shared with the target and the other processes.
    settings: SharedSettings,
    /// System calls to stop at (`QCatchSyscalls`): None for no catching, an
    /// empty set for all of them. Per process, as in gdb; a fork child
    /// inherits its parent's.
    catch_syscalls: Option<HashSet<u64>>,
    /// glibc's TLS structure layout, read once per program image.
    tls_layout: Option<tls::TlsLayout>,
    /// Events for the caller that need no waiting, fork children for it to
    /// take over, and the process's end.
    outbox: Outbox,
    /// The last resume was in non-stop mode: threads run and stop alone.
    non_stop: bool,
    /// Tracepoints and their frames: one value shared with the target
    /// and the other processes (`tracing`).
    trace: SharedTrace,
}

impl Process {
    pub fn launch(spec: &LaunchSpec, settings: &SharedSettings) -> Result<Process, ProcessError> {
        let pid = launch::launch(spec)?;
        let mut process = Process::new(pid, Origin::Launched, settings)?;
        process.threads.insert(pid, ThreadState::default());
        Ok(process)
    }

    pub fn attach(pid: Pid, settings: &SharedSettings) -> Result<Process, ProcessError> {
        // Journaled before attaching: a server killed meanwhile leaves the
        // guardian a process to look at, not one stopped by our SIGSTOP.
        let stopped = matches!(procfs::process_state(pid), Some('T'));
        journal::record(|j| j.attached(pid, stopped));
        let threads = launch::attach_all(pid).inspect_err(|_| {
            journal::record(|j| j.forget_process(pid));
        })?;
        let mut process = Process::new(pid, Origin::Attached, settings)?;
        for (tid, signal) in threads {
            let pending = signal.map(|signal| StopEvent::Signal { tid, signal });
            process.threads.insert(tid, ThreadState::attached(pending));
        }
        Ok(process)
    }

    fn new(pid: Pid, origin: Origin, settings: &SharedSettings) -> Result<Process, ProcessError> {
        Ok(Process {
            pid,
            origin,
            threads: ThreadTable::default(),
            memory: Memory::open(pid)?,
            regs: Registers::probe(pid),
            points: Points::default(),
            settings: settings.clone(),
            catch_syscalls: None,
            tls_layout: None,
            outbox: Outbox::default(),
            non_stop: false,
            trace: SharedTrace::default(),
        })
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Which system calls stop the program (`QCatchSyscalls`): None for
    /// none, an empty set for all.
    pub fn set_catch_syscalls(&mut self, catch: Option<HashSet<u64>>) {
        self.catch_syscalls = catch;
    }

    pub fn has_exited(&self) -> bool {
        self.outbox.has_exited()
    }

    pub fn exit_event(&self) -> Option<StopEvent> {
        self.outbox.exit()
    }

    pub fn thread_ids(&self) -> impl Iterator<Item = Tid> + '_ {
        self.threads.keys().copied()
    }

    pub fn has_thread(&self, tid: Tid) -> bool {
        self.threads.contains_key(&tid)
    }

    pub fn register_context(&self) -> &native::RegisterContext {
        self.regs.context()
    }

    /// gdb does not read target descriptions: use the register layout it
    /// assumes without one.
    pub fn use_plain_register_layout(&mut self) {
        self.regs.use_plain_layout();
    }

    fn live_thread(&self, tid: Tid) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Err(ProcessError::Exited);
        }
        if !self.threads.contains_key(&tid) {
            return Err(ProcessError::NoSuchThread(tid.as_raw()));
        }
        Ok(())
    }

    // ----- registers and memory (the process is stopped) -----

    pub fn read_registers(&mut self, tid: Tid) -> Result<Vec<u8>, ProcessError> {
        self.live_thread(tid)?;
        Ok(self.regs.read(tid)?)
    }

    /// The registers a stop reply expedites are right in the `g` block
    /// returned; the others may not be (see `Registers::read_expedited`).
    pub fn read_expedited_registers(&mut self, tid: Tid) -> Result<Vec<u8>, ProcessError> {
        self.live_thread(tid)?;
        Ok(self.regs.read_expedited(tid)?)
    }

    pub fn write_registers(&mut self, tid: Tid, g: &[u8]) -> Result<(), ProcessError> {
        self.live_thread(tid)?;
        self.regs.write(tid, g)?;
        Ok(())
    }

    /// A stopped thread's PC, read alone (lldb's list of every thread's
    /// PC at each stop).
    pub fn read_pc(&self, tid: Tid) -> Result<u64, ProcessError> {
        self.live_thread(tid)?;
        Ok(regs::read_pc(tid)?)
    }

    /// Move a stopped thread's PC (legacy `c ADDR` / `s ADDR`).
    pub fn write_pc(&mut self, tid: Tid, pc: u64) -> Result<(), ProcessError> {
        self.live_thread(tid)?;
        self.regs.set_pc(tid, pc)?;
        Ok(())
    }

    /// Read memory as the program sees it (breakpoint instructions hidden).
    pub fn read_memory(&self, addr: u64, buf: &mut [u8]) -> Result<usize, ProcessError> {
        if self.outbox.has_exited() {
            return Err(ProcessError::Exited);
        }
        let n = self.memory.read(addr, buf)?;
        self.points.software.unshadow(addr, &mut buf[..n]);
        Ok(n)
    }

    pub fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), ProcessError> {
        if self.outbox.has_exited() {
            return Err(ProcessError::Exited);
        }
        self.points
            .software
            .write_around(&self.memory, addr, data)?;
        Ok(())
    }

    /// The siginfo of the signal that stopped `tid` (`$_siginfo`).
    pub fn siginfo(&self, tid: Tid) -> Result<[u8; pt::SIGINFO_SIZE], ProcessError> {
        self.live_thread(tid)?;
        pt::get_siginfo_raw(tid).map_err(ptrace_err(tid))
    }

    /// Overwrite part of that siginfo: what the thread gets if resumed with its signal.
    pub fn write_siginfo(
        &mut self,
        tid: Tid,
        offset: usize,
        data: &[u8],
    ) -> Result<(), ProcessError> {
        let mut info = self.siginfo(tid)?;
        let end = offset
            .checked_add(data.len())
            .filter(|&end| end <= info.len())
            .ok_or(ProcessError::Ptrace {
                tid: tid.as_raw(),
                errno: Errno::EINVAL,
            })?;
        info[offset..end].copy_from_slice(data);
        pt::set_siginfo_raw(tid, &info).map_err(ptrace_err(tid))
    }
}
