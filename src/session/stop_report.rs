//! The stop reply for an inferior event: the session's translation of a
//! `StopEvent` and the state of its process (expedited registers, the
//! program an exec started, host signals as gdb numbers them) into the
//! wire's `StopReply`, which `protocol::stop_reply` encodes. Also the
//! all-stop `?` reply, which picks the event to describe.

use crate::inferior::hw_debug::HwKind;
use crate::inferior::process::{Process, StopEvent};
use crate::inferior::procfs;
use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::protocol::stop_reply::{LldbKeys, StopReason, StopReply, ThreadStop, WatchKind};

/// The reply when there is no process to describe.
pub(super) fn no_process() -> Vec<u8> {
    StopReply::Exited { pid: None, code: 0 }.encode(false)
}

/// How this client reads stop replies.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ReplyStyle {
    /// Thread ids as `pPID.TID` (`multiprocess+`).
    pub(super) multiprocess: bool,
    /// lldb's `name:`, `threads:` and `thread-pcs:` keys in `T` replies
    /// (after `QListThreadsInStopReply`).
    pub(super) lldb_thread_keys: bool,
}

/// The stop reply for `event` of `process`.
pub(super) fn reply(process: &mut Process, event: StopEvent, style: ReplyStyle) -> Vec<u8> {
    let registers = event
        .tid()
        .map(|tid| expedited_registers(process, tid))
        .unwrap_or_default();
    let pid = process.pid();
    let exec_path = match event {
        StopEvent::Exec { .. } => procfs::executable_path(pid).unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut reply = describe(pid.as_raw(), event, registers, exec_path);
    if let (StopReply::Thread(stop), true) = (&mut reply, style.lldb_thread_keys) {
        stop.lldb = Some(lldb_keys(process, Tid::from_raw(stop.tid)));
    }
    reply.encode(style.multiprocess)
}

/// lldb's keys for a stop of `tid`: its name, every thread and its PC.
fn lldb_keys(process: &mut Process, tid: Tid) -> LldbKeys {
    let tids: Vec<Tid> = process.thread_ids().collect();
    let threads = tids
        .into_iter()
        .filter_map(|t| Some((t.as_raw(), process.read_pc(t).ok()?)))
        .collect();
    LldbKeys {
        name: procfs::thread_name(process.pid(), tid)
            .map(String::into_bytes)
            .unwrap_or_default(),
        threads,
    }
}

/// The whole reply to `?` for the last stop (the initial stop counts as a SIGTRAP).
pub(super) fn question_mark_reply(
    process: Option<&mut Process>,
    last: Option<StopEvent>,
    style: ReplyStyle,
) -> Vec<u8> {
    let Some(process) = process else {
        return no_process();
    };
    let event = match (process.exit_event(), last) {
        (Some(exit), _) => exit,
        (None, Some(event)) if event.tid().is_some_and(|t| process.has_thread(t)) => event,
        _ => match process.thread_ids().next() {
            Some(tid) => StopEvent::Signal {
                tid,
                signal: libc::SIGTRAP,
            },
            None => return no_process(),
        },
    };
    reply(process, event, style)
}

/// (regnum, bytes) of the expedited registers of `tid`.
pub(super) fn expedited_registers(process: &mut Process, tid: Tid) -> Vec<(usize, Vec<u8>)> {
    let Ok(g) = process.read_expedited_registers(tid) else {
        return Vec::new();
    };
    let context = process.register_context();
    context
        .expedited_regs()
        .iter()
        .filter_map(|&regnum| {
            let info = context.register(regnum)?;
            Some((
                regnum,
                g.get(info.offset..info.offset + info.size)?.to_vec(),
            ))
        })
        .collect()
}

/// What the reply to `event` of process `pid` says, given the stopped
/// thread's expedited registers and, for an exec, the new program's path.
fn describe(
    pid: i32,
    event: StopEvent,
    registers: Vec<(usize, Vec<u8>)>,
    exec_path: Vec<u8>,
) -> StopReply {
    let signal = match event {
        StopEvent::Exited { code } => {
            return StopReply::Exited {
                pid: Some(pid),
                code: code as u8,
            }
        }
        StopEvent::Killed { signal } => {
            return StopReply::Killed {
                pid: Some(pid),
                signal: native::SIGNALS.to_gdb(signal),
            }
        }
        StopEvent::ThreadExited { tid, code } => {
            return StopReply::ThreadExited {
                pid,
                tid: tid.as_raw(),
                code: code as u8,
            }
        }
        StopEvent::Signal { signal, .. } => native::SIGNALS.to_gdb(signal),
        StopEvent::Stopped { .. } => 0,
        _ => native::SIGNALS.to_gdb(libc::SIGTRAP),
    };
    let reason = match event {
        StopEvent::Breakpoint { .. } => Some(StopReason::SwBreak),
        StopEvent::HwBreak { .. } => Some(StopReason::HwBreak),
        StopEvent::Watch { kind, addr, .. } => Some(StopReason::Watch {
            kind: watch_kind(kind),
            addr,
        }),
        StopEvent::Fork { child, vfork, .. } => Some(StopReason::Fork {
            child: child.as_raw(),
            vfork,
        }),
        StopEvent::Clone { child, .. } => Some(StopReason::Clone {
            child: child.as_raw(),
        }),
        StopEvent::VforkDone { .. } => Some(StopReason::VforkDone),
        StopEvent::Exec { .. } => Some(StopReason::Exec { path: exec_path }),
        StopEvent::Syscall { nr, entry, .. } => Some(StopReason::Syscall { nr, entry }),
        _ => None,
    };
    StopReply::Thread(ThreadStop {
        signal,
        pid,
        tid: event.tid().map(|t| t.as_raw()).unwrap_or(0),
        registers,
        reason,
        lldb: None,
    })
}

/// The reason gdb is given for a debug register's trap (an execute
/// watchpoint is reported as a write one, as before).
fn watch_kind(kind: HwKind) -> WatchKind {
    match kind {
        HwKind::Read => WatchKind::Read,
        HwKind::Access => WatchKind::Access,
        HwKind::Write | HwKind::Execute => WatchKind::Write,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: Tid = Tid::from_raw(0x11);

    #[test]
    fn a_thread_exit_is_a_w_reply() {
        let event = StopEvent::ThreadExited { tid: TID, code: 3 };
        assert_eq!(
            describe(0x10, event, Vec::new(), Vec::new()),
            StopReply::ThreadExited {
                pid: 0x10,
                tid: 0x11,
                code: 3
            }
        );
    }

    fn thread_stop(event: StopEvent) -> ThreadStop {
        match describe(0x10, event, vec![(1, vec![2])], b"/p".to_vec()) {
            StopReply::Thread(stop) => stop,
            other => panic!("not a thread stop: {other:?}"),
        }
    }

    #[test]
    fn exits_carry_the_pid_and_gdbs_signal() {
        assert_eq!(
            describe(0x10, StopEvent::Exited { code: 0x103 }, vec![], vec![]),
            StopReply::Exited {
                pid: Some(0x10),
                code: 3
            }
        );
        assert_eq!(
            describe(
                0x10,
                StopEvent::Killed {
                    signal: libc::SIGUSR1
                },
                vec![],
                vec![]
            ),
            StopReply::Killed {
                pid: Some(0x10),
                signal: 30
            }
        );
        assert_eq!(no_process(), b"W00");
    }

    #[test]
    fn signals_are_gdbs_numbers() {
        let stop = thread_stop(StopEvent::Signal {
            tid: TID,
            signal: libc::SIGUSR2,
        });
        assert_eq!((stop.signal, stop.pid, stop.tid), (31, 0x10, 0x11));
        assert_eq!(stop.registers, vec![(1, vec![2])]);
        assert_eq!(stop.reason, None);
        assert_eq!(thread_stop(StopEvent::Stopped { tid: TID }).signal, 0);
        let step = thread_stop(StopEvent::Step { tid: TID });
        assert_eq!((step.signal, step.reason), (5, None));
    }

    #[test]
    fn reasons_follow_the_event() {
        let reason = |event| thread_stop(event).reason;
        assert_eq!(
            reason(StopEvent::Breakpoint { tid: TID, addr: 1 }),
            Some(StopReason::SwBreak)
        );
        assert_eq!(
            reason(StopEvent::HwBreak { tid: TID }),
            Some(StopReason::HwBreak)
        );
        for (kind, watch) in [
            (HwKind::Write, WatchKind::Write),
            (HwKind::Execute, WatchKind::Write),
            (HwKind::Read, WatchKind::Read),
            (HwKind::Access, WatchKind::Access),
        ] {
            assert_eq!(
                reason(StopEvent::Watch {
                    tid: TID,
                    kind,
                    addr: 0x40
                }),
                Some(StopReason::Watch {
                    kind: watch,
                    addr: 0x40
                })
            );
        }
        assert_eq!(
            reason(StopEvent::Fork {
                tid: TID,
                child: Tid::from_raw(0x20),
                vfork: true
            }),
            Some(StopReason::Fork {
                child: 0x20,
                vfork: true
            })
        );
        assert_eq!(
            reason(StopEvent::VforkDone { tid: TID }),
            Some(StopReason::VforkDone)
        );
        assert_eq!(
            reason(StopEvent::Exec { tid: TID }),
            Some(StopReason::Exec {
                path: b"/p".to_vec()
            })
        );
        assert_eq!(
            reason(StopEvent::Syscall {
                tid: TID,
                nr: 60,
                entry: true
            }),
            Some(StopReason::Syscall {
                nr: 60,
                entry: true
            })
        );
    }
}
