//! i386 (a 32-bit process on an x86_64 kernel) as gdb sees it through GNU
//! gdbserver's x86_64 build: the registers numbered as gdbserver's i386
//! target description numbers them (core 0-15, x87 16-31, xmm0-7 32-39,
//! mxcsr 40, orig_eax 41, then ymm0h-7h, k0-7 and zmm0h-7h, pkru where the
//! process has that state), the description itself, and the conversion.
//!
//! A 64-bit tracer reads a 32-bit tracee with the 64-bit sets (the general
//! registers zero-extended in `user_regs_struct`, the same FXSAVE/XSAVE
//! area), so every i386 register is a slice of an x86_64 one: the
//! conversion goes through `x86_64`'s and picks those slices out, which
//! keeps the x87/SSE/XSAVE handling in one place.

use crate::layout::{self, RegisterInfo, RegisterLayout};
use crate::x86_64::{self as x64, tdesc, Features, RegsError, XsaveLayout, USER_REGS_WORDS};

pub const ESP: usize = 4;
pub const EBP: usize = 5;
pub const EIP: usize = 8;
pub const EFLAGS: usize = 9;
pub const ST0: usize = 16;
pub const XMM0: usize = 32;
pub const MXCSR: usize = 40;
pub const ORIG_EAX: usize = 41;
pub const YMM0H: usize = 42;
pub const K0: usize = 50;
pub const PKRU: usize = 66;
/// Every register number there is.
pub const NUM_REGS: usize = 67;

/// What a stop reply carries, as gdbserver's i386 description expedites.
pub const EXPEDITED_REGS: &[usize] = &[EBP, ESP, EIP];

/// The x86_64 register each i386 register is the low part of.
const X64_OF: [usize; NUM_REGS] = {
    let mut map = [0usize; NUM_REGS];
    // eax ecx edx ebx esp ebp esi edi: rax rcx rdx rbx rsp rbp rsi rdi.
    let gprs = [0, 2, 3, 1, 7, 6, 4, 5];
    let mut i = 0;
    while i < 8 {
        map[i] = gprs[i];
        i += 1;
    }
    // eip eflags cs ss ds es fs gs, st0-7, fctrl..fop, xmm0-7.
    while i < 40 {
        map[i] = i + 8;
        i += 1;
    }
    map[MXCSR] = x64::MXCSR;
    map[ORIG_EAX] = x64::ORIG_RAX;
    i = 0;
    while i < 8 {
        map[YMM0H + i] = x64::YMM0H + i;
        map[K0 + i] = x64::xstate::regnum::K0 + i;
        map[K0 + 8 + i] = x64::xstate::regnum::ZMM0H + i;
        i += 1;
    }
    map[PKRU] = x64::xstate::regnum::PKRU;
    map
};

const GPR_NAMES: [&str; 16] = [
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds",
    "es", "fs", "gs",
];

const fn build_regs() -> [RegisterInfo; NUM_REGS] {
    let mut regs = [x64::LAYOUT.regs[0]; NUM_REGS];
    let (mut i, mut offset) = (0, 0);
    while i < NUM_REGS {
        let wide = x64::LAYOUT.regs[X64_OF[i]];
        let (name, size) = match i {
            0..=15 => (GPR_NAMES[i], 4),
            ORIG_EAX => ("orig_eax", 4),
            _ => (wide.name, wide.size),
        };
        regs[i] = RegisterInfo {
            offset,
            regnum: i,
            name,
            size,
        };
        (i, offset) = (i + 1, offset + size);
    }
    regs
}

static REGS: [RegisterInfo; NUM_REGS] = build_regs();
/// Every i386 register by number, offsets as in a packet holding all of
/// them (only those below `YMM0H` sit there in every packet).
pub const LAYOUT: RegisterLayout = RegisterLayout { regs: &REGS };

/// Is i386 register `regnum` shown to a process with `features`?
pub fn has(features: Features, regnum: usize) -> bool {
    regnum < NUM_REGS && features.has(X64_OF[regnum])
}

/// The registers of a `g` packet for `features`, in order, with their
/// offsets in that packet.
pub fn g_layout(features: Features) -> Vec<RegisterInfo> {
    layout::compact(&REGS, |n| has(features, n)).collect()
}

/// Register `regnum` in the `g` packet for `features` (None: not shown),
/// found without building the whole layout.
pub fn g_register(features: Features, regnum: usize) -> Option<RegisterInfo> {
    if !has(features, regnum) {
        return None;
    }
    layout::compact(&REGS, |n| has(features, n)).find(|r| r.regnum == regnum)
}

/// The size of a `g` payload for `features`.
pub fn g_size_for(features: Features) -> usize {
    layout::compact_size(&REGS, |n| has(features, n))
}

/// Build gdb's i386 `g` payload from the kernel's (64-bit) general
/// registers and FXSAVE/XSAVE area.
pub fn regs_to_gdb(
    user: &[u64; USER_REGS_WORDS],
    fpu: &[u8],
    xsave: &XsaveLayout,
    features: Features,
) -> Vec<u8> {
    let wide = x64::regs_to_gdb(user, fpu, xsave, features);
    let wide_layout = x64::g_layout(features);
    let mut g = Vec::with_capacity(g_size_for(features));
    for r in g_layout(features) {
        let at = wide_layout
            .iter()
            .find(|w| w.regnum == X64_OF[r.regnum])
            .map_or(0, |w| w.offset);
        g.extend_from_slice(&wide[at..at + r.size]);
    }
    g
}

/// Apply gdb's i386 `g` payload, laid out for `features`, to the kernel's
/// sets. The general registers are zero-extended, eax and orig_eax
/// sign-extended as gdb and gdbserver do, so that orig_eax -1 still tells
/// the kernel "no system call to restart".
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
    // x86_64's conversion checks the FPU area's size.
    let mut wide = x64::regs_to_gdb(user, fpu, xsave, features);
    let wide_layout = x64::g_layout(features);
    for r in g_layout(features) {
        let Some(w) = wide_layout.iter().find(|w| w.regnum == X64_OF[r.regnum]) else {
            continue;
        };
        let value = &g[r.offset..r.offset + r.size];
        let slot = &mut wide[w.offset..w.offset + w.size];
        let negative = value.last().is_some_and(|b| b & 0x80 != 0);
        let fill = if matches!(r.regnum, 0 | ORIG_EAX) && negative {
            0xff
        } else {
            0
        };
        slot.fill(fill);
        slot[..r.size].copy_from_slice(value);
    }
    x64::gdb_to_regs(&wide, user, fpu, xsave, features)
}

fn reg_type(regnum: usize) -> &'static str {
    match regnum {
        ESP | EBP => "data_ptr",
        EIP => "code_ptr",
        EFLAGS => "i386_eflags",
        0..=15 => "int32",
        ORIG_EAX => "int",
        _ => tdesc::reg_type(X64_OF[regnum]),
    }
}

fn push_regs(xml: &mut String, features: Features, range: std::ops::Range<usize>) {
    for r in g_layout(features)
        .iter()
        .filter(|r| range.contains(&r.regnum))
    {
        let group = tdesc::reg_group(X64_OF[r.regnum]);
        tdesc::push_reg(xml, r, reg_type(r.regnum), group);
    }
}

/// The i386 GNU/Linux target description for a process showing `features`.
pub fn target_xml(features: Features) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n  <architecture>i386</architecture>\n  <osabi>GNU/Linux</osabi>\n",
    );
    xml.push_str("  <feature name=\"org.gnu.gdb.i386.core\">\n");
    tdesc::flags_type(&mut xml, "i386_eflags", tdesc::EFLAGS_FIELDS);
    push_regs(&mut xml, features, 0..XMM0);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.sse\">\n");
    tdesc::vec128_type(&mut xml);
    tdesc::flags_type(&mut xml, "i386_mxcsr", tdesc::MXCSR_FIELDS);
    push_regs(&mut xml, features, XMM0..ORIG_EAX);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.linux\">\n");
    push_regs(&mut xml, features, ORIG_EAX..YMM0H);
    xml.push_str("  </feature>\n");
    if features.avx {
        xml.push_str("  <feature name=\"org.gnu.gdb.i386.avx\">\n");
        push_regs(&mut xml, features, YMM0H..K0);
        xml.push_str("  </feature>\n");
    }
    if features.avx512 {
        xml.push_str("  <feature name=\"org.gnu.gdb.i386.avx512\">\n");
        xml.push_str("    <vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>\n");
        push_regs(&mut xml, features, K0..PKRU);
        xml.push_str("  </feature>\n");
    }
    if features.pkru {
        xml.push_str("  <feature name=\"org.gnu.gdb.i386.pkeys\">\n");
        push_regs(&mut xml, features, PKRU..NUM_REGS);
        xml.push_str("  </feature>\n");
    }
    xml.push_str("</target>\n");
    xml
}

#[cfg(test)]
mod tests;
