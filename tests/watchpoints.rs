//! Hardware watchpoints and breakpoints through the x86 debug registers:
//! `watch`, `rwatch`, `awatch`, `hbreak`, regions wider than one slot,
//! threads created after the watchpoint, running out of slots, software
//! fallback, and a detached process left without debug registers.

mod common;

use common::*;
use std::time::Duration;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    compile_in_tempdir("watch")
}

#[test]
fn watch_rwatch_awatch_and_hbreak() {
    let (_dir, prog) = setup();
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break main",
            "continue",
            "watch counter",
            "continue",
            "continue",
            "delete 2",
            "rwatch read_me",
            "continue",
            "delete 3",
            "awatch wide_value",
            "continue",
            "delete 4",
            "watch block",
            "continue",
            "delete 5",
            "hbreak hw_target",
            "continue",
            "bt 1",
            "delete",
            "continue",
        ],
    );
    assert_contains(&out, "Hardware watchpoint 2: counter");
    assert_contains(&out, "Old value = 0\nNew value = 1");
    assert_contains(&out, "Old value = 1\nNew value = 2");
    assert_contains(&out, "Hardware read watchpoint 3: read_me\n\nValue = 7");
    assert_contains(
        &out,
        "Hardware access (read/write) watchpoint 4: wide_value",
    );
    assert_contains(&out, "New value = 5");
    // 16 bytes take two debug registers; the write to block[12] is caught.
    assert_contains(&out, "Hardware watchpoint 5: block");
    assert_contains(&out, r#"<repeats 12 times>, "\001\000\000""#);
    assert_contains(&out, "Hardware assisted breakpoint 6 at");
    assert_contains(&out, "#0  hw_target ()");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "done 100");
}

#[test]
fn watchpoint_fires_in_a_thread_created_later() {
    let (_dir, prog) = setup();
    let server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break main",
            "continue",
            "break worker",
            "continue",
            "watch counter",
            "continue",
            "bt 1",
            "info threads",
        ],
    );
    assert_contains(&out, "Old value = 2\nNew value = 100");
    assert_contains(&out, "#0  worker (");
}

#[test]
fn running_out_of_debug_registers_is_an_error_gdb_understands() {
    let (_dir, prog) = setup();
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break main",
            "continue",
            "watch a1",
            "watch a2",
            "watch a3",
            "watch a4",
            "watch a5",
            "continue",
            "delete 6",
            "continue",
            "delete",
            "set can-use-hw-watchpoints 0",
            "watch a5",
            "continue",
            "delete",
            "continue",
        ],
    );
    assert_contains(&out, "Could not insert hardware watchpoint 6.");
    assert_contains(&out, "Hardware watchpoint 2: a1");
    // Software fallback, single-stepping.
    assert_contains(&out, "Watchpoint 7: a5");
    assert_contains(&out, "Old value = 0\nNew value = 1");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}

#[test]
fn detach_clears_the_debug_registers() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut child = spawn_loop(&prog);
    let pid = child.id() as i32;
    let server = Server::attach(pid as u32);
    let out = gdb(
        &prog,
        server.port,
        &["watch ticks", "continue", "continue", "detach"],
    );
    assert_contains(&out, "Hardware watchpoint 1: ticks");
    assert_eq!(out.matches("New value =").count(), 2, "{out}");
    // `ticks` changes every millisecond: a debug register left armed would
    // kill the untraced process with SIGTRAP.
    std::thread::sleep(Duration::from_millis(500));
    assert!(pid_alive(pid), "the program died after detach");
    assert_eq!(proc_status(pid, "TracerPid").as_deref(), Some("0"));
    child.kill().unwrap();
    child.wait().unwrap();
}
