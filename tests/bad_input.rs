//! Malformed input: bad checksums, bad hex, absurd lengths, unknown threads
//! and registers, truncated and oversized packets, binary junk. Every packet
//! gets an error reply (or an empty one when unknown), the session goes on,
//! the server never panics and the target is never changed.
//!
//! A raw protocol client talks to the server directly (gdb would never send
//! any of this): first a curated list, then a seeded pseudo-random fuzz loop
//! over a grammar of real packet prefixes with mangled arguments, and junk
//! bytes between packets. Nothing it sends may legitimately resume, end or
//! change anything (no k, D, vKill, vRun, vAttach, c/s/vCont that could run
//! a thread, writes to mapped memory or registers, monitor exit).
//!
//! `BAD_INPUT_FUZZ_COUNT=N` fuzzes exactly N inputs (default: up to 3000 in
//! a time budget); `BAD_INPUT_FUZZ_SEED=N` picks another sequence.

mod common;

use common::rsp::{checksum, frame, show, Client, Token, REPLY_TIMEOUT};
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// bad_input's own probe, on the common client.
impl Client {
    /// Two probes with distinct replies: the session answers, in step.
    #[track_caller]
    fn assert_in_step(&mut self, after: &[u8]) {
        let reply = self.request(b"vMustReplyEmpty");
        assert!(
            reply.is_empty(),
            "vMustReplyEmpty after {}: got {}",
            show(after),
            show(&reply)
        );
        // A document we serve with or without a process (target.xml is an
        // error while there is none, as with gdbserver).
        let reply = self.request(b"qXfer:osdata:read::0,5");
        assert_eq!(
            reply,
            b"m<osda",
            "osdata probe after {}: got {}",
            show(after),
            show(&reply)
        );
    }
}

// ---------------------------------------------------------------------------
// What replies are acceptable
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// `Exx`, `E.msg`, or a Host I/O error `F-1,errno`.
    Error,
    /// Unknown or unsupported packet.
    Empty,
    ErrorOrEmpty,
    /// A no-op that may succeed.
    ErrorOrOk,
    /// Anything well-formed.
    Any,
}

fn is_error(reply: &[u8]) -> bool {
    let hex = |b: &u8| b.is_ascii_hexdigit();
    (reply.len() == 3 && reply[0] == b'E' && reply[1..].iter().all(hex))
        || reply.starts_with(b"E.")
        || reply.starts_with(b"F-1,")
}

fn acceptable(want: Want, reply: &[u8]) -> bool {
    match want {
        Want::Error => is_error(reply),
        Want::Empty => reply.is_empty(),
        Want::ErrorOrEmpty => reply.is_empty() || is_error(reply),
        Want::ErrorOrOk => reply == b"OK" || is_error(reply),
        Want::Any => true,
    }
}

/// Malformed packets for any session, process or not.
fn curated() -> Vec<(Vec<u8>, Want)> {
    use Want::*;
    let list: &[(&[u8], Want)] = &[
        // Memory reads: absurd lengths and addresses, bad hex, missing fields.
        (b"m0,ffffffffffffffff", Error),
        (b"mffffffffffffffff,ffffffffffffffff", Error),
        (b"m12", Error),
        (b"m", Error),
        (b"m,4", Error),
        (b"m0,", Error),
        (b"mzz,4", Error),
        (b"m0,zz", Error),
        (b"m10000000000000000,1", Error),
        (b"m-1,1", Error),
        // Binary reads, the same.
        (b"x0,ffffffffffffffff", Error),
        (b"xffffffffffffffff,ffffffffffffffff", Error),
        (b"x12", Error),
        (b"x", Error),
        (b"x,4", Error),
        (b"x0,", Error),
        (b"xzz,4", Error),
        (b"x0,zz", Error),
        (b"x10000000000000000,1", Error),
        // Memory writes: never to valid memory, sizes that do not match.
        (b"M0,100000000:", Error),
        (b"M0,4:zz", Error),
        (b"M0,4", Error),
        (b"M", Error),
        (b"Mzz,1:00", Error),
        (b"M0,1:0", Error),
        (b"M0,1:0011", Error),
        (b"M0,ffffffffffffffff:00", Error),
        (b"M,1:00", Error),
        (b"M0,:00", Error),
        (b"M0,1:0g", Error),
        (b"X0,1:}", Error),
        (b"X0,2:a}", Error),
        (b"Xzz,1:a", Error),
        (b"X0,ffffffffffffffff:a", Error),
        (b"X0,100000000:", Error),
        (b"X0,1", Error),
        (b"X", Error),
        (b"X0,1:ab", Error),
        // Registers.
        (b"G", Error),
        (b"Gzz", Error),
        (b"G0", Error),
        (b"G00", Error),
        (b"p999", Error),
        (b"p", Error),
        (b"pzz", Error),
        (b"p-1", Error),
        (b"pffffffffffffffffff", Error),
        (b"P999=00", Error),
        (b"P0=zz", Error),
        (b"P0", Error),
        (b"P=00", Error),
        (b"P0=0", Error),
        (b"P0=00", Error),
        // Threads that do not exist, thread ids that do not parse.
        (b"Hgp99999.99999", Error),
        (b"Hcp99999.99999", Error),
        (b"Hg7fffffff", Error),
        (b"Hgp1.ffff", Error),
        (b"H", Error),
        (b"Hx0", Error),
        (b"Hg", Error),
        (b"Hgpzz.1", Error),
        (b"Hgp1.", Error),
        (b"Tp99999.99999", Error),
        (b"Tzz", Error),
        (b"T", Error),
        (b"vCont;c:p1.ffff", Error),
        (b"vCont;s:p1.ffff", Error),
        (b"vCont;C05:p99999.99999", Error),
        (b"vCont;S05:7fffffff", Error),
        (b"vCont;c:p1.ffff;s:p2.fffe", Error),
        (b"vCont;", Error),
        (b"vCont;x", Error),
        (b"vCont;c:zz", Error),
        (b"vCont;c:", Error),
        (b"vCont;C", Error),
        (b"vCont;Czz", Error),
        (b"vCont;t", Error),
        (b"vCont;r0", Error),
        (b"vCont;rzz,1", Error),
        // Breakpoints and watchpoints.
        (b"Z0,zz,1", Error),
        (b"Z0,0,1", Error),
        (b"Z0,1000", Error),
        (b"Z0", Error),
        (b"Z0,,", Error),
        (b"Z0,ffffffffffffffff,1", Error),
        (b"Zzz,0,1", ErrorOrEmpty),
        (b"Z9,0,1", ErrorOrEmpty),
        (b"Z2,0,zz", ErrorOrEmpty),
        // Watched lengths no debug register set can cover, some wrapping
        // past the top of the address space: refused at once.
        (b"Z2,39fe,ffffffffffffffff", Error),
        (b"Z4,1000,7fffffffffffffff", Error),
        (b"Z4,fffffffffffffff8,100", Error),
        (b"Z2,1000,21", Error),
        (b"z2,39fe,ffffffffffffffff", ErrorOrOk),
        (b"z0,zz,1", Error),
        // Removing a breakpoint that is not there changes nothing.
        (b"z0,0,1", ErrorOrOk),
        (b"z", ErrorOrEmpty),
        // qXfer with bad annexes, offsets and lengths.
        (b"qXfer:features:read:target.xml:zz,10", Error),
        (b"qXfer:features:read:target.xml:0", Error),
        (b"qXfer:features:read:target.xml:", Error),
        (b"qXfer:features:read:target.xml:0,zz", Error),
        (b"qXfer:features:read:target.xml:,", Error),
        (b"qXfer:features:read:nonexistent.xml:0,10", Error),
        (b"qXfer:features:read:target.xml:ffffffffffffffff,10", Any),
        (b"qXfer:features:read:target.xml:0,ffffffffffffffff", Any),
        (b"qXfer:osdata:read::zz,1", Error),
        (b"qXfer:osdata:read::0", Error),
        (b"qXfer:osdata:read:processes", Error),
        (b"qXfer:osdata:read:processes:ffffffffffffffff,10", Any),
        (b"qXfer:osdata:read:threads:0,ffffffffffffffff", Any),
        (b"qXfer:osdata:read:no:such:type:0,10", Any),
        (b"qXfer:threads:read::zz,1", Error),
        (b"qXfer:threads:read::0", Error),
        (b"qXfer:auxv:read::zz,10", Error),
        (b"qXfer:auxv:read::0,ffffffffffffffff", Any),
        (b"qXfer:exec-file:read:zz:0,10", Error),
        (b"qXfer:libraries-svr4:read::zz,10", Error),
        (
            b"qXfer:libraries-svr4:read::ffffffffffffffff,ffffffffffffffff",
            Any,
        ),
        (b"qXfer:memory-map:read::0,10", ErrorOrEmpty),
        (b"qXfer:bogus:read::0,10", ErrorOrEmpty),
        (b"qXfer:features:write:target.xml:0:abc", ErrorOrEmpty),
        (b"qXfer", ErrorOrEmpty),
        // Host I/O junk (never a descriptor we opened, never a write).
        (b"vFile:pread:", Error),
        (b"vFile:pread:zz,1,0", Error),
        (b"vFile:pread:0", Error),
        (
            b"vFile:pread:7fffffff,ffffffffffffffff,ffffffffffffffff",
            Error,
        ),
        (b"vFile:pread:7fffffff,1,zz", Error),
        (b"vFile:close:zz", Error),
        (b"vFile:close:7fffffff", Error),
        (b"vFile:open:", Error),
        (b"vFile:open:zz,0,0", Error),
        (b"vFile:fstat:zz", Error),
        (b"vFile:setfs:zz", Error),
        (b"vFile:readlink:zz", Error),
        (b"vFile:pwrite:zz,0:a", Error),
        (b"vFile:pwrite:7fffffff,0:a", Error),
        (b"vFile:unlink:zz", Error),
        (b"vFile:bogus:1", ErrorOrEmpty),
        // Monitor commands whose hex does not decode.
        (b"qRcmd,6", Error),
        (b"qRcmd,686", Error),
        (b"qRcmd,zz", Error),
        (b"qRcmd", Any),
        // Odds and ends.
        (b"qThreadExtraInfo,zz", ErrorOrEmpty),
        (b"qAttached:zz", Error),
        (b"qSupported:\xff\xfe;;;=", Any),
        (b"q", Empty),
        (b"qZZZ", Empty),
        (b"v", Empty),
        (b"vZZZ", Empty),
        (b"Q", Empty),
        (b"QZZZ", Empty),
        (b"", Empty),
        (b"\x01\x02\x7f\xff\x00", Empty),
        (b"\x03", Empty),
        (b"J", Empty),
        (b"@", Empty),
        (b"QPassSignals:zz", ErrorOrEmpty),
        (b"QNonStop:zz", ErrorOrEmpty),
        (b"QDisableRandomization:zz", ErrorOrEmpty),
        (b"QEnvironmentHexEncoded:z", ErrorOrEmpty),
        (b"QSetWorkingDir:z", ErrorOrEmpty),
        (b"QCatchSyscalls:1;zz", ErrorOrEmpty),
        (b"qGetTLSAddr:zz", ErrorOrEmpty),
        (b"qSymbol:zz", Any),
    ];
    list.iter().map(|(b, w)| (b.to_vec(), *w)).collect()
}

/// Resume requests that make no sense without a process.
fn curated_no_process() -> Vec<(Vec<u8>, Want)> {
    let list: &[&[u8]] = &[
        b"c",
        b"s",
        b"C05",
        b"S05",
        b"vCont;c",
        b"vCont;c:-1",
        b"vCont;s:1;c",
        b"g",
        b"?",
    ];
    list.iter()
        .map(|b| {
            let want = if *b == b"?" { Want::Any } else { Want::Error };
            (b.to_vec(), want)
        })
        .collect()
}

fn run_curated(client: &mut Client, list: &[(Vec<u8>, Want)]) {
    let mut failures = Vec::new();
    for (body, want) in list {
        let reply = client.request(body);
        if !acceptable(*want, &reply) {
            failures.push(format!(
                "{} -> {} (want {want:?})",
                show(body),
                show(&reply)
            ));
        }
        client.assert_in_step(body);
    }
    assert!(
        failures.is_empty(),
        "wrong replies:\n{}",
        failures.join("\n")
    );
}

/// Framing-level faults, first with acknowledgements, then without.
fn run_framing(client: &mut Client) {
    assert!(!client.no_ack);
    let supported = client.request(b"qSupported:multiprocess+;swbreak+");
    let text = String::from_utf8_lossy(&supported).into_owned();
    let size = text
        .split(';')
        .find_map(|f| f.strip_prefix("PacketSize="))
        .map(|s| usize::from_str_radix(s, 16).unwrap())
        .unwrap_or_else(|| panic!("no PacketSize in {text}"));
    let oversized = {
        let mut p = vec![b'$'];
        p.extend(std::iter::repeat_n(b'a', size + 16));
        p.extend_from_slice(b"#00");
        p
    };

    // Bad checksums and oversized packets are NAKed.
    for bad in [&b"$m0,4#00"[..], b"$m0,4#zz", b"$g#6g", &oversized] {
        client.send_raw(bad);
        assert_eq!(
            client.recv(REPLY_TIMEOUT),
            Some(Token::Nack),
            "{}",
            show(bad)
        );
        client.assert_in_step(bad);
    }
    // A NAK asks for the last reply again.
    client.send(b"vMustReplyEmpty");
    assert_eq!(client.recv(REPLY_TIMEOUT), Some(Token::Ack));
    assert_eq!(client.recv(REPLY_TIMEOUT), Some(Token::Packet(Vec::new())));
    client.send_raw(b"-");
    assert_eq!(client.recv(REPLY_TIMEOUT), Some(Token::Packet(Vec::new())));
    // Truncated packets are dropped when the next one starts; junk between
    // packets is ignored.
    for junk in [
        &b"$m12"[..],
        b"$m12#",
        b"$m12#0",
        b"\xff\xfe\x00abc",
        b"#00",
        b"}}**",
    ] {
        client.send_raw(junk);
        client.assert_in_step(junk);
        client.assert_quiet(junk);
    }

    client.start_no_ack();
    // Without acknowledgements a mangled packet still gets a reply: gdb waits for one.
    for bad in [&b"$m0,4#00"[..], b"$m0,4#zz", &oversized] {
        client.send_raw(bad);
        let reply = client.reply(bad);
        assert!(is_error(&reply), "{} -> {}", show(bad), show(&reply));
        client.assert_in_step(bad);
        client.assert_quiet(bad);
    }
    // Stray acknowledgements are ignored; a Ctrl-C while stopped only waits
    // for the next resume (none comes here) and gets no reply.
    for junk in [
        &b"-"[..],
        b"+",
        b"---",
        b"\x03",
        b"$m12",
        b"$m12#",
        b"garbage",
    ] {
        client.send_raw(junk);
        client.assert_in_step(junk);
        client.assert_quiet(junk);
    }
}

// ---------------------------------------------------------------------------
// Fuzzing
// ---------------------------------------------------------------------------

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A hex-ish number field: sometimes sensible, often not.
fn number(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => String::new(),
        1 => "0".into(),
        2 => "-1".into(),
        3 => "ffffffffffffffff".into(),
        4 => "10000000000000000".into(),
        5 => "zz".into(),
        6 => format!("{:x}", rng.below(0x20)),
        7 => format!("{:x}", rng.next() >> rng.below(64)),
        8 => format!("{:x}g", rng.below(0x1000)),
        9 => "0x10".into(),
        10 => format!("{:0>30x}", rng.below(0x100)),
        _ => format!("{:x}", rng.below(0x10000)),
    }
}

/// An address where nothing is mapped (for writes and breakpoints), or junk.
fn bad_address(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("{:x}", rng.below(0x10000)),
        1 => format!("{:x}", 0x8000_0000_0000_0000u64 + (rng.next() >> 2)),
        2 => "zz".into(),
        3 => String::new(),
        4 => "ffffffffffffffff".into(),
        _ => format!("{:x}", 0x0000_8000_0000_0000u64 + (rng.next() >> 20)),
    }
}

/// Any address: reads may go anywhere.
fn any_address(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("{:x}", 0x5555_5555_0000u64 + rng.below(0x10000) as u64),
        1 => format!("{:x}", 0x7ffd_0000_0000u64 + (rng.next() >> 30)),
        _ => bad_address(rng),
    }
}

/// A thread id no process has (pids stop below 0x400000), or one that does not parse.
fn unknown_thread(rng: &mut Rng) -> String {
    let id = |rng: &mut Rng| format!("{:x}", 0x40_0001 + rng.below(0x7fff_0000));
    match rng.below(8) {
        0 => format!("p{}.{}", id(rng), id(rng)),
        1 => id(rng),
        2 => format!("p1.{}", id(rng)),
        3 => "p".into(),
        4 => "pzz.1".into(),
        5 => format!("p{}.", id(rng)),
        6 => "-2".into(),
        _ => format!("p{}.zz", id(rng)),
    }
}

/// Any thread id, wildcards included (harmless where nothing resumes).
fn any_thread(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => "0".into(),
        1 => "-1".into(),
        2 => "p-1.-1".into(),
        3 => "p0.0".into(),
        _ => unknown_thread(rng),
    }
}

fn hex_data(rng: &mut Rng) -> String {
    let len = rng.below(24);
    let mut s: String = (0..len)
        .map(|_| *rng.pick(b"0123456789abcdef") as char)
        .collect();
    if rng.chance(30) {
        s.push(*rng.pick(b"zg -:;,") as char);
    }
    s
}

/// Binary packet data: escapes that are right, wrong, or cut short.
fn binary_data(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(16);
    let mut v: Vec<u8> = (0..len)
        .map(|_| match rng.below(8) {
            0 => b'}',
            1 => b'*',
            _ => loop {
                let b = rng.next() as u8;
                if b != b'$' && b != b'#' {
                    break b;
                }
            },
        })
        .collect();
    if rng.chance(30) {
        v.push(b'}');
    }
    v
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// One packet body from the grammar. `live`: a process is there.
fn packet(rng: &mut Rng, live: bool) -> Vec<u8> {
    let text = match rng.below(24) {
        0 | 1 => format!(
            "{}{},{}",
            rng.pick(&["m", "x"]),
            any_address(rng),
            number(rng)
        ),
        2 => format!("M{},{}:{}", bad_address(rng), number(rng), hex_data(rng)),
        3 => {
            let mut v = format!("X{},{}:", bad_address(rng), number(rng)).into_bytes();
            v.extend(binary_data(rng));
            return v;
        }
        4 => format!(
            "g{}",
            if rng.chance(20) {
                hex_data(rng)
            } else {
                String::new()
            }
        ),
        5 => format!("G{}", hex_data(rng)),
        6 => format!("p{}", number(rng)),
        7 => match rng.below(3) {
            0 => format!("P{:x}={}", 0x100 + rng.below(0x10000), hex_data(rng)),
            1 => format!("P{}={}g", number(rng), hex_data(rng)),
            _ => format!("P{}", number(rng)),
        },
        8 => format!(
            "{}{},{},{}",
            rng.pick(&["Z", "z"]),
            rng.pick(&["0", "1", "2", "3", "4", "5", "zz", ""]),
            bad_address(rng),
            number(rng)
        ),
        9 => format!("H{}{}", rng.pick(&["g", "c", "x", ""]), any_thread(rng)),
        10 => format!("T{}", any_thread(rng)),
        11 | 12 => {
            let object = rng.pick(&[
                "features",
                "auxv",
                "threads",
                "libraries-svr4",
                "exec-file",
                "memory-map",
                "siginfo",
                "bogus",
            ]);
            let annex = rng.pick(&["", "target.xml", "zz", "1", "../../etc/passwd"]);
            format!(
                "qXfer:{object}:{}:{annex}:{},{}",
                rng.pick(&["read", "write", "zz"]),
                number(rng),
                number(rng)
            )
        }
        13 => match rng.below(3) {
            0 => format!("qRcmd,{}", hex_data(rng)),
            1 => {
                let words: &&str = rng.pick(&["help", "set", "set debug", "bogus", "", " "]);
                format!("qRcmd,{}", hex_of(words))
            }
            _ => format!("qRcmd,{}", number(rng)),
        },
        14 => {
            let q = rng.pick(&[
                "qSupported:",
                "qThreadExtraInfo,",
                "qAttached:",
                "qC",
                "qfThreadInfo",
                "qsThreadInfo",
                "qOffsets",
                "qSymbol:",
                "qTStatus",
                "qGetTLSAddr:",
                "qL",
                "qP",
                "qCRC:",
                "qSearch:memory:",
                "qHostInfo",
                "qProcessInfo",
                "qRegisterInfo",
                "qTfV",
                "qZZZ",
            ]);
            format!("{q}{}", hex_data(rng))
        }
        15 => {
            let action = rng.pick(&["c", "s", "C05", "S0b", "t", "r0,1", "Czz", "x", ""]);
            let mut text = format!("vCont;{action}:{}", unknown_thread(rng));
            if rng.chance(30) {
                text.push_str(&format!(";{action}:{}", unknown_thread(rng)));
            }
            if !live && rng.chance(30) {
                // Without a process even a real resume must fail.
                text = format!("vCont;{action}");
            }
            text
        }
        16 => "vCont?".into(),
        17 | 18 => {
            let op = rng.pick(&[
                "pread", "close", "fstat", "setfs", "readlink", "open", "pwrite", "unlink", "zz",
            ]);
            let args = match *op {
                "open" => format!("{},0,{}", hex_data(rng), number(rng)),
                "pwrite" | "unlink" => format!("zz{}", hex_data(rng)),
                "pread" => format!(
                    "{:x},{},{}",
                    0x1000 + rng.below(0x10000),
                    number(rng),
                    number(rng)
                ),
                _ => format!("{},{}", number(rng), number(rng)),
            };
            format!("vFile:{op}:{args}")
        }
        19 => rng
            .pick(&[
                "vMustReplyEmpty",
                "vStopped",
                "vCtrlC",
                "v",
                "vFlashDone",
                "vZZZ;",
            ])
            .to_string(),
        20 => {
            let q = rng.pick(&[
                "QStartNoAckMode",
                "QPassSignals:",
                "QProgramSignals:",
                "QNonStop:",
                "QDisableRandomization:",
                "QStartupWithShell:",
                "QEnvironmentHexEncoded:",
                "QEnvironmentUnset:",
                "QEnvironmentReset",
                "QSetWorkingDir:",
                "QThreadEvents:",
                "QCatchSyscalls:",
                "QAgent:",
                "QTinit",
                "QZZZ",
            ]);
            format!("{q}{}", hex_data(rng))
        }
        21 => rng
            .pick(&["?", "A", "B", "b", "bc", "bs", "d", "J", "@", "x0,1", ""])
            .to_string(),
        22 if !live => format!("{}{}", rng.pick(&["c", "s", "C05", "S05"]), number(rng)),
        _ => {
            // Raw bytes inside a well-framed packet.
            let len = rng.below(40);
            return (0..len)
                .map(|_| loop {
                    let b = rng.next() as u8;
                    if b != b'$' && b != b'#' {
                        break b;
                    }
                })
                .collect();
        }
    };
    text.into_bytes()
}

/// Change a few bytes of a packet body.
fn mutate(rng: &mut Rng, body: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(3) {
        let byte = *rng.pick(b"0fz,:;.-p}*\x00\xff=9");
        match rng.below(4) {
            0 if !body.is_empty() => {
                let i = rng.below(body.len());
                body[i] = byte;
            }
            1 => {
                let i = rng.below(body.len() + 1);
                body.insert(i, byte);
            }
            2 if !body.is_empty() => {
                body.remove(rng.below(body.len()));
            }
            _ => body.truncate(rng.below(body.len() + 1)),
        }
    }
}

/// A hex field as gdb-side parsers read it (leading zeros allowed).
fn parse_hex(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let trimmed = text.trim_start_matches('0');
    if text.is_empty() || trimmed.len() > 16 {
        return None;
    }
    if trimmed.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(trimmed, 16).ok()
}

/// Could memory be mapped at this address in a user process?
fn maybe_mapped(field: &[u8]) -> bool {
    match parse_hex(field) {
        Some(a) => (0x10000..0x8000_0000_0000).contains(&a) || a >= 0xffff_8000_0000_0000,
        // Unparseable: only safe if it really does not parse, so be strict.
        None => field.iter().all(|b| b.is_ascii_hexdigit()) && !field.is_empty(),
    }
}

/// Does this thread id possibly name a real thread (or all of them)?
fn maybe_real_thread(id: &[u8]) -> bool {
    let tid = match id.strip_prefix(b"p") {
        Some(rest) => match rest.iter().position(|&b| b == b'.') {
            Some(dot) => &rest[dot + 1..],
            // `pPID` alone means all threads of PID.
            None => return true,
        },
        None => id,
    };
    if tid.starts_with(b"-") {
        return true;
    }
    match parse_hex(tid) {
        Some(t) => t < 0x40_0000,
        None => tid.iter().all(|b| b.is_ascii_hexdigit()),
    }
}

fn field(body: &[u8], start: usize, seps: &[u8]) -> Vec<u8> {
    body.get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| !seps.contains(b))
        .copied()
        .collect()
}

/// Would this packet, if the server took it at face value, change or end the
/// session or the target? Conservative: when in doubt, yes.
fn unsafe_packet(body: &[u8], live: bool) -> bool {
    let Some(&first) = body.first() else {
        return false;
    };
    let starts = |p: &[u8]| body.starts_with(p);
    // Session enders and legacy single-letter control packets.
    if b"kDR!iIrt".contains(&first)
        || starts(b"vKill")
        || starts(b"vRun")
        || starts(b"vAttach")
        || starts(b"vStopped")
        || starts(b"QNonStop")
        || starts(b"qRcmd")
            && std::str::from_utf8(&body[5..])
                .ok()
                .and_then(|h| h.strip_prefix(','))
                .is_some_and(|h| {
                    let bytes: Option<Vec<u8>> = (0..h.len() / 2)
                        .map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
                        .collect();
                    let text = String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned();
                    text.contains("exit") || text.contains("set")
                })
    {
        return true;
    }
    // Host I/O that writes or removes files.
    if starts(b"vFile:") {
        let op = field(body, 6, b":");
        let args = body.get(7 + op.len()..).unwrap_or_default();
        return match op.as_slice() {
            // Read-only opens only.
            b"open" => {
                let flags = field(args, field(args, 0, b",").len() + 1, b",");
                flags.iter().all(|b| b.is_ascii_hexdigit()) && parse_hex(&flags) != Some(0)
            }
            // Only with a descriptor or file name that does not parse.
            b"pwrite" | b"unlink" => field(args, 0, b",:").iter().all(|b| b.is_ascii_hexdigit()),
            _ => false,
        };
    }
    if !live {
        return false;
    }
    // Resuming, with a live process.
    if b"cCsS".contains(&first) {
        return true;
    }
    if starts(b"vCont") && !starts(b"vCont?") {
        let actions = body.get(6..).unwrap_or_default();
        return actions.split(|&b| b == b';').any(|action| {
            match action.iter().position(|&b| b == b':') {
                Some(colon) => maybe_real_thread(&action[colon + 1..]),
                None => true,
            }
        });
    }
    match first {
        b'M' | b'X' | b'Z' | b'z' => {
            let start = if first == b'Z' || first == b'z' {
                body.iter()
                    .position(|&b| b == b',')
                    .map_or(body.len(), |i| i + 1)
            } else {
                1
            };
            maybe_mapped(&field(body, start, b",:"))
        }
        b'G' => body.len() > 64 && body[1..].iter().all(|b| b.is_ascii_hexdigit()),
        b'P' => {
            let reg = field(body, 1, b"=");
            let value = body.get(reg.len() + 2..).unwrap_or_default();
            parse_hex(&reg).is_none_or(|r| r < 0x100)
                && value.iter().all(|b| b.is_ascii_hexdigit())
                && value.len() % 2 == 0
                && !value.is_empty()
        }
        _ => false,
    }
}

/// Bytes outside or across packet boundaries: acks, NAKs, Ctrl-C, cut-off
/// packets, stray `#`, escapes, high bytes.
fn garbage(rng: &mut Rng) -> Vec<u8> {
    let len = 1 + rng.below(80);
    (0..len)
        .map(|_| match rng.below(10) {
            0 => *rng.pick(b"$#}*+-\x03"),
            1..=3 => *rng.pick(b"0123456789abcdefmMgGpPZzqv,:;="),
            _ => rng.next() as u8,
        })
        .collect()
}

/// Does this byte stream hold a complete packet with a valid checksum?
fn holds_packet(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'$'
            && bytes[i + 1..]
                .iter()
                .position(|&c| c == b'#')
                .is_some_and(|h| {
                    let body = &bytes[i + 1..i + 1 + h];
                    let sum = bytes.get(i + 2 + h..i + 4 + h);
                    sum.and_then(parse_hex) == Some(checksum(body) as u64)
                })
    })
}

/// The fuzz loop: a few thousand generated packets and junk, one reply each,
/// the session checked in step as it goes.
fn fuzz(client: &mut Client, seed: u64, live: bool) {
    let (count, budget) = fuzz_count();
    // BAD_INPUT_FUZZ_SEED=N explores another sequence.
    let seed = std::env::var("BAD_INPUT_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .map_or(seed, |n| {
            seed.wrapping_add(n.wrapping_mul(0xd1b5_4a32_d192_ed03)) | 1
        });
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut sent = 0;
    let in_budget = |sent| sent < FUZZ_MIN_COUNT || budget.is_none_or(|b| started.elapsed() < b);
    while sent < count && in_budget(sent) {
        if rng.chance(12) {
            let junk = garbage(&mut rng);
            if holds_packet(&junk) {
                continue;
            }
            client.send_raw(&junk);
            // Whatever the junk held ends at the next `$`: cut-off packets
            // are dropped, mangled ones answered with errors.
            client.send(b"vMustReplyEmpty");
            loop {
                let reply = client.reply(&junk);
                if reply.is_empty() {
                    break;
                }
                assert!(is_error(&reply), "junk {} -> {}", show(&junk), show(&reply));
            }
            client.assert_in_step(&junk);
        } else {
            let mut body = packet(&mut rng, live);
            if rng.chance(35) {
                mutate(&mut rng, &mut body);
            }
            if unsafe_packet(&body, live) || body.contains(&b'$') || body.contains(&b'#') {
                continue;
            }
            let _ = client.request(&body);
            if sent % 64 == 0 {
                client.assert_in_step(&body);
            }
        }
        sent += 1;
    }
    client.assert_in_step(b"(end of fuzzing)");
    client.assert_quiet(b"(end of fuzzing)");
    eprintln!(
        "fuzzed {sent} inputs (seed {seed:#x}) in {:?}",
        started.elapsed()
    );
}

/// Run `body`; if it fails, show what the server said.
fn with_server_log(server: &mut Server, body: impl FnOnce(&mut Server)) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(server)));
    if let Err(panic) = result {
        eprintln!("--- server stderr ---\n{}", server.stderr());
        std::panic::resume_unwind(panic);
    }
}

/// How many inputs each fuzz loop sends: up to 3000, stopping early after
/// `FUZZ_TIME_BUDGET` (but not before `FUZZ_MIN_COUNT` inputs) to keep the
/// test quick on a slow or busy machine, where every packet gdbstub parses
/// costs a few milliseconds in a debug build. The sequence is seeded, so a
/// failure reproduces as long as the run gets that far. `BAD_INPUT_FUZZ_COUNT=N`
/// sends exactly N, however long it takes.
fn fuzz_count() -> (usize, Option<Duration>) {
    match std::env::var("BAD_INPUT_FUZZ_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(n) => (n, None),
        None => (3000, Some(FUZZ_TIME_BUDGET)),
    }
}

const FUZZ_TIME_BUDGET: Duration = Duration::from_secs(10);
const FUZZ_MIN_COUNT: usize = 500;

/// rgdbserver on a program, stopped at its first instruction. Always ours,
/// whatever RGDBSERVER_TEST_SERVER says: GNU gdbserver fails much of this.
fn launch(prog: &Path) -> Server {
    let args = ["--once", "127.0.0.1:0", prog.to_str().unwrap()];
    Server::start(&rgdbserver_binary(), &args)
}

fn assert_no_panic(server: &Server) {
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "server panicked:\n{stderr}");
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// `--multi` with no process at all.
#[test]
fn malformed_packets_without_a_process() {
    let mut server = Server::start(&rgdbserver_binary(), &["--multi", "127.0.0.1:0"]);
    with_server_log(&mut server, no_process_session);
}

fn no_process_session(server: &mut Server) {
    let mut client = Client::connect(server.port);
    run_framing(&mut client);
    let mut list = curated();
    list.extend(curated_no_process());
    run_curated(&mut client, &list);
    fuzz(&mut client, 0x9e37_79b9_7f4a_7c15, false);
    assert!(server.wait_exit(Duration::ZERO).is_none(), "server exited");
    assert_no_panic(server);
    // A fresh connection still works after this one goes.
    drop(client);
    let mut client = Client::connect(server.port);
    client.start_no_ack();
    client.assert_in_step(b"(reconnect)");
    assert_no_panic(server);
}

/// Every readable mapping of the process, for a before/after comparison.
fn memory_snapshot(pid: i32) -> Vec<(String, Vec<u8>)> {
    use std::os::unix::fs::FileExt;
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    maps.lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.starts_with('r'))
        })
        .filter(|l| !l.contains("[vvar") && !l.contains("[vsyscall]"))
        .filter_map(|l| {
            let range = l.split_whitespace().next()?;
            let (start, end) = range.split_once('-')?;
            let start = u64::from_str_radix(start, 16).ok()?;
            let end = u64::from_str_radix(end, 16).ok()?;
            let mut buf = vec![0u8; (end - start) as usize];
            mem.read_exact_at(&mut buf, start).ok()?;
            Some((l.to_string(), buf))
        })
        .collect()
}

/// The program's executable mapping and its bytes as the file has them.
fn code_segment(pid: i32, prog: &Path) -> (u64, Vec<u8>) {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let line = maps
        .lines()
        .find(|l| l.contains(prog.to_str().unwrap()) && l.contains("r-xp"))
        .unwrap_or_else(|| panic!("no code mapping in\n{maps}"));
    let mut fields = line.split_whitespace();
    let (start, end) = fields.next().unwrap().split_once('-').unwrap();
    let start = u64::from_str_radix(start, 16).unwrap();
    let end = u64::from_str_radix(end, 16).unwrap();
    let offset = u64::from_str_radix(fields.nth(1).unwrap(), 16).unwrap();
    let file_len = std::fs::metadata(prog).unwrap().len();
    let len = (end - start).min(file_len - offset) as usize;
    (start, code_bytes_in_file(pid, prog, start, len))
}

/// A launched process, stopped at its first instruction.
#[test]
fn malformed_packets_leave_a_stopped_process_unchanged() {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = launch(&prog);
    let pid = server.pid.expect("pid announced");
    let _cleanup = KillOnDrop(pid);
    with_server_log(&mut server, |server| live_session(server, &prog, pid));
}

fn live_session(server: &mut Server, prog: &Path, pid: i32) {
    let (code_addr, code) = code_segment(pid, prog);
    assert_eq!(read_proc_mem(pid, code_addr, code.len()), code);
    let memory = memory_snapshot(pid);
    assert!(memory.len() > 3, "{memory:?}");

    let mut client = Client::connect(server.port);
    run_framing(&mut client);
    assert_eq!(client.request(b"Hg0"), b"OK");
    let registers = client.request(b"g");
    assert!(registers.len() > 100 && !is_error(&registers));
    let stop = client.request(b"?");
    assert!(stop.starts_with(b"T"), "{}", show(&stop));

    run_curated(&mut client, &curated());
    // Our own thread is fine; an unknown one after it is not.
    let ours = format!("Hgp{pid:x}.{pid:x}");
    assert_eq!(client.request(ours.as_bytes()), b"OK");
    let vcont = format!("vCont;c:p{pid:x}.7fffffff");
    assert!(is_error(&client.request(vcont.as_bytes())));
    fuzz(&mut client, 0x2545_f491_4f6c_dd1d, true);

    assert!(server.wait_exit(Duration::ZERO).is_none(), "server exited");
    assert_no_panic(server);
    assert_eq!(client.request(b"Hg0"), b"OK");
    assert_eq!(client.request(b"g"), registers, "registers changed");
    // The fuzzing renegotiated features: ask for thread ids as before.
    client.request(b"qSupported:multiprocess+;swbreak+");
    let stop_now = client.request(b"?");
    assert!(stop_now == stop, "stop reply changed: {}", show(&stop_now));
    assert_eq!(
        read_proc_mem(pid, code_addr, code.len()),
        code,
        "code changed"
    );
    let after = memory_snapshot(pid);
    assert_eq!(after.len(), memory.len(), "mappings changed");
    for ((map, before), (map_after, now)) in memory.iter().zip(&after) {
        assert_eq!(map, map_after);
        assert!(before == now, "memory changed in {map}");
    }
    let state = proc_status(pid, "State").unwrap();
    assert!(state.starts_with('t'), "state {state}");
    assert_eq!(
        proc_status(pid, "TracerPid").unwrap(),
        server.process_id().to_string()
    );

    // Detach: the process runs on, untraced.
    assert_eq!(client.request(b"D"), b"OK");
    assert!(
        server.wait_exit(Duration::from_secs(10)).is_some(),
        "server lingers after D"
    );
    assert_no_panic(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while proc_status(pid, "TracerPid").as_deref() != Some("0") {
        assert!(Instant::now() < deadline, "still traced");
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(100));
        assert!(pid_alive(pid), "process died after detach");
        let state = proc_status(pid, "State").unwrap();
        assert!(
            !state.starts_with('t') && !state.starts_with('T'),
            "state {state}"
        );
    }
}

/// The Ctrl-C tests' setup and ending: `loop` launched, a client connected
/// in no-ack mode for `steps` (given the process id), then vKill must end
/// the process and, with it, the server.
fn no_ack_session_on_loop_then_vkill(steps: impl FnOnce(&mut Client, i32)) {
    let (_dir, prog) = compile_in_tempdir("loop");
    let mut server = launch(&prog);
    let pid = server.pid.expect("pid announced");
    with_server_log(&mut server, |server| {
        let mut client = Client::connect(server.port);
        client.start_no_ack();
        steps(&mut client, pid);
        assert_eq!(client.request(format!("vKill;{pid:x}").as_bytes()), b"OK");
        assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    });
    assert!(!pid_alive(pid), "process survived vKill");
}

/// Ctrl-C right behind a resume packet, read by the server in one go: the
/// interrupt must not wait for more data that never comes.
#[test]
fn interrupt_in_the_same_read_as_the_resume_packet() {
    no_ack_session_on_loop_then_vkill(|client, _pid| {
        let mut bytes = frame(b"vCont;c");
        bytes.push(0x03);
        client.send_raw(&bytes);
        let stop = client.reply(b"vCont;c + Ctrl-C");
        assert!(stop.starts_with(b"T02"), "{}", show(&stop));
    });
}

/// Ctrl-C while the target is stopped, as gdb sends it between the single
/// steps of a software watchpoint: the next resume stops with SIGINT (it
/// was ignored, and gdb waited for that stop forever). Nothing is sent to
/// the program before then: a detach instead would leave it unharmed
/// (`malformed_packets_leave_a_stopped_process_unchanged` sends Ctrl-C
/// among its junk before detaching).
#[test]
fn interrupt_while_stopped_stops_the_next_resume() {
    no_ack_session_on_loop_then_vkill(|client, pid| {
        client.interrupt();
        client.assert_quiet(b"Ctrl-C while stopped");
        // Still stopped, and the session goes on.
        assert!(proc_status(pid, "State").unwrap().starts_with('t'));
        assert!(!client.request(b"g").is_empty());
        client.send(b"vCont;c");
        let stop = client.reply(b"vCont;c after Ctrl-C");
        assert!(stop.starts_with(b"T02"), "{}", show(&stop));
    });
}
