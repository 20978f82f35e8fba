//! x86_64 Linux as gdb sees it through GNU gdbserver: 76 registers (general,
//! segment, x87, SSE, `orig_rax`, `fs_base`/`gs_base`, AVX upper halves), the
//! target description naming the i386 core, sse, linux, segments and avx
//! features, and the conversion between that register file and the kernel's
//! `user_regs_struct` plus FXSAVE/XSAVE area.

use crate::layout::{RegisterInfo, RegisterLayout};

pub const RBP: usize = 6;
pub const RSP: usize = 7;
pub const RIP: usize = 16;
pub const EFLAGS: usize = 17;
pub const ST0: usize = 24;
pub const FCTRL: usize = 32;
pub const XMM0: usize = 40;
pub const MXCSR: usize = 56;
pub const ORIG_RAX: usize = 57;
pub const FS_BASE: usize = 58;
pub const GS_BASE: usize = 59;
pub const YMM0H: usize = 60;
/// Registers when the CPU or kernel offers no AVX state.
pub const NUM_REGS_NO_AVX: usize = 60;

pub const EXPEDITED_REGS: &[usize] = &[RBP, RSP, RIP];
pub const BREAKPOINT_INSN: &[u8] = &[0xcc];
/// int3 leaves the PC one byte past the breakpoint.
pub const PC_ADJUST_AFTER_BREAKPOINT: u64 = 1;

const NAMES: [&str; 76] = [
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "st0", "st1", "st2", "st3",
    "st4", "st5", "st6", "st7", "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff",
    "fop", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
    "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "mxcsr", "orig_rax", "fs_base", "gs_base",
    "ymm0h", "ymm1h", "ymm2h", "ymm3h", "ymm4h", "ymm5h", "ymm6h", "ymm7h", "ymm8h", "ymm9h",
    "ymm10h", "ymm11h", "ymm12h", "ymm13h", "ymm14h", "ymm15h",
];

const fn size_of_reg(regnum: usize) -> usize {
    match regnum {
        0..=16 => 8,
        17..=23 => 4,
        24..=31 => 10,
        32..=39 => 4,
        40..=55 => 16,
        56 => 4,
        57..=59 => 8,
        _ => 16,
    }
}

const fn build_regs() -> [RegisterInfo; 76] {
    let mut regs = [RegisterInfo {
        name: "",
        regnum: 0,
        size: 0,
        offset: 0,
    }; 76];
    let mut i = 0;
    let mut offset = 0;
    while i < 76 {
        regs[i] = RegisterInfo {
            name: NAMES[i],
            regnum: i,
            size: size_of_reg(i),
            offset,
        };
        offset += size_of_reg(i);
        i += 1;
    }
    regs
}

static REGS: [RegisterInfo; 76] = build_regs();
pub const LAYOUT: RegisterLayout = RegisterLayout { regs: &REGS };

/// `struct user_regs_struct`: 27 words in the kernel's order.
pub const USER_REGS_WORDS: usize = 27;
pub mod user_regs {
    pub const R15: usize = 0;
    pub const R14: usize = 1;
    pub const R13: usize = 2;
    pub const R12: usize = 3;
    pub const RBP: usize = 4;
    pub const RBX: usize = 5;
    pub const R11: usize = 6;
    pub const R10: usize = 7;
    pub const R9: usize = 8;
    pub const R8: usize = 9;
    pub const RAX: usize = 10;
    pub const RCX: usize = 11;
    pub const RDX: usize = 12;
    pub const RSI: usize = 13;
    pub const RDI: usize = 14;
    pub const ORIG_RAX: usize = 15;
    pub const RIP: usize = 16;
    pub const CS: usize = 17;
    pub const EFLAGS: usize = 18;
    pub const RSP: usize = 19;
    pub const SS: usize = 20;
    pub const FS_BASE: usize = 21;
    pub const GS_BASE: usize = 22;
    pub const DS: usize = 23;
    pub const ES: usize = 24;
    pub const FS: usize = 25;
    pub const GS: usize = 26;
}

/// gdb register number -> user_regs_struct word, for the registers kept there.
const USER_WORD_OF: [(usize, usize); 27] = {
    use user_regs::*;
    [
        (0, RAX),
        (1, RBX),
        (2, RCX),
        (3, RDX),
        (4, RSI),
        (5, RDI),
        (6, RBP),
        (7, RSP),
        (8, R8),
        (9, R9),
        (10, R10),
        (11, R11),
        (12, R12),
        (13, R13),
        (14, R14),
        (15, R15),
        (16, RIP),
        (17, EFLAGS),
        (18, CS),
        (19, SS),
        (20, DS),
        (21, ES),
        (22, FS),
        (23, GS),
        (57, ORIG_RAX),
        (58, FS_BASE),
        (59, GS_BASE),
    ]
};

pub const FXSAVE_SIZE: usize = 512;
pub const XSTATE_BV_OFFSET: usize = 512;
pub const XSAVE_YMM_HI128_OFFSET: usize = 576;
const XSAVE_AVX_END: usize = XSAVE_YMM_HI128_OFFSET + 16 * 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegsError {
    BadLength(usize),
}

impl std::fmt::Display for RegsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegsError::BadLength(n) => {
                write!(f, "register data of {n} bytes fits no x86_64 layout")
            }
        }
    }
}

impl std::error::Error for RegsError {}

fn g_size(num_regs: usize) -> usize {
    let last = &REGS[num_regs - 1];
    last.offset + last.size
}

/// The x87 tag of one 80-bit register: 0 valid, 1 zero, 2 special.
fn classify_x87(value: &[u8]) -> u16 {
    let exponent = u16::from_le_bytes([value[8], value[9]]) & 0x7fff;
    let mantissa = u64::from_le_bytes(value[..8].try_into().unwrap_or([0; 8]));
    let integer_bit = mantissa >> 63 != 0;
    match exponent {
        0x7fff => 2,
        0 if mantissa == 0 => 1,
        0 => 2,
        _ if integer_bit => 0,
        _ => 2,
    }
}

/// Full 16-bit tag word from FXSAVE's abridged one (bit per physical register).
pub fn full_tag_word(abridged: u8, fsw: u16, st: &[[u8; 10]; 8]) -> u16 {
    let top = ((fsw >> 11) & 7) as usize;
    let mut tag = 0u16;
    for physical in 0..8 {
        let bits = if abridged & (1 << physical) == 0 {
            3
        } else {
            // st(i) is physical register (top + i) mod 8.
            let st_index = (physical + 8 - top) % 8;
            classify_x87(&st[st_index])
        };
        tag |= bits << (2 * physical);
    }
    tag
}

/// Abridged tag byte: a register is in use unless its two tag bits are 11.
pub fn abridged_tag_word(full: u16) -> u8 {
    (0..8).fold(0u8, |acc, physical| {
        if (full >> (2 * physical)) & 3 != 3 {
            acc | (1 << physical)
        } else {
            acc
        }
    })
}

fn put(g: &mut [u8], regnum: usize, bytes: &[u8]) {
    let info = &REGS[regnum];
    let n = bytes.len().min(info.size);
    g[info.offset..info.offset + n].copy_from_slice(&bytes[..n]);
}

fn get(g: &[u8], regnum: usize) -> &[u8] {
    let info = &REGS[regnum];
    &g[info.offset..info.offset + info.size]
}

fn u32_at(bytes: &[u8], at: usize) -> [u8; 4] {
    bytes[at..at + 4].try_into().unwrap_or([0; 4])
}

/// Build gdb's `g` payload from the kernel's general registers and its
/// FXSAVE (512 bytes) or XSAVE area. AVX registers are included when the
/// area reaches past the YMM_Hi128 component.
pub fn regs_to_gdb(user: &[u64; USER_REGS_WORDS], fpu: &[u8]) -> Vec<u8> {
    let avx = fpu.len() >= XSAVE_AVX_END;
    let num_regs = if avx { REGS.len() } else { NUM_REGS_NO_AVX };
    let mut g = vec![0u8; g_size(num_regs)];
    for &(regnum, word) in &USER_WORD_OF {
        let value = user[word];
        put(&mut g, regnum, &value.to_le_bytes());
    }
    let xstate_bv = if fpu.len() >= XSTATE_BV_OFFSET + 8 {
        u64::from_le_bytes(
            fpu[XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8]
                .try_into()
                .unwrap_or([0; 8]),
        )
    } else {
        // A plain FXSAVE image is always live.
        0b11
    };
    let mut legacy = [0u8; FXSAVE_SIZE];
    let n = fpu.len().min(FXSAVE_SIZE);
    legacy[..n].copy_from_slice(&fpu[..n]);
    if xstate_bv & 1 == 0 {
        // x87 in its initial state: FCW 0x37f, everything else zero and empty.
        // Bytes 24..32 are MXCSR and its mask, which are not x87 state.
        legacy[..24].fill(0);
        legacy[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        legacy[32..160].fill(0);
    }
    if xstate_bv & 2 == 0 {
        legacy[160..416].fill(0);
    }
    // MXCSR belongs to both the SSE and the AVX components: with both in
    // their initial state the kernel may leave it 0 in the buffer, and a 0
    // written back would unmask every floating-point exception (gdb's
    // `call f(1.5)` then dies of SIGFPE). Its initial value is 0x1f80.
    if xstate_bv & 0b110 == 0 {
        legacy[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    }
    let mut st = [[0u8; 10]; 8];
    for (i, reg) in st.iter_mut().enumerate() {
        reg.copy_from_slice(&legacy[32 + 16 * i..32 + 16 * i + 10]);
        put(&mut g, ST0 + i, reg);
    }
    let fcw = u16::from_le_bytes([legacy[0], legacy[1]]);
    let fsw = u16::from_le_bytes([legacy[2], legacy[3]]);
    let ftag = full_tag_word(legacy[4], fsw, &st);
    let fop = u16::from_le_bytes([legacy[6], legacy[7]]) & 0x7ff;
    put(&mut g, FCTRL, &(fcw as u32).to_le_bytes());
    put(&mut g, FCTRL + 1, &(fsw as u32).to_le_bytes());
    put(&mut g, FCTRL + 2, &(ftag as u32).to_le_bytes());
    put(&mut g, FCTRL + 3, &u32_at(&legacy, 12)); // fiseg
    put(&mut g, FCTRL + 4, &u32_at(&legacy, 8)); // fioff
    put(&mut g, FCTRL + 5, &u32_at(&legacy, 20)); // foseg
    put(&mut g, FCTRL + 6, &u32_at(&legacy, 16)); // fooff
    put(&mut g, FCTRL + 7, &(fop as u32).to_le_bytes());
    for i in 0..16 {
        put(&mut g, XMM0 + i, &legacy[160 + 16 * i..176 + 16 * i]);
    }
    put(&mut g, MXCSR, &u32_at(&legacy, 24));
    if avx && xstate_bv & 4 != 0 {
        for i in 0..16 {
            let at = XSAVE_YMM_HI128_OFFSET + 16 * i;
            put(&mut g, YMM0H + i, &fpu[at..at + 16]);
        }
    }
    g
}

/// Apply gdb's `g` payload (with or without AVX) to the kernel's sets.
pub fn gdb_to_regs(
    g: &[u8],
    user: &mut [u64; USER_REGS_WORDS],
    fpu: &mut [u8],
) -> Result<(), RegsError> {
    let num_regs = if g.len() == g_size(REGS.len()) {
        REGS.len()
    } else if g.len() == g_size(NUM_REGS_NO_AVX) {
        NUM_REGS_NO_AVX
    } else {
        return Err(RegsError::BadLength(g.len()));
    };
    if fpu.len() < FXSAVE_SIZE {
        return Err(RegsError::BadLength(fpu.len()));
    }
    for &(regnum, word) in &USER_WORD_OF {
        let bytes = get(g, regnum);
        let mut value = [0u8; 8];
        value[..bytes.len()].copy_from_slice(bytes);
        user[word] = u64::from_le_bytes(value);
    }
    let word = |regnum: usize| u32::from_le_bytes(get(g, regnum).try_into().unwrap_or([0; 4]));
    fpu[0..2].copy_from_slice(&(word(FCTRL) as u16).to_le_bytes());
    fpu[2..4].copy_from_slice(&(word(FCTRL + 1) as u16).to_le_bytes());
    fpu[4] = abridged_tag_word(word(FCTRL + 2) as u16);
    fpu[12..16].copy_from_slice(get(g, FCTRL + 3));
    fpu[8..12].copy_from_slice(get(g, FCTRL + 4));
    fpu[20..24].copy_from_slice(get(g, FCTRL + 5));
    fpu[16..20].copy_from_slice(get(g, FCTRL + 6));
    fpu[6..8].copy_from_slice(&((word(FCTRL + 7) & 0x7ff) as u16).to_le_bytes());
    fpu[24..28].copy_from_slice(get(g, MXCSR));
    for i in 0..8 {
        fpu[32 + 16 * i..42 + 16 * i].copy_from_slice(get(g, ST0 + i));
    }
    for i in 0..16 {
        fpu[160 + 16 * i..176 + 16 * i].copy_from_slice(get(g, XMM0 + i));
    }
    let mut components = 0b11u8;
    if num_regs == REGS.len() && fpu.len() >= XSAVE_AVX_END {
        for i in 0..16 {
            let at = XSAVE_YMM_HI128_OFFSET + 16 * i;
            fpu[at..at + 16].copy_from_slice(get(g, YMM0H + i));
        }
        components |= 0b100;
    }
    if fpu.len() >= XSTATE_BV_OFFSET + 8 {
        fpu[XSTATE_BV_OFFSET] |= components;
    }
    Ok(())
}

const EFLAGS_FIELDS: &[(&str, u32)] = &[
    ("CF", 0),
    ("", 1),
    ("PF", 2),
    ("AF", 4),
    ("ZF", 6),
    ("SF", 7),
    ("TF", 8),
    ("IF", 9),
    ("DF", 10),
    ("OF", 11),
    ("NT", 14),
    ("RF", 16),
    ("VM", 17),
    ("AC", 18),
    ("VIF", 19),
    ("VIP", 20),
    ("ID", 21),
];

const MXCSR_FIELDS: &[(&str, u32)] = &[
    ("IE", 0),
    ("DE", 1),
    ("ZE", 2),
    ("OE", 3),
    ("UE", 4),
    ("PE", 5),
    ("DAZ", 6),
    ("IM", 7),
    ("DM", 8),
    ("ZM", 9),
    ("OM", 10),
    ("UM", 11),
    ("PM", 12),
    ("FZ", 15),
];

fn flags_type(xml: &mut String, id: &str, fields: &[(&str, u32)]) {
    xml.push_str(&format!("    <flags id=\"{id}\" size=\"4\">\n"));
    for (name, bit) in fields {
        xml.push_str(&format!(
            "      <field name=\"{name}\" start=\"{bit}\" end=\"{bit}\"/>\n"
        ));
    }
    xml.push_str("    </flags>\n");
}

fn reg_type(regnum: usize) -> &'static str {
    match regnum {
        RBP | RSP => "data_ptr",
        RIP => "code_ptr",
        0..=15 => "int64",
        EFLAGS => "i386_eflags",
        18..=23 => "int32",
        24..=31 => "i387_ext",
        32..=39 => "int",
        40..=55 => "vec128",
        MXCSR => "i386_mxcsr",
        57..=59 => "int",
        _ => "uint128",
    }
}

fn reg_group(regnum: usize) -> Option<&'static str> {
    match regnum {
        32..=39 => Some("float"),
        MXCSR => Some("vector"),
        _ => None,
    }
}

fn push_regs(xml: &mut String, range: std::ops::Range<usize>) {
    for regnum in range {
        let info = &REGS[regnum];
        xml.push_str(&format!(
            "    <reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\"",
            info.name,
            info.size * 8,
            reg_type(regnum),
            regnum
        ));
        if let Some(group) = reg_group(regnum) {
            xml.push_str(&format!(" group=\"{group}\""));
        }
        xml.push_str("/>\n");
    }
}

/// The complete target description, in one annex.
pub fn target_xml(avx: bool) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n  <architecture>i386:x86-64</architecture>\n  <osabi>GNU/Linux</osabi>\n",
    );
    xml.push_str("  <feature name=\"org.gnu.gdb.i386.core\">\n");
    flags_type(&mut xml, "i386_eflags", EFLAGS_FIELDS);
    push_regs(&mut xml, 0..XMM0);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.sse\">\n");
    for (id, ty, count) in [
        ("v4f", "ieee_single", 4),
        ("v2d", "ieee_double", 2),
        ("v16i8", "int8", 16),
        ("v8i16", "int16", 8),
        ("v4i32", "int32", 4),
        ("v2i64", "int64", 2),
    ] {
        xml.push_str(&format!(
            "    <vector id=\"{id}\" type=\"{ty}\" count=\"{count}\"/>\n"
        ));
    }
    xml.push_str("    <union id=\"vec128\">\n");
    for (name, ty) in [
        ("v4_float", "v4f"),
        ("v2_double", "v2d"),
        ("v16_int8", "v16i8"),
        ("v8_int16", "v8i16"),
        ("v4_int32", "v4i32"),
        ("v2_int64", "v2i64"),
        ("uint128", "uint128"),
    ] {
        xml.push_str(&format!("      <field name=\"{name}\" type=\"{ty}\"/>\n"));
    }
    xml.push_str("    </union>\n");
    flags_type(&mut xml, "i386_mxcsr", MXCSR_FIELDS);
    push_regs(&mut xml, XMM0..ORIG_RAX);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.linux\">\n");
    push_regs(&mut xml, ORIG_RAX..FS_BASE);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.segments\">\n");
    push_regs(&mut xml, FS_BASE..YMM0H);
    xml.push_str("  </feature>\n");
    if avx {
        xml.push_str("  <feature name=\"org.gnu.gdb.i386.avx\">\n");
        push_regs(&mut xml, YMM0H..REGS.len());
        xml.push_str("  </feature>\n");
    }
    xml.push_str("</target>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_gdbserver() {
        assert_eq!(LAYOUT.regs.len(), 76);
        assert_eq!(g_size(NUM_REGS_NO_AVX), 560);
        assert_eq!(LAYOUT.g_size(), 816);
        assert_eq!(LAYOUT.by_name("orig_rax").unwrap().regnum, 57);
        assert_eq!(LAYOUT.by_name("fs_base").unwrap().offset, 544);
        assert_eq!(LAYOUT.by_name("ymm15h").unwrap().regnum, 75);
        assert_eq!(LAYOUT.by_regnum(RIP).unwrap().offset, 128);
    }

    #[test]
    fn target_xml_numbers_every_register_once() {
        for avx in [false, true] {
            let xml = target_xml(avx);
            let regs: Vec<&str> = xml
                .lines()
                .filter(|l| l.trim_start().starts_with("<reg "))
                .collect();
            assert_eq!(regs.len(), if avx { 76 } else { 60 });
            for (i, line) in regs.iter().enumerate() {
                assert!(line.contains(&format!("regnum=\"{i}\"")), "{line}");
                assert!(
                    line.contains(&format!("bitsize=\"{}\"", REGS[i].size * 8)),
                    "{line}"
                );
                assert!(
                    line.contains(&format!("name=\"{}\"", REGS[i].name)),
                    "{line}"
                );
            }
            assert_eq!(
                xml.matches("<feature").count(),
                xml.matches("</feature>").count()
            );
            assert_eq!(xml.contains("org.gnu.gdb.i386.avx"), avx);
        }
    }

    fn sample_user() -> [u64; USER_REGS_WORDS] {
        let mut user = [0u64; USER_REGS_WORDS];
        for (i, w) in user.iter_mut().enumerate() {
            *w = 0x0101_0101_0000_0000u64.wrapping_mul(i as u64 + 1) + i as u64;
        }
        user[user_regs::EFLAGS] = 0x246;
        user[user_regs::CS] = 0x33;
        user
    }

    #[test]
    fn general_registers_in_gdb_order() {
        let user = sample_user();
        let g = regs_to_gdb(&user, &[0u8; FXSAVE_SIZE]);
        assert_eq!(g.len(), 560);
        assert_eq!(get(&g, 0), &user[user_regs::RAX].to_le_bytes());
        assert_eq!(get(&g, RIP), &user[user_regs::RIP].to_le_bytes());
        assert_eq!(get(&g, EFLAGS), &0x246u32.to_le_bytes());
        assert_eq!(get(&g, 18), &0x33u32.to_le_bytes());
        assert_eq!(get(&g, ORIG_RAX), &user[user_regs::ORIG_RAX].to_le_bytes());
        assert_eq!(get(&g, GS_BASE), &user[user_regs::GS_BASE].to_le_bytes());
    }

    fn sample_xsave() -> Vec<u8> {
        let mut fpu: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
        fpu[XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8].copy_from_slice(&7u64.to_le_bytes());
        fpu[4] = 0xff; // all x87 registers in use
        fpu[6..8].copy_from_slice(&0x123u16.to_le_bytes());
        fpu
    }

    #[test]
    fn round_trip_through_gdb_layout() {
        let user = sample_user();
        let fpu = sample_xsave();
        let g = regs_to_gdb(&user, &fpu);
        assert_eq!(g.len(), 816);
        assert_eq!(get(&g, YMM0H), &fpu[576..592]);
        assert_eq!(get(&g, XMM0 + 15), &fpu[400..416]);
        let mut user2 = [0u64; USER_REGS_WORDS];
        user2[user_regs::EFLAGS] = 0;
        let mut fpu2 = fpu.clone();
        fpu2[..FXSAVE_SIZE].fill(0);
        fpu2[576..832].fill(0);
        gdb_to_regs(&g, &mut user2, &mut fpu2).unwrap();
        // Words gdb shows as 32 bits keep only their low half.
        let mut expected = user;
        for w in [
            user_regs::CS,
            user_regs::SS,
            user_regs::DS,
            user_regs::ES,
            user_regs::FS,
            user_regs::GS,
        ] {
            expected[w] &= 0xffff_ffff;
        }
        assert_eq!(user2, expected);
        assert_eq!(regs_to_gdb(&user2, &fpu2), g);
    }

    #[test]
    fn tag_word_conversion() {
        let empty = [[0u8; 10]; 8];
        assert_eq!(full_tag_word(0, 0, &empty), 0xffff);
        // 1.0 pushed: TOP = 7, physical register 7 holds st(0).
        let mut st = [[0u8; 10]; 8];
        st[0] = [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f];
        let fsw = 7 << 11;
        assert_eq!(full_tag_word(0x80, fsw, &st), 0x3fff);
        st[0] = [0; 10];
        assert_eq!(full_tag_word(0x80, fsw, &st), 0x7fff); // zero
        st[0] = [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x7f];
        assert_eq!(full_tag_word(0x80, fsw, &st), 0xbfff); // NaN is special
        st[0] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(full_tag_word(0x80, fsw, &st), 0xbfff); // denormal is special
        assert_eq!(abridged_tag_word(0x3fff), 0x80);
        assert_eq!(abridged_tag_word(0xffff), 0);
    }

    #[test]
    fn init_state_components_read_as_their_defaults() {
        let mut fpu = sample_xsave();
        fpu[XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8].copy_from_slice(&0u64.to_le_bytes());
        let g = regs_to_gdb(&sample_user(), &fpu);
        assert_eq!(get(&g, FCTRL), &0x37fu32.to_le_bytes());
        assert_eq!(get(&g, FCTRL + 2), &0xffffu32.to_le_bytes());
        assert_eq!(get(&g, MXCSR), &0x1f80u32.to_le_bytes());
        assert_eq!(get(&g, XMM0), &[0u8; 16]);
        assert_eq!(get(&g, YMM0H), &[0u8; 16]);
        // x87 initial but SSE live (a program at main): MXCSR is SSE state
        // and must come through, not be reset with the x87 registers.
        fpu[XSTATE_BV_OFFSET] = 0b10;
        fpu[24..28].copy_from_slice(&0x1fa0u32.to_le_bytes());
        let g = regs_to_gdb(&sample_user(), &fpu);
        assert_eq!(get(&g, MXCSR), &0x1fa0u32.to_le_bytes());
        assert_eq!(get(&g, FCTRL), &0x37fu32.to_le_bytes());
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let mut user = [0u64; USER_REGS_WORDS];
        let mut fpu = vec![0u8; FXSAVE_SIZE];
        assert_eq!(
            gdb_to_regs(&[0u8; 100], &mut user, &mut fpu),
            Err(RegsError::BadLength(100))
        );
        assert!(gdb_to_regs(&[0u8; 560], &mut user, &mut fpu).is_ok());
    }
}
