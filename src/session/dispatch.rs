//! The gate every packet passes before gdbstub, and the dispatcher for the
//! packets our layer answers itself.
//!
//! First the gate: thread ids that name nobody, resumes with nothing to
//! resume and the like are refused with `E01` (`protocol::validate`),
//! whoever would answer them. Then the packet is
//! parsed into a `Command` (`protocol::command`, one prefix table); each
//! command goes to its handler in `packets/` (or to a session method where
//! the command is about the session's own state). A packet that is no
//! `Command`, or whose handler defers, is gdbstub's: it is the single
//! fallback.

use super::features::BinaryReads;
use super::packets::{
    detach, host_io, kill, libraries, lldb_info, lldb_threads, memory, memory_region, memory_tags,
    monitor, points, registers, run, signals, syscalls, thread_events, tls, trace, trace_frames,
};
use super::{Session, SessionEnd};
use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::protocol::command::Command;
use crate::protocol::memory::Encoding;
use crate::protocol::reply::Reply;
use crate::protocol::validate;
use crate::stub::DebugTarget;

/// What our layer does with a packet.
pub(super) enum Outcome {
    Reply(Reply),
    /// Console output (`O` packets), then the reply.
    WithOutput(Vec<Vec<u8>>, Reply),
    /// Not ours after all: gdbstub answers.
    Gdbstub,
}

/// Our answer to a packet: packets to send before the reply, and the reply.
pub(super) struct Answer {
    pub(super) output: Vec<Vec<u8>>,
    pub(super) reply: Reply,
}

impl Session<'_> {
    /// Our answer to `body`, or None when gdbstub is to answer it.
    pub(super) fn own_reply(&mut self, target: &mut DebugTarget, body: &[u8]) -> Option<Answer> {
        if let Some(refusal) = self.refusal(target, body) {
            return Some(Answer {
                output: Vec::new(),
                reply: refusal,
            });
        }
        let (output, reply) = match self.run_command(target, Command::parse(body)?) {
            Outcome::Reply(reply) => (Vec::new(), reply),
            Outcome::WithOutput(output, reply) => (output, reply),
            Outcome::Gdbstub => return None,
        };
        Some(Answer { output, reply })
    }

    /// The gate: a packet refused whoever would answer it.
    fn refusal(&self, target: &DebugTarget, body: &[u8]) -> Option<Reply> {
        let everyone = Followed(target);
        let any_process = target.process.is_some() || !target.others.is_empty();
        // "Any thread" with none left: nothing to select, nothing wrong.
        if !any_process
            && matches!(
                body,
                b"Hg0" | b"Hgp0.0" | b"Hg-1" | b"Hc0" | b"Hc-1" | b"Hcp0.0"
            )
        {
            return Some(Reply::Ok);
        }
        // Non-stop: gdb may name threads whose exit it has not yet taken
        // from the notification queue; like gdbserver, we resume or stop
        // whoever is there and say OK.
        if self.non_stop && body.starts_with(b"vCont;") {
            return None;
        }
        let threads = any_process.then_some(&everyone as &dyn validate::ThreadSet);
        validate::refuse(body, threads)
    }

    fn run_command(&mut self, target: &mut DebugTarget, command: Command<'_>) -> Outcome {
        use Command as C;
        let reply = match command {
            C::StartNoAckMode => Reply::Ok,
            C::VContQuery if self.disabled.vcont => Reply::Empty,
            // Without hardware single step (MIPS) gdb steps with breakpoints.
            C::VContQuery if native::HARDWARE_SINGLE_STEP => {
                Reply::Data(b"vCont;c;C;s;S;t;r".to_vec())
            }
            C::VContQuery => Reply::Data(b"vCont;c;C;t".to_vec()),
            C::NonStop(on) => self.set_non_stop(target, on),
            C::ThreadEvents(on) => thread_events::set(target, on),
            C::ThreadOptions(rest) => thread_events::set_options(target, rest),
            C::ExecAndArgs => run::exec_and_args(target),
            C::VStopped => Reply::Data(self.next_notification()),
            C::VCtrlC => Reply::ok_or(target.interrupt().map_err(|e| e.errno())),
            C::StopReason if self.non_stop => Reply::Data(self.non_stop_status(target)),
            C::StopReason => Reply::Data(self.disabled.stop_reply(
                super::stop_report::question_mark_reply(
                    target.process.as_mut(),
                    self.last_stop,
                    self.features.reply_style(),
                ),
            )),
            C::CurrentThread if self.disabled.qc => Reply::Empty,
            C::CurrentThread => return Outcome::Gdbstub,
            C::ThreadInfoFirst | C::ThreadInfoNext if self.disabled.qfthreadinfo => Reply::Empty,
            C::ThreadInfoFirst => self
                .selection
                .list
                .first(target, self.features.multiprocess),
            C::ThreadInfoNext => self.selection.list.next(),
            C::XferThreads(window) => {
                self.selection
                    .document
                    .read(target, self.features.multiprocess, window)
            }
            C::Detach(pid) => self.detach(target, pid),
            C::Attached => detach::attached(target),
            C::TlsAddress(args) => tls::address(target, args),
            C::CatchSyscalls(args) => syscalls::catch(target, args),
            C::ReadMemory(Encoding::Binary, _) if self.disabled.x => Reply::Empty,
            // lldb's probe for its `x` (gdb never reads zero bytes).
            C::ReadMemory(Encoding::Binary, b"0,0") => {
                self.features.binary_reads = BinaryReads::Lldb;
                Reply::Ok
            }
            C::ReadMemory(Encoding::Binary, args)
                if self.features.binary_reads == BinaryReads::Lldb =>
            {
                memory::read(target.process.as_ref(), Encoding::BinaryBare, args)
            }
            C::ReadMemory(encoding, args) => trace_frames::read_memory(target, encoding, args)
                .unwrap_or_else(|| memory::read(target.process.as_ref(), encoding, args)),
            C::WriteMemory(encoding, args) => trace_frames::refuse_write(target)
                .unwrap_or_else(|| memory::write(target.process.as_mut(), encoding, args)),
            C::Point(body) => points::handle(target.process.as_mut(), body),
            C::XferOsdata(args) => self.osdata.read(args),
            C::PassSignals(list) => signals::set_list(target, signals::SignalList::Pass, list),
            C::ProgramSignals(list) => {
                signals::set_list(target, signals::SignalList::Program, list)
            }
            C::SiginfoRead(window) => signals::read_siginfo(target, self.siginfo_thread(), window),
            C::SiginfoWrite(args) => signals::write_siginfo(target, self.siginfo_thread(), args),
            C::Monitor(hex) => {
                let thread = self.siginfo_thread();
                let link = &mut self.link;
                let mut send = |packet: &[u8]| {
                    if let Err(e) = link.send_packet(packet) {
                        log::debug!("monitor output not sent: {e}");
                    }
                };
                let (output, reply, exit) =
                    monitor::run(target, hex, self.last_stop, thread, &mut send);
                if exit {
                    // `monitor exit`: the server ends once gdb has the reply.
                    self.end_after_reply = Some(SessionEnd::ExitRequested);
                }
                return Outcome::WithOutput(output, reply);
            }
            C::Run(rest) => match run::run(target, self.features.multiprocess, rest) {
                Some(reply) => reply,
                None => return Outcome::Gdbstub,
            },
            C::HostInfo => lldb_info::host(),
            C::ProcessInfo => lldb_info::process(target),
            C::ShlibInfoAddr => lldb_info::shlib_info_addr(target),
            C::MemoryRegionInfo(args) => memory_region::query(target, args),
            C::EnableErrorStrings => {
                self.features.error_strings = true;
                Reply::Ok
            }
            C::HostStat {
                follow_links,
                filename,
            } => host_io::stat(target, follow_links, filename),
            C::HostPread(args) => host_io::pread(target, args),
            C::HostPwrite(args) => host_io::pwrite(target, args),
            C::XferLibrariesSvr4(args) => libraries::read(target, args),
            C::Kill => {
                let (reply, ends) = kill::kill_all(target, self.features.multiprocess);
                if ends {
                    self.end_after_reply = Some(SessionEnd::Killed);
                }
                reply
            }
            C::ListThreadsInStopReply => {
                self.features.lldb_thread_keys = true;
                Reply::Ok
            }
            C::ThreadsInfo => lldb_threads::threads_info(target, self.last_stop),
            C::ThreadStopInfo(tid) => lldb_threads::thread_stop_info(
                target,
                self.last_stop,
                tid,
                self.features.reply_style(),
            ),
            C::ReadMemoryTags(args) => memory_tags::read(target, args),
            C::WriteMemoryTags(args) => memory_tags::write(target, args),
            C::IsAddressTagged(addr) => memory_tags::is_tagged(target, addr),
            C::Trace(which, args) => trace::handle(target, &mut self.trace_uploads, which, args),
            C::XferTraceframeInfo(window) => trace_frames::traceframe_info(target, window),
            C::ReadRegisters => match trace_frames::read_registers(target) {
                Some(reply) => reply,
                None => return Outcome::Gdbstub,
            },
            C::Register(number) => match trace_frames::read_register(target, number)
                .or_else(|| registers::refuse_unknown(target, number))
            {
                Some(reply) => reply,
                None => return Outcome::Gdbstub,
            },
        };
        Outcome::Reply(reply)
    }

    /// `QNonStop:0|1`. Leaving non-stop mode stops every thread, as
    /// all-stop has them.
    fn set_non_stop(&mut self, target: &mut DebugTarget, on: bool) -> Reply {
        self.non_stop = on;
        self.stops.queue.clear();
        self.stops.notified = false;
        if !self.non_stop && target.any_running() {
            if let Err(e) = target.stop_everything() {
                log::warn!("stopping for all-stop mode: {e}");
            }
        }
        Reply::Ok
    }

    /// The thread whose `$_siginfo` gdb means: the one `Hg` picked, or the
    /// one that stopped.
    fn siginfo_thread(&self) -> Option<Tid> {
        self.selection
            .general
            .or_else(|| self.last_stop.and_then(|e| e.tid()))
    }
}

/// Every process we follow, for checking the thread ids gdb sends.
struct Followed<'a>(&'a DebugTarget);

impl validate::ThreadSet for Followed<'_> {
    fn has_process(&self, pid: u64) -> bool {
        self.0
            .all_processes()
            .any(|p| p.pid().as_raw() as u64 == pid)
    }

    fn has_thread(&self, tid: u64) -> bool {
        let Ok(tid) = i32::try_from(tid) else {
            return false;
        };
        self.0
            .all_processes()
            .any(|p| p.has_thread(Tid::from_raw(tid)))
    }
}
