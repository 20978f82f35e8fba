//! The two Host I/O packets that carry file data, the longest of a
//! session: `vFile:pread:FD,COUNT,OFFSET` (gdb reading its program and
//! shared libraries with `set sysroot target:`), answered `FLEN;DATA`, and
//! `vFile:pwrite:FD,OFFSET,DATA` (`remote put`), answered `FLEN`; the data
//! binary-escaped both ways; a failure is `F-1,ERRNO`.
//!
//! Ours rather than gdbstub's because gdbstub holds a packet, and builds a
//! pread reply, in its packet buffer, which would have to stay 1 MiB for
//! data that large, and it scans that whole buffer for every packet it
//! parses (docs/performance.md).

use super::framing;
use super::hex;

/// A request: descriptor, most bytes wanted, file offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pread {
    pub fd: u32,
    pub count: usize,
    pub offset: u64,
}

/// What follows `vFile:pread:`; None if it does not parse.
pub fn parse(args: &[u8]) -> Option<Pread> {
    let mut fields = args.split(|&b| b == b',');
    let fd = u32::try_from(hex::parse_u64(fields.next()?)?).ok()?;
    let count = usize::try_from(hex::parse_u64(fields.next()?)?).ok()?;
    let offset = hex::parse_u64(fields.next()?)?;
    if fields.next().is_some() {
        return None;
    }
    Some(Pread { fd, count, offset })
}

/// A write: descriptor, file offset, the data (unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pwrite {
    pub fd: u32,
    pub offset: u64,
    pub data: Vec<u8>,
}

/// What follows `vFile:pwrite:`; None if it does not parse.
pub fn parse_pwrite(args: &[u8]) -> Option<Pwrite> {
    let mut fields = args.splitn(3, |&b| b == b',');
    let fd = u32::try_from(hex::parse_u64(fields.next()?)?).ok()?;
    let offset = hex::parse_u64(fields.next()?)?;
    let data = framing::unescape_binary(fields.next()?)?;
    Some(Pwrite { fd, offset, data })
}

/// The reply to a write of `written` bytes.
pub fn pwrite_reply(written: usize) -> Vec<u8> {
    format!("F{written:x}").into_bytes()
}

/// The reply carrying `data` (which may be shorter than asked: gdb reads
/// on from where it ends).
pub fn reply(data: &[u8]) -> Vec<u8> {
    let mut out = format!("F{:x};", data.len()).into_bytes();
    out.reserve(data.len() + data.len() / 8);
    framing::escape_binary(data, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests() {
        assert_eq!(
            parse(b"3,fffff,1c0"),
            Some(Pread {
                fd: 3,
                count: 0xfffff,
                offset: 0x1c0
            })
        );
        for bad in [
            &b""[..],
            b"3",
            b"3,10",
            b"3,10,",
            b"x,10,0",
            b"3,10,0,1",
            b"100000000,1,0",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn parses_writes() {
        assert_eq!(
            parse_pwrite(b"3,10,a}\x03,b"),
            Some(Pwrite {
                fd: 3,
                offset: 0x10,
                data: b"a#,b".to_vec()
            })
        );
        assert_eq!(parse_pwrite(b"3,0,").unwrap().data, b"");
        for bad in [&b""[..], b"3", b"3,10", b"z,0,a", b"3,z,a", b"3,0,a}"] {
            assert_eq!(parse_pwrite(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(pwrite_reply(0x20), b"F20");
    }

    #[test]
    fn replies_escape_the_data() {
        assert_eq!(reply(b""), b"F0;");
        assert_eq!(reply(b"ab"), b"F2;ab");
        // `}`, `#`, `$` and `*` are escaped: the count is of the file's bytes.
        assert_eq!(reply(b"#a"), b"F2;}\x03a");
    }
}
