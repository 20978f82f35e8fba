//! `--selftest`: checks of the server's own pure parts (framing, encoding,
//! signal numbering, memory maps, the architecture's register layout) that
//! can run on the machine the server was copied to, before a debugging
//! session depends on them. gdbserver has the same switch, and the GDB
//! testsuite runs it.

use crate::inferior::maps;
use crate::inferior::regs::native;
use crate::protocol::{framing, hex};

type Check = (&'static str, fn() -> Result<(), String>);

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

const CHECKS: &[Check] = &[
    ("framing: packets, acks and interrupts", || {
        let mut reader = framing::FrameReader::new(64);
        let frames: Vec<_> = b"+$g#67\x03$m0,4#fd"
            .iter()
            .filter_map(|&b| reader.push(b))
            .collect();
        expect(
            frames
                == [
                    framing::Frame::Ack,
                    framing::Frame::Packet(b"g".to_vec()),
                    framing::Frame::Interrupt,
                    framing::Frame::Packet(b"m0,4".to_vec()),
                ],
            "frames",
        )
    }),
    ("framing: checksums", || {
        expect(
            framing::encode_packet(b"OK", false) == b"$OK#9a",
            "OK packet",
        )
    }),
    ("framing: run-length encoding round trip", || {
        let body = b"0000000000000000ffffffff12".to_vec();
        expect(
            framing::rle_decode(&framing::rle_encode(&body)) == body,
            "rle",
        )
    }),
    ("hex: encode and parse", || {
        let mut out = Vec::new();
        hex::encode_into(&[0xde, 0xad], &mut out);
        expect(out == b"dead" && hex::parse_u64(b"1f") == Some(31), "hex")
    }),
    ("signals: host and gdb numbers", || {
        let usr1 = native::SIGNALS.to_gdb(libc::SIGUSR1);
        expect(
            native::SIGNALS.from_gdb(usr1) == Some(libc::SIGUSR1)
                && native::SIGNALS.to_gdb(libc::SIGTRAP) == 5,
            "signal round trip",
        )
    }),
    ("maps: /proc/PID/maps lines", || {
        let entries = maps::parse_maps(
            "00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon\n\
             7ffd4e9a5000-7ffd4e9c6000 rw-p 00000000 00:00 0 [stack]\n",
        )
        .map_err(|e| e.to_string())?;
        expect(
            entries.len() == 2
                && entries[0].perms.exec
                && entries[1].path.as_deref() == Some("[stack]"),
            "maps entries",
        )
    }),
    ("maps: this process's own maps parse", || {
        let text = std::fs::read_to_string("/proc/self/maps").map_err(|e| e.to_string())?;
        let entries = maps::parse_maps(&text).map_err(|e| e.to_string())?;
        expect(!entries.is_empty(), "no mappings")
    }),
    ("registers: layout has the PC", || {
        let layout = native::LAYOUT;
        expect(
            layout.g_size() > 0 && layout.regs.len() > 16,
            "register layout",
        )
    }),
];

/// Run every check, print gdbserver's summary line; true if all passed.
pub fn run() -> bool {
    let mut failed = 0;
    for (name, check) in CHECKS {
        if let Err(why) = check() {
            eprintln!("Self test failed: {name}: {why}");
            failed += 1;
        }
    }
    println!("Ran {} unit tests, {failed} failed", CHECKS.len());
    failed == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_self_check_passes() {
        assert!(super::run());
    }
}
