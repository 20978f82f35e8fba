//! The `qExecAndArgs` reply (gdb 18): `U` when no program is set, else
//! `S;HEX(PROGRAM);HEX(ARGS);`, the arguments as one string, each quoted as
//! gdb's `construct_inferior_arguments` quotes for a shell (a backslash
//! before each special character, `''` for an empty one), which is what GNU
//! gdbserver 18.1 sends and what gdb shows in `show args`.

use super::hex;

/// The characters gdb escapes in an argument meant for the shell.
const SPECIAL: &[u8] = b"\"!#$&*()\\|[]{}<>?'`~^; \t";

/// The reply for `program` (None: nothing to run) started with `args`.
pub fn reply(program: Option<&str>, args: &[String]) -> Vec<u8> {
    let Some(program) = program.filter(|p| !p.is_empty()) else {
        return b"U".to_vec();
    };
    let mut out = b"S;".to_vec();
    hex::encode_into(program.as_bytes(), &mut out);
    out.push(b';');
    hex::encode_into(&joined(args), &mut out);
    out.push(b';');
    out
}

/// The arguments as one shell-quoted string.
fn joined(args: &[String]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        if arg.is_empty() {
            line.extend_from_slice(b"''");
        }
        for &b in arg.as_bytes() {
            if b == b'\n' {
                line.extend_from_slice(b"'\n'");
                continue;
            }
            if SPECIAL.contains(&b) {
                line.push(b'\\');
            }
            line.push(b);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_program() {
        assert_eq!(reply(None, &[]), b"U");
        assert_eq!(reply(Some(""), &["a".into()]), b"U");
    }

    #[test]
    fn as_gnu_gdbserver_18_sends_it() {
        // gdbserver 18.1 started as `gdbserver :P /tmp/g18x/loop a "b c"`.
        assert_eq!(
            reply(Some("/tmp/g18x/loop"), &["a".into(), "b c".into()]),
            b"S;2f746d702f673138782f6c6f6f70;6120625c2063;"
        );
        assert_eq!(reply(Some("/p"), &[]), b"S;2f70;;");
    }

    #[test]
    fn quoting() {
        let args: Vec<String> = ["", "$x", "it's", "a\nb"].map(String::from).to_vec();
        assert_eq!(joined(&args), b"'' \\$x it\\'s a'\n'b");
    }
}
