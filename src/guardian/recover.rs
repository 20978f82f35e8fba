//! What the guardian does once the server is dead: for each journaled
//! process, seize every thread, move a thread that stopped on one of our
//! traps back to the trap's address with the SIGTRAP suppressed, put the
//! program's bytes back where memory still holds our instruction, disarm
//! the debug registers, detach every thread (handing on signals that are
//! not ours) and let the process run again if it ran when we attached.
//!
//! Hazard: when the server dies the kernel detaches its tracees at once
//! and lets them run untraced; a thread that executes a trap we planted
//! (or finishes a single step the server started) before the guardian
//! holds it dies of SIGTRAP, and the pipe's end of file may come after
//! that detach. Rule: lose no time. The first thing sent is a SIGSTOP to
//! each process, which stops every thread in a group stop within
//! microseconds, whether the kernel has let it go yet or not (a traced
//! thread takes it on detach); then every thread is seized; memory is
//! fixed only after. The remaining window is measured in
//! docs/user-guide.md. A thread that trapped while group-stopping has its
//! SIGTRAP still pending: it is let take it under our eyes, so that it can
//! be suppressed too.
//!
//! The guardian must itself leave nothing behind: it seizes without
//! options (no `PTRACE_O_EXITKILL`: its own death must not kill the target),
//! and every path ends in a detach.

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::ptrace::{self, Options};
use nix::sys::signal::{kill, Signal};

use crate::inferior::hw_debug::HwDebug;
use crate::inferior::journal::{Journal, JournaledBreakpoint, JournaledProcess};
use crate::inferior::memory::Memory;
use crate::inferior::procfs;
use crate::inferior::ptrace::{self as pt, Tid, WaitStatus};
use crate::inferior::regs::{self, native};

/// How long a thread may stay traced by the dying server, or take to stop.
const DEADLINE: Duration = Duration::from_secs(3);

const SIGTRAP_BIT: u64 = 1 << (libc::SIGTRAP - 1);
/// si_code of a single step and of a hardware breakpoint or watchpoint.
const TRAP_TRACE: i32 = 2;
const TRAP_HWBKPT: i32 = 4;

/// One process in the guardian's hands.
struct Held {
    process: JournaledProcess,
    breakpoints: Vec<JournaledBreakpoint>,
    /// Seized threads, and the signal each gets on detach (0 for none).
    threads: Vec<(Tid, i32)>,
    memory: Option<Memory>,
    rewound: usize,
}

/// Undo, in every journaled process, what the dead server left there.
pub fn recover_all(journal: &Journal) {
    let processes = journal.processes();
    if processes.is_empty() {
        return;
    }
    // Stop them all first: see the hazard above.
    for p in &processes {
        let _ = kill(p.pid, Signal::SIGSTOP);
    }
    let mut held: Vec<Held> = processes
        .into_iter()
        .map(|process| Held {
            threads: seize_threads(process.pid),
            breakpoints: journal.breakpoints(process.pid),
            memory: None,
            process,
            rewound: 0,
        })
        .collect();
    for h in &mut held {
        h.put_back();
    }
}

impl Held {
    fn put_back(&mut self) {
        let pid = self.process.pid;
        if self.threads.is_empty() {
            if procfs::process_state(pid).is_some() {
                eprintln!("rgdbserver guardian: could not seize process {pid}; left as it is.");
            }
            return;
        }
        self.memory = Memory::open(pid).ok();
        let threads: Vec<Tid> = self.threads.iter().map(|(t, _)| *t).collect();
        for (i, tid) in threads.into_iter().enumerate() {
            self.threads[i].1 = self.settle(tid);
        }
        let (restored, stale) = self.restore_code();
        if self.process.hw_armed {
            for &(tid, _) in &self.threads {
                if let Err(e) = HwDebug::default().apply(tid) {
                    log::debug!("guardian: clearing debug registers of {tid}: {e}");
                }
            }
        }
        for &(tid, signal) in &self.threads {
            let _ = pt::detach(tid, signal);
        }
        if !self.process.stopped_at_attach {
            // Our SIGSTOP, or the server's, may have group-stopped it.
            let _ = kill(pid, Signal::SIGCONT);
        }
        eprintln!(
            "rgdbserver guardian: the server died attached to process {pid}: {} thread(s) \
             detached, {restored} breakpoint(s) taken out ({stale} already gone), {} \
             thread(s) moved back off a trap{}.",
            self.threads.len(),
            self.rewound,
            if self.process.hw_armed {
                ", debug registers cleared"
            } else {
                ""
            }
        );
    }

    /// Wait for `tid`'s stop, and deal with the SIGTRAPs it owes us; the
    /// signal to hand on at detach.
    fn settle(&mut self, tid: Tid) -> i32 {
        for _ in 0..4 {
            match wait_stop(tid) {
                None => return 0,
                // Group stop or our interrupt: a trap it took while stopping
                // may be pending still; let it take that now, traced.
                Some(WaitStatus::Event(_)) => {
                    let pending = procfs::thread_pending(self.process.pid, tid).unwrap_or(0);
                    if pending & SIGTRAP_BIT == 0 || pt::cont(tid, 0).is_err() {
                        return 0;
                    }
                }
                Some(WaitStatus::Stopped(libc::SIGTRAP)) => {
                    if self.rewind_if_at_trap(tid) {
                        return 0;
                    }
                    let code = pt::siginfo_code(tid).unwrap_or(0);
                    return if code == TRAP_TRACE || code == TRAP_HWBKPT {
                        0
                    } else {
                        libc::SIGTRAP
                    };
                }
                // Ours, or the server's: the process is continued at the end.
                Some(WaitStatus::Stopped(libc::SIGSTOP)) => return 0,
                Some(WaitStatus::Stopped(sig)) => return sig,
                Some(_) => return 0,
            }
        }
        0
    }

    /// A thread stopped by one of our traps goes back to its address.
    fn rewind_if_at_trap(&mut self, tid: Tid) -> bool {
        let Ok(pc) = regs::read_pc(tid) else {
            return false;
        };
        let addr = pc.wrapping_sub(native::PC_ADJUST_AFTER_BREAKPOINT);
        let ours = self
            .breakpoints
            .iter()
            .find(|b| b.addr == addr)
            .is_some_and(|b| self.holds(b));
        if ours && regs::write_pc(tid, addr).is_ok() {
            self.rewound += 1;
            return true;
        }
        false
    }

    /// Whether memory still holds the trap `b` planted.
    fn holds(&self, b: &JournaledBreakpoint) -> bool {
        let Some(memory) = &self.memory else {
            return false;
        };
        let mut now = vec![0; b.insn.len()];
        matches!(memory.read(b.addr, &mut now), Ok(n) if n == now.len()) && now == b.insn
    }

    /// Put the program's bytes back under every trap still in memory (a
    /// library unloaded since took its trap with it: nothing to write).
    fn restore_code(&self) -> (usize, usize) {
        let (mut restored, mut stale) = (0, 0);
        for b in &self.breakpoints {
            if !self.holds(b) {
                stale += 1;
                continue;
            }
            let written = self.memory.as_ref().map(|m| m.write(b.addr, &b.original));
            match written {
                Some(Ok(())) => restored += 1,
                Some(Err(e)) => eprintln!("rgdbserver guardian: {e}"),
                None => {}
            }
        }
        (restored, stale)
    }
}

/// The tasks of process `pid` now.
fn tasks(pid: Tid) -> Vec<Tid> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .map(Tid::from_raw)
                .collect()
        })
        .unwrap_or_default()
}

/// Seize and interrupt every thread of `pid`, going round until no new one
/// shows; the seized threads, each with no signal to hand on yet.
fn seize_threads(pid: Tid) -> Vec<(Tid, i32)> {
    let deadline = Instant::now() + DEADLINE;
    let mut seized: Vec<(Tid, i32)> = Vec::new();
    loop {
        let mut found_new = false;
        for tid in tasks(pid) {
            if seized.iter().any(|(t, _)| *t == tid) {
                continue;
            }
            if seize(pid, tid, deadline) {
                let _ = ptrace::interrupt(tid);
                seized.push((tid, 0));
                found_new = true;
            }
        }
        if !found_new {
            return seized;
        }
    }
}

/// Seize one thread; EPERM while the dying server still traces it is tried
/// again until `deadline`.
fn seize(pid: Tid, tid: Tid, deadline: Instant) -> bool {
    loop {
        match ptrace::seize(tid, Options::empty()) {
            Ok(()) => return true,
            Err(Errno::EPERM) if Instant::now() < deadline && traced(pid, tid) => {
                std::thread::yield_now();
            }
            Err(Errno::ESRCH) => return false,
            Err(e) => {
                if !procfs::is_zombie(tid) {
                    eprintln!("rgdbserver guardian: cannot seize thread {tid}: {e}");
                }
                return false;
            }
        }
    }
}

/// Whether `tid` still has a tracer (the dying server, until it is gone).
fn traced(pid: Tid, tid: Tid) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("TracerPid:"))
            .is_some_and(|v| v.trim() != "0")
    })
}

/// The next stop of seized thread `tid`; None if it is gone or never stops.
fn wait_stop(tid: Tid) -> Option<WaitStatus> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match pt::wait(tid.as_raw(), true) {
            Ok(Some((_, status))) if status.is_exit() => return None,
            Ok(Some((_, status))) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_micros(100));
            }
            _ => return None,
        }
    }
}
