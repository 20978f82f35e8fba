//! The process's registers as gdb sees them: the register context (which
//! registers there are and how they are laid out in a `g` packet) and, for
//! each stopped thread, what has been read of its registers since it
//! stopped: its general registers (one ptrace call: the PC a SIGTRAP is
//! classified by, moved back over a breakpoint, and the stop reply's
//! registers all come from that one read) and its whole `g` block.
//!
//! Hazard: a value kept past the thread's next run is a lie told to gdb
//! (or a PC written back over the one the thread reached). Rule: both are
//! kept only from a stop until the thread runs: the process forgets a
//! thread's registers at each wait status it handles for it and at every
//! resume, and any change made to them goes through here (`set_pc`,
//! `write`) or is followed by `forget`.

use std::collections::HashMap;

use nix::unistd::Pid;

use crate::inferior::ptrace::Tid;
use crate::inferior::regs::{native, RegsError};

/// Whether gdb reads target descriptions, which decides the layout a
/// process gets when its registers are probed again after an exec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Description {
    Read,
    Ignored,
}

pub(super) struct Registers {
    context: native::RegisterContext,
    description: Description,
    /// Threads' `g` blocks, as last read.
    cache: HashMap<Tid, Vec<u8>>,
    /// Threads' general registers, as last read or written.
    general: HashMap<Tid, native::General>,
}

impl Registers {
    pub(super) fn probe(pid: Pid) -> Registers {
        Registers {
            context: native::RegisterContext::probe(pid),
            description: Description::Read,
            cache: HashMap::new(),
            general: HashMap::new(),
        }
    }

    pub(super) fn context(&self) -> &native::RegisterContext {
        &self.context
    }

    /// gdb does not read target descriptions: use the register layout it
    /// assumes without one.
    pub(super) fn use_plain_layout(&mut self) {
        self.description = Description::Ignored;
        #[cfg(target_arch = "x86_64")]
        self.context.without_target_description();
        self.forget_all();
    }

    /// The process has exec'd (perhaps a 32-bit program after a 64-bit
    /// one, or the reverse): ask the kernel again which registers it has.
    pub(super) fn reprobe(&mut self, tid: Tid) {
        self.context = native::RegisterContext::probe(tid);
        if self.description == Description::Ignored {
            self.use_plain_layout();
        }
        self.forget_all();
    }

    /// `tid`'s `g` block, from the cache if it is there.
    pub(super) fn read(&mut self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        if let Some(g) = self.cache.get(&tid) {
            return Ok(g.clone());
        }
        let g = self.context.read(tid)?;
        self.cache.insert(tid, g.clone());
        Ok(g)
    }

    /// A `g` block with at least the expedited registers right, for a
    /// stop reply: from the cache if the whole file is there, else from
    /// the general registers alone (kept for the PC; a later `g` reads
    /// the rest).
    pub(super) fn read_expedited(&mut self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        if let Some(g) = self.cache.get(&tid) {
            return Ok(g.clone());
        }
        #[cfg(target_arch = "x86_64")]
        return Ok(self
            .context
            .g_from_general(general_of(&mut self.general, tid)?));
        #[cfg(not(target_arch = "x86_64"))]
        return self.read(tid);
    }

    /// `tid`'s PC.
    pub(super) fn pc(&mut self, tid: Tid) -> Result<u64, RegsError> {
        Ok(general_of(&mut self.general, tid)?.pc())
    }

    /// Move `tid`'s PC (the other registers as they are).
    pub(super) fn set_pc(&mut self, tid: Tid, pc: u64) -> Result<(), RegsError> {
        self.cache.remove(&tid);
        let mut general = match self.general.remove(&tid) {
            Some(general) => general,
            None => native::General::read(tid)?,
        };
        general.set_pc(pc);
        general.write(tid)?;
        self.general.insert(tid, general);
        Ok(())
    }

    pub(super) fn write(&mut self, tid: Tid, g: &[u8]) -> Result<(), RegsError> {
        self.forget(tid);
        self.context.write(tid, g)
    }

    /// `tid`'s registers have changed (or it is gone, or ran): read them
    /// afresh.
    pub(super) fn forget(&mut self, tid: Tid) {
        self.cache.remove(&tid);
        self.general.remove(&tid);
    }

    /// Every thread's registers may have changed.
    pub(super) fn forget_all(&mut self) {
        self.cache.clear();
        self.general.clear();
    }
}

/// `tid`'s general registers, read once per stop.
fn general_of(
    known: &mut HashMap<Tid, native::General>,
    tid: Tid,
) -> Result<&native::General, RegsError> {
    use std::collections::hash_map::Entry;
    Ok(match known.entry(tid) {
        Entry::Occupied(kept) => kept.into_mut(),
        Entry::Vacant(slot) => slot.insert(native::General::read(tid)?),
    })
}
