//! What /proc and the dynamic linker say about the process, as gdb's
//! documents and queries want it: the auxiliary vector, the shared library
//! list (`qXfer:libraries-svr4`), the memory map (`qXfer:memory-map`) and
//! thread-local storage addresses (`qGetTLSAddr`, with glibc's TLS layout
//! read once per program image); and for lldb, the location of the
//! `r_debug` pointer (`qShlibInfoAddr`), the region around an address
//! (`qMemoryRegionInfo`) and the process's parent and ids (`qProcessInfo`).

use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::inferior::{auxv, elf_symbols, maps, procfs, rendezvous, svr4, tls};

use super::{Process, ProcessError};

/// A process's parent and its real and effective ids, from
/// /proc/PID/status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    pub parent: u32,
    /// Real and effective user id.
    pub uids: (u32, u32),
    /// Real and effective group id.
    pub gids: (u32, u32),
}

/// The `PPid:`, `Uid:` and `Gid:` lines of a status file.
fn parse_credentials(status: &str) -> Option<Credentials> {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|rest| {
                rest.split_whitespace()
                    .filter_map(|n| n.parse::<u32>().ok())
            })
    };
    let pair = |key: &str| {
        let mut ids = field(key)?;
        Some((ids.next()?, ids.next()?))
    };
    Some(Credentials {
        parent: field("PPid:")?.next()?,
        uids: pair("Uid:")?,
        gids: pair("Gid:")?,
    })
}

/// The region around an address: where it starts and ends (`None`: the top
/// of the address space) and the mapping there (`None`: a gap).
pub type Region = (u64, Option<u64>, Option<maps::MapEntry>);

impl Process {
    /// Fill `buf` from `addr` (breakpoints hidden), or say where it could
    /// not: what the dynamic linker's structures are read with.
    fn read_all(&self, addr: u64, buf: &mut [u8]) -> Result<(), svr4::MemoryReadError> {
        match self.read_memory(addr, buf) {
            Ok(n) if n == buf.len() => Ok(()),
            _ => Err(svr4::MemoryReadError { addr }),
        }
    }

    /// How the program stores a pointer in its auxiliary vector and the
    /// dynamic linker's structures: 4 bytes for a 32-bit (i386) process
    /// on an x86_64 server, the server's own word otherwise.
    pub fn word_format(&self) -> auxv::WordFormat {
        if self.is_i386_on_x86_64() {
            return auxv::WordFormat {
                size: 4,
                ..auxv::WordFormat::native()
            };
        }
        auxv::WordFormat::native()
    }

    /// Is this a 32-bit (i386) program under the x86_64 server? (Its auxv,
    /// link_map and core file use 4-byte words.)
    pub fn is_i386_on_x86_64(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        return self.register_context().mode() == native::Mode::I386;
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// The raw auxiliary vector.
    pub fn auxv(&self) -> Result<Vec<u8>, ProcessError> {
        procfs::auxv(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))
    }

    /// `qXfer:libraries-svr4:read`'s document, from the link_map list.
    pub fn libraries_svr4_xml(&self) -> Result<String, ProcessError> {
        let format = self.word_format();
        let entries = auxv::parse_auxv(&self.auxv()?, format);
        let mut reader = |addr: u64, buf: &mut [u8]| self.read_all(addr, buf);
        svr4::libraries_svr4_xml(&mut reader, &entries, format)
            .map_err(|e| ProcessError::Proc(e.to_string()))
    }

    /// Where the program keeps its pointer to `r_debug` (`qShlibInfoAddr`).
    pub fn r_debug_pointer_location(&self) -> Result<u64, ProcessError> {
        let format = self.word_format();
        let entries = auxv::parse_auxv(&self.auxv()?, format);
        let mut reader = |addr: u64, buf: &mut [u8]| self.read_all(addr, buf);
        rendezvous::r_debug_pointer_location(&mut reader, format, &entries)
            .map_err(|e| ProcessError::Proc(e.to_string()))
    }

    /// The mapping or gap around `addr`, from /proc/PID/maps.
    pub fn memory_region(&self, addr: u64) -> Result<Region, ProcessError> {
        let text = procfs::maps(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))?;
        let entries = maps::parse_maps(&text).map_err(|e| ProcessError::Proc(e.to_string()))?;
        let (start, end, entry) = maps::region_around(&entries, addr);
        Ok((start, end, entry.cloned()))
    }

    /// The process's parent and ids.
    pub fn credentials(&self) -> Result<Credentials, ProcessError> {
        let status = procfs::status(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))?;
        parse_credentials(&status)
            .ok_or_else(|| ProcessError::Proc(format!("no ids in /proc/{}/status", self.pid)))
    }

    /// The augmented `qXfer:libraries-svr4:read` document: the libraries
    /// from `from.lm` on (see `svr4::libraries_from`).
    pub fn libraries_svr4_xml_from(&self, from: svr4::ListFrom) -> String {
        let mut reader = |addr: u64, buf: &mut [u8]| self.read_all(addr, buf);
        svr4::libraries_from(&mut reader, self.word_format(), from)
    }

    /// The address of `offset` in module `link_map`'s thread-local storage
    /// for thread `tid` (`qGetTLSAddr`).
    pub fn tls_address(
        &mut self,
        tid: Tid,
        offset: u64,
        link_map: u64,
    ) -> Result<u64, ProcessError> {
        self.live_thread(tid)?;
        let tls_err = |e: tls::TlsError| ProcessError::Proc(e.to_string());
        let layout = match self.tls_layout {
            Some(layout) => layout,
            None => {
                let text = procfs::maps(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))?;
                let entries =
                    maps::parse_maps(&text).map_err(|e| ProcessError::Proc(e.to_string()))?;
                let mut read = |addr: u64, buf: &mut [u8]| matches!(self.read_memory(addr, buf), Ok(n) if n == buf.len());
                let layout = match tls::find_libc(&entries) {
                    Some((path, base)) => {
                        let file = procfs::file_in_root(self.pid, &path)
                            .map_err(|e| ProcessError::Proc(format!("{path}: {e}")))?;
                        tls::layout(&file, base, &mut read)
                    }
                    // No libc.so: a static executable carries glibc itself.
                    None => {
                        let file = procfs::executable(self.pid)
                            .map_err(|e| ProcessError::Proc(format!("executable: {e}")))?;
                        let entries = auxv::parse_auxv(&self.auxv()?, self.word_format());
                        // A static PIE runs at a bias: where its entry point
                        // is against where the file says it is.
                        let bias = match (
                            auxv::lookup(&entries, auxv::AT_ENTRY),
                            elf_symbols::entry_point(&file),
                        ) {
                            (Some(at), Some(linked)) => at.wrapping_sub(linked),
                            _ => 0,
                        };
                        tls::static_layout(&file, bias, &mut read).map_err(|e| match e {
                            tls::TlsError::NoDescriptors => tls::TlsError::NoLibc,
                            e => e,
                        })
                    }
                }
                .map_err(tls_err)?;
                self.tls_layout = Some(layout);
                layout
            }
        };
        let tp = native::RegisterContext::thread_pointer(tid)
            .map_err(|_| tls_err(tls::TlsError::NoThreadPointer))?;
        let mut read = |addr: u64, buf: &mut [u8]| matches!(self.read_memory(addr, buf), Ok(n) if n == buf.len());
        tls::address(
            &layout,
            native::TLS_VARIANT,
            tp,
            link_map,
            offset,
            &mut read,
        )
        .map_err(tls_err)
    }

    /// `qXfer:memory-map:read`'s document, from /proc/PID/maps.
    pub fn memory_map_xml(&self) -> Result<String, ProcessError> {
        let text = procfs::maps(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))?;
        let entries = maps::parse_maps(&text).map_err(|e| ProcessError::Proc(e.to_string()))?;
        Ok(maps::memory_map_xml(&entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_a_status_file() {
        let status = "Name:\tabc\nPid:\t17\nPPid:\t16\nTracerPid:\t1\n\
                      Uid:\t1000\t0\t0\t0\nGid:\t100\t5\t5\t5\n";
        assert_eq!(
            parse_credentials(status),
            Some(Credentials {
                parent: 16,
                uids: (1000, 0),
                gids: (100, 5),
            })
        );
        assert_eq!(parse_credentials("PPid:\t1\nUid:\t0\n"), None);
        let own = std::fs::read_to_string("/proc/self/status").unwrap();
        let own = parse_credentials(&own).unwrap();
        assert_eq!(own.parent, std::os::unix::process::parent_id());
    }
}
