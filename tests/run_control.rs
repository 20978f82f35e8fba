//! Resuming and stopping threads the way our own layer does it: non-stop
//! mode (threads stop and run on their own, `%Stop` notifications), several
//! processes running at once (`schedule-multiple`), range stepping.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn non_stop_mode_stops_one_thread_while_the_others_run() {
    let (_dir, prog) = compile_in_tempdir("threads");
    let mut server = Server::launch(&prog, &[]);
    let file = format!("file {}", prog.display());
    let connect = format!("target remote 127.0.0.1:{}", server.port);
    let out = gdb_connect(
        None,
        "set non-stop on",
        &[
            &file,
            &connect,
            "break all_started",
            "continue -a",
            // main stopped at the breakpoint; the workers wait at the
            // barrier, still running as far as gdb and the kernel know.
            "info threads",
            "bt 1",
            // What the kernel says: one thread in tracing stop ('t'), the
            // others asleep at the barrier ('S'), not stopped.
            "python import glob; print('states:', ''.join(sorted(open(f).read().rsplit(')', 1)[1].split()[0] for f in glob.glob('/proc/%d/task/*/stat' % gdb.selected_inferior().pid))))",
            "continue -a",
        ],
    );
    assert_contains(&out, "hit Breakpoint 1, all_started ()");
    assert!(
        out.matches("(running)").count() >= 8,
        "workers should run while main is stopped:\n{out}"
    );
    assert_contains(&out, "#0  all_started ()");
    assert_contains(&out, "states: SSSSSSSSt\n");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    assert_contains(&server.stdout(), "joined");
}

#[test]
fn schedule_multiple_runs_every_inferior() {
    let dir = tempfile::tempdir().unwrap();
    let looping = compile(dir.path(), "loop");
    let abc = compile(dir.path(), "abc");
    let mut server = Server::launch_multi();
    let exec_loop = format!("set remote exec-file {}", looping.display());
    let exec_abc = format!("set remote exec-file {}", abc.display());
    let file_abc = format!("file {}", abc.display());
    let out = gdb_extended(
        Some(&looping),
        server.port,
        &[
            &exec_loop,
            "break main",
            "run",
            "add-inferior",
            "inferior 2",
            &file_abc,
            &exec_abc,
            "break c",
            "run",
            "inferior 1",
            "set schedule-multiple on",
            // Inferior 1 loops for ever: only inferior 2 running too can
            // end this `continue`, at its breakpoint.
            "continue",
            "info inferiors",
            "kill inferiors 1 2",
        ],
    );
    assert_contains(&out, "hit Breakpoint 2, c ()");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
}

#[test]
fn range_stepping_reports_only_the_end_of_the_range() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let mut server = Server::launch_logging_packets(&prog);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break main",
            "continue",
            "next",
            "print counter",
            "next",
            "print counter",
            "continue",
        ],
    );
    assert_contains(&out, "$1 = 1");
    assert_contains(&out, "$2 = 3");
    assert_contains(&out, "exited with code 03");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    // gdb stepped each line with range steps, each answered by one stop.
    let log = server.stderr();
    assert_contains(&log, "getpkt (\"vCont;r");
}

#[test]
fn threads_that_exit_alone_and_a_leader_that_exits_first() {
    let (_dir, prog) = compile_in_tempdir("leader_exit");
    let mut server = Server::launch(&prog, &[]);
    let out = gdb(
        &prog,
        server.port,
        &[
            "break quick",
            "continue",
            // Only the thread that is about to exit runs: nothing is left
            // to wait for once it has (the `N` stop reply).
            "set scheduler-locking on",
            "continue",
            "thread 1",
            "set scheduler-locking off",
            "break after_join",
            "continue",
            // main has exited; its thread is gone, the other goes on.
            "info threads",
            "continue",
        ],
    );
    assert_contains(&out, "hit Breakpoint 1, quick");
    assert_contains(&out, "No unwaited-for children left.");
    assert_contains(&out, "hit Breakpoint 2, after_join ()");
    let listing: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("Target Id"))
        .skip(1)
        .take_while(|l| l.contains("Thread "))
        .collect();
    assert_eq!(listing.len(), 1, "only the second thread is left:\n{out}");
    assert!(listing[0].contains("after_join"), "{out}");
    assert_contains(&out, "exited normally");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
}

/// Write one byte into the FIFO at `path` (blocks until the program's
/// thread opens it for reading).
fn release_reader(path: &std::path::Path) {
    use std::io::Write;
    let mut fifo = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    fifo.write_all(b"x").unwrap();
}

fn task_count(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// `QThreadEvents:1` (gdb turns it on while it stops every thread): a
/// thread's exit comes as a `w` stop notification naming it, so that gdb
/// never waits for the stop of a thread that is gone. Off, an exit is
/// silent, as before.
#[test]
fn thread_exits_are_reported_while_thread_events_are_on() {
    let (dir, prog) = compile_in_tempdir("thread_exit");
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut server = Server::launch(&prog, &[fifo.to_str().unwrap()]);
    let pid = server.pid.expect("launched pid");
    let mut client = rsp::Client::connect(server.port);
    let features = client.request(b"qSupported:multiprocess+;swbreak+;no-resumed+");
    assert_contains(&String::from_utf8_lossy(&features), "QThreadEvents+");
    client.start_no_ack();
    assert_eq!(client.request(b"QNonStop:1"), b"OK");
    let first = client.request(b"?");
    assert!(first.starts_with(b"T"), "{}", rsp::show(&first));
    assert_eq!(client.request(b"vStopped"), b"OK");
    assert_eq!(client.request(b"QThreadEvents:2"), b"E16");
    assert_eq!(client.request(b"QThreadEvents:1"), b"OK");
    assert_eq!(client.request(b"vCont;c"), b"OK");

    // The first reader thread exits: reported, by its id.
    assert!(wait_until(Duration::from_secs(20), || task_count(pid) == 2));
    let reader: i32 = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .find(|&t| t != pid)
        .expect("the reader thread");
    release_reader(&fifo);
    let stop = client
        .notification(Duration::from_secs(20))
        .expect("a stop notification for the thread's exit");
    assert_eq!(
        String::from_utf8_lossy(&stop),
        format!("Stop:w0;p{pid:x}.{reader:x}")
    );
    assert_eq!(client.request(b"vStopped"), b"OK");
    assert!(wait_until(Duration::from_secs(20), || server
        .stdout()
        .contains("joined 0")));

    // Off again: the second reader's exit says nothing.
    assert_eq!(client.request(b"QThreadEvents:0"), b"OK");
    assert!(wait_until(Duration::from_secs(20), || task_count(pid) == 2));
    release_reader(&fifo);
    assert!(wait_until(Duration::from_secs(20), || server
        .stdout()
        .contains("joined 1")));
    assert_eq!(client.notification(Duration::from_millis(500)), None);

    // The program runs on, untouched; end it.
    assert_eq!(client.request(b"vCont;t"), b"OK");
    let stop = client.notification(Duration::from_secs(20)).expect("stop");
    assert!(stop.starts_with(b"Stop:T00"), "{}", rsp::show(&stop));
    assert_eq!(client.request(b"vStopped"), b"OK");
    client.send(format!("vKill;{pid:x}").as_bytes());
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    assert!(!pid_alive(pid));
}
