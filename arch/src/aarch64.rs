//! arm64 (AArch64) Linux as gdb sees it through GNU gdbserver: `x0`-`x30`,
//! `sp`, `pc`, a 32-bit `cpsr`, the 128-bit `v0`-`v31` with `fpsr` and `fpcr`,
//! then optionally the pointer-authentication masks and `tpidr`. Also the
//! target description naming those features, the conversion between that
//! register file and the kernel's register sets (NT_PRSTATUS, NT_FPREGSET,
//! NT_ARM_PAC_MASK, NT_ARM_TLS) and the `brk #0` breakpoint. The hardware
//! breakpoint/watchpoint regsets, a separate kernel interface with its own
//! encodings, are in `hw_debug` (re-exported here).
//!
//! Everything is little-endian: arm64 Linux runs little-endian user space
//! only in practice, and gdb's aarch64 target is the little-endian one.

mod hw_debug;

pub use hw_debug::{
    break_ctrl, hw_debug_arch, hw_slots, split_watch_range, watch_ctrl, HwDebugState, WatchKind,
    WatchWindow, HWDEBUG_HEADER_SIZE, HWDEBUG_SLOT_SIZE, HWDEBUG_STATE_SIZE, MAX_HW_SLOTS,
    TRAP_HWBKPT, WATCH_ALIGN,
};

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
/// the pauth feature is present, else `tpidr`.
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
}

impl Features {
    pub fn num_regs(&self) -> usize {
        NUM_BASE_REGS + if self.pauth { 2 } else { 0 } + usize::from(self.tls)
    }

    /// Register number of `tpidr`, when the tls feature is present.
    pub fn tpidr_regnum(&self) -> Option<usize> {
        self.tls
            .then_some(NUM_BASE_REGS + if self.pauth { 2 } else { 0 })
    }

    /// The register file for these features.
    pub fn layout(&self) -> RegisterLayout {
        let regs: &'static [RegisterInfo] = if self.pauth {
            &REGS_PAUTH
        } else {
            &REGS_NO_PAUTH
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
pub fn layout(pauth: bool, tls: bool) -> RegisterLayout {
    Features { pauth, tls }.layout()
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

const fn name_and_size(regnum: usize, pauth: bool) -> (&'static str, usize) {
    match regnum {
        0..=32 => (CORE_NAMES[regnum], 8),
        CPSR => ("cpsr", 4),
        34..=65 => (V_NAMES[regnum - V0], 16),
        FPSR => ("fpsr", 4),
        FPCR => ("fpcr", 4),
        PAUTH_DMASK if pauth => ("pauth_dmask", 8),
        PAUTH_CMASK if pauth => ("pauth_cmask", 8),
        _ => ("tpidr", 8),
    }
}

const fn build_regs<const N: usize>(pauth: bool) -> [RegisterInfo; N] {
    let mut regs = [RegisterInfo {
        name: "",
        regnum: 0,
        size: 0,
        offset: 0,
    }; N];
    let mut i = 0;
    let mut offset = 0;
    while i < N {
        let (name, size) = name_and_size(i, pauth);
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

/// Core, FP/SIMD, pauth and tls: 71 registers.
static REGS_PAUTH: [RegisterInfo; NUM_BASE_REGS + 3] = build_regs(true);
/// Core, FP/SIMD and tls: 69 registers.
static REGS_NO_PAUTH: [RegisterInfo; NUM_BASE_REGS + 1] = build_regs(false);

/// The largest register file (pauth and tls). Registers of a smaller file
/// have the same number, offset and size here (tpidr without pauth sits
/// where pauth_dmask does: number 68, offset 788, 8 bytes), so lookups by
/// register number can use this whatever the features.
pub const FULL_LAYOUT: RegisterLayout = RegisterLayout { regs: &REGS_PAUTH };

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

/// gdb's tpidr from NT_ARM_TLS (tpidr, and tpidr2 on SME kernels, ignored).
pub fn tls_to_gdb(tls: &[u8]) -> Result<Vec<u8>, RegsError> {
    need("NT_ARM_TLS", tls, USER_TLS_SIZE)?;
    Ok(tls[..USER_TLS_SIZE].to_vec())
}

/// Write tpidr from the `g` payload of a target with `features` into
/// NT_ARM_TLS; a tpidr2 word after it keeps its value.
pub fn gdb_to_tls(features: Features, g: &[u8], tls: &mut [u8]) -> Result<(), RegsError> {
    let Some(regnum) = features.tpidr_regnum() else {
        return Ok(());
    };
    let info = features.layout().regs[regnum];
    need("g packet", g, info.offset + info.size)?;
    need("NT_ARM_TLS", tls, USER_TLS_SIZE)?;
    tls[..8].copy_from_slice(&g[info.offset..info.offset + 8]);
    Ok(())
}

/// The whole `g` payload for `features`. `pac` and `tls` are needed when the
/// matching feature is on; a missing set reads as zeros.
pub fn regs_to_gdb(
    features: Features,
    gprs: &[u8],
    fpsimd: &[u8],
    pac: Option<&[u8]>,
    tls: Option<&[u8]>,
) -> Result<Vec<u8>, RegsError> {
    let mut g = gprs_to_gdb(gprs)?;
    g.extend_from_slice(&fpsimd_to_gdb(fpsimd)?);
    if features.pauth {
        match pac {
            Some(pac) => g.extend_from_slice(&pac_mask_to_gdb(pac)?),
            None => g.extend_from_slice(&[0; USER_PAC_MASK_SIZE]),
        }
    }
    if features.tls {
        match tls {
            Some(tls) => g.extend_from_slice(&tls_to_gdb(tls)?),
            None => g.extend_from_slice(&[0; USER_TLS_SIZE]),
        }
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
    tls: Option<&mut [u8]>,
) -> Result<(), RegsError> {
    if g.len() != features.g_size() {
        return Err(RegsError::BadLength {
            what: "g packet",
            len: g.len(),
        });
    }
    gdb_to_gprs(g, gprs)?;
    gdb_to_fpsimd(g, fpsimd)?;
    if let Some(tls) = tls {
        gdb_to_tls(features, g, tls)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Target description.

const CPSR_FIELDS: &[(&str, u32, u32)] = &[
    ("SP", 0, 0),
    ("EL", 2, 3),
    ("nRW", 4, 4),
    ("F", 6, 6),
    ("I", 7, 7),
    ("A", 8, 8),
    ("D", 9, 9),
    ("BTYPE", 10, 11),
    ("SSBS", 12, 12),
    ("IL", 20, 20),
    ("SS", 21, 21),
    ("PAN", 22, 22),
    ("UAO", 23, 23),
    ("DIT", 24, 24),
    ("TCO", 25, 25),
    ("V", 28, 28),
    ("C", 29, 29),
    ("Z", 30, 30),
    ("N", 31, 31),
];

const FPSR_FIELDS: &[(&str, u32, u32)] = &[
    ("IOC", 0, 0),
    ("DZC", 1, 1),
    ("OFC", 2, 2),
    ("UFC", 3, 3),
    ("IXC", 4, 4),
    ("IDC", 7, 7),
    ("QC", 27, 27),
    ("V", 28, 28),
    ("C", 29, 29),
    ("Z", 30, 30),
    ("N", 31, 31),
];

const FPCR_FIELDS: &[(&str, u32, u32)] = &[
    ("IOE", 8, 8),
    ("DZE", 9, 9),
    ("OFE", 10, 10),
    ("UFE", 11, 11),
    ("IXE", 12, 12),
    ("IDE", 15, 15),
    ("Len", 16, 18),
    ("FZ16", 19, 19),
    ("Stride", 20, 21),
    ("RMode", 22, 23),
    ("FZ", 24, 24),
    ("DN", 25, 25),
    ("AHP", 26, 26),
];

/// Vector element types of the `aarch64v` union, as gdb's aarch64-fpu.xml.
const VECTORS: &[(&str, &str, u32)] = &[
    ("v2d", "ieee_double", 2),
    ("v2u", "uint64", 2),
    ("v2i", "int64", 2),
    ("v4f", "ieee_single", 4),
    ("v4u", "uint32", 4),
    ("v4i", "int32", 4),
    ("v8f", "ieee_half", 8),
    ("v8u", "uint16", 8),
    ("v8i", "int16", 8),
    ("v8bf16", "bfloat16", 8),
    ("v16u", "uint8", 16),
    ("v16i", "int8", 16),
    ("v1u", "uint128", 1),
    ("v1i", "int128", 1),
];

/// (union id, [(field, type)]) in gdb's order; `aarch64v` last.
const UNIONS: &[(&str, &[(&str, &str)])] = &[
    ("vnd", &[("f", "v2d"), ("u", "v2u"), ("s", "v2i")]),
    ("vns", &[("f", "v4f"), ("u", "v4u"), ("s", "v4i")]),
    (
        "vnh",
        &[("bf", "v8bf16"), ("f", "v8f"), ("u", "v8u"), ("s", "v8i")],
    ),
    ("vnb", &[("u", "v16u"), ("s", "v16i")]),
    ("vnq", &[("u", "v1u"), ("s", "v1i")]),
    (
        "aarch64v",
        &[
            ("d", "vnd"),
            ("s", "vns"),
            ("h", "vnh"),
            ("b", "vnb"),
            ("q", "vnq"),
        ],
    ),
];

fn flags_type(xml: &mut String, id: &str, fields: &[(&str, u32, u32)]) {
    xml.push_str(&format!("    <flags id=\"{id}\" size=\"4\">\n"));
    for (name, start, end) in fields {
        xml.push_str(&format!(
            "      <field name=\"{name}\" start=\"{start}\" end=\"{end}\"/>\n"
        ));
    }
    xml.push_str("    </flags>\n");
}

fn reg_type(regnum: usize) -> &'static str {
    match regnum {
        SP => "data_ptr",
        PC => "code_ptr",
        CPSR => "cpsr_flags",
        34..=65 => "aarch64v",
        FPSR => "fpsr_flags",
        FPCR => "fpcr_flags",
        _ => "int",
    }
}

fn push_regs(xml: &mut String, layout: &RegisterLayout, range: std::ops::Range<usize>, ty: &str) {
    for info in &layout.regs[range] {
        let ty = if ty.is_empty() {
            reg_type(info.regnum)
        } else {
            ty
        };
        xml.push_str(&format!(
            "    <reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\"/>\n",
            info.name,
            info.size * 8,
            ty,
            info.regnum
        ));
    }
}

/// The complete target description, in one annex.
pub fn target_xml(pauth: bool, tls: bool) -> String {
    let features = Features { pauth, tls };
    let layout = features.layout();
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n  <architecture>aarch64</architecture>\n  <osabi>GNU/Linux</osabi>\n",
    );
    xml.push_str("  <feature name=\"org.gnu.gdb.aarch64.core\">\n");
    flags_type(&mut xml, "cpsr_flags", CPSR_FIELDS);
    push_regs(&mut xml, &layout, 0..V0, "");
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.aarch64.fpu\">\n");
    for (id, ty, count) in VECTORS {
        xml.push_str(&format!(
            "    <vector id=\"{id}\" type=\"{ty}\" count=\"{count}\"/>\n"
        ));
    }
    for (id, fields) in UNIONS {
        xml.push_str(&format!("    <union id=\"{id}\">\n"));
        for (name, ty) in fields.iter() {
            xml.push_str(&format!("      <field name=\"{name}\" type=\"{ty}\"/>\n"));
        }
        xml.push_str("    </union>\n");
    }
    flags_type(&mut xml, "fpsr_flags", FPSR_FIELDS);
    flags_type(&mut xml, "fpcr_flags", FPCR_FIELDS);
    push_regs(&mut xml, &layout, V0..NUM_BASE_REGS, "");
    xml.push_str("  </feature>\n");
    if pauth {
        xml.push_str("  <feature name=\"org.gnu.gdb.aarch64.pauth\">\n");
        push_regs(&mut xml, &layout, PAUTH_DMASK..PAUTH_CMASK + 1, "int");
        xml.push_str("  </feature>\n");
    }
    if let Some(tpidr) = features.tpidr_regnum() {
        xml.push_str("  <feature name=\"org.gnu.gdb.aarch64.tls\">\n");
        push_regs(&mut xml, &layout, tpidr..tpidr + 1, "data_ptr");
        xml.push_str("  </feature>\n");
    }
    xml.push_str("</target>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Features; 4] = [
        Features {
            pauth: false,
            tls: false,
        },
        Features {
            pauth: true,
            tls: false,
        },
        Features {
            pauth: false,
            tls: true,
        },
        Features {
            pauth: true,
            tls: true,
        },
    ];

    #[test]
    fn layout_matches_gdb() {
        let full = layout(true, true);
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
        let tls_only = layout(false, true);
        assert_eq!(tls_only.by_name("tpidr").unwrap().regnum, 68);
        assert_eq!(tls_only.by_name("tpidr").unwrap().offset, 788);
        assert!(tls_only.by_name("pauth_cmask").is_none());
        assert_eq!(layout(false, false).g_size(), 788);
        assert_eq!(layout(true, false).g_size(), 804);
        for f in ALL {
            assert_eq!(f.layout().regs.len(), f.num_regs());
            for r in f.layout().regs {
                let full = FULL_LAYOUT.by_regnum(r.regnum).unwrap();
                assert_eq!((full.offset, full.size), (r.offset, r.size));
            }
        }
    }

    #[test]
    fn target_xml_numbers_every_register_once() {
        for f in ALL {
            let xml = target_xml(f.pauth, f.tls);
            let layout = f.layout();
            let regs: Vec<&str> = xml
                .lines()
                .filter(|l| l.trim_start().starts_with("<reg "))
                .collect();
            assert_eq!(regs.len(), layout.regs.len());
            for (line, info) in regs.iter().zip(layout.regs) {
                assert!(line.contains(&format!("regnum=\"{}\"", info.regnum)));
                assert!(line.contains(&format!("name=\"{}\"", info.name)));
                assert!(line.contains(&format!("bitsize=\"{}\"", info.size * 8)));
            }
            assert_eq!(xml.contains("org.gnu.gdb.aarch64.pauth"), f.pauth);
            assert_eq!(xml.contains("org.gnu.gdb.aarch64.tls"), f.tls);
            assert_eq!(
                xml.matches("<feature").count(),
                xml.matches("</feature>").count()
            );
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
        let full = layout(false, false);
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
        for f in ALL {
            let g = regs_to_gdb(f, &gprs, &fp, Some(&pac), Some(&tls)).unwrap();
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
            let mut gprs2 = gprs.clone();
            gprs2[..33 * 8].fill(0);
            let mut fp2 = fp.clone();
            fp2[..520].fill(0);
            let mut tls2 = vec![0u8; 16];
            tls2[8] = 7;
            gdb_to_regs(f, &g, &mut gprs2, &mut fp2, Some(&mut tls2)).unwrap();
            assert_eq!(gprs2, gprs);
            assert_eq!(fp2, fp);
            if f.tls {
                assert_eq!(tls2, tls);
            }
        }
    }

    #[test]
    fn wrong_sizes_are_errors() {
        assert!(gprs_to_gdb(&[0; 100]).is_err());
        assert!(fpsimd_to_gdb(&[0; 500]).is_err());
        let f = Features {
            pauth: false,
            tls: false,
        };
        let mut gprs = vec![0; USER_PT_REGS_SIZE];
        let mut fp = vec![0; USER_FPSIMD_STATE_SIZE];
        assert_eq!(
            gdb_to_regs(f, &[0; 100], &mut gprs, &mut fp, None),
            Err(RegsError::BadLength {
                what: "g packet",
                len: 100
            })
        );
        assert!(gdb_to_regs(f, &[0; 788], &mut gprs, &mut fp, None).is_ok());
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
