//! The memory packets, one path for all four: reads `m`/`x` and writes
//! `M`/`X` (see `protocol::memory` for why they are ours and for the
//! parsers). Every access goes through `Process::read_memory`, which shows
//! the program's own bytes where our breakpoints are planted, or
//! `Process::write_memory`, which writes around them; the encoding is the
//! only difference between `m` and `x`, or `M` and `X`.
//!
//! Errors: `E01` for a malformed packet, a read of which nothing is
//! readable, or no process; a write that fails answers with the errno
//! (`E05` for unmapped memory), as gdbstub did.

use crate::inferior::process::Process;
use crate::protocol::memory::{parse_read, parse_write, read_reply, Encoding, MAX_READ};
use crate::protocol::reply::Reply;

/// `m ADDR,LENGTH` or `x ADDR,LENGTH` (`args` after the letter).
pub(in crate::session) fn read(
    process: Option<&Process>,
    encoding: Encoding,
    args: &[u8],
) -> Reply {
    let (Some((addr, len)), Some(process)) = (parse_read(args), process) else {
        return Reply::Error(1);
    };
    let len = len.min(MAX_READ);
    if len == 0 {
        // gdbserver's answers: nothing for `m`, a bare `b` for `x`.
        return Reply::Data(read_reply(&[], encoding));
    }
    let mut buf = vec![0u8; len];
    match process.read_memory(addr, &mut buf) {
        Ok(n) => Reply::Data(read_reply(&buf[..n], encoding)),
        Err(e) => {
            log::debug!("read {addr:#x},{len:#x}: {e}");
            Reply::Error(1)
        }
    }
}

/// `M ADDR,LENGTH:HEX` or `X ADDR,LENGTH:BINARY` (`args` after the letter).
/// `X ADDR,0:` is gdb's probe for `X`: `OK` whenever there is a process.
pub(in crate::session) fn write(
    process: Option<&mut Process>,
    encoding: Encoding,
    args: &[u8],
) -> Reply {
    let (Some((addr, data)), Some(process)) = (parse_write(args, encoding), process) else {
        return Reply::Error(1);
    };
    Reply::ok_or(process.write_memory(addr, &data).map_err(|e| {
        log::debug!("write {addr:#x},{:#x}: {e}", data.len());
        e.errno()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_process_or_no_sense_is_an_error() {
        for encoding in [Encoding::Hex, Encoding::Binary] {
            assert_eq!(read(None, encoding, b"1000,10"), Reply::Error(1));
            assert_eq!(read(None, encoding, b"garbage"), Reply::Error(1));
            assert_eq!(write(None, encoding, b"1000,0:"), Reply::Error(1));
            assert_eq!(write(None, encoding, b"1000,1"), Reply::Error(1));
        }
    }
}
