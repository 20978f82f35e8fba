//! `qXfer:memory-map:read` from /proc/PID/maps, every region as RAM.
//!
//! Offered only with `--memory-map`: gdb reads the map once at connect time
//! and then treats any address outside it as inaccessible, which would hide
//! memory mapped later (thread stacks, dlopen'd libraries, heap arenas).

use gdbstub::target::ext::memory_map::MemoryMap;
use gdbstub::target::TargetResult;

use super::{copy_window, errno_reply, DebugTarget};

impl MemoryMap for DebugTarget {
    fn memory_map_xml(
        &self,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let xml = self.process()?.memory_map_xml().map_err(errno_reply)?;
        Ok(copy_window(xml.as_bytes(), offset, length, buf))
    }
}
