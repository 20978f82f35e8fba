//! lldb's `qMemoryRegionInfo:ADDR`: the mapping around an address (start,
//! size, permissions, name) from /proc/PID/maps, or the unmapped gap there,
//! which lldb's unwinder and `memory region` use. lldb only asks after a
//! reply that is not empty, so an answer for every address matters.

use crate::protocol::lldb_info::{parse_region_query, region_reply, Region};
use crate::protocol::reply::Reply;
use crate::stub::DebugTarget;

use super::error;

/// `qMemoryRegionInfo:ADDR` (`args` after the colon).
pub(in crate::session) fn query(target: &DebugTarget, args: &[u8]) -> Reply {
    let (Some(addr), Some(process)) = (parse_region_query(args), target.process.as_ref()) else {
        return Reply::Error(1);
    };
    let (start, end, entry) = match process.memory_region(addr) {
        Ok(region) => region,
        Err(e) => return error(e),
    };
    // The last gap runs to the top of the address space.
    let size = end.map_or(0u64.wrapping_sub(start), |end| end - start);
    let region = match entry {
        Some(e) => Region {
            start,
            size,
            read: e.perms.read,
            write: e.perms.write,
            exec: e.perms.exec,
            name: e.path,
        },
        None => Region {
            start,
            size,
            read: false,
            write: false,
            exec: false,
            name: None,
        },
    };
    Reply::Data(region_reply(&region))
}
