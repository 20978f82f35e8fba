//! The x86 debug registers as Linux exposes them to a tracer (`u_debugreg`
//! in `struct user`): four address slots DR0-DR3, the status DR6 that says
//! which slot fired, and the control DR7 that enables each slot with an
//! access kind and a length. Pure encoding; the inferior writes the words.

/// Address slots DR0-DR3.
pub const NUM_SLOTS: usize = 4;
pub const DR6: usize = 6;
pub const DR7: usize = 7;

/// What a slot traps on. x86 has no read-only data breakpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Execute,
    Write,
    ReadWrite,
}

/// One programmed slot: an aligned region of 1, 2, 4 or 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub addr: u64,
    pub len: u8,
    pub access: Access,
}

/// Cover `[addr, addr + len)` with naturally aligned regions of 1, 2, 4 or 8
/// bytes, the only ones a slot can watch, fewest first-fit as gdb does.
///
/// Lazy, because gdb's length is untrusted: a caller takes one region more
/// than it has slots instead of splitting 2^64 bytes. A range that runs
/// past the end of the address space yields nothing.
pub fn split_region(addr: u64, len: u64) -> impl Iterator<Item = (u64, u8)> {
    let end = addr.checked_add(len).unwrap_or(addr);
    let mut at = addr;
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let size = [8u64, 4, 2, 1]
            .into_iter()
            .find(|&size| at % size == 0 && size <= end - at)
            .unwrap_or(1);
        let region = (at, size as u8);
        at += size;
        Some(region)
    })
}

fn len_bits(len: u8) -> u64 {
    match len {
        1 => 0b00,
        2 => 0b01,
        8 => 0b10,
        _ => 0b11, // 4
    }
}

fn access_bits(access: Access) -> u64 {
    match access {
        Access::Execute => 0b00,
        Access::Write => 0b01,
        Access::ReadWrite => 0b11,
    }
}

/// Local-enable bit for a slot.
fn enable_bit(slot: usize) -> u64 {
    1 << (slot * 2)
}

/// "Local exact" (bit 8): recommended whenever data breakpoints are enabled.
const LOCAL_EXACT: u64 = 1 << 8;

/// The DR7 value enabling `slots` (None: slot unused).
pub fn dr7(slots: &[Option<Slot>; NUM_SLOTS]) -> u64 {
    let mut value = 0;
    for (i, slot) in slots.iter().enumerate() {
        let Some(slot) = slot else { continue };
        // An execute breakpoint must have length bits 00.
        let len = match slot.access {
            Access::Execute => 0,
            _ => len_bits(slot.len),
        };
        value |= enable_bit(i);
        value |= (access_bits(slot.access) | len << 2) << (16 + i * 4);
    }
    if value != 0 {
        value |= LOCAL_EXACT;
    }
    value
}

/// The slots DR6 says fired.
pub fn fired_slots(dr6: u64) -> impl Iterator<Item = usize> {
    (0..NUM_SLOTS).filter(move |i| dr6 & (1 << i) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_aligned_and_cover_exactly() {
        let split = |addr, len| split_region(addr, len).collect::<Vec<_>>();
        assert_eq!(split(0x1000, 8), [(0x1000, 8)]);
        assert_eq!(split(0x1004, 4), [(0x1004, 4)]);
        assert_eq!(split(0x1001, 3), [(0x1001, 1), (0x1002, 2)]);
        assert_eq!(split(0x1006, 12), [(0x1006, 2), (0x1008, 8), (0x1010, 2)]);
        assert_eq!(split(0x1000, 0), []);
        for addr in 0x2000..0x2010u64 {
            for len in 1..24u64 {
                let mut at = addr;
                for (start, size) in split_region(addr, len) {
                    assert_eq!(start, at);
                    assert_eq!(start % size as u64, 0);
                    at += size as u64;
                }
                assert_eq!(at, addr + len);
            }
        }
    }

    #[test]
    fn huge_or_wrapping_lengths_split_lazily() {
        // gdb's length is untrusted: the split must not walk 2^64 bytes.
        assert_eq!(split_region(0x39fe, u64::MAX).count(), 0);
        let first: Vec<_> = split_region(0x39fe, u64::MAX / 2).take(5).collect();
        assert_eq!(
            first,
            [
                (0x39fe, 2),
                (0x3a00, 8),
                (0x3a08, 8),
                (0x3a10, 8),
                (0x3a18, 8)
            ]
        );
        let top = u64::MAX - 7;
        assert_eq!(
            split_region(top, 7).collect::<Vec<_>>(),
            [(top, 4), (top + 4, 2), (top + 6, 1)]
        );
    }

    #[test]
    fn dr7_encoding() {
        let mut slots = [None; NUM_SLOTS];
        assert_eq!(dr7(&slots), 0);
        slots[0] = Some(Slot {
            addr: 0x1000,
            len: 4,
            access: Access::Write,
        });
        // L0, local exact, RW0=01, LEN0=11.
        assert_eq!(dr7(&slots), 0x1 | 0x100 | (0b1101 << 16));
        slots[0] = None;
        slots[2] = Some(Slot {
            addr: 0x1000,
            len: 8,
            access: Access::ReadWrite,
        });
        assert_eq!(dr7(&slots), 0x10 | 0x100 | (0b1011 << 24));
        slots[3] = Some(Slot {
            addr: 0x400000,
            len: 1,
            access: Access::Execute,
        });
        assert_eq!(dr7(&slots), 0x10 | 0x40 | 0x100 | (0b1011 << 24));
    }

    #[test]
    fn dr6_fired_slots() {
        assert_eq!(fired_slots(0xffff0ff2).collect::<Vec<_>>(), [1]);
        assert_eq!(fired_slots(0x4009).collect::<Vec<_>>(), [0, 3]);
        assert_eq!(fired_slots(0x4000).count(), 0);
    }
}
