//! The C test programs in tests/programs/: compiled with gcc into a
//! directory the test owns, and run on their own for tests that attach to
//! them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Compile tests/programs/NAME.c into DIR with gcc -g -O0.
pub fn compile(dir: &Path, name: &str) -> PathBuf {
    compile_with(dir, name, name, &[])
}

/// Compile tests/programs/SOURCE.c into DIR/OUT with gcc -g -O0 and
/// `extra` (e.g. `-shared -fPIC`, `-static`, `-DNAME=VALUE`).
pub fn compile_with(dir: &Path, source: &str, out: &str, extra: &[&str]) -> PathBuf {
    compile_using("gcc", dir, source, out, extra)
}

/// How a 32-bit test program is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum I386Linkage {
    Static,
    /// Against the cross toolchain's libc (gcc-i686-linux-gnu,
    /// libc6-dev-i386-cross): its loader and libraries are named in the
    /// program, so it runs without Debian's libc6:i386.
    Dynamic,
}

/// The i686 cross compiler scripts/test-all.sh installs.
pub const I386_GCC: &str = "i686-linux-gnu-gcc";
/// Where libc6-i386-cross puts the 32-bit loader and libraries.
pub const I386_LIBS: &str = "/usr/i686-linux-gnu/lib";

/// Compile tests/programs/SOURCE.c as a 32-bit (i386) program into
/// DIR/OUT. Fails loudly when the cross compiler is missing.
pub fn compile_i386(dir: &Path, source: &str, out: &str, linkage: I386Linkage) -> PathBuf {
    assert!(
        Command::new(I386_GCC).arg("--version").output().is_ok(),
        "{I386_GCC} is missing: apt-get install gcc-i686-linux-gnu (scripts/test-all.sh does)"
    );
    let loader = format!("-Wl,--dynamic-linker={I386_LIBS}/ld-linux.so.2");
    let rpath = format!("-Wl,-rpath={I386_LIBS}");
    let extra: Vec<&str> = match linkage {
        I386Linkage::Static => vec!["-static"],
        I386Linkage::Dynamic => vec![&loader, &rpath],
    };
    compile_using(I386_GCC, dir, source, out, &extra)
}

fn compile_using(compiler: &str, dir: &Path, source: &str, out: &str, extra: &[&str]) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(format!("{source}.c"));
    let out = dir.join(out);
    let status = Command::new(compiler)
        .args(["-g", "-O0", "-pthread"])
        .args(extra)
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| panic!("{compiler} does not run: {e}"));
    assert!(
        status.success(),
        "{compiler} failed on {}",
        source.display()
    );
    out
}

/// tests/programs/NAME.c compiled into a new temporary directory, for the
/// many tests that need one program and nowhere else to put it. Keep the
/// directory for as long as the program runs: dropping it removes both.
pub fn compile_in_tempdir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile(dir.path(), name);
    (dir, prog)
}

/// Run PROG on its own (its output discarded), for a test to attach to,
/// and give it a moment to get going.
pub fn spawn_loop(prog: &Path) -> Child {
    let child = Command::new(prog).stdout(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    child
}

/// Kills process PID (left running, detached) when the test ends.
pub struct KillOnDrop(pub i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}
