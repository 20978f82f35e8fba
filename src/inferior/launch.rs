//! Starting a program under ptrace, stopped at its first instruction, and
//! attaching to every thread of a running process.
//!
//! Like GNU gdbserver, a program is started through `/bin/sh -c "exec PROG
//! ARGS"` by default (so `$SHELL`-style expansion of the arguments gdb sends
//! works and the GDB testsuite's expectations hold), with address-space
//! randomization turned off. A working directory starting with `~` is
//! tilde-expanded first, as gdbserver does (`set cwd ~/dir`).
//!
//! Also like gdbserver, the program runs in a process group of its own
//! (`info os procgroups` shows it as a leader), and when the server owns its
//! terminal (stderr) the program gets it as the foreground group, so that it
//! can read the terminal and Ctrl-C there interrupts the program rather than
//! the server. The server takes the terminal back when it exits.

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

use nix::errno::Errno;
use nix::sys::ptrace::{self, Options};
use nix::unistd::{ForkResult, Pid};

use super::ptrace::{self as pt, WaitStatus};

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("Cannot exec {program}: {errno}.")]
    Exec { program: String, errno: Errno },
    #[error("During startup program exited with code {0}.")]
    ExitedDuringStartup(i32),
    #[error("During startup program terminated with signal {0}.")]
    KilledDuringStartup(i32),
    #[error("{program}: {what}")]
    BadProgram { program: String, what: String },
    #[error("Cannot attach to process {pid}: {errno} ({})", *errno as i32)]
    Attach { pid: i32, errno: Errno },
    #[error("Could not find a match for '{0}'.")]
    UnknownUser(String),
    #[error("{what} failed: {errno}")]
    Sys { what: &'static str, errno: Errno },
}

fn sys(what: &'static str) -> impl Fn(Errno) -> LaunchError {
    move |errno| LaunchError::Sys { what, errno }
}

/// Options every traced thread gets.
pub fn trace_options() -> Options {
    Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_TRACEEXEC
        | Options::PTRACE_O_TRACESYSGOOD
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACEVFORKDONE
}

#[derive(Debug, Clone, Default)]
pub struct LaunchSpec {
    pub program: String,
    pub args: Vec<String>,
    pub startup_with_shell: bool,
    pub disable_randomization: bool,
    /// The protocol runs over our stdin/stdout: the program must not touch them.
    pub stdio_is_protocol: bool,
    /// Changes to the server's environment: `Some` sets, `None` unsets.
    pub env_changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Directory to start in (the server's own if unset).
    pub working_dir: Option<PathBuf>,
    /// Words to run the program through (`--wrapper`); the wrapper must exec it.
    pub wrapper: Vec<String>,
}

impl LaunchSpec {
    /// The program's environment: ours with gdb's changes applied.
    fn environment(&self) -> Result<Vec<CString>, LaunchError> {
        let mut env: BTreeMap<Vec<u8>, Vec<u8>> = std::env::vars_os()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        for (key, value) in &self.env_changes {
            match value {
                Some(value) => env.insert(key.clone(), value.clone()),
                None => env.remove(key),
            };
        }
        env.into_iter()
            .map(|(mut k, v)| {
                k.push(b'=');
                k.extend_from_slice(&v);
                cstring(OsStr::from_bytes(&k))
            })
            .collect()
    }

    /// How many execs happen before the program itself runs (shell, wrapper).
    fn execs_before_program(&self) -> usize {
        usize::from(self.startup_with_shell) + usize::from(!self.wrapper.is_empty())
    }
}

/// Quote one word for `sh` so that it reaches the program unchanged.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// `~`, `~/rest`, `~user` and `~user/rest` with the home directory put in
/// (ours from $HOME, or the password database), like gdbserver's glob with
/// GLOB_TILDE_CHECK; other paths as they are. The rest need not exist.
fn expand_tilde(dir: &Path) -> Result<PathBuf, LaunchError> {
    let bytes = dir.as_os_str().as_bytes();
    let Some(after) = bytes.strip_prefix(b"~") else {
        return Ok(dir.to_path_buf());
    };
    let end = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
    let (user, rest) = after.split_at(end);
    let unknown =
        || LaunchError::UnknownUser(String::from_utf8_lossy(&bytes[..end + 1]).into_owned());
    let home = if user.is_empty() {
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => PathBuf::from(home),
            None => {
                nix::unistd::User::from_uid(nix::unistd::getuid())
                    .ok()
                    .flatten()
                    .ok_or_else(unknown)?
                    .dir
            }
        }
    } else {
        let name = std::str::from_utf8(user).map_err(|_| unknown())?;
        nix::unistd::User::from_name(name)
            .ok()
            .flatten()
            .ok_or_else(unknown)?
            .dir
    };
    let mut expanded = home.into_os_string();
    expanded.push(OsStr::from_bytes(rest));
    Ok(PathBuf::from(expanded))
}

fn cstring(s: impl AsRef<OsStr>) -> Result<CString, LaunchError> {
    CString::new(s.as_ref().as_bytes()).map_err(|_| LaunchError::BadProgram {
        program: s.as_ref().to_string_lossy().into_owned(),
        what: "contains a NUL byte".into(),
    })
}

/// A bare name that is a file in the current directory means that file, as
/// with gdbserver (`gdbserver :1234 prog` runs ./prog); other bare names
/// are looked up in $PATH.
pub fn resolve_in_cwd(program: &str) -> String {
    if program.contains('/') || program.is_empty() {
        return program.to_string();
    }
    match std::env::current_dir() {
        Ok(cwd) if cwd.join(program).is_file() => cwd.join(program).to_string_lossy().into_owned(),
        _ => program.to_string(),
    }
}

/// A program named with a slash must exist and be executable; anything else
/// is looked up by the shell or execvp.
fn check_program(program: &str) -> Result<(), LaunchError> {
    if !program.contains('/') {
        return Ok(());
    }
    let bad = |what: String| LaunchError::BadProgram {
        program: program.to_string(),
        what,
    };
    let meta = std::fs::metadata(program).map_err(|e| bad(e.to_string()))?;
    if meta.is_dir() {
        return Err(bad("Is a directory".into()));
    }
    nix::unistd::access(program, nix::unistd::AccessFlags::X_OK)
        .map_err(|e| bad(format!("not executable ({e})")))?;
    Ok(())
}

/// Fork and exec `spec`, returning the pid of a process stopped (under our
/// ptrace) at the first instruction of the program itself, past the shell.
pub fn launch(spec: &LaunchSpec) -> Result<Pid, LaunchError> {
    let resolved = LaunchSpec {
        program: resolve_in_cwd(&spec.program),
        ..spec.clone()
    };
    let spec = &resolved;
    check_program(&spec.program)?;
    let (path, argv) = if spec.startup_with_shell {
        let shell = std::env::var("SHELL")
            .ok()
            .filter(|s| s.starts_with('/'))
            .unwrap_or_else(|| "/bin/sh".into());
        let mut command = String::from("exec");
        for word in &spec.wrapper {
            command.push(' ');
            command.push_str(word);
        }
        command.push(' ');
        command.push_str(&shell_quote(&spec.program));
        for arg in &spec.args {
            command.push(' ');
            command.push_str(&shell_quote(arg));
        }
        let argv = vec![cstring(&shell)?, cstring("-c")?, cstring(&command)?];
        (cstring(&shell)?, argv)
    } else {
        let mut argv = Vec::new();
        for word in spec.wrapper.iter().chain([&spec.program]).chain(&spec.args) {
            argv.push(cstring(word)?);
        }
        (argv[0].clone(), argv)
    };
    let envp = spec.environment()?;
    let working_dir = spec
        .working_dir
        .as_ref()
        .map(|dir| cstring(expand_tilde(dir)?.as_os_str()))
        .transpose()?;
    let dev_null = std::fs::File::open("/dev/null").map_err(|e| LaunchError::Sys {
        what: "open /dev/null",
        errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
    })?;
    let (report_read, report_write): (OwnedFd, OwnedFd) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(sys("pipe"))?;

    // The pointer arrays execve takes, built before the fork: the child of
    // a process with more than one thread (the server has a doorkeeper
    // thread) must not allocate.
    let argv_ptrs = null_terminated(&argv);
    let env_ptrs = null_terminated(&envp);

    // SAFETY: the child only makes async-signal-safe calls (dup2, sigprocmask,
    // signal, personality, ptrace, execv, write, _exit) on data prepared
    // before the fork, and allocates nothing.
    match unsafe { nix::unistd::fork() }.map_err(sys("fork"))? {
        ForkResult::Child => {
            let exec = ExecArgs {
                path: &path,
                argv: &argv_ptrs,
                envp: &env_ptrs,
            };
            let errno = exec_child(spec, &exec, working_dir.as_ref(), &dev_null);
            // SAFETY: write/_exit are async-signal-safe; the buffer is ours.
            unsafe {
                let code = errno as i32;
                libc::write(report_write.as_raw_fd(), (&code as *const i32).cast(), 4);
                libc::_exit(127);
            }
        }
        ForkResult::Parent { child } => {
            drop(report_write);
            let mut code = [0u8; 4];
            let got = nix::unistd::read(&report_read, &mut code).unwrap_or(0);
            if got == 4 {
                let _ = pt::wait(child.as_raw(), false);
                return Err(LaunchError::Exec {
                    program: spec.program.clone(),
                    errno: Errno::from_raw(i32::from_ne_bytes(code)),
                });
            }
            let pid = finish_startup(child, spec.execs_before_program())?;
            give_terminal(pid);
            Ok(pid)
        }
    }
}

/// `strings` as the null-terminated pointer array exec takes; the pointers
/// live as long as `strings`.
fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain([std::ptr::null()])
        .collect()
}

/// What the child passes to exec, all prepared before the fork.
struct ExecArgs<'a> {
    path: &'a CString,
    /// Null-terminated, pointing into strings that outlive the exec.
    argv: &'a [*const libc::c_char],
    envp: &'a [*const libc::c_char],
}

/// Runs in the forked child; returns only if exec failed.
fn exec_child(
    spec: &LaunchSpec,
    exec: &ExecArgs,
    working_dir: Option<&CString>,
    dev_null: &std::fs::File,
) -> Errno {
    // SAFETY: plain async-signal-safe syscalls on valid arguments.
    unsafe {
        if spec.stdio_is_protocol {
            libc::dup2(dev_null.as_raw_fd(), 0);
            libc::dup2(2, 1);
        }
        // The server blocks and ignores signals for its own event loop; the
        // program must start with the defaults.
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut all);
        libc::sigprocmask(libc::SIG_SETMASK, &all, std::ptr::null_mut());
        for sig in [
            libc::SIGPIPE,
            libc::SIGTTOU,
            libc::SIGTTIN,
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
        ] {
            libc::signal(sig, libc::SIG_DFL);
        }
        if spec.disable_randomization {
            let current = libc::personality(0xffff_ffff);
            if current != -1 {
                libc::personality((current | libc::ADDR_NO_RANDOMIZE) as libc::c_ulong);
            }
        }
        if let Some(dir) = working_dir {
            if libc::chdir(dir.as_ptr()) == -1 {
                return Errno::last();
            }
        }
        if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
            return Errno::last();
        }
        if libc::setpgid(0, 0) == -1 {
            return Errno::last();
        }
        if spec.startup_with_shell {
            libc::execve(exec.path.as_ptr(), exec.argv.as_ptr(), exec.envp.as_ptr());
        } else {
            libc::execvpe(exec.path.as_ptr(), exec.argv.as_ptr(), exec.envp.as_ptr());
        }
    }
    Errno::last()
}

/// The terminal's foreground process group before we first gave the
/// terminal to a program (0 while we never did), restored at exit.
static TERMINAL_OWNER: AtomicI32 = AtomicI32::new(0);
/// The process group we gave the terminal to last.
static TERMINAL_GIVEN: AtomicI32 = AtomicI32::new(0);

/// Make `pid`'s process group the foreground group of the server's terminal
/// (its stderr), as gdbserver does, but only when the terminal is the
/// server's to give: it is the foreground group itself, or gave the
/// terminal to an earlier program. A server started in the background, or
/// by gdb through a pipe, leaves the terminal alone.
fn give_terminal(pid: Pid) {
    let stderr = std::io::stderr();
    let Ok(foreground) = nix::unistd::tcgetpgrp(&stderr) else {
        return; // not a terminal
    };
    let ours = nix::unistd::getpgrp();
    if foreground != ours && foreground.as_raw() != TERMINAL_GIVEN.load(Ordering::Relaxed) {
        return;
    }
    if nix::unistd::tcsetpgrp(&stderr, pid).is_err() {
        return;
    }
    TERMINAL_GIVEN.store(pid.as_raw(), Ordering::Relaxed);
    if TERMINAL_OWNER.swap(ours.as_raw(), Ordering::Relaxed) == 0 {
        // SAFETY: registers a plain function with no captured state.
        unsafe {
            libc::atexit(take_terminal_back);
        }
    }
}

/// At exit: give the terminal back to the server's own process group.
extern "C" fn take_terminal_back() {
    let owner = TERMINAL_OWNER.load(Ordering::Relaxed);
    if owner > 0 {
        let _ = nix::unistd::tcsetpgrp(std::io::stderr(), Pid::from_raw(owner));
    }
}

/// The child has exec'd the shell, the wrapper or the program and stopped
/// with SIGTRAP; run it through `execs_left` more execs to the program.
fn finish_startup(child: Pid, mut execs_left: usize) -> Result<Pid, LaunchError> {
    let startup_exit = |status: WaitStatus| match status {
        WaitStatus::Exited(code) => Some(LaunchError::ExitedDuringStartup(code)),
        WaitStatus::Signaled(sig) => Some(LaunchError::KilledDuringStartup(sig)),
        _ => None,
    };
    loop {
        let Some((_, status)) = pt::wait(child.as_raw(), false).map_err(sys("waitpid"))? else {
            continue;
        };
        if let Some(err) = startup_exit(status) {
            return Err(err);
        }
        if status == WaitStatus::Stopped(libc::SIGTRAP) {
            break;
        }
        // Some other signal before exec: pass it on.
        if let WaitStatus::Stopped(sig) = status {
            pt::cont(child, sig).map_err(sys("ptrace(CONT)"))?;
        }
    }
    let options = trace_options() | Options::PTRACE_O_EXITKILL;
    if execs_left == 0 {
        ptrace::setoptions(child, options).map_err(sys("ptrace(SETOPTIONS)"))?;
        return Ok(child);
    }
    // The shell or wrapper may fork helpers of its own: follow only its
    // execs until the program runs.
    let startup_options = Options::PTRACE_O_TRACEEXEC | Options::PTRACE_O_EXITKILL;
    ptrace::setoptions(child, startup_options).map_err(sys("ptrace(SETOPTIONS)"))?;
    pt::cont(child, 0).map_err(sys("ptrace(CONT)"))?;
    loop {
        let Some((_, status)) = pt::wait(child.as_raw(), false).map_err(sys("waitpid"))? else {
            continue;
        };
        if let Some(err) = startup_exit(status) {
            return Err(err);
        }
        match status {
            WaitStatus::Event(libc::PTRACE_EVENT_EXEC) => {
                execs_left -= 1;
                if execs_left == 0 {
                    ptrace::setoptions(child, options).map_err(sys("ptrace(SETOPTIONS)"))?;
                    return Ok(child);
                }
                pt::cont(child, 0).map_err(sys("ptrace(CONT)"))?
            }
            WaitStatus::Stopped(sig) => pt::cont(child, sig).map_err(sys("ptrace(CONT)"))?,
            // The shell itself forking or cloning is not expected with `exec`;
            // let anything else run on.
            _ => pt::cont(child, 0).map_err(sys("ptrace(CONT)"))?,
        }
    }
}

/// Attach to every thread of `pid`, leaving each stopped. Returns the thread
/// ids, and for threads whose first stop was not our SIGSTOP, that signal (to
/// be reported or delivered later).
pub fn attach_all(pid: Pid) -> Result<Vec<(Pid, Option<i32>)>, LaunchError> {
    let attach_error = |errno| LaunchError::Attach {
        pid: pid.as_raw(),
        errno,
    };
    if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        return Err(attach_error(Errno::ESRCH));
    }
    let mut threads: Vec<(Pid, Option<i32>)> = Vec::new();
    // Threads may be created while we attach: scan until a pass finds none
    // new. Each pass attaches every new thread first and then waits for
    // their stops, so that the kernel stops them all at once (1000
    // threads: one wait for each, not one scheduling round trip each).
    loop {
        let entries = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map_err(|_| attach_error(Errno::ESRCH))?;
        let mut attached = Vec::new();
        for entry in entries.flatten() {
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let tid = Pid::from_raw(tid);
            if threads.iter().any(|(t, _)| *t == tid) {
                continue;
            }
            match ptrace::attach(tid) {
                Ok(()) => attached.push(tid),
                // A thread that exited meanwhile is simply not there; one
                // caught exiting (the kernel says EPERM for a task with an
                // exit state) is on its way out.
                Err(Errno::ESRCH) if tid != pid => {}
                Err(Errno::EPERM)
                    if tid != pid && crate::inferior::procfs::is_exiting(pid, tid) => {}
                Err(errno) => {
                    let stopped = threads.iter().map(|(t, _)| *t);
                    let waited = attached
                        .iter()
                        .filter_map(|&t| wait_attach_stop(t).ok().map(|_| t));
                    for t in stopped.chain(waited).collect::<Vec<_>>() {
                        let _ = pt::detach(t, 0);
                    }
                    return Err(attach_error(errno));
                }
            }
        }
        if attached.is_empty() {
            break;
        }
        for tid in attached {
            match wait_attach_stop(tid) {
                Ok(sig) => {
                    let _ = ptrace::setoptions(tid, trace_options());
                    threads.push((tid, sig));
                }
                Err(_) if tid != pid => continue,
                Err(errno) => {
                    // The leader is gone: let go of everyone attached.
                    for (t, _) in &threads {
                        let _ = pt::detach(*t, 0);
                    }
                    return Err(attach_error(errno));
                }
            }
        }
    }
    Ok(threads)
}

/// Wait for the stop PTRACE_ATTACH causes; returns a signal that arrived first.
fn wait_attach_stop(tid: Pid) -> Result<Option<i32>, Errno> {
    let mut other = None;
    loop {
        match pt::wait(tid.as_raw(), false)? {
            Some((_, WaitStatus::Stopped(libc::SIGSTOP))) => return Ok(other),
            Some((_, WaitStatus::Stopped(sig))) => {
                // Keep it for later and wait on for our SIGSTOP.
                other = Some(sig);
                pt::cont(tid, 0)?;
            }
            Some((_, status)) if status.is_exit() => return Err(Errno::ESRCH),
            _ => pt::cont(tid, 0)?,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{expand_tilde, shell_quote, LaunchError};

    #[test]
    fn tilde_means_a_home_directory() {
        let home = PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
        assert_eq!(expand_tilde(Path::new("~")).unwrap(), home);
        assert_eq!(expand_tilde(Path::new("~/")).unwrap(), home.join(""));
        assert_eq!(
            expand_tilde(Path::new("~/not/there")).unwrap(),
            home.join("not/there")
        );
        assert_eq!(
            expand_tilde(Path::new("~root/x")).unwrap(),
            PathBuf::from("/root/x")
        );
        assert_eq!(
            expand_tilde(Path::new("/a/~b")).unwrap(),
            PathBuf::from("/a/~b")
        );
        assert!(matches!(
            expand_tilde(Path::new("~no-such-user-here/x")),
            Err(LaunchError::UnknownUser(name)) if name == "~no-such-user-here"
        ));
    }

    #[test]
    fn quoting_keeps_words_whole() {
        assert_eq!(shell_quote("plain-word_1.txt"), "plain-word_1.txt");
        assert_eq!(shell_quote("two words"), "'two words'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME*"), "'$HOME*'");
    }
}
