//! The decisions the wait-status dispatcher makes, as pure functions: which
//! handler a status goes to (`route`), given what the process knows of the
//! thread and what gdb set, and what a SIGTRAP was (`trap_event`), given the
//! facts read about it. No process, no ptrace: the handlers in `events`,
//! `spawn`, `trap` and `syscall` gather the facts and act on the answer,
//! and the tests below run these on wait statuses as the kernel encodes
//! them.

use crate::inferior::hw_debug::{HwHit, HwKind};
use crate::inferior::ptrace::{Tid, WaitStatus};
use crate::inferior::settings::Settings;

use super::thread::ThreadState;
use super::trap::{SI_KERNEL, TRAP_BRKPT, TRAP_TRACE};
use super::StopEvent;

/// Where a wait status goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// The leader's exit status: the whole process has ended so.
    ProcessEnded(StopEvent),
    /// A thread we do not know yet stopped: a new thread or fork child
    /// ahead of its creator's event. Remembered for that event.
    EarlyStop,
    /// A thread we do not know has exited (a process we let go).
    Nothing,
    /// One of our threads other than the leader has exited, with this
    /// status (its exit code; 0 if a signal ended it).
    ThreadExit {
        code: i32,
    },
    Clone,
    /// An exec; reported as an Exec event if gdb takes them (`report`),
    /// else as a SIGTRAP.
    Exec {
        report: bool,
    },
    /// A fork or vfork; the child goes to gdb if it follows forks
    /// (`report`), else it is let go.
    Fork {
        vfork: bool,
        report: bool,
    },
    /// A vfork child let go of our memory (gdb follows forks).
    VforkDone,
    /// A system-call stop while gdb catches system calls.
    Syscall,
    /// A stop gdb does not hear of: an event it does not follow, a
    /// system-call stop while it catches none.
    Silent,
    /// The SIGSTOP we sent: reported only if gdb asked for the stop.
    OurSigstop {
        report: bool,
    },
    /// A SIGTRAP: a breakpoint, step, watchpoint or the program's own.
    Trap,
    /// Any other signal: reported, or handed straight to the thread
    /// (`pass`) when gdb said to pass it and the thread is not stepping.
    Signal {
        signal: i32,
        pass: bool,
    },
}

/// What the dispatcher knows when a status comes in.
pub(super) struct Known<'a> {
    /// The status is the thread group leader's (its tid is the pid).
    pub(super) leader: bool,
    /// Our record of the thread, if it is ours.
    pub(super) thread: Option<&'a ThreadState>,
    pub(super) settings: &'a Settings,
    /// gdb catches system calls in this process (`QCatchSyscalls`).
    pub(super) catching_syscalls: bool,
}

/// Which handler `status` goes to.
pub(super) fn route(status: WaitStatus, known: &Known<'_>) -> Route {
    // The leader's own exit status comes last, after every thread's, even
    // when its thread has long gone from our table (dropped as a zombie).
    if known.leader {
        match status {
            WaitStatus::Exited(code) => return Route::ProcessEnded(StopEvent::Exited { code }),
            WaitStatus::Signaled(signal) => {
                return Route::ProcessEnded(StopEvent::Killed { signal })
            }
            _ => {}
        }
    }
    let exec = Route::Exec {
        report: known.settings.report_exec,
    };
    let Some(thread) = known.thread else {
        // A thread that execs takes the leader's tid, which may not be in
        // our table any more.
        return match status {
            WaitStatus::Event(libc::PTRACE_EVENT_EXEC) if known.leader => exec,
            status if status.is_exit() => Route::Nothing,
            _ => Route::EarlyStop,
        };
    };
    match status {
        WaitStatus::Exited(code) => Route::ThreadExit { code },
        WaitStatus::Signaled(_) => Route::ThreadExit { code: 0 },
        WaitStatus::Event(libc::PTRACE_EVENT_CLONE) => Route::Clone,
        WaitStatus::Event(libc::PTRACE_EVENT_EXEC) => exec,
        WaitStatus::Event(event @ (libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK)) => {
            Route::Fork {
                vfork: event == libc::PTRACE_EVENT_VFORK,
                report: known.settings.report_forks,
            }
        }
        WaitStatus::Event(libc::PTRACE_EVENT_VFORK_DONE) if known.settings.report_forks => {
            Route::VforkDone
        }
        WaitStatus::Syscall if known.catching_syscalls => Route::Syscall,
        WaitStatus::Event(_) | WaitStatus::Syscall => Route::Silent,
        WaitStatus::Stopped(libc::SIGSTOP) if thread.sigstop_expected => Route::OurSigstop {
            report: thread.stop_requested,
        },
        WaitStatus::Stopped(libc::SIGTRAP) => Route::Trap,
        // Not passed while stepping: the step would end inside the
        // handler, and gdb, which knows it is stepping, must decide (as
        // gdbserver).
        WaitStatus::Stopped(signal) => Route::Signal {
            signal,
            pass: known.settings.signals.pass.contains(&signal) && !thread.stepping,
        },
    }
}

/// Signals a breakpoint of gdb's may have raised instead of SIGTRAP: code
/// run from a page that cannot be executed (gdb's dummy-frame breakpoint
/// on the stack, a breakpoint planted in data) faults with SIGSEGV, and an
/// architecture's breakpoint instruction may raise SIGILL (SIGEMT on
/// MIPS). gdb treats any of them at a breakpoint it inserted as a
/// breakpoint hit, so one that gdb said to pass is still reported when the
/// thread stopped on such a breakpoint (GNU gdbserver reports these signals
/// whatever the PC; we look at the PC, so a program that handles many
/// faults of its own is not slowed by a round trip to gdb for each).
pub(super) fn breakpoint_may_raise(signal: i32) -> bool {
    #[cfg(any(target_arch = "mips", target_arch = "mips64"))]
    if signal == libc::SIGEMT {
        return true;
    }
    matches!(signal, libc::SIGSEGV | libc::SIGILL)
}

/// What was read about a SIGTRAP before deciding what it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TrapFacts {
    /// Its `si_code`.
    pub(super) code: i32,
    /// The debug register that fired, if one did.
    pub(super) hw_hit: Option<HwHit>,
    /// Our software breakpoint the thread just hit (the address before the
    /// PC), if there is one there and the code says a breakpoint trapped.
    pub(super) breakpoint: Option<u64>,
    /// The thread was single-stepping.
    pub(super) stepping: bool,
}

/// What a SIGTRAP of `tid` was: a debug register's hit, our breakpoint,
/// the end of a single step, or the program's own trap.
pub(super) fn trap_event(tid: Tid, facts: TrapFacts) -> StopEvent {
    if let Some(hit) = facts.hw_hit {
        return match hit.kind {
            HwKind::Execute => StopEvent::HwBreak { tid },
            kind => StopEvent::Watch {
                tid,
                kind,
                addr: hit.addr,
            },
        };
    }
    if let Some(addr) = facts.breakpoint {
        return StopEvent::Breakpoint { tid, addr };
    }
    let step_code = matches!(facts.code, TRAP_TRACE | TRAP_BRKPT | SI_KERNEL);
    if facts.stepping && step_code {
        return StopEvent::Step { tid };
    }
    StopEvent::Signal {
        tid,
        signal: libc::SIGTRAP,
    }
}

#[cfg(test)]
mod tests;
