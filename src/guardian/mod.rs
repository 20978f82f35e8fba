//! The guardian: a small process forked when the server starts that undoes
//! the server's changes to attached processes if the server dies without
//! undoing them itself (SIGKILL, the OOM killer, an abort).
//!
//! The server records every such change in `inferior::journal`, memory
//! shared with the guardian; the guardian reads it only once the server is
//! gone, and `recover` then seizes each journaled process and puts it back:
//! breakpoint bytes restored, debug registers disarmed, threads detached,
//! the process running again. A launched process needs none of this: it
//! dies with the server (`PTRACE_O_EXITKILL`).
//!
//! Hazard: the guardian must not keep the server's resources alive nor be
//! hit by what is meant for the server. Rules: it is forked first thing in
//! `server::run`, before any thread, socket, signalfd or traced process
//! exists; it closes every descriptor it inherited that the server did not
//! open for itself (those without `FD_CLOEXEC`), and points stdin and
//! stdout at /dev/null (with `-` they are the protocol); it ignores the
//! terminal's signals (SIGINT, SIGQUIT, SIGTSTP, SIGHUP, SIGTTIN, SIGTTOU)
//! so that Ctrl-C for the server does not kill it; and it is the server's
//! grandchild, adopted by init at once, so the server's `waitpid(-1)` never
//! meets it.
//!
//! Death detection is a pipe, `O_CLOEXEC` at both ends (a program the server
//! launches must not hold it), whose write end only the server holds, for
//! as long as it lives: end of file is the server gone, however it went. A
//! server that ended cleanly has detached everything and emptied the
//! journal, and the guardian just exits.

mod recover;

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::fcntl::OFlag;
use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, pipe2, ForkResult};

use crate::inferior::journal::{self, JournalError};

#[derive(Debug, thiserror::Error)]
pub enum GuardianError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("guardian: {what} failed: {errno}")]
    Sys {
        what: &'static str,
        errno: nix::errno::Errno,
    },
    #[error("guardian: the server already runs {0} threads; a fork now is unsafe")]
    Threaded(usize),
}

fn sys(what: &'static str) -> impl Fn(nix::errno::Errno) -> GuardianError {
    move |errno| GuardianError::Sys { what, errno }
}

/// Start the guardian. The server must be single-threaded. From here on the
/// server's memory hooks journal what it changes in attached processes.
pub fn start() -> Result<(), GuardianError> {
    let threads = std::fs::read_dir("/proc/self/task").map_or(1, Iterator::count);
    if threads != 1 {
        return Err(GuardianError::Threaded(threads));
    }
    journal::install()?;
    let (read_end, write_end) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
    // SAFETY: the server has one thread (checked above), so the child may
    // run any code; it is ours up to `_exit` or `guard`, which never return.
    match unsafe { fork() }.map_err(sys("fork"))? {
        ForkResult::Child => {
            drop(write_end);
            // SAFETY: as above, the intermediate child is single-threaded.
            if let Ok(ForkResult::Child) = unsafe { fork() } {
                guard(read_end);
            }
            // SAFETY: _exit ends the intermediate child without running
            // the server's exit handlers or destructors.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop(read_end);
            // The intermediate child exits at once, its child adopted by init.
            waitpid(child, None).map_err(sys("waitpid"))?;
            // The write end stays open for the rest of the server's life:
            // its closing, by the kernel at the server's end, is the signal.
            std::mem::forget(write_end);
            Ok(())
        }
    }
}

/// Ptrace restrictions that would stop the guardian from seizing an
/// attached process once the server is gone; a warning for the user, once.
pub fn warn_if_restricted() {
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").unwrap_or_default();
    // CAP_SYS_PTRACE is bit 19 of the effective capabilities.
    let privileged = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .is_some_and(|caps| caps & (1 << 19) != 0);
    if scope.trim() == "1" && !privileged {
        eprintln!(
            "Warning: kernel.yama.ptrace_scope is 1: should this server be killed, its \
             guardian cannot seize an attached process (not its descendant) to take our \
             breakpoints out."
        );
    }
}

/// The guardian's life: wait for the server's end, then undo what it left.
fn guard(read_end: OwnedFd) -> ! {
    let _ = nix::sys::prctl::set_name(c"rgdbsrv-guard");
    settle_signals();
    close_inherited_fds(read_end.as_raw_fd());
    wait_for_eof(read_end);
    if let Some(journal) = journal::get() {
        recover::recover_all(journal);
    }
    std::process::exit(0)
}

fn settle_signals() {
    let _ = signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    for sig in [
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGTSTP,
        Signal::SIGHUP,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
        Signal::SIGPIPE,
    ] {
        // SAFETY: SIG_IGN installs no handler code.
        let _ = unsafe { signal::signal(sig, SigHandler::SigIgn) };
    }
}

/// Whether descriptor `fd` of this process has `FD_CLOEXEC`, from
/// /proc/self/fdinfo (O_CLOEXEC in its octal `flags`); None if there is no
/// such descriptor (the listing's own, closed since).
fn is_cloexec(fd: RawFd) -> Option<bool> {
    std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 8).ok())
        })
        .map(|flags| flags & libc::O_CLOEXEC as u64 != 0)
}

/// Close what the server inherited from whoever started it (the server's
/// own descriptors all have `FD_CLOEXEC`, and Rust values own them), and
/// give stdin and stdout /dev/null; stderr stays, for the guardian's words.
fn close_inherited_fds(keep: RawFd) {
    let fds: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    for fd in fds {
        if fd > 2 && fd != keep && is_cloexec(fd) == Some(false) {
            close_unowned(fd);
        }
    }
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        let _ = nix::unistd::dup2_stdin(&null);
        let _ = nix::unistd::dup2_stdout(&null);
    }
}

fn close_unowned(fd: RawFd) {
    // SAFETY: `fd` lacks FD_CLOEXEC, which every descriptor this program
    // opens has: it was inherited, and no value here owns it, so taking
    // ownership to close it closes nothing in use.
    drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
}

/// Block until the server's write end is closed.
fn wait_for_eof(read_end: OwnedFd) {
    let mut pipe = std::fs::File::from(read_end);
    let mut buf = [0u8; 16];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
