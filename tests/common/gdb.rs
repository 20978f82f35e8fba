//! Driving stock gdb in batch mode against the server, and reading what it
//! printed.

use super::run_with_timeout;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

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
