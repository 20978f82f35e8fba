//! lldb (`lldb-16`) against rgdbserver: a launched program's shared
//! libraries (`image list` needs `qShlibInfoAddr`, since lldb misreads the
//! `main-lm` gdb wants), breakpoints, backtraces into libc, registers,
//! memory, kill and detach; an attached program left running untraced; and
//! lldb's information packets spoken raw. Each session's claims are checked
//! against the target's real state where there is one (the process gone,
//! its output, /proc).

mod common;

use common::lldb::lldb_session;
use common::rsp::{show, Client};
use common::*;
use std::time::Duration;

/// The value of `key` in a `key:value;` reply.
fn field<'a>(reply: &'a str, key: &str) -> Option<&'a str> {
    reply
        .split(';')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix(':'))
}

fn unhex(text: &str) -> String {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn image_list_backtrace_registers_memory_and_kill() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let mut server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let out = lldb_session(
        &prog,
        server.port,
        &[
            "breakpoint set -n c",
            "continue",
            "image list",
            "bt",
            "register read pc",
            "expression -f x -- &counter",
            "memory read -s4 -fx -c1 &counter",
            "process kill",
        ],
    );
    // The libraries come from the dynamic linker's list: without a right
    // qShlibInfoAddr lldb listed the program alone.
    assert_contains(&out, "libc.so.6");
    assert_contains(&out, "ld-linux");
    assert!(
        !out.contains("failed to set breakpoint site"),
        "lldb could not plant its library breakpoint:\n{out}"
    );
    // Stopped in c(), called from main(), called from libc.
    assert_contains(&out, "stop reason = breakpoint 1.1");
    assert_contains(&out, "frame #0: ");
    assert_contains(&out, "abc`c");
    assert_contains(&out, "abc`main");
    assert_contains(&out, "libc.so.6`__libc_start");
    let pc_name = if cfg!(target_arch = "x86_64") {
        "rip = 0x"
    } else {
        "pc = 0x"
    };
    let pc_line = out
        .lines()
        .find(|l| l.trim_start().starts_with(pc_name))
        .unwrap_or_else(|| panic!("no pc in:\n{out}"));
    assert_contains(pc_line, "abc`c");
    // b() ran before c(): counter is 1, as lldb reads it at the address it
    // computed from the program's load address.
    let memory_line = out
        .lines()
        .find(|l| l.starts_with("0x") && l.contains(": 0x"))
        .unwrap_or_else(|| panic!("no memory read in:\n{out}"));
    assert!(memory_line.ends_with(": 0x00000001"), "{memory_line}");
    let hex = |t: &str| u64::from_str_radix(t.trim().trim_start_matches("0x"), 16).unwrap();
    let read_at = hex(memory_line.split(':').next().unwrap());
    let expression = out
        .lines()
        .find_map(|l| l.strip_prefix("(int *) $0 = "))
        .unwrap_or_else(|| panic!("no &counter in:\n{out}"));
    assert_eq!(hex(expression), read_at);
    // Killed for real: the process is gone and the server, serving once, ends.
    assert_contains(&out, "exited with status");
    server.expect_exit(Duration::from_secs(20));
    assert!(
        wait_until(Duration::from_secs(10), || !pid_alive(pid)),
        "{pid} still alive"
    );
}

#[test]
fn detach_lets_the_program_finish() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let mut server = Server::launch(&prog, &[]);
    let out = lldb_session(
        &prog,
        server.port,
        &["breakpoint set -n a", "continue", "bt", "process detach"],
    );
    assert_contains(&out, "abc`a");
    assert_contains(&out, "abc`b");
    assert_contains(&out, "Process ");
    assert_contains(&out, " detached");
    // Breakpoints gone, program resumed: it runs to its end on its own
    // (a breakpoint left planted would kill it with SIGTRAP first).
    server.expect_exit(Duration::from_secs(20));
    assert!(
        wait_until(Duration::from_secs(10), || server
            .stdout()
            .contains("counter 3")),
        "program output: {:?}\nlldb:\n{out}",
        server.stdout()
    );
}

#[test]
fn attach_and_detach_leave_the_program_running() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut child = spawn_loop(&prog);
    let pid = child.id() as i32;
    let _kill = KillOnDrop(pid);
    let mut server = Server::attach(child.id());
    let out = lldb_session(
        &prog,
        server.port,
        &["image list", "bt", "register read", "process detach"],
    );
    assert_contains(&out, "libc.so.6");
    assert_contains(&out, "loop`main");
    assert_contains(&out, " detached");
    server.expect_exit(Duration::from_secs(20));
    // Untraced and running: no tracer, never in tracing stop (`t`), and
    // still sleeping and waking in its loop (its context switches go on).
    assert_eq!(proc_status(pid, "TracerPid").as_deref(), Some("0"));
    let switches = || {
        proc_status(pid, "voluntary_ctxt_switches")
            .and_then(|n| n.parse::<u64>().ok())
            .expect("the program is alive")
    };
    let before = switches();
    assert!(
        wait_until(Duration::from_secs(10), || switches() > before + 10),
        "the program does not run"
    );
    let state = proc_status(pid, "State").unwrap();
    assert!(!state.starts_with('t'), "{state}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn information_packets_spoken_raw() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let mut c = Client::connect(server.port);
    c.request(b"qSupported:multiprocess+");
    c.request(b"?");

    let host = String::from_utf8(c.request(b"qHostInfo")).unwrap();
    let triple = unhex(field(&host, "triple").expect("triple"));
    assert!(triple.starts_with(std::env::consts::ARCH), "{triple}");
    assert!(triple.contains("-linux-"), "{triple}");
    let ptrsize = std::mem::size_of::<usize>().to_string();
    assert_eq!(field(&host, "ptrsize"), Some(ptrsize.as_str()));
    let endian = if cfg!(target_endian = "big") {
        "big"
    } else {
        "little"
    };
    assert_eq!(field(&host, "endian"), Some(endian));
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(unhex(field(&host, "hostname").unwrap()), hostname.trim());

    // The process and its parent, the server.
    let info = String::from_utf8(c.request(b"qProcessInfo")).unwrap();
    assert_eq!(field(&info, "pid"), Some(format!("{pid:x}").as_str()));
    let parent = proc_status(pid, "PPid").unwrap();
    let parent = format!("{:x}", parent.parse::<u32>().unwrap());
    assert_eq!(field(&info, "parent-pid"), Some(parent.as_str()));
    assert_eq!(unhex(field(&info, "triple").unwrap()), triple);

    // qShlibInfoAddr: a word in the program's own writable mapping (its
    // dynamic section), 0 until ld.so has run: lldb reads r_debug's
    // address there.
    let addr = String::from_utf8(c.request(b"qShlibInfoAddr")).unwrap();
    let addr = u64::from_str_radix(&addr, 16).unwrap_or_else(|_| panic!("{addr}"));
    let region =
        String::from_utf8(c.request(format!("qMemoryRegionInfo:{addr:x}").as_bytes())).unwrap();
    assert_eq!(
        unhex(field(&region, "name").unwrap()),
        prog.to_str().unwrap(),
        "{region}"
    );
    let start = u64::from_str_radix(field(&region, "start").unwrap(), 16).unwrap();
    let size = u64::from_str_radix(field(&region, "size").unwrap(), 16).unwrap();
    assert!(start <= addr && addr < start + size, "{region}");
    assert!(field(&region, "permissions").unwrap().contains('r'));
    let word = std::mem::size_of::<usize>();
    assert_eq!(read_proc_mem(pid, addr, word), vec![0; word]);

    // Page 0 is a gap: no permissions, up to the first mapping.
    let gap = String::from_utf8(c.request(b"qMemoryRegionInfo:0")).unwrap();
    assert_eq!(field(&gap, "start"), Some("0"), "{gap}");
    assert_eq!(field(&gap, "permissions"), None, "{gap}");
    assert_eq!(c.request(b"qMemoryRegionInfo:zz"), b"E01");

    // Error strings: off, a bare code; on, the code and its text.
    assert_eq!(c.request(b"m0,4"), b"E01");
    assert_eq!(c.request(b"QEnableErrorStrings"), b"OK");
    let error = c.request(b"m0,4");
    assert!(error.starts_with(b"E01;"), "{}", show(&error));
    let text = unhex(std::str::from_utf8(&error[4..]).unwrap());
    assert!(!text.is_empty());
}
