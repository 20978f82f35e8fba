//! The server's life: set up signal handling, create or attach the process,
//! listen, run sessions, and leave the target safe however it ends — a
//! launched process killed, an attached one detached and running, no
//! breakpoint left behind. Should the server die without cleaning up
//! (SIGKILL), the guardian it forks first (`guardian`) does it.

use std::os::fd::AsFd;
use std::panic::AssertUnwindSafe;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::Pid;

use crate::cli::{Cli, DisabledPacket, OnDisconnect};
use crate::crash_report::{self, AfterReport, CrashError, Ending};
use crate::guardian;
use crate::inferior::launch::LaunchSpec;
use crate::inferior::process::{Origin, Process, ProcessError};
use crate::session::{describe_exit, DisabledPackets, Session, SessionEnd, SessionError};
use crate::stub::{DebugTarget, TargetConfig};
use crate::transport::{Comm, Listener, TransportError};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("signal setup failed: {0}")]
    Signals(nix::Error),
    #[error(transparent)]
    Crash(#[from] CrashError),
}

/// Block the signals the event loop takes through a signalfd: SIGCHLD for
/// the inferior, and the ones that ask us to end (cleanly).
fn setup_signals() -> Result<SignalFd, ServerError> {
    let mut mask = SigSet::empty();
    for sig in [
        Signal::SIGCHLD,
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
    ] {
        mask.add(sig);
    }
    signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), None).map_err(ServerError::Signals)?;
    // SAFETY: setting SIG_IGN installs no handler code.
    unsafe {
        signal::signal(Signal::SIGPIPE, SigHandler::SigIgn).map_err(ServerError::Signals)?;
        // Once a program we launch owns the terminal (see inferior::launch)
        // the server is in the background there: writing to it, or taking
        // the terminal back, must not stop the server.
        signal::signal(Signal::SIGTTOU, SigHandler::SigIgn).map_err(ServerError::Signals)?;
        signal::signal(Signal::SIGTTIN, SigHandler::SigIgn).map_err(ServerError::Signals)?;
    }
    SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(ServerError::Signals)
}

/// Run the server as the command line says; returns the exit code.
pub fn run(cli: &Cli) -> Result<u8, ServerError> {
    // First of all, while the server has one thread and no descriptors of
    // its own: the guardian must inherit none of them (see `guardian`).
    if let Err(e) = guardian::start() {
        eprintln!(
            "Warning: {e}; if the server is killed, attached processes keep its breakpoints."
        );
    } else if cli.start.attach || cli.connection.multi {
        guardian::warn_if_restricted();
    }
    let mut signals = setup_signals()?;
    // No COMM only with --crash-report and no --listen (see `cli`).
    let comm = cli
        .connection
        .comm
        .as_deref()
        .map(Comm::parse)
        .transpose()?;
    let crash_dir = cli.crash.crash_report.as_ref();
    if crash_dir.is_some() && cli.connection.multi {
        return Err(ServerError::Usage(
            "--crash-report needs PROG or --attach PID, not --multi".into(),
        ));
    }
    let stdio = comm == Some(Comm::Stdio);
    if stdio {
        // gdbserver's words; the GDB testsuite waits for them.
        eprintln!("stdin/stdout redirected");
    }
    let launch_template = LaunchSpec {
        program: String::new(),
        args: Vec::new(),
        startup_with_shell: cli.start.startup_with_shell(),
        disable_randomization: cli.start.disable_randomization(),
        stdio_is_protocol: stdio,
        wrapper: cli.start.wrapper.clone(),
        ..LaunchSpec::default()
    };

    let config = TargetConfig {
        memory_map: cli.protocol.memory_map,
        launch: Some(LaunchSpec {
            program: cli.start.program.first().cloned().unwrap_or_default(),
            ..launch_template.clone()
        }),
        multi: cli.connection.multi,
    };
    let mut target = DebugTarget::new(config);
    let process = if cli.start.attach {
        let [pid] = cli.start.program.as_slice() else {
            return Err(ServerError::Usage(
                "--attach needs exactly one PID after COMM".into(),
            ));
        };
        let pid: i32 = pid
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| ServerError::Usage(format!("Bad process id '{pid}'")))?;
        let process = Process::attach(Pid::from_raw(pid), target.settings())?;
        eprintln!("Attached; pid = {pid}");
        Some(process)
    } else if let Some((program, args)) = cli.start.program.split_first() {
        let spec = LaunchSpec {
            program: program.clone(),
            args: args.to_vec(),
            ..launch_template
        };
        let process = Process::launch(&spec, target.settings())?;
        // The gdb-less crash watch adds nothing to the program's output
        // until it crashes.
        if comm.is_some() {
            eprintln!("Process {program} created; pid = {}", process.pid());
        }
        // What `qExecAndArgs` reports and `R` starts again.
        target.last_run = Some(spec);
        Some(process)
    } else if cli.connection.multi {
        None
    } else {
        return Err(ServerError::Usage(
            "missing PROG (or --attach PID, or --multi); see --help".into(),
        ));
    };

    if let Some(process) = process {
        target.make_current(process);
    }
    let mut last_stop = None;
    if let Some(dir) = crash_dir {
        let after = match comm {
            Some(_) => AfterReport::KeepForGdb,
            None => AfterReport::Deliver,
        };
        match crash_report::watch(&mut target, &mut signals, dir.as_deref(), after)? {
            Ending::Exit(status) => return Ok(status),
            Ending::KeptForGdb(event) => last_stop = Some(event),
        }
    }
    let Some(comm) = comm else {
        return Err(ServerError::Usage("missing COMM; see --help".into()));
    };
    // Any error from here on drops `target`, whose process cleans itself up.
    let mut listener = Listener::open(&comm, cli.connection.baud)?;

    loop {
        if !listener.is_stdio() && !wait_for_client(&listener, &mut signals)? {
            release(&mut target);
            return Ok(1);
        }
        let conn = listener.accept()?;
        let disabled = disabled_packets(&cli.protocol.disable_packet);
        // While the session is open, other clients are told so and let go
        // (`crate::busy`), through the session's own poll.
        let waiting_clients = listener.accept_fd();
        let mut session = Session::new(conn, &mut signals, last_stop, disabled, waiting_clients);
        // A bug must not leave the target stopped or with breakpoints in it:
        // catch a panic here, at the session boundary, and clean up.
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| session.run(&mut target)));
        last_stop = session.last_stop();
        let end = match outcome {
            Ok(Ok(end)) => end,
            Ok(Err(e)) => {
                eprintln!("Internal error: {e}; cleaning up.");
                make_safe(&mut target);
                release(&mut target);
                return Err(e.into());
            }
            Err(_) => {
                eprintln!("Internal error (panic, reported above); cleaning up.");
                make_safe(&mut target);
                release(&mut target);
                return Ok(2);
            }
        };
        log::debug!("session ended: {end:?}");
        match end {
            SessionEnd::ProcessExited(event) => {
                eprintln!("\n{}", describe_exit(event));
                target.process = None;
            }
            SessionEnd::Detached | SessionEnd::Killed => target.process = None,
            SessionEnd::ExitRequested => {
                release(&mut target);
                return Ok(0);
            }
            SessionEnd::Terminated(sig) => {
                eprintln!("Terminated by signal {sig}; cleaning up.");
                release(&mut target);
                return Ok(1);
            }
            SessionEnd::ConnectionLost => {
                if cli.connection.once {
                    eprintln!("Remote side has terminated connection.");
                } else {
                    eprintln!(
                        "Remote side has terminated connection.  GDBserver will reopen the connection."
                    );
                }
                lost_connection(&mut target, cli);
            }
        }
        let nothing_left = target.process.is_none() && !cli.connection.multi;
        if cli.connection.once || nothing_left || listener.is_stdio() {
            release(&mut target);
            return Ok(0);
        }
    }
}

/// Stop every thread and take every breakpoint and watchpoint out.
/// The session's `--disable-packet` settings for the command line's list
/// (`threads` stands for all four thread packets).
fn disabled_packets(list: &[DisabledPacket]) -> DisabledPackets {
    let mut d = DisabledPackets::default();
    for packet in list {
        match packet {
            DisabledPacket::VCont => d.vcont = true,
            DisabledPacket::T => d.t = true,
            DisabledPacket::Tthread => d.tthread = true,
            DisabledPacket::QC => d.qc = true,
            DisabledPacket::QfThreadInfo => d.qfthreadinfo = true,
            DisabledPacket::BinaryRead => d.x = true,
            DisabledPacket::Threads => {
                d.vcont = true;
                d.tthread = true;
                d.qc = true;
                d.qfthreadinfo = true;
            }
        }
    }
    d
}

fn make_safe(target: &mut DebugTarget) {
    for process in target.all_processes_mut() {
        // Stop every thread first: taking breakpoints out under running
        // threads could catch one between the trap and our look at it.
        if let Err(e) = process
            .stop()
            .and_then(|()| process.remove_all_breakpoints())
        {
            log::warn!("removing breakpoints: {e}");
        }
    }
}

/// The connection dropped: make the target safe, as the options say.
fn lost_connection(target: &mut DebugTarget, cli: &Cli) {
    make_safe(target);
    let Some(process) = target.process.as_mut() else {
        return;
    };
    let keep = cli.connection.on_disconnect == OnDisconnect::Stay
        || (!cli.connection.once && process.origin() == Origin::Launched);
    if !keep {
        release(target);
    }
}

fn release(target: &mut DebugTarget) {
    target.release_all();
}

/// Wait for a client or a termination signal; false means a signal came.
fn wait_for_client(listener: &Listener, signals: &mut SignalFd) -> Result<bool, ServerError> {
    let Some(listening) = listener.accept_fd() else {
        return Ok(true);
    };
    loop {
        let (client, signal) = {
            let mut fds = [
                PollFd::new(listening, PollFlags::POLLIN),
                PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(SessionError::Poll(e).into()),
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (ready(&fds[0]), ready(&fds[1]))
        };
        if signal {
            while let Ok(Some(info)) = signals.read_signal() {
                if info.ssi_signo as i32 != libc::SIGCHLD {
                    eprintln!("Terminated by signal {}; cleaning up.", info.ssi_signo);
                    return Ok(false);
                }
            }
        }
        if client {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_packets_from_the_command_line() {
        let none = disabled_packets(&[]);
        assert!(!(none.vcont || none.t || none.tthread || none.qc || none.qfthreadinfo));
        let some = disabled_packets(&[DisabledPacket::T, DisabledPacket::QC]);
        assert!(some.t && some.qc);
        assert!(!(some.vcont || some.tthread || some.qfthreadinfo));
        let threads = disabled_packets(&[DisabledPacket::Threads]);
        assert!(threads.vcont && threads.tthread && threads.qc && threads.qfthreadinfo);
        assert!(!threads.t);
        let vcont = disabled_packets(&[DisabledPacket::VCont, DisabledPacket::Tthread]);
        assert!(vcont.vcont && vcont.tthread && !vcont.qfthreadinfo);
        assert!(disabled_packets(&[DisabledPacket::QfThreadInfo]).qfthreadinfo);
    }
}
