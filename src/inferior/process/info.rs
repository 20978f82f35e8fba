//! What /proc and the dynamic linker say about the process, as gdb's
//! documents and queries want it: the auxiliary vector, the shared library
//! list (`qXfer:libraries-svr4`), the memory map (`qXfer:memory-map`) and
//! thread-local storage addresses (`qGetTLSAddr`, with glibc's TLS layout
//! read once per program image).

use crate::inferior::ptrace::Tid;
use crate::inferior::regs::native;
use crate::inferior::{auxv, elf_symbols, maps, procfs, svr4, tls};

use super::{Process, ProcessError};

impl Process {
    /// The raw auxiliary vector.
    pub fn auxv(&self) -> Result<Vec<u8>, ProcessError> {
        procfs::auxv(self.pid).map_err(|e| ProcessError::Proc(e.to_string()))
    }

    /// `qXfer:libraries-svr4:read`'s document, from the link_map list.
    pub fn libraries_svr4_xml(&self) -> Result<String, ProcessError> {
        let format = auxv::WordFormat::native();
        let entries = auxv::parse_auxv(&self.auxv()?, format);
        let mut reader = |addr: u64, buf: &mut [u8]| -> Result<(), svr4::MemoryReadError> {
            match self.read_memory(addr, buf) {
                Ok(n) if n == buf.len() => Ok(()),
                _ => Err(svr4::MemoryReadError { addr }),
            }
        };
        svr4::libraries_svr4_xml(&mut reader, &entries, format)
            .map_err(|e| ProcessError::Proc(e.to_string()))
    }

    /// The augmented `qXfer:libraries-svr4:read` document: the libraries
    /// from `from.lm` on (see `svr4::libraries_from`).
    pub fn libraries_svr4_xml_from(&self, from: svr4::ListFrom) -> String {
        let mut reader = |addr: u64, buf: &mut [u8]| -> Result<(), svr4::MemoryReadError> {
            match self.read_memory(addr, buf) {
                Ok(n) if n == buf.len() => Ok(()),
                _ => Err(svr4::MemoryReadError { addr }),
            }
        };
        svr4::libraries_from(&mut reader, auxv::WordFormat::native(), from)
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
                        let entries = auxv::parse_auxv(&self.auxv()?, auxv::WordFormat::native());
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
