//! The XSAVE state components beyond x87 and SSE that gdb shows: AVX (the
//! upper halves of ymm0-15), AVX-512 (opmask k0-7, the upper 256 bits of
//! zmm0-15, and zmm16-31 whole, which gdb splits into xmm16-31, ymm16h-31h
//! and zmm16h-31h) and PKRU. Which of them a process has is what the kernel
//! enabled (XCR0, which it stores in the XSAVE area's software bytes), and
//! where each sits in the (standard-format) area is what CPUID leaf 0xD
//! says: the server reads both, this module only maps bytes.
//!
//! gdb's register numbers for them are fixed here (`regnum`): the target
//! description names each with its number, and a `g` packet holds the
//! present registers only, in number order (gdb lays the packet out from
//! the description), so a machine with PKRU but no AVX-512 (AMD Zen 2/3)
//! has pkru right after ymm15h.

/// The XSAVE state component numbers (bits of XCR0 and XSTATE_BV).
pub mod component {
    pub const AVX: u32 = 2;
    pub const OPMASK: u32 = 5;
    pub const ZMM_HI256: u32 = 6;
    pub const HI16_ZMM: u32 = 7;
    pub const PKRU: u32 = 9;
}

/// gdb register numbers of the extended registers.
pub mod regnum {
    pub const YMM0H: usize = 60;
    pub const XMM16: usize = 76;
    pub const YMM16H: usize = 92;
    pub const K0: usize = 108;
    pub const ZMM0H: usize = 116;
    pub const ZMM16H: usize = 132;
    pub const PKRU: usize = 148;
    /// One past the last register.
    pub const END: usize = 149;
}

/// Intel's standard-format offsets (CPUID leaf 0xD sub-leaf N, EBX), for
/// tests and for when no CPUID answer is at hand.
pub const STANDARD_OFFSETS: [(u32, usize); 5] = [
    (component::AVX, 576),
    (component::OPMASK, 1088),
    (component::ZMM_HI256, 1152),
    (component::HI16_ZMM, 1664),
    (component::PKRU, 2688),
];

/// Bytes of each component.
const fn component_size(c: u32) -> usize {
    match c {
        component::AVX => 256,
        component::OPMASK => 64,
        component::ZMM_HI256 => 512,
        component::HI16_ZMM => 1024,
        component::PKRU => 8,
        _ => 0,
    }
}

/// The register groups gdb shows for a process, each a target-description
/// feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    pub avx: bool,
    pub avx512: bool,
    pub pkru: bool,
}

impl Features {
    /// None of the extended registers (gdb without a target description,
    /// or a machine without XSAVE).
    pub const NONE: Features = Features {
        avx: false,
        avx512: false,
        pkru: false,
    };

    /// Is gdb register `regnum` (an extended one or not) shown?
    pub fn has(&self, regnum: usize) -> bool {
        match regnum {
            0..regnum::YMM0H => true,
            regnum::YMM0H..regnum::XMM16 => self.avx,
            regnum::XMM16..regnum::PKRU => self.avx512,
            regnum::PKRU => self.pkru,
            _ => false,
        }
    }
}

/// Where the enabled extended components sit in a process's XSAVE area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XsaveLayout {
    /// Offsets of the AVX, opmask, ZMM_Hi256, Hi16_ZMM and PKRU components,
    /// where enabled and inside the area.
    offsets: [Option<usize>; 5],
}

const COMPONENTS: [u32; 5] = [
    component::AVX,
    component::OPMASK,
    component::ZMM_HI256,
    component::HI16_ZMM,
    component::PKRU,
];

impl XsaveLayout {
    /// The components `xcr0` enables, at the offsets `offset_of` gives
    /// (CPUID leaf 0xD), kept only where they lie inside an area of
    /// `area_size` bytes.
    pub fn new(xcr0: u64, offset_of: impl Fn(u32) -> Option<usize>, area_size: usize) -> Self {
        let mut offsets = [None; 5];
        for (slot, &c) in offsets.iter_mut().zip(&COMPONENTS) {
            *slot = (xcr0 & (1 << c) != 0)
                .then(|| offset_of(c))
                .flatten()
                .filter(|&at| at >= 576 && at + component_size(c) <= area_size);
        }
        XsaveLayout { offsets }
    }

    /// `new` with Intel's standard offsets.
    pub fn standard(xcr0: u64, area_size: usize) -> Self {
        let offset_of = |c: u32| {
            STANDARD_OFFSETS
                .iter()
                .find(|(n, _)| *n == c)
                .map(|&(_, at)| at)
        };
        XsaveLayout::new(xcr0, offset_of, area_size)
    }

    fn offset(&self, c: u32) -> Option<usize> {
        COMPONENTS
            .iter()
            .position(|&n| n == c)
            .and_then(|i| self.offsets[i])
    }

    /// The register groups this area can hold: AVX-512 needs all three of
    /// its components.
    pub fn features(&self) -> Features {
        Features {
            avx: self.offset(component::AVX).is_some(),
            avx512: [component::OPMASK, component::ZMM_HI256, component::HI16_ZMM]
                .iter()
                .all(|&c| self.offset(c).is_some())
                && self.offset(component::AVX).is_some(),
            pkru: self.offset(component::PKRU).is_some(),
        }
    }

    /// Where extended register `regnum` lives: (component, offset in the
    /// area, size). None for a register of the legacy area.
    pub fn place(&self, regnum: usize) -> Option<(u32, usize, usize)> {
        use component::*;
        let (c, at, size) = match regnum {
            regnum::YMM0H..regnum::XMM16 => (AVX, 16 * (regnum - regnum::YMM0H), 16),
            // zmm16-31 are whole in Hi16_ZMM, 64 bytes each: xmm (low 16),
            // ymm's upper half (next 16), zmm's upper half (last 32).
            regnum::XMM16..regnum::YMM16H => (HI16_ZMM, 64 * (regnum - regnum::XMM16), 16),
            regnum::YMM16H..regnum::K0 => (HI16_ZMM, 64 * (regnum - regnum::YMM16H) + 16, 16),
            regnum::K0..regnum::ZMM0H => (OPMASK, 8 * (regnum - regnum::K0), 8),
            regnum::ZMM0H..regnum::ZMM16H => (ZMM_HI256, 32 * (regnum - regnum::ZMM0H), 32),
            regnum::ZMM16H..regnum::PKRU => (HI16_ZMM, 64 * (regnum - regnum::ZMM16H) + 32, 32),
            regnum::PKRU => (PKRU, 0, 4),
            _ => return None,
        };
        Some((c, self.offset(c)? + at, size))
    }
}

/// Copy the extended registers `features` shows from the XSAVE area into
/// `out` (appended in register-number order). A component in its initial
/// state (its XSTATE_BV bit clear) reads as zeros, as the hardware
/// defines it.
pub fn read_extended(area: &[u8], layout: &XsaveLayout, features: Features, out: &mut Vec<u8>) {
    let xstate_bv = xstate_bv(area);
    for regnum in regnum::YMM0H..regnum::END {
        if !features.has(regnum) {
            continue;
        }
        let Some((c, at, size)) = layout.place(regnum) else {
            out.resize(out.len() + register_size(regnum), 0);
            continue;
        };
        match area.get(at..at + size) {
            Some(bytes) if xstate_bv & (1 << c) != 0 => out.extend_from_slice(bytes),
            _ => out.resize(out.len() + size, 0),
        }
    }
}

/// Write the extended registers of `g` (starting at `g`'s offset `from`,
/// in register-number order) into the XSAVE area, marking each component
/// written as live in XSTATE_BV.
pub fn write_extended(
    g: &[u8],
    mut from: usize,
    area: &mut [u8],
    layout: &XsaveLayout,
    features: Features,
) {
    let mut live = 0u64;
    for regnum in regnum::YMM0H..regnum::END {
        if !features.has(regnum) {
            continue;
        }
        let size = register_size(regnum);
        let value = g.get(from..from + size);
        from += size;
        let (Some(value), Some((c, at, _))) = (value, layout.place(regnum)) else {
            continue;
        };
        if let Some(slot) = area.get_mut(at..at + size) {
            slot.copy_from_slice(value);
            live |= 1 << c;
        }
    }
    if let Some(bv) = area.get_mut(XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8) {
        let old = u64::from_le_bytes(bv.try_into().unwrap_or([0; 8]));
        bv.copy_from_slice(&(old | live).to_le_bytes());
    }
}

const XSTATE_BV_OFFSET: usize = 512;

fn xstate_bv(area: &[u8]) -> u64 {
    area.get(XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

/// Size in bytes of extended register `regnum`.
pub const fn register_size(regnum: usize) -> usize {
    match regnum {
        regnum::YMM0H..regnum::K0 => 16,
        regnum::K0..regnum::ZMM0H => 8,
        regnum::ZMM0H..regnum::PKRU => 32,
        regnum::PKRU => 4,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
