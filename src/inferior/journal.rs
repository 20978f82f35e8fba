//! The guardian's journal: every change the server has made to an attached
//! process that would hurt it if the server died without undoing it — the
//! breakpoint bytes planted in its code (with the bytes they hide), the
//! process itself (and whether it was already stopped when we attached),
//! and whether its debug registers were armed. `crate::guardian` reads it
//! after the server's death to undo those changes.
//!
//! It lives in one anonymous shared mapping (`MAP_SHARED | MAP_ANONYMOUS`)
//! made before the guardian is forked, so the server records a change with
//! a few memory stores: no system call on any path, stop and resume
//! included. Only the server writes it, from the thread that runs the
//! sessions.
//!
//! Hazard: the server may be SIGKILLed between any two stores. Rule: a slot
//! is published last and withdrawn first. Its content is written while its
//! `valid` word is 0, then `valid` is set with Release ordering; removal
//! clears `valid` before anything else. A slot is therefore either complete
//! or absent, never half-written. An update in place (new saved bytes under
//! a breakpoint) is one 64-bit store, whole either way. Breakpoints are
//! journaled before the trap is written and withdrawn after the original
//! bytes are back, so the journal may name a trap that is not in memory
//! (the guardian checks, as `breakpoints` does for stale entries) but never
//! misses one that is.
//!
//! Only processes journaled as attached are recorded: a launched process
//! dies with the server (`PTRACE_O_EXITKILL`), and breakpoints in it are
//! not recorded. The capacity is fixed; when it is full the server says so
//! once, and what did not fit is not restored should the server die.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

/// A 64-bit journal word: one atomic where the target has 64-bit atomics.
#[cfg(target_has_atomic = "64")]
type Word = std::sync::atomic::AtomicU64;

/// A 64-bit journal word as two 32-bit atomics, for 32-bit targets (MIPS32,
/// ARM) without 64-bit atomics. There every value the journal keeps fits in
/// 32 bits (addresses, and breakpoint instructions of at most 4 bytes), so
/// the high half is always 0 and the low half's store is the one update:
/// it cannot be torn.
#[cfg(not(target_has_atomic = "64"))]
#[derive(Default)]
#[repr(C)]
struct Word {
    lo: AtomicU32,
    hi: AtomicU32,
}

#[cfg(not(target_has_atomic = "64"))]
impl Word {
    fn load(&self, order: Ordering) -> u64 {
        let hi = u64::from(self.hi.load(order));
        (hi << 32) | u64::from(self.lo.load(order))
    }

    fn store(&self, value: u64, order: Ordering) {
        self.hi.store((value >> 32) as u32, order);
        self.lo.store(value as u32, order);
    }
}
use std::sync::OnceLock;

use nix::unistd::Pid;

/// How many attached processes (a process and its fork children) fit.
pub const MAX_PROCESSES: usize = 64;
/// How many planted breakpoints fit, over every process.
pub const MAX_BREAKPOINTS: usize = 2048;
/// The longest breakpoint instruction journaled (x86 1, arm64 and MIPS 4).
pub const MAX_INSN: usize = 8;

const STOPPED_AT_ATTACH: u32 = 1;
const HW_ARMED: u32 = 2;

/// One attached process. All-zero is an empty slot.
#[repr(C)]
#[derive(Default)]
struct ProcessSlot {
    valid: AtomicU32,
    pid: AtomicI32,
    flags: AtomicU32,
}

/// One planted breakpoint: the instruction and the bytes under it, each
/// packed little end first into a u64.
#[repr(C)]
#[derive(Default)]
struct BreakpointSlot {
    valid: AtomicU32,
    pid: AtomicI32,
    len: AtomicU32,
    addr: Word,
    original: Word,
    insn: Word,
}

/// The shared pages; zero-filled by the kernel, which is every slot empty.
#[repr(C)]
pub struct Pages {
    processes: [ProcessSlot; MAX_PROCESSES],
    breakpoints: [BreakpointSlot; MAX_BREAKPOINTS],
}

/// A journaled process, as the guardian reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournaledProcess {
    pub pid: Pid,
    pub stopped_at_attach: bool,
    pub hw_armed: bool,
}

/// A journaled breakpoint, as the guardian reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournaledBreakpoint {
    pub addr: u64,
    pub original: Vec<u8>,
    pub insn: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot map the guardian's journal: {0}")]
    Map(nix::errno::Errno),
}

fn pack(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

fn unpack(word: u64, len: usize) -> Vec<u8> {
    word.to_le_bytes()[..len.min(MAX_INSN)].to_vec()
}

/// The journal over some pages: the server's shared mapping, or a test's
/// own copy.
pub struct Journal {
    pages: &'static Pages,
    /// The warning about a full journal has been given.
    warned_full: AtomicBool,
}

impl Journal {
    pub fn new(pages: &'static Pages) -> Journal {
        Journal {
            pages,
            warned_full: AtomicBool::new(false),
        }
    }

    fn full(&self, what: &str) {
        if !self.warned_full.swap(true, Ordering::Relaxed) {
            eprintln!(
                "Warning: the guardian's journal is full ({what}); should the server be \
                 killed, what did not fit cannot be undone in the target."
            );
        }
    }

    fn process_slot(&self, pid: Pid) -> Option<&ProcessSlot> {
        self.pages.processes.iter().find(|s| {
            s.valid.load(Ordering::Acquire) != 0 && s.pid.load(Ordering::Relaxed) == pid.as_raw()
        })
    }

    /// Whether `pid` is journaled as attached.
    pub fn is_journaled(&self, pid: Pid) -> bool {
        self.process_slot(pid).is_some()
    }

    /// We are attaching to `pid` (or adopting a fork child of an attached one).
    pub fn attached(&self, pid: Pid, stopped_at_attach: bool) {
        if self.is_journaled(pid) {
            return;
        }
        let Some(slot) = self
            .pages
            .processes
            .iter()
            .find(|s| s.valid.load(Ordering::Relaxed) == 0)
        else {
            self.full("too many attached processes");
            return;
        };
        slot.pid.store(pid.as_raw(), Ordering::Relaxed);
        let flags = if stopped_at_attach {
            STOPPED_AT_ATTACH
        } else {
            0
        };
        slot.flags.store(flags, Ordering::Relaxed);
        slot.valid.store(1, Ordering::Release);
    }

    /// Debug registers of `pid` are (or are about to be) programmed.
    pub fn hw_armed(&self, pid: Pid) {
        if let Some(slot) = self.process_slot(pid) {
            if slot.flags.load(Ordering::Relaxed) & HW_ARMED == 0 {
                slot.flags.fetch_or(HW_ARMED, Ordering::Release);
            }
        }
    }

    /// `pid` is no longer ours (detached, killed, gone): forget it and its
    /// breakpoints.
    pub fn forget_process(&self, pid: Pid) {
        self.forget_breakpoints(pid);
        for slot in &self.pages.processes {
            if slot.valid.load(Ordering::Relaxed) != 0
                && slot.pid.load(Ordering::Relaxed) == pid.as_raw()
            {
                slot.valid.store(0, Ordering::Release);
            }
        }
    }

    fn breakpoint_slot(&self, pid: Pid, addr: u64) -> Option<&BreakpointSlot> {
        self.pages.breakpoints.iter().find(|s| {
            s.valid.load(Ordering::Acquire) != 0
                && s.pid.load(Ordering::Relaxed) == pid.as_raw()
                && s.addr.load(Ordering::Relaxed) == addr
        })
    }

    /// `insn` is about to be written at `addr` of `pid`, over `original`
    /// (or the saved bytes under it changed).
    pub fn planted(&self, pid: Pid, addr: u64, original: &[u8], insn: &[u8]) {
        if insn.len() > MAX_INSN || original.len() != insn.len() || !self.is_journaled(pid) {
            return;
        }
        if let Some(slot) = self.breakpoint_slot(pid, addr) {
            if slot.len.load(Ordering::Relaxed) as usize == insn.len()
                && slot.insn.load(Ordering::Relaxed) == pack(insn)
            {
                slot.original.store(pack(original), Ordering::Release);
                return;
            }
            slot.valid.store(0, Ordering::Release);
        }
        let Some(slot) = self
            .pages
            .breakpoints
            .iter()
            .find(|s| s.valid.load(Ordering::Relaxed) == 0)
        else {
            self.full("too many breakpoints");
            return;
        };
        slot.pid.store(pid.as_raw(), Ordering::Relaxed);
        slot.addr.store(addr, Ordering::Relaxed);
        slot.len.store(insn.len() as u32, Ordering::Relaxed);
        slot.original.store(pack(original), Ordering::Relaxed);
        slot.insn.store(pack(insn), Ordering::Relaxed);
        slot.valid.store(1, Ordering::Release);
    }

    /// The breakpoint at `addr` of `pid` is out of memory (or was never in).
    pub fn unplanted(&self, pid: Pid, addr: u64) {
        if let Some(slot) = self.breakpoint_slot(pid, addr) {
            slot.valid.store(0, Ordering::Release);
        }
    }

    /// Every breakpoint of `pid` is gone (its address space was replaced).
    pub fn forget_breakpoints(&self, pid: Pid) {
        for slot in &self.pages.breakpoints {
            if slot.valid.load(Ordering::Relaxed) != 0
                && slot.pid.load(Ordering::Relaxed) == pid.as_raw()
            {
                slot.valid.store(0, Ordering::Release);
            }
        }
    }

    /// Every journaled process.
    pub fn processes(&self) -> Vec<JournaledProcess> {
        self.pages
            .processes
            .iter()
            .filter(|s| s.valid.load(Ordering::Acquire) != 0)
            .map(|s| {
                let flags = s.flags.load(Ordering::Acquire);
                JournaledProcess {
                    pid: Pid::from_raw(s.pid.load(Ordering::Relaxed)),
                    stopped_at_attach: flags & STOPPED_AT_ATTACH != 0,
                    hw_armed: flags & HW_ARMED != 0,
                }
            })
            .collect()
    }

    /// Every journaled breakpoint of `pid`.
    pub fn breakpoints(&self, pid: Pid) -> Vec<JournaledBreakpoint> {
        self.pages
            .breakpoints
            .iter()
            .filter(|s| {
                s.valid.load(Ordering::Acquire) != 0
                    && s.pid.load(Ordering::Relaxed) == pid.as_raw()
            })
            .map(|s| {
                let len = s.len.load(Ordering::Relaxed) as usize;
                JournaledBreakpoint {
                    addr: s.addr.load(Ordering::Relaxed),
                    original: unpack(s.original.load(Ordering::Acquire), len),
                    insn: unpack(s.insn.load(Ordering::Relaxed), len),
                }
            })
            .collect()
    }
}

/// Map fresh shared pages for the journal; they outlive every use (the
/// mapping is never unmapped, and is shared with the guardian on fork).
fn map_shared_pages() -> Result<&'static Pages, JournalError> {
    use nix::sys::mman::{mmap_anonymous, MapFlags, ProtFlags};
    let len = std::num::NonZeroUsize::new(std::mem::size_of::<Pages>()).expect("not empty");
    // SAFETY: a fresh anonymous mapping replaces nothing of ours. It is
    // page-aligned (more than `Pages` needs), as long as `Pages`,
    // zero-filled (a valid `Pages`: every field is an atomic integer, for
    // which zero is a value), never unmapped (so `'static`), and only ever
    // accessed through atomics, from this process and the guardian alike.
    unsafe {
        let ptr = mmap_anonymous(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
        .map_err(JournalError::Map)?;
        Ok(ptr.cast::<Pages>().as_ref())
    }
}

static JOURNAL: OnceLock<Journal> = OnceLock::new();

/// Make the shared journal (once, before the guardian is forked).
pub fn install() -> Result<&'static Journal, JournalError> {
    if let Some(journal) = JOURNAL.get() {
        return Ok(journal);
    }
    let pages = map_shared_pages()?;
    Ok(JOURNAL.get_or_init(|| Journal::new(pages)))
}

/// The journal, if the server made one (tests of the inferior alone do not).
pub fn get() -> Option<&'static Journal> {
    JOURNAL.get()
}

/// Run `f` on the journal if there is one: the hooks' way in.
pub fn record(f: impl FnOnce(&Journal)) {
    if let Some(journal) = get() {
        f(journal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> Journal {
        Journal::new(Box::leak(Box::new(Pages {
            processes: std::array::from_fn(|_| ProcessSlot::default()),
            breakpoints: std::array::from_fn(|_| BreakpointSlot::default()),
        })))
    }

    #[test]
    fn only_attached_processes_record_breakpoints() {
        let j = journal();
        let (a, b) = (Pid::from_raw(10), Pid::from_raw(11));
        j.planted(a, 0x1000, &[0x55], &[0xcc]);
        assert!(j.breakpoints(a).is_empty(), "not journaled yet");
        j.attached(a, true);
        j.planted(a, 0x1000, &[0x55], &[0xcc]);
        j.planted(a, 0x1000, &[0x90], &[0xcc]); // saved bytes changed
        j.planted(b, 0x1000, &[0x55], &[0xcc]);
        assert_eq!(
            j.breakpoints(a),
            [JournaledBreakpoint {
                addr: 0x1000,
                original: vec![0x90],
                insn: vec![0xcc]
            }]
        );
        assert!(j.breakpoints(b).is_empty());
        let procs = j.processes();
        assert_eq!(procs.len(), 1);
        assert!(procs[0].stopped_at_attach && !procs[0].hw_armed);
        j.hw_armed(a);
        assert!(j.processes()[0].hw_armed);
        j.unplanted(a, 0x1000);
        assert!(j.breakpoints(a).is_empty());
        j.planted(a, 0x2000, &[1, 2, 3, 4], &[0, 0, 0x20, 0xd4]);
        j.forget_process(a);
        assert!(j.processes().is_empty());
        j.attached(a, false);
        assert!(j.breakpoints(a).is_empty(), "forgotten with its process");
    }

    #[test]
    fn a_full_journal_keeps_what_fits() {
        let j = journal();
        let pid = Pid::from_raw(10);
        j.attached(pid, false);
        for i in 0..MAX_BREAKPOINTS as u64 + 5 {
            j.planted(pid, 0x1000 + i, &[0], &[0xcc]);
        }
        assert_eq!(j.breakpoints(pid).len(), MAX_BREAKPOINTS);
        assert!(j.warned_full.load(Ordering::Relaxed));
        // Room again once one goes.
        j.unplanted(pid, 0x1000);
        j.planted(pid, 0x9000, &[0], &[0xcc]);
        assert!(j.breakpoints(pid).iter().any(|b| b.addr == 0x9000));
    }
}
