//! `m ADDR,LENGTH`: memory reads, answered by us rather than gdbstub (see
//! `protocol::memory_read` for why and for the parser). The read goes
//! through `Process::read_memory`, which shows the program's own bytes
//! where our breakpoints are planted.

use crate::inferior::process::Process;
use crate::protocol::hex;
use crate::protocol::memory_read::{parse, MAX_READ};
use crate::protocol::reply::Reply;

pub(in crate::session) fn read(body: &[u8], process: Option<&Process>) -> Reply {
    let (Some((addr, len)), Some(process)) = (parse(body), process) else {
        return Reply::Error(1);
    };
    let len = len.min(MAX_READ);
    if len == 0 {
        return Reply::Empty;
    }
    let mut buf = vec![0u8; len];
    match process.read_memory(addr, &mut buf) {
        Ok(n) => {
            let mut out = Vec::with_capacity(n * 2);
            hex::encode_into(&buf[..n], &mut out);
            Reply::Data(out)
        }
        Err(e) => {
            log::debug!("m {addr:#x},{len:#x}: {e}");
            Reply::Error(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_process_or_no_sense_is_an_error() {
        assert_eq!(read(b"m1000,10", None), Reply::Error(1));
        assert_eq!(read(b"mgarbage", None), Reply::Error(1));
    }
}
