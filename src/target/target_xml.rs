//! `qXfer:features:read:target.xml`: the register description, chosen at run
//! time because the AVX feature depends on what this CPU and kernel offer.

use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverride;
use gdbstub::target::{TargetError, TargetResult};

use super::{copy_window, DebugTarget};
use crate::inferior::regs::native::RegisterContext;

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
        let context = match &self.process {
            Some(process) => *process.register_context(),
            None => RegisterContext::assumed(),
        };
        Ok(copy_window(
            context.target_xml().as_bytes(),
            offset,
            length,
            buf,
        ))
    }
}
