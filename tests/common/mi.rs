//! Driving gdb through gdb/MI (`--interpreter=mi3`), as IDEs do (VS Code's
//! cpptools, CLion, Eclipse CDT): commands go to gdb's stdin with a token,
//! and the records gdb prints (`^done`, `*stopped`, `=thread-created`...)
//! are read line by line as they come, so a test can wait for an async
//! record while the target runs.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::gdb::gdb_command;

pub struct Mi {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Everything gdb printed so far, for failure messages.
    transcript: Vec<String>,
    token: u32,
}

impl Mi {
    /// gdb (the client under test) in MI mode, no init files.
    pub fn start() -> Mi {
        let mut child = gdb_command()
            .args(["--interpreter=mi3", "-nx", "-q"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("gdb starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Mi {
            child,
            stdin,
            lines,
            transcript: Vec::new(),
            token: 0,
        }
    }

    /// Send `command` and wait for its result record (`TOKEN^...`): the
    /// record, e.g. `^done,bkpt={...}` (token stripped).
    #[track_caller]
    pub fn command(&mut self, command: &str) -> String {
        self.token += 1;
        let token = self.token.to_string();
        writeln!(self.stdin, "{token}{command}").expect("gdb reads its stdin");
        let record = self.wait_for(|l| l.starts_with(&format!("{token}^")));
        record[token.len()..].to_string()
    }

    /// `command`, which must succeed (`^done`, `^running` or `^connected`).
    #[track_caller]
    pub fn ok(&mut self, command: &str) -> String {
        let record = self.command(command);
        assert!(
            ["^done", "^running", "^connected"]
                .iter()
                .any(|r| record.starts_with(r)),
            "{command}: {record}\n{}",
            self.transcript()
        );
        record
    }

    /// The next line gdb prints that satisfies `wanted` (within 30 s).
    #[track_caller]
    pub fn wait_for(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.transcript.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("gdb/MI: waited 30 s in vain; saw:\n{}", self.transcript())
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("gdb/MI: gdb ended; saw:\n{}", self.transcript())
                }
            }
        }
    }

    /// The next `*stopped` record.
    #[track_caller]
    pub fn stopped(&mut self) -> String {
        self.wait_for(|l| l.starts_with("*stopped"))
    }

    pub fn transcript(&self) -> String {
        self.transcript.join("\n")
    }
}

impl Drop for Mi {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "-gdb-exit");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
