//! The memory packets, parsed and their replies encoded: reads `m ADDR,LEN`
//! (hex) and `x ADDR,LEN` (binary, gdb 16+ with `binary-upload+`), writes
//! `M ADDR,LEN:HEX` and `X ADDR,LEN:BINARY`. Pure: this module parses and
//! encodes; `session::packets::memory` reads and writes, all four through
//! `Process::read_memory`/`write_memory`, the one place that hides our
//! breakpoint bytes.
//!
//! All four are ours rather than gdbstub's: its read handler would loop
//! over any length gdb names (a 4 GiB `m` means 8 GiB of reply), its write
//! handlers write whatever data there is whatever the length says, and it
//! has no `x`. We clamp a read to what one reply packet holds and return
//! the readable prefix of a range that runs into unmapped memory (an error
//! only when nothing at all is readable, as gdbserver does); a write whose
//! data does not match its length is refused whole.

use super::framing;
use super::hex;

/// How a memory packet carries its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `m`/`M`: two hex digits a byte.
    Hex,
    /// `x`/`X`: the bytes themselves, `#$}*` escaped as `}` and c^0x20.
    Binary,
    /// lldb's `x`: its reply is the escaped bytes without gdb's leading
    /// `b`. Never parsed: the session picks it for a client that probed
    /// with `x0,0`.
    BinaryBare,
}

/// The most bytes one read reply carries: hex doubles them, and so do
/// binary escapes at worst, so either reply fits in one packet.
pub const MAX_READ: usize = super::PACKET_SIZE / 2 - 32;

/// `ADDR,LENGTH` of a read (after the `m` or `x`).
pub fn parse_read(args: &[u8]) -> Option<(u64, usize)> {
    let comma = args.iter().position(|&b| b == b',')?;
    let addr = hex::parse_u64(&args[..comma])?;
    let len = hex::parse_u64(&args[comma + 1..])?;
    Some((addr, usize::try_from(len).unwrap_or(usize::MAX)))
}

/// `ADDR,LENGTH:DATA` of a write (after the `M` or `X`): the address and
/// the decoded bytes, or None when anything is malformed or the data is
/// not exactly LENGTH bytes. Binary data may hold `:` and `,`: only the
/// first of each separates fields. The packet arrives with its escapes as
/// sent (framing leaves them), and gdb never run-length encodes what it
/// sends, so a `*` in the data is a plain byte, as gdbserver reads it.
pub fn parse_write(args: &[u8], encoding: Encoding) -> Option<(u64, Vec<u8>)> {
    let comma = args.iter().position(|&b| b == b',')?;
    let colon = args.iter().position(|&b| b == b':')?;
    let addr = hex::parse_u64(&args[..comma])?;
    let len = hex::parse_u64(args.get(comma + 1..colon)?)?;
    let raw = &args[colon + 1..];
    let data = match encoding {
        Encoding::Hex => hex::decode(raw)?,
        Encoding::Binary | Encoding::BinaryBare => framing::unescape_binary(raw)?,
    };
    (data.len() as u64 == len).then_some((addr, data))
}

/// The reply to a read of `data`: hex digits for `m`; `b` and the escaped
/// bytes for `x`.
pub fn read_reply(data: &[u8], encoding: Encoding) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 2 + 1);
    match encoding {
        Encoding::Hex => hex::encode_into(data, &mut out),
        Encoding::Binary => {
            out.push(b'b');
            framing::escape_binary(data, &mut out);
        }
        Encoding::BinaryBare => framing::escape_binary(data, &mut out),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Binary, Hex};

    #[test]
    fn parses_and_rejects_reads() {
        assert_eq!(parse_read(b"1000,10"), Some((0x1000, 0x10)));
        assert_eq!(parse_read(b"0,0"), Some((0, 0)));
        assert_eq!(
            parse_read(b"ffffffffffffffff,100000000"),
            // 4 GiB, or as much as a 32-bit usize holds.
            Some((
                u64::MAX,
                usize::try_from(0x1_0000_0000u64).unwrap_or(usize::MAX)
            ))
        );
        for bad in [
            &b"1000"[..],
            b",10",
            b"zz,10",
            b"10,",
            b"10,zz",
            b"",
            b"-1,1",
        ] {
            assert_eq!(parse_read(bad), None, "{}", bad.escape_ascii());
        }
        assert_eq!(parse_read(b"10000000000000000,1"), None);
    }

    #[test]
    fn writes_must_carry_what_they_announce() {
        assert_eq!(
            parse_write(b"1000,2:abcd", Hex),
            Some((0x1000, vec![0xab, 0xcd]))
        );
        assert_eq!(parse_write(b"1000,0:", Hex), Some((0x1000, vec![])));
        assert_eq!(parse_write(b"1000,0:", Binary), Some((0x1000, vec![])));
        assert_eq!(
            parse_write(b"1000,2:}]a", Binary),
            Some((0x1000, b"}a".to_vec()))
        );
        // `:` and `,` in binary data are data; `*` is a plain byte.
        assert_eq!(
            parse_write(b"10,3::,*", Binary),
            Some((0x10, b":,*".to_vec()))
        );
        assert_eq!(
            parse_write(b"10,4:}\x03}\x04}]}\x0a", Binary),
            Some((0x10, b"#$}*".to_vec()))
        );
        for (bad, encoding) in [
            (&b"0,100000000:"[..], Hex),
            (b"1000,1:0", Hex),
            (b"1000,1:0011", Hex),
            (b"1000,1:zz", Hex),
            (b"1000,1:0g", Hex),
            (b"0,ffffffffffffffff:00", Hex),
            (b"", Hex),
            (b"zz,1:00", Hex),
            (b",1:00", Hex),
            (b"0,:00", Hex),
            (b"0,4", Hex),
            (b"0:1,00", Hex),
            (b"1000,1:00:00", Hex),
            (b"0,100000000:", Binary),
            (b"1000,1:}", Binary),
            (b"1000,2:a}", Binary),
            (b"1000,1:ab", Binary),
            (b"0,ffffffffffffffff:a", Binary),
            (b"0,zz:a", Binary),
            (b"0,1", Binary),
        ] {
            assert_eq!(
                parse_write(bad, encoding),
                None,
                "{} {encoding:?}",
                bad.escape_ascii()
            );
        }
    }

    #[test]
    fn read_replies() {
        assert_eq!(read_reply(&[0x00, 0xab], Hex), b"00ab");
        assert_eq!(read_reply(&[], Hex), b"");
        assert_eq!(read_reply(&[], Binary), b"b");
        assert_eq!(read_reply(b"a#", Encoding::BinaryBare), b"a}\x03");
        // `#`, `$`, `}` and `*` escaped; everything else as it is.
        assert_eq!(
            read_reply(b"#$}*\x00\xffa", Binary),
            b"b}\x03}\x04}]}\x0a\x00\xffa"
        );
        // What gdb's unescaping gives back is the data.
        let all: Vec<u8> = (0..=255).collect();
        let reply = read_reply(&all, Binary);
        assert_eq!(framing::unescape_binary(&reply[1..]), Some(all));
    }

    #[test]
    fn a_whole_read_reply_fits_one_packet() {
        let worst = vec![b'}'; MAX_READ];
        assert!(read_reply(&worst, Binary).len() < super::super::PACKET_SIZE - 4);
        assert!(read_reply(&worst, Hex).len() < super::super::PACKET_SIZE - 4);
    }
}
