//! `qXfer:libraries-svr4:read`: the dynamic linker's list of loaded objects,
//! so `info sharedlibrary` and backtraces through libc work without gdb
//! having to find and walk `r_debug` itself.

use gdbstub::target::ext::libraries::LibrariesSvr4;
use gdbstub::target::TargetResult;

use super::{copy_window, errno_reply, DebugTarget};

impl LibrariesSvr4 for DebugTarget {
    fn get_libraries_svr4(
        &self,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let xml = self.process()?.libraries_svr4_xml().map_err(errno_reply)?;
        Ok(copy_window(xml.as_bytes(), offset, length, buf))
    }
}
