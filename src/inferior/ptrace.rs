//! Thin wrappers over the ptrace and wait requests that nix lacks or types too
//! narrowly: nix's `Signal` enum cannot hold realtime signals, so resuming and
//! waiting here take and give raw signal numbers. The inferior layer's
//! `unsafe` lives here (ptrace and wait), in `launch.rs` (fork and exec in
//! the child) and in `regs/aarch64.rs` (`getauxval`), each in a small
//! wrapper with its `// SAFETY:` reason.

use nix::errno::Errno;
use nix::unistd::Pid;

pub type Tid = Pid;

fn check(ret: libc::c_long) -> nix::Result<libc::c_long> {
    if ret == -1 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

fn request(req: libc::c_uint, tid: Tid, addr: usize, data: usize) -> nix::Result<libc::c_long> {
    Errno::clear();
    // SAFETY: the requests issued through this helper (CONT, SINGLESTEP, DETACH,
    // SET/GETREGSET with a valid iovec, GET/SETFPREGS and GET/SETSIGINFO with
    // a buffer of the kernel's size, GET_SYSCALL_INFO with the buffer's size,
    // POKEUSER, MIPS GET/SETREGS and GET/SETFPREGS with buffers of the
    // kernel's size, MIPS GET_THREAD_AREA into an unsigned long, x86
    // GET_THREAD_AREA into a 16-byte user_desc, arm64 PEEK/POKEMTETAGS with
    // a valid iovec over our buffer) only read or write memory we pass and
    // own; the address of PEEK/POKEMTETAGS is the tracee's, which the
    // kernel checks.
    check(unsafe {
        libc::ptrace(
            req,
            tid.as_raw(),
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    })
}

/// PTRACE_CONT delivering `sig` (0 for none).
pub fn cont(tid: Tid, sig: i32) -> nix::Result<()> {
    request(libc::PTRACE_CONT, tid, 0, sig as usize).map(drop)
}

/// PTRACE_SINGLESTEP delivering `sig` (0 for none).
pub fn step(tid: Tid, sig: i32) -> nix::Result<()> {
    request(libc::PTRACE_SINGLESTEP, tid, 0, sig as usize).map(drop)
}

/// PTRACE_SYSCALL delivering `sig`: run to the next system-call entry or exit.
pub fn syscall(tid: Tid, sig: i32) -> nix::Result<()> {
    request(libc::PTRACE_SYSCALL, tid, 0, sig as usize).map(drop)
}

/// What a system-call stop is, from PTRACE_GET_SYSCALL_INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallStop {
    Entry { nr: u64 },
    Exit,
    Other,
}

/// PTRACE_GET_SYSCALL_INFO (Linux 5.3): entry (with the call number) or exit.
pub fn syscall_info(tid: Tid) -> nix::Result<SyscallStop> {
    const PTRACE_GET_SYSCALL_INFO: libc::c_uint = 0x420e;
    const OP_ENTRY: u8 = 1;
    const OP_EXIT: u8 = 2;
    // struct ptrace_syscall_info: op, pad[3], arch, instruction_pointer,
    // stack_pointer, then for an entry the number and six arguments.
    let mut buf = [0u8; 88];
    request(
        PTRACE_GET_SYSCALL_INFO,
        tid,
        buf.len(),
        buf.as_mut_ptr() as usize,
    )?;
    Ok(match buf[0] {
        OP_ENTRY => {
            let nr = u64::from_ne_bytes(buf[24..32].try_into().expect("8 bytes"));
            SyscallStop::Entry { nr }
        }
        OP_EXIT => SyscallStop::Exit,
        _ => SyscallStop::Other,
    })
}

/// PTRACE_DETACH delivering `sig` (0 for none).
pub fn detach(tid: Tid, sig: i32) -> nix::Result<()> {
    request(libc::PTRACE_DETACH, tid, 0, sig as usize).map(drop)
}

/// PTRACE_GETREGSET: fills `buf` with register set `note`; returns the size the kernel wrote.
pub fn get_regset(tid: Tid, note: i32, buf: &mut [u8]) -> nix::Result<usize> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    request(
        libc::PTRACE_GETREGSET,
        tid,
        note as usize,
        &mut iov as *mut libc::iovec as usize,
    )?;
    Ok(iov.iov_len)
}

/// arm64 PTRACE_PEEKMTETAGS (read) or PTRACE_POKEMTETAGS (write): the
/// allocation tags of the granules from `addr` on, one byte per 16-byte
/// granule, into or from `tags`. Returns how many granules the kernel
/// moved (fewer than asked where a page is not tagged, or an error
/// if the first one is not).
#[cfg(target_arch = "aarch64")]
pub fn mte_tags(tid: Tid, addr: u64, tags: &mut [u8], write: bool) -> nix::Result<usize> {
    use rgdbserver_arch::aarch64::{PTRACE_PEEKMTETAGS, PTRACE_POKEMTETAGS};
    let mut iov = libc::iovec {
        iov_base: tags.as_mut_ptr().cast(),
        iov_len: tags.len(),
    };
    let req = if write {
        PTRACE_POKEMTETAGS
    } else {
        PTRACE_PEEKMTETAGS
    };
    request(
        req,
        tid,
        addr as usize,
        &mut iov as *mut libc::iovec as usize,
    )?;
    Ok(iov.iov_len)
}

/// PTRACE_SETREGSET from `buf`.
pub fn set_regset(tid: Tid, note: i32, buf: &[u8]) -> nix::Result<()> {
    let mut iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    request(
        libc::PTRACE_SETREGSET,
        tid,
        note as usize,
        &mut iov as *mut libc::iovec as usize,
    )
    .map(drop)
}

/// PTRACE_GETFPREGS into a 512-byte FXSAVE buffer.
#[cfg(target_arch = "x86_64")]
pub fn get_fpregs(tid: Tid, buf: &mut [u8; 512]) -> nix::Result<()> {
    request(libc::PTRACE_GETFPREGS, tid, 0, buf.as_mut_ptr() as usize).map(drop)
}

/// PTRACE_SETFPREGS from a 512-byte FXSAVE buffer.
#[cfg(target_arch = "x86_64")]
pub fn set_fpregs(tid: Tid, buf: &[u8; 512]) -> nix::Result<()> {
    request(libc::PTRACE_SETFPREGS, tid, 0, buf.as_ptr() as usize).map(drop)
}

/// MIPS PTRACE_GETREGS (nix has no register requests on MIPS): 38 64-bit
/// words, whatever the ABI.
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub fn mips_get_regs(
    tid: Tid,
    buf: &mut [u8; rgdbserver_arch::mips::GREGS_SIZE],
) -> nix::Result<()> {
    use rgdbserver_arch::mips::PTRACE_GETREGS;
    request(PTRACE_GETREGS, tid, 0, buf.as_mut_ptr() as usize).map(drop)
}

/// MIPS PTRACE_SETREGS from 38 64-bit words.
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub fn mips_set_regs(tid: Tid, buf: &[u8; rgdbserver_arch::mips::GREGS_SIZE]) -> nix::Result<()> {
    use rgdbserver_arch::mips::PTRACE_SETREGS;
    request(PTRACE_SETREGS, tid, 0, buf.as_ptr() as usize).map(drop)
}

/// MIPS PTRACE_GETFPREGS: 32 64-bit FP registers, fcsr, fir.
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub fn mips_get_fpregs(
    tid: Tid,
    buf: &mut [u8; rgdbserver_arch::mips::FPREGS_SIZE],
) -> nix::Result<()> {
    use rgdbserver_arch::mips::PTRACE_GETFPREGS;
    request(PTRACE_GETFPREGS, tid, 0, buf.as_mut_ptr() as usize).map(drop)
}

/// MIPS PTRACE_SETFPREGS.
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub fn mips_set_fpregs(
    tid: Tid,
    buf: &[u8; rgdbserver_arch::mips::FPREGS_SIZE],
) -> nix::Result<()> {
    use rgdbserver_arch::mips::PTRACE_SETFPREGS;
    request(PTRACE_SETFPREGS, tid, 0, buf.as_ptr() as usize).map(drop)
}

/// MIPS PTRACE_GET_THREAD_AREA: the thread's TLS pointer.
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
pub fn mips_get_thread_area(tid: Tid) -> nix::Result<u64> {
    use rgdbserver_arch::mips::PTRACE_GET_THREAD_AREA;
    let mut tp: libc::c_ulong = 0;
    request(
        PTRACE_GET_THREAD_AREA,
        tid,
        0,
        &mut tp as *mut libc::c_ulong as usize,
    )?;
    Ok(u64::from(tp))
}

/// x86 PTRACE_GET_THREAD_AREA: the base address of a 32-bit tracee's GDT
/// TLS entry `entry` (its gs selector >> 3), from `struct user_desc`.
#[cfg(target_arch = "x86_64")]
pub fn x86_thread_area_base(tid: Tid, entry: u64) -> nix::Result<u64> {
    const PTRACE_GET_THREAD_AREA: libc::c_uint = 25;
    // entry_number, base_addr, limit, flags.
    let mut desc = [0u32; 4];
    request(
        PTRACE_GET_THREAD_AREA,
        tid,
        entry as usize,
        desc.as_mut_ptr() as usize,
    )?;
    Ok(u64::from(desc[1]))
}

/// Byte offset of debug register `n` in `struct user`.
#[cfg(target_arch = "x86_64")]
fn debugreg_offset(n: usize) -> usize {
    std::mem::offset_of!(libc::user, u_debugreg) + n * std::mem::size_of::<u64>()
}

/// PTRACE_PEEKUSER of debug register `n` (0-7).
#[cfg(target_arch = "x86_64")]
pub fn get_debugreg(tid: Tid, n: usize) -> nix::Result<u64> {
    // PEEKUSER returns the word itself, so -1 is only an error with errno set.
    Errno::clear();
    // SAFETY: PEEKUSER reads one word of the tracee's user area; no memory of
    // ours is touched.
    let ret = unsafe {
        libc::ptrace(
            libc::PTRACE_PEEKUSER,
            tid.as_raw(),
            debugreg_offset(n) as *mut libc::c_void,
            std::ptr::null_mut::<libc::c_void>(),
        )
    };
    if ret == -1 && Errno::last_raw() != 0 {
        return Err(Errno::last());
    }
    Ok(ret as u64)
}

/// PTRACE_POKEUSER of debug register `n` (0-7).
#[cfg(target_arch = "x86_64")]
pub fn set_debugreg(tid: Tid, n: usize, value: u64) -> nix::Result<()> {
    request(
        libc::PTRACE_POKEUSER,
        tid,
        debugreg_offset(n),
        value as usize,
    )
    .map(drop)
}

/// Send `sig` to one thread.
pub fn tgkill(pid: Pid, tid: Tid, sig: i32) -> nix::Result<()> {
    // SAFETY: a plain syscall with integer arguments.
    let ret = unsafe { libc::syscall(libc::SYS_tgkill, pid.as_raw(), tid.as_raw(), sig) };
    check(ret).map(drop)
}

/// Send `sig` to task `tid`, whatever its thread group: a task cloned
/// without CLONE_THREAD (gdb shows it as a thread of its parent, as GNU
/// gdbserver does) is a thread group of its own, which `tgkill` with the
/// process's pid cannot reach. Safe against tid reuse only because the
/// tasks we signal are traced by us and not reaped yet.
pub fn tkill(tid: Tid, sig: i32) -> nix::Result<()> {
    // SAFETY: a plain syscall with integer arguments.
    let ret = unsafe { libc::syscall(libc::SYS_tkill, tid.as_raw(), sig) };
    check(ret).map(drop)
}

/// What waitpid said about one thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    Exited(i32),
    Signaled(i32),
    /// Stopped by a signal (signal-delivery-stop or group-stop).
    Stopped(i32),
    /// A PTRACE_EVENT_* stop.
    Event(i32),
    /// A syscall-stop (PTRACE_O_TRACESYSGOOD).
    Syscall,
}

impl WaitStatus {
    pub fn from_raw(status: i32) -> Option<WaitStatus> {
        if libc::WIFEXITED(status) {
            Some(WaitStatus::Exited(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(WaitStatus::Signaled(libc::WTERMSIG(status)))
        } else if libc::WIFSTOPPED(status) {
            let sig = libc::WSTOPSIG(status);
            let event = status >> 16;
            if event != 0 {
                Some(WaitStatus::Event(event))
            } else if sig == libc::SIGTRAP | 0x80 {
                Some(WaitStatus::Syscall)
            } else {
                Some(WaitStatus::Stopped(sig))
            }
        } else {
            None
        }
    }

    pub fn is_exit(&self) -> bool {
        matches!(self, WaitStatus::Exited(_) | WaitStatus::Signaled(_))
    }
}

/// waitpid with __WALL (threads are clones). `pid` -1 waits for any child.
/// Returns None when WNOHANG finds nothing.
pub fn wait(pid: i32, nohang: bool) -> nix::Result<Option<(Tid, WaitStatus)>> {
    let mut status = 0;
    let flags = libc::__WALL | if nohang { libc::WNOHANG } else { 0 };
    loop {
        // SAFETY: `status` is a valid out-pointer for the call's duration.
        let ret = unsafe { libc::waitpid(pid, &mut status, flags) };
        match ret {
            -1 if Errno::last() == Errno::EINTR => continue,
            -1 => return Err(Errno::last()),
            0 => return Ok(None),
            tid => {
                return Ok(WaitStatus::from_raw(status).map(|s| (Pid::from_raw(tid), s)));
            }
        }
    }
}

/// Size of the kernel's `siginfo_t`.
pub const SIGINFO_SIZE: usize = 128;

/// PTRACE_GETSIGINFO as raw bytes (what gdb's `$_siginfo` reads).
pub fn get_siginfo_raw(tid: Tid) -> nix::Result<[u8; SIGINFO_SIZE]> {
    let mut buf = [0u8; SIGINFO_SIZE];
    request(libc::PTRACE_GETSIGINFO, tid, 0, buf.as_mut_ptr() as usize)?;
    Ok(buf)
}

/// PTRACE_SETSIGINFO from raw bytes.
pub fn set_siginfo_raw(tid: Tid, info: &[u8; SIGINFO_SIZE]) -> nix::Result<()> {
    request(libc::PTRACE_SETSIGINFO, tid, 0, info.as_ptr() as usize).map(drop)
}

/// The si_code of the signal that stopped `tid`.
pub fn siginfo_code(tid: Tid) -> nix::Result<i32> {
    nix::sys::ptrace::getsiginfo(tid).map(|info| info.si_code)
}
