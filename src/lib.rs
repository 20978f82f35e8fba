//! rgdbserver: a gdbserver for Linux processes, built on gdbstub.
//!
//! Layers, from the wire inwards: `transport` (TCP, Unix socket, serial
//! device or stdio), `protocol` (framing and the packets we answer
//! ourselves), `session` (the event loop driving gdbstub's state machine),
//! `stub` (gdbstub's Target, one module per protocol feature; not named
//! `target`, which tools take for cargo's build folder) and `inferior`
//! (ptrace process control). `server` ties them together for the command
//! line in `cli`.

pub mod busy;
pub mod cli;
pub mod crash_report;
pub mod guardian;
pub mod inferior;
pub mod logging;
pub mod protocol;
pub mod selftest;
pub mod server;
pub mod session;
pub mod stub;
pub mod transport;
