//! Reading and writing the inferior's memory.
//!
//! Reads go through `process_vm_readv` (one syscall for a whole range) and
//! fall back to `/proc/PID/mem` for what it cannot read (pages without read
//! permission, which ptrace may still read). Writes, including breakpoint
//! bytes in read-only text, go through `/proc/PID/mem`, which honours ptrace's
//! right to write there. `PTRACE_PEEKDATA` moves 8 bytes per syscall and is
//! never used.

use std::fs::{File, OpenOptions};
use std::io::{self, IoSliceMut};
use std::os::unix::fs::FileExt;

use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("cannot access memory at address {addr:#x}")]
    Unreadable { addr: u64 },
    #[error("cannot write memory at address {addr:#x}: {source}")]
    Write { addr: u64, source: io::Error },
    #[error("cannot open /proc/{pid}/mem: {source}")]
    Open { pid: i32, source: io::Error },
}

impl MemoryError {
    pub fn errno(&self) -> u8 {
        match self {
            MemoryError::Unreadable { .. } => libc::EIO as u8,
            MemoryError::Write { source, .. } | MemoryError::Open { source, .. } => {
                source.raw_os_error().unwrap_or(libc::EIO) as u8
            }
        }
    }
}

/// Access to one process's address space.
pub struct Memory {
    pid: Pid,
    mem: File,
}

impl Memory {
    pub fn open(pid: Pid) -> Result<Memory, MemoryError> {
        let mem = OpenOptions::new()
            .read(true)
            .write(true)
            .open(format!("/proc/{pid}/mem"))
            .map_err(|source| MemoryError::Open {
                pid: pid.as_raw(),
                source,
            })?;
        Ok(Memory { pid, mem })
    }

    /// The process whose memory this is.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Read as much of `[addr, addr + buf.len())` as is readable from its
    /// start. Returns the number of bytes read; an error if none were.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<usize, MemoryError> {
        if buf.is_empty() {
            return Ok(0);
        }
        // The range may not wrap around the top of the address space.
        let len = buf
            .len()
            .min((u64::MAX - addr).saturating_add(1).min(usize::MAX as u64) as usize);
        let buf = &mut buf[..len];
        let mut done = self.read_vm(addr, buf);
        while done < buf.len() {
            match self.mem.read_at(&mut buf[done..], addr + done as u64) {
                Ok(0) | Err(_) => break,
                Ok(n) => done += n,
            }
        }
        if done == 0 {
            Err(MemoryError::Unreadable { addr })
        } else {
            Ok(done)
        }
    }

    fn read_vm(&self, addr: u64, buf: &mut [u8]) -> usize {
        let Ok(base) = usize::try_from(addr) else {
            return 0;
        };
        let remote = [RemoteIoVec {
            base,
            len: buf.len(),
        }];
        let mut local = [IoSliceMut::new(buf)];
        process_vm_readv(self.pid, &mut local, &remote).unwrap_or(0)
    }

    /// Write all of `data` at `addr`.
    pub fn write(&self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
        let mut done = 0;
        while done < data.len() {
            let at = addr + done as u64;
            match self.mem.write_at(&data[done..], at) {
                Ok(0) => {
                    return Err(MemoryError::Write {
                        addr: at,
                        source: io::Error::from_raw_os_error(libc::EIO),
                    })
                }
                Ok(n) => done += n,
                Err(source) => return Err(MemoryError::Write { addr: at, source }),
            }
        }
        Ok(())
    }
}
