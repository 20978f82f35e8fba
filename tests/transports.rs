//! gdb sessions over the transports other than TCP: a serial line (two ptys
//! joined by a relay thread, so that gdb and the server each open a tty
//! device) and a Unix-domain socket. Stdio is covered in tests/safety.rs.

mod common;

use common::*;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, BaudRate, SetArg};

/// A null-modem cable made of two ptys: whatever is written to one slave
/// comes out of the other. The server opens one slave, gdb the other.
struct PtyCable {
    server_end: PathBuf,
    gdb_end: PathBuf,
    /// The server's slave, kept open here too so that the test can look at
    /// its settings and the relay never sees the line hang up.
    server_slave: OwnedFd,
    _gdb_slave: OwnedFd,
    stop: Arc<AtomicBool>,
    relay: Option<JoinHandle<()>>,
}

fn raw_pty() -> (File, OwnedFd, PathBuf) {
    let pty = nix::pty::openpty(None, None).expect("openpty");
    // Raw from the start, so nothing relayed before the server or gdb set
    // up their side is echoed or line-edited.
    let mut settings = termios::tcgetattr(&pty.slave).unwrap();
    termios::cfmakeraw(&mut settings);
    termios::tcsetattr(&pty.slave, SetArg::TCSANOW, &settings).unwrap();
    let path = nix::unistd::ttyname(&pty.slave).unwrap();
    (File::from(pty.master), pty.slave, path)
}

impl PtyCable {
    fn new() -> PtyCable {
        let (server_master, server_slave, server_end) = raw_pty();
        let (gdb_master, gdb_slave, gdb_end) = raw_pty();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let relay = std::thread::spawn(move || {
            let mut masters = [server_master, gdb_master];
            let mut buf = [0u8; 4096];
            while !stopped.load(Ordering::Relaxed) {
                let ready = {
                    let mut fds = masters
                        .each_ref()
                        .map(|m| PollFd::new(m.as_fd(), PollFlags::POLLIN));
                    if poll(&mut fds, PollTimeout::from(100u16)).is_err() {
                        continue;
                    }
                    fds.map(|fd| fd.revents().is_some_and(|r| r.contains(PollFlags::POLLIN)))
                };
                for from in 0..2 {
                    if !ready[from] {
                        continue;
                    }
                    let Ok(n) = masters[from].read(&mut buf) else {
                        continue;
                    };
                    let _ = masters[1 - from].write_all(&buf[..n]);
                }
            }
        });
        PtyCable {
            server_end,
            gdb_end,
            server_slave,
            _gdb_slave: gdb_slave,
            stop,
            relay: Some(relay),
        }
    }
}

impl Drop for PtyCable {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(relay) = self.relay.take() {
            let _ = relay.join();
        }
    }
}

const BREAK_IN_A_THEN_EXIT: &[&str] = &["break a", "continue", "bt", "delete", "continue"];

/// The function names of a backtrace's frames, innermost first.
fn frames(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.split_once(' ')?.1.trim_start();
            let rest = rest.split_once(" in ").map_or(rest, |(_, f)| f);
            Some(rest.split_whitespace().next()?.to_string())
        })
        .collect()
}

/// What `BREAK_IN_A_THEN_EXIT` must show, over any transport.
#[track_caller]
fn assert_break_backtrace_exit(out: &str) {
    assert_contains(out, "Breakpoint 1, a (x=1)");
    assert_eq!(frames(out), ["a", "b", "main"], "{out}");
    assert_contains(out, "exited with code 03");
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    compile_in_tempdir("abc")
}

#[test]
fn serial_line_session() {
    let (_dir, prog) = setup();
    let cable = PtyCable::new();
    let device = cable.server_end.to_str().unwrap();
    let mut server = Server::start_until(
        &rgdbserver_binary(),
        &["--baud", "9600", device, prog.to_str().unwrap()],
        &format!("Remote debugging using {device}"),
    );
    // The server has set its end raw at the speed asked for.
    let settings = termios::tcgetattr(&cable.server_slave).unwrap();
    assert_eq!(termios::cfgetospeed(&settings), BaudRate::B9600);

    let target = format!("target remote {}", cable.gdb_end.display());
    let out = gdb_connect(Some(&prog), &target, BREAK_IN_A_THEN_EXIT);
    assert_break_backtrace_exit(&out);
    let status = server.expect_exit(Duration::from_secs(10));
    assert!(status.success(), "{status}\n{}", server.stderr());
    assert_contains(&server.stderr(), "Child exited with status 3");
    assert_contains(&server.stdout(), "counter 3");
}

#[test]
fn serial_device_is_reopened_for_the_next_session() {
    let (_dir, prog) = setup();
    let cable = PtyCable::new();
    let device = cable.server_end.to_str().unwrap();
    let ready = format!("Remote debugging using {device}");
    let mut server = Server::start_until(
        &rgdbserver_binary(),
        &["--multi", device, prog.to_str().unwrap()],
        &ready,
    );
    let target = format!("target remote {}", cable.gdb_end.display());
    // `detach` ends the first session (a serial line has no end-of-file to
    // tell that gdb left, so `kill` or quitting gdb would not); with --multi
    // the server then opens the device again for the next one.
    let out = gdb_connect(Some(&prog), &target, &["break b", "continue", "detach"]);
    assert_contains(&out, "Breakpoint 1, b ()");
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.stderr().matches(&ready).count() < 2 {
        assert!(Instant::now() < deadline, "{out}\n{}", server.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
    let target = format!("target extended-remote {}", cable.gdb_end.display());
    let out = gdb_connect(Some(&prog), &target, &["monitor exit"]);
    let status = server.expect_exit(Duration::from_secs(10));
    assert!(status.success(), "{status}\n{out}\n{}", server.stderr());
}

fn socket_path(dir: &Path) -> PathBuf {
    dir.join("gdb.sock")
}

fn unix_server(prog: &Path, socket: &Path, extra: &[&str]) -> Server {
    let comm = format!("unix:{}", socket.display());
    let mut args = extra.to_vec();
    args.extend([comm.as_str(), prog.to_str().unwrap()]);
    Server::start_until(
        &rgdbserver_binary(),
        &args,
        &format!("Listening on Unix socket {}", socket.display()),
    )
}

#[test]
fn unix_socket_session_through_socat() {
    assert!(
        Command::new("socat").arg("-V").output().is_ok(),
        "socat is needed (scripts/test-all.sh installs it)"
    );
    let (dir, prog) = setup();
    let socket = socket_path(dir.path());
    let mut server = unix_server(&prog, &socket, &["--once"]);
    let target = format!("target remote | socat - UNIX-CONNECT:{}", socket.display());
    let out = gdb_connect(Some(&prog), &target, BREAK_IN_A_THEN_EXIT);
    assert_break_backtrace_exit(&out);
    assert!(server.expect_exit(Duration::from_secs(10)).success());
    assert_contains(&server.stdout(), "counter 3");
    assert!(!socket.exists(), "socket file left behind");
}

#[test]
fn unix_socket_session_with_gdb_connecting_directly() {
    // gdb recognises a path naming a Unix socket (tested with gdb 13).
    let (dir, prog) = setup();
    let socket = socket_path(dir.path());
    let mut server = unix_server(&prog, &socket, &["--once"]);
    let target = format!("target remote {}", socket.display());
    let out = gdb_connect(Some(&prog), &target, BREAK_IN_A_THEN_EXIT);
    assert_break_backtrace_exit(&out);
    assert!(server.expect_exit(Duration::from_secs(10)).success());
    assert!(!socket.exists(), "socket file left behind");
}

#[test]
fn sigterm_while_waiting_on_a_unix_socket_cleans_up() {
    let (dir, prog) = setup();
    let socket = socket_path(dir.path());
    let mut server = unix_server(&prog, &socket, &[]);
    let pid = server.pid.expect("pid line");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.process_id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = server.expect_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(1), "{}", server.stderr());
    assert_contains(&server.stderr(), "Terminated by signal 15");
    assert!(!socket.exists(), "socket file left behind");
    assert!(!pid_alive(pid), "launched process survived");
}
