//! lldb (`lldb-16`) against rgdbserver: a launched program's shared
//! libraries (`image list` needs `qShlibInfoAddr`, since lldb misreads the
//! `main-lm` gdb wants), breakpoints, backtraces into libc, registers,
//! memory, kill and detach; an attached program left running untraced; and
//! lldb's information packets spoken raw. Each session's claims are checked
//! against the target's real state where there is one (the process gone,
//! its output, /proc).

mod common;

use common::lldb::lldb_session;
use common::rsp::{rle_decode, show, Client};
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
    // Killed for real: the process is gone and the server, serving once,
    // ends. lldb read the `X09` it waits for (an `OK` was an error to it).
    assert_contains(&out, "exited with status = 9");
    assert!(!out.contains("unexpected response"), "{out}");
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

/// A session as lldb users have it: thread names in `thread list`, vector
/// registers, finish/next/step, memory written, a watchpoint and the exit
/// code.
#[test]
fn threads_steps_watchpoint_memory_write_and_exit_code() {
    let (_dir, prog) = compile_in_tempdir("named");
    let mut server = Server::launch(&prog, &[]);
    let avx = cpu_has("avx");
    let registers = if avx {
        "register read xmm0 ymm0"
    } else {
        "register read xmm0"
    };
    let out = lldb_session(
        &prog,
        server.port,
        &[
            "breakpoint set -n sq",
            "continue",
            "thread list",
            registers,
            "finish",
            "next",
            "breakpoint delete 1",
            "watchpoint set variable result",
            "continue",
            "watchpoint delete 1",
            "memory write -s 4 -f d &counter 4242",
            "memory read -s 4 -f d -c 1 &counter",
            "continue",
        ],
    );
    // Both threads, named as the program named them.
    assert_contains(&out, "name = 'named'");
    assert_contains(&out, "name = 'worker1'");
    assert_contains(&out, "xmm0 = {");
    if avx {
        assert_contains(&out, "ymm0 = {");
    } else {
        eprintln!("this CPU has no AVX: ymm0 not read");
    }
    // finish returned sq(3)'s value; next went to the next line.
    assert_contains(&out, "Return value: (int) $0 = 9");
    assert_contains(&out, "stop reason = step over");
    // The write to `result` stopped the program.
    assert_contains(&out, "stop reason = watchpoint 1");
    assert_contains(&out, "new value: 25");
    // lldb's write went to the target: counter read back, and the
    // worker goes on from it.
    let line = out
        .lines()
        .find(|l| l.starts_with("0x") && l.contains(": "))
        .unwrap_or_else(|| panic!("no memory read in:\n{out}"));
    let value: i64 = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
    assert!((4242..4300).contains(&value), "{line}");
    assert_contains(&out, "exited with status = 7");
    server.expect_exit(Duration::from_secs(20));
    assert_contains(&server.stdout(), "r=25 result=25");
}

/// lldb's thread packets and its `x`, spoken by hand: jThreadsInfo,
/// qThreadStopInfo, QListThreadsInStopReply's keys, and `x` after the
/// `x0,0` probe answering the raw bytes.
#[test]
fn thread_packets_and_lldb_x_spoken_raw() {
    let (_dir, prog) = compile_in_tempdir("named");
    let server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let mut c = Client::connect(server.port);
    c.request(b"qSupported:xmlRegisters=i386");
    c.request(b"?");
    assert_eq!(c.request(b"QListThreadsInStopReply"), b"OK");
    // The stop at exec: one thread, its name and PC listed.
    let stop = String::from_utf8(c.request(b"?")).unwrap();
    assert_contains(
        &stop,
        &format!("thread:{pid:x};name:named;threads:{pid:x};thread-pcs:"),
    );
    let pc_text = stop
        .split("thread-pcs:")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap();
    let pc = u64::from_str_radix(pc_text, 16).unwrap();

    let info = c.request(b"jThreadsInfo");
    let json = String::from_utf8(unescape(&rle_decode(&info))).unwrap();
    assert!(json.starts_with("[{\"name\":\"named\""), "{json}");
    assert_contains(&json, &format!("\"tid\":{pid}}}]"));
    // rip (16) is expedited, in target byte order: the PC listed above.
    let rip = json
        .split("\"16\":\"")
        .nth(1)
        .map(|r| &r[..16])
        .unwrap_or_else(|| panic!("{json}"));
    if cfg!(target_arch = "x86_64") {
        let bytes: Vec<u8> = (0..8)
            .map(|i| u8::from_str_radix(&rip[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(u64::from_le_bytes(bytes.try_into().unwrap()), pc);
    }

    let one = String::from_utf8(c.request(format!("qThreadStopInfo{pid:x}").as_bytes())).unwrap();
    assert!(one.starts_with('T'), "{one}");
    assert_contains(&one, "name:named;");
    assert_eq!(c.request(b"qThreadStopInfo7fffffff"), b"E01");
    assert_eq!(c.request(b"qThreadStopInfozz"), b"E01");

    // lldb's x: `OK` to the probe, then the bytes alone, as in memory.
    assert_eq!(c.request(b"x0,0"), b"OK");
    let raw = c.request(format!("x{pc:x},10").as_bytes());
    assert_eq!(unescape(&rle_decode(&raw)), read_proc_mem(pid, pc, 16));
}

/// Undo the binary escapes of a reply (`}` then the byte ^ 0x20).
fn unescape(reply: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(reply.len());
    let mut bytes = reply.iter();
    while let Some(&b) = bytes.next() {
        out.push(if b == b'}' {
            bytes.next().unwrap() ^ 0x20
        } else {
            b
        });
    }
    out
}
