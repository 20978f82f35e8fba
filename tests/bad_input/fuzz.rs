//! The seeded fuzzer: a grammar of real packet prefixes with mangled
//! arguments, binary data with escapes, megabyte packets and junk bytes
//! between packets, run for a fixed count (the same inputs on every
//! machine), with the session checked in step as it goes.

use super::*;

/// xorshift64*: deterministic and dependency-free.
pub(super) struct Rng(u64);

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
pub(super) fn number(rng: &mut Rng) -> String {
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
pub(super) fn bad_address(rng: &mut Rng) -> String {
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
pub(super) fn any_address(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("{:x}", 0x5555_5555_0000u64 + rng.below(0x10000) as u64),
        1 => format!("{:x}", 0x7ffd_0000_0000u64 + (rng.next() >> 30)),
        _ => bad_address(rng),
    }
}

/// A thread id no process has (pids stop below 0x400000), or one that does not parse.
pub(super) fn unknown_thread(rng: &mut Rng) -> String {
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
pub(super) fn any_thread(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => "0".into(),
        1 => "-1".into(),
        2 => "p-1.-1".into(),
        3 => "p0.0".into(),
        _ => unknown_thread(rng),
    }
}

pub(super) fn hex_data(rng: &mut Rng) -> String {
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
pub(super) fn binary_data(rng: &mut Rng) -> Vec<u8> {
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

/// A packet of about a megabyte: just under or just over the largest we
/// accept (0x100000 bytes with framing), of a few families.
pub(super) fn huge_packet(rng: &mut Rng) -> Vec<u8> {
    let len = 0x100000 - 64 + rng.below(128);
    let mut body = match rng.below(4) {
        0 => format!("M{},{:x}:", bad_address(rng), len / 2).into_bytes(),
        1 => format!("X{},{:x}:", bad_address(rng), len).into_bytes(),
        2 => b"qRcmd,".to_vec(),
        _ => b"qXfer:features:read:".to_vec(),
    };
    while body.len() < len {
        body.push(*rng.pick(b"0123456789abcdef}*"));
    }
    body
}

pub(super) fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// One packet body from the grammar. `live`: a process is there.
pub(super) fn packet(rng: &mut Rng, live: bool) -> Vec<u8> {
    // Now and then a packet of a megabyte or so, on either side of the
    // largest we accept.
    if rng.below(300) == 0 {
        return huge_packet(rng);
    }
    let text = match rng.below(27) {
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
                "QThreadOptions;",
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
        // Tracepoints: mangled definitions, settings and queries.
        23 | 24 => {
            let t = rng.pick(&[
                "QTDP:",
                "QTDP:-",
                "QTDPsrc:",
                "QTDV:",
                "QTFrame:",
                "QTFrame:pc:",
                "QTFrame:tdp:",
                "QTro:",
                "QTBuffer:size:",
                "QTBuffer:circular:",
                "QTNotes:user:",
                "QTDisconnected:",
                "QTSave:",
                "QTStart",
                "QTStop",
                "qTP:",
                "qTV:",
                "qTfP",
                "qTsP",
                "qTfV",
                "qTsV",
                "qTBuffer:",
                "qTMinFTPILen",
                "QTEnable:",
                "QTDisable:",
                "qTStatus",
                "qXfer:traceframe-info:read::",
            ]);
            format!("{t}{}:{}", number(rng), hex_data(rng))
        }
        // Later and lldb's packets, and more of gdb's.
        25 => {
            let q = rng.pick(&[
                "qXfer:siginfo:write::",
                "qXfer:features:write::",
                "vFile:stat:",
                "vFile:lstat:",
                "vFlashErase:",
                "vFlashWrite:",
                "QAllow:",
                "qMemoryRegionInfo:",
                "jThreadsInfo",
                "qThreadStopInfo",
                "QThreadSuffixSupported",
                "QListThreadsInStopReply",
                "QEnableErrorStrings",
                "qShlibInfoAddr",
                "qExecAndArgs",
                "QThreadOptions;",
                "qIsAddressTagged:",
                "qMemTags:",
                "QMemTags:",
            ]);
            format!("{q}{}", hex_data(rng))
        }
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
pub(super) fn mutate(rng: &mut Rng, body: &mut Vec<u8>) {
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
pub(super) fn parse_hex(field: &[u8]) -> Option<u64> {
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
pub(super) fn maybe_mapped(field: &[u8]) -> bool {
    match parse_hex(field) {
        Some(a) => (0x10000..0x8000_0000_0000).contains(&a) || a >= 0xffff_8000_0000_0000,
        // Unparseable: only safe if it really does not parse, so be strict.
        None => field.iter().all(|b| b.is_ascii_hexdigit()) && !field.is_empty(),
    }
}

/// Does this thread id possibly name a real thread (or all of them)?
pub(super) fn maybe_real_thread(id: &[u8]) -> bool {
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

pub(super) fn field(body: &[u8], start: usize, seps: &[u8]) -> Vec<u8> {
    body.get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| !seps.contains(b))
        .copied()
        .collect()
}

/// Would this packet, if the server took it at face value, change or end the
/// session or the target? Conservative: when in doubt, yes.
pub(super) fn unsafe_packet(body: &[u8], live: bool) -> bool {
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
pub(super) fn garbage(rng: &mut Rng) -> Vec<u8> {
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
pub(super) fn holds_packet(bytes: &[u8]) -> bool {
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
pub(super) fn fuzz(client: &mut Client, seed: u64, live: bool) {
    let count = fuzz_count();
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
    let mut huge = 0;
    while sent < count {
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
            if body.len() > 0x80000 {
                huge += 1;
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
        "fuzzed {sent} inputs ({huge} of about a megabyte; seed {seed:#x}) in {:?}",
        started.elapsed()
    );
}

/// How many inputs each fuzz loop sends: a fixed count, so that every
/// machine, fast or slow, sends the same inputs (a time budget would cut a
/// slow machine's run short and hide what comes later in the sequence).
/// `BAD_INPUT_FUZZ_COUNT=N` sends N instead (longer runs on demand).
pub(super) fn fuzz_count() -> usize {
    std::env::var("BAD_INPUT_FUZZ_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(FUZZ_COUNT)
}

pub(super) const FUZZ_COUNT: usize = 1500;
