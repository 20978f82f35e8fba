//! What gdb hangs on a software breakpoint besides the trap itself: its
//! conditions and its commands (agent expressions, from `Z0`'s `cond` and
//! `cmds` lists), and the context they are evaluated in. A hit whose
//! conditions are all false, or that runs commands, is not reported: the
//! trap handling (`trap`) asks here before it reports a breakpoint.

use std::collections::HashMap;

use crate::inferior::agent_expr;
use crate::inferior::ptrace::Tid;

use super::Process;

/// The conditions and commands of the software breakpoints, by address.
#[derive(Debug, Clone, Default)]
pub(super) struct BreakpointActions {
    /// gdb's conditions for software breakpoints, by address: the
    /// breakpoint is reported only when one of them is true.
    conditions: HashMap<u64, Vec<Vec<u8>>>,
    /// gdb's commands (e.g. an agent-style dprintf) for software
    /// breakpoints, by address: run at each hit, which then does not stop.
    commands: HashMap<u64, Vec<Vec<u8>>>,
}

impl BreakpointActions {
    /// The breakpoint at `addr` is gone: so are its conditions and commands.
    pub(super) fn forget(&mut self, addr: u64) {
        self.conditions.remove(&addr);
        self.commands.remove(&addr);
    }

    /// Every breakpoint is gone.
    pub(super) fn clear(&mut self) {
        self.conditions.clear();
        self.commands.clear();
    }
}

impl Process {
    /// gdb's conditions for the software breakpoint at `addr`, as its last
    /// `Z0` there gave them (none: it always stops).
    pub fn set_breakpoint_conditions(&mut self, addr: u64, conditions: Vec<Vec<u8>>) {
        replace_expressions(&mut self.points.actions.conditions, addr, conditions);
    }

    /// gdb's commands for the software breakpoint at `addr` (none: it
    /// stops as usual).
    pub fn set_breakpoint_commands(&mut self, addr: u64, commands: Vec<Vec<u8>>) {
        replace_expressions(&mut self.points.actions.commands, addr, commands);
    }

    /// Run the commands of the breakpoint at `addr` for `tid`, which hit it
    /// (its conditions held). True if it has commands: then, as with
    /// gdbserver, the hit is not reported.
    pub(super) fn run_breakpoint_commands(&mut self, tid: Tid, addr: u64) -> bool {
        let Some(commands) = self.points.actions.commands.get(&addr).cloned() else {
            return false;
        };
        let mut ctx = ConditionContext::new(self, tid, true);
        for code in &commands {
            if let Err(e) = agent_expr::evaluate(code, &mut ctx) {
                log::warn!("breakpoint command at {addr:#x}: {e}");
            }
        }
        true
    }

    /// Whether `tid`, stopped at the breakpoint at `addr`, is to be
    /// reported: with no conditions, or when one of them is true. A
    /// condition we cannot evaluate counts as true, so that gdb decides
    /// (as GNU gdbserver does).
    pub(super) fn breakpoint_condition_holds(&mut self, tid: Tid, addr: u64) -> bool {
        let Some(conditions) = self.points.actions.conditions.get(&addr).cloned() else {
            return true;
        };
        let mut ctx = ConditionContext::new(self, tid, false);
        conditions
            .iter()
            .any(|code| match agent_expr::evaluate(code, &mut ctx) {
                Ok(value) => value != 0,
                Err(e) => {
                    log::debug!("breakpoint condition at {addr:#x}: {e}; reporting the stop");
                    true
                }
            })
    }
}

impl Process {
    /// gdb register `regnum` out of a `g` block, zero-extended, if it
    /// exists and fits 8 bytes.
    pub(super) fn register_in_block(&self, g: &[u8], regnum: u16) -> Option<u64> {
        let info = self.register_context().register(usize::from(regnum))?;
        let bytes = g.get(info.offset..info.offset + info.size)?;
        if bytes.len() > 8 {
            return None;
        }
        // The `g` layout is in the target's byte order, which is ours.
        let mut word = [0u8; 8];
        if cfg!(target_endian = "big") {
            word[8 - bytes.len()..].copy_from_slice(bytes);
        } else {
            word[..bytes.len()].copy_from_slice(bytes);
        }
        Some(u64::from_ne_bytes(word))
    }
}

/// What a breakpoint condition sees: the stopped thread's registers (read
/// once, in gdb's `g` layout) and the process's memory as the program has
/// it.
struct ConditionContext<'p> {
    process: &'p mut Process,
    tid: Tid,
    registers: Option<Vec<u8>>,
    /// Commands may print (to our stdout, the terminal the program shares,
    /// as gdbserver's agent printf does); conditions may not.
    prints: bool,
}

impl<'p> ConditionContext<'p> {
    fn new(process: &'p mut Process, tid: Tid, prints: bool) -> ConditionContext<'p> {
        ConditionContext {
            process,
            tid,
            registers: None,
            prints,
        }
    }
}

impl agent_expr::AgentContext for ConditionContext<'_> {
    fn register(&mut self, regnum: u16) -> Option<u64> {
        if self.registers.is_none() {
            self.registers = Some(self.process.read_registers(self.tid).ok()?);
        }
        self.process
            .register_in_block(self.registers.as_ref()?, regnum)
    }

    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        matches!(self.process.read_memory(addr, buf), Ok(n) if n == buf.len())
    }

    fn print(&mut self, text: &[u8]) -> bool {
        use std::io::Write;
        if !self.prints {
            return false;
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text).and_then(|()| out.flush());
        true
    }
}

/// A `Z0` says a breakpoint's whole list of expressions (none: forget them).
fn replace_expressions(map: &mut HashMap<u64, Vec<Vec<u8>>>, addr: u64, list: Vec<Vec<u8>>) {
    if list.is_empty() {
        map.remove(&addr);
    } else {
        map.insert(addr, list);
    }
}
