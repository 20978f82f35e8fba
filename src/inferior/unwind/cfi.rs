//! One step up the stack by call frame information: find the row of the
//! FDE for an address (gimli's `UnwindSection`/`UnwindTable` machinery),
//! compute the CFA, and recover the caller's registers by the row's rules,
//! DWARF expressions included (glibc's signal trampolines use them).

use gimli::{
    BaseAddresses, CallFrameInstruction, CfaRule, EvaluationResult, Expression, Location, Register,
    RegisterRule, UnwindContext, UnwindExpression, UnwindSection, UnwindTableRow, Value,
};

use super::object::{CfiKind, FoundFde, Reader};
use super::regs::Registers;
use super::{read_word, Memory};

/// What one CFI step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// The caller's registers (its pc the return address), and this frame's CFA.
    Caller {
        regs: Box<Registers>,
        cfa: u64,
        /// This frame is a signal trampoline: the caller's pc is where the
        /// signal came, not a return address, so it is looked up as is.
        signal_frame: bool,
    },
    /// The CFI says the return address is undefined: the outermost frame.
    Outermost,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum StepError {
    #[error("cannot read memory at {0:#x}")]
    Unreadable(u64),
    #[error("CFI: {0}")]
    Cfi(String),
}

fn cfi_error(e: gimli::Error) -> StepError {
    StepError::Cfi(e.to_string())
}

pub(super) type Context = UnwindContext<usize>;

/// Where an expression of this FDE's section is read from.
fn expression(
    found: &FoundFde<'_>,
    expr: &UnwindExpression<usize>,
) -> Result<Expression<Reader>, StepError> {
    let object = found.object;
    let result = match found.kind {
        CfiKind::EhFrame => object.eh_frame.as_ref().map(|s| expr.get(s)),
        CfiKind::DebugFrame => object.debug_frame.as_ref().map(|s| expr.get(s)),
    };
    result
        .ok_or_else(|| StepError::Cfi("no section".into()))?
        .map_err(cfi_error)
}

/// Run a DWARF expression over the frame's registers and memory; its result
/// is an address (or, for `val_expression`, the value).
fn evaluate(
    expr: Expression<Reader>,
    found: &FoundFde<'_>,
    regs: &Registers,
    mem: &dyn Memory,
    initial: Option<u64>,
) -> Result<u64, StepError> {
    let mut eval = expr.evaluation(found.fde.cie().encoding());
    if let Some(value) = initial {
        eval.set_initial_value(value);
    }
    let mut state = eval.evaluate().map_err(cfi_error)?;
    loop {
        state = match state {
            EvaluationResult::Complete => break,
            EvaluationResult::RequiresMemory { address, size, .. } => {
                let mut buf = [0u8; 8];
                let size = usize::from(size).min(8);
                if mem.read(address, &mut buf[..size]) != Some(size) {
                    return Err(StepError::Unreadable(address));
                }
                let value = if regs.arch.big_endian() {
                    buf[..size]
                        .iter()
                        .fold(0u64, |v, b| (v << 8) | u64::from(*b))
                } else {
                    buf[..size]
                        .iter()
                        .rev()
                        .fold(0u64, |v, b| (v << 8) | u64::from(*b))
                };
                eval.resume_with_memory(Value::Generic(value))
                    .map_err(cfi_error)?
            }
            EvaluationResult::RequiresRegister { register, .. } => {
                let value = regs
                    .get(register.0)
                    .ok_or_else(|| StepError::Cfi(format!("register {} unknown", register.0)))?;
                eval.resume_with_register(Value::Generic(value))
                    .map_err(cfi_error)?
            }
            other => return Err(StepError::Cfi(format!("unsupported expression: {other:?}"))),
        };
    }
    match eval.result().first().map(|p| &p.location) {
        Some(Location::Address { address }) => Ok(*address),
        Some(Location::Value { value }) => value.to_u64(!0).map_err(cfi_error),
        _ => Err(StepError::Cfi("expression has no address".into())),
    }
}

/// Do the CIE's or the FDE's instructions say `DW_CFA_undefined` for
/// `register` (the mark of an outermost frame, such as `_start`'s or a new
/// thread's)? gimli's rows do not tell that from a register with no rule.
fn says_undefined<S: UnwindSection<Reader>>(
    section: Option<&S>,
    bases: &BaseAddresses,
    found: &FoundFde<'_>,
    register: Register,
) -> bool {
    let Some(section) = section else {
        return false;
    };
    let undefined = |mut iter: gimli::CallFrameInstructionIter<'_, Reader>| loop {
        match iter.next() {
            Ok(Some(CallFrameInstruction::Undefined { register: r })) if r == register => {
                return true
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return false,
        }
    };
    undefined(found.fde.cie().instructions(section, bases))
        || undefined(found.fde.instructions(section, bases))
}

/// Is the return address of this frame explicitly undefined? On machines
/// with a link register, a leaf function's CFI gives its return-address
/// column no rule at all: the link register still holds it ("same
/// value", as libgcc's unwinder takes it); only `DW_CFA_undefined` ends
/// the stack. x86_64's return address always has a rule.
fn outermost(found: &FoundFde<'_>, row: &UnwindTableRow<usize>, regs: &Registers) -> bool {
    let ra_reg = found.fde.cie().return_address_register();
    if !matches!(row.register(ra_reg), RegisterRule::Undefined) {
        return false;
    }
    if regs.arch.link_reg().is_none() {
        return true;
    }
    let object = found.object;
    match found.kind {
        CfiKind::EhFrame => {
            says_undefined(object.eh_frame.as_ref(), &object.eh_bases, found, ra_reg)
        }
        CfiKind::DebugFrame => says_undefined(
            object.debug_frame.as_ref(),
            &BaseAddresses::default(),
            found,
            ra_reg,
        ),
    }
}

/// The row of the FDE's table for `addr`, in its section.
fn row_in<S: UnwindSection<Reader>>(
    section: Option<&S>,
    bases: &BaseAddresses,
    found: &FoundFde<'_>,
    ctx: &mut Context,
    addr: u64,
) -> Result<UnwindTableRow<usize>, StepError> {
    let section = section.ok_or_else(|| StepError::Cfi("no CFI section".into()))?;
    found
        .fde
        .unwind_info_for_address(section, bases, ctx, addr)
        .cloned()
        .map_err(cfi_error)
}

/// Unwind one frame: `addr` is the object address looked up (pc, or the
/// return address less one), `regs` the frame's registers.
pub(super) fn step(
    found: &FoundFde<'_>,
    addr: u64,
    regs: &Registers,
    mem: &dyn Memory,
    ctx: &mut Context,
) -> Result<Step, StepError> {
    let object = found.object;
    let row = match found.kind {
        CfiKind::EhFrame => row_in(object.eh_frame.as_ref(), &object.eh_bases, found, ctx, addr),
        CfiKind::DebugFrame => row_in(
            object.debug_frame.as_ref(),
            &BaseAddresses::default(),
            found,
            ctx,
            addr,
        ),
    }?;

    let arch = regs.arch;
    let cfa = match row.cfa() {
        CfaRule::RegisterAndOffset { register, offset } => {
            let base = regs
                .get(register.0)
                .ok_or_else(|| StepError::Cfi(format!("CFA register {} unknown", register.0)))?;
            arch.wrap(base.wrapping_add_signed(*offset))
        }
        CfaRule::Expression(expr) => evaluate(expression(found, expr)?, found, regs, mem, None)?,
    };

    let ra_reg = found.fde.cie().return_address_register();
    if outermost(found, &row, regs) {
        return Ok(Step::Outermost);
    }
    let mut caller = regs.clone();
    caller.set(arch.sp_reg(), cfa);
    for (reg, rule) in row.registers() {
        let value = match rule {
            RegisterRule::Undefined => {
                caller.clear(reg.0);
                continue;
            }
            RegisterRule::SameValue | RegisterRule::Architectural => continue,
            RegisterRule::Offset(offset) => read_word(mem, arch, cfa.wrapping_add_signed(*offset))?,
            RegisterRule::ValOffset(offset) => cfa.wrapping_add_signed(*offset),
            RegisterRule::Register(other) => match regs.get(other.0) {
                Some(value) => value,
                None => {
                    caller.clear(reg.0);
                    continue;
                }
            },
            RegisterRule::Expression(expr) => {
                let at = evaluate(expression(found, expr)?, found, regs, mem, Some(cfa))?;
                read_word(mem, arch, at)?
            }
            RegisterRule::ValExpression(expr) => {
                evaluate(expression(found, expr)?, found, regs, mem, Some(cfa))?
            }
            RegisterRule::Constant(value) => *value,
            // A rule this gimli knows and we do not: the value is unknown.
            _ => {
                caller.clear(reg.0);
                continue;
            }
        };
        caller.set(reg.0, value);
    }
    caller.pc = caller
        .get(ra_reg.0)
        .ok_or_else(|| StepError::Cfi("return address unknown".into()))?;
    if arch.link_reg().is_none() {
        // x86_64's return-address column is no machine register.
        caller.clear(ra_reg.0);
    }
    Ok(Step::Caller {
        regs: Box::new(caller),
        cfa,
        signal_frame: found.fde.is_signal_trampoline(),
    })
}
