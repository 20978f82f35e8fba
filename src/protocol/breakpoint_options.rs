//! The options gdb appends to a `Z0`/`Z1` packet when the target evaluates
//! breakpoint conditions (`ConditionalBreakpoints+`):
//! `Z0,ADDR,KIND;XLEN,BYTES[XLEN,BYTES...][;cmds:PERSIST,XLEN,BYTES...]`,
//! each condition an agent expression, LEN and BYTES in hex, the
//! conditions back to back. gdbstub's parser takes no options: the session
//! feeds it the bare `Z0,ADDR,KIND` and keeps the conditions itself.

use super::hex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakpointOptions<'a> {
    /// The packet without its options, for gdbstub.
    pub bare: &'a [u8],
    /// `0` (software) or `1` (hardware).
    pub kind: u8,
    pub addr: u64,
    /// Agent expressions; the breakpoint reports when any is true (or
    /// there are none).
    pub conditions: Vec<Vec<u8>>,
    /// Agent expressions to run at each hit (`cmds:`, dprintf with
    /// `set dprintf-style agent`); a breakpoint with commands does not stop.
    pub commands: Vec<Vec<u8>>,
}

/// A `Z0`/`Z1` packet split from its options. None if `body` is not one of
/// those; an error if its options do not parse.
pub fn parse(body: &[u8]) -> Option<Result<BreakpointOptions<'_>, ()>> {
    let kind = match body {
        [b'Z', k @ (b'0' | b'1'), b',', ..] => *k - b'0',
        _ => return None,
    };
    let (bare, options) = match body.iter().position(|&b| b == b';') {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, &b""[..]),
    };
    Some(parse_options(bare, kind, options))
}

fn parse_options<'a>(
    bare: &'a [u8],
    kind: u8,
    options: &[u8],
) -> Result<BreakpointOptions<'a>, ()> {
    let addr = bare[3..]
        .split(|&b| b == b',')
        .next()
        .and_then(hex::parse_u64)
        .ok_or(())?;
    let (conditions, mut rest) = expressions(options)?;
    let mut commands = Vec::new();
    // Commands follow the conditions: `cmds:PERSIST,` then expressions.
    if let Some(tail) = rest
        .strip_prefix(b";cmds:")
        .or_else(|| rest.strip_prefix(b"cmds:"))
    {
        let comma = tail.iter().position(|&b| b == b',').ok_or(())?;
        if !matches!(&tail[..comma], b"0" | b"1") {
            return Err(());
        }
        (commands, rest) = expressions(&tail[comma + 1..])?;
    }
    if !rest.is_empty() {
        return Err(());
    }
    Ok(BreakpointOptions {
        bare,
        kind,
        addr,
        conditions,
        commands,
    })
}

/// `XLEN,BYTES` agent expressions back to back, and what follows them.
fn expressions(mut rest: &[u8]) -> Result<(Vec<Vec<u8>>, &[u8]), ()> {
    let mut found = Vec::new();
    while let Some(tail) = rest.strip_prefix(b"X") {
        let comma = tail.iter().position(|&b| b == b',').ok_or(())?;
        let len = usize::try_from(hex::parse_u64(&tail[..comma]).ok_or(())?).map_err(drop)?;
        let hex_len = len.checked_mul(2).ok_or(())?;
        let bytes = tail.get(comma + 1..comma + 1 + hex_len).ok_or(())?;
        found.push(hex::decode(bytes).ok_or(())?);
        rest = &tail[comma + 1 + hex_len..];
    }
    Ok((found, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_conditions_from_the_packet() {
        let parsed = parse(b"Z0,7ffff7ea6407,1;X3,220013X2,2227")
            .unwrap()
            .unwrap();
        assert_eq!(parsed.bare, b"Z0,7ffff7ea6407,1");
        assert_eq!(parsed.kind, 0);
        assert_eq!(parsed.addr, 0x7fff_f7ea_6407);
        assert_eq!(
            parsed.conditions,
            vec![vec![0x22, 0x00, 0x13], vec![0x22, 0x27]]
        );
        let plain = parse(b"Z1,401000,1").unwrap().unwrap();
        assert_eq!(plain.bare, b"Z1,401000,1");
        assert_eq!(plain.kind, 1);
        assert!(plain.conditions.is_empty());
        let with_cmds = parse(b"Z0,10,1;X1,27;cmds:0,X1,27").unwrap().unwrap();
        assert_eq!(with_cmds.conditions, vec![vec![0x27]]);
        assert_eq!(with_cmds.commands, vec![vec![0x27]]);
        let only_cmds = parse(b"Z0,10,1;cmds:1,X2,2727X1,27").unwrap().unwrap();
        assert!(only_cmds.conditions.is_empty());
        assert_eq!(only_cmds.commands, vec![vec![0x27, 0x27], vec![0x27]]);
        assert!(parse(b"Z0,10,1;cmds:2,X1,27").unwrap().is_err());
        assert!(parse(b"Z0,10,1;X1,27junk").unwrap().is_err());
    }

    #[test]
    fn other_packets_and_bad_options() {
        assert_eq!(parse(b"Z2,10,4"), None);
        assert_eq!(parse(b"z0,10,1"), None);
        assert_eq!(parse(b"m10,4"), None);
        for bad in [
            &b"Z0,zz,1"[..],
            b"Z0,10,1;X",
            b"Z0,10,1;X2,27",
            b"Z0,10,1;X1,zz",
            b"Z0,10,1;Xffffffffffffffff,00",
            b"Z0,10,1;Y1,27",
            b"Z0,10,1;X1,27junk",
            b"Z0,",
        ] {
            assert_eq!(
                parse(bad),
                Some(Err(())),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
