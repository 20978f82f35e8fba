//! `qXfer:auxv:read`: the process's auxiliary vector, straight from /proc.

use gdbstub::target::ext::auxv::Auxv;
use gdbstub::target::TargetResult;

use super::{copy_window, errno_reply, DebugTarget};

impl Auxv for DebugTarget {
    fn get_auxv(&self, offset: u64, length: usize, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let auxv = self.process()?.auxv().map_err(errno_reply)?;
        Ok(copy_window(&auxv, offset, length, buf))
    }
}
