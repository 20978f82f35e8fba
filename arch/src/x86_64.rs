//! x86_64 Linux as gdb sees it through GNU gdbserver: the registers
//! (general, segment, x87, SSE, `orig_rax`, `fs_base`/`gs_base`, and where
//! the process has them the AVX upper halves, AVX-512's and PKRU, numbered
//! as gdbserver numbers them), the target description (`tdesc`), and the
//! conversion between that register file and the kernel's
//! `user_regs_struct` plus FXSAVE/XSAVE area (the extended components in
//! `xstate`).

use crate::layout::{self, RegisterInfo, RegisterLayout};

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
/// Every register number there is (AVX-512 and PKRU included).
pub const NUM_REGS: usize = xstate::regnum::END;

pub(crate) mod tdesc;
pub mod xstate;

pub use tdesc::target_xml;
pub use xstate::{Features, XsaveLayout};

pub const EXPEDITED_REGS: &[usize] = &[RBP, RSP, RIP];
pub const BREAKPOINT_INSN: &[u8] = &[0xcc];
/// int3 leaves the PC one byte past the breakpoint.
pub const PC_ADJUST_AFTER_BREAKPOINT: u64 = 1;

const NAMES: [&str; NUM_REGS] = [
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "st0", "st1", "st2", "st3",
    "st4", "st5", "st6", "st7", "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff",
    "fop", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
    "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "mxcsr", "orig_rax", "fs_base", "gs_base",
    "ymm0h", "ymm1h", "ymm2h", "ymm3h", "ymm4h", "ymm5h", "ymm6h", "ymm7h", "ymm8h", "ymm9h",
    "ymm10h", "ymm11h", "ymm12h", "ymm13h", "ymm14h", "ymm15h", "xmm16", "xmm17", "xmm18", "xmm19",
    "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29",
    "xmm30", "xmm31", "ymm16h", "ymm17h", "ymm18h", "ymm19h", "ymm20h", "ymm21h", "ymm22h",
    "ymm23h", "ymm24h", "ymm25h", "ymm26h", "ymm27h", "ymm28h", "ymm29h", "ymm30h", "ymm31h", "k0",
    "k1", "k2", "k3", "k4", "k5", "k6", "k7", "zmm0h", "zmm1h", "zmm2h", "zmm3h", "zmm4h", "zmm5h",
    "zmm6h", "zmm7h", "zmm8h", "zmm9h", "zmm10h", "zmm11h", "zmm12h", "zmm13h", "zmm14h", "zmm15h",
    "zmm16h", "zmm17h", "zmm18h", "zmm19h", "zmm20h", "zmm21h", "zmm22h", "zmm23h", "zmm24h",
    "zmm25h", "zmm26h", "zmm27h", "zmm28h", "zmm29h", "zmm30h", "zmm31h", "pkru",
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
        _ => xstate::register_size(regnum),
    }
}

const fn build_regs() -> [RegisterInfo; NUM_REGS] {
    let mut regs = [RegisterInfo {
        name: "",
        regnum: 0,
        size: 0,
        offset: 0,
    }; NUM_REGS];
    let mut i = 0;
    let mut offset = 0;
    while i < NUM_REGS {
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

static REGS: [RegisterInfo; NUM_REGS] = build_regs();
/// Every register gdb may be shown, by number. The offsets are those of a
/// `g` packet holding all of them; a process's own packet holds the ones
/// its `Features` show (`g_layout`), and only registers below `YMM0H` sit
/// at the same offset in every packet.
pub const LAYOUT: RegisterLayout = RegisterLayout { regs: &REGS };

/// The registers of a `g` packet for `features`, in order, with their
/// offsets in that packet.
pub fn g_layout(features: Features) -> Vec<RegisterInfo> {
    layout::compact(&REGS, |n| features.has(n)).collect()
}

/// Register `regnum` in the `g` packet for `features` (None: not shown),
/// found without building the whole layout.
pub fn g_register(features: Features, regnum: usize) -> Option<RegisterInfo> {
    if !features.has(regnum) {
        return None;
    }
    layout::compact(&REGS, |n| features.has(n)).find(|r| r.regnum == regnum)
}

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
/// FXSAVE (512 bytes) or XSAVE area: the legacy registers, then the
/// extended ones `features` shows, from where `xsave` says they are.
pub fn regs_to_gdb(
    user: &[u64; USER_REGS_WORDS],
    fpu: &[u8],
    xsave: &XsaveLayout,
    features: Features,
) -> Vec<u8> {
    let mut g = vec![0u8; g_size(NUM_REGS_NO_AVX)];
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
    xstate::read_extended(fpu, xsave, features, &mut g);
    g
}

/// The size of a `g` payload for `features`.
pub fn g_size_for(features: Features) -> usize {
    layout::compact_size(&REGS, |n| features.has(n))
}

/// Apply gdb's `g` payload, laid out for `features`, to the kernel's sets.
pub fn gdb_to_regs(
    g: &[u8],
    user: &mut [u64; USER_REGS_WORDS],
    fpu: &mut [u8],
    xsave: &XsaveLayout,
    features: Features,
) -> Result<(), RegsError> {
    if g.len() != g_size_for(features) {
        return Err(RegsError::BadLength(g.len()));
    }
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
    if fpu.len() >= XSTATE_BV_OFFSET + 8 {
        fpu[XSTATE_BV_OFFSET] |= 0b11;
    }
    xstate::write_extended(g, g_size(NUM_REGS_NO_AVX), fpu, xsave, features);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AVX: Features = Features {
        avx: true,
        avx512: false,
        pkru: false,
    };
    const ALL: Features = Features {
        avx: true,
        avx512: true,
        pkru: true,
    };

    #[test]
    fn layout_matches_gdbserver() {
        assert_eq!(LAYOUT.regs.len(), 149);
        assert_eq!(g_size(NUM_REGS_NO_AVX), 560);
        assert_eq!(g_size_for(Features::NONE), 560);
        assert_eq!(g_size_for(AVX), 816);
        // AVX-512: 16 xmm + 16 ymm halves (16 bytes), 8 k (8), 32 zmm
        // halves (32); PKRU 4.
        assert_eq!(g_size_for(ALL), 816 + 512 + 64 + 1024 + 4);
        assert_eq!(LAYOUT.by_name("orig_rax").unwrap().regnum, 57);
        assert_eq!(LAYOUT.by_name("fs_base").unwrap().offset, 544);
        assert_eq!(LAYOUT.by_name("ymm15h").unwrap().regnum, 75);
        assert_eq!(LAYOUT.by_name("xmm16").unwrap().regnum, 76);
        assert_eq!(LAYOUT.by_name("k1").unwrap().regnum, 109);
        assert_eq!(LAYOUT.by_name("zmm7h").unwrap().regnum, 123);
        assert_eq!(LAYOUT.by_name("pkru").unwrap().regnum, 148);
        assert_eq!(LAYOUT.by_regnum(RIP).unwrap().offset, 128);
        // PKRU without AVX-512 (AMD Zen 2/3) comes right after ymm15h.
        let zen = g_layout(Features {
            avx512: false,
            ..ALL
        });
        let pkru = zen.last().unwrap();
        assert_eq!((pkru.name, pkru.regnum, pkru.offset), ("pkru", 148, 816));
    }

    #[test]
    fn target_xml_numbers_every_register_once() {
        for features in [Features::NONE, AVX, ALL] {
            let xml = target_xml(features);
            let regs: Vec<&str> = xml
                .lines()
                .filter(|l| l.trim_start().starts_with("<reg "))
                .collect();
            let layout = g_layout(features);
            assert_eq!(regs.len(), layout.len());
            for (line, info) in regs.iter().zip(&layout) {
                assert!(
                    line.contains(&format!("regnum=\"{}\"", info.regnum)),
                    "{line}"
                );
                assert!(
                    line.contains(&format!("bitsize=\"{}\"", info.size * 8)),
                    "{line}"
                );
                assert!(line.contains(&format!("name=\"{}\"", info.name)), "{line}");
            }
            assert_eq!(
                xml.matches("<feature").count(),
                xml.matches("</feature>").count()
            );
            assert_eq!(xml.contains("org.gnu.gdb.i386.avx\""), features.avx);
            assert_eq!(xml.contains("org.gnu.gdb.i386.avx512"), features.avx512);
            assert_eq!(xml.contains("org.gnu.gdb.i386.pkeys"), features.pkru);
        }
        let xml = target_xml(ALL);
        assert!(
            xml.contains("<reg name=\"zmm0h\" bitsize=\"256\" type=\"v2ui128\" regnum=\"116\"/>")
        );
        assert!(xml.contains("<reg name=\"k7\" bitsize=\"64\" type=\"uint64\" regnum=\"115\"/>"));
        assert!(xml.contains("<reg name=\"pkru\" bitsize=\"32\" type=\"uint32\" regnum=\"148\"/>"));
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
        let g = regs_to_gdb(
            &user,
            &[0u8; FXSAVE_SIZE],
            &XsaveLayout::default(),
            Features::NONE,
        );
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
        let xsave = XsaveLayout::standard(0x7, fpu.len());
        let g = regs_to_gdb(&user, &fpu, &xsave, AVX);
        assert_eq!(g.len(), 816);
        assert_eq!(get(&g, YMM0H), &fpu[576..592]);
        assert_eq!(get(&g, XMM0 + 15), &fpu[400..416]);
        let mut user2 = [0u64; USER_REGS_WORDS];
        user2[user_regs::EFLAGS] = 0;
        let mut fpu2 = fpu.clone();
        fpu2[..FXSAVE_SIZE].fill(0);
        fpu2[576..832].fill(0);
        gdb_to_regs(&g, &mut user2, &mut fpu2, &xsave, AVX).unwrap();
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
        assert_eq!(regs_to_gdb(&user2, &fpu2, &xsave, AVX), g);
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
        let xsave = XsaveLayout::standard(0x7, fpu.len());
        let g = regs_to_gdb(&sample_user(), &fpu, &xsave, AVX);
        assert_eq!(get(&g, FCTRL), &0x37fu32.to_le_bytes());
        assert_eq!(get(&g, FCTRL + 2), &0xffffu32.to_le_bytes());
        assert_eq!(get(&g, MXCSR), &0x1f80u32.to_le_bytes());
        assert_eq!(get(&g, XMM0), &[0u8; 16]);
        assert_eq!(get(&g, YMM0H), &[0u8; 16]);
        // x87 initial but SSE live (a program at main): MXCSR is SSE state
        // and must come through, not be reset with the x87 registers.
        fpu[XSTATE_BV_OFFSET] = 0b10;
        fpu[24..28].copy_from_slice(&0x1fa0u32.to_le_bytes());
        let g = regs_to_gdb(&sample_user(), &fpu, &xsave, AVX);
        assert_eq!(get(&g, MXCSR), &0x1fa0u32.to_le_bytes());
        assert_eq!(get(&g, FCTRL), &0x37fu32.to_le_bytes());
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let mut user = [0u64; USER_REGS_WORDS];
        let mut fpu = vec![0u8; FXSAVE_SIZE];
        let none = XsaveLayout::default();
        assert_eq!(
            gdb_to_regs(&[0u8; 100], &mut user, &mut fpu, &none, Features::NONE),
            Err(RegsError::BadLength(100))
        );
        assert!(gdb_to_regs(&[0u8; 560], &mut user, &mut fpu, &none, Features::NONE).is_ok());
        // A packet for other features than the process's is refused.
        assert_eq!(
            gdb_to_regs(&[0u8; 816], &mut user, &mut fpu, &none, Features::NONE),
            Err(RegsError::BadLength(816))
        );
    }
}
