//! `m ADDR,LENGTH`: memory reads, answered by us rather than gdbstub, whose
//! handler would loop over any length gdb names (a 4 GiB request means 8 GiB
//! of reply). We clamp the length to what one reply packet holds, return the
//! readable prefix of a range that runs into unmapped memory, and an error
//! only when nothing at all is readable, as gdbserver does. This module
//! parses; `session::packets::memory` reads.

use super::hex;

/// The most bytes one `m` reply carries (hex doubles them).
pub const MAX_READ: usize = super::PACKET_SIZE / 2 - 32;

pub fn parse(body: &[u8]) -> Option<(u64, usize)> {
    let args = body.strip_prefix(b"m")?;
    let comma = args.iter().position(|&b| b == b',')?;
    let addr = hex::parse_u64(&args[..comma])?;
    let len = hex::parse_u64(&args[comma + 1..])?;
    Some((addr, usize::try_from(len).unwrap_or(usize::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(parse(b"m1000,10"), Some((0x1000, 0x10)));
        assert_eq!(
            parse(b"mffffffffffffffff,100000000"),
            // 4 GiB, or as much as a 32-bit usize holds.
            Some((
                u64::MAX,
                usize::try_from(0x1_0000_0000u64).unwrap_or(usize::MAX)
            ))
        );
        assert_eq!(parse(b"m1000"), None);
        assert_eq!(parse(b"m,10"), None);
        assert_eq!(parse(b"mzz,10"), None);
    }
}
