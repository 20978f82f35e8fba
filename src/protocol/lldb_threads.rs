//! lldb's `jThreadsInfo` reply: every thread of the process as JSON, with
//! its name, its expedited registers and, for the thread that stopped, why.
//! lldb asks for it at each stop instead of a `qThreadStopInfo` and
//! register reads per thread. Pure: the session gathers the values.
//!
//! The shape is lldb-server's: `[{"name":"prog","reason":"breakpoint",
//! "registers":{"16":"bf51555555550000",...},"signal":5,"tid":24548},...]`,
//! register values as hex bytes in target order keyed by the decimal
//! register number of our target description, the tid in decimal. The
//! reply goes out binary-escaped (`}` is the escape byte), as lldb-server
//! sends it.

use super::framing;
use super::hex;

/// One thread as `jThreadsInfo` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInfo {
    pub tid: i32,
    pub name: Vec<u8>,
    /// (regnum, bytes) of its expedited registers.
    pub registers: Vec<(usize, Vec<u8>)>,
    /// Why it stopped, for the thread whose stop was reported.
    pub stop: Option<ThreadStopInfo>,
}

/// The stop of the reported thread in lldb's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadStopInfo {
    /// lldb's reason: `breakpoint`, `trace`, `watchpoint`, `signal`,
    /// `exec`.
    pub reason: &'static str,
    /// gdb's signal number.
    pub signal: u8,
    /// For a watchpoint, the address accessed (lldb reads it in decimal).
    pub watch_addr: Option<u64>,
}

/// The escaped reply body for `threads`.
pub fn threads_info_reply(threads: &[ThreadInfo]) -> Vec<u8> {
    let mut json = String::from("[");
    for (i, thread) in threads.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str("{\"name\":");
        push_json_string(&mut json, &thread.name);
        if let Some(stop) = &thread.stop {
            json.push_str(",\"reason\":\"");
            json.push_str(stop.reason);
            json.push('"');
            if let Some(addr) = stop.watch_addr {
                json.push_str(&format!(",\"description\":\"{addr}\""));
            }
        }
        json.push_str(",\"registers\":{");
        for (j, (regnum, bytes)) in thread.registers.iter().enumerate() {
            if j > 0 {
                json.push(',');
            }
            let mut value = Vec::with_capacity(bytes.len() * 2);
            hex::encode_into(bytes, &mut value);
            json.push_str(&format!(
                "\"{regnum}\":\"{}\"",
                String::from_utf8_lossy(&value)
            ));
        }
        json.push('}');
        if let Some(stop) = &thread.stop {
            json.push_str(&format!(",\"signal\":{}", stop.signal));
        }
        json.push_str(&format!(",\"tid\":{}}}", thread.tid));
    }
    json.push(']');
    let mut out = Vec::with_capacity(json.len() + 16);
    framing::escape_binary(json.as_bytes(), &mut out);
    out
}

/// `text` as a JSON string: quotes, backslashes and control bytes
/// escaped; bytes that are not UTF-8 replaced.
fn push_json_string(json: &mut String, text: &[u8]) {
    json.push('"');
    for c in String::from_utf8_lossy(text).chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            c if (c as u32) < 0x20 => json.push_str(&format!("\\u{:04x}", c as u32)),
            c => json.push(c),
        }
    }
    json.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_as_lldb_server_lists_them() {
        let threads = [
            ThreadInfo {
                tid: 24548,
                name: b"lt".to_vec(),
                registers: vec![(6, vec![0x10, 0xe7]), (16, vec![0xbf, 0x51])],
                stop: Some(ThreadStopInfo {
                    reason: "breakpoint",
                    signal: 5,
                    watch_addr: None,
                }),
            },
            ThreadInfo {
                tid: 24622,
                name: b"worker1".to_vec(),
                registers: vec![(16, vec![0x45])],
                stop: None,
            },
        ];
        let json = framing::unescape_binary(&threads_info_reply(&threads)).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"[{"name":"lt","reason":"breakpoint","registers":{"6":"10e7","16":"bf51"},"signal":5,"tid":24548},{"name":"worker1","registers":{"16":"45"},"tid":24622}]"#
        );
    }

    #[test]
    fn the_reply_is_escaped_and_names_are_json() {
        let thread = ThreadInfo {
            tid: 1,
            name: b"a\"b\\c\x01*#".to_vec(),
            registers: Vec::new(),
            stop: Some(ThreadStopInfo {
                reason: "watchpoint",
                signal: 5,
                watch_addr: Some(4096),
            }),
        };
        let reply = threads_info_reply(&[thread]);
        // No byte that would end or corrupt the packet is left raw.
        assert!(!reply.iter().any(|b| b"#$*".contains(b)));
        let json = String::from_utf8(framing::unescape_binary(&reply).unwrap()).unwrap();
        assert_eq!(
            json,
            r#"[{"name":"a\"b\\c\u0001*#","reason":"watchpoint","description":"4096","registers":{},"signal":5,"tid":1}]"#
        );
        assert_eq!(threads_info_reply(&[]), b"[]");
    }
}
