//! The process's registers as gdb sees them: the register context (which
//! registers there are and how they are laid out in a `g` packet) and each
//! stopped thread's `g` block, read once and kept until the thread runs or
//! something changes its registers, which must then `forget` it.

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
}

impl Registers {
    pub(super) fn probe(pid: Pid) -> Registers {
        Registers {
            context: native::RegisterContext::probe(pid),
            description: Description::Read,
            cache: HashMap::new(),
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
        self.cache.clear();
    }

    /// The process has exec'd (perhaps a 32-bit program after a 64-bit
    /// one, or the reverse): ask the kernel again which registers it has.
    pub(super) fn reprobe(&mut self, tid: Tid) {
        self.context = native::RegisterContext::probe(tid);
        if self.description == Description::Ignored {
            self.use_plain_layout();
        }
        self.cache.clear();
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
    /// stop reply: from the cache if the whole file is there, else only the
    /// general registers are read (and not kept: a later `g` reads them
    /// with the rest).
    pub(super) fn read_expedited(&mut self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        if let Some(g) = self.cache.get(&tid) {
            return Ok(g.clone());
        }
        #[cfg(target_arch = "x86_64")]
        return self.context.read_general(tid);
        #[cfg(not(target_arch = "x86_64"))]
        return self.read(tid);
    }

    pub(super) fn write(&mut self, tid: Tid, g: &[u8]) -> Result<(), RegsError> {
        self.cache.remove(&tid);
        self.context.write(tid, g)
    }

    /// `tid`'s registers have changed (or it is gone): read them afresh.
    pub(super) fn forget(&mut self, tid: Tid) {
        self.cache.remove(&tid);
    }

    /// Every thread's registers may have changed.
    pub(super) fn forget_all(&mut self) {
        self.cache.clear();
    }
}
