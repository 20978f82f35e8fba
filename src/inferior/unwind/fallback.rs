//! Unwinding where no CFI covers the pc: the frame-pointer chain (x86_64
//! `rbp`: [rbp] = caller's rbp, [rbp+8] = return address; arm64's frame
//! record at `x29`: [x29] = caller's x29, [x29+8] = x30), with the
//! innermost frame's prologue recognised (x86_64 here, arm64 in
//! `aarch64`), and the MIPS prologue scan (`mips`).

use super::regs::{Arch, Registers};
use super::{aarch64, mips};
use super::{read_word, FoundBy, Memory};
use crate::inferior::unwind::cfi::StepError;

/// The caller's registers by the fallback for `arch`, and how they were
/// found. `innermost`: this is frame 0 (it may be stopped in a prologue,
/// and a leaf may not have saved its return address). `function_start`:
/// where the symbol containing the pc begins, if known.
pub(super) fn step(
    regs: &Registers,
    mem: &dyn Memory,
    innermost: bool,
    function_start: Option<u64>,
) -> Result<(Registers, FoundBy), StepError> {
    let here = Here {
        regs,
        mem,
        innermost,
        function_start,
    };
    match regs.arch {
        Arch::X86_64 => x86_64(&here).map(|r| (r, FoundBy::FramePointer)),
        Arch::Aarch64 => match aarch64::innermost(&here)? {
            Some(caller) => Ok((caller, FoundBy::PrologueScan)),
            None => frame_record(regs, mem).map(|r| (r, FoundBy::FramePointer)),
        },
        Arch::Mips(_) => mips::step(&here).map(|r| (r, FoundBy::PrologueScan)),
    }
}

/// The frame a fallback steps from.
pub(super) struct Here<'a> {
    pub regs: &'a Registers,
    pub mem: &'a dyn Memory,
    pub innermost: bool,
    pub function_start: Option<u64>,
}

const ENDBR64: [u8; 4] = [0xf3, 0x0f, 0x1e, 0xfa];
const MOV_RSP_RBP: [u8; 3] = [0x48, 0x89, 0xe5];

fn missing(what: &str) -> StepError {
    StepError::Cfi(format!("{what} unknown"))
}

/// x86_64: in frame 0 at a function's `push %rbp` (maybe after
/// `endbr64`) the return address is at [rsp]; just after it (at `mov
/// %rsp,%rbp`), at [rsp+8]. Elsewhere the rbp chain.
fn x86_64(here: &Here<'_>) -> Result<Registers, StepError> {
    let (regs, mem) = (here.regs, here.mem);
    let arch = regs.arch;
    let sp = regs.sp().ok_or_else(|| missing("rsp"))?;
    if let (true, Some(start)) = (here.innermost, here.function_start) {
        let mut code = [0u8; 32];
        let got = mem.read(start, &mut code).unwrap_or(0);
        let code = &code[..got];
        let body = if code.starts_with(&ENDBR64) { 4 } else { 0 };
        let into = regs.pc.wrapping_sub(start);
        let pushes = code.get(body) == Some(&0x55);
        // Where `mov %rsp,%rbp` ends (gcc may schedule an instruction
        // between it and the push); unseen, just after the push.
        let mov_end = code
            .windows(3)
            .skip(body + 1)
            .position(|w| w == MOV_RSP_RBP)
            .map_or(body + 2, |at| body + 1 + at + 3) as u64;
        let at_push = pushes && into <= body as u64;
        let after_push = pushes && into > body as u64 && into < mov_end;
        // A function that never pushes rbp (hand-written, like clone3's
        // parent side after its FDE ends) is taken as frameless, as gdb does.
        let frameless = code.len() > body && !pushes;
        if at_push || after_push || frameless {
            let mut caller = regs.clone();
            let ra_at = if after_push { sp.wrapping_add(8) } else { sp };
            if after_push {
                caller.set(arch.fp_reg(), read_word(mem, arch, sp)?);
            }
            caller.pc = read_word(mem, arch, ra_at)?;
            caller.set(arch.sp_reg(), ra_at.wrapping_add(8));
            return Ok(caller);
        }
    }
    frame_record(regs, mem)
}

/// The frame record the frame pointer points at: the caller's frame
/// pointer, then the return address.
fn frame_record(regs: &Registers, mem: &dyn Memory) -> Result<Registers, StepError> {
    let arch = regs.arch;
    let fp = regs.fp().ok_or_else(|| missing("frame pointer"))?;
    if fp == 0 {
        return Err(missing("frame pointer (0)"));
    }
    let word = arch.word_size() as u64;
    let mut caller = regs.clone();
    caller.set(arch.fp_reg(), read_word(mem, arch, fp)?);
    caller.pc = read_word(mem, arch, fp.wrapping_add(word))?;
    caller.set(arch.sp_reg(), fp.wrapping_add(2 * word));
    if let Some(lr) = arch.link_reg() {
        caller.clear(lr);
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::unwind::tests::FakeMemory;

    #[test]
    fn x86_64_rbp_chain() {
        let mut mem = FakeMemory::default();
        mem.put_u64(0x7000, 0x7100); // caller's rbp
        mem.put_u64(0x7008, 0x40_1234); // return address
        let mut regs = Registers::new(Arch::X86_64, 0x40_1000, 0x6ff0);
        regs.set(6, 0x7000);
        let (caller, how) = step(&regs, &mem, false, None).unwrap();
        assert_eq!(how, FoundBy::FramePointer);
        assert_eq!(caller.pc, 0x40_1234);
        assert_eq!(caller.fp(), Some(0x7100));
        assert_eq!(caller.sp(), Some(0x7010));
        // rbp 0 ends the chain; unreadable memory is an error.
        regs.set(6, 0);
        assert!(step(&regs, &mem, false, None).is_err());
        regs.set(6, 0x9000);
        assert_eq!(
            step(&regs, &mem, false, None),
            Err(StepError::Unreadable(0x9000))
        );
    }

    /// Frame 0's caller: (pc, sp, fp).
    fn up(regs: &Registers, mem: &FakeMemory, f: Option<u64>) -> (u64, Option<u64>, Option<u64>) {
        let (caller, _) = step(regs, mem, true, f).unwrap();
        (caller.pc, caller.sp(), caller.fp())
    }

    #[test]
    fn x86_64_prologue_in_frame_0() {
        let mut mem = FakeMemory::default();
        // f at 0x401001: push %rbp; mov %rsp,%rbp
        mem.put(0x40_1000, &[0xc3, 0x55, 0x48, 0x89, 0xe5, 0x90]);
        mem.put_u64(0x6ff0, 0x40_2000); // [rsp] at entry: return address
        let f = Some(0x40_1001);
        let mut regs = Registers::new(Arch::X86_64, 0x40_1001, 0x6ff0);
        regs.set(6, 0x7777);
        assert_eq!(up(&regs, &mem, f), (0x40_2000, Some(0x6ff8), Some(0x7777)));
        // After the push: [rsp] = caller's rbp, [rsp+8] = return address.
        mem.put_u64(0x6fe8, 0x7777);
        mem.put_u64(0x6ff0, 0x40_2000);
        let mut regs = Registers::new(Arch::X86_64, 0x40_1002, 0x6fe8);
        regs.set(6, 0x1);
        assert_eq!(up(&regs, &mem, f), (0x40_2000, Some(0x6ff8), Some(0x7777)));
        // Not innermost, or the function unknown: the rbp chain even there.
        assert!(step(&regs, &mem, false, f).is_err());
        assert!(step(&regs, &mem, true, None).is_err());
        // A function without `push %rbp`: frameless, [rsp] is the return.
        mem.put(0x40_4000, &[0x31, 0xc0, 0x0f, 0x05, 0xc3]); // xor; syscall; ret
        let regs = Registers::new(Arch::X86_64, 0x40_4004, 0x6ff0);
        assert_eq!(up(&regs, &mem, Some(0x40_4000)).0, 0x40_2000);
        // gcc's order at -O2: push %rbp; add $1,%edi; mov %rsp,%rbp.
        mem.put(0x40_5000, &[0x55, 0x83, 0xc7, 0x01, 0x48, 0x89, 0xe5, 0xe8]);
        mem.put_u64(0x6fe8, 0x7777);
        for pc in [0x40_5001, 0x40_5004] {
            let regs = Registers::new(Arch::X86_64, pc, 0x6fe8);
            let f = Some(0x40_5000);
            assert_eq!(up(&regs, &mem, f), (0x40_2000, Some(0x6ff8), Some(0x7777)));
        }
        // With endbr64 first.
        mem.put(0x40_3000, &[0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5]);
        let regs = Registers::new(Arch::X86_64, 0x40_3004, 0x6ff0);
        let (caller, _) = step(&regs, &mem, true, Some(0x40_3000)).unwrap();
        assert_eq!((caller.pc, caller.sp()), (0x40_2000, Some(0x6ff8)));
    }

    #[test]
    fn aarch64_frame_record() {
        let mut mem = FakeMemory::default();
        mem.put_u64(0x8000, 0x8100);
        mem.put_u64(0x8008, 0x40_5678);
        let mut regs = Registers::new(Arch::Aarch64, 0x40_0000, 0x7f00);
        regs.set(29, 0x8000);
        regs.set(30, 0x40_0100);
        let (caller, how) = step(&regs, &mem, true, None).unwrap();
        assert_eq!(how, FoundBy::FramePointer);
        assert_eq!(
            (caller.pc, caller.fp(), caller.sp(), caller.get(30)),
            (0x40_5678, Some(0x8100), Some(0x8010), None)
        );
    }
}
