//! The tracepoint packets: definitions (`QTinit`, `QTDP`, `QTDPsrc`,
//! `QTDV`), the run (`QTStart`, `QTStop`, `qTStatus`, `qTP`, `qTV`), the
//! settings (`QTBuffer`, `QTDisconnected:0`, `QTro`, `QTNotes`,
//! `QTEnable`/`QTDisable`), the upload (`qTfP`/`qTsP`, `qTfV`/`qTsV`,
//! `qTBuffer`, which `tsave` reads) and frame selection (`QTFrame`).
//! Reading the selected frame (`g`, `p`, `m`, `x`, traceframe-info) is
//! `trace_frames`. The wire's values become the inferior's here; the
//! trace itself is the target's `SharedTrace`.
//!
//! Errors: `E01` for a malformed packet, a definition while tracing runs,
//! or a tracepoint that does not exist; `E02` for `QTStart` with no
//! process.

use std::collections::VecDeque;

use crate::inferior::trace::{Collect, Place, RunStatus, StopReason, TraceState, Tracepoint};
use crate::protocol::hex;
use crate::protocol::reply::Reply;
use crate::protocol::tracepoints::{self as wire, FrameQuery, Malformed, Qtdp, TracePacket};
use crate::stub::DebugTarget;

/// Lines of a `qTfP`/`qTsP` or `qTfV`/`qTsV` upload still to send.
#[derive(Debug, Default)]
pub(in crate::session) struct Uploads {
    tracepoints: VecDeque<Vec<u8>>,
    variables: VecDeque<Vec<u8>>,
}

fn next_line(pending: &mut VecDeque<Vec<u8>>) -> Reply {
    Reply::Data(pending.pop_front().unwrap_or_else(|| b"l".to_vec()))
}

/// One tracepoint packet.
pub(in crate::session) fn handle(
    target: &mut DebugTarget,
    uploads: &mut Uploads,
    which: TracePacket,
    args: &[u8],
) -> Reply {
    use TracePacket as P;
    let reply = match which {
        P::Start => return start(target),
        P::Stop => {
            stop(target, StopReason::Command);
            Ok(Reply::Ok)
        }
        P::Init => {
            stop(target, StopReason::Command);
            let result = target.trace().borrow_mut().init();
            Ok(Reply::ok_or(result.map_err(|_| 1)))
        }
        P::FirstTracepoint => {
            uploads.tracepoints = target.trace().borrow().tracepoint_texts().into();
            Ok(next_line(&mut uploads.tracepoints))
        }
        P::NextTracepoint => Ok(next_line(&mut uploads.tracepoints)),
        P::FirstVariable => {
            uploads.variables = target.trace().borrow().variable_texts().into();
            Ok(next_line(&mut uploads.variables))
        }
        P::NextVariable => Ok(next_line(&mut uploads.variables)),
        P::Define => {
            let reply = state_packet(&mut target.trace().borrow_mut(), which, args);
            if let Ok(Reply::Ok) = reply {
                plant_if_running(target, args);
            }
            reply
        }
        _ => state_packet(&mut target.trace().borrow_mut(), which, args),
    };
    reply.unwrap_or_else(|Malformed| {
        log::debug!("{which:?} {}: refused", String::from_utf8_lossy(args));
        Reply::Error(1)
    })
}

/// The packets that only touch the trace state.
fn state_packet(
    state: &mut TraceState,
    which: TracePacket,
    args: &[u8],
) -> Result<Reply, Malformed> {
    use TracePacket as P;
    let refused = |r: Result<(), crate::inferior::trace::TraceError>| {
        r.map(|()| Reply::Ok).map_err(|e| {
            log::debug!("{which:?}: {e}");
            Malformed
        })
    };
    Ok(match which {
        P::Define => return define(state, args),
        P::Source => {
            let (number, addr) = wire::parse_source(args)?;
            refused(state.add_source(number, addr, args))?
        }
        P::Variable => {
            let v = wire::parse_variable(args)?;
            if state.running() {
                return Err(Malformed);
            }
            state.define_variable(v.number, v.initial, v.builtin, v.text);
            Reply::Ok
        }
        P::Status => Reply::Data(status_reply(state)),
        P::Frame => frame(state, wire::parse_frame(args)?),
        P::TracepointStatus => {
            let (number, addr) = wire::parse_tracepoint_id(args)?;
            let (hits, usage) = state.tracepoint_status(number, addr).ok_or(Malformed)?;
            Reply::Data(format!("V{hits:x}:{usage:x}").into_bytes())
        }
        P::VariableValue => {
            let n = hex::parse_u64(args)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or(Malformed)?;
            match state.variable(n) {
                Some(v) => Reply::Data(format!("V{v:x}").into_bytes()),
                None => Reply::Data(b"U".to_vec()),
            }
        }
        P::ReadBuffer => {
            let (offset, len) = wire::parse_buffer_read(args)?;
            let len = usize::try_from(len)
                .unwrap_or(usize::MAX)
                .min(crate::protocol::memory::MAX_READ);
            let bytes = state.raw_buffer(offset, len);
            if bytes.is_empty() {
                Reply::Data(b"l".to_vec())
            } else {
                let mut out = Vec::new();
                hex::encode_into(&bytes, &mut out);
                Reply::Data(out)
            }
        }
        P::Circular => {
            state.set_circular(wire::parse_flag(args)?);
            Reply::Ok
        }
        P::BufferSize => refused(state.set_buffer_size(wire::parse_buffer_size(args)?))?,
        // Tracing ends with the session (the server lets the process go
        // then): disconnected tracing is not offered.
        P::Disconnected => match wire::parse_flag(args)? {
            false => Reply::Ok,
            true => Reply::Error(1),
        },
        P::ReadOnly => {
            state.set_readonly(wire::parse_readonly(args)?);
            Reply::Ok
        }
        P::Notes => {
            let notes = wire::parse_notes(args)?;
            state.set_notes(notes.user, notes.notes, notes.stop);
            Reply::Ok
        }
        P::Enable | P::Disable => {
            let (number, addr) = wire::parse_tracepoint_id(args)?;
            refused(state.set_enabled(number, addr, which == P::Enable))?
        }
        // Handled by `handle`, which needs the process or the uploads.
        P::Start
        | P::Stop
        | P::Init
        | P::FirstTracepoint
        | P::NextTracepoint
        | P::FirstVariable
        | P::NextVariable => Reply::Error(1),
    })
}

fn collect_action(action: wire::Action) -> Collect {
    match action {
        wire::Action::Registers => Collect::Registers,
        wire::Action::Memory { base, offset, len } => Collect::Memory {
            start: match base {
                Some(reg) => Place::Register(reg, offset),
                None => Place::At(offset),
            },
            len,
        },
        wire::Action::Expression(code) => Collect::Expression(code),
    }
}

/// `QTDP`: a tracepoint, or more actions for the one just defined.
fn define(state: &mut TraceState, args: &[u8]) -> Result<Reply, Malformed> {
    match wire::parse_qtdp(args)? {
        Qtdp::Define(d) => {
            // Fast and static tracepoints need an in-process agent; we
            // never offered them.
            if d.needs_agent {
                return Err(Malformed);
            }
            let mut line = format!(
                "T{:x}:{:x}:{}:{:x}:{:x}",
                d.number,
                d.addr,
                if d.enabled { 'E' } else { 'D' },
                d.step_count,
                d.pass_count
            )
            .into_bytes();
            if let Some(code) = &d.condition {
                line.extend_from_slice(format!(":X{:x},", code.len()).as_bytes());
                hex::encode_into(code, &mut line);
            }
            let mut tp = Tracepoint::new(d.number, d.addr, d.enabled, line);
            tp.step_count = d.step_count;
            tp.pass_count = d.pass_count;
            tp.condition = d.condition;
            state.define(tp).map_err(|_| Malformed)?;
        }
        Qtdp::Actions(a) => {
            let actions = a.actions.into_iter().map(collect_action).collect();
            state
                .add_actions(a.number, a.addr, a.stepping, actions, &a.text)
                .map_err(|_| Malformed)?;
        }
    }
    Ok(Reply::Ok)
}

/// A tracepoint defined while tracing runs: its trap goes in now.
fn plant_if_running(target: &mut DebugTarget, args: &[u8]) {
    let Ok(Qtdp::Define(d)) = wire::parse_qtdp(args) else {
        return;
    };
    if !d.enabled || !target.trace().borrow().running() {
        return;
    }
    if let Some(process) = target.process.as_mut() {
        process.plant_trace_site(d.addr);
    }
}

/// `QTStart`: the current process plants the traps.
fn start(target: &mut DebugTarget) -> Reply {
    let Some(process) = target.process.as_mut() else {
        return Reply::Error(2);
    };
    match process.start_tracing() {
        Ok(()) => Reply::Ok,
        Err(e) => {
            log::warn!("QTStart: {e}");
            Reply::Error(e.errno())
        }
    }
}

/// End the run, and take its traps out of every process.
pub(in crate::session) fn stop(target: &mut DebugTarget, reason: StopReason) {
    target.trace().borrow_mut().stop(reason);
    for process in target.all_processes_mut() {
        process.unplant_trace_sites();
    }
}

/// gdb is gone: so is the run (disconnected tracing is not offered), and
/// the next gdb starts with no frame selected.
pub(in crate::session) fn disconnected(target: &mut DebugTarget) {
    stop(target, StopReason::Disconnected);
    target.trace().borrow_mut().unselect();
}

/// `QTFrame`: `F<frame>T<tracepoint>`, `F-1` for none found (the
/// selection stays), `OK` for `QTFrame:-1`.
fn frame(state: &mut TraceState, query: FrameQuery) -> Reply {
    let found = match query {
        FrameQuery::Number(None) => {
            state.unselect();
            return Reply::Ok;
        }
        FrameQuery::Number(Some(n)) => usize::try_from(n)
            .ok()
            .and_then(|n| state.select(n).map(|tp| (n, tp))),
        FrameQuery::Pc(pc) => state.select_next(|f| f.pc == pc),
        FrameQuery::Tracepoint(t) => state.select_next(|f| f.tracepoint == t),
        FrameQuery::Range(lo, hi) => state.select_next(|f| (lo..=hi).contains(&f.pc)),
        FrameQuery::Outside(lo, hi) => state.select_next(|f| !(lo..=hi).contains(&f.pc)),
    };
    Reply::Data(match found {
        Some((n, tp)) => format!("F{n:x}T{tp:x}").into_bytes(),
        None => b"F-1".to_vec(),
    })
}

/// `qTStatus`'s reply, in GNU gdbserver's order.
fn status_reply(state: &TraceState) -> Vec<u8> {
    let s = state.status();
    let hex_of = |bytes: &[u8]| {
        let mut out = Vec::new();
        hex::encode_into(bytes, &mut out);
        String::from_utf8(out).unwrap_or_default()
    };
    let reason = match s.status {
        RunStatus::NotRun | RunStatus::Running => "tnotrun:0".to_string(),
        RunStatus::Stopped(StopReason::Command) => format!("tstop:{}:0", hex_of(&s.notes.stop)),
        RunStatus::Stopped(StopReason::BufferFull) => "tfull:0".to_string(),
        RunStatus::Stopped(StopReason::PassCount(n)) => format!("tpasscount:{n:x}"),
        RunStatus::Stopped(StopReason::Disconnected) => "tdisconnected:0".to_string(),
    };
    format!(
        "T{};{reason};tframes:{:x};tcreated:{:x};tfree:{:x};tsize:{:x};circular:{};disconn:{};starttime:{:x};stoptime:{:x};username:{};notes:{}:",
        u8::from(*s.status == RunStatus::Running),
        s.frames,
        s.created,
        s.free,
        s.size,
        u8::from(s.circular),
        0,
        s.start_time,
        s.stop_time,
        hex_of(&s.notes.user),
        hex_of(&s.notes.notes),
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: &mut TraceState, packet: &[u8]) -> Reply {
        let (which, args) = wire::packet(packet).expect("a tracepoint packet");
        state_packet(state, which, args).unwrap_or(Reply::Error(1))
    }

    #[test]
    fn definitions_status_and_frames() {
        let mut state = TraceState::default();
        assert_eq!(
            String::from_utf8(status_reply(&state)).unwrap(),
            "T0;tnotrun:0;tframes:0;tcreated:0;tfree:500000;tsize:500000;circular:0;disconn:0;starttime:0;stoptime:0;username:;notes::"
        );
        assert_eq!(run(&mut state, b"QTDP:1:10:E:0:0-"), Reply::Ok);
        assert_eq!(run(&mut state, b"QTDP:-1:10:R3"), Reply::Ok);
        assert_eq!(run(&mut state, b"QTDP:-2:10:R3"), Reply::Error(1));
        assert_eq!(run(&mut state, b"QTDP:3:10:E:0:0:F5"), Reply::Error(1));
        assert_eq!(run(&mut state, b"QTDV:2:5:0:68"), Reply::Ok);
        assert_eq!(run(&mut state, b"qTV:2"), Reply::Data(b"V5".to_vec()));
        assert_eq!(run(&mut state, b"qTV:3"), Reply::Data(b"U".to_vec()));
        assert_eq!(run(&mut state, b"qTP:1:10"), Reply::Data(b"V0:0".to_vec()));
        assert_eq!(run(&mut state, b"qTP:9:10"), Reply::Error(1));
        assert_eq!(run(&mut state, b"QTNotes:user:6d65;tstop:00;"), Reply::Ok);
        assert_eq!(run(&mut state, b"QTBuffer:circular:1"), Reply::Ok);
        assert_eq!(run(&mut state, b"QTBuffer:size:1000"), Reply::Ok);
        assert_eq!(run(&mut state, b"QTFrame:0"), Reply::Data(b"F-1".to_vec()));
        assert_eq!(run(&mut state, b"QTFrame:-1"), Reply::Ok);
        assert_eq!(run(&mut state, b"QTFrame:bogus"), Reply::Error(1));
        assert_eq!(
            run(&mut state, b"qTBuffer:0,10"),
            Reply::Data(b"l".to_vec())
        );
        state.start(8);
        // While running: no redefining, but a new one is installed.
        assert_eq!(run(&mut state, b"QTDP:1:10:E:0:0"), Reply::Error(1));
        assert_eq!(run(&mut state, b"QTDP:2:20:E:0:0"), Reply::Ok);
        state.stop(StopReason::Command);
        // gdb sends the stop note after `QTStop`.
        assert_eq!(run(&mut state, b"QTNotes:tstop:6279;"), Reply::Ok);
        let status = String::from_utf8(status_reply(&state)).unwrap();
        assert!(
            status.starts_with(
                "T0;tstop:6279:0;tframes:0;tcreated:0;tfree:1000;tsize:1000;circular:1;"
            ),
            "{status}"
        );
        assert!(status.ends_with(";username:6d65;notes::"), "{status}");
        assert_eq!(
            state.tracepoint_texts(),
            vec![
                b"T1:10:E:0:0".to_vec(),
                b"A1:10:R3".to_vec(),
                b"T2:20:E:0:0".to_vec()
            ]
        );
    }
}
