//! Starting the server under test (rgdbserver, or whatever
//! RGDBSERVER_TEST_SERVER names) and watching it: its output, the port it
//! listens on, the process it launched, its exit. Dropping a `Server`
//! kills it.

use super::collect;
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

pub struct Server {
    child: Child,
    pub port: u16,
    pub pid: Option<i32>,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
    /// The threads collecting stdout and stderr: they end at the pipes'
    /// end, after the server's exit.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(binary: &Path, args: &[&str]) -> Server {
        Server::start_command(Command::new(binary), args)
    }

    /// Start a prepared command (environment set) with `args`, and wait
    /// until it listens on a TCP port (`port`).
    pub fn start_command(command: Command, args: &[&str]) -> Server {
        let mut server = Server::spawn(command, args);
        let listening = |l: &str| l.strip_prefix("Listening on port ").map(str::to_string);
        server.wait_for("Listening on port ", |text| {
            text.lines().any(|l| listening(l).is_some())
        });
        let port = server.stderr().lines().find_map(listening).unwrap();
        server.port = port.trim().parse().expect("port number");
        server
    }

    /// Start `binary` with `args` and wait until `marker` shows in its
    /// stderr: for a COMM that prints no port (a serial device, a Unix
    /// socket), whose server leaves `port` 0.
    pub fn start_until(binary: &Path, args: &[&str], marker: &str) -> Server {
        let mut server = Server::spawn(Command::new(binary), args);
        server.wait_for(marker, |text| text.contains(marker));
        server
    }

    fn spawn(mut command: Command, args: &[&str]) -> Server {
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("server starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(child.stderr.take().unwrap(), stderr.clone()),
            collect(child.stdout.take().unwrap(), stdout.clone()),
        ];
        Server {
            child,
            port: 0,
            pid: None,
            stderr,
            stdout,
            readers,
        }
    }

    /// Wait until the server's stderr is `ready`, then note the pid of the
    /// process it launched or attached to, if it printed one.
    fn wait_for(&mut self, what: &str, ready: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.stderr();
            if ready(&text) {
                self.pid = text.lines().find_map(|l| {
                    l.rsplit_once("pid = ")
                        .map(|(_, p)| p.trim().parse().unwrap())
                });
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited ({status}) before printing {what:?}:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "no {what:?} from the server:\n{text}"
            );
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

    /// `--once --multi 127.0.0.1:0`: no program yet, for `target
    /// extended-remote` sessions that run or attach one.
    pub fn launch_multi() -> Server {
        Server::start(&server_binary(), &["--once", "--multi", "127.0.0.1:0"])
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
                // Everything it wrote, read before its output is looked at
                // (a program it let go may hold the pipes open: not for
                // long).
                let drained = Instant::now() + Duration::from_secs(2);
                while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < drained {
                    std::thread::sleep(Duration::from_millis(5));
                }
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The server's exit status; fails the test if it still runs after
    /// `timeout`.
    #[track_caller]
    pub fn expect_exit(&mut self, timeout: Duration) -> ExitStatus {
        match self.wait_exit(timeout) {
            Some(status) => status,
            None => panic!("server still running:\n{}", self.stderr()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
