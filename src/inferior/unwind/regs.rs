//! The unwinder's view of a machine: which architecture, its word size and
//! byte order, and a frame's registers in DWARF numbering (the numbering
//! CFI speaks), made from a gdb `g` block so the caller never needs to know
//! the register layouts. Pure code.

use rgdbserver_arch::mips::{self, Endian, Mips};
use rgdbserver_arch::{aarch64, x86_64};

/// Registers DWARF numbers that we track (every architecture's integer
/// registers fit: x86_64 uses 0..=16, arm64 0..=31, MIPS 0..=31).
pub const MAX_DWARF_REGS: usize = 40;

/// The architecture a target runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
    Mips(Mips),
}

impl Arch {
    /// The architecture this server was built for (and so debugs).
    pub fn native() -> Arch {
        if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else if cfg!(any(target_arch = "mips", target_arch = "mips64")) {
            Arch::Mips(Mips {
                endian: if cfg!(target_endian = "big") {
                    Endian::Big
                } else {
                    Endian::Little
                },
                wide: cfg!(target_arch = "mips64"),
            })
        } else {
            Arch::X86_64
        }
    }

    /// Bytes in a pointer.
    pub fn word_size(self) -> usize {
        match self {
            Arch::Mips(m) if !m.wide => 4,
            _ => 8,
        }
    }

    pub fn big_endian(self) -> bool {
        matches!(self, Arch::Mips(m) if m.endian == Endian::Big)
    }

    /// The DWARF number of the stack pointer.
    pub fn sp_reg(self) -> u16 {
        match self {
            Arch::X86_64 => 7,
            Arch::Aarch64 => 31,
            Arch::Mips(_) => 29,
        }
    }

    /// The DWARF number of the frame pointer (`rbp`, `x29`, `s8`/`fp`).
    pub fn fp_reg(self) -> u16 {
        match self {
            Arch::X86_64 => 6,
            Arch::Aarch64 => 29,
            Arch::Mips(_) => 30,
        }
    }

    /// The register holding the return address at a call (`x30`, `ra`);
    /// x86_64 keeps it on the stack.
    pub fn link_reg(self) -> Option<u16> {
        match self {
            Arch::X86_64 => None,
            Arch::Aarch64 => Some(30),
            Arch::Mips(_) => Some(31),
        }
    }

    /// A word of target memory in the target's byte order.
    pub fn word_from(self, bytes: &[u8]) -> Option<u64> {
        let n = self.word_size();
        let bytes = bytes.get(..n)?;
        let mut value = 0u64;
        for i in 0..n {
            let b = if self.big_endian() {
                bytes[i]
            } else {
                bytes[n - 1 - i]
            };
            value = (value << 8) | u64::from(b);
        }
        Some(value)
    }

    /// Keep an address to the word size (o32 wraps at 4 GiB).
    pub fn wrap(self, value: u64) -> u64 {
        if self.word_size() == 4 {
            value & 0xffff_ffff
        } else {
            value
        }
    }
}

/// One frame's registers: the pc, and integer registers by DWARF number
/// (None where unknown, e.g. a caller-saved register in a caller's frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registers {
    pub arch: Arch,
    pub pc: u64,
    regs: [Option<u64>; MAX_DWARF_REGS],
}

impl Registers {
    /// Registers with only the pc and stack pointer known.
    pub fn new(arch: Arch, pc: u64, sp: u64) -> Registers {
        let mut regs = Registers {
            arch,
            pc,
            regs: [None; MAX_DWARF_REGS],
        };
        regs.set(arch.sp_reg(), sp);
        regs
    }

    pub fn get(&self, dwarf_reg: u16) -> Option<u64> {
        self.regs.get(usize::from(dwarf_reg)).copied().flatten()
    }

    /// Set a register; numbers past what we track are ignored.
    pub fn set(&mut self, dwarf_reg: u16, value: u64) {
        if let Some(slot) = self.regs.get_mut(usize::from(dwarf_reg)) {
            *slot = Some(self.arch.wrap(value));
        }
    }

    pub fn clear(&mut self, dwarf_reg: u16) {
        if let Some(slot) = self.regs.get_mut(usize::from(dwarf_reg)) {
            *slot = None;
        }
    }

    pub fn sp(&self) -> Option<u64> {
        self.get(self.arch.sp_reg())
    }

    pub fn fp(&self) -> Option<u64> {
        self.get(self.arch.fp_reg())
    }

    /// A thread's registers from its gdb `g` block (None if it is too short).
    pub fn from_g(arch: Arch, g: &[u8]) -> Option<Registers> {
        let le64 = |regnum: usize| -> Option<u64> {
            let bytes = g.get(regnum * 8..regnum * 8 + 8)?;
            Some(u64::from_le_bytes(bytes.try_into().ok()?))
        };
        match arch {
            Arch::X86_64 => {
                // gdb's order (rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rip)
                // against DWARF's (rax rdx rcx rbx rsi rdi rbp rsp r8..r15).
                const DWARF_OF_GDB: [u16; 16] =
                    [0, 3, 2, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
                let mut regs = Registers::new(arch, le64(x86_64::RIP)?, le64(x86_64::RSP)?);
                for (gdb, dwarf) in DWARF_OF_GDB.iter().enumerate() {
                    regs.set(*dwarf, le64(gdb)?);
                }
                Some(regs)
            }
            Arch::Aarch64 => {
                let mut regs = Registers::new(arch, le64(aarch64::PC)?, le64(aarch64::SP)?);
                for reg in 0..=30u16 {
                    regs.set(reg, le64(usize::from(reg))?);
                }
                Some(regs)
            }
            Arch::Mips(m) => {
                let mut regs = Registers::new(arch, m.reg_value(g, mips::PC)?, 0);
                for reg in 0..32u16 {
                    regs.set(reg, m.reg_value(g, usize::from(reg))?);
                }
                Some(regs)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g_of(words: &[(usize, u64)], size: usize) -> Vec<u8> {
        let mut g = vec![0u8; size];
        for &(regnum, value) in words {
            g[regnum * 8..regnum * 8 + 8].copy_from_slice(&value.to_le_bytes());
        }
        g
    }

    #[test]
    fn x86_64_from_g_renumbers() {
        let g = g_of(
            &[
                (0, 0xa),
                (1, 0xb),
                (3, 0xd),
                (6, 0x60),
                (7, 0x70),
                (16, 0x1000),
            ],
            17 * 8,
        );
        let regs = Registers::from_g(Arch::X86_64, &g).unwrap();
        assert_eq!(regs.pc, 0x1000);
        assert_eq!(regs.sp(), Some(0x70));
        assert_eq!(regs.fp(), Some(0x60));
        assert_eq!(regs.get(0), Some(0xa)); // rax
        assert_eq!(regs.get(3), Some(0xb)); // rbx is DWARF 3
        assert_eq!(regs.get(1), Some(0xd)); // rdx is DWARF 1
        assert!(Registers::from_g(Arch::X86_64, &g[..100]).is_none());
    }

    #[test]
    fn aarch64_from_g() {
        let g = g_of(
            &[(29, 0x290), (30, 0x300), (31, 0x310), (32, 0x4000)],
            34 * 8,
        );
        let regs = Registers::from_g(Arch::Aarch64, &g).unwrap();
        assert_eq!(regs.pc, 0x4000);
        assert_eq!(regs.sp(), Some(0x310));
        assert_eq!(regs.fp(), Some(0x290));
        assert_eq!(regs.get(30), Some(0x300));
    }

    #[test]
    fn mips_from_g_both_endians() {
        for m in [mips::MIPS, mips::MIPSEL, mips::MIPS64, mips::MIPS64EL] {
            let mut g = vec![0u8; m.g_size()];
            assert!(m.set_reg_value(&mut g, mips::PC, 0x40_0100));
            assert!(m.set_reg_value(&mut g, mips::SP, 0x7fff_0000));
            assert!(m.set_reg_value(&mut g, mips::RA, 0x40_0200));
            let regs = Registers::from_g(Arch::Mips(m), &g).unwrap();
            assert_eq!(regs.pc, 0x40_0100, "{m:?}");
            assert_eq!(regs.sp(), Some(0x7fff_0000), "{m:?}");
            assert_eq!(regs.get(31), Some(0x40_0200), "{m:?}");
        }
    }

    #[test]
    fn words_in_target_order() {
        let bytes = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(Arch::X86_64.word_from(&bytes), Some(0x0807_0605_0403_0201));
        assert_eq!(Arch::Mips(mips::MIPS).word_from(&bytes), Some(0x0102_0304));
        assert_eq!(
            Arch::Mips(mips::MIPSEL).word_from(&bytes),
            Some(0x0403_0201)
        );
        assert_eq!(
            Arch::Mips(mips::MIPS64).word_from(&bytes),
            Some(0x0102_0304_0506_0708)
        );
        assert_eq!(Arch::X86_64.word_from(&bytes[..4]), None);
    }
}
