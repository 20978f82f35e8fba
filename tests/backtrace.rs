//! `monitor backtrace` through real gdb: backtrace.c's second thread
//! stopped in c (main -> worker -> a -> b -> c), built several ways. The
//! server's function names must be the ones gdb's own `bt` prints for that
//! thread in the same session, libc's frames must be named, each frame must
//! say how it was found, and the program must still run to its exit code.

mod common;

use common::*;

/// One frame of our output: (function, object, how it was found).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ours {
    name: String,
    object: String,
    how: String,
}

/// Our `Thread TID (name):` blocks, in order, with their frames.
fn our_blocks(out: &str) -> Vec<(String, Vec<Ours>)> {
    let mut blocks: Vec<(String, Vec<Ours>)> = Vec::new();
    for line in out.lines() {
        if line.starts_with("Thread ") && line.ends_with("):") {
            blocks.push((line.to_string(), Vec::new()));
            continue;
        }
        // #N  0xPC in NAME (OBJECT)[ at FILE:LINE] [HOW]
        let Some(rest) = line.strip_prefix('#').filter(|l| l.ends_with(']')) else {
            continue;
        };
        let Some((_, rest)) = rest.split_once(" in ") else {
            continue;
        };
        // NAME may have spaces (`<signal handler called>`); the object, in
        // parentheses, is absent for code no file maps.
        let (rest, how) = rest.rsplit_once(" [").expect("how");
        let how = how.trim_end_matches(']');
        let (name, object) = match rest.split_once(" (") {
            Some((name, rest)) => (name, rest.split_once(')').expect("object closes").0),
            None => (rest.split(" at ").next().unwrap_or(rest), ""),
        };
        if let Some((_, frames)) = blocks.last_mut() {
            frames.push(Ours {
                name: name.to_string(),
                object: object.to_string(),
                how: how.to_string(),
            });
        }
    }
    blocks
}

/// The function names of gdb's own `bt` lines (`#N  [0xPC in ]NAME (...`),
/// which, unlike ours, do not end with `]`.
fn gdb_bt_names(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with('#') && !l.ends_with(']'))
        .filter_map(|l| {
            let rest = l.split_once(char::is_whitespace)?.1.trim_start();
            let rest = match rest.split_once(" in ") {
                Some((addr, rest)) if addr.starts_with("0x") => rest,
                _ => rest,
            };
            // `<signal handler called>` is one name.
            match rest.strip_prefix('<') {
                Some(rest) => Some(format!("<{}>", rest.split('>').next()?)),
                None => Some(rest.split(' ').next()?.to_string()),
            }
        })
        .collect()
}

fn names(frames: &[Ours]) -> Vec<&str> {
    frames.iter().map(|f| f.name.as_str()).collect()
}

/// A session stopped in c, running `commands` there, then on to the
/// program's exit; returns gdb's output.
fn stopped_in_c(extra: &[&str], commands: &[&str]) -> String {
    stopped_at("break c", extra, commands)
}

/// The same, stopped by the breakpoint command `stop`.
fn stopped_at(stop: &str, extra: &[&str], commands: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let prog = compile_with(dir.path(), "backtrace", "backtrace", extra);
    let mut server = Server::launch(&prog, &[]);
    let mut all = vec!["handle SIGUSR1 nostop noprint pass", stop, "continue", "bt"];
    all.extend_from_slice(commands);
    all.push("continue");
    let out = gdb(&prog, server.port, &all);
    assert!(
        server
            .wait_exit(std::time::Duration::from_secs(10))
            .is_some(),
        "{out}"
    );
    // The target ran on to its own exit code (42) after the traces.
    assert_contains(&out, "exited with code 052]");
    out
}

/// Check one build: names as gdb's, libc named, methods as `expect_how`
/// (for frames 1.. of our program's own functions).
fn check_build(extra: &[&str], expect_how: &str) {
    let out = stopped_in_c(extra, &["monitor backtrace", "monitor backtrace all"]);
    let blocks = our_blocks(&out);
    assert_eq!(blocks.len(), 3, "one current, two for all:\n{out}");
    let (header, current) = &blocks[0];
    let gdb_names = gdb_bt_names(&out);
    assert!(gdb_names.len() >= 4, "gdb's bt:\n{out}");
    assert_eq!(names(current), gdb_names, "{header}\n{out}");
    assert_eq!(names(&current[..4]), ["c", "b", "a", "worker"], "{out}");
    assert_eq!(current[0].how, "pc");
    for frame in &current[1..4] {
        assert_eq!(frame.how, expect_how, "{frame:?}\n{out}");
    }
    // Above worker: libc's frames. Named as gdb names them (above); with
    // libc's debug file (libc6-dbg) that is start_thread and clone3, which
    // only its .symtab has.
    assert!(current.len() > 4, "{out}");
    assert!(
        current[4..].iter().all(|f| f.object.contains("libc.so")),
        "{out}"
    );
    if gdb_names.iter().any(|n| n == "start_thread") {
        assert_eq!(names(&current[4..]), ["start_thread", "clone3"], "{out}");
    }

    // `all`: the same trace for the stopped thread, and the main thread's
    // through main into libc's start code (named even from .dynsym alone:
    // __libc_start_main).
    let all = &blocks[1..];
    assert!(
        all.iter()
            .any(|(h, frames)| h == header && frames == current),
        "{out}"
    );
    let (_, main_thread) = all.iter().find(|(h, _)| h != header).expect("main thread");
    let main_at = main_thread
        .iter()
        .position(|f| f.name == "main")
        .unwrap_or_else(|| panic!("main in the main thread:\n{out}"));
    assert!(
        main_thread[main_at + 1..]
            .iter()
            .any(|f| f.object.contains("libc.so") && f.name.starts_with("__libc_start")),
        "{out}"
    );
}

#[test]
fn debug_build_by_cfi() {
    check_build(&[], "cfi");
}

#[test]
fn optimized_with_frame_pointers_by_cfi() {
    check_build(&["-O2", "-fno-omit-frame-pointer"], "cfi");
}

#[test]
fn optimized_without_frame_pointers_by_cfi() {
    check_build(&["-O2", "-fomit-frame-pointer"], "cfi");
}

/// No CFI for the program (and no -g, so no .debug_frame): frame pointers.
#[test]
fn no_unwind_tables_by_frame_pointers() {
    check_build(
        &[
            "-O2",
            "-g0",
            "-fno-omit-frame-pointer",
            "-fno-asynchronous-unwind-tables",
            "-fno-unwind-tables",
        ],
        "frame-pointer",
    );
}

/// Frame 0 at b's first instruction (`push %rbp` not yet run), no CFI:
/// the return address is at rsp, not behind the rbp, which is still a's.
/// (c, a leaf, keeps no frame at -O2: it is taken as frameless.)
#[test]
fn at_function_entry_without_cfi() {
    let flags = [
        "-O2",
        "-g0",
        "-fno-omit-frame-pointer",
        "-fno-asynchronous-unwind-tables",
        "-fno-unwind-tables",
    ];
    let out = stopped_at("break *b", &flags, &["monitor backtrace"]);
    let blocks = our_blocks(&out);
    let frames = &blocks[0].1;
    assert_eq!(names(frames), gdb_bt_names(&out), "{out}");
    assert_eq!(names(&frames[..3]), ["b", "a", "worker"], "{out}");
    assert_eq!(frames[1].how, "frame-pointer");
}

#[test]
fn one_thread_by_id_and_bad_arguments() {
    let out = stopped_in_c(
        &[],
        &[
            // The stopped thread's LWP, from gdb itself.
            "python gdb.execute('monitor backtrace %d' % gdb.selected_thread().ptid[1])",
            "python print('stopped lwp %d' % gdb.selected_thread().ptid[1])",
            "monitor backtrace",
            "monitor backtrace 999999",
            "monitor backtrace all 1",
            "monitor backtrace -3",
        ],
    );
    let lwp = out
        .lines()
        .find_map(|l| l.strip_prefix("stopped lwp "))
        .expect("gdb printed the LWP");
    let blocks = our_blocks(&out);
    assert_eq!(blocks.len(), 2, "{out}");
    assert!(blocks[0].0.starts_with(&format!("Thread {lwp} (")), "{out}");
    assert_eq!(blocks[0], blocks[1], "by id and current agree:\n{out}");
    assert_eq!(names(&blocks[0].1[..4]), ["c", "b", "a", "worker"]);
    assert_contains(&out, "No thread 999999 in process");
    assert_eq!(
        out.matches("Usage: monitor backtrace [all|TID]").count(),
        2,
        "{out}"
    );
}

/// Through the kernel's signal frame (its CFI is DWARF expressions) to
/// the code the signal interrupted, and on to main.
#[test]
fn through_a_signal_handler() {
    let out = stopped_in_c(&["-O2", "-DVIA_SIGNAL"], &["monitor backtrace"]);
    let blocks = our_blocks(&out);
    let frames = &blocks[0].1;
    let ours = names(frames);
    let gdb_names = gdb_bt_names(&out);
    // gdb adds frames for libc's inlined code from its DWARF; up to the
    // interrupted function the traces must agree.
    assert_eq!(ours[..5], gdb_names[..5], "{out}");
    assert_eq!(
        ours[..4],
        ["c", "b", "handler", "<signal handler called>"],
        "{out}"
    );
    assert!(frames[3].object.contains("libc.so"), "{out}");
    assert!(ours[4..].contains(&"main"), "{out}");
    assert!(
        frames.iter().all(|f| f.how == "cfi" || f.how == "pc"),
        "{out}"
    );
}

#[test]
fn no_process() {
    let server = Server::launch_multi();
    let out = gdb_extended(None, server.port, &["monitor backtrace", "monitor exit"]);
    assert_contains(&out, "The program is not being run.");
}
