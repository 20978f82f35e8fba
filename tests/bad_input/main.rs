//! Malformed input: bad checksums, bad hex, absurd lengths, unknown threads
//! and registers, truncated and oversized packets, binary junk. Every packet
//! gets an error reply (or an empty one when unknown), the session goes on,
//! the server never panics and the target is never changed.
//!
//! A raw protocol client talks to the server directly (gdb would never send
//! any of this): first a curated list, then a seeded pseudo-random fuzz loop
//! over a grammar of real packet prefixes with mangled arguments, and junk
//! bytes between packets. Nothing it sends may legitimately resume, end or
//! change anything (no k, D, vKill, vRun, vAttach, c/s/vCont that could run
//! a thread, writes to mapped memory or registers, monitor exit).
//!
//! `BAD_INPUT_FUZZ_COUNT=N` fuzzes exactly N inputs (default: `FUZZ_COUNT`
//! each loop, the same on every machine: see `fuzz`);
//! `BAD_INPUT_FUZZ_SEED=N` picks another sequence.
//!
//! The curated list lives in `curated`, the fuzzer in `fuzz`.

#[path = "../common/mod.rs"]
mod common;
mod curated;
mod fuzz;

use common::rsp::{checksum, frame, show, Client, Token, REPLY_TIMEOUT};
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// bad_input's own probe, on the common client.
impl Client {
    /// Two probes with distinct replies: the session answers, in step.
    #[track_caller]
    fn assert_in_step(&mut self, after: &[u8]) {
        let reply = self.request(b"vMustReplyEmpty");
        assert!(
            reply.is_empty(),
            "vMustReplyEmpty after {}: got {}",
            show(after),
            show(&reply)
        );
        // A document we serve with or without a process (target.xml is an
        // error while there is none, as with gdbserver).
        let reply = self.request(b"qXfer:osdata:read::0,5");
        assert_eq!(
            reply,
            b"m<osda",
            "osdata probe after {}: got {}",
            show(after),
            show(&reply)
        );
    }
}

use curated::*;
use fuzz::*;

/// Run `body`; if it fails, show what the server said.
fn with_server_log(server: &mut Server, body: impl FnOnce(&mut Server)) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(server)));
    if let Err(panic) = result {
        eprintln!("--- server stderr ---\n{}", server.stderr());
        std::panic::resume_unwind(panic);
    }
}

/// rgdbserver on a program, stopped at its first instruction. Always ours,
/// whatever RGDBSERVER_TEST_SERVER says: GNU gdbserver fails much of this.
fn launch(prog: &Path) -> Server {
    let args = ["--once", "127.0.0.1:0", prog.to_str().unwrap()];
    Server::start(&rgdbserver_binary(), &args)
}

fn assert_no_panic(server: &Server) {
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "server panicked:\n{stderr}");
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// `--multi` with no process at all.
#[test]
fn malformed_packets_without_a_process() {
    let mut server = Server::start(&rgdbserver_binary(), &["--multi", "127.0.0.1:0"]);
    with_server_log(&mut server, no_process_session);
}

fn no_process_session(server: &mut Server) {
    let mut client = Client::connect(server.port);
    run_framing(&mut client);
    let mut list = curated();
    list.extend(curated_no_process());
    run_curated(&mut client, &list);
    fuzz(&mut client, 0x9e37_79b9_7f4a_7c15, false);
    assert!(server.wait_exit(Duration::ZERO).is_none(), "server exited");
    assert_no_panic(server);
    // A fresh connection still works after this one goes.
    drop(client);
    let mut client = Client::connect(server.port);
    client.start_no_ack();
    client.assert_in_step(b"(reconnect)");
    assert_no_panic(server);
}

/// Every readable mapping of the process, for a before/after comparison.
fn memory_snapshot(pid: i32) -> Vec<(String, Vec<u8>)> {
    use std::os::unix::fs::FileExt;
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    maps.lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.starts_with('r'))
        })
        .filter(|l| !l.contains("[vvar") && !l.contains("[vsyscall]"))
        .filter_map(|l| {
            let range = l.split_whitespace().next()?;
            let (start, end) = range.split_once('-')?;
            let start = u64::from_str_radix(start, 16).ok()?;
            let end = u64::from_str_radix(end, 16).ok()?;
            let mut buf = vec![0u8; (end - start) as usize];
            mem.read_exact_at(&mut buf, start).ok()?;
            Some((l.to_string(), buf))
        })
        .collect()
}

/// The program's executable mapping and its bytes as the file has them.
fn code_segment(pid: i32, prog: &Path) -> (u64, Vec<u8>) {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let line = maps
        .lines()
        .find(|l| l.contains(prog.to_str().unwrap()) && l.contains("r-xp"))
        .unwrap_or_else(|| panic!("no code mapping in\n{maps}"));
    let mut fields = line.split_whitespace();
    let (start, end) = fields.next().unwrap().split_once('-').unwrap();
    let start = u64::from_str_radix(start, 16).unwrap();
    let end = u64::from_str_radix(end, 16).unwrap();
    let offset = u64::from_str_radix(fields.nth(1).unwrap(), 16).unwrap();
    let file_len = std::fs::metadata(prog).unwrap().len();
    let len = (end - start).min(file_len - offset) as usize;
    (start, code_bytes_in_file(pid, prog, start, len))
}

/// A launched process, stopped at its first instruction.
#[test]
fn malformed_packets_leave_a_stopped_process_unchanged() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = launch(&prog);
    let pid = server.pid.expect("pid announced");
    let _cleanup = KillOnDrop(pid);
    with_server_log(&mut server, |server| live_session(server, &prog, pid));
}

fn live_session(server: &mut Server, prog: &Path, pid: i32) {
    let (code_addr, code) = code_segment(pid, prog);
    assert_eq!(read_proc_mem(pid, code_addr, code.len()), code);
    let memory = memory_snapshot(pid);
    assert!(memory.len() > 3, "{memory:?}");

    let mut client = Client::connect(server.port);
    run_framing(&mut client);
    assert_eq!(client.request(b"Hg0"), b"OK");
    let registers = client.request(b"g");
    assert!(registers.len() > 100 && !is_error(&registers));
    let stop = client.request(b"?");
    assert!(stop.starts_with(b"T"), "{}", show(&stop));

    run_curated(&mut client, &curated());
    // Our own thread is fine; an unknown one after it is not.
    let ours = format!("Hgp{pid:x}.{pid:x}");
    assert_eq!(client.request(ours.as_bytes()), b"OK");
    let vcont = format!("vCont;c:p{pid:x}.7fffffff");
    assert!(is_error(&client.request(vcont.as_bytes())));
    fuzz(&mut client, 0x2545_f491_4f6c_dd1d, true);

    assert!(server.wait_exit(Duration::ZERO).is_none(), "server exited");
    assert_no_panic(server);
    assert_eq!(client.request(b"Hg0"), b"OK");
    assert_eq!(client.request(b"g"), registers, "registers changed");
    // The fuzzing renegotiated features: ask for thread ids as before.
    client.request(b"qSupported:multiprocess+;swbreak+");
    let stop_now = client.request(b"?");
    assert!(stop_now == stop, "stop reply changed: {}", show(&stop_now));
    assert_eq!(
        read_proc_mem(pid, code_addr, code.len()),
        code,
        "code changed"
    );
    let after = memory_snapshot(pid);
    assert_eq!(after.len(), memory.len(), "mappings changed");
    for ((map, before), (map_after, now)) in memory.iter().zip(&after) {
        assert_eq!(map, map_after);
        assert!(before == now, "memory changed in {map}");
    }
    let state = proc_status(pid, "State").unwrap();
    assert!(state.starts_with('t'), "state {state}");
    assert_eq!(
        proc_status(pid, "TracerPid").unwrap(),
        server.process_id().to_string()
    );

    // Detach: the process runs on, untraced.
    assert_eq!(client.request(b"D"), b"OK");
    assert!(
        server.wait_exit(Duration::from_secs(10)).is_some(),
        "server lingers after D"
    );
    assert_no_panic(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while proc_status(pid, "TracerPid").as_deref() != Some("0") {
        assert!(Instant::now() < deadline, "still traced");
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(100));
        assert!(pid_alive(pid), "process died after detach");
        let state = proc_status(pid, "State").unwrap();
        assert!(
            !state.starts_with('t') && !state.starts_with('T'),
            "state {state}"
        );
    }
}

/// The Ctrl-C tests' setup and ending: `loop` launched, a client connected
/// in no-ack mode for `steps` (given the process id), then vKill must end
/// the process and, with it, the server.
fn no_ack_session_on_loop_then_vkill(steps: impl FnOnce(&mut Client, i32)) {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = launch(&prog);
    let pid = server.pid.expect("pid announced");
    with_server_log(&mut server, |server| {
        let mut client = Client::connect(server.port);
        client.start_no_ack();
        steps(&mut client, pid);
        assert_eq!(client.request(format!("vKill;{pid:x}").as_bytes()), b"OK");
        assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    });
    assert!(!pid_alive(pid), "process survived vKill");
}

/// Ctrl-C right behind a resume packet, read by the server in one go: the
/// interrupt must not wait for more data that never comes.
#[test]
fn interrupt_in_the_same_read_as_the_resume_packet() {
    no_ack_session_on_loop_then_vkill(|client, _pid| {
        let mut bytes = frame(b"vCont;c");
        bytes.push(0x03);
        client.send_raw(&bytes);
        let stop = client.reply(b"vCont;c + Ctrl-C");
        assert!(stop.starts_with(b"T02"), "{}", show(&stop));
    });
}

/// Ctrl-C while the target is stopped, as gdb sends it between the single
/// steps of a software watchpoint: the next resume stops with SIGINT (it
/// was ignored, and gdb waited for that stop forever). Nothing is sent to
/// the program before then: a detach instead would leave it unharmed
/// (`malformed_packets_leave_a_stopped_process_unchanged` sends Ctrl-C
/// among its junk before detaching).
#[test]
fn interrupt_while_stopped_stops_the_next_resume() {
    no_ack_session_on_loop_then_vkill(|client, pid| {
        client.interrupt();
        client.assert_quiet(b"Ctrl-C while stopped");
        // Still stopped, and the session goes on.
        assert!(proc_status(pid, "State").unwrap().starts_with('t'));
        assert!(!client.request(b"g").is_empty());
        client.send(b"vCont;c");
        let stop = client.reply(b"vCont;c after Ctrl-C");
        assert!(stop.starts_with(b"T02"), "{}", show(&stop));
    });
}
