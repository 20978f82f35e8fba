//! arm64: there is no PTRACE_GETREGS, so every register set moves through
//! PTRACE_GETREGSET/SETREGSET: NT_PRSTATUS (x0-x30, sp, pc, pstate),
//! NT_FPREGSET (v0-v31, fpsr, fpcr), NT_ARM_TLS (tpidr), where the CPU
//! and kernel have pointer authentication the read-only NT_ARM_PAC_MASK,
//! and where the process has MTE (HWCAP2_MTE in its auxv) the tag control
//! word NT_ARM_TAGGED_ADDR_CTRL (`tag_ctl`). Converted to gdb's register
//! file with `rgdbserver_arch::aarch64`.

use rgdbserver_arch::aarch64 as arch;
use rgdbserver_arch::{RegisterInfo, RegisterLayout};

use super::RegsError;
use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::tls::TlsVariant;
use crate::inferior::{auxv, procfs};

pub use arch::{BREAKPOINT_INSN, EXPEDITED_REGS, PC_ADJUST_AFTER_BREAKPOINT};
pub const SIGNALS: rgdbserver_arch::signals::SignalAbi = rgdbserver_arch::signals::GENERIC;
/// The largest register file (pauth, mte and tls). Every register number below a
/// smaller file's count has the same offset and size in it, so lookups by
/// number work for whichever features the target has; the `g` payload itself
/// is only as long as the probed features make it.
pub const LAYOUT: RegisterLayout = arch::FULL_LAYOUT;
pub const PC_REGNUM: usize = arch::PC;
/// PTRACE_SINGLESTEP works on arm64.
pub const HARDWARE_SINGLE_STEP: bool = true;
/// The target triple lldb's `qHostInfo`/`qProcessInfo` want.
pub const LLDB_TRIPLE: &str = "aarch64-unknown-linux-gnu";
/// arm64 watchpoints trap before the access completes.
pub const WATCHPOINTS_AFTER: bool = false;
/// glibc's TLS layout here (TLS blocks just above tpidr_el0).
pub const TLS_VARIANT: TlsVariant = TlsVariant::DtvAtTp { tcb_offset: 0 };

/// AT_HWCAP bit for address authentication (HWCAP_PACA).
const HWCAP_PACA: libc::c_ulong = 1 << 30;

/// Which optional register sets this kernel offers for the process.
#[derive(Debug, Clone, Copy)]
pub struct RegisterContext {
    features: arch::Features,
}

fn get(tid: Tid, note: u32, size: usize) -> Result<Vec<u8>, RegsError> {
    let mut buf = vec![0u8; size];
    let got = pt::get_regset(tid, note as i32, &mut buf)?;
    if got < size {
        return Err(RegsError::BadSize(got));
    }
    Ok(buf)
}

fn get_prstatus(tid: Tid) -> Result<Vec<u8>, RegsError> {
    get(tid, arch::NT_PRSTATUS, arch::USER_PT_REGS_SIZE)
}

const PC_OFFSET: usize = 32 * 8;

impl RegisterContext {
    /// Find out, on a stopped thread, which register sets the kernel offers.
    /// MTE as GNU gdbserver decides it, from the process's AT_HWCAP2 (and
    /// the tag control set readable).
    pub fn probe(tid: Tid) -> RegisterContext {
        let works = |note: u32, size: usize| get(tid, note, size).is_ok();
        let mte = process_hwcap2(tid).is_some_and(|h| h & arch::HWCAP2_MTE != 0);
        RegisterContext {
            features: arch::Features {
                pauth: works(arch::NT_ARM_PAC_MASK, arch::USER_PAC_MASK_SIZE),
                tls: works(arch::NT_ARM_TLS, arch::USER_TLS_SIZE),
                mte: mte && works(arch::NT_ARM_TAGGED_ADDR_CTRL, arch::USER_TAG_CTL_SIZE),
            },
        }
    }

    /// What to assume before there is a process to ask (extended mode): the
    /// CPU's pointer authentication from AT_HWCAP; every arm64 kernel that
    /// gdb 8 and later talk to has NT_ARM_TLS.
    pub fn assumed() -> RegisterContext {
        // SAFETY: getauxval only reads the process's own auxiliary vector.
        let hwcap = unsafe { libc::getauxval(libc::AT_HWCAP) };
        RegisterContext {
            features: arch::Features {
                pauth: hwcap & HWCAP_PACA != 0,
                tls: true,
                mte: server_has_mte(),
            },
        }
    }

    pub fn target_xml(&self) -> String {
        arch::target_xml(self.features)
    }

    /// Whether the process has memory tagging (its description has
    /// `tag_ctl`, and `qMemTags` can work).
    pub fn mte(&self) -> bool {
        self.features.mte
    }

    /// Register `regnum` as this process's `g` packet holds it (None: it
    /// has no such register).
    /// The registers a stop reply carries.
    pub fn expedited_regs(&self) -> &'static [usize] {
        EXPEDITED_REGS
    }

    pub fn register(&self, regnum: usize) -> Option<RegisterInfo> {
        if regnum >= self.features.num_regs() {
            return None;
        }
        LAYOUT.by_regnum(regnum).copied()
    }

    pub fn g_size(&self) -> usize {
        self.features.g_size()
    }

    /// The thread's whole register file in gdb's `g` layout.
    pub fn read(&self, tid: Tid) -> Result<Vec<u8>, RegsError> {
        let gprs = get_prstatus(tid)?;
        let fpsimd = get(tid, arch::NT_FPREGSET, arch::USER_FPSIMD_STATE_SIZE)?;
        let optional = |on: bool, note: u32, size: usize| {
            if on {
                get(tid, note, size).ok()
            } else {
                None
            }
        };
        let f = self.features;
        let pac = optional(f.pauth, arch::NT_ARM_PAC_MASK, arch::USER_PAC_MASK_SIZE);
        let ctl = optional(
            f.mte,
            arch::NT_ARM_TAGGED_ADDR_CTRL,
            arch::USER_TAG_CTL_SIZE,
        );
        let tls = optional(f.tls, arch::NT_ARM_TLS, arch::USER_TLS_SIZE);
        let sets = arch::OptionalSets {
            pac: pac.as_deref(),
            tag_ctl: ctl.as_deref(),
            tls: tls.as_deref(),
        };
        arch::regs_to_gdb(f, &gprs, &fpsimd, sets).map_err(|_| RegsError::BadSize(gprs.len()))
    }

    /// Write a whole `g` register file back (the pauth masks are read-only).
    pub fn write(&self, tid: Tid, g: &[u8]) -> Result<(), RegsError> {
        if g.len() != self.g_size() {
            return Err(RegsError::BadSize(g.len()));
        }
        let mut gprs = get_prstatus(tid)?;
        let mut fpsimd = get(tid, arch::NT_FPREGSET, arch::USER_FPSIMD_STATE_SIZE)?;
        let writable = |on: bool, note: u32, size: usize| -> Result<_, RegsError> {
            on.then(|| get(tid, note, size)).transpose()
        };
        let f = self.features;
        let mut tls = writable(f.tls, arch::NT_ARM_TLS, arch::USER_TLS_SIZE)?;
        let mut ctl = writable(
            f.mte,
            arch::NT_ARM_TAGGED_ADDR_CTRL,
            arch::USER_TAG_CTL_SIZE,
        )?;
        let sets = arch::WritableSets {
            tag_ctl: ctl.as_deref_mut(),
            tls: tls.as_deref_mut(),
        };
        arch::gdb_to_regs(f, g, &mut gprs, &mut fpsimd, sets)
            .map_err(|_| RegsError::BadSize(g.len()))?;
        pt::set_regset(tid, arch::NT_PRSTATUS as i32, &gprs)?;
        pt::set_regset(tid, arch::NT_FPREGSET as i32, &fpsimd)?;
        if let Some(tls) = tls {
            pt::set_regset(tid, arch::NT_ARM_TLS as i32, &tls)?;
        }
        if let Some(ctl) = ctl {
            pt::set_regset(tid, arch::NT_ARM_TAGGED_ADDR_CTRL as i32, &ctl)?;
        }
        Ok(())
    }

    /// The system call a thread stopped in (NT_ARM_SYSTEM_CALL, kept by the
    /// kernel through the call's return).
    pub fn syscall_number(tid: Tid) -> Option<u64> {
        let raw = get(tid, arch::NT_ARM_SYSTEM_CALL, 4).ok()?;
        let nr = i32::from_ne_bytes(raw[..4].try_into().ok()?);
        u64::try_from(nr).ok()
    }

    /// The thread pointer TLS is found from (tpidr_el0, from NT_ARM_TLS).
    pub fn thread_pointer(tid: Tid) -> Result<u64, RegsError> {
        let tls = get(tid, arch::NT_ARM_TLS, arch::USER_TLS_SIZE)?;
        let word = tls[..8]
            .try_into()
            .map_err(|_| RegsError::BadSize(tls.len()))?;
        Ok(u64::from_ne_bytes(word))
    }
}

/// The general registers as one ptrace call moves them (NT_PRSTATUS's
/// `user_pt_regs`): what a stop needs (the PC) without the vector state.
#[derive(Clone)]
pub struct General(Vec<u8>);

impl General {
    pub fn read(tid: Tid) -> Result<General, RegsError> {
        let gprs = get_prstatus(tid)?;
        if gprs.len() < PC_OFFSET + 8 {
            return Err(RegsError::BadSize(gprs.len()));
        }
        Ok(General(gprs))
    }

    pub fn write(&self, tid: Tid) -> Result<(), RegsError> {
        pt::set_regset(tid, arch::NT_PRSTATUS as i32, &self.0)?;
        Ok(())
    }

    pub fn pc(&self) -> u64 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.0[PC_OFFSET..PC_OFFSET + 8]);
        u64::from_le_bytes(bytes)
    }

    pub fn set_pc(&mut self, pc: u64) {
        self.0[PC_OFFSET..PC_OFFSET + 8].copy_from_slice(&pc.to_le_bytes());
    }
}

/// AT_HWCAP2 from the process's auxiliary vector.
fn process_hwcap2(pid: Tid) -> Option<u64> {
    let bytes = procfs::auxv(pid).ok()?;
    auxv::lookup(
        &auxv::parse_auxv(&bytes, auxv::WordFormat::native()),
        auxv::AT_HWCAP2,
    )
}

/// Whether the machine the server runs on has MTE (its own AT_HWCAP2), as
/// GNU gdbserver decides before there is a process.
pub fn server_has_mte() -> bool {
    // SAFETY: getauxval only reads the process's own auxiliary vector.
    let hwcap2 = unsafe { libc::getauxval(libc::AT_HWCAP2) };
    hwcap2 & arch::HWCAP2_MTE != 0
}

/// The program counter in a `g` payload.
pub fn pc_from_g(g: &[u8]) -> u64 {
    g.get(PC_OFFSET..PC_OFFSET + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}
