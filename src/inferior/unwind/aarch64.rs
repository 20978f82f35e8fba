//! arm64 without CFI in the innermost frame: before the function has
//! stored its frame record (`stp x29, x30, [sp, #-N]!`) and pointed x29 at
//! it (`mov x29, sp`), x29 is still the caller's, so the x29 chain would
//! skip the caller. A short scan from the function's start to the pc says
//! which case this is: no record yet (a leaf, or the entry): the caller's pc
//! is x30 and its sp this sp; a record stored at sp but x29 not moved: the
//! record is at sp. Otherwise the frame record at x29 (`fallback`).

use super::fallback::Here;
use super::read_word;
use super::regs::Registers;
use crate::inferior::unwind::cfi::StepError;

/// Instructions looked at from the function's start.
const MAX_SCAN: u64 = 64;

/// What the prologue has done before the pc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prologue {
    /// No frame record stored yet.
    NoRecord,
    /// `stp x29, x30, [sp, #-N]!` ran (N bytes): the record is at sp.
    RecordAtSp(u64),
    /// `mov x29, sp` ran too (or the scan found no answer): use x29.
    FramePointer,
}

/// `stp x29, x30, [sp, #imm]!` (pre-index): the bytes it takes (positive).
fn stp_frame_record_pre_index(insn: u32) -> Option<u64> {
    if insn & 0xffc0_7fff != 0xa980_7bfd {
        return None;
    }
    // imm7, scaled by 8, signed.
    let imm7 = ((insn >> 15) & 0x7f) as i64;
    let imm = if imm7 & 0x40 != 0 { imm7 - 0x80 } else { imm7 } * 8;
    (imm < 0).then_some(imm.unsigned_abs())
}

/// `mov x29, sp` (`add x29, sp, #0`).
const MOV_X29_SP: u32 = 0x9100_03fd;

/// Classify the instructions from `start` up to (not including) `pc`.
pub fn scan(start: u64, pc: u64, mut insn_at: impl FnMut(u64) -> Option<u32>) -> Prologue {
    let mut found = Prologue::NoRecord;
    let mut addr = start;
    while addr < pc && addr < start.saturating_add(4 * MAX_SCAN) {
        let Some(insn) = insn_at(addr) else {
            return Prologue::FramePointer;
        };
        if let Some(size) = stp_frame_record_pre_index(insn) {
            found = Prologue::RecordAtSp(size);
        } else if insn == MOV_X29_SP && found != Prologue::NoRecord {
            return Prologue::FramePointer;
        }
        addr = addr.wrapping_add(4);
    }
    if addr < pc {
        // Far into a function: its prologue is long done.
        return Prologue::FramePointer;
    }
    found
}

/// The caller's registers for frame 0 by the scan, or None where the x29
/// chain serves.
pub(super) fn innermost(here: &Here<'_>) -> Result<Option<Registers>, StepError> {
    let (regs, mem) = (here.regs, here.mem);
    let (Some(start), true) = (here.function_start, here.innermost) else {
        return Ok(None);
    };
    let insn_at = |addr: u64| {
        let mut b = [0u8; 4];
        (mem.read(addr, &mut b) == Some(4)).then(|| u32::from_le_bytes(b))
    };
    let sp = regs
        .sp()
        .ok_or_else(|| StepError::Cfi("sp unknown".into()))?;
    let mut caller = regs.clone();
    match scan(start, regs.pc, insn_at) {
        Prologue::FramePointer => return Ok(None),
        Prologue::NoRecord => {
            caller.pc = regs
                .get(30)
                .ok_or_else(|| StepError::Cfi("x30 unknown".into()))?;
        }
        Prologue::RecordAtSp(size) => {
            caller.set(29, read_word(mem, regs.arch, sp)?);
            caller.pc = read_word(mem, regs.arch, sp.wrapping_add(8))?;
            caller.set(regs.arch.sp_reg(), sp.wrapping_add(size));
        }
    }
    caller.clear(30);
    Ok(Some(caller))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::unwind::regs::Arch;
    use crate::inferior::unwind::tests::FakeMemory;
    use crate::inferior::unwind::Memory;

    // stp x29, x30, [sp, #-32]! ; mov x29, sp ; nop ; nop
    const PROLOGUE: [u32; 4] = [0xa9be_7bfd, 0x9100_03fd, 0xd503_201f, 0xd503_201f];

    fn memory() -> FakeMemory {
        let mut mem = FakeMemory::default();
        let code: Vec<u8> = PROLOGUE.iter().flat_map(|w| w.to_le_bytes()).collect();
        mem.put(0x40_0000, &code);
        mem
    }

    fn up(mem: &FakeMemory, pc: u64, sp: u64) -> Option<Registers> {
        let mut regs = Registers::new(Arch::Aarch64, pc, sp);
        regs.set(29, 0xaaaa);
        regs.set(30, 0x40_1234);
        innermost(&Here {
            regs: &regs,
            mem: mem as &dyn Memory,
            innermost: true,
            function_start: Some(0x40_0000),
        })
        .unwrap()
    }

    #[test]
    fn decodes_the_frame_record_store() {
        assert_eq!(stp_frame_record_pre_index(0xa9be_7bfd), Some(32));
        assert_eq!(stp_frame_record_pre_index(0xa9bf_7bfd), Some(16));
        // stp x29, x30, [sp, #16] (signed offset, no writeback): not it.
        assert_eq!(stp_frame_record_pre_index(0xa901_7bfd), None);
        // stp x19, x20, [sp, #-32]!: other registers.
        assert_eq!(stp_frame_record_pre_index(0xa9be_53f3), None);
    }

    #[test]
    fn entry_record_and_frame_pointer() {
        let mem = memory();
        // At entry: a leaf so far, x30 returns.
        let caller = up(&mem, 0x40_0000, 0x7000).unwrap();
        assert_eq!(
            (caller.pc, caller.sp(), caller.fp()),
            (0x40_1234, Some(0x7000), Some(0xaaaa))
        );
        // After the stp: the record at sp.
        let mut mem = memory();
        mem.put_u64(0x6fe0, 0xbbbb);
        mem.put_u64(0x6fe8, 0x40_5678);
        let caller = up(&mem, 0x40_0004, 0x6fe0).unwrap();
        assert_eq!(
            (caller.pc, caller.sp(), caller.fp()),
            (0x40_5678, Some(0x7000), Some(0xbbbb))
        );
        assert_eq!(caller.get(30), None);
        // After the mov: the x29 chain.
        assert_eq!(up(&mem, 0x40_0008, 0x6fe0), None);
        assert_eq!(up(&mem, 0x40_0000 + 4 * 200, 0x6fe0), None);
    }
}
