//! The x86_64 target description: the i386 core, sse, linux and segments
//! features every process has, and the avx, avx512 and pkeys features where
//! the process has that state, each register named with its number (the
//! numbers GNU gdbserver gives them), the types as gdbserver declares them.

use super::xstate::{regnum, Features};
use super::{EFLAGS, FS_BASE, MXCSR, ORIG_RAX, RBP, REGS, RIP, RSP, XMM0, YMM0H};
use crate::layout::RegisterInfo;

pub(crate) const EFLAGS_FIELDS: &[(&str, u32)] = &[
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

pub(crate) const MXCSR_FIELDS: &[(&str, u32)] = &[
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

pub(crate) fn flags_type(xml: &mut String, id: &str, fields: &[(&str, u32)]) {
    xml.push_str(&format!("    <flags id=\"{id}\" size=\"4\">\n"));
    for (name, bit) in fields {
        xml.push_str(&format!(
            "      <field name=\"{name}\" start=\"{bit}\" end=\"{bit}\"/>\n"
        ));
    }
    xml.push_str("    </flags>\n");
}

pub(crate) fn reg_type(regnum: usize) -> &'static str {
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
        regnum::XMM16..regnum::YMM16H => "vec128",
        regnum::K0..regnum::ZMM0H => "uint64",
        regnum::ZMM0H..regnum::PKRU => "v2ui128",
        regnum::PKRU => "uint32",
        _ => "uint128",
    }
}

pub(crate) fn reg_group(regnum: usize) -> Option<&'static str> {
    match regnum {
        32..=39 => Some("float"),
        MXCSR => Some("vector"),
        _ => None,
    }
}

/// The 128-bit vector union, as gdbserver declares it in each feature that
/// uses it.
pub(crate) fn vec128_type(xml: &mut String) {
    for (id, ty, count) in [
        ("v8bf16", "bfloat16", 8),
        ("v8h", "ieee_half", 8),
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
        ("v8_bfloat16", "v8bf16"),
        ("v8_half", "v8h"),
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
}

fn push_regs(xml: &mut String, range: std::ops::Range<usize>) {
    for regnum in range {
        push_reg(xml, &REGS[regnum], reg_type(regnum), reg_group(regnum));
    }
}

/// One `<reg>` line of a description.
pub(crate) fn push_reg(xml: &mut String, info: &RegisterInfo, ty: &str, group: Option<&str>) {
    xml.push_str(&format!(
        "    <reg name=\"{}\" bitsize=\"{}\" type=\"{ty}\" regnum=\"{}\"",
        info.name,
        info.size * 8,
        info.regnum
    ));
    if let Some(group) = group {
        xml.push_str(&format!(" group=\"{group}\""));
    }
    xml.push_str("/>\n");
}

/// The complete target description for a process showing `features`, in
/// one annex.
pub fn target_xml(features: Features) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n  <architecture>i386:x86-64</architecture>\n  <osabi>GNU/Linux</osabi>\n",
    );
    xml.push_str("  <feature name=\"org.gnu.gdb.i386.core\">\n");
    flags_type(&mut xml, "i386_eflags", EFLAGS_FIELDS);
    push_regs(&mut xml, 0..XMM0);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.sse\">\n");
    vec128_type(&mut xml);
    flags_type(&mut xml, "i386_mxcsr", MXCSR_FIELDS);
    push_regs(&mut xml, XMM0..ORIG_RAX);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.linux\">\n");
    push_regs(&mut xml, ORIG_RAX..FS_BASE);
    xml.push_str("  </feature>\n  <feature name=\"org.gnu.gdb.i386.segments\">\n");
    push_regs(&mut xml, FS_BASE..YMM0H);
    xml.push_str("  </feature>\n");
    if features.avx {
        xml.push_str("  <feature name=\"org.gnu.gdb.i386.avx\">\n");
        push_regs(&mut xml, YMM0H..regnum::XMM16);
        xml.push_str("  </feature>\n");
    }
    if features.avx512 {
        xml.push_str("  <feature name=\"org.gnu.gdb.i386.avx512\">\n");
        vec128_type(&mut xml);
        xml.push_str("    <vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>\n");
        push_regs(&mut xml, regnum::XMM16..regnum::PKRU);
        xml.push_str("  </feature>\n");
    }
    if features.pkru {
        xml.push_str("  <feature name=\"org.gnu.gdb.i386.pkeys\">\n");
        push_regs(&mut xml, regnum::PKRU..regnum::END);
        xml.push_str("  </feature>\n");
    }
    xml.push_str("</target>\n");
    xml
}
