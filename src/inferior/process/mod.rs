//! One traced process and its threads under all-stop control (LLDB's
//! NativeProcessLinux role): resuming threads as gdb asks, turning wait
//! statuses into stop events, stopping every other thread when one stops and
//! keeping their events pending, and detaching or killing cleanly.

mod conditions;
mod events;
mod lifecycle;
mod spawn;
mod step_over;
mod syscall;
mod thread;
mod trap;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::inferior::breakpoints::SoftwareBreakpoints;
use crate::inferior::hw_debug::{HwDebug, HwDebugError, HwKind, HwRequest};
use crate::inferior::launch::{self, LaunchError, LaunchSpec};
use crate::inferior::memory::{Memory, MemoryError};
use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::regs::{native, RegsError};
use crate::inferior::{auxv, elf_symbols, maps, procfs, svr4, tls};

use conditions::BreakpointActions;
use thread::ThreadState;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Launch(#[from] LaunchError),
    #[error(transparent)]
    Memory(#[from] MemoryError),
    #[error(transparent)]
    Regs(#[from] RegsError),
    #[error("ptrace failed on thread {tid}: {errno}")]
    Ptrace { tid: i32, errno: Errno },
    #[error("no such thread {0}")]
    NoSuchThread(i32),
    #[error("the process has exited")]
    Exited,
    #[error("{0}")]
    Proc(String),
    #[error(transparent)]
    HwDebug(#[from] HwDebugError),
}

impl ProcessError {
    /// The errno gdb gets in an `Exx` reply.
    pub fn errno(&self) -> u8 {
        match self {
            ProcessError::Memory(e) => e.errno(),
            ProcessError::Regs(e) => e.errno(),
            ProcessError::Ptrace { errno, .. } => *errno as i32 as u8,
            ProcessError::NoSuchThread(_) | ProcessError::Exited => libc::ESRCH as u8,
            ProcessError::Proc(_) => libc::EIO as u8,
            ProcessError::Launch(_) => libc::EIO as u8,
            ProcessError::HwDebug(HwDebugError::NoSlots) => libc::ENOSPC as u8,
            ProcessError::HwDebug(HwDebugError::Unsupported) => libc::EOPNOTSUPP as u8,
            ProcessError::HwDebug(HwDebugError::Ptrace { errno, .. }) => *errno as i32 as u8,
        }
    }
}

fn ptrace_err(tid: Tid) -> impl Fn(Errno) -> ProcessError {
    move |errno| ProcessError::Ptrace {
        tid: tid.as_raw(),
        errno,
    }
}

/// Why the process stopped, as reported to gdb. Signals are host numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopEvent {
    /// Hit one of our software breakpoints; the PC is already moved back to it.
    Breakpoint {
        tid: Tid,
        addr: u64,
    },
    /// Finished a single step.
    Step {
        tid: Tid,
    },
    /// Reached a hardware breakpoint (the PC is at it).
    HwBreak {
        tid: Tid,
    },
    /// A watchpoint fired on an access to `addr` (the access has happened).
    Watch {
        tid: Tid,
        kind: HwKind,
        addr: u64,
    },
    /// Forked (or vforked) `child`, which is stopped and waiting for gdb.
    Fork {
        tid: Tid,
        child: Pid,
        vfork: bool,
    },
    /// A vfork child has exec'd or exited: the parent runs on its own memory again.
    VforkDone {
        tid: Tid,
    },
    /// Exec'd a new program (every other thread is gone).
    Exec {
        tid: Tid,
    },
    /// Entering (`entry`) or returning from system call `nr`.
    Syscall {
        tid: Tid,
        nr: u64,
        entry: bool,
    },
    /// Stopped because gdb asked (non-stop `vCont;t`): no signal.
    Stopped {
        tid: Tid,
    },
    /// Stopped with a signal (which will be delivered if gdb resumes with it).
    Signal {
        tid: Tid,
        signal: i32,
    },
    Exited {
        code: i32,
    },
    Killed {
        signal: i32,
    },
}

impl StopEvent {
    pub fn tid(&self) -> Option<Tid> {
        match *self {
            StopEvent::Breakpoint { tid, .. }
            | StopEvent::Step { tid }
            | StopEvent::HwBreak { tid }
            | StopEvent::Watch { tid, .. }
            | StopEvent::Fork { tid, .. }
            | StopEvent::VforkDone { tid }
            | StopEvent::Exec { tid }
            | StopEvent::Syscall { tid, .. }
            | StopEvent::Stopped { tid }
            | StopEvent::Signal { tid, .. } => Some(tid),
            StopEvent::Exited { .. } | StopEvent::Killed { .. } => None,
        }
    }

    pub fn is_exit(&self) -> bool {
        matches!(self, StopEvent::Exited { .. } | StopEvent::Killed { .. })
    }
}

/// What gdb asked one thread to do on resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeAction {
    Continue {
        signal: i32,
    },
    Step {
        signal: i32,
    },
    /// Step until the PC leaves `[start, end)` (`vCont;r`): gdb hears of
    /// the last step only.
    RangeStep {
        start: u64,
        end: u64,
    },
}

/// What gdb said about signals (host numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalPolicy {
    /// Delivered to the program straight away, without a stop (`QPassSignals`).
    pub pass: HashSet<i32>,
    /// If set, only these may reach the program without gdb resuming it
    /// with them, e.g. signals still pending at detach (`QProgramSignals`).
    pub program: Option<HashSet<i32>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Launched,
    Attached,
}

pub struct Process {
    pid: Pid,
    origin: Origin,
    threads: BTreeMap<Tid, ThreadState>,
    /// Threads that reported their first stop before their creator's clone event.
    early_stops: HashSet<Tid>,
    memory: Memory,
    regs: native::RegisterContext,
    regs_cache: HashMap<Tid, Vec<u8>>,
    pub breakpoints: SoftwareBreakpoints,
    /// gdb's conditions and commands for software breakpoints.
    actions: BreakpointActions,
    hw: HwDebug,
    pub signal_policy: SignalPolicy,
    /// gdb understands fork and vfork events (`fork-events+`); otherwise
    /// children are cleaned of breakpoints and let go at once.
    pub report_forks: bool,
    /// gdb understands exec events (`exec-events+`); otherwise an exec is
    /// reported as a plain SIGTRAP, as before the protocol had them.
    pub report_exec: bool,
    /// System calls to stop at (`QCatchSyscalls`): None for no catching, an
    /// empty set for all of them.
    pub catch_syscalls: Option<HashSet<u64>>,
    /// Children reported in a Fork event, for the caller to take over.
    forked: Vec<Process>,
    /// A vfork child shares our memory: its breakpoints are ours.
    shares_memory_with_parent: bool,
    /// glibc's TLS structure layout, read once per program image.
    tls_layout: Option<tls::TlsLayout>,
    /// Pending events chosen on resume, reported without running anything.
    ready: VecDeque<StopEvent>,
    exit: Option<StopEvent>,
    /// The exit was handed out by `take_ready`.
    exit_reported: bool,
    /// The last resume was in non-stop mode: threads run and stop alone.
    non_stop: bool,
}

impl Process {
    pub fn launch(spec: &LaunchSpec) -> Result<Process, ProcessError> {
        let pid = launch::launch(spec)?;
        let mut process = Process::new(pid, Origin::Launched)?;
        process.threads.insert(pid, ThreadState::default());
        Ok(process)
    }

    pub fn attach(pid: Pid) -> Result<Process, ProcessError> {
        let threads = launch::attach_all(pid)?;
        let mut process = Process::new(pid, Origin::Attached)?;
        for (tid, signal) in threads {
            let pending = signal.map(|signal| StopEvent::Signal { tid, signal });
            process.threads.insert(tid, ThreadState::attached(pending));
        }
        Ok(process)
    }

    fn new(pid: Pid, origin: Origin) -> Result<Process, ProcessError> {
        Ok(Process {
            pid,
            origin,
            threads: BTreeMap::new(),
            early_stops: HashSet::new(),
            memory: Memory::open(pid)?,
            regs: native::RegisterContext::probe(pid),
            regs_cache: HashMap::new(),
            breakpoints: SoftwareBreakpoints::default(),
            actions: BreakpointActions::default(),
            hw: HwDebug::default(),
            signal_policy: SignalPolicy::default(),
            report_forks: false,
            report_exec: false,
            catch_syscalls: None,
            forked: Vec::new(),
            shares_memory_with_parent: false,
            tls_layout: None,
            ready: VecDeque::new(),
            exit: None,
            exit_reported: false,
            non_stop: false,
        })
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }

    pub fn has_exited(&self) -> bool {
        self.exit.is_some()
    }

    pub fn exit_event(&self) -> Option<StopEvent> {
        self.exit
    }

    pub fn thread_ids(&self) -> impl Iterator<Item = Tid> + '_ {
        self.threads.keys().copied()
    }

    pub fn has_thread(&self, tid: Tid) -> bool {
        self.threads.contains_key(&tid)
    }

    pub fn register_context(&self) -> &native::RegisterContext {
        &self.regs
    }

    /// gdb does not read target descriptions: use the register layout it
    /// assumes without one.
    pub fn use_plain_register_layout(&mut self) {
        #[cfg(target_arch = "x86_64")]
        self.regs.without_target_description();
        self.regs_cache.clear();
    }

    fn live_thread(&self, tid: Tid) -> Result<(), ProcessError> {
        if self.exit.is_some() {
            return Err(ProcessError::Exited);
        }
        if !self.threads.contains_key(&tid) {
            return Err(ProcessError::NoSuchThread(tid.as_raw()));
        }
        Ok(())
    }

    // ----- registers and memory (the process is stopped) -----

    pub fn read_registers(&mut self, tid: Tid) -> Result<Vec<u8>, ProcessError> {
        self.live_thread(tid)?;
        if let Some(g) = self.regs_cache.get(&tid) {
            return Ok(g.clone());
        }
        let g = self.regs.read(tid)?;
        self.regs_cache.insert(tid, g.clone());
        Ok(g)
    }

    pub fn write_registers(&mut self, tid: Tid, g: &[u8]) -> Result<(), ProcessError> {
        self.live_thread(tid)?;
        self.regs_cache.remove(&tid);
        self.regs.write(tid, g)?;
        Ok(())
    }

    /// Read memory as the program sees it (breakpoint instructions hidden).
    /// Move a stopped thread's PC (legacy `c ADDR` / `s ADDR`).
    pub fn write_pc(&mut self, tid: Tid, pc: u64) -> Result<(), ProcessError> {
        self.live_thread(tid)?;
        self.regs_cache.remove(&tid);
        native::RegisterContext::write_pc(tid, pc)?;
        Ok(())
    }

    pub fn read_memory(&self, addr: u64, buf: &mut [u8]) -> Result<usize, ProcessError> {
        if self.exit.is_some() {
            return Err(ProcessError::Exited);
        }
        let n = self.memory.read(addr, buf)?;
        self.breakpoints.unshadow(addr, &mut buf[..n]);
        Ok(n)
    }

    pub fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), ProcessError> {
        if self.exit.is_some() {
            return Err(ProcessError::Exited);
        }
        self.breakpoints.write_around(&self.memory, addr, data)?;
        Ok(())
    }

    pub fn insert_breakpoint(&mut self, addr: u64) -> Result<(), ProcessError> {
        self.breakpoints
            .insert(&self.memory, addr, native::BREAKPOINT_INSN)?;
        Ok(())
    }

    pub fn remove_breakpoint(&mut self, addr: u64) -> Result<(), ProcessError> {
        self.actions.forget(addr);
        self.breakpoints.remove(&self.memory, addr)?;
        Ok(())
    }

    /// The siginfo of the signal that stopped `tid` (`$_siginfo`).
    pub fn siginfo(&self, tid: Tid) -> Result<[u8; pt::SIGINFO_SIZE], ProcessError> {
        self.live_thread(tid)?;
        pt::get_siginfo_raw(tid).map_err(ptrace_err(tid))
    }

    /// Overwrite part of that siginfo: what the thread gets if resumed with its signal.
    pub fn write_siginfo(
        &mut self,
        tid: Tid,
        offset: usize,
        data: &[u8],
    ) -> Result<(), ProcessError> {
        let mut info = self.siginfo(tid)?;
        let end = offset
            .checked_add(data.len())
            .filter(|&end| end <= info.len())
            .ok_or(ProcessError::Ptrace {
                tid: tid.as_raw(),
                errno: Errno::EINVAL,
            })?;
        info[offset..end].copy_from_slice(data);
        pt::set_siginfo_raw(tid, &info).map_err(ptrace_err(tid))
    }

    /// Add a hardware breakpoint or watchpoint to every thread.
    pub fn insert_hw(&mut self, request: HwRequest) -> Result<(), ProcessError> {
        if self.exit.is_some() {
            return Err(ProcessError::Exited);
        }
        // gdb inserting the same request again (as it does to update a
        // hardware breakpoint's conditions): it is in already, as with GNU
        // gdbserver. Taking another slot each time ran out of them
        // (gdb.base/break-idempotent.exp, "Cannot insert hardware
        // breakpoint").
        if self.hw.contains(request) {
            return Ok(());
        }
        self.hw.insert(request)?;
        if let Err(e) = self.apply_hw_everywhere() {
            self.hw.remove(request);
            let _ = self.apply_hw_everywhere();
            return Err(e);
        }
        Ok(())
    }

    /// Remove one hardware breakpoint or watchpoint; false if there was none.
    pub fn remove_hw(&mut self, request: HwRequest) -> Result<bool, ProcessError> {
        if !self.hw.remove(request) {
            return Ok(false);
        }
        if self.exit.is_none() {
            self.apply_hw_everywhere()?;
        }
        Ok(true)
    }

    /// Program the debug registers of stopped threads now; running ones
    /// (there are none in all-stop) get them before they next run.
    fn apply_hw_everywhere(&mut self) -> Result<(), ProcessError> {
        for (tid, thread) in self.threads.iter_mut() {
            if thread.running {
                thread.debug_regs_stale = true;
                continue;
            }
            match self.hw.apply(*tid) {
                Ok(()) => thread.debug_regs_stale = false,
                // A thread on its way out cannot be programmed, nor run.
                Err(HwDebugError::Ptrace {
                    errno: Errno::ESRCH,
                    ..
                }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Bring a thread's debug registers up to date before it runs.
    fn refresh_hw(&mut self, tid: Tid) -> Result<(), ProcessError> {
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        if thread.debug_regs_stale {
            match self.hw.apply(tid) {
                Ok(())
                | Err(HwDebugError::Ptrace {
                    errno: Errno::ESRCH,
                    ..
                }) => thread.debug_regs_stale = false,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Take every software and hardware breakpoint and watchpoint out.
    pub fn remove_all_breakpoints(&mut self) -> Result<(), ProcessError> {
        if self.exit.is_some() {
            self.breakpoints.forget_all();
            self.actions.clear();
            self.hw.clear();
            return Ok(());
        }
        self.actions.clear();
        let software = self.breakpoints.remove_all(&self.memory);
        let had_hw = !self.hw.is_empty();
        self.hw.clear();
        if had_hw {
            self.apply_hw_everywhere()?;
        }
        software?;
        Ok(())
    }

    // ----- what /proc and the dynamic linker say -----

    /// The raw auxiliary vector.
    pub fn auxv(&self) -> Result<Vec<u8>, ProcessError> {
        procfs::auxv(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))
    }

    /// `qXfer:libraries-svr4:read`'s document, from the link_map list.
    pub fn libraries_svr4_xml(&self) -> Result<String, ProcessError> {
        let format = auxv::WordFormat::native();
        let entries = auxv::parse_auxv(&self.auxv()?, format);
        let mut reader = |addr: u64, buf: &mut [u8]| -> Result<(), svr4::MemoryReadError> {
            match self.read_memory(addr, buf) {
                Ok(n) if n == buf.len() => Ok(()),
                _ => Err(svr4::MemoryReadError { addr }),
            }
        };
        svr4::libraries_svr4_xml(&mut reader, &entries, format)
            .map_err(|e| ProcessError::Proc(e.to_string()))
    }

    /// The address of `offset` in module `link_map`'s thread-local storage
    /// for thread `tid` (`qGetTLSAddr`).
    pub fn tls_address(
        &mut self,
        tid: Tid,
        offset: u64,
        link_map: u64,
    ) -> Result<u64, ProcessError> {
        self.live_thread(tid)?;
        let tls_err = |e: tls::TlsError| ProcessError::Proc(e.to_string());
        let layout = match self.tls_layout {
            Some(layout) => layout,
            None => {
                let text = procfs::maps(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))?;
                let entries =
                    maps::parse_maps(&text).map_err(|e| ProcessError::Proc(e.to_string()))?;
                let mut read = |addr: u64, buf: &mut [u8]| matches!(self.read_memory(addr, buf), Ok(n) if n == buf.len());
                let layout = match tls::find_libc(&entries) {
                    Some((path, base)) => {
                        let file = procfs::file_in_root(self.pid, &path)
                            .map_err(|e| ProcessError::Proc(format!("{path}: {e}")))?;
                        tls::layout(&file, base, &mut read)
                    }
                    // No libc.so: a static executable carries glibc itself.
                    None => {
                        let file = procfs::executable(self.pid)
                            .map_err(|e| ProcessError::Proc(format!("executable: {e}")))?;
                        let entries = auxv::parse_auxv(&self.auxv()?, auxv::WordFormat::native());
                        // A static PIE runs at a bias: where its entry point
                        // is against where the file says it is.
                        let bias = match (
                            auxv::lookup(&entries, auxv::AT_ENTRY),
                            elf_symbols::entry_point(&file),
                        ) {
                            (Some(at), Some(linked)) => at.wrapping_sub(linked),
                            _ => 0,
                        };
                        tls::static_layout(&file, bias, &mut read).map_err(|e| match e {
                            tls::TlsError::NoDescriptors => tls::TlsError::NoLibc,
                            e => e,
                        })
                    }
                }
                .map_err(tls_err)?;
                self.tls_layout = Some(layout);
                layout
            }
        };
        let tp = native::RegisterContext::thread_pointer(tid)
            .map_err(|_| tls_err(tls::TlsError::NoThreadPointer))?;
        let mut read = |addr: u64, buf: &mut [u8]| matches!(self.read_memory(addr, buf), Ok(n) if n == buf.len());
        tls::address(
            &layout,
            native::TLS_VARIANT,
            tp,
            link_map,
            offset,
            &mut read,
        )
        .map_err(tls_err)
    }

    /// `qXfer:memory-map:read`'s document, from /proc/PID/maps.
    pub fn memory_map_xml(&self) -> Result<String, ProcessError> {
        let text = procfs::maps(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))?;
        let entries = maps::parse_maps(&text).map_err(|e| ProcessError::Proc(e.to_string()))?;
        Ok(maps::memory_map_xml(&entries))
    }

    // ----- running -----

    /// Resume threads: each named thread does its action, the others do
    /// `default` (None keeps them stopped: scheduler locking). A thread that
    /// would run but has an event pending does not run; its event is
    /// reported by the next `take_ready`. In all-stop (`!non_stop`) one such
    /// event keeps every thread stopped, as gdb expects a single stop.
    pub fn resume(
        &mut self,
        actions: &HashMap<Tid, ResumeAction>,
        default: Option<ResumeAction>,
        non_stop: bool,
    ) -> Result<(), ProcessError> {
        if self.exit.is_some() {
            return Err(ProcessError::Exited);
        }
        self.non_stop = non_stop;
        self.regs_cache.clear();
        let mut plan: Vec<(Tid, ResumeAction)> = self
            .threads
            .keys()
            .filter_map(|tid| actions.get(tid).copied().or(default).map(|a| (*tid, a)))
            .collect();

        let mut held = HashSet::new();
        for (tid, _) in &plan {
            let thread = self.threads.get_mut(tid).expect("planned threads exist");
            match thread.pending {
                // gdb took the breakpoint out since: the thread, whose PC is
                // already back at the breakpoint, simply runs that code.
                Some(StopEvent::Breakpoint { addr, .. }) if !self.breakpoints.contains(addr) => {
                    thread.pending = None;
                }
                // Stopped by a signal gdb has since said to pass: deliver it.
                Some(StopEvent::Signal { signal, .. })
                    if self.signal_policy.pass.contains(&signal) =>
                {
                    thread.pending = None;
                    thread.deliver = Some(signal);
                }
                Some(event) => {
                    thread.pending = None;
                    self.ready.push_back(event);
                    if !non_stop {
                        // Signals gdb gave the other threads wait for their
                        // next run.
                        self.keep_resume_signals(&plan);
                        return Ok(());
                    }
                    held.insert(*tid);
                }
                None => {}
            }
        }
        plan.retain(|(tid, _)| !held.contains(tid));

        for (tid, action) in plan {
            if self.threads.get(&tid).is_some_and(|t| t.running) {
                continue;
            }
            self.refresh_hw(tid)?;
            let thread = self.threads.get_mut(&tid).expect("planned threads exist");
            let (requested, step) = match action {
                ResumeAction::Continue { signal } => (signal, false),
                ResumeAction::Step { signal } => (signal, true),
                ResumeAction::RangeStep { .. } => (0, true),
            };
            thread.range = match action {
                ResumeAction::RangeStep { start, end } => Some((start, end)),
                _ => None,
            };
            let signal = thread.signal_for_resume(requested);
            let catching = self.catch_syscalls.is_some();
            let result = if step {
                pt::step(tid, signal)
            } else if catching {
                pt::syscall(tid, signal)
            } else {
                pt::cont(tid, signal)
            };
            match result {
                Ok(()) => {
                    thread.running = true;
                    thread.stepping = step;
                }
                // The thread is gone (exiting): its exit status will tell.
                Err(Errno::ESRCH) => thread.running = true,
                Err(errno) => return Err(ptrace_err(tid)(errno)),
            }
        }
        Ok(())
    }

    /// Nothing runs this time (an event is pending), but gdb has handed the
    /// signals in `plan` to their threads: keep them for when each thread
    /// next runs, as GNU gdbserver enqueues them. Dropping them lost a
    /// signal gdb passed on (gdb.threads/siginfo-threads.exp). The thread
    /// stays in its signal-delivery-stop, so the signal keeps its siginfo.
    fn keep_resume_signals(&mut self, plan: &[(Tid, ResumeAction)]) {
        for (tid, action) in plan {
            let (ResumeAction::Continue { signal } | ResumeAction::Step { signal }) = *action
            else {
                continue;
            };
            if signal == 0 {
                continue;
            }
            let Some(thread) = self.threads.get_mut(tid) else {
                continue;
            };
            if let Err(kept) = thread.keep_signal(signal) {
                log::warn!("thread {tid}: signal {signal} dropped, {kept} already waits")
            }
        }
    }

    /// Interrupt a running process, as Ctrl-C in gdb asks: SIGINT, which the
    /// next stop reports.
    pub fn interrupt(&mut self) -> Result<(), ProcessError> {
        if self.exit.is_some() {
            return Ok(());
        }
        kill(self.pid, Signal::SIGINT).map_err(ptrace_err(self.pid))
    }

    /// Non-stop `vCont;t`: stop a running thread; its stop is reported as
    /// `Stopped` (or as whatever event it meets first). A stopped thread is
    /// left as it is.
    pub fn request_stop(&mut self, tid: Tid) -> Result<(), ProcessError> {
        let pid = self.pid;
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        if !thread.running {
            return Ok(());
        }
        thread.stop_requested = true;
        if !thread.sigstop_expected {
            match pt::tgkill(pid, tid, libc::SIGSTOP) {
                Ok(()) => thread.sigstop_expected = true,
                Err(Errno::ESRCH) => {}
                Err(errno) => return Err(ptrace_err(tid)(errno)),
            }
        }
        Ok(())
    }

    /// Is this thread running (resumed and not seen stopping)?
    pub fn is_running(&self, tid: Tid) -> bool {
        self.threads.get(&tid).is_some_and(|t| t.running)
    }

    /// Any thread running?
    pub fn any_running(&self) -> bool {
        self.threads.values().any(|t| t.running)
    }

    /// An event that needs no waiting: one held back on resume, or the
    /// process's end (handed out once).
    pub fn take_ready(&mut self) -> Option<StopEvent> {
        if let Some(event) = self.ready.pop_front() {
            return Some(event);
        }
        match self.exit {
            Some(exit) if !self.exit_reported => {
                self.exit_reported = true;
                Some(exit)
            }
            _ => None,
        }
    }

    /// Continue a silently stopped thread the way it was going.
    fn restart(&mut self, tid: Tid) -> Result<(), ProcessError> {
        self.restart_with(tid, 0)
    }

    /// Continue a silently stopped thread the way it was going, delivering `signal`.
    fn restart_with(&mut self, tid: Tid, signal: i32) -> Result<(), ProcessError> {
        self.refresh_hw(tid)?;
        let Some(thread) = self.threads.get_mut(&tid) else {
            return Ok(());
        };
        let signal = thread.signal_for_resume(signal);
        let result = if thread.stepping {
            pt::step(tid, signal)
        } else if self.catch_syscalls.is_some() {
            pt::syscall(tid, signal)
        } else {
            pt::cont(tid, signal)
        };
        match result {
            Ok(()) | Err(Errno::ESRCH) => {
                thread.running = true;
                Ok(())
            }
            Err(errno) => Err(ptrace_err(tid)(errno)),
        }
    }
}
