//! arm64's target description: the XML naming gdb's aarch64 features
//! (core, fpu, and the optional pauth, mte and tls) with our register
//! numbers, as GNU gdbserver writes it for the same features.

use super::{Features, CPSR, FPCR, FPSR, NUM_BASE_REGS, PAUTH_CMASK, PAUTH_DMASK, PC, SP, V0};
use crate::layout::RegisterLayout;

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
pub fn target_xml(features: Features) -> String {
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
    if features.pauth {
        xml.push_str("  <feature name=\"org.gnu.gdb.aarch64.pauth\">\n");
        push_regs(&mut xml, &layout, PAUTH_DMASK..PAUTH_CMASK + 1, "int");
        xml.push_str("  </feature>\n");
    }
    if let Some(tag_ctl) = features.tag_ctl_regnum() {
        // gdb's aarch64-mte.xml: a system register gdb never saves or
        // restores around an inferior call.
        xml.push_str("  <feature name=\"org.gnu.gdb.aarch64.mte\">\n");
        xml.push_str(&format!(
            "    <reg name=\"tag_ctl\" bitsize=\"64\" type=\"uint64\" regnum=\"{tag_ctl}\" group=\"system\" save-restore=\"no\"/>\n"
        ));
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
    use super::super::tests::all;
    use super::*;

    #[test]
    fn target_xml_numbers_every_register_once() {
        for f in all() {
            let xml = target_xml(f);
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
            assert_eq!(xml.contains("org.gnu.gdb.aarch64.mte"), f.mte);
            assert_eq!(xml.contains("name=\"tag_ctl\""), f.mte);
            assert_eq!(
                xml.matches("<feature").count(),
                xml.matches("</feature>").count()
            );
        }
    }
}
