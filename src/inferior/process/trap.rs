//! SIGTRAP stops: telling our software breakpoints from hardware ones,
//! watchpoints, the end of a single step and the program's own traps, and
//! what follows each: a tracepoint collects (`tracing`), a breakpoint whose
//! conditions are false (or that runs commands, or is only a tracepoint's)
//! is stepped over unreported, and a range step goes on stepping
//! until the PC leaves its range.

use crate::inferior::ptrace::{self as pt, Tid};
use crate::inferior::regs::native;

use super::events::Afterwards;
use super::route::{self, TrapFacts};
use super::{ptrace_err, Process, ProcessError, StopEvent};

/// `si_code` values of SIGTRAP that tell a breakpoint from a single step.
pub(super) const TRAP_BRKPT: i32 = 1;
pub(super) const TRAP_TRACE: i32 = 2;
pub(super) const TRAP_HWBKPT: i32 = 4;
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
        if !matches!(event, StopEvent::Breakpoint { .. }) {
            // It moved on from any tracepoint it stayed at.
            if let Some(thread) = self.threads.get_mut(&tid) {
                thread.collected_at = None;
            }
        }
        if let StopEvent::Breakpoint { addr, .. } = event {
            if self.is_trace_site(addr) {
                // A tracepoint: collect, and run on unless gdb has a
                // breakpoint here too.
                let gdbs = self.is_gdb_breakpoint(addr);
                self.trace_hit(tid, addr, gdbs || then == Afterwards::StayStopped);
                if !gdbs {
                    let after = self.run_on_from_trace_site(tid, addr, then)?;
                    return self.within_range(after, range, then);
                }
            }
            // Commands run only when a condition holds; either way
            // there is nothing to report then.
            if !self.breakpoint_condition_holds(tid, addr)
                || self.run_breakpoint_commands(tid, addr)
            {
                // gdb's condition is false: no stop for gdb. While
                // threads are being stopped, this one just stays
                // stopped at the breakpoint, to hit it again (and
                // evaluate it again) when it next runs.
                let after = match then {
                    Afterwards::RunOn => self.step_over_breakpoint(tid, addr)?,
                    Afterwards::StayStopped => None,
                };
                return self.within_range(after, range, then);
            }
        }
        self.within_range(Some(event), range, then)
    }

    /// Range stepping: report only the step that leaves the range (or
    /// meets something else); a step inside it (also the one over a
    /// tracepoint or a false condition met on the way) goes on stepping.
    fn within_range(
        &mut self,
        event: Option<StopEvent>,
        range: Option<(u64, u64)>,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        if let (Some(StopEvent::Step { tid }), Some((start, end))) = (event, range) {
            let pc = self.regs.pc(tid)?;
            if (start..end).contains(&pc)
                && then == Afterwards::RunOn
                && self.threads.get(&tid).is_some_and(|t| !t.stop_requested)
            {
                self.restart(tid)?;
                return Ok(None);
            }
        }
        Ok(event)
    }

    /// Past a tracepoint's trap nobody else wants reported: stepped over,
    /// or, when the run ended with this hit and the trap is gone, simply
    /// resumed where it was.
    fn run_on_from_trace_site(
        &mut self,
        tid: Tid,
        addr: u64,
        then: Afterwards,
    ) -> Result<Option<StopEvent>, ProcessError> {
        match then {
            Afterwards::StayStopped => Ok(None),
            Afterwards::RunOn if self.points.software.contains(addr) => {
                self.step_over_breakpoint(tid, addr)
            }
            Afterwards::RunOn => {
                self.regs.forget(tid);
                self.restart(tid)?;
                Ok(None)
            }
        }
    }

    /// A SIGTRAP: our breakpoint, the end of a single step, or the
    /// program's own trap. The facts are read here (only those the
    /// decision needs, in its order); `route::trap_event` decides.
    fn classify_trap(&mut self, tid: Tid, stepping: bool) -> Result<StopEvent, ProcessError> {
        let code = pt::siginfo_code(tid).map_err(ptrace_err(tid))?;
        let hw_hit = if !self.points.hw.is_empty() || code == TRAP_HWBKPT {
            self.points.hw.take_hit(tid)?
        } else {
            None
        };
        let breakpoint = if hw_hit.is_none() && (code == SI_KERNEL || code == TRAP_BRKPT) {
            let pc = self.regs.pc(tid)?;
            let addr = pc.wrapping_sub(native::PC_ADJUST_AFTER_BREAKPOINT);
            self.points.software.contains(addr).then_some(addr)
        } else {
            None
        };
        let facts = TrapFacts {
            code,
            hw_hit,
            breakpoint,
            stepping,
        };
        let event = route::trap_event(tid, facts);
        if let StopEvent::Breakpoint { addr, .. } = event {
            // Back to the breakpoint's address, where gdb expects the PC.
            self.regs.set_pc(tid, addr)?;
        }
        Ok(event)
    }
}
