//! rgdbserver's own command line: help, errors, and the loopback default.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

fn rgdbserver(args: &[&str]) -> (Option<std::process::ExitStatus>, String) {
    let mut command = Command::new(rgdbserver_binary());
    command.args(args);
    run_with_timeout(command, Duration::from_secs(20))
}

#[test]
fn help_and_version() {
    let (status, out) = rgdbserver(&["--help"]);
    assert!(status.unwrap().success());
    assert_contains(&out, "--attach");
    assert_contains(&out, "Examples:");
    assert_contains(&out, "target remote");
    let (status, out) = rgdbserver(&["--version"]);
    assert!(status.unwrap().success());
    assert_contains(&out, env!("CARGO_PKG_VERSION"));
}

#[test]
fn missing_or_unusable_program() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-program");
    let (status, out) = rgdbserver(&["--once", "127.0.0.1:0", missing.to_str().unwrap()]);
    assert!(!status.unwrap().success());
    assert_contains(&out, "no-such-program");
    assert_contains(&out, "No such file");

    let plain = dir.path().join("not-executable");
    std::fs::write(&plain, "data").unwrap();
    let (status, out) = rgdbserver(&["--once", "127.0.0.1:0", plain.to_str().unwrap()]);
    assert!(!status.unwrap().success());
    assert_contains(&out, "not executable");

    // Without a slash the shell looks the name up, as gdbserver does.
    let (status, out) = rgdbserver(&["--once", "127.0.0.1:0", "no-such-program-anywhere"]);
    assert!(!status.unwrap().success());
    assert_contains(&out, "During startup program exited with code 127.");
}

#[test]
fn attach_to_missing_pid() {
    let (status, out) = rgdbserver(&["--once", "--attach", "127.0.0.1:0", "999999999"]);
    assert!(!status.unwrap().success());
    assert_contains(&out, "Cannot attach to process 999999999");
    assert_contains(&out, "No such process");
}

#[test]
fn port_in_use() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let comm = format!("127.0.0.1:{}", busy.local_addr().unwrap().port());
    let (status, out) = rgdbserver(&["--once", &comm, prog.to_str().unwrap()]);
    assert!(!status.unwrap().success());
    assert_contains(&out, "Can't bind address: Address already in use.");
}

#[test]
fn port_only_listens_on_loopback() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let server = Server::start(
        &rgdbserver_binary(),
        &["--once", ":0", prog.to_str().unwrap()],
    );
    assert_contains(&server.stderr(), "0.0.0.0:");
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!("0100007F:{:04X}", server.port);
    assert!(tcp.contains(&local), "no listener on {local}:\n{tcp}");
    let all = format!("00000000:{:04X}", server.port);
    assert!(!tcp.contains(&all));
}

#[test]
fn explicit_all_interfaces() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let server = Server::start(
        &rgdbserver_binary(),
        &["--once", "0.0.0.0:0", prog.to_str().unwrap()],
    );
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap();
    assert!(
        tcp.contains(&format!("00000000:{:04X}", server.port)),
        "{tcp}"
    );
}

#[test]
fn debug_flags_log_to_stderr() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let mut server = Server::start(
        &rgdbserver_binary(),
        &[
            "--once",
            "--debug",
            "--remote-debug",
            "127.0.0.1:0",
            prog.to_str().unwrap(),
        ],
    );
    let out = gdb(&prog, server.port, &["info registers rip", "kill"]);
    assert_contains(&out, "rip");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    let log = server.stderr();
    assert_contains(&log, "getpkt (\"qSupported:");
    assert_contains(&log, "putpkt (\"PacketSize=100000;");
    assert_contains(&log, "session ended: Killed");
}

#[test]
fn selftest_and_stdio_notice() {
    let (status, out) = rgdbserver(&["--selftest"]);
    assert!(status.unwrap().success(), "{out}");
    assert_contains(&out, "unit tests, 0 failed");
    // gdbserver's words for a program that cannot start over stdio.
    let (status, out) = rgdbserver(&["stdio", "non-existing-program"]);
    assert_eq!(status.unwrap().code(), Some(1));
    assert_contains(&out, "stdin/stdout redirected");
    assert_contains(
        &out,
        "During startup program exited with code 127.\nExiting",
    );
}
