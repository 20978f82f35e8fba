//! The gdbstub `Target`: what gdb may do to the inferior, one module per
//! protocol feature (as gdbstub's own armv4t example is laid out). Process
//! control itself lives in `crate::inferior`; this layer translates between
//! gdbstub's types and it, and maps errors to gdb errno replies.

pub mod arch;
mod auxv;
mod base;
mod exec_file;
mod extended_mode;
mod host_io;
mod launch_settings;
mod memory_map;
mod monitor;
mod monitor_backtrace;
pub mod monitor_gcore;
mod run_control;
mod target_xml;

use std::collections::BTreeMap;

use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::{Target, TargetError};

use crate::inferior::launch::LaunchSpec;
use crate::inferior::process::{Process, ProcessError};
use crate::inferior::ptrace::Tid;
use crate::inferior::settings::SharedSettings;
use crate::inferior::trace::SharedTrace;

pub use host_io::HostFiles;
pub use monitor::MonitorOutput;
pub use run_control::{Polled, Resumed, ThreadRequest, ThreadSelection};

/// Errors that end the session (everything else becomes an `Exx` reply).
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    #[error("{0}")]
    Process(#[from] ProcessError),
}

/// Map an inferior error to the errno gdb sees.
fn errno_reply(e: ProcessError) -> TargetError<FatalError> {
    log::debug!("error reply: {e}");
    TargetError::Errno(e.errno())
}

/// Server-wide settings the target consults.
#[derive(Debug, Clone, Default)]
pub struct TargetConfig {
    /// Offer qXfer:memory-map:read (off by default: gdb caches the map at
    /// connect time and then refuses memory mapped later).
    pub memory_map: bool,
    /// Template for `run` in extended mode (shell, randomization, stdio).
    pub launch: Option<LaunchSpec>,
    /// Accepting `--multi` style sessions: kill does not end the session.
    pub multi: bool,
}

pub struct DebugTarget {
    /// The process gdb is working on now (the one gdbstub sees).
    pub process: Option<Process>,
    /// Other processes gdb follows (fork children or parents it kept),
    /// stopped while another is current.
    pub others: BTreeMap<i32, Process>,
    pub config: TargetConfig,
    host_files: HostFiles,
    /// gdb sent `!`: the connection outlives processes (run, attach again).
    pub extended: bool,
    /// QPassSignals / QProgramSignals and the fork and exec events gdb
    /// takes: one value, shared with every process we debug.
    settings: SharedSettings,
    /// Tracepoints and their frames, shared with every process (which
    /// collects into it at a hit); they outlive the processes.
    trace: SharedTrace,
    /// gdb reads our target description (its qSupported said xmlRegisters).
    pub target_description: bool,
    /// What the last `run` started, for `R` to start again.
    pub last_run: Option<LaunchSpec>,
    /// Thread-local lookups on (off after `monitor set
    /// libthread-db-search-path` names a path without libthread_db).
    pub thread_db: bool,
    /// Objects parsed for `monitor backtrace`, kept between commands.
    unwinder: crate::inferior::unwind::Unwinder,
}

impl DebugTarget {
    /// No process yet: one launched or attached to with `settings()` is
    /// made current with `make_current`.
    pub fn new(config: TargetConfig) -> DebugTarget {
        DebugTarget {
            process: None,
            others: BTreeMap::new(),
            config,
            host_files: HostFiles::default(),
            extended: false,
            settings: SharedSettings::default(),
            trace: SharedTrace::default(),
            target_description: true,
            last_run: None,
            thread_db: true,
            unwinder: Default::default(),
        }
    }

    /// Make process `pid` the current one, if we have it. False if not.
    pub fn select_pid(&mut self, pid: i32) -> bool {
        if self
            .process
            .as_ref()
            .is_some_and(|p| p.pid().as_raw() == pid)
        {
            return true;
        }
        let Some(wanted) = self.others.remove(&pid) else {
            return false;
        };
        if let Some(previous) = self.process.replace(wanted) {
            self.others.insert(previous.pid().as_raw(), previous);
        }
        true
    }

    /// Make the process owning thread `tid` current (thread ids are unique
    /// across processes on Linux).
    pub fn select_tid(&mut self, tid: Tid) -> bool {
        if self.process.as_ref().is_some_and(|p| p.has_thread(tid)) {
            return true;
        }
        let owner = self
            .others
            .iter()
            .find(|(_, p)| p.has_thread(tid))
            .map(|(pid, _)| *pid);
        owner.is_some_and(|pid| self.select_pid(pid))
    }

    /// A new process (run, attach) becomes current; one already current
    /// stays with us (gdb may debug several inferiors).
    pub fn make_current(&mut self, process: Process) {
        if let Some(previous) = self.process.replace(process) {
            if previous.has_exited() {
                return;
            }
            self.others.insert(previous.pid().as_raw(), previous);
        }
    }

    /// The current process is gone (detached, killed, exited): another we
    /// follow becomes current, if any.
    pub fn drop_current(&mut self) {
        self.process = self.others.pop_first().map(|(_, p)| p);
    }

    /// Every process we trace, the current one first.
    pub fn all_processes_mut(&mut self) -> impl Iterator<Item = &mut Process> {
        self.process.iter_mut().chain(self.others.values_mut())
    }

    /// The settings every process shares (give them to a new one).
    pub fn settings(&self) -> &SharedSettings {
        &self.settings
    }

    /// The tracepoints and their frames.
    pub fn trace(&self) -> &SharedTrace {
        &self.trace
    }

    /// Give a process the register layout gdb reads and the trace to
    /// collect into (the other settings it shares from the start).
    pub fn configure(&self, process: &mut Process) {
        process.share_trace(self.trace.clone());
        if !self.target_description {
            process.use_plain_register_layout();
        }
    }

    /// Give every process we trace the register layout gdb reads.
    pub fn configure_all(&mut self) {
        let mut current = self.process.take();
        let mut others = std::mem::take(&mut self.others);
        for process in current.iter_mut().chain(others.values_mut()) {
            self.configure(process);
        }
        self.process = current;
        self.others = others;
    }

    /// Every process we trace, the current one first.
    pub fn all_processes(&self) -> impl Iterator<Item = &Process> {
        self.process.iter().chain(self.others.values())
    }

    /// Take over the children our processes reported forking.
    pub fn adopt_forked(&mut self) {
        let children: Vec<Process> = self
            .all_processes_mut()
            .flat_map(|p| p.take_forked())
            .collect();
        for child in children {
            self.others.insert(child.pid().as_raw(), child);
        }
    }

    /// Let every process go as its origin says (kill launched, detach attached).
    pub fn release_all(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.release();
        }
        for (_, mut process) in std::mem::take(&mut self.others) {
            process.release();
        }
    }

    fn process(&self) -> Result<&Process, TargetError<FatalError>> {
        self.process
            .as_ref()
            .ok_or(TargetError::Errno(libc::ESRCH as u8))
    }

    fn process_mut(&mut self) -> Result<&mut Process, TargetError<FatalError>> {
        self.process
            .as_mut()
            .ok_or(TargetError::Errno(libc::ESRCH as u8))
    }
}

impl Target for DebugTarget {
    type Arch = arch::NativeArch;
    type Error = FatalError;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::MultiThread(self)
    }

    // Our protocol layer does run-length encoding for every reply.
    fn use_rle(&self) -> bool {
        false
    }

    // Fork and exec events are not reported yet: gdb must not expect them.
    fn use_fork_stop_reason(&self) -> bool {
        false
    }

    fn use_vfork_stop_reason(&self) -> bool {
        false
    }

    fn use_vforkdone_stop_reason(&self) -> bool {
        false
    }

    // Software breakpoints are ours to plant; never implied.
    fn guard_rail_implicit_sw_breakpoints(&self) -> bool {
        true
    }

    fn support_extended_mode(
        &mut self,
    ) -> Option<gdbstub::target::ext::extended_mode::ExtendedModeOps<'_, Self>> {
        Some(self)
    }

    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<
        gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverrideOps<
            '_,
            Self,
        >,
    > {
        Some(self)
    }

    fn support_memory_map(
        &mut self,
    ) -> Option<gdbstub::target::ext::memory_map::MemoryMapOps<'_, Self>> {
        if self.config.memory_map {
            Some(self)
        } else {
            None
        }
    }

    fn support_host_io(&mut self) -> Option<gdbstub::target::ext::host_io::HostIoOps<'_, Self>> {
        Some(self)
    }

    fn support_exec_file(
        &mut self,
    ) -> Option<gdbstub::target::ext::exec_file::ExecFileOps<'_, Self>> {
        Some(self)
    }

    fn support_auxv(&mut self) -> Option<gdbstub::target::ext::auxv::AuxvOps<'_, Self>> {
        Some(self)
    }
}

/// Copy the window `[offset, offset + length)` of a qXfer document into `buf`.
fn copy_window(document: &[u8], offset: u64, length: usize, buf: &mut [u8]) -> usize {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(document.len());
    let end = start.saturating_add(length).min(document.len());
    let n = (end - start).min(buf.len());
    buf[..n].copy_from_slice(&document[start..start + n]);
    n
}
