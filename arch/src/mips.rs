//! MIPS Linux as gdb sees it through GNU gdbserver: 73 registers (r0-r31,
//! status, lo, hi, badvaddr, cause, pc, f0-f31, fcsr, fir and the Linux
//! `restart` register), each 4 bytes for o32 (mips/mipsel, gdb's
//! mips-linux.xml) or 8 bytes for n64 (mips64/mips64el, mips64-linux.xml),
//! all in the target's byte order. Also the conversion between that register
//! file and what PTRACE_GETREGS / PTRACE_GETFPREGS return, and the `break`
//! instruction gdb uses.
//!
//! The kernel's sets, as arch/mips/kernel/ptrace.c writes them:
//!
//! * PTRACE_GETREGS: 38 64-bit words in native order, 32-bit values sign
//!   extended even on 32-bit kernels: regs[0..32], lo, hi, cp0_epc,
//!   cp0_badvaddr, cp0_status, cp0_cause. Word 0 is `regs[0]`, which the
//!   kernel uses for syscall restarting; GNU gdbserver maps it to gdb's
//!   `restart` register (r0 itself always reads as zero). PTRACE_SETREGS
//!   ignores badvaddr, status and cause.
//! * PTRACE_GETFPREGS: 33 64-bit words: the 32 FPRs as 64-bit values, then
//!   fcr31 (fcsr) as a u32 at byte 256 and the FIR at byte 260. For o32 with
//!   32-bit FP registers (Status.FR = 0) the odd single register is the upper
//!   half of the even register's 64-bit slot; this follows gdb and GNU
//!   gdbserver (`mips_store_fpregset`), which read o32 FP registers that way
//!   whatever the FR mode.

use crate::layout::{RegisterInfo, RegisterLayout};

pub const ZERO: usize = 0;
/// v0: syscall number on entry, result on return.
pub const V0: usize = 2;
pub const SP: usize = 29;
pub const FP: usize = 30;
pub const RA: usize = 31;
/// CP0 Status, named `status` in gdb's target description (`sr` in gdb).
pub const STATUS: usize = 32;
pub const LO: usize = 33;
pub const HI: usize = 34;
pub const BADVADDR: usize = 35;
pub const CAUSE: usize = 36;
pub const PC: usize = 37;
pub const F0: usize = 38;
pub const FCSR: usize = 70;
pub const FIR: usize = 71;
/// Linux's syscall-restart flag (the kernel's `regs[0]` slot).
pub const RESTART: usize = 72;
pub const NUM_REGS: usize = 73;

/// Registers GNU gdbserver sends in every stop reply (`expedite:r29,pc`).
pub const EXPEDITED_REGS: &[usize] = &[SP, PC];
/// `break 5`, the word gdb and GNU gdbserver both insert (in target order).
pub const BREAKPOINT_WORD: u32 = 0x0005_000d;
/// A `break` traps with EPC at the instruction itself.
pub const PC_ADJUST_AFTER_BREAKPOINT: u64 = 0;

pub const PTRACE_GETREGS: u32 = 12;
pub const PTRACE_SETREGS: u32 = 13;
pub const PTRACE_GETFPREGS: u32 = 14;
pub const PTRACE_SETFPREGS: u32 = 15;
/// The thread pointer set by set_thread_area (what `rdhwr $29` reads), as
/// an unsigned long.
pub const PTRACE_GET_THREAD_AREA: u32 = 25;
/// glibc's TLS_TCB_OFFSET: the thread pointer lies this far past the end
/// of the thread control block, so 16-bit offsets reach more of the TLS.
pub const TLS_TCB_OFFSET: u64 = 0x7000;

/// PTRACE_GETREGS buffer: 38 64-bit words.
pub const GREGS_SIZE: usize = 38 * 8;
/// PTRACE_GETFPREGS buffer: 33 64-bit words.
pub const FPREGS_SIZE: usize = 33 * 8;

/// Word indices in the PTRACE_GETREGS buffer.
pub mod gregs {
    /// regs[0]: syscall restart information, gdb's `restart`.
    pub const RESTART: usize = 0;
    pub const LO: usize = 32;
    pub const HI: usize = 33;
    pub const EPC: usize = 34;
    pub const BADVADDR: usize = 35;
    pub const STATUS: usize = 36;
    pub const CAUSE: usize = 37;
}

/// Byte offsets in the PTRACE_GETFPREGS buffer.
pub const FPREGS_FCSR_OFFSET: usize = 256;
pub const FPREGS_FIR_OFFSET: usize = 260;

/// Status register FR bit: 64-bit FP registers when set.
pub const STATUS_FR: u64 = 1 << 26;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

/// One MIPS Linux flavour: byte order and register width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mips {
    pub endian: Endian,
    /// 64-bit registers (n64, mips64-linux.xml); else 32-bit (o32).
    pub wide: bool,
}

/// mips (o32, big-endian).
pub const MIPS: Mips = Mips {
    endian: Endian::Big,
    wide: false,
};
/// mipsel (o32, little-endian).
pub const MIPSEL: Mips = Mips {
    endian: Endian::Little,
    wide: false,
};
/// mips64 (n64, big-endian).
pub const MIPS64: Mips = Mips {
    endian: Endian::Big,
    wide: true,
};
/// mips64el (n64, little-endian).
pub const MIPS64EL: Mips = Mips {
    endian: Endian::Little,
    wide: true,
};

const NAMES: [&str; NUM_REGS] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22", "r23", "r24", "r25", "r26", "r27",
    "r28", "r29", "r30", "r31", "status", "lo", "hi", "badvaddr", "cause", "pc", "f0", "f1", "f2",
    "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", "f16",
    "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27", "f28", "f29",
    "f30", "f31", "fcsr", "fir", "restart",
];

const fn build_regs(size: usize) -> [RegisterInfo; NUM_REGS] {
    let mut regs = [RegisterInfo {
        name: "",
        regnum: 0,
        size: 0,
        offset: 0,
    }; NUM_REGS];
    let mut i = 0;
    while i < NUM_REGS {
        regs[i] = RegisterInfo {
            name: NAMES[i],
            regnum: i,
            size,
            offset: i * size,
        };
        i += 1;
    }
    regs
}

static REGS_32: [RegisterInfo; NUM_REGS] = build_regs(4);
static REGS_64: [RegisterInfo; NUM_REGS] = build_regs(8);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegsError {
    /// A buffer (`g` payload or kernel register set) has the wrong size.
    BadLength { what: &'static str, len: usize },
}

impl std::fmt::Display for RegsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegsError::BadLength { what, len } => {
                write!(f, "{what} of {len} bytes fits no MIPS layout")
            }
        }
    }
}

impl std::error::Error for RegsError {}

fn need(what: &'static str, buf: &[u8], len: usize) -> Result<(), RegsError> {
    if buf.len() < len {
        Err(RegsError::BadLength {
            what,
            len: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// gdb register number -> PTRACE_GETREGS word, for everything but r0 and
/// the FP registers.
fn greg_word(regnum: usize) -> Option<usize> {
    match regnum {
        1..=31 => Some(regnum),
        STATUS => Some(gregs::STATUS),
        LO => Some(gregs::LO),
        HI => Some(gregs::HI),
        BADVADDR => Some(gregs::BADVADDR),
        CAUSE => Some(gregs::CAUSE),
        PC => Some(gregs::EPC),
        RESTART => Some(gregs::RESTART),
        _ => None,
    }
}

impl Endian {
    pub fn read_u32(self, bytes: &[u8]) -> u32 {
        let b: [u8; 4] = bytes[..4].try_into().unwrap_or([0; 4]);
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    pub fn read_u64(self, bytes: &[u8]) -> u64 {
        let b: [u8; 8] = bytes[..8].try_into().unwrap_or([0; 8]);
        match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        }
    }

    pub fn u32_bytes(self, value: u32) -> [u8; 4] {
        match self {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        }
    }

    pub fn u64_bytes(self, value: u64) -> [u8; 8] {
        match self {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        }
    }
}

impl Mips {
    /// Bytes per register: 4 (o32) or 8 (n64).
    pub const fn reg_size(&self) -> usize {
        if self.wide {
            8
        } else {
            4
        }
    }

    pub const fn layout(&self) -> RegisterLayout {
        RegisterLayout {
            regs: if self.wide { &REGS_64 } else { &REGS_32 },
        }
    }

    /// Size of the `g` payload: 292 (o32) or 584 (n64) bytes.
    pub fn g_size(&self) -> usize {
        NUM_REGS * self.reg_size()
    }

    /// The `break 5` instruction in target byte order.
    pub fn breakpoint_insn(&self) -> [u8; 4] {
        self.endian.u32_bytes(BREAKPOINT_WORD)
    }

    /// Whether `bytes` start with a `break` instruction of any code.
    pub fn is_break_insn(&self, bytes: &[u8]) -> bool {
        bytes.len() >= 4 && self.endian.read_u32(bytes) & 0xfc00_003f == 0x0000_000d
    }

    /// Register `regnum` of a `g` payload as a number; 32-bit registers are
    /// zero-extended.
    pub fn reg_value(&self, g: &[u8], regnum: usize) -> Option<u64> {
        let info = self.layout().by_regnum(regnum)?;
        let bytes = g.get(info.offset..info.offset + info.size)?;
        Some(if self.wide {
            self.endian.read_u64(bytes)
        } else {
            u64::from(self.endian.read_u32(bytes))
        })
    }

    /// Store `value` (truncated to 32 bits on o32) into register `regnum`
    /// of a `g` payload. False if the register or payload is too short.
    pub fn set_reg_value(&self, g: &mut [u8], regnum: usize, value: u64) -> bool {
        let Some(info) = self.layout().by_regnum(regnum) else {
            return false;
        };
        let Some(slot) = g.get_mut(info.offset..info.offset + info.size) else {
            return false;
        };
        if self.wide {
            slot.copy_from_slice(&self.endian.u64_bytes(value));
        } else {
            slot.copy_from_slice(&self.endian.u32_bytes(value as u32));
        }
        true
    }

    /// One kernel 64-bit word as gdb's register bytes (the low half on o32).
    fn word_to_reg(&self, word: &[u8]) -> Vec<u8> {
        let value = self.endian.read_u64(word);
        if self.wide {
            self.endian.u64_bytes(value).to_vec()
        } else {
            self.endian.u32_bytes(value as u32).to_vec()
        }
    }

    /// gdb's register bytes as a kernel 64-bit word (sign-extended on o32,
    /// as the kernel itself stores 32-bit values).
    fn reg_to_word(&self, reg: &[u8]) -> [u8; 8] {
        let value = if self.wide {
            self.endian.read_u64(reg)
        } else {
            self.endian.read_u32(reg) as i32 as i64 as u64
        };
        self.endian.u64_bytes(value)
    }

    fn check_g(&self, g: &[u8]) -> Result<(), RegsError> {
        need("g packet", g, self.g_size())
    }

    /// Fill the general registers of `g` (r0-r31, status, lo, hi, badvaddr,
    /// cause, pc, restart) from a PTRACE_GETREGS buffer.
    pub fn gregs_to_gdb(&self, gregs: &[u8], g: &mut [u8]) -> Result<(), RegsError> {
        need("PTRACE_GETREGS data", gregs, GREGS_SIZE)?;
        self.check_g(g)?;
        let size = self.reg_size();
        g[..size].fill(0); // r0
        for regnum in 0..NUM_REGS {
            if let Some(word) = greg_word(regnum) {
                let value = self.word_to_reg(&gregs[word * 8..word * 8 + 8]);
                g[regnum * size..(regnum + 1) * size].copy_from_slice(&value);
            }
        }
        Ok(())
    }

    /// Write the general registers of `g` into a PTRACE_SETREGS buffer.
    /// Word 0 receives `restart`; badvaddr, status and cause are written too
    /// but the kernel ignores them.
    pub fn gdb_to_gregs(&self, g: &[u8], gregs: &mut [u8]) -> Result<(), RegsError> {
        self.check_g(g)?;
        need("PTRACE_SETREGS data", gregs, GREGS_SIZE)?;
        let size = self.reg_size();
        for regnum in 0..NUM_REGS {
            if let Some(word) = greg_word(regnum) {
                let value = self.reg_to_word(&g[regnum * size..(regnum + 1) * size]);
                gregs[word * 8..word * 8 + 8].copy_from_slice(&value);
            }
        }
        Ok(())
    }

    /// Where FP register `i`'s bytes live in the PTRACE_GETFPREGS buffer.
    fn fpr_slot(&self, i: usize) -> std::ops::Range<usize> {
        if self.wide {
            i * 8..i * 8 + 8
        } else {
            // o32, FR=0: even/odd singles share the even register's doubleword;
            // the even one is its low half.
            let odd = i & 1 == 1;
            let big = self.endian == Endian::Big;
            let at = (i & !1) * 8 + if big != odd { 4 } else { 0 };
            at..at + 4
        }
    }

    /// Fill f0-f31, fcsr and fir of `g` from a PTRACE_GETFPREGS buffer.
    pub fn fpregs_to_gdb(&self, fpregs: &[u8], g: &mut [u8]) -> Result<(), RegsError> {
        need("PTRACE_GETFPREGS data", fpregs, FPREGS_SIZE)?;
        self.check_g(g)?;
        let size = self.reg_size();
        for i in 0..32 {
            let at = (F0 + i) * size;
            g[at..at + size].copy_from_slice(&fpregs[self.fpr_slot(i)]);
        }
        for (regnum, offset) in [(FCSR, FPREGS_FCSR_OFFSET), (FIR, FPREGS_FIR_OFFSET)] {
            let value = self.endian.read_u32(&fpregs[offset..offset + 4]);
            let at = regnum * size;
            if self.wide {
                let extended = value as i32 as i64 as u64;
                g[at..at + 8].copy_from_slice(&self.endian.u64_bytes(extended));
            } else {
                g[at..at + 4].copy_from_slice(&self.endian.u32_bytes(value));
            }
        }
        Ok(())
    }

    /// Write f0-f31, fcsr and fir of `g` into a PTRACE_SETFPREGS buffer
    /// (the kernel ignores fir).
    pub fn gdb_to_fpregs(&self, g: &[u8], fpregs: &mut [u8]) -> Result<(), RegsError> {
        self.check_g(g)?;
        need("PTRACE_SETFPREGS data", fpregs, FPREGS_SIZE)?;
        let size = self.reg_size();
        for i in 0..32 {
            let at = (F0 + i) * size;
            fpregs[self.fpr_slot(i)].copy_from_slice(&g[at..at + size]);
        }
        for (regnum, offset) in [(FCSR, FPREGS_FCSR_OFFSET), (FIR, FPREGS_FIR_OFFSET)] {
            let at = regnum * size;
            let value = if self.wide {
                self.endian.read_u64(&g[at..at + 8]) as u32
            } else {
                self.endian.read_u32(&g[at..at + 4])
            };
            fpregs[offset..offset + 4].copy_from_slice(&self.endian.u32_bytes(value));
        }
        Ok(())
    }

    /// The whole `g` payload. Without FP data the FP registers read as zero.
    pub fn regs_to_gdb(&self, gregs: &[u8], fpregs: Option<&[u8]>) -> Result<Vec<u8>, RegsError> {
        let mut g = vec![0u8; self.g_size()];
        self.gregs_to_gdb(gregs, &mut g)?;
        if let Some(fpregs) = fpregs {
            self.fpregs_to_gdb(fpregs, &mut g)?;
        }
        Ok(g)
    }

    /// Apply a whole `g` payload (exactly `g_size()` bytes) to the kernel sets.
    pub fn gdb_to_regs(
        &self,
        g: &[u8],
        gregs: &mut [u8],
        fpregs: Option<&mut [u8]>,
    ) -> Result<(), RegsError> {
        if g.len() != self.g_size() {
            return Err(RegsError::BadLength {
                what: "g packet",
                len: g.len(),
            });
        }
        self.gdb_to_gregs(g, gregs)?;
        if let Some(fpregs) = fpregs {
            self.gdb_to_fpregs(g, fpregs)?;
        }
        Ok(())
    }

    fn push_reg(&self, xml: &mut String, regnum: usize, ty: &str, group: Option<&str>) {
        xml.push_str(&format!(
            "    <reg name=\"{}\" bitsize=\"{}\" type=\"{ty}\" regnum=\"{regnum}\"",
            NAMES[regnum],
            self.reg_size() * 8
        ));
        if let Some(group) = group {
            xml.push_str(&format!(" group=\"{group}\""));
        }
        xml.push_str("/>\n");
    }

    /// The complete target description, in one annex: gdb's mips-linux.xml
    /// (o32) or mips64-linux.xml (n64) with its includes expanded. Byte order
    /// is not part of it; gdb takes that from the executable.
    pub fn target_xml(&self) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n  <architecture>mips</architecture>\n  <osabi>GNU/Linux</osabi>\n",
        );
        xml.push_str("  <feature name=\"org.gnu.gdb.mips.cpu\">\n");
        for regnum in (0..32).chain([LO, HI, PC]) {
            self.push_reg(&mut xml, regnum, "int", None);
        }
        xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.mips.cp0\">\n");
        for regnum in [STATUS, BADVADDR, CAUSE] {
            self.push_reg(&mut xml, regnum, "int", None);
        }
        xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.mips.fpu\">\n");
        let float = if self.wide {
            "ieee_double"
        } else {
            "ieee_single"
        };
        for regnum in F0..F0 + 32 {
            self.push_reg(&mut xml, regnum, float, None);
        }
        self.push_reg(&mut xml, FCSR, "int", Some("float"));
        self.push_reg(&mut xml, FIR, "int", Some("float"));
        xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.mips.linux\">\n");
        self.push_reg(&mut xml, RESTART, "int", Some("system"));
        xml.push_str("  </feature>\n</target>\n");
        xml
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Mips; 4] = [MIPS, MIPSEL, MIPS64, MIPS64EL];

    #[test]
    fn layout_matches_gdb() {
        for m in ALL {
            let l = m.layout();
            assert_eq!(l.regs.len(), 73);
            assert_eq!(l.by_name("status").unwrap().regnum, 32);
            assert_eq!(l.by_name("pc").unwrap().regnum, 37);
            assert_eq!(l.by_name("f0").unwrap().regnum, 38);
            assert_eq!(l.by_name("fcsr").unwrap().regnum, 70);
            assert_eq!(l.by_name("restart").unwrap().regnum, 72);
            assert_eq!(l.by_regnum(PC).unwrap().offset, 37 * m.reg_size());
            assert_eq!(l.g_size(), m.g_size());
        }
        assert_eq!(MIPSEL.g_size(), 292);
        assert_eq!(MIPS64EL.g_size(), 584);
    }

    #[test]
    fn target_xml_numbers_every_register_once() {
        for m in ALL {
            let xml = m.target_xml();
            let mut seen = [false; NUM_REGS];
            for line in xml.lines().filter(|l| l.trim_start().starts_with("<reg ")) {
                let regnum: usize = line
                    .split("regnum=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .and_then(|s| s.parse().ok())
                    .unwrap();
                assert!(!seen[regnum], "{line}");
                seen[regnum] = true;
                assert!(
                    line.contains(&format!("name=\"{}\"", NAMES[regnum])),
                    "{line}"
                );
                assert!(line.contains(&format!("bitsize=\"{}\"", m.reg_size() * 8)));
            }
            assert!(seen.iter().all(|&s| s));
            assert!(xml.contains("<architecture>mips</architecture>"));
            assert!(xml.contains("org.gnu.gdb.mips.linux"));
        }
    }

    /// PTRACE_GETREGS as recorded from a big-endian o32 process stopped at a
    /// breakpoint: 64-bit words, sign-extended.
    fn recorded_be_o32_gregs() -> Vec<u8> {
        let mut words = [0u64; 38];
        words[0] = 0; // restart
        words[2] = 0x0000_0000_0000_0fa1; // v0
        words[4] = 0xffff_ffff_ffff_fffe; // a0 = -2
        words[29] = 0x0000_0000_7fff_6e20; // sp
        words[31] = 0x0000_0000_0040_0658; // ra
        words[gregs::LO] = 0x1234;
        words[gregs::HI] = 0xffff_ffff_8000_0000;
        words[gregs::EPC] = 0x0000_0000_0040_0710;
        words[gregs::BADVADDR] = 0x0000_0000_0041_1000;
        words[gregs::STATUS] = 0x0000_0000_0100_ff13;
        words[gregs::CAUSE] = 0x0000_0000_0080_0024;
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    #[test]
    fn big_endian_o32_general_registers() {
        let gregs = recorded_be_o32_gregs();
        let g = MIPS.regs_to_gdb(&gregs, None).unwrap();
        assert_eq!(g.len(), 292);
        assert_eq!(&g[0..4], &[0, 0, 0, 0]);
        assert_eq!(&g[2 * 4..3 * 4], &[0x00, 0x00, 0x0f, 0xa1]);
        assert_eq!(&g[4 * 4..5 * 4], &[0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(&g[29 * 4..30 * 4], &[0x7f, 0xff, 0x6e, 0x20]);
        assert_eq!(&g[PC * 4..PC * 4 + 4], &[0x00, 0x40, 0x07, 0x10]);
        assert_eq!(&g[STATUS * 4..STATUS * 4 + 4], &[0x01, 0x00, 0xff, 0x13]);
        assert_eq!(&g[HI * 4..HI * 4 + 4], &[0x80, 0x00, 0x00, 0x00]);
        assert_eq!(MIPS.reg_value(&g, PC), Some(0x0040_0710));
        assert_eq!(MIPS.reg_value(&g, CAUSE), Some(0x0080_0024));
        // And back: 32-bit values are sign extended into the kernel words.
        let mut out = vec![0u8; GREGS_SIZE];
        MIPS.gdb_to_regs(&g, &mut out, None).unwrap();
        assert_eq!(out, gregs);
    }

    #[test]
    fn little_endian_n64_general_registers() {
        let mut words = [0u64; 38];
        for (i, w) in words.iter_mut().enumerate() {
            *w = 0x0102_0304_0506_0700 + i as u64;
        }
        words[gregs::RESTART] = 4001;
        let gregs: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut g = MIPS64EL.regs_to_gdb(&gregs, None).unwrap();
        assert_eq!(g.len(), 584);
        assert_eq!(&g[0..8], &[0; 8]);
        assert_eq!(MIPS64EL.reg_value(&g, 5), Some(words[5]));
        assert_eq!(MIPS64EL.reg_value(&g, PC), Some(words[gregs::EPC]));
        assert_eq!(MIPS64EL.reg_value(&g, LO), Some(words[gregs::LO]));
        assert_eq!(MIPS64EL.reg_value(&g, RESTART), Some(4001));
        assert!(MIPS64EL.set_reg_value(&mut g, PC, 0x1_2000_0bc0));
        assert!(MIPS64EL.set_reg_value(&mut g, RESTART, 0));
        let mut out = gregs.clone();
        MIPS64EL.gdb_to_gregs(&g, &mut out).unwrap();
        assert_eq!(
            &out[gregs::EPC * 8..gregs::EPC * 8 + 8],
            &0x1_2000_0bc0u64.to_le_bytes()
        );
        assert_eq!(&out[0..8], &[0; 8]);
        assert_eq!(&out[8..gregs::EPC * 8], &gregs[8..gregs::EPC * 8]);
    }

    fn fp_buffer(endian: Endian) -> Vec<u8> {
        let mut fp = vec![0u8; FPREGS_SIZE];
        for i in 0..32u64 {
            // High half 0xAAAA_00ii, low half 0x5555_00ii.
            let value = (0xaaaa_0000 + i) << 32 | (0x5555_0000 + i);
            fp[i as usize * 8..i as usize * 8 + 8].copy_from_slice(&endian.u64_bytes(value));
        }
        fp[256..260].copy_from_slice(&endian.u32_bytes(0x8100_0004)); // fcsr
        fp[260..264].copy_from_slice(&endian.u32_bytes(0x00f3_0000)); // fir
        fp
    }

    #[test]
    fn o32_single_registers_pair_up_in_both_byte_orders() {
        for m in [MIPS, MIPSEL] {
            let fp = fp_buffer(m.endian);
            let mut g = vec![0u8; m.g_size()];
            m.fpregs_to_gdb(&fp, &mut g).unwrap();
            // f0 = low half of slot 0, f1 = high half of slot 0, f2 = low of slot 2.
            assert_eq!(m.reg_value(&g, F0), Some(0x5555_0000));
            assert_eq!(m.reg_value(&g, F0 + 1), Some(0xaaaa_0000));
            assert_eq!(m.reg_value(&g, F0 + 2), Some(0x5555_0002));
            assert_eq!(m.reg_value(&g, F0 + 31), Some(0xaaaa_001e));
            assert_eq!(m.reg_value(&g, FCSR), Some(0x8100_0004));
            assert_eq!(m.reg_value(&g, FIR), Some(0x00f3_0000));
            // Back: the odd slots, which o32 does not use, keep their bytes.
            let mut out = fp.clone();
            for i in (0..32).step_by(2) {
                out[i * 8..i * 8 + 8].fill(0);
            }
            out[256..264].fill(0);
            m.gdb_to_fpregs(&g, &mut out).unwrap();
            assert_eq!(out, fp);
        }
        // Big-endian bytes as recorded: f0 is bytes 4..8 of slot 0.
        let fp = fp_buffer(Endian::Big);
        let mut g = vec![0u8; MIPS.g_size()];
        MIPS.fpregs_to_gdb(&fp, &mut g).unwrap();
        assert_eq!(&g[F0 * 4..F0 * 4 + 4], &fp[4..8]);
        assert_eq!(&g[(F0 + 1) * 4..(F0 + 1) * 4 + 4], &fp[0..4]);
    }

    #[test]
    fn n64_double_registers_and_sign_extended_fcsr() {
        for m in [MIPS64, MIPS64EL] {
            let fp = fp_buffer(m.endian);
            let mut g = vec![0u8; m.g_size()];
            m.fpregs_to_gdb(&fp, &mut g).unwrap();
            assert_eq!(m.reg_value(&g, F0 + 3), Some(0xaaaa_0003_5555_0003));
            assert_eq!(&g[(F0 + 7) * 8..(F0 + 8) * 8], &fp[56..64]);
            assert_eq!(m.reg_value(&g, FCSR), Some(0xffff_ffff_8100_0004));
            assert_eq!(m.reg_value(&g, FIR), Some(0x00f3_0000));
            let mut out = vec![0u8; FPREGS_SIZE];
            m.gdb_to_fpregs(&g, &mut out).unwrap();
            assert_eq!(out, fp);
        }
    }

    #[test]
    fn breakpoint_instruction() {
        assert_eq!(MIPS.breakpoint_insn(), [0x00, 0x05, 0x00, 0x0d]);
        assert_eq!(MIPSEL.breakpoint_insn(), [0x0d, 0x00, 0x05, 0x00]);
        assert!(MIPSEL.is_break_insn(&[0x0d, 0, 0, 0]));
        assert!(MIPS.is_break_insn(&MIPS.breakpoint_insn()));
        // syscall (0x0000000c) is not a break.
        assert!(!MIPS.is_break_insn(&[0, 0, 0, 0x0c]));
        assert!(!MIPS.is_break_insn(&MIPSEL.breakpoint_insn()));
        assert_eq!(PC_ADJUST_AFTER_BREAKPOINT, 0);
        assert_eq!(EXPEDITED_REGS, &[29, 37]);
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let mut gregs = vec![0u8; GREGS_SIZE];
        assert_eq!(
            MIPSEL.gdb_to_regs(&[0; 584], &mut gregs, None),
            Err(RegsError::BadLength {
                what: "g packet",
                len: 584
            })
        );
        assert!(MIPS64EL.gdb_to_regs(&[0; 584], &mut gregs, None).is_ok());
        assert!(MIPSEL.regs_to_gdb(&[0; 100], None).is_err());
        assert!(MIPSEL.regs_to_gdb(&gregs, Some(&[0; 10])).is_err());
    }
}
