//! The replies to `vFile:stat:FILENAME` and `vFile:lstat:FILENAME` (gdb 16
//! and later ask for them; gdbstub 0.7 does not know them). The attachment
//! is the File-I/O appendix's `struct stat`: 64 bytes, every field
//! big-endian, the 32-bit fields truncated from the host's wider ones, the
//! mode in gdb's File-I/O bits (regular file, directory, character device
//! and the permission bits; other kinds of file carry no type, as GNU
//! gdbserver sends them). Pure: the session fills a `FileStat` from the
//! host's metadata.

use super::framing::escape_binary;

/// The size of the File-I/O `struct stat`.
pub const STAT_SIZE: usize = 64;

/// gdb's File-I/O mode bits (`FILEIO_S_*`).
const FILEIO_S_IFREG: u32 = 0o100000;
const FILEIO_S_IFDIR: u32 = 0o040000;
const FILEIO_S_IFCHR: u32 = 0o020000;
const PERMISSIONS: u32 = 0o777;

/// The host's file-type bits.
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFCHR: u32 = 0o020000;

/// What `stat` said about a file, in the host's widths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStat {
    pub dev: u64,
    pub ino: u64,
    /// The host's `st_mode`.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    /// Access, modification and status-change times, in seconds.
    pub times: [i64; 3],
}

/// The host's `st_mode` in gdb's File-I/O bits.
pub fn fileio_mode(host: u32) -> u32 {
    let kind = match host & S_IFMT {
        S_IFREG => FILEIO_S_IFREG,
        S_IFDIR => FILEIO_S_IFDIR,
        S_IFCHR => FILEIO_S_IFCHR,
        _ => 0,
    };
    kind | (host & PERMISSIONS)
}

/// The 64-byte File-I/O `struct stat` of `stat`.
pub fn encode_stat(stat: &FileStat) -> [u8; STAT_SIZE] {
    let mut out = [0u8; STAT_SIZE];
    let narrow = |v: u64| (v as u32).to_be_bytes();
    let fields32 = [
        narrow(stat.dev),
        narrow(stat.ino),
        fileio_mode(stat.mode).to_be_bytes(),
        narrow(stat.nlink),
        stat.uid.to_be_bytes(),
        stat.gid.to_be_bytes(),
        narrow(stat.rdev),
    ];
    for (i, field) in fields32.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(field);
    }
    for (i, field) in [stat.size, stat.blksize, stat.blocks].iter().enumerate() {
        out[28 + i * 8..36 + i * 8].copy_from_slice(&field.to_be_bytes());
    }
    for (i, time) in stat.times.iter().enumerate() {
        out[52 + i * 4..56 + i * 4].copy_from_slice(&narrow(*time as u64));
    }
    out
}

/// `F40;` and the escaped struct: the reply to a `stat` that succeeded.
pub fn stat_reply(stat: &FileStat) -> Vec<u8> {
    let mut reply = format!("F{STAT_SIZE:x};").into_bytes();
    escape_binary(&encode_stat(stat), &mut reply);
    reply
}

/// `F-1,ERRNO`: a failed Host I/O request, with gdb's File-I/O errno
/// (hex, as every Host I/O number).
pub fn error_reply(fileio_errno: u32) -> Vec<u8> {
    format!("F-1,{fileio_errno:x}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::framing::unescape_binary;

    fn sample() -> FileStat {
        FileStat {
            dev: 0xfe00,
            ino: 0x1_0000_0002, // wider than the field: the low 32 bits go
            mode: 0o100644,
            nlink: 1,
            uid: 1000,
            gid: 100,
            rdev: 0,
            size: 0x0102_0304_0506_0708,
            blksize: 4096,
            blocks: 8,
            times: [0x2324_2526, 0x2a, 0x7d],
        }
    }

    #[test]
    fn fields_are_big_endian_at_their_offsets() {
        let raw = encode_stat(&sample());
        assert_eq!(&raw[0..4], &[0, 0, 0xfe, 0]);
        assert_eq!(&raw[4..8], &[0, 0, 0, 2]);
        assert_eq!(&raw[8..12], &0o100644u32.to_be_bytes());
        assert_eq!(&raw[12..16], &[0, 0, 0, 1]);
        assert_eq!(&raw[16..20], &1000u32.to_be_bytes());
        assert_eq!(&raw[20..24], &100u32.to_be_bytes());
        assert_eq!(&raw[24..28], &[0; 4]);
        assert_eq!(&raw[28..36], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&raw[36..44], &4096u64.to_be_bytes());
        assert_eq!(&raw[44..52], &8u64.to_be_bytes());
        assert_eq!(&raw[52..56], &[0x23, 0x24, 0x25, 0x26]);
        assert_eq!(&raw[56..60], &[0, 0, 0, 0x2a]);
        assert_eq!(&raw[60..64], &[0, 0, 0, 0x7d]);
    }

    #[test]
    fn reply_is_size_and_escaped_struct() {
        let reply = stat_reply(&sample());
        assert!(reply.starts_with(b"F40;"));
        // The times hold '#', '$', '*' and '}': each is escaped.
        let attachment = &reply[4..];
        assert_eq!(attachment.len(), STAT_SIZE + 4);
        assert!(!attachment.iter().any(|b| matches!(b, b'#' | b'$' | b'*')));
        assert_eq!(unescape_binary(attachment).unwrap(), encode_stat(&sample()));
    }

    #[test]
    fn modes_in_fileio_bits() {
        assert_eq!(fileio_mode(0o100755), 0o100755);
        assert_eq!(fileio_mode(0o040700), 0o040700);
        assert_eq!(fileio_mode(0o020620), 0o020620);
        // A symbolic link (lstat), a socket, setuid: no type, permissions only.
        assert_eq!(fileio_mode(0o120777), 0o777);
        assert_eq!(fileio_mode(0o140755), 0o755);
        assert_eq!(fileio_mode(0o104755), 0o100755);
    }

    #[test]
    fn errors_in_hex() {
        assert_eq!(error_reply(2), b"F-1,2");
        assert_eq!(error_reply(20), b"F-1,14");
    }
}
