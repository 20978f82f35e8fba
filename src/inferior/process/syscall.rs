//! System-call stops, while gdb catches system calls (`QCatchSyscalls`):
//! which call a stop is, whether it enters or returns, and whether gdb asked
//! to hear of that call. The thread remembers the call it entered, as the
//! kernel does not say on return.

use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::regs::native;

use super::events::Afterwards;
use super::{ptrace_err, Process, ProcessError, StopEvent};

impl Process {
    /// `tid` stopped at a system call: a Syscall event if gdb catches this
    /// one, else it goes on.
    pub(super) fn on_syscall(
        &mut self,
        tid: Tid,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        self.mark_stopped(tid);
        match self.syscall_stop(tid)? {
            Some(event) => Ok(Some(event)),
            None => self.carry_on(tid, then),
        }
    }

    /// A system-call stop: which call, entry or return, and whether gdb
    /// wants to hear of it.
    fn syscall_stop(&mut self, tid: Tid) -> Result<Option<StopEvent>, ProcessError> {
        let info = pt::syscall_info(tid).map_err(ptrace_err(tid))?;
        let thread = self.threads.get_mut(&tid).expect("checked by the caller");
        let (nr, entry) = match info {
            pt::SyscallStop::Entry { nr } => {
                thread.in_syscall = Some(nr);
                (nr, true)
            }
            pt::SyscallStop::Exit => match thread.in_syscall.take() {
                Some(nr) => (nr, false),
                // Entered before we watched (catch syscall set mid-call):
                // the registers still say which call it is.
                None => match native::RegisterContext::syscall_number(tid) {
                    Some(nr) => (nr, false),
                    None => return Ok(None),
                },
            },
            pt::SyscallStop::Other => return Ok(None),
        };
        let wanted = self
            .catch_syscalls
            .as_ref()
            .is_some_and(|set| set.is_empty() || set.contains(&nr));
        Ok(wanted.then_some(StopEvent::Syscall { tid, nr, entry }))
    }
}
