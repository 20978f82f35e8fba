//! Feed each generated target description to a real gdb-multiarch and check
//! that gdb accepts it without warnings and numbers and places every register
//! in the `g` packet exactly as our layouts do. Skipped (with a note) when
//! gdb-multiarch is not installed; needs no network and no target.

use std::process::Command;

use rgdbserver_arch::{aarch64, mips, x86_64, RegisterLayout};

/// One row of `maint print remote-registers` that has a remote number.
#[derive(Debug)]
struct RemoteReg {
    name: String,
    size: usize,
    remote: usize,
    g_offset: usize,
}

fn gdb_available() -> bool {
    Command::new("gdb-multiarch")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn remote_registers(arch: &str, xml: &str, tag: &str) -> Vec<RemoteReg> {
    let path = std::env::temp_dir().join(format!(
        "rgdbserver-arch-tdesc-{}-{tag}.xml",
        std::process::id()
    ));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("gdb-multiarch")
        .args(["-batch", "-nx"])
        .args(["-ex", &format!("set architecture {arch}")])
        .args(["-ex", &format!("set tdesc filename {}", path.display())])
        .args(["-ex", "maint print remote-registers"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("warning") && !stdout.contains("warning"),
        "gdb rejected the {tag} description:\n{stderr}{stdout}"
    );
    stdout
        .lines()
        .filter_map(|line| {
            let tokens: Vec<&str> = line.split_whitespace().collect();
            if tokens.len() < 8 {
                return None;
            }
            let remote = tokens[tokens.len() - 2].parse().ok()?;
            let g_offset = tokens[tokens.len() - 1].parse().ok()?;
            let size = tokens[4].parse().ok()?;
            Some(RemoteReg {
                name: tokens[0].to_string(),
                size,
                remote,
                g_offset,
            })
        })
        .collect()
}

fn check(layout: &RegisterLayout, regs: &[RemoteReg], names_visible: bool, tag: &str) {
    assert_eq!(regs.len(), layout.regs.len(), "{tag}: {regs:?}");
    for reg in regs {
        let info = layout
            .by_regnum(reg.remote)
            .unwrap_or_else(|| panic!("{tag}: no register {}", reg.remote));
        assert_eq!(reg.g_offset, info.offset, "{tag}: {reg:?}");
        assert_eq!(reg.size, info.size, "{tag}: {reg:?}");
        if names_visible {
            assert_eq!(reg.name, info.name, "{tag}: {reg:?}");
        }
    }
}

#[test]
fn gdb_accepts_aarch64_descriptions() {
    if !gdb_available() {
        eprintln!("gdb-multiarch not installed; skipping");
        return;
    }
    for bits in 0..8 {
        let f = aarch64::Features {
            pauth: bits & 1 != 0,
            tls: bits & 2 != 0,
            mte: bits & 4 != 0,
        };
        let tag = format!("aarch64-{f:?}");
        let regs = remote_registers("aarch64", &aarch64::target_xml(f), &tag);
        check(&aarch64::layout(f), &regs, true, &tag);
    }
}

#[test]
fn gdb_accepts_mips_descriptions() {
    if !gdb_available() {
        eprintln!("gdb-multiarch not installed; skipping");
        return;
    }
    for (m, tag) in [(mips::MIPSEL, "mips-o32"), (mips::MIPS64EL, "mips-n64")] {
        let regs = remote_registers("mips", &m.target_xml(), tag);
        // gdb shows MIPS raw registers without names (it names their cooked
        // pseudo registers instead), so only numbers, sizes and offsets.
        check(&m.layout(), &regs, false, tag);
    }
}

#[test]
fn gdb_accepts_x86_64_descriptions() {
    if !gdb_available() {
        eprintln!("gdb-multiarch not installed; skipping");
        return;
    }
    let f = |avx, avx512, pkru| x86_64::Features { avx, avx512, pkru };
    for (features, tag) in [
        (f(false, false, false), "x86_64-sse"),
        (f(true, false, false), "x86_64-avx"),
        (f(true, true, false), "x86_64-avx512"),
        (f(true, false, true), "x86_64-avx-pkeys"),
        (f(true, true, true), "x86_64-avx512-pkeys"),
    ] {
        let regs = remote_registers("i386:x86-64", &x86_64::target_xml(features), tag);
        let layout = RegisterLayout {
            regs: Box::leak(x86_64::g_layout(features).into_boxed_slice()),
        };
        // gdb numbers registers by our regnum attributes, which skip the
        // absent ones: look each up by its remote number.
        assert_eq!(regs.len(), layout.regs.len(), "{tag}: {regs:?}");
        for reg in &regs {
            let info = layout
                .regs
                .iter()
                .find(|r| r.regnum == reg.remote)
                .unwrap_or_else(|| panic!("{tag}: no register {}", reg.remote));
            assert_eq!(
                (reg.g_offset, reg.size),
                (info.offset, info.size),
                "{tag}: {reg:?}"
            );
            assert_eq!(reg.name, info.name, "{tag}: {reg:?}");
        }
    }
}
