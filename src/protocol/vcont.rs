//! Resume packets (`vCont`, and the legacy `c`, `C`, `s`, `S`) parsed into
//! actions on thread sets. We resume threads ourselves rather than through
//! gdbstub: it cannot resume several processes at once (schedule-multiple),
//! has no non-stop mode (`vCont;t`, resuming while others run) and no range
//! stepping (`vCont;r`).

use super::hex;
use super::validate::{parse_thread, Id};

/// What one `vCont` action asks of the threads it names. Signals are gdb's
/// numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue {
        signal: u8,
    },
    Step {
        signal: u8,
    },
    /// Step while the PC stays in `[start, end)`.
    RangeStep {
        start: u64,
        end: u64,
    },
    /// Non-stop: stop the thread and report it.
    Stop,
}

/// The threads an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// No thread id, or `-1`: every thread of every process.
    All,
    /// `pPID.-1` or `pPID`: every thread of one process.
    Process(i32),
    /// `pPID.TID` or `TID`: one thread (`pid` when given).
    Thread { pid: Option<i32>, tid: i32 },
    /// `0`: any thread, the server chooses.
    Any,
}

fn small(n: u64) -> Option<i32> {
    i32::try_from(n).ok()
}

fn parse_threads(text: &[u8]) -> Option<Threads> {
    Some(match parse_thread(text)? {
        (None | Some(Id::All), Id::All) => Threads::All,
        (Some(Id::Is(pid)), Id::All) => Threads::Process(small(pid)?),
        (Some(Id::Is(pid)), Id::Is(tid)) => Threads::Thread {
            pid: Some(small(pid)?),
            tid: small(tid)?,
        },
        (None | Some(Id::Any), Id::Is(tid)) => Threads::Thread {
            pid: None,
            tid: small(tid)?,
        },
        (_, Id::Any) => Threads::Any,
        (Some(Id::All), Id::Is(_)) | (Some(Id::Any), Id::All) => return None,
    })
}

fn parse_signal(text: &[u8]) -> Option<u8> {
    if text.len() != 2 {
        return None;
    }
    hex::parse_u64(text).map(|s| s as u8)
}

fn parse_action(text: &[u8]) -> Option<Action> {
    let (kind, rest) = text.split_first()?;
    Some(match (kind, rest) {
        (b'c', []) => Action::Continue { signal: 0 },
        (b's', []) => Action::Step { signal: 0 },
        (b't', []) => Action::Stop,
        (b'C', sig) => Action::Continue {
            signal: parse_signal(sig)?,
        },
        (b'S', sig) => Action::Step {
            signal: parse_signal(sig)?,
        },
        (b'r', range) => {
            let comma = range.iter().position(|&b| b == b',')?;
            Action::RangeStep {
                start: hex::parse_u64(&range[..comma])?,
                end: hex::parse_u64(&range[comma + 1..])?,
            }
        }
        _ => return None,
    })
}

/// The actions of `vCont;ACTION[:THREAD];...`, in order (the first that
/// names a thread is the one it takes). None if any part is malformed.
pub fn parse(body: &[u8]) -> Option<Vec<(Action, Threads)>> {
    let actions = body.strip_prefix(b"vCont;")?;
    let mut parsed = Vec::new();
    for item in actions.split(|&b| b == b';') {
        let (action, threads) = match item.iter().position(|&b| b == b':') {
            Some(colon) => (
                parse_action(&item[..colon])?,
                parse_threads(&item[colon + 1..])?,
            ),
            None => (parse_action(item)?, Threads::All),
        };
        parsed.push((action, threads));
    }
    (!parsed.is_empty()).then_some(parsed)
}

/// A legacy `c[ADDR]`, `Csig[;ADDR]`, `s[ADDR]` or `Ssig[;ADDR]`: the action
/// for the thread gdb resumes, and the address to resume it at, if any.
pub fn parse_legacy(body: &[u8]) -> Option<(Action, Option<u64>)> {
    let (kind, rest) = body.split_first()?;
    let address = |text: &[u8]| -> Option<Option<u64>> {
        if text.is_empty() {
            Some(None)
        } else {
            hex::parse_u64(text).map(Some)
        }
    };
    match kind {
        b'c' => Some((Action::Continue { signal: 0 }, address(rest)?)),
        b's' => Some((Action::Step { signal: 0 }, address(rest)?)),
        b'C' | b'S' => {
            let (sig, addr) = match rest.iter().position(|&b| b == b';') {
                Some(semi) => (&rest[..semi], address(&rest[semi + 1..])?),
                None => (rest, None),
            };
            let signal = parse_signal(sig)?;
            let action = if *kind == b'C' {
                Action::Continue { signal }
            } else {
                Action::Step { signal }
            };
            Some((action, addr))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions_and_thread_sets() {
        assert_eq!(
            parse(b"vCont;s:p10.11;c:p10.-1"),
            Some(vec![
                (
                    Action::Step { signal: 0 },
                    Threads::Thread {
                        pid: Some(0x10),
                        tid: 0x11
                    }
                ),
                (Action::Continue { signal: 0 }, Threads::Process(0x10)),
            ])
        );
        assert_eq!(
            parse(b"vCont;C05:1f;c"),
            Some(vec![
                (
                    Action::Continue { signal: 5 },
                    Threads::Thread {
                        pid: None,
                        tid: 0x1f
                    }
                ),
                (Action::Continue { signal: 0 }, Threads::All),
            ])
        );
        assert_eq!(
            parse(b"vCont;r400,410:p1.1"),
            Some(vec![(
                Action::RangeStep {
                    start: 0x400,
                    end: 0x410
                },
                Threads::Thread {
                    pid: Some(1),
                    tid: 1
                }
            )])
        );
        assert_eq!(
            parse(b"vCont;t:p5.-1"),
            Some(vec![(Action::Stop, Threads::Process(5))])
        );
        assert_eq!(
            parse(b"vCont;c:-1"),
            Some(vec![(Action::Continue { signal: 0 }, Threads::All)])
        );
        assert_eq!(
            parse(b"vCont;c:0"),
            Some(vec![(Action::Continue { signal: 0 }, Threads::Any)])
        );
    }

    #[test]
    fn refuses_malformed_vcont() {
        for bad in [
            &b"vCont;"[..],
            b"vCont",
            b"vCont;x",
            b"vCont;C5",
            b"vCont;C123",
            b"vCont;c:zz",
            b"vCont;r400:1",
            b"vCont;c;;s",
            b"vCont;c:p1.2.3",
            b"vCont;c:pffffffffff.1",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn legacy_packets() {
        assert_eq!(
            parse_legacy(b"c"),
            Some((Action::Continue { signal: 0 }, None))
        );
        assert_eq!(
            parse_legacy(b"s400"),
            Some((Action::Step { signal: 0 }, Some(0x400)))
        );
        assert_eq!(
            parse_legacy(b"C0b;400"),
            Some((Action::Continue { signal: 0xb }, Some(0x400)))
        );
        assert_eq!(
            parse_legacy(b"S05"),
            Some((Action::Step { signal: 5 }, None))
        );
        assert_eq!(parse_legacy(b"Cxx"), None);
        assert_eq!(parse_legacy(b"cnothex"), None);
    }
}
