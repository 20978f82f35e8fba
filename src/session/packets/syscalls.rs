//! `QCatchSyscalls:0` or `QCatchSyscalls:1[;NR]...`: which system calls
//! stop the program (`catch syscall`), for every process we trace.

use std::collections::HashSet;

use crate::protocol::hex;
use crate::protocol::reply::Reply;
use crate::stub::DebugTarget;

pub(in crate::session) fn catch(target: &mut DebugTarget, args: &[u8]) -> Reply {
    let setting = match args {
        b"0" => None,
        [b'1', rest @ ..] => {
            let mut numbers = HashSet::new();
            for item in rest.split(|&b| b == b';').filter(|i| !i.is_empty()) {
                match hex::parse_u64(item) {
                    Some(nr) => numbers.insert(nr),
                    None => return Reply::Error(1),
                };
            }
            Some(numbers)
        }
        _ => return Reply::Error(1),
    };
    for process in target.all_processes_mut() {
        process.set_catch_syscalls(setting.clone());
    }
    Reply::Ok
}
