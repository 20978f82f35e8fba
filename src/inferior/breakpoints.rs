//! Software breakpoints planted in the inferior's memory: the original bytes
//! they hide, so that memory reads show gdb the program's real code and every
//! breakpoint can be taken out again on detach, disconnect or error.

use std::collections::BTreeMap;

use super::memory::{Memory, MemoryError};

#[derive(Default, Clone)]
pub struct SoftwareBreakpoints {
    /// Address -> the original bytes under the breakpoint instruction.
    saved: BTreeMap<u64, Vec<u8>>,
}

impl SoftwareBreakpoints {
    pub fn is_empty(&self) -> bool {
        self.saved.is_empty()
    }

    pub fn contains(&self, addr: u64) -> bool {
        self.saved.contains_key(&addr)
    }

    pub fn insert(&mut self, mem: &Memory, addr: u64, insn: &[u8]) -> Result<(), MemoryError> {
        if self.saved.contains_key(&addr) {
            return Ok(());
        }
        let mut original = vec![0; insn.len()];
        let n = mem.read(addr, &mut original)?;
        if n < insn.len() {
            return Err(MemoryError::Unreadable {
                addr: addr + n as u64,
            });
        }
        mem.write(addr, insn)?;
        self.saved.insert(addr, original);
        Ok(())
    }

    /// Take one breakpoint out. Removing one that is not there is not an error:
    /// gdb may remove what a failed insert never planted.
    pub fn remove(&mut self, mem: &Memory, addr: u64) -> Result<(), MemoryError> {
        if let Some(original) = self.saved.get(&addr) {
            mem.write(addr, original)?;
            self.saved.remove(&addr);
        }
        Ok(())
    }

    /// Take every breakpoint out; keeps going past failures and returns the first.
    pub fn remove_all(&mut self, mem: &Memory) -> Result<(), MemoryError> {
        let mut first_error = None;
        for (addr, original) in std::mem::take(&mut self.saved) {
            if let Err(e) = mem.write(addr, &original) {
                log::warn!("could not remove breakpoint at {addr:#x}: {e}");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Forget every breakpoint without touching memory (the process is gone or exec'd).
    pub fn forget_all(&mut self) {
        self.saved.clear();
    }

    /// Replace breakpoint bytes in `buf` (read from `addr`) with the original bytes.
    pub fn unshadow(&self, addr: u64, buf: &mut [u8]) {
        let end = addr.saturating_add(buf.len() as u64);
        let first = addr.saturating_sub(16);
        for (&bp, original) in self.saved.range(first..end) {
            for (i, &byte) in original.iter().enumerate() {
                let at = bp + i as u64;
                if at >= addr && at < end {
                    buf[(at - addr) as usize] = byte;
                }
            }
        }
    }

    /// Write `data` at `addr` without disturbing planted breakpoints: the bytes
    /// under a breakpoint become its new saved bytes and the instruction stays.
    pub fn write_around(
        &mut self,
        mem: &Memory,
        addr: u64,
        data: &[u8],
        insn: &[u8],
    ) -> Result<(), MemoryError> {
        let end = addr.saturating_add(data.len() as u64);
        let first = addr.saturating_sub(16);
        let mut patched = data.to_vec();
        for (&bp, original) in self.saved.range_mut(first..end) {
            for (i, byte) in original.iter_mut().enumerate() {
                let at = bp + i as u64;
                if at >= addr && at < end {
                    let idx = (at - addr) as usize;
                    *byte = data[idx];
                    patched[idx] = insn[i];
                }
            }
        }
        mem.write(addr, &patched)
    }
}
