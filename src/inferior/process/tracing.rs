//! Tracepoints in a process: the traps planted at the run's sites (beside
//! gdb's own breakpoints, which may share an address: `Points` keeps which
//! addresses are gdb's and which are the trace's, so that neither removes
//! the other's trap), and the collection at a hit, from the stopped
//! thread's registers and the process's memory, into the shared
//! `trace::TraceState`.

use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::inferior::trace::{SharedTrace, Source};

use super::{Process, ProcessError};

impl Process {
    /// Collect into `trace` (the target's, shared by all its processes).
    pub fn share_trace(&mut self, trace: SharedTrace) {
        self.trace = trace;
    }

    /// `QTStart`: a new run; a trap at every enabled tracepoint. A site
    /// that cannot be planted (not mapped yet) is left out, logged.
    pub fn start_tracing(&mut self) -> Result<(), ProcessError> {
        let tid = self.thread_ids().next().ok_or(ProcessError::Exited)?;
        let register_size = self.read_registers(tid)?.len();
        let sites = self.trace.borrow_mut().start(register_size);
        self.unplant_trace_sites();
        for addr in sites {
            self.plant_trace_site(addr);
        }
        Ok(())
    }

    /// A trap for the running trace at `addr` (a tracepoint gdb defined
    /// during the run, or one of `start_tracing`'s).
    pub fn plant_trace_site(&mut self, addr: u64) {
        if !self.points.software.contains(addr) {
            let planted = self
                .points
                .software
                .insert(&self.memory, addr, native::BREAKPOINT_INSN);
            if let Err(e) = planted {
                log::warn!("tracepoint at {addr:#x} not planted: {e}");
                return;
            }
        }
        self.points.traced.insert(addr);
    }

    /// The run ended (`QTStop`, a pass count, a full buffer): take out the
    /// traps that are the trace's alone.
    pub fn unplant_trace_sites(&mut self) {
        let sites = std::mem::take(&mut self.points.traced);
        for addr in sites {
            if self.points.gdb.contains(&addr) {
                continue;
            }
            if let Err(e) = self.points.software.remove(&self.memory, addr) {
                log::debug!("tracepoint trap at {addr:#x} not removed: {e}");
            }
        }
    }

    /// Whether `addr` holds a trap of the running trace.
    pub(super) fn is_trace_site(&self, addr: u64) -> bool {
        self.points.traced.contains(&addr)
    }

    /// Whether gdb planted a breakpoint at `addr` too.
    pub(super) fn is_gdb_breakpoint(&self, addr: u64) -> bool {
        self.points.gdb.contains(&addr)
    }

    /// `tid` hit the trace's trap at `addr`: collect, unless this is the
    /// hit it already collected for and stayed at (`stays`: it will stay
    /// now, and the next trap there is this hit again). When the run ends
    /// with this hit, the traps go.
    pub(super) fn trace_hit(&mut self, tid: Tid, addr: u64, stays: bool) {
        let Some(thread) = self.threads.get_mut(&tid) else {
            return;
        };
        let again = thread.collected_at.take() == Some(addr);
        if stays {
            thread.collected_at = Some(addr);
        }
        if again {
            return;
        }
        let trace = self.trace.clone();
        let ended = {
            let mut source = ThreadSource {
                process: self,
                tid,
                registers: None,
            };
            trace.borrow_mut().hit(addr, &mut source)
        };
        if ended || !trace.borrow().running() {
            self.unplant_trace_sites();
        }
    }
}

/// A hit's data: the stopped thread's registers (read once) and the
/// program's memory (without our traps).
struct ThreadSource<'p> {
    process: &'p mut Process,
    tid: Tid,
    registers: Option<Vec<u8>>,
}

impl ThreadSource<'_> {
    fn block(&mut self) -> Option<&[u8]> {
        if self.registers.is_none() {
            self.registers = self.process.read_registers(self.tid).ok();
        }
        self.registers.as_deref()
    }
}

impl Source for ThreadSource<'_> {
    fn registers(&mut self) -> Option<Vec<u8>> {
        self.block().map(<[u8]>::to_vec)
    }

    fn register(&mut self, regnum: u16) -> Option<u64> {
        self.block()?;
        let g = self.registers.as_deref()?;
        self.process.register_in_block(g, regnum)
    }

    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        self.process.read_memory(addr, buf).unwrap_or(0)
    }
}
