//! The command line, compatible with GNU gdbserver's:
//! `rgdbserver [OPTIONS] COMM PROG [ARGS...]`, `rgdbserver [OPTIONS] --attach
//! COMM PID` (or `COMM --attach PID`), `rgdbserver [OPTIONS] --multi COMM`.

use std::path::PathBuf;

use clap::{Args, Parser, ValueEnum};

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
  rgdbserver --crash-report=/var/crash ./prog   no gdb: on a crash, report and core into /var/crash
  rgdbserver --crash-report --listen :1234 ./prog  on a crash, wait for gdb with the process stopped

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

/// The whole command line, in four parts: where gdb connects, how the
/// program is started, what the server logs, and what the protocol offers.
///
/// Each option's `display_order` keeps `--help` in the order it had as one
/// flat struct (the options most used first), not grouped by part. The
/// positionals carry their `index` so that COMM comes before PROG whatever
/// the order of the parts. `long_about = None` keeps this comment out of
/// `--help`.
#[derive(Debug, Parser)]
#[command(
    name = "rgdbserver",
    version,
    long_about = None,
    about = "A gdbserver for Linux processes: debug a program with gdb over the GDB remote protocol.",
    after_help = EXAMPLES,
    override_usage = "rgdbserver [OPTIONS] COMM PROG [ARGS...]\n       rgdbserver [OPTIONS] --attach COMM PID\n       rgdbserver [OPTIONS] --multi COMM\n       rgdbserver [OPTIONS] --crash-report[=DIR] [--listen COMM] PROG [ARGS...]\n       rgdbserver [OPTIONS] --crash-report[=DIR] [--listen COMM] --attach PID"
)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionOptions,

    #[command(flatten)]
    pub start: StartOptions,

    #[command(flatten)]
    pub diagnostics: DiagnosticOptions,

    #[command(flatten)]
    pub protocol: ProtocolOptions,

    #[command(flatten)]
    pub crash: CrashOptions,
}

/// Where gdb connects and what the server does between connections.
#[derive(Debug, Args)]
pub struct ConnectionOptions {
    // None only with --crash-report (see `Cli::take_crash_report_comm`).
    /// Where gdb connects: HOST:PORT, :PORT, - / stdio, unix:PATH, or a serial device.
    #[arg(
        value_name = "COMM",
        index = 1,
        required_unless_present = "crash_report"
    )]
    pub comm: Option<String>,

    /// Extended-remote server: start with no program; gdb runs or attaches.
    #[arg(long, display_order = 1)]
    pub multi: bool,

    /// Exit after the first connection ends, instead of waiting for another.
    #[arg(long, display_order = 2)]
    pub once: bool,

    /// What a lost connection does to the process.
    #[arg(long = "on-disconnect", value_enum, default_value_t = OnDisconnect::Release, display_order = 11)]
    pub on_disconnect: OnDisconnect,

    /// Serial line speed in bits per second (serial COMM only). By default
    /// the device keeps its current speed, as with gdbserver.
    #[arg(long, value_name = "N", value_parser = parse_baud, display_order = 12)]
    pub baud: Option<u32>,
}

/// Which process is debugged and, for a launched one, how it is started.
#[derive(Debug, Args)]
pub struct StartOptions {
    /// Attach to the running process PID instead of starting a program.
    #[arg(long, display_order = 0)]
    pub attach: bool,

    /// Start PROG directly instead of through /bin/sh -c "exec PROG ARGS".
    #[arg(long = "no-startup-with-shell", display_order = 6)]
    pub no_startup_with_shell: bool,

    /// Start PROG through the shell (the default).
    #[arg(
        long = "startup-with-shell",
        overrides_with = "no_startup_with_shell",
        display_order = 7
    )]
    pub startup_with_shell: bool,

    /// Keep address-space randomization on for launched programs (it is
    /// turned off by default, as gdbserver does).
    #[arg(long = "no-disable-randomization", display_order = 8)]
    pub no_disable_randomization: bool,

    /// Turn address-space randomization off (the default).
    #[arg(
        long = "disable-randomization",
        overrides_with = "no_disable_randomization",
        display_order = 9
    )]
    pub disable_randomization: bool,

    /// Run PROG through this wrapper (`--wrapper env FOO=1 --`): taken out of
    /// the arguments before parsing, as gdbserver does, up to a `--`.
    #[arg(skip)]
    pub wrapper: Vec<String>,

    /// The program and its arguments, or with --attach the PID.
    #[arg(
        value_name = "PROG",
        index = 2,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub program: Vec<String>,
}

/// What the server says about itself, and where.
#[derive(Debug, Args)]
pub struct DiagnosticOptions {
    /// Print debugging messages from the server on stderr.
    #[arg(long, display_order = 3)]
    pub debug: bool,

    /// Print every remote protocol packet on stderr.
    #[arg(long = "remote-debug", display_order = 4)]
    pub remote_debug: bool,

    /// Write debugging output to FILE instead of stderr.
    #[arg(long = "debug-file", value_name = "FILE", display_order = 5)]
    pub debug_file: Option<PathBuf>,
}

/// What the server offers gdb beyond the defaults, or holds back.
#[derive(Debug, Args)]
pub struct ProtocolOptions {
    /// Offer gdb a memory map (qXfer:memory-map:read) from /proc/PID/maps.
    /// gdb then refuses addresses outside it, including memory mapped later.
    #[arg(long = "memory-map", display_order = 10)]
    pub memory_map: bool,

    /// Testing aid, as in gdbserver: pretend not to support these packets
    /// (comma-separated: vCont, T, Tthread, qC, qfThreadInfo, threads, x).
    #[arg(long = "disable-packet", value_name = "LIST", value_delimiter = ',', value_parser = parse_disabled_packet, display_order = 13)]
    pub disable_packet: Vec<DisabledPacket>,
}

/// Crash reports with no gdb (`crate::crash_report`).
#[derive(Debug, Args)]
pub struct CrashOptions {
    /// No gdb: run PROG (or --attach PID) passing every signal; on a fatal
    /// one print a crash report on stderr (and write crash.PID.txt and
    /// core.PID, mode 0600, into DIR), then let the signal kill it. Exits
    /// with the program's status (128+N if signal N killed it).
    #[arg(
        long = "crash-report",
        value_name = "DIR",
        num_args = 0..=1,
        require_equals = true,
        display_order = 14
    )]
    pub crash_report: Option<Option<PathBuf>>,

    /// With --crash-report: after the report keep the crashed process
    /// stopped and wait for gdb on COMM.
    #[arg(
        long,
        value_name = "COMM",
        requires = "crash_report",
        display_order = 15
    )]
    pub listen: Option<String>,
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
        cli.start.wrapper = wrapper;
        cli.take_crash_report_comm();
        Ok(cli)
    }
}

impl Cli {
    /// `--crash-report` takes no COMM positional: what clap took for one
    /// is the program (or PID), and COMM is `--listen`'s, if given.
    fn take_crash_report_comm(&mut self) {
        if self.crash.crash_report.is_none() {
            return;
        }
        if let Some(first) = self.connection.comm.take() {
            self.start.program.insert(0, first);
        }
        self.connection.comm = self.crash.listen.clone();
    }
}

impl StartOptions {
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
        assert_eq!(cli.connection.comm.as_deref(), Some(":1234"));
        assert_eq!(cli.start.program, ["./prog", "--flag", "-x", "arg"]);
        assert!(!cli.start.attach);
    }

    #[test]
    fn attach_before_or_after_comm() {
        let before = parse(&["--attach", ":1234", "42"]);
        let after = parse(&[":1234", "--attach", "42"]);
        for cli in [before, after] {
            assert!(cli.start.attach);
            assert_eq!(cli.connection.comm.as_deref(), Some(":1234"));
            assert_eq!(cli.start.program, ["42"]);
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
            cli.protocol.disable_packet,
            [
                DisabledPacket::T,
                DisabledPacket::QC,
                DisabledPacket::Threads
            ]
        );
        assert!(Cli::try_parse_from(["rgdbserver", "--disable-packet=bogus", ":0", "p"]).is_err());
        assert_eq!(
            parse(&["--disable-packet=x", ":0", "p"])
                .protocol
                .disable_packet,
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
        assert_eq!(cli.start.wrapper, ["env", "A=1"]);
        assert_eq!(cli.connection.comm.as_deref(), Some(":0"));
        assert_eq!(cli.start.program, ["prog", "--", "x"]);
        assert!(cli.connection.once);
        let missing = ["rgdbserver", "--wrapper", "env", ":0", "prog"];
        assert!(Cli::parse_from_args(missing.iter().map(|s| s.to_string()).collect()).is_err());
    }

    #[test]
    fn shell_and_randomization_defaults() {
        let cli = parse(&["--once", ":0", "prog"]);
        assert!(
            cli.connection.once
                && cli.start.startup_with_shell()
                && cli.start.disable_randomization()
        );
        let cli = parse(&[
            "--no-startup-with-shell",
            "--no-disable-randomization",
            ":0",
            "prog",
        ]);
        assert!(!cli.start.startup_with_shell() && !cli.start.disable_randomization());
    }

    #[test]
    fn baud_is_optional_and_checked() {
        assert_eq!(parse(&["/dev/ttyS1", "prog"]).connection.baud, None);
        let cli = parse(&["--baud", "115200", "/dev/ttyS1", "prog"]);
        assert_eq!(cli.connection.baud, Some(115200));
        let args = ["rgdbserver", "--baud", "12345", "/dev/ttyS1", "prog"];
        assert!(Cli::try_parse_from(args).is_err());
    }

    #[test]
    fn the_parts_make_one_consistent_command() {
        // Ids clashing across the flattened parts, or a positional after
        // the trailing PROG, would only show here or at run time.
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn help_keeps_the_flat_order_across_the_parts() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        assert!(
            help.starts_with("A gdbserver for Linux processes"),
            "{help}"
        );
        let order = [
            "[COMM]",
            "[PROG]...",
            "--attach",
            "--multi",
            "--once",
            "--debug",
            "--remote-debug",
            "--debug-file",
            "--no-startup-with-shell",
            "--startup-with-shell",
            "--no-disable-randomization",
            "--disable-randomization",
            "--memory-map",
            "--on-disconnect",
            "--baud",
            "--disable-packet",
            "--crash-report",
            "--listen",
            "--help",
            "--version",
        ];
        let at: Vec<usize> = order
            .iter()
            .map(|flag| {
                let line = help.lines().position(|l| {
                    let l = l.trim_start();
                    l.starts_with(flag)
                        || l.starts_with(&format!("-h, {flag}"))
                        || l.starts_with(&format!("-V, {flag}"))
                });
                line.unwrap_or_else(|| panic!("{flag} not in --help"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} at {at:?}");
    }

    #[test]
    fn crash_report_takes_no_comm() {
        let args = |a: &[&str]| {
            let words = std::iter::once("rgdbserver").chain(a.iter().copied());
            Cli::parse_from_args(words.map(String::from).collect()).unwrap()
        };
        let cli = args(&["--crash-report", "./prog", "-x"]);
        assert_eq!(cli.crash.crash_report, Some(None));
        assert_eq!(cli.connection.comm, None);
        assert_eq!(cli.start.program, ["./prog", "-x"]);
        let cli = args(&["--crash-report=/tmp/d", "--attach", "42"]);
        assert_eq!(cli.crash.crash_report, Some(Some(PathBuf::from("/tmp/d"))));
        assert!(cli.start.attach);
        assert_eq!(cli.start.program, ["42"]);
        let cli = args(&["--crash-report", "--listen", ":0", "./prog"]);
        assert_eq!(cli.connection.comm.as_deref(), Some(":0"));
        assert_eq!(cli.start.program, ["./prog"]);
        assert!(Cli::try_parse_from(["rgdbserver", "--listen", ":0", "p"]).is_err());
        assert!(Cli::try_parse_from(["rgdbserver"]).is_err());
    }

    #[test]
    fn the_later_of_a_flag_and_its_negation_wins() {
        let cli = parse(&["--no-startup-with-shell", "--startup-with-shell", ":0", "p"]);
        assert!(cli.start.startup_with_shell());
        let cli = parse(&[
            "--disable-randomization",
            "--no-disable-randomization",
            ":0",
            "p",
        ]);
        assert!(!cli.start.disable_randomization());
    }
}
