//! The stop path's system calls, counted (not timed, so that the
//! machine's load cannot make a test pass or fail). The server runs under
//! `strace` (not following the inferior, whose tracer the server must be).
//!
//! - Stepping reads no /proc file (thread list, status, maps) per stop: a
//!   session of 200 `stepi` opens, stats and lists no more files than one
//!   of 10. A per-stop read would add hundreds.
//! - A breakpoint hit gdb resumes from (an ignore count: stop, report,
//!   step over, continue) moves registers three times: the general
//!   registers read once at the breakpoint's stop (its PC classifies the
//!   trap, is moved back, and the stop reply's registers come from the
//!   same read), written once (the PC moved back), and read once at the
//!   end of the step over. Reading them again for each use was five.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The server's system calls in `calls` (strace's `-e trace=` set) over one
/// gdb session running `commands` on `prog`, as strace's log lines.
fn server_calls(prog: &Path, calls: &str, commands: &[&str]) -> Vec<String> {
    if Command::new("strace").arg("-V").output().is_err() {
        panic!("strace is needed for this test (scripts/test-all.sh installs it)");
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("strace.log");
    let mut command = Command::new("strace");
    command.args(["-qq", "-e", &format!("trace={calls}"), "-o"]);
    command.arg(&log).arg(server_binary());
    let prog_arg = prog.to_str().unwrap();
    let mut server = Server::start_command(command, &["--once", "127.0.0.1:0", prog_arg]);
    let out = gdb(prog, server.port, commands);
    assert_contains(&out, "Breakpoint 1, ");
    assert!(server.wait_exit(Duration::from_secs(30)).is_some());
    let text = std::fs::read_to_string(&log).unwrap();
    text.lines()
        .filter(|l| !l.starts_with("+++"))
        .map(str::to_string)
        .collect()
}

#[test]
fn stepping_makes_no_file_system_calls_per_stop() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let file_calls = |steps: usize| {
        let stepi = format!("stepi {steps}");
        let calls = "openat,open,statx,newfstatat,stat,getdents64";
        server_calls(&prog, calls, &["break tick", "continue", &stepi, "kill"]).len()
    };
    let few = file_calls(10);
    let many = file_calls(200);
    assert!(
        many <= few + 5,
        "file system calls grow with the steps: {few} for 10 stepi, {many} for 200"
    );
}

#[cfg(target_arch = "x86_64")]
#[test]
fn a_breakpoint_hit_moves_registers_three_times() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let register_calls = |hits: usize| {
        let ignore = format!("ignore 1 {hits}");
        let commands = ["break tick", "continue", &ignore, "continue", "kill"];
        let lines = server_calls(&prog, "ptrace", &commands);
        let moves = |request: &str| lines.iter().filter(|l| l.contains(request)).count();
        let total = moves("PTRACE_GETREGS,") + moves("PTRACE_SETREGS,");
        let whole_file = moves("PTRACE_GETREGSET,") + moves("PTRACE_GETFPREGS,");
        (total, whole_file)
    };
    let (few, few_whole) = register_calls(10);
    let (many, many_whole) = register_calls(110);
    let per_hit = (many - few) as f64 / 100.0;
    assert!(
        per_hit <= 3.05,
        "{per_hit} general register calls per breakpoint hit ({few} for 10 hits, {many} for 110)"
    );
    assert!(
        many_whole <= few_whole + 2,
        "the vector registers are read per hit: {few_whole} for 10 hits, {many_whole} for 110"
    );
}
