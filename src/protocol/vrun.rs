//! `vRun;PROGRAM;ARG...`: the arguments as gdb sent them. gdbstub 0.7's
//! parser drops empty arguments, so `run 1 '' 3` would start the program
//! with two arguments instead of three; we read the list ourselves and hand
//! it to the target's `run`.

use super::hex;

/// The arguments after the program name of a `vRun` packet body, empty ones
/// included; None if the packet is not `vRun` or not hex.
pub fn arguments(body: &[u8]) -> Option<Vec<Vec<u8>>> {
    let rest = body.strip_prefix(b"vRun;")?;
    let mut fields = rest.split(|&b| b == b';');
    // The program name, checked but not used here: gdbstub passes it on.
    hex::decode(fields.next()?)?;
    // `vRun;PROG` has no arguments; `vRun;PROG;` has one, empty (gdb never
    // sends a trailing `;` otherwise).
    fields.map(hex::decode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_empty_arguments() {
        assert_eq!(
            arguments(b"vRun;70;31;;33"),
            Some(vec![b"1".to_vec(), vec![], b"3".to_vec()])
        );
        assert_eq!(arguments(b"vRun;70;;"), Some(vec![vec![], vec![]]));
        assert_eq!(arguments(b"vRun;70;"), Some(vec![vec![]]));
    }

    #[test]
    fn no_arguments() {
        assert_eq!(arguments(b"vRun;70"), Some(vec![]));
        assert_eq!(arguments(b"vRun;"), Some(vec![]));
    }

    #[test]
    fn refuses_bad_hex() {
        assert_eq!(arguments(b"vRun;70;3"), None);
        assert_eq!(arguments(b"vRun;7g"), None);
        assert_eq!(arguments(b"vAttach;70"), None);
    }
}
