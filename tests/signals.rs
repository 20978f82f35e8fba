//! gdb's signal handling through the server: `handle ... nostop noprint
//! pass` (QPassSignals) delivers without a stop, `$_siginfo` reads and
//! writes the real siginfo (qXfer:siginfo), `signal` and `queue-signal`
//! deliver what gdb asks.

mod common;

use common::*;
use std::time::Duration;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    compile_in_tempdir("sigpass")
}

#[test]
fn passed_signals_reach_the_program_without_stopping() {
    let (_dir, prog) = setup();
    let mut server = Server::launch_logging_packets(&prog);
    let out = gdb(
        &prog,
        server.port,
        &[
            "handle SIGUSR1 nostop noprint pass",
            "handle SIGUSR2 nostop noprint pass",
            "continue",
        ],
    );
    assert!(!out.contains("SIGUSR1"), "gdb saw SIGUSR1:\n{out}");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "usr1=20 sival=5 sigint=0");
    // Not one stop was reported for them: the server delivered them itself.
    let log = server.stderr();
    assert_contains(&log, "QPassSignals:");
    assert!(
        !log.contains("putpkt (\"T1e"),
        "a SIGUSR1 stop was reported:\n{log}"
    );
}

#[test]
fn nopass_signals_are_not_delivered() {
    let (_dir, prog) = setup();
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "handle SIGUSR1 nostop noprint nopass",
            "handle SIGUSR2 nostop noprint pass",
            "continue",
        ],
    );
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "usr1=0 sival=5");
}

#[test]
fn siginfo_is_read_and_written() {
    let (_dir, prog) = setup();
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "handle SIGUSR1 nostop noprint pass",
            "continue",
            "p $_siginfo.si_signo",
            "p $_siginfo._sifields._rt.si_sigval.sival_int",
            "set var $_siginfo._sifields._rt.si_sigval.sival_int = 42",
            "p $_siginfo._sifields._rt.si_sigval.sival_int",
            "continue",
        ],
    );
    assert_contains(&out, "Program received signal SIGUSR2");
    assert_contains(&out, "$1 = 12");
    assert_contains(&out, "$2 = 5");
    assert_contains(&out, "$3 = 42");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "usr1=20 sival=42");
}

#[test]
fn signal_and_queue_signal_deliver_what_gdb_asks() {
    let (_dir, prog) = setup();
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "handle SIGUSR1 nostop noprint pass",
            "handle SIGUSR2 nostop noprint pass",
            "break checkpoint",
            "continue",
            // The handler runs first, then checkpoint is reached again.
            "signal SIGINT",
            "p sigint_count",
            "queue-signal SIGUSR1",
            "continue",
            "p usr1_count",
            "continue",
        ],
    );
    assert_contains(&out, "$1 = 1");
    assert_contains(&out, "$2 = 21");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "usr1=21 sival=5 sigint=1");
}

/// A fault gdb said to pass, raised at a breakpoint gdb planted in memory
/// that cannot be executed (as its dummy frame on the stack is), is still
/// reported: gdb takes it for the breakpoint's hit, as with GNU gdbserver.
/// Were it passed, the program's own handler would run instead.
#[cfg(target_arch = "x86_64")]
#[test]
fn a_passed_fault_at_a_breakpoint_is_reported_as_its_hit() {
    let (_dir, prog) = compile_in_tempdir("datatrap");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break ready",
            "continue",
            "break *(char *)page",
            "handle SIGSEGV nostop noprint pass",
            "continue",
            "print $pc == (long)page",
            "print faults",
            "kill",
        ],
    );
    assert_contains(&out, "Breakpoint 2, 0x");
    assert_contains(&out, "$1 = 1");
    assert_contains(&out, "$2 = 0");
    assert!(
        !out.contains("exited"),
        "the fault went to the program:\n{out}"
    );
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}

/// The same fault with no breakpoint there goes straight to the program's
/// handler.
#[cfg(target_arch = "x86_64")]
#[test]
fn a_passed_fault_elsewhere_goes_to_the_program() {
    let (_dir, prog) = compile_in_tempdir("datatrap");
    let mut server = Server::launch_logging_packets(&prog);
    let out = gdb(
        &prog,
        server.port,
        &[
            "handle SIGSEGV nostop noprint pass",
            "break ready",
            "continue",
            "continue",
        ],
    );
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "faults=1");
    let log = server.stderr();
    assert!(
        !log.contains("putpkt (\"T0b"),
        "a SIGSEGV stop was reported:\n{log}"
    );
}
