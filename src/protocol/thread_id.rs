//! The thread ids packets carry (`pPID.TID` with multiprocess extensions,
//! plain `TID` without, in hex), turned into what a handler acts on: the
//! process or the one thread named, or None for "any" (0) and "all" (-1).
//! `validate` checks ids against the threads that exist; this only reads.

use nix::unistd::Pid;

use super::hex;

/// The process of a `pPID.TID` thread id, if it names one.
pub fn process_of(text: &[u8]) -> Option<i32> {
    let rest = text.strip_prefix(b"p")?;
    let end = rest.iter().position(|&b| b == b'.').unwrap_or(rest.len());
    let pid = hex::parse_u64(&rest[..end])?;
    i32::try_from(pid).ok().filter(|&p| p > 0)
}

/// The one thread a thread id names (`pPID.TID` or `TID`); None for "any"
/// (0), "all" (-1) and what does not parse.
pub fn thread_of(text: &[u8]) -> Option<Pid> {
    let tid = match text.strip_prefix(b"p") {
        Some(rest) => &rest[rest.iter().position(|&b| b == b'.')? + 1..],
        None => text,
    };
    let tid = hex::parse_u64(tid)?;
    i32::try_from(tid)
        .ok()
        .filter(|&t| t > 0)
        .map(Pid::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_and_threads() {
        assert_eq!(process_of(b"p1f.20"), Some(0x1f));
        assert_eq!(process_of(b"p1f"), Some(0x1f));
        assert_eq!(process_of(b"p-1.-1"), None);
        assert_eq!(process_of(b"p0.0"), None);
        assert_eq!(process_of(b"20"), None);
        assert_eq!(thread_of(b"p1f.20"), Some(Pid::from_raw(0x20)));
        assert_eq!(thread_of(b"20"), Some(Pid::from_raw(0x20)));
        assert_eq!(thread_of(b"0"), None);
        assert_eq!(thread_of(b"-1"), None);
        assert_eq!(thread_of(b"p1f.-1"), None);
        assert_eq!(thread_of(b"p1f"), None);
        assert_eq!(thread_of(b"zz"), None);
    }
}
