//! What happens at a tracepoint hit, on a `Source` of registers and
//! memory (the stopped thread, or a fake in the tests): the condition, the
//! pass count, the actions run into one frame. Expressions run in the agent
//! evaluator with a context that collects (`trace` ops record memory,
//! `tracev` variables) and reads and sets the trace state variables.

use crate::inferior::agent_expr::{self, AgentContext};

use super::buffer::{Frame, FrameWriter};
use super::{Collect, Place, Tracepoint, Variables};

/// Where a hit's data comes from.
pub trait Source {
    /// The whole register block, in gdb's `g` layout.
    fn registers(&mut self) -> Option<Vec<u8>>;
    /// gdb register `regnum`, zero-extended.
    fn register(&mut self, regnum: u16) -> Option<u64>;
    /// Fill `buf` from `addr`; how many bytes could be read.
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> usize;
}

/// Expressions may collect at most this much per `trace` op (gdb never
/// asks for more: it splits big objects into `M` actions).
const TRACE_LIMIT: u64 = 0x10_0000;

struct HitContext<'a> {
    source: &'a mut dyn Source,
    variables: &'a mut Variables,
    /// None while evaluating the condition: nothing is collected.
    frame: Option<&'a mut FrameWriter>,
}

impl AgentContext for HitContext<'_> {
    fn register(&mut self, regnum: u16) -> Option<u64> {
        self.source.register(regnum)
    }

    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        self.source.read_memory(addr, buf) == buf.len()
    }

    fn trace_memory(&mut self, addr: u64, len: u64, until_zero: bool) -> bool {
        let Some(frame) = self.frame.as_deref_mut() else {
            return false;
        };
        let mut bytes = vec![0u8; len.min(TRACE_LIMIT) as usize];
        let n = self.source.read_memory(addr, &mut bytes);
        bytes.truncate(n);
        if until_zero {
            if let Some(zero) = bytes.iter().position(|&b| b == 0) {
                bytes.truncate(zero + 1);
            }
        }
        if !bytes.is_empty() {
            frame.memory(addr, &bytes);
        }
        true
    }

    fn variable(&mut self, n: u16) -> Option<u64> {
        self.variables.value(n)
    }

    fn set_variable(&mut self, n: u16, value: u64) -> bool {
        self.variables.set(n, value)
    }

    fn trace_variable(&mut self, n: u16) -> bool {
        let Some(value) = self.variables.value(n) else {
            return false;
        };
        match self.frame.as_deref_mut() {
            Some(frame) => {
                frame.variable(u32::from(n), value);
                true
            }
            None => false,
        }
    }
}

/// Whether `tp`'s condition holds (no condition: it does). One that cannot
/// be evaluated counts as false, as in GNU gdbserver (which reports an
/// error and stops tracing; we log it and go on).
pub(super) fn condition_holds(
    tp: &Tracepoint,
    variables: &mut Variables,
    source: &mut dyn Source,
) -> bool {
    let Some(code) = &tp.condition else {
        return true;
    };
    let mut ctx = HitContext {
        source,
        variables,
        frame: None,
    };
    match agent_expr::evaluate(code, &mut ctx) {
        Ok(value) => value != 0,
        Err(e) => {
            log::warn!("tracepoint {} condition: {e}", tp.number);
            false
        }
    }
}

/// Run `actions` into a frame for tracepoint `number` at `pc`.
pub(super) fn collect(
    number: u32,
    pc: u64,
    actions: &[Collect],
    variables: &mut Variables,
    source: &mut dyn Source,
) -> Frame {
    let mut writer = FrameWriter::default();
    let mut registers_done = false;
    for action in actions {
        match action {
            Collect::Registers => {
                if !registers_done {
                    if let Some(g) = source.registers() {
                        writer.registers(&g);
                        registers_done = true;
                    }
                }
            }
            Collect::Memory { start, len } => {
                let start = match *start {
                    Place::At(addr) => Some(addr),
                    Place::Register(reg, offset) => {
                        source.register(reg).map(|b| b.wrapping_add(offset))
                    }
                };
                let Some(start) = start else {
                    log::debug!("tracepoint {number}: no base register for {action:?}");
                    continue;
                };
                let mut bytes = vec![0u8; (*len).min(TRACE_LIMIT) as usize];
                let n = source.read_memory(start, &mut bytes);
                if n > 0 {
                    writer.memory(start, &bytes[..n]);
                }
            }
            Collect::Expression(code) => {
                let mut ctx = HitContext {
                    source,
                    variables,
                    frame: Some(&mut writer),
                };
                if let Err(e) = agent_expr::evaluate(code, &mut ctx) {
                    log::debug!("tracepoint {number} expression: {e}");
                }
            }
        }
    }
    writer.finish(number, pc)
}
