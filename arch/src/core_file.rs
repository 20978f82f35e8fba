//! What an ELF core file of a Linux process looks like per architecture, as
//! the kernel's `fs/binfmt_elf.c` writes it and gdb's BFD reads it: the ELF
//! class, byte order and machine; where the fields of `struct elf_prstatus`
//! and `struct elf_prpsinfo` sit (their layout follows from the word size
//! and the size of `elf_gregset_t`); and the per-thread register-set notes
//! besides `NT_PRSTATUS`, each read with `PTRACE_GETREGSET` of its own note
//! type. The encoding itself is the server's (`inferior::core`); this is
//! only the table it works from.

pub const NT_PRSTATUS: u32 = 1;
pub const NT_PRFPREG: u32 = 2;
pub const NT_PRPSINFO: u32 = 3;
pub const NT_AUXV: u32 = 6;
pub const NT_SIGINFO: u32 = 0x5349_4749;
pub const NT_FILE: u32 = 0x4649_4c45;
pub const NT_X86_XSTATE: u32 = 0x202;
pub const NT_ARM_TLS: u32 = 0x401;
pub const NT_ARM_HW_BREAK: u32 = 0x402;
pub const NT_ARM_HW_WATCH: u32 = 0x403;
pub const NT_ARM_SYSTEM_CALL: u32 = 0x404;
pub const NT_ARM_PAC_MASK: u32 = 0x406;
pub const NT_MIPS_DSP: u32 = 0x800;
pub const NT_MIPS_FP_MODE: u32 = 0x801;

/// `NT_PRXFPREG`: an i386 core's FXSAVE area (its NT_PRFPREG is the
/// older FSAVE image).
pub const NT_PRXFPREG: u32 = 0x46e6_2b7f;

pub const EM_386: u16 = 3;
pub const EM_MIPS: u16 = 8;
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;

/// Offsets in `struct elf_prstatus` (bytes) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrstatusLayout {
    pub size: usize,
    /// `pr_info.si_signo` (int); `si_code`, `si_errno` follow.
    pub info_signo: usize,
    /// `pr_cursig` (short).
    pub cursig: usize,
    /// `pr_sigpend`, `pr_sighold` (unsigned long each).
    pub sigpend: usize,
    pub sighold: usize,
    /// `pr_pid`, `pr_ppid`, `pr_pgrp`, `pr_sid` (int each).
    pub pid: usize,
    /// `pr_utime`, `pr_stime`, `pr_cutime`, `pr_cstime` (struct timeval:
    /// two longs each).
    pub utime: usize,
    /// `pr_reg` (`elf_gregset_t`) and its size.
    pub reg: usize,
    pub reg_size: usize,
    /// `pr_fpvalid` (int).
    pub fpvalid: usize,
}

/// Offsets in `struct elf_prpsinfo` (bytes) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrpsinfoLayout {
    pub size: usize,
    /// `pr_state`, `pr_sname`, `pr_zomb`, `pr_nice`: one byte each from 0.
    /// `pr_flag` (unsigned long).
    pub flag: usize,
    /// `pr_uid`, `pr_gid` (`__kernel_uid_t`: 4 bytes, 2 on i386) and
    /// their size.
    pub uid: usize,
    pub gid: usize,
    pub uid_size: usize,
    /// `pr_pid`, `pr_ppid`, `pr_pgrp`, `pr_sid` (int each).
    pub pid: usize,
    /// `pr_fname[16]`, `pr_psargs[80]`.
    pub fname: usize,
    pub psargs: usize,
}

pub const FNAME_SIZE: usize = 16;
pub const PSARGS_SIZE: usize = 80;

const fn align(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

impl PrstatusLayout {
    /// The generic Linux layout for a `word`-byte `long` and a gregset of
    /// `reg_size` bytes.
    pub const fn generic(word: usize, reg_size: usize) -> PrstatusLayout {
        let sigpend = align(14, word);
        let pid = sigpend + 2 * word;
        let utime = align(pid + 16, word);
        let reg = utime + 4 * 2 * word;
        let fpvalid = reg + reg_size;
        PrstatusLayout {
            size: align(fpvalid + 4, word),
            info_signo: 0,
            cursig: 12,
            sigpend,
            sighold: sigpend + word,
            pid,
            utime,
            reg,
            reg_size,
            fpvalid,
        }
    }
}

impl PrpsinfoLayout {
    /// The generic Linux layout for a `word`-byte `long`, 32-bit uids.
    pub const fn generic(word: usize) -> PrpsinfoLayout {
        PrpsinfoLayout::with_uids(word, 4)
    }

    /// The same with `uid_size`-byte uids (2 on i386: `unsigned short`).
    pub const fn with_uids(word: usize, uid_size: usize) -> PrpsinfoLayout {
        let flag = align(4, word);
        let uid = flag + word;
        let pid = uid + 2 * uid_size;
        let fname = pid + 16;
        let psargs = fname + FNAME_SIZE;
        PrpsinfoLayout {
            size: align(psargs + PSARGS_SIZE, word),
            flag,
            uid,
            gid: uid + uid_size,
            uid_size,
            pid,
            fname,
            psargs,
        }
    }
}

/// A per-thread note read with `PTRACE_GETREGSET` of type `note_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegsetNote {
    pub note_type: u32,
    /// The note's owner name: "CORE" for NT_PRFPREG, "LINUX" for the rest.
    pub name: &'static str,
    /// The largest size the kernel may hand back.
    pub max_size: usize,
}

const fn regset(note_type: u32, max_size: usize) -> RegsetNote {
    RegsetNote {
        note_type,
        name: if note_type == NT_PRFPREG {
            "CORE"
        } else {
            "LINUX"
        },
        max_size,
    }
}

/// One architecture's core file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreArch {
    pub machine: u16,
    /// ELFCLASS64 (else 32).
    pub class64: bool,
    pub big_endian: bool,
    /// `e_flags` (the kernel's ELF_CORE_EFLAGS: 0 on these targets).
    pub flags: u32,
    pub prstatus: PrstatusLayout,
    pub prpsinfo: PrpsinfoLayout,
    /// The thread's notes after NT_PRSTATUS, in the kernel's order; a set
    /// the kernel refuses for a thread (not in use, not on this CPU) is left out.
    pub thread_notes: &'static [RegsetNote],
}

impl CoreArch {
    pub const fn word_size(&self) -> usize {
        if self.class64 {
            8
        } else {
            4
        }
    }
}

/// A Linux target with a `greg_words`-word `elf_gregset_t` and the generic
/// prstatus and prpsinfo (every one here).
const fn linux(
    machine: u16,
    class64: bool,
    big_endian: bool,
    greg_words: usize,
    thread_notes: &'static [RegsetNote],
) -> CoreArch {
    let word = if class64 { 8 } else { 4 };
    CoreArch {
        machine,
        class64,
        big_endian,
        flags: 0,
        prstatus: PrstatusLayout::generic(word, greg_words * word),
        prpsinfo: PrpsinfoLayout::generic(word),
        thread_notes,
    }
}

/// x86_64: `elf_gregset_t` is `user_regs_struct` (27 words); then the FXSAVE
/// area (`user_fpregs_struct`) and the whole XSAVE area.
pub const X86_64: CoreArch = linux(
    EM_X86_64,
    true,
    false,
    27,
    &[regset(NT_PRFPREG, 512), regset(NT_X86_XSTATE, 16 * 1024)],
);

/// A 32-bit x86 process (as the x86_64 kernel's compat core writes it):
/// `elf_gregset_t` is i386's `user_regs_struct` (17 words), uids are 16
/// bits; then the FSAVE image (`user_i387_ia32_struct`, 108 bytes), the
/// FXSAVE area and the XSAVE area, each what PTRACE_GETREGSET gives a
/// 64-bit tracer for a 32-bit tracee.
pub const I386: CoreArch = CoreArch {
    prpsinfo: PrpsinfoLayout::with_uids(4, 2),
    ..linux(
        EM_386,
        false,
        false,
        17,
        &[
            regset(NT_PRFPREG, 108),
            regset(NT_PRXFPREG, 512),
            regset(NT_X86_XSTATE, 16 * 1024),
        ],
    )
};

/// arm64: `user_pt_regs` (x0-x30, sp, pc, pstate), `user_fpsimd_state`, the
/// TLS register, the debug registers, the system call number, the pointer
/// authentication masks.
pub const AARCH64: CoreArch = linux(
    EM_AARCH64,
    true,
    false,
    34,
    &[
        regset(NT_PRFPREG, 32 * 16 + 16),
        regset(NT_ARM_TLS, 16),
        regset(NT_ARM_HW_BREAK, 264),
        regset(NT_ARM_HW_WATCH, 264),
        regset(NT_ARM_SYSTEM_CALL, 4),
        regset(NT_ARM_PAC_MASK, 16),
    ],
);

const MIPS_NOTES: &[RegsetNote] = &[
    regset(NT_PRFPREG, 33 * 8),
    regset(NT_MIPS_DSP, 7 * 8),
    regset(NT_MIPS_FP_MODE, 8),
];

/// MIPS o32: an `elf_gregset_t` of 45 32-bit words (6 of padding, r0-r31,
/// lo, hi, epc, badvaddr, status, cause, one spare).
pub const fn mips_o32(big_endian: bool) -> CoreArch {
    linux(EM_MIPS, false, big_endian, 45, MIPS_NOTES)
}

/// MIPS n64: 45 64-bit words, with no padding in front (EF_R0 = 0): r0-r31,
/// lo, hi, epc, badvaddr, status, cause.
pub const fn mips_n64(big_endian: bool) -> CoreArch {
    linux(EM_MIPS, true, big_endian, 45, MIPS_NOTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes and offsets BFD's `grok_prstatus`/`grok_psinfo` expect
    /// (elf64-x86-64.c, elfnn-aarch64.c, elf32-mips.c, elf64-mips.c): a
    /// note of another size is not read as registers.
    #[test]
    fn prstatus_matches_bfd() {
        let x = X86_64.prstatus;
        assert_eq!(
            (x.size, x.cursig, x.pid, x.reg, x.reg_size),
            (336, 12, 32, 112, 216)
        );
        assert_eq!(
            (x.sigpend, x.sighold, x.utime, x.fpvalid),
            (16, 24, 48, 328)
        );
        let a = AARCH64.prstatus;
        assert_eq!((a.size, a.pid, a.reg, a.reg_size), (392, 32, 112, 272));
        let o = mips_o32(true).prstatus;
        assert_eq!(
            (o.size, o.cursig, o.pid, o.reg, o.reg_size),
            (256, 12, 24, 72, 180)
        );
        let n = mips_n64(false).prstatus;
        assert_eq!((n.size, n.pid, n.reg, n.reg_size), (480, 32, 112, 360));
    }

    #[test]
    fn prpsinfo_matches_bfd() {
        let x = X86_64.prpsinfo;
        assert_eq!((x.size, x.flag, x.uid, x.gid), (136, 8, 16, 20));
        assert_eq!((x.pid, x.fname, x.psargs), (24, 40, 56));
        assert_eq!(AARCH64.prpsinfo, x);
        assert_eq!(mips_n64(true).prpsinfo, x);
        let o = mips_o32(false).prpsinfo;
        assert_eq!(
            (o.size, o.flag, o.uid, o.pid, o.fname, o.psargs),
            (128, 4, 8, 16, 32, 48)
        );
    }

    #[test]
    fn i386_matches_the_kernels_compat_structs() {
        // compat_elf_prstatus: 144 bytes, pr_reg at 72; compat_elf_prpsinfo:
        // 124 bytes, 16-bit uids at 8 and 10.
        let p = I386.prstatus;
        assert_eq!((p.size, p.reg, p.reg_size, p.fpvalid), (144, 72, 68, 140));
        let q = I386.prpsinfo;
        assert_eq!(
            (q.size, q.uid, q.gid, q.uid_size, q.pid),
            (124, 8, 10, 2, 12)
        );
        assert_eq!((q.fname, q.psargs), (28, 44));
        assert_eq!(I386.thread_notes[1].name, "LINUX");
        assert_eq!(I386.word_size(), 4);
        // The generic layouts keep 4-byte uids.
        assert_eq!(X86_64.prpsinfo.uid_size, 4);
    }

    #[test]
    fn note_names_and_machines() {
        assert_eq!(X86_64.thread_notes[0].name, "CORE");
        assert_eq!(X86_64.thread_notes[1], regset(NT_X86_XSTATE, 16384));
        assert_eq!(X86_64.thread_notes[1].name, "LINUX");
        assert!(AARCH64.thread_notes[1..].iter().all(|n| n.name == "LINUX"));
        assert_eq!(
            (X86_64.machine, AARCH64.machine, mips_o32(true).machine),
            (62, 183, 8)
        );
        assert_eq!((X86_64.word_size(), mips_o32(true).word_size()), (8, 4));
        assert!(mips_o32(true).big_endian && !mips_n64(false).big_endian);
    }
}
