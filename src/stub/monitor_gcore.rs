//! `monitor gcore [FILE]`: a core file of the stopped process, written by
//! the server on its own host (default `core.PID` in the server's current
//! directory), with no memory crossing the wire. The file rules are
//! `dump-memory`'s (a new file, mode 0600, never over an existing one, no
//! partial file left after a failure); what goes in it is
//! `Process::write_core`'s. Progress for a large process reaches gdb as
//! console output while the file is written.
//!
//! The session calls it (`session::packets::monitor`), since it needs what
//! the session knows: the stop gdb was last told of (its thread goes first
//! in the core) and the connection, for the progress lines.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::monitor::NO_PROCESS;
use super::{DebugTarget, MonitorOutput};
use crate::inferior::core::CoreError;
use crate::inferior::dump::DumpError;
use crate::inferior::process::{GcoreError, StopEvent};

/// Progress lines only for cores with at least this much memory.
const PROGRESS_FROM: u64 = 64 << 20;
/// One line per this share of the memory (in tenths).
const PROGRESS_STEPS: u64 = 10;

/// The arguments of a `gcore` command line; None for another command.
pub fn arguments(command: &[u8]) -> Option<&[u8]> {
    let command = command.trim_ascii();
    let rest = command.strip_prefix(b"gcore".as_slice())?;
    match rest.first() {
        None => Some(rest),
        Some(c) if c.is_ascii_whitespace() => Some(rest.trim_ascii()),
        Some(_) => None,
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

impl DebugTarget {
    /// Run `gcore ARGS`; `console` takes progress text as it happens.
    pub fn gcore(
        &mut self,
        args: &[u8],
        stop: Option<StopEvent>,
        console: &mut dyn FnMut(&[u8]),
    ) -> MonitorOutput {
        let text = match self.process.as_ref().filter(|p| !p.has_exited()) {
            None => NO_PROCESS.to_string(),
            Some(process) => {
                let path = if args.is_empty() {
                    PathBuf::from(format!("core.{}", process.pid()))
                } else {
                    PathBuf::from(OsStr::from_bytes(args))
                };
                let shown = std::env::current_dir()
                    .map(|dir| dir.join(&path))
                    .unwrap_or_else(|_| path.clone());
                let mut next_step = 1;
                let mut progress = |done: u64, total: u64| {
                    if total < PROGRESS_FROM || done * PROGRESS_STEPS < next_step * total {
                        return;
                    }
                    next_step = done * PROGRESS_STEPS / total + 1;
                    if done < total {
                        let line = format!("gcore: {} of {} written\n", mib(done), mib(total));
                        console(line.as_bytes());
                    }
                };
                let result = process.write_core(&path, stop, &mut progress);
                log::info!("gcore {}: {result:?}", path.display());
                report(&shown, result)
            }
        };
        MonitorOutput {
            text: text.into_bytes(),
            understood: true,
            exit_server: false,
        }
    }
}

fn report(
    path: &Path,
    result: Result<crate::inferior::process::CoreSummary, GcoreError>,
) -> String {
    match result {
        Ok(s) => format!(
            "Saved corefile {} ({} bytes, {} of memory; {} thread{}, {} of {} mappings dumped)\n",
            path.display(),
            s.written.file_size,
            mib(s.memory),
            s.threads,
            if s.threads == 1 { "" } else { "s" },
            s.dumped_segments,
            s.segments,
        ),
        Err(e @ GcoreError::Core(CoreError::File(DumpError::Exists(_)))) => format!("{e}.\n"),
        Err(e) => format!("gcore failed: {e}; {} not written.\n", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::TargetConfig;

    #[test]
    fn arguments_of_gcore_only() {
        assert_eq!(arguments(b"gcore"), Some(&b""[..]));
        assert_eq!(
            arguments(b"  gcore  /tmp/my core  "),
            Some(&b"/tmp/my core"[..])
        );
        assert_eq!(arguments(b"gcorex"), None);
        assert_eq!(arguments(b"help"), None);
    }

    #[test]
    fn no_process() {
        let mut target = DebugTarget::new(TargetConfig::default());
        let out = target.gcore(b"", None, &mut |_| panic!("no progress"));
        assert_eq!(out.text, NO_PROCESS.as_bytes());
        assert!(out.understood && !out.exit_server);
    }
}
