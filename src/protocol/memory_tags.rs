//! The memory-tagging packets (arm64 MTE), parsed and their replies
//! encoded: `qMemTags:ADDR,LENGTH:TYPE` (reply `m` and one hex byte per
//! tag granule), `QMemTags:ADDR,LENGTH:TYPE:HEXTAGS` (reply `OK`) and gdb
//! 15's `qIsAddressTagged:ADDR` (reply `01` or `00`). Pure: the session's
//! `packets::memory_tags` reads and writes the tags through the process.
//!
//! The forms are GNU gdbserver's (`server.cc`): hex fields, TYPE 1 the
//! allocation tag (the only kind MTE has in memory; gdb's TYPE 0, the
//! logical tag, lives in the pointer and never reaches the server). We are
//! stricter than its parsers, which read whatever hex they find: a field
//! that is no hex number, or anything left over, is malformed (`E01`,
//! which is also GNU's answer to every failure here).

use super::hex;

/// TYPE of an allocation tag (gdb's `aarch64_memtag_type::mte_allocation`).
pub const ALLOCATION_TAG: u64 = 1;

/// The range and tag type of a `qMemTags` or `QMemTags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagRange {
    pub addr: u64,
    /// Bytes, not granules: the range covers every granule it touches.
    pub len: u64,
    /// The tag type gdb asks for (`ALLOCATION_TAG` is the one we serve).
    pub kind: u64,
}

/// `ADDR,LENGTH:TYPE` and what follows TYPE (its own `:` included).
fn parse_range(args: &[u8]) -> Option<(TagRange, &[u8])> {
    let comma = args.iter().position(|&b| b == b',')?;
    let addr = hex::parse_u64(&args[..comma])?;
    let rest = &args[comma + 1..];
    let colon = rest.iter().position(|&b| b == b':')?;
    let len = hex::parse_u64(&rest[..colon])?;
    let rest = &rest[colon + 1..];
    let end = rest.iter().position(|&b| b == b':').unwrap_or(rest.len());
    let kind = hex::parse_u64(&rest[..end])?;
    Some((TagRange { addr, len, kind }, &rest[end..]))
}

/// `qMemTags:` arguments: `ADDR,LENGTH:TYPE`.
pub fn parse_read(args: &[u8]) -> Option<TagRange> {
    match parse_range(args)? {
        (range, b"") => Some(range),
        _ => None,
    }
}

/// `QMemTags:` arguments: `ADDR,LENGTH:TYPE:HEXTAGS` (the tags may be
/// empty; fewer tags than granules repeat, as gdb's `memory-tag
/// set-allocation-tag` means them).
pub fn parse_write(args: &[u8]) -> Option<(TagRange, Vec<u8>)> {
    let (range, rest) = parse_range(args)?;
    let tags = hex::decode(rest.strip_prefix(b":")?)?;
    Some((range, tags))
}

/// `qIsAddressTagged:` argument: the address's hex digits.
pub fn parse_address(args: &[u8]) -> Option<u64> {
    hex::parse_u64(args)
}

/// The reply to `qMemTags`: `m` and the tags in hex, one byte a granule.
pub fn read_reply(tags: &[u8]) -> Vec<u8> {
    let mut reply = vec![b'm'];
    hex::encode_into(tags, &mut reply);
    reply
}

/// The reply to `qIsAddressTagged`.
pub fn tagged_reply(tagged: bool) -> Vec<u8> {
    if tagged { b"01" } else { b"00" }.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(addr: u64, len: u64, kind: u64) -> TagRange {
        TagRange { addr, len, kind }
    }

    #[test]
    fn reads_as_gdb_sends_them() {
        // gdb's `memory-tag print-allocation-tag` asks for one granule.
        assert_eq!(
            parse_read(b"ffff9a3c0000,1:1"),
            Some(range(0xffff_9a3c_0000, 1, 1))
        );
        // GNU's own selftest forms.
        assert_eq!(parse_read(b"0,0:0"), Some(range(0, 0, 0)));
        assert_eq!(
            parse_read(b"deadbeef,ff:5"),
            Some(range(0xdead_beef, 0xff, 5))
        );
    }

    #[test]
    fn malformed_reads() {
        for bad in [
            &b""[..],
            b"1000",
            b"1000,10",
            b"1000,10:",
            b"zz,10:1",
            b"1000,zz:1",
            b"1000,10:zz",
            b"1000,10:1:",
            b"1000,10:1:05",
            b",10:1",
            b"1000,:1",
        ] {
            assert_eq!(parse_read(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn writes_as_gdb_sends_them() {
        assert_eq!(
            parse_write(b"ffff9a3c0000,1:1:05"),
            Some((range(0xffff_9a3c_0000, 1, 1), vec![5]))
        );
        assert_eq!(
            parse_write(b"deadbeef,ff:5:0001020304"),
            Some((range(0xdead_beef, 0xff, 5), vec![0, 1, 2, 3, 4]))
        );
        assert_eq!(parse_write(b"0,0:0:"), Some((range(0, 0, 0), vec![])));
    }

    #[test]
    fn malformed_writes() {
        for bad in [
            &b""[..],
            b"1000,10:1",
            b"1000,10:1:5",
            b"1000,10:1:zz",
            b"1000,10:1:05:06",
            b"1000,10::05",
            b"1000:10:1:05",
        ] {
            assert_eq!(parse_write(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn addresses_and_replies() {
        assert_eq!(parse_address(b"ffff9a3c0010"), Some(0xffff_9a3c_0010));
        assert_eq!(parse_address(b""), None);
        assert_eq!(parse_address(b"zz"), None);
        assert_eq!(read_reply(&[0x0a, 0, 5]), b"m0a0005");
        assert_eq!(tagged_reply(true), b"01");
        assert_eq!(tagged_reply(false), b"00");
    }
}
