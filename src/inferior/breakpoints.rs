//! Software breakpoints planted in the inferior's memory: the original bytes
//! they hide, so that memory reads show gdb the program's real code and every
//! breakpoint can be taken out again on detach, disconnect or error.
//!
//! A planted breakpoint can vanish behind our back: when a shared library is
//! unloaded (`dlclose`) its pages go away with our trap in them, gdb only
//! marks its breakpoint "disabled for an unloaded library" without a `z0`,
//! and another library may then be mapped at the same address. So, as GNU
//! gdbserver does, every use of a saved entry first checks that the trap is
//! still in memory; an entry whose trap is gone is stale: it is dropped,
//! never written back (its "original" bytes belong to the old library), and
//! a new `Z0` at its address plants a fresh trap.
//!
//! Every change to what is planted is also told to the address space's
//! `planted`/`unplanted` hooks, which `Memory` forwards to the guardian's
//! journal (`inferior::journal`). The rule that keeps the journal safe
//! against the server's death at any moment: a breakpoint is announced
//! before its trap is written, and withdrawn only after the original bytes
//! are back (or once it is known stale), so the journal never misses a trap
//! that is in memory.

use std::collections::BTreeMap;

use super::journal;
use super::memory::{Memory, MemoryError};

/// The inferior's memory as breakpoints need it (a trait so the table can
/// be tested on a fake address space).
pub trait CodeMemory {
    /// Read as much of `buf` as is readable from `addr` on; the count read.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<usize, MemoryError>;
    fn write(&self, addr: u64, data: &[u8]) -> Result<(), MemoryError>;
    /// `insn` is about to be written at `addr` over `original`, or the
    /// bytes saved under a planted `insn` changed to `original`.
    fn planted(&self, _addr: u64, _original: &[u8], _insn: &[u8]) {}
    /// The breakpoint at `addr` is out of memory, or forgotten as stale.
    fn unplanted(&self, _addr: u64) {}
}

impl CodeMemory for Memory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<usize, MemoryError> {
        Memory::read(self, addr, buf)
    }
    fn write(&self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
        Memory::write(self, addr, data)
    }
    fn planted(&self, addr: u64, original: &[u8], insn: &[u8]) {
        journal::record(|j| j.planted(self.pid(), addr, original, insn));
    }
    fn unplanted(&self, addr: u64) {
        journal::record(|j| j.unplanted(self.pid(), addr));
    }
}

#[derive(Clone, Debug)]
struct Planted {
    /// The bytes under the breakpoint instruction.
    original: Vec<u8>,
    /// The instruction we wrote, to tell whether it is still there.
    insn: Vec<u8>,
}

#[derive(Default, Clone)]
pub struct SoftwareBreakpoints {
    planted: BTreeMap<u64, Planted>,
}

/// Whether memory at `addr` still holds `insn` (unreadable memory does not:
/// the mapping that held the trap is gone).
fn still_planted(mem: &dyn CodeMemory, addr: u64, insn: &[u8]) -> bool {
    let mut now = vec![0; insn.len()];
    matches!(mem.read(addr, &mut now), Ok(n) if n == insn.len()) && now == insn
}

impl SoftwareBreakpoints {
    pub fn is_empty(&self) -> bool {
        self.planted.is_empty()
    }

    pub fn contains(&self, addr: u64) -> bool {
        self.planted.contains_key(&addr)
    }

    /// Drop every entry whose trap is no longer in memory.
    fn forget_stale(&mut self, mem: &dyn CodeMemory) {
        self.planted.retain(|&addr, bp| {
            let live = still_planted(mem, addr, &bp.insn);
            if !live {
                log::debug!("breakpoint at {addr:#x} is gone from memory (library unloaded?)");
                mem.unplanted(addr);
            }
            live
        });
    }

    pub fn insert(
        &mut self,
        mem: &dyn CodeMemory,
        addr: u64,
        insn: &[u8],
    ) -> Result<(), MemoryError> {
        if self.planted.contains_key(&addr) {
            // gdb inserting again at the same address: it changed the
            // breakpoint's conditions, or the first one went away with an
            // unloaded library. Only in the first case is there nothing to
            // do; checking them all keeps stale entries from piling up.
            self.forget_stale(mem);
            if self.planted.contains_key(&addr) {
                return Ok(());
            }
        }
        let mut original = vec![0; insn.len()];
        let n = mem.read(addr, &mut original)?;
        if n < insn.len() {
            return Err(MemoryError::Unreadable {
                addr: addr + n as u64,
            });
        }
        mem.planted(addr, &original, insn);
        if let Err(e) = mem.write(addr, insn) {
            mem.unplanted(addr);
            return Err(e);
        }
        self.planted.insert(
            addr,
            Planted {
                original,
                insn: insn.to_vec(),
            },
        );
        Ok(())
    }

    /// Take one breakpoint out. Removing one that is not there is not an error:
    /// gdb may remove what a failed insert never planted. A stale one is only
    /// forgotten: writing its saved bytes would corrupt whatever is there now.
    pub fn remove(&mut self, mem: &dyn CodeMemory, addr: u64) -> Result<(), MemoryError> {
        if let Some(bp) = self.planted.get(&addr) {
            if still_planted(mem, addr, &bp.insn) {
                mem.write(addr, &bp.original)?;
            }
            mem.unplanted(addr);
            self.planted.remove(&addr);
        }
        Ok(())
    }

    /// Take every breakpoint out; keeps going past failures and returns the first.
    pub fn remove_all(&mut self, mem: &dyn CodeMemory) -> Result<(), MemoryError> {
        let mut first_error = None;
        for (addr, bp) in std::mem::take(&mut self.planted) {
            if !still_planted(mem, addr, &bp.insn) {
                mem.unplanted(addr);
                continue;
            }
            match mem.write(addr, &bp.original) {
                Ok(()) => mem.unplanted(addr),
                // Still in memory: the journal keeps it, for the guardian.
                Err(e) => {
                    log::warn!("could not remove breakpoint at {addr:#x}: {e}");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Put the original bytes back under the breakpoint at `addr` for a
    /// moment (to step over it in the server), keeping the entry; `replant`
    /// writes the instruction again. Nothing to do for a stale entry.
    pub fn lift(&self, mem: &dyn CodeMemory, addr: u64) -> Result<(), MemoryError> {
        match self.planted.get(&addr) {
            Some(bp) if still_planted(mem, addr, &bp.insn) => mem.write(addr, &bp.original),
            _ => Ok(()),
        }
    }

    pub fn replant(&self, mem: &dyn CodeMemory, addr: u64) -> Result<(), MemoryError> {
        match self.planted.get(&addr) {
            Some(bp) => mem.write(addr, &bp.insn),
            None => Ok(()),
        }
    }

    /// Announce every planted breakpoint to `mem`'s hooks: a fork child's
    /// copy of the memory holds them too.
    pub fn announce_all(&self, mem: &dyn CodeMemory) {
        for (&addr, bp) in &self.planted {
            mem.planted(addr, &bp.original, &bp.insn);
        }
    }

    /// Forget every breakpoint without touching memory (the process is gone
    /// or exec'd; its journal entries go with the process or the exec).
    pub fn forget_all(&mut self) {
        self.planted.clear();
    }

    /// Replace breakpoint bytes in `buf` (read from `addr`) with the original
    /// bytes. Only where `buf` shows our instruction: a trap that is gone
    /// hides nothing, and the bytes there now are the program's.
    pub fn unshadow(&self, addr: u64, buf: &mut [u8]) {
        let end = addr.saturating_add(buf.len() as u64);
        let first = addr.saturating_sub(16);
        for (&bp, planted) in self.planted.range(first..end) {
            let overlap = |i: usize| {
                let at = bp + i as u64;
                (at >= addr && at < end).then(|| (at - addr) as usize)
            };
            let intact = (0..planted.insn.len())
                .all(|i| overlap(i).is_none_or(|idx| buf[idx] == planted.insn[i]));
            if !intact {
                continue;
            }
            for (i, &byte) in planted.original.iter().enumerate() {
                if let Some(idx) = overlap(i) {
                    buf[idx] = byte;
                }
            }
        }
    }

    /// Write `data` at `addr` without disturbing planted breakpoints: the bytes
    /// under a breakpoint become its new saved bytes and the instruction stays.
    /// Stale entries in the range are dropped first, so that gdb's write to
    /// a library mapped where an unloaded one was is not patched with a trap.
    pub fn write_around(
        &mut self,
        mem: &dyn CodeMemory,
        addr: u64,
        data: &[u8],
    ) -> Result<(), MemoryError> {
        let end = addr.saturating_add(data.len() as u64);
        let first = addr.saturating_sub(16);
        let stale: Vec<u64> = self
            .planted
            .range(first..end)
            .filter(|(&bp, planted)| !still_planted(mem, bp, &planted.insn))
            .map(|(&bp, _)| bp)
            .collect();
        for bp in stale {
            mem.unplanted(bp);
            self.planted.remove(&bp);
        }
        let mut patched = data.to_vec();
        for (&bp, planted) in self.planted.range_mut(first..end) {
            for (i, byte) in planted.original.iter_mut().enumerate() {
                let at = bp + i as u64;
                if at >= addr && at < end {
                    let idx = (at - addr) as usize;
                    *byte = data[idx];
                    patched[idx] = planted.insn[i];
                }
            }
            mem.planted(bp, &planted.original, &planted.insn);
        }
        mem.write(addr, &patched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// A sparse address space; unmapped bytes are unreadable. `journal`
    /// is what the hooks were told: address to (original, instruction).
    #[derive(Default)]
    struct Fake(RefCell<BTreeMap<u64, u8>>, Journal);

    type Journal = RefCell<BTreeMap<u64, (Vec<u8>, Vec<u8>)>>;

    impl Fake {
        fn map(&self, addr: u64, bytes: &[u8]) {
            let mut m = self.0.borrow_mut();
            for (i, &b) in bytes.iter().enumerate() {
                m.insert(addr + i as u64, b);
            }
        }
        fn unmap(&self, addr: u64, len: u64) {
            let mut m = self.0.borrow_mut();
            for a in addr..addr + len {
                m.remove(&a);
            }
        }
        fn bytes(&self, addr: u64, len: u64) -> Vec<u8> {
            let m = self.0.borrow();
            (addr..addr + len).map(|a| m[&a]).collect()
        }
    }

    impl CodeMemory for Fake {
        fn read(&self, addr: u64, buf: &mut [u8]) -> Result<usize, MemoryError> {
            let m = self.0.borrow();
            let mut n = 0;
            for (i, b) in buf.iter_mut().enumerate() {
                let Some(&v) = m.get(&(addr + i as u64)) else {
                    break;
                };
                *b = v;
                n += 1;
            }
            if n == 0 && !buf.is_empty() {
                return Err(MemoryError::Unreadable { addr });
            }
            Ok(n)
        }
        fn write(&self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
            let mut m = self.0.borrow_mut();
            for (i, &b) in data.iter().enumerate() {
                match m.get_mut(&(addr + i as u64)) {
                    Some(v) => *v = b,
                    None => return Err(MemoryError::Unreadable { addr }),
                }
            }
            Ok(())
        }
        fn planted(&self, addr: u64, original: &[u8], insn: &[u8]) {
            self.1
                .borrow_mut()
                .insert(addr, (original.to_vec(), insn.to_vec()));
        }
        fn unplanted(&self, addr: u64) {
            self.1.borrow_mut().remove(&addr);
        }
    }

    impl Fake {
        fn journal(&self) -> Vec<(u64, Vec<u8>)> {
            let j = self.1.borrow();
            j.iter().map(|(&a, (orig, _))| (a, orig.clone())).collect()
        }
    }

    const TRAP: &[u8] = &[0xcc];

    /// The journal names every trap in memory with the bytes it hides,
    /// through plants, writes around, stale entries and removals.
    #[test]
    fn the_journal_follows_what_is_planted() {
        let mem = Fake::default();
        mem.map(0x1000, &[1, 2, 3, 4]);
        let mut bps = SoftwareBreakpoints::default();
        bps.insert(&mem, 0x1001, TRAP).unwrap();
        bps.insert(&mem, 0x1003, TRAP).unwrap();
        assert_eq!(mem.journal(), [(0x1001, vec![2]), (0x1003, vec![4])]);
        // gdb writes over one: its saved bytes change in the journal too.
        bps.write_around(&mem, 0x1001, &[9]).unwrap();
        assert_eq!(mem.journal(), [(0x1001, vec![9]), (0x1003, vec![4])]);
        // Lifted for a step: still journaled (the guardian checks memory).
        bps.lift(&mem, 0x1001).unwrap();
        assert_eq!(mem.journal().len(), 2);
        bps.replant(&mem, 0x1001).unwrap();
        bps.remove(&mem, 0x1001).unwrap();
        assert_eq!(mem.journal(), [(0x1003, vec![4])]);
        // A library unloaded under 0x1003: stale, dropped from the journal
        // when the table finds out.
        mem.map(0x1003, &[7]);
        bps.insert(&mem, 0x1000, TRAP).unwrap();
        bps.insert(&mem, 0x1000, TRAP).unwrap();
        assert_eq!(mem.journal(), [(0x1000, vec![1])]);
        // A failed plant leaves nothing journaled.
        assert!(bps.insert(&mem, 0x5000, TRAP).is_err());
        assert_eq!(mem.journal(), [(0x1000, vec![1])]);
        bps.remove_all(&mem).unwrap();
        assert!(mem.journal().is_empty());
        assert_eq!(mem.bytes(0x1000, 4), [1, 9, 3, 7]);
    }

    #[test]
    fn plant_hide_and_remove() {
        let mem = Fake::default();
        mem.map(0x1000, &[1, 2, 3, 4]);
        let mut bps = SoftwareBreakpoints::default();
        bps.insert(&mem, 0x1001, TRAP).unwrap();
        bps.insert(&mem, 0x1001, TRAP).unwrap(); // again: nothing to do
        assert_eq!(mem.bytes(0x1000, 4), [1, 0xcc, 3, 4]);
        let mut buf = mem.bytes(0x1000, 4);
        bps.unshadow(0x1000, &mut buf);
        assert_eq!(buf, [1, 2, 3, 4]);
        bps.write_around(&mem, 0x1000, &[9, 8, 7]).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [9, 0xcc, 7, 4]);
        bps.remove(&mem, 0x1001).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [9, 8, 7, 4]);
        assert!(bps.is_empty());
    }

    /// A library unloaded with a trap in it and another mapped at the same
    /// address (gdb.base/unload.exp).
    #[test]
    fn trap_gone_with_an_unloaded_library() {
        let mem = Fake::default();
        mem.map(0x1000, &[1, 2, 3, 4]);
        let mut bps = SoftwareBreakpoints::default();
        bps.insert(&mem, 0x1001, TRAP).unwrap();
        bps.insert(&mem, 0x1003, TRAP).unwrap();
        mem.unmap(0x1000, 4);
        mem.map(0x1000, &[5, 6, 7, 8]);
        // Reads show the new library as it is.
        let mut buf = mem.bytes(0x1000, 4);
        bps.unshadow(0x1000, &mut buf);
        assert_eq!(buf, [5, 6, 7, 8]);
        // gdb inserts at the old address again: a real trap is planted, and
        // the saved bytes are the new library's.
        bps.insert(&mem, 0x1001, TRAP).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [5, 0xcc, 7, 8]);
        assert!(
            !bps.contains(0x1003),
            "the other stale entry is dropped too"
        );
        bps.remove(&mem, 0x1001).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [5, 6, 7, 8]);
    }

    #[test]
    fn lifted_for_a_step_and_planted_again() {
        let mem = Fake::default();
        mem.map(0x1000, &[1, 2, 3, 4]);
        let mut bps = SoftwareBreakpoints::default();
        bps.insert(&mem, 0x1001, TRAP).unwrap();
        bps.lift(&mem, 0x1001).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [1, 2, 3, 4]);
        bps.replant(&mem, 0x1001).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [1, 0xcc, 3, 4]);
        // Nothing planted there: nothing written.
        bps.lift(&mem, 0x1002).unwrap();
        bps.replant(&mem, 0x1002).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [1, 0xcc, 3, 4]);
    }

    #[test]
    fn stale_traps_are_never_written_back() {
        let mem = Fake::default();
        mem.map(0x1000, &[1, 2, 3, 4]);
        let mut bps = SoftwareBreakpoints::default();
        bps.insert(&mem, 0x1000, TRAP).unwrap();
        bps.insert(&mem, 0x1002, TRAP).unwrap();
        mem.map(0x1000, &[5, 6, 7, 8]);
        // A write over a stale entry is not patched with a trap.
        bps.write_around(&mem, 0x1000, &[9]).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [9, 6, 7, 8]);
        bps.remove(&mem, 0x1000).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [9, 6, 7, 8]);
        bps.remove_all(&mem).unwrap();
        assert_eq!(mem.bytes(0x1000, 4), [9, 6, 7, 8]);
        // And an unmapped one is no error.
        bps.insert(&mem, 0x1001, TRAP).unwrap();
        mem.unmap(0x1000, 4);
        bps.remove_all(&mem).unwrap();
        assert!(bps.is_empty());
    }
}
