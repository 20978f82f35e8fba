//! Extended-remote process management (`run`, `attach`, `kill`), and the
//! current process id that makes gdbstub send real `pPID.TID` thread ids.

use std::num::NonZeroUsize;

use gdbstub::common::Pid as GdbPid;
use gdbstub::target::ext::extended_mode::{
    Args, AttachKind, ConfigureAslrOps, ConfigureEnvOps, ConfigureStartupShellOps,
    ConfigureWorkingDirOps, CurrentActivePid, CurrentActivePidOps, ExtendedMode, ShouldTerminate,
};
use gdbstub::target::{TargetError, TargetResult};
use nix::unistd::Pid;

use super::{errno_reply, DebugTarget};
use crate::inferior::process::{Origin, Process, ProcessError};

impl DebugTarget {
    /// `k`: kill every process we follow. True when the session ends with
    /// them (not in extended mode, where gdb may `run` or `attach` again).
    pub fn kill_all(&mut self) -> Result<bool, ProcessError> {
        for process in self.all_processes_mut() {
            process.kill()?;
        }
        self.process = None;
        self.others.clear();
        Ok(self.session_ends_without_process())
    }

    /// In extended mode the connection outlives the process: gdb may `run`
    /// or `attach` again.
    fn session_ends_without_process(&self) -> bool {
        !(self.extended || self.config.multi)
    }

    /// `run` (`vRun`, which our protocol layer answers): start `filename`
    /// (None: the program run last) with exactly these arguments, as the
    /// current process.
    pub fn run_program(
        &mut self,
        filename: Option<&[u8]>,
        args: &[Vec<u8>],
    ) -> Result<(), ProcessError> {
        let mut spec = self.config.launch.clone().unwrap_or_default();
        if let Some(name) = filename.filter(|f| !f.is_empty()) {
            spec.program = String::from_utf8_lossy(name).into_owned();
        } else if let Some(last) = self.last_run.as_ref() {
            // No name from gdb (no `set remote exec-file` for this
            // inferior): the program run last, as gdbserver does.
            spec.program = last.program.clone();
        }
        spec.args = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        self.last_run = Some(spec.clone());
        let mut process =
            Process::launch(&spec, &self.settings).inspect_err(|e| eprintln!("{e}"))?;
        self.configure(&mut process);
        eprintln!("Process {} created; pid = {}", spec.program, process.pid());
        self.make_current(process);
        Ok(())
    }
}

impl ExtendedMode for DebugTarget {
    /// Only for a `vRun` our protocol layer could not read (it answers the
    /// others itself, with gdb's arguments as they were sent).
    fn run(&mut self, filename: Option<&[u8]>, args: Args<'_, '_>) -> TargetResult<GdbPid, Self> {
        let args: Vec<Vec<u8>> = args.map(<[u8]>::to_vec).collect();
        self.run_program(filename, &args).map_err(errno_reply)?;
        let pid = self.process.as_ref().map_or(0, |p| p.pid().as_raw());
        NonZeroUsize::new(pid as usize).ok_or(TargetError::Errno(libc::ESRCH as u8))
    }

    fn attach(&mut self, pid: GdbPid) -> TargetResult<(), Self> {
        let raw = pid.get() as i32;
        if self.all_processes().any(|p| p.pid().as_raw() == raw) {
            eprintln!("Already attached to process {raw}");
            return Err(TargetError::Errno(libc::EPERM as u8));
        }
        let mut process = Process::attach(Pid::from_raw(pid.get() as i32), &self.settings)
            .map_err(|e| {
                eprintln!("{e}");
                errno_reply(e)
            })?;
        self.configure(&mut process);
        eprintln!("Attached; pid = {pid}");
        self.make_current(process);
        Ok(())
    }

    fn query_if_attached(&mut self, _pid: GdbPid) -> TargetResult<AttachKind, Self> {
        Ok(match self.process()?.origin() {
            Origin::Attached => AttachKind::Attach,
            Origin::Launched => AttachKind::Run,
        })
    }

    fn kill(&mut self, pid: Option<GdbPid>) -> TargetResult<ShouldTerminate, Self> {
        match pid {
            // vKill;pid: that process only; the others gdb follows remain.
            Some(pid) => {
                if !self.select_pid(pid.get() as i32) {
                    return Err(TargetError::Errno(libc::ESRCH as u8));
                }
                if let Some(mut process) = self.process.take() {
                    process.kill().map_err(errno_reply)?;
                }
                self.drop_current();
            }
            None => {
                let ends = self.kill_all().map_err(errno_reply)?;
                return Ok(if ends {
                    ShouldTerminate::Yes
                } else {
                    ShouldTerminate::No
                });
            }
        }
        Ok(
            if self.process.is_none() && self.session_ends_without_process() {
                ShouldTerminate::Yes
            } else {
                ShouldTerminate::No
            },
        )
    }

    fn on_start(&mut self) -> Result<(), Self::Error> {
        self.extended = true;
        Ok(())
    }

    /// `R` (gdb's `run` with `set remote run-packet off`): start the last
    /// program again with the same arguments. `R` has no reply; gdb asks `?`.
    fn restart(&mut self) -> Result<(), Self::Error> {
        let Some(spec) = self.last_run.clone().or_else(|| self.config.launch.clone()) else {
            return Ok(());
        };
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
        }
        match Process::launch(&spec, &self.settings) {
            Ok(mut process) => {
                self.configure(&mut process);
                eprintln!("Process {} created; pid = {}", spec.program, process.pid());
                self.make_current(process);
            }
            Err(e) => eprintln!("{e}"),
        }
        Ok(())
    }

    fn support_current_active_pid(&mut self) -> Option<CurrentActivePidOps<'_, Self>> {
        Some(self)
    }

    fn support_configure_aslr(&mut self) -> Option<ConfigureAslrOps<'_, Self>> {
        Some(self)
    }

    fn support_configure_env(&mut self) -> Option<ConfigureEnvOps<'_, Self>> {
        Some(self)
    }

    fn support_configure_startup_shell(&mut self) -> Option<ConfigureStartupShellOps<'_, Self>> {
        Some(self)
    }

    fn support_configure_working_dir(&mut self) -> Option<ConfigureWorkingDirOps<'_, Self>> {
        Some(self)
    }
}

impl CurrentActivePid for DebugTarget {
    fn current_active_pid(&mut self) -> Result<GdbPid, Self::Error> {
        let pid = self.process.as_ref().map(|p| p.pid().as_raw()).unwrap_or(1);
        Ok(NonZeroUsize::new(pid as usize).unwrap_or(NonZeroUsize::MIN))
    }
}
