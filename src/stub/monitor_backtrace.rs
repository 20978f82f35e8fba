//! `monitor backtrace [all|TID]`: stack traces made in the server, for
//! boards where no gdb runs. The stopped threads' registers and memory
//! come from the process, its objects from /proc/PID/maps; the walk and
//! the names are `inferior::unwind`'s, whose parsed objects the target
//! keeps between commands. Output is gdb's `bt` shape, each frame saying
//! how it was found. Crash reports (`crate::crash_report`) print every
//! thread's trace through the same code (`backtrace_all_threads`).

use std::fmt::Write;

use nix::unistd::Pid;

use super::DebugTarget;
use crate::inferior::maps;
use crate::inferior::process::Process;
use crate::inferior::procfs;
use crate::inferior::ptrace::Tid;
use crate::inferior::unwind::{format, Arch, Mapping, Registers, Unwinder, DEFAULT_MAX_DEPTH};

pub(super) const USAGE: &str = "Usage: monitor backtrace [all|TID]\n";
const NO_PROCESS: &str = "The program is not being run.\n";

/// Which threads to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Current,
    All,
    One(i32),
}

fn parse(args: &[&[u8]]) -> Option<Which> {
    match args {
        [] => Some(Which::Current),
        [b"all"] => Some(Which::All),
        [word] => {
            let text = std::str::from_utf8(word).ok()?;
            let tid = match text.strip_prefix("0x") {
                Some(hex) => i32::from_str_radix(hex, 16).ok()?,
                None => text.parse().ok()?,
            };
            (tid > 0).then_some(Which::One(tid))
        }
        _ => None,
    }
}

impl DebugTarget {
    /// `monitor backtrace ARGS`; `current` is the thread gdb means (the one
    /// `Hg` chose, or the one that stopped).
    pub(super) fn monitor_backtrace(&mut self, args: &[&[u8]], current: Option<Tid>) -> String {
        let Some(which) = parse(args) else {
            return USAGE.to_string();
        };
        let Some(process) = self.process.as_mut().filter(|p| !p.has_exited()) else {
            return NO_PROCESS.to_string();
        };
        let pid = process.pid();
        let mut tids: Vec<Tid> = process.thread_ids().collect();
        tids.sort();
        if tids.is_empty() {
            return format!("Process {pid} has no threads to trace.\n");
        }
        let tids = match which {
            Which::All => tids,
            Which::Current => {
                let tid = current.filter(|t| process.has_thread(*t)).unwrap_or(
                    if process.has_thread(pid) {
                        pid
                    } else {
                        tids[0]
                    },
                );
                vec![tid]
            }
            Which::One(raw) => {
                let tid = Pid::from_raw(raw);
                if !process.has_thread(tid) {
                    return format!("No thread {raw} in process {pid}.\n");
                }
                vec![tid]
            }
        };
        backtraces(process, &mut self.unwinder, &tids)
    }
}

impl DebugTarget {
    /// Every thread's trace of the current process, `first` leading (a
    /// crash report's faulting thread); the rest in thread id order.
    pub fn backtrace_all_threads(&mut self, first: Tid) -> String {
        let Some(process) = self.process.as_mut().filter(|p| !p.has_exited()) else {
            return NO_PROCESS.to_string();
        };
        let mut tids: Vec<Tid> = process.thread_ids().collect();
        tids.sort_by_key(|tid| (*tid != first, *tid));
        backtraces(process, &mut self.unwinder, &tids)
    }
}

/// Every thread's trace, one header each.
fn backtraces(process: &mut Process, unwinder: &mut Unwinder, tids: &[Tid]) -> String {
    let pid = process.pid();
    let arch = Arch::native();
    // Registers first (reading them needs the process mutably).
    let registers: Vec<(Tid, Result<Registers, String>)> = tids
        .iter()
        .map(|&tid| {
            let regs = process
                .read_registers(tid)
                .map_err(|e| format!("cannot read its registers: {e}"))
                .and_then(|g| {
                    Registers::from_g(arch, &g).ok_or_else(|| "short register block".to_string())
                });
            (tid, regs)
        })
        .collect();
    let mappings = match procfs::maps(pid)
        .map_err(|e| e.to_string())
        .and_then(|text| maps::parse_maps(&text).map_err(|e| e.to_string()))
    {
        Ok(entries) => Mapping::from_maps(&entries),
        Err(e) => return format!("cannot read /proc/{pid}/maps: {e}\n"),
    };
    let process: &Process = process;
    let memory = |addr: u64, buf: &mut [u8]| process.read_memory(addr, buf).ok();
    unwinder.load_vdso(&mappings, &memory);
    let space = unwinder.address_space(&mappings);
    let mut out = String::new();
    for (i, (tid, regs)) in registers.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let name = procfs::thread_name(pid, tid).unwrap_or_default();
        let _ = writeln!(out, "Thread {tid} ({name}):");
        match regs {
            Ok(regs) => {
                let bt = space.unwind(&memory, regs, DEFAULT_MAX_DEPTH);
                out.push_str(&format::gdb_style(&bt, Arch::native()));
            }
            Err(e) => {
                let _ = writeln!(out, "  {e}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(parse(&[]), Some(Which::Current));
        assert_eq!(parse(&[b"all"]), Some(Which::All));
        assert_eq!(parse(&[b"1234"]), Some(Which::One(1234)));
        assert_eq!(parse(&[b"0x10"]), Some(Which::One(16)));
        for bad in [&b"0"[..], b"-1", b"x", b"12a", b"\xff", b"99999999999"] {
            assert_eq!(parse(&[bad]), None, "{bad:?}");
        }
        assert_eq!(parse(&[b"all", b"1"]), None);
    }
}
