//! Extended remote (`--multi`, `target extended-remote`): run with
//! arguments, environment, working directory, shell and randomization
//! settings; run again after an exit; kill; attach and detach; `--wrapper`.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[test]
fn run_again_after_exit_with_args_env_and_cwd() {
    let (dir, prog) = compile_in_tempdir("show");
    let exec_file = format!("set remote exec-file {}", prog.display());
    let cwd = format!("set cwd {}", dir.path().display());
    let mut server = Server::launch_multi();
    let out = gdb_extended(
        Some(&prog),
        server.port,
        &[
            &exec_file,
            "break main",
            "run first 'two words'",
            "p argc",
            "continue",
            "set environment FOO=from-gdb",
            &cwd,
            "set args",
            "run",
            "continue",
            "unset environment FOO",
            "run x",
            "kill",
            "run x y z",
            "continue",
        ],
    );
    assert_contains(&out, "$1 = 3");
    assert_contains(&out, "exited with code 03");
    assert_contains(&out, "exited with code 01");
    assert_contains(&out, "exited with code 04");
    assert_eq!(out.matches("Breakpoint 1, main").count(), 4, "{out}");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    let stdout = server.stdout();
    assert_contains(&stdout, "arg1=first\narg2=two words\nFOO=(unset)");
    assert_contains(
        &stdout,
        &format!("FOO=from-gdb\ncwd={}\n", dir.path().display()),
    );
    assert_contains(&stdout, "arg1=x\narg2=y\narg3=z\nFOO=(unset)");
    // `kill` stopped the third run before it printed anything.
    assert_eq!(stdout.matches("arg1=x\n").count(), 1, "{stdout}");
    assert_contains(&server.stderr(), "Child exited with status 3");
}

#[test]
fn randomization_and_startup_shell_settings() {
    let (dir, prog) = compile_in_tempdir("show");
    // A shell that leaves a mark, so the test sees whether it was used.
    let shell = dir.path().join("marking-shell");
    let mark = dir.path().join("shell-was-used");
    std::fs::write(
        &shell,
        // `-c COMMAND` is evaluated in this very process, so the program is
        // still the first exec after the shell's own, as with /bin/sh.
        format!("#!/bin/sh\ntouch {}\neval \"$2\"\n", mark.display()),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&shell)
        .status()
        .unwrap();

    let exec_file = format!("set remote exec-file {}", prog.display());
    let args = ["--once", "--multi", "127.0.0.1:0"];
    let shell_env = shell.to_str().unwrap().to_string();
    let mut server = {
        let mut command = Command::new(server_binary());
        command.env("SHELL", &shell_env);
        Server::start_command(command, &args)
    };
    let out = gdb_extended(
        Some(&prog),
        server.port,
        &[
            &exec_file,
            "set startup-with-shell off",
            "set disable-randomization off",
            "run",
        ],
    );
    assert_contains(&out, "exited with code 01");
    assert!(!mark.exists(), "the shell ran with startup-with-shell off");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    assert_contains(&server.stdout(), "norandom=0");

    let mut server = {
        let mut command = Command::new(server_binary());
        command.env("SHELL", &shell_env);
        Server::start_command(command, &args)
    };
    let out = gdb_extended(Some(&prog), server.port, &[&exec_file, "run"]);
    assert_contains(&out, "exited with code 01");
    assert!(mark.exists(), "the default starts programs through $SHELL");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    assert_contains(&server.stdout(), "norandom=1");
}

#[test]
fn attach_detach_and_attach_again() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut target = Command::new(&prog).spawn().unwrap();
    let pid = target.id() as i32;
    let attach = format!("attach {pid}");
    let server = Server::launch_multi();
    let out = gdb_extended(
        Some(&prog),
        server.port,
        &[
            &attach,
            "break tick",
            "continue",
            "bt 1",
            // Already ours: refused from a second inferior, and the first
            // is unharmed.
            "add-inferior",
            "inferior 2",
            &attach,
            "inferior 1",
            "p 2 + 2",
            "detach",
            &attach,
            "p $pc != 0",
            "detach",
            "info inferiors",
            "monitor exit",
        ],
    );
    assert_contains(&out, "#0  tick");
    assert_contains(&out, &format!("Attaching to process {pid} failed"));
    assert_contains(&out, "$1 = 4");
    assert_contains(&out, "$2 = 1");
    let detached = format!("(process {pid}) detached]");
    assert_eq!(out.matches(&detached).count(), 2, "{out}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(proc_status(pid, "TracerPid").as_deref(), Some("0"));
    assert!(pid_alive(pid));
    let state = proc_status(pid, "State").unwrap();
    assert!(!state.starts_with('t'), "left stopped: {state}");
    target.kill().unwrap();
    target.wait().unwrap();
}

#[test]
fn wrapper_runs_the_program_through_another_command() {
    let (_dir, prog) = compile_in_tempdir("show");
    let prog_str = prog.to_str().unwrap();
    for shell in ["--startup-with-shell", "--no-startup-with-shell"] {
        let mut server = Server::start(
            &server_binary(),
            &[
                shell,
                "--wrapper",
                "env",
                "FOO=wrapped",
                "--",
                "--once",
                "127.0.0.1:0",
                prog_str,
                "arg",
            ],
        );
        let out = gdb(
            &prog,
            server.port,
            &["break main", "continue", "bt", "continue"],
        );
        assert_contains(&out, "#0  main");
        assert_contains(&out, "exited with code 02");
        assert!(server.wait_exit(Duration::from_secs(20)).is_some());
        assert_contains(&server.stdout(), "arg1=arg\nFOO=wrapped");
    }
}

#[test]
fn restart_packet_runs_the_program_again() {
    let (_dir, prog) = compile_in_tempdir("show");
    let exec_file = format!("set remote exec-file {}", prog.display());
    let mut server = Server::launch_multi();
    let out = gdb_extended(
        Some(&prog),
        server.port,
        &[
            &exec_file,
            "break main",
            "run one",
            // gdb then restarts with `R` instead of vRun.
            "set remote run-packet off",
            "set remote exec-file",
            "set args",
            "run",
            "p argc",
            "continue",
        ],
    );
    assert_eq!(out.matches("Breakpoint 1, main").count(), 2, "{out}");
    assert_contains(&out, "$1 = 2");
    assert_contains(&out, "exited with code 02");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
}

#[test]
fn bare_program_name_means_the_file_in_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    compile(dir.path(), "show");
    let mut command = Command::new(server_binary());
    command.current_dir(dir.path());
    let mut server = Server::start_command(command, &["--once", "127.0.0.1:0", "show", "x"]);
    let prog = dir.path().join("show");
    let out = gdb(&prog, server.port, &["continue"]);
    assert_contains(&out, "exited with code 02");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    assert_contains(&server.stdout(), "arg1=x");
}

#[test]
fn disabled_packets_for_testing_like_gdbserver() {
    let (_dir, prog) = compile_in_tempdir("abc");
    for disabled in [
        "--disable-packet=threads",
        "--disable-packet=T",
        "--disable-packet=Tthread,qC",
    ] {
        let mut server = Server::start(
            &server_binary(),
            &[
                disabled,
                "--once",
                "--remote-debug",
                "127.0.0.1:0",
                prog.to_str().unwrap(),
            ],
        );
        let out = gdb(
            &prog,
            server.port,
            &["break a", "continue", "bt", "continue", "continue"],
        );
        assert_contains(&out, "in b () at");
        assert_contains(&out, "exited with code 03");
        assert!(server.wait_exit(Duration::from_secs(20)).is_some());
        let log = server.stderr();
        match disabled {
            "--disable-packet=T" => assert!(log.contains("putpkt (\"S05\")"), "{log}"),
            _ => assert!(!log.contains(";thread:"), "{disabled}: {log}"),
        }
    }
}

#[test]
fn two_inferiors_on_one_connection() {
    let (_dir, prog) = compile_in_tempdir("abc");
    let (out, mut server) = run_in_two_inferiors(&prog, "b");
    assert_contains(&out, "hit Breakpoint 1.2, b ()");
    assert_contains(&out, "* 2.1  Thread");
    assert_contains(&out, "[Inferior 2 (process ");
    assert_contains(&out, "[Inferior 1 (process ");
    assert_eq!(out.matches("exited with code 03").count(), 2, "{out}");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    assert_eq!(server.stdout().matches("counter 3").count(), 2);
}

/// `prog` run in inferior 1 to `stop_at`, then in a second inferior (with
/// no exec-file of its own: the program run last) to the same place; `info
/// threads` there, then both continued to their ends. gdb's output and the
/// `--multi` server, which has served that one connection.
fn run_in_two_inferiors(prog: &Path, stop_at: &str) -> (String, Server) {
    let exec_file = format!("set remote exec-file {}", prog.display());
    let file = format!("file {}", prog.display());
    let stop_at = format!("break {stop_at}");
    let server = Server::launch_multi();
    let out = gdb_extended(
        Some(prog),
        server.port,
        &[
            &exec_file,
            &stop_at,
            "run",
            "add-inferior",
            "inferior 2",
            &file,
            "run",
            "info threads",
            "continue",
            "inferior 1",
            "continue",
        ],
    );
    (out, server)
}

#[test]
fn empty_arguments_and_a_tilde_working_directory() {
    let (dir, prog) = compile_in_tempdir("show");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("sub")).unwrap();
    let exec_file = format!("set remote exec-file {}", prog.display());
    // `~` means the server's $HOME, as with gdbserver.
    let mut server = {
        let mut command = Command::new(server_binary());
        command.env("HOME", &home);
        Server::start_command(command, &["--once", "--multi", "127.0.0.1:0"])
    };
    let out = gdb_extended(
        Some(&prog),
        server.port,
        &[
            &exec_file,
            "set cwd ~/sub",
            // Through the shell, then without it: the empty words stay
            // (GNU gdbserver 13 loses them without the shell, and a
            // trailing one either way).
            "run a '' \"\" b",
            "set startup-with-shell off",
            "run '' c ''",
        ],
    );
    assert_contains(&out, "exited with code 05");
    assert_contains(&out, "exited with code 04");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    let stdout = server.stdout();
    let cwd = format!("cwd={}\n", home.join("sub").display());
    assert_contains(
        &stdout,
        &format!("arg1=a\narg2=\narg3=\narg4=b\nFOO=(unset)\n{cwd}"),
    );
    assert_contains(
        &stdout,
        &format!("arg1=\narg2=c\narg3=\nFOO=(unset)\n{cwd}"),
    );
}

#[test]
fn threads_of_two_inferiors_are_all_listed() {
    let (_dir, prog) = compile_in_tempdir("threads");
    // gdb reads the thread list (qXfer:threads:read) at the second stop
    // and forgets the threads of any inferior it leaves out.
    let (out, mut server) = run_in_two_inferiors(&prog, "all_started");
    let listed = |id: &str, name: &str| {
        out.lines().any(|l| {
            let words: Vec<&str> = l.trim_start_matches('*').split_whitespace().collect();
            words.first() == Some(&id) && l.contains(name)
        })
    };
    for inferior in 1..=2 {
        assert!(listed(&format!("{inferior}.1"), "\"threads\""), "{out}");
        for worker in 0..8 {
            let id = format!("{inferior}.{}", worker + 2);
            assert!(listed(&id, &format!("\"worker-{worker}\"")), "{id}: {out}");
        }
    }
    assert_eq!(out.matches("exited normally").count(), 2, "{out}");
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
}

#[test]
fn without_multiprocess_ids_gdb_keeps_one_inferior_and_kills_what_it_ran() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let exec_file = format!("set remote exec-file {}", prog.display());
    let mut server = Server::launch_multi();
    // gdb knows the process by a made-up pid then: thread ids without a
    // pid, vKill of that pid, and qAttached without one.
    let mut command = gdb_command();
    command.args(["-batch", "-nx", "-ex", "set confirm off"]);
    for c in [
        "set remote multiprocess-feature-packet off",
        &format!("file {}", prog.display()),
        &format!("target extended-remote 127.0.0.1:{}", server.port),
        &exec_file,
        "break tick",
        "run",
        "info threads",
        "info inferiors",
        "kill",
        "run",
        // The batch ends here: gdb kills the program it ran (a program it
        // attached to would be detached).
    ] {
        command.arg("-ex").arg(c);
    }
    let (status, out) = run_with_timeout(command, Duration::from_secs(90));
    assert!(status.is_some(), "gdb timed out:\n{out}");
    assert_eq!(out.matches("Breakpoint 1, tick").count(), 2, "{out}");
    assert!(!out.contains("New inferior"), "{out}");
    assert!(!out.contains("Can't kill"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("* 1    Thread") && l.contains("\"loop\"")),
        "{out}"
    );
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    let stderr = server.stderr();
    let pids: Vec<i32> = stderr
        .lines()
        .filter_map(|l| l.rsplit_once("created; pid = ")?.1.trim().parse().ok())
        .collect();
    assert_eq!(pids.len(), 2, "{stderr}");
    for pid in pids {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while pid_alive(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!pid_alive(pid), "process {pid} left running\n{stderr}");
    }
}
