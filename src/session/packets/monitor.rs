//! `qRcmd,HEX`: a `monitor` command. The command itself runs in
//! `stub::monitor` (`gcore` in `stub::monitor_gcore`, given the last stop
//! and a console for its progress, which goes out at once); here its text
//! becomes `O` packets (in modest chunks, so a big maps file never needs
//! one huge packet), and the final reply is `OK`, or `E01` for a command
//! not understood, as GNU gdbserver answers.

use crate::inferior::process::StopEvent;
use crate::inferior::ptrace::Tid;
use crate::protocol::hex;
use crate::protocol::reply::Reply;
use crate::stub::{monitor_gcore, DebugTarget};

/// Text per `O` packet (hex-encoded, so twice this on the wire): far below
/// our PACKET_SIZE and gdb's initial packet buffer.
const OUTPUT_CHUNK: usize = 4096;

/// `text` as `O` packets.
fn output_packets(text: &[u8]) -> Vec<Vec<u8>> {
    text.chunks(OUTPUT_CHUNK)
        .map(|chunk| {
            let mut packet = b"O".to_vec();
            hex::encode_into(chunk, &mut packet);
            packet
        })
        .collect()
}

/// The console output packets, then the final reply, and whether the
/// command was `exit` (the server ends after the reply). `last_stop` is
/// the stop gdb was last told of; `thread` the thread gdb means (`Hg`'s,
/// or the one that stopped); `send` sends a packet at once (progress
/// while a long command runs).
pub(in crate::session) fn run(
    target: &mut DebugTarget,
    hex_command: &[u8],
    last_stop: Option<StopEvent>,
    thread: Option<Tid>,
    send: &mut dyn FnMut(&[u8]),
) -> (Vec<Vec<u8>>, Reply, bool) {
    let Some(command) = hex::decode(hex_command) else {
        return (Vec::new(), Reply::Error(1), false);
    };
    let mut console = |text: &[u8]| output_packets(text).iter().for_each(|p| send(p));
    let output = match monitor_gcore::arguments(&command) {
        Some(args) => target.gcore(args, last_stop, &mut console),
        None => target.monitor_command_on(&command, thread),
    };
    let packets = output_packets(&output.text);
    let reply = if output.understood {
        Reply::Ok
    } else {
        Reply::Error(1)
    };
    (packets, reply, output.exit_server)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::TargetConfig;

    fn target() -> DebugTarget {
        DebugTarget::new(TargetConfig::default())
    }

    fn run_quiet(target: &mut DebugTarget, hex: &[u8]) -> (Vec<Vec<u8>>, Reply, bool) {
        run(target, hex, None, None, &mut |_| {
            panic!("nothing sent early")
        })
    }

    fn text_of(packets: &[Vec<u8>]) -> Vec<u8> {
        packets
            .iter()
            .flat_map(|p| hex::decode(&p[1..]).expect("O packets are hex"))
            .collect()
    }

    #[test]
    fn output_then_ok_or_e01() {
        // "help"
        let (out, reply, exit) = run_quiet(&mut target(), b"68656c70");
        assert_eq!(reply, Reply::Ok);
        assert!(!exit);
        assert!(out
            .iter()
            .all(|p| p[0] == b'O' && p.len() <= 1 + 2 * OUTPUT_CHUNK));
        assert!(text_of(&out).starts_with(b"The following monitor commands are supported:\n"));
        // "frob": GNU's words, then an error
        let (out, reply, _) = run_quiet(&mut target(), b"66726f62");
        assert_eq!(reply, Reply::Error(1));
        assert!(text_of(&out).starts_with(b"Unknown monitor command.\n"));
        // "exit" prints nothing
        assert_eq!(
            run_quiet(&mut target(), b"65786974"),
            (Vec::new(), Reply::Ok, true)
        );
        // not hex
        assert_eq!(
            run_quiet(&mut target(), b"zz"),
            (Vec::new(), Reply::Error(1), false)
        );
    }
}
