//! The target is left safe however a session ends: server killed by
//! SIGTERM, gdb killed mid-session; and the other transports and options.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Plant a breakpoint that is never hit and leave the target running; return its address.
fn plant_breakpoint(
    prog: &std::path::Path,
    port: u16,
    gdb_extra: &[&str],
) -> (std::process::Child, u64) {
    // gdb stays connected (stopped at the breakpoint) until the test ends it.
    let mut command = gdb_command();
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
        Self::start_with(Command::new(rgdbserver_binary()), |port| port)
    }

    /// `server` prepared (environment), and gdb connecting to the port that
    /// `route` returns for the server's port (a proxy, say).
    fn start_with(server: Command, route: impl FnOnce(u16) -> u16) -> AttachedWithBreakpoint {
        let (dir, prog) = compile_in_tempdir("loop");
        let child = spawn_loop(&prog);
        let pid = child.id() as i32;
        let server = Server::start_command(
            server,
            &["--once", "--attach", "127.0.0.1:0", &pid.to_string()],
        );
        let (gdb, breakpoint) = plant_breakpoint(&prog, route(server.port), &[]);
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
fn sigint_and_sighup_to_server_detach_attached_process() {
    use nix::sys::signal::Signal;
    for signal in [Signal::SIGINT, Signal::SIGHUP] {
        let mut session = AttachedWithBreakpoint::start();
        let server_pid = nix::unistd::Pid::from_raw(session.server.process_id() as i32);
        nix::sys::signal::kill(server_pid, signal).unwrap();
        session.assert_target_released();
        assert_contains(&session.server.stderr(), "cleaning up");
    }
}

#[test]
fn killed_gdb_leaves_attached_process_running() {
    let mut session = AttachedWithBreakpoint::start();
    session.gdb.kill().unwrap();
    session.gdb.wait().unwrap();
    session.assert_target_released();
}

/// A TCP relay between gdb and the server that, once told, stops passing
/// gdb's bytes on and sends line noise to the server instead.
fn garbage_proxy(server_port: u16, inject: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut from_gdb, _) = listener.accept().unwrap();
        let mut to_server = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
        let mut server_reader = to_server.try_clone().unwrap();
        let mut gdb_writer = from_gdb.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut server_reader, &mut gdb_writer);
        });
        from_gdb.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4096];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        loop {
            if inject.load(Ordering::SeqCst) {
                // Random bytes, but never `$` (a packet start) or Ctrl-C, so
                // no stray packet can be valid by chance.
                let noise: Vec<u8> = (0..65536)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        match seed as u8 {
                            b'$' | 0x03 => b'x',
                            b => b,
                        }
                    })
                    .collect();
                if to_server.write_all(&noise).is_err() {
                    return;
                }
                continue;
            }
            match from_gdb.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => to_server.write_all(&buf[..n]).unwrap(),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(_) => return,
            }
        }
    });
    port
}

#[test]
fn garbage_from_the_client_leaves_attached_process_running() {
    let inject = Arc::new(AtomicBool::new(false));
    let proxy_inject = inject.clone();
    let mut session =
        AttachedWithBreakpoint::start_with(Command::new(rgdbserver_binary()), |port| {
            garbage_proxy(port, proxy_inject)
        });
    inject.store(true, Ordering::SeqCst);
    session.assert_target_released();
    // The server has exited; its last line may still be in the pipe.
    let warned = "since the last valid packet";
    wait_until(Duration::from_secs(5), || {
        session.server.stderr().contains(warned)
    });
    assert_contains(&session.server.stderr(), warned);
}

#[test]
fn panic_in_the_server_leaves_attached_process_running() {
    let mut server = Command::new(rgdbserver_binary());
    // The resume after planting the breakpoint makes the session panic.
    server.env("RGDBSERVER_FAULT_PANIC_ON_PACKET", "vCont;c");
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut child = spawn_loop(&prog);
    let pid = child.id() as i32;
    let mut server = Server::start_command(
        server,
        &["--once", "--attach", "127.0.0.1:0", &pid.to_string()],
    );
    let (mut gdb, breakpoint) = plant_breakpoint(&prog, server.port, &[]);
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("server exits");
    assert_eq!(status.code(), Some(2), "{}", server.stderr());
    assert_contains(&server.stderr(), "fault injected");
    let original = code_bytes_in_file(pid, &prog, breakpoint, 8);
    assert_running_untraced_unchanged(pid, breakpoint, &original);
    let _ = gdb.kill();
    let _ = gdb.wait();
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn stdio_transport() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let mut command = gdb_command();
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
    let (_dir, prog) = compile_in_tempdir("abc");
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
    let (dir, prog) = compile_in_tempdir("abc");
    let local = dir.path().join("local.bin");
    // Every byte value (the protocol's escapes `#$}*` among them), in a
    // file longer than several packets.
    let content: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&local, &content).unwrap();
    let remote = dir.path().join("remote.bin");
    let back = dir.path().join("back.bin");
    let server = Server::launch(&prog, &[]);
    let put = format!("remote put {} {}", local.display(), remote.display());
    let get = format!("remote get {} {}", remote.display(), back.display());
    let out = gdb(&prog, server.port, &[&put, &get]);
    assert!(std::fs::read(&remote).unwrap() == content, "{out}");
    assert!(std::fs::read(&back).unwrap() == content, "{out}");
    let server = Server::launch(&prog, &[]);
    let delete = format!("remote delete {}", remote.display());
    let out = gdb(&prog, server.port, &[&delete]);
    assert!(!remote.exists(), "{out}");
}

#[test]
fn on_disconnect_stay_keeps_attached_process_stopped_for_a_reconnect() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut child = spawn_loop(&prog);
    let pid = child.id() as i32;
    let mut server = Server::start(
        &rgdbserver_binary(),
        &[
            "--on-disconnect=stay",
            "--attach",
            "127.0.0.1:0",
            &pid.to_string(),
        ],
    );
    let (mut first_gdb, breakpoint) = plant_breakpoint(&prog, server.port, &[]);
    first_gdb.kill().unwrap();
    first_gdb.wait().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // Stopped, still ours, and no breakpoint byte left in its code.
    let state = proc_status(pid, "State").unwrap();
    assert!(state.starts_with('t'), "state {state}");
    assert_ne!(proc_status(pid, "TracerPid").as_deref(), Some("0"));
    let original = code_bytes_in_file(pid, &prog, breakpoint, 8);
    assert_eq!(read_proc_mem(pid, breakpoint, 8), original);
    // A new gdb picks the process up where it was and lets it go.
    let out = gdb(
        &prog,
        server.port,
        &["p ticks > 0", "detach", "monitor exit"],
    );
    assert_contains(&out, "$1 = 1");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_running_untraced_unchanged(pid, breakpoint, &original);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn lost_connection_kills_a_launched_process_with_once() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("launched pid");
    let (mut gdb, _) = plant_breakpoint(&prog, server.port, &[]);
    gdb.kill().unwrap();
    gdb.wait().unwrap();
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert!(!pid_alive(pid), "launched process outlived the server");
}

#[test]
fn lost_connection_keeps_a_launched_process_for_the_next_gdb() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = Server::start(
        &rgdbserver_binary(),
        &["127.0.0.1:0", prog.to_str().unwrap()],
    );
    let pid = server.pid.expect("launched pid");
    let (mut first_gdb, breakpoint) = plant_breakpoint(&prog, server.port, &[]);
    first_gdb.kill().unwrap();
    first_gdb.wait().unwrap();
    // The server takes the breakpoint out once it sees the connection go,
    // which a loaded machine may take more than a moment to show.
    let original = code_bytes_in_file(pid, &prog, breakpoint, 8);
    wait_until(Duration::from_secs(10), || {
        read_proc_mem(pid, breakpoint, 8) == original
    });
    assert_eq!(read_proc_mem(pid, breakpoint, 8), original);
    let state = proc_status(pid, "State").unwrap();
    assert!(state.starts_with('t'), "state {state}");
    // (Under load the program may still be in the dynamic loader.)
    let out = gdb(&prog, server.port, &["p $pc != 0", "kill"]);
    assert_contains(&out, "$1 = 1");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert!(!pid_alive(pid));
}
