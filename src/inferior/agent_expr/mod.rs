//! Agent expressions: gdb's stack bytecode (the "Agent Expressions"
//! appendix of the gdb manual), evaluated here for breakpoint conditions
//! that gdb hands to the target (`set breakpoint condition-evaluation
//! target`, the `;X` options of `Z0`). Then a breakpoint whose condition is
//! false is stepped over in the server, with no round trip to gdb.
//!
//! Integers only: values are 64 bits, operands in the bytecode are
//! big-endian, memory and registers are read in the target's byte order
//! (the server runs on the target). Floating point is refused; tracing
//! and trace state variables only where the context collects a trace frame
//! (`inferior::trace`), `printf` only where it prints (breakpoint
//! commands: dprintf with `set dprintf-style agent`); any error
//! in a condition makes the caller report the breakpoint, so that gdb
//! decides.

/// What an expression may look at: the stopped thread's registers and the
/// process's memory.
pub trait AgentContext {
    /// gdb register `regnum`, zero-extended, if it exists and fits 8 bytes.
    fn register(&mut self, regnum: u16) -> Option<u64>;
    /// Fill all of `buf` from `addr`, or say false.
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool;
    /// Print what a `printf` made; false where printing is not allowed
    /// (conditions).
    fn print(&mut self, _text: &[u8]) -> bool {
        false
    }
    /// Record `len` bytes at `addr` in the trace frame being collected
    /// (up to and with the first zero byte when `until_zero`); false where
    /// nothing is collected (conditions, commands).
    fn trace_memory(&mut self, _addr: u64, _len: u64, _until_zero: bool) -> bool {
        false
    }
    /// Trace state variable `n`'s value, where there are any.
    fn variable(&mut self, _n: u16) -> Option<u64> {
        None
    }
    /// Set trace state variable `n`; false where there are none.
    fn set_variable(&mut self, _n: u16, _value: u64) -> bool {
        false
    }
    /// Record trace state variable `n`'s value in the frame.
    fn trace_variable(&mut self, _n: u16) -> bool {
        false
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error("bytecode ends inside the instruction at {0}")]
    Truncated(usize),
    #[error("bytecode runs off its end at {0}")]
    NoEnd(usize),
    #[error("stack underflow at {0}")]
    StackUnderflow(usize),
    #[error("stack overflow at {0}")]
    StackOverflow(usize),
    #[error("opcode {op:#04x} at {pc} is not supported in conditions")]
    Unsupported { op: u8, pc: usize },
    #[error("division by zero at {0}")]
    DivideByZero(usize),
    #[error("jump to {0}, outside the bytecode")]
    BadGoto(usize),
    #[error("cannot read memory at {0:#x}")]
    Memory(u64),
    #[error("no register {0}")]
    Register(u16),
    #[error("gave up after {0} instructions")]
    TooLong(usize),
    #[error("bad printf format at {0}")]
    BadFormat(usize),
}

/// As deep as gdb's own expressions ever get, with room to spare.
const STACK_LIMIT: usize = 1024;
/// Backward gotos can loop: a condition that runs this long is not one.
const STEP_LIMIT: usize = 1_000_000;

// Opcodes (gdb's numbering).
const ADD: u8 = 0x02;
const SUB: u8 = 0x03;
const MUL: u8 = 0x04;
const DIV_SIGNED: u8 = 0x05;
const DIV_UNSIGNED: u8 = 0x06;
const REM_SIGNED: u8 = 0x07;
const REM_UNSIGNED: u8 = 0x08;
const LSH: u8 = 0x09;
const RSH_SIGNED: u8 = 0x0a;
const RSH_UNSIGNED: u8 = 0x0b;
const LOG_NOT: u8 = 0x0e;
const BIT_AND: u8 = 0x0f;
const BIT_OR: u8 = 0x10;
const BIT_XOR: u8 = 0x11;
const BIT_NOT: u8 = 0x12;
const EQUAL: u8 = 0x13;
const LESS_SIGNED: u8 = 0x14;
const LESS_UNSIGNED: u8 = 0x15;
const EXT: u8 = 0x16;
const REF8: u8 = 0x17;
const REF16: u8 = 0x18;
const REF32: u8 = 0x19;
const REF64: u8 = 0x1a;
const IF_GOTO: u8 = 0x20;
const GOTO: u8 = 0x21;
const CONST8: u8 = 0x22;
const CONST16: u8 = 0x23;
const CONST32: u8 = 0x24;
const CONST64: u8 = 0x25;
const REG: u8 = 0x26;
const END: u8 = 0x27;
const DUP: u8 = 0x28;
const POP: u8 = 0x29;
const ZERO_EXT: u8 = 0x2a;
const SWAP: u8 = 0x2b;
const PICK: u8 = 0x32;
const ROT: u8 = 0x33;
const PRINTF: u8 = 0x34;
// Tracing: collecting memory and trace state variables.
const TRACE: u8 = 0x0c;
const TRACE_QUICK: u8 = 0x0d;
const GETV: u8 = 0x2c;
const SETV: u8 = 0x2d;
const TRACEV: u8 = 0x2e;
const TRACENZ: u8 = 0x2f;
const TRACE16: u8 = 0x30;

/// Keep the low `bits` bits of `value`, sign-extended (`signed`) or not.
fn extend(value: u64, bits: u8, signed: bool) -> u64 {
    if bits == 0 || bits >= 64 {
        return value;
    }
    let shift = 64 - u32::from(bits);
    if signed {
        (((value << shift) as i64) >> shift) as u64
    } else {
        (value << shift) >> shift
    }
}

struct Machine<'c> {
    code: &'c [u8],
    stack: Vec<u64>,
    /// Where the instruction being run starts (for errors).
    at: usize,
}

impl Machine<'_> {
    fn pop(&mut self) -> Result<u64, AgentError> {
        self.stack.pop().ok_or(AgentError::StackUnderflow(self.at))
    }

    fn push(&mut self, value: u64) -> Result<(), AgentError> {
        if self.stack.len() >= STACK_LIMIT {
            return Err(AgentError::StackOverflow(self.at));
        }
        self.stack.push(value);
        Ok(())
    }

    /// The big-endian operand of `len` bytes at `pc`.
    fn operand(&self, pc: usize, len: usize) -> Result<u64, AgentError> {
        let bytes = self
            .code
            .get(pc..pc + len)
            .ok_or(AgentError::Truncated(self.at))?;
        Ok(bytes.iter().fold(0u64, |v, &b| v << 8 | u64::from(b)))
    }

    fn binary(
        &mut self,
        f: impl FnOnce(u64, u64) -> Result<u64, AgentError>,
    ) -> Result<(), AgentError> {
        let b = self.pop()?;
        let a = self.pop()?;
        let value = f(a, b)?;
        self.push(value)
    }
}

/// Run `code` and return the value on top of the stack at `end`.
pub fn evaluate(code: &[u8], ctx: &mut dyn AgentContext) -> Result<u64, AgentError> {
    let mut m = Machine {
        code,
        stack: Vec::new(),
        at: 0,
    };
    let mut pc = 0usize;
    // Something printed or collected: commands and collections may end
    // with nothing on the stack.
    let mut acted = false;
    for _ in 0..STEP_LIMIT {
        let Some(&op) = code.get(pc) else {
            return Err(AgentError::NoEnd(pc));
        };
        m.at = pc;
        pc += 1;
        let at = m.at;
        let div_guard = |b: u64| {
            if b == 0 {
                Err(AgentError::DivideByZero(at))
            } else {
                Ok(b)
            }
        };
        match op {
            ADD => m.binary(|a, b| Ok(a.wrapping_add(b)))?,
            SUB => m.binary(|a, b| Ok(a.wrapping_sub(b)))?,
            MUL => m.binary(|a, b| Ok(a.wrapping_mul(b)))?,
            DIV_SIGNED => {
                m.binary(|a, b| Ok((a as i64).wrapping_div(div_guard(b)? as i64) as u64))?
            }
            DIV_UNSIGNED => m.binary(|a, b| Ok(a / div_guard(b)?))?,
            REM_SIGNED => {
                m.binary(|a, b| Ok((a as i64).wrapping_rem(div_guard(b)? as i64) as u64))?
            }
            REM_UNSIGNED => m.binary(|a, b| Ok(a % div_guard(b)?))?,
            // Shifts by 64 or more leave nothing (or the sign), as C's
            // 64-bit shifts would on the machines gdb compiles for.
            LSH => m.binary(|a, b| Ok(if b >= 64 { 0 } else { a << b }))?,
            RSH_SIGNED => m.binary(|a, b| Ok(((a as i64) >> b.min(63)) as u64))?,
            RSH_UNSIGNED => m.binary(|a, b| Ok(if b >= 64 { 0 } else { a >> b }))?,
            LOG_NOT => {
                let a = m.pop()?;
                m.push(u64::from(a == 0))?;
            }
            BIT_AND => m.binary(|a, b| Ok(a & b))?,
            BIT_OR => m.binary(|a, b| Ok(a | b))?,
            BIT_XOR => m.binary(|a, b| Ok(a ^ b))?,
            BIT_NOT => {
                let a = m.pop()?;
                m.push(!a)?;
            }
            EQUAL => m.binary(|a, b| Ok(u64::from(a == b)))?,
            LESS_SIGNED => m.binary(|a, b| Ok(u64::from((a as i64) < (b as i64))))?,
            LESS_UNSIGNED => m.binary(|a, b| Ok(u64::from(a < b)))?,
            EXT | ZERO_EXT => {
                let bits = m.operand(pc, 1)? as u8;
                pc += 1;
                let a = m.pop()?;
                m.push(extend(a, bits, op == EXT))?;
            }
            REF8 | REF16 | REF32 | REF64 => {
                let len = match op {
                    REF8 => 1,
                    REF16 => 2,
                    REF32 => 4,
                    _ => 8,
                };
                let addr = m.pop()?;
                let mut buf = [0u8; 8];
                if !ctx.read_memory(addr, &mut buf[..len]) {
                    return Err(AgentError::Memory(addr));
                }
                let value = match len {
                    1 => u64::from(buf[0]),
                    2 => u64::from(u16::from_ne_bytes([buf[0], buf[1]])),
                    4 => u64::from(u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]])),
                    _ => u64::from_ne_bytes(buf),
                };
                m.push(value)?;
            }
            IF_GOTO | GOTO => {
                let target = m.operand(pc, 2)? as usize;
                pc += 2;
                let jump = op == GOTO || m.pop()? != 0;
                if jump {
                    if target >= code.len() {
                        return Err(AgentError::BadGoto(target));
                    }
                    pc = target;
                }
            }
            CONST8 | CONST16 | CONST32 | CONST64 => {
                let len = match op {
                    CONST8 => 1,
                    CONST16 => 2,
                    CONST32 => 4,
                    _ => 8,
                };
                let value = m.operand(pc, len)?;
                pc += len;
                m.push(value)?;
            }
            REG => {
                let regnum = m.operand(pc, 2)? as u16;
                pc += 2;
                let value = ctx.register(regnum).ok_or(AgentError::Register(regnum))?;
                m.push(value)?;
            }
            // Commands (a dprintf) leave nothing on the stack.
            END if m.stack.is_empty() && acted => return Ok(0),
            END => return m.pop(),
            DUP => {
                let a = m.pop()?;
                m.push(a)?;
                m.push(a)?;
            }
            POP => {
                m.pop()?;
            }
            SWAP => {
                let b = m.pop()?;
                let a = m.pop()?;
                m.push(b)?;
                m.push(a)?;
            }
            PICK => {
                let depth = m.operand(pc, 1)? as usize;
                pc += 1;
                let value = m
                    .stack
                    .len()
                    .checked_sub(depth + 1)
                    .map(|i| m.stack[i])
                    .ok_or(AgentError::StackUnderflow(at))?;
                m.push(value)?;
            }
            // a b c => c a b
            ROT => {
                let c = m.pop()?;
                let b = m.pop()?;
                let a = m.pop()?;
                m.push(c)?;
                m.push(a)?;
                m.push(b)?;
            }
            // printf NARGS LEN16 FORMAT\0: pops the function and channel
            // (which we ignore: output goes to the server's stdout, as
            // gdbserver's), then the arguments, first argument on top.
            PRINTF => {
                let nargs = m.operand(pc, 1)? as usize;
                let len = m.operand(pc + 1, 2)? as usize;
                let format = code
                    .get(pc + 3..pc + 3 + len)
                    .ok_or(AgentError::Truncated(at))?;
                pc += 3 + len;
                let Some((&0, format)) = format.split_last() else {
                    return Err(AgentError::BadFormat(at));
                };
                m.pop()?;
                m.pop()?;
                let mut args = Vec::with_capacity(nargs.min(STACK_LIMIT));
                for _ in 0..nargs {
                    args.push(m.pop()?);
                }
                let text = format_printf(format, &args, ctx).ok_or(AgentError::BadFormat(at))?;
                if !ctx.print(&text) {
                    return Err(AgentError::Unsupported { op, pc: at });
                }
                acted = true;
            }
            // addr size => (collected)
            TRACE | TRACENZ => {
                let size = m.pop()?;
                let addr = m.pop()?;
                if !ctx.trace_memory(addr, size, op == TRACENZ) {
                    return Err(AgentError::Unsupported { op, pc: at });
                }
                acted = true;
            }
            // addr => addr, N bytes collected there
            TRACE_QUICK | TRACE16 => {
                let len = if op == TRACE_QUICK { 1 } else { 2 };
                let size = m.operand(pc, len)?;
                pc += len;
                let addr = m.pop()?;
                m.push(addr)?;
                if !ctx.trace_memory(addr, size, false) {
                    return Err(AgentError::Unsupported { op, pc: at });
                }
                acted = true;
            }
            GETV | SETV | TRACEV => {
                let n = m.operand(pc, 2)? as u16;
                pc += 2;
                let done = match op {
                    GETV => match ctx.variable(n) {
                        Some(value) => {
                            m.push(value)?;
                            true
                        }
                        None => false,
                    },
                    SETV => {
                        let value = m.pop()?;
                        m.push(value)?;
                        ctx.set_variable(n, value)
                    }
                    _ => ctx.trace_variable(n),
                };
                if !done {
                    return Err(AgentError::Unsupported { op, pc: at });
                }
                acted |= op != GETV;
            }
            _ => return Err(AgentError::Unsupported { op, pc: at }),
        }
    }
    Err(AgentError::TooLong(STEP_LIMIT))
}

/// The format arrives as written in C source: `\n`, `\t`, `\\`, `\"`,
/// octal `\NNN` and `\xHH` escapes are still to be made bytes.
fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        i += 1;
        if c != b'\\' || i == text.len() {
            out.push(c);
            continue;
        }
        let e = text[i];
        i += 1;
        out.push(match e {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'v' => 0x0b,
            b'e' => 0x1b,
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match text.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                v as u8
            }
            b'x' => {
                let mut v = 0u32;
                while let Some(d) = text.get(i).and_then(|d| (*d as char).to_digit(16)) {
                    v = (v * 16 + d) & 0xff;
                    i += 1;
                }
                v as u8
            }
            other => other,
        });
    }
    out
}

/// C's printf over 64-bit arguments: `%d %i %u %x %X %o %c %s %p %%`, with
/// flags `-0+ #`, a width, a precision and length modifiers (`h`, `l`, `z`,
/// ...; `%d` without `l` is an int). `%s` reads a string from the target's
/// memory. None for a conversion we do not know, or too few arguments.
fn format_printf(format: &[u8], args: &[u64], ctx: &mut dyn AgentContext) -> Option<Vec<u8>> {
    let format = unescape(format);
    let format = format.as_slice();
    let mut out = Vec::new();
    let mut args = args.iter().copied();
    let mut i = 0;
    while i < format.len() {
        let c = format[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let mut left = false;
        let mut zero = false;
        let mut plus = false;
        while let Some(&flag) = format.get(i) {
            match flag {
                b'-' => left = true,
                b'0' => zero = true,
                b'+' => plus = true,
                b' ' | b'#' => {}
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        while let Some(d) = format.get(i).filter(|d| d.is_ascii_digit()) {
            width = width
                .saturating_mul(10)
                .saturating_add(usize::from(d - b'0'));
            i += 1;
        }
        let mut precision = None;
        if format.get(i) == Some(&b'.') {
            i += 1;
            let mut p = 0usize;
            while let Some(d) = format.get(i).filter(|d| d.is_ascii_digit()) {
                p = p.saturating_mul(10).saturating_add(usize::from(d - b'0'));
                i += 1;
            }
            precision = Some(p);
        }
        let mut long = false;
        while let Some(&l) = format.get(i) {
            match l {
                b'l' | b'z' | b'j' | b't' | b'q' => long = true,
                b'h' => {}
                _ => break,
            }
            i += 1;
        }
        let conv = *format.get(i)?;
        i += 1;
        let text: Vec<u8> = match conv {
            b'%' => b"%".to_vec(),
            b'd' | b'i' => {
                let v = args.next()?;
                let v = if long { v as i64 } else { i64::from(v as i32) };
                let sign = if plus && v >= 0 { "+" } else { "" };
                format!("{sign}{v}").into_bytes()
            }
            b'u' | b'x' | b'X' | b'o' => {
                let v = args.next()?;
                let v = if long { v } else { u64::from(v as u32) };
                match conv {
                    b'u' => format!("{v}"),
                    b'x' => format!("{v:x}"),
                    b'X' => format!("{v:X}"),
                    _ => format!("{v:o}"),
                }
                .into_bytes()
            }
            b'p' => format!("0x{:x}", args.next()?).into_bytes(),
            b'c' => vec![args.next()? as u8],
            b's' => {
                let addr = args.next()?;
                let limit = precision.unwrap_or(4096);
                let mut text = Vec::new();
                let mut byte = [0u8];
                while text.len() < limit
                    && ctx.read_memory(addr.wrapping_add(text.len() as u64), &mut byte)
                    && byte[0] != 0
                {
                    text.push(byte[0]);
                }
                text
            }
            _ => return None,
        };
        let pad = width.saturating_sub(text.len());
        if left {
            out.extend_from_slice(&text);
            out.extend(std::iter::repeat_n(b' ', pad));
        } else if zero && !matches!(conv, b's' | b'c' | b'%') {
            let (sign, digits) = match text.first() {
                Some(b'-' | b'+') => text.split_at(1),
                _ => text.split_at(0),
            };
            out.extend_from_slice(sign);
            out.extend(std::iter::repeat_n(b'0', pad));
            out.extend_from_slice(digits);
        } else {
            out.extend(std::iter::repeat_n(b' ', pad));
            out.extend_from_slice(&text);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
