//! A backtrace as text in gdb's `bt` shape, one line a frame (an inlined
//! function a frame of its own), each saying how it was found:
//! `#N  0xPC in FUNC (OBJECT) at FILE:LINE [HOW]`. For `monitor backtrace`
//! and anything else that shows traces to people.

use std::fmt::Write;

use super::{short_name, Arch, Backtrace, StopReason};

/// gdb's `bt` lines: `#N  0xPC in FUNC (OBJECT) at FILE:LINE [HOW]`, an
/// inlined function as a frame of its own, and why the walk stopped where
/// that was not the outermost frame.
pub fn gdb_style(bt: &Backtrace, arch: Arch) -> String {
    let mut out = String::new();
    let width = arch.word_size() * 2;
    let mut number = 0;
    for frame in &bt.frames {
        let symbol = &frame.symbol;
        let object = symbol
            .object
            .as_ref()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default();
        let how = frame.found_by.as_str();
        let mut names: Vec<(String, Option<String>, bool)> = symbol
            .inlined
            .iter()
            .enumerate()
            .map(|(i, (name, line))| {
                let at = line
                    .as_ref()
                    .map(|l| format!("{}:{}", short_name(l.file.as_ref()), l.line));
                (name.clone(), at, i + 1 < symbol.inlined.len())
            })
            .collect();
        if frame.signal_trampoline {
            names = vec![("<signal handler called>".to_string(), None, false)];
        }
        if names.is_empty() {
            let at = symbol
                .line
                .as_ref()
                .map(|l| format!("{}:{}", short_name(l.file.as_ref()), l.line));
            let name = symbol
                .function
                .as_ref()
                .map_or_else(|| "??".to_string(), |(n, _)| n.clone());
            names.push((name, at, false));
        }
        for (name, at, inlined) in names {
            let at = at.map(|a| format!(" at {a}")).unwrap_or_default();
            let inlined = if inlined { ", inlined" } else { "" };
            let _ = writeln!(
                out,
                "#{number:<2} 0x{pc:0width$x} in {name}{object}{at} [{how}{inlined}]",
                pc = frame.pc
            );
            number += 1;
        }
    }
    match &bt.stop {
        StopReason::Outermost | StopReason::ZeroPc => {}
        stop => {
            let _ = writeln!(out, "Backtrace stopped: {stop}.");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::unwind::{FoundBy, Frame, SourceLine, Symbolized};
    use std::path::PathBuf;

    fn frame(pc: u64, found_by: FoundBy, symbol: Symbolized) -> Frame {
        Frame {
            pc,
            sp: None,
            found_by,
            symbol,
            signal_trampoline: false,
        }
    }

    #[test]
    fn gdb_shape() {
        let prog = Some(PathBuf::from("/tmp/prog"));
        let line = |n| {
            Some(SourceLine {
                file: "/src/prog.c".into(),
                line: n,
            })
        };
        let mut signal = frame(0x7f00_0000_1000, FoundBy::Cfi, Symbolized::default());
        signal.signal_trampoline = true;
        let bt = Backtrace {
            frames: vec![
                frame(
                    0x5555_5555_5139,
                    FoundBy::Pc,
                    Symbolized {
                        object: prog.clone(),
                        function: Some(("c".into(), 9)),
                        line: line(12),
                        inlined: vec![("sq".into(), line(3)), ("c".into(), line(12))],
                    },
                ),
                frame(
                    0x5555_5555_5184,
                    FoundBy::FramePointer,
                    Symbolized {
                        object: prog.clone(),
                        function: Some(("b".into(), 20)),
                        line: None,
                        inlined: vec![],
                    },
                ),
                signal,
                frame(0x1234, FoundBy::PrologueScan, Symbolized::default()),
            ],
            stop: StopReason::Unreadable(0x10),
        };
        assert_eq!(
            gdb_style(&bt, Arch::X86_64),
            "#0  0x0000555555555139 in sq (/tmp/prog) at prog.c:3 [pc, inlined]
#1  0x0000555555555139 in c (/tmp/prog) at prog.c:12 [pc]
#2  0x0000555555555184 in b (/tmp/prog) [frame-pointer]
#3  0x00007f0000001000 in <signal handler called> [cfi]
#4  0x0000000000001234 in ?? [prologue-scan]
Backtrace stopped: cannot read memory at 0x10.
"
        );
        let o32 = Arch::Mips(rgdbserver_arch::mips::MIPS);
        let bt = Backtrace {
            frames: vec![frame(0x40_0100, FoundBy::Pc, Symbolized::default())],
            stop: StopReason::ZeroPc,
        };
        assert_eq!(gdb_style(&bt, o32), "#0  0x00400100 in ?? [pc]\n");
    }
}
