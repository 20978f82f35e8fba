//! `qXfer:osdata:read:TYPE`: the tables gdb's `info os TYPE` prints, about
//! the whole machine rather than the debugged process: processes, process
//! groups, threads, open files, internet sockets, System V shared memory,
//! semaphores and message queues, kernel modules and CPUs. Everything is
//! read from /proc. The layout is gdbserver's on Linux (the GDB testsuite
//! matches its column names and order): `<osdata type="...">` holding one
//! `<item>` per row of `<column name="...">` values. An empty TYPE lists
//! the types; an unknown one is an empty document, which gdb reports as
//! "Wrong osdata type?".

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::MetadataExt;

use super::threads_xfer::last_cpu;
use super::xml_escape;

/// The types we list: name, description, title (what `info os` shows).
const TYPES: &[(&str, &str, &str)] = &[
    ("cpus", "Listing of all cpus/cores on the system", "CPUs"),
    (
        "files",
        "Listing of all file descriptors",
        "File descriptors",
    ),
    (
        "modules",
        "Listing of all loaded kernel modules",
        "Kernel modules",
    ),
    ("msg", "Listing of all message queues", "Message queues"),
    ("processes", "Listing of all processes", "Processes"),
    (
        "procgroups",
        "Listing of all process groups",
        "Process groups",
    ),
    ("semaphores", "Listing of all semaphores", "Semaphores"),
    (
        "shm",
        "Listing of all shared-memory regions",
        "Shared-memory regions",
    ),
    (
        "sockets",
        "Listing of all internet-domain sockets",
        "Sockets",
    ),
    ("threads", "Listing of all threads", "Threads"),
];

/// The document for `annex` (empty: the list of types); None for a type we
/// do not know.
pub fn document(annex: &str) -> Option<String> {
    Some(match annex {
        "" | "types" => render("types", &types()),
        "cpus" => render("cpus", &cpus()),
        "files" => render("files", &files()),
        "modules" => render("modules", &modules()),
        "msg" => render("message queues", &message_queues()),
        "processes" => render("processes", &processes()),
        "procgroups" => render("process groups", &process_groups()),
        "semaphores" => render("semaphores", &semaphores()),
        "shm" => render("shared memory", &shared_memory()),
        "sockets" => render("I sockets", &sockets()),
        "threads" => render("threads", &threads()),
        _ => return None,
    })
}

/// One row: (column name, value) in display order.
type Row = Vec<(&'static str, String)>;

fn render<N: AsRef<str>>(title: &str, rows: &[Vec<(N, String)>]) -> String {
    let mut xml = format!("<osdata type=\"{title}\">\n");
    for row in rows {
        xml.push_str("<item>");
        for (name, value) in row {
            let _ = write!(
                xml,
                "<column name=\"{}\">{}</column>",
                xml_escape(name.as_ref()),
                xml_escape(value)
            );
        }
        xml.push_str("</item>");
    }
    xml.push_str("</osdata>\n");
    xml
}

fn types() -> Vec<Row> {
    TYPES
        .iter()
        .map(|(name, description, title)| {
            vec![
                ("Type", name.to_string()),
                ("Description", description.to_string()),
                ("Title", title.to_string()),
            ]
        })
        .collect()
}

/// The numeric entries of a /proc directory, ascending.
fn numeric_entries(dir: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

fn pids() -> Vec<i64> {
    numeric_entries("/proc")
}

/// The command name of a process (its `comm`), or the pid if it is gone.
fn command(pid: i64) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            (open < close).then(|| stat[open + 1..close].to_string())
        })
        .unwrap_or_else(|| pid.to_string())
}

/// The command line with its words joined by spaces; `[comm]` for kernel
/// threads, whose command line is empty; empty if the process is gone.
fn command_line(pid: i64) -> String {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(bytes) if !bytes.is_empty() => {
            let text = String::from_utf8_lossy(&bytes);
            text.trim_end_matches('\0').replace('\0', " ")
        }
        Ok(_) => format!("[{}]", command(pid)),
        Err(_) => String::new(),
    }
}

fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(uid.into())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_default()
}

fn group_name(gid: u32) -> String {
    nix::unistd::Group::from_gid(gid.into())
        .ok()
        .flatten()
        .map(|g| g.name)
        .unwrap_or_default()
}

/// The CPU a thread last ran on.
fn core_of(pid: i64, tid: i64) -> Option<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat"))
        .ok()
        .and_then(|s| last_cpu(&s))
}

fn processes() -> Vec<Row> {
    pids()
        .into_iter()
        .map(|pid| {
            let user = std::fs::metadata(format!("/proc/{pid}"))
                .map(|m| user_name(m.uid()))
                .unwrap_or_else(|_| "?".into());
            let mut cores: Vec<u32> = numeric_entries(&format!("/proc/{pid}/task"))
                .into_iter()
                .filter_map(|tid| core_of(pid, tid))
                .collect();
            cores.sort_unstable();
            cores.dedup();
            let cores: Vec<String> = cores.iter().map(u32::to_string).collect();
            vec![
                ("pid", pid.to_string()),
                ("user", user),
                ("command", command_line(pid)),
                ("cores", cores.join(",")),
            ]
        })
        .collect()
}

fn process_groups() -> Vec<Row> {
    let mut members: Vec<(i64, i64)> = pids()
        .into_iter()
        .filter_map(|pid| {
            let pgid =
                nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(i32::try_from(pid).ok()?)))
                    .ok()?;
            Some((i64::from(pgid.as_raw()), pid))
        })
        .collect();
    // By group, the leader first, then by pid.
    members.sort_by_key(|&(pgid, pid)| (pgid, pid != pgid, pid));
    members
        .into_iter()
        .map(|(pgid, pid)| {
            vec![
                ("pgid", pgid.to_string()),
                ("leader command", command(pgid)),
                ("pid", pid.to_string()),
                ("command line", command_line(pid)),
            ]
        })
        .collect()
}

fn threads() -> Vec<Row> {
    let mut rows = Vec::new();
    for pid in pids() {
        let name = command(pid);
        for tid in numeric_entries(&format!("/proc/{pid}/task")) {
            let core = core_of(pid, tid).map_or(-1, i64::from);
            rows.push(vec![
                ("pid", pid.to_string()),
                ("command", name.clone()),
                ("tid", tid.to_string()),
                ("core", core.to_string()),
            ]);
        }
    }
    rows
}

fn files() -> Vec<Row> {
    let mut rows = Vec::new();
    for pid in pids() {
        let name = command(pid);
        for fd in numeric_entries(&format!("/proc/{pid}/fd")) {
            let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_else(|_| fd.to_string());
            rows.push(vec![
                ("pid", pid.to_string()),
                ("command", name.clone()),
                ("file descriptor", fd.to_string()),
                ("name", target),
            ]);
        }
    }
    rows
}

/// A TCP state number as the kernel's tcp_states.h names it.
fn socket_state(state: u32) -> &'static str {
    match state {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "(unknown)",
    }
}

/// An address of /proc/net/{tcp,udp}{,6}: 32-bit words in hex, each the
/// kernel's in-memory (network order) bytes printed as a native integer.
fn socket_address(hex: &str) -> Option<String> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let text = hex.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(text, 16).ok()?.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(Ipv4Addr::from(word(0)?).to_string()),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(Ipv6Addr::from(bytes).to_string())
        }
        _ => None,
    }
}

/// One line of /proc/net/{tcp,udp}{,6} as a row (None for the header).
fn socket_row(line: &str, inet6: bool, tcp: bool) -> Option<Row> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (local, remote) = (fields.get(1)?, fields.get(2)?);
    let (local_addr, local_port) = local.split_once(':')?;
    let (remote_addr, remote_port) = remote.split_once(':')?;
    let state = u32::from_str_radix(fields.get(3)?, 16).ok()?;
    let uid: u32 = fields.get(7)?.parse().ok()?;
    let port = |p: &str| u16::from_str_radix(p, 16).ok().map(|p| p.to_string());
    Some(vec![
        ("local address", socket_address(local_addr)?),
        ("local port", port(local_port)?),
        ("remote address", socket_address(remote_addr)?),
        ("remote port", port(remote_port)?),
        ("state", socket_state(state).to_string()),
        ("user", user_name(uid)),
        ("family", if inet6 { "INET6" } else { "INET" }.to_string()),
        ("protocol", if tcp { "STREAM" } else { "DGRAM" }.to_string()),
    ])
}

fn sockets() -> Vec<Row> {
    let mut rows = Vec::new();
    for (file, inet6, tcp) in [
        ("tcp", false, true),
        ("udp", false, false),
        ("tcp6", true, true),
        ("udp6", true, false),
    ] {
        let text = std::fs::read_to_string(format!("/proc/net/{file}")).unwrap_or_default();
        rows.extend(text.lines().filter_map(|l| socket_row(l, inet6, tcp)));
    }
    rows
}

/// A time from /proc/sysvipc as ctime(3) shows it, in local time; empty
/// for 0 (never).
fn ipc_time(seconds: i64) -> String {
    if seconds == 0 {
        return String::new();
    }
    // time_t is 32 bits on 32-bit MIPS: later times wrap there, as in C.
    let time = seconds as libc::time_t;
    // SAFETY: localtime_r only writes the tm we own; tm is plain data.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&time, &mut tm).is_null() {
            return seconds.to_string();
        }
        tm
    };
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS.get(tm.tm_wday as usize).unwrap_or(&"?"),
        MONTHS.get(tm.tm_mon as usize).unwrap_or(&"?"),
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        i64::from(tm.tm_year) + 1900
    )
}

/// The rows of a /proc/sysvipc table: each line's fields by the header's
/// names. Lines that do not have every column are skipped.
fn sysvipc(file: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(format!("/proc/sysvipc/{file}")).unwrap_or_default();
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let names: Vec<&str> = header.split_whitespace().collect();
    lines
        .filter_map(|line| {
            let values: Vec<&str> = line.split_whitespace().collect();
            (values.len() >= names.len()).then(|| {
                names
                    .iter()
                    .zip(values)
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect()
            })
        })
        .collect()
}

/// Values of a /proc/sysvipc row, converted for display.
struct Ipc<'a>(&'a BTreeMap<String, String>);

impl Ipc<'_> {
    fn text(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    fn number(&self, name: &str) -> Option<i64> {
        self.0.get(name)?.parse().ok()
    }

    /// Permission bits, printed in octal by the kernel and by gdbserver.
    fn permissions(&self) -> String {
        self.0
            .get("perms")
            .and_then(|p| u32::from_str_radix(p, 8).ok())
            .map(|p| format!("{p:o}"))
            .unwrap_or_default()
    }

    fn user(&self, name: &str) -> String {
        self.number(name)
            .and_then(|u| u32::try_from(u).ok())
            .map(user_name)
            .unwrap_or_default()
    }

    fn group(&self, name: &str) -> String {
        self.number(name)
            .and_then(|g| u32::try_from(g).ok())
            .map(group_name)
            .unwrap_or_default()
    }

    fn command(&self, name: &str) -> String {
        self.number(name).map(command).unwrap_or_default()
    }

    fn time(&self, name: &str) -> String {
        self.number(name).map(ipc_time).unwrap_or_default()
    }

    /// The owner and creator columns every IPC table ends with.
    fn owners(&self) -> Row {
        vec![
            ("user", self.user("uid")),
            ("group", self.group("gid")),
            ("creator user", self.user("cuid")),
            ("creator group", self.group("cgid")),
        ]
    }
}

fn shared_memory() -> Vec<Row> {
    sysvipc("shm")
        .iter()
        .map(|fields| {
            let ipc = Ipc(fields);
            let mut row = vec![
                ("key", ipc.text("key")),
                ("shmid", ipc.text("shmid")),
                ("permissions", ipc.permissions()),
                ("size", ipc.text("size")),
                ("creator command", ipc.command("cpid")),
                ("last op. command", ipc.command("lpid")),
                ("num attached", ipc.text("nattch")),
            ];
            row.extend(ipc.owners());
            row.extend([
                ("last shmat() time", ipc.time("atime")),
                ("last shmdt() time", ipc.time("dtime")),
                ("last shmctl() time", ipc.time("ctime")),
            ]);
            row
        })
        .collect()
}

fn semaphores() -> Vec<Row> {
    sysvipc("sem")
        .iter()
        .map(|fields| {
            let ipc = Ipc(fields);
            let mut row = vec![
                ("key", ipc.text("key")),
                ("semid", ipc.text("semid")),
                ("permissions", ipc.permissions()),
                ("num semaphores", ipc.text("nsems")),
            ];
            row.extend(ipc.owners());
            row.extend([
                ("last semop() time", ipc.time("otime")),
                ("last semctl() time", ipc.time("ctime")),
            ]);
            row
        })
        .collect()
}

fn message_queues() -> Vec<Row> {
    sysvipc("msg")
        .iter()
        .map(|fields| {
            let ipc = Ipc(fields);
            let mut row = vec![
                ("key", ipc.text("key")),
                ("msqid", ipc.text("msqid")),
                ("permissions", ipc.permissions()),
                ("num used bytes", ipc.text("cbytes")),
                ("num messages", ipc.text("qnum")),
                ("last msgsnd() command", ipc.command("lspid")),
                ("last msgrcv() command", ipc.command("lrpid")),
            ];
            row.extend(ipc.owners());
            row.extend([
                ("last msgsnd() time", ipc.time("stime")),
                ("last msgrcv() time", ipc.time("rtime")),
                ("last msgctl() time", ipc.time("ctime")),
            ]);
            row
        })
        .collect()
}

/// One line of /proc/modules: name size uses dependencies state address.
fn module_row(line: &str) -> Option<Row> {
    let mut fields = line.split_whitespace();
    let name = fields.next()?;
    let size: u64 = fields.next()?.parse().ok()?;
    let uses: i64 = fields.next()?.parse().ok()?;
    let dependencies = fields.next()?;
    let state = fields.next()?;
    let address = fields.next()?;
    let address = u64::from_str_radix(address.trim_start_matches("0x"), 16).ok()?;
    Some(vec![
        ("name", name.to_string()),
        ("size", size.to_string()),
        ("num uses", uses.to_string()),
        ("dependencies", dependencies.to_string()),
        ("status", state.to_string()),
        ("address", format!("{address:x}")),
    ])
}

fn modules() -> Vec<Row> {
    std::fs::read_to_string("/proc/modules")
        .unwrap_or_default()
        .lines()
        .filter_map(module_row)
        .collect()
}

/// /proc/cpuinfo: one row per `processor` block, its `key : value` lines
/// as columns (the keys vary by architecture).
fn cpus_from(text: &str) -> Vec<Vec<(String, String)>> {
    let mut rows: Vec<Vec<(String, String)>> = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        if key == "processor" || rows.is_empty() {
            rows.push(Vec::new());
        }
        if let Some(row) = rows.last_mut() {
            row.push((key.to_string(), value.trim().to_string()));
        }
    }
    rows
}

fn cpus() -> Vec<Vec<(String, String)>> {
    cpus_from(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_list_every_type_but_itself() {
        let doc = document("").unwrap();
        assert!(doc.starts_with("<osdata type=\"types\">\n<item>"));
        for (name, _, _) in TYPES {
            assert!(
                doc.contains(&format!("<column name=\"Type\">{name}</column>")),
                "{name}"
            );
            assert!(document(name).is_some(), "{name}");
        }
        assert!(!doc.contains(">types<"));
        assert_eq!(document("unknown_entry"), None);
    }

    #[test]
    fn our_own_process_is_listed() {
        let me = std::process::id();
        let doc = document("processes").unwrap();
        assert!(doc.contains(&format!("<item><column name=\"pid\">{me}</column>")));
        let doc = document("threads").unwrap();
        assert!(doc.contains(&format!("<column name=\"tid\">{me}</column>")));
        let doc = document("procgroups").unwrap();
        assert!(doc.contains(&format!("<column name=\"pid\">{me}</column>")));
        let doc = document("files").unwrap();
        assert!(doc.contains(&format!(
            "<column name=\"pid\">{me}</column><column name=\"command\">"
        )));
    }

    #[test]
    fn socket_lines() {
        let v4 = "   0: 0100007F:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1";
        let row = socket_row(v4, false, true).unwrap();
        let values: Vec<&str> = row.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values[..5], ["127.0.0.1", "2024", "0.0.0.0", "0", "LISTEN"]);
        assert_eq!(values[6..], ["INET", "STREAM"]);
        let v6 = "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 1";
        let row = socket_row(v6, true, false).unwrap();
        assert_eq!(row[0].1, "::1");
        assert_eq!(row[4].1, "CLOSE");
        assert_eq!(row[7].1, "DGRAM");
        assert!(socket_row("  sl  local_address rem_address   st", false, true).is_none());
    }

    #[test]
    fn cpuinfo_blocks() {
        let text = "processor\t: 0\nmodel name\t: A: B\n\nprocessor\t: 1\nmodel name\t: C\n";
        let rows = cpus_from(text);
        assert_eq!(rows.len(), 2);
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            rows[0],
            vec![pair("processor", "0"), pair("model name", "A: B")]
        );
        assert_eq!(rows[1][1], pair("model name", "C"));
    }

    #[test]
    fn module_lines() {
        let row = module_row("ext4 1024000 2 mbcache,jbd2, Live 0xffffffffc0a00000 (E)").unwrap();
        assert_eq!(row[0].1, "ext4");
        assert_eq!(row[3].1, "mbcache,jbd2,");
        assert_eq!(row[5].1, "ffffffffc0a00000");
        assert!(module_row("broken line").is_none());
    }

    #[test]
    fn ipc_times() {
        assert_eq!(ipc_time(0), "");
        let shown = ipc_time(86_400 * 365);
        assert!(shown.contains("1971") || shown.contains("1970"), "{shown}");
    }

    #[test]
    fn escaped_values() {
        let xml = render("t", &[vec![("a<b", "x&y".to_string())] as Row]);
        assert_eq!(
            xml,
            "<osdata type=\"t\">\n<item><column name=\"a&lt;b\">x&amp;y</column></item></osdata>\n"
        );
    }
}
