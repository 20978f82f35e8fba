//! The replies our own packet handlers give, as a type rather than raw
//! bytes: `OK`, the empty reply ("not supported"), `Exx` errors and data.
//! Handlers build a `Reply`; only `into_bytes` knows the wire spelling, so
//! an error is never misspelt and a handler's test can say what it meant.
//! After lldb's `QEnableErrorStrings`, `into_bytes_with_text` adds the
//! error's meaning to the code (`E05;HEX`), which lldb shows to its user.

/// A reply to one packet, before framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `OK`.
    Ok,
    /// The empty reply: the packet is not supported (or, for some packets,
    /// "nothing to say", as the protocol defines for each).
    Empty,
    /// `Exx`: the request failed with this errno-like code.
    Error(u8),
    /// Any other reply body, as it goes on the wire (before framing).
    Data(Vec<u8>),
}

impl Reply {
    /// The reply body, ready for framing.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Reply::Ok => b"OK".to_vec(),
            Reply::Empty => Vec::new(),
            Reply::Error(code) => format!("E{code:02x}").into_bytes(),
            Reply::Data(data) => data,
        }
    }

    /// The reply body with an error's text added: `Exx;HEXTEXT`, as lldb
    /// asks with `QEnableErrorStrings` (the code stays first, for clients
    /// that read only it).
    pub fn into_bytes_with_text(self) -> Vec<u8> {
        match self {
            Reply::Error(code) => {
                let mut out = format!("E{code:02x};").into_bytes();
                super::hex::encode_into(error_text(code).as_bytes(), &mut out);
                out
            }
            other => other.into_bytes(),
        }
    }

    /// `Ok` or the error's code: for requests that only succeed or fail.
    pub fn ok_or(result: Result<(), u8>) -> Reply {
        match result {
            Ok(()) => Reply::Ok,
            Err(code) => Reply::Error(code),
        }
    }
}

impl From<Vec<u8>> for Reply {
    fn from(data: Vec<u8>) -> Reply {
        Reply::Data(data)
    }
}

/// What an error code of ours means. `E01` is our generic refusal (a
/// malformed packet, nothing there, no process), not EPERM; the other codes
/// are the errno the request failed with.
pub fn error_text(code: u8) -> String {
    match code {
        1 => "the request is malformed or cannot be done".to_string(),
        code => nix::errno::Errno::from_raw(i32::from(code))
            .desc()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling() {
        assert_eq!(Reply::Ok.into_bytes(), b"OK");
        assert_eq!(Reply::Empty.into_bytes(), b"");
        assert_eq!(Reply::Error(1).into_bytes(), b"E01");
        assert_eq!(Reply::Error(0x16).into_bytes(), b"E16");
        assert_eq!(Reply::Data(b"l<x/>".to_vec()).into_bytes(), b"l<x/>");
        assert_eq!(Reply::ok_or(Err(3)), Reply::Error(3));
        assert_eq!(Reply::ok_or(Ok(())), Reply::Ok);
    }

    #[test]
    fn errors_with_text() {
        // E05;"I/O error"
        assert_eq!(
            Reply::Error(5).into_bytes_with_text(),
            b"E05;492f4f206572726f72"
        );
        let generic = Reply::Error(1).into_bytes_with_text();
        assert!(generic.starts_with(b"E01;"));
        let text = super::super::hex::decode(&generic[4..]).unwrap();
        assert_eq!(text, error_text(1).as_bytes());
        // Only errors change.
        assert_eq!(Reply::Ok.into_bytes_with_text(), b"OK");
        assert_eq!(Reply::Empty.into_bytes_with_text(), b"");
        assert_eq!(Reply::Data(b"E05".to_vec()).into_bytes_with_text(), b"E05");
    }
}
