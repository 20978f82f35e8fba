//! Test harness shared by every test binary: compile C programs, start the
//! server on them, drive stock gdb or lldb (or a raw protocol client) against it,
//! and look at the target's real state through /proc. This file owns only
//! the small helpers the others share (running a command with a time limit,
//! `assert_contains`) and re-exports what the tests use.
//!
//! Every test binary compiles all of it, and no binary uses everything:
//! hence the `dead_code` allowance, which covers the submodules too, and
//! the `unused_imports` one on each re-export.
//!
//! The server is rgdbserver unless RGDBSERVER_TEST_SERVER names another
//! (e.g. /usr/bin/gdbserver, to compare against GNU's).

#![allow(dead_code)]

pub mod gdb;
pub mod lldb;
pub mod mi;
pub mod procfs;
pub mod programs;
pub mod rsp;
pub mod server;

// A binary that uses nothing of a module would warn of its re-export.
// rsp is not among them: the tests that speak raw protocol name it
// (`rsp::Client`, `common::rsp::...`) rather than put `show` or `frame`
// into every test's namespace.
#[allow(unused_imports)]
pub use gdb::*;
#[allow(unused_imports)]
pub use procfs::*;
#[allow(unused_imports)]
pub use programs::*;
#[allow(unused_imports)]
pub use server::*;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Append each line read from `stream` to `into`, on a thread of its own,
/// which ends at the stream's end.
fn collect(
    stream: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    })
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
    let readers = [
        collect(child.stdout.take().unwrap(), output.clone()),
        collect(child.stderr.take().unwrap(), output.clone()),
    ];
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
    // What the command wrote last may still be in the pipes: read to their
    // end (a process it left behind could hold them open: not for long).
    let drained = Instant::now() + Duration::from_secs(5);
    while readers.iter().any(|r| !r.is_finished()) && Instant::now() < drained {
        std::thread::sleep(Duration::from_millis(5));
    }
    let text = output.lock().unwrap().clone();
    (status, text)
}

#[track_caller]
/// Poll `done` every 20 ms until it holds or `timeout` passes; whether it
/// held. For state the server changes after an event the test caused (a
/// lost connection, say), which a loaded machine may take a while to show.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected {needle:?} in:\n{haystack}"
    );
}
