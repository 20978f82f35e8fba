//! rgdbserver: a gdbserver for Linux processes, built on gdbstub.
//!
//! Layers, from the wire inwards: `transport` (TCP or stdio), `protocol`
//! (framing and the packets we answer ourselves), `session` (the event loop
//! driving gdbstub's state machine), `target` (gdbstub's Target, one module
//! per protocol feature) and `inferior` (ptrace process control). `server`
//! ties them together for the command line in `cli`.

pub mod cli;
pub mod inferior;
pub mod logging;
pub mod protocol;
pub mod selftest;
pub mod server;
pub mod session;
pub mod target;
pub mod transport;
