//! `monitor` commands through real gdb: GNU's (help, set debug, set
//! remote-debug, exit, unknown commands) and ours (maps, dump-memory,
//! dump-maps), whose files are checked against gdb's own `dump` and against
//! /proc/PID/mem.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BUF_SIZE: usize = 1024 * 1024;

/// dumpme.c's pattern.
fn pattern() -> Vec<u8> {
    (0..BUF_SIZE).map(|i| (i * 7 + (i >> 8)) as u8).collect()
}

/// dumpme stopped in ready() under the server; gdb runs `commands` there,
/// then detaches, leaving the program running (waiting) for /proc checks.
fn dumpme_session(commands: &[&str]) -> (tempfile::TempDir, String, KillOnDrop, Server) {
    let (dir, prog) = compile_in_tempdir("dumpme");
    let mut server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let guard = KillOnDrop(pid);
    let mut all = vec!["break ready", "continue"];
    all.extend_from_slice(commands);
    all.push("detach");
    let out = gdb(&prog, server.port, &all);
    assert!(server.wait_exit(Duration::from_secs(10)).is_some(), "{out}");
    (dir, out, guard, server)
}

#[track_caller]
fn assert_lines_in_order(out: &str, expected: &str) {
    let mut lines = out.lines();
    for want in expected.lines() {
        assert!(
            lines.any(|line| line == want),
            "expected {want:?} (after the lines before it) in:\n{out}"
        );
    }
}

#[test]
fn help_lists_gnu_commands_then_ours() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let server = Server::launch(&prog, &[]);
    let out = gdb(&prog, server.port, &["monitor help", "kill"]);
    // gdb's stdout and stderr share our pipe: a line of one may land in
    // the middle of the other's, so look for the lines in order.
    assert_lines_in_order(
        &out,
        "The following monitor commands are supported:
  set debug <0|1>
    Enable general debugging messages
  set remote-debug <0|1>
    Enable remote protocol debugging messages
  exit
    Quit GDBserver
  set libthread-db-search-path [PATH]
    Where thread_db support is looked for; one without libthread_db turns
    thread-local variable lookups (qGetTLSAddr) off
  maps
    Print the target's /proc/PID/maps
  dump-memory FILE START END
    Write target memory [START, END) to a new FILE on the server
  dump-maps DIR
    Write each readable mapping to a new file in DIR on the server
",
    );
}

#[test]
fn unknown_and_malformed_commands() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let server = Server::launch(&prog, &[]);
    let long = format!("monitor {}", "x".repeat(20000));
    let out = gdb(
        &prog,
        server.port,
        &[
            "monitor frobnicate",
            "monitor set debug maybe",
            "monitor dump-memory",
            "monitor dump-memory onlyfile 0x10",
            "monitor dump-memory f $pc 0x10",
            "monitor dump-maps",
            "monitor maps please",
            &long,
            "p 1+1",
            "kill",
        ],
    );
    // GNU gdbserver 13's words, then its help (gdb prints console output on
    // stderr, so its lines may interleave with gdb's own).
    assert_eq!(
        out.matches("Unknown monitor command.\n").count(),
        3,
        "{out}"
    );
    // And the command fails, as with GNU gdbserver.
    assert_eq!(out.matches("Protocol error with Rcmd").count(), 3, "{out}");
    assert_eq!(
        out.matches("The following monitor commands are supported:\n")
            .count(),
        3,
        "{out}"
    );
    assert_eq!(
        out.matches("Usage: monitor dump-memory FILE START END")
            .count(),
        3,
        "{out}"
    );
    assert_contains(&out, "Usage: monitor dump-maps DIR");
    assert_contains(&out, "Usage: monitor maps");
    // The server is still there.
    assert_contains(&out, "$1 = 2");
}

#[test]
fn set_debug_turns_logging_on_and_off() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "monitor set debug on",
            "monitor help",
            "monitor set debug 0",
            "monitor maps",
            "monitor set debug 1",
            "monitor set debug off",
            "kill",
        ],
    );
    assert_eq!(out.matches("Debug output enabled.").count(), 2, "{out}");
    assert_eq!(out.matches("Debug output disabled.").count(), 2, "{out}");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    let log = server.stderr();
    assert_contains(&log, "monitor command \"help\"");
    assert_contains(&log, "monitor command \"set debug 0\"");
    assert_contains(&log, "monitor command \"set debug off\"");
    assert!(!log.contains("monitor command \"maps\""), "{log}");
    // Off again at the end: the session's own debug line is not logged.
    assert!(!log.contains("session ended"), "{log}");
}

#[test]
fn set_remote_debug_traces_packets_until_turned_off() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = Server::launch(&prog, &[]);
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let out = gdb(
        &prog,
        server.port,
        &[
            "monitor set remote-debug 1",
            "monitor help",
            "monitor set remote-debug off",
            "monitor maps",
            "kill",
        ],
    );
    assert_contains(&out, "Protocol debug output enabled.");
    assert_contains(&out, "Protocol debug output disabled.");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    let log = server.stderr();
    assert_contains(&log, &format!("getpkt (\"qRcmd,{}\")", hex("help")));
    assert_contains(&log, "putpkt (\"O");
    assert_contains(&log, "putpkt (\"OK\")");
    assert_contains(
        &log,
        &format!("getpkt (\"qRcmd,{}\")", hex("set remote-debug off")),
    );
    assert!(!log.contains(&format!("qRcmd,{}", hex("maps"))), "{log}");
    assert!(
        !log.contains("qSupported"),
        "only after it was turned on:\n{log}"
    );
}

#[test]
fn maps_prints_proc_maps_verbatim() {
    let (dir, out, guard, _server) = dumpme_session(&["monitor maps"]);
    let prog = dir.path().join("dumpme");
    assert_contains(&out, prog.to_str().unwrap());
    assert_contains(&out, "[stack]");
    // Longer than one console packet (dumpme maps 200 separate pages), and
    // still exactly the kernel's text.
    // gdb prints console output on stderr: compare the lines that look like
    // maps lines, in order (gdb's stdout lines may come between them).
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", guard.0)).unwrap();
    assert!(maps.len() > 2 * 4096, "{maps}");
    let is_maps_line = |l: &&str| {
        l.split_once(' ')
            .and_then(|(range, _)| range.split_once('-'))
            .is_some_and(|(a, b)| {
                !a.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_hexdigit())
            })
    };
    let printed: Vec<&str> = out.lines().filter(is_maps_line).collect();
    let real: Vec<&str> = maps.lines().collect();
    assert_eq!(printed, real);
}

#[test]
fn dump_memory_matches_gdb_dump_and_proc_mem() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours.bin");
    let ours_hex = tmp.path().join("ours-hex.bin");
    let gdbs = tmp.path().join("gdb.bin");
    let never = tmp.path().join("never.bin");
    let (ours_s, ours_hex_s, gdbs_s, never_s) = (
        ours.display().to_string(),
        ours_hex.display().to_string(),
        gdbs.display().to_string(),
        never.display().to_string(),
    );
    let commands = [
        "p &buf".to_string(),
        "p sizeof(buf)".to_string(),
        format!("eval \"monitor dump-memory {ours_s} %lu %lu\", (unsigned long)&buf, (unsigned long)&buf + sizeof(buf)"),
        format!("eval \"monitor dump-memory {ours_hex_s} 0x%lx 0x%lx\", (unsigned long)&buf, (unsigned long)&buf + sizeof(buf)"),
        format!("dump binary memory {gdbs_s} &buf[0] &buf[sizeof(buf)]"),
        // Refused: the file exists (it must stay as it is).
        format!("eval \"monitor dump-memory {ours_s} %lu %lu\", (unsigned long)&buf, (unsigned long)&buf + 16"),
        // Unmapped, a hole in the middle, reversed, too large.
        format!("monitor dump-memory {never_s} 0 4096"),
        "p/x (unsigned long)holed + 4096".to_string(),
        format!("eval \"monitor dump-memory {never_s} %lu %lu\", (unsigned long)holed, (unsigned long)holed + 3 * 4096"),
        format!("monitor dump-memory {never_s} 0x2000 0x1000"),
        format!("monitor dump-memory {never_s} 0 0x1000000000000"),
    ];
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    let (_dir, out, guard, _server) = dumpme_session(&commands);

    let addr = hex_after(&out, "$1 = (unsigned char (*)[1048576]) ");
    assert_contains(&out, "$2 = 1048576");
    assert_eq!(
        out.matches(&format!("Wrote 1048576 bytes to {ours_s}."))
            .count(),
        1,
        "{out}"
    );
    assert_contains(&out, &format!("Wrote 1048576 bytes to {ours_hex_s}."));
    let dumped = std::fs::read(&ours).unwrap();
    assert_eq!(dumped.len(), BUF_SIZE);
    assert!(
        dumped == pattern(),
        "dump differs from the program's pattern"
    );
    assert!(dumped == std::fs::read(&ours_hex).unwrap());
    assert!(
        dumped == std::fs::read(&gdbs).unwrap(),
        "differs from gdb's dump"
    );
    assert!(dumped == read_proc_mem(guard.0, addr, BUF_SIZE));

    assert_contains(
        &out,
        &format!("{ours_s} already exists; not overwriting it."),
    );
    assert_contains(
        &out,
        &format!("Cannot access memory at address 0x0; {never_s} not written."),
    );
    let hole = hex_after(&out, "$3 = ");
    assert_contains(
        &out,
        &format!("Cannot access memory at address {hole:#x}; {never_s} not written."),
    );
    assert_contains(&out, "END 0x1000 is below START 0x2000");
    assert_contains(&out, "more than the 0x1000000000-byte limit");
    assert!(!never.exists());
}

/// (start, end, path) of each `START-END_PERMS_NAME.bin` in `dir`.
fn dumped_files(dir: &Path) -> Vec<(u64, u64, PathBuf)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let range = name.split('_').next().unwrap();
            let (start, end) = range.split_once('-').unwrap();
            (
                u64::from_str_radix(start, 16).unwrap(),
                u64::from_str_radix(end, 16).unwrap(),
                p,
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn dump_maps_writes_each_readable_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("snapshot");
    let out_s = out_dir.display().to_string();
    let commands = [
        "p/x (unsigned long)guard".to_string(),
        "p/x (unsigned long)&buf".to_string(),
        format!("monitor dump-maps {out_s}"),
        format!("monitor dump-maps {out_s}"),
    ];
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    let (_dir, out, _guard, _server) = dumpme_session(&commands);
    let guard_addr = hex_after(&out, "$1 = ");
    let buf_addr = hex_after(&out, "$2 = ");
    assert_contains(
        &out,
        &format!("{out_s} exists and is not an empty directory."),
    );

    let maps = std::fs::read_to_string(out_dir.join("maps.txt")).unwrap();
    let index = std::fs::read_to_string(out_dir.join("index.txt")).unwrap();
    let files = dumped_files(&out_dir);
    // Every readable mapping has its file, of its size, except what the
    // kernel will not hand out ([vvar]); nothing else was written.
    let mut expected = 0;
    for line in maps.lines() {
        let (range, rest) = line.split_once(' ').unwrap();
        let (start, end) = range.split_once('-').unwrap();
        let (start, end) = (
            u64::from_str_radix(start, 16).unwrap(),
            u64::from_str_radix(end, 16).unwrap(),
        );
        let file = files.iter().find(|f| f.0 == start && f.1 == end);
        if !rest.starts_with('r') {
            assert!(file.is_none(), "{line}");
            assert_contains(&index, &format!("-\tskipped: no read permission\t{line}"));
        } else if let Some((_, _, path)) = file {
            expected += 1;
            assert_eq!(
                std::fs::metadata(path).unwrap().len(),
                end - start,
                "{line}"
            );
            assert_contains(&index, &format!("\t{}\t{line}", end - start));
        } else {
            assert!(
                line.contains("[vvar"),
                "readable mapping not dumped: {line}"
            );
            assert_contains(&out, line);
        }
    }
    assert_eq!(files.len(), expected);
    assert!(expected > 200, "{maps}");
    assert_contains(&out, &format!("Wrote {expected} mappings ("));
    // The guard mapping is among the skipped ones.
    assert!(maps.contains(&format!("{guard_addr:x}-")), "{maps}");
    assert_contains(&out, &format!("  {guard_addr:x}-"));

    // buf's bytes, gathered from the files covering it.
    let mut gathered = Vec::new();
    let mut addr = buf_addr;
    while gathered.len() < BUF_SIZE {
        let (start, end, path) = files
            .iter()
            .find(|f| f.0 <= addr && addr < f.1)
            .expect("buf is dumped");
        let data = std::fs::read(path).unwrap();
        let from = (addr - start) as usize;
        let take = ((end - addr) as usize).min(BUF_SIZE - gathered.len());
        gathered.extend_from_slice(&data[from..from + take]);
        addr += take as u64;
    }
    assert!(gathered == pattern(), "buf's bytes differ");
}

#[test]
fn exit_ends_server_and_kills_launched_program() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let _out = gdb(&prog, server.port, &["monitor exit"]);
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("server exits");
    assert!(status.success(), "{status}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while pid_alive(pid) {
        assert!(Instant::now() < deadline, "program {pid} still alive");
        std::thread::sleep(Duration::from_millis(20));
    }
}
