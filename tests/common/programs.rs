//! The C test programs in tests/programs/: compiled with gcc into a
//! directory the test owns.

use std::path::{Path, PathBuf};
use std::process::Command;

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
