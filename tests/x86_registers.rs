//! The x86_64 registers beyond AVX, read and written through gdb on this
//! machine's CPU: AVX-512 (`$zmm7`, `$zmm23`, which only AVX-512 has, and
//! the opmask `$k1`) and PKRU. Each test checks the values gdb prints
//! against what the program put there, and what the program reads back
//! after gdb's writes. A CPU without the feature skips its test, saying
//! so (the target description then has no such registers: the arch unit
//! tests cover that layout).

#![cfg(target_arch = "x86_64")]

mod common;

use common::*;
use std::time::Duration;

/// Run `prog` under the server with gdb's `commands` (after a breakpoint
/// at checkpoint() is hit) to its exit: what gdb printed and what the
/// program printed.
fn session(prog: &std::path::Path, commands: &[&str]) -> (String, String) {
    let mut server = Server::launch(prog, &[]);
    let mut all = vec!["break checkpoint", "continue"];
    all.extend_from_slice(commands);
    all.push("continue");
    let out = gdb(prog, server.port, &all);
    server.expect_exit(Duration::from_secs(20));
    (out, server.stdout())
}

#[test]
fn avx512_registers_read_and_written() {
    if !cpu_has("avx512f") {
        eprintln!("SKIPPED: this CPU has no AVX-512 (no avx512f in /proc/cpuinfo)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_with(dir.path(), "avx512", "avx512", &["-mavx512f"]);
    let (out, stdout) = session(
        &prog,
        &[
            "p/x $zmm7.v8_int64",
            "p/x $zmm23.v8_int64",
            "p/x $k1",
            "p/x $xmm23.uint128",
            "set var $zmm7.v8_int64[7] = 0x7777",
            "set var $zmm23.v8_int64[0] = 0x2323",
            "set var $k1 = 0x1234",
            "maint flush register-cache",
            "p/x $zmm7.v8_int64[7]",
            "p/x $k1",
        ],
    );
    let values = "{0x101010101010101, 0x202020202020202, 0x303030303030303, \
                  0x404040404040404, 0x505050505050505, 0x606060606060606, \
                  0x707070707070707, 0x808080808080808}";
    assert_contains(&out, &format!("$1 = {values}"));
    assert_contains(&out, &format!("$2 = {values}"));
    assert_contains(&out, "$3 = 0x5a5a");
    // xmm23 is zmm23's low 128 bits.
    assert_contains(&out, "$4 = 0x2020202020202020101010101010101");
    // Read back from the target after the cache was dropped.
    assert_contains(&out, "$5 = 0x7777");
    assert_contains(&out, "$6 = 0x1234");
    assert_contains(&out, "exited normally");
    // The program saw gdb's values in its registers.
    assert_contains(
        &stdout,
        "zmm7=000000000000777707070707070707070606060606060606050505050505050504040404040404040303030303030303020202020202020201010101010101",
    );
    assert_contains(
        &stdout,
        "zmm23=08080808080808080707070707070707060606060606060605050505050505050404040404040404030303030303030302020202020202020000000000002323",
    );
    assert_contains(&stdout, "k1=1234");
}

#[test]
fn pkru_read_and_written() {
    if !cpu_has("ospke") {
        eprintln!("SKIPPED: this CPU or kernel has no protection keys (no ospke in /proc/cpuinfo)");
        return;
    }
    let (_dir, prog) = compile_in_tempdir("pkru");
    let (out, stdout) = session(
        &prog,
        &[
            "p/x $pkru",
            "set var $pkru = 0x55555550",
            "maint flush register-cache",
            "p/x $pkru",
        ],
    );
    let before = stdout
        .lines()
        .find_map(|l| l.strip_prefix("before="))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_contains(&out, &format!("$1 = 0x{before}"));
    assert_contains(&out, "$2 = 0x55555550");
    assert_contains(&stdout, "after=55555550");
}
