//! x86_64: general registers through PTRACE_GETREGS/SETREGS, x87/SSE and
//! the XSAVE components (AVX, AVX-512, PKRU) through PTRACE_GETREGSET
//! NT_X86_XSTATE (falling back to GETFPREGS where the kernel has no XSAVE
//! state), converted with `rgdbserver_arch::x86_64`. Which components a
//! process has is the XCR0 the kernel stores in the area; where each sits
//! is CPUID leaf 0xD's answer on this machine (the server runs on the
//! target's CPU).
//!
//! A 32-bit process (`Mode::I386`) is read with the same 64-bit sets (a
//! 64-bit tracer gets them zero-extended) and shown as i386 by
//! `rgdbserver_arch::i386`, as GNU gdbserver's x86_64 build shows it.

use nix::sys::ptrace;
use rgdbserver_arch::i386;
use rgdbserver_arch::x86_64 as arch;
use rgdbserver_arch::x86_64::{Features, XsaveLayout};
use rgdbserver_arch::{RegisterInfo, RegisterLayout};

use super::RegsError;
use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::tls::TlsVariant;

pub use arch::{BREAKPOINT_INSN, EXPEDITED_REGS, PC_ADJUST_AFTER_BREAKPOINT};
pub const SIGNALS: rgdbserver_arch::signals::SignalAbi = rgdbserver_arch::signals::GENERIC;
pub const LAYOUT: RegisterLayout = arch::LAYOUT;
pub const PC_REGNUM: usize = arch::RIP;
/// PTRACE_SINGLESTEP works: gdb may ask us to step.
pub const HARDWARE_SINGLE_STEP: bool = true;
/// The target triple lldb's `qHostInfo`/`qProcessInfo` want.
pub const LLDB_TRIPLE: &str = "x86_64-pc-linux-gnu";
/// x86 debug registers trap after the access.
pub const WATCHPOINTS_AFTER: bool = true;
/// glibc's TLS layout here (thread descriptor at fs_base).
pub const TLS_VARIANT: TlsVariant = TlsVariant::TcbAtTp;

const NT_PRSTATUS: i32 = 1;
const NT_X86_XSTATE: i32 = 0x202;
/// NT_PRSTATUS of a 32-bit tracee: i386's `user_regs_struct`, 17 words.
const I386_PRSTATUS_SIZE: usize = 17 * 4;

/// The instruction set a process runs, which decides the register file
/// gdb is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    X86_64,
    /// A 32-bit program (i386 ELF), under a compat-mode kernel.
    I386,
}

impl Mode {
    /// Ask the kernel: NT_PRSTATUS is the 32-bit `user_regs_struct` for a
    /// compat-mode thread, the 64-bit one otherwise.
    fn probe(tid: Tid) -> Mode {
        let mut buf = [0u8; arch::USER_REGS_WORDS * 8];
        match pt::get_regset(tid, NT_PRSTATUS, &mut buf) {
            Ok(I386_PRSTATUS_SIZE) => Mode::I386,
            _ => Mode::X86_64,
        }
    }
}
/// Large enough for any XSAVE layout the kernel reports today (AMX included).
const XSTATE_BUFFER: usize = 16 * 1024;
/// The kernel stores XCR0 (enabled state components) here in the XSAVE area's software bytes.
const XCR0_OFFSET: usize = 464;

/// How this machine's kernel exposes the FPU/vector state.
#[derive(Debug, Clone, Copy)]
pub struct RegisterContext {
    mode: Mode,
    /// Some(size) when PTRACE_GETREGSET NT_X86_XSTATE works.
    xstate_size: Option<usize>,
    /// Where the enabled XSAVE components are in that area.
    xsave: XsaveLayout,
    /// The register groups gdb is shown.
    features: Features,
}

/// The offset of XSAVE component `c` in the standard-format area, from
/// CPUID leaf 0xD sub-leaf `c` (EBX); None where the CPU has none.
fn cpuid_offset(c: u32) -> Option<usize> {
    // `__cpuid_count` is safe in current Rust and was an unsafe fn in
    // the oldest release we build with (rust-version).
    #[allow(unused_unsafe)]
    // SAFETY: CPUID is available on every x86_64 CPU and only reads
    // identification registers.
    let leaf = unsafe { std::arch::x86_64::__cpuid_count(0xd, c) };
    (leaf.eax != 0).then_some(leaf.ebx as usize)
}

fn user_to_words(r: &libc::user_regs_struct) -> [u64; arch::USER_REGS_WORDS] {
    [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx,
        r.rsi, r.rdi, r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds,
        r.es, r.fs, r.gs,
    ]
}

fn words_to_user(w: &[u64; arch::USER_REGS_WORDS], r: &mut libc::user_regs_struct) {
    let fields: [&mut u64; arch::USER_REGS_WORDS] = [
        &mut r.r15,
        &mut r.r14,
        &mut r.r13,
        &mut r.r12,
        &mut r.rbp,
        &mut r.rbx,
        &mut r.r11,
        &mut r.r10,
        &mut r.r9,
        &mut r.r8,
        &mut r.rax,
        &mut r.rcx,
        &mut r.rdx,
        &mut r.rsi,
        &mut r.rdi,
        &mut r.orig_rax,
        &mut r.rip,
        &mut r.cs,
        &mut r.eflags,
        &mut r.rsp,
        &mut r.ss,
        &mut r.fs_base,
        &mut r.gs_base,
        &mut r.ds,
        &mut r.es,
        &mut r.fs,
        &mut r.gs,
    ];
    for (field, value) in fields.into_iter().zip(w) {
        *field = *value;
    }
}

impl RegisterContext {
    /// Find out, on a stopped thread, which register sets the kernel offers.
    pub fn probe(tid: Tid) -> RegisterContext {
        let mut buf = vec![0u8; XSTATE_BUFFER];
        match pt::get_regset(tid, NT_X86_XSTATE, &mut buf) {
            Ok(size) if size > XCR0_OFFSET + 8 => {
                let xcr0 = u64::from_le_bytes(
                    buf[XCR0_OFFSET..XCR0_OFFSET + 8]
                        .try_into()
                        .unwrap_or_default(),
                );
                let xsave = XsaveLayout::new(xcr0, cpuid_offset, size);
                RegisterContext {
                    mode: Mode::probe(tid),
                    xstate_size: Some(size),
                    xsave,
                    features: xsave.features(),
                }
            }
            _ => RegisterContext {
                mode: Mode::probe(tid),
                xstate_size: None,
                xsave: XsaveLayout::default(),
                features: Features::NONE,
            },
        }
    }

    /// gdb takes no target description (it did not offer `xmlRegisters=i386`
    /// in qSupported): fall back to the layout gdb knows without one, which
    /// has no AVX registers, as gdbserver does.
    pub fn without_target_description(&mut self) {
        self.features = Features::NONE;
    }

    /// What to assume before there is a process to ask (extended mode):
    /// the legacy registers and AVX if the CPU has it.
    pub fn assumed() -> RegisterContext {
        let avx = std::arch::is_x86_feature_detected!("avx");
        let xsave = if avx {
            XsaveLayout::new(0x7, cpuid_offset, XSTATE_BUFFER)
        } else {
            XsaveLayout::default()
        };
        RegisterContext {
            mode: Mode::X86_64,
            xstate_size: avx.then_some(XSTATE_BUFFER),
            xsave,
            features: xsave.features(),
        }
    }

    pub fn target_xml(&self) -> String {
        match self.mode {
            Mode::X86_64 => arch::target_xml(self.features),
            Mode::I386 => i386::target_xml(self.features),
        }
    }

    /// The instruction set of the process.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The registers a stop reply carries (frame pointer, stack pointer, PC).
    pub fn expedited_regs(&self) -> &'static [usize] {
        match self.mode {
            Mode::X86_64 => EXPEDITED_REGS,
            Mode::I386 => i386::EXPEDITED_REGS,
        }
    }

    /// The register groups gdb is shown.
    pub fn features(&self) -> Features {
        self.features
    }

    /// Register `regnum` as this process's `g` packet holds it (None: it
    /// has no such register).
    pub fn register(&self, regnum: usize) -> Option<RegisterInfo> {
        match self.mode {
            Mode::X86_64 => arch::g_register(self.features, regnum),
            Mode::I386 => i386::g_register(self.features, regnum),
        }
    }

    pub fn g_size(&self) -> usize {
        match self.mode {
            Mode::X86_64 => arch::g_size_for(self.features),
            Mode::I386 => i386::g_size_for(self.features),
        }
    }

    fn read_fpu(&self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        match self.xstate_size {
            Some(size) => {
                let mut buf = vec![0u8; size.max(XSTATE_BUFFER)];
                let got = pt::get_regset(tid, NT_X86_XSTATE, &mut buf)?;
                buf.truncate(got);
                Ok(buf)
            }
            None => {
                let mut buf = [0u8; 512];
                pt::get_fpregs(tid, &mut buf)?;
                Ok(buf.to_vec())
            }
        }
    }

    fn write_fpu(&self, tid: Tid, fpu: &[u8]) -> Result<(), RegsError> {
        if self.xstate_size.is_some() && fpu.len() > arch::FXSAVE_SIZE {
            pt::set_regset(tid, NT_X86_XSTATE, fpu)?;
        } else {
            let buf: &[u8; 512] = fpu.try_into().map_err(|_| RegsError::BadSize(fpu.len()))?;
            pt::set_fpregs(tid, buf)?;
        }
        Ok(())
    }

    /// The thread's whole register file in gdb's `g` layout.
    pub fn read(&self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        let user = ptrace::getregs(tid)?;
        let fpu = self.read_fpu(tid)?;
        let to_gdb = match self.mode {
            Mode::X86_64 => arch::regs_to_gdb,
            Mode::I386 => i386::regs_to_gdb,
        };
        Ok(to_gdb(
            &user_to_words(&user),
            &fpu,
            &self.xsave,
            self.features,
        ))
    }

    /// A `g` block in which only the general registers (those
    /// PTRACE_GETREGS gives, the expedited ones among them) are read: one
    /// system call, for a stop reply, where the vector state is not needed.
    /// Its size is the legacy layout's (the process's mode, no extended
    /// state), which places the general registers as the process's own
    /// layout does.
    pub fn read_general(&self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        Ok(self.g_from_general(&General::read(tid)?))
    }

    /// The `g` block of `read_general` made from general registers
    /// already read.
    pub fn g_from_general(&self, general: &General) -> Vec<u8> {
        let to_gdb = match self.mode {
            Mode::X86_64 => arch::regs_to_gdb,
            Mode::I386 => i386::regs_to_gdb,
        };
        to_gdb(
            &user_to_words(&general.0),
            &[],
            &XsaveLayout::default(),
            Features::NONE,
        )
    }

    /// Write a whole `g` register file back: the general registers, and
    /// the XSAVE area (or FXSAVE image) read afresh with gdb's values put
    /// in, so that state gdb is not shown (AMX tiles, say) is kept.
    pub fn write(&self, tid: Tid, g: &[u8]) -> Result<(), RegsError> {
        if g.len() != self.g_size() {
            return Err(RegsError::BadSize(g.len()));
        }
        let mut user = ptrace::getregs(tid)?;
        let mut words = user_to_words(&user);
        let mut fpu = self.read_fpu(tid)?;
        let from_gdb = match self.mode {
            Mode::X86_64 => arch::gdb_to_regs,
            Mode::I386 => i386::gdb_to_regs,
        };
        from_gdb(g, &mut words, &mut fpu, &self.xsave, self.features)
            .map_err(|_| RegsError::BadSize(g.len()))?;
        words_to_user(&words, &mut user);
        ptrace::setregs(tid, user)?;
        self.write_fpu(tid, &fpu)
    }

    /// The system call a thread stopped in (the kernel keeps it in orig_rax).
    pub fn syscall_number(tid: Tid) -> Option<u64> {
        Some(ptrace::getregs(tid).ok()?.orig_rax)
    }

    /// The thread pointer TLS is found from: fs_base on x86-64; for a
    /// 32-bit thread (running in the 32-bit user code segment) the base of
    /// the GDT entry its gs selects, as gdbserver's ps_get_thread_area.
    pub fn thread_pointer(tid: Tid) -> Result<u64, RegsError> {
        /// __USER32_CS: the kernel's 32-bit user code segment.
        const USER32_CS: u64 = 0x23;
        let regs = ptrace::getregs(tid)?;
        if regs.cs == USER32_CS {
            return Ok(pt::x86_thread_area_base(tid, regs.gs >> 3)?);
        }
        Ok(regs.fs_base)
    }
}

/// The general registers as one ptrace call moves them (PTRACE_GETREGS's
/// `user_regs_struct`, the 64-bit view for a 32-bit process too): what a
/// stop needs (the PC, the stop reply's registers) without the vector state.
#[derive(Clone)]
pub struct General(libc::user_regs_struct);

impl General {
    pub fn read(tid: Tid) -> Result<General, RegsError> {
        Ok(General(ptrace::getregs(tid)?))
    }

    pub fn write(&self, tid: Tid) -> Result<(), RegsError> {
        ptrace::setregs(tid, self.0)?;
        Ok(())
    }

    pub fn pc(&self) -> u64 {
        self.0.rip
    }

    pub fn set_pc(&mut self, pc: u64) {
        self.0.rip = pc;
    }
}

/// The program counter in a `g` payload.
pub fn pc_from_g(g: &[u8]) -> u64 {
    let info = arch::LAYOUT.regs[arch::RIP];
    g.get(info.offset..info.offset + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}
