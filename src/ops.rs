//! Running a school's instance (issue 9): readiness (`GET /readyz`), the free space of
//! the data directory's file system, the log format, and sizes written the French way
//! for the coordinator's « Sauvegardes et stockage » card.

use crate::config::Config;
use crate::store::Store;
use std::path::Path;

/// How log events are written on stderr: `--log-format`, variable `LIVRET_LOG_FORMAT`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event (colours on a terminal).
    #[default]
    Text,
    /// One JSON object per line: `timestamp` (RFC 3339, UTC), `level`, `target`,
    /// `message` and the event's own fields beside them, for a log collector.
    Json,
}

/// Sets up the process's log events on stderr in `format`, filtered by `RUST_LOG`
/// (default `info,sled=warn`). Call once, after reading the command line.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sled=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}

/// Bytes available to an unprivileged process on the file system that holds `dir`
/// (`statvfs`'s `f_bavail × f_frsize`: the root reserve is not counted).
///
/// # Errors
/// `dir` does not exist or the file system cannot be asked.
pub fn free_space(dir: &Path) -> std::io::Result<u64> {
    fs4::available_space(dir)
}

/// What `GET /readyz` answers: ready, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The store answers and the data's file system has at least the configured free
    /// space.
    Ready,
    /// Not ready: `reason` is `"store"` or `"disk"`, `message` says why in French
    /// (no personal data: sizes and the threshold only).
    NotReady {
        /// `"store"` (the store did not answer a read) or `"disk"` (too little free
        /// space, or the free space cannot be read).
        reason: &'static str,
        /// The reason in French, for the person reading the probe's answer.
        message: String,
    },
}

/// Checks that `store` answers a read (its schema version) and that the file system of
/// `config.data` has at least `config.ops.min_free_bytes` free (`--min-free-mb`,
/// issue 9): a full disk would make every write fail.
pub fn readiness(store: &Store, config: &Config) -> Readiness {
    if let Err(e) = store.schema_version() {
        tracing::error!(error = %e, "/readyz : la base ne répond pas");
        return Readiness::NotReady {
            reason: "store",
            message: "la base de données ne répond pas".into(),
        };
    }
    let min = config.ops.min_free_bytes;
    match free_space(&config.data) {
        Ok(free) if free >= min => Readiness::Ready,
        Ok(free) => Readiness::NotReady {
            reason: "disk",
            message: format!(
                "espace disque insuffisant pour les données : {} libres, il en faut au moins {} (--min-free-mb)",
                size_fr(free),
                size_fr(min)
            ),
        },
        Err(e) => {
            tracing::error!(error = %e, "/readyz : espace disque illisible");
            Readiness::NotReady {
                reason: "disk",
                message: "impossible de lire l'espace disque libre du répertoire des données"
                    .into(),
            }
        }
    }
}

/// A size in bytes as French text, in decimal units (1 Mo = 1 000 000 octets, like
/// `--min-free-mb`), with a decimal comma and a no-break space: `850 octets`, `12 ko`,
/// `12,3 Mo`, `1,5 Go`, `2 To`. One decimal below 100 units, none above.
pub fn size_fr(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["ko", "Mo", "Go", "To", "Po"];
    if bytes < 1000 {
        return format!("{bytes}\u{a0}octets");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 999.95 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    let text = if value < 99.95 {
        let tenths = (value * 10.0).round() as u64;
        if tenths.is_multiple_of(10) {
            format!("{}", tenths / 10)
        } else {
            format!("{},{}", tenths / 10, tenths % 10)
        }
    } else {
        format!("{}", value.round() as u64)
    };
    format!("{text}\u{a0}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_the_french_way() {
        let nb = |s: String| s.replace('\u{a0}', " ");
        assert_eq!(nb(size_fr(0)), "0 octets");
        assert_eq!(nb(size_fr(999)), "999 octets");
        assert_eq!(nb(size_fr(1000)), "1 ko");
        assert_eq!(nb(size_fr(12_345)), "12,3 ko");
        assert_eq!(nb(size_fr(123_456)), "123 ko");
        assert_eq!(nb(size_fr(999_999)), "1 Mo");
        assert_eq!(nb(size_fr(12_340_000)), "12,3 Mo");
        assert_eq!(nb(size_fr(200_000_000)), "200 Mo");
        assert_eq!(nb(size_fr(1_500_000_000)), "1,5 Go");
        assert_eq!(nb(size_fr(2_000_000_000_000)), "2 To");
        assert_eq!(nb(size_fr(u64::MAX)), "18447 Po");
    }

    #[test]
    fn free_space_is_read_for_an_existing_directory_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_space(dir.path()).unwrap() > 0);
        assert!(free_space(&dir.path().join("absent")).is_err());
    }
}
