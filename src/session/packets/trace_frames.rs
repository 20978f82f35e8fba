//! Reading the selected trace frame: while `QTFrame` has one selected, gdb
//! reads registers and memory from it, as GNU gdbserver answers them:
//! `g` is the frame's register block (with none collected, every register
//! unavailable, `x`, but the PC, which is the tracepoint's address), `p`
//! one register of it, `m`/`x` the collected bytes (or the program's own
//! where `QTro` said memory is read-only, `E01` elsewhere), and
//! `qXfer:traceframe-info:read` says what the frame holds, for gdb's
//! `<unavailable>`. With no frame selected these are the live target's.

use crate::inferior::regs::native;
use crate::inferior::trace::{Frame, TraceState};
use crate::protocol::hex;
use crate::protocol::memory::{parse_read, read_reply, Encoding, MAX_READ};
use crate::protocol::reply::Reply;
use crate::protocol::{parse_offset_length, qxfer_reply};
use crate::stub::DebugTarget;

/// The frame's register block in hex, `x` for what was not collected.
fn register_block(target: &DebugTarget, state: &TraceState, frame: &Frame) -> Vec<u8> {
    let size = state.register_size();
    let mut out = Vec::with_capacity(size * 2);
    if let Some(block) = frame.registers(size) {
        hex::encode_into(block, &mut out);
        return out;
    }
    out.resize(size * 2, b'x');
    let pc = target
        .process
        .as_ref()
        .and_then(|p| p.register_context().register(native::PC_REGNUM));
    if let Some(info) = pc.filter(|i| i.size <= 8 && (i.offset + i.size) <= size) {
        let bytes = frame.pc.to_ne_bytes();
        let bytes = if cfg!(target_endian = "big") {
            &bytes[8 - info.size..]
        } else {
            &bytes[..info.size]
        };
        let mut digits = Vec::new();
        hex::encode_into(bytes, &mut digits);
        out[info.offset * 2..(info.offset + info.size) * 2].copy_from_slice(&digits);
    }
    out
}

/// `g` in a frame; None with no frame (gdbstub reads the thread).
pub(in crate::session) fn read_registers(target: &DebugTarget) -> Option<Reply> {
    let trace = target.trace().borrow();
    let (_, frame) = trace.selected()?;
    Some(Reply::Data(register_block(target, &trace, frame)))
}

/// `p N` in a frame; None with no frame.
pub(in crate::session) fn read_register(target: &DebugTarget, number: &[u8]) -> Option<Reply> {
    let trace = target.trace().borrow();
    let (_, frame) = trace.selected()?;
    let info = hex::parse_u64(number)
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| target.process.as_ref()?.register_context().register(n));
    let Some(info) = info else {
        return Some(Reply::Error(1));
    };
    let block = register_block(target, &trace, frame);
    Some(
        match block.get(info.offset * 2..(info.offset + info.size) * 2) {
            Some(digits) => Reply::Data(digits.to_vec()),
            None => Reply::Error(1),
        },
    )
}

/// `m`/`x` in a frame; None with no frame.
pub(in crate::session) fn read_memory(
    target: &DebugTarget,
    encoding: Encoding,
    args: &[u8],
) -> Option<Reply> {
    let trace = target.trace().borrow();
    let (_, frame) = trace.selected()?;
    let Some((addr, len)) = parse_read(args) else {
        return Some(Reply::Error(1));
    };
    let len = len.min(MAX_READ);
    if let Some(bytes) = frame.read_memory(trace.register_size(), addr, len) {
        return Some(Reply::Data(read_reply(&bytes, encoding)));
    }
    if len > 0 && trace.readonly(addr, len) {
        if let Some(process) = target.process.as_ref() {
            let mut buf = vec![0u8; len];
            if let Ok(n) = process.read_memory(addr, &mut buf) {
                return Some(Reply::Data(read_reply(&buf[..n], encoding)));
            }
        }
    }
    Some(Reply::Error(1))
}

/// Writes are refused while looking at a frame (there is nothing to
/// write to); None with no frame.
pub(in crate::session) fn refuse_write(target: &DebugTarget) -> Option<Reply> {
    target.trace().borrow().selected().map(|_| Reply::Error(1))
}

/// `qXfer:traceframe-info:read::OFFSET,LENGTH`.
pub(in crate::session) fn traceframe_info(target: &DebugTarget, window: &[u8]) -> Reply {
    let trace = target.trace().borrow();
    let (Some((offset, length)), Some((_, frame))) =
        (parse_offset_length(window), trace.selected())
    else {
        return Reply::Error(1);
    };
    let size = trace.register_size();
    let mut xml = String::from("<traceframe-info>\n");
    for (addr, bytes) in frame.memory(size) {
        xml.push_str(&format!(
            "<memory start=\"0x{addr:x}\" length=\"0x{:x}\"/>\n",
            bytes.len()
        ));
    }
    for (n, _) in frame.variables(size) {
        xml.push_str(&format!("<tvar id=\"{n}\"/>\n"));
    }
    xml.push_str("</traceframe-info>\n");
    Reply::Data(qxfer_reply(xml.as_bytes(), offset, length))
}
