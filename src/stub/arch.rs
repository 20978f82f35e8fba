//! gdbstub's view of the native architecture: a register file kept as raw
//! bytes in gdb's `g` order (the layout and conversions live in the
//! `rgdbserver-arch` crate), register numbers as gdb sends them, and 64-bit
//! addresses.

use std::num::NonZeroUsize;

use gdbstub::arch::{Arch, RegId, Registers};

use crate::inferior::regs::native;

pub enum NativeArch {}

impl Arch for NativeArch {
    type Usize = u64;
    type Registers = RegisterFile;
    type BreakpointKind = usize;
    type RegId = RegNum;

    // Served through TargetDescriptionXmlOverride, which knows whether this
    // CPU has AVX.
    fn target_description_xml() -> Option<&'static str> {
        None
    }
}

/// The `g` packet payload, as gdb sends and receives it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RegisterFile {
    pub bytes: Vec<u8>,
}

impl Registers for RegisterFile {
    type ProgramCounter = u64;

    // The native layout's PC (rip for x86_64, not an i386 process's eip):
    // gdbstub never asks, the server reads the PC with ptrace.
    fn pc(&self) -> u64 {
        native::pc_from_g(&self.bytes)
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for &b in &self.bytes {
            write_byte(Some(b));
        }
    }

    // The size is checked when the registers are written, where a wrong size
    // becomes an error reply instead of gdbstub's fatal "target mismatch".
    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        self.bytes = bytes.to_vec();
        Ok(())
    }
}

/// A gdb register number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegNum(pub usize);

impl RegId for RegNum {
    // No size: it is the process's (an i386 process's registers have
    // other sizes under the same numbers), and `read_register` returns it.
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        native::LAYOUT.by_regnum(id).map(|_| (RegNum(id), None))
    }

    fn to_raw_id(&self) -> Option<usize> {
        Some(self.0)
    }
}
