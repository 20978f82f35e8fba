//! `monitor` commands, with GNU gdbserver's replies where tools wait for them.

use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput, MonitorCmd};

use super::DebugTarget;
use crate::logging;

const HELP: &str = "The following monitor commands are supported:
  set debug <0|1>
    Enable general debugging messages
  set remote-debug <0|1>
    Enable remote protocol debugging messages
  exit
    Quit GDBserver";

fn on_off(word: &str) -> Option<bool> {
    match word {
        "1" | "on" => Some(true),
        "0" | "off" => Some(false),
        _ => None,
    }
}

impl MonitorCmd for DebugTarget {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), Self::Error> {
        let cmd = String::from_utf8_lossy(cmd);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        match words.as_slice() {
            ["help"] => outputln!(out, "{HELP}"),
            ["exit"] => self.exit_requested = true,
            ["set", "debug", value] if on_off(value).is_some() => {
                let enabled = on_off(value).unwrap_or(false);
                logging::set_debug(enabled);
                outputln!(
                    out,
                    "Debug output {}.",
                    if enabled { "enabled" } else { "disabled" }
                );
            }
            ["set", "remote-debug", value] if on_off(value).is_some() => {
                let enabled = on_off(value).unwrap_or(false);
                logging::set_remote_debug(enabled);
                outputln!(
                    out,
                    "Protocol debug output {}.",
                    if enabled { "enabled" } else { "disabled" }
                );
            }
            _ => outputln!(out, "Unknown monitor command.\n"),
        }
        Ok(())
    }
}
