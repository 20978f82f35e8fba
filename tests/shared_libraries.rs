//! gdb sessions on programs that load and unload shared libraries at run
//! time: libraries in a second link-map namespace (`dlmopen`), and a
//! breakpoint in a library loaded where an unloaded one was.

mod common;

use common::*;
use std::time::Duration;

/// The dl program and the two builds of dllib (same layout, function
/// `first` in one and `second` in the other).
fn setup() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_with(dir.path(), "dl", "dl", &["-ldl"]);
    let lib = |name: &str, func: &str| {
        compile_with(
            dir.path(),
            "dllib",
            name,
            &["-shared", "-fPIC", &format!("-DFUNC={func}")],
        )
    };
    let lib_a = lib("libdl-a.so", "first");
    let lib_b = lib("libdl-b.so", "second");
    (dir, prog, lib_a, lib_b)
}

/// The address a line "NAME at 0x..." of the program's output gives.
fn printed_address(stdout: &str, name: &str) -> u64 {
    hex_after(stdout, &format!("{name} at"))
}

#[test]
fn library_in_a_dlmopen_namespace_is_listed_and_debuggable() {
    let (_dir, prog, lib_a, _) = setup();
    let lib_a = lib_a.to_str().unwrap();
    let mut server = Server::launch(&prog, &["dlmopen", lib_a]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break loaded",
            "continue",
            "info sharedlibrary",
            "break first",
            "continue",
            "p/x $pc",
            "continue",
        ],
    );
    // The library is loaded twice: in the main namespace and in the new
    // one, and gdb lists both.
    let listing = &out[out.find("Shared Object Library").expect(&out)..];
    let listing = &listing[..listing.find("Breakpoint 2 at").unwrap_or(listing.len())];
    assert_eq!(listing.matches(lib_a).count(), 2, "{out}");
    // The breakpoint has a location in each copy, and the one hit is in
    // the dlmopen'ed copy, whose first() the program calls.
    assert_contains(&out, "(2 locations)");
    assert_contains(&out, ", first (x=1) at");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    let pc = hex_after(&out, "$1 =");
    let called = printed_address(&server.stdout(), "first");
    // The breakpoint is past the prologue.
    assert!(
        pc > called && pc < called + 64,
        "pc {pc:#x}, first at {called:#x}"
    );
}

#[test]
fn breakpoint_in_a_library_loaded_where_an_unloaded_one_was() {
    let (_dir, prog, lib_a, lib_b) = setup();
    let mut server = Server::launch(
        &prog,
        &["reload", lib_a.to_str().unwrap(), lib_b.to_str().unwrap()],
    );
    let out = gdb(
        &prog,
        server.port,
        &[
            "set breakpoint pending on",
            "break first",
            "break second",
            "continue",
            "continue",
            "continue",
        ],
    );
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    let stdout = server.stdout();
    // What makes this case: the second library's function is where the
    // first one's was, breakpoint and all, when the first was unloaded
    // without gdb removing its breakpoint.
    assert_eq!(
        printed_address(&stdout, "first"),
        printed_address(&stdout, "second"),
        "the libraries were not loaded at the same address: {stdout}"
    );
    assert_contains(&out, "Breakpoint 1, first (x=1)");
    assert_contains(
        &out,
        "Temporarily disabling breakpoints for unloaded shared library",
    );
    assert_contains(&out, "Breakpoint 2, second (x=1)");
    assert_contains(&out, "exited normally");
}
