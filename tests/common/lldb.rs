//! Driving stock lldb (`lldb-16`, which scripts/test-all.sh installs) in
//! batch mode against the server, and reading what it printed.

use super::run_with_timeout;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The lldb the tests drive.
pub const LLDB: &str = "lldb-16";

/// `lldb-16 -b`: load `prog`, connect with `gdb-remote 127.0.0.1:PORT`, then
/// run `commands`; everything lldb printed.
pub fn lldb_session(prog: &Path, port: u16, commands: &[&str]) -> String {
    assert!(
        Command::new(LLDB).arg("--version").output().is_ok(),
        "no {LLDB}: scripts/test-all.sh installs it (apt-get install lldb-16)"
    );
    let mut command = Command::new(LLDB);
    // No ~/.lldbinit; batch mode: quit after the last command.
    command.args([
        "--no-lldbinit",
        "-b",
        "-o",
        "settings set auto-confirm true",
    ]);
    command
        .arg("-o")
        .arg(format!("file {}", prog.display()))
        .arg("-o")
        .arg(format!("gdb-remote 127.0.0.1:{port}"));
    for c in commands {
        command.arg("-o").arg(c);
    }
    let (status, text) = run_with_timeout(command, Duration::from_secs(90));
    assert!(
        status.is_some(),
        "{LLDB} timed out (is it installed? scripts/test-all.sh installs it):\n{text}"
    );
    text
}
