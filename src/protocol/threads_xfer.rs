//! `qXfer:threads:read`: the thread list with names (from
//! /proc/PID/task/TID/comm) and the CPU each last ran on, which gdbstub has
//! no trait for. gdb shows the names in `info threads`. The list covers
//! every process we follow, as qfThreadInfo's does.

use super::xml_escape;
use crate::inferior::process::Process;

/// The CPU a thread last ran on: field 39 of /proc/PID/task/TID/stat,
/// counted after the parenthesised command name (which may hold spaces).
pub fn last_cpu(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(36)?.parse().ok()
}

/// Every thread of `processes` (all the processes we follow: gdb drops the
/// threads of an inferior that the list leaves out). Thread ids are
/// `pPID.TID` only when gdb took multiprocess ids: without them gdb knows
/// the process by a made-up pid and would take `pPID.TID` for a thread of
/// another, new inferior.
pub fn threads_xml<'a>(
    processes: impl IntoIterator<Item = &'a Process>,
    multiprocess: bool,
) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<threads>\n");
    for process in processes {
        let pid = process.pid().as_raw();
        for tid in process.thread_ids() {
            let tid = tid.as_raw();
            let task = format!("/proc/{pid}/task/{tid}");
            if multiprocess {
                xml.push_str(&format!("<thread id=\"p{pid:x}.{tid:x}\""));
            } else {
                xml.push_str(&format!("<thread id=\"{tid:x}\""));
            }
            if let Some(core) = std::fs::read_to_string(format!("{task}/stat"))
                .ok()
                .and_then(|s| last_cpu(&s))
            {
                xml.push_str(&format!(" core=\"{core}\""));
            }
            if let Ok(name) = std::fs::read_to_string(format!("{task}/comm")) {
                xml.push_str(&format!(
                    " name=\"{}\"",
                    xml_escape(name.trim_end_matches('\n'))
                ));
            }
            xml.push_str("/>\n");
        }
    }
    xml.push_str("</threads>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_field_after_a_name_with_spaces() {
        let mut stat = String::from("1234 (a b) c) S");
        for i in 4..=52 {
            stat.push_str(&format!(" {i}"));
        }
        assert_eq!(last_cpu(&stat), Some(39));
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(last_cpu(&own).is_some());
    }
}
