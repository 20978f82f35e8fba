//! A core file of this stopped process (`monitor gcore`): what goes in it,
//! gathered from ptrace and /proc, handed to the pure writer in
//! `inferior::core`. Per thread, in the kernel's order (`write_note_info`):
//! `NT_PRSTATUS` (the general registers from PTRACE_GETREGSET, the signal
//! of the stop, its pending and blocked signals and times), then, after the
//! first thread's only, the process's `NT_PRPSINFO`, `NT_SIGINFO` (when the
//! thread has one), `NT_AUXV`, `NT_FILE`; then the thread's other register
//! sets as the kernel hands them over (x86_64: `NT_FPREGSET`,
//! `NT_X86_XSTATE`). The thread that reported the stop comes first: gdb
//! takes it for the current one.
//!
//! Nothing here changes the process: registers and memory are only read,
//! so the target stays stopped as it was, whatever happens to the file.

use rgdbserver_arch::core_file::{self as cf, CoreArch};

use crate::inferior::core::notes::{self, FileMapping, Note, ProcessStatus, ThreadStatus, TimeVal};
use crate::inferior::core::{self, select, CoreError, CoreImage, CoreMemory, Written};
use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::{auxv, procfs};

use super::{Process, ProcessError, StopEvent};

#[cfg(target_arch = "x86_64")]
const ARCH: CoreArch = cf::X86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: CoreArch = cf::AARCH64;
#[cfg(target_arch = "mips")]
const ARCH: CoreArch = cf::mips_o32(cfg!(target_endian = "big"));
#[cfg(target_arch = "mips64")]
const ARCH: CoreArch = cf::mips_n64(cfg!(target_endian = "big"));

/// The compat siginfo's union starts 4 bytes earlier than the 64-bit
/// one's (no padding after si_code).
const SIGINFO_UNION_64: usize = 16;
const SIGINFO_UNION_32: usize = 12;

/// A 64-bit `siginfo_t` (what PTRACE_GETSIGINFO gives) in the compat
/// layout an i386 core holds: the union moved down, its words' low halves
/// first (so si_addr, si_pid/si_uid and sigval come through; the clock
/// fields of a SIGCHLD, longs, are not narrowed).
fn compat_siginfo(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; raw.len()];
    out[..SIGINFO_UNION_32].copy_from_slice(&raw[..SIGINFO_UNION_32]);
    let rest = raw.len() - SIGINFO_UNION_64;
    out[SIGINFO_UNION_32..SIGINFO_UNION_32 + rest].copy_from_slice(&raw[SIGINFO_UNION_64..]);
    out
}

const AT_PAGESZ: u64 = 6;
const AT_CLKTCK: u64 = 17;
/// Larger than any `elf_gregset_t`.
const GREGS_BUFFER: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum GcoreError {
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("every thread must be stopped to write a core (interrupt them first)")]
    Running,
}

/// What `write_core` wrote.
#[derive(Debug, Clone, Copy)]
pub struct CoreSummary {
    pub written: Written,
    pub threads: usize,
    /// `PT_LOAD` segments, and how many of them hold bytes.
    pub segments: usize,
    pub dumped_segments: usize,
    /// Bytes of memory dumped (holes included).
    pub memory: u64,
}

/// The signal a stop event stands for, as the kernel would record it.
fn stop_signal(event: &StopEvent) -> i32 {
    match *event {
        StopEvent::Signal { signal, .. } => signal,
        StopEvent::Stopped { .. } => 0,
        StopEvent::Breakpoint { .. }
        | StopEvent::Step { .. }
        | StopEvent::HwBreak { .. }
        | StopEvent::Watch { .. }
        | StopEvent::Fork { .. }
        | StopEvent::VforkDone { .. }
        | StopEvent::Exec { .. }
        | StopEvent::Syscall { .. }
        | StopEvent::Clone { .. } => libc::SIGTRAP,
        StopEvent::ThreadExited { .. } | StopEvent::Exited { .. } | StopEvent::Killed { .. } => 0,
    }
}

/// The fields of a /proc stat line after the command name.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stat {
    state: u8,
    ppid: i32,
    pgrp: i32,
    sid: i32,
    flags: u64,
    /// utime, stime, cutime, cstime in clock ticks.
    ticks: [u64; 4],
    nice: i8,
}

fn parse_stat(text: &str) -> Option<Stat> {
    let f: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let num = |i: usize| f.get(i)?.parse::<i64>().ok();
    Some(Stat {
        state: *f.first()?.as_bytes().first()?,
        ppid: num(1)? as i32,
        pgrp: num(2)? as i32,
        sid: num(3)? as i32,
        flags: num(6)? as u64,
        ticks: [
            num(11)? as u64,
            num(12)? as u64,
            num(13)? as u64,
            num(14)? as u64,
        ],
        nice: num(16)? as i8,
    })
}

/// SigPnd and SigBlk of a task's status file.
fn parse_masks(status: &str) -> (u64, u64) {
    let mask = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .unwrap_or(0)
    };
    (mask("SigPnd:"), mask("SigBlk:"))
}

fn times(ticks: [u64; 4], per_second: u64) -> [TimeVal; 4] {
    let hz = per_second.max(1);
    ticks.map(|t| TimeVal {
        sec: t / hz,
        usec: t % hz * 1_000_000 / hz,
    })
}

fn proc_err(what: &str) -> impl Fn(std::io::Error) -> ProcessError + '_ {
    move |e| ProcessError::Proc(format!("cannot read {what}: {e}"))
}

/// The process's memory for the writer: as the program sees it.
struct Memory<'a>(&'a Process);

impl CoreMemory for Memory<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Option<usize> {
        self.0.read_memory(addr, buf).ok()
    }

    fn vanished(&self) -> bool {
        !matches!(procfs::process_state(self.0.pid), Some(s) if s != 'Z' && s != 'X')
    }
}

impl Process {
    /// The threads, `first` (when ours) leading, the rest by tid.
    fn core_thread_order(&self, first: Option<Tid>) -> Vec<Tid> {
        let first = first.filter(|t| self.threads.contains_key(t));
        first
            .into_iter()
            .chain(self.threads.keys().copied().filter(|t| Some(*t) != first))
            .collect()
    }

    /// The core file's architecture: the server's, or i386 for a 32-bit
    /// process under the x86_64 server.
    fn core_arch(&self) -> &'static CoreArch {
        if self.is_i386_on_x86_64() {
            return &cf::I386;
        }
        &ARCH
    }

    /// One thread's notes.
    fn thread_notes(
        &self,
        tid: Tid,
        cursig: i32,
        stat: &Stat,
        hz: u64,
    ) -> Result<Vec<Note>, ProcessError> {
        let ptrace_err = super::ptrace_err(tid);
        let mut gregs = vec![0u8; GREGS_BUFFER];
        let n = pt::get_regset(tid, cf::NT_PRSTATUS as i32, &mut gregs).map_err(&ptrace_err)?;
        gregs.truncate(n);
        let own = procfs::thread_stat(self.pid, tid)
            .ok()
            .and_then(|t| parse_stat(&t))
            .unwrap_or_default();
        let (sigpend, sighold) =
            parse_masks(&procfs::thread_status(self.pid, tid).unwrap_or_default());
        let status = ThreadStatus {
            cursig,
            sigpend,
            sighold,
            tid: tid.as_raw(),
            ppid: stat.ppid,
            pgrp: stat.pgrp,
            sid: stat.sid,
            times: times(own.ticks, hz),
            gregs,
        };
        let arch = self.core_arch();
        let mut out = vec![notes::prstatus(arch, &status)];
        for set in arch.thread_notes {
            let mut buf = vec![0u8; set.max_size];
            // A set the kernel refuses (not on this CPU, not in use) is left out.
            if let Ok(n) = pt::get_regset(tid, set.note_type as i32, &mut buf) {
                buf.truncate(n);
                out.push(Note {
                    name: set.name,
                    kind: set.note_type,
                    desc: buf,
                });
            }
        }
        Ok(out)
    }

    /// Everything the core file holds but the memory itself.
    fn core_image(&self, stop: Option<StopEvent>) -> Result<CoreImage<'static>, GcoreError> {
        if self.has_exited() {
            return Err(ProcessError::Exited.into());
        }
        if self.any_running() {
            return Err(GcoreError::Running);
        }
        let pid = self.pid;
        let auxv_bytes = self.auxv()?;
        let entries = auxv::parse_auxv(&auxv_bytes, auxv::WordFormat::native());
        let page_size = auxv::lookup(&entries, AT_PAGESZ).unwrap_or(4096);
        let hz = auxv::lookup(&entries, AT_CLKTCK).unwrap_or(100);
        let stat_text = procfs::stat(pid).map_err(proc_err("stat"))?;
        let stat = parse_stat(&stat_text)
            .ok_or_else(|| ProcessError::Proc(format!("malformed /proc/{pid}/stat")))?;
        let ids = self.credentials()?;
        let process = ProcessStatus {
            state: stat.state,
            nice: stat.nice,
            flags: stat.flags,
            uid: ids.uids.0,
            gid: ids.gids.0,
            pid: pid.as_raw(),
            ppid: stat.ppid,
            pgrp: stat.pgrp,
            sid: stat.sid,
            fname: procfs::thread_name(pid, pid)
                .unwrap_or_default()
                .into_bytes(),
            cmdline: procfs::cmdline(pid).unwrap_or_default(),
        };
        let maps_text = procfs::smaps(pid)
            .or_else(|_| procfs::maps(pid))
            .map_err(proc_err("smaps"))?;
        let mappings =
            select::parse_smaps(&maps_text).map_err(|e| ProcessError::Proc(e.to_string()))?;
        let filter = select::parse_filter(procfs::coredump_filter(pid).ok().as_deref());
        let read = |addr: u64, buf: &mut [u8]| self.read_memory(addr, buf).ok();
        let segments = select::select(&mappings, filter, page_size, &read);
        let files: Vec<FileMapping> = mappings
            .iter()
            .filter(|m| m.file_backed())
            .map(|m| FileMapping {
                start: m.entry.start,
                end: m.entry.end,
                offset: m.entry.offset,
                name: m.entry.path.clone().unwrap_or_default().into_bytes(),
            })
            .collect();

        // Every thread's pr_cursig is the signal of the stop, as the kernel
        // and gdb's gcore write it (BFD takes the last thread's for the core's).
        let cursig = stop.as_ref().map_or(0, stop_signal);
        let arch = self.core_arch();
        let stopper = stop.and_then(|e| e.tid());
        let mut notes = Vec::new();
        for (i, tid) in self.core_thread_order(stopper).into_iter().enumerate() {
            let mut thread = self.thread_notes(tid, cursig, &stat, hz)?.into_iter();
            notes.extend(thread.next());
            if i == 0 {
                notes.push(notes::prpsinfo(arch, &process));
                if let Ok(info) = pt::get_siginfo_raw(tid) {
                    let desc = if self.is_i386_on_x86_64() {
                        compat_siginfo(&info)
                    } else {
                        info.to_vec()
                    };
                    notes.push(Note {
                        name: "CORE",
                        kind: cf::NT_SIGINFO,
                        desc,
                    });
                }
                notes.push(Note {
                    name: "CORE",
                    kind: cf::NT_AUXV,
                    desc: auxv_bytes.clone(),
                });
                notes.push(notes::nt_file(arch, page_size, &files));
            }
            notes.extend(thread);
        }
        Ok(CoreImage {
            arch,
            page_size,
            notes,
            segments,
        })
    }

    /// Write a core file of the process to the new file `path`; `stop` is
    /// the stop gdb was last told of (its thread goes first). `progress`
    /// hears how many bytes of memory are done, of how many.
    pub fn write_core(
        &self,
        path: &std::path::Path,
        stop: Option<StopEvent>,
        progress: &mut core::Progress<'_>,
    ) -> Result<CoreSummary, GcoreError> {
        let image = self.core_image(stop)?;
        let written = core::write_core_file(path, &image, &Memory(self), progress)?;
        let memory = image.segments.iter().map(|s| s.dump).sum();
        Ok(CoreSummary {
            written,
            threads: self.threads.len(),
            segments: image.segments.len(),
            dumped_segments: image.segments.iter().filter(|s| s.dump > 0).count(),
            memory,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        let line = "42 (a) b) c) t 1 42 7 0 -1 4194560 10 0 0 0 250 125 3 4 20 -5 1 0 100";
        let stat = parse_stat(line).unwrap();
        assert_eq!(
            stat,
            Stat {
                state: b't',
                ppid: 1,
                pgrp: 42,
                sid: 7,
                flags: 4194560,
                ticks: [250, 125, 3, 4],
                nice: -5,
            }
        );
        assert_eq!(parse_stat("42 (a) t 1"), None);
        let own = parse_stat(&std::fs::read_to_string("/proc/self/stat").unwrap()).unwrap();
        assert_eq!(own.ppid as u32, std::os::unix::process::parent_id());
        assert_eq!(
            times([250, 0, 0, 0], 100)[0],
            TimeVal {
                sec: 2,
                usec: 500_000
            }
        );
    }

    #[test]
    fn signal_masks() {
        let status = "Name:\tx\nSigPnd:\t0000000000000100\nShdPnd:\t0\nSigBlk:\t0000000000010002\n";
        assert_eq!(parse_masks(status), (0x100, 0x10002));
        assert_eq!(parse_masks(""), (0, 0));
        let tid = Tid::from_raw(1);
        assert_eq!(
            stop_signal(&StopEvent::Breakpoint { tid, addr: 0 }),
            libc::SIGTRAP
        );
        assert_eq!(stop_signal(&StopEvent::Signal { tid, signal: 11 }), 11);
        assert_eq!(stop_signal(&StopEvent::Stopped { tid }), 0);
    }
}
