//! The command line, compatible with GNU gdbserver's:
//! `rgdbserver [OPTIONS] COMM PROG [ARGS...]`, `rgdbserver [OPTIONS] --attach
//! COMM PID` (or `COMM --attach PID`), `rgdbserver [OPTIONS] --multi COMM`.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

const EXAMPLES: &str = "\
COMM is HOST:PORT, :PORT (127.0.0.1 only), 0.0.0.0:PORT (all interfaces),
[::1]:PORT, - or stdio (talk over stdin/stdout), unix:PATH (a Unix-domain
socket), or a serial device such as /dev/ttyS1 (see --baud).
Port 0 picks a free port; `Listening on port N` tells which.

Examples:
  rgdbserver :1234 ./prog arg1          start ./prog stopped, wait for gdb on 127.0.0.1:1234
  rgdbserver --attach :1234 4242        attach to process 4242
  rgdbserver --multi :1234              extended-remote server; use `run` or `attach` from gdb
  rgdbserver 0.0.0.0:1234 ./prog        accept gdb from other machines
  rgdbserver /dev/ttyS1 ./prog          talk to gdb over a serial line (see --baud)
  rgdbserver unix:/tmp/gdb.sock ./prog  gdb then connects with `target remote /tmp/gdb.sock`
  gdb -ex 'target remote | rgdbserver - ./prog' ./prog

`rgdbserver --selftest` checks the server's own parts on this machine.

Then, in gdb:
  gdb -ex 'target remote :1234' ./prog";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OnDisconnect {
    /// Launched processes are killed (or kept stopped for a reconnect
    /// without --once); attached ones are detached and keep running.
    #[default]
    Release,
    /// Keep the process stopped, breakpoints removed, for the next connection.
    Stay,
}

#[derive(Debug, Parser)]
#[command(
    name = "rgdbserver",
    version,
    about = "A gdbserver for Linux processes: debug a program with gdb over the GDB remote protocol.",
    after_help = EXAMPLES,
    override_usage = "rgdbserver [OPTIONS] COMM PROG [ARGS...]\n       rgdbserver [OPTIONS] --attach COMM PID\n       rgdbserver [OPTIONS] --multi COMM"
)]
pub struct Cli {
    /// Attach to the running process PID instead of starting a program.
    #[arg(long)]
    pub attach: bool,

    /// Extended-remote server: start with no program; gdb runs or attaches.
    #[arg(long)]
    pub multi: bool,

    /// Exit after the first connection ends, instead of waiting for another.
    #[arg(long)]
    pub once: bool,

    /// Print debugging messages from the server on stderr.
    #[arg(long)]
    pub debug: bool,

    /// Print every remote protocol packet on stderr.
    #[arg(long = "remote-debug")]
    pub remote_debug: bool,

    /// Write debugging output to FILE instead of stderr.
    #[arg(long = "debug-file", value_name = "FILE")]
    pub debug_file: Option<PathBuf>,

    /// Start PROG directly instead of through /bin/sh -c "exec PROG ARGS".
    #[arg(long = "no-startup-with-shell")]
    pub no_startup_with_shell: bool,

    /// Start PROG through the shell (the default).
    #[arg(long = "startup-with-shell", overrides_with = "no_startup_with_shell")]
    pub startup_with_shell: bool,

    /// Keep address-space randomization on for launched programs (it is
    /// turned off by default, as gdbserver does).
    #[arg(long = "no-disable-randomization")]
    pub no_disable_randomization: bool,

    /// Turn address-space randomization off (the default).
    #[arg(
        long = "disable-randomization",
        overrides_with = "no_disable_randomization"
    )]
    pub disable_randomization: bool,

    /// Offer gdb a memory map (qXfer:memory-map:read) from /proc/PID/maps.
    /// gdb then refuses addresses outside it, including memory mapped later.
    #[arg(long = "memory-map")]
    pub memory_map: bool,

    /// What a lost connection does to the process.
    #[arg(long = "on-disconnect", value_enum, default_value_t = OnDisconnect::Release)]
    pub on_disconnect: OnDisconnect,

    /// Serial line speed in bits per second (serial COMM only). By default
    /// the device keeps its current speed, as with gdbserver.
    #[arg(long, value_name = "N", value_parser = parse_baud)]
    pub baud: Option<u32>,

    /// Testing aid, as in gdbserver: pretend not to support these packets
    /// (comma-separated: vCont, T, Tthread, qC, qfThreadInfo, threads, x).
    #[arg(long = "disable-packet", value_name = "LIST", value_delimiter = ',', value_parser = parse_disabled_packet)]
    pub disable_packet: Vec<DisabledPacket>,

    /// Where gdb connects: HOST:PORT, :PORT, - / stdio, unix:PATH, or a serial device.
    #[arg(value_name = "COMM")]
    pub comm: String,

    /// Run PROG through this wrapper (`--wrapper env FOO=1 --`): taken out of
    /// the arguments before parsing, as gdbserver does, up to a `--`.
    #[arg(skip)]
    pub wrapper: Vec<String>,

    /// The program and its arguments, or with --attach the PID.
    #[arg(
        value_name = "PROG",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub program: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("--wrapper needs a command followed by `--`")]
pub struct WrapperError;

/// Take `--wrapper WORDS... --` out of the arguments: its words are free-form,
/// so clap must not see them.
pub fn split_wrapper(args: Vec<String>) -> Result<(Vec<String>, Vec<String>), WrapperError> {
    let Some(start) = args.iter().position(|a| a == "--wrapper") else {
        return Ok((args, Vec::new()));
    };
    let end = args[start + 1..]
        .iter()
        .position(|a| a == "--")
        .map(|i| start + 1 + i)
        .ok_or(WrapperError)?;
    let wrapper = args[start + 1..end].to_vec();
    if wrapper.is_empty() {
        return Err(WrapperError);
    }
    let mut rest = args[..start].to_vec();
    rest.extend_from_slice(&args[end + 1..]);
    Ok((rest, wrapper))
}

/// Packets `--disable-packet` can turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledPacket {
    VCont,
    T,
    Tthread,
    QC,
    QfThreadInfo,
    /// vCont, Tthread, qC and qfThreadInfo.
    Threads,
    /// `x`, binary memory reads (gdb then reads with `m`).
    BinaryRead,
}

fn parse_disabled_packet(text: &str) -> Result<DisabledPacket, String> {
    Ok(match text {
        "vCont" => DisabledPacket::VCont,
        "T" => DisabledPacket::T,
        "Tthread" => DisabledPacket::Tthread,
        "qC" => DisabledPacket::QC,
        "qfThreadInfo" => DisabledPacket::QfThreadInfo,
        "threads" => DisabledPacket::Threads,
        "x" => DisabledPacket::BinaryRead,
        other => {
            return Err(format!(
                "unknown packet {other:?} (vCont, T, Tthread, qC, qfThreadInfo, threads, x)"
            ))
        }
    })
}

fn parse_baud(text: &str) -> Result<u32, String> {
    let n: u32 = text.parse().map_err(|_| format!("not a number: {text}"))?;
    crate::transport::baud_rate(n)
        .map(|_| n)
        .ok_or_else(|| format!("unsupported speed {n} (try 9600, 38400, 115200, ...)"))
}

impl Cli {
    /// Parse a command line (program name first), `--wrapper` included.
    pub fn parse_from_args(args: Vec<String>) -> Result<Cli, clap::Error> {
        let (rest, wrapper) = split_wrapper(args).map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{e}\n"))
        })?;
        let mut cli = Cli::try_parse_from(rest)?;
        cli.wrapper = wrapper;
        Ok(cli)
    }

    pub fn startup_with_shell(&self) -> bool {
        !self.no_startup_with_shell
    }

    pub fn disable_randomization(&self) -> bool {
        !self.no_disable_randomization
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("rgdbserver").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn program_arguments_keep_their_dashes() {
        let cli = parse(&[":1234", "./prog", "--flag", "-x", "arg"]);
        assert_eq!(cli.comm, ":1234");
        assert_eq!(cli.program, ["./prog", "--flag", "-x", "arg"]);
        assert!(!cli.attach);
    }

    #[test]
    fn attach_before_or_after_comm() {
        let before = parse(&["--attach", ":1234", "42"]);
        let after = parse(&[":1234", "--attach", "42"]);
        for cli in [before, after] {
            assert!(cli.attach);
            assert_eq!(cli.comm, ":1234");
            assert_eq!(cli.program, ["42"]);
        }
    }

    #[test]
    fn disable_packet_lists() {
        let cli = parse(&[
            "--disable-packet=T,qC",
            "--disable-packet=threads",
            ":0",
            "p",
        ]);
        assert_eq!(
            cli.disable_packet,
            [
                DisabledPacket::T,
                DisabledPacket::QC,
                DisabledPacket::Threads
            ]
        );
        assert!(Cli::try_parse_from(["rgdbserver", "--disable-packet=bogus", ":0", "p"]).is_err());
        assert_eq!(
            parse(&["--disable-packet=x", ":0", "p"]).disable_packet,
            [DisabledPacket::BinaryRead]
        );
    }

    #[test]
    fn wrapper_words_end_at_double_dash() {
        let args = [
            "rgdbserver",
            "--once",
            "--wrapper",
            "env",
            "A=1",
            "--",
            ":0",
            "prog",
            "--",
            "x",
        ];
        let cli = Cli::parse_from_args(args.iter().map(|s| s.to_string()).collect()).unwrap();
        assert_eq!(cli.wrapper, ["env", "A=1"]);
        assert_eq!(cli.comm, ":0");
        assert_eq!(cli.program, ["prog", "--", "x"]);
        assert!(cli.once);
        let missing = ["rgdbserver", "--wrapper", "env", ":0", "prog"];
        assert!(Cli::parse_from_args(missing.iter().map(|s| s.to_string()).collect()).is_err());
    }

    #[test]
    fn shell_and_randomization_defaults() {
        let cli = parse(&["--once", ":0", "prog"]);
        assert!(cli.once && cli.startup_with_shell() && cli.disable_randomization());
        let cli = parse(&[
            "--no-startup-with-shell",
            "--no-disable-randomization",
            ":0",
            "prog",
        ]);
        assert!(!cli.startup_with_shell() && !cli.disable_randomization());
    }

    #[test]
    fn baud_is_optional_and_checked() {
        assert_eq!(parse(&["/dev/ttyS1", "prog"]).baud, None);
        let cli = parse(&["--baud", "115200", "/dev/ttyS1", "prog"]);
        assert_eq!(cli.baud, Some(115200));
        let args = ["rgdbserver", "--baud", "12345", "/dev/ttyS1", "prog"];
        assert!(Cli::try_parse_from(args).is_err());
    }
}
