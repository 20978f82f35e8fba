//! Per-architecture facts for rgdbserver: how gdb numbers and lays out each
//! architecture's registers, the target description XML that tells gdb so,
//! how the Linux kernel's register sets map onto gdb's register file, and the
//! breakpoint instruction with the PC adjustment after its trap, and the
//! layout of the notes of an ELF core file (`core_file`).
//!
//! Everything here is pure code with no system calls, so it builds and its
//! unit tests run on every host: arm64 and MIPS logic is tested on x86_64.

pub mod aarch64;
pub mod core_file;
pub mod i386;
pub mod layout;
pub mod mips;
pub mod signals;
pub mod x86_64;
pub mod x86_debug_regs;

pub use layout::{RegisterInfo, RegisterLayout};
