//! gdb sessions against the server on real processes: breakpoints and
//! stepping, registers, memory, shared libraries, threads, signals, exit.

mod common;

use common::*;
use std::path::Path;
use std::time::Duration;

#[test]
fn backtraces_through_three_functions() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &["break a", "continue", "bt", "continue", "bt", "continue"],
    );
    let b_first = out.find("in b () at").expect(&out);
    let c_then = out.find("in c () at").expect(&out);
    assert!(b_first < c_then, "{out}");
    assert_eq!(out.matches("in main () at").count(), 2, "{out}");
    assert_contains(&out, "exited with code 03");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "counter 3");
}

#[test]
fn step_next_finish_stepi() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break main",
            "continue",
            "step",
            "bt 1",
            "finish",
            "next",
            "p $pc",
            "stepi",
            "p $pc",
            "info line *$pc",
        ],
    );
    assert_contains(&out, "b () at");
    assert_contains(&out, "Value returned is $1 = 1");
    let first = hex_after(&out, "$2 = (void (*)()) ");
    let second = hex_after(&out, "$3 = (void (*)()) ");
    assert_ne!(first, second, "{out}");
}

#[test]
fn registers_read_and_write() {
    let (_dir, prog) = compile_in_tempdir("regs");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break mark",
            "continue",
            "p/x fs_base_seen",
            "p/x $fs_base",
            "p $orig_rax",
            "p/x $ymm0.v8_int32",
            "info registers rip",
            "set $rax = 0x1234",
            "p/x $rax",
            "p/x $gs_base",
            "info all-registers",
            "up",
            "tbreak skip_me",
            "continue",
            "finish",
            "continue",
        ],
    );
    let seen = hex_after(&out, "$1 = ");
    let fs_base = hex_after(&out, "$2 = ");
    assert_eq!(seen, fs_base, "{out}");
    assert_contains(&out, "$3 = -1");
    assert_contains(&out, "$4 = {0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666, 0x77777777, 0x7eadbeef}");
    assert_contains(&out, "$5 = 0x1234");
    // The widest vector registers the CPU has, as gdb shows them with GNU
    // gdbserver: zmm0-31 and k0-7 with AVX-512 (gdb then lists no ymm),
    // else ymm0-15.
    if cpu_has("avx512f") {
        assert_contains(&out, "zmm31");
        assert_contains(&out, "k7 ");
    } else {
        assert_contains(&out, "ymm15");
    }
    // gdb keeps orig_rax, fs_base and gs_base out of `info all-registers`
    // (the system group, as with GNU gdbserver): read them by name.
    assert_contains(&out, "$6 = 0x0");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}

#[test]
fn setting_pc_skips_a_call() {
    let (_dir, prog) = compile_in_tempdir("regs");
    let mut server = Server::launch(&prog, &[]);
    // Stopped at the call to skip_me (line 17): move the PC to line 18.
    let out = gdb(
        &prog,
        server.port,
        &[
            "break 17",
            "continue",
            "info line 18",
            "set $pc = $_",
            "p $orig_rax",
            "continue",
        ],
    );
    assert_contains(&out, "$1 = -1");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "skipped=0");
}

#[test]
fn memory_read_write_and_dump() {
    let (dir, prog) = compile_in_tempdir("memory");
    let mut server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let dump = dir.path().join("big.bin");
    let dump_cmd = format!("dump binary memory {} big big+8*1024*1024", dump.display());
    let out = gdb(
        &prog,
        server.port,
        &[
            "break ready",
            "continue",
            "p greeting",
            "x/4xb &global_value",
            "set var global_value = 42",
            "p/x big",
            &dump_cmd,
            "x/x 0",
            "x/32xb edge",
            "p/x edge",
            "continue",
        ],
    );
    assert_contains(&out, "\"hello, gdb\"");
    assert_contains(&out, "0x07\t0x00\t0x00\t0x00");
    assert_contains(&out, "Cannot access memory at address 0x0");
    // The read crossing into unmapped memory shows the readable 16 bytes, then fails.
    let edge = hex_after(&out, "$3 = ");
    assert_contains(
        &out,
        &format!("Cannot access memory at address {:#x}", edge + 16),
    );
    assert_contains(&out, "0xf0\t0xf1\t0xf2");
    let dumped = std::fs::read(&dump).unwrap();
    assert_eq!(dumped.len(), 8 * 1024 * 1024);
    let mut x: u32 = 12345;
    let expected: Vec<u8> = (0..dumped.len())
        .map(|_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    assert!(dumped == expected, "dump differs from the program's buffer");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "global_value=42");
    assert!(!pid_alive(pid));
}

#[test]
fn mappings_shared_libraries_and_libc_backtrace() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break main",
            "continue",
            "info proc mappings",
            "info sharedlibrary",
            "break printf",
            "continue",
            "bt",
        ],
    );
    assert_contains(&out, prog.to_str().unwrap());
    assert_contains(&out, "[stack]");
    assert_contains(&out, "libc.so.6");
    let bt = &out[out.rfind("Breakpoint 2,").expect(&out)..];
    assert_contains(bt, "printf");
    assert_contains(bt, "in main () at");
}

#[test]
fn eight_named_threads() {
    let (_dir, prog) = compile_in_tempdir("threads");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break all_started",
            "continue",
            "info threads",
            "thread apply all bt",
            "continue",
        ],
    );
    for i in 0..8 {
        assert_contains(&out, &format!("\"worker-{i}\""));
    }
    assert_eq!(out.matches("in worker (").count(), 8, "{out}");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "joined");
}

#[test]
fn segfault_is_reported_at_its_line() {
    let (_dir, prog) = compile_in_tempdir("signals");
    let server = Server::launch(&prog, &["segv"]);
    let out = gdb(&prog, server.port, &["continue", "bt 1"]);
    assert_contains(&out, "Program received signal SIGSEGV, Segmentation fault.");
    assert_contains(&out, "crash here");
}

#[test]
fn handled_signal_is_delivered_on_continue() {
    let (_dir, prog) = compile_in_tempdir("signals");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(&prog, server.port, &["continue", "continue"]);
    assert_contains(&out, "Program received signal SIGUSR1");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "handled=10");
}

#[test]
fn killing_signal_and_kill_command() {
    let (_dir, prog) = compile_in_tempdir("signals");
    let server = Server::launch(&prog, &["abort"]);
    let out = gdb(&prog, server.port, &["continue", "continue"]);
    assert_contains(&out, "Program received signal SIGABRT");
    assert_contains(&out, "Program terminated with signal SIGABRT");

    let (_dir2, looping) = compile_in_tempdir("loop");
    let mut server = Server::launch(&looping, &[]);
    let pid = server.pid.unwrap();
    let out = gdb(&looping, server.port, &["break tick", "continue", "kill"]);
    assert_contains(&out, "Breakpoint 1, tick");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert!(!pid_alive(pid), "process {pid} survived kill");
}

#[test]
fn attach_break_detach_leaves_process_running_unchanged() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut child = spawn_loop(&prog);
    let pid = child.id() as i32;
    let mut server = Server::attach(child.id());
    let out = gdb(
        &prog,
        server.port,
        &["break tick", "continue", "p &tick", "p &ticks", "detach"],
    );
    assert_contains(&out, "Breakpoint 1, tick");
    assert_contains(&out, "detached]");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(proc_status(pid, "TracerPid").as_deref(), Some("0"));
    let state = proc_status(pid, "State").unwrap();
    assert!(
        !state.starts_with('t') && !state.starts_with('T'),
        "state {state}"
    );
    // Code at the breakpoint is the program's own again.
    let tick = hex_after(&out, "(void (*)(void)) ");
    let bytes = read_proc_mem(pid, tick, 16);
    let on_disk = code_bytes_in_file(pid, &prog, tick, 16);
    assert_eq!(bytes, on_disk);
    // And it still makes progress.
    let ticks = hex_after(&out, "(volatile unsigned long *) ");
    let before = u64::from_le_bytes(read_proc_mem(pid, ticks, 8).try_into().unwrap());
    std::thread::sleep(Duration::from_millis(200));
    let after = u64::from_le_bytes(read_proc_mem(pid, ticks, 8).try_into().unwrap());
    assert!(after > before, "ticks stuck at {before}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn ctrl_c_interrupts_a_running_target() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let server = Server::launch(&prog, &[]);
    let mut command = gdb_command();
    command
        .args([
            "-nx",
            "-q",
            "-ex",
            "set confirm off",
            "-ex",
            "set pagination off",
        ])
        .arg("-ex")
        .arg(format!("target remote 127.0.0.1:{}", server.port))
        .arg(&prog)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut gdb = command.spawn().unwrap();
    let mut stdin = gdb.stdin.take().unwrap();
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    for stream in [
        Box::new(gdb.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(gdb.stderr.take().unwrap()),
    ] {
        let text = text.clone();
        std::thread::spawn(move || {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut stream, &mut buf) {
                if n == 0 {
                    break;
                }
                text.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    use std::io::Write;
    writeln!(stdin, "continue").unwrap();
    // gdb must have resumed the target before Ctrl-C means anything: on a
    // loaded machine that takes a while, so press it until gdb reports it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    // Not before the target runs: a Ctrl-C during the connection itself
    // would abort `target remote`.
    let pid = server.pid.expect("launched pid");
    while proc_status(pid, "State").is_none_or(|s| s.starts_with('t')) {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            text.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    while !text
        .lock()
        .unwrap()
        .contains("Program received signal SIGINT")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            text.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(700));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(gdb.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
    }
    writeln!(stdin, "bt").unwrap();
    writeln!(stdin, "kill").unwrap();
    writeln!(stdin, "quit").unwrap();
    drop(stdin);
    gdb.wait().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let text = text.lock().unwrap().clone();
    assert_contains(&text, "Program received signal SIGINT");
    assert_contains(&text, "in main () at");
}

#[test]
fn plain_register_layout_when_gdb_reads_no_target_description() {
    let (_dir, prog) = compile_in_tempdir("floats");
    let server = Server::launch(&prog, &[]);
    let mut command = gdb_command();
    command.args([
        "-batch",
        "-nx",
        "-ex",
        "set remote target-features-packet off",
    ]);
    command
        .arg("-ex")
        .arg(format!("target remote 127.0.0.1:{}", server.port));
    for c in [
        "break main",
        "continue",
        "p $xmm0.v4_int32",
        "p $ymm0",
        "p $rip == $pc",
    ] {
        command.arg("-ex").arg(c);
    }
    command.arg(&prog);
    let (_, out) = run_with_timeout(command, Duration::from_secs(60));
    assert!(!out.contains("reply is too long"), "{out}");
    assert_contains(&out, "$1 = {");
    assert_contains(&out, "$2 = void");
    assert_contains(&out, "$3 = 1");
}

#[test]
fn calling_a_function_with_float_arguments() {
    let (_dir, prog) = compile_in_tempdir("floats");
    let server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &["break main", "continue", "p/x $mxcsr", "p f(1.5, 2.25)"],
    );
    // MXCSR as the CPU has it; a 0 written back would unmask every
    // floating-point exception and the call would die of SIGFPE.
    assert_contains(&out, "$1 = 0x1f80");
    assert_contains(&out, "$2 = 3.75");
}

#[test]
fn thread_local_variables() {
    let (_dir, prog) = compile_in_tempdir("tls");
    let out = read_thread_locals(
        &prog,
        &[
            "continue",
            "p mine == who",
            // Told to go without thread_db, as gdbserver can be.
            "monitor set libthread-db-search-path /nonexistent",
            "p mine == who",
        ],
    );
    assert_contains(&out, "libthread-db-search-path set to `/nonexistent'");
    assert_contains(&out, "$5 = 1");
    if gdb_major() >= 16 {
        // gdb 16+ finds glibc's thread-local storage itself, without the
        // server's qGetTLSAddr (as with GNU gdbserver).
        assert_contains(&out, "$6 = 1");
    } else {
        assert_contains(&out, "Remote target failed to process qGetTLSAddr request");
        assert_eq!(out.matches("Cannot find thread-local").count(), 1, "{out}");
    }
}

/// Run tls.c to its checkpoints, reading `__thread` variables in the main
/// thread and then in another, then `more` commands; gdb's output.
fn read_thread_locals(prog: &Path, more: &[&str]) -> String {
    let server = Server::launch(prog, &[]);
    let mut commands = vec![
        "break checkpoint",
        "continue",
        "p mine",
        "p tag",
        "continue",
        "p mine == who",
        "p tag[0]",
    ];
    commands.extend_from_slice(more);
    let out = gdb(prog, server.port, &commands);
    assert_contains(&out, "$1 = 7");
    assert_contains(&out, "$2 = \"main\\000\\000\\000\"");
    assert_contains(&out, "$3 = 1");
    assert_contains(&out, "$4 = 119 'w'");
    out
}

#[test]
fn info_os_lists_the_machine_and_our_program() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("launched pid");
    let out = gdb(
        &prog,
        server.port,
        &[
            "info os",
            "info os processes",
            "info os procgroups",
            "info os threads",
            "info os files",
            "info os no-such-type",
            "kill",
        ],
    );
    // The types, with their descriptions.
    assert_contains(&out, "processes  Listing of all processes");
    assert_contains(&out, "sockets    Listing of all internet-domain sockets");
    // Rows about our program, as words.
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.first() == Some(&pid.to_string().as_str()))
        .collect();
    let name = prog.to_str().unwrap();
    let pid = pid.to_string();
    let has = |want: &[&str]| {
        rows.iter().any(|row| {
            row.len() == want.len() && row.iter().zip(want).all(|(r, w)| w.is_empty() || r == w)
        })
    };
    // processes: pid user command cores.
    assert!(has(&[&pid, "", name, ""]), "{out}");
    // procgroups: the program leads a group of its own, as with gdbserver.
    assert!(has(&[&pid, "loop", &pid, name]), "{out}");
    // threads: pid command tid core.
    assert!(
        rows.iter()
            .any(|r| r.len() == 4 && r[1] == "loop" && r[2] == pid && r[3].parse::<u32>().is_ok()),
        "{out}"
    );
    // files: its standard streams among them.
    assert!(has(&[&pid, "loop", "0", ""]), "{out}");
    assert_contains(&out, "Empty data returned by target.  Wrong osdata type?");
}

#[test]
fn thread_local_variables_in_a_static_executable() {
    // No libc.so and no link map: glibc's TLS layout is in the executable
    // itself, and gdb asks for the executable's TLS as module 0.
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_with(dir.path(), "tls", "tls-static", &["-static"]);
    let out = read_thread_locals(&prog, &[]);
    assert!(!out.contains("Cannot find thread-local"), "{out}");
}

#[test]
fn breakpoint_conditions_are_evaluated_by_the_server() {
    let (_dir, prog) = compile_in_tempdir("cond");
    let mut server = Server::launch_logging_packets(&prog);
    let out = gdb(
        &prog,
        server.port,
        &[
            "set breakpoint condition-evaluation target",
            "break visit if i == 7",
            "continue",
            "print i",
            "info breakpoints",
            "continue",
        ],
    );
    assert!(!out.contains("does not support"), "{out}");
    assert_contains(&out, "$1 = 7");
    assert_contains(&out, "breakpoint already hit 1 time");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert_contains(&server.stdout(), "total 45");
    // gdb sent the condition with the breakpoint and heard of one stop
    // there only: the seven false ones were stepped over in the server.
    let log = server.stderr();
    assert!(log.contains(";X"), "no condition in a Z0:\n{log}");
    let addr = hex_after(&out, "Breakpoint 1 at");
    let pc: String = addr
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stops = log
        .lines()
        .filter(|l| l.contains("putpkt (\"T05") && l.contains(&format!("10:{pc};")))
        .count();
    assert_eq!(stops, 1, "{log}");
}

#[test]
fn agent_dprintf_prints_in_the_server_without_stopping() {
    let (_dir, prog) = compile_in_tempdir("cond");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "set dprintf-style agent",
            "dprintf visit,\"visit %d|%4x|\\n\", i, i * 16",
            "info breakpoints",
            "continue",
        ],
    );
    assert!(!out.contains("cannot run dprintf"), "{out}");
    assert_contains(&out, "agent-printf");
    // No stop reached gdb: the program ran to its end.
    assert!(!out.contains("Breakpoint 1,"), "{out}");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    // The server's agent printed each hit, in the program's order.
    let stdout = server.stdout();
    assert_contains(&stdout, "visit 0|   0|\nvisit 1|  10|\n");
    assert_contains(&stdout, "visit 9|  90|\n");
    assert_contains(&stdout, "total 45");
}
