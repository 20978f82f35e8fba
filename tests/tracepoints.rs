//! Tracepoints with real gdb: a loop traced at each call of `record`,
//! collecting registers, a local, a global and a buffer and counting hits
//! in a trace state variable; `tstart`/`tstop`/`tstatus`, `tfind` by
//! number, pc and tracepoint, `tdump`, then `tsave` and the file read back
//! with `target tfile` in a new gdb. Bad tracepoint packets get errors and
//! leave the program to finish as it would.

mod common;

use common::*;
use std::time::Duration;

/// The gdb commands, through a script (tracepoint actions span lines).
fn script(dir: &std::path::Path, name: &str, lines: &[&str]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    format!("source {}", path.display())
}

fn assert_all(out: &str, wanted: &[&str]) {
    for w in wanted {
        assert_contains(out, w);
    }
}

#[test]
fn trace_a_loop_find_dump_save_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    // Not PIE: the trace file's addresses are the program's own.
    let prog = compile_with(dir.path(), "trace", "trace", &["-no-pie"]);
    let saved = dir.path().join("trace.tf");
    let mut server = Server::launch(&prog, &[]);
    let run = script(
        dir.path(),
        "run.gdb",
        &[
            "break main",
            "continue",
            "tvariable $hits = 0",
            "trace record",
            "actions",
            "collect $regs, i, total, buffer",
            "collect $hits",
            "teval $hits = $hits + 1",
            "end",
            "break end",
            "tstart",
            "tstatus",
            "continue",
            "tstop",
            "tstatus",
            "tfind start",
            "tdump",
            "tfind",
            "print i",
            "print buffer",
            "print $hits",
            "tfind 4",
            "print i",
            "print total",
            "print buffer",
            "print $hits",
            "tfind 5",
            "tfind none",
            "tfind start",
            "tfind pc",
            "tfind tracepoint 2",
            "tfind line 11",
            "tfind none",
            &format!("tsave {}", saved.display()),
            "info tracepoints",
            "delete",
            "continue",
        ],
    );
    let out = gdb(&prog, server.port, &[&run]);
    assert_all(
        &out,
        &[
            "Trace is running on the target.",
            "Trace stopped by a tstop command",
            "Collected 5 trace frames.",
            "Found trace frame 0, tracepoint 2",
            "Data collected at tracepoint 2, trace frame 0:",
            // tdump of frame 0: the registers and the values of the first pass.
            "rip            0x",
            "i = 0\ntotal = 0\n",
            r#"buffer = "pass 0\000"#,
            // Frame 1: the second pass; $hits as collected, before the teval.
            "Found trace frame 1, tracepoint 2",
            "$1 = 1\n",
            r#"$2 = "pass 1\000"#,
            "$3 = 1\n",
            // Frame 4: i = 4*4, total = 0+1+4+9, as the program computed them.
            "Found trace frame 4, tracepoint 2",
            "$4 = 16\n$5 = 14\n",
            r#"$6 = "pass 4\000"#,
            "$7 = 4\n",
        ],
    );
    // No frame 5; then by pc (the selected frame's), tracepoint and line.
    assert_contains(
        &out,
        "$7 = 4\nNo trace frame found\nNo longer looking at any trace frame\n",
    );
    assert_contains(
        &out,
        "Found trace frame 0, tracepoint 2\nFound trace frame 1, tracepoint 2\n\
         Found trace frame 2, tracepoint 2\nFound trace frame 3, tracepoint 2\n\
         No longer looking at any trace frame\n",
    );
    assert_contains(&out, "tracepoint already hit 5 times");
    assert!(saved.exists(), "tsave wrote no file:\n{out}");
    // Traced, not stopped: the program ran its loop to the end.
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());

    // A new gdb reads the saved frames.
    let read = script(
        dir.path(),
        "read.gdb",
        &[
            &format!("target tfile {}", saved.display()),
            "tstatus",
            "tfind start",
            "print i",
            "print buffer",
            "tfind 3",
            "print i",
            "print total",
            "print $hits",
            "tdump",
        ],
    );
    let out = gdb_connect(Some(&prog), "", &[&read]);
    assert_all(
        &out,
        &[
            "Created tracepoint 1 for target's tracepoint 2",
            "Collected 5 trace frames.",
            "Found trace frame 0, tracepoint 1",
            "$1 = 0\n",
            r#"$2 = "pass 0\000"#,
            "Found trace frame 3, tracepoint 1",
            "$3 = 9\n$4 = 5\n$5 = 3\n",
            "i = 9\ntotal = 5\n",
        ],
    );
}

#[test]
fn bad_tracepoint_packets_are_refused_and_the_target_runs_on() {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_with(dir.path(), "trace", "trace", &["-no-pie"]);
    let mut server = Server::launch(&prog, &[]);
    let mut client = common::rsp::Client::connect(server.port);
    for bad in [
        &b"QTDP:zz"[..],
        b"QTDP:1:401000:Q:0:0",
        b"QTDP:-5:401000:R1",
        b"QTDP:1:401000:E:0:0:X9,22",
        b"QTFrame:zz",
        b"QTFrame:range:1",
        b"QTDV:2",
        b"qTBuffer:,",
    ] {
        let reply = client.request(bad);
        assert!(
            reply.len() == 3 && reply[0] == b'E',
            "{}: {}",
            String::from_utf8_lossy(bad),
            common::rsp::show(&reply)
        );
    }
    // Nothing defined, nothing running, no frame.
    assert!(client
        .request(b"qTStatus")
        .starts_with(b"T0;tnotrun:0;tframes:0;"));
    assert_eq!(client.request(b"QTFrame:0"), b"F-1");
    assert_eq!(client.request(b"qTfP"), b"l");
    // The program's memory reads as before and it runs to its end.
    assert!(!client.request(b"m401000,4").starts_with(b"E"));
    let exit = client.request(b"vCont;c");
    assert!(exit.starts_with(b"W00"), "{}", common::rsp::show(&exit));
    drop(client);
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}
