//! The replies our own packet handlers give, as a type rather than raw
//! bytes: `OK`, the empty reply ("not supported"), `Exx` errors and data.
//! Handlers build a `Reply`; only `into_bytes` knows the wire spelling, so
//! an error is never misspelt and a handler's test can say what it meant.

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
}
