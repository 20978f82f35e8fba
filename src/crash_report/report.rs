//! The text of a crash report, and its files. The report says which
//! signal came and why (the siginfo's code, the fault address or the
//! sender), the faulting thread's general registers by gdb's names, the
//! mapping that holds the fault address, and every thread's backtrace
//! (the faulting thread first) through the unwinder `monitor backtrace`
//! uses. With a directory, the same text goes into `crash.PID.txt` and a
//! core into `core.PID`: new files only, mode 0600 (`inferior::dump`'s
//! rules), since both hold the process's secrets.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;

use crate::inferior::dump::{self, DumpError};
use crate::inferior::process::{Process, StopEvent};
use crate::inferior::procfs;
use crate::inferior::ptrace::Tid;
use crate::stub::DebugTarget;

/// One fatal signal, stopped at before delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crash {
    pub tid: Tid,
    pub signal: i32,
}

impl Crash {
    /// The stop as gdb (and the core's notes) know it.
    pub fn event(&self) -> StopEvent {
        StopEvent::Signal {
            tid: self.tid,
            signal: self.signal,
        }
    }
}

/// What a crash report needs of the siginfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    pub code: i32,
    /// `si_addr` (fault signals) or, read as such, `si_pid`/`si_uid`.
    pub union_word: u64,
}

const SI_KERNEL: i32 = 0x80;

/// The union of `siginfo_t` starts at pointer alignment after three ints.
const UNION_AT: usize = if std::mem::size_of::<usize>() == 8 {
    16
} else {
    12
};
/// MIPS swaps `si_code` and `si_errno`.
const CODE_AT: usize = if cfg!(any(target_arch = "mips", target_arch = "mips64")) {
    4
} else {
    8
};

impl SigInfo {
    pub fn decode(raw: &[u8]) -> Option<SigInfo> {
        let int = |at: usize| Some(i32::from_ne_bytes(raw.get(at..at + 4)?.try_into().ok()?));
        let word = std::mem::size_of::<usize>();
        let bytes = raw.get(UNION_AT..UNION_AT + word)?;
        let union_word = if word == 8 {
            u64::from_ne_bytes(bytes.try_into().ok()?)
        } else {
            u64::from(u32::from_ne_bytes(bytes.try_into().ok()?))
        };
        Some(SigInfo {
            code: int(CODE_AT)?,
            union_word,
        })
    }

    /// The fault address, for a fault the kernel reported with one of the
    /// signal's own codes (1..; SI_KERNEL, as for x86's int3 or a general
    /// protection fault, carries no address).
    pub fn fault_address(&self, signal: i32) -> Option<u64> {
        let faults = [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGTRAP,
            libc::SIGSYS,
        ];
        let own_code = self.code > 0 && self.code != SI_KERNEL;
        (own_code && faults.contains(&signal)).then_some(self.union_word)
    }

    /// Who sent it (pid, uid), for a signal sent by kill, tgkill, ... .
    fn sender(&self) -> Option<(u32, u32)> {
        let user = [0, -6 /* SI_TKILL */, -1 /* SI_QUEUE */];
        user.contains(&self.code).then(|| {
            let pid = self.union_word as u32;
            let uid = (self.union_word >> 32) as u32;
            if cfg!(target_endian = "big") {
                (uid, pid)
            } else {
                (pid, uid)
            }
        })
    }
}

/// The name of a siginfo code, as <signal.h> spells it.
pub fn code_name(signal: i32, code: i32) -> &'static str {
    const SEGV: &[&str] = &["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"];
    const BUS: &[&str] = &["BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR"];
    const ILL: &[&str] = &[
        "ILL_ILLOPC",
        "ILL_ILLOPN",
        "ILL_ILLADR",
        "ILL_ILLTRP",
        "ILL_PRVOPC",
        "ILL_PRVREG",
        "ILL_COPROC",
        "ILL_BADSTK",
    ];
    const FPE: &[&str] = &[
        "FPE_INTDIV",
        "FPE_INTOVF",
        "FPE_FLTDIV",
        "FPE_FLTOVF",
        "FPE_FLTUND",
        "FPE_FLTRES",
        "FPE_FLTINV",
        "FPE_FLTSUB",
    ];
    const TRAP: &[&str] = &["TRAP_BRKPT", "TRAP_TRACE"];
    const SYS: &[&str] = &["SYS_SECCOMP"];
    match code {
        0 => return "SI_USER",
        SI_KERNEL => return "SI_KERNEL",
        -1 => return "SI_QUEUE",
        -6 => return "SI_TKILL",
        _ => {}
    }
    let names = match signal {
        libc::SIGSEGV => SEGV,
        libc::SIGBUS => BUS,
        libc::SIGILL => ILL,
        libc::SIGFPE => FPE,
        libc::SIGTRAP => TRAP,
        libc::SIGSYS => SYS,
        _ => &[],
    };
    usize::try_from(code - 1)
        .ok()
        .and_then(|i| names.get(i).copied())
        .unwrap_or("?")
}

pub fn signal_name(signal: i32) -> String {
    Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

/// The gdb register numbers `info registers` shows without `all`.
fn general_registers() -> Vec<usize> {
    if cfg!(target_arch = "x86_64") {
        (0..24).chain([58, 59]).collect()
    } else if cfg!(target_arch = "aarch64") {
        (0..34).collect()
    } else {
        // MIPS: the 32 general registers, sr, lo, hi, badvaddr, cause, pc.
        (0..38).collect()
    }
}

fn registers(process: &mut Process, tid: Tid, out: &mut String) {
    let g = match process.read_registers(tid) {
        Ok(g) => g,
        Err(e) => {
            let _ = writeln!(out, "  cannot read them: {e}");
            return;
        }
    };
    for regnum in general_registers() {
        let Some(info) = process.register_context().register(regnum) else {
            continue;
        };
        let Some(bytes) = g.get(info.offset..info.offset + info.size) else {
            continue;
        };
        if info.size > 8 {
            continue;
        }
        let mut word = [0u8; 8];
        let value = if cfg!(target_endian = "big") {
            word[8 - info.size..].copy_from_slice(bytes);
            u64::from_be_bytes(word)
        } else {
            word[..info.size].copy_from_slice(bytes);
            u64::from_le_bytes(word)
        };
        let hex = format!("{value:#x}");
        let _ = writeln!(out, "{:<15}{hex:<19}{value}", info.name);
    }
}

/// The /proc/PID/maps line whose range holds `addr`.
pub fn mapping_line(maps: &str, addr: u64) -> Option<&str> {
    maps.lines().find(|line| {
        let range = line.split_whitespace().next().unwrap_or("");
        let Some((start, end)) = range.split_once('-') else {
            return false;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        else {
            return false;
        };
        (start..end).contains(&addr)
    })
}

/// The whole report of `crash` in `target`'s current process.
pub fn compose(target: &mut DebugTarget, crash: Crash) -> String {
    let mut out = String::new();
    let Some(process) = target.process.as_mut() else {
        return "rgdbserver: crash report: the process is gone\n".to_string();
    };
    let pid = process.pid();
    let exe = procfs::executable_path(pid)
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .unwrap_or_else(|_| "?".into());
    let name = signal_name(crash.signal);
    let _ = writeln!(out, "rgdbserver: crash report");
    let _ = writeln!(
        out,
        "Program {exe}, process {pid}, thread {}, received signal {name} ({}).",
        crash.tid, crash.signal
    );
    let info = process.siginfo(crash.tid).ok();
    let info = info.as_ref().and_then(|raw| SigInfo::decode(raw));
    let fault = info.and_then(|i| i.fault_address(crash.signal));
    match info {
        None => out.push_str("No siginfo.\n"),
        Some(i) => {
            let code = code_name(crash.signal, i.code);
            let _ = write!(out, "si_code {} ({code})", i.code);
            match (fault, i.sender()) {
                (Some(addr), _) => {
                    let _ = writeln!(out, ", fault address {addr:#x}");
                }
                (None, Some((from, uid))) => {
                    let _ = writeln!(out, ", sent by process {from} (uid {uid})");
                }
                (None, None) => out.push('\n'),
            }
        }
    }
    let _ = writeln!(out, "\nRegisters of thread {}:", crash.tid);
    registers(process, crash.tid, &mut out);
    if let Some(addr) = fault {
        let maps = procfs::maps(pid).unwrap_or_default();
        match mapping_line(&maps, addr) {
            Some(line) => {
                let _ = writeln!(out, "\nMapping of {addr:#x}:\n{line}");
            }
            None => {
                let _ = writeln!(out, "\nMapping of {addr:#x}: not mapped");
            }
        }
    }
    let _ = writeln!(out, "\nBacktrace of every thread:");
    out.push_str(&target.backtrace_all_threads(crash.tid));
    out
}

/// Where a report's files go in `dir`.
pub fn report_path(dir: &Path, pid: i32) -> PathBuf {
    dir.join(format!("crash.{pid}.txt"))
}

pub fn core_path(dir: &Path, pid: i32) -> PathBuf {
    dir.join(format!("core.{pid}"))
}

/// Write the report and a core into `dir`; a line per file says what
/// happened, errors included. The process is left as it was.
pub fn write_files(target: &DebugTarget, crash: Crash, dir: &Path, text: &str) -> String {
    let Some(process) = target.process.as_ref() else {
        return "rgdbserver: no process left to write a core of.\n".into();
    };
    let pid = process.pid().as_raw();
    let mut out = String::new();
    let report = report_path(dir, pid);
    let written = dump::create_new(&report).and_then(|mut file| {
        file.write_all(text.as_bytes()).map_err(|source| {
            // Ours (created just now, O_EXCL): no partial report stays.
            let _ = std::fs::remove_file(&report);
            DumpError::Write {
                path: report.clone(),
                source,
            }
        })
    });
    match written {
        Ok(()) => {
            let _ = writeln!(out, "rgdbserver: report written to {}", report.display());
        }
        Err(e) => {
            let _ = writeln!(out, "rgdbserver: report not written: {e}");
        }
    }
    let core = core_path(dir, pid);
    match process.write_core(&core, Some(crash.event()), &mut |_, _| {}) {
        Ok(summary) => {
            let _ = writeln!(
                out,
                "rgdbserver: core written to {} ({} bytes)",
                core.display(),
                summary.written.file_size
            );
        }
        Err(e) => {
            let _ = writeln!(out, "rgdbserver: core not written: {e}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_holding_an_address() {
        let maps = "00400000-00401000 r-xp 00000000 08:01 12 /bin/crash\n\
                    7ffd0000-7ffd2000 rw-p 00000000 00:00 0 [stack]\n";
        assert_eq!(
            mapping_line(maps, 0x7ffd1000),
            Some("7ffd0000-7ffd2000 rw-p 00000000 00:00 0 [stack]")
        );
        assert!(mapping_line(maps, 0x400000)
            .unwrap()
            .ends_with("/bin/crash"));
        assert_eq!(mapping_line(maps, 0x401000), None);
        assert_eq!(mapping_line(maps, 0), None);
        assert_eq!(mapping_line("garbage\n-\n", 0), None);
    }

    #[test]
    fn codes_by_name() {
        assert_eq!(code_name(libc::SIGSEGV, 1), "SEGV_MAPERR");
        assert_eq!(code_name(libc::SIGFPE, 1), "FPE_INTDIV");
        assert_eq!(code_name(libc::SIGABRT, -6), "SI_TKILL");
        assert_eq!(code_name(libc::SIGSEGV, 0x80), "SI_KERNEL");
        assert_eq!(code_name(libc::SIGSEGV, 99), "?");
        assert_eq!(code_name(libc::SIGABRT, 3), "?");
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
    }

    #[test]
    fn siginfo_fields() {
        let mut raw = [0u8; 128];
        raw[0..4].copy_from_slice(&11i32.to_ne_bytes());
        raw[CODE_AT..CODE_AT + 4].copy_from_slice(&1i32.to_ne_bytes());
        raw[UNION_AT..UNION_AT + 4].copy_from_slice(&0x1234u32.to_ne_bytes());
        let info = SigInfo::decode(&raw).unwrap();
        assert_eq!(info.code, 1);
        assert_eq!(info.fault_address(libc::SIGSEGV), Some(0x1234));
        assert_eq!(info.fault_address(libc::SIGABRT), None);
        assert_eq!(info.sender(), None);
        let kernel = SigInfo {
            code: SI_KERNEL,
            union_word: 0,
        };
        assert_eq!(kernel.fault_address(libc::SIGTRAP), None);
        assert_eq!(SigInfo::decode(&raw[..8]), None);
    }
}
