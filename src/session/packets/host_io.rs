//! The Host I/O (`vFile:`) packets our layer answers; gdbstub answers the
//! rest (open, close, pwrite, fstat, unlink, readlink, setfs) on
//! `stub::host_io`, which keeps the open files.
//!
//! `vFile:stat:FILENAME` and `vFile:lstat:FILENAME`: gdb 16 and later ask
//! them before opening files through the server (gdbstub answers them
//! empty, so gdb fell back to slower probes). The filename is hex; it
//! resolves like every Host I/O path (after `vFile:setfs`, in that
//! process's view), through `DebugTarget::host_stat`; the host's metadata
//! becomes the wire's `FileStat` here.
//!
//! `vFile:pread:FD,COUNT,OFFSET`: the reads of the program and its
//! libraries (see `protocol::host_io` for why it and `vFile:pwrite` are
//! ours), sized by `DebugTarget::host_pread`'s read-ahead rule and never
//! past what one reply can carry.

use std::os::unix::fs::MetadataExt;

use crate::protocol::hex;
use crate::protocol::host_io;
use crate::protocol::host_stat::{error_reply, stat_reply, FileStat};
use crate::protocol::memory::MAX_READ;
use crate::protocol::reply::Reply;
use crate::stub::DebugTarget;

/// gdb's File-I/O EINVAL: a filename that is not hex.
const FILEIO_EINVAL: u32 = 22;

pub(in crate::session) fn stat(target: &DebugTarget, follow_links: bool, filename: &[u8]) -> Reply {
    let Some(name) = hex::decode(filename) else {
        return Reply::Data(error_reply(FILEIO_EINVAL));
    };
    Reply::Data(match target.host_stat(&name, follow_links) {
        Ok(meta) => stat_reply(&file_stat(&meta)),
        Err(errno) => error_reply(errno),
    })
}

/// `vFile:pread:` and what follows it.
pub(in crate::session) fn pread(target: &mut DebugTarget, args: &[u8]) -> Reply {
    let Some(request) = host_io::parse(args) else {
        return Reply::Data(error_reply(FILEIO_EINVAL));
    };
    // Escaping can double the bytes: a reply stays within PacketSize.
    let count = request.count.min(MAX_READ);
    Reply::Data(match target.host_pread(request.fd, count, request.offset) {
        Ok(data) => host_io::reply(&data),
        Err(errno) => error_reply(errno),
    })
}

/// `vFile:pwrite:` and what follows it.
pub(in crate::session) fn pwrite(target: &mut DebugTarget, args: &[u8]) -> Reply {
    let Some(request) = host_io::parse_pwrite(args) else {
        return Reply::Data(error_reply(FILEIO_EINVAL));
    };
    Reply::Data(
        match target.host_pwrite(request.fd, request.offset, &request.data) {
            Ok(written) => host_io::pwrite_reply(written),
            Err(errno) => error_reply(errno),
        },
    )
}

fn file_stat(meta: &std::fs::Metadata) -> FileStat {
    FileStat {
        dev: meta.dev(),
        ino: meta.ino(),
        mode: meta.mode(),
        nlink: meta.nlink(),
        uid: meta.uid(),
        gid: meta.gid(),
        rdev: meta.rdev(),
        size: meta.size(),
        blksize: meta.blksize(),
        blocks: meta.blocks(),
        times: [meta.atime(), meta.mtime(), meta.ctime()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::framing::unescape_binary;
    use crate::protocol::host_stat::encode_stat;
    use crate::stub::TargetConfig;

    fn hex_name(path: &std::path::Path) -> Vec<u8> {
        let mut out = Vec::new();
        hex::encode_into(path.to_str().unwrap().as_bytes(), &mut out);
        out
    }

    #[test]
    fn stat_follows_links_and_lstat_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"12345").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let target = DebugTarget::new(TargetConfig::default());
        let size_of = |follow: bool, path: &std::path::Path| {
            let Reply::Data(reply) = stat(&target, follow, &hex_name(path)) else {
                panic!("no data");
            };
            let raw = unescape_binary(reply.strip_prefix(b"F40;").unwrap()).unwrap();
            assert_eq!(raw.len(), 64);
            u64::from_be_bytes(raw[28..36].try_into().unwrap())
        };
        assert_eq!(size_of(true, &file), 5);
        assert_eq!(size_of(true, &link), 5);
        let target_len = file.to_str().unwrap().len() as u64;
        assert_eq!(size_of(false, &link), target_len);
        // The whole struct is what the host said.
        let meta = std::fs::metadata(&file).unwrap();
        let Reply::Data(reply) = stat(&target, true, &hex_name(&file)) else {
            panic!("no data");
        };
        assert_eq!(
            unescape_binary(&reply[4..]).unwrap(),
            encode_stat(&file_stat(&meta))
        );
    }

    #[test]
    fn errors_are_fileio_errnos() {
        let dir = tempfile::tempdir().unwrap();
        let target = DebugTarget::new(TargetConfig::default());
        let missing = dir.path().join("missing");
        assert_eq!(
            stat(&target, true, &hex_name(&missing)),
            Reply::Data(b"F-1,2".to_vec())
        );
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        assert_eq!(
            stat(&target, false, &hex_name(&file.join("below"))),
            Reply::Data(b"F-1,14".to_vec())
        );
        assert_eq!(stat(&target, true, b"zz"), Reply::Data(b"F-1,16".to_vec()));
    }
}
