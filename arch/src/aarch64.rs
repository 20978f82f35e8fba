//! arm64 (AArch64) Linux as gdb sees it through GNU gdbserver: `x0`-`x30`,
//! `sp`, `pc`, a 32-bit `cpsr`, the 128-bit `v0`-`v31` with `fpsr` and `fpcr`,
//! then optionally the pointer-authentication masks, the memory-tagging
//! `tag_ctl` and `tpidr` (in that order, as gdb's aarch64 descriptions
//! number them). Also the conversion between that register file and the
//! kernel's register sets (NT_PRSTATUS, NT_FPREGSET, NT_ARM_PAC_MASK,
//! NT_ARM_TAGGED_ADDR_CTRL, NT_ARM_TLS), the MTE facts (granule, HWCAP2
//! bit, the tag ptrace requests) and the `brk #0` breakpoint. The target
//! description is in `tdesc`; the hardware breakpoint/watchpoint regsets, a
//! separate kernel interface with its own encodings, are in `hw_debug`
//! (both re-exported here).
//!
//! Everything is little-endian: arm64 Linux runs little-endian user space
//! only in practice, and gdb's aarch64 target is the little-endian one.

mod hw_debug;
mod tdesc;

pub use hw_debug::{
    break_ctrl, hw_debug_arch, hw_slots, split_watch_range, watch_ctrl, HwDebugState, WatchKind,
    WatchWindow, HWDEBUG_HEADER_SIZE, HWDEBUG_SLOT_SIZE, HWDEBUG_STATE_SIZE, MAX_HW_SLOTS,
    TRAP_HWBKPT, WATCH_ALIGN,
};
pub use tdesc::target_xml;

use crate::layout::{RegisterInfo, RegisterLayout};

pub const X0: usize = 0;
/// The frame pointer, x29.
pub const FP: usize = 29;
/// The link register, x30.
pub const LR: usize = 30;
pub const SP: usize = 31;
pub const PC: usize = 32;
pub const CPSR: usize = 33;
pub const V0: usize = 34;
pub const FPSR: usize = 66;
pub const FPCR: usize = 67;
/// First register after the fixed core and FP/SIMD set: `pauth_dmask` when
/// the pauth feature is present, else `tag_ctl` with mte, else `tpidr`.
pub const NUM_BASE_REGS: usize = 68;
pub const PAUTH_DMASK: usize = 68;
pub const PAUTH_CMASK: usize = 69;

/// Registers GNU gdbserver sends in every stop reply.
pub const EXPEDITED_REGS: &[usize] = &[FP, SP, PC];
/// `brk #0` (0xd4200000), as GNU gdbserver and gdb's aarch64 target use it.
pub const BREAKPOINT_INSN: &[u8] = &[0x00, 0x00, 0x20, 0xd4];
/// After `brk` traps, the kernel reports the PC of the `brk` itself.
pub const PC_ADJUST_AFTER_BREAKPOINT: u64 = 0;

/// Register set note types for PTRACE_GETREGSET / PTRACE_SETREGSET.
pub const NT_PRSTATUS: u32 = 1;
pub const NT_FPREGSET: u32 = 2;
pub const NT_ARM_TLS: u32 = 0x401;
pub const NT_ARM_HW_BREAK: u32 = 0x402;
pub const NT_ARM_HW_WATCH: u32 = 0x403;
/// The syscall number (an `int`) of a thread stopped at syscall entry;
/// writing it changes or (with -1) skips the syscall.
pub const NT_ARM_SYSTEM_CALL: u32 = 0x404;
pub const NT_ARM_PAC_MASK: u32 = 0x406;
/// The thread's PR_SET_TAGGED_ADDR_CTRL word (u64): gdb's `tag_ctl`.
pub const NT_ARM_TAGGED_ADDR_CTRL: u32 = 0x409;
/// NT_ARM_TAGGED_ADDR_CTRL's size.
pub const USER_TAG_CTL_SIZE: usize = 8;

/// AT_HWCAP2 bit of the Memory Tagging Extension (HWCAP2_MTE).
pub const HWCAP2_MTE: u64 = 1 << 18;
/// One allocation tag covers a 16-byte granule.
pub const MTE_GRANULE_SIZE: u64 = 16;
/// ptrace requests reading and writing allocation tags, one byte (the
/// 4-bit tag) per granule through an iovec.
pub const PTRACE_PEEKMTETAGS: u32 = 33;
pub const PTRACE_POKEMTETAGS: u32 = 34;
/// The si_code of a synchronous tag-check fault's SIGSEGV.
pub const SEGV_MTESERR: i32 = 9;

/// An address without its top byte, which Linux user space ignores (TBI)
/// and MTE keeps the logical tag in (gdb's `aarch64_remove_top_bits`).
pub const fn untagged(addr: u64) -> u64 {
    addr & !(0xff << 56)
}

/// The granules a range of `len` bytes from `addr` touches: the first
/// granule's address and how many (none for an empty range), as gdb's
/// `aarch64_mte_get_tag_granules` counts them.
pub fn tag_granules(addr: u64, len: u64) -> (u64, u64) {
    let start = addr & !(MTE_GRANULE_SIZE - 1);
    if len == 0 {
        return (start, 0);
    }
    let last = addr.saturating_add(len - 1) & !(MTE_GRANULE_SIZE - 1);
    (start, 1 + (last - start) / MTE_GRANULE_SIZE)
}

/// The syscall number travels in x8; the result comes back in x0.
pub const SYSCALL_NR_REG: usize = 8;

/// `struct user_pt_regs`: regs[31], sp, pc, pstate, all u64.
pub const USER_PT_REGS_SIZE: usize = 34 * 8;
/// `struct user_fpsimd_state`: vregs[32] (u128), fpsr, fpcr, __reserved[2] (u32).
pub const USER_FPSIMD_STATE_SIZE: usize = 32 * 16 + 4 * 4;
const FPSIMD_FPSR_OFFSET: usize = 512;
const FPSIMD_FPCR_OFFSET: usize = 516;
/// NT_ARM_PAC_MASK: data_mask, insn_mask (u64 each).
pub const USER_PAC_MASK_SIZE: usize = 16;
/// NT_ARM_TLS: tpidr (u64); kernels with SME append tpidr2 (u64).
pub const USER_TLS_SIZE: usize = 8;

/// Which optional features the target description names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Features {
    /// org.gnu.gdb.aarch64.pauth: `pauth_dmask`, `pauth_cmask`.
    pub pauth: bool,
    /// org.gnu.gdb.aarch64.tls: `tpidr`.
    pub tls: bool,
    /// org.gnu.gdb.aarch64.mte: `tag_ctl`.
    pub mte: bool,
}

impl Features {
    pub fn num_regs(&self) -> usize {
        self.after_mte() + usize::from(self.tls)
    }

    /// The first register number after pauth's.
    const fn after_pauth(&self) -> usize {
        NUM_BASE_REGS + if self.pauth { 2 } else { 0 }
    }

    const fn after_mte(&self) -> usize {
        self.after_pauth() + if self.mte { 1 } else { 0 }
    }

    /// Register number of `tag_ctl`, when the mte feature is present.
    pub fn tag_ctl_regnum(&self) -> Option<usize> {
        self.mte.then_some(self.after_pauth())
    }

    /// Register number of `tpidr`, when the tls feature is present.
    pub fn tpidr_regnum(&self) -> Option<usize> {
        self.tls.then_some(self.after_mte())
    }

    /// The register file for these features.
    pub fn layout(&self) -> RegisterLayout {
        let regs: &'static [RegisterInfo] = match (self.pauth, self.mte) {
            (true, true) => &REGS_PAUTH_MTE,
            (true, false) => &REGS_PAUTH,
            (false, true) => &REGS_MTE,
            (false, false) => &REGS_NO_PAUTH,
        };
        RegisterLayout {
            regs: &regs[..self.num_regs()],
        }
    }

    /// Size of the `g` payload in bytes.
    pub fn g_size(&self) -> usize {
        self.layout().g_size()
    }
}

/// The register file for the given optional features.
pub fn layout(features: Features) -> RegisterLayout {
    features.layout()
}

const CORE_NAMES: [&str; 34] = [
    "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
    "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27",
    "x28", "x29", "x30", "sp", "pc", "cpsr",
];

const V_NAMES: [&str; 32] = [
    "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14",
    "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",
    "v28", "v29", "v30", "v31",
];

const fn name_and_size(regnum: usize, f: Features) -> (&'static str, usize) {
    match regnum {
        0..=32 => (CORE_NAMES[regnum], 8),
        CPSR => ("cpsr", 4),
        34..=65 => (V_NAMES[regnum - V0], 16),
        FPSR => ("fpsr", 4),
        FPCR => ("fpcr", 4),
        PAUTH_DMASK if f.pauth => ("pauth_dmask", 8),
        PAUTH_CMASK if f.pauth => ("pauth_cmask", 8),
        _ if f.mte && regnum == f.after_pauth() => ("tag_ctl", 8),
        _ => ("tpidr", 8),
    }
}

const fn build_regs<const N: usize>(pauth: bool, mte: bool) -> [RegisterInfo; N] {
    let f = Features {
        pauth,
        tls: true,
        mte,
    };
    let mut regs = [RegisterInfo {
        name: "",
        regnum: 0,
        size: 0,
        offset: 0,
    }; N];
    let mut i = 0;
    let mut offset = 0;
    while i < N {
        let (name, size) = name_and_size(i, f);
        regs[i] = RegisterInfo {
            name,
            regnum: i,
            size,
            offset,
        };
        offset += size;
        i += 1;
    }
    regs
}

/// Core, FP/SIMD, pauth, mte and tls: 72 registers.
static REGS_PAUTH_MTE: [RegisterInfo; NUM_BASE_REGS + 4] = build_regs(true, true);
/// Core, FP/SIMD, pauth and tls: 71 registers.
static REGS_PAUTH: [RegisterInfo; NUM_BASE_REGS + 3] = build_regs(true, false);
/// Core, FP/SIMD, mte and tls: 70 registers.
static REGS_MTE: [RegisterInfo; NUM_BASE_REGS + 2] = build_regs(false, true);
/// Core, FP/SIMD and tls: 69 registers.
static REGS_NO_PAUTH: [RegisterInfo; NUM_BASE_REGS + 1] = build_regs(false, false);

/// The largest register file (pauth, mte and tls). Registers of a smaller
/// file have the same number, offset and size here, since every optional
/// register is 8 bytes (tpidr without pauth or mte sits where pauth_dmask
/// does: number 68, offset 788), so lookups by register number can use
/// this whatever the features.
pub const FULL_LAYOUT: RegisterLayout = RegisterLayout {
    regs: &REGS_PAUTH_MTE,
};

/// Byte offset in `g` where the FP/SIMD registers start (after cpsr).
const V0_OFFSET: usize = 33 * 8 + 4;
/// Byte offset in `g` just after fpcr.
const FPU_END: usize = V0_OFFSET + 32 * 16 + 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegsError {
    /// A buffer (`g` payload or kernel register set) has the wrong size.
    BadLength { what: &'static str, len: usize },
}

impl std::fmt::Display for RegsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegsError::BadLength { what, len } => {
                write!(f, "{what} of {len} bytes fits no aarch64 layout")
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

/// gdb's x0..cpsr bytes (the first 268 of `g`) from NT_PRSTATUS
/// (`struct user_pt_regs`). gdb's cpsr is the low half of pstate.
pub fn gprs_to_gdb(gprs: &[u8]) -> Result<Vec<u8>, RegsError> {
    need("NT_PRSTATUS", gprs, USER_PT_REGS_SIZE)?;
    let mut g = Vec::with_capacity(V0_OFFSET);
    g.extend_from_slice(&gprs[..33 * 8]);
    g.extend_from_slice(&gprs[33 * 8..33 * 8 + 4]);
    Ok(g)
}

/// Write x0..cpsr from the `g` payload `g` into NT_PRSTATUS. The upper half
/// of pstate, which gdb does not see, keeps its value.
pub fn gdb_to_gprs(g: &[u8], gprs: &mut [u8]) -> Result<(), RegsError> {
    need("g packet", g, V0_OFFSET)?;
    need("NT_PRSTATUS", gprs, USER_PT_REGS_SIZE)?;
    gprs[..33 * 8].copy_from_slice(&g[..33 * 8]);
    gprs[33 * 8..33 * 8 + 4].copy_from_slice(&g[33 * 8..V0_OFFSET]);
    Ok(())
}

/// gdb's v0..v31, fpsr, fpcr bytes (520 of them, following cpsr in `g`)
/// from NT_FPREGSET (`struct user_fpsimd_state`).
pub fn fpsimd_to_gdb(fpsimd: &[u8]) -> Result<Vec<u8>, RegsError> {
    need("NT_FPREGSET", fpsimd, FPSIMD_FPCR_OFFSET + 4)?;
    Ok(fpsimd[..FPSIMD_FPCR_OFFSET + 4].to_vec())
}

/// Write v0..v31, fpsr and fpcr from the `g` payload into NT_FPREGSET; the
/// reserved words keep their value.
pub fn gdb_to_fpsimd(g: &[u8], fpsimd: &mut [u8]) -> Result<(), RegsError> {
    need("g packet", g, FPU_END)?;
    need("NT_FPREGSET", fpsimd, FPSIMD_FPCR_OFFSET + 4)?;
    fpsimd[..FPSIMD_FPSR_OFFSET + 8].copy_from_slice(&g[V0_OFFSET..FPU_END]);
    Ok(())
}

/// gdb's pauth_dmask, pauth_cmask from NT_ARM_PAC_MASK (data_mask,
/// insn_mask). The kernel offers no way to write them.
pub fn pac_mask_to_gdb(pac: &[u8]) -> Result<Vec<u8>, RegsError> {
    need("NT_ARM_PAC_MASK", pac, USER_PAC_MASK_SIZE)?;
    Ok(pac[..USER_PAC_MASK_SIZE].to_vec())
}

/// Write one optional 8-byte register (`regnum`, when the feature has it)
/// from the `g` payload into its kernel set `set`.
fn gdb_to_optional(
    features: Features,
    regnum: Option<usize>,
    what: &'static str,
    g: &[u8],
    set: &mut [u8],
) -> Result<(), RegsError> {
    let Some(regnum) = regnum else {
        return Ok(());
    };
    let info = features.layout().regs[regnum];
    need("g packet", g, info.offset + info.size)?;
    need(what, set, 8)?;
    set[..8].copy_from_slice(&g[info.offset..info.offset + 8]);
    Ok(())
}

/// gdb's tpidr from NT_ARM_TLS (tpidr, and tpidr2 on SME kernels, ignored).
pub fn tls_to_gdb(tls: &[u8]) -> Result<Vec<u8>, RegsError> {
    need("NT_ARM_TLS", tls, USER_TLS_SIZE)?;
    Ok(tls[..USER_TLS_SIZE].to_vec())
}

/// Write tpidr from the `g` payload of a target with `features` into
/// NT_ARM_TLS; a tpidr2 word after it keeps its value.
pub fn gdb_to_tls(features: Features, g: &[u8], tls: &mut [u8]) -> Result<(), RegsError> {
    gdb_to_optional(features, features.tpidr_regnum(), "NT_ARM_TLS", g, tls)
}

/// Write tag_ctl from the `g` payload into NT_ARM_TAGGED_ADDR_CTRL.
pub fn gdb_to_tag_ctl(features: Features, g: &[u8], ctl: &mut [u8]) -> Result<(), RegsError> {
    gdb_to_optional(
        features,
        features.tag_ctl_regnum(),
        "NT_ARM_TAGGED_ADDR_CTRL",
        g,
        ctl,
    )
}

/// The kernel sets behind the optional registers, as read from a thread
/// (None: not read; it then reads as zeros).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalSets<'a> {
    pub pac: Option<&'a [u8]>,
    pub tag_ctl: Option<&'a [u8]>,
    pub tls: Option<&'a [u8]>,
}

/// The writable optional sets, to be updated from a `g` payload.
#[derive(Debug, Default)]
pub struct WritableSets<'a> {
    pub tag_ctl: Option<&'a mut [u8]>,
    pub tls: Option<&'a mut [u8]>,
}

fn optional_to_gdb(
    g: &mut Vec<u8>,
    on: bool,
    what: &'static str,
    set: Option<&[u8]>,
    size: usize,
) -> Result<(), RegsError> {
    if on {
        match set {
            Some(set) => {
                need(what, set, size)?;
                g.extend_from_slice(&set[..size]);
            }
            None => g.extend(std::iter::repeat_n(0, size)),
        }
    }
    Ok(())
}

/// The whole `g` payload for `features`. The optional sets are needed when
/// the matching feature is on; a missing set reads as zeros.
pub fn regs_to_gdb(
    features: Features,
    gprs: &[u8],
    fpsimd: &[u8],
    sets: OptionalSets<'_>,
) -> Result<Vec<u8>, RegsError> {
    let mut g = gprs_to_gdb(gprs)?;
    g.extend_from_slice(&fpsimd_to_gdb(fpsimd)?);
    let pac = (
        features.pauth,
        "NT_ARM_PAC_MASK",
        sets.pac,
        USER_PAC_MASK_SIZE,
    );
    let ctl = (
        features.mte,
        "NT_ARM_TAGGED_ADDR_CTRL",
        sets.tag_ctl,
        USER_TAG_CTL_SIZE,
    );
    let tls = (features.tls, "NT_ARM_TLS", sets.tls, USER_TLS_SIZE);
    for (on, what, set, size) in [pac, ctl, tls] {
        optional_to_gdb(&mut g, on, what, set, size)?;
    }
    Ok(g)
}

/// Apply a whole `g` payload (which must be exactly `features.g_size()`
/// bytes) to the writable kernel sets. The pauth masks are read-only.
pub fn gdb_to_regs(
    features: Features,
    g: &[u8],
    gprs: &mut [u8],
    fpsimd: &mut [u8],
    sets: WritableSets<'_>,
) -> Result<(), RegsError> {
    if g.len() != features.g_size() {
        return Err(RegsError::BadLength {
            what: "g packet",
            len: g.len(),
        });
    }
    gdb_to_gprs(g, gprs)?;
    gdb_to_fpsimd(g, fpsimd)?;
    if let Some(ctl) = sets.tag_ctl {
        gdb_to_tag_ctl(features, g, ctl)?;
    }
    if let Some(tls) = sets.tls {
        gdb_to_tls(features, g, tls)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination of the optional features.
    pub(super) fn all() -> Vec<Features> {
        (0..8)
            .map(|bits| Features {
                pauth: bits & 1 != 0,
                tls: bits & 2 != 0,
                mte: bits & 4 != 0,
            })
            .collect()
    }

    const fn f(pauth: bool, tls: bool, mte: bool) -> Features {
        Features { pauth, tls, mte }
    }

    #[test]
    fn layout_matches_gdb() {
        let full = layout(f(true, true, false));
        assert_eq!(full.regs.len(), 71);
        assert_eq!(full.by_name("x29").unwrap().regnum, FP);
        assert_eq!(full.by_name("sp").unwrap().offset, 248);
        assert_eq!(full.by_name("pc").unwrap().offset, 256);
        let cpsr = full.by_name("cpsr").unwrap();
        assert_eq!((cpsr.regnum, cpsr.offset, cpsr.size), (33, 264, 4));
        let v0 = full.by_name("v0").unwrap();
        assert_eq!((v0.regnum, v0.offset, v0.size), (34, 268, 16));
        let fpsr = full.by_name("fpsr").unwrap();
        assert_eq!((fpsr.regnum, fpsr.offset), (66, 780));
        assert_eq!(full.by_name("fpcr").unwrap().offset, 784);
        assert_eq!(full.by_name("pauth_dmask").unwrap().offset, 788);
        assert_eq!(full.by_name("tpidr").unwrap().regnum, 70);
        assert_eq!(full.g_size(), 812);
        let tls_only = layout(f(false, true, false));
        assert_eq!(tls_only.by_name("tpidr").unwrap().regnum, 68);
        assert_eq!(tls_only.by_name("tpidr").unwrap().offset, 788);
        assert!(tls_only.by_name("pauth_cmask").is_none());
        assert_eq!(layout(f(false, false, false)).g_size(), 788);
        assert_eq!(layout(f(true, false, false)).g_size(), 804);
        // gdb puts mte's tag_ctl after pauth and before tls.
        let mte = layout(f(true, true, true));
        assert_eq!(mte.by_name("tag_ctl").unwrap().regnum, 70);
        assert_eq!(mte.by_name("tag_ctl").unwrap().offset, 804);
        assert_eq!(mte.by_name("tpidr").unwrap().regnum, 71);
        assert_eq!(mte.g_size(), 820);
        let mte_tls = layout(f(false, true, true));
        assert_eq!(mte_tls.by_name("tag_ctl").unwrap().regnum, 68);
        assert_eq!(mte_tls.by_name("tpidr").unwrap().regnum, 69);
        assert_eq!(f(false, false, true).tag_ctl_regnum(), Some(68));
        assert_eq!(f(true, true, false).tag_ctl_regnum(), None);
        for f in all() {
            assert_eq!(f.layout().regs.len(), f.num_regs());
            for r in f.layout().regs {
                let full = FULL_LAYOUT.by_regnum(r.regnum).unwrap();
                assert_eq!((full.offset, full.size), (r.offset, r.size));
            }
        }
    }

    fn sample_gprs() -> Vec<u8> {
        let mut gprs = Vec::new();
        for i in 0..31u64 {
            gprs.extend_from_slice(&(0x1111_0000_0000_0000 + i).to_le_bytes());
        }
        gprs.extend_from_slice(&0x0000_ffff_ffff_e000u64.to_le_bytes()); // sp
        gprs.extend_from_slice(&0x0000_aaaa_0000_1234u64.to_le_bytes()); // pc
        gprs.extend_from_slice(&0x0000_0001_6000_0000u64.to_le_bytes()); // pstate
        gprs
    }

    #[test]
    fn general_registers_in_gdb_order() {
        let gprs = sample_gprs();
        let g = gprs_to_gdb(&gprs).unwrap();
        assert_eq!(g.len(), 268);
        let full = layout(f(false, false, false));
        let x5 = full.by_regnum(5).unwrap();
        assert_eq!(&g[x5.offset..x5.offset + 8], &gprs[40..48]);
        assert_eq!(&g[256..264], &0x0000_aaaa_0000_1234u64.to_le_bytes());
        // cpsr is the low half of pstate.
        assert_eq!(&g[264..268], &0x6000_0000u32.to_le_bytes());
    }

    #[test]
    fn writing_cpsr_keeps_the_upper_half_of_pstate() {
        let gprs = sample_gprs();
        let mut g = gprs_to_gdb(&gprs).unwrap();
        g[264..268].copy_from_slice(&0x2000_0000u32.to_le_bytes());
        g[0..8].copy_from_slice(&42u64.to_le_bytes());
        let mut out = gprs.clone();
        gdb_to_gprs(&g, &mut out).unwrap();
        assert_eq!(&out[0..8], &42u64.to_le_bytes());
        assert_eq!(&out[8..264], &gprs[8..264]);
        assert_eq!(&out[264..272], &0x0000_0001_2000_0000u64.to_le_bytes());
    }

    fn sample_fpsimd() -> Vec<u8> {
        let mut fp: Vec<u8> = (0..USER_FPSIMD_STATE_SIZE)
            .map(|i| (i * 13 + 1) as u8)
            .collect();
        fp[512..516].copy_from_slice(&0x0800_0011u32.to_le_bytes()); // fpsr
        fp[516..520].copy_from_slice(&0x0300_0000u32.to_le_bytes()); // fpcr
        fp
    }

    #[test]
    fn fpsimd_fpsr_before_fpcr() {
        let fp = sample_fpsimd();
        let part = fpsimd_to_gdb(&fp).unwrap();
        assert_eq!(part.len(), 520);
        assert_eq!(&part[16 * 31..16 * 32], &fp[496..512]);
        assert_eq!(&part[512..516], &0x0800_0011u32.to_le_bytes());
        assert_eq!(&part[516..520], &0x0300_0000u32.to_le_bytes());
    }

    #[test]
    fn round_trip_through_gdb_layout() {
        let gprs = sample_gprs();
        let fp = sample_fpsimd();
        let pac: Vec<u8> = [0x007f_0000_0000_0000u64, 0x00ff_0000_0000_0000u64]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let tls: Vec<u8> = [0xffff_8000_1234_5670u64, 7]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        // PR_TAGGED_ADDR_ENABLE | PR_MTE_TCF_SYNC | tags 1-15 allowed.
        let ctl = 0x7fff3u64.to_le_bytes();
        for f in all() {
            let sets = OptionalSets {
                pac: Some(&pac),
                tag_ctl: Some(&ctl),
                tls: Some(&tls),
            };
            let g = regs_to_gdb(f, &gprs, &fp, sets).unwrap();
            assert_eq!(g.len(), f.g_size());
            let l = f.layout();
            if f.pauth {
                let r = l.by_name("pauth_cmask").unwrap();
                assert_eq!(&g[r.offset..r.offset + 8], &pac[8..16]);
            }
            if f.tls {
                let r = l.by_name("tpidr").unwrap();
                assert_eq!(&g[r.offset..r.offset + 8], &tls[..8]);
            }
            if f.mte {
                let r = l.by_name("tag_ctl").unwrap();
                assert_eq!(&g[r.offset..r.offset + 8], &ctl);
            }
            let mut gprs2 = gprs.clone();
            gprs2[..33 * 8].fill(0);
            let mut fp2 = fp.clone();
            fp2[..520].fill(0);
            let mut tls2 = vec![0u8; 16];
            tls2[8] = 7;
            let mut ctl2 = [0u8; 8];
            let sets = WritableSets {
                tag_ctl: Some(&mut ctl2),
                tls: Some(&mut tls2),
            };
            gdb_to_regs(f, &g, &mut gprs2, &mut fp2, sets).unwrap();
            assert_eq!(gprs2, gprs);
            assert_eq!(fp2, fp);
            if f.tls {
                assert_eq!(tls2, tls);
            }
            assert_eq!(ctl2 == ctl, f.mte);
        }
    }

    #[test]
    fn wrong_sizes_are_errors() {
        assert!(gprs_to_gdb(&[0; 100]).is_err());
        assert!(fpsimd_to_gdb(&[0; 500]).is_err());
        let f = Features::default();
        let mut gprs = vec![0; USER_PT_REGS_SIZE];
        let mut fp = vec![0; USER_FPSIMD_STATE_SIZE];
        assert_eq!(
            gdb_to_regs(f, &[0; 100], &mut gprs, &mut fp, WritableSets::default()),
            Err(RegsError::BadLength {
                what: "g packet",
                len: 100
            })
        );
        assert!(gdb_to_regs(f, &[0; 788], &mut gprs, &mut fp, WritableSets::default()).is_ok());
    }

    #[test]
    fn granules_of_a_range() {
        assert_eq!(tag_granules(0x1000, 0), (0x1000, 0));
        assert_eq!(tag_granules(0x1000, 1), (0x1000, 1));
        assert_eq!(tag_granules(0x1000, 16), (0x1000, 1));
        assert_eq!(tag_granules(0x1000, 17), (0x1000, 2));
        // An unaligned start touches the granule it is in.
        assert_eq!(tag_granules(0x100f, 2), (0x1000, 2));
        assert_eq!(tag_granules(0x1008, 0x20), (0x1000, 3));
        assert_eq!(tag_granules(u64::MAX - 1, 16), (u64::MAX - 15, 1));
        assert_eq!(untagged(0x0a00_ffff_f7ff_c000), 0xffff_f7ff_c000);
        assert_eq!(untagged(0xffff_f7ff_c000), 0xffff_f7ff_c000);
    }

    #[test]
    fn breakpoint_is_brk_0() {
        assert_eq!(
            u32::from_le_bytes(BREAKPOINT_INSN.try_into().unwrap()),
            0xd420_0000
        );
        assert_eq!(PC_ADJUST_AFTER_BREAKPOINT, 0);
        assert_eq!(EXPEDITED_REGS, &[29, 31, 32]);
    }
}
