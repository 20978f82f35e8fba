//! Where the remote protocol flows: a TCP or Unix-domain socket that gdb
//! connects to, a serial device, or the server's own stdin/stdout (`-` /
//! `stdio`, for `target remote | rgdbserver - prog`).
//!
//! Parsing of the COMM argument lives here too, with gdbserver's conventions:
//! `HOST:PORT`, `:PORT` (loopback only, unlike gdbserver), `[::1]:PORT`,
//! optional `tcp:`/`tcp4:`/`tcp6:` prefixes, `-` and `stdio`; anything else
//! (and any absolute path, colons or not) is a serial device. `unix:PATH`
//! listens on a Unix-domain socket, which gdbserver does not offer.
//!
//! A serial line has no end-of-file when gdb goes away: the session ends with
//! gdb's `D` or `k`, or when reads fail (a pty whose master side closed reads
//! EIO, which counts as the connection lost). Each accept after the first
//! reopens the device, as gdbserver does.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::termios::{self, BaudRate, ControlFlags, SetArg};

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("{comm}: cannot resolve name: {reason}")]
    Resolve { comm: String, reason: String },
    #[error("{comm}: bad port number")]
    BadPort { comm: String },
    #[error("Can't bind address: {}.", describe_bind_error(.0))]
    Bind(io::Error),
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Opening or configuring a serial device failed (gdbserver's wording:
    /// the path, then the reason).
    #[error("{path}: {}.", os_message(.source))]
    Device { path: String, source: io::Error },
    #[error("{0}: unsupported baud rate")]
    BadBaud(u32),
    #[error("{}: exists and is not a socket; not replacing it", .0.display())]
    NotASocket(PathBuf),
    #[error("unix: needs a socket path, as in unix:/tmp/gdb.sock")]
    NoSocketPath,
}

/// An io::Error's message without Rust's " (os error N)" suffix.
fn os_message(err: &io::Error) -> String {
    let text = err.to_string();
    text.split(" (os error").next().unwrap_or(&text).to_string()
}

fn describe_bind_error(err: &io::Error) -> String {
    match err.kind() {
        // gdbserver's exact wording: GDB's test harness retries another port on it.
        io::ErrorKind::AddrInUse => "Address already in use".to_string(),
        _ => os_message(err),
    }
}

/// The line speeds `--baud` accepts: the ones Linux's termios can name.
const BAUD_RATES: &[(u32, BaudRate)] = &[
    (50, BaudRate::B50),
    (75, BaudRate::B75),
    (110, BaudRate::B110),
    (134, BaudRate::B134),
    (150, BaudRate::B150),
    (200, BaudRate::B200),
    (300, BaudRate::B300),
    (600, BaudRate::B600),
    (1200, BaudRate::B1200),
    (1800, BaudRate::B1800),
    (2400, BaudRate::B2400),
    (4800, BaudRate::B4800),
    (9600, BaudRate::B9600),
    (19200, BaudRate::B19200),
    (38400, BaudRate::B38400),
    (57600, BaudRate::B57600),
    (115200, BaudRate::B115200),
    (230400, BaudRate::B230400),
    (460800, BaudRate::B460800),
    (500000, BaudRate::B500000),
    (576000, BaudRate::B576000),
    (921600, BaudRate::B921600),
    (1000000, BaudRate::B1000000),
    (1152000, BaudRate::B1152000),
    (1500000, BaudRate::B1500000),
    (2000000, BaudRate::B2000000),
    (2500000, BaudRate::B2500000),
    (3000000, BaudRate::B3000000),
    (3500000, BaudRate::B3500000),
    (4000000, BaudRate::B4000000),
];

/// The termios speed for `bits_per_second`, if it is a standard one.
pub fn baud_rate(bits_per_second: u32) -> Option<BaudRate> {
    BAUD_RATES
        .iter()
        .find(|(n, _)| *n == bits_per_second)
        .map(|(_, rate)| *rate)
}

/// The parsed COMM argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comm {
    /// Listen on this address; `explicit_host` is false for `:PORT`.
    Tcp {
        addr: SocketAddr,
        explicit_host: bool,
    },
    Stdio,
    /// A serial device such as /dev/ttyS1 or /dev/pts/3.
    Serial(String),
    /// `unix:PATH`: listen on a Unix-domain socket at PATH.
    Unix(PathBuf),
}

impl Comm {
    pub fn parse(comm: &str) -> Result<Comm, TransportError> {
        if comm == "-" || comm == "stdio" {
            return Ok(Comm::Stdio);
        }
        if let Some(path) = comm.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(TransportError::NoSocketPath);
            }
            return Ok(Comm::Unix(PathBuf::from(path)));
        }
        // No host name starts with '/', while device paths may hold colons
        // (/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0).
        if comm.starts_with('/') {
            return Ok(Comm::Serial(comm.to_string()));
        }
        let rest = ["tcp:", "tcp4:", "tcp6:"]
            .iter()
            .find_map(|prefix| comm.strip_prefix(prefix))
            .unwrap_or(comm);
        let Some((host, port)) = rest.rsplit_once(':') else {
            return Ok(Comm::Serial(comm.to_string()));
        };
        let port: u16 = port.parse().map_err(|_| TransportError::BadPort {
            comm: comm.to_string(),
        })?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
            return Ok(Comm::Tcp {
                addr,
                explicit_host: false,
            });
        }
        let resolve_error = |reason: String| TransportError::Resolve {
            comm: comm.to_string(),
            reason,
        };
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| resolve_error(e.to_string()))?
            .next()
            .ok_or_else(|| resolve_error("no address".to_string()))?;
        Ok(Comm::Tcp {
            addr,
            explicit_host: true,
        })
    }
}

/// A listening endpoint that hands out connections.
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixSocket),
    Serial(SerialLine),
    Stdio { used: bool },
}

impl Listener {
    /// Bind (for sockets) or open (for a serial device, at `baud` bits per
    /// second if given) and announce as gdbserver does.
    pub fn open(comm: &Comm, baud: Option<u32>) -> Result<Listener, TransportError> {
        if baud.is_some() && !matches!(comm, Comm::Serial(_)) {
            eprintln!("--baud applies to serial devices only; ignoring it.");
        }
        match comm {
            Comm::Tcp {
                addr,
                explicit_host,
            } => {
                let listener = TcpListener::bind(addr).map_err(TransportError::Bind)?;
                let port = listener.local_addr()?.port();
                if !explicit_host {
                    eprintln!(
                        "Listening on 127.0.0.1 only (loopback); use 0.0.0.0:{port} to listen on all interfaces."
                    );
                }
                eprintln!("Listening on port {port}");
                Ok(Listener::Tcp(listener))
            }
            Comm::Unix(path) => {
                let socket = UnixSocket::bind(path)?;
                eprintln!("Listening on Unix socket {}", path.display());
                Ok(Listener::Unix(socket))
            }
            Comm::Serial(path) => {
                let baud = baud
                    .map(|n| baud_rate(n).ok_or(TransportError::BadBaud(n)))
                    .transpose()?;
                let first = open_serial(path, baud)?;
                Ok(Listener::Serial(SerialLine {
                    path: path.clone(),
                    baud,
                    first: Some(first),
                }))
            }
            Comm::Stdio => Ok(Listener::Stdio { used: false }),
        }
    }

    pub fn is_stdio(&self) -> bool {
        matches!(self, Listener::Stdio { .. })
    }

    /// What to poll for an incoming connection: the listening socket, or
    /// None when `accept` does not wait (serial, stdio).
    pub fn accept_fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Listener::Tcp(listener) => Some(listener.as_fd()),
            Listener::Unix(socket) => Some(socket.listener.as_fd()),
            Listener::Serial(_) | Listener::Stdio { .. } => None,
        }
    }

    /// Wait for gdb. Stdio can be "accepted" only once; a serial device is
    /// reopened for every connection after the first.
    pub fn accept(&mut self) -> Result<Connection, TransportError> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, peer) = listener.accept()?;
                stream.set_nodelay(true)?;
                eprintln!(
                    "Remote debugging from host {}, port {}",
                    peer.ip(),
                    peer.port()
                );
                Connection::tcp(stream)
            }
            Listener::Unix(socket) => {
                let (stream, _) = socket.listener.accept()?;
                eprintln!(
                    "Remote debugging using Unix socket {}",
                    socket.path.display()
                );
                Connection::unix(stream)
            }
            Listener::Serial(line) => {
                let file = match line.first.take() {
                    Some(file) => file,
                    None => open_serial(&line.path, line.baud)?,
                };
                eprintln!("Remote debugging using {}", line.path);
                Connection::serial(file)
            }
            Listener::Stdio { used } => {
                if *used {
                    return Err(TransportError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "stdio connection already closed",
                    )));
                }
                *used = true;
                eprintln!("Remote debugging using stdio");
                Connection::stdio()
            }
        }
    }
}

/// A serial device given as COMM.
pub struct SerialLine {
    path: String,
    baud: Option<BaudRate>,
    /// Opened by `Listener::open` (so a bad path fails at once), used by the
    /// first accept.
    first: Option<File>,
}

/// Open a serial device for the protocol: raw 8-bit bytes, no echo, no line
/// editing, modem lines ignored; speed set only when asked.
fn open_serial(path: &str, baud: Option<BaudRate>) -> Result<File, TransportError> {
    let device_error = |source: io::Error| TransportError::Device {
        path: path.to_string(),
        source,
    };
    let nix_error = |e: nix::Error| device_error(e.into());
    // O_NONBLOCK so a modem line without carrier does not block the open;
    // CLOCAL below makes later reads independent of carrier, and the fd is
    // made blocking again.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(device_error)?;
    let mut settings = termios::tcgetattr(&file).map_err(nix_error)?;
    termios::cfmakeraw(&mut settings);
    settings.control_flags |= ControlFlags::CLOCAL | ControlFlags::CREAD;
    if let Some(baud) = baud {
        termios::cfsetspeed(&mut settings, baud).map_err(nix_error)?;
    }
    termios::tcsetattr(&file, SetArg::TCSANOW, &settings).map_err(nix_error)?;
    let flags = OFlag::from_bits_truncate(fcntl(&file, FcntlArg::F_GETFL).map_err(nix_error)?);
    fcntl(&file, FcntlArg::F_SETFL(flags - OFlag::O_NONBLOCK)).map_err(nix_error)?;
    Ok(file)
}

/// A listening Unix-domain socket; its file is removed when this is dropped,
/// unless something else has replaced it meanwhile.
pub struct UnixSocket {
    listener: UnixListener,
    path: PathBuf,
    /// Device and inode of the socket file we created.
    identity: (u64, u64),
}

impl UnixSocket {
    /// Bind at `path`. An existing socket file nobody listens on (left by a
    /// server that was killed) is replaced; a live one or any other kind of
    /// file is left alone and reported.
    fn bind(path: &Path) -> Result<UnixSocket, TransportError> {
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => match UnixStream::connect(path) {
                Ok(_) => {
                    return Err(TransportError::Bind(io::ErrorKind::AddrInUse.into()));
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    fs::remove_file(path).map_err(TransportError::Bind)?;
                }
                Err(e) => return Err(TransportError::Bind(e)),
            },
            Ok(_) => return Err(TransportError::NotASocket(path.to_path_buf())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(TransportError::Bind(e)),
        }
        let listener = UnixListener::bind(path).map_err(TransportError::Bind)?;
        let meta = fs::symlink_metadata(path)?;
        Ok(UnixSocket {
            listener,
            path: path.to_path_buf(),
            identity: (meta.dev(), meta.ino()),
        })
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let ours = fs::symlink_metadata(&self.path)
            .is_ok_and(|meta| (meta.dev(), meta.ino()) == self.identity);
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// One connection to gdb: a byte stream we poll, read and write.
pub struct Connection {
    input: File,
    output: File,
}

impl Connection {
    fn from_fd(fd: OwnedFd) -> Result<Connection, TransportError> {
        let output = fd.try_clone()?;
        Ok(Connection {
            input: fd.into(),
            output: output.into(),
        })
    }

    fn tcp(stream: TcpStream) -> Result<Connection, TransportError> {
        Connection::from_fd(stream.into())
    }

    fn unix(stream: UnixStream) -> Result<Connection, TransportError> {
        Connection::from_fd(stream.into())
    }

    fn serial(device: File) -> Result<Connection, TransportError> {
        Connection::from_fd(device.into())
    }

    fn stdio() -> Result<Connection, TransportError> {
        let input = io::stdin().as_fd().try_clone_to_owned()?;
        let output = io::stdout().as_fd().try_clone_to_owned()?;
        Ok(Connection {
            input: input.into(),
            output: output.into(),
        })
    }

    pub fn input_fd(&self) -> BorrowedFd<'_> {
        self.input.as_fd()
    }

    /// Read what is available (call after poll said readable). Ok(0) is EOF,
    /// and so is EIO: a serial pty whose other side closed reads that.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.input.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::EIO) => return Ok(0),
                other => return other,
            }
        }
    }

    pub fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.output.write_all(data)?;
        self.output.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_only_is_loopback() {
        let comm = Comm::parse(":1234").unwrap();
        assert_eq!(
            comm,
            Comm::Tcp {
                addr: "127.0.0.1:1234".parse().unwrap(),
                explicit_host: false
            }
        );
    }

    #[test]
    fn explicit_hosts() {
        for (text, addr) in [
            ("0.0.0.0:5", "0.0.0.0:5"),
            ("127.0.0.1:0", "127.0.0.1:0"),
            ("[::1]:7", "[::1]:7"),
            ("::1:7", "[::1]:7"),
            ("tcp:127.0.0.1:9", "127.0.0.1:9"),
        ] {
            assert_eq!(
                Comm::parse(text).unwrap(),
                Comm::Tcp {
                    addr: addr.parse().unwrap(),
                    explicit_host: true
                },
                "{text}"
            );
        }
    }

    #[test]
    fn stdio_serial_and_errors() {
        assert_eq!(Comm::parse("-").unwrap(), Comm::Stdio);
        assert_eq!(Comm::parse("stdio").unwrap(), Comm::Stdio);
        assert!(matches!(
            Comm::parse(":99999"),
            Err(TransportError::BadPort { .. })
        ));
        let err = Comm::parse("garbage.invalid:1234:5")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot resolve name"), "{err}");
    }

    #[test]
    fn device_paths_are_serial() {
        for path in [
            "/dev/ttyS1",
            "/dev/pts/3",
            "ttyUSB0",
            // Colons in an absolute path do not make it HOST:PORT.
            "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0",
        ] {
            assert_eq!(Comm::parse(path).unwrap(), Comm::Serial(path.into()));
        }
    }

    #[test]
    fn unix_socket_paths() {
        assert_eq!(
            Comm::parse("unix:/tmp/gdb.sock").unwrap(),
            Comm::Unix("/tmp/gdb.sock".into())
        );
        assert_eq!(
            Comm::parse("unix:rel/sock:1").unwrap(),
            Comm::Unix("rel/sock:1".into())
        );
        assert!(matches!(
            Comm::parse("unix:"),
            Err(TransportError::NoSocketPath)
        ));
    }

    #[test]
    fn baud_rates() {
        assert_eq!(baud_rate(9600), Some(BaudRate::B9600));
        assert_eq!(baud_rate(115200), Some(BaudRate::B115200));
        assert_eq!(baud_rate(12345), None);
        assert_eq!(baud_rate(0), None);
    }

    fn unix_listener(path: &Path) -> Result<Listener, TransportError> {
        Listener::open(&Comm::Unix(path.to_path_buf()), None)
    }

    #[test]
    fn unix_socket_is_removed_on_drop_and_stale_ones_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sock");
        let listener = unix_listener(&path).unwrap();
        assert!(path.exists());
        // A live socket is not taken over.
        let err = unix_listener(&path).err().unwrap().to_string();
        assert_eq!(err, "Can't bind address: Address already in use.");
        drop(listener);
        assert!(!path.exists());
        // A socket file nobody listens on (std leaves it behind) is stale.
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let mut listener = unix_listener(&path).unwrap();
        let client = UnixStream::connect(&path).unwrap();
        assert!(listener.accept_fd().is_some());
        let mut conn = listener.accept().unwrap();
        (&client).write_all(b"+").unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(conn.read(&mut buf).unwrap(), 1);
        // A file that replaced ours is not ours to remove.
        fs::remove_file(&path).unwrap();
        fs::write(&path, "new").unwrap();
        drop(listener);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn unix_socket_never_replaces_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        fs::write(&path, "keep me").unwrap();
        let err = unix_listener(&path).err().unwrap();
        assert!(matches!(err, TransportError::NotASocket(_)), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "keep me");
    }

    #[test]
    fn serial_pty_is_raw_at_the_asked_speed_and_eio_is_eof() {
        use nix::sys::termios::{cfgetospeed, LocalFlags};
        let pty = nix::pty::openpty(None, None).unwrap();
        let path = nix::unistd::ttyname(&pty.slave).unwrap();
        let comm = Comm::parse(path.to_str().unwrap()).unwrap();
        let mut listener = Listener::open(&comm, Some(9600)).unwrap();
        let settings = termios::tcgetattr(&pty.slave).unwrap();
        assert_eq!(cfgetospeed(&settings), BaudRate::B9600);
        assert!(!settings
            .local_flags
            .intersects(LocalFlags::ECHO | LocalFlags::ICANON));
        assert!(listener.accept_fd().is_none());
        let mut conn = listener.accept().unwrap();
        let mut master = File::from(pty.master);
        master.write_all(b"$?#3f").unwrap();
        let mut buf = [0u8; 16];
        let n = conn.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"$?#3f");
        conn.write_all(b"+").unwrap();
        let n = master.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"+");
        drop(master);
        assert_eq!(conn.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn serial_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("ttyNone");
        let comm = Comm::Serial(missing.to_str().unwrap().into());
        let err = Listener::open(&comm, None).err().unwrap().to_string();
        assert_eq!(
            err,
            format!("{}: No such file or directory.", missing.display())
        );
        let plain = dir.path().join("plain");
        fs::write(&plain, "").unwrap();
        let comm = Comm::Serial(plain.to_str().unwrap().into());
        let err = Listener::open(&comm, None).err().unwrap().to_string();
        assert!(err.ends_with("Inappropriate ioctl for device."), "{err}");
        let pty = nix::pty::openpty(None, None).unwrap();
        let path = nix::unistd::ttyname(&pty.slave).unwrap();
        let comm = Comm::Serial(path.to_str().unwrap().into());
        let err = Listener::open(&comm, Some(12345)).err().unwrap();
        assert!(matches!(err, TransportError::BadBaud(12345)), "{err}");
    }

    #[test]
    fn bind_error_wording_matches_gdbserver() {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        let comm = Comm::parse(&format!("127.0.0.1:{port}")).unwrap();
        let err = Listener::open(&comm, None).err().unwrap().to_string();
        assert_eq!(err, "Can't bind address: Address already in use.");
    }
}
