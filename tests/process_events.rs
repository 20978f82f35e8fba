//! Process events through gdb: fork and vfork (caught, followed to the
//! parent or the child, kept with detach-on-fork off), exec (caught and
//! followed into the new program), and system calls by name and number.

mod common;

use common::*;
use std::time::Duration;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    compile_in_tempdir("forks")
}

fn launch(prog: &std::path::Path, mode: &str) -> Server {
    Server::launch(prog, &[mode])
}

#[test]
fn fork_child_runs_free_of_the_parents_breakpoints() {
    let (_dir, prog) = setup();
    for mode in ["fork", "vfork"] {
        let mut server = launch(&prog, mode);
        let out = gdb(
            &prog,
            server.port,
            &["break in_child", "break after_fork", "continue", "continue"],
        );
        // gdb took the breakpoints out of the child and let it go: it ran
        // in_child without a trap.
        assert_contains(&out, "Breakpoint 2, after_fork");
        assert!(!out.contains("Breakpoint 1, in_child"), "{mode}:\n{out}");
        assert_contains(&out, "exited normally");
        assert!(server.wait_exit(Duration::from_secs(10)).is_some());
        assert_contains(&server.stdout(), "child exited 42");
    }
}

#[test]
fn catch_fork_and_vfork() {
    let (_dir, prog) = setup();
    let mut server = launch(&prog, "fork");
    let out = gdb(&prog, server.port, &["catch fork", "continue", "continue"]);
    assert_contains(&out, "Catchpoint 1 (forked process ");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "child exited 42");

    let mut server = launch(&prog, "vfork");
    let out = gdb(&prog, server.port, &["catch vfork", "continue", "continue"]);
    assert_contains(&out, "Catchpoint 1 (vforked process ");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "child exited 42");
}

#[test]
fn follow_fork_mode_child() {
    let (_dir, prog) = setup();
    let mut server = launch(&prog, "fork");
    let out = gdb(
        &prog,
        server.port,
        &[
            "set follow-fork-mode child",
            "break in_child",
            "continue",
            "bt 1",
            "info inferiors",
            "continue",
        ],
    );
    assert_contains(&out, "Breakpoint 1, in_child");
    assert_contains(&out, "#0  in_child");
    assert_contains(&out, "exited with code 052");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    // The parent was let go: it saw its child finish.
    assert_contains(&server.stdout(), "child exited 42");
}

#[test]
fn detach_on_fork_off_keeps_both_processes() {
    let (_dir, prog) = setup();
    let mut server = launch(&prog, "fork");
    let out = gdb(
        &prog,
        server.port,
        &[
            "set detach-on-fork off",
            "set follow-fork-mode child",
            "break in_child",
            "break after_fork",
            "continue",
            "info inferiors",
            "continue",
            // The parent was held stopped at its fork all along.
            "inferior 1",
            "continue",
            "continue",
        ],
    );
    // With two inferiors gdb numbers locations per inferior.
    assert_contains(&out, "hit Breakpoint 1.2, in_child");
    assert_contains(&out, "* 2    process ");
    assert_contains(&out, "exited with code 052");
    // gdb 13 numbers the location (2.1) while the child's is gone; gdb 18
    // names the breakpoint alone.
    assert!(
        out.contains("hit Breakpoint 2.1, after_fork")
            || out.contains("hit Breakpoint 2, after_fork"),
        "{out}"
    );
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "child exited 42");
}

#[test]
fn catch_exec_and_follow_into_the_new_program() {
    let (_dir, prog) = setup();
    let mut server = launch(&prog, "exec");
    let out = gdb(
        &prog,
        server.port,
        &[
            "catch exec",
            "continue",
            "break exec_marker",
            "continue",
            "bt 1",
            "continue",
        ],
    );
    assert_contains(&out, "process ");
    assert_contains(&out, "is executing new program: ");
    assert_contains(&out, "Catchpoint 1 (exec'd ");
    assert_contains(&out, "Breakpoint 2, exec_marker");
    assert_contains(&out, "exited with code 07");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "after exec");
}

#[test]
fn catch_syscall_by_name_and_number() {
    let (_dir, prog) = setup();
    let mut server = launch(&prog, "fork");
    let out = gdb(
        &prog,
        server.port,
        &[
            "catch syscall write",
            "catch syscall 61",
            "continue",
            "continue",
            "continue",
            "continue",
            "delete",
            "continue",
        ],
    );
    // wait4 (61) is the parent's waitpid; write is its printf.
    assert_contains(&out, "Catchpoint 2 (call to syscall wait4)");
    assert_contains(&out, "Catchpoint 2 (returned from syscall wait4)");
    assert_contains(&out, "Catchpoint 1 (call to syscall write)");
    assert_contains(&out, "Catchpoint 1 (returned from syscall write)");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "child exited 42");
}

#[test]
fn catch_syscall_sees_execve_return_and_calls_entered_before_catching() {
    let (_dir, prog) = setup();
    let mut server = launch(&prog, "exec");
    let out = gdb(
        &prog,
        server.port,
        &[
            "catch syscall execve",
            "continue",
            "continue",
            "delete",
            "continue",
        ],
    );
    assert_contains(&out, "(call to syscall execve)");
    assert_contains(&out, "(returned from syscall execve)");
    assert_contains(&out, "exited with code 07");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());

    // Catching starts while the parent is inside fork (glibc calls clone): its return is
    // still reported, with the number read from the registers.
    let mut server = launch(&prog, "fork");
    let out = gdb(
        &prog,
        server.port,
        &[
            "catch fork",
            "continue",
            "catch syscall",
            "continue",
            "delete",
            "continue",
        ],
    );
    assert_contains(&out, "Catchpoint 1 (forked process");
    assert_contains(&out, "(returned from syscall clone)");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}
