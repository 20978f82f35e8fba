//! `--crash-report[=DIR]`: crash reports with no gdb. The program (launched
//! or attached to) runs with every signal passed on as if no debugger
//! were there; threads are followed (clone events), exec'd programs too,
//! while fork children are let go untraced at once (their crashes are
//! their own). Only a signal that will kill the process with a core
//! (`fatal`) stops the watch: the report (`report`) goes to stderr, and
//! with DIR into `crash.PID.txt` with a core beside it. Then either the
//! signal takes its course (the server exits with the status a shell
//! would show for the program: its exit code, or 128+N for signal N), or,
//! with `--listen COMM`, the process stays stopped at the signal and the
//! normal server (`crate::server`) serves gdb on COMM.
//!
//! The run loop is the session's all-stop one without gdb: resume every
//! thread (the stopped one with its signal), wait for the next event of
//! any thread, stop the others, decide. SIGINT, SIGTERM or SIGHUP to the
//! server ends the watch: every process is detached, left running
//! untraced, launched or not, and the server exits with 128+N.

mod fatal;
mod report;

use std::collections::HashSet;
use std::os::fd::AsFd;
use std::path::Path;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signalfd::SignalFd;

use crate::inferior::process::{ProcessError, ResumeAction, StopEvent};
use crate::inferior::procfs;
use crate::inferior::ptrace::Tid;
use crate::stub::{DebugTarget, Polled, ThreadRequest, ThreadSelection};

pub use fatal::{disposition, is_fatal, Disposition, CORE_DUMPING};
pub use report::{core_path, report_path, Crash};

/// How often to look again when no signal wakes us (a leader thread's
/// exit wakes nobody).
const IDLE_POLL_MS: u16 = 200;

#[derive(Debug, thiserror::Error)]
pub enum CrashError {
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("waiting for the process: {0}")]
    Poll(nix::Error),
    #[error("no process to watch")]
    NoProcess,
}

/// What follows a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterReport {
    /// Deliver the signal: the process dies of it.
    Deliver,
    /// Keep the process stopped at the signal, for gdb (`--listen`).
    KeepForGdb,
}

/// How the watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The process is gone, or was let go: the server's exit status.
    Exit(u8),
    /// Stopped at this fatal signal, every thread stopped, for gdb.
    KeptForGdb(StopEvent),
}

/// What woke the wait.
enum Woke {
    Event { pid: i32, event: StopEvent },
    Terminated(i32),
}

/// The exit status a shell shows for a process that ended with `event`.
pub fn shell_status(event: StopEvent) -> Option<u8> {
    match event {
        // An exit code is 0..=255 (the kernel keeps its low byte).
        StopEvent::Exited { code } => Some(code as u8),
        StopEvent::Killed { signal } => Some(128u8.wrapping_add(signal as u8)),
        _ => None,
    }
}

/// Is `signal`, stopping a thread of `pid` now, going to kill it with a core?
fn fatal_now(pid: i32, signal: i32) -> bool {
    let status = procfs::status(nix::unistd::Pid::from_raw(pid)).unwrap_or_default();
    match disposition(&status, signal) {
        Some(d) => is_fatal(signal, d),
        // The status is unreadable (the process is vanishing): no report.
        None => false,
    }
}

/// Watch the current process of `target` until it crashes or ends.
/// `dir` is where the report and core go, if anywhere. Should the watch
/// itself fail, every process is detached and runs on untraced, as it
/// would without us (a launched one is not killed).
pub fn watch(
    target: &mut DebugTarget,
    signals: &mut SignalFd,
    dir: Option<&Path>,
    after: AfterReport,
) -> Result<Ending, CrashError> {
    let result = watch_until_the_end(target, signals, dir, after);
    if result.is_err() {
        detach_all(target);
    }
    result
}

fn watch_until_the_end(
    target: &mut DebugTarget,
    signals: &mut SignalFd,
    dir: Option<&Path>,
    after: AfterReport,
) -> Result<Ending, CrashError> {
    let pid = target
        .process
        .as_ref()
        .map(|p| p.pid().as_raw())
        .ok_or(CrashError::NoProcess)?;
    target.settings().update(|s| {
        // Fork children are let go at once; an exec is an event, not a
        // SIGTRAP that would look like the program's own.
        s.report_forks = false;
        s.report_exec = true;
    });
    let mut deliver: Option<(Tid, i32)> = None;
    let mut reported = false;
    loop {
        let mut requests = Vec::with_capacity(2);
        if let Some((tid, signal)) = deliver.take() {
            let one = ThreadSelection::Thread {
                pid: None,
                tid: tid.as_raw(),
            };
            requests.push((
                ThreadRequest::Resume(ResumeAction::Continue { signal }),
                one,
            ));
        }
        let run = ResumeAction::Continue { signal: 0 };
        requests.push((ThreadRequest::Resume(run), ThreadSelection::All));
        target.resume_threads(&requests, None, false, &HashSet::new())?;
        let (event_pid, event) = match next_event(target, signals)? {
            Woke::Event { pid, event } => (pid, event),
            Woke::Terminated(sig) => {
                eprintln!("rgdbserver: terminated by signal {sig}; detaching.");
                detach_all(target);
                return Ok(Ending::Exit(128u8.wrapping_add(sig as u8)));
            }
        };
        log::debug!("crash watch: process {event_pid}: {event:?}");
        if let Some(status) = shell_status(event) {
            if event_pid == pid {
                return Ok(Ending::Exit(status));
            }
            target.remove_process(event_pid);
            continue;
        }
        let StopEvent::Signal { tid, signal } = event else {
            // Exec, a thread's exit, a stop of ours: nothing to pass on.
            continue;
        };
        if event_pid == pid && !reported && fatal_now(pid, signal) {
            reported = true;
            let crash = Crash { tid, signal };
            let text = report::compose(target, crash);
            eprint!("{text}");
            if let Some(dir) = dir {
                eprint!("{}", report::write_files(target, crash, dir, &text));
            }
            if after == AfterReport::KeepForGdb {
                return Ok(Ending::KeptForGdb(crash.event()));
            }
        }
        deliver = Some((tid, signal));
    }
}

/// The next event of any process (every thread then stopped), or a
/// signal that ends the server.
fn next_event(target: &mut DebugTarget, signals: &mut SignalFd) -> Result<Woke, CrashError> {
    loop {
        let busy = match target.poll_event()? {
            Polled::Event { pid, event } => {
                target.stop_everything()?;
                return Ok(Woke::Event { pid, event });
            }
            Polled::Busy => true,
            Polled::Quiet => false,
        };
        target.forget_exited_leaders();
        let timeout = if busy {
            PollTimeout::ZERO
        } else {
            PollTimeout::from(IDLE_POLL_MS)
        };
        let mut fds = [PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(CrashError::Poll(e)),
        }
        while let Ok(Some(info)) = signals.read_signal() {
            let sig = info.ssi_signo as i32;
            if sig != libc::SIGCHLD {
                return Ok(Woke::Terminated(sig));
            }
        }
    }
}

/// Let every process go on running untraced.
fn detach_all(target: &mut DebugTarget) {
    for process in target.all_processes_mut() {
        if let Err(e) = process.detach() {
            eprintln!("rgdbserver: detaching from {}: {e}", process.pid());
        }
    }
    target.process = None;
    target.others.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_a_shell_shows_them() {
        assert_eq!(shell_status(StopEvent::Exited { code: 3 }), Some(3));
        assert_eq!(shell_status(StopEvent::Exited { code: 256 + 7 }), Some(7));
        let segv = StopEvent::Killed {
            signal: libc::SIGSEGV,
        };
        assert_eq!(shell_status(segv), Some(139));
        let tid = Tid::from_raw(1);
        assert_eq!(shell_status(StopEvent::Stopped { tid }), None);
    }
}
