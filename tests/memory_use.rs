//! The server's own memory stays small whatever the target's size: its
//! peak resident set (VmHWM, read from /proc while gdb is still connected)
//! during a 64 MiB `dump memory` (more than the bound: a server holding
//! the whole dump could not pass) and attached to 1000 threads through
//! `thread apply all bt`. A server that buffered a whole dump, or kept
//! every thread's full register file and more, would pass these bounds
//! by far; the limits are 32 MiB and 64 MiB.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The VmHWM line gdb printed (from `shell grep`), in KiB.
fn peak_rss_kib(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in:\n{text}"))
}

#[test]
fn dumping_64_mib_keeps_the_server_small() {
    let (dir, prog) = compile_in_tempdir("bigbuf");
    let mut server = Server::launch(&prog, &["64"]);
    let server_pid = server.process_id();
    let out_file = dir.path().join("dump.bin");
    let out = gdb(
        &prog,
        server.port,
        &[
            "break filled",
            "continue",
            &format!("dump binary memory {} buf buf+size", out_file.display()),
            &format!("shell grep VmHWM /proc/{server_pid}/status"),
            "kill",
        ],
    );
    assert_eq!(
        std::fs::metadata(&out_file).map(|m| m.len()).unwrap_or(0),
        64 << 20,
        "{out}"
    );
    let peak = peak_rss_kib(&out);
    assert!(peak < 32 * 1024, "server peak RSS {peak} KiB:\n{out}");
    server.expect_exit(Duration::from_secs(20));
}

#[test]
fn attached_to_1000_threads_the_server_stays_small() {
    let (_dir, prog) = compile_in_tempdir("crowd");
    let mut child = Command::new(&prog)
        .arg("1000")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed however the test ends (an assertion failing first, too).
    let _kill = KillOnDrop(child.id() as i32);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "READY");
    let mut server = Server::attach(child.id());
    let server_pid = server.process_id();
    let out = gdb(
        &prog,
        server.port,
        &[
            "thread apply all bt 1",
            "info threads",
            &format!("shell grep VmHWM /proc/{server_pid}/status"),
            "detach",
        ],
    );
    assert_eq!(out.matches("\nThread ").count(), 1001, "{out}");
    // The thread list (read 4 KiB at a time, 13 windows of one snapshot)
    // names every thread, from its /proc stat.
    assert_eq!(out.matches("\"crowd\" ").count(), 1001, "{out}");
    let peak = peak_rss_kib(&out);
    assert!(peak < 64 * 1024, "server peak RSS {peak} KiB:\n{out}");
    server.expect_exit(Duration::from_secs(20));
    // Detached, it runs on untraced.
    assert_eq!(
        proc_status(child.id() as i32, "TracerPid").as_deref(),
        Some("0")
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
