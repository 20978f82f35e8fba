//! `monitor` commands (qRcmd). GNU gdbserver's (`help`, `exit`, `set debug`,
//! `set remote-debug`) keep its wording, checked against gdbserver 13, since
//! tools may wait for it; ours (`maps`, `dump-memory`, `dump-maps`) come
//! after them in `monitor help`. The file-writing rules are in
//! `crate::inferior::dump`.
//!
//! The session owns `qRcmd` (`session::packets::monitor`): it sends the
//! text as `O` packets and ends with `OK`, or with `E01` for a command not
//! understood, as GNU does. Every failure of a known command is a message to
//! the console.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::DebugTarget;
use crate::inferior::dump::{self, DumpError};
use crate::inferior::maps;
use crate::inferior::process::Process;
use crate::inferior::ptrace::Tid;
use crate::logging;

/// GNU gdbserver's help for the commands we share, in its words, then ours.
const HELP: &str = "The following monitor commands are supported:
  set debug <0|1>
    Enable general debugging messages
  set remote-debug <0|1>
    Enable remote protocol debugging messages
  exit
    Quit GDBserver
  set libthread-db-search-path [PATH]
    Where thread_db support is looked for; one without libthread_db turns
    thread-local variable lookups (qGetTLSAddr) off
  maps
    Print the target's /proc/PID/maps
  dump-memory FILE START END
    Write target memory [START, END) to a new FILE on the server
  dump-maps DIR
    Write each readable mapping to a new file in DIR on the server
  gcore [FILE]
    Write a core file of the process to a new FILE (core.PID) on the server
  backtrace [all|TID]
    Unwind and symbolize the current, every or one thread's stack here
";

const DUMP_MEMORY_USAGE: &str =
    "Usage: monitor dump-memory FILE START END  (START, END: 0x hex or decimal; END exclusive)\n";
const DUMP_MAPS_USAGE: &str = "Usage: monitor dump-maps DIR\n";
const MAPS_USAGE: &str = "Usage: monitor maps\n";
pub(super) const NO_PROCESS: &str = "The program is not being run.\n";

fn on_off(word: &[u8]) -> Option<bool> {
    match word {
        b"1" | b"on" => Some(true),
        b"0" | b"off" => Some(false),
        _ => None,
    }
}

fn words(text: &[u8]) -> Vec<&[u8]> {
    text.split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty())
        .collect()
}

/// `text` without its last word: (rest, last word).
fn split_last_word(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let text = text.trim_ascii_end();
    let at = text.iter().rposition(u8::is_ascii_whitespace)?;
    Some((&text[..at], &text[at + 1..]))
}

fn address(word: &[u8]) -> Option<u64> {
    dump::parse_address(std::str::from_utf8(word).ok()?)
}

/// The process, if there is one to look at.
fn live(process: Option<&Process>) -> Option<&Process> {
    process.filter(|p| !p.has_exited())
}

fn read_maps(process: &Process) -> Result<Vec<u8>, String> {
    let path = format!("/proc/{}/maps", process.pid());
    std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}\n"))
}

/// What a monitor command printed, and whether it was understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorOutput {
    pub text: Vec<u8>,
    /// False for an unknown command (its text is GNU's complaint and help).
    pub understood: bool,
    /// `exit`: the session and the server end after the reply.
    pub exit_server: bool,
}

impl DebugTarget {
    /// Run one monitor command.
    pub fn monitor_command(&mut self, cmd: &[u8]) -> MonitorOutput {
        self.monitor_command_on(cmd, None)
    }

    /// Run one monitor command; `current` is the thread gdb means, if any.
    pub fn monitor_command_on(&mut self, cmd: &[u8], current: Option<Tid>) -> MonitorOutput {
        log::debug!("monitor command {:?}", String::from_utf8_lossy(cmd));
        let cmd = cmd.trim_ascii();
        let (verb, rest) = match cmd.iter().position(u8::is_ascii_whitespace) {
            Some(at) => (&cmd[..at], cmd[at..].trim_ascii()),
            None => (cmd, &b""[..]),
        };
        let process = live(self.process.as_ref());
        let text = match (verb, words(rest).as_slice()) {
            (b"help", []) => HELP.to_string(),
            (b"exit", []) => {
                return MonitorOutput {
                    text: Vec::new(),
                    understood: true,
                    exit_server: true,
                }
            }
            (b"set", [b"debug", value]) if on_off(value).is_some() => {
                let enabled = on_off(value) == Some(true);
                logging::set_debug(enabled);
                format!("Debug output {}.\n", enabled_word(enabled))
            }
            (b"set", [b"remote-debug", value]) if on_off(value).is_some() => {
                let enabled = on_off(value) == Some(true);
                logging::set_remote_debug(enabled);
                format!("Protocol debug output {}.\n", enabled_word(enabled))
            }
            (b"set", [b"debug-format", options]) => debug_format(options),
            (b"set", [b"libthread-db-search-path", ..]) => {
                let path = String::from_utf8_lossy(
                    rest.strip_prefix(b"libthread-db-search-path".as_slice())
                        .unwrap_or_default()
                        .trim_ascii(),
                )
                .into_owned();
                self.thread_db = thread_db_resolvable(&path);
                format!("libthread-db-search-path set to `{path}'\n")
            }
            (b"maps", []) => {
                let text = match process.map(read_maps) {
                    Some(Ok(text)) => text,
                    Some(Err(message)) => message.into_bytes(),
                    None => NO_PROCESS.into(),
                };
                return MonitorOutput {
                    text,
                    understood: true,
                    exit_server: false,
                };
            }
            (b"maps", _) => MAPS_USAGE.to_string(),
            (b"dump-memory", _) => dump_memory(process, rest),
            (b"dump-maps", _) => dump_maps(process, rest),
            (b"backtrace", args) => self.monitor_backtrace(args, current),
            // GNU gdbserver 13's words; the session then fails the packet
            // with E01, as GNU does.
            _ => {
                return MonitorOutput {
                    text: format!("Unknown monitor command.\n\n{HELP}").into_bytes(),
                    understood: false,
                    exit_server: false,
                }
            }
        };
        MonitorOutput {
            text: text.into_bytes(),
            understood: true,
            exit_server: false,
        }
    }
}

/// `set debug-format OPTION[,OPTION]`: `all`, `none` or `timestamp`, with
/// gdbserver's replies.
fn debug_format(options: &[u8]) -> String {
    let mut timestamps = false;
    for option in options.split(|&b| b == b',') {
        match option {
            b"all" | b"timestamp" => timestamps = true,
            b"none" => timestamps = false,
            other => {
                return format!(
                    "Unknown debug-format argument: \"{}\"\n",
                    String::from_utf8_lossy(other)
                )
            }
        }
    }
    logging::set_timestamps(timestamps);
    match options {
        b"all" => "All extra debug format options enabled.\n".to_string(),
        b"none" => "All extra debug format options disabled.\n".to_string(),
        _ if timestamps => "Timestamps will be added to debug output.\n".to_string(),
        _ => "All extra debug format options disabled.\n".to_string(),
    }
}

/// Whether a libthread_db search path finds one, as gdbserver would look
/// (`$pdir` and `$sdir` mean the system's; an empty path means the default).
/// We do not load it, but honour the user's choice to go without.
fn thread_db_resolvable(path: &str) -> bool {
    path.is_empty()
        || path.split(':').any(|dir| {
            dir == "$pdir"
                || dir == "$sdir"
                || std::path::Path::new(dir).join("libthread_db.so.1").exists()
        })
}

fn enabled_word(enabled: bool) -> &'static str {
    if enabled {
        "enabled"
    } else {
        "disabled"
    }
}

/// `dump-memory FILE START END`: FILE is everything before the last two words.
fn dump_memory(process: Option<&Process>, args: &[u8]) -> String {
    let parsed = split_last_word(args).and_then(|(rest, end)| {
        let (file, start) = split_last_word(rest)?;
        let file = file.trim_ascii();
        (!file.is_empty()).then_some((file, start, end))
    });
    let Some((file, start, end)) = parsed else {
        return DUMP_MEMORY_USAGE.to_string();
    };
    let (Some(start), Some(end)) = (address(start), address(end)) else {
        return DUMP_MEMORY_USAGE.to_string();
    };
    let Some(process) = process else {
        return NO_PROCESS.to_string();
    };
    let path = Path::new(OsStr::from_bytes(file));
    let result = read_maps(process).and_then(|text| {
        let entries =
            maps::parse_maps(&String::from_utf8_lossy(&text)).map_err(|e| format!("{e}\n"))?;
        let read = |addr: u64, buf: &mut [u8]| process.read_memory(addr, buf).ok();
        dump::dump_memory(&read, &entries, path, start, end).map_err(|e| match e {
            DumpError::Exists(_) => format!("{e}.\n"),
            e => format!("{e}; {} not written.\n", path.display()),
        })
    });
    log::debug!(
        "dump-memory {} {start:#x}-{end:#x}: {result:?}",
        path.display()
    );
    match result {
        Ok(n) => format!("Wrote {n} bytes to {}.\n", path.display()),
        Err(message) => message,
    }
}

/// `dump-maps DIR`: DIR is the rest of the line.
fn dump_maps(process: Option<&Process>, args: &[u8]) -> String {
    if args.is_empty() {
        return DUMP_MAPS_USAGE.to_string();
    }
    let Some(process) = process else {
        return NO_PROCESS.to_string();
    };
    let dir = Path::new(OsStr::from_bytes(args));
    let text = match read_maps(process) {
        Ok(text) => String::from_utf8_lossy(&text).into_owned(),
        Err(message) => return message,
    };
    let read = |addr: u64, buf: &mut [u8]| process.read_memory(addr, buf).ok();
    let report = match dump::dump_maps(&read, &text, dir) {
        Ok(report) => report,
        Err(e @ (DumpError::Create { .. } | DumpError::Write { .. } | DumpError::Exists(_))) => {
            return format!(
                "dump-maps stopped: {e}. Files already written are complete; no index.txt.\n"
            )
        }
        Err(e) => return format!("dump-maps: {e}.\n"),
    };
    log::debug!("dump-maps {}: {report:?}", dir.display());
    let mut out = format!(
        "Wrote {} mappings ({} bytes) to {}, listed in index.txt with maps.txt.\n",
        report.written.len(),
        report.bytes(),
        dir.display()
    );
    if !report.skipped.is_empty() {
        out.push_str(&format!("Skipped {} mappings:\n", report.skipped.len()));
        for (line, reason) in &report.skipped {
            out.push_str(&format!("  {line}  ({reason})\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::TargetConfig;

    fn run(cmd: &str) -> String {
        let mut target = DebugTarget::new(TargetConfig::default());
        String::from_utf8(target.monitor_command(cmd.as_bytes()).text).unwrap()
    }

    #[test]
    fn gnu_words() {
        assert!(run("help").starts_with("The following monitor commands are supported:\n"));
        assert!(
            run(" help ").contains("  exit\n    Quit GDBserver\n  set libthread-db-search-path")
        );
        assert_eq!(
            run("set libthread-db-search-path /nowhere"),
            "libthread-db-search-path set to `/nowhere'\n"
        );
        assert_eq!(
            run("set debug-format all"),
            "All extra debug format options enabled.\n"
        );
        assert_eq!(
            run("set debug-format none"),
            "All extra debug format options disabled.\n"
        );
        assert_eq!(run("frob"), format!("Unknown monitor command.\n\n{HELP}"));
        let mut target = DebugTarget::new(TargetConfig::default());
        assert!(!target.monitor_command(b"frob").understood);
        assert!(target.monitor_command(b"help").understood);
        assert_eq!(run(""), run("frob"));
        assert_eq!(run("set debug maybe"), run("frob"));
        assert_eq!(run("help me"), run("frob"));
        let mut target = DebugTarget::new(TargetConfig::default());
        let exit = target.monitor_command(b"exit");
        assert_eq!(exit.text, b"");
        assert!(exit.exit_server);
        assert!(!target.monitor_command(b"help").exit_server);
    }

    #[test]
    fn usage_and_no_process() {
        for cmd in [
            "dump-memory",
            "dump-memory f",
            "dump-memory f 1",
            "dump-memory 1 2",
            "dump-memory f &buf 2",
            "dump-memory f 1 -2",
            "dump-memory f 0x 2",
        ] {
            assert_eq!(run(cmd), DUMP_MEMORY_USAGE, "{cmd}");
        }
        assert_eq!(run("dump-maps"), DUMP_MAPS_USAGE);
        assert_eq!(run("maps all"), MAPS_USAGE);
        assert_eq!(run("maps"), NO_PROCESS);
        assert_eq!(run("dump-memory a b 0x10 16"), NO_PROCESS);
        assert_eq!(run("dump-maps d"), NO_PROCESS);
        assert_eq!(run("dump-memory f \u{ff} 2"), DUMP_MEMORY_USAGE);
        // Not UTF-8: still answered.
        let mut target = DebugTarget::new(TargetConfig::default());
        assert_eq!(
            target.monitor_command(b"\xff\xfe").text,
            run("frob").as_bytes()
        );
        assert_eq!(
            target.monitor_command(b"dump-maps \xff").text,
            NO_PROCESS.as_bytes()
        );
        assert_eq!(
            target.monitor_command(b"dump-memory \xff 1 0x2").text,
            NO_PROCESS.as_bytes()
        );
    }

    #[test]
    fn last_words() {
        assert_eq!(split_last_word(b"a b  c "), Some((&b"a b "[..], &b"c"[..])));
        assert_eq!(split_last_word(b"c"), None);
    }
}
