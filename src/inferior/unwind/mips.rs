//! The MIPS prologue scan, for code without CFI: walk back from the pc to
//! the function's stack allocation (`addiu`/`daddiu sp,sp,-N`), noting on
//! the way where it saved `ra` (`sw`/`sd ra,OFF(sp)`) and `s8`; then the
//! caller's pc is [sp+OFF] and its sp is sp+N. A leaf that saved no `ra`
//! (only possible in the innermost frame) returns through the `ra`
//! register. The scan stops at the previous function's `jr ra`, or after
//! `MAX_SCAN` instructions. Instructions are decoded from target memory in
//! the target's byte order.

use super::fallback::Here;
use super::read_word;
use super::regs::Registers;
use crate::inferior::unwind::cfi::StepError;

/// Registers the scan looks for: sp, s8 (the frame pointer), ra.
const SP: u32 = 29;
const S8: u32 = 30;
const RA: u32 = 31;

/// One instruction of interest to the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insn {
    /// `addiu`/`daddiu sp,sp,IMM`.
    AdjustSp(i64),
    /// `sw`/`sd REG,OFF(sp)`.
    SaveReg {
        reg: u32,
        offset: i64,
    },
    /// `jr ra`: a function's end.
    Return,
    Other,
}

/// `jr ra`.
const JR_RA: u32 = 0x03e0_0008;

/// Decode one instruction word.
pub fn decode(word: u32) -> Insn {
    let opcode = word >> 26;
    let rs = (word >> 21) & 31;
    let rt = (word >> 16) & 31;
    let imm = i64::from(word as u16 as i16);
    match opcode {
        _ if word == JR_RA => Insn::Return,
        // addiu, daddiu
        0x09 | 0x19 if rs == SP && rt == SP => Insn::AdjustSp(imm),
        // sw, sd
        0x2b | 0x3f if rs == SP => Insn::SaveReg {
            reg: rt,
            offset: imm,
        },
        _ => Insn::Other,
    }
}

/// Instructions looked at before giving up.
const MAX_SCAN: u64 = 1024;

/// What the scan found between a function's start and the pc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prologue {
    /// Bytes the function took off the stack (N of `addiu sp,sp,-N`).
    pub frame_size: Option<u64>,
    pub ra_offset: Option<i64>,
    pub s8_offset: Option<i64>,
}

/// Scan back from `pc` (exclusive: the instruction there has not run)
/// through instructions read by `insn_at`, not below `function_start`
/// where the symbol tables know it.
pub fn scan(
    pc: u64,
    function_start: Option<u64>,
    mut insn_at: impl FnMut(u64) -> Option<u32>,
) -> Prologue {
    let mut found = Prologue::default();
    for i in 1..=MAX_SCAN {
        let Some(addr) = pc.checked_sub(4 * i) else {
            break;
        };
        if function_start.is_some_and(|start| addr < start) {
            break;
        }
        let Some(word) = insn_at(addr) else {
            break;
        };
        match decode(word) {
            Insn::AdjustSp(imm) if imm < 0 => {
                found.frame_size = Some(imm.unsigned_abs());
                break;
            }
            // Scanning backwards, the earliest save wins: it is the prologue's.
            Insn::SaveReg { reg: RA, offset } => found.ra_offset = Some(offset),
            Insn::SaveReg { reg: S8, offset } => found.s8_offset = Some(offset),
            Insn::Return => break,
            _ => {}
        }
    }
    if found.frame_size.is_none() {
        // Saves without an allocation belong to no frame of this function.
        found = Prologue::default();
    }
    found
}

/// The caller's registers by the prologue scan.
pub(super) fn step(here: &Here<'_>) -> Result<Registers, StepError> {
    let (regs, mem, innermost) = (here.regs, here.mem, here.innermost);
    let arch = regs.arch;
    let sp = regs
        .sp()
        .ok_or_else(|| StepError::Cfi("sp unknown".into()))?;
    let insn_at = |addr: u64| {
        let mut b = [0u8; 4];
        (mem.read(addr, &mut b) == Some(4)).then(|| {
            if arch.big_endian() {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        })
    };
    let prologue = scan(regs.pc, here.function_start, insn_at);
    let mut caller = regs.clone();
    let ra = match prologue.ra_offset {
        Some(offset) => read_word(mem, arch, sp.wrapping_add_signed(offset))?,
        None if innermost => regs
            .get(RA as u16)
            .ok_or_else(|| StepError::Cfi("ra unknown".into()))?,
        None => return Err(StepError::Cfi("no saved ra outside a leaf".into())),
    };
    if let Some(offset) = prologue.s8_offset {
        caller.set(
            S8 as u16,
            read_word(mem, arch, sp.wrapping_add_signed(offset))?,
        );
    }
    caller.pc = ra;
    caller.set(SP as u16, sp.wrapping_add(prologue.frame_size.unwrap_or(0)));
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::unwind::regs::Arch;
    use crate::inferior::unwind::tests::FakeMemory;
    use rgdbserver_arch::mips::{MIPS, MIPS64EL, MIPSEL};

    fn step(
        regs: &Registers,
        mem: &FakeMemory,
        innermost: bool,
        start: Option<u64>,
    ) -> Result<Registers, StepError> {
        super::step(&Here {
            regs,
            mem,
            innermost,
            function_start: start,
        })
    }

    // addiu sp,sp,-32 ; sw ra,28(sp) ; sw s8,24(sp) ; move s8,sp ; nop ...
    const O32_PROLOGUE: [u32; 5] = [0x27bd_ffe0, 0xafbf_001c, 0xafbe_0018, 0x03a0_f025, 0];
    // daddiu sp,sp,-48 ; sd ra,40(sp) ; nop
    const N64_PROLOGUE: [u32; 3] = [0x67bd_ffd0, 0xffbf_0028, 0];

    fn bytes(words: &[u32], big: bool) -> Vec<u8> {
        words
            .iter()
            .flat_map(|w| {
                if big {
                    w.to_be_bytes()
                } else {
                    w.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn decodes() {
        assert_eq!(decode(0x27bd_ffe0), Insn::AdjustSp(-32));
        assert_eq!(decode(0x27bd_0020), Insn::AdjustSp(32));
        assert_eq!(decode(0x67bd_ffd0), Insn::AdjustSp(-48));
        assert_eq!(
            decode(0xafbf_001c),
            Insn::SaveReg {
                reg: 31,
                offset: 28
            }
        );
        assert_eq!(
            decode(0xffbf_0028),
            Insn::SaveReg {
                reg: 31,
                offset: 40
            }
        );
        assert_eq!(decode(0x03e0_0008), Insn::Return);
        // addiu sp,a0,-32 is no stack allocation; sw ra,0(a0) no save.
        assert_eq!(decode(0x249d_ffe0), Insn::Other);
        assert_eq!(decode(0xac9f_0000), Insn::Other);
    }

    #[test]
    fn scans_o32_both_endians() {
        for (m, big) in [(MIPS, true), (MIPSEL, false)] {
            let mut mem = FakeMemory::default();
            // The previous function ends with jr ra; nop.
            let mut code = vec![JR_RA, 0];
            code.extend(O32_PROLOGUE);
            mem.put(0x40_0000, &bytes(&code, big));
            let sp = 0x7fff_0000u64;
            let saved = |v: u32| {
                if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
            };
            mem.put(sp + 28, &saved(0x40_2468));
            mem.put(sp + 24, &saved(0x7fff_1000));
            let arch = Arch::Mips(m);
            // pc after the whole prologue.
            let mut regs = Registers::new(arch, 0x40_0008 + 4 * 4, sp);
            regs.set(31, 0xdead);
            let caller = step(&regs, &mem, false, None).unwrap();
            assert_eq!(caller.pc, 0x40_2468, "{m:?}");
            assert_eq!(caller.sp(), Some(sp + 32));
            assert_eq!(caller.fp(), Some(0x7fff_1000));
            // pc just after the addiu: ra not saved yet, so the leaf rule
            // (frame 0 only) takes the ra register.
            let mut regs = Registers::new(arch, 0x40_000c, sp);
            regs.set(31, 0x40_1357);
            let caller = step(&regs, &mem, true, None).unwrap();
            assert_eq!((caller.pc, caller.sp()), (0x40_1357, Some(sp + 32)));
            assert!(step(&regs, &mem, false, None).is_err());
            // pc at the function's first instruction: no frame at all.
            let regs2 = {
                let mut r = Registers::new(arch, 0x40_0008, sp);
                r.set(31, 0x40_1357);
                r
            };
            let caller = step(&regs2, &mem, true, None).unwrap();
            assert_eq!((caller.pc, caller.sp()), (0x40_1357, Some(sp)));
        }
    }

    #[test]
    fn scans_n64_little_endian() {
        let mut mem = FakeMemory::default();
        mem.put(0x1_2000_0000, &bytes(&N64_PROLOGUE, false));
        let sp = 0xff_ffff_0000u64;
        mem.put(sp + 40, &0x1_2000_0abcu64.to_le_bytes());
        let regs = Registers::new(Arch::Mips(MIPS64EL), 0x1_2000_0008, sp);
        let caller = step(&regs, &mem, false, None).unwrap();
        assert_eq!(caller.pc, 0x1_2000_0abc);
        assert_eq!(caller.sp(), Some(sp + 48));
        // Saved ra unreadable: an error, not a guess.
        let regs = Registers::new(Arch::Mips(MIPS64EL), 0x1_2000_0008, 0x10);
        assert!(matches!(
            step(&regs, &mem, false, None),
            Err(StepError::Unreadable(_))
        ));
    }

    #[test]
    fn saves_without_allocation_are_ignored() {
        // sw ra,28(sp) with no addiu before it (down to jr ra).
        let code = [JR_RA, 0, 0xafbf_001c, 0];
        let words = |addr: u64| code.get(((addr - 0x1000) / 4) as usize).copied();
        assert_eq!(scan(0x1000 + 16, None, words), Prologue::default());
        // The symbol's start bounds the scan: the allocation before it is
        // another function's.
        let code = [0x27bd_ffe0, 0xafbf_001c, 0, 0];
        let words = |addr: u64| code.get(((addr - 0x1000) / 4) as usize).copied();
        assert_eq!(scan(0x1010, None, words).frame_size, Some(32));
        assert_eq!(scan(0x1010, Some(0x1008), words), Prologue::default());
    }
}
