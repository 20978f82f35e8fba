//! How `run` starts programs in extended mode, as gdb configures it before
//! each `run`: `set disable-randomization`, `set environment` /
//! `unset environment`, `set cwd`, `set startup-with-shell`
//! (QDisableRandomization, QEnvironment*, QSetWorkingDir, QStartupWithShell).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use gdbstub::target::ext::extended_mode::{
    ConfigureAslr, ConfigureEnv, ConfigureStartupShell, ConfigureWorkingDir,
};
use gdbstub::target::TargetResult;

use super::DebugTarget;
use crate::inferior::launch::LaunchSpec;

impl DebugTarget {
    fn launch_spec(&mut self) -> &mut LaunchSpec {
        self.config.launch.get_or_insert_with(LaunchSpec::default)
    }
}

impl ConfigureAslr for DebugTarget {
    fn cfg_aslr(&mut self, enabled: bool) -> TargetResult<(), Self> {
        // gdb's packet says whether to *disable* randomization, and gdbstub
        // passes that value through as is.
        self.launch_spec().disable_randomization = enabled;
        Ok(())
    }
}

impl ConfigureEnv for DebugTarget {
    fn set_env(&mut self, key: &[u8], val: Option<&[u8]>) -> TargetResult<(), Self> {
        let value = val.unwrap_or_default().to_vec();
        self.launch_spec()
            .env_changes
            .insert(key.to_vec(), Some(value));
        Ok(())
    }

    fn remove_env(&mut self, key: &[u8]) -> TargetResult<(), Self> {
        self.launch_spec().env_changes.insert(key.to_vec(), None);
        Ok(())
    }

    fn reset_env(&mut self) -> TargetResult<(), Self> {
        self.launch_spec().env_changes.clear();
        Ok(())
    }
}

impl ConfigureStartupShell for DebugTarget {
    fn cfg_startup_with_shell(&mut self, enabled: bool) -> TargetResult<(), Self> {
        self.launch_spec().startup_with_shell = enabled;
        Ok(())
    }
}

impl ConfigureWorkingDir for DebugTarget {
    fn cfg_working_dir(&mut self, dir: Option<&[u8]>) -> TargetResult<(), Self> {
        self.launch_spec().working_dir = dir
            .filter(|d| !d.is_empty())
            .map(|d| PathBuf::from(OsStr::from_bytes(d)));
        Ok(())
    }
}
