//! The i386 layout against what GNU gdbserver 13.1 (x86_64 build) showed
//! gdb for a 32-bit program (`maint print remote-registers`), and the
//! conversion through the 64-bit kernel sets.

use super::*;
use crate::x86_64::user_regs;

const AVX: Features = Features {
    avx: true,
    avx512: false,
    pkru: false,
};
const AVX512: Features = Features {
    avx: true,
    avx512: true,
    pkru: false,
};

fn at(features: Features, name: &str) -> (usize, usize, usize) {
    let r = g_layout(features)
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no {name}"));
    (r.regnum, r.offset, r.size)
}

#[test]
fn layout_matches_gdbserver() {
    assert_eq!(g_size_for(Features::NONE), 312);
    assert_eq!(at(AVX512, "eax"), (0, 0, 4));
    assert_eq!(at(AVX512, "ebx"), (3, 12, 4));
    assert_eq!(at(AVX512, "esp"), (4, 16, 4));
    assert_eq!(at(AVX512, "eip"), (8, 32, 4));
    assert_eq!(at(AVX512, "gs"), (15, 60, 4));
    assert_eq!(at(AVX512, "st7"), (23, 134, 10));
    assert_eq!(at(AVX512, "fop"), (31, 172, 4));
    assert_eq!(at(AVX512, "xmm7"), (39, 288, 16));
    assert_eq!(at(AVX512, "mxcsr"), (40, 304, 4));
    assert_eq!(at(AVX512, "orig_eax"), (41, 308, 4));
    assert_eq!(at(AVX512, "ymm0h"), (42, 312, 16));
    assert_eq!(at(AVX512, "ymm7h"), (49, 424, 16));
    assert_eq!(at(AVX512, "k0"), (50, 440, 8));
    assert_eq!(at(AVX512, "zmm0h"), (58, 504, 32));
    assert_eq!(at(AVX512, "zmm7h"), (65, 728, 32));
    assert_eq!(g_size_for(AVX512), 760);
    assert_eq!(g_size_for(AVX), 440);
    assert!(!has(AVX, K0));
    assert!(!has(AVX512, PKRU));
    let pkru = Features {
        pkru: true,
        ..AVX512
    };
    assert_eq!(at(pkru, "pkru"), (66, 760, 4));
}

#[test]
fn target_xml_is_gdbservers() {
    let xml = target_xml(AVX512);
    assert!(xml.contains("<architecture>i386</architecture>"));
    assert!(xml.contains("<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>"));
    assert!(xml.contains("<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\" regnum=\"4\"/>"));
    assert!(xml.contains("<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\" regnum=\"8\"/>"));
    assert!(xml.contains("<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\" regnum=\"9\"/>"));
    assert!(xml.contains(
        "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" regnum=\"24\" group=\"float\"/>"
    ));
    assert!(xml.contains(
        "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" regnum=\"40\" group=\"vector\"/>"
    ));
    assert!(xml.contains("<reg name=\"orig_eax\" bitsize=\"32\" type=\"int\" regnum=\"41\"/>"));
    assert!(xml.contains("<reg name=\"ymm7h\" bitsize=\"128\" type=\"uint128\" regnum=\"49\"/>"));
    assert!(xml.contains("<reg name=\"k7\" bitsize=\"64\" type=\"uint64\" regnum=\"57\"/>"));
    assert!(xml.contains("<reg name=\"zmm0h\" bitsize=\"256\" type=\"v2ui128\" regnum=\"58\"/>"));
    assert!(!xml.contains("xmm8"));
    assert!(!xml.contains("segments"));
    for features in [Features::NONE, AVX, AVX512] {
        let xml = target_xml(features);
        let regs = xml.matches("<reg ").count();
        assert_eq!(regs, g_layout(features).len());
        assert_eq!(xml.contains("i386.avx\""), features.avx);
    }
}

fn sample_user() -> [u64; USER_REGS_WORDS] {
    let mut user = [0u64; USER_REGS_WORDS];
    for (i, w) in user.iter_mut().enumerate() {
        *w = 0x1000_0000 + i as u64;
    }
    user[user_regs::RIP] = 0x0804_9570;
    user[user_regs::RSP] = 0xffff_d960;
    user[user_regs::CS] = 0x23;
    user
}

#[test]
fn general_registers_are_the_low_halves() {
    let user = sample_user();
    let fpu = vec![0u8; 1024];
    let xsave = XsaveLayout::standard(0x7, fpu.len());
    let g = regs_to_gdb(&user, &fpu, &xsave, AVX);
    assert_eq!(g.len(), 440);
    let word = |i: usize| u32::from_le_bytes(g[4 * i..4 * i + 4].try_into().unwrap()) as u64;
    assert_eq!(word(0), user[user_regs::RAX]);
    assert_eq!(word(1), user[user_regs::RCX]);
    assert_eq!(word(3), user[user_regs::RBX]);
    assert_eq!(word(ESP), 0xffff_d960);
    assert_eq!(word(EIP), 0x0804_9570);
    assert_eq!(word(10), 0x23);
    assert_eq!(
        &g[308..312],
        &(user[user_regs::ORIG_RAX] as u32).to_le_bytes()
    );
}

#[test]
fn writes_zero_extend_and_sign_extend_eax() {
    let mut user = sample_user();
    user[user_regs::RBX] = 0xdead_beef_0000_0001;
    let mut fpu = vec![0u8; 1024];
    let xsave = XsaveLayout::standard(0x7, fpu.len());
    let mut g = regs_to_gdb(&user, &fpu, &xsave, AVX);
    g[0..4].copy_from_slice(&(-4i32).to_le_bytes()); // eax
    g[12..16].copy_from_slice(&0x8000_0002u32.to_le_bytes()); // ebx
    g[308..312].copy_from_slice(&(-1i32).to_le_bytes()); // orig_eax
    g[32 * 4 + 48..32 * 4 + 52].copy_from_slice(&[1, 2, 3, 4]); // xmm0
    g[312..328].copy_from_slice(&[9u8; 16]); // ymm0h
    gdb_to_regs(&g, &mut user, &mut fpu, &xsave, AVX).unwrap();
    assert_eq!(user[user_regs::RAX], (-4i64) as u64);
    assert_eq!(user[user_regs::RBX], 0x8000_0002);
    assert_eq!(user[user_regs::ORIG_RAX], u64::MAX);
    assert_eq!(&fpu[160..164], &[1, 2, 3, 4]);
    assert_eq!(&fpu[576..592], &[9u8; 16]);
    assert_eq!(regs_to_gdb(&user, &fpu, &xsave, AVX), g);
    assert_eq!(
        gdb_to_regs(&g[..312], &mut user, &mut fpu, &xsave, AVX),
        Err(RegsError::BadLength(312))
    );
}
