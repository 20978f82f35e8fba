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
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(format!("{source}.c"));
    let out = dir.join(out);
    let status = Command::new("gcc")
        .args(["-g", "-O0", "-pthread"])
        .args(extra)
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed on {}", source.display());
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
