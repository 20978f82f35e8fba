//! Resuming threads as vCont asks (gdbstub's MultiThreadResume, single step
//! and scheduler locking). gdbstub hands us the actions one by one; we gather
//! them into a plan and hand the whole plan to the process on `resume`.

use gdbstub::common::{Signal, Tid as GdbTid};
use gdbstub::target::ext::base::multithread::{
    MultiThreadResume, MultiThreadSchedulerLocking, MultiThreadSchedulerLockingOps,
    MultiThreadSingleStep, MultiThreadSingleStepOps,
};

use super::base::to_tid;
use super::{DebugTarget, FatalError, ResumePlan};
use crate::inferior::process::ResumeAction;
use crate::inferior::regs::native;

fn host_signal(signal: Option<Signal>) -> i32 {
    signal
        .and_then(|s| native::SIGNALS.from_gdb(s.0))
        .unwrap_or(0)
}

impl MultiThreadResume for DebugTarget {
    fn resume(&mut self) -> Result<(), Self::Error> {
        let plan = std::mem::take(&mut self.plan);
        let default = (!plan.scheduler_locked).then_some(ResumeAction::Continue { signal: 0 });
        match self.process.as_mut() {
            Some(process) => process
                .resume(&plan.actions, default, false)
                .map_err(FatalError::from),
            None => Ok(()),
        }
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        self.plan = ResumePlan::default();
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        tid: GdbTid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.plan.actions.insert(
            to_tid(tid),
            ResumeAction::Continue {
                signal: host_signal(signal),
            },
        );
        Ok(())
    }

    // Without it (MIPS) vCont? offers no `s` and gdb steps in software.
    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        native::HARDWARE_SINGLE_STEP.then_some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSingleStep for DebugTarget {
    fn set_resume_action_step(
        &mut self,
        tid: GdbTid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.plan.actions.insert(
            to_tid(tid),
            ResumeAction::Step {
                signal: host_signal(signal),
            },
        );
        Ok(())
    }
}

impl MultiThreadSchedulerLocking for DebugTarget {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        self.plan.scheduler_locked = true;
        Ok(())
    }
}
