//! `qXfer:features:read:target.xml`: the register description, chosen at run
//! time because the AVX feature depends on what this CPU and kernel offer.

use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverride;
use gdbstub::target::{TargetError, TargetResult};

use super::{copy_window, DebugTarget};

impl TargetDescriptionXmlOverride for DebugTarget {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Err(TargetError::Errno(libc::ENOENT as u8));
        }
        // With no process (`--multi` before `run`) there is no architecture
        // to describe yet: `E01`, as gdbserver answers. gdb then keeps the
        // one the user or the executable chose (`set architecture i386`
        // must not be overridden by our x86-64 description), and reads the
        // description again once a process runs.
        let Some(process) = &self.process else {
            return Err(TargetError::Errno(1));
        };
        let context = *process.register_context();
        Ok(copy_window(
            context.target_xml().as_bytes(),
            offset,
            length,
            buf,
        ))
    }
}
