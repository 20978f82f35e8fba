//! Per-architecture register access for a stopped thread (LLDB's
//! NativeRegisterContextLinux_<arch> split): each arch module moves the
//! kernel's register sets in and out with ptrace and converts them to gdb's
//! register file with the pure code of the `rgdbserver-arch` crate.
//!
//! `native` is the architecture this server was built for.

#[cfg(target_arch = "x86_64")]
pub mod x86_64;

#[cfg(target_arch = "x86_64")]
pub use x86_64 as native;

#[cfg(target_arch = "aarch64")]
pub mod aarch64;

#[cfg(target_arch = "aarch64")]
pub use aarch64 as native;

#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub mod mips;

#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub use mips as native;

/// A stopped thread's PC, read alone (eip of a 32-bit x86 process is
/// rip's low half, the high one 0).
pub fn read_pc(tid: crate::inferior::ptrace::Tid) -> Result<u64, RegsError> {
    Ok(native::General::read(tid)?.pc())
}

/// Move a stopped thread's PC, the other registers as they are.
pub fn write_pc(tid: crate::inferior::ptrace::Tid, pc: u64) -> Result<(), RegsError> {
    let mut general = native::General::read(tid)?;
    general.set_pc(pc);
    general.write(tid)
}

#[derive(Debug, thiserror::Error)]
pub enum RegsError {
    #[error("ptrace register access failed: {0}")]
    Ptrace(#[from] nix::Error),
    #[error("register data has the wrong size ({0} bytes)")]
    BadSize(usize),
}

impl RegsError {
    pub fn errno(&self) -> u8 {
        match self {
            RegsError::Ptrace(e) => *e as i32 as u8,
            RegsError::BadSize(_) => libc::EINVAL as u8,
        }
    }
}
