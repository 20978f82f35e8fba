//! `vRun;PROGRAM;ARG...`: the program and its arguments as gdb sent them,
//! and the reply once it is started. Our layer answers `vRun` itself
//! because gdbstub 0.7's parser drops empty arguments (`run 1 '' 3` would
//! start the program with two arguments instead of three). The reply is
//! the one gdbstub gave, byte for byte: `T05thread:ID;` naming the new
//! process's first thread.

use super::hex;

/// A `vRun` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The program (empty: gdb named none, the last one run is meant).
    pub program: Vec<u8>,
    /// Its arguments, empty ones included.
    pub args: Vec<Vec<u8>>,
}

/// A `vRun` packet after its `vRun;`; None if it is not whole hex pairs.
pub fn parse(rest: &[u8]) -> Option<Run> {
    let mut fields = rest.split(|&b| b == b';');
    let program = hex::decode(fields.next()?)?;
    // `vRun;PROG` has no arguments; `vRun;PROG;` has one, empty (gdb never
    // sends a trailing `;` otherwise).
    let args = fields.map(hex::decode).collect::<Option<_>>()?;
    Some(Run { program, args })
}

/// The reply to a `vRun` that started process `pid`, whose first thread
/// is `tid` (None: it has none, so it has exited), as gdbstub wrote it:
/// its numbers in whole hex bytes, the pid only with multiprocess ids.
pub fn started_reply(pid: i32, tid: Option<i32>, multiprocess: bool) -> Vec<u8> {
    let Some(tid) = tid else {
        return b"W00;".to_vec();
    };
    let mut reply = String::from("T05thread:");
    if multiprocess {
        reply.push_str(&format!("p{}.", whole_bytes_hex(pid)));
    }
    reply.push_str(&whole_bytes_hex(tid));
    reply.push(';');
    reply.into_bytes()
}

/// `n` in hex with an even number of digits (gdbstub writes byte by byte).
fn whole_bytes_hex(n: i32) -> String {
    let digits = format!("{n:x}");
    if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(rest: &[u8]) -> Option<Vec<Vec<u8>>> {
        parse(rest).map(|run| run.args)
    }

    #[test]
    fn keeps_empty_arguments() {
        assert_eq!(
            arguments(b"70;31;;33"),
            Some(vec![b"1".to_vec(), vec![], b"3".to_vec()])
        );
        assert_eq!(arguments(b"70;;"), Some(vec![vec![], vec![]]));
        assert_eq!(arguments(b"70;"), Some(vec![vec![]]));
    }

    #[test]
    fn no_arguments() {
        assert_eq!(arguments(b"70"), Some(vec![]));
        assert_eq!(arguments(b""), Some(vec![]));
    }

    #[test]
    fn the_program() {
        assert_eq!(
            parse(b"2f62696e2f74727565;31").unwrap().program,
            b"/bin/true"
        );
        assert_eq!(parse(b";31").unwrap().program, b"");
    }

    #[test]
    fn refuses_bad_hex() {
        assert_eq!(arguments(b"70;3"), None);
        assert_eq!(arguments(b"7g"), None);
    }

    #[test]
    fn replies_as_gdbstub_did() {
        assert_eq!(
            started_reply(0x1234, Some(0x1234), true),
            b"T05thread:p1234.1234;"
        );
        assert_eq!(
            started_reply(0x1234, Some(0x1234), false),
            b"T05thread:1234;"
        );
        // Whole bytes: an odd number of digits gets a leading zero.
        assert_eq!(
            started_reply(0x12345, Some(0x12346), true),
            b"T05thread:p012345.012346;"
        );
        assert_eq!(started_reply(0x7, Some(0x7), false), b"T05thread:07;");
        assert_eq!(started_reply(0x1234, None, true), b"W00;");
    }
}
