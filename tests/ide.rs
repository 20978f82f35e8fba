//! IDE sessions: gdb/MI driven the way VS Code's cpptools drives it with
//! `miDebuggerServerAddress` (async target, `-target-select remote`,
//! breakpoints, stack and variables, memory, interrupt, detach), and a
//! Debug Adapter Protocol session through Eclipse CDT's `cdt-gdb-adapter`
//! (npm; scripts/setup-dap.sh) attached to the server as a remote target,
//! checked against the target's real state.

mod common;

use common::mi::Mi;
use common::*;
use std::time::Duration;

/// The value of `key="..."` in an MI record.
fn field<'a>(record: &'a str, key: &str) -> &'a str {
    let start = record
        .find(&format!("{key}=\""))
        .unwrap_or_else(|| panic!("no {key} in {record}"))
        + key.len()
        + 2;
    let len = record[start..].find('"').unwrap();
    &record[start..start + len]
}

#[test]
fn vscode_shaped_mi_session() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let mut mi = Mi::start();
    mi.ok("-gdb-set mi-async on");
    mi.ok("-gdb-set pagination off");
    mi.ok(&format!("-file-exec-and-symbols {}", prog.display()));
    mi.ok(&format!("-target-select remote 127.0.0.1:{}", server.port));
    let bkpt = mi.ok("-break-insert -f tick");
    assert_eq!(field(&bkpt, "func"), "tick", "{bkpt}");
    mi.ok("-exec-continue");
    let stop = mi.stopped();
    assert!(stop.contains("reason=\"breakpoint-hit\""), "{stop}");
    assert!(stop.contains("func=\"tick\""), "{stop}");

    // The stack and a variable, as the IDE's panes show them.
    let frames = mi.ok("-stack-list-frames");
    assert!(frames.contains("level=\"0\",addr=") && frames.contains("func=\"tick\""));
    assert!(frames.contains("func=\"main\""), "{frames}");
    let var = mi.ok("-var-create - * ticks");
    let name = field(&var, "name").to_string();
    let ticks: u64 = field(&var, "value").parse().unwrap();
    mi.ok("-exec-continue");
    mi.stopped();
    // The IDE refreshes its variables at each stop.
    let changed = mi.ok("-var-update --all-values *");
    assert!(changed.contains(&format!("name=\"{name}\"")), "{changed}");
    let update = mi.ok(&format!("-var-evaluate-expression {name}"));
    assert_eq!(field(&update, "value").parse::<u64>().unwrap(), ticks + 1);

    // Memory as the IDE's memory view reads it: the same bytes as the
    // target's memory.
    let addr = mi.ok("-data-evaluate-expression &ticks");
    let addr = field(&addr, "value");
    let addr = u64::from_str_radix(
        addr.split_whitespace()
            .next()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let bytes = mi.ok(&format!("-data-read-memory-bytes {addr:#x} 8"));
    let contents = field(&bytes, "contents");
    let want: String = read_proc_mem(pid, addr, 8)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(contents, want);

    // Running freely, then the pause button.
    mi.ok("-break-delete");
    mi.ok("-exec-continue");
    mi.wait_for(|l| l.starts_with("*running"));
    mi.ok("-exec-interrupt");
    let stop = mi.stopped();
    assert!(stop.contains("signal-name=\"SIGINT\""), "{stop}");

    // Detach: the program runs on, untraced.
    mi.ok("-target-detach");
    let untraced = wait_until(Duration::from_secs(10), || {
        proc_status(pid, "TracerPid").as_deref() == Some("0")
    });
    assert!(untraced, "{pid} still traced after detach");
    let before: u64 = read_ticks(pid, addr);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        read_ticks(pid, addr) > before,
        "the program stopped running"
    );
    let _ = nix_kill(pid);
}

fn read_ticks(pid: i32, addr: u64) -> u64 {
    u64::from_le_bytes(read_proc_mem(pid, addr, 8).try_into().unwrap())
}

fn nix_kill(pid: i32) -> std::io::Result<()> {
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .map(|_| ())
}

/// cdt-gdb-adapter's remote-target entry point: RGDBSERVER_DAP_ADAPTER, or
/// where scripts/setup-dap.sh installs it. None found fails the test.
fn dap_adapter() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let candidates: Vec<std::path::PathBuf> = std::env::var_os("RGDBSERVER_DAP_ADAPTER")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([target.join("dap/node_modules/cdt-gdb-adapter/dist/debugTargetAdapter.js")])
        .collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "NO cdt-gdb-adapter (tried {candidates:?}): run scripts/setup-dap.sh \
                 (scripts/test-all.sh does) or set RGDBSERVER_DAP_ADAPTER"
            )
        })
}

/// A DAP client (tests/dap/session.py) through cdt-gdb-adapter, attached
/// to the server as a remote target: a source breakpoint, the stop, the
/// stack, a register, an expression, memory, and the program's exit.
#[test]
fn dap_session_through_cdt_gdb_adapter() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/abc.c");
    let mut server = Server::launch(&prog, &[]);
    let mut command = std::process::Command::new("python3");
    command
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dap/session.py"))
        .arg(dap_adapter())
        .arg(gdb_path())
        .arg(&prog)
        .arg(&source)
        .arg("5")
        .arg(server.port.to_string());
    let (status, out) = run_with_timeout(command, Duration::from_secs(90));
    assert!(
        status.is_some_and(|s| s.success()),
        "DAP session failed:\n{out}"
    );
    assert_contains(&out, "breakpoint verified=True line=5");
    assert_contains(&out, "stopped reason=breakpoint");
    assert_contains(&out, "frame 0 c line=5");
    assert_contains(&out, "frame 1 main line=9");
    // b() ran before: counter is 1, and memory holds it.
    assert_contains(&out, "evaluate counter=1");
    assert!(
        out.lines()
            .any(|l| l.starts_with("memory 0x") && l.ends_with(" 01000000")),
        "{out}"
    );
    let rip = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("register rip=")
                .or_else(|| l.strip_prefix("register pc="))
        })
        .unwrap_or_else(|| panic!("no pc register in:\n{out}"));
    assert!(rip.starts_with("0x"), "{rip}");
    assert_contains(&out, "exited with code 03");
    server.expect_exit(Duration::from_secs(20));
    assert_contains(&server.stdout(), "counter 3");
}
