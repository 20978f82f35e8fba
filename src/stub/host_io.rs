//! vFile host I/O: gdb reads the program and its shared libraries through
//! the server (`set sysroot target:`, the default), and `info proc mappings`
//! reads /proc files. After `vFile:setfs:PID` paths resolve in that
//! process's filesystem view, through /proc/PID/root. `vFile:stat` and
//! `vFile:lstat`, which gdbstub lacks, are the session's
//! (`session::packets::host_stat`), on `DebugTarget::host_stat`'s answer.
//!
//! `vFile:pread` and `vFile:pwrite` are the session's too
//! (`session::packets::host_io`, on `host_pread`/`host_pwrite` here): they
//! carry the data, too long for gdbstub's small packet buffer.
//!
//! `vFile:pread` replies are sized for how gdb reads: it asks for a whole
//! packet's worth (1 MiB with our `PacketSize`) on every miss of its
//! one-buffer read-ahead cache, then uses a few hundred bytes of it and
//! jumps elsewhere in the file. A short read is allowed (gdb loops for the
//! rest), so a read that does not continue the last one gets
//! `PREAD_FIRST` bytes, and each read continuing where the last ended gets
//! twice as many as that one, up to what gdb asked.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use gdbstub::target::ext::host_io::{
    FsKind, HostIo, HostIoClose, HostIoCloseOps, HostIoErrno, HostIoError, HostIoFstat,
    HostIoFstatOps, HostIoOpen, HostIoOpenFlags, HostIoOpenMode, HostIoOpenOps, HostIoReadlink,
    HostIoReadlinkOps, HostIoResult, HostIoSetfs, HostIoSetfsOps, HostIoStat, HostIoUnlink,
    HostIoUnlinkOps,
};

use super::DebugTarget;

/// The size of a `vFile:pread` reply that does not continue the last read.
const PREAD_FIRST: usize = 4 * 1024;

/// How much of a `vFile:pread` to answer, from where the last read of the
/// same file ended.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ReadAhead {
    /// Where the last read ended, and how much it gave.
    end: u64,
    last: usize,
}

impl ReadAhead {
    /// The bytes to read for a request of `count` at `offset`.
    fn size(&self, count: usize, offset: u64) -> usize {
        let wanted = if self.last > 0 && offset == self.end {
            self.last.saturating_mul(2)
        } else {
            PREAD_FIRST
        };
        wanted.min(count)
    }

    /// `got` bytes were read at `offset`.
    fn record(&mut self, offset: u64, got: usize) {
        *self = ReadAhead {
            end: offset.saturating_add(got as u64),
            last: got,
        };
    }
}

struct OpenFile {
    file: File,
    read_ahead: ReadAhead,
}

/// Files gdb has open on the server, by the descriptor numbers we gave it.
#[derive(Default)]
pub struct HostFiles {
    files: HashMap<u32, OpenFile>,
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

    fn open_file(&mut self, fd: u32) -> Result<&mut OpenFile, HostIoError<super::FatalError>> {
        self.files
            .get_mut(&fd)
            .ok_or(HostIoError::Errno(HostIoErrno::EBADF))
    }

    fn file(&mut self, fd: u32) -> Result<&File, HostIoError<super::FatalError>> {
        Ok(&self.open_file(fd)?.file)
    }
}

/// gdb's File-I/O errno values, from the host's.
fn io_error<E>(e: std::io::Error) -> HostIoError<E> {
    HostIoError::Errno(fileio_errno(&e))
}

/// gdb's File-I/O errno for a host error.
fn fileio_errno(e: &std::io::Error) -> HostIoErrno {
    match e.raw_os_error().unwrap_or(0) {
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
    }
}

impl DebugTarget {
    /// `stat` (or, with `follow_links` false, `lstat`) of a file gdb names,
    /// resolved as the other Host I/O requests resolve it (after
    /// `vFile:setfs`, in that process's filesystem view). An error is gdb's
    /// File-I/O errno number.
    pub fn host_stat(&self, filename: &[u8], follow_links: bool) -> Result<std::fs::Metadata, u32> {
        let path = self.host_files.resolve(filename);
        let meta = if follow_links {
            std::fs::metadata(path)
        } else {
            std::fs::symlink_metadata(path)
        };
        meta.map_err(|e| fileio_errno(&e) as u32)
    }

    /// `vFile:pread` (answered by the session, `session::packets::host_io`):
    /// at most `count` bytes of the open file `fd` from `offset`, as many
    /// as the read-ahead rule gives. An error is gdb's File-I/O errno.
    pub fn host_pread(&mut self, fd: u32, count: usize, offset: u64) -> Result<Vec<u8>, u32> {
        let open = self
            .host_files
            .files
            .get_mut(&fd)
            .ok_or(HostIoErrno::EBADF as u32)?;
        let mut buf = vec![0; open.read_ahead.size(count, offset)];
        let got = open
            .file
            .read_at(&mut buf, offset)
            .map_err(|e| fileio_errno(&e) as u32)?;
        open.read_ahead.record(offset, got);
        buf.truncate(got);
        Ok(buf)
    }

    /// `vFile:pwrite` (answered by the session): write `data` at `offset`
    /// of the open file `fd`; the bytes written, or gdb's File-I/O errno.
    pub fn host_pwrite(&mut self, fd: u32, offset: u64, data: &[u8]) -> Result<usize, u32> {
        let open = self
            .host_files
            .files
            .get(&fd)
            .ok_or(HostIoErrno::EBADF as u32)?;
        open.file
            .write_at(data, offset)
            .map_err(|e| fileio_errno(&e) as u32)
    }
}

impl HostIo for DebugTarget {
    fn support_open(&mut self) -> Option<HostIoOpenOps<'_, Self>> {
        Some(self)
    }
    fn support_close(&mut self) -> Option<HostIoCloseOps<'_, Self>> {
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
        files.files.insert(
            fd,
            OpenFile {
                file,
                read_ahead: ReadAhead::default(),
            },
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_gets_the_first_size_and_a_run_doubles() {
        let mut ahead = ReadAhead::default();
        assert_eq!(ahead.size(1 << 20, 4096), PREAD_FIRST);
        ahead.record(4096, PREAD_FIRST);
        let next = 4096 + PREAD_FIRST as u64;
        assert_eq!(ahead.size(1 << 20, next), 2 * PREAD_FIRST);
        ahead.record(next, 2 * PREAD_FIRST);
        assert_eq!(
            ahead.size(1 << 20, next + 2 * PREAD_FIRST as u64),
            4 * PREAD_FIRST
        );
        // A jump, backwards or forwards, starts again small.
        assert_eq!(ahead.size(1 << 20, 0), PREAD_FIRST);
        assert_eq!(ahead.size(1 << 20, 1 << 30), PREAD_FIRST);
    }

    #[test]
    fn never_more_than_asked() {
        let mut ahead = ReadAhead::default();
        assert_eq!(ahead.size(100, 0), 100);
        ahead.record(0, 100);
        assert_eq!(ahead.size(150, 100), 150);
        ahead.record(100, 150);
        assert_eq!(ahead.size(usize::MAX, 250), 300);
        // End of file: nothing read, so the next read is a fresh start.
        ahead.record(250, 0);
        assert_eq!(ahead.size(1 << 20, 250), PREAD_FIRST);
    }
}
