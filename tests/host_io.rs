//! Host I/O that gdbstub lacks: `vFile:stat` and `vFile:lstat` (gdb 16
//! and later), over the raw protocol (an existing file, a missing one, a
//! symbolic link stat'ed and lstat'ed, paths after `vFile:setfs`) and with
//! gdb 18, which asks `lstat` for its separate debug files.

mod common;

use common::rsp::{show, Client};
use common::*;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The 64-byte struct of a `F40;...` reply, escapes undone.
fn stat_struct(reply: &[u8]) -> Vec<u8> {
    let body = reply
        .strip_prefix(b"F40;")
        .unwrap_or_else(|| panic!("not a stat reply: {}", show(reply)));
    let mut out = Vec::new();
    let mut bytes = body.iter();
    while let Some(&b) = bytes.next() {
        out.push(if b == b'}' {
            bytes.next().unwrap() ^ 0x20
        } else {
            b
        });
    }
    assert_eq!(out.len(), 64);
    out
}

fn be32(raw: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(raw[at..at + 4].try_into().unwrap())
}

fn be64(raw: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(raw[at..at + 8].try_into().unwrap())
}

fn stat(c: &mut Client, op: &str, path: &Path) -> Vec<u8> {
    c.request(format!("vFile:{op}:{}", hex(path.to_str().unwrap())).as_bytes())
}

#[test]
fn stat_and_lstat_over_the_raw_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"twelve bytes").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let mut server = Server::launch_multi();
    let mut c = Client::connect(server.port);
    c.request(b"qSupported:multiprocess+");

    let meta = std::fs::metadata(&file).unwrap();
    let raw = stat_struct(&stat(&mut c, "stat", &file));
    assert_eq!(be32(&raw, 0), meta.dev() as u32);
    assert_eq!(be32(&raw, 4), meta.ino() as u32);
    assert_eq!(be32(&raw, 8), 0o100000 | (meta.mode() & 0o777));
    assert_eq!(be32(&raw, 12), meta.nlink() as u32);
    assert_eq!(be32(&raw, 16), meta.uid());
    assert_eq!(be32(&raw, 20), meta.gid());
    assert_eq!(be64(&raw, 28), 12);
    assert_eq!(be64(&raw, 36), meta.blksize());
    assert_eq!(be64(&raw, 44), meta.blocks());
    assert_eq!(be32(&raw, 56), meta.mtime() as u32);
    assert_eq!(be32(&raw, 60), meta.ctime() as u32);

    // stat follows the link; lstat describes the link itself: its size
    // is the target's name, its mode has no File-I/O type (as GNU
    // gdbserver 18 sends it), its inode is its own.
    assert_eq!(stat_struct(&stat(&mut c, "stat", &link))[..52], raw[..52]);
    let link_raw = stat_struct(&stat(&mut c, "lstat", &link));
    let link_meta = std::fs::symlink_metadata(&link).unwrap();
    assert_eq!(be64(&link_raw, 28), file.to_str().unwrap().len() as u64);
    assert_eq!(be32(&link_raw, 8), 0o777);
    assert_eq!(be32(&link_raw, 4), link_meta.ino() as u32);
    // A directory.
    assert_eq!(
        be32(&stat_struct(&stat(&mut c, "stat", dir.path())), 8) & 0o170000,
        0o040000
    );

    // Errors are File-I/O errnos, in hex: ENOENT, ENOTDIR, EINVAL.
    assert_eq!(stat(&mut c, "stat", &dir.path().join("missing")), b"F-1,2");
    assert_eq!(stat(&mut c, "lstat", &dir.path().join("missing")), b"F-1,2");
    assert_eq!(stat(&mut c, "stat", &file.join("below")), b"F-1,14");
    assert_eq!(c.request(b"vFile:stat:zz"), b"F-1,16");
    c.send(b"k");
    drop(c);
    server.wait_exit(Duration::from_secs(10));
}

#[test]
fn stat_resolves_paths_after_setfs() {
    let (dir, prog) = compile_in_tempdir("loop");
    let mut server = Server::launch(&prog, &[]);
    let pid = server.process_id();
    let mut c = Client::connect(server.port);
    c.request(b"qSupported:multiprocess+");
    let size = |c: &mut Client| be64(&stat_struct(&stat(c, "stat", &prog)), 28);
    let on_disk = std::fs::metadata(&prog).unwrap().len();
    assert_eq!(size(&mut c), on_disk);
    // In the process's view (/proc/PID/root): the same file here.
    assert_eq!(c.request(format!("vFile:setfs:{pid:x}").as_bytes()), b"F0");
    assert_eq!(size(&mut c), on_disk);
    // A process that is not there has no filesystem: nothing resolves.
    assert_eq!(c.request(b"vFile:setfs:7ffffffe"), b"F0");
    assert_eq!(stat(&mut c, "stat", &prog), b"F-1,2");
    assert_eq!(stat(&mut c, "lstat", &prog), b"F-1,2");
    // Back to the server's own view.
    assert_eq!(c.request(b"vFile:setfs:0"), b"F0");
    assert_eq!(size(&mut c), on_disk);
    c.send(b"k");
    drop(c);
    server.wait_exit(Duration::from_secs(10));
    drop(dir);
}

/// gdb 18 asks `lstat` of its build-id debug file and uses the answer
/// instead of declaring the packet unsupported.
#[test]
fn gdb18_gets_answers_to_lstat() {
    let gdb = gdb18();
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = Server::launch_logging_packets(&prog);
    let out = gdb_binary_connect(
        &gdb,
        Some(&prog),
        &format!("target remote 127.0.0.1:{}", server.port),
        &["info sharedlibrary", "kill"],
    );
    // Stopped at the dynamic linker's entry: it is the one library.
    assert_contains(&out, "Shared Object Library");
    assert_contains(&out, "/ld-linux");
    server.wait_exit(Duration::from_secs(10));
    let log = server.stderr();
    let asked = log
        .lines()
        .position(|l| l.contains("getpkt (\"vFile:lstat:"))
        .unwrap_or_else(|| panic!("gdb 18 never asked lstat:\n{log}"));
    let answer = log.lines().nth(asked + 1).unwrap();
    assert!(
        answer.contains("putpkt (\"F40;") || answer.contains("putpkt (\"F-1,"),
        "{answer}"
    );
}
