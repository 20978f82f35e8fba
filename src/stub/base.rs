//! Registers and the thread list (gdbstub's MultiThreadBase). The memory
//! packets (`m`, `x`, `M`, `X`) never reach gdbstub: our dispatcher answers
//! them (`session::packets::memory`). gdbstub's trait still wants
//! `read_addrs`/`write_addrs`; they call the same `Process` methods, for
//! any gdbstub path that reads memory on its own.

use std::num::NonZeroUsize;

use gdbstub::common::Tid as GdbTid;
use gdbstub::target::ext::base::multithread::{MultiThreadBase, MultiThreadResumeOps};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::TargetResult;
use nix::unistd::Pid;

use super::arch::{RegNum, RegisterFile};
use super::{errno_reply, DebugTarget};

pub fn to_tid(tid: GdbTid) -> Pid {
    Pid::from_raw(tid.get() as i32)
}

impl MultiThreadBase for DebugTarget {
    fn read_registers(&mut self, regs: &mut RegisterFile, tid: GdbTid) -> TargetResult<(), Self> {
        self.select_tid(to_tid(tid));
        regs.bytes = self
            .process_mut()?
            .read_registers(to_tid(tid))
            .map_err(errno_reply)?;
        Ok(())
    }

    fn write_registers(&mut self, regs: &RegisterFile, tid: GdbTid) -> TargetResult<(), Self> {
        self.select_tid(to_tid(tid));
        self.process_mut()?
            .write_registers(to_tid(tid), &regs.bytes)
            .map_err(errno_reply)
    }

    fn support_single_register_access(
        &mut self,
    ) -> Option<SingleRegisterAccessOps<'_, GdbTid, Self>> {
        Some(self)
    }

    fn read_addrs(
        &mut self,
        start_addr: u64,
        data: &mut [u8],
        tid: GdbTid,
    ) -> TargetResult<usize, Self> {
        self.select_tid(to_tid(tid));
        self.process()?
            .read_memory(start_addr, data)
            .map_err(errno_reply)
    }

    fn write_addrs(&mut self, start_addr: u64, data: &[u8], tid: GdbTid) -> TargetResult<(), Self> {
        self.select_tid(to_tid(tid));
        self.process_mut()?
            .write_memory(start_addr, data)
            .map_err(errno_reply)
    }

    fn list_active_threads(
        &mut self,
        thread_is_active: &mut dyn FnMut(GdbTid),
    ) -> Result<(), Self::Error> {
        if let Some(process) = &self.process {
            for tid in process.thread_ids() {
                if let Some(tid) = NonZeroUsize::new(tid.as_raw() as usize) {
                    thread_is_active(tid);
                }
            }
        }
        Ok(())
    }

    fn is_thread_alive(&mut self, tid: GdbTid) -> Result<bool, Self::Error> {
        let tid = to_tid(tid);
        Ok(self.all_processes().any(|p| p.has_thread(tid)))
    }

    // Our protocol layer parses and runs every resume packet itself
    // (run_control.rs), so gdbstub is told there are none: it never enters
    // its running state and never answers a resume on its own.
    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        None
    }
}

impl SingleRegisterAccess<GdbTid> for DebugTarget {
    fn read_register(
        &mut self,
        tid: GdbTid,
        reg: RegNum,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        self.select_tid(to_tid(tid));
        let process = self.process_mut()?;
        let info = process
            .register_context()
            .register(reg.0)
            .ok_or(gdbstub::target::TargetError::Errno(1))?;
        let g = process.read_registers(to_tid(tid)).map_err(errno_reply)?;
        let bytes = g
            .get(info.offset..info.offset + info.size)
            .ok_or(gdbstub::target::TargetError::Errno(1))?;
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(bytes.len())
    }

    fn write_register(&mut self, tid: GdbTid, reg: RegNum, val: &[u8]) -> TargetResult<(), Self> {
        self.select_tid(to_tid(tid));
        let process = self.process_mut()?;
        let info = process
            .register_context()
            .register(reg.0)
            .ok_or(gdbstub::target::TargetError::Errno(1))?;
        if val.len() != info.size {
            return Err(gdbstub::target::TargetError::Errno(libc::EINVAL as u8));
        }
        let mut g = process.read_registers(to_tid(tid)).map_err(errno_reply)?;
        let slot = g
            .get_mut(info.offset..info.offset + info.size)
            .ok_or(gdbstub::target::TargetError::Errno(1))?;
        slot.copy_from_slice(val);
        process
            .write_registers(to_tid(tid), &g)
            .map_err(errno_reply)
    }
}
