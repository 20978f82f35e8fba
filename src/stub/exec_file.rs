//! `qXfer:exec-file:read`: the absolute path of the running program, so gdb
//! can find it without being told (`target remote` with no file argument).

use gdbstub::common::Pid as GdbPid;
use gdbstub::target::ext::exec_file::ExecFile;
use gdbstub::target::{TargetError, TargetResult};

use super::{copy_window, DebugTarget};

impl ExecFile for DebugTarget {
    fn get_exec_file(
        &self,
        pid: Option<GdbPid>,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        use std::os::unix::ffi::OsStrExt;
        let pid = match pid {
            Some(pid) => pid.get() as i32,
            None => self.process()?.pid().as_raw(),
        };
        let path = std::fs::read_link(format!("/proc/{pid}/exe"))
            .map_err(|_| TargetError::Errno(libc::ESRCH as u8))?;
        Ok(copy_window(
            path.as_os_str().as_bytes(),
            offset,
            length,
            buf,
        ))
    }
}
