//! The curated malformed inputs and what reply each may get: framing
//! faults (NAKs, bad checksums, cut-off and oversized packets) and a list
//! of mangled packets of every family, with and without a process.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
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

pub(super) fn is_error(reply: &[u8]) -> bool {
    let hex = |b: &u8| b.is_ascii_hexdigit();
    (reply.len() == 3 && reply[0] == b'E' && reply[1..].iter().all(hex))
        || reply.starts_with(b"E.")
        || reply.starts_with(b"F-1,")
}

pub(super) fn acceptable(want: Want, reply: &[u8]) -> bool {
    match want {
        Want::Error => is_error(reply),
        Want::Empty => reply.is_empty(),
        Want::ErrorOrEmpty => reply.is_empty() || is_error(reply),
        Want::ErrorOrOk => reply == b"OK" || is_error(reply),
        Want::Any => true,
    }
}

/// Malformed packets for any session, process or not.
pub(super) fn curated() -> Vec<(Vec<u8>, Want)> {
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
        // Tracepoints: malformed definitions, frames and settings, a
        // tracepoint that does not exist, what we do not offer.
        (b"QTDP:zz", Error),
        (b"QTDP:1:10:Q:0:0", Error),
        (b"QTDP:1:10:E:0:0:X4,22", Error),
        (b"QTDP:1:10:E:0:0:F5", Error),
        (b"QTDP:-7:10:R1", Error),
        (b"QTDP:-1:10:Q", Error),
        (b"QTDPsrc:1:10:at:0:1:6", Error),
        (b"QTDV:1", Error),
        (b"QTFrame:zz", Error),
        (b"QTFrame:pc:", Error),
        (b"QTFrame:range:10", Error),
        (b"qTBuffer:zz", Error),
        (b"QTBuffer:size:zz", Error),
        (b"QTBuffer:circular:7", Error),
        (b"QTro:1", Error),
        (b"QTNotes:bad:00", Error),
        (b"qTP:1", Error),
        (b"qTV:zz", Error),
        (b"QTEnable:9:10", Error),
        (b"QTDisconnected:1", Error),
        (b"qXfer:traceframe-info:read::0,100", Error),
        (b"qGetTLSAddr:zz", ErrorOrEmpty),
        // QThreadOptions (gdb 15+): bad options, bad or absent thread ids,
        // options we do not offer, huge values.
        (b"QThreadOptions;zz", Error),
        (b"QThreadOptions;1:p-5.-1", Error),
        (b"QThreadOptions;2:p-5.-1", Error),
        (b"QThreadOptions;", Error),
        (b"QThreadOptions0", Error),
        (b"QThreadOptions;2:", Error),
        (b"QThreadOptions;:p1.1", Error),
        (b"QThreadOptions;2;", Error),
        (b"QThreadOptions;ff", Error),
        (b"QThreadOptions;10000000000000000", Error),
        (b"QThreadOptions;2:pffffffffffff.1", Error),
        (b"QThreadOptions;2:p7fffffff.7fffffff", Error),
        (b"QThreadOptions;2:p1.zz", Error),
        // qExecAndArgs takes no arguments.
        (b"qExecAndArgs:", Empty),
        (b"qExecAndArgsX", Empty),
        (b"qSymbol:zz", Any),
        // lldb's thread packets: tids that are not numbers, or nobody's.
        (b"qThreadStopInfo", Error),
        (b"qThreadStopInfozz", Error),
        (b"qThreadStopInfo-1", Error),
        (b"qThreadStopInfo7fffffff", Error),
        (b"qThreadStopInfoffffffffffffffffffff", Error),
        (b"jThreadsInfo:zz", Empty),
    ];
    let mut list: Vec<(Vec<u8>, Want)> = list.iter().map(|(b, w)| (b.to_vec(), *w)).collect();
    // Memory tagging: unknown (empty) without MTE, as GNU gdbserver's
    // x86_64 build answers even well-formed ones; an error where arm64
    // has MTE.
    let tags = if cfg!(target_arch = "aarch64") {
        ErrorOrEmpty
    } else {
        Empty
    };
    for body in [
        &b"qMemTags:"[..],
        b"qMemTags:zz,10:1",
        b"qMemTags:1000,zz:1",
        b"qMemTags:1000,10",
        b"qMemTags:1000,10:zz",
        b"qMemTags:1000,10:2",
        b"qMemTags:0,ffffffffffffffff:1",
        b"qMemTags:1000,10:1",
        b"QMemTags:",
        b"QMemTags:1000,10:1",
        b"QMemTags:1000,10:1:5",
        b"QMemTags:1000,10:1:zz",
        b"QMemTags:1000,10:2:05",
        b"QMemTags:1000,10:1:05",
        b"qIsAddressTagged:",
        b"qIsAddressTagged:zz",
        b"qIsAddressTagged:10000000000000000",
    ] {
        list.push((body.to_vec(), tags));
    }
    list
}

/// Resume requests that make no sense without a process.
pub(super) fn curated_no_process() -> Vec<(Vec<u8>, Want)> {
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

pub(super) fn run_curated(client: &mut Client, list: &[(Vec<u8>, Want)]) {
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
pub(super) fn run_framing(client: &mut Client) {
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
