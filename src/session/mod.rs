//! One gdb connection: the event loop that waits on both the connection and
//! the inferior (SIGCHLD through a signalfd, with `poll`), frames packets,
//! answers the ones our protocol layer owns and feeds the rest to gdbstub's
//! state machine, whose output it captures, edits where needed and sends.

use std::collections::{HashMap, HashSet, VecDeque};
use std::os::fd::AsFd;

use gdbstub::conn::Connection as GdbConnection;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, GdbStubBuilder, MultiThreadStopReason};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signalfd::SignalFd;

use crate::inferior::process::{Origin, StopEvent};
use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::protocol::framing::{self, Frame, FrameReader};
use crate::protocol::thread_id::{process_of, thread_of};
use crate::protocol::vcont::{self, Action, Threads};
use crate::protocol::{breakpoint_options, stop_reply, PACKET_SIZE};
use crate::stub::{DebugTarget, Resumed};
use crate::transport::Connection;

mod dispatch;
mod packets;

use packets::osdata::OsdataReads;
use packets::threads::ThreadList;

/// gdbstub writes its replies here; we take them out after every call.
#[derive(Default)]
pub struct Capture {
    out: Vec<u8>,
}

impl GdbConnection for Capture {
    type Error = std::convert::Infallible;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

type Machine<'a> = GdbStubStateMachine<'a, DebugTarget, Capture>;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("gdbstub: {0}")]
    Stub(String),
    #[error("{0}")]
    Process(#[from] crate::inferior::process::ProcessError),
    #[error("poll: {0}")]
    Poll(nix::Error),
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// gdb detached: the process was let go, running.
    Detached,
    /// gdb killed the process.
    Killed,
    /// The process exited (or died of a signal) and gdb was told.
    ProcessExited(StopEvent),
    /// The connection closed or failed; the process is left as it was.
    ConnectionLost,
    /// `monitor exit`.
    ExitRequested,
    /// The server received this termination signal.
    Terminated(i32),
}

enum Wake {
    Frames,
    ConnectionLost,
    Terminated(i32),
    Child,
}

pub struct Session<'s> {
    conn: Connection,
    signals: &'s mut SignalFd,
    reader: FrameReader,
    frames: VecDeque<Frame>,
    no_ack: bool,
    last_sent: Vec<u8>,
    /// Packets replayed into a rebuilt gdbstub to restore its state.
    handshake: Vec<Vec<u8>>,
    multiprocess: bool,
    last_stop: Option<StopEvent>,
    /// Bytes received since the last well-formed packet.
    bytes_since_packet: usize,
    /// Bad-checksum or oversized frames in a row.
    bad_frames_in_a_row: usize,
    /// Fault injection for the tests: panic on a packet starting with this.
    panic_on_packet: Option<Vec<u8>>,
    /// The thread `Hg` selected, if a specific one (else the last stop's).
    general_thread: Option<Tid>,
    /// What we add to gdbstub's qSupported reply.
    extra_features: String,
    /// Thread ids for qsThreadInfo, after qfThreadInfo sent the first.
    thread_list: ThreadList,
    /// The `qXfer:osdata` document being read.
    osdata: OsdataReads,
    /// `D` for the last process outside extended mode: end after the reply.
    end_after_reply: Option<SessionEnd>,
    disabled: DisabledPackets,
    /// The thread `Hc` selected, if a specific one: legacy `c`/`s` act on it.
    cont_thread: Option<Tid>,
    /// gdb switched us to non-stop mode (`QNonStop:1`).
    non_stop: bool,
    /// Non-stop stop replies not yet taken by gdb; the first has been sent
    /// as a `%Stop` notification when `notified` is set.
    notifications: VecDeque<(Option<Tid>, Vec<u8>)>,
    notified: bool,
    /// The last event each thread reported, for non-stop `?`.
    thread_events: HashMap<Tid, StopEvent>,
    /// Ctrl-C came while nothing ran: interrupt the next resume.
    interrupt_next_resume: bool,
    /// gdb takes `N` for "no resumed thread left" (`no-resumed+`).
    no_resumed: bool,
    /// Non-stop: stopped threads gdb has not been told of (it takes them
    /// for running). Their stop is reported when gdb asks them to stop.
    unreported: HashSet<Tid>,
}

/// Packets the session pretends not to know (`--disable-packet`, a
/// testing aid from gdbserver that the GDB testsuite uses).
#[derive(Debug, Clone, Copy, Default)]
pub struct DisabledPackets {
    pub vcont: bool,
    /// `T` stop replies: plain `S` instead.
    pub t: bool,
    /// The `thread:` part of `T` stop replies.
    pub tthread: bool,
    pub qc: bool,
    pub qfthreadinfo: bool,
}

impl DisabledPackets {
    pub fn from_cli(list: &[crate::cli::DisabledPacket]) -> DisabledPackets {
        use crate::cli::DisabledPacket as P;
        let mut d = DisabledPackets::default();
        for packet in list {
            match packet {
                P::VCont => d.vcont = true,
                P::T => d.t = true,
                P::Tthread => d.tthread = true,
                P::QC => d.qc = true,
                P::QfThreadInfo => d.qfthreadinfo = true,
                P::Threads => {
                    d.vcont = true;
                    d.tthread = true;
                    d.qc = true;
                    d.qfthreadinfo = true;
                }
            }
        }
        d
    }

    /// A stop reply as these settings want it.
    fn stop_reply(&self, reply: Vec<u8>) -> Vec<u8> {
        if reply.first() != Some(&b'T') {
            return reply;
        }
        if self.t {
            let mut plain = b"S".to_vec();
            plain.extend_from_slice(&reply[1..3.min(reply.len())]);
            return plain;
        }
        if self.tthread {
            let text = String::from_utf8_lossy(&reply).into_owned();
            let kept: Vec<&str> = text
                .split_inclusive(';')
                .filter(|part| !part.starts_with("thread:"))
                .collect();
            return kept.concat().into_bytes();
        }
        reply
    }
}

/// A client that sends this much without one valid packet is not gdb: it
/// is treated as gone. Well above the largest packet we accept.
const GARBAGE_BYTES_LIMIT: usize = 4 * PACKET_SIZE;
/// gdb resends a packet a few times on a NAK; this many bad frames in a row
/// is line noise or an attack, not a protocol peer.
const BAD_FRAMES_LIMIT: usize = 64;
/// Environment variable naming a packet prefix that makes the session
/// panic: lets the tests prove that a bug leaves the target safe.
pub const PANIC_INJECTION_ENV: &str = "RGDBSERVER_FAULT_PANIC_ON_PACKET";

const OUR_FEATURES: &str =
    ";qXfer:threads:read+;qXfer:osdata:read+;QPassSignals+;QProgramSignals+;qXfer:siginfo:read+;qXfer:siginfo:write+;QCatchSyscalls+;QNonStop+";

/// Offered where the server can single-step over a breakpoint whose
/// condition is false (not on MIPS, which has no hardware single step:
/// there gdb evaluates conditions itself).
const CONDITIONS_FEATURE: &str = ";ConditionalBreakpoints+;BreakpointCommands+";

fn our_features() -> String {
    let mut features = String::from(OUR_FEATURES);
    if native::HARDWARE_SINGLE_STEP {
        features.push_str(CONDITIONS_FEATURE);
    }
    features
}

impl<'s> Session<'s> {
    pub fn new(
        conn: Connection,
        signals: &'s mut SignalFd,
        last_stop: Option<StopEvent>,
        disabled: DisabledPackets,
    ) -> Session<'s> {
        Session {
            conn,
            signals,
            reader: FrameReader::new(PACKET_SIZE - 4),
            frames: VecDeque::new(),
            no_ack: false,
            last_sent: Vec::new(),
            handshake: Vec::new(),
            multiprocess: false,
            last_stop,
            bytes_since_packet: 0,
            bad_frames_in_a_row: 0,
            general_thread: None,
            extra_features: our_features(),
            thread_list: ThreadList::default(),
            osdata: OsdataReads::default(),
            end_after_reply: None,
            disabled,
            cont_thread: None,
            non_stop: false,
            notifications: VecDeque::new(),
            notified: false,
            thread_events: HashMap::new(),
            unreported: HashSet::new(),
            no_resumed: false,
            interrupt_next_resume: false,
            panic_on_packet: std::env::var_os(PANIC_INJECTION_ENV)
                .filter(|v| !v.is_empty())
                .map(|v| v.as_encoded_bytes().to_vec()),
        }
    }

    pub fn last_stop(&self) -> Option<StopEvent> {
        self.last_stop
    }

    fn new_machine<'a>(&mut self, target: &mut DebugTarget) -> Result<Machine<'a>, SessionError> {
        let stub = GdbStubBuilder::new(Capture::default())
            .packet_buffer_size(PACKET_SIZE)
            .build()
            .map_err(|e| SessionError::Stub(e.to_string()))?;
        let mut machine = stub
            .run_state_machine(target)
            .map_err(|e| SessionError::Stub(e.to_string()))?;
        // Acknowledgements are ours: gdbstub runs in no-ack mode from the start.
        let mut replay = vec![b"QStartNoAckMode".to_vec()];
        replay.extend(self.handshake.iter().cloned());
        for packet in replay {
            machine = feed(machine, target, &packet).map_err(SessionError::Stub)?;
            take_output(&mut machine);
        }
        Ok(machine)
    }

    /// Run the session until it ends.
    pub fn run(&mut self, target: &mut DebugTarget) -> Result<SessionEnd, SessionError> {
        // Extended mode is per connection: gdb asks again with `!`.
        target.extended = false;
        let mut machine = self.new_machine(target)?;
        loop {
            machine = match machine {
                GdbStubStateMachine::Idle(_) => {
                    if target.exit_requested {
                        return Ok(SessionEnd::ExitRequested);
                    }
                    if let Some(end) = self.end_after_reply.take() {
                        return Ok(end);
                    }
                    if self.non_stop {
                        self.notify_stops(target)?;
                    }
                    // Wait statuses may be left over from a busy poll:
                    // look at gdb's packets, then come straight back.
                    let timeout = if self.non_stop && target.more_events {
                        PollTimeout::ZERO
                    } else {
                        PollTimeout::NONE
                    };
                    match self.next_input(timeout)? {
                        Ok(Some(frame)) => self.handle_frame(machine, target, frame)?,
                        Ok(None) => machine,
                        Err(end) => return Ok(end),
                    }
                }
                // DebugTarget offers gdbstub no resume support, and only its
                // resume handlers lead here.
                GdbStubStateMachine::Running(_) => {
                    return Err(SessionError::Stub(
                        "gdbstub entered its running state, which our protocol layer owns".into(),
                    ))
                }
                GdbStubStateMachine::CtrlCInterrupt(inner) => {
                    if let Some(process) = target.process.as_mut() {
                        process.interrupt()?;
                    }
                    inner
                        .interrupt_handled(target, None::<MultiThreadStopReason<u64>>)
                        .map_err(|e| SessionError::Stub(e.to_string()))?
                }
                GdbStubStateMachine::Disconnected(inner) => {
                    let end = match inner.get_reason() {
                        DisconnectReason::Disconnect => {
                            if let Some(mut process) = target.process.take() {
                                eprintln!("Detaching from process {}", process.pid());
                                process.detach()?;
                            }
                            SessionEnd::Detached
                        }
                        DisconnectReason::Kill => SessionEnd::Killed,
                        DisconnectReason::TargetExited(_)
                        | DisconnectReason::TargetTerminated(_) => {
                            let event = self.last_stop.unwrap_or(StopEvent::Exited { code: 0 });
                            SessionEnd::ProcessExited(event)
                        }
                    };
                    let others_left = !target.others.is_empty();
                    if !target.extended && !others_left {
                        return Ok(end);
                    }
                    // Extended remote: the connection stays for the next
                    // `run` or `attach`; only the process is gone.
                    if let SessionEnd::ProcessExited(event) = end {
                        eprintln!("\n{}", describe_exit(event));
                    }
                    target.drop_current();
                    self.forget_threads();
                    self.new_machine(target)?
                }
            }
        }
    }

    /// The process is gone: its thread ids must not be replayed into gdbstub,
    /// nor a Ctrl-C meant for it reach the next one.
    fn forget_threads(&mut self) {
        self.interrupt_next_resume = false;
        self.handshake
            .retain(|p| !p.starts_with(b"Hg") && !p.starts_with(b"Hc"));
    }

    /// Handle one frame from gdb while the target is stopped.
    fn handle_frame<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        frame: Frame,
    ) -> Result<Machine<'a>, SessionError> {
        match frame {
            Frame::Packet(body) => {
                if !self.no_ack {
                    self.write(b"+")?;
                }
                self.handle_packet(machine, target, body)
            }
            // Without acknowledgements a stray `-` is noise: resending would
            // put an extra reply in front of the next one.
            Frame::Nack => {
                if !self.no_ack && !self.last_sent.is_empty() {
                    let again = self.last_sent.clone();
                    self.write(&again)?;
                }
                Ok(machine)
            }
            // Without acknowledgements gdb waits for a reply to every packet,
            // mangled or not: an error keeps the two sides in step.
            Frame::BadChecksum | Frame::Oversized => {
                if self.no_ack {
                    self.send_packet(b"E01")?;
                } else {
                    self.write(b"-")?;
                }
                Ok(machine)
            }
            // Ctrl-C between two resumes (gdb pressed it while we sent a
            // stop, e.g. between software-watchpoint steps): interrupt the
            // next resume, as gdbserver does. Not before: a stray \x03
            // must not kill a process gdb then detaches from.
            Frame::Interrupt => {
                self.interrupt_next_resume = true;
                Ok(machine)
            }
            Frame::Ack => Ok(machine),
        }
    }

    fn handle_packet<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        body: Vec<u8>,
    ) -> Result<Machine<'a>, SessionError> {
        if crate::logging::remote_debug() {
            log::info!(target: crate::logging::REMOTE, "getpkt (\"{}\");", String::from_utf8_lossy(&body));
        }
        if let Some(prefix) = &self.panic_on_packet {
            if body.starts_with(prefix) {
                panic!("fault injected by {PANIC_INJECTION_ENV}");
            }
        }
        let body = self.own_pid_in_vkill(target, body);
        if let Some(reply) = self.own_reply(target, &body) {
            self.send_packet(&reply)?;
            if body == b"QStartNoAckMode" {
                self.no_ack = true;
            }
            return Ok(machine);
        }
        // Conditions on a breakpoint (`Z0,ADDR,KIND;X...`): ours to keep,
        // since gdbstub parses no options; it gets the bare packet. Each
        // `Z0` says the breakpoint's whole list (none: unconditional).
        // Hardware breakpoints keep none: they always stop, and gdb, which
        // checks every condition again on a stop, decides.
        let body = match breakpoint_options::parse(&body) {
            None => body,
            Some(Err(())) => {
                self.send_packet(b"E01")?;
                return Ok(machine);
            }
            Some(Ok(options)) => {
                if options.kind == 0 {
                    if let Some(process) = target.process.as_mut() {
                        process.set_breakpoint_conditions(options.addr, options.conditions);
                        process.set_breakpoint_commands(options.addr, options.commands);
                    }
                }
                options.bare.to_vec()
            }
        };
        if is_resume(&body) {
            return self.resume(machine, target, &body);
        }
        if body.starts_with(b"qSupported") {
            let offered = |feature: &[u8]| {
                body.split(|&b| b == b';' || b == b':')
                    .any(|f| f == feature)
            };
            self.multiprocess = offered(b"multiprocess+");
            self.no_resumed = offered(b"no-resumed+");
            // Fork children are named by pid: without multiprocess ids gdb
            // could not tell the processes apart.
            target.report_forks = self.multiprocess && offered(b"fork-events+");
            target.report_exec = offered(b"exec-events+");
            target.target_description = body
                .split(|&b| b == b';' || b == b':')
                .any(|f| f.starts_with(b"xmlRegisters=") && f.windows(4).any(|w| w == b"i386"));
            target.configure_all();
            self.extra_features = our_features();
            if target.report_forks {
                self.extra_features.push_str(";fork-events+");
                if offered(b"vfork-events+") {
                    self.extra_features.push_str(";vfork-events+");
                }
            }
            if target.report_exec {
                self.extra_features.push_str(";exec-events+");
            }
        } else if body.starts_with(b"Hg") || body.starts_with(b"Hc") {
            if body.starts_with(b"Hg") {
                self.general_thread = thread_of(&body[2..]);
            } else {
                self.cont_thread = thread_of(&body[2..]);
            }
            // A thread of another process we follow: make it current.
            if let Some(pid) = process_of(&body[2..]) {
                target.select_pid(pid);
            }
        }
        if body.first() == Some(&b'R') && target.extended {
            // `R` (gdbstub cannot parse gdb's `R0`): start the last program
            // again. No reply; point gdbstub's current thread at the new
            // process, as gdb sends no Hg after it.
            use gdbstub::target::ext::extended_mode::ExtendedMode;
            if let Err(e) = target.restart() {
                log::warn!("restart: {e}");
            }
            self.forget_threads();
            let mut machine = machine;
            for packet in [&b"Hg0"[..], b"Hc0"] {
                machine = feed(machine, target, packet).map_err(SessionError::Stub)?;
                take_output(&mut machine);
            }
            return Ok(machine);
        }
        if body.starts_with(b"vCont;") {
            // gdbstub drops the pid of `p<pid>.-1`: pick the process here.
            let pid = body
                .split(|&b| b == b';')
                .filter_map(|action| {
                    action
                        .iter()
                        .position(|&b| b == b':')
                        .map(|i| &action[i + 1..])
                })
                .find_map(process_of);
            if let Some(pid) = pid {
                target.select_pid(pid);
            }
        }
        // gdbstub's vRun parser drops empty arguments: run gets ours.
        target.run_args = crate::protocol::vrun::arguments(&body);
        target.monitor_failed = false;
        let fed = feed(machine, target, &body);
        target.run_args = None;
        match fed {
            Ok(mut next) => {
                // Remembered only once gdbstub took it: a packet it rejects
                // would fail again when replayed, and end the session.
                self.remember_handshake(&body);
                let features = self.extra_features.clone();
                let edit = body.starts_with(b"qSupported").then_some(features.as_str());
                if std::mem::take(&mut target.monitor_failed) {
                    // gdbstub always ends qRcmd with OK; GNU fails an
                    // unknown command, and scripts rely on that.
                    let mut packets = framing::split_packets(&take_output(&mut next));
                    if packets.last().is_some_and(|p| p == b"OK") {
                        packets.pop();
                        packets.push(b"E01".to_vec());
                    }
                    for packet in packets {
                        self.send_packet(&packet)?;
                    }
                    return Ok(next);
                }
                if self.non_stop && body.starts_with(b"vAttach;") {
                    self.attached_in_non_stop(&mut next, target)?;
                    return Ok(next);
                }
                self.send_output(&mut next, edit)?;
                Ok(next)
            }
            Err(error) => {
                // gdbstub gave up on this packet and its state machine is gone:
                // answer with an error and carry on with a fresh one.
                log::warn!(
                    "packet {:?} rejected: {error}",
                    String::from_utf8_lossy(&body)
                );
                self.send_packet(b"E01")?;
                self.new_machine(target)
            }
        }
    }

    /// `vCont`, `c`, `C`, `s`, `S`: resume threads ourselves. In all-stop
    /// mode wait here for the stop and report it; in non-stop mode reply
    /// `OK` at once (stops come as notifications).
    fn resume<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        body: &[u8],
    ) -> Result<Machine<'a>, SessionError> {
        let Some(actions) = self.resume_actions(target, body) else {
            self.send_packet(b"E01")?;
            return Ok(machine);
        };
        let any = self
            .general_thread
            .or_else(|| self.last_stop.and_then(|e| e.tid()))
            .or_else(|| target.process.as_ref().and_then(|p| p.thread_ids().next()));
        if self.non_stop {
            self.settle_unreported(target, &actions);
        } else {
            self.thread_events.clear();
        }
        // Non-stop: a thread whose stop gdb has not taken from the queue
        // yet stays stopped on a wildcard resume (gdb has yet to see it
        // stopped), as in gdbserver.
        let queued: HashSet<Tid> = self
            .notifications
            .iter()
            .filter_map(|(tid, _)| *tid)
            .collect();
        let resumed = target.resume_vcont(&actions, any, self.non_stop, &queued);
        if resumed.is_ok() && std::mem::take(&mut self.interrupt_next_resume) {
            target.interrupt()?;
        }
        if self.non_stop {
            self.send_packet(match resumed {
                Ok(_) => b"OK",
                Err(_) => b"E01",
            })?;
            return Ok(machine);
        }
        match resumed {
            Ok(Resumed::Running) => {}
            Ok(Resumed::Nothing) => {
                self.send_packet(b"E01")?;
                return Ok(machine);
            }
            Err(e) => {
                log::warn!("resume: {e}");
                self.send_packet(format!("E{:02x}", e.errno()).as_bytes())?;
                return Ok(machine);
            }
        }
        match self.wait_all_stop(target)? {
            Ok(Some((pid, event))) => self.report_stop(machine, target, pid, event),
            Ok(None) => {
                // gdb's "No unwaited-for children left."
                self.send_packet(b"N")?;
                Ok(machine)
            }
            Err(end) => {
                self.end_after_reply = Some(end);
                Ok(machine)
            }
        }
    }

    /// Non-stop: an unreported stopped thread that gdb asks to stop is
    /// reported stopped now; one it resumes is simply resumed.
    fn settle_unreported(&mut self, target: &mut DebugTarget, actions: &[(Action, Threads)]) {
        if self.unreported.is_empty() {
            return;
        }
        for process in target.all_processes_mut() {
            let pid = process.pid().as_raw();
            let threads: Vec<Tid> = process.thread_ids().collect();
            for tid in threads {
                if !self.unreported.contains(&tid) {
                    continue;
                }
                let chosen = actions
                    .iter()
                    .find(|(_, threads)| threads.holds(pid, tid.as_raw()));
                match chosen {
                    Some((Action::Stop, _)) => {
                        self.unreported.remove(&tid);
                        let event = StopEvent::Stopped { tid };
                        self.thread_events.insert(tid, event);
                        let reply = stop_reply::reply(process, event, self.multiprocess);
                        self.notifications
                            .push_back((Some(tid), self.disabled.stop_reply(reply)));
                    }
                    Some(_) => {
                        self.unreported.remove(&tid);
                    }
                    None => {}
                }
            }
        }
    }

    /// The actions of a resume packet; a legacy packet acts on the `Hc`
    /// thread (or the current one) and, unless `Hc` named a thread, lets the
    /// rest of its process continue, as gdbserver does.
    fn resume_actions(
        &self,
        target: &mut DebugTarget,
        body: &[u8],
    ) -> Option<Vec<(Action, Threads)>> {
        if body.starts_with(b"vCont;") {
            return vcont::parse(body);
        }
        let (action, address) = vcont::parse_legacy(body)?;
        let tid = self
            .cont_thread
            .or(self.general_thread)
            .or_else(|| self.last_stop.and_then(|e| e.tid()))
            .or_else(|| target.process.as_ref().and_then(|p| p.thread_ids().next()))?;
        if !target.select_tid(tid) {
            return None;
        }
        let pid = target.process.as_ref()?.pid().as_raw();
        if let Some(address) = address {
            let process = target.process.as_mut()?;
            if let Err(e) = process.write_pc(tid, address) {
                log::warn!("resume at {address:#x}: {e}");
                return None;
            }
        }
        let mut actions = vec![(
            action,
            Threads::Thread {
                pid: Some(pid),
                tid: tid.as_raw(),
            },
        )];
        if self.cont_thread.is_none() {
            actions.push((Action::Continue { signal: 0 }, Threads::Process(pid)));
        }
        Some(actions)
    }

    /// Tell gdb of an all-stop event of process `pid`. The stopped thread
    /// becomes current, on gdb's side as on ours (gdb assumes so and sends
    /// no `Hg` for it). The end of the last process ends a session that is
    /// not extended.
    fn report_stop<'a>(
        &mut self,
        machine: Machine<'a>,
        target: &mut DebugTarget,
        pid: i32,
        event: StopEvent,
    ) -> Result<Machine<'a>, SessionError> {
        self.last_stop = Some(event);
        self.general_thread = None;
        target.select_pid(pid);
        let reply = match target.process.as_mut() {
            Some(process) if process.pid().as_raw() == pid => {
                stop_reply::reply(process, event, self.multiprocess)
            }
            _ => b"W00".to_vec(),
        };
        let reply = self.disabled.stop_reply(reply);
        self.send_packet(&reply)?;
        if event.is_exit() {
            target.remove_process(pid);
            self.forget_threads();
            if target.process.is_none() && !target.extended {
                self.end_after_reply = Some(SessionEnd::ProcessExited(event));
                return Ok(machine);
            }
            eprintln!("\n{}", describe_exit(event));
            return self.new_machine(target);
        }
        let Some(tid) = event.tid() else {
            return Ok(machine);
        };
        let select = if self.multiprocess {
            format!("Hgp{pid:x}.{:x}", tid.as_raw())
        } else {
            format!("Hg{:x}", tid.as_raw())
        };
        let mut machine = feed(machine, target, select.as_bytes()).map_err(SessionError::Stub)?;
        take_output(&mut machine);
        self.remember_handshake(select.as_bytes());
        Ok(machine)
    }

    /// Non-stop: queue a stop reply for every event the target has, and
    /// send the first as a `%Stop` notification unless one is out already.
    fn notify_stops(&mut self, target: &mut DebugTarget) -> Result<(), SessionError> {
        while let Some((pid, event)) = target.poll_event()? {
            let Some(process) = target.all_processes_mut().find(|p| p.pid().as_raw() == pid) else {
                continue;
            };
            let reply = stop_reply::reply(process, event, self.multiprocess);
            self.notifications
                .push_back((event.tid(), self.disabled.stop_reply(reply)));
            self.last_stop = Some(event);
            match event.tid() {
                Some(tid) => {
                    self.thread_events.insert(tid, event);
                }
                None => {
                    eprintln!("\n{}", describe_exit(event));
                    target.remove_process(pid);
                    self.forget_threads();
                }
            }
        }
        if !self.notified {
            if let Some((_, first)) = self.notifications.front().cloned() {
                let mut body = b"Stop:".to_vec();
                body.extend_from_slice(&first);
                let mut packet = framing::encode_packet(&body, true);
                packet[0] = b'%';
                if crate::logging::remote_debug() {
                    log::info!(target: crate::logging::REMOTE, "notif (\"{}\");", String::from_utf8_lossy(&body));
                }
                self.write(&packet)?;
                self.notified = true;
            }
        }
        Ok(())
    }

    /// Non-stop `vAttach`: `OK`, where all-stop replies with the stop. gdb
    /// then asks the new process's threads to stop (`vCont;t`), and only
    /// then, once it knows the process's architecture, hears they stopped.
    fn attached_in_non_stop(
        &mut self,
        machine: &mut Machine<'_>,
        target: &mut DebugTarget,
    ) -> Result<(), SessionError> {
        let output = take_output(machine);
        let replies = framing::split_packets(&output);
        let attached = replies
            .first()
            .is_some_and(|r| matches!(r.first(), Some(b'T' | b'S')));
        if !attached {
            for reply in replies {
                self.send_packet(&reply)?;
            }
            return Ok(());
        }
        self.send_packet(b"OK")?;
        if let Some(process) = target.process.as_ref() {
            self.unreported.extend(process.thread_ids());
        }
        Ok(())
    }

    /// `vStopped`: gdb took the stop reply it was sent; the next one, or
    /// `OK` when none is left.
    fn next_notification(&mut self) -> Vec<u8> {
        if self.notified {
            self.notifications.pop_front();
        }
        match self.notifications.front() {
            Some((_, next)) => {
                self.notified = true;
                next.clone()
            }
            None => {
                self.notified = false;
                b"OK".to_vec()
            }
        }
    }

    /// Non-stop `?`: a stop reply for every stopped thread, the first as
    /// the reply and the rest for `vStopped`, as gdbserver does.
    fn non_stop_status(&mut self, target: &mut DebugTarget) -> Vec<u8> {
        self.notifications.clear();
        self.notified = false;
        self.unreported.clear();
        for process in target.all_processes_mut() {
            let stopped: Vec<Tid> = process
                .thread_ids()
                .filter(|&t| !process.is_running(t))
                .collect();
            for tid in stopped {
                // Threads that never reported anything (the non-leaders
                // of a process we attached to) are left for gdb to stop,
                // as gdbserver does: gdb is not ready for a burst of stops
                // on connecting.
                let event = match self.thread_events.get(&tid) {
                    Some(&event) => event,
                    None if self.last_stop.and_then(|e| e.tid()) == Some(tid) => {
                        self.last_stop.expect("checked")
                    }
                    None if tid == process.pid() => match process.origin() {
                        Origin::Launched => StopEvent::Signal {
                            tid,
                            signal: libc::SIGTRAP,
                        },
                        Origin::Attached => StopEvent::Stopped { tid },
                    },
                    None => {
                        self.unreported.insert(tid);
                        continue;
                    }
                };
                let reply = stop_reply::reply(process, event, self.multiprocess);
                self.notifications
                    .push_back((Some(tid), self.disabled.stop_reply(reply)));
            }
        }
        match self.notifications.front() {
            Some((_, first)) => {
                self.notified = true;
                first.clone()
            }
            None => b"OK".to_vec(),
        }
    }

    /// Keep the packets that set gdbstub state, to replay into a new machine.
    fn remember_handshake(&mut self, body: &[u8]) {
        if body.starts_with(b"qSupported") {
            self.handshake.retain(|p| !p.starts_with(b"qSupported"));
            self.handshake.push(body.to_vec());
        } else if body.starts_with(b"Hg") || body.starts_with(b"Hc") {
            let prefix = body[..2].to_vec();
            self.handshake.retain(|p| !p.starts_with(&prefix));
            self.handshake.push(body.to_vec());
        }
    }

    /// Without multiprocess ids gdb knows a process by a made-up pid (42000)
    /// yet still sends `vKill;PID`: like gdbserver, that then means the
    /// current process.
    fn own_pid_in_vkill(&self, target: &DebugTarget, body: Vec<u8>) -> Vec<u8> {
        match &target.process {
            Some(process) if !self.multiprocess && body.starts_with(b"vKill;") => {
                format!("vKill;{:x}", process.pid().as_raw()).into_bytes()
            }
            _ => body,
        }
    }

    /// Send what gdbstub wrote, packet by packet, appending `extra` to the first.
    fn send_output(
        &mut self,
        machine: &mut Machine<'_>,
        extra: Option<&str>,
    ) -> Result<(), SessionError> {
        let output = take_output(machine);
        for (i, body) in framing::split_packets(&output).into_iter().enumerate() {
            let mut body = body;
            if i == 0 {
                if let Some(extra) = extra {
                    body.extend_from_slice(extra.as_bytes());
                }
            }
            self.send_packet(&body)?;
        }
        Ok(())
    }

    fn send_packet(&mut self, body: &[u8]) -> Result<(), SessionError> {
        if crate::logging::remote_debug() {
            let shown = &body[..body.len().min(200)];
            log::info!(target: crate::logging::REMOTE, "putpkt (\"{}\");", String::from_utf8_lossy(shown));
        }
        let packet = framing::encode_packet(body, true);
        self.write(&packet)?;
        self.last_sent = packet;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        if let Err(e) = self.conn.write_all(bytes) {
            log::debug!("write to gdb failed: {e}");
            // The read side will see the connection go; nothing more to send.
        }
        Ok(())
    }

    /// The next frame from gdb, blocking while the target is stopped. In
    /// non-stop mode None when the target may have news (SIGCHLD).
    fn next_input(
        &mut self,
        timeout: PollTimeout,
    ) -> Result<Result<Option<Frame>, SessionEnd>, SessionError> {
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return Ok(Ok(Some(frame)));
            }
            match self.wait(timeout)? {
                Wake::Frames => {}
                Wake::Child if self.non_stop => return Ok(Ok(None)),
                Wake::Child => {}
                Wake::ConnectionLost => return Ok(Err(SessionEnd::ConnectionLost)),
                Wake::Terminated(sig) => return Ok(Err(SessionEnd::Terminated(sig))),
            }
        }
    }

    /// All-stop: wait while the target runs, for the first event of any
    /// process (then every thread is stopped), Ctrl-C from gdb, or the end.
    /// None when no resumed thread is left to wait for (they all exited).
    fn wait_all_stop(
        &mut self,
        target: &mut DebugTarget,
    ) -> Result<Result<Option<(i32, StopEvent)>, SessionEnd>, SessionError> {
        loop {
            // Only Ctrl-C means something while running; packets wait. Look
            // before blocking: a Ctrl-C read together with the resume packet
            // is already queued, and no new data may ever wake us for it.
            let mut keep = VecDeque::new();
            while let Some(frame) = self.frames.pop_front() {
                match frame {
                    Frame::Interrupt => target.interrupt()?,
                    Frame::Packet(_) | Frame::Nack | Frame::BadChecksum | Frame::Oversized => {
                        keep.push_back(frame)
                    }
                    Frame::Ack => {}
                }
            }
            self.frames = keep;
            if let Some((pid, event)) = target.poll_event()? {
                target.stop_everything()?;
                return Ok(Ok(Some((pid, event))));
            }
            if target.process.is_none() && target.others.is_empty() {
                return Ok(Ok(Some((0, StopEvent::Exited { code: 0 }))));
            }
            target.forget_exited_leaders();
            // Not while a thread is being killed by another's exit_group:
            // its exit, and the process's, are still to come.
            if !target.any_running() && self.no_resumed && !target.any_thread_exiting() {
                return Ok(Ok(None));
            }
            // A leader thread's exit wakes nobody: look again now and then.
            let timeout = if target.more_events {
                PollTimeout::ZERO
            } else {
                PollTimeout::from(LEADER_EXIT_POLL_MS)
            };
            match self.wait(timeout)? {
                Wake::Child | Wake::Frames => {}
                Wake::ConnectionLost => return Ok(Err(SessionEnd::ConnectionLost)),
                Wake::Terminated(sig) => return Ok(Err(SessionEnd::Terminated(sig))),
            }
        }
    }

    /// Block until the connection has data or a signal arrives.
    fn wait(&mut self, timeout: PollTimeout) -> Result<Wake, SessionError> {
        let (conn_ready, signal_ready) = {
            let mut fds = [
                PollFd::new(self.conn.input_fd(), PollFlags::POLLIN),
                PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => return Ok(Wake::Child),
                Err(e) => return Err(SessionError::Poll(e)),
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (ready(&fds[0]), ready(&fds[1]))
        };
        if signal_ready {
            let mut child = false;
            while let Ok(Some(info)) = self.signals.read_signal() {
                match info.ssi_signo as i32 {
                    libc::SIGCHLD => child = true,
                    sig => return Ok(Wake::Terminated(sig)),
                }
            }
            if child && !conn_ready {
                return Ok(Wake::Child);
            }
        }
        if conn_ready {
            let mut buf = vec![0u8; 64 * 1024];
            match self.conn.read(&mut buf) {
                Ok(0) => return Ok(Wake::ConnectionLost),
                Ok(n) => {
                    self.bytes_since_packet += n;
                    for &b in &buf[..n] {
                        if let Some(frame) = self.reader.push(b) {
                            match frame {
                                Frame::Packet(_) => {
                                    self.bytes_since_packet = 0;
                                    self.bad_frames_in_a_row = 0;
                                }
                                Frame::BadChecksum | Frame::Oversized => {
                                    self.bad_frames_in_a_row += 1
                                }
                                Frame::Ack | Frame::Nack | Frame::Interrupt => {}
                            }
                            self.frames.push_back(frame);
                        }
                    }
                    if self.bytes_since_packet > GARBAGE_BYTES_LIMIT
                        || self.bad_frames_in_a_row > BAD_FRAMES_LIMIT
                    {
                        log::warn!(
                            "{} bytes and {} bad frames since the last valid packet: dropping the client",
                            self.bytes_since_packet,
                            self.bad_frames_in_a_row
                        );
                        return Ok(Wake::ConnectionLost);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    log::debug!("read from gdb failed: {e}");
                    return Ok(Wake::ConnectionLost);
                }
            }
            return Ok(Wake::Frames);
        }
        Ok(Wake::Child)
    }
}

/// Packets that resume the target, which our layer handles.
fn is_resume(body: &[u8]) -> bool {
    body.starts_with(b"vCont;") || matches!(body.first(), Some(b'c' | b'C' | b's' | b'S'))
}

/// How often an all-stop wait looks for leader threads that exited
/// without a word.
const LEADER_EXIT_POLL_MS: u16 = 200;

/// What the server prints when the process ends, as gdbserver does.
pub fn describe_exit(event: StopEvent) -> String {
    match event {
        StopEvent::Killed { signal } => format!("Child terminated with signal = {signal}"),
        StopEvent::Exited { code } => format!("Child exited with status {code}"),
        _ => String::new(),
    }
}

/// Feed one packet body to gdbstub, framed as it expects.
fn feed<'a>(
    mut machine: Machine<'a>,
    target: &mut DebugTarget,
    body: &[u8],
) -> Result<Machine<'a>, String> {
    let framed = framing::encode_packet(body, false);
    for &byte in &framed {
        machine = match machine {
            GdbStubStateMachine::Idle(inner) => inner
                .incoming_data(target, byte)
                .map_err(|e| e.to_string())?,
            GdbStubStateMachine::Running(inner) => inner
                .incoming_data(target, byte)
                .map_err(|e| e.to_string())?,
            other => return Ok(other),
        };
    }
    Ok(machine)
}

fn take_output(machine: &mut Machine<'_>) -> Vec<u8> {
    let conn = match machine {
        GdbStubStateMachine::Idle(inner) => inner.borrow_conn(),
        GdbStubStateMachine::Running(inner) => inner.borrow_conn(),
        GdbStubStateMachine::CtrlCInterrupt(inner) => inner.borrow_conn(),
        GdbStubStateMachine::Disconnected(inner) => inner.borrow_conn(),
    };
    std::mem::take(&mut conn.out)
}
