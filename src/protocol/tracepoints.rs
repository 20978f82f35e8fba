//! The tracepoint packets (the "Tracepoint Packets" section of gdb's
//! remote protocol manual), parsed from the bytes after their names into
//! plain values: `QTDP` (a tracepoint and, in the packets after it, its
//! actions), `QTDPsrc`, `QTDV`, `QTFrame`, `QTBuffer`, `qTBuffer`, `qTP`,
//! `qTV`, `QTro`, `QTNotes`, `QTDisconnected`, `QTEnable`/`QTDisable`.
//! Pure: the session turns these into the inferior's trace definitions.
//!
//! Actions keep their text as gdb sent it as well: `qTfP`/`qTsP` hand them
//! back verbatim (that is what `tsave` writes and `target tfile` reads).

use super::hex;

/// Which tracepoint packet (the session's dispatch; the arguments are
/// parsed by the functions below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TracePacket {
    /// `QTinit`.
    Init,
    /// `QTDP:`.
    Define,
    /// `QTDPsrc:`.
    Source,
    /// `QTDV:`.
    Variable,
    /// `QTStart`.
    Start,
    /// `QTStop`.
    Stop,
    /// `qTStatus`.
    Status,
    /// `QTFrame:`.
    Frame,
    /// `qTP:`.
    TracepointStatus,
    /// `qTV:`.
    VariableValue,
    /// `qTfP` / `qTsP`.
    FirstTracepoint,
    NextTracepoint,
    /// `qTfV` / `qTsV`.
    FirstVariable,
    NextVariable,
    /// `qTBuffer:`.
    ReadBuffer,
    /// `QTBuffer:circular:`.
    Circular,
    /// `QTBuffer:size:`.
    BufferSize,
    /// `QTDisconnected:`.
    Disconnected,
    /// `QTro:`.
    ReadOnly,
    /// `QTNotes:`.
    Notes,
    /// `QTEnable:` / `QTDisable:`.
    Enable,
    Disable,
}

/// The packet names, longer before shorter where one is the other's
/// prefix; each name's arguments are what follows it.
pub const NAMES: &[(&[u8], TracePacket)] = &[
    (b"QTinit", TracePacket::Init),
    (b"QTDPsrc:", TracePacket::Source),
    (b"QTDP:", TracePacket::Define),
    (b"QTDV:", TracePacket::Variable),
    (b"QTStart", TracePacket::Start),
    (b"QTStop", TracePacket::Stop),
    (b"qTStatus", TracePacket::Status),
    (b"QTFrame:", TracePacket::Frame),
    (b"qTP:", TracePacket::TracepointStatus),
    (b"qTV:", TracePacket::VariableValue),
    (b"qTfP", TracePacket::FirstTracepoint),
    (b"qTsP", TracePacket::NextTracepoint),
    (b"qTfV", TracePacket::FirstVariable),
    (b"qTsV", TracePacket::NextVariable),
    (b"qTBuffer:", TracePacket::ReadBuffer),
    (b"QTBuffer:circular:", TracePacket::Circular),
    (b"QTBuffer:size:", TracePacket::BufferSize),
    (b"QTDisconnected:", TracePacket::Disconnected),
    (b"QTro:", TracePacket::ReadOnly),
    (b"QTNotes:", TracePacket::Notes),
    (b"QTEnable:", TracePacket::Enable),
    (b"QTDisable:", TracePacket::Disable),
];

/// The tracepoint packet `body` is, and its arguments. Names without a
/// colon take the whole packet (`QTStart`, not `QTStartX`).
pub fn packet(body: &[u8]) -> Option<(TracePacket, &[u8])> {
    NAMES.iter().find_map(|&(name, which)| {
        let rest = body.strip_prefix(name)?;
        (name.ends_with(b":") || rest.is_empty()).then_some((which, rest))
    })
}

/// One collection action of a tracepoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `RMASK`: registers (the mask is advisory: the whole block is kept).
    Registers,
    /// `MBASEREG,OFFSET,LEN`: memory at the register's value plus OFFSET
    /// (`-1`: OFFSET is the address).
    Memory {
        base: Option<u16>,
        offset: u64,
        len: u64,
    },
    /// `XLEN,BYTES`: an agent expression, run for what its `trace` ops
    /// collect and the variables it sets.
    Expression(Vec<u8>),
}

/// `QTDP:N:ADDR:E|D:STEP:PASS[:Fflen][:S][:XLEN,COND][-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub number: u32,
    pub addr: u64,
    pub enabled: bool,
    pub step_count: u64,
    pub pass_count: u64,
    pub condition: Option<Vec<u8>>,
    /// `F` or `S`: fast or static, which need an in-process agent.
    pub needs_agent: bool,
    /// A trailing `-`: action packets follow.
    pub more: bool,
}

/// `QTDP:-N:ADDR:[S]ACTIONS[-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPacket {
    pub number: u32,
    pub addr: u64,
    /// `S`: the actions of each while-stepping step.
    pub stepping: bool,
    pub actions: Vec<Action>,
    /// The actions' text (without `S` and `-`), for upload.
    pub text: Vec<u8>,
    pub more: bool,
}

/// What `QTFrame` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameQuery {
    /// `QTFrame:N` (`-1`: no frame).
    Number(Option<u64>),
    /// `QTFrame:pc:ADDR`: the next frame at this PC.
    Pc(u64),
    /// `QTFrame:tdp:T`: the next frame of tracepoint T.
    Tracepoint(u32),
    /// `QTFrame:range:START:END`: the next frame with PC in [START, END].
    Range(u64, u64),
    /// `QTFrame:outside:START:END`: the next frame with PC outside it.
    Outside(u64, u64),
}

/// `QTDV:N:VALUE:BUILTIN:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableDefinition {
    pub number: u16,
    pub initial: u64,
    pub builtin: bool,
    /// The whole payload, for `qTfV`.
    pub text: Vec<u8>,
}

/// The notes of `QTNotes`: `user:HEX;notes:HEX;tstop:HEX;`, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    pub user: Option<Vec<u8>>,
    pub notes: Option<Vec<u8>>,
    pub stop: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed tracepoint packet")]
pub struct Malformed;

type Parsed<T> = Result<T, Malformed>;

/// Split at the first `sep`.
fn split(text: &[u8], sep: u8) -> Parsed<(&[u8], &[u8])> {
    let i = text.iter().position(|&b| b == sep).ok_or(Malformed)?;
    Ok((&text[..i], &text[i + 1..]))
}

fn number(text: &[u8]) -> Parsed<u64> {
    hex::parse_u64(text).ok_or(Malformed)
}

fn small<T: TryFrom<u64>>(text: &[u8]) -> Parsed<T> {
    T::try_from(number(text)?).map_err(|_| Malformed)
}

/// Hex digits at the start of `text`, and the rest.
fn leading_hex(text: &[u8]) -> (&[u8], &[u8]) {
    let n = text.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    text.split_at(n)
}

/// `LEN,BYTES` (LEN bytes as 2*LEN hex digits), and what follows.
fn counted_bytes(text: &[u8]) -> Parsed<(Vec<u8>, &[u8])> {
    let (len, rest) = split(text, b',')?;
    let len = usize::try_from(number(len)?).map_err(|_| Malformed)?;
    let digits = len.checked_mul(2).ok_or(Malformed)?;
    let bytes = rest.get(..digits).ok_or(Malformed)?;
    Ok((hex::decode(bytes).ok_or(Malformed)?, &rest[digits..]))
}

/// Strip a trailing `-` (more packets follow).
fn more(text: &[u8]) -> (&[u8], bool) {
    match text.strip_suffix(b"-") {
        Some(rest) => (rest, true),
        None => (text, false),
    }
}

/// Either form of `QTDP:` (the bytes after the colon).
pub enum Qtdp {
    Define(Definition),
    Actions(ActionPacket),
}

pub fn parse_qtdp(args: &[u8]) -> Parsed<Qtdp> {
    match args.strip_prefix(b"-") {
        Some(rest) => parse_actions(rest).map(Qtdp::Actions),
        None => parse_definition(args).map(Qtdp::Define),
    }
}

fn parse_definition(args: &[u8]) -> Parsed<Definition> {
    let (args, more) = more(args);
    let (num, rest) = split(args, b':')?;
    let (addr, rest) = split(rest, b':')?;
    let (ena, rest) = split(rest, b':')?;
    let enabled = match ena {
        b"E" => true,
        b"D" => false,
        _ => return Err(Malformed),
    };
    let (step, mut rest) = split(rest, b':')?;
    let (pass, options) = match rest.iter().position(|&b| b == b':') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, &b""[..]),
    };
    let mut definition = Definition {
        number: small(num)?,
        addr: number(addr)?,
        enabled,
        step_count: number(step)?,
        pass_count: number(pass)?,
        condition: None,
        needs_agent: false,
        more,
    };
    rest = options;
    while let Some(option) = rest.strip_prefix(b":") {
        match option.split_first() {
            Some((b'F', tail)) => {
                definition.needs_agent = true;
                rest = leading_hex(tail).1;
            }
            Some((b'S', tail)) => {
                definition.needs_agent = true;
                rest = tail;
            }
            Some((b'X', tail)) => {
                let (code, tail) = counted_bytes(tail)?;
                definition.condition = Some(code);
                rest = tail;
            }
            _ => return Err(Malformed),
        }
    }
    if !rest.is_empty() {
        return Err(Malformed);
    }
    Ok(definition)
}

fn parse_actions(args: &[u8]) -> Parsed<ActionPacket> {
    let (args, more) = more(args);
    let (num, rest) = split(args, b':')?;
    let (addr, text) = split(rest, b':')?;
    let (stepping, text) = match text.strip_prefix(b"S") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    Ok(ActionPacket {
        number: small(num)?,
        addr: number(addr)?,
        stepping,
        actions: parse_action_list(text)?,
        text: text.to_vec(),
        more,
    })
}

/// Actions back to back: `R...`, `M...`, `X...`.
pub fn parse_action_list(mut text: &[u8]) -> Parsed<Vec<Action>> {
    let mut actions = Vec::new();
    while let Some((&kind, tail)) = text.split_first() {
        match kind {
            b'R' => {
                let (mask, tail) = leading_hex(tail);
                if mask.is_empty() {
                    return Err(Malformed);
                }
                actions.push(Action::Registers);
                text = tail;
            }
            b'M' => {
                let (base, tail) = split(tail, b',')?;
                let base = match base {
                    b"-1" => None,
                    _ => Some(small(base)?),
                };
                let (offset, tail) = split(tail, b',')?;
                let (len, tail) = leading_hex(tail);
                actions.push(Action::Memory {
                    base,
                    offset: number(offset)?,
                    len: number(len)?,
                });
                text = tail;
            }
            b'X' => {
                let (code, tail) = counted_bytes(tail)?;
                actions.push(Action::Expression(code));
                text = tail;
            }
            _ => return Err(Malformed),
        }
    }
    Ok(actions)
}

/// `QTDPsrc:N:ADDR:TYPE:START:SLEN:HEX`: the tracepoint's number and
/// address (the whole payload is kept for upload).
pub fn parse_source(args: &[u8]) -> Parsed<(u32, u64)> {
    let (num, rest) = split(args, b':')?;
    let (addr, rest) = split(rest, b':')?;
    let (kind, rest) = split(rest, b':')?;
    if !matches!(kind, b"at" | b"cond" | b"cmd") {
        return Err(Malformed);
    }
    let (start, rest) = split(rest, b':')?;
    let (len, text) = split(rest, b':')?;
    number(start)?;
    number(len)?;
    hex::decode(text).ok_or(Malformed)?;
    Ok((small(num)?, number(addr)?))
}

pub fn parse_variable(args: &[u8]) -> Parsed<VariableDefinition> {
    let (num, rest) = split(args, b':')?;
    let (value, rest) = split(rest, b':')?;
    let (builtin, name) = split(rest, b':')?;
    hex::decode(name).ok_or(Malformed)?;
    Ok(VariableDefinition {
        number: small(num)?,
        initial: number(value)?,
        builtin: match builtin {
            b"0" => false,
            b"1" => true,
            _ => return Err(Malformed),
        },
        text: args.to_vec(),
    })
}

pub fn parse_frame(args: &[u8]) -> Parsed<FrameQuery> {
    let range = |rest: &[u8]| -> Parsed<(u64, u64)> {
        let (start, end) = split(rest, b':')?;
        Ok((number(start)?, number(end)?))
    };
    if let Some(rest) = args.strip_prefix(b"pc:") {
        return Ok(FrameQuery::Pc(number(rest)?));
    }
    if let Some(rest) = args.strip_prefix(b"tdp:") {
        return Ok(FrameQuery::Tracepoint(small(rest)?));
    }
    if let Some(rest) = args.strip_prefix(b"range:") {
        let (start, end) = range(rest)?;
        return Ok(FrameQuery::Range(start, end));
    }
    if let Some(rest) = args.strip_prefix(b"outside:") {
        let (start, end) = range(rest)?;
        return Ok(FrameQuery::Outside(start, end));
    }
    if args == b"-1" || args == b"ffffffff" {
        return Ok(FrameQuery::Number(None));
    }
    Ok(FrameQuery::Number(Some(number(args)?)))
}

/// `qTBuffer:OFFSET,LEN`.
pub fn parse_buffer_read(args: &[u8]) -> Parsed<(u64, u64)> {
    let (offset, len) = split(args, b',')?;
    Ok((number(offset)?, number(len)?))
}

/// `QTBuffer:size:N` (`-1`: the default).
pub fn parse_buffer_size(args: &[u8]) -> Parsed<Option<u64>> {
    match args {
        b"-1" => Ok(None),
        _ => number(args).map(Some),
    }
}

/// `qTP:N:ADDR`, `QTEnable:N:ADDR`, `QTDisable:N:ADDR`.
pub fn parse_tracepoint_id(args: &[u8]) -> Parsed<(u32, u64)> {
    let (num, addr) = split(args, b':')?;
    Ok((small(num)?, number(addr)?))
}

/// `QTro:START,END:START,END...`.
pub fn parse_readonly(args: &[u8]) -> Parsed<Vec<(u64, u64)>> {
    args.split(|&b| b == b':')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (start, end) = split(part, b',')?;
            Ok((number(start)?, number(end)?))
        })
        .collect()
}

/// `0` or `1`.
pub fn parse_flag(args: &[u8]) -> Parsed<bool> {
    match args {
        b"0" => Ok(false),
        b"1" => Ok(true),
        _ => Err(Malformed),
    }
}

pub fn parse_notes(args: &[u8]) -> Parsed<Notes> {
    let mut notes = Notes::default();
    for part in args.split(|&b| b == b';').filter(|p| !p.is_empty()) {
        let (key, value) = split(part, b':')?;
        let value = hex::decode(value).ok_or(Malformed)?;
        match key {
            b"user" => notes.user = Some(value),
            b"notes" => notes.notes = Some(value),
            b"tstop" => notes.stop = Some(value),
            _ => return Err(Malformed),
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_names() {
        for (body, which, args) in [
            (&b"QTinit"[..], TracePacket::Init, &b""[..]),
            (
                b"QTDPsrc:1:10:at:0:1:61",
                TracePacket::Source,
                b"1:10:at:0:1:61",
            ),
            (b"QTDP:-1:10:R1", TracePacket::Define, b"-1:10:R1"),
            (b"QTBuffer:size:-1", TracePacket::BufferSize, b"-1"),
            (b"qTBuffer:0,10", TracePacket::ReadBuffer, b"0,10"),
            (b"qTsV", TracePacket::NextVariable, b""),
        ] {
            assert_eq!(packet(body), Some((which, args)));
        }
        assert_eq!(packet(b"QTinitX"), None);
        assert_eq!(packet(b"qTMinFTPILen"), None);
        assert_eq!(packet(b"QTSave:2f"), None);
    }

    #[test]
    fn definitions() {
        let Ok(Qtdp::Define(d)) = parse_qtdp(b"1:0000555555555150:E:0:0-") else {
            panic!("a definition");
        };
        assert_eq!(
            d,
            Definition {
                number: 1,
                addr: 0x5555_5555_5150,
                enabled: true,
                step_count: 0,
                pass_count: 0,
                condition: None,
                needs_agent: false,
                more: true,
            }
        );
        let Ok(Qtdp::Define(d)) = parse_qtdp(b"2:10:D:3:5:X3,220127") else {
            panic!("a definition");
        };
        assert!(!d.enabled && !d.more);
        assert_eq!((d.step_count, d.pass_count), (3, 5));
        assert_eq!(d.condition, Some(vec![0x22, 0x01, 0x27]));
        let Ok(Qtdp::Define(d)) = parse_qtdp(b"2:10:E:0:0:F5") else {
            panic!("a definition");
        };
        assert!(d.needs_agent);
        for bad in [
            &b"1:10:Q:0:0"[..],
            b"1:10:E:0",
            b"1:zz:E:0:0",
            b"1:10:E:0:0:X4,22",
            b"1:10:E:0:0:Y",
            b"100000000:10:E:0:0",
            b"",
        ] {
            assert!(parse_qtdp(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn actions() {
        let packet = b"-1:0000555555555150:M-1,555555558030,14X0000000F,26000622100222ec16080222040c27X00000008,2c00022e00022927";
        let Ok(Qtdp::Actions(a)) = parse_qtdp(packet) else {
            panic!("actions");
        };
        assert_eq!(
            (a.number, a.addr, a.stepping, a.more),
            (1, 0x5555_5555_5150, false, false)
        );
        assert_eq!(a.actions.len(), 3);
        assert_eq!(
            a.actions[0],
            Action::Memory {
                base: None,
                offset: 0x5555_5555_8030,
                len: 0x14
            }
        );
        assert!(matches!(&a.actions[1], Action::Expression(code) if code.len() == 15));
        let Ok(Qtdp::Actions(a)) = parse_qtdp(b"-1:10:SR0fff-") else {
            panic!("actions");
        };
        assert!(a.stepping && a.more);
        assert_eq!(a.actions, vec![Action::Registers]);
        assert_eq!(a.text, b"R0fff");
        let Ok(Qtdp::Actions(a)) = parse_qtdp(b"-1:10:M6,fffffffffffffff0,8") else {
            panic!("actions");
        };
        assert_eq!(
            a.actions,
            vec![Action::Memory {
                base: Some(6),
                offset: 0xffff_ffff_ffff_fff0,
                len: 8
            }]
        );
        for bad in [
            &b"-1:10:Q"[..],
            b"-1:10:R",
            b"-1:10:X2,27",
            b"-1:10:Mzz,1,1",
            b"-1",
        ] {
            assert!(parse_qtdp(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn frames() {
        assert_eq!(parse_frame(b"0"), Ok(FrameQuery::Number(Some(0))));
        assert_eq!(parse_frame(b"-1"), Ok(FrameQuery::Number(None)));
        assert_eq!(parse_frame(b"pc:401000"), Ok(FrameQuery::Pc(0x401000)));
        assert_eq!(parse_frame(b"tdp:2"), Ok(FrameQuery::Tracepoint(2)));
        assert_eq!(
            parse_frame(b"range:10:20"),
            Ok(FrameQuery::Range(0x10, 0x20))
        );
        assert_eq!(
            parse_frame(b"outside:10:20"),
            Ok(FrameQuery::Outside(0x10, 0x20))
        );
        for bad in [&b"pc:"[..], b"range:10", b"x", b"tdp:zz", b""] {
            assert!(
                parse_frame(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn variables_sources_and_settings() {
        let v = parse_variable(b"2:0000000000000005:0:68697473").unwrap();
        assert_eq!((v.number, v.initial, v.builtin), (2, 5, false));
        assert!(parse_variable(b"2:5:2:68").is_err());
        assert!(parse_variable(b"2:5:0:6").is_err());
        assert_eq!(
            parse_source(b"1:555555555150:at:0:6:7265636f7264"),
            Ok((1, 0x5555_5555_5150))
        );
        assert!(parse_source(b"1:10:what:0:1:61").is_err());
        assert_eq!(parse_buffer_read(b"0,7d0"), Ok((0, 0x7d0)));
        assert_eq!(parse_buffer_size(b"-1"), Ok(None));
        assert_eq!(parse_buffer_size(b"1000"), Ok(Some(0x1000)));
        assert_eq!(
            parse_readonly(b"0318,0334:0338,0358"),
            Ok(vec![(0x318, 0x334), (0x338, 0x358)])
        );
        assert!(parse_readonly(b"0318").is_err());
        assert_eq!(parse_flag(b"1"), Ok(true));
        assert!(parse_flag(b"2").is_err());
        let notes = parse_notes(b"user:6d65;notes:;tstop:6279;").unwrap();
        assert_eq!(notes.user, Some(b"me".to_vec()));
        assert_eq!(notes.notes, Some(Vec::new()));
        assert_eq!(notes.stop, Some(b"by".to_vec()));
        assert!(parse_notes(b"other:00").is_err());
        assert_eq!(
            parse_tracepoint_id(b"1:555555555150"),
            Ok((1, 0x5555_5555_5150))
        );
    }
}
