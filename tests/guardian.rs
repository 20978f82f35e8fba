//! The guardian: when the server is SIGKILLed while attached, the target is
//! left untraced, running, with its own code bytes and no debug register
//! armed. Only what is deterministic is tested here: breakpoints on code
//! that never runs, a watchpoint on a variable written only once the test
//! says so, a target the server had stopped. Hot code (a breakpoint hit
//! every millisecond) races the kernel's detach; its survival rate is
//! measured and documented in docs/user-guide.md, not asserted.

mod common;

use common::*;
use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// gdb connected to `port` with `commands` run, stdin kept for more; it
/// has printed `marker` when this returns, with everything before it.
fn gdb_until(
    prog: &std::path::Path,
    port: u16,
    commands: &[&str],
    marker: &str,
) -> (Child, String) {
    let mut command = gdb_command();
    command.args([
        "-nx",
        "-q",
        "-ex",
        "set confirm off",
        "-ex",
        "set pagination off",
    ]);
    command
        .arg("-ex")
        .arg(format!("target remote 127.0.0.1:{port}"));
    for c in commands {
        command.args(["-ex", c]);
    }
    command
        .arg(prog)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut gdb = command.spawn().unwrap();
    let mut stdout = gdb.stdout.take().unwrap();
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 4096];
    while !text.contains(marker) {
        assert!(Instant::now() < deadline, "gdb output:\n{text}");
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "gdb ended early:\n{text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    (gdb, text)
}

/// The value gdb printed for `p &NAME` (`(TYPE *) 0xADDR <NAME>`).
fn address_of(text: &str, name: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.contains(&format!("<{name}>")))
        .unwrap_or_else(|| panic!("no address of {name} in:\n{text}"));
    let hex = line.split("0x").nth(1).unwrap();
    let hex: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
    u64::from_str_radix(&hex, 16).unwrap()
}

fn read_u64(pid: i32, addr: u64) -> u64 {
    u64::from_ne_bytes(read_proc_mem(pid, addr, 8).try_into().unwrap())
}

/// The guarded program, attached by the server, gdb connected.
struct Attached {
    _dir: tempfile::TempDir,
    prog: std::path::PathBuf,
    target: Child,
    pid: i32,
    server: Server,
}

impl Attached {
    fn start() -> Attached {
        let (dir, prog) = compile_in_tempdir("guarded");
        let target = spawn_loop(&prog);
        let pid = target.id() as i32;
        let server = Server::start(
            &rgdbserver_binary(),
            &["--once", "--attach", "127.0.0.1:0", &pid.to_string()],
        );
        Attached {
            _dir: dir,
            prog,
            target,
            pid,
            server,
        }
    }

    fn kill_server(&mut self) {
        let server = Pid::from_raw(self.server.process_id() as i32);
        kill(server, Signal::SIGKILL).unwrap();
        assert!(self.server.wait_exit(Duration::from_secs(10)).is_some());
    }

    /// Untraced, not stopped, and its counter `at` advancing.
    fn assert_running_untraced(&self, at: u64) {
        let released = wait_until(Duration::from_secs(10), || {
            proc_status(self.pid, "TracerPid").as_deref() == Some("0")
        });
        assert!(released, "still traced:\n{}", self.server.stderr());
        let running = wait_until(Duration::from_secs(5), || {
            proc_status(self.pid, "State").is_some_and(|s| !s.starts_with(['t', 'T']))
        });
        assert!(
            running,
            "state {:?}:\n{}",
            proc_status(self.pid, "State"),
            self.server.stderr()
        );
        let before = read_u64(self.pid, at);
        let advanced = wait_until(Duration::from_secs(5), || read_u64(self.pid, at) > before);
        assert!(advanced, "counter stuck at {before}");
        assert!(pid_alive(self.pid));
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        // The server first: a traced target's death is the tracer's to reap.
        let server = Pid::from_raw(self.server.process_id() as i32);
        let _ = kill(server, Signal::SIGKILL);
        let _ = self.server.wait_exit(Duration::from_secs(10));
        let _ = self.target.kill();
        let _ = self.target.wait();
    }
}

#[test]
fn killed_server_leaves_breakpoints_out_and_the_target_running() {
    let mut a = Attached::start();
    let (mut gdb, text) = gdb_until(
        &a.prog,
        a.server.port,
        &[
            "set breakpoint always-inserted on",
            "break *never_called",
            "break *never_called+4",
            "p &never_called",
            "p &ticks",
            "p &worker_ticks",
            "echo MARK\\n",
        ],
        "MARK",
    );
    let code = address_of(&text, "never_called");
    let (ticks, worker_ticks) = (
        address_of(&text, "ticks"),
        address_of(&text, "worker_ticks"),
    );
    writeln!(gdb.stdin.as_mut().unwrap(), "continue").unwrap();
    let planted = wait_until(Duration::from_secs(10), || {
        proc_status(a.pid, "State").is_some_and(|s| !s.starts_with(['t', 'T']))
            && read_proc_mem(a.pid, code, 1) == [0xcc]
    });
    assert!(planted, "breakpoint planted and the target running");
    a.kill_server();
    a.assert_running_untraced(ticks);
    a.assert_running_untraced(worker_ticks);
    let original = code_bytes_in_file(a.pid, &a.prog, code, 8);
    assert_eq!(read_proc_mem(a.pid, code, 8), original);
    // Ours, and gdb's own in the dynamic linker.
    let stderr = a.server.stderr();
    let taken_out: usize = stderr
        .split(" breakpoint(s) taken out")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no guardian report in:\n{stderr}"));
    assert!(taken_out >= 2, "{stderr}");
    let _ = gdb.kill();
    let _ = gdb.wait();
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[test]
fn killed_server_leaves_no_watchpoint_armed() {
    let mut a = Attached::start();
    let (mut gdb, text) = gdb_until(
        &a.prog,
        a.server.port,
        &["watch watched", "p &watched", "p &ticks", "echo MARK\\n"],
        "MARK",
    );
    assert_contains(&text, "Hardware watchpoint");
    let (watched, ticks) = (address_of(&text, "watched"), address_of(&text, "ticks"));
    writeln!(gdb.stdin.as_mut().unwrap(), "continue").unwrap();
    let running = wait_until(Duration::from_secs(10), || {
        proc_status(a.pid, "State").is_some_and(|s| !s.starts_with(['t', 'T']))
    });
    assert!(running);
    // Let gdb's `continue` reach the threads (it arms them as they resume).
    std::thread::sleep(Duration::from_millis(300));
    a.kill_server();
    a.assert_running_untraced(ticks);
    // The write the watchpoint watched happens, and no SIGTRAP kills it.
    kill(Pid::from_raw(a.pid), Signal::SIGUSR1).unwrap();
    let written = wait_until(Duration::from_secs(5), || read_u64(a.pid, watched) != 0);
    assert!(written, "the watched write happened");
    std::thread::sleep(Duration::from_millis(200));
    a.assert_running_untraced(ticks);
    assert_contains(&a.server.stderr(), "debug registers cleared");
    let _ = gdb.kill();
    let _ = gdb.wait();
}

/// The server stopped every thread (gdb's Ctrl-C, all-stop) and is killed
/// while they are stopped: the target must run again, not stay stopped.
#[test]
fn killed_server_with_the_target_stopped_lets_it_run() {
    let mut a = Attached::start();
    let (mut gdb, text) = gdb_until(
        &a.prog,
        a.server.port,
        &[
            "set breakpoint always-inserted on",
            "break *never_called",
            "p &never_called",
            "p &ticks",
            "echo MARK\\n",
        ],
        "MARK",
    );
    let (code, ticks) = (
        address_of(&text, "never_called"),
        address_of(&text, "ticks"),
    );
    // Stopped as gdb left it after connecting: every thread stopped by us.
    let stopped = wait_until(Duration::from_secs(5), || {
        proc_status(a.pid, "State").is_some_and(|s| s.starts_with('t'))
    });
    assert!(stopped, "state {:?}", proc_status(a.pid, "State"));
    assert_eq!(read_proc_mem(a.pid, code, 1), [0xcc]);
    a.kill_server();
    a.assert_running_untraced(ticks);
    let original = code_bytes_in_file(a.pid, &a.prog, code, 8);
    assert_eq!(read_proc_mem(a.pid, code, 8), original);
    let _ = gdb.stdin.as_mut().map(|s| writeln!(s, "quit"));
    let _ = gdb.kill();
    let _ = gdb.wait();
}

/// A server that ends cleanly takes its guardian with it, and the guardian
/// keeps none of the server's output open once it is gone.
#[test]
fn the_guardian_ends_with_the_server() {
    let mut a = Attached::start();
    let guardian = wait_until(Duration::from_secs(5), || {
        !guardians_of(&a.server).is_empty()
    });
    assert!(guardian, "a guardian runs");
    let guardians = guardians_of(&a.server);
    let server = Pid::from_raw(a.server.process_id() as i32);
    kill(server, Signal::SIGTERM).unwrap();
    assert!(a.server.wait_exit(Duration::from_secs(10)).is_some());
    let gone = wait_until(Duration::from_secs(5), || {
        guardians.iter().all(|&g| !pid_alive(g))
    });
    assert!(gone, "guardian {guardians:?} lingers");
    a.assert_running_untraced_quietly();
    // It did not need to do anything.
    assert!(!a.server.stderr().contains("rgdbserver guardian"));
}

impl Attached {
    fn assert_running_untraced_quietly(&self) {
        assert!(wait_until(Duration::from_secs(10), || {
            proc_status(self.pid, "TracerPid").as_deref() == Some("0")
        }));
        assert!(pid_alive(self.pid));
    }
}

/// Processes named rgdbsrv-guard whose stderr is the server's.
fn guardians_of(server: &Server) -> Vec<i32> {
    let server_err = std::fs::read_link(format!("/proc/{}/fd/2", server.process_id())).ok();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() != "rgdbsrv-guard" {
            continue;
        }
        if std::fs::read_link(format!("/proc/{pid}/fd/2")).ok() == server_err {
            found.push(pid);
        }
    }
    found
}
