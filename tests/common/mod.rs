//! Test harness: compile C programs, start the server on them, drive stock
//! gdb against it, and look at the target's real state through /proc.
//!
//! The server is rgdbserver unless RGDBSERVER_TEST_SERVER names another
//! (e.g. /usr/bin/gdbserver, to compare against GNU's).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn server_binary() -> PathBuf {
    std::env::var_os("RGDBSERVER_TEST_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_rgdbserver")))
}

pub fn rgdbserver_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rgdbserver"))
}

/// Compile tests/programs/NAME.c into DIR with gcc -g -O0.
pub fn compile(dir: &Path, name: &str) -> PathBuf {
    compile_with(dir, name, name, &[])
}

/// Compile tests/programs/SOURCE.c into DIR/OUT with gcc -g -O0 and
/// `extra` (e.g. `-shared -fPIC`, `-static`, `-DNAME=VALUE`).
pub fn compile_with(dir: &Path, source: &str, out: &str, extra: &[&str]) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(format!("{source}.c"));
    let out = dir.join(out);
    let status = Command::new("gcc")
        .args(["-g", "-O0", "-pthread"])
        .args(extra)
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed on {}", source.display());
    out
}

pub struct Server {
    child: Child,
    pub port: u16,
    pub pid: Option<i32>,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

fn collect(stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
}

impl Server {
    pub fn start(binary: &Path, args: &[&str]) -> Server {
        Server::start_command(Command::new(binary), args)
    }

    /// Start a prepared command (environment set) with `args`.
    pub fn start_command(mut command: Command, args: &[&str]) -> Server {
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("server starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        collect(child.stderr.take().unwrap(), stderr.clone());
        collect(child.stdout.take().unwrap(), stdout.clone());
        let mut server = Server {
            child,
            port: 0,
            pid: None,
            stderr,
            stdout,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = server.stderr();
            if let Some(port) = text
                .lines()
                .find_map(|l| l.strip_prefix("Listening on port "))
            {
                server.port = port.trim().parse().expect("port number");
                server.pid = text.lines().find_map(|l| {
                    l.rsplit_once("pid = ")
                        .map(|(_, p)| p.trim().parse().unwrap())
                });
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("server exited ({status}) before listening:\n{text}");
            }
            assert!(Instant::now() < deadline, "server never listened:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `--once 127.0.0.1:0 PROG ARGS`
    pub fn launch(prog: &Path, args: &[&str]) -> Server {
        let prog = prog.to_str().unwrap();
        let mut all = vec!["--once", "127.0.0.1:0", prog];
        all.extend_from_slice(args);
        Server::start(&server_binary(), &all)
    }

    /// `--once --remote-debug 127.0.0.1:0 PROG`: the packets in the
    /// server's stderr, for tests that check what gdb sent.
    pub fn launch_logging_packets(prog: &Path) -> Server {
        let prog = prog.to_str().unwrap();
        Server::start(
            &server_binary(),
            &["--once", "--remote-debug", "127.0.0.1:0", prog],
        )
    }

    /// `--once --attach 127.0.0.1:0 PID`
    pub fn attach(pid: u32) -> Server {
        let pid = pid.to_string();
        Server::start(
            &server_binary(),
            &["--once", "--attach", "127.0.0.1:0", &pid],
        )
    }

    pub fn process_id(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a command with a time limit; returns its combined output.
pub fn run_with_timeout(mut command: Command, timeout: Duration) -> (Option<ExitStatus>, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("command starts");
    let output = Arc::new(Mutex::new(String::new()));
    collect(child.stdout.take().unwrap(), output.clone());
    collect(child.stderr.take().unwrap(), output.clone());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(50));
    let text = output.lock().unwrap().clone();
    (status, text)
}

/// `gdb -batch -nx` connected to the server, running `commands`.
pub fn gdb(prog: &Path, port: u16, commands: &[&str]) -> String {
    gdb_connect(
        Some(prog),
        &format!("target remote 127.0.0.1:{port}"),
        commands,
    )
}

/// `gdb -batch -nx` connected with `target extended-remote`.
pub fn gdb_extended(prog: Option<&Path>, port: u16, commands: &[&str]) -> String {
    gdb_connect(
        prog,
        &format!("target extended-remote 127.0.0.1:{port}"),
        commands,
    )
}

/// `gdb -batch -nx`, connecting with `connect`, then running `commands`.
pub fn gdb_connect(prog: Option<&Path>, connect: &str, commands: &[&str]) -> String {
    let mut command = Command::new("gdb");
    command.args([
        "-batch",
        "-nx",
        "-ex",
        "set confirm off",
        "-ex",
        "set pagination off",
    ]);
    if let Some(prog) = prog {
        command.arg("-ex").arg(format!("file {}", prog.display()));
    }
    command.arg("-ex").arg(connect);
    for c in commands {
        command.arg("-ex").arg(c);
    }
    let (status, text) = run_with_timeout(command, Duration::from_secs(90));
    assert!(status.is_some(), "gdb timed out:\n{text}");
    text
}

#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected {needle:?} in:\n{haystack}"
    );
}

/// A field of /proc/PID/status, e.g. "State" or "TracerPid".
pub fn proc_status(pid: i32, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim().to_string())
    })
}

pub fn read_proc_mem(pid: i32, addr: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(format!("/proc/{pid}/mem")).expect("open mem");
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, addr).expect("read mem");
    buf
}

/// The first hex number after `marker` in gdb's output.
pub fn hex_after(text: &str, marker: &str) -> u64 {
    let rest = &text[text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in:\n{text}"))
        + marker.len()..];
    let digits: String = rest
        .trim_start()
        .trim_start_matches("0x")
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    u64::from_str_radix(&digits, 16)
        .unwrap_or_else(|_| panic!("no hex after {marker:?} in:\n{text}"))
}

pub fn pid_alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && proc_status(pid, "State").is_some_and(|s| !s.starts_with('Z'))
}

/// The program's own code bytes at `addr` in process `pid`, read from the
/// executable file (what memory holds with no breakpoint planted).
pub fn code_bytes_in_file(pid: i32, prog: &Path, addr: u64, len: usize) -> Vec<u8> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let line = maps
        .lines()
        .find(|l| l.contains(prog.to_str().unwrap()))
        .unwrap();
    let base = u64::from_str_radix(line.split('-').next().unwrap(), 16).unwrap();
    let exe = std::fs::read(prog).unwrap();
    let offset = (addr - base) as usize;
    exe[offset..offset + len].to_vec()
}
