//! The packets our own layer answers, parsed from bytes into a `Command`
//! through one prefix table. Everything the table does not name goes to
//! gdbstub, the single fallback (see `session::dispatch`). Pure: no process,
//! no session state; a command's arguments stay borrowed from the packet and
//! are parsed further by the handler's own protocol module where they have
//! one (`signals`, `memory`, `qXfer` windows).
//!
//! Adding a packet of our own: one arm here (and its table row), one
//! handler, and the dispatcher's match arm (docs/architecture.md).

use super::hex;
use super::memory::Encoding;
use super::tracepoints::{self, TracePacket};

/// One packet our layer owns, with its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// `QStartNoAckMode`.
    StartNoAckMode,
    /// `vCont?`.
    VContQuery,
    /// `QNonStop:0` / `QNonStop:1`.
    NonStop(bool),
    /// `QThreadEvents:` and its argument (`0` or `1`).
    ThreadEvents(&'a [u8]),
    /// `QThreadOptions` and what follows it (`;OPTIONS[:TID]...`).
    ThreadOptions(&'a [u8]),
    /// `qExecAndArgs` (gdb 18): the program and arguments to run.
    ExecAndArgs,
    /// `vStopped`: the next queued non-stop stop reply.
    VStopped,
    /// `vCtrlC`.
    VCtrlC,
    /// `?`.
    StopReason,
    /// `qC`.
    CurrentThread,
    /// `qfThreadInfo`.
    ThreadInfoFirst,
    /// `qsThreadInfo`.
    ThreadInfoNext,
    /// `D` (None: the current process) or `D;PID`.
    Detach(Option<i32>),
    /// `qGetTLSAddr:` and its arguments.
    TlsAddress(&'a [u8]),
    /// `QCatchSyscalls:` and its arguments.
    CatchSyscalls(&'a [u8]),
    /// `m ADDR,LENGTH` (hex) or `x ADDR,LENGTH` (binary): what follows
    /// the letter, for `memory::parse_read`.
    ReadMemory(Encoding, &'a [u8]),
    /// `M ADDR,LENGTH:HEX` or `X ADDR,LENGTH:BINARY`: what follows the
    /// letter, escapes as sent, for `memory::parse_write`.
    WriteMemory(Encoding, &'a [u8]),
    /// `Z`/`z` of any type: the whole packet, for `breakpoints::parse`.
    Point(&'a [u8]),
    /// `qXfer:threads:read::OFFSET,LENGTH`.
    XferThreads(&'a [u8]),
    /// `qAttached` without a pid.
    Attached,
    /// `qXfer:osdata:read:ANNEX:OFFSET,LENGTH`.
    XferOsdata(&'a [u8]),
    /// `QPassSignals:` and its list.
    PassSignals(&'a [u8]),
    /// `QProgramSignals:` and its list.
    ProgramSignals(&'a [u8]),
    /// `qXfer:siginfo:read::OFFSET,LENGTH`.
    SiginfoRead(&'a [u8]),
    /// `qXfer:siginfo:write::OFFSET:DATA`.
    SiginfoWrite(&'a [u8]),
    /// `p N` / `P N=VALUE`: the register number's hex digits.
    Register(&'a [u8]),
    /// `qRcmd,HEX`: a monitor command, hex-encoded.
    Monitor(&'a [u8]),
    /// `vRun;PROGRAM;ARG...`: what follows `vRun;`.
    Run(&'a [u8]),
    /// lldb's `qHostInfo`.
    HostInfo,
    /// lldb's `qProcessInfo` (the current process).
    ProcessInfo,
    /// lldb's `qShlibInfoAddr`.
    ShlibInfoAddr,
    /// lldb's `qMemoryRegionInfo:ADDR`: the address's hex digits.
    MemoryRegionInfo(&'a [u8]),
    /// lldb's `QEnableErrorStrings`.
    EnableErrorStrings,
    /// `vFile:stat:HEX` (`follow_links`) or `vFile:lstat:HEX`: the
    /// filename's hex digits.
    HostStat {
        follow_links: bool,
        filename: &'a [u8],
    },
    /// `vFile:pread:` and its arguments (`FD,COUNT,OFFSET`).
    HostPread(&'a [u8]),
    /// `vFile:pwrite:` and its arguments (`FD,OFFSET,DATA`, escaped).
    HostPwrite(&'a [u8]),
    /// `qXfer:libraries-svr4:read:ANNEX:OFFSET,LENGTH`: what follows
    /// `read:`, for `protocol::svr4_annex`.
    XferLibrariesSvr4(&'a [u8]),
    /// `k`: kill every process.
    Kill,
    /// lldb's `QListThreadsInStopReply`.
    ListThreadsInStopReply,
    /// lldb's `jThreadsInfo`.
    ThreadsInfo,
    /// lldb's `qThreadStopInfoTID`: the tid's hex digits.
    ThreadStopInfo(&'a [u8]),
    /// `qMemTags:ADDR,LENGTH:TYPE`: what follows the colon, for
    /// `memory_tags::parse_read`.
    ReadMemoryTags(&'a [u8]),
    /// `QMemTags:ADDR,LENGTH:TYPE:HEXTAGS`: what follows the colon, for
    /// `memory_tags::parse_write`.
    WriteMemoryTags(&'a [u8]),
    /// `qIsAddressTagged:ADDR`: the address's hex digits.
    IsAddressTagged(&'a [u8]),
    /// A tracepoint packet (`protocol::tracepoints`) and its arguments.
    Trace(TracePacket, &'a [u8]),
    /// `g`: ours while a trace frame is selected, gdbstub's otherwise.
    ReadRegisters,
    /// `qXfer:traceframe-info:read::OFFSET,LENGTH`.
    XferTraceframeInfo(&'a [u8]),
}

/// How a table row matches a packet.
#[derive(Clone, Copy)]
enum Match {
    /// The whole packet is the key.
    Exact,
    /// The packet starts with the key; the rest is the argument.
    Prefix,
}

type Build = for<'a> fn(&'a [u8]) -> Option<Command<'a>>;

/// The one prefix table, tried in order (a longer key before a shorter key
/// that is its prefix). `Build` gets the packet after the key.
const TABLE: &[(&[u8], Match, Build)] = &[
    (b"QStartNoAckMode", Match::Exact, |_| {
        Some(Command::StartNoAckMode)
    }),
    (b"vCont?", Match::Exact, |_| Some(Command::VContQuery)),
    (b"QNonStop:1", Match::Exact, |_| {
        Some(Command::NonStop(true))
    }),
    (b"QNonStop:0", Match::Exact, |_| {
        Some(Command::NonStop(false))
    }),
    (b"QThreadEvents:", Match::Prefix, |on| {
        Some(Command::ThreadEvents(on))
    }),
    (b"QThreadOptions", Match::Prefix, |rest| {
        Some(Command::ThreadOptions(rest))
    }),
    (b"qExecAndArgs", Match::Exact, |_| {
        Some(Command::ExecAndArgs)
    }),
    (b"vStopped", Match::Exact, |_| Some(Command::VStopped)),
    (b"vCtrlC", Match::Exact, |_| Some(Command::VCtrlC)),
    (b"?", Match::Exact, |_| Some(Command::StopReason)),
    (b"qC", Match::Exact, |_| Some(Command::CurrentThread)),
    (b"qfThreadInfo", Match::Exact, |_| {
        Some(Command::ThreadInfoFirst)
    }),
    (b"qsThreadInfo", Match::Exact, |_| {
        Some(Command::ThreadInfoNext)
    }),
    (b"D", Match::Exact, |_| Some(Command::Detach(None))),
    (b"D;", Match::Prefix, |pid| {
        Some(Command::Detach(parse_pid(pid)))
    }),
    (b"qGetTLSAddr:", Match::Prefix, |args| {
        Some(Command::TlsAddress(args))
    }),
    (b"QCatchSyscalls:", Match::Prefix, |args| {
        Some(Command::CatchSyscalls(args))
    }),
    (b"qXfer:threads:read::", Match::Prefix, |w| {
        Some(Command::XferThreads(w))
    }),
    (b"qAttached", Match::Exact, |_| Some(Command::Attached)),
    (b"qXfer:osdata:read:", Match::Prefix, |args| {
        Some(Command::XferOsdata(args))
    }),
    (b"QPassSignals:", Match::Prefix, |list| {
        Some(Command::PassSignals(list))
    }),
    (b"QProgramSignals:", Match::Prefix, |list| {
        Some(Command::ProgramSignals(list))
    }),
    (b"qXfer:siginfo:read::", Match::Prefix, |w| {
        Some(Command::SiginfoRead(w))
    }),
    (b"qXfer:siginfo:write::", Match::Prefix, |args| {
        Some(Command::SiginfoWrite(args))
    }),
    (b"qRcmd,", Match::Prefix, |hex| Some(Command::Monitor(hex))),
    (b"vRun;", Match::Prefix, |rest| Some(Command::Run(rest))),
    (b"qHostInfo", Match::Exact, |_| Some(Command::HostInfo)),
    (b"qProcessInfo", Match::Exact, |_| {
        Some(Command::ProcessInfo)
    }),
    (b"qShlibInfoAddr", Match::Exact, |_| {
        Some(Command::ShlibInfoAddr)
    }),
    (b"qMemoryRegionInfo:", Match::Prefix, |addr| {
        Some(Command::MemoryRegionInfo(addr))
    }),
    (b"QEnableErrorStrings", Match::Exact, |_| {
        Some(Command::EnableErrorStrings)
    }),
    (b"vFile:stat:", Match::Prefix, |filename| {
        Some(Command::HostStat {
            follow_links: true,
            filename,
        })
    }),
    (b"vFile:lstat:", Match::Prefix, |filename| {
        Some(Command::HostStat {
            follow_links: false,
            filename,
        })
    }),
    (b"vFile:pread:", Match::Prefix, |args| {
        Some(Command::HostPread(args))
    }),
    (b"vFile:pwrite:", Match::Prefix, |args| {
        Some(Command::HostPwrite(args))
    }),
    (b"qXfer:libraries-svr4:read:", Match::Prefix, |args| {
        Some(Command::XferLibrariesSvr4(args))
    }),
    (b"k", Match::Exact, |_| Some(Command::Kill)),
    (b"QListThreadsInStopReply", Match::Exact, |_| {
        Some(Command::ListThreadsInStopReply)
    }),
    (b"jThreadsInfo", Match::Exact, |_| {
        Some(Command::ThreadsInfo)
    }),
    (b"qThreadStopInfo", Match::Prefix, |tid| {
        Some(Command::ThreadStopInfo(tid))
    }),
    (b"qMemTags:", Match::Prefix, |args| {
        Some(Command::ReadMemoryTags(args))
    }),
    (b"QMemTags:", Match::Prefix, |args| {
        Some(Command::WriteMemoryTags(args))
    }),
    (b"qIsAddressTagged:", Match::Prefix, |addr| {
        Some(Command::IsAddressTagged(addr))
    }),
    (b"qXfer:traceframe-info:read::", Match::Prefix, |w| {
        Some(Command::XferTraceframeInfo(w))
    }),
    (b"g", Match::Exact, |_| Some(Command::ReadRegisters)),
    (b"p", Match::Prefix, |args| {
        Some(Command::Register(register_number(args)))
    }),
    (b"P", Match::Prefix, |args| {
        Some(Command::Register(register_number(args)))
    }),
];

/// The register number of `p N` / `P N=VALUE`.
fn register_number(args: &[u8]) -> &[u8] {
    &args[..args.iter().position(|&b| b == b'=').unwrap_or(args.len())]
}

fn parse_pid(text: &[u8]) -> Option<i32> {
    hex::parse_u64(text).and_then(|p| i32::try_from(p).ok())
}

impl<'a> Command<'a> {
    /// The command a packet body asks for, if it is one of ours.
    pub fn parse(body: &'a [u8]) -> Option<Command<'a>> {
        // `m`, `x`, `M`, `X`, `Z` and `z` have no other meaning in the
        // protocol: the whole packet is the memory access's or the
        // breakpoint's (their handlers parse it, and refuse what is
        // malformed).
        match body.split_first() {
            Some((b'Z' | b'z', _)) => return Some(Command::Point(body)),
            Some((b'm', args)) => return Some(Command::ReadMemory(Encoding::Hex, args)),
            Some((b'x', args)) => return Some(Command::ReadMemory(Encoding::Binary, args)),
            Some((b'M', args)) => return Some(Command::WriteMemory(Encoding::Hex, args)),
            Some((b'X', args)) => return Some(Command::WriteMemory(Encoding::Binary, args)),
            _ => {}
        }
        if let Some((which, args)) = tracepoints::packet(body) {
            return Some(Command::Trace(which, args));
        }
        TABLE.iter().find_map(|&(key, how, build)| match how {
            Match::Exact if body == key => build(&[]),
            Match::Prefix => body.strip_prefix(key).and_then(build),
            Match::Exact => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &[u8]) -> Option<Command<'_>> {
        Command::parse(body)
    }

    #[test]
    fn tracepoint_packets_and_frame_reads() {
        assert_eq!(
            parse(b"QTFrame:pc:10"),
            Some(Command::Trace(TracePacket::Frame, b"pc:10"))
        );
        assert_eq!(
            parse(b"qTStatus"),
            Some(Command::Trace(TracePacket::Status, b""))
        );
        assert_eq!(parse(b"g"), Some(Command::ReadRegisters));
        assert_eq!(parse(b"gx"), None);
        assert_eq!(
            parse(b"qXfer:traceframe-info:read::0,fff"),
            Some(Command::XferTraceframeInfo(b"0,fff"))
        );
    }

    #[test]
    fn exact_packets() {
        assert_eq!(parse(b"QStartNoAckMode"), Some(Command::StartNoAckMode));
        assert_eq!(parse(b"QStartNoAckModeX"), None);
        assert_eq!(parse(b"vCont?"), Some(Command::VContQuery));
        assert_eq!(parse(b"QNonStop:1"), Some(Command::NonStop(true)));
        assert_eq!(parse(b"QNonStop:0"), Some(Command::NonStop(false)));
        assert_eq!(parse(b"QNonStop:2"), None);
        assert_eq!(parse(b"?"), Some(Command::StopReason));
        assert_eq!(parse(b"qC"), Some(Command::CurrentThread));
        assert_eq!(parse(b"qfThreadInfo"), Some(Command::ThreadInfoFirst));
        assert_eq!(parse(b"qsThreadInfo"), Some(Command::ThreadInfoNext));
        assert_eq!(parse(b"qAttached"), Some(Command::Attached));
        // With a pid, gdbstub answers it.
        assert_eq!(parse(b"qAttached:1234"), None);
        assert_eq!(parse(b"qHostInfo"), Some(Command::HostInfo));
        assert_eq!(parse(b"qProcessInfo"), Some(Command::ProcessInfo));
        // lldb-platform's query of another process: not ours.
        assert_eq!(parse(b"qProcessInfoPID:1234"), None);
        assert_eq!(parse(b"k"), Some(Command::Kill));
        assert_eq!(parse(b"kill"), None);
        assert_eq!(
            parse(b"QListThreadsInStopReply"),
            Some(Command::ListThreadsInStopReply)
        );
        assert_eq!(parse(b"jThreadsInfo"), Some(Command::ThreadsInfo));
        assert_eq!(parse(b"jThreadsInfo:x"), None);
        assert_eq!(
            parse(b"qThreadStopInfo1f"),
            Some(Command::ThreadStopInfo(b"1f"))
        );
        assert_eq!(parse(b"qShlibInfoAddr"), Some(Command::ShlibInfoAddr));
        assert_eq!(parse(b"qExecAndArgs"), Some(Command::ExecAndArgs));
        assert_eq!(parse(b"qExecAndArgsX"), None);
        assert_eq!(
            parse(b"QEnableErrorStrings"),
            Some(Command::EnableErrorStrings)
        );
    }

    #[test]
    fn detach_with_and_without_pid() {
        assert_eq!(parse(b"D"), Some(Command::Detach(None)));
        assert_eq!(parse(b"D;1f"), Some(Command::Detach(Some(0x1f))));
        // A pid that is no number means the current process, as before.
        assert_eq!(parse(b"D;zz"), Some(Command::Detach(None)));
        assert_eq!(parse(b"Dx"), None);
    }

    #[test]
    fn prefixed_arguments() {
        use Encoding::{Binary, Hex};
        assert_eq!(parse(b"m10,4"), Some(Command::ReadMemory(Hex, b"10,4")));
        assert_eq!(parse(b"mzz"), Some(Command::ReadMemory(Hex, b"zz")));
        assert_eq!(parse(b"x10,4"), Some(Command::ReadMemory(Binary, b"10,4")));
        assert_eq!(parse(b"x"), Some(Command::ReadMemory(Binary, b"")));
        assert_eq!(
            parse(b"M10,1:ab"),
            Some(Command::WriteMemory(Hex, b"10,1:ab"))
        );
        assert_eq!(
            parse(b"X10,2:}]*"),
            Some(Command::WriteMemory(Binary, b"10,2:}]*"))
        );
        assert_eq!(
            parse(b"qGetTLSAddr:1,2,3"),
            Some(Command::TlsAddress(b"1,2,3"))
        );
        assert_eq!(
            parse(b"QCatchSyscalls:1;3c"),
            Some(Command::CatchSyscalls(b"1;3c"))
        );
        assert_eq!(
            parse(b"qXfer:threads:read::0,fff"),
            Some(Command::XferThreads(b"0,fff"))
        );
        assert_eq!(
            parse(b"qXfer:osdata:read:processes:0,fff"),
            Some(Command::XferOsdata(b"processes:0,fff"))
        );
        assert_eq!(
            parse(b"QPassSignals:e;f"),
            Some(Command::PassSignals(b"e;f"))
        );
        assert_eq!(
            parse(b"QProgramSignals:"),
            Some(Command::ProgramSignals(b""))
        );
        assert_eq!(
            parse(b"qXfer:siginfo:read::0,80"),
            Some(Command::SiginfoRead(b"0,80"))
        );
        assert_eq!(
            parse(b"qXfer:siginfo:write::0:ab"),
            Some(Command::SiginfoWrite(b"0:ab"))
        );
        assert_eq!(
            parse(b"QThreadOptions;0;2:p1.1"),
            Some(Command::ThreadOptions(b";0;2:p1.1"))
        );
        assert_eq!(parse(b"QThreadOptions"), Some(Command::ThreadOptions(b"")));
        assert_eq!(parse(b"p1a"), Some(Command::Register(b"1a")));
        assert_eq!(parse(b"P1a=00ff"), Some(Command::Register(b"1a")));
        assert_eq!(
            parse(b"qRcmd,68656c70"),
            Some(Command::Monitor(b"68656c70"))
        );
        assert_eq!(parse(b"vRun;70;;31"), Some(Command::Run(b"70;;31")));
        assert_eq!(parse(b"vRun;"), Some(Command::Run(b"")));
        assert_eq!(
            parse(b"qMemoryRegionInfo:7ffff7fc8000"),
            Some(Command::MemoryRegionInfo(b"7ffff7fc8000"))
        );
        assert_eq!(parse(b"qMemoryRegionInfo"), None);
        assert_eq!(
            parse(b"vFile:stat:2f61"),
            Some(Command::HostStat {
                follow_links: true,
                filename: b"2f61"
            })
        );
        assert_eq!(
            parse(b"vFile:lstat:2f61"),
            Some(Command::HostStat {
                follow_links: false,
                filename: b"2f61"
            })
        );
        assert_eq!(
            parse(b"qXfer:libraries-svr4:read::0,fff"),
            Some(Command::XferLibrariesSvr4(b":0,fff"))
        );
        assert_eq!(
            parse(b"qXfer:libraries-svr4:read:start=10;prev=8:0,fff"),
            Some(Command::XferLibrariesSvr4(b"start=10;prev=8:0,fff"))
        );
        assert_eq!(
            parse(b"qMemTags:ffff0000,10:1"),
            Some(Command::ReadMemoryTags(b"ffff0000,10:1"))
        );
        assert_eq!(
            parse(b"QMemTags:ffff0000,10:1:05"),
            Some(Command::WriteMemoryTags(b"ffff0000,10:1:05"))
        );
        assert_eq!(
            parse(b"qIsAddressTagged:ffff0000"),
            Some(Command::IsAddressTagged(b"ffff0000"))
        );
        assert_eq!(parse(b"qMemTags"), None);
        assert_eq!(parse(b"qIsAddressTagged"), None);
    }

    #[test]
    fn breakpoint_packets_are_ours_whole() {
        for body in [&b"Z0,1000,1"[..], b"z3,1000,4", b"Z2,10,8", b"Zjunk", b"z"] {
            assert_eq!(parse(body), Some(Command::Point(body)));
        }
    }

    #[test]
    fn everything_else_is_gdbstubs() {
        for body in [
            &b"G00"[..],
            b"G00",
            b"qSupported:multiprocess+",
            b"vCont;c",
            b"c",
            b"Hg0",
            b"qXfer:features:read:target.xml:0,fff",
            b"vKill;1",
            b"vFile:fstat:3",
            b"vFile:open:6a,0,0",
            b"qRcmd",
            b"vRun",
            b"vAttach;70",
            b"",
        ] {
            assert_eq!(parse(body), None, "{}", String::from_utf8_lossy(body));
        }
    }
}
