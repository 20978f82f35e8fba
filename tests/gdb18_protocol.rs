//! The packets gdb 15-18 added, through gdb 18 (scripts/setup-gdb18.sh):
//! `QThreadOptions` (a thread's exit and clones reported while gdb steps
//! it over a breakpoint on the exit or clone system call), `qExecAndArgs`
//! (`show args` and the program after connecting), and what our
//! `qSupported` reply offers. Each test reads gdb's `set debug remote 1`
//! log for the packet and our reply, and what gdb made of it.
#![cfg(target_arch = "x86_64")]

mod common;

use common::*;
use std::path::Path;

/// gdb 18 with the remote log on, `target extended-remote` to `port`.
fn gdb18_session(prog: Option<&Path>, port: u16, commands: &[&str]) -> String {
    let connect = format!("target extended-remote 127.0.0.1:{port}");
    let mut all = vec!["set debug remote 1"];
    all.extend_from_slice(commands);
    // The log goes on before connecting, for the handshake's packets.
    let mut command_list: Vec<&str> = all[..1].to_vec();
    command_list.push(&connect);
    command_list.extend_from_slice(&all[1..]);
    gdb_binary_connect(&gdb18(), prog, "", &command_list)
}

/// gdb 18 running `commands` on exit_insn (tests/programs), launched
/// by the server.
fn exit_insn_session(commands: &[&str]) -> String {
    let (_dir, prog) = compile_in_tempdir("exit_insn");
    let server = Server::launch(&prog, &[]);
    gdb18_session(Some(&prog), server.port, commands)
}

/// The number of times `needle` occurs in `text`.
fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[test]
fn gdb18_hears_of_each_thread_exit_it_steps_over() {
    let out = exit_insn_session(&["break exit_insn", "continue", "continue", "continue"]);
    assert_contains(&out, "QThreadOptions=3");
    // Stepping each worker over the exit syscall: the EXIT (and CLONE)
    // option for it alone, then its exit as a `w` reply.
    assert!(
        count(&out, "Sending packet: $QThreadOptions;0;3:p") >= 2,
        "{out}"
    );
    assert_eq!(count(&out, "Packet received: w0;p"), 2, "{out}");
    assert_eq!(count(&out, " exited]"), 2, "{out}");
    assert_contains(&out, "exited normally]");
    // The options did it: gdb did not fall back to every thread's events.
    assert!(!out.contains("QThreadEvents:1"), "{out}");
}

/// gdb's Python: a breakpoint on the first `syscall` instruction from the
/// current pc (in `clone3`, the one that makes the thread).
const BREAK_AT_SYSCALL: &str = "python \
    [gdb.execute('break *%d' % i['addr']) for i in \
    [next(i for i in gdb.selected_frame().architecture().disassemble(\
    gdb.selected_frame().pc(), count=80) if i['asm'].startswith('syscall'))]]";

#[test]
fn gdb18_hears_of_the_clone_it_steps_over() {
    let out = exit_insn_session(&[
        "set breakpoint pending on",
        "break main",
        "continue",
        "break clone3",
        "continue",
        BREAK_AT_SYSCALL,
        "delete 2",
        // The first thread's clone3: stepped over, clone reported.
        "continue",
        // The second's: then nothing stops the program.
        "continue",
        "delete",
        "continue",
    ]);
    assert_contains(&out, "Sending packet: $QThreadOptions;0;3:p");
    // The clone, with the new thread's id, as GNU gdbserver 18.1 sends it.
    assert!(
        out.lines()
            .any(|l| l.contains("Packet received: T05") && l.contains(";clone:p")),
        "{out}"
    );
    assert_contains(&out, "exited normally]");
    // Both threads made at the breakpoint, the first stepped over it.
    assert_eq!(count(&out, "Breakpoint 3, clone3 ()"), 2, "{out}");
}

#[test]
fn qexecandargs_gives_gdb18_the_program_and_its_arguments() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let server = Server::launch(&prog, &["a", "b c"]);
    let out = gdb18_session(None, server.port, &["show args", "info inferiors", "kill"]);
    let mut want = b"S;".to_vec();
    want.extend(
        prog.to_str()
            .unwrap()
            .bytes()
            .flat_map(|b| format!("{b:02x}").into_bytes()),
    );
    let want = String::from_utf8(want).unwrap() + ";6120625c2063;";
    assert_contains(&out, &format!("Packet received: {want}"));
    assert_contains(&out, r#"started is "a b\ c"."#);
    assert_contains(&out, prog.to_str().unwrap());
}

#[test]
fn qexecandargs_follows_what_gdb18_runs() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let server = Server::launch_multi();
    let prog_s = prog.to_str().unwrap();
    let exec_file = format!("set remote exec-file {prog_s}");
    let out = gdb18_session(
        Some(&prog),
        server.port,
        &[
            "show args",
            &exec_file,
            "set args x 'y z'",
            "break main",
            "run",
            "maint packet qExecAndArgs",
            "kill",
            "monitor exit",
        ],
    );
    // Nothing run yet: `U`, and gdb keeps its own (empty) arguments.
    assert_contains(&out, "qExecAndArgs#96\n  [remote] Packet received: U\n");
    assert_contains(&out, "7820795c207a;\"");
    // Our qSupported reply offers no memory tagging (x86_64 has none).
    let supported = out
        .lines()
        .find(|l| l.contains("Packet received: PacketSize="))
        .unwrap_or_else(|| panic!("no qSupported reply in:\n{out}"));
    assert!(!supported.contains("memory-tagging"), "{supported}");
}
