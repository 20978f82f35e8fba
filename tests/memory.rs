//! The memory packets end to end: binary reads (`x`, offered with
//! `binary-upload+`) and writes (`X`), their escapes, and the breakpoint
//! bytes every read hides and every write goes around, first with a raw
//! protocol client and then with a real gdb 18 (gdb 16+ is the first to
//! send `x`), whose dumps must hold the program's own bytes and whose
//! packets must be `x` (or `m` with `--disable-packet=x`).

mod common;

use common::rsp::{show, Client};
use common::*;
use std::path::{Path, PathBuf};

/// tests/programs/binary.c, not position-independent: `nm` gives the
/// addresses the process has.
fn compile_binary() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_with(dir.path(), "binary", "binary", &["-no-pie"]);
    (dir, prog)
}

/// The address of `name` in `prog`'s symbol table.
fn symbol(prog: &Path, name: &str) -> u64 {
    let out = std::process::Command::new("nm").arg(prog).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some(name))
        .unwrap_or_else(|| panic!("no {name} in nm {}", prog.display()));
    u64::from_str_radix(line.split_whitespace().next().unwrap(), 16).unwrap()
}

/// The data of an `x` reply: after the `b`, escapes undone (the client has
/// already expanded run-length encoding). Fails on a raw `#`, `$` or `*`,
/// which must never appear, or an escape cut off.
#[track_caller]
fn binary_data(reply: &[u8]) -> Vec<u8> {
    let data = reply
        .strip_prefix(b"b")
        .unwrap_or_else(|| panic!("not a binary reply: {}", show(reply)));
    let mut out = Vec::new();
    let mut bytes = data.iter();
    while let Some(&b) = bytes.next() {
        assert!(!b"#$*".contains(&b), "unescaped {b:#x} in {}", show(reply));
        out.push(if b == b'}' {
            bytes.next().expect("escape cut off") ^ 0x20
        } else {
            b
        });
    }
    out
}

fn hex(data: &[u8]) -> Vec<u8> {
    data.iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect()
}

/// `X` data: `#$}*` escaped as gdb escapes them.
fn escaped(data: &[u8]) -> Vec<u8> {
    data.iter()
        .flat_map(|&b| match b {
            b'#' | b'$' | b'}' | b'*' => vec![b'}', b ^ 0x20],
            b => vec![b],
        })
        .collect()
}

/// A software breakpoint's kind (`Z0,ADDR,KIND`) here.
const BREAKPOINT_KIND: u8 = if cfg!(target_arch = "x86_64") { 1 } else { 4 };

#[test]
fn binary_reads_and_writes_escape_and_hide_breakpoints() {
    let (_dir, prog) = compile_binary();
    let server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let specials = symbol(&prog, "specials");
    let work = symbol(&prog, "work");
    let mut c = Client::connect(server.port);
    let features = c.request(b"qSupported:multiprocess+;swbreak+");
    assert!(
        String::from_utf8_lossy(&features).contains(";binary-upload+"),
        "{}",
        show(&features)
    );
    c.request(b"?");

    // Every byte that needs an escape, runs that RLE compresses, and a
    // run of an escape's second byte: as the process has them, as `m` has.
    let want = read_proc_mem(pid, specials, 64);
    assert_eq!(&want[..4], b"#$}*");
    let x_specials = format!("x{specials:x},40");
    assert_eq!(binary_data(&c.request(x_specials.as_bytes())), want);
    assert_eq!(
        c.request(format!("m{specials:x},40").as_bytes()),
        hex(&want)
    );

    // A breakpoint inside the range: planted in memory, hidden from reads.
    let z0 = format!("Z0,{work:x},{BREAKPOINT_KIND}");
    assert_eq!(c.request(z0.as_bytes()), b"OK");
    let code = code_bytes_in_file(pid, &prog, work - 16, 64);
    assert_ne!(read_proc_mem(pid, work, 1), code[16..17], "not planted");
    let x_code = format!("x{:x},40", work - 16);
    assert_eq!(binary_data(&c.request(x_code.as_bytes())), code);
    let m_code = format!("m{:x},40", work - 16);
    assert_eq!(c.request(m_code.as_bytes()), hex(&code));

    // X: escapes undone; under a breakpoint the write becomes its saved
    // byte and the trap stays until the breakpoint goes.
    let mut packet = format!("X{specials:x},4:").into_bytes();
    packet.extend(escaped(b"*#$}"));
    assert_eq!(c.request(&packet), b"OK");
    assert_eq!(read_proc_mem(pid, specials, 4), b"*#$}");
    let reply = c.request(format!("x{specials:x},4").as_bytes());
    assert_eq!(binary_data(&reply), b"*#$}");
    let trap = read_proc_mem(pid, work, 1);
    let mut packet = format!("X{work:x},1:").into_bytes();
    packet.push(0x90);
    assert_eq!(c.request(&packet), b"OK");
    assert_eq!(read_proc_mem(pid, work, 1), trap);
    assert_eq!(c.request(format!("x{work:x},1").as_bytes()), b"b\x90");
    assert_eq!(c.request(format!("z{}", &z0[1..]).as_bytes()), b"OK");
    assert_eq!(read_proc_mem(pid, work, 1), [0x90]);
    assert_eq!(c.request(format!("M{specials:x},2:4142").as_bytes()), b"OK");
    assert_eq!(read_proc_mem(pid, specials, 2), b"AB");

    // Probes: a zero-length x is a bare `b` (as gdbserver answers), a
    // zero-length X is gdb's test for X support.
    assert_eq!(c.request(format!("x{specials:x},0").as_bytes()), b"b");
    assert_eq!(c.request(format!("X{specials:x},0:").as_bytes()), b"OK");

    // A read running into unmapped memory gives the readable prefix.
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let ends: Vec<u64> = maps
        .lines()
        .map(|l| {
            let range = l.split_whitespace().next().unwrap();
            let (start, end) = range.split_once('-').unwrap();
            (
                u64::from_str_radix(start, 16).unwrap(),
                u64::from_str_radix(end, 16).unwrap(),
            )
        })
        .filter(|&(_, end)| !maps.contains(&format!("{end:x}-")))
        .map(|(_, end)| end)
        .collect();
    let end = ends[0];
    let reply = c.request(format!("x{:x},20", end - 8).as_bytes());
    assert_eq!(binary_data(&reply), read_proc_mem(pid, end - 8, 8));

    // Errors, as `m`/`M` and gdbserver give them.
    for (packet, want) in [
        (format!("x{end:x},10"), &b"E01"[..]),
        ("x0,10".to_string(), b"E01"),
        ("xzz,1".to_string(), b"E01"),
        (format!("x{specials:x}"), b"E01"),
        (format!("x{specials:x},zz"), b"E01"),
        // Unmapped: the write's errno (EIO), as before.
        ("X0,1:a".to_string(), b"E05"),
        (format!("X{specials:x},2:a"), b"E01"),
        (format!("X{specials:x},1:}}"), b"E01"),
        (format!("X{specials:x},1:ab"), b"E01"),
        (format!("X{specials:x},ffffffffffffffff:a"), b"E01"),
    ] {
        assert_eq!(c.request(packet.as_bytes()), want, "{packet}");
    }
    // None of which wrote anything.
    assert_eq!(read_proc_mem(pid, specials, 4), b"AB$}");
    c.send(b"k");
}

#[test]
fn disabled_x_is_not_offered_and_unknown() {
    let (_dir, prog) = compile_binary();
    let server = Server::start(
        &server_binary(),
        &[
            "--once",
            "--disable-packet=x",
            "127.0.0.1:0",
            prog.to_str().unwrap(),
        ],
    );
    let specials = symbol(&prog, "specials");
    let mut c = Client::connect(server.port);
    let features = c.request(b"qSupported:multiprocess+");
    assert!(
        !String::from_utf8_lossy(&features).contains("binary-upload"),
        "{}",
        show(&features)
    );
    assert_eq!(c.request(format!("x{specials:x},4").as_bytes()), b"");
    assert_eq!(
        c.request(format!("m{specials:x},4").as_bytes()),
        b"23247d2a"
    );
    c.send(b"k");
}

/// x86_64 has no memory tagging: `memory-tagging+` is not offered back,
/// and the tag packets are unknown (empty), even on the program's own
/// memory, as GNU gdbserver's x86_64 build answers them.
#[cfg(target_arch = "x86_64")]
#[test]
fn no_memory_tagging_on_x86_64() {
    let (_dir, prog) = compile_binary();
    let server = Server::start(
        &server_binary(),
        &["--once", "127.0.0.1:0", prog.to_str().unwrap()],
    );
    let specials = symbol(&prog, "specials");
    let mut c = Client::connect(server.port);
    let features = c.request(b"qSupported:multiprocess+;memory-tagging+");
    let text = String::from_utf8_lossy(&features).into_owned();
    assert!(text.contains("multiprocess+"), "{text}");
    assert!(!text.contains("memory-tagging"), "{text}");
    for packet in [
        format!("qMemTags:{specials:x},10:1"),
        format!("QMemTags:{specials:x},10:1:05"),
        format!("qIsAddressTagged:{specials:x}"),
    ] {
        assert_eq!(c.request(packet.as_bytes()), b"", "{packet}");
    }
    c.send(b"k");
}

/// What gdb 18 dumps of `work`'s code (a breakpoint planted in it) and of
/// `specials`, and the packets the server got, with `server_args`.
fn gdb18_dumps(
    gdb: &Path,
    prog: &Path,
    dir: &Path,
    server_args: &[&str],
) -> (Vec<u8>, Vec<u8>, String, String) {
    let mut args = vec!["--once", "--remote-debug"];
    args.extend_from_slice(server_args);
    args.extend(["127.0.0.1:0", prog.to_str().unwrap()]);
    let mut server = Server::start(&server_binary(), &args);
    let code = dir.join("code.bin");
    let data = dir.join("data.bin");
    let out = gdb_binary_connect(
        gdb,
        Some(prog),
        &format!("target remote 127.0.0.1:{}", server.port),
        &[
            // The breakpoint stays planted while gdb reads.
            "set breakpoint always-inserted on",
            "break work",
            "continue",
            &format!(
                "dump binary memory {} (char*)work-16 (char*)work+48",
                code.display()
            ),
            &format!(
                "dump binary memory {} (char*)specials (char*)specials+64",
                data.display()
            ),
            "x/8xb specials",
            "kill",
        ],
    );
    assert_contains(&out, "Breakpoint 1, work");
    server.wait_exit(std::time::Duration::from_secs(10));
    let log = server.stderr();
    (
        std::fs::read(&code).expect(&out),
        std::fs::read(&data).expect(&out),
        out,
        log,
    )
}

#[test]
fn gdb18_dumps_memory_with_x_and_sees_the_programs_own_bytes() {
    let gdb = gdb18();
    let (dir, prog) = compile_binary();
    let work = symbol(&prog, "work");

    // The bytes in the executable file: gdb reading it with no target.
    let file_code = dir.path().join("file-code.bin");
    let file_data = dir.path().join("file-data.bin");
    let out = gdb_binary_connect(
        &gdb,
        Some(&prog),
        "",
        &[
            &format!(
                "dump binary memory {} (char*)work-16 (char*)work+48",
                file_code.display()
            ),
            &format!(
                "dump binary memory {} (char*)specials (char*)specials+64",
                file_data.display()
            ),
        ],
    );
    let want_code = std::fs::read(&file_code).expect(&out);
    let want_data = std::fs::read(&file_data).expect(&out);
    assert_eq!(&want_data[..4], b"#$}*");

    let (code, data, out, log) = gdb18_dumps(&gdb, &prog, dir.path(), &[]);
    let bp = hex_after(&out, "Breakpoint 1 at ");
    assert!(bp >= work && bp < work + 48, "{out}");
    assert!(
        code == want_code,
        "code dump shows breakpoint bytes:\n{code:02x?}\n{want_code:02x?}"
    );
    assert!(
        data == want_data,
        "data dump differs:\n{data:02x?}\n{want_data:02x?}"
    );
    assert_contains(&out, "0x23\t0x24\t0x7d\t0x2a\t0x23\t0x24\t0x7d\t0x2a");
    // gdb read with x, with the breakpoint planted: its Z0 came before the
    // read of the code and no z0 between.
    let planted = log
        .find(&format!("getpkt (\"Z0,{bp:x},"))
        .unwrap_or_else(|| panic!("no Z0 in the log:\n{log}"));
    let read = log
        .find(&format!("getpkt (\"x{:x},", work - 16))
        .unwrap_or_else(|| panic!("no x read of the code in the log:\n{log}"));
    assert!(planted < read, "{log}");
    let removed = format!("getpkt (\"z0,{bp:x},");
    assert!(!log[planted..read].contains(&removed), "{log}");
    assert!(!log.contains("getpkt (\"m"), "gdb 18 read with m:\n{log}");

    // Without x, gdb falls back to m, and sees the same.
    let (code, data, _, log) = gdb18_dumps(&gdb, &prog, dir.path(), &["--disable-packet=x"]);
    assert!(code == want_code && data == want_data);
    assert_contains(&log, "getpkt (\"m");
    assert!(!log.contains("getpkt (\"x"), "{log}");
}
