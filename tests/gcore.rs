//! `monitor gcore`: a core file the server writes of the stopped process,
//! checked by opening it in gdb (the same threads, backtraces, registers
//! and memory as the live session printed) and with readelf (the notes),
//! and by its file rules (mode 0600, never over an existing file, no file
//! left after a failed write, the target unharmed and still able to run to
//! its end).

mod common;

use common::*;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What the live session and the core are both asked.
const LOOK: &[&str] = &[
    "info threads",
    "thread apply all bt",
    "info registers rip rsp",
    "p/x global_counter",
    "p/x heap[12345]",
    "p/x heap[heap_words - 1]",
];

/// The LWP a thread line names: "Thread 7633.7649 ..." live, "Thread
/// 0x7ffff6ccd6c0 (LWP 7649)" from a core.
fn lwp_of(line: &str) -> String {
    let after = match line.split_once("(LWP ") {
        Some((_, rest)) => rest,
        None => line
            .split_once("Thread ")
            .and_then(|(_, t)| t.split_once('.'))
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("no LWP in {line:?}")),
    };
    after.split([' ', ')']).next().unwrap().to_string()
}

/// The function names of each thread's backtrace in `thread apply all bt`
/// output, by the thread's LWP, sorted.
fn backtraces(out: &str) -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in out.lines() {
        if line.starts_with("Thread ") && line.ends_with("):") {
            let lwp = lwp_of(line);
            all.insert(lwp.clone(), Vec::new());
            current = Some(lwp);
        } else if let (Some(lwp), Some(frame)) = (&current, line.strip_prefix('#')) {
            let rest = frame.split_once("  ").map(|(_, r)| r).unwrap_or("");
            let rest = rest.split_once(" in ").map(|(_, r)| r).unwrap_or(rest);
            let name = rest.split(" (").next().unwrap().to_string();
            all.get_mut(lwp).unwrap().push(name);
        }
    }
    all
}

/// The lines starting with `prefix`.
fn lines_with<'a>(out: &'a str, prefix: &str) -> Vec<&'a str> {
    out.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// The LWP of the current thread (`*`) in `info threads`.
fn current_lwp(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.starts_with('*'))
        .unwrap_or_else(|| panic!("no current thread in:\n{out}"));
    lwp_of(line)
}

/// readelf's list of the notes in `core`: one "OWNER SIZE TYPE" line each
/// (the data it prints of notes it does not decode left out).
fn readelf_notes(core: &Path) -> Vec<String> {
    let out = Command::new("readelf")
        .arg("-nW")
        .arg(core)
        .output()
        .expect("readelf runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("CORE ") || l.starts_with("LINUX "))
        .map(|l| {
            l.split(" (")
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn core_shows_what_the_live_session_showed() {
    let (dir, prog) = compile_in_tempdir("gcore");
    let core = dir.path().join("prog.core");
    let existing = dir.path().join("existing");
    std::fs::write(&existing, "precious").unwrap();
    let server = Server::launch(&prog, &[]);
    let mut commands = vec!["break ready", "continue"];
    commands.extend_from_slice(LOOK);
    let gcore = format!("monitor gcore {}", core.display());
    let refused = format!("monitor gcore {}", existing.display());
    commands.extend([gcore.as_str(), refused.as_str(), "continue"]);
    let live = gdb(&prog, server.port, &commands);

    assert_contains(&live, &format!("Saved corefile {} (", core.display()));
    assert_contains(&live, "4 threads");
    assert_contains(
        &live,
        &format!("{} already exists; not overwriting it.", existing.display()),
    );
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "precious");
    // The target was left as it was: it runs on to its own end.
    assert_contains(&live, "exited with code 07]");
    let meta = std::fs::metadata(&core).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let size: u64 = live
        .split(&format!("Saved corefile {} (", core.display()))
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in:\n{live}"));
    assert_eq!(size, meta.len());

    let dead = gdb_binary_connect(
        Path::new("gdb"),
        Some(&prog),
        &format!("core-file {}", core.display()),
        &[
            LOOK,
            &[
                "p $_siginfo.si_signo",
                "info sharedlibrary",
                "info proc mappings",
            ],
        ]
        .concat(),
    );
    assert_contains(&dead, "Program terminated with signal SIGTRAP");
    assert_contains(&dead, "libc.so.6");
    let thread_lines = |out: &str| {
        out.lines()
            .filter(|l| {
                l.trim_start_matches('*')
                    .trim_start()
                    .starts_with(char::is_numeric)
                    && l.contains("Thread ")
            })
            .count()
    };
    assert_eq!(thread_lines(&live), 4, "{live}");
    assert_eq!(thread_lines(&dead), 4, "{dead}");
    assert_eq!(current_lwp(&dead), current_lwp(&live), "{live}\n{dead}");
    let bts = backtraces(&live);
    assert_eq!(bts.len(), 4, "{live}");
    assert!(
        bts.values()
            .filter(|bt| bt.contains(&"worker_waits".to_string()))
            .count()
            == 3,
        "{bts:?}"
    );
    assert_eq!(backtraces(&dead), bts, "{live}\n{dead}");
    for reg in ["rip ", "rsp "] {
        assert_eq!(
            lines_with(&dead, reg),
            lines_with(&live, reg),
            "{live}\n{dead}"
        );
        assert_eq!(lines_with(&live, reg).len(), 1, "{live}");
    }
    for value in ["$1 = 0x1234abcd5678ef01", "$2 = 0x", "$3 = 0x"] {
        let line = |out: &str| lines_with(out, value).first().map(|l| l.to_string());
        assert!(line(&live).is_some(), "{value} in:\n{live}");
        assert_eq!(line(&dead), line(&live), "{live}\n{dead}");
    }
    assert_contains(&dead, "$4 = 5");

    let notes = readelf_notes(&core);
    let count = |kind: &str| {
        notes
            .iter()
            .filter(|l| l.ends_with(&format!(" {kind}")))
            .count()
    };
    for (name, n) in [
        ("NT_PRSTATUS", 4),
        ("NT_FPREGSET", 4),
        ("NT_X86_XSTATE", 4),
        ("NT_PRPSINFO", 1),
        ("NT_SIGINFO", 1),
        ("NT_AUXV", 1),
        ("NT_FILE", 1),
    ] {
        assert_eq!(count(name), n, "{name} in {notes:#?}");
    }
    // The kernel's order: the first thread's prstatus, the process's
    // notes, the rest of its registers, then the other threads'.
    let kinds: Vec<&str> = notes
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(
        kinds[..7],
        [
            "NT_PRSTATUS",
            "NT_PRPSINFO",
            "NT_SIGINFO",
            "NT_AUXV",
            "NT_FILE",
            "NT_FPREGSET",
            "NT_X86_XSTATE",
        ],
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .all(|l| l.starts_with("LINUX") == l.ends_with("NT_X86_XSTATE")),
        "{notes:#?}"
    );
    // NT_FILE: gdb lists the mapped files from it (readelf 2.40 cannot
    // decode it, for the kernel's cores either).
    let mapped = dead
        .split("Start Addr")
        .nth(1)
        .unwrap_or_else(|| panic!("no mappings in:\n{dead}"));
    assert_contains(mapped, &prog.display().to_string());
    assert_contains(mapped, "libc.so.6");
}

#[test]
fn default_name_progress_and_write_failure() {
    let (dir, prog) = compile_in_tempdir("gcore");
    // An 80 MiB heap: large enough for progress lines.
    let mut command = Command::new(server_binary());
    command.current_dir(dir.path());
    let mut server = Server::start_command(
        command,
        &["--once", "127.0.0.1:0", prog.to_str().unwrap(), "80"],
    );
    let pid = server.pid.expect("pid");
    let out = gdb(
        &prog,
        server.port,
        &["break ready", "continue", "monitor gcore", "continue"],
    );
    let core = dir.path().join(format!("core.{pid}"));
    assert_contains(&out, &format!("Saved corefile {} (", core.display()));
    assert_contains(&out, "gcore: ");
    assert!(
        out.find("gcore: ").unwrap() < out.find("Saved corefile").unwrap(),
        "{out}"
    );
    assert!(std::fs::metadata(&core).unwrap().len() > 80 << 20);
    assert_contains(&out, "exited with code 07]");
    server.expect_exit(Duration::from_secs(10));

    // A file size limit (SIGXFSZ ignored) stands in for a full disk: the
    // write fails part-way, the partial file goes, the target runs on.
    let mut command = Command::new("sh");
    command.current_dir(dir.path());
    let script = "trap '' XFSZ; ulimit -f 64; exec \"$@\"";
    let rgdbserver = server_binary();
    let server = Server::start_command(
        command,
        &[
            "-c",
            script,
            "sh",
            rgdbserver.to_str().unwrap(),
            "--once",
            "127.0.0.1:0",
            prog.to_str().unwrap(),
        ],
    );
    let pid = server.pid.expect("pid");
    let out = gdb(
        &prog,
        server.port,
        &[
            "break ready",
            "continue",
            "monitor gcore",
            "p/x global_counter",
            "continue",
        ],
    );
    let core = dir.path().join(format!("core.{pid}"));
    assert_contains(
        &out,
        &format!("gcore failed: cannot write core.{pid}: File too large"),
    );
    assert_contains(&out, &format!("{} not written.", core.display()));
    assert!(!core.exists());
    assert_contains(&out, "$1 = 0x1234abcd5678ef01");
    assert_contains(&out, "exited with code 07]");
}

#[test]
fn the_thread_that_stopped_comes_first() {
    let (dir, prog) = compile_in_tempdir("gcore");
    let core = dir.path().join("worker.core");
    let server = Server::launch(&prog, &[]);
    let pid = server.pid.expect("pid");
    let gcore = format!("monitor gcore {}", core.display());
    let live = gdb(
        &prog,
        server.port,
        &[
            "break worker_waits",
            "continue",
            "info threads",
            "bt",
            &gcore,
            "kill",
        ],
    );
    assert_contains(&live, "Saved corefile");
    let stopped = current_lwp(&live);
    assert_ne!(stopped, pid.to_string(), "{live}");
    let dead = gdb_binary_connect(
        Path::new("gdb"),
        Some(&prog),
        &format!("core-file {}", core.display()),
        &["info threads", "bt"],
    );
    assert_eq!(current_lwp(&dead), stopped, "{live}\n{dead}");
    assert_contains(&dead, "#0  worker_waits (i=");
    assert_contains(&dead, "Program terminated with signal SIGTRAP");
}
