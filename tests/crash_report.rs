//! `--crash-report`: crash.c run (or attached to) with no gdb. The report
//! must name the signal, its code and fault address, and the frames of
//! every thread (c, b, a, start_thread for the crashing one, main for the
//! other) in each build; the server must exit as the program does when
//! run directly (compared with a direct run); a handled SIGSEGV gets no
//! report; DIR gets a 0600 report and a core gdb can read, never over an
//! existing file; SIGTERM detaches and leaves the program running; and
//! with --listen gdb is served the stopped crash.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The three builds: -O0, -O2 with frame pointers, -O2 without.
const BUILDS: &[(&str, &[&str])] = &[
    ("crash-O0", &[]),
    ("crash-O2-fp", &["-O2", "-fno-omit-frame-pointer"]),
    ("crash-O2", &["-O2"]),
];

fn build(dir: &Path, out: &str, extra: &[&str]) -> PathBuf {
    compile_with(dir, "crash", out, extra)
}

/// The program on its own: how it ends.
fn direct(prog: &Path, args: &[&str]) -> ExitStatus {
    Command::new(prog)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
}

/// `rgdbserver OPTIONS PROG ARGS`: its exit status and all it printed.
fn server(options: &[&str], prog: &Path, args: &[&str]) -> (ExitStatus, String) {
    let mut command = Command::new(rgdbserver_binary());
    command.args(options).arg(prog).args(args);
    let (status, out) = run_with_timeout(command, TIMEOUT);
    (status.unwrap_or_else(|| panic!("server hung:\n{out}")), out)
}

/// The code a shell shows for `status`.
fn shell_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap()
}

/// The report's `Thread TID (NAME):` blocks, in order, with their
/// function names.
fn thread_blocks(out: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for line in out.lines() {
        if line.starts_with("Thread ") && line.ends_with("):") {
            blocks.push((line.to_string(), Vec::new()));
        } else if let Some(frame) = line.strip_prefix('#') {
            let Some((_, rest)) = frame.split_once(" in ") else {
                continue;
            };
            let name = rest.split(" (").next().unwrap().to_string();
            if let Some((_, names)) = blocks.last_mut() {
                names.push(name);
            }
        }
    }
    blocks
}

/// `names` holds `wanted` in this order (other frames may come between).
fn in_order(names: &[String], wanted: &[&str]) -> bool {
    let mut it = names.iter();
    wanted.iter().all(|w| it.any(|n| n == w))
}

/// The crashing thread's id, from the report's header.
fn crashing_thread(out: &str) -> String {
    let header = out
        .lines()
        .find(|l| l.starts_with("Program "))
        .unwrap_or_else(|| panic!("no header in:\n{out}"));
    let (_, rest) = header.split_once(", thread ").unwrap();
    rest.split(',').next().unwrap().to_string()
}

/// A report of the null write in c (three calls deep in a second thread).
#[track_caller]
fn assert_segv_report(out: &str) {
    assert!(out.starts_with("rgdbserver: crash report\n"), "{out}");
    assert_contains(out, "received signal SIGSEGV (11).");
    assert_contains(out, "si_code 1 (SEGV_MAPERR), fault address 0x0\n");
    assert_contains(out, "Mapping of 0x0: not mapped");
    assert!(out.lines().any(|l| l.starts_with("rip ")), "{out}");
    let blocks = thread_blocks(out);
    assert_eq!(blocks.len(), 2, "{out}");
    let tid = crashing_thread(out);
    assert!(blocks[0].0.starts_with(&format!("Thread {tid} (")), "{out}");
    assert!(
        in_order(&blocks[0].1, &["c", "b", "a", "start_thread"]),
        "{out}"
    );
    assert!(blocks[1].1.iter().any(|n| n == "main"), "{out}");
}

#[test]
fn a_segv_in_a_thread_is_reported_and_ends_the_program_as_without_us() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in BUILDS {
        let prog = build(dir.path(), name, extra);
        let alone = direct(&prog, &[]);
        assert_eq!(alone.signal(), Some(libc::SIGSEGV), "{name} alone");
        let (status, out) = server(&["--crash-report"], &prog, &[]);
        assert_segv_report(&out);
        assert_eq!(status.code(), Some(shell_code(alone)), "{name}:\n{out}");
        // The crashing thread's functions are those gdb's own `bt` names on
        // the live process at the fault (gdb alone, no server).
        let report: Vec<String> = thread_blocks(&out)[0].1.iter().take(4).cloned().collect();
        assert_eq!(
            report,
            live_bt(&prog).into_iter().take(4).collect::<Vec<_>>(),
            "{name}:\n{out}"
        );
    }
}

/// The function names of gdb's `bt` when `prog`, run by gdb itself, stops
/// at its fault.
fn live_bt(prog: &std::path::Path) -> Vec<String> {
    let out = gdb_connect(Some(prog), "", &["run", "bt"]);
    out.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter_map(|frame| {
            let rest = frame.split_once(' ')?.1.trim_start();
            let rest = match rest.split_once(" in ") {
                Some((addr, f)) if addr.starts_with("0x") => f,
                _ => rest,
            };
            Some(rest.split(" (").next()?.to_string())
        })
        .collect()
}

#[test]
fn a_program_that_catches_segv_gets_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash", &[]);
    assert_eq!(direct(&prog, &["handled"]).code(), Some(3));
    let (status, out) = server(&["--crash-report"], &prog, &["handled"]);
    assert_eq!(status.code(), Some(3), "{out}");
    assert!(!out.contains("crash report"), "{out}");
}

#[test]
fn an_exit_code_passes_through() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash", &[]);
    let (status, out) = server(&["--crash-report"], &prog, &["exit"]);
    assert_eq!(status.code(), Some(7), "{out}");
    assert_eq!(out, "");
}

#[test]
fn abort_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash-O2", &["-O2"]);
    let alone = direct(&prog, &["abort"]);
    assert_eq!(alone.signal(), Some(libc::SIGABRT));
    let (status, out) = server(&["--crash-report"], &prog, &["abort"]);
    assert_contains(&out, "received signal SIGABRT (6).");
    assert_contains(&out, "si_code -6 (SI_TKILL), sent by process ");
    let blocks = thread_blocks(&out);
    // libc's symbol for abort: `abort` or `__GI_abort`.
    let frames = &blocks[0].1;
    let abort = frames.iter().position(|n| n.ends_with("abort"));
    let c = frames.iter().position(|n| n == "c");
    assert!(abort.is_some() && abort < c, "{out}");
    assert!(in_order(frames, &["c", "b", "a", "start_thread"]), "{out}");
    assert_eq!(status.code(), Some(shell_code(alone)), "{out}");
}

#[test]
fn the_programs_own_sigtrap_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash", &[]);
    let alone = direct(&prog, &["trap"]);
    assert_eq!(alone.signal(), Some(libc::SIGTRAP));
    let (status, out) = server(&["--crash-report"], &prog, &["trap"]);
    assert_contains(&out, "received signal SIGTRAP (5).");
    assert_contains(&out, "si_code -6 (SI_TKILL), sent by process ");
    assert!(
        in_order(&thread_blocks(&out)[0].1, &["c", "b", "a"]),
        "{out}"
    );
    assert_eq!(status.code(), Some(shell_code(alone)), "{out}");
}

#[test]
fn dir_gets_a_private_report_and_a_core_gdb_reads() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash", &[]);
    let crashes = dir.path().join("crashes");
    std::fs::create_dir(&crashes).unwrap();
    let option = format!("--crash-report={}", crashes.display());
    let (status, out) = server(&[&option], &prog, &[]);
    assert_eq!(status.code(), Some(128 + libc::SIGSEGV), "{out}");
    assert_segv_report(&out);
    let mut files: Vec<String> = std::fs::read_dir(&crashes)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let pid = files
        .iter()
        .find_map(|f| f.strip_prefix("core."))
        .unwrap_or_else(|| panic!("no core in {files:?}:\n{out}"))
        .to_string();
    assert_eq!(files, [format!("core.{pid}"), format!("crash.{pid}.txt")]);
    for file in &files {
        let mode = std::fs::metadata(crashes.join(file)).unwrap().permissions();
        assert_eq!(mode.mode() & 0o777, 0o600, "{file}");
    }
    let report = std::fs::read_to_string(crashes.join(format!("crash.{pid}.txt"))).unwrap();
    assert_segv_report(&report);
    assert!(out.starts_with(&report), "{out}");
    let core = crashes.join(format!("core.{pid}"));
    let mut gdb = gdb_command();
    gdb.args(["-batch", "-nx", "-ex", "bt"])
        .arg(&prog)
        .arg(&core);
    let (_, bt) = run_with_timeout(gdb, TIMEOUT);
    assert_contains(&bt, "Program terminated with signal SIGSEGV");
    for frame in [" c (", " b (", " a ("] {
        assert_contains(&bt, frame);
    }
}

/// crash.c waiting for a trigger file before it crashes, for --attach.
struct Waiting {
    child: std::process::Child,
    trigger: PathBuf,
    _dir: tempfile::TempDir,
}

impl Waiting {
    fn start() -> Waiting {
        let dir = tempfile::tempdir().unwrap();
        let prog = build(dir.path(), "crash", &[]);
        let trigger = dir.path().join("go");
        let child = Command::new(&prog)
            .arg("wait")
            .arg(&trigger)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Both threads exist once the second one polls for the trigger.
        let pid = child.id() as i32;
        assert!(wait_until(Duration::from_secs(10), || {
            proc_status(pid, "Threads").as_deref() == Some("2")
        }));
        Waiting {
            child,
            trigger,
            _dir: dir,
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn crash(&self) {
        std::fs::write(&self.trigger, b"").unwrap();
    }

    /// How the program ended (it is our child, not the server's).
    fn ended(&mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }
}

/// The server's stderr once `last` has shown in it: after the server's
/// exit its last lines may still be on their way through the pipe.
#[track_caller]
fn stderr_through(server: &Server, last: &str) -> String {
    let arrived = wait_until(Duration::from_secs(10), || server.stderr().contains(last));
    let out = server.stderr();
    assert!(arrived, "no {last:?} in:\n{out}");
    out
}

/// Left as if never traced: no tracer, not stopped.
#[track_caller]
fn assert_running_untraced(pid: i32) {
    assert_eq!(proc_status(pid, "TracerPid").as_deref(), Some("0"));
    let state = proc_status(pid, "State").unwrap();
    assert!(state.starts_with('S') || state.starts_with('R'), "{state}");
}

fn sigterm(pid: i32) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
}

fn attach(options: &[&str], pid: i32) -> Server {
    let pid = pid.to_string();
    let mut args = options.to_vec();
    args.extend(["--attach", &pid]);
    Server::start_until(&rgdbserver_binary(), &args, "Attached; pid")
}

#[test]
fn attach_then_crash() {
    let mut program = Waiting::start();
    let mut server = attach(&["--crash-report"], program.pid());
    program.crash();
    let status = server.expect_exit(TIMEOUT);
    let out = stderr_through(&server, " in _start (");
    assert_eq!(status.code(), Some(128 + libc::SIGSEGV), "{out}");
    let report = &out[out.find("rgdbserver: crash report").expect("a report")..];
    assert_segv_report(report);
    assert_eq!(program.ended().signal(), Some(libc::SIGSEGV));
}

#[test]
fn existing_files_are_never_overwritten() {
    let mut program = Waiting::start();
    let pid = program.pid();
    let crashes = tempfile::tempdir().unwrap();
    let report = crashes.path().join(format!("crash.{pid}.txt"));
    let core = crashes.path().join(format!("core.{pid}"));
    std::fs::write(&report, b"mine\n").unwrap();
    std::fs::write(&core, b"mine too\n").unwrap();
    let option = format!("--crash-report={}", crashes.path().display());
    let mut server = attach(&[&option], pid);
    program.crash();
    let status = server.expect_exit(TIMEOUT);
    let out = stderr_through(&server, "core not written");
    assert_eq!(status.code(), Some(128 + libc::SIGSEGV), "{out}");
    assert_contains(&out, "received signal SIGSEGV");
    assert_contains(
        &out,
        &format!(
            "report not written: {} already exists; not overwriting it",
            report.display()
        ),
    );
    assert_contains(
        &out,
        &format!(
            "core not written: {} already exists; not overwriting it",
            core.display()
        ),
    );
    assert_eq!(std::fs::read(&report).unwrap(), b"mine\n");
    assert_eq!(std::fs::read(&core).unwrap(), b"mine too\n");
    assert_eq!(program.ended().signal(), Some(libc::SIGSEGV));
}

#[test]
fn sigterm_detaches_and_the_program_runs_on() {
    let mut program = Waiting::start();
    let pid = program.pid();
    let mut server = attach(&["--crash-report"], pid);
    assert_eq!(
        proc_status(pid, "TracerPid").unwrap(),
        server.process_id().to_string()
    );
    sigterm(server.process_id() as i32);
    let status = server.expect_exit(TIMEOUT);
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGTERM),
        "{}",
        server.stderr()
    );
    assert_running_untraced(pid);
    // Untraced and unharmed: it crashes as on its own, with no report.
    program.crash();
    assert_eq!(program.ended().signal(), Some(libc::SIGSEGV));
    assert!(!server.stderr().contains("crash report"));
}

#[test]
fn listen_keeps_the_crash_stopped_for_gdb() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash-O2", &["-O2"]);
    let prog_text = prog.to_str().unwrap();
    let options = ["--crash-report", "--listen", "127.0.0.1:0", prog_text];
    let mut server = Server::start(&rgdbserver_binary(), &options);
    let pid = server.pid.expect("the launch line names the pid");
    // The report comes before `Listening on port`, which Server::start saw.
    let out = server.stderr();
    assert_segv_report(&out[out.find("rgdbserver: crash report").unwrap()..]);
    // Stopped at the signal, not delivered yet.
    assert!(proc_status(pid, "State").unwrap().starts_with('t'));
    let out = gdb(&prog, server.port, &["p $_siginfo.si_signo", "bt", "kill"]);
    assert_contains(&out, "$1 = 11");
    for frame in [" c (", " b (", " a ("] {
        assert_contains(&out, frame);
    }
    assert_contains(&out, "killed");
    server.expect_exit(TIMEOUT);
    assert!(wait_until(Duration::from_secs(5), || !pid_alive(pid)));
}

#[test]
fn a_signal_that_only_terminates_passes_without_a_report() {
    let mut program = Waiting::start();
    let pid = program.pid();
    let mut server = attach(&["--crash-report"], pid);
    sigterm(pid);
    let status = server.expect_exit(TIMEOUT);
    let out = server.stderr();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{out}");
    assert!(!out.contains("crash report"), "{out}");
    assert_eq!(program.ended().signal(), Some(libc::SIGTERM));
}

#[test]
fn a_dir_that_cannot_take_the_files_is_said_and_the_program_dies_as_usual() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash", &[]);
    let missing = dir.path().join("no-such-dir");
    let option = format!("--crash-report={}", missing.display());
    let (status, out) = server(&[&option], &prog, &[]);
    assert_segv_report(&out);
    assert_contains(&out, "rgdbserver: report not written: cannot create ");
    assert_contains(&out, "rgdbserver: core not written: ");
    assert_eq!(status.code(), Some(128 + libc::SIGSEGV), "{out}");
    assert!(!missing.exists());
}

#[test]
fn an_exec_is_followed_and_a_fork_child_is_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash", &[]);
    let prog = prog.to_str().unwrap();
    let options = ["--crash-report", "--no-startup-with-shell"];
    let sh = Path::new("/bin/sh");
    let script = format!("echo before; exec {prog}");
    let (status, out) = server(&options, sh, &["-c", &script]);
    assert!(
        out.starts_with("before\nrgdbserver: crash report\n"),
        "{out}"
    );
    assert_segv_report(&out["before\n".len()..]);
    assert_eq!(status.code(), Some(128 + libc::SIGSEGV), "{out}");
    // The shell's child crashes untraced: no report, the shell goes on.
    let script = format!("{prog}; echo after $?");
    let (status, out) = server(&options, sh, &["-c", &script]);
    assert!(!out.contains("crash report"), "{out}");
    assert_contains(&out, "after 139");
    assert_eq!(status.code(), Some(0), "{out}");
}

#[test]
fn attach_and_listen_then_gdb_detaches_and_the_crash_goes_on() {
    let mut program = Waiting::start();
    let pid = program.pid();
    let pid_text = pid.to_string();
    let args = [
        "--crash-report",
        "--listen",
        "127.0.0.1:0",
        "--attach",
        &pid_text,
    ];
    let mut server = Server::start_until(&rgdbserver_binary(), &args, "Attached; pid");
    program.crash();
    let listening = |t: &str| t.contains("Listening on port ");
    assert!(wait_until(TIMEOUT, || listening(&server.stderr())));
    let out = server.stderr();
    let port: u16 = out
        .lines()
        .find_map(|l| l.strip_prefix("Listening on port "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_segv_report(&out[out.find("rgdbserver: crash report").unwrap()..]);
    assert!(proc_status(pid, "State").unwrap().starts_with('t'));
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    let gdb_out = gdb(&exe, port, &["p $_siginfo.si_signo", "bt", "detach"]);
    assert_contains(&gdb_out, "$1 = 11");
    assert_contains(&gdb_out, " b (");
    server.expect_exit(TIMEOUT);
    // Let go, the thread faults again at once, untraced: the program
    // dies of SIGSEGV as it would have.
    assert_eq!(program.ended().signal(), Some(libc::SIGSEGV));
}

#[test]
fn sigterm_lets_a_launched_program_run_on_untraced() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "crash", &[]);
    let trigger = dir.path().join("go");
    let args = [
        "--crash-report",
        prog.to_str().unwrap(),
        "wait",
        trigger.to_str().unwrap(),
    ];
    let mut command = Command::new(rgdbserver_binary());
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut server = command.spawn().unwrap();
    let server_pid = server.id() as i32;
    // The launched program: the server's child that runs crash.c.
    let children = format!("/proc/{server_pid}/task/{server_pid}/children");
    let mut pid = 0;
    assert!(wait_until(Duration::from_secs(10), || {
        let text = std::fs::read_to_string(&children).unwrap_or_default();
        pid = text
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
            .find(|p| {
                std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|e| e == prog)
                    && proc_status(*p, "Threads").as_deref() == Some("2")
            })
            .unwrap_or(0);
        pid != 0
    }));
    let _cleanup = KillOnDrop(pid);
    sigterm(server_pid);
    let status = server.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    assert_running_untraced(pid);
    std::fs::write(&trigger, b"").unwrap();
    assert!(wait_until(Duration::from_secs(10), || !pid_alive(pid)));
}
