//! MIPS (o32 mips/mipsel, n64 mips64/mips64el): general registers through
//! PTRACE_GETREGS/SETREGS and FP registers through PTRACE_GETFPREGS/SETFPREGS,
//! which the kernel lays out as 64-bit words for every ABI, converted to
//! gdb's register file (4- or 8-byte registers in the target's byte order)
//! with `rgdbserver_arch::mips`.
//!
//! PTRACE_SINGLESTEP is not implemented by the MIPS kernel (EIO), so no
//! single step is offered: gdb then steps in software, planting `break`
//! instructions at the possible next PCs and continuing.

use rgdbserver_arch::mips::{self as arch, Endian, Mips};
use rgdbserver_arch::{RegisterInfo, RegisterLayout};

use super::RegsError;
use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::tls::TlsVariant;

/// The flavour this server was built for.
pub const NATIVE: Mips = Mips {
    endian: if cfg!(target_endian = "big") {
        Endian::Big
    } else {
        Endian::Little
    },
    wide: cfg!(target_arch = "mips64"),
};

pub use arch::{EXPEDITED_REGS, PC_ADJUST_AFTER_BREAKPOINT};
/// `break 5` in the target's byte order.
pub const BREAKPOINT_INSN: &[u8] = &if cfg!(target_endian = "big") {
    arch::BREAKPOINT_WORD.to_be_bytes()
} else {
    arch::BREAKPOINT_WORD.to_le_bytes()
};
pub const SIGNALS: rgdbserver_arch::signals::SignalAbi = rgdbserver_arch::signals::MIPS;
pub const LAYOUT: RegisterLayout = NATIVE.layout();
pub const PC_REGNUM: usize = arch::PC;
/// The kernel refuses PTRACE_SINGLESTEP on MIPS; gdb steps in software.
pub const HARDWARE_SINGLE_STEP: bool = false;
/// The target triple lldb's `qHostInfo`/`qProcessInfo` want.
pub const LLDB_TRIPLE: &str = match (cfg!(target_arch = "mips64"), cfg!(target_endian = "big")) {
    (false, true) => "mips-unknown-linux-gnu",
    (false, false) => "mipsel-unknown-linux-gnu",
    (true, true) => "mips64-unknown-linux-gnuabi64",
    (true, false) => "mips64el-unknown-linux-gnuabi64",
};
/// MIPS watchpoints trap before the access completes.
pub const WATCHPOINTS_AFTER: bool = false;
/// glibc's TLS layout here (the thread pointer TLS_TCB_OFFSET past the TCB).
pub const TLS_VARIANT: TlsVariant = TlsVariant::DtvAtTp {
    tcb_offset: arch::TLS_TCB_OFFSET,
};

const EPC_OFFSET: usize = arch::gregs::EPC * 8;

/// Whether this thread has FP registers the kernel will show us.
#[derive(Debug, Clone, Copy)]
pub struct RegisterContext {
    fpu: bool,
}

fn get_gregs(tid: Tid) -> Result<[u8; arch::GREGS_SIZE], RegsError> {
    let mut buf = [0u8; arch::GREGS_SIZE];
    pt::mips_get_regs(tid, &mut buf)?;
    Ok(buf)
}

fn get_fpregs(tid: Tid) -> Result<[u8; arch::FPREGS_SIZE], RegsError> {
    let mut buf = [0u8; arch::FPREGS_SIZE];
    pt::mips_get_fpregs(tid, &mut buf)?;
    Ok(buf)
}

impl RegisterContext {
    /// Find out, on a stopped thread, whether the FP registers can be read.
    pub fn probe(tid: Tid) -> RegisterContext {
        RegisterContext {
            fpu: get_fpregs(tid).is_ok(),
        }
    }

    /// What to assume before there is a process to ask (extended mode).
    pub fn assumed() -> RegisterContext {
        RegisterContext { fpu: true }
    }

    /// gdb's mips-linux.xml or mips64-linux.xml: the FP registers are always
    /// described (they read as zero without an FPU), as GNU gdbserver does.
    pub fn target_xml(&self) -> String {
        NATIVE.target_xml()
    }

    /// Register `regnum` as this process's `g` packet holds it (None: it
    /// has no such register).
    /// The registers a stop reply carries.
    pub fn expedited_regs(&self) -> &'static [usize] {
        EXPEDITED_REGS
    }

    pub fn register(&self, regnum: usize) -> Option<RegisterInfo> {
        LAYOUT.by_regnum(regnum).copied()
    }

    pub fn g_size(&self) -> usize {
        NATIVE.g_size()
    }

    /// The thread's whole register file in gdb's `g` layout.
    pub fn read(&self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        let gregs = get_gregs(tid)?;
        let fpregs = if self.fpu { get_fpregs(tid).ok() } else { None };
        NATIVE
            .regs_to_gdb(&gregs, fpregs.as_ref().map(|f| &f[..]))
            .map_err(|_| RegsError::BadSize(gregs.len()))
    }

    /// Write a whole `g` register file back. The kernel ignores badvaddr,
    /// status, cause and fir.
    pub fn write(&self, tid: Tid, g: &[u8]) -> Result<(), RegsError> {
        if g.len() != self.g_size() {
            return Err(RegsError::BadSize(g.len()));
        }
        let mut gregs = get_gregs(tid)?;
        let mut fpregs = if self.fpu {
            Some(get_fpregs(tid)?)
        } else {
            None
        };
        NATIVE
            .gdb_to_regs(g, &mut gregs, fpregs.as_mut().map(|f| &mut f[..]))
            .map_err(|_| RegsError::BadSize(g.len()))?;
        pt::mips_set_regs(tid, &gregs)?;
        if let Some(fpregs) = fpregs {
            pt::mips_set_fpregs(tid, &fpregs)?;
        }
        Ok(())
    }

    /// The system call a thread stopped in, where the registers still say:
    /// never on MIPS, where v0 holds the number at entry only and the
    /// kernel keeps it nowhere ptrace reads.
    pub fn syscall_number(_tid: Tid) -> Option<u64> {
        None
    }

    /// The thread pointer TLS is found from (set_thread_area's value).
    pub fn thread_pointer(tid: Tid) -> Result<u64, RegsError> {
        Ok(pt::mips_get_thread_area(tid)?)
    }
}

/// The general registers as one ptrace call moves them (PTRACE_GETREGS's
/// 64-bit words, o32 too): what a stop needs (the PC) without the FPU.
#[derive(Clone)]
pub struct General([u8; arch::GREGS_SIZE]);

impl General {
    pub fn read(tid: Tid) -> Result<General, RegsError> {
        Ok(General(get_gregs(tid)?))
    }

    pub fn write(&self, tid: Tid) -> Result<(), RegsError> {
        pt::mips_set_regs(tid, &self.0)?;
        Ok(())
    }

    pub fn pc(&self) -> u64 {
        let pc = NATIVE.endian.read_u64(&self.0[EPC_OFFSET..EPC_OFFSET + 8]);
        // o32 words are sign-extended; gdb's addresses are 32-bit there.
        if NATIVE.wide {
            pc
        } else {
            u64::from(pc as u32)
        }
    }

    pub fn set_pc(&mut self, pc: u64) {
        let word = if NATIVE.wide {
            pc
        } else {
            pc as u32 as i32 as i64 as u64
        };
        self.0[EPC_OFFSET..EPC_OFFSET + 8].copy_from_slice(&NATIVE.endian.u64_bytes(word));
    }
}

/// The program counter in a `g` payload.
pub fn pc_from_g(g: &[u8]) -> u64 {
    NATIVE.reg_value(g, arch::PC).unwrap_or(0)
}
