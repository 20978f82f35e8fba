//! The target is left safe however a session ends: server killed by
//! SIGTERM, gdb killed mid-session; and the other transports and options.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn spawn_loop(prog: &std::path::Path) -> std::process::Child {
    let child = Command::new(prog).stdout(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    child
}

/// Plant a breakpoint that is never hit and leave the target running; return its address.
fn plant_breakpoint(
    prog: &std::path::Path,
    port: u16,
    gdb_extra: &[&str],
) -> (std::process::Child, u64) {
    // gdb stays connected (stopped at the breakpoint) until the test ends it.
    let mut command = Command::new("gdb");
    command
        .args([
            "-nx",
            "-q",
            "-ex",
            "set confirm off",
            "-ex",
            "set pagination off",
        ])
        .arg("-ex")
        .arg(format!("target remote 127.0.0.1:{port}"))
        .args([
            "-ex",
            "set breakpoint always-inserted on",
            "-ex",
            "break *never_called",
            "-ex",
            "p &never_called",
        ]);
    for c in gdb_extra {
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
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 4096];
    use std::io::Read;
    while !text.contains("(void (*)(void)) 0x") {
        assert!(std::time::Instant::now() < deadline, "gdb output:\n{text}");
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "gdb ended early:\n{text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // Resume: gdb plants the breakpoint and the target runs with it in memory.
    use std::io::Write;
    writeln!(gdb.stdin.as_mut().unwrap(), "continue").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    (gdb, hex_after(&text, "(void (*)(void)) "))
}

fn assert_running_untraced_unchanged(pid: i32, addr: u64, original: &[u8]) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while proc_status(pid, "TracerPid").as_deref() != Some("0") {
        assert!(std::time::Instant::now() < deadline, "still traced");
        std::thread::sleep(Duration::from_millis(50));
    }
    let state = proc_status(pid, "State").unwrap();
    assert!(
        !state.starts_with('t') && !state.starts_with('T'),
        "state {state}"
    );
    assert_eq!(read_proc_mem(pid, addr, original.len()), original);
}

/// A looping program, rgdbserver attached to it, and gdb connected with a
/// breakpoint planted in memory while the program runs.
struct AttachedWithBreakpoint {
    _dir: tempfile::TempDir,
    prog: std::path::PathBuf,
    child: std::process::Child,
    pid: i32,
    server: Server,
    gdb: std::process::Child,
    breakpoint: u64,
}

impl AttachedWithBreakpoint {
    fn start() -> AttachedWithBreakpoint {
        let dir = tempfile::tempdir().unwrap();
        let prog = compile(dir.path(), "loop");
        let child = spawn_loop(&prog);
        let pid = child.id() as i32;
        let server = Server::start(
            &rgdbserver_binary(),
            &["--once", "--attach", "127.0.0.1:0", &pid.to_string()],
        );
        let (gdb, breakpoint) = plant_breakpoint(&prog, server.port, &[]);
        assert_eq!(
            read_proc_mem(pid, breakpoint, 1),
            [0xcc],
            "breakpoint planted"
        );
        AttachedWithBreakpoint {
            _dir: dir,
            prog,
            child,
            pid,
            server,
            gdb,
            breakpoint,
        }
    }

    /// The server has exited; the program must run on as if never debugged.
    fn assert_target_released(&mut self) {
        assert!(
            self.server.wait_exit(Duration::from_secs(10)).is_some(),
            "server lingers"
        );
        let original = code_bytes_in_file(self.pid, &self.prog, self.breakpoint, 8);
        assert_running_untraced_unchanged(self.pid, self.breakpoint, &original);
    }
}

impl Drop for AttachedWithBreakpoint {
    fn drop(&mut self) {
        let _ = self.gdb.kill();
        let _ = self.gdb.wait();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sigterm_to_server_detaches_attached_process() {
    let mut session = AttachedWithBreakpoint::start();
    let server_pid = nix::unistd::Pid::from_raw(session.server.process_id() as i32);
    nix::sys::signal::kill(server_pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    session.assert_target_released();
}

#[test]
fn killed_gdb_leaves_attached_process_running() {
    let mut session = AttachedWithBreakpoint::start();
    session.gdb.kill().unwrap();
    session.gdb.wait().unwrap();
    session.assert_target_released();
}

#[test]
fn stdio_transport() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile(dir.path(), "abc");
    let mut command = Command::new("gdb");
    command
        .args(["-batch", "-nx", "-ex", "set confirm off"])
        .arg("-ex")
        .arg(format!(
            "target remote | {} - {}",
            rgdbserver_binary().display(),
            prog.display()
        ))
        .args([
            "-ex", "break a", "-ex", "continue", "-ex", "bt", "-ex", "delete", "-ex", "continue",
        ])
        .arg(&prog);
    let (status, out) = run_with_timeout(command, Duration::from_secs(60));
    assert!(status.is_some(), "{out}");
    assert_contains(&out, "in b () at");
    assert_contains(&out, "exited with code 03");
}

#[test]
fn memory_map_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile(dir.path(), "abc");
    let server = Server::start(
        &rgdbserver_binary(),
        &[
            "--once",
            "--memory-map",
            "127.0.0.1:0",
            prog.to_str().unwrap(),
        ],
    );
    let out = gdb(
        &prog,
        server.port,
        &["info mem", "break main", "continue", "x/i $pc"],
    );
    assert_contains(&out, "Using memory regions provided by the target.");
    assert_contains(&out, " rw nocache");
    assert_contains(&out, "Breakpoint 1, main");
    // Without the option there is no map.
    let server = Server::launch(&prog, &[]);
    let out = gdb(&prog, server.port, &["info mem"]);
    assert_contains(&out, "There are no memory regions defined.");
}

#[test]
fn file_transfer_through_host_io() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile(dir.path(), "abc");
    let local = dir.path().join("local.txt");
    let content: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(&local, &content).unwrap();
    let remote = dir.path().join("remote.txt");
    let back = dir.path().join("back.txt");
    let server = Server::launch(&prog, &[]);
    let put = format!("remote put {} {}", local.display(), remote.display());
    let get = format!("remote get {} {}", remote.display(), back.display());
    let out = gdb(&prog, server.port, &[&put, &get]);
    assert_eq!(std::fs::read_to_string(&remote).unwrap(), content, "{out}");
    assert_eq!(std::fs::read_to_string(&back).unwrap(), content, "{out}");
    let server = Server::launch(&prog, &[]);
    let delete = format!("remote delete {}", remote.display());
    let out = gdb(&prog, server.port, &[&delete]);
    assert!(!remote.exists(), "{out}");
}
