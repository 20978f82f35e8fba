//! Hardware breakpoints and watchpoints: which gdb requests own which debug
//! register slots, and programming those slots into every thread. Debug
//! registers are per thread and a new thread starts with none, so the
//! process applies them to each thread before it first runs.
//!
//! x86_64 here, arm64 in `hw_debug_aarch64.rs`; other architectures report
//! the request unsupported, and gdb falls back to software watchpoints and
//! breakpoints.

use super::ptrace::Tid;

/// What a gdb request watches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HwKind {
    /// `hbreak`: executing the address.
    Execute,
    /// `watch`
    Write,
    /// `rwatch`
    Read,
    /// `awatch`
    Access,
}

/// One Z1-Z4 request as gdb sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HwRequest {
    pub kind: HwKind,
    pub addr: u64,
    pub len: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HwDebugError {
    #[error("this kind of hardware breakpoint or watchpoint is not supported")]
    Unsupported,
    #[error("no free debug register for this request")]
    NoSlots,
    #[error("programming the debug registers of thread {tid}: {errno}")]
    Ptrace { tid: i32, errno: nix::errno::Errno },
}

/// Which request fired, from the thread's debug status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HwHit {
    pub kind: HwKind,
    /// The watched address that fired (within the request's range).
    pub addr: u64,
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use rgdbserver_arch::x86_debug_regs::{self as dr, Access, Slot};

    use super::*;
    use crate::inferior::ptrace as pt;

    #[derive(Debug, Default)]
    pub struct HwDebug {
        slots: [Option<(Slot, HwRequest)>; dr::NUM_SLOTS],
    }

    impl HwDebug {
        pub fn is_empty(&self) -> bool {
            self.slots.iter().all(Option::is_none)
        }

        /// Reserve slots for `request`. Nothing is written to threads yet.
        pub fn insert(&mut self, request: HwRequest) -> Result<(), HwDebugError> {
            let access = match request.kind {
                HwKind::Execute => Access::Execute,
                HwKind::Write => Access::Write,
                HwKind::Access => Access::ReadWrite,
                // x86 cannot trap on reads alone; gdb then asks for an
                // access watchpoint and filters itself, as with gdbserver.
                HwKind::Read => return Err(HwDebugError::Unsupported),
            };
            let free: Vec<usize> = (0..dr::NUM_SLOTS)
                .filter(|&i| self.slots[i].is_none())
                .collect();
            // One region past the free slots is enough to refuse.
            let regions: Vec<(u64, u8)> = if request.kind == HwKind::Execute {
                vec![(request.addr, 1)]
            } else {
                dr::split_region(request.addr, request.len)
                    .take(free.len() + 1)
                    .collect()
            };
            if regions.is_empty() || regions.len() > free.len() {
                return Err(HwDebugError::NoSlots);
            }
            for ((addr, len), slot) in regions.into_iter().zip(free) {
                self.slots[slot] = Some((Slot { addr, len, access }, request));
            }
            Ok(())
        }

        /// Whether slots are held for a request equal to `request`.
        pub fn contains(&self, request: HwRequest) -> bool {
            self.slots.iter().flatten().any(|(_, r)| *r == request)
        }

        /// Release the slots of one request equal to `request`; false if none.
        pub fn remove(&mut self, request: HwRequest) -> bool {
            let mut found = false;
            for slot in self.slots.iter_mut() {
                if slot.is_some_and(|(_, r)| r == request) {
                    *slot = None;
                    found = true;
                }
            }
            found
        }

        pub fn clear(&mut self) {
            self.slots = Default::default();
        }

        /// Program this thread's debug registers to match the table.
        pub fn apply(&self, tid: Tid) -> Result<(), HwDebugError> {
            let err = |errno| HwDebugError::Ptrace {
                tid: tid.as_raw(),
                errno,
            };
            let slots = self.slots.map(|s| s.map(|(slot, _)| slot));
            // Disable first: the kernel checks enabled slots' addresses when
            // DR7 is written, and old enables may not suit the new addresses.
            pt::set_debugreg(tid, dr::DR7, 0).map_err(err)?;
            for (i, slot) in slots.iter().enumerate() {
                pt::set_debugreg(tid, i, slot.map_or(0, |s| s.addr)).map_err(err)?;
            }
            let control = dr::dr7(&slots);
            if control != 0 {
                pt::set_debugreg(tid, dr::DR7, control).map_err(err)?;
            }
            Ok(())
        }

        /// Which request made this thread trap, if any; clears the status.
        pub fn take_hit(&self, tid: Tid) -> Result<Option<HwHit>, HwDebugError> {
            let err = |errno| HwDebugError::Ptrace {
                tid: tid.as_raw(),
                errno,
            };
            let status = pt::get_debugreg(tid, dr::DR6).map_err(err)?;
            let hit = dr::fired_slots(status).find_map(|i| {
                self.slots[i].map(|(slot, request)| HwHit {
                    kind: request.kind,
                    addr: slot.addr.max(request.addr),
                })
            });
            if status != 0 {
                pt::set_debugreg(tid, dr::DR6, 0).map_err(err)?;
            }
            Ok(hit)
        }
    }
}

#[cfg(target_arch = "aarch64")]
#[path = "hw_debug_aarch64.rs"]
mod imp;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod imp {
    use super::*;

    #[derive(Debug, Default)]
    pub struct HwDebug {}

    impl HwDebug {
        pub fn is_empty(&self) -> bool {
            true
        }

        pub fn insert(&mut self, _request: HwRequest) -> Result<(), HwDebugError> {
            Err(HwDebugError::Unsupported)
        }

        pub fn contains(&self, _request: HwRequest) -> bool {
            false
        }

        pub fn remove(&mut self, _request: HwRequest) -> bool {
            false
        }

        pub fn clear(&mut self) {}

        pub fn apply(&self, _tid: Tid) -> Result<(), HwDebugError> {
            Ok(())
        }

        pub fn take_hit(&self, _tid: Tid) -> Result<Option<HwHit>, HwDebugError> {
            Ok(None)
        }
    }
}

pub use imp::HwDebug;
