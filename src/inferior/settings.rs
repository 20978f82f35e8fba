//! What gdb told the server about every process it debugs, kept in one
//! place: the signals to pass or to allow (`QPassSignals`,
//! `QProgramSignals`), whether gdb follows forks and execs (its
//! `qSupported`) and whether it hears of thread exits (`QThreadEvents`). The session writes them; every process, fork children
//! included, reads the same value through a `SharedSettings` handle, so a
//! change reaches each of them at once and nothing is copied.
//!
//! System calls to catch are not here: in gdb they belong to each process
//! (a fork child inherits its parent's), and `Process` keeps them.

use std::cell::{Ref, RefCell};
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

/// What gdb said about signals (host numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalPolicy {
    /// Delivered to the program straight away, without a stop (`QPassSignals`).
    pub pass: HashSet<i32>,
    /// If set, only these may reach the program without gdb resuming it
    /// with them, e.g. signals still pending at detach (`QProgramSignals`).
    pub program: Option<HashSet<i32>>,
}

impl SignalPolicy {
    /// May `signal` reach the program although gdb did not resume with it?
    pub fn allows(&self, signal: i32) -> bool {
        self.program.as_ref().is_none_or(|p| p.contains(&signal))
    }
}

/// The server-wide settings every traced process consults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub signals: SignalPolicy,
    /// gdb understands fork and vfork events (`fork-events+`); otherwise
    /// children are cleaned of breakpoints and let go at once.
    pub report_forks: bool,
    /// gdb understands exec events (`exec-events+`); otherwise an exec is
    /// reported as a plain SIGTRAP, as before the protocol had them.
    pub report_exec: bool,
    /// gdb wants to hear of every thread's exit (`QThreadEvents:1`, which
    /// it turns on while it stops all threads, so as not to wait for ever
    /// on one that exits meanwhile).
    pub report_thread_events: bool,
    /// The threads whose exit gdb wants to hear of whatever
    /// `report_thread_events` says (`QThreadOptions` with the EXIT option,
    /// gdb 15 and later, for the thread it steps over a breakpoint).
    pub exit_reported: BTreeSet<i32>,
    /// The threads whose clones gdb wants reported as stops, the new
    /// thread stopped too (`QThreadOptions` with the CLONE option).
    pub clone_reported: BTreeSet<i32>,
}

/// One `Settings` value shared by the target and all its processes: a
/// clone is another handle on the same value.
#[derive(Debug, Clone, Default)]
pub struct SharedSettings(Rc<RefCell<Settings>>);

impl SharedSettings {
    /// The settings as they are now. Hold the borrow briefly: an `update`
    /// while it is held panics.
    pub fn get(&self) -> Ref<'_, Settings> {
        self.0.borrow()
    }

    /// Change the settings, for every process that shares them.
    pub fn update(&self, change: impl FnOnce(&mut Settings)) {
        change(&mut self.0.borrow_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_value() {
        let target = SharedSettings::default();
        let process = target.clone();
        let child = process.clone();
        target.update(|s| {
            s.report_forks = true;
            s.signals.pass.insert(libc::SIGUSR1);
        });
        assert!(process.get().report_forks);
        assert!(child.get().signals.pass.contains(&libc::SIGUSR1));
        assert!(!child.get().report_exec);
    }

    #[test]
    fn program_signals_allow_all_until_gdb_names_some() {
        let mut policy = SignalPolicy::default();
        assert!(policy.allows(libc::SIGUSR1));
        policy.program = Some([libc::SIGUSR2].into());
        assert!(!policy.allows(libc::SIGUSR1));
        assert!(policy.allows(libc::SIGUSR2));
    }
}
