//! Tracepoints (gdb's non-fast ones: a trap the server plants, no
//! in-process agent): their definitions, the trace state variables, the
//! run's status and the frame buffer (`buffer`), and what a hit collects
//! (`collect`). Hits are handled in the server, as false breakpoint
//! conditions are: collect, then step over and run on, with no word to gdb.
//!
//! One `TraceState` behind a `SharedTrace` handle that the target and each
//! process hold (as `settings::SharedSettings`): the process collects into
//! it at a hit, the session defines, starts and reads it, and the frames
//! outlive the process that made them. Planting the traps is the
//! process's (`process::tracing`).

pub mod buffer;
pub mod collect;

use std::cell::{Ref, RefCell, RefMut};
use std::collections::BTreeMap;
use std::rc::Rc;

pub use buffer::Frame;
use buffer::{FrameBuffer, Full};
pub use collect::Source;

/// One collection action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collect {
    /// The whole register block.
    Registers,
    /// `len` bytes of memory from `start`.
    Memory { start: Place, len: u64 },
    /// An agent expression run for what it collects and sets.
    Expression(Vec<u8>),
}

/// Where a memory range starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    At(u64),
    /// A register's value at the hit plus an offset (wrapping: gdb sends
    /// negative offsets as their 64-bit two's complement).
    Register(u16, u64),
}

/// A tracepoint location as gdb defined it (`QTDP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracepoint {
    /// gdb's number and this location's address: together, the key.
    pub number: u32,
    pub addr: u64,
    /// Collects only when this agent expression is true (None: always).
    pub condition: Option<Vec<u8>>,
    pub enabled: bool,
    /// Stop tracing after this many hits (0: never).
    pub pass_count: u64,
    /// while-stepping's count (0: none).
    pub step_count: u64,
    pub actions: Vec<Collect>,
    pub step_actions: Vec<Collect>,
    hits: u64,
    /// Defined while tracing ran (gdb's `InstallInTrace`): its actions
    /// may still come.
    late: bool,
    /// gdb's texts for upload (`qTfP`): the definition line, then `A`, `S`
    /// and `Z` lines.
    upload: Vec<Vec<u8>>,
}

impl Tracepoint {
    pub fn new(number: u32, addr: u64, enabled: bool, definition_line: Vec<u8>) -> Tracepoint {
        Tracepoint {
            number,
            addr,
            enabled,
            step_count: 0,
            pass_count: 0,
            condition: None,
            actions: Vec::new(),
            step_actions: Vec::new(),
            hits: 0,
            late: false,
            upload: vec![definition_line],
        }
    }
}

/// A trace state variable (`QTDV`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Variable {
    initial: u64,
    value: u64,
    /// `$trace_timestamp`: its value is the time.
    timestamp: bool,
    /// gdb's definition, for `qTfV`.
    text: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct Variables(BTreeMap<u16, Variable>);

impl Variables {
    pub fn value(&self, n: u16) -> Option<u64> {
        self.0
            .get(&n)
            .map(|v| if v.timestamp { now_micros() } else { v.value })
    }

    fn set(&mut self, n: u16, value: u64) -> bool {
        match self.0.get_mut(&n) {
            Some(v) => {
                v.value = value;
                true
            }
            None => false,
        }
    }

    fn reset(&mut self) {
        for v in self.0.values_mut() {
            v.value = v.initial;
        }
    }
}

/// Microseconds since the epoch (trace start and stop times, and
/// `$trace_timestamp`).
fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Why tracing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// `QTStop` (gdb's `tstop` note, if any, is in the notes).
    Command,
    /// The buffer filled.
    BufferFull,
    /// This tracepoint reached its pass count.
    PassCount(u32),
    /// gdb went away without disconnected tracing.
    Disconnected,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RunStatus {
    #[default]
    NotRun,
    Running,
    Stopped(StopReason),
}

/// Notes gdb left (`QTNotes`): user name, notes, the stop note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    pub user: Vec<u8>,
    pub notes: Vec<u8>,
    pub stop: Vec<u8>,
}

/// What `qTStatus` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status<'a> {
    pub status: &'a RunStatus,
    pub frames: usize,
    pub created: u64,
    pub free: u64,
    pub size: u64,
    pub circular: bool,
    pub start_time: u64,
    pub stop_time: u64,
    pub notes: &'a Notes,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    #[error("tracing is running")]
    Running,
    #[error("no tracepoint {0} at {1:#x}")]
    NoTracepoint(u32, u64),
    #[error("no trace frame selected")]
    NoFrame,
}

#[derive(Debug)]
pub struct TraceState {
    tracepoints: Vec<Tracepoint>,
    variables: Variables,
    buffer: FrameBuffer,
    status: RunStatus,
    start_time: u64,
    stop_time: u64,
    notes: Notes,
    readonly: Vec<(u64, u64)>,
    selected: Option<usize>,
    /// The register block's size in this run's frames.
    register_size: usize,
}

/// GNU gdbserver's built-in variable, number 1: the time, in
/// microseconds.
const TIMESTAMP: (u16, &[u8]) = (1, b"1:0:1:74726163655f74696d657374616d70");

impl Default for TraceState {
    fn default() -> TraceState {
        let mut state = TraceState {
            tracepoints: Vec::new(),
            variables: Variables::default(),
            buffer: FrameBuffer::default(),
            status: RunStatus::NotRun,
            start_time: 0,
            stop_time: 0,
            notes: Notes::default(),
            readonly: Vec::new(),
            selected: None,
            register_size: 0,
        };
        state.define_builtins();
        state
    }
}

impl TraceState {
    pub fn running(&self) -> bool {
        self.status == RunStatus::Running
    }

    /// `QTinit`: forget the tracepoints, variables and frames.
    pub fn init(&mut self) -> Result<(), TraceError> {
        if self.running() {
            return Err(TraceError::Running);
        }
        self.tracepoints.clear();
        self.variables = Variables::default();
        self.define_builtins();
        self.buffer.clear();
        self.selected = None;
        self.readonly.clear();
        Ok(())
    }

    /// A new tracepoint location. While tracing runs, only one not yet
    /// defined (gdb installs tracepoints made during the run); the caller
    /// then plants its trap.
    pub fn define(&mut self, mut tp: Tracepoint) -> Result<(), TraceError> {
        let key = (tp.number, tp.addr);
        let exists = |t: &Tracepoint| (t.number, t.addr) == key;
        if self.running() {
            if self.tracepoints.iter().any(exists) {
                return Err(TraceError::Running);
            }
            tp.late = true;
        }
        self.tracepoints.retain(|t| !exists(t));
        self.tracepoints.push(tp);
        Ok(())
    }

    /// The tracepoint `number` at `addr`, to add to (while tracing runs,
    /// only one defined during the run).
    pub fn tracepoint_mut(
        &mut self,
        number: u32,
        addr: u64,
    ) -> Result<&mut Tracepoint, TraceError> {
        let running = self.running();
        let tp = self
            .tracepoints
            .iter_mut()
            .find(|t| (t.number, t.addr) == (number, addr))
            .ok_or(TraceError::NoTracepoint(number, addr))?;
        if running && !tp.late {
            return Err(TraceError::Running);
        }
        Ok(tp)
    }

    /// Add actions (`stepping`: while-stepping's) with gdb's text.
    pub fn add_actions(
        &mut self,
        number: u32,
        addr: u64,
        stepping: bool,
        actions: Vec<Collect>,
        text: &[u8],
    ) -> Result<(), TraceError> {
        let tp = self.tracepoint_mut(number, addr)?;
        let (list, kind) = if stepping {
            (&mut tp.step_actions, b'S')
        } else {
            (&mut tp.actions, b'A')
        };
        list.extend(actions);
        let mut line = format!("{}{number:x}:{addr:x}:", kind as char).into_bytes();
        line.extend_from_slice(text);
        tp.upload.push(line);
        Ok(())
    }

    /// `QTDPsrc`: kept for upload only.
    pub fn add_source(&mut self, number: u32, addr: u64, payload: &[u8]) -> Result<(), TraceError> {
        let tp = self.tracepoint_mut(number, addr)?;
        let mut line = b"Z".to_vec();
        line.extend_from_slice(payload);
        tp.upload.push(line);
        Ok(())
    }

    /// `QTEnable`/`QTDisable` (allowed while running).
    pub fn set_enabled(&mut self, number: u32, addr: u64, enabled: bool) -> Result<(), TraceError> {
        let tp = self
            .tracepoints
            .iter_mut()
            .find(|t| (t.number, t.addr) == (number, addr))
            .ok_or(TraceError::NoTracepoint(number, addr))?;
        tp.enabled = enabled;
        Ok(())
    }

    fn define_builtins(&mut self) {
        let (n, text) = TIMESTAMP;
        self.define_variable(n, 0, true, text.to_vec());
    }

    pub fn define_variable(&mut self, n: u16, initial: u64, timestamp: bool, text: Vec<u8>) {
        self.variables.0.insert(
            n,
            Variable {
                initial,
                value: initial,
                timestamp,
                text,
            },
        );
    }

    /// Variable `n`'s value: as the selected frame last collected it (None
    /// if it did not), or else as it is now.
    pub fn variable(&self, n: u16) -> Option<u64> {
        match self.selected() {
            // The last value recorded (`collect $v += 1` records it before
            // and after the assignment).
            Some((_, frame)) => frame
                .variables(self.register_size)
                .filter(|&(v, _)| v == u32::from(n))
                .last()
                .map(|(_, value)| value),
            None => self.variables.value(n),
        }
    }

    /// gdb's definitions of the variables, for `qTfV`/`qTsV`.
    pub fn variable_texts(&self) -> Vec<Vec<u8>> {
        self.variables.0.values().map(|v| v.text.clone()).collect()
    }

    /// The upload lines of every tracepoint, for `qTfP`/`qTsP`.
    pub fn tracepoint_texts(&self) -> Vec<Vec<u8>> {
        self.tracepoints
            .iter()
            .flat_map(|t| t.upload.iter().cloned())
            .collect()
    }

    /// `qTP`: hits and bytes used.
    pub fn tracepoint_status(&self, number: u32, addr: u64) -> Option<(u64, u64)> {
        self.tracepoints
            .iter()
            .find(|t| (t.number, t.addr) == (number, addr))
            .map(|t| (t.hits, self.buffer.usage(number)))
    }

    pub fn set_circular(&mut self, circular: bool) {
        self.buffer.set_circular(circular);
    }

    pub fn set_buffer_size(&mut self, size: Option<u64>) -> Result<(), TraceError> {
        if self.running() {
            return Err(TraceError::Running);
        }
        self.buffer.set_size(size);
        Ok(())
    }

    pub fn set_notes(
        &mut self,
        user: Option<Vec<u8>>,
        notes: Option<Vec<u8>>,
        stop: Option<Vec<u8>>,
    ) {
        if let Some(user) = user {
            self.notes.user = user;
        }
        if let Some(notes) = notes {
            self.notes.notes = notes;
        }
        if let Some(stop) = stop {
            self.notes.stop = stop;
        }
    }

    /// `QTro`: where memory reads in a frame may look at the program's
    /// own (read-only) memory.
    pub fn set_readonly(&mut self, ranges: Vec<(u64, u64)>) {
        self.readonly = ranges;
    }

    pub fn readonly(&self, addr: u64, len: usize) -> bool {
        let end = addr.saturating_add(len as u64);
        self.readonly
            .iter()
            .any(|&(start, stop)| start <= addr && end <= stop)
    }

    /// `QTStart`: a new run with empty buffer and fresh variables; the
    /// addresses to plant traps at.
    pub fn start(&mut self, register_size: usize) -> Vec<u64> {
        self.buffer.clear();
        self.variables.reset();
        for tp in &mut self.tracepoints {
            tp.hits = 0;
            tp.late = false;
        }
        self.selected = None;
        self.register_size = register_size;
        self.status = RunStatus::Running;
        self.start_time = now_micros();
        self.stop_time = 0;
        self.notes.stop.clear();
        self.sites()
    }

    /// Where the enabled tracepoints are.
    pub fn sites(&self) -> Vec<u64> {
        let mut sites: Vec<u64> = self
            .tracepoints
            .iter()
            .filter(|t| t.enabled)
            .map(|t| t.addr)
            .collect();
        sites.sort_unstable();
        sites.dedup();
        sites
    }

    /// End the run (nothing if none is running).
    pub fn stop(&mut self, reason: StopReason) {
        if self.running() {
            self.status = RunStatus::Stopped(reason);
            self.stop_time = now_micros();
        }
    }

    pub fn status(&self) -> Status<'_> {
        Status {
            status: &self.status,
            frames: self.buffer.len(),
            created: self.buffer.created(),
            free: self.buffer.free(),
            size: self.buffer.size(),
            circular: self.buffer.circular(),
            start_time: self.start_time,
            stop_time: self.stop_time,
            notes: &self.notes,
        }
    }

    /// A hit at `addr`: collect for each enabled tracepoint there whose
    /// condition holds. True if tracing ended with it (a pass count
    /// reached, the buffer full).
    pub fn hit(&mut self, addr: u64, source: &mut dyn Source) -> bool {
        if !self.running() {
            return false;
        }
        for i in 0..self.tracepoints.len() {
            let tp = &self.tracepoints[i];
            if tp.addr != addr || !tp.enabled {
                continue;
            }
            if !collect::condition_holds(tp, &mut self.variables, source) {
                continue;
            }
            let tp = &mut self.tracepoints[i];
            tp.hits += 1;
            let (number, hits, pass) = (tp.number, tp.hits, tp.pass_count);
            let frame = collect::collect(number, addr, &tp.actions, &mut self.variables, source);
            if let Err(Full) = self.buffer.push(frame) {
                self.stop(StopReason::BufferFull);
                return true;
            }
            if pass > 0 && hits >= pass {
                self.stop(StopReason::PassCount(number));
                return true;
            }
        }
        false
    }

    pub fn register_size(&self) -> usize {
        self.register_size
    }

    pub fn selected(&self) -> Option<(usize, &Frame)> {
        let n = self.selected?;
        self.buffer.get(n).map(|f| (n, f))
    }

    /// `QTFrame:-1`.
    pub fn unselect(&mut self) {
        self.selected = None;
    }

    /// Select frame `n`; its tracepoint.
    pub fn select(&mut self, n: usize) -> Option<u32> {
        let tracepoint = self.buffer.get(n)?.tracepoint;
        self.selected = Some(n);
        Some(tracepoint)
    }

    /// Select the first frame after the selected one (or the first) that
    /// `wanted` accepts; its number and tracepoint. None leaves the
    /// selection as it was.
    pub fn select_next(&mut self, wanted: impl Fn(&Frame) -> bool) -> Option<(usize, u32)> {
        let from = self.selected.map_or(0, |n| n + 1);
        let (n, frame) = self.buffer.iter().skip(from).find(|(_, f)| wanted(f))?;
        let tracepoint = frame.tracepoint;
        self.selected = Some(n);
        Some((n, tracepoint))
    }

    /// `qTBuffer`.
    pub fn raw_buffer(&self, offset: u64, len: usize) -> Vec<u8> {
        self.buffer.raw(offset, len)
    }

    /// The address of tracepoint `number`'s (first) location.
    pub fn tracepoint_addr(&self, number: u32) -> Option<u64> {
        self.tracepoints
            .iter()
            .find(|t| t.number == number)
            .map(|t| t.addr)
    }
}

/// One `TraceState` shared by the target and all its processes.
#[derive(Debug, Clone, Default)]
pub struct SharedTrace(Rc<RefCell<TraceState>>);

impl SharedTrace {
    pub fn borrow(&self) -> Ref<'_, TraceState> {
        self.0.borrow()
    }

    pub fn borrow_mut(&self) -> RefMut<'_, TraceState> {
        self.0.borrow_mut()
    }
}

#[cfg(test)]
mod tests;
