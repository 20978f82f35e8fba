//! rgdbserver's entry point: parse the command line, set up logging, run.

use std::process::ExitCode;

use rgdbserver::cli::Cli;

fn main() -> ExitCode {
    // `--selftest` needs no COMM, as with gdbserver.
    if std::env::args().skip(1).any(|a| a == "--selftest") {
        return if rgdbserver::selftest::run() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let cli = Cli::parse_from_args(std::env::args().collect()).unwrap_or_else(|e| e.exit());
    if let Err(e) = rgdbserver::logging::init(
        cli.diagnostics.debug,
        cli.diagnostics.remote_debug,
        cli.diagnostics.debug_file.as_deref(),
    ) {
        eprintln!("rgdbserver: cannot open debug file: {e}");
        return ExitCode::from(1);
    }
    match rgdbserver::server::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            eprintln!("Exiting");
            ExitCode::from(1)
        }
    }
}
