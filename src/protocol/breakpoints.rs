//! The breakpoint and watchpoint packets, `Z`/`z` of types 0-4, parsed
//! into one `PointPacket`: insert or remove, which kind of point, its
//! address and its size (gdb's breakpoint "kind", or a watchpoint's length).
//!
//! gdb appends options to a `Z0`/`Z1` when the target evaluates conditions
//! (`ConditionalBreakpoints+`):
//! `Z0,ADDR,KIND;XLEN,BYTES[XLEN,BYTES...][;cmds:PERSIST,XLEN,BYTES...]`,
//! each condition an agent expression, LEN and BYTES in hex, the conditions
//! back to back. A removal or a watchpoint takes no options.
//!
//! Why ours and not gdbstub's: gdbstub takes no options, and every packet it
//! parses costs a scan of its whole packet buffer; breakpoints go in and out
//! at every stop, so they stay off that path (docs/performance.md).

use super::hex;

/// Which point a `Z`/`z` packet is about (its type digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointType {
    /// `0`: a breakpoint instruction planted in memory.
    Software,
    /// `1`: a debug-register breakpoint.
    Hardware,
    /// `2`: `watch`.
    WriteWatch,
    /// `3`: `rwatch`.
    ReadWatch,
    /// `4`: `awatch`.
    AccessWatch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointPacket {
    /// `Z` (true) or `z`.
    pub insert: bool,
    pub point: PointType,
    pub addr: u64,
    /// gdb's breakpoint kind (instruction size) or the watched length.
    pub size: u64,
    /// Agent expressions; the breakpoint reports when any is true (or
    /// there are none).
    pub conditions: Vec<Vec<u8>>,
    /// Agent expressions to run at each hit (`cmds:`, dprintf with
    /// `set dprintf-style agent`); a breakpoint with commands does not stop.
    pub commands: Vec<Vec<u8>>,
}

/// What a `Z`/`z` packet body says. None if it is no `Z`/`z` of a type we
/// know (gdb then gets the empty reply: not supported); an error if it is
/// one but does not parse.
pub fn parse(body: &[u8]) -> Option<Result<PointPacket, ()>> {
    let (insert, point, rest) = match body {
        [z @ (b'Z' | b'z'), t, rest @ ..] => (*z == b'Z', point_type(*t)?, rest),
        _ => return None,
    };
    Some(match rest.strip_prefix(b",") {
        Some(rest) => parse_rest(insert, point, rest),
        None => Err(()),
    })
}

fn point_type(digit: u8) -> Option<PointType> {
    Some(match digit {
        b'0' => PointType::Software,
        b'1' => PointType::Hardware,
        b'2' => PointType::WriteWatch,
        b'3' => PointType::ReadWatch,
        b'4' => PointType::AccessWatch,
        _ => return None,
    })
}

/// `ADDR,SIZE[;OPTIONS]`.
fn parse_rest(insert: bool, point: PointType, rest: &[u8]) -> Result<PointPacket, ()> {
    let (bare, options) = match rest.iter().position(|&b| b == b';') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (addr, size) = match bare.iter().position(|&b| b == b',') {
        Some(i) => (&bare[..i], &bare[i + 1..]),
        None => return Err(()),
    };
    let addr = hex::parse_u64(addr).ok_or(())?;
    let size = hex::parse_u64(size).ok_or(())?;
    let takes_options = insert && matches!(point, PointType::Software | PointType::Hardware);
    let (conditions, commands) = match options {
        None => (Vec::new(), Vec::new()),
        Some(options) if takes_options => parse_options(options)?,
        Some(_) => return Err(()),
    };
    Ok(PointPacket {
        insert,
        point,
        addr,
        size,
        conditions,
        commands,
    })
}

/// The conditions, then the commands.
type Expressions = (Vec<Vec<u8>>, Vec<Vec<u8>>);

fn parse_options(options: &[u8]) -> Result<Expressions, ()> {
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
    Ok((conditions, commands))
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

    fn ok(body: &[u8]) -> PointPacket {
        parse(body).unwrap().unwrap()
    }

    #[test]
    fn every_type_insert_and_remove() {
        let plain = ok(b"Z0,401000,1");
        assert!(plain.insert);
        assert_eq!(plain.point, PointType::Software);
        assert_eq!((plain.addr, plain.size), (0x401000, 1));
        assert!(plain.conditions.is_empty() && plain.commands.is_empty());
        assert_eq!(ok(b"z1,10,4").point, PointType::Hardware);
        assert!(!ok(b"z1,10,4").insert);
        let watch = ok(b"Z2,7ffe0010,8");
        assert_eq!(watch.point, PointType::WriteWatch);
        assert_eq!((watch.addr, watch.size), (0x7ffe_0010, 8));
        assert_eq!(ok(b"z3,10,2").point, PointType::ReadWatch);
        assert_eq!(ok(b"Z4,10,1").point, PointType::AccessWatch);
    }

    #[test]
    fn splits_conditions_and_commands() {
        let parsed = ok(b"Z0,7ffff7ea6407,1;X3,220013X2,2227");
        assert_eq!(parsed.addr, 0x7fff_f7ea_6407);
        assert_eq!(
            parsed.conditions,
            vec![vec![0x22, 0x00, 0x13], vec![0x22, 0x27]]
        );
        let with_cmds = ok(b"Z0,10,1;X1,27;cmds:0,X1,27");
        assert_eq!(with_cmds.conditions, vec![vec![0x27]]);
        assert_eq!(with_cmds.commands, vec![vec![0x27]]);
        let only_cmds = ok(b"Z1,10,1;cmds:1,X2,2727X1,27");
        assert!(only_cmds.conditions.is_empty());
        assert_eq!(only_cmds.commands, vec![vec![0x27, 0x27], vec![0x27]]);
    }

    #[test]
    fn other_packets_are_not_ours() {
        for other in [&b"Z5,10,4"[..], b"Z", b"z", b"m10,4", b"Zx,1,1"] {
            assert_eq!(parse(other), None, "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn bad_forms_are_errors() {
        for bad in [
            &b"Z0,zz,1"[..],
            b"Z0",
            b"z1;X1,27",
            b"Z0,",
            b"Z0,10",
            b"Z0,10,",
            b"Z0,10,zz",
            b"Z0,10,1,2",
            b"Z0,10,1;X",
            b"Z0,10,1;X2,27",
            b"Z0,10,1;X1,zz",
            b"Z0,10,1;Xffffffffffffffff,00",
            b"Z0,10,1;Y1,27",
            b"Z0,10,1;X1,27junk",
            b"Z0,10,1;cmds:2,X1,27",
            // Removals and watchpoints take no options.
            b"z0,10,1;X1,27",
            b"Z2,10,4;X1,27",
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
