//! `qSupported` negotiation: what gdb offers decides how we speak
//! (multiprocess thread ids, the `N` stop reply) and which events the
//! target reports (fork, vfork, exec) and whether we serve memory tags
//! (`memory-tagging+`, arm64 MTE only); our answer is gdbstub's feature list
//! with ours added (less what `--disable-packet` turns off). Everything
//! negotiated lives in one `Features` value, made anew by each
//! `qSupported`; lldb's `QEnableErrorStrings`, sent after it, sets one more.

use super::stop_report::ReplyStyle;
use super::DisabledPackets;
use crate::inferior::regs::native;
use crate::protocol::PACKET_SIZE;
use crate::stub::DebugTarget;

/// Features gdbstub does not know of (or no longer answers: `Z`/`z` are
/// ours) that our layer implements.
const OURS: &str =
    ";swbreak+;hwbreak+;qXfer:threads:read+;qXfer:osdata:read+;QPassSignals+;QProgramSignals+;qXfer:siginfo:read+;qXfer:siginfo:write+;QCatchSyscalls+;QNonStop+;QThreadEvents+;qXfer:libraries-svr4:read+;augmented-libraries-svr4-read+";

/// `QThreadOptions=MASK` (gdb 15 and later): the thread options we
/// implement (`protocol::thread_options::SUPPORTED`).
fn thread_options() -> String {
    format!(
        ";QThreadOptions={:x}",
        crate::protocol::thread_options::SUPPORTED
    )
}

/// Offered where the server can single-step over a breakpoint whose
/// condition is false (not on MIPS, which has no hardware single step:
/// there gdb evaluates conditions itself).
const CONDITIONS: &str = ";ConditionalBreakpoints+;BreakpointCommands+";

/// Tracepoints (`session::packets::trace`): conditions, trace state
/// variables, sources for upload, enabling and installing while running,
/// the buffer's size, `tracenz`, and what a frame holds. Like conditions, they need a
/// hardware single step to step over the trap.
const TRACEPOINTS: &str = ";ConditionalTracepoints+;TraceStateVariables+;TracepointSource+;EnableDisableTracepoints+;QTBuffer:size+;tracenz+;InstallInTrace+;qXfer:traceframe-info:read+";

/// `x` (binary memory reads): gdb 16 and later use it instead of `m` when
/// offered, for half the bytes on the wire; older gdb ignores it.
const BINARY_UPLOAD: &str = ";binary-upload+";

/// The two meanings of `x ADDR,LEN`. gdb's (16+, after `binary-upload+`)
/// answers `b` and the bytes; lldb's answers the bytes alone, and lldb
/// first probes with `x0,0`, wanting `OK` (gdb never reads zero bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinaryReads {
    Gdb,
    /// The client probed with `x0,0`.
    Lldb,
}

/// What this connection negotiated.
#[derive(Debug, Clone)]
pub(super) struct Features {
    /// gdb uses `pPID.TID` thread ids (`multiprocess+`).
    pub(super) multiprocess: bool,
    /// gdb takes `N` for "no resumed thread left" (`no-resumed+`).
    pub(super) no_resumed: bool,
    /// lldb asked for text in our `Exx` replies (`QEnableErrorStrings`).
    pub(super) error_strings: bool,
    /// lldb asked for its thread keys in `T` replies
    /// (`QListThreadsInStopReply`).
    pub(super) lldb_thread_keys: bool,
    /// Whose `x` the client speaks.
    pub(super) binary_reads: BinaryReads,
    /// What we append to gdbstub's `qSupported` reply.
    added: String,
}

impl Default for Features {
    fn default() -> Features {
        Features {
            multiprocess: false,
            no_resumed: false,
            error_strings: false,
            lldb_thread_keys: false,
            binary_reads: BinaryReads::Gdb,
            added: ours(&DisabledPackets::default()),
        }
    }
}

fn ours(disabled: &DisabledPackets) -> String {
    let mut features = String::from(OURS);
    features.push_str(&thread_options());
    if native::HARDWARE_SINGLE_STEP {
        features.push_str(CONDITIONS);
        features.push_str(TRACEPOINTS);
    }
    if !disabled.x {
        features.push_str(BINARY_UPLOAD);
    }
    features
}

impl Features {
    /// Read gdb's `qSupported:...` and set the target's event reporting
    /// to match.
    pub(super) fn negotiate(
        body: &[u8],
        target: &mut DebugTarget,
        disabled: &DisabledPackets,
    ) -> Features {
        let offered = |feature: &[u8]| {
            body.split(|&b| b == b';' || b == b':')
                .any(|f| f == feature)
        };
        let multiprocess = offered(b"multiprocess+");
        // Fork children are named by pid: without multiprocess ids gdb
        // could not tell the processes apart.
        let report_forks = multiprocess && offered(b"fork-events+");
        let report_exec = offered(b"exec-events+");
        target.settings().update(|s| {
            s.report_forks = report_forks;
            s.report_exec = report_exec;
        });
        target.target_description = body
            .split(|&b| b == b';' || b == b':')
            .any(|f| f.starts_with(b"xmlRegisters=") && f.windows(4).any(|w| w == b"i386"));
        target.configure_all();
        let mut added = ours(disabled);
        if report_forks {
            added.push_str(";fork-events+");
            if offered(b"vfork-events+") {
                added.push_str(";vfork-events+");
            }
        }
        if report_exec {
            added.push_str(";exec-events+");
        }
        // As GNU gdbserver: only to a gdb that offers it, and only where
        // the target has MTE (arm64 with HWCAP2_MTE).
        if offered(b"memory-tagging+") && super::packets::memory_tags::supported(target) {
            added.push_str(";memory-tagging+");
        }
        Features {
            multiprocess,
            no_resumed: offered(b"no-resumed+"),
            error_strings: false,
            lldb_thread_keys: false,
            binary_reads: BinaryReads::Gdb,
            added,
        }
    }

    /// How stop replies are written for this client.
    pub(super) fn reply_style(&self) -> ReplyStyle {
        ReplyStyle {
            multiprocess: self.multiprocess,
            lldb_thread_keys: self.lldb_thread_keys,
        }
    }

    /// Our `qSupported` reply from gdbstub's: our `PacketSize` in place of
    /// its own (the size of its small buffer, see `glue`), our features
    /// added.
    pub(super) fn qsupported_reply(&self, gdbstub_reply: &[u8]) -> Vec<u8> {
        let mut reply = format!("PacketSize={PACKET_SIZE:x}").into_bytes();
        for feature in gdbstub_reply.split(|&b| b == b';') {
            if !feature.is_empty() && !feature.starts_with(b"PacketSize=") {
                reply.push(b';');
                reply.extend_from_slice(feature);
            }
        }
        reply.extend_from_slice(self.added.as_bytes());
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_packet_size_replaces_gdbstubs() {
        let features = Features::default();
        let reply = features.qsupported_reply(b"PacketSize=4000;vContSupported+;multiprocess+");
        let text = String::from_utf8(reply).unwrap();
        assert!(text.starts_with(&format!(
            "PacketSize={PACKET_SIZE:x};vContSupported+;multiprocess+;"
        )));
        assert_eq!(text.matches("PacketSize=").count(), 1);
        assert!(text.ends_with(features.added.as_str()));
    }
}
