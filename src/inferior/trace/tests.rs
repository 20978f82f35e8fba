//! The trace state on a fake source: hits collect what the actions say,
//! conditions and pass counts decide, frames are found as `QTFrame` asks.

use super::*;
use std::collections::HashMap;

struct Fake {
    regs: HashMap<u16, u64>,
    mem: HashMap<u64, u8>,
    g: Vec<u8>,
}

impl Fake {
    fn new() -> Fake {
        let mut fake = Fake {
            regs: HashMap::from([(6, 0x7000)]),
            mem: HashMap::new(),
            g: vec![0x11; 16],
        };
        fake.poke(0x7000 - 4, &7u32.to_ne_bytes());
        fake.poke(0x9000, b"pass 1\0junk");
        fake
    }

    fn poke(&mut self, addr: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            self.mem.insert(addr + i as u64, *b);
        }
    }
}

impl Source for Fake {
    fn registers(&mut self) -> Option<Vec<u8>> {
        Some(self.g.clone())
    }
    fn register(&mut self, regnum: u16) -> Option<u64> {
        self.regs.get(&regnum).copied()
    }
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        for (i, b) in buf.iter_mut().enumerate() {
            match self.mem.get(&(addr + i as u64)) {
                Some(v) => *b = *v,
                None => return i,
            }
        }
        buf.len()
    }
}

fn tracepoint(number: u32, addr: u64, actions: Vec<Collect>) -> Tracepoint {
    let mut tp = Tracepoint::new(number, addr, true, b"T1:10:E:0:0".to_vec());
    tp.actions = actions;
    tp
}

#[test]
fn a_hit_collects_registers_memory_and_expressions() {
    let mut state = TraceState::default();
    // `collect $regs, i, buffer` with i at rbp-4 (an expression) and
    // buffer as a memory range; `teval $hits = $hits + 1; collect $hits`.
    let i_expr = vec![0x26, 0, 6, 0x22, 4, 0x03, 0x22, 4, 0x0c, 0x27];
    let hits = vec![
        0x2c, 0, 2, 0x22, 1, 0x02, 0x2d, 0, 2, 0x29, 0x2e, 0, 2, 0x27,
    ];
    state
        .define(tracepoint(
            1,
            0x400,
            vec![
                Collect::Registers,
                Collect::Expression(i_expr),
                Collect::Memory {
                    start: Place::At(0x9000),
                    len: 16,
                },
                Collect::Expression(hits),
            ],
        ))
        .unwrap();
    state.define_variable(2, 10, false, b"2:a:0:68697473".to_vec());
    assert_eq!(state.start(16), vec![0x400]);
    let mut fake = Fake::new();
    assert!(!state.hit(0x400, &mut fake));
    assert!(!state.hit(0x500, &mut fake), "no tracepoint there");
    assert!(!state.hit(0x400, &mut fake));
    assert_eq!(state.status().frames, 2);
    assert_eq!(state.variable(2), Some(12));
    assert_eq!(state.tracepoint_status(1, 0x400).map(|s| s.0), Some(2));
    let (_, frame) = {
        state.select(1).unwrap();
        state.selected().unwrap()
    };
    assert_eq!(frame.registers(16), Some(&[0x11u8; 16][..]));
    assert_eq!(
        frame.read_memory(16, 0x7000 - 4, 4),
        Some(7u32.to_ne_bytes().to_vec())
    );
    // The range stops where readable memory does.
    assert_eq!(
        frame.read_memory(16, 0x9000, 16),
        Some(b"pass 1\0junk".to_vec())
    );
    assert_eq!(frame.variables(16).collect::<Vec<_>>(), vec![(2, 12)]);
    state.stop(StopReason::Command);
    assert!(
        !state.hit(0x400, &mut fake),
        "not running: nothing collected"
    );
    assert_eq!(state.status().frames, 2);
}

#[test]
fn conditions_pass_counts_and_a_full_buffer_end_things() {
    let mut state = TraceState::default();
    // Condition: `*(int *)(rbp - 4) == 7`.
    let mut tp = tracepoint(1, 0x400, vec![Collect::Registers]);
    tp.condition = Some(vec![0x26, 0, 6, 0x22, 4, 0x03, 0x19, 0x22, 7, 0x13, 0x27]);
    tp.pass_count = 3;
    state.define(tp).unwrap();
    let mut false_tp = tracepoint(2, 0x400, vec![Collect::Registers]);
    false_tp.condition = Some(vec![0x22, 0, 0x27]);
    state.define(false_tp).unwrap();
    state.start(16);
    let mut fake = Fake::new();
    assert!(!state.hit(0x400, &mut fake));
    assert!(!state.hit(0x400, &mut fake));
    assert!(
        state.hit(0x400, &mut fake),
        "the third hit is the pass count"
    );
    assert_eq!(
        state.status().status,
        &RunStatus::Stopped(StopReason::PassCount(1))
    );
    assert_eq!(state.status().frames, 3);
    assert_eq!(state.tracepoint_status(2, 0x400), Some((0, 0)));

    // A buffer for one frame: the second fills it.
    state.set_buffer_size(Some(30)).unwrap();
    state.start(16);
    assert!(!state.hit(0x400, &mut fake));
    assert!(state.hit(0x400, &mut fake));
    assert_eq!(
        state.status().status,
        &RunStatus::Stopped(StopReason::BufferFull)
    );
    assert_eq!(state.status().frames, 1);
}

#[test]
fn frames_are_found_after_the_selected_one() {
    let mut state = TraceState::default();
    state.define(tracepoint(1, 0x400, vec![])).unwrap();
    state.define(tracepoint(2, 0x500, vec![])).unwrap();
    state.start(16);
    let mut fake = Fake::new();
    for addr in [0x400, 0x500, 0x400, 0x500] {
        state.hit(addr, &mut fake);
    }
    assert_eq!(state.select_next(|f| f.pc == 0x500), Some((1, 2)));
    assert_eq!(state.select_next(|f| f.pc == 0x500), Some((3, 2)));
    assert_eq!(state.select_next(|f| f.pc == 0x500), None);
    assert_eq!(state.selected().map(|(n, _)| n), Some(3), "kept on a miss");
    state.unselect();
    assert_eq!(state.select_next(|f| f.tracepoint == 1), Some((0, 1)));
    assert_eq!(state.select(2), Some(1));
    assert_eq!(state.select(9), None);
    // While running: QTinit and redefining are refused; a new
    // tracepoint is taken (and its actions), the old ones stay as they are.
    assert_eq!(state.init(), Err(TraceError::Running));
    assert_eq!(
        state.define(tracepoint(1, 0x400, vec![])),
        Err(TraceError::Running)
    );
    assert_eq!(
        state.add_actions(1, 0x400, false, vec![Collect::Registers], b"R1"),
        Err(TraceError::Running)
    );
    assert_eq!(state.define(tracepoint(3, 0x600, vec![])), Ok(()));
    assert_eq!(
        state.add_actions(3, 0x600, false, vec![Collect::Registers], b"R1"),
        Ok(())
    );
    state.stop(StopReason::Command);
    assert_eq!(state.init(), Ok(()));
    assert!(state.sites().is_empty());
}

#[test]
fn upload_texts_and_readonly_ranges() {
    let mut state = TraceState::default();
    state
        .define(Tracepoint::new(1, 0x400, true, b"T1:400:E:0:0".to_vec()))
        .unwrap();
    state
        .add_actions(1, 0x400, false, vec![Collect::Registers], b"R0f")
        .unwrap();
    state.add_source(1, 0x400, b"1:400:at:0:3:616263").unwrap();
    assert_eq!(
        state.add_actions(9, 0x400, false, vec![], b""),
        Err(TraceError::NoTracepoint(9, 0x400))
    );
    assert_eq!(
        state.tracepoint_texts(),
        vec![
            b"T1:400:E:0:0".to_vec(),
            b"A1:400:R0f".to_vec(),
            b"Z1:400:at:0:3:616263".to_vec()
        ]
    );
    state.set_readonly(vec![(0x1000, 0x2000)]);
    assert!(state.readonly(0x1000, 0x1000));
    assert!(!state.readonly(0x1fff, 2));
}
