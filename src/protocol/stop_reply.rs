//! Stop replies, written by us for every stop (gdbstub's lack the
//! expedited registers, fork children's real pids, watchpoint addresses with
//! our own trap decoding, exec and syscall events, and `;process:PID` on
//! exits). This module holds what a reply says in the wire's own terms
//! (gdb's signal numbers, ids as numbers, registers as bytes) and its
//! encoder; the session builds the description from the inferior's event.

use super::hex;

/// A stop reply, as gdb is to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReply {
    /// `W`: the process exited with `code`. `pid` is None when there is no
    /// process to name.
    Exited { pid: Option<i32>, code: u8 },
    /// `X`: the process was killed by `signal` (gdb's number).
    Killed { pid: Option<i32>, signal: u8 },
    /// `T`: a thread stopped.
    Thread(ThreadStop),
    /// `w`: thread `tid` of process `pid` exited with `code` (sent only
    /// after `QThreadEvents:1`).
    ThreadExited { pid: i32, tid: i32, code: u8 },
}

/// A `T` reply: which thread stopped, with what, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadStop {
    /// gdb's signal number (0 for a stop gdb asked for).
    pub signal: u8,
    pub pid: i32,
    pub tid: i32,
    /// (regnum, bytes) of the expedited registers.
    pub registers: Vec<(usize, Vec<u8>)>,
    /// What kind of stop it was, when the reply says so.
    pub reason: Option<StopReason>,
    /// lldb's keys, after `QListThreadsInStopReply`.
    pub lldb: Option<LldbKeys>,
}

/// The keys lldb-server adds to every `T` reply once lldb sent
/// `QListThreadsInStopReply`: the stopped thread's name, and every thread
/// with its PC, so that lldb needs no `qfThreadInfo` and no register reads
/// to learn where each thread is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LldbKeys {
    /// The thread's name (`comm`), as bytes.
    pub name: Vec<u8>,
    /// (tid, pc) of every thread of the process.
    pub threads: Vec<(i32, u64)>,
}

impl LldbKeys {
    fn encode_into(&self, out: &mut Vec<u8>) {
        // A name that could end the key or the packet goes as hex, as
        // lldb-server sends it.
        let plain = !self.name.is_empty()
            && self
                .name
                .iter()
                .all(|&b| b.is_ascii_graphic() && !b"#$}*;:,".contains(&b) || b == b' ');
        if plain {
            out.extend_from_slice(b"name:");
            out.extend_from_slice(&self.name);
        } else {
            out.extend_from_slice(b"hexname:");
            hex::encode_into(&self.name, out);
        }
        out.extend_from_slice(b";threads:");
        let list = |out: &mut Vec<u8>, items: Vec<String>| {
            out.extend_from_slice(items.join(",").as_bytes());
            out.push(b';');
        };
        list(
            out,
            self.threads.iter().map(|(t, _)| format!("{t:x}")).collect(),
        );
        out.extend_from_slice(b"thread-pcs:");
        list(
            out,
            self.threads
                .iter()
                .map(|(_, pc)| format!("{pc:016x}"))
                .collect(),
        );
    }
}

/// The stop-reason part of a `T` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// `swbreak:`
    SwBreak,
    /// `hwbreak:`
    HwBreak,
    /// `watch:`, `rwatch:` or `awatch:` with the address accessed.
    Watch { kind: WatchKind, addr: u64 },
    /// `fork:` or `vfork:` with the child's id.
    Fork { child: i32, vfork: bool },
    /// `clone:` with the new thread's id (`QThreadOptions` asked for it).
    Clone { child: i32 },
    /// `vforkdone:`
    VforkDone,
    /// `exec:` with the new program's path.
    Exec { path: Vec<u8> },
    /// `syscall_entry:` or `syscall_return:` with the call's number.
    Syscall { nr: u64, entry: bool },
}

/// Which watchpoint reason a `T` reply names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    Write,
    Read,
    Access,
}

impl StopReply {
    /// The reply as GNU gdbserver writes it: `T` with the expedited
    /// registers, the thread, and what kind of stop it was; `W`/`X` with
    /// the process id when gdb speaks multiprocess.
    pub fn encode(&self, multiprocess: bool) -> Vec<u8> {
        let process_suffix = |pid: Option<i32>| match pid {
            Some(pid) if multiprocess => format!(";process:{pid:x}"),
            _ => String::new(),
        };
        match self {
            StopReply::Exited { pid, code } => {
                format!("W{code:02x}{}", process_suffix(*pid)).into_bytes()
            }
            StopReply::Killed { pid, signal } => {
                format!("X{signal:02x}{}", process_suffix(*pid)).into_bytes()
            }
            StopReply::Thread(stop) => stop.encode(multiprocess),
            StopReply::ThreadExited { pid, tid, code } if multiprocess => {
                format!("w{code:x};p{pid:x}.{tid:x}").into_bytes()
            }
            StopReply::ThreadExited { tid, code, .. } => format!("w{code:x};{tid:x}").into_bytes(),
        }
    }
}

impl ThreadStop {
    fn encode(&self, multiprocess: bool) -> Vec<u8> {
        let (pid, tid) = (self.pid, self.tid);
        let mut out = format!("T{:02x}", self.signal).into_bytes();
        // `exec:` before the registers, as gdbserver sends it: gdb reads
        // registers that follow it with the new program's architecture
        // (an exec from a 64-bit program into a 32-bit one changes their
        // sizes), ones before it with the old.
        if let Some(StopReason::Exec { path }) = &self.reason {
            out.extend_from_slice(b"exec:");
            hex::encode_into(path, &mut out);
            out.push(b';');
        }
        for (regnum, bytes) in &self.registers {
            out.extend_from_slice(format!("{regnum:02x}:").as_bytes());
            hex::encode_into(bytes, &mut out);
            out.push(b';');
        }
        if multiprocess {
            out.extend_from_slice(format!("thread:p{pid:x}.{tid:x};").as_bytes());
        } else {
            out.extend_from_slice(format!("thread:{tid:x};").as_bytes());
        }
        if let Some(keys) = &self.lldb {
            keys.encode_into(&mut out);
        }
        match &self.reason {
            None => {}
            Some(StopReason::SwBreak) => out.extend_from_slice(b"swbreak:;"),
            Some(StopReason::HwBreak) => out.extend_from_slice(b"hwbreak:;"),
            Some(StopReason::Watch { kind, addr }) => {
                let name = match kind {
                    WatchKind::Read => "rwatch",
                    WatchKind::Access => "awatch",
                    WatchKind::Write => "watch",
                };
                out.extend_from_slice(format!("{name}:{addr:x};").as_bytes());
            }
            Some(StopReason::Clone { child }) if multiprocess => {
                out.extend_from_slice(format!("clone:p{pid:x}.{child:x};").as_bytes());
            }
            Some(StopReason::Clone { child }) => {
                out.extend_from_slice(format!("clone:{child:x};").as_bytes());
            }
            // gdbstub would name the child p<parent>.<child> (its gap 3).
            Some(StopReason::Fork { child, vfork }) => {
                let name = if *vfork { "vfork" } else { "fork" };
                out.extend_from_slice(format!("{name}:p{child:x}.{child:x};").as_bytes());
            }
            Some(StopReason::VforkDone) => out.extend_from_slice(b"vforkdone:;"),
            Some(StopReason::Exec { .. }) => {}
            Some(StopReason::Syscall { nr, entry }) => {
                let name = if *entry {
                    "syscall_entry"
                } else {
                    "syscall_return"
                };
                out.extend_from_slice(format!("{name}:{nr:x};").as_bytes());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_exit_names_the_thread() {
        let exit = StopReply::ThreadExited {
            pid: 0x10,
            tid: 0x11,
            code: 0,
        };
        assert_eq!(exit.encode(true), b"w0;p10.11");
        assert_eq!(exit.encode(false), b"w0;11");
        let coded = StopReply::ThreadExited {
            pid: 1,
            tid: 2,
            code: 0x2a,
        };
        assert_eq!(coded.encode(true), b"w2a;p1.2");
    }

    fn thread(reason: Option<StopReason>) -> StopReply {
        StopReply::Thread(ThreadStop {
            signal: 5,
            pid: 0x10,
            tid: 0x11,
            registers: Vec::new(),
            reason,
            lldb: None,
        })
    }

    #[test]
    fn clones_name_the_new_thread() {
        let clone = thread(Some(StopReason::Clone { child: 0x12 }));
        assert_eq!(clone.encode(true), b"T05thread:p10.11;clone:p10.12;");
        assert_eq!(clone.encode(false), b"T05thread:11;clone:12;");
    }

    #[test]
    fn exits_name_the_process_when_multiprocess() {
        let exited = StopReply::Exited {
            pid: Some(0x10),
            code: 3,
        };
        assert_eq!(exited.encode(true), b"W03;process:10");
        assert_eq!(exited.encode(false), b"W03");
        let killed = StopReply::Killed {
            pid: Some(0x10),
            signal: 9,
        };
        assert_eq!(killed.encode(true), b"X09;process:10");
        assert_eq!(killed.encode(false), b"X09");
        let nobody = StopReply::Exited { pid: None, code: 0 };
        assert_eq!(nobody.encode(true), b"W00");
    }

    #[test]
    fn thread_stops_with_registers_and_ids() {
        let stop = StopReply::Thread(ThreadStop {
            signal: 0x1e,
            pid: 0x10,
            tid: 0x11,
            registers: vec![(6, vec![0x01, 0xab]), (0x10, vec![0xff])],
            reason: None,
            lldb: None,
        });
        assert_eq!(stop.encode(false), b"T1e06:01ab;10:ff;thread:11;");
        assert_eq!(stop.encode(true), b"T1e06:01ab;10:ff;thread:p10.11;");
    }

    #[test]
    fn stop_reasons() {
        let cases: [(StopReason, &[u8]); 8] = [
            (StopReason::SwBreak, b"swbreak:;"),
            (StopReason::HwBreak, b"hwbreak:;"),
            (
                StopReason::Watch {
                    kind: WatchKind::Write,
                    addr: 0x1000,
                },
                b"watch:1000;",
            ),
            (
                StopReason::Watch {
                    kind: WatchKind::Read,
                    addr: 0x1000,
                },
                b"rwatch:1000;",
            ),
            (
                StopReason::Watch {
                    kind: WatchKind::Access,
                    addr: 0x1000,
                },
                b"awatch:1000;",
            ),
            (
                StopReason::Fork {
                    child: 0x20,
                    vfork: true,
                },
                b"vfork:p20.20;",
            ),
            (StopReason::VforkDone, b"vforkdone:;"),
            (
                StopReason::Syscall {
                    nr: 0x3c,
                    entry: false,
                },
                b"syscall_return:3c;",
            ),
        ];
        for (reason, tail) in cases {
            let mut expected = b"T05thread:11;".to_vec();
            expected.extend_from_slice(tail);
            assert_eq!(thread(Some(reason)).encode(false), expected);
        }
        // exec: comes first, before the registers (in the new program's
        // sizes) gdb must read with its architecture.
        let exec = ThreadStop {
            signal: 5,
            pid: 0x10,
            tid: 0x11,
            registers: vec![(8, vec![0x70, 0x95, 0x04, 0x08])],
            reason: Some(StopReason::Exec {
                path: b"/a".to_vec(),
            }),
            lldb: None,
        };
        assert_eq!(exec.encode(false), b"T05exec:2f61;08:70950408;thread:11;");
        let fork = StopReason::Fork {
            child: 0x20,
            vfork: false,
        };
        assert_eq!(
            thread(Some(fork)).encode(true),
            b"T05thread:p10.11;fork:p20.20;"
        );
        let entry = StopReason::Syscall { nr: 1, entry: true };
        assert_eq!(
            thread(Some(entry)).encode(false),
            b"T05thread:11;syscall_entry:1;"
        );
    }

    #[test]
    fn lldb_keys_name_the_thread_and_list_every_thread_with_its_pc() {
        let keys = |name: &[u8]| LldbKeys {
            name: name.to_vec(),
            threads: vec![(0x11, 0x7fff_0000_1234), (0x12, 0x40)],
        };
        let stop = |name: &[u8]| {
            StopReply::Thread(ThreadStop {
                signal: 5,
                pid: 0x10,
                tid: 0x11,
                registers: Vec::new(),
                reason: Some(StopReason::SwBreak),
                lldb: Some(keys(name)),
            })
            .encode(false)
        };
        assert_eq!(
            stop(b"worker 1"),
            b"T05thread:11;name:worker 1;threads:11,12;\
thread-pcs:00007fff00001234,0000000000000040;swbreak:;"
                .to_vec()
        );
        // Bytes that would end a key, or the packet, go as hex.
        assert!(stop(b"a;b").starts_with(b"T05thread:11;hexname:613b62;threads:"));
        assert!(stop(b"").starts_with(b"T05thread:11;hexname:;threads:"));
    }
}
