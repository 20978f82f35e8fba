//! Logging setup: `RUST_LOG` as env_logger reads it, plus gdbserver's
//! `--debug` / `--remote-debug` switches, which `monitor set debug` and
//! `monitor set remote-debug` can flip while running.

use std::sync::atomic::{AtomicBool, Ordering};

use log::LevelFilter;

static DEBUG: AtomicBool = AtomicBool::new(false);
static REMOTE_DEBUG: AtomicBool = AtomicBool::new(false);
static TIMESTAMPS: AtomicBool = AtomicBool::new(false);
static BASE_LEVEL: std::sync::OnceLock<LevelFilter> = std::sync::OnceLock::new();

/// Log target for packet traces.
pub const REMOTE: &str = "remote";

pub fn init(
    debug: bool,
    remote_debug: bool,
    debug_file: Option<&std::path::Path>,
) -> std::io::Result<()> {
    let mut builder = env_logger::Builder::new();
    let from_env = std::env::var("RUST_LOG").ok();
    match &from_env {
        Some(spec) => {
            builder.parse_filters(spec);
        }
        None => {
            // Everything passes env_logger; log::set_max_level is the switch.
            builder.filter_level(LevelFilter::Trace);
        }
    }
    builder.format(|buf, record| {
        use std::io::Write;
        if TIMESTAMPS.load(Ordering::Relaxed) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            write!(buf, "{}.{:06} ", now.as_secs(), now.subsec_micros())?;
        }
        writeln!(
            buf,
            "[{} {}] {}",
            record.level(),
            record.target(),
            record.args()
        )
    });
    if let Some(path) = debug_file {
        let file = std::fs::File::create(path)?;
        builder.target(env_logger::Target::Pipe(Box::new(file)));
    }
    let _ = builder.try_init();
    let base = if from_env.is_some() {
        log::max_level()
    } else {
        LevelFilter::Warn
    };
    let _ = BASE_LEVEL.set(base);
    DEBUG.store(debug, Ordering::Relaxed);
    REMOTE_DEBUG.store(remote_debug, Ordering::Relaxed);
    apply();
    Ok(())
}

fn apply() {
    let base = BASE_LEVEL.get().copied().unwrap_or(LevelFilter::Warn);
    let mut level = base;
    if DEBUG.load(Ordering::Relaxed) {
        level = level.max(LevelFilter::Debug);
    }
    if REMOTE_DEBUG.load(Ordering::Relaxed) {
        level = level.max(LevelFilter::Info);
    }
    log::set_max_level(level);
}

pub fn set_debug(enabled: bool) {
    DEBUG.store(enabled, Ordering::Relaxed);
    apply();
}

pub fn set_remote_debug(enabled: bool) {
    REMOTE_DEBUG.store(enabled, Ordering::Relaxed);
    apply();
}

/// `monitor set debug-format timestamp`: prefix debug lines with the time.
pub fn set_timestamps(enabled: bool) {
    TIMESTAMPS.store(enabled, Ordering::Relaxed);
}

pub fn remote_debug() -> bool {
    REMOTE_DEBUG.load(Ordering::Relaxed)
}
