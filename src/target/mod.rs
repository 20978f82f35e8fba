//! The gdbstub `Target`: what gdb may do to the inferior, one module per
//! protocol feature (as gdbstub's own armv4t example is laid out). Process
//! control itself lives in `crate::inferior`; this layer translates between
//! gdbstub's types and it, and maps errors to gdb errno replies.

pub mod arch;
mod auxv;
mod base;
mod breakpoints;
mod exec_file;
mod extended_mode;
mod host_io;
mod launch_settings;
mod libraries;
mod memory_map;
mod monitor;
mod resume;
mod target_xml;

use std::collections::HashMap;

use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::{Target, TargetError};

use crate::inferior::launch::LaunchSpec;
use crate::inferior::process::{Process, ProcessError, ResumeAction, SignalPolicy};
use crate::inferior::ptrace::Tid;

pub use host_io::HostFiles;

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

/// Resume plan gathered from a vCont packet before gdbstub calls `resume`.
#[derive(Debug, Default)]
struct ResumePlan {
    actions: HashMap<Tid, ResumeAction>,
    scheduler_locked: bool,
}

pub struct DebugTarget {
    pub process: Option<Process>,
    pub config: TargetConfig,
    plan: ResumePlan,
    host_files: HostFiles,
    /// Set when gdbstub resumed the target; the session then waits for a stop.
    pub resumed: bool,
    /// Set by `monitor exit`: end the session and the server.
    pub exit_requested: bool,
    /// gdb sent `!`: the connection outlives processes (run, attach again).
    pub extended: bool,
    /// QPassSignals / QProgramSignals, given to every process we debug.
    pub signal_policy: SignalPolicy,
}

impl DebugTarget {
    pub fn new(process: Option<Process>, config: TargetConfig) -> DebugTarget {
        DebugTarget {
            process,
            config,
            plan: ResumePlan::default(),
            host_files: HostFiles::default(),
            resumed: false,
            exit_requested: false,
            extended: false,
            signal_policy: SignalPolicy::default(),
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

    fn support_breakpoints(
        &mut self,
    ) -> Option<gdbstub::target::ext::breakpoints::BreakpointsOps<'_, Self>> {
        Some(self)
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

    fn support_libraries_svr4(
        &mut self,
    ) -> Option<gdbstub::target::ext::libraries::LibrariesSvr4Ops<'_, Self>> {
        Some(self)
    }

    fn support_monitor_cmd(
        &mut self,
    ) -> Option<gdbstub::target::ext::monitor_cmd::MonitorCmdOps<'_, Self>> {
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
