//! `Z`/`z`: breakpoints and watchpoints going in and out, at every stop
//! gdb makes (`protocol::breakpoints` parses them). Software breakpoints
//! are planted by `Process::insert_breakpoint` (with the conditions and
//! commands gdb sends for the server to evaluate); hardware breakpoints
//! and watchpoints go to the debug registers (`Process::insert_hw`).
//!
//! Replies, as gdbserver gives them: `OK`; the empty reply for a type the
//! target cannot do at all (read watchpoints on x86, which gdb then turns
//! into access watchpoints it filters itself); `E01` for a malformed
//! packet; the errno of a failure (`E03` with no process, `E1c` with no
//! debug register left, `E16` removing what is not there).

use super::error;
use crate::inferior::hw_debug::{HwKind, HwRequest};
use crate::inferior::process::Process;
use crate::protocol::breakpoints::{self, PointPacket, PointType};
use crate::protocol::reply::Reply;

/// One `Z`/`z` packet, whole.
pub(in crate::session) fn handle(process: Option<&mut Process>, body: &[u8]) -> Reply {
    let packet = match breakpoints::parse(body) {
        None => return Reply::Empty,
        Some(Err(())) => return Reply::Error(1),
        Some(Ok(packet)) => packet,
    };
    // x86 cannot trap on reads alone. The empty reply (as gdbserver gives)
    // makes gdb use an access watchpoint and check the value itself; an
    // error would make `rwatch` fail outright.
    if cfg!(target_arch = "x86_64") && packet.point == PointType::ReadWatch {
        return Reply::Empty;
    }
    let Some(process) = process else {
        return Reply::Error(libc::ESRCH as u8);
    };
    let result = match hw_request(&packet) {
        None if packet.insert => insert_software(process, packet),
        None => process.remove_breakpoint(packet.addr).map(|()| true),
        Some(request) if packet.insert => process.insert_hw(request).map(|()| true),
        Some(request) => process.remove_hw(request),
    };
    match result {
        Ok(true) => Reply::Ok,
        Ok(false) => Reply::Error(libc::EINVAL as u8),
        Err(e) => {
            log::debug!("{}: {e}", String::from_utf8_lossy(body));
            error(e)
        }
    }
}

/// Plant a software breakpoint and keep what gdb gave it to evaluate:
/// each `Z0` says its whole list (none: unconditional).
fn insert_software(
    process: &mut Process,
    packet: PointPacket,
) -> Result<bool, crate::inferior::process::ProcessError> {
    process.insert_breakpoint(packet.addr)?;
    process.set_breakpoint_conditions(packet.addr, packet.conditions);
    process.set_breakpoint_commands(packet.addr, packet.commands);
    Ok(true)
}

/// The debug-register request for a hardware point; None for a software
/// breakpoint. Hardware breakpoints keep no conditions: they always stop,
/// and gdb, which checks every condition again on a stop, decides.
fn hw_request(packet: &PointPacket) -> Option<HwRequest> {
    let (kind, len) = match packet.point {
        PointType::Software => return None,
        PointType::Hardware => (HwKind::Execute, 1),
        PointType::WriteWatch => (HwKind::Write, packet.size),
        PointType::ReadWatch => (HwKind::Read, packet.size),
        PointType::AccessWatch => (HwKind::Access, packet.size),
    };
    Some(HwRequest {
        kind,
        addr: packet.addr,
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_process_or_sense() {
        assert_eq!(handle(None, b"Z0,1000,1"), Reply::Error(3));
        assert_eq!(handle(None, b"z2,1000,4"), Reply::Error(3));
        assert_eq!(handle(None, b"Z0,zz,1"), Reply::Error(1));
        assert_eq!(handle(None, b"z0,10,1;X1,27"), Reply::Error(1));
        assert_eq!(handle(None, b"Z7,1000,1"), Reply::Empty);
    }

    #[test]
    fn watchpoints_ask_for_their_length() {
        let packet = breakpoints::parse(b"Z4,7000,8").unwrap().unwrap();
        let request = hw_request(&packet).unwrap();
        assert_eq!(request.kind, HwKind::Access);
        assert_eq!((request.addr, request.len), (0x7000, 8));
        let hbreak = breakpoints::parse(b"Z1,401000,1").unwrap().unwrap();
        assert_eq!(hw_request(&hbreak).unwrap().len, 1);
        let soft = breakpoints::parse(b"Z0,401000,1").unwrap().unwrap();
        assert!(hw_request(&soft).is_none());
    }
}
