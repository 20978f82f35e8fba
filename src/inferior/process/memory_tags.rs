//! arm64 memory tagging (MTE) of a stopped process: whether it has it
//! (HWCAP2_MTE in its auxv, decided when its registers were probed), its
//! allocation tags read and written with PTRACE_PEEKMTETAGS /
//! PTRACE_POKEMTETAGS, one byte per 16-byte granule, and whether an
//! address lies in a mapping made with PROT_MTE (smaps' `mt` flag), which
//! is what gdb 15's `qIsAddressTagged` asks. As GNU gdbserver does it
//! (`nat/aarch64-mte-linux-ptrace.c`): the kernel may move fewer tags than
//! asked, so both loop; fewer tags than granules repeat.
//!
//! Elsewhere (x86_64, MIPS) no process has memory tagging.

use nix::errno::Errno;

use crate::inferior::core::select;
use crate::inferior::procfs;
use crate::inferior::ptrace::Tid;

use super::{Process, ProcessError};

/// Most granules one request reads or writes (16 MiB of memory): more
/// than any reply packet holds, and a bound on what a request allocates.
pub const MAX_GRANULES: usize = 1 << 20;

/// Whether `addr` is in a mapping smaps marks `mt` (mapped with PROT_MTE).
pub fn smaps_tagged(smaps: &str, addr: u64) -> bool {
    select::parse_smaps(smaps).is_ok_and(|mappings| {
        mappings.iter().any(|m| {
            m.entry.start <= addr
                && addr < m.entry.end
                && m.vm_flags
                    .as_ref()
                    .is_some_and(|flags| flags.iter().any(|f| f == "mt"))
        })
    })
}

/// The tags for `granules` granules: `tags` repeated (or cut) to fit.
pub fn repeat_tags(tags: &[u8], granules: usize) -> Vec<u8> {
    tags.iter().copied().cycle().take(granules).collect()
}

/// Whether memory tagging is there before any process is (qSupported in
/// extended mode): the server's own AT_HWCAP2, as GNU gdbserver asks it.
pub fn server_supports_memory_tagging() -> bool {
    #[cfg(target_arch = "aarch64")]
    return crate::inferior::regs::native::server_has_mte();
    #[cfg(not(target_arch = "aarch64"))]
    return false;
}

impl Process {
    /// Whether the process has memory tagging: the target description
    /// names `tag_ctl`, `qMemTags` can work.
    pub fn supports_memory_tagging(&self) -> bool {
        #[cfg(target_arch = "aarch64")]
        return self.register_context().mte();
        #[cfg(not(target_arch = "aarch64"))]
        return false;
    }

    /// A stopped thread to ask the kernel through (allocation tags are
    /// per process, so any one will do).
    fn stopped_thread(&self) -> Result<Tid, ProcessError> {
        if self.has_exited() {
            return Err(ProcessError::Exited);
        }
        self.threads
            .iter()
            .find(|(_, t)| !t.running)
            .map(|(&tid, _)| tid)
            .ok_or(ProcessError::NoSuchThread(self.pid().as_raw()))
    }

    /// Whether `addr` is in memory mapped with PROT_MTE. gdb 15 and later
    /// send the pointer as the program holds it, its logical tag in the
    /// top byte, which is no part of the address.
    pub fn is_address_tagged(&self, addr: u64) -> Result<bool, ProcessError> {
        if !self.supports_memory_tagging() {
            return Ok(false);
        }
        let smaps = procfs::smaps(self.pid()).map_err(|e| ProcessError::Proc(e.to_string()))?;
        Ok(smaps_tagged(
            &smaps,
            rgdbserver_arch::aarch64::untagged(addr),
        ))
    }

    /// The allocation tags of the granules `[addr, addr + len)` touches
    /// (an empty range is an error: a `qMemTags` reply has a tag or more).
    pub fn read_memory_tags(&self, addr: u64, len: u64) -> Result<Vec<u8>, ProcessError> {
        let (start, count) = granules(addr, len)?;
        if count == 0 {
            return Err(ProcessError::Proc(format!("no tag granules at {addr:#x}")));
        }
        let mut tags = vec![0u8; count];
        self.move_tags(start, &mut tags, false)?;
        Ok(tags)
    }

    /// Set the allocation tags of the granules `[addr, addr + len)`
    /// touches to `tags`, repeated when there are fewer of them (no tags,
    /// or no granules, is nothing to do, as GNU gdbserver has it).
    pub fn write_memory_tags(&self, addr: u64, len: u64, tags: &[u8]) -> Result<(), ProcessError> {
        let (start, count) = granules(addr, len)?;
        if tags.is_empty() || count == 0 {
            return Ok(());
        }
        self.move_tags(start, &mut repeat_tags(tags, count), true)
    }

    /// Move every tag of `tags` from or to the granules from `start` on.
    #[cfg(target_arch = "aarch64")]
    fn move_tags(&self, start: u64, tags: &mut [u8], write: bool) -> Result<(), ProcessError> {
        use crate::inferior::ptrace as pt;
        use rgdbserver_arch::aarch64::MTE_GRANULE_SIZE;
        let tid = self.stopped_thread()?;
        let mut done = 0;
        while done < tags.len() {
            let addr = start + done as u64 * MTE_GRANULE_SIZE;
            let moved = pt::mte_tags(tid, addr, &mut tags[done..], write)
                .map_err(super::ptrace_err(tid))?;
            if moved == 0 {
                return Err(super::ptrace_err(tid)(Errno::EIO));
            }
            done += moved;
        }
        Ok(())
    }

    #[cfg(not(target_arch = "aarch64"))]
    fn move_tags(&self, _: u64, _: &mut [u8], _: bool) -> Result<(), ProcessError> {
        let tid = self.stopped_thread()?;
        Err(super::ptrace_err(tid)(Errno::EOPNOTSUPP))
    }
}

/// The first granule and the number of granules of a range (refused when
/// there are more than memory could hold tags for).
fn granules(addr: u64, len: u64) -> Result<(u64, usize), ProcessError> {
    let (start, count) = rgdbserver_arch::aarch64::tag_granules(addr, len);
    usize::try_from(count)
        .ok()
        .filter(|&count| count <= MAX_GRANULES)
        .map(|count| (start, count))
        .ok_or_else(|| ProcessError::Proc(format!("{len:#x} bytes of tags at {addr:#x}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
ffff9a3c0000-ffff9a3c1000 rw-s 00000000 00:01 1027  /dev/zero (deleted)
Size:                  4 kB
VmFlags: rd wr sh mr mw me ms sd mt
ffff9a3c1000-ffff9a3c3000 rw-p 00000000 00:00 0
Size:                  8 kB
VmFlags: rd wr mr mw me ac
";

    #[test]
    fn tagged_mappings_from_smaps() {
        assert!(smaps_tagged(SMAPS, 0xffff_9a3c_0000));
        assert!(smaps_tagged(SMAPS, 0xffff_9a3c_0ff0));
        assert!(!smaps_tagged(SMAPS, 0xffff_9a3c_1000));
        assert!(!smaps_tagged(SMAPS, 0x1000));
        assert!(!smaps_tagged("garbage", 0x1000));
    }

    #[test]
    fn fewer_tags_repeat() {
        assert_eq!(repeat_tags(&[5], 3), [5, 5, 5]);
        assert_eq!(repeat_tags(&[1, 2], 3), [1, 2, 1]);
        assert_eq!(repeat_tags(&[1, 2, 3], 2), [1, 2]);
    }

    #[test]
    fn granules_of_ranges() {
        assert_eq!(granules(0x1000, 0).unwrap(), (0x1000, 0));
        assert_eq!(granules(0x1008, 0x10).unwrap(), (0x1000, 2));
        assert!(granules(0, u64::MAX).is_err());
    }
}
