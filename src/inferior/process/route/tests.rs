//! The dispatcher's decisions on wait statuses as waitpid returns them
//! (raw status words, decoded by `WaitStatus::from_raw` as in a live wait),
//! for hand-built thread records and settings.

use nix::unistd::Pid;

use super::super::trap::TRAP_HWBKPT;
use super::*;

/// Raw waitpid status words, as the kernel encodes them.
mod raw {
    /// Stopped by signal `sig`: `sig << 8 | 0x7f`.
    pub(super) const fn stopped(sig: i32) -> i32 {
        (sig << 8) | 0x7f
    }
    /// A PTRACE_EVENT stop: SIGTRAP with the event in bits 16 and up.
    pub(super) const fn event(event: i32) -> i32 {
        (event << 16) | stopped(libc::SIGTRAP)
    }
    /// A syscall-stop under PTRACE_O_TRACESYSGOOD.
    pub(super) const SYSCALL: i32 = stopped(libc::SIGTRAP | 0x80);
    pub(super) const fn exited(code: i32) -> i32 {
        code << 8
    }
    pub(super) const fn killed(sig: i32) -> i32 {
        sig
    }
}

fn status(raw: i32) -> WaitStatus {
    WaitStatus::from_raw(raw).expect("a status waitpid returns")
}

/// The decision for a status of a thread, not the leader, whose record is
/// `thread` (None: not ours).
fn route_for(raw: i32, thread: Option<&ThreadState>, settings: &Settings) -> Route {
    route(
        status(raw),
        &Known {
            leader: false,
            thread,
            settings,
            catching_syscalls: false,
        },
    )
}

fn following_forks() -> Settings {
    Settings {
        report_forks: true,
        report_exec: true,
        ..Settings::default()
    }
}

#[test]
fn raw_words_decode_as_waitpid_gives_them() {
    assert_eq!(status(0x57f), WaitStatus::Stopped(libc::SIGTRAP));
    assert_eq!(
        status(0x5057f),
        WaitStatus::Event(libc::PTRACE_EVENT_VFORK_DONE)
    );
    assert_eq!(status(0x857f), WaitStatus::Syscall);
    assert_eq!(status(0x300), WaitStatus::Exited(3));
    assert_eq!(status(0x9), WaitStatus::Signaled(libc::SIGKILL));
}

#[test]
fn the_leaders_exit_ends_the_process_even_with_its_thread_gone() {
    for thread in [None, Some(&ThreadState::default())] {
        let known = Known {
            leader: true,
            thread,
            settings: &Settings::default(),
            catching_syscalls: false,
        };
        assert_eq!(
            route(status(raw::exited(3)), &known),
            Route::ProcessEnded(StopEvent::Exited { code: 3 })
        );
        assert_eq!(
            route(status(raw::killed(libc::SIGKILL)), &known),
            Route::ProcessEnded(StopEvent::Killed {
                signal: libc::SIGKILL
            })
        );
    }
    // Another thread's exit only drops that thread.
    let thread = ThreadState::default();
    let settings = Settings::default();
    assert_eq!(
        route_for(raw::exited(3), Some(&thread), &settings),
        Route::ThreadExit { code: 3 }
    );
    assert_eq!(
        route_for(raw::killed(libc::SIGKILL), Some(&thread), &settings),
        Route::ThreadExit { code: 0 }
    );
}

#[test]
fn unknown_threads_stop_early_or_are_nothing_of_ours() {
    let settings = Settings::default();
    // A new thread's first SIGSTOP before its creator's clone event.
    assert_eq!(
        route_for(raw::stopped(libc::SIGSTOP), None, &settings),
        Route::EarlyStop
    );
    assert_eq!(route_for(raw::exited(0), None, &settings), Route::Nothing);
    // An exec by a non-leader thread reports under the leader's tid,
    // which may have left our table.
    let exec = Known {
        leader: true,
        thread: None,
        settings: &settings,
        catching_syscalls: false,
    };
    assert_eq!(
        route(status(raw::event(libc::PTRACE_EVENT_EXEC)), &exec),
        Route::Exec { report: false }
    );
}

#[test]
fn a_recorded_thread_creation_in_either_order() {
    // tid 101 clones 102; 102's first stop may come first.
    let settings = Settings::default();
    let creator = ThreadState::default();
    let sequence = [
        (None, raw::stopped(libc::SIGSTOP), Route::EarlyStop),
        (
            Some(&creator),
            raw::event(libc::PTRACE_EVENT_CLONE),
            Route::Clone,
        ),
    ];
    for (thread, raw, expected) in sequence {
        assert_eq!(route_for(raw, thread, &settings), expected);
    }
    // Or its clone event first: the new thread is then ours, expecting
    // the kernel's SIGSTOP, which is ours and not reported.
    let new = ThreadState::cloned(false, false);
    assert_eq!(
        route_for(raw::stopped(libc::SIGSTOP), Some(&new), &settings),
        Route::OurSigstop { report: false }
    );
}

#[test]
fn forks_and_execs_follow_what_gdb_takes() {
    let thread = ThreadState::default();
    for settings in [Settings::default(), following_forks()] {
        let follow = settings.report_forks;
        assert_eq!(
            route_for(
                raw::event(libc::PTRACE_EVENT_FORK),
                Some(&thread),
                &settings
            ),
            Route::Fork {
                vfork: false,
                report: follow
            }
        );
        assert_eq!(
            route_for(
                raw::event(libc::PTRACE_EVENT_VFORK),
                Some(&thread),
                &settings
            ),
            Route::Fork {
                vfork: true,
                report: follow
            }
        );
        assert_eq!(
            route_for(
                raw::event(libc::PTRACE_EVENT_EXEC),
                Some(&thread),
                &settings
            ),
            Route::Exec {
                report: settings.report_exec
            }
        );
    }
}

#[test]
fn vfork_done_is_silent_without_fork_reporting() {
    let thread = ThreadState::default();
    let done = raw::event(libc::PTRACE_EVENT_VFORK_DONE);
    assert_eq!(
        route_for(done, Some(&thread), &Settings::default()),
        Route::Silent
    );
    assert_eq!(
        route_for(done, Some(&thread), &following_forks()),
        Route::VforkDone
    );
    // Events we never ask for but may see (PTRACE_EVENT_EXIT) are silent too.
    assert_eq!(
        route_for(
            raw::event(libc::PTRACE_EVENT_EXIT),
            Some(&thread),
            &following_forks()
        ),
        Route::Silent
    );
}

#[test]
fn syscall_stops_only_while_catching() {
    let thread = ThreadState::default();
    let settings = Settings::default();
    assert_eq!(
        route_for(raw::SYSCALL, Some(&thread), &settings),
        Route::Silent
    );
    let catching = Known {
        leader: false,
        thread: Some(&thread),
        settings: &settings,
        catching_syscalls: true,
    };
    assert_eq!(route(status(raw::SYSCALL), &catching), Route::Syscall);
}

#[test]
fn our_sigstop_is_reported_only_when_gdb_asked_for_the_stop() {
    let settings = Settings::default();
    let mut thread = ThreadState {
        sigstop_expected: true,
        ..ThreadState::default()
    };
    let sigstop = raw::stopped(libc::SIGSTOP);
    assert_eq!(
        route_for(sigstop, Some(&thread), &settings),
        Route::OurSigstop { report: false }
    );
    thread.stop_requested = true;
    assert_eq!(
        route_for(sigstop, Some(&thread), &settings),
        Route::OurSigstop { report: true }
    );
    // A SIGSTOP we did not send is the program's: a signal like any other.
    let thread = ThreadState::default();
    assert_eq!(
        route_for(sigstop, Some(&thread), &settings),
        Route::Signal {
            signal: libc::SIGSTOP,
            pass: false
        }
    );
}

#[test]
fn signals_in_the_pass_set_go_to_the_program_unless_stepping() {
    let mut settings = Settings::default();
    settings.signals.pass.insert(libc::SIGUSR1);
    let mut thread = ThreadState::default();
    let usr1 = raw::stopped(libc::SIGUSR1);
    let usr2 = raw::stopped(libc::SIGUSR2);
    assert_eq!(
        route_for(usr1, Some(&thread), &settings),
        Route::Signal {
            signal: libc::SIGUSR1,
            pass: true
        }
    );
    assert_eq!(
        route_for(usr2, Some(&thread), &settings),
        Route::Signal {
            signal: libc::SIGUSR2,
            pass: false
        }
    );
    thread.stepping = true;
    assert_eq!(
        route_for(usr1, Some(&thread), &settings),
        Route::Signal {
            signal: libc::SIGUSR1,
            pass: false
        }
    );
    // SIGTRAP is never passed: it is always ours to classify.
    settings.signals.pass.insert(libc::SIGTRAP);
    assert_eq!(
        route_for(raw::stopped(libc::SIGTRAP), Some(&thread), &settings),
        Route::Trap
    );
}

// ----- SIGTRAP -----

const TID: Tid = Pid::from_raw(4242);

fn trap(code: i32, stepping: bool) -> TrapFacts {
    TrapFacts {
        code,
        hw_hit: None,
        breakpoint: None,
        stepping,
    }
}

#[test]
fn a_sigtrap_while_stepping_is_the_step() {
    for code in [TRAP_TRACE, TRAP_BRKPT, SI_KERNEL] {
        assert_eq!(
            trap_event(TID, trap(code, true)),
            StopEvent::Step { tid: TID }
        );
    }
    // Not stepping, the same trap is the program's own.
    assert_eq!(
        trap_event(TID, trap(TRAP_TRACE, false)),
        StopEvent::Signal {
            tid: TID,
            signal: libc::SIGTRAP
        }
    );
    // A SIGTRAP sent by kill (SI_USER) while stepping is no step's end.
    assert_eq!(
        trap_event(TID, trap(0, true)),
        StopEvent::Signal {
            tid: TID,
            signal: libc::SIGTRAP
        }
    );
}

#[test]
fn our_breakpoint_wins_over_the_step_and_a_debug_register_over_both() {
    let at_breakpoint = TrapFacts {
        breakpoint: Some(0x401000),
        ..trap(SI_KERNEL, true)
    };
    assert_eq!(
        trap_event(TID, at_breakpoint),
        StopEvent::Breakpoint {
            tid: TID,
            addr: 0x401000
        }
    );
    let watch = HwHit {
        kind: HwKind::Write,
        addr: 0x601040,
    };
    let watched = TrapFacts {
        hw_hit: Some(watch),
        ..at_breakpoint
    };
    assert_eq!(
        trap_event(TID, watched),
        StopEvent::Watch {
            tid: TID,
            kind: HwKind::Write,
            addr: 0x601040
        }
    );
    let hbreak = TrapFacts {
        hw_hit: Some(HwHit {
            kind: HwKind::Execute,
            addr: 0x401000,
        }),
        ..trap(TRAP_HWBKPT, false)
    };
    assert_eq!(trap_event(TID, hbreak), StopEvent::HwBreak { tid: TID });
}

#[test]
fn faults_a_breakpoint_may_raise_are_segv_and_ill_not_others() {
    assert!(breakpoint_may_raise(libc::SIGSEGV));
    assert!(breakpoint_may_raise(libc::SIGILL));
    for signal in [libc::SIGUSR1, libc::SIGBUS, libc::SIGFPE, libc::SIGALRM] {
        assert!(!breakpoint_may_raise(signal), "{signal}");
    }
}
