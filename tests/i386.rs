//! 32-bit (i386) programs debugged on the x86_64 server, as GNU
//! gdbserver's x86_64 build debugs them: the i386 target description and
//! register file, breakpoints and backtraces, register and variable
//! writes the program then sees, a watchpoint, a signal, the exit code,
//! shared libraries of a dynamic program, attach/detach, an exec from a
//! 64-bit program, `__thread` variables in two threads, a server-written
//! core, and lldb. Where GNU gdbserver 13.1 (`/usr/bin/gdbserver`) can
//! show the same, the test compares with it. The programs
//! are built with the i686 cross compiler (scripts/test-all.sh installs
//! gcc-i686-linux-gnu); without it the tests fail, saying so.

#![cfg(target_arch = "x86_64")]

mod common;

use common::*;
use std::path::Path;
use std::time::Duration;

/// gdb's session against `prog` under `server` (`Server::launch` or GNU
/// gdbserver started the same way) to its end: what gdb printed and what
/// the program printed.
fn session(server: &Path, prog: &Path, commands: &[&str]) -> (String, String) {
    let mut server = Server::start(server, &["--once", "127.0.0.1:0", prog.to_str().unwrap()]);
    let out = gdb(prog, server.port, commands);
    server.expect_exit(Duration::from_secs(30));
    (out, server.stdout())
}

/// The value gdb shows on the `info registers` line of `reg`.
fn register_line(out: &str, reg: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.split_whitespace().next() == Some(reg))
        .unwrap_or_else(|| panic!("no {reg} line in:\n{out}"));
    hex_after(line, reg)
}

/// Break, backtrace, registers, a register and a variable written, a
/// watchpoint, a signal and the exit code, on one program.
fn full_session(prog: &Path) {
    let (out, stdout) = session(
        &server_binary(),
        prog,
        &[
            "show architecture",
            "break add",
            "continue",
            "bt",
            "info registers",
            "p/x $pc",
            "p sizeof(void *)",
            // add returns a + b + counter: 2 + 3 + 40.
            "set var counter = 40",
            "finish",
            // ...and main keeps what eax says it returned.
            "set $eax = 100",
            "watch watched",
            "continue",
            "continue",
            "continue",
        ],
    );
    assert_contains(
        &out,
        "The target architecture is set to \"auto\" (currently \"i386\")",
    );
    assert_contains(&out, "Breakpoint 1, add (a=2, b=3)");
    assert_contains(&out, "in main (argc=1, argv=");
    for reg in [
        "eax", "ecx", "edx", "ebx", "esi", "edi", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
    ] {
        register_line(&out, reg);
    }
    let (esp, ebp, eip) = (
        register_line(&out, "esp"),
        register_line(&out, "ebp"),
        register_line(&out, "eip"),
    );
    assert!(esp >> 32 == 0 && esp > 0x1000, "esp {esp:#x}");
    assert!(ebp >= esp, "ebp {ebp:#x} below esp {esp:#x}");
    assert_eq!(register_line(&out, "cs"), 0x23, "a 32-bit code segment");
    assert_contains(&out, &format!("$1 = {eip:#x}"));
    assert_contains(&out, "$2 = 4");
    assert_contains(&out, "Value returned is $3 = 45");
    assert_contains(&out, "Hardware watchpoint 2: watched");
    assert_contains(&out, "Old value = 0\nNew value = 200");
    assert_contains(
        &out,
        "Program received signal SIGUSR1, User defined signal 1.",
    );
    // counter 40 is exit code 050 in gdb's octal.
    assert_contains(&out, "exited with code 050]");
    assert_contains(&stdout, "r=100 counter=40 signal=10");
}

#[test]
fn static_program_session() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-static", I386Linkage::Static);
    full_session(&prog);
}

#[test]
fn dynamic_program_session() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-dynamic", I386Linkage::Dynamic);
    full_session(&prog);
}

/// The shared libraries of a dynamic 32-bit program (from the server's
/// 32-bit link_map walk), and a backtrace out of a signal handler through
/// libc's raise.
#[test]
fn dynamic_program_libraries_and_backtrace_through_libc() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-dynamic", I386Linkage::Dynamic);
    let (out, _) = session(
        &server_binary(),
        &prog,
        &[
            "break on_usr1",
            "continue",
            "info sharedlibrary",
            "maint packet qXfer:libraries-svr4:read::0,fff",
            "continue",
            "bt",
            "continue",
        ],
    );
    let libs = |name: &str| {
        out.lines()
            .any(|l| l.starts_with("0x") && l.ends_with(&format!("{I386_LIBS}/{name}")))
    };
    assert!(libs("ld-linux.so.2") && libs("libc.so.6"), "{out}");
    // The server's own list (gdb would read link_map itself without it).
    assert_contains(
        &out,
        &format!("<library name=\"{I386_LIBS}/libc.so.6\" lm=\"0x"),
    );
    assert_contains(&out, "Breakpoint 1, on_usr1 (sig=10)");
    assert_contains(&out, "<signal handler called>");
    assert!(
        out.lines()
            .any(|l| l.contains(" in ")
                && l.contains("from target:/usr/i686-linux-gnu/lib/libc.so.6")),
        "no libc frame:\n{out}"
    );
    assert_contains(&out, "in main (argc=1, argv=");
}

/// gdb's view of the registers (numbers, sizes, `g` offsets, and with gdb
/// 18 which ones the stop reply expedited) is GNU gdbserver's for the same
/// program.
#[test]
fn register_layout_is_gnu_gdbservers() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-static", I386Linkage::Static);
    let commands = ["maint print remote-registers", "kill"];
    let (ours, _) = session(&server_binary(), &prog, &commands);
    let (theirs, _) = session(Path::new("/usr/bin/gdbserver"), &prog, &commands);
    let table = |out: &str| -> Vec<String> {
        out.lines()
            .skip_while(|l| !l.trim_start().starts_with("Name"))
            .take_while(|l| !l.starts_with('['))
            // gdb's warnings go to stderr and may land among the rows.
            // (gdb 18's table also says which registers were expedited.)
            .filter(|l| !l.starts_with("warning: "))
            .map(str::to_string)
            .collect()
    };
    assert!(table(&theirs).len() > 42, "{theirs}");
    assert_eq!(table(&ours), table(&theirs));
}

/// Attach to a running 32-bit program, read its registers, change a
/// variable, detach: it runs on and sees the change.
#[test]
fn attach_and_detach() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-static", I386Linkage::Static);
    let mut child = std::process::Command::new(&prog)
        .arg("loop")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = KillOnDrop(child.id() as i32);
    std::thread::sleep(Duration::from_millis(200));
    let mut server = Server::attach(child.id());
    let out = gdb(
        &prog,
        server.port,
        &[
            "info registers eip esp",
            "set var keep_looping = 0",
            "detach",
        ],
    );
    server.expect_exit(Duration::from_secs(20));
    let eip = register_line(&out, "eip");
    assert!(eip >> 32 == 0 && eip != 0, "eip {eip:#x}\n{out}");
    assert_contains(&out, "detached]");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(7), "{out}");
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert_contains(&stdout, "left the loop");
}

/// `__thread` variables of a dynamic 32-bit program, in the main thread
/// and in a second one: the server finds each thread's pointer in the GDT
/// entry its gs selects (`qGetTLSAddr`); the values and addresses are GNU
/// gdbserver's.
#[test]
fn thread_local_variables_in_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "tls", "tls-i386", I386Linkage::Dynamic);
    let commands = [
        "break checkpoint",
        "continue",
        "p mine",
        "p &mine",
        "continue",
        "p mine",
        "p tag",
        "kill",
    ];
    let (ours, _) = session(&server_binary(), &prog, &commands);
    let (theirs, _) = session(Path::new("/usr/bin/gdbserver"), &prog, &commands);
    let values = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with('$'))
            // Which worker stops first is a race.
            .filter(|l| !l.starts_with("$3 = "))
            .map(str::to_string)
            .collect()
    };
    assert_contains(&ours, "$1 = 7");
    assert!(ours.contains("$3 = 1") || ours.contains("$3 = 2"), "{ours}");
    assert_contains(&ours, "$4 = \"wain");
    assert_eq!(values(&ours), values(&theirs));
}

/// A 64-bit program that execs a 32-bit one: after the exec the server
/// shows the i386 registers (and the `exec` stop reply carries them in
/// the new size, after `exec:` as gdbserver puts it).
#[test]
fn exec_from_64_bit_into_32_bit() {
    let dir = tempfile::tempdir().unwrap();
    let launcher = compile(dir.path(), "exec_into");
    let prog = compile_i386(dir.path(), "i386", "i386-static", I386Linkage::Static);
    let mut server = Server::launch(&launcher, &[prog.to_str().unwrap()]);
    let out = gdb(
        &launcher,
        server.port,
        &[
            "set breakpoint pending on",
            "break add",
            "continue",
            "info registers eip cs",
            "p sizeof(void *)",
            "continue",
            "continue",
        ],
    );
    server.expect_exit(Duration::from_secs(30));
    assert_contains(&out, "is executing new program:");
    assert_contains(&out, "Breakpoint 1, add (a=2, b=3)");
    assert_eq!(register_line(&out, "cs"), 0x23, "{out}");
    assert!(register_line(&out, "eip") >> 32 == 0, "{out}");
    assert_contains(&out, "$1 = 4");
    assert_contains(&out, "Program received signal SIGUSR1");
    assert_contains(&out, "exited with code 01]");
    assert!(!out.contains("Invalid hex digit"), "{out}");
}

/// lldb on a 32-bit program: qProcessInfo names it i386 with 4-byte
/// pointers, and lldb breaks, unwinds and reads eip from the i386
/// description.
#[test]
fn lldb_on_a_32_bit_program() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-static", I386Linkage::Static);
    let mut server = Server::launch_logging_packets(&prog);
    let out = common::lldb::lldb_session(
        &prog,
        server.port,
        &[
            "b add",
            "c",
            "bt",
            "register read eip esp",
            "p counter",
            "kill",
        ],
    );
    server.expect_exit(Duration::from_secs(30));
    assert_contains(&out, "stop reason = breakpoint 1.1");
    assert_contains(&out, "`add(a=2, b=3)");
    assert_contains(&out, "`main(argc=1,");
    assert_contains(&out, "eip = 0x");
    assert_contains(&out, "$0 = 1");
    // triple i386-pc-linux-gnu (hex) and ptrsize 4 in qProcessInfo.
    assert_contains(
        &server.stderr(),
        "triple:693338362d70632d6c696e75782d676e75;",
    );
    assert_contains(&server.stderr(), "ptrsize:4;");
}

/// `monitor gcore` of a 32-bit program stopped by SIGSEGV: an ELF32
/// i386 core that gdb reads back as it reads its own `gcore` of the same
/// stop (registers, x87 and SSE state, libraries, variables), with the
/// fault address in the compat siginfo. (The AVX registers are left out
/// of the comparison: on an AMX CPU gdb 18 shows none from a core whose
/// XSAVE note has the kernel's size, ours as the kernel's own; see the
/// user guide.)
#[test]
fn server_core_of_a_32_bit_program() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-dynamic", I386Linkage::Dynamic);
    let ours = dir.path().join("server.core");
    let theirs = dir.path().join("gdb.core");
    let mut server = Server::launch(&prog, &["crash"]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "continue",
            &format!("monitor gcore {}", ours.display()),
            &format!("gcore {}", theirs.display()),
            "kill",
        ],
    );
    server.expect_exit(Duration::from_secs(30));
    assert_contains(&out, "Program received signal SIGSEGV");
    assert_contains(&out, "Saved corefile");
    let read_core = |core: &Path| {
        let text = gdb_binary_connect(
            &gdb_path(),
            Some(&prog),
            &format!("core {}", core.display()),
            &[
                "bt",
                "info registers eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs",
                "info registers float",
                "p/x $xmm1.uint128",
                "p/x $xmm2.uint128",
                "p $mxcsr",
                "p $_siginfo.si_signo",
                "info sharedlibrary",
                "p counter",
            ],
        );
        // From the backtrace on, without gdb's loading chatter, nor its
        // warning about the XSAVE note's size on an AMX CPU (on stderr, so
        // anywhere in the text; the user guide tells of it).
        text.lines()
            .skip_while(|l| !l.starts_with("#0"))
            .filter(|l| !l.starts_with("warning: Unexpected size of section `.reg-xstate"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (a, b) = (read_core(&ours), read_core(&theirs));
    assert!(a.len() > 40, "{a:#?}");
    assert_eq!(a, b);
    assert!(a.iter().any(|l| l.starts_with("eip ")), "{a:#?}");
    assert!(a.iter().any(|l| l.starts_with("fctrl ")), "{a:#?}");
    assert!(a.iter().any(|l| l == "$4 = 11"), "{a:#?}");
    // gdb's own core leaves si_addr 0; the kernel's (and ours) has it.
    let addr = gdb_binary_connect(
        &gdb_path(),
        Some(&prog),
        &format!("core {}", ours.display()),
        &["p $_siginfo._sifields._sigfault.si_addr"],
    );
    assert_contains(&addr, "(void *) 0x1234");
}

/// `catch syscall write` stops a 32-bit program at i386's write (4, which
/// is stat's number on x86_64), as under GNU gdbserver; the SIGUSR1 before
/// it comes from i386's tgkill (270).
#[test]
fn catch_syscall_by_i386_number() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-static", I386Linkage::Static);
    let commands = [
        "catch syscall write",
        "continue",
        "p $orig_eax",
        "continue",
        "p $orig_eax",
        "continue",
        "p $eax > 0",
        "kill",
    ];
    let (ours, _) = session(&server_binary(), &prog, &commands);
    let (theirs, _) = session(Path::new("/usr/bin/gdbserver"), &prog, &commands);
    assert_contains(&ours, "Catchpoint 1 (call to syscall write)");
    assert_contains(&ours, "Catchpoint 1 (returned from syscall write)");
    assert_contains(&ours, "$1 = 270");
    assert_contains(&ours, "$2 = 4");
    assert_contains(&ours, "$3 = 1");
    let catches = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with('$') || l.starts_with("Catchpoint"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(catches(&ours), catches(&theirs));
}

/// `run` of a 32-bit program in extended-remote mode, then of the same
/// source built for x86_64 in the same server: each process gets its own
/// description. (gdb warns at `file` that the x86-64 file does not match
/// the i386 it was last told of, and reloads it at `run`: the same under
/// GNU gdbserver.)
#[test]
fn extended_remote_runs_32_bit_then_64_bit() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_i386(dir.path(), "i386", "i386-static", I386Linkage::Static);
    let native = compile(dir.path(), "i386");
    let mut server = Server::launch_multi();
    let out = gdb_extended(
        Some(&prog),
        server.port,
        &[
            &format!("set remote exec-file {}", prog.display()),
            "break add",
            "run",
            "info registers eip",
            "p sizeof(void *)",
            "kill",
            &format!("file {}", native.display()),
            &format!("set remote exec-file {}", native.display()),
            "run",
            "info registers rip",
            "p sizeof(void *)",
            "kill",
        ],
    );
    server.expect_exit(Duration::from_secs(10));
    assert_contains(&out, "Breakpoint 1, add (a=2, b=3)");
    assert!(register_line(&out, "eip") >> 32 == 0, "{out}");
    assert_contains(&out, "$1 = 4");
    assert!(register_line(&out, "rip") >> 32 != 0, "{out}");
    assert_contains(&out, "$2 = 8");
}
