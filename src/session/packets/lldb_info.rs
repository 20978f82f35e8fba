//! lldb's information packets: `qHostInfo` (this machine), `qProcessInfo`
//! (the current process) and `qShlibInfoAddr` (where the program keeps its
//! `r_debug` pointer). Without them lldb guesses the target from the ELF
//! file and, for shared libraries, falls back to the `main-lm` of our
//! `qXfer:libraries-svr4` reply — which for gdb (and GNU gdbserver) is the
//! executable's `link_map`, not a place holding `r_debug`'s address, so
//! lldb read garbage and found no libraries. Answering `qShlibInfoAddr`
//! keeps lldb off `main-lm` and leaves gdb's meaning of it alone.

use crate::inferior::regs::native;
use crate::protocol::lldb_info::{
    address_reply, host_info_reply, process_info_reply, HostInfo, ProcessInfo,
};
use crate::protocol::reply::Reply;
use crate::stub::DebugTarget;

use super::error;

const POINTER_SIZE: usize = std::mem::size_of::<usize>();
const BIG_ENDIAN: bool = cfg!(target_endian = "big");

/// `qHostInfo`: the server's machine (the target is always native).
pub(in crate::session) fn host() -> Reply {
    let (hostname, os_release, os_version) = match nix::sys::utsname::uname() {
        Ok(u) => (
            u.nodename().to_string_lossy().into_owned(),
            u.release().to_string_lossy().into_owned(),
            u.version().to_string_lossy().into_owned(),
        ),
        Err(e) => {
            log::debug!("uname: {e}");
            Default::default()
        }
    };
    Reply::Data(host_info_reply(&HostInfo {
        triple: native::LLDB_TRIPLE,
        big_endian: BIG_ENDIAN,
        pointer_size: POINTER_SIZE,
        watchpoints_after: native::WATCHPOINTS_AFTER,
        hostname,
        os_release,
        os_version,
    }))
}

/// `qProcessInfo`: `E01` with no process (lldb then asks again later).
pub(in crate::session) fn process(target: &DebugTarget) -> Reply {
    let Some(process) = target.process.as_ref() else {
        return Reply::Error(1);
    };
    // A 32-bit program under the x86_64 server is lldb's i386 target.
    let (triple, pointer_size) = if process.is_i386_on_x86_64() {
        ("i386-pc-linux-gnu", 4)
    } else {
        (native::LLDB_TRIPLE, POINTER_SIZE)
    };
    match process.credentials() {
        Ok(ids) => Reply::Data(process_info_reply(&ProcessInfo {
            pid: process.pid().as_raw() as u32,
            parent_pid: ids.parent,
            uids: ids.uids,
            gids: ids.gids,
            triple,
            big_endian: BIG_ENDIAN,
            pointer_size,
        })),
        Err(e) => error(e),
    }
}

/// `qShlibInfoAddr`: an error for a program without DT_DEBUG (static),
/// where lldb looks for `_r_debug` among its symbols instead.
pub(in crate::session) fn shlib_info_addr(target: &DebugTarget) -> Reply {
    let Some(process) = target.process.as_ref() else {
        return Reply::Error(1);
    };
    match process.r_debug_pointer_location() {
        Ok(addr) => Reply::Data(address_reply(addr)),
        Err(e) => {
            log::debug!("qShlibInfoAddr: {e}");
            error(e)
        }
    }
}
