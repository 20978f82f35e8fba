//! Stop replies, written by us for every stop (gdbstub's lack the
//! expedited registers, fork children's real pids, watchpoint addresses with
//! our own trap decoding, exec and syscall events, and `;process:PID` on
//! exits).

use super::hex;
use crate::inferior::hw_debug::HwKind;
use crate::inferior::process::{Process, StopEvent};
use crate::inferior::regs::native;

/// (regnum, bytes) of the expedited registers of the thread that stopped.
pub fn expedited_registers(process: &mut Process, event: StopEvent) -> Vec<(usize, Vec<u8>)> {
    let Some(tid) = event.tid() else {
        return Vec::new();
    };
    let Ok(g) = process.read_registers(tid) else {
        return Vec::new();
    };
    native::EXPEDITED_REGS
        .iter()
        .filter_map(|&regnum| {
            let info = native::LAYOUT.by_regnum(regnum)?;
            Some((
                regnum,
                g.get(info.offset..info.offset + info.size)?.to_vec(),
            ))
        })
        .collect()
}

/// The whole reply to `?` for the last stop (the initial stop counts as a SIGTRAP).
pub fn question_mark_reply(
    process: Option<&mut Process>,
    last: Option<StopEvent>,
    multiprocess: bool,
) -> Vec<u8> {
    let Some(process) = process else {
        return b"W00".to_vec();
    };
    let event = match (process.exit_event(), last) {
        (Some(exit), _) => exit,
        (None, Some(event)) if event.tid().is_some_and(|t| process.has_thread(t)) => event,
        _ => match process.thread_ids().next() {
            Some(tid) => StopEvent::Signal {
                tid,
                signal: libc::SIGTRAP,
            },
            None => return b"W00".to_vec(),
        },
    };
    reply(process, event, multiprocess)
}

/// The stop reply for `event`, as GNU gdbserver writes it: `T` with the
/// expedited registers, the thread, and what kind of stop it was; `W`/`X`
/// with the process id when gdb speaks multiprocess.
pub fn reply(process: &mut Process, event: StopEvent, multiprocess: bool) -> Vec<u8> {
    let pid = process.pid().as_raw();
    let process_suffix = if multiprocess {
        format!(";process:{pid:x}")
    } else {
        String::new()
    };
    let mut out = Vec::new();
    match event {
        StopEvent::Exited { code } => {
            out.extend_from_slice(format!("W{:02x}{process_suffix}", code as u8).as_bytes())
        }
        StopEvent::Killed { signal } => out.extend_from_slice(
            format!("X{:02x}{process_suffix}", native::SIGNALS.to_gdb(signal)).as_bytes(),
        ),
        _ => {
            let signal = match event {
                StopEvent::Signal { signal, .. } => native::SIGNALS.to_gdb(signal),
                StopEvent::Stopped { .. } => 0,
                _ => native::SIGNALS.to_gdb(libc::SIGTRAP),
            };
            out.extend_from_slice(format!("T{signal:02x}").as_bytes());
            for (regnum, bytes) in expedited_registers(process, event) {
                out.extend_from_slice(format!("{regnum:02x}:").as_bytes());
                hex::encode_into(&bytes, &mut out);
                out.push(b';');
            }
            let tid = event.tid().map(|t| t.as_raw()).unwrap_or(0);
            if multiprocess {
                out.extend_from_slice(format!("thread:p{pid:x}.{tid:x};").as_bytes());
            } else {
                out.extend_from_slice(format!("thread:{tid:x};").as_bytes());
            }
            match event {
                StopEvent::Breakpoint { .. } => out.extend_from_slice(b"swbreak:;"),
                StopEvent::HwBreak { .. } => out.extend_from_slice(b"hwbreak:;"),
                StopEvent::Watch { kind, addr, .. } => {
                    let name = match kind {
                        HwKind::Read => "rwatch",
                        HwKind::Access => "awatch",
                        HwKind::Write | HwKind::Execute => "watch",
                    };
                    out.extend_from_slice(format!("{name}:{addr:x};").as_bytes());
                }
                // gdbstub would name the child p<parent>.<child> (its gap 3).
                StopEvent::Fork { child, vfork, .. } => {
                    let name = if vfork { "vfork" } else { "fork" };
                    let child = child.as_raw();
                    out.extend_from_slice(format!("{name}:p{child:x}.{child:x};").as_bytes());
                }
                StopEvent::VforkDone { .. } => out.extend_from_slice(b"vforkdone:;"),
                StopEvent::Exec { .. } => {
                    let path = std::fs::read_link(format!("/proc/{pid}/exe"))
                        .map(|p| p.into_os_string().into_encoded_bytes())
                        .unwrap_or_default();
                    out.extend_from_slice(b"exec:");
                    hex::encode_into(&path, &mut out);
                    out.push(b';');
                }
                StopEvent::Syscall { nr, entry, .. } => {
                    let name = if entry {
                        "syscall_entry"
                    } else {
                        "syscall_return"
                    };
                    out.extend_from_slice(format!("{name}:{nr:x};").as_bytes());
                }
                _ => {}
            }
        }
    }
    out
}
