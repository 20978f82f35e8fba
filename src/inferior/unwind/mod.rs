//! A stack unwinder and symbolizer with no ptrace in it: target memory
//! comes through the `Memory` trait, the mapped objects as plain
//! `Mapping`s (from /proc/PID/maps) and the first frame's registers as
//! plain `Registers`, so it is tested on recorded stacks and serves any
//! caller (`monitor backtrace`, crash reports).
//!
//! Each frame is found by CFI where an FDE covers its pc (`cfi`), else by
//! the architecture's fallback (`fallback`: frame pointers on x86_64 and
//! arm64, frame 0's prologue recognised on both (`aarch64` for arm64), the
//! prologue scan on MIPS (`mips`)). A caller's CFI is looked up at its
//! return address less one (the call, not what follows it), except after a
//! signal trampoline. The walk stops at pc 0, a repeated frame, unreadable
//! memory, the depth limit, or the outermost frame. Objects are parsed once
//! per path (`object`; the `[vdso]` from memory), `format` writes a trace
//! as gdb's `bt` would.
//!
//! Use: `Unwinder::new()` once; per stop, `load_vdso(maps, mem)` and
//! `address_space(maps)`, then `AddressSpace::unwind(mem, regs, depth)` per
//! thread, with `Registers::from_g` from a `g` block.

pub mod aarch64;
mod cfi;
mod fallback;
pub mod format;
pub mod mips;
mod object;
pub mod regs;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

pub use object::{ElfObject, ObjectCache, SourceLine};
pub use regs::{Arch, Registers};

use crate::inferior::maps::MapEntry;

/// The kernel's virtual shared object, as /proc/PID/maps names it.
pub const VDSO: &str = "[vdso]";

/// Frames before the walk gives up.
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// Functions that begin a thread or a program: nothing useful lies above.
const OUTERMOST_FUNCTIONS: &[&str] = &[
    "_start", "__start", "clone", "__clone", "clone3", "__clone3",
];

/// Target memory as the unwinder reads it: bytes read into `buf` (None or
/// fewer than asked where it is not readable).
pub trait Memory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Option<usize>;
}

impl<F: Fn(u64, &mut [u8]) -> Option<usize>> Memory for F {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Option<usize> {
        self(addr, buf)
    }
}

/// A word of target memory, or which address could not be read.
fn read_word(mem: &dyn Memory, arch: Arch, addr: u64) -> Result<u64, cfi::StepError> {
    let mut buf = [0u8; 8];
    let n = arch.word_size();
    if mem.read(addr, &mut buf[..n]) != Some(n) {
        return Err(cfi::StepError::Unreadable(addr));
    }
    arch.word_from(&buf).ok_or(cfi::StepError::Unreadable(addr))
}

/// One file-backed mapping of the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    /// Offset in the file of `start`.
    pub offset: u64,
    pub path: PathBuf,
}

impl Mapping {
    /// The file-backed mappings among /proc/PID/maps entries, and the
    /// `[vdso]` (its object is read from the target: `Unwinder::load_vdso`).
    pub fn from_maps(entries: &[MapEntry]) -> Vec<Mapping> {
        entries
            .iter()
            .filter_map(|e| {
                let path = e.path.as_deref()?;
                let file = path.starts_with('/') && !path.ends_with(" (deleted)");
                (file || path == VDSO).then(|| Mapping {
                    start: e.start,
                    end: e.end,
                    offset: e.offset,
                    path: PathBuf::from(path),
                })
            })
            .collect()
    }
}

/// How a frame was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// Frame 0: the thread's own pc.
    Pc,
    Cfi,
    FramePointer,
    PrologueScan,
}

impl FoundBy {
    pub fn as_str(self) -> &'static str {
        match self {
            FoundBy::Pc => "pc",
            FoundBy::Cfi => "cfi",
            FoundBy::FramePointer => "frame-pointer",
            FoundBy::PrologueScan => "prologue-scan",
        }
    }
}

/// Why the walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The CFI, or a thread's or program's first function, says so.
    Outermost,
    /// A return address of 0.
    ZeroPc,
    /// The same frame twice (or a stack that does not grow towards callers).
    Loop,
    Unreadable(u64),
    DepthLimit,
    /// No CFI and the fallback found nothing (the reason).
    NoUnwindInfo(String),
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Outermost => write!(f, "outermost frame"),
            StopReason::ZeroPc => write!(f, "return address 0"),
            StopReason::Loop => write!(f, "frames repeat"),
            StopReason::Unreadable(addr) => write!(f, "cannot read memory at {addr:#x}"),
            StopReason::DepthLimit => write!(f, "depth limit reached"),
            StopReason::NoUnwindInfo(why) => write!(f, "no unwind information ({why})"),
        }
    }
}

/// What is known of an address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Symbolized {
    /// The object mapped there.
    pub object: Option<PathBuf>,
    /// The function and the offset in it, from the symbol tables.
    pub function: Option<(String, u64)>,
    /// Source line (DWARF).
    pub line: Option<SourceLine>,
    /// Functions inlined there, innermost first, each with its call's
    /// position in the next one out (DWARF; the last is the function itself).
    pub inlined: Vec<(String, Option<SourceLine>)>,
}

/// One frame of a backtrace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The pc (frame 0) or return address.
    pub pc: u64,
    /// The stack pointer in this frame, if known.
    pub sp: Option<u64>,
    pub found_by: FoundBy,
    /// Of the pc (frame 0, and a frame a signal interrupted) or of the
    /// return address less one (the call).
    pub symbol: Symbolized,
    /// The kernel's return into a signal handler's caller (`__restore_rt`):
    /// gdb's `<signal handler called>`.
    pub signal_trampoline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backtrace {
    pub frames: Vec<Frame>,
    pub stop: StopReason,
}

struct Module<'a> {
    start: u64,
    end: u64,
    bias: u64,
    object: &'a ElfObject,
}

/// The target's objects, as mapped now; made by `AddressSpace::new` from
/// the maps and a cache, then used for as many threads as needed.
pub struct AddressSpace<'a> {
    modules: Vec<Module<'a>>,
}

impl<'a> AddressSpace<'a> {
    /// Parse (or find in `cache`) every object in `maps`.
    pub fn new(cache: &'a mut ObjectCache, maps: &[Mapping]) -> AddressSpace<'a> {
        for m in maps {
            cache.get(&m.path);
        }
        let cache: &'a ObjectCache = cache;
        let mut modules: Vec<Module<'a>> = Vec::new();
        // A page of the file can belong to two segments (the end of one,
        // the start of the next), so a mapping's offset alone may name the
        // wrong one: the bias comes from the first mapping of each run of
        // one file (the loader maps it from offset 0), and its later
        // mappings (offsets rising) share it.
        let mut run: Option<(&Path, u64, u64)> = None;
        for m in maps {
            let Some(object) = cache.peek(&m.path) else {
                run = None;
                continue;
            };
            let bias = match run {
                Some((path, offset, bias)) if path == m.path && m.offset >= offset => Some(bias),
                _ => object.bias(m.start, m.offset),
            };
            let Some(bias) = bias else {
                run = None;
                continue;
            };
            run = Some((&m.path, m.offset, bias));
            modules.push(Module {
                start: m.start,
                end: m.end,
                bias,
                object,
            });
        }
        AddressSpace { modules }
    }

    /// The load bias of the object mapped at `addr` (target address minus
    /// the object's own virtual address).
    pub fn load_bias(&self, addr: u64) -> Option<u64> {
        self.module_for(addr).map(|m| m.bias)
    }

    fn module_for(&self, addr: u64) -> Option<&Module<'a>> {
        self.modules
            .iter()
            .find(|m| m.start <= addr && addr < m.end)
    }

    /// Symbolize a target address.
    pub fn symbolize(&self, addr: u64) -> Symbolized {
        let Some(module) = self.module_for(addr) else {
            return Symbolized::default();
        };
        let at = addr.wrapping_sub(module.bias);
        let object = module.object;
        Symbolized {
            object: Some(object.path().to_path_buf()),
            function: object.symbol_for(at).map(|(n, off)| (n.to_string(), off)),
            line: object.line_for(at),
            inlined: object.inline_chain(at),
        }
    }

    /// Walk the stack from `regs` (frame 0), at most `max_depth` frames.
    pub fn unwind(&self, mem: &dyn Memory, regs: Registers, max_depth: usize) -> Backtrace {
        let mut frames: Vec<Frame> = Vec::new();
        let mut regs = regs;
        let mut found_by = FoundBy::Pc;
        // Frame 0's pc is looked up as is; so is a pc a signal interrupted.
        let mut exact_pc = true;
        let mut seen = HashSet::new();
        let mut ctx = Box::new(cfi::Context::new());
        let stop = loop {
            if frames.len() >= max_depth {
                break StopReason::DepthLimit;
            }
            let lookup = if exact_pc {
                regs.pc
            } else {
                regs.pc.wrapping_sub(1)
            };
            let symbol = self.symbolize(lookup);
            // A caller that begins a thread or the program is the last; the
            // innermost frame may be the parent's side of `clone3` and go on.
            let outermost = !frames.is_empty()
                && symbol
                    .function
                    .as_ref()
                    .is_some_and(|(name, _)| OUTERMOST_FUNCTIONS.contains(&name.as_str()));
            frames.push(Frame {
                pc: regs.pc,
                sp: regs.sp(),
                found_by,
                symbol,
                signal_trampoline: false,
            });
            let innermost = frames.len() == 1;
            let function_start = frames[frames.len() - 1]
                .symbol
                .function
                .as_ref()
                .map(|(_, offset)| lookup.wrapping_sub(*offset));
            let step = self.step(mem, &regs, lookup, innermost, function_start, &mut ctx);
            let (caller, how, signal_frame) = match step {
                Ok(Some(found)) => found,
                Ok(None) => break StopReason::Outermost,
                Err(_) if outermost => break StopReason::Outermost,
                Err(cfi::StepError::Unreadable(addr)) => break StopReason::Unreadable(addr),
                Err(cfi::StepError::Cfi(why)) => break StopReason::NoUnwindInfo(why),
            };
            if caller.pc == 0 {
                break StopReason::ZeroPc;
            }
            // A fallback must move up the stack; any step must not repeat.
            let (sp, caller_sp) = (regs.sp().unwrap_or(0), caller.sp().unwrap_or(0));
            if !seen.insert((caller.pc, caller_sp)) || (how != FoundBy::Cfi && caller_sp < sp) {
                break StopReason::Loop;
            }
            if outermost && how != FoundBy::Cfi {
                break StopReason::Outermost;
            }
            if signal_frame {
                let frame = frames.last_mut().expect("pushed above");
                frame.signal_trampoline = true;
                if frame.symbol.function.is_none() {
                    // Its FDE starts a byte early so that pc - 1 finds it;
                    // its symbol does not.
                    frame.symbol = self.symbolize(frame.pc);
                }
            }
            regs = caller;
            found_by = how;
            exact_pc = signal_frame;
        };
        Backtrace { frames, stop }
    }

    /// One frame up: the caller's registers, how, and whether this frame
    /// was a signal trampoline. Ok(None): the outermost frame.
    fn step(
        &self,
        mem: &dyn Memory,
        regs: &Registers,
        lookup: u64,
        innermost: bool,
        function_start: Option<u64>,
        ctx: &mut cfi::Context,
    ) -> Result<Option<(Registers, FoundBy, bool)>, cfi::StepError> {
        let fde = self.module_for(lookup).and_then(|m| {
            let at = lookup.wrapping_sub(m.bias);
            m.object.fde_for(at).map(|fde| (fde, at))
        });
        if let Some((fde, at)) = fde {
            match cfi::step(&fde, at, regs, mem, ctx) {
                Ok(cfi::Step::Outermost) => return Ok(None),
                Ok(cfi::Step::Caller {
                    mut regs,
                    signal_frame,
                    ..
                }) => {
                    if regs.arch == Arch::Aarch64 {
                        // Pointer authentication bits above the 48-bit VA.
                        regs.pc &= 0x0000_ffff_ffff_ffff;
                    }
                    return Ok(Some((*regs, FoundBy::Cfi, signal_frame)));
                }
                Err(e @ cfi::StepError::Unreadable(_)) => return Err(e),
                Err(e) => log::debug!("unwind: CFI at {lookup:#x} failed ({e}); falling back"),
            }
        }
        let (caller, how) = fallback::step(regs, mem, innermost, function_start)?;
        Ok(Some((caller, how, false)))
    }
}

/// An unwinder keeping its parsed objects between backtraces.
#[derive(Default)]
pub struct Unwinder {
    cache: ObjectCache,
}

impl Unwinder {
    pub fn new() -> Unwinder {
        Unwinder::default()
    }

    /// The address space of a target mapped as `maps`.
    pub fn address_space(&mut self, maps: &[Mapping]) -> AddressSpace<'_> {
        AddressSpace::new(&mut self.cache, maps)
    }

    /// Read the `[vdso]` among `maps` from target memory and parse it (it
    /// has CFI and symbols like any shared object, but no file). Read
    /// afresh each time: a new process has its own.
    pub fn load_vdso(&mut self, maps: &[Mapping], mem: &dyn Memory) {
        let Some(vdso) = maps.iter().find(|m| m.path.as_os_str() == VDSO) else {
            return;
        };
        // A vdso is a few pages; refuse anything that is not.
        let len = vdso.end.saturating_sub(vdso.start);
        if len == 0 || len > 1 << 20 {
            return;
        }
        let mut bytes = vec![0u8; len as usize];
        if mem.read(vdso.start, &mut bytes) == Some(bytes.len()) {
            self.cache.set_image(&vdso.path, &bytes);
        }
    }

    pub fn cache(&self) -> &ObjectCache {
        &self.cache
    }
}

/// The file name of an object path, for short output.
pub fn short_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
