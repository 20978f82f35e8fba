//! Unit tests of the agent-expression evaluator, on a fake context.

use super::*;
use std::collections::HashMap;

#[derive(Default)]
struct Ctx {
    regs: HashMap<u16, u64>,
    mem: HashMap<u64, u8>,
}

impl AgentContext for Ctx {
    fn register(&mut self, regnum: u16) -> Option<u64> {
        self.regs.get(&regnum).copied()
    }
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        for (i, b) in buf.iter_mut().enumerate() {
            match self.mem.get(&(addr + i as u64)) {
                Some(&v) => *b = v,
                None => return false,
            }
        }
        true
    }
}

fn run(code: &[u8]) -> Result<u64, AgentError> {
    let mut ctx = Ctx::default();
    ctx.regs.insert(6, 0x7fff_0000); // rbp
    for (i, b) in 0x1234_5678_9abc_def0u64.to_ne_bytes().iter().enumerate() {
        ctx.mem.insert(0x1000 + i as u64, *b);
    }
    evaluate(code, &mut ctx)
}

#[test]
fn what_gdb_sends_for_main_equals_zero() {
    // `break *ADDR if main == 0`: the address of main, 0, equal.
    let code = [
        CONST64, 0, 0, 0x55, 0x55, 0x55, 0x55, 0x51, 0x49, CONST8, 0, EQUAL, END,
    ];
    assert_eq!(run(&code), Ok(0));
    assert_eq!(run(&[CONST8, 0, CONST8, 0, EQUAL, END]), Ok(1));
}

#[test]
fn arithmetic_and_comparisons() {
    assert_eq!(run(&[CONST8, 7, CONST8, 3, SUB, END]), Ok(4));
    assert_eq!(run(&[CONST8, 3, CONST8, 7, SUB, END]), Ok(u64::MAX - 3));
    assert_eq!(
        run(&[CONST8, 0xf9, EXT, 8, CONST8, 2, DIV_SIGNED, END]),
        Ok(-3i64 as u64)
    );
    assert_eq!(
        run(&[CONST8, 0xf9, EXT, 8, CONST8, 2, REM_SIGNED, END]),
        Ok(-1i64 as u64)
    );
    assert_eq!(run(&[CONST8, 9, CONST8, 2, REM_UNSIGNED, END]), Ok(1));
    assert_eq!(
        run(&[CONST8, 1, CONST8, 0, DIV_UNSIGNED, END]),
        Err(AgentError::DivideByZero(4))
    );
    assert_eq!(
        run(&[CONST8, 0xff, EXT, 8, CONST8, 1, LESS_SIGNED, END]),
        Ok(1)
    );
    assert_eq!(
        run(&[CONST8, 0xff, EXT, 8, CONST8, 1, LESS_UNSIGNED, END]),
        Ok(0)
    );
    assert_eq!(run(&[CONST16, 0x01, 0x80, ZERO_EXT, 8, END]), Ok(0x80));
    assert_eq!(
        run(&[CONST8, 1, CONST8, 63, LSH, CONST8, 63, RSH_SIGNED, END]),
        Ok(u64::MAX)
    );
    assert_eq!(run(&[CONST8, 1, CONST8, 64, LSH, END]), Ok(0));
    assert_eq!(run(&[CONST8, 0, LOG_NOT, CONST8, 6, BIT_AND, END]), Ok(0));
    assert_eq!(
        run(&[CONST8, 5, BIT_NOT, CONST8, 0xff, BIT_XOR, CONST8, 1, BIT_OR, END]),
        Ok(!5u64 ^ 0xff | 1)
    );
    assert_eq!(
        run(&[CONST32, 0, 0, 1, 0, CONST8, 3, MUL, CONST8, 1, ADD, END]),
        Ok(0x301)
    );
}

#[test]
fn registers_memory_and_stack_shuffles() {
    assert_eq!(run(&[REG, 0, 6, END]), Ok(0x7fff_0000));
    assert_eq!(run(&[REG, 0, 99, END]), Err(AgentError::Register(99)));
    assert_eq!(
        run(&[CONST16, 0x10, 0, REF64, END]),
        Ok(0x1234_5678_9abc_def0)
    );
    assert_eq!(run(&[CONST16, 0x10, 0, REF32, END]), Ok(0x9abc_def0));
    assert_eq!(run(&[CONST16, 0x10, 0, REF16, END]), Ok(0xdef0));
    assert_eq!(run(&[CONST16, 0x10, 0, REF8, END]), Ok(0xf0));
    assert_eq!(run(&[CONST8, 8, REF8, END]), Err(AgentError::Memory(8)));
    assert_eq!(run(&[CONST8, 1, CONST8, 2, SWAP, SUB, END]), Ok(1));
    assert_eq!(run(&[CONST8, 1, DUP, ADD, END]), Ok(2));
    assert_eq!(run(&[CONST8, 1, CONST8, 2, POP, END]), Ok(1));
    assert_eq!(run(&[CONST8, 1, CONST8, 2, CONST8, 3, PICK, 2, END]), Ok(1));
    // a b c => c a b: the top is now b.
    assert_eq!(run(&[CONST8, 1, CONST8, 2, CONST8, 3, ROT, END]), Ok(2));
    assert_eq!(
        run(&[CONST8, 1, CONST8, 2, CONST8, 3, ROT, POP, POP, END]),
        Ok(3)
    );
}

struct Printer(Vec<u8>);
impl AgentContext for Printer {
    fn register(&mut self, _regnum: u16) -> Option<u64> {
        None
    }
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        let text = b"hi\0";
        for (i, b) in buf.iter_mut().enumerate() {
            match text.get((addr as usize).wrapping_sub(0x100) + i) {
                Some(&t) => *b = t,
                None => return false,
            }
        }
        true
    }
    fn print(&mut self, text: &[u8]) -> bool {
        self.0.extend_from_slice(text);
        true
    }
}

#[test]
fn printf_formats_its_arguments() {
    // What gdb sends for dprintf "arg=%d, g=%s\n", 1234, 0x100: the
    // arguments pushed last first, then channel and function.
    let format = b"arg=%d, g=%s %5x|%-3c|%03d%%\\n\\x41\\101\0";
    let mut code = vec![
        CONST8,
        7,
        CONST8,
        b'z',
        CONST8,
        0xab,
        CONST16,
        0x01,
        0x00,
        CONST16,
        0x04,
        0xd2,
        CONST8,
        0,
        CONST8,
        0,
        PRINTF,
        5,
        0,
        format.len() as u8,
    ];
    code.extend_from_slice(format);
    code.push(END);
    let mut out = Printer(Vec::new());
    assert_eq!(evaluate(&code, &mut out), Ok(0));
    assert_eq!(out.0, b"arg=1234, g=hi    ab|z  |007%\nAA");
    // Conditions may not print.
    assert!(matches!(
        run(&code),
        Err(AgentError::Unsupported { op: PRINTF, .. })
    ));
    // An unterminated format is refused.
    let bad = [CONST8, 0, CONST8, 0, PRINTF, 0, 0, 1, b'x', END];
    assert_eq!(
        evaluate(&bad, &mut Printer(Vec::new())),
        Err(AgentError::BadFormat(4))
    );
}

#[test]
fn jumps() {
    // if (1) goto 8 else push 5; at 8: push 9.
    let code = [CONST8, 1, IF_GOTO, 0, 8, CONST8, 5, END, CONST8, 9, END];
    assert_eq!(run(&code), Ok(9));
    let code = [CONST8, 0, IF_GOTO, 0, 8, CONST8, 5, END, CONST8, 9, END];
    assert_eq!(run(&code), Ok(5));
    assert_eq!(run(&[GOTO, 0, 0]), Err(AgentError::TooLong(STEP_LIMIT)));
    assert_eq!(run(&[GOTO, 0, 9]), Err(AgentError::BadGoto(9)));
}

#[test]
fn malformed_bytecode_is_an_error_not_a_panic() {
    assert_eq!(run(&[]), Err(AgentError::NoEnd(0)));
    assert_eq!(run(&[END]), Err(AgentError::StackUnderflow(0)));
    assert_eq!(run(&[ADD, END]), Err(AgentError::StackUnderflow(0)));
    assert_eq!(run(&[CONST64, 1, 2]), Err(AgentError::Truncated(0)));
    assert_eq!(run(&[CONST8, 1]), Err(AgentError::NoEnd(2)));
    assert_eq!(run(&[PICK, 3, END]), Err(AgentError::StackUnderflow(0)));
    assert_eq!(
        run(&[0x01, END]),
        Err(AgentError::Unsupported { op: 1, pc: 0 })
    );
    let overflow: Vec<u8> = [DUP].repeat(STACK_LIMIT + 1);
    let mut code = vec![CONST8, 0];
    code.extend(overflow);
    assert!(matches!(run(&code), Err(AgentError::StackOverflow(_))));
    // Every byte string ends in a result or an error.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let len = (seed % 24) as usize;
        let code: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % 0x36) as u8
            })
            .collect();
        let _ = run(&code);
    }
}

/// A context that collects, as a trace frame's does.
#[derive(Default)]
struct Collecting {
    traced: Vec<(u64, u64, bool)>,
    vars: HashMap<u16, u64>,
    traced_vars: Vec<u16>,
}

impl AgentContext for Collecting {
    fn register(&mut self, regnum: u16) -> Option<u64> {
        (regnum == 6).then_some(0x7fff_0000)
    }
    fn read_memory(&mut self, _addr: u64, _buf: &mut [u8]) -> bool {
        false
    }
    fn trace_memory(&mut self, addr: u64, len: u64, until_zero: bool) -> bool {
        self.traced.push((addr, len, until_zero));
        true
    }
    fn variable(&mut self, n: u16) -> Option<u64> {
        self.vars.get(&n).copied()
    }
    fn set_variable(&mut self, n: u16, value: u64) -> bool {
        self.vars.insert(n, value);
        true
    }
    fn trace_variable(&mut self, n: u16) -> bool {
        self.traced_vars.push(n);
        true
    }
}

#[test]
fn collection_ops_record_memory_and_variables() {
    // What gdb sends for `collect i` with i at rbp-0x14: reg 6, const8
    // 0x14, sub (here as add of -0x14, sign-extended), trace of 4 bytes.
    let code = [REG, 0, 6, CONST8, 0x14, SUB, CONST8, 4, TRACE, END];
    let mut ctx = Collecting::default();
    assert_eq!(evaluate(&code, &mut ctx), Ok(0));
    assert_eq!(ctx.traced, vec![(0x7fff_0000 - 0x14, 4, false)]);
    // trace_quick keeps the address; tracenz stops at a zero.
    let code = [CONST8, 0x40, TRACE_QUICK, 8, CONST8, 16, TRACENZ, END];
    let mut ctx = Collecting::default();
    assert_eq!(evaluate(&code, &mut ctx), Ok(0));
    assert_eq!(ctx.traced, vec![(0x40, 8, false), (0x40, 16, true)]);
    // `teval $hits = $hits + 1` and `collect $hits`.
    let code = [
        GETV, 0, 2, CONST8, 1, ADD, SETV, 0, 2, POP, TRACEV, 0, 2, END,
    ];
    let mut ctx = Collecting::default();
    ctx.vars.insert(2, 41);
    assert_eq!(evaluate(&code, &mut ctx), Ok(0));
    assert_eq!(ctx.vars[&2], 42);
    assert_eq!(ctx.traced_vars, vec![2]);
    // A condition's context collects nothing: refused, as before.
    assert!(matches!(
        run(&[CONST8, 0x40, CONST8, 4, TRACE, END]),
        Err(AgentError::Unsupported { op: TRACE, .. })
    ));
    assert!(matches!(
        run(&[GETV, 0, 1, END]),
        Err(AgentError::Unsupported { op: GETV, .. })
    ));
}
