//! The memory-tagging packets (arm64 MTE): `qMemTags` reads allocation
//! tags, `QMemTags` writes them, `qIsAddressTagged` says whether an address
//! is in PROT_MTE memory. As GNU gdbserver answers them: an empty reply
//! (unknown packet) where the target has no memory tagging (x86_64, MIPS,
//! arm64 without HWCAP2_MTE), and `E01` for every failure (malformed, no
//! process, a tag type other than allocation, untagged memory).

use crate::inferior::process::{server_supports_memory_tagging, Process, ProcessError};
use crate::protocol::memory_tags::{
    parse_address, parse_read, parse_write, read_reply, tagged_reply, ALLOCATION_TAG,
};
use crate::protocol::reply::Reply;
use crate::protocol::PACKET_SIZE;
use crate::stub::DebugTarget;

/// Whether the target has memory tagging: the current process's, or the
/// server's own machine before there is a process.
pub(in crate::session) fn supported(target: &DebugTarget) -> bool {
    match target.process.as_ref() {
        Some(process) => process.supports_memory_tagging(),
        None => server_supports_memory_tagging(),
    }
}

/// GNU gdbserver's answer to every failure: `E01` (the reason logged).
fn failed(packet: &str, e: ProcessError) -> Reply {
    log::debug!("{packet}: {e}");
    Reply::Error(1)
}

/// The process the packet is for, or the reply when there is none to ask.
fn tagged_process(target: &DebugTarget) -> Result<&Process, Reply> {
    if !supported(target) {
        return Err(Reply::Empty);
    }
    target.process.as_ref().ok_or(Reply::Error(1))
}

/// `qMemTags:ADDR,LENGTH:TYPE` (`args` after the colon).
pub(in crate::session) fn read(target: &DebugTarget, args: &[u8]) -> Reply {
    let process = match tagged_process(target) {
        Ok(process) => process,
        Err(reply) => return reply,
    };
    let Some(range) = parse_read(args).filter(|r| r.kind == ALLOCATION_TAG) else {
        return Reply::Error(1);
    };
    match process.read_memory_tags(range.addr, range.len) {
        // Two hex digits a tag, and the `m`, must fit one packet.
        Ok(tags) if 2 * tags.len() < PACKET_SIZE => Reply::Data(read_reply(&tags)),
        Ok(_) => Reply::Error(1),
        Err(e) => failed("qMemTags", e),
    }
}

/// `QMemTags:ADDR,LENGTH:TYPE:HEXTAGS` (`args` after the colon).
pub(in crate::session) fn write(target: &DebugTarget, args: &[u8]) -> Reply {
    let process = match tagged_process(target) {
        Ok(process) => process,
        Err(reply) => return reply,
    };
    let Some((range, tags)) = parse_write(args).filter(|(r, _)| r.kind == ALLOCATION_TAG) else {
        return Reply::Error(1);
    };
    match process.write_memory_tags(range.addr, range.len, &tags) {
        Ok(()) => Reply::Ok,
        Err(e) => failed("QMemTags", e),
    }
}

/// `qIsAddressTagged:ADDR` (`args` after the colon). Like GNU gdbserver's,
/// an address whose mapping cannot be read is untagged.
pub(in crate::session) fn is_tagged(target: &DebugTarget, args: &[u8]) -> Reply {
    let process = match tagged_process(target) {
        Ok(process) => process,
        Err(reply) => return reply,
    };
    let Some(addr) = parse_address(args) else {
        return Reply::Error(1);
    };
    let tagged = process.is_address_tagged(addr).unwrap_or_else(|e| {
        log::debug!("qIsAddressTagged: {e}");
        false
    });
    Reply::Data(tagged_reply(tagged))
}
