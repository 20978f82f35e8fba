//! vFile host I/O: gdb reads the program and its shared libraries through
//! the server (`set sysroot target:`, the default), and `info proc mappings`
//! reads /proc files. After `vFile:setfs:PID` paths resolve in that
//! process's filesystem view, through /proc/PID/root.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use gdbstub::target::ext::host_io::{
    FsKind, HostIo, HostIoClose, HostIoCloseOps, HostIoErrno, HostIoError, HostIoFstat,
    HostIoFstatOps, HostIoOpen, HostIoOpenFlags, HostIoOpenMode, HostIoOpenOps, HostIoPread,
    HostIoPreadOps, HostIoPwrite, HostIoPwriteOps, HostIoReadlink, HostIoReadlinkOps, HostIoResult,
    HostIoSetfs, HostIoSetfsOps, HostIoStat, HostIoUnlink, HostIoUnlinkOps,
};

use super::DebugTarget;

/// Files gdb has open on the server, by the descriptor numbers we gave it.
#[derive(Default)]
pub struct HostFiles {
    files: HashMap<u32, File>,
    next_fd: u32,
    fs_pid: Option<u32>,
}

impl HostFiles {
    fn resolve(&self, filename: &[u8]) -> PathBuf {
        let name = String::from_utf8_lossy(filename).into_owned();
        match self.fs_pid {
            Some(pid) if name.starts_with('/') => PathBuf::from(format!("/proc/{pid}/root{name}")),
            _ => PathBuf::from(name),
        }
    }

    fn file(&self, fd: u32) -> Result<&File, HostIoError<super::FatalError>> {
        self.files
            .get(&fd)
            .ok_or(HostIoError::Errno(HostIoErrno::EBADF))
    }
}

/// gdb's File-I/O errno values, from the host's.
fn io_error<E>(e: std::io::Error) -> HostIoError<E> {
    let errno = match e.raw_os_error().unwrap_or(0) {
        libc::EPERM => HostIoErrno::EPERM,
        libc::ENOENT => HostIoErrno::ENOENT,
        libc::EINTR => HostIoErrno::EINTR,
        libc::EIO => HostIoErrno::EIO,
        libc::EBADF => HostIoErrno::EBADF,
        libc::EACCES => HostIoErrno::EACCES,
        libc::EFAULT => HostIoErrno::EFAULT,
        libc::EBUSY => HostIoErrno::EBUSY,
        libc::EEXIST => HostIoErrno::EEXIST,
        libc::ENODEV => HostIoErrno::ENODEV,
        libc::ENOTDIR => HostIoErrno::ENOTDIR,
        libc::EISDIR => HostIoErrno::EISDIR,
        libc::EINVAL => HostIoErrno::EINVAL,
        libc::ENFILE => HostIoErrno::ENFILE,
        libc::EMFILE => HostIoErrno::EMFILE,
        libc::EFBIG => HostIoErrno::EFBIG,
        libc::ENOSPC => HostIoErrno::ENOSPC,
        libc::ESPIPE => HostIoErrno::ESPIPE,
        libc::EROFS => HostIoErrno::EROFS,
        libc::ENAMETOOLONG => HostIoErrno::ENAMETOOLONG,
        _ => HostIoErrno::EUNKNOWN,
    };
    HostIoError::Errno(errno)
}

impl HostIo for DebugTarget {
    fn support_open(&mut self) -> Option<HostIoOpenOps<'_, Self>> {
        Some(self)
    }
    fn support_close(&mut self) -> Option<HostIoCloseOps<'_, Self>> {
        Some(self)
    }
    fn support_pread(&mut self) -> Option<HostIoPreadOps<'_, Self>> {
        Some(self)
    }
    fn support_pwrite(&mut self) -> Option<HostIoPwriteOps<'_, Self>> {
        Some(self)
    }
    fn support_fstat(&mut self) -> Option<HostIoFstatOps<'_, Self>> {
        Some(self)
    }
    fn support_unlink(&mut self) -> Option<HostIoUnlinkOps<'_, Self>> {
        Some(self)
    }
    fn support_readlink(&mut self) -> Option<HostIoReadlinkOps<'_, Self>> {
        Some(self)
    }
    fn support_setfs(&mut self) -> Option<HostIoSetfsOps<'_, Self>> {
        Some(self)
    }
}

impl HostIoOpen for DebugTarget {
    fn open(
        &mut self,
        filename: &[u8],
        flags: HostIoOpenFlags,
        mode: HostIoOpenMode,
    ) -> HostIoResult<u32, Self> {
        let access = flags.bits() & 0b11;
        let mut options = OpenOptions::new();
        options
            .read(access == 0 || access == 2)
            .write(access == 1 || access == 2)
            .append(flags.contains(HostIoOpenFlags::O_APPEND))
            .truncate(flags.contains(HostIoOpenFlags::O_TRUNC))
            .mode(mode.bits() & 0o7777);
        if flags.contains(HostIoOpenFlags::O_CREAT) {
            if flags.contains(HostIoOpenFlags::O_EXCL) {
                options.create_new(true);
            } else {
                options.create(true);
            }
        }
        let file = options
            .open(self.host_files.resolve(filename))
            .map_err(io_error)?;
        let files = &mut self.host_files;
        let fd = files.next_fd;
        files.next_fd = files.next_fd.wrapping_add(1);
        files.files.insert(fd, file);
        Ok(fd)
    }
}

impl HostIoClose for DebugTarget {
    fn close(&mut self, fd: u32) -> HostIoResult<(), Self> {
        self.host_files
            .files
            .remove(&fd)
            .map(drop)
            .ok_or(HostIoError::Errno(HostIoErrno::EBADF))
    }
}

impl HostIoPread for DebugTarget {
    fn pread(
        &mut self,
        fd: u32,
        count: usize,
        offset: u64,
        buf: &mut [u8],
    ) -> HostIoResult<usize, Self> {
        let n = count.min(buf.len());
        self.host_files
            .file(fd)?
            .read_at(&mut buf[..n], offset)
            .map_err(io_error)
    }
}

impl HostIoPwrite for DebugTarget {
    fn pwrite(&mut self, fd: u32, offset: u64, data: &[u8]) -> HostIoResult<u64, Self> {
        let n = self
            .host_files
            .file(fd)?
            .write_at(data, offset)
            .map_err(io_error)?;
        Ok(n as u64)
    }
}

impl HostIoFstat for DebugTarget {
    fn fstat(&mut self, fd: u32) -> HostIoResult<HostIoStat, Self> {
        let meta = self.host_files.file(fd)?.metadata().map_err(io_error)?;
        Ok(HostIoStat {
            st_dev: meta.dev() as u32,
            st_ino: meta.ino() as u32,
            st_mode: HostIoOpenMode::from_bits_truncate(meta.mode()),
            st_nlink: meta.nlink() as u32,
            st_uid: meta.uid(),
            st_gid: meta.gid(),
            st_rdev: meta.rdev() as u32,
            st_size: meta.size(),
            st_blksize: meta.blksize(),
            st_blocks: meta.blocks(),
            st_atime: meta.atime() as u32,
            st_mtime: meta.mtime() as u32,
            st_ctime: meta.ctime() as u32,
        })
    }
}

impl HostIoUnlink for DebugTarget {
    fn unlink(&mut self, filename: &[u8]) -> HostIoResult<(), Self> {
        std::fs::remove_file(self.host_files.resolve(filename)).map_err(io_error)
    }
}

impl HostIoReadlink for DebugTarget {
    fn readlink(&mut self, filename: &[u8], buf: &mut [u8]) -> HostIoResult<usize, Self> {
        use std::os::unix::ffi::OsStrExt;
        let target = std::fs::read_link(self.host_files.resolve(filename)).map_err(io_error)?;
        let bytes = target.as_os_str().as_bytes();
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }
}

impl HostIoSetfs for DebugTarget {
    fn setfs(&mut self, fs: FsKind) -> HostIoResult<(), Self> {
        self.host_files.fs_pid = match fs {
            FsKind::Stub => None,
            FsKind::Pid(pid) => Some(pid.get() as u32),
        };
        Ok(())
    }
}
