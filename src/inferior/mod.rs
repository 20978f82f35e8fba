//! The inferior: a Linux process under ptrace. Process and thread control
//! (`process`), launching and attaching (`launch`), memory (`memory`),
//! software breakpoints (`breakpoints`), per-architecture register access
//! (`regs`), the settings gdb gives every process (`settings`), the reads of /proc the process control makes (`procfs`), the
//! pure parsers of what /proc and the dynamic linker tell us (`maps`,
//! `auxv`, `svr4`, `rendezvous`), and the evaluator of gdb's bytecode for
//! breakpoint conditions (`agent_expr`).

pub mod agent_expr;
pub mod auxv;
pub mod breakpoints;
pub mod core;
pub mod dump;
pub mod elf_symbols;
pub mod hw_debug;
pub mod journal;
pub mod launch;
pub mod maps;
pub mod memory;
pub mod process;
pub mod procfs;
pub mod ptrace;
pub mod regs;
pub mod rendezvous;
pub mod settings;
pub mod svr4;
pub mod tls;
pub mod trace;
pub mod unwind;
