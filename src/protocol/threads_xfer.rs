//! `qXfer:threads:read`: the thread list with names (from
//! /proc/PID/task/TID/comm) and the CPU each last ran on, which gdbstub has
//! no trait for. gdb shows the names in `info threads`. The list covers
//! every process we follow, as qfThreadInfo's does. The session gathers
//! the threads; this module only writes the document.

use super::xml_escape;

/// One thread as the document names it. The session gathers these (from
/// the processes it follows and /proc); this module only writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadEntry {
    pub pid: i32,
    pub tid: i32,
    /// The CPU it last ran on, if known.
    pub core: Option<u32>,
    /// Its name (`comm`), if known.
    pub name: Option<String>,
}

/// The CPU a thread last ran on: field 39 of /proc/PID/task/TID/stat,
/// counted after the parenthesised command name (which may hold spaces).
pub fn last_cpu(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(36)?.parse().ok()
}

/// The command name in /proc/PID/task/TID/stat: between the first `(`
/// and the last `)` (the name may hold either), the same 15 bytes as the
/// task's `comm` file, so one read gives both name and CPU.
pub fn command_name(stat: &str) -> Option<&str> {
    Some(&stat[stat.find('(')? + 1..stat.rfind(')')?])
}

/// The document for `threads` (those of every process we follow: gdb drops
/// the threads of an inferior that the list leaves out). Thread ids are
/// `pPID.TID` only when gdb took multiprocess ids: without them gdb knows
/// the process by a made-up pid and would take `pPID.TID` for a thread of
/// another, new inferior.
pub fn threads_xml(threads: &[ThreadEntry], multiprocess: bool) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<threads>\n");
    for thread in threads {
        let (pid, tid) = (thread.pid, thread.tid);
        if multiprocess {
            xml.push_str(&format!("<thread id=\"p{pid:x}.{tid:x}\""));
        } else {
            xml.push_str(&format!("<thread id=\"{tid:x}\""));
        }
        if let Some(core) = thread.core {
            xml.push_str(&format!(" core=\"{core}\""));
        }
        if let Some(name) = &thread.name {
            xml.push_str(&format!(" name=\"{}\"", xml_escape(name)));
        }
        xml.push_str("/>\n");
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
        assert_eq!(command_name(&stat), Some("a b) c"));
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(last_cpu(&own).is_some());
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
        assert_eq!(command_name(&own), Some(comm.trim_end_matches('\n')));
        assert_eq!(command_name("1234 no name"), None);
    }

    #[test]
    fn writes_ids_cores_and_names() {
        let threads = [
            ThreadEntry {
                pid: 0x10,
                tid: 0x10,
                core: Some(3),
                name: Some("a<b".to_string()),
            },
            ThreadEntry {
                pid: 0x10,
                tid: 0x11,
                core: None,
                name: None,
            },
        ];
        assert_eq!(
            threads_xml(&threads, true),
            "<?xml version=\"1.0\"?>\n<threads>\n\
             <thread id=\"p10.10\" core=\"3\" name=\"a&lt;b\"/>\n\
             <thread id=\"p10.11\"/>\n</threads>\n"
        );
        assert!(threads_xml(&threads, false).contains("<thread id=\"11\"/>"));
        assert_eq!(
            threads_xml(&[], false),
            "<?xml version=\"1.0\"?>\n<threads>\n</threads>\n"
        );
    }
}
