//! The `qSupported` forms gdbstub refuses. The manual allows the feature
//! list to be left out (`qSupported`, or `qSupported:` with nothing after):
//! the client then claims no feature. gdbstub answers both with `E01`, where
//! GNU gdbserver answers with its features; we hand gdbstub the same meaning
//! in a form it parses, one feature explicitly declined.

/// The packet gdbstub is to see for `body`: a `qSupported` without features
/// becomes one that declines `multiprocess` (what a client that names no
/// feature means); anything else is returned unchanged.
pub fn with_feature_list(body: Vec<u8>) -> Vec<u8> {
    if body == b"qSupported" || body == b"qSupported:" {
        b"qSupported:multiprocess-".to_vec()
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_declines_everything() {
        assert_eq!(
            with_feature_list(b"qSupported".to_vec()),
            b"qSupported:multiprocess-"
        );
        assert_eq!(
            with_feature_list(b"qSupported:".to_vec()),
            b"qSupported:multiprocess-"
        );
    }

    #[test]
    fn other_packets_are_untouched() {
        for body in [&b"qSupported:swbreak+"[..], b"qSupportedX", b"m10,4", b""] {
            assert_eq!(with_feature_list(body.to_vec()), body);
        }
    }
}
