//! `qXfer:threads:read`: the thread list with names (from
//! /proc/PID/task/TID/comm) and the CPU each last ran on, which gdbstub has
//! no trait for. gdb shows the names in `info threads`.

use crate::inferior::process::Process;

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The CPU a thread last ran on: field 39 of /proc/PID/task/TID/stat,
/// counted after the parenthesised command name (which may hold spaces).
fn last_cpu(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(36)?.parse().ok()
}

pub fn threads_xml(process: &Process, multiprocess: bool) -> String {
    let pid = process.pid().as_raw();
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<threads>\n");
    for tid in process.thread_ids() {
        let tid = tid.as_raw();
        let task = format!("/proc/{pid}/task/{tid}");
        // Without multiprocess ids gdb reads `pP.T` as a thread of another
        // process and makes up an inferior for it.
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

    #[test]
    fn escapes_names() {
        assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
