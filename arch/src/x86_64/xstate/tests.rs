//! The extended registers on XSAVE images laid out as this machine's and
//! an AMD Zen's kernels report them: where each register's bytes are, the
//! initial state reading as zeros, writes marking their components live,
//! and components the area is too small for left out.

use super::*;

/// x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM, PKRU.
const XCR0_ALL: u64 = 0x2e7;
const AREA: usize = 2696;

/// An area whose every byte says where it is, all components live.
fn image() -> Vec<u8> {
    let mut area: Vec<u8> = (0..AREA).map(|i| (i * 13 + 1) as u8).collect();
    area[XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8].copy_from_slice(&XCR0_ALL.to_le_bytes());
    area
}

const ALL: Features = Features {
    avx: true,
    avx512: true,
    pkru: true,
};

#[test]
fn features_follow_xcr0_and_the_area() {
    let all = XsaveLayout::standard(XCR0_ALL, AREA);
    assert_eq!(all.features(), ALL);
    // AVX only (an older CPU, or AVX-512 disabled by the kernel).
    let avx = XsaveLayout::standard(0x7, AREA).features();
    assert_eq!((avx.avx, avx.avx512, avx.pkru), (true, false, false));
    // PKRU without AVX-512: AMD Zen 2 and 3.
    let zen = XsaveLayout::standard(0x207, AREA).features();
    assert_eq!((zen.avx, zen.avx512, zen.pkru), (true, false, true));
    // An area too short for PKRU (or for Hi16_ZMM) leaves those out.
    let short = XsaveLayout::standard(XCR0_ALL, 2688).features();
    assert_eq!((short.avx512, short.pkru), (true, false));
    let shorter = XsaveLayout::standard(XCR0_ALL, 2000).features();
    assert_eq!((shorter.avx, shorter.avx512), (true, false));
    // Only part of AVX-512 enabled is no AVX-512.
    assert!(!XsaveLayout::standard(0x67, AREA).features().avx512);
    assert_eq!(XsaveLayout::default().features(), Features::NONE);
}

#[test]
fn registers_sit_where_the_sdm_puts_them() {
    let layout = XsaveLayout::standard(XCR0_ALL, AREA);
    let place = |r| layout.place(r).map(|(_, at, size)| (at, size));
    assert_eq!(place(regnum::YMM0H), Some((576, 16)));
    assert_eq!(place(regnum::YMM0H + 15), Some((576 + 240, 16)));
    assert_eq!(place(regnum::K0 + 1), Some((1088 + 8, 8)));
    assert_eq!(place(regnum::ZMM0H + 7), Some((1152 + 7 * 32, 32)));
    // zmm16-31 whole in Hi16_ZMM: xmm, then ymm's upper half, then zmm's.
    assert_eq!(place(regnum::XMM16), Some((1664, 16)));
    assert_eq!(place(regnum::YMM16H), Some((1664 + 16, 16)));
    assert_eq!(place(regnum::ZMM16H), Some((1664 + 32, 32)));
    assert_eq!(place(regnum::XMM16 + 15), Some((1664 + 15 * 64, 16)));
    assert_eq!(place(regnum::ZMM16H + 15), Some((1664 + 15 * 64 + 32, 32)));
    assert_eq!(place(regnum::PKRU), Some((2688, 4)));
    assert_eq!(place(regnum::YMM0H - 1), None);
    assert_eq!(place(regnum::END), None);
}

#[test]
fn offsets_come_from_cpuid_not_intel_s_table() {
    // Another layout (as CPUID may give): PKRU right after AVX.
    let offset_of = |c| match c {
        component::AVX => Some(576),
        component::PKRU => Some(832),
        _ => None,
    };
    let layout = XsaveLayout::new(0x207, offset_of, 840);
    assert_eq!(layout.place(regnum::PKRU), Some((component::PKRU, 832, 4)));
    assert!(!layout.features().avx512);
}

#[test]
fn reads_in_register_order_and_the_initial_state_reads_zero() {
    let area = image();
    let layout = XsaveLayout::standard(XCR0_ALL, AREA);
    let mut g = Vec::new();
    read_extended(&area, &layout, ALL, &mut g);
    assert_eq!(g.len(), 256 + 512 + 64 + 1024 + 4);
    assert_eq!(&g[..16], &area[576..592]); // ymm0h
    let k0 = 256 + 256 + 256;
    assert_eq!(&g[k0 + 8..k0 + 16], &area[1096..1104]); // k1
    let zmm0h = k0 + 64;
    assert_eq!(&g[zmm0h + 7 * 32..zmm0h + 8 * 32], &area[1376..1408]); // zmm7h
    assert_eq!(&g[g.len() - 4..], &area[2688..2692]); // pkru

    // Opmask in its initial state: the k registers read as zeros, the
    // others as they are.
    let mut init = area.clone();
    let bv = XCR0_ALL & !(1 << component::OPMASK);
    init[XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8].copy_from_slice(&bv.to_le_bytes());
    let mut g2 = Vec::new();
    read_extended(&init, &layout, ALL, &mut g2);
    assert_eq!(&g2[k0..k0 + 64], &[0u8; 64]);
    assert_eq!(&g2[..k0], &g[..k0]);
}

#[test]
fn writes_land_in_place_and_mark_components_live() {
    let layout = XsaveLayout::standard(XCR0_ALL, AREA);
    let mut expected = Vec::new();
    read_extended(&image(), &layout, ALL, &mut expected);
    // Written into an area where every component is in its initial state.
    let mut area = vec![0u8; AREA];
    let mut g = vec![0xeeu8; 560];
    g.extend_from_slice(&expected);
    write_extended(&g, 560, &mut area, &layout, ALL);
    assert_eq!(
        u64::from_le_bytes(area[512..520].try_into().unwrap()),
        XCR0_ALL & !0b11
    );
    let mut back = Vec::new();
    read_extended(&area, &layout, ALL, &mut back);
    assert_eq!(back, expected);
    // The legacy area was not touched.
    assert_eq!(&area[..512], &[0u8; 512]);
}

#[test]
fn features_not_shown_are_neither_read_nor_written() {
    let layout = XsaveLayout::standard(XCR0_ALL, AREA);
    let avx_only = Features {
        avx: true,
        avx512: false,
        pkru: false,
    };
    let mut g = Vec::new();
    read_extended(&image(), &layout, avx_only, &mut g);
    assert_eq!(g.len(), 256);
    let mut area = image();
    let before = area.clone();
    let mut packet = vec![0u8; 560];
    packet.extend_from_slice(&[0x5a; 256]);
    write_extended(&packet, 560, &mut area, &layout, avx_only);
    assert_eq!(&area[576..832], &[0x5a; 256]);
    assert_eq!(&area[832..], &before[832..]);
}
