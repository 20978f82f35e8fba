//! SIGTRAP stops: telling our software breakpoints from hardware ones,
//! watchpoints, the end of a single step and the program's own traps, and
//! what follows each: a breakpoint whose conditions are false (or that runs
//! commands) is stepped over unreported, and a range step goes on stepping
//! until the PC leaves its range.

use crate::inferior::hw_debug::HwKind;
use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::regs::native;

use super::events::Afterwards;
use super::{ptrace_err, Process, ProcessError, StopEvent};

/// `si_code` values of SIGTRAP that tell a breakpoint from a single step.
pub(super) const TRAP_BRKPT: i32 = 1;
const TRAP_TRACE: i32 = 2;
const TRAP_HWBKPT: i32 = 4;
pub(super) const SI_KERNEL: i32 = 0x80;

impl Process {
    /// `tid` stopped with SIGTRAP: the event it is, if gdb is to hear of it.
    pub(super) fn on_trap(
        &mut self,
        tid: Tid,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        let stepping = self.threads[&tid].stepping;
        let range = self.threads[&tid].range;
        self.mark_stopped(tid);
        let event = self.classify_trap(tid, stepping)?;
        if let StopEvent::Breakpoint { addr, .. } = event {
            // Commands run only when a condition holds; either way
            // there is nothing to report then.
            if !self.breakpoint_condition_holds(tid, addr)
                || self.run_breakpoint_commands(tid, addr)
            {
                // gdb's condition is false: no stop for gdb. While
                // threads are being stopped, this one just stays
                // stopped at the breakpoint, to hit it again (and
                // evaluate it again) when it next runs.
                return match then {
                    Afterwards::RunOn => self.step_over_breakpoint(tid, addr),
                    Afterwards::StayStopped => Ok(None),
                };
            }
        }
        if let (StopEvent::Step { .. }, Some((start, end))) = (event, range) {
            // Range stepping: report only the step that leaves the
            // range (or meets something else).
            let pc = native::RegisterContext::read_pc(tid)?;
            if (start..end).contains(&pc)
                && then == Afterwards::RunOn
                && !self.threads[&tid].stop_requested
            {
                self.regs.forget(tid);
                self.restart(tid)?;
                return Ok(None);
            }
        }
        Ok(Some(event))
    }

    /// A SIGTRAP: our breakpoint, the end of a single step, or the program's own trap.
    fn classify_trap(&mut self, tid: Tid, stepping: bool) -> Result<StopEvent, ProcessError> {
        let code = pt::siginfo_code(tid).map_err(ptrace_err(tid))?;
        if !self.points.hw.is_empty() || code == TRAP_HWBKPT {
            if let Some(hit) = self.points.hw.take_hit(tid)? {
                return Ok(match hit.kind {
                    HwKind::Execute => StopEvent::HwBreak { tid },
                    kind => StopEvent::Watch {
                        tid,
                        kind,
                        addr: hit.addr,
                    },
                });
            }
        }
        if code == SI_KERNEL || code == TRAP_BRKPT {
            let pc = native::RegisterContext::read_pc(tid)?;
            let addr = pc.wrapping_sub(native::PC_ADJUST_AFTER_BREAKPOINT);
            if self.points.software.contains(addr) {
                native::RegisterContext::write_pc(tid, addr)?;
                self.regs.forget(tid);
                return Ok(StopEvent::Breakpoint { tid, addr });
            }
        }
        if stepping && (code == TRAP_TRACE || code == TRAP_BRKPT || code == SI_KERNEL) {
            return Ok(StopEvent::Step { tid });
        }
        Ok(StopEvent::Signal {
            tid,
            signal: libc::SIGTRAP,
        })
    }
}
