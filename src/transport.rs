//! Where the remote protocol flows: a TCP listener that accepts gdb, or the
//! server's own stdin/stdout (`-` / `stdio`, for `target remote | rgdbserver - prog`).
//!
//! Parsing of the COMM argument lives here too, with gdbserver's conventions:
//! `HOST:PORT`, `:PORT` (loopback only, unlike gdbserver), `[::1]:PORT`,
//! optional `tcp:`/`tcp4:`/`tcp6:` prefixes, `-` and `stdio`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

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
    #[error("{0}: serial devices are not supported yet")]
    SerialUnsupported(String),
}

fn describe_bind_error(err: &io::Error) -> String {
    match err.kind() {
        // gdbserver's exact wording: GDB's test harness retries another port on it.
        io::ErrorKind::AddrInUse => "Address already in use".to_string(),
        _ => {
            let text = err.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_string()
        }
    }
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
    Serial(String),
}

impl Comm {
    pub fn parse(comm: &str) -> Result<Comm, TransportError> {
        if comm == "-" || comm == "stdio" {
            return Ok(Comm::Stdio);
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
    Stdio { used: bool },
}

impl Listener {
    /// Bind (for TCP) and announce as gdbserver does.
    pub fn open(comm: &Comm) -> Result<Listener, TransportError> {
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
            Comm::Stdio => Ok(Listener::Stdio { used: false }),
            Comm::Serial(path) => Err(TransportError::SerialUnsupported(path.clone())),
        }
    }

    pub fn is_stdio(&self) -> bool {
        matches!(self, Listener::Stdio { .. })
    }

    /// Wait for gdb. Stdio can be "accepted" only once.
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

/// One connection to gdb: a byte stream we poll, read and write.
pub struct Connection {
    input: File,
    output: File,
}

impl Connection {
    fn tcp(stream: TcpStream) -> Result<Connection, TransportError> {
        let output: OwnedFd = stream.try_clone()?.into();
        let input: OwnedFd = stream.into();
        Ok(Connection {
            input: input.into(),
            output: output.into(),
        })
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

    /// Read what is available (call after poll said readable). Ok(0) is EOF.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.input.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
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
        assert_eq!(
            Comm::parse("/dev/ttyS1").unwrap(),
            Comm::Serial("/dev/ttyS1".into())
        );
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
    fn bind_error_wording_matches_gdbserver() {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        let comm = Comm::parse(&format!("127.0.0.1:{port}")).unwrap();
        let err = Listener::open(&comm).err().unwrap().to_string();
        assert_eq!(err, "Can't bind address: Address already in use.");
    }
}
