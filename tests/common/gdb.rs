//! Driving stock gdb in batch mode against the server, and reading what it
//! printed; and finding a gdb 16+ (gdb 18 from scripts/setup-gdb18.sh) for
//! the tests of packets Debian's gdb 13 never sends.

use super::run_with_timeout;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The gdb the sessions drive: `RGDBSERVER_GDB` (scripts/test-all.sh runs
/// the integration tests once with Debian's gdb 13 and once with gdb 18),
/// else `gdb` on the PATH.
pub fn gdb_path() -> PathBuf {
    std::env::var_os("RGDBSERVER_GDB")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("gdb"))
}

/// The major version of the gdb under test (see `gdb_path`).
pub fn gdb_major() -> u32 {
    let gdb = gdb_path();
    gdb_major_version(&gdb).unwrap_or_else(|| panic!("{} does not run", gdb.display()))
}

/// A `gdb` command for the client under test (see `gdb_path`).
pub fn gdb_command() -> Command {
    Command::new(gdb_path())
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
    gdb_binary_connect(&gdb_path(), prog, connect, commands)
}

/// `GDB -batch -nx` (a gdb of the test's choice), connecting with
/// `connect` (none: the program file alone), then running `commands`.
pub fn gdb_binary_connect(
    gdb: &Path,
    prog: Option<&Path>,
    connect: &str,
    commands: &[&str],
) -> String {
    let mut command = Command::new(gdb);
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
    if !connect.is_empty() {
        command.arg("-ex").arg(connect);
    }
    for c in commands {
        command.arg("-ex").arg(c);
    }
    let (status, text) = run_with_timeout(command, Duration::from_secs(90));
    assert!(status.is_some(), "{} timed out:\n{text}", gdb.display());
    // Which client printed this, for any assertion that quotes it.
    format!("[client: {}]\n{text}", gdb.display())
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

/// The major version of the gdb at `path`, if it runs.
fn gdb_major_version(path: &Path) -> Option<u32> {
    let out = Command::new(path).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.lines().next()?.split_whitespace().last()?;
    version.split('.').next()?.parse().ok()
}

/// A gdb 16 or later: RGDBSERVER_GDB18, else where scripts/setup-gdb18.sh
/// installs it (the target directory's gdb18/), else /tmp/gdb18. There
/// being none fails the test, loudly: a test of what only gdb 16+ sends
/// must not pass without one.
pub fn gdb18() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let candidates: Vec<PathBuf> = std::env::var_os("RGDBSERVER_GDB18")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            target.join("gdb18/bin/gdb"),
            PathBuf::from("/tmp/gdb18/bin/gdb"),
        ])
        .collect();
    if let Some(found) = candidates
        .iter()
        .find(|path| gdb_major_version(path).is_some_and(|v| v >= 16))
    {
        return found.clone();
    }
    panic!(
        "NO GDB 16+ FOUND (tried {candidates:?}): this test needs one. Run \
         scripts/setup-gdb18.sh (scripts/test-all.sh does) or set RGDBSERVER_GDB18."
    );
}
