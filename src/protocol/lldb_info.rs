//! lldb's information packets, as lldb's gdb-remote extensions document
//! them: the `key:value;` replies of `qHostInfo` and `qProcessInfo`, the
//! bare hex address of `qShlibInfoAddr`, and the `qMemoryRegionInfo:ADDR`
//! query and its region reply. lldb asks these before anything else to
//! learn the target's triple, byte order and pointer size, and the memory
//! regions for its unwinder. Pure: the session fills the plain values
//! (`HostInfo`, `ProcessInfo`, `Region`) from the host and /proc.

use std::fmt::Write;

use super::hex;

/// Byte order, as lldb spells it.
fn endian(big: bool) -> &'static str {
    if big {
        "big"
    } else {
        "little"
    }
}

/// A string value lldb expects hex-encoded (`triple`, `hostname`, `name`).
fn hex_text(text: &str) -> String {
    let mut out = Vec::new();
    hex::encode_into(text.as_bytes(), &mut out);
    String::from_utf8(out).expect("hex digits")
}

/// What `qHostInfo` tells: the machine the server runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// `x86_64-pc-linux-gnu` and the like.
    pub triple: &'static str,
    pub big_endian: bool,
    pub pointer_size: usize,
    /// Whether a watchpoint reports after the access (x86) or before it.
    pub watchpoints_after: bool,
    pub hostname: String,
    /// The kernel's release (`uname -r`).
    pub os_release: String,
    /// The kernel's version string (`uname -v`).
    pub os_version: String,
}

/// `qHostInfo`'s reply.
pub fn host_info_reply(info: &HostInfo) -> Vec<u8> {
    let mut out = String::new();
    let _ = write!(
        out,
        "triple:{};ptrsize:{};endian:{};ostype:linux;watchpoint_exceptions_received:{};",
        hex_text(info.triple),
        info.pointer_size,
        endian(info.big_endian),
        if info.watchpoints_after {
            "after"
        } else {
            "before"
        },
    );
    // lldb reads os_version as numbers only ("6.1.0"): the release up to
    // its first character that is neither digit nor dot.
    let numeric: String = info
        .os_release
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if !numeric.is_empty() {
        let _ = write!(out, "os_version:{};", numeric.trim_end_matches('.'));
    }
    let _ = write!(
        out,
        "os_build:{};os_kernel:{};hostname:{};",
        hex_text(&info.os_release),
        hex_text(&info.os_version),
        hex_text(&info.hostname),
    );
    out.into_bytes()
}

/// What `qProcessInfo` tells about the current process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub parent_pid: u32,
    /// Real and effective user ids.
    pub uids: (u32, u32),
    /// Real and effective group ids.
    pub gids: (u32, u32),
    pub triple: &'static str,
    pub big_endian: bool,
    pub pointer_size: usize,
}

/// `qProcessInfo`'s reply (numbers in hex, as lldb reads them).
pub fn process_info_reply(info: &ProcessInfo) -> Vec<u8> {
    format!(
        "pid:{:x};parent-pid:{:x};real-uid:{:x};real-gid:{:x};effective-uid:{:x};effective-gid:{:x};triple:{};ostype:linux;endian:{};ptrsize:{};",
        info.pid,
        info.parent_pid,
        info.uids.0,
        info.gids.0,
        info.uids.1,
        info.gids.1,
        hex_text(info.triple),
        endian(info.big_endian),
        info.pointer_size,
    )
    .into_bytes()
}

/// `qShlibInfoAddr`'s reply: the address in hex.
pub fn address_reply(addr: u64) -> Vec<u8> {
    format!("{addr:x}").into_bytes()
}

/// The address of `qMemoryRegionInfo:ADDR` (the text after the colon).
pub fn parse_region_query(args: &[u8]) -> Option<u64> {
    hex::parse_u64(args)
}

/// One region for `qMemoryRegionInfo`: a mapping, or (with no
/// permissions at all) the unmapped gap around the address asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub size: u64,
    /// `r`, `w`, `x`: which apply. A gap has none and no name.
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    /// The mapped file or pseudo-name (`[stack]`), if any.
    pub name: Option<String>,
}

/// `qMemoryRegionInfo`'s reply. A gap has no `permissions` key: lldb takes
/// that as unmapped, and the size as the distance to the next mapping.
pub fn region_reply(region: &Region) -> Vec<u8> {
    let mut out = format!("start:{:x};size:{:x};", region.start, region.size);
    let perms: String = [(region.read, 'r'), (region.write, 'w'), (region.exec, 'x')]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect();
    if !perms.is_empty() {
        let _ = write!(out, "permissions:{perms};");
    }
    if let Some(name) = &region.name {
        let _ = write!(out, "name:{};", hex_text(name));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn host_info_hex_encodes_strings() {
        let info = HostInfo {
            triple: "x86_64-pc-linux-gnu",
            big_endian: false,
            pointer_size: 8,
            watchpoints_after: true,
            hostname: "vm".to_string(),
            os_release: "6.1.0-18-amd64".to_string(),
            os_version: "#1 SMP".to_string(),
        };
        assert_eq!(
            text(host_info_reply(&info)),
            "triple:7838365f36342d70632d6c696e75782d676e75;ptrsize:8;endian:little;\
             ostype:linux;watchpoint_exceptions_received:after;os_version:6.1.0;\
             os_build:362e312e302d31382d616d643634;os_kernel:233120534d50;hostname:766d;"
        );
    }

    #[test]
    fn host_info_without_a_numeric_release() {
        let info = HostInfo {
            triple: "mips-unknown-linux-gnu",
            big_endian: true,
            pointer_size: 4,
            watchpoints_after: false,
            hostname: String::new(),
            os_release: "custom".to_string(),
            os_version: String::new(),
        };
        let reply = text(host_info_reply(&info));
        assert!(reply.contains(";ptrsize:4;endian:big;"), "{reply}");
        assert!(reply.contains("watchpoint_exceptions_received:before;"));
        assert!(!reply.contains("os_version:"), "{reply}");
    }

    #[test]
    fn process_info_in_hex() {
        let info = ProcessInfo {
            pid: 0x44c9,
            parent_pid: 0x44c8,
            uids: (1000, 0),
            gids: (100, 5),
            triple: "aarch64-unknown-linux-gnu",
            big_endian: false,
            pointer_size: 8,
        };
        assert_eq!(
            text(process_info_reply(&info)),
            "pid:44c9;parent-pid:44c8;real-uid:3e8;real-gid:64;effective-uid:0;\
             effective-gid:5;triple:616172636836342d756e6b6e6f776e2d6c696e75782d676e75;\
             ostype:linux;endian:little;ptrsize:8;"
        );
    }

    #[test]
    fn region_query_and_replies() {
        assert_eq!(parse_region_query(b"7ffff7fc8000"), Some(0x7fff_f7fc_8000));
        assert_eq!(parse_region_query(b""), None);
        assert_eq!(parse_region_query(b"zz"), None);
        let mapped = Region {
            start: 0x1000,
            size: 0x2000,
            read: true,
            write: false,
            exec: true,
            name: Some("[vdso]".to_string()),
        };
        assert_eq!(
            text(region_reply(&mapped)),
            "start:1000;size:2000;permissions:rx;name:5b7664736f5d;"
        );
        let gap = Region {
            start: 0,
            size: 0x1000,
            read: false,
            write: false,
            exec: false,
            name: None,
        };
        assert_eq!(text(region_reply(&gap)), "start:0;size:1000;");
        assert_eq!(address_reply(0x5555_5555_7ea8), b"555555557ea8");
    }
}
