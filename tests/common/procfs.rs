//! The target's real state, read through /proc behind the server's back:
//! process status, liveness, memory, and the code bytes as the executable
//! file has them.

use std::path::Path;

/// A field of /proc/PID/status, e.g. "State" or "TracerPid".
pub fn proc_status(pid: i32, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim().to_string())
    })
}

pub fn read_proc_mem(pid: i32, addr: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(format!("/proc/{pid}/mem")).expect("open mem");
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, addr).expect("read mem");
    buf
}

pub fn pid_alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && proc_status(pid, "State").is_some_and(|s| !s.starts_with('Z'))
}

/// The program's own code bytes at `addr` in process `pid`, read from the
/// executable file (what memory holds with no breakpoint planted).
pub fn code_bytes_in_file(pid: i32, prog: &Path, addr: u64, len: usize) -> Vec<u8> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let line = maps
        .lines()
        .find(|l| l.contains(prog.to_str().unwrap()))
        .unwrap();
    let base = u64::from_str_radix(line.split('-').next().unwrap(), 16).unwrap();
    let exe = std::fs::read(prog).unwrap();
    let offset = (addr - base) as usize;
    exe[offset..offset + len].to_vec()
}

/// Does /proc/cpuinfo list `flag` (the CPU has it and the kernel enabled
/// it)? For tests whose registers or output depend on the CPU.
pub fn cpu_has(flag: &str) -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == flag))
}
