//! The gdbstub glue: gdbstub's state machine fed one packet at a time, its
//! output captured (so the session can edit it before it goes out), and the
//! handshake that rebuilds a machine in the state gdb expects.
//!
//! gdbstub ends its state machine on some packets and after a process's
//! end; the session then builds a new one and replays the packets that set
//! gdbstub's state (`qSupported`, `Hg`, `Hc`). The rule: only a packet
//! gdbstub accepted is replayed, since one it rejected would fail again and
//! end the session. `Handshake::feed` is the only way a packet gets into the
//! handshake, and it records the packet only once gdbstub took it.

use gdbstub::conn::Connection as GdbConnection;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::GdbStubBuilder;

use super::SessionError;
use crate::protocol::framing;
use crate::stub::DebugTarget;

/// gdbstub's packet buffer. gdbstub scans its whole buffer (to the next
/// stale `#`) for every packet it parses, so it stays small: the long
/// packets (memory, `vFile:pread`/`pwrite`, `QTDP`, `vRun`, `Z` with
/// conditions) are our layer's. gdbstub grows it for a longer packet it
/// is sent; it writes `qXfer:features` replies into it, which gdb then
/// reads in pieces of this size. gdb is told our `PacketSize`
/// (`Features::qsupported_reply`).
const GDBSTUB_BUFFER: usize = 16 * 1024;

/// gdbstub writes its replies here; we take them out after every call.
#[derive(Default)]
pub struct Capture {
    out: Vec<u8>,
}

impl GdbConnection for Capture {
    type Error = std::convert::Infallible;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

pub(super) type Machine<'a> = GdbStubStateMachine<'a, DebugTarget, Capture>;

/// The packets replayed into a rebuilt gdbstub.
#[derive(Debug, Default)]
pub(super) struct Handshake {
    packets: Vec<Vec<u8>>,
}

/// Which packets set the gdbstub state a new machine must get back: the
/// prefix that names a packet's kind (a newer one replaces the older).
fn kind(body: &[u8]) -> Option<&'static [u8]> {
    [&b"qSupported"[..], b"Hg", b"Hc"]
        .into_iter()
        .find(|k| body.starts_with(k))
}

impl Handshake {
    /// A fresh gdbstub, in no-ack mode (acknowledgements are the link's),
    /// with the handshake replayed into it.
    pub(super) fn new_machine<'a>(
        &self,
        target: &mut DebugTarget,
    ) -> Result<Machine<'a>, SessionError> {
        let stub = GdbStubBuilder::new(Capture::default())
            .packet_buffer_size(GDBSTUB_BUFFER)
            .build()
            .map_err(|e| SessionError::Stub(e.to_string()))?;
        let mut machine = stub
            .run_state_machine(target)
            .map_err(|e| SessionError::Stub(e.to_string()))?;
        let replay =
            std::iter::once(&b"QStartNoAckMode"[..]).chain(self.packets.iter().map(Vec::as_slice));
        for packet in replay {
            machine = feed_unrecorded(machine, target, packet).map_err(SessionError::Stub)?;
            take_output(&mut machine);
        }
        Ok(machine)
    }

    /// Feed a packet to gdbstub; if it is one that sets gdbstub's state and
    /// gdbstub took it, remember it for the next machine.
    pub(super) fn feed<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        body: &[u8],
    ) -> Result<Machine<'a>, String> {
        let machine = feed_unrecorded(machine, target, body)?;
        if let Some(kind) = kind(body) {
            self.packets.retain(|p| !p.starts_with(kind));
            self.packets.push(body.to_vec());
        }
        Ok(machine)
    }

    /// The process is gone: its thread ids must not be replayed.
    pub(super) fn forget_threads(&mut self) {
        self.packets
            .retain(|p| !p.starts_with(b"Hg") && !p.starts_with(b"Hc"));
    }
}

/// Feed one packet body to gdbstub, framed as it expects, without
/// recording it in any handshake.
pub(super) fn feed_unrecorded<'a>(
    mut machine: Machine<'a>,
    target: &mut DebugTarget,
    body: &[u8],
) -> Result<Machine<'a>, String> {
    let framed = framing::encode_packet(body, false);
    for &byte in &framed {
        machine = match machine {
            GdbStubStateMachine::Idle(inner) => inner
                .incoming_data(target, byte)
                .map_err(|e| e.to_string())?,
            GdbStubStateMachine::Running(inner) => inner
                .incoming_data(target, byte)
                .map_err(|e| e.to_string())?,
            other => return Ok(other),
        };
    }
    Ok(machine)
}

/// What gdbstub wrote since the last call.
pub(super) fn take_output(machine: &mut Machine<'_>) -> Vec<u8> {
    let conn = match machine {
        GdbStubStateMachine::Idle(inner) => inner.borrow_conn(),
        GdbStubStateMachine::Running(inner) => inner.borrow_conn(),
        GdbStubStateMachine::CtrlCInterrupt(inner) => inner.borrow_conn(),
        GdbStubStateMachine::Disconnected(inner) => inner.borrow_conn(),
    };
    std::mem::take(&mut conn.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_setting_packets_are_known_by_kind() {
        assert_eq!(kind(b"qSupported:multiprocess+"), Some(&b"qSupported"[..]));
        assert_eq!(kind(b"Hgp1.2"), Some(&b"Hg"[..]));
        assert_eq!(kind(b"Hc-1"), Some(&b"Hc"[..]));
        assert_eq!(kind(b"g"), None);
        assert_eq!(kind(b"vCont;c"), None);
    }
}
