//! `p N` / `P N=VALUE` for a register the target does not have: `E01`.
//! gdbstub answers an unknown number with the empty reply, which gdb takes
//! for "p not supported" and then never asks again. Known numbers are
//! gdbstub's.

use crate::protocol::hex;
use crate::protocol::reply::Reply;
use crate::stub::DebugTarget;

/// None when the register exists (gdbstub reads or writes it).
pub(in crate::session) fn refuse_unknown(target: &DebugTarget, number: &[u8]) -> Option<Reply> {
    let known = match (target.process.as_ref(), hex::parse_u64(number)) {
        (Some(process), Some(n)) => usize::try_from(n)
            .ok()
            .and_then(|n| process.register_context().register(n))
            .is_some(),
        _ => false,
    };
    (!known).then_some(Reply::Error(1))
}
