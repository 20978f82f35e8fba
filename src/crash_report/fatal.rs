//! Will this signal kill the process and dump its core? Only such a
//! signal gets a crash report: one whose default action dumps core
//! (signal(7)) and that the program neither catches nor ignores, as
//! /proc/PID/status says (`SigCgt`, `SigIgn`) at the moment it stops the
//! thread. A signal the program handles, or one that only terminates
//! (SIGTERM, SIGKILL, ...), is passed on without a word.
//!
//! A fault the program had blocked or ignored is no exception: the kernel
//! resets such a signal to its default before the thread stops, so the
//! status read here already shows it uncaught.

/// The signals whose default action is to terminate with a core dump.
/// SIGTRAP is among them: with no breakpoints of ours planted, every
/// SIGTRAP the process reports as a signal is its own.
pub const CORE_DUMPING: [i32; 10] = [
    libc::SIGABRT,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGQUIT,
    libc::SIGSEGV,
    libc::SIGSYS,
    libc::SIGTRAP,
    libc::SIGXCPU,
    libc::SIGXFSZ,
];

/// What the program has set for one signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Default,
    Caught,
    Ignored,
}

/// A hexadecimal signal mask line of /proc/PID/status (`SigCgt:\t...`).
fn mask(status: &str, field: &str) -> Option<u64> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

/// The disposition of `signal` in the text of /proc/PID/status; None if
/// the text lacks the masks (the process is gone, say).
pub fn disposition(status: &str, signal: i32) -> Option<Disposition> {
    let bit = 1u64.checked_shl(u32::try_from(signal - 1).ok()?)?;
    let caught = mask(status, "SigCgt")?;
    let ignored = mask(status, "SigIgn")?;
    Some(if caught & bit != 0 {
        Disposition::Caught
    } else if ignored & bit != 0 {
        Disposition::Ignored
    } else {
        Disposition::Default
    })
}

/// Does `signal`, with this disposition, kill the process with a core?
pub fn is_fatal(signal: i32, disposition: Disposition) -> bool {
    disposition == Disposition::Default && CORE_DUMPING.contains(&signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tcrash\nSigQ:\t0/63448\nSigPnd:\t0000000000000000\n\
        ShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n\
        SigIgn:\t0000000000001000\nSigCgt:\t0000000000000400\n";

    #[test]
    fn masks_say_caught_ignored_or_default() {
        // SIGSEGV is 11: bit 10 (0x400); SIGPIPE 13: bit 12 (0x1000).
        assert_eq!(
            disposition(STATUS, libc::SIGSEGV),
            Some(Disposition::Caught)
        );
        assert_eq!(
            disposition(STATUS, libc::SIGPIPE),
            Some(Disposition::Ignored)
        );
        assert_eq!(
            disposition(STATUS, libc::SIGABRT),
            Some(Disposition::Default)
        );
        assert_eq!(disposition(STATUS, 64), Some(Disposition::Default));
        assert_eq!(disposition(STATUS, 0), None);
        assert_eq!(disposition(STATUS, 65), None);
        assert_eq!(disposition("Name:\tgone\n", libc::SIGSEGV), None);
    }

    #[test]
    fn only_uncaught_core_dumping_signals_are_fatal() {
        assert!(is_fatal(libc::SIGSEGV, Disposition::Default));
        assert!(is_fatal(libc::SIGABRT, Disposition::Default));
        assert!(!is_fatal(libc::SIGSEGV, Disposition::Caught));
        assert!(!is_fatal(libc::SIGQUIT, Disposition::Ignored));
        assert!(!is_fatal(libc::SIGTERM, Disposition::Default));
        assert!(!is_fatal(libc::SIGKILL, Disposition::Default));
    }
}
