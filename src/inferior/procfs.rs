//! Every read of `/proc` the process control does, in one place: the files
//! a traced process's state and layout come from (its status and stat, its
//! auxiliary vector, its mappings, the files it maps), and the few the
//! session reports to gdb (each thread's name and stat, the executable's
//! path after an exec). The parsers of what these files say live elsewhere
//! (`maps`, `auxv`); this module only knows where each file is and the few
//! fields the run control itself needs.

use std::io;

use nix::unistd::Pid;

use super::ptrace::Tid;

/// The raw auxiliary vector of process `pid`.
pub fn auxv(pid: Pid) -> io::Result<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/auxv"))
}

/// The text of `/proc/PID/maps`.
pub fn maps(pid: Pid) -> io::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
}

/// The text of `/proc/PID/status` (parent, user and group ids for lldb's
/// `qProcessInfo`).
pub fn status(pid: Pid) -> io::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
}

/// A file as process `pid` sees it (through its root), e.g. a library
/// named in its maps.
pub fn file_in_root(pid: Pid, path: &str) -> io::Result<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/root{path}"))
}

/// The executable process `pid` runs.
pub fn executable(pid: Pid) -> io::Result<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/exe"))
}

/// The path of the executable process `pid` runs (`/proc/PID/exe`'s link).
pub fn executable_path(pid: Pid) -> io::Result<Vec<u8>> {
    std::fs::read_link(format!("/proc/{pid}/exe")).map(|p| p.into_os_string().into_encoded_bytes())
}

/// The state letter of process `pid` (`R`, `S`, `T`, `t`, `Z`, ...).
pub fn process_state(pid: Pid) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// The signals pending for task `tid` alone (`SigPnd`), as a bit mask
/// (bit `n - 1` for signal `n`).
pub fn thread_pending(pid: Pid, tid: Tid) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix("SigPnd:")
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
    })
}

/// The text of `/proc/PID/task/TID/stat`.
pub fn thread_stat(pid: Pid, tid: Tid) -> io::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat"))
}

/// The name of task `tid` of process `pid` (`comm`, without its newline).
pub fn thread_name(pid: Pid, tid: Tid) -> io::Result<String> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))?;
    Ok(name.trim_end_matches('\n').to_string())
}

/// Whether /proc says task `tid` has exited and waits to be reaped.
pub fn is_zombie(tid: Tid) -> bool {
    std::fs::read_to_string(format!("/proc/{tid}/status")).is_ok_and(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("State:"))
            .is_some_and(|state| matches!(state.trim_start().chars().next(), Some('Z' | 'X')))
    })
}

/// Whether task `tid` of process `pid` is on its way out: exited, exiting
/// (PF_EXITING in /proc's flags), or with a SIGKILL pending, as every
/// thread has when another one calls exit_group.
pub fn is_exiting(pid: Pid, tid: Tid) -> bool {
    const PF_EXITING: u64 = 0x4;
    const SIGKILL_BIT: u64 = 1 << (libc::SIGKILL - 1);
    let dir = format!("/proc/{pid}/task/{tid}");
    let Ok(stat) = std::fs::read_to_string(format!("{dir}/stat")) else {
        return true; // already gone
    };
    // After the ")" closing the command name: state, ppid, pgrp, session,
    // tty_nr, tpgid, flags.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let state = fields.first().copied().unwrap_or("");
    let flags = fields
        .get(6)
        .and_then(|f| f.parse::<u64>().ok())
        .unwrap_or(0);
    if matches!(state, "Z" | "X" | "x") || flags & PF_EXITING != 0 {
        return true;
    }
    let status = std::fs::read_to_string(format!("{dir}/status")).unwrap_or_default();
    status.lines().any(|line| {
        ["SigPnd:", "ShdPnd:"].iter().any(|key| {
            line.strip_prefix(key)
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
                .is_some_and(|mask| mask & SIGKILL_BIT != 0)
        })
    })
}

/// The text of `/proc/PID/smaps` (what a core file dumps of each mapping).
pub fn smaps(pid: Pid) -> io::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/smaps"))
}

/// The text of `/proc/PID/coredump_filter`.
pub fn coredump_filter(pid: Pid) -> io::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/coredump_filter"))
}

/// `/proc/PID/cmdline`: the arguments, each ending in NUL.
pub fn cmdline(pid: Pid) -> io::Result<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
}

/// The text of `/proc/PID/stat`.
pub fn stat(pid: Pid) -> io::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
}

/// The text of `/proc/PID/task/TID/status`.
pub fn thread_status(pid: Pid, tid: Tid) -> io::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))
}
