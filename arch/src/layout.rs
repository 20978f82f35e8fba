//! The shape of a gdb register file: register names, gdb register numbers,
//! sizes and offsets in the `g` packet. Shared by every architecture.

/// One register as gdb sees it: its number in the remote protocol (`p`/`P`
/// and expedited stop-reply registers), and where it sits in the `g` packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterInfo {
    pub name: &'static str,
    pub regnum: usize,
    /// Size in bytes.
    pub size: usize,
    /// Offset in bytes in the `g` packet (target byte order, no gaps).
    pub offset: usize,
}

/// A whole register file: registers in `g` packet order, numbered 0.. without gaps.
#[derive(Debug, Clone, Copy)]
pub struct RegisterLayout {
    pub regs: &'static [RegisterInfo],
}

impl RegisterLayout {
    /// Size of the `g` packet payload in bytes.
    pub fn g_size(&self) -> usize {
        self.regs.last().map(|r| r.offset + r.size).unwrap_or(0)
    }

    pub fn by_regnum(&self, regnum: usize) -> Option<&'static RegisterInfo> {
        self.regs.get(regnum)
    }

    pub fn by_name(&self, name: &str) -> Option<&'static RegisterInfo> {
        self.regs.iter().find(|r| r.name == name)
    }
}

/// The registers of `regs` that `present` keeps, in order, each with its
/// offset in a `g` packet that holds those alone (gdb lays a packet out
/// from the target description's registers, absent ones taking no room).
pub fn compact<'a>(
    regs: &'a [RegisterInfo],
    present: impl Fn(usize) -> bool + 'a,
) -> impl Iterator<Item = RegisterInfo> + 'a {
    let mut offset = 0;
    regs.iter()
        .filter(move |r| present(r.regnum))
        .map(move |r| {
            let info = RegisterInfo { offset, ..*r };
            offset += r.size;
            info
        })
}

/// The size of the `g` packet `compact` lays out.
pub fn compact_size(regs: &[RegisterInfo], present: impl Fn(usize) -> bool) -> usize {
    compact(regs, present)
        .last()
        .map_or(0, |r| r.offset + r.size)
}
