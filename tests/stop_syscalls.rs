//! The stop path costs no file system calls: stepping reads no /proc file
//! (thread list, status, maps) per stop. The server runs under `strace`
//! (file system calls only, not following the inferior, whose tracer the
//! server must be); a session of 200 `stepi` must open, stat and list no
//! more files than one of 10. A per-stop read would add hundreds.
//! Counts, not times, so the machine's load cannot make it pass or fail.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The file system calls the server made in one session of `steps` stepi.
fn file_calls_for(prog: &Path, steps: usize) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("strace.log");
    let mut command = Command::new("strace");
    command.args([
        "-qq",
        "-e",
        "trace=openat,open,statx,newfstatat,stat,getdents64",
        "-o",
    ]);
    command.arg(&log).arg(server_binary());
    let prog_arg = prog.to_str().unwrap();
    let mut server = Server::start_command(command, &["--once", "127.0.0.1:0", prog_arg]);
    let stepi = format!("stepi {steps}");
    let out = gdb(
        prog,
        server.port,
        &["break tick", "continue", &stepi, "kill"],
    );
    assert_contains(&out, "Breakpoint 1, ");
    assert!(server.wait_exit(Duration::from_secs(30)).is_some());
    let text = std::fs::read_to_string(&log).unwrap();
    text.lines().filter(|l| !l.starts_with("+++")).count()
}

#[test]
fn stepping_makes_no_file_system_calls_per_stop() {
    if Command::new("strace").arg("-V").output().is_err() {
        panic!("strace is needed for this test (scripts/test-all.sh installs it)");
    }
    let (_dir, prog) = compile_in_tempdir("loop");
    let few = file_calls_for(&prog, 10);
    let many = file_calls_for(&prog, 200);
    assert!(
        many <= few + 5,
        "file system calls grow with the steps: {few} for 10 stepi, {many} for 200"
    );
}
