//! The only reader of the system time.
//!
//! Every "now" and "today" in Livret goes through a [`Clock`], so tests can fix time
//! (a tutor link that expires in six months is testable) and so "today" is always the
//! school's civil date (Europe/Paris by default), never the server's UTC date.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use std::sync::{Arc, Mutex};

/// Source of the current instant, real or fixed, in the school's time zone.
#[derive(Clone)]
pub struct Clock {
    source: Source,
    zone: TimeZone,
}

#[derive(Clone)]
enum Source {
    System,
    Fixed(Arc<Mutex<Timestamp>>),
}

impl Clock {
    /// The real clock in the given IANA time zone (for example `Europe/Paris`).
    ///
    /// # Errors
    /// The zone name is not in the bundled time-zone database.
    pub fn system(zone: &str) -> Result<Self, jiff::Error> {
        Ok(Clock {
            source: Source::System,
            zone: TimeZone::get(zone)?,
        })
    }

    /// A clock stopped at `at` (tests); [`Clock::advance`] moves it.
    ///
    /// # Errors
    /// The zone name is not in the bundled time-zone database.
    pub fn fixed(at: Timestamp, zone: &str) -> Result<Self, jiff::Error> {
        Ok(Clock {
            source: Source::Fixed(Arc::new(Mutex::new(at))),
            zone: TimeZone::get(zone)?,
        })
    }

    /// Moves a fixed clock forward by `span` (no effect on the system clock).
    pub fn advance(&self, span: jiff::SignedDuration) {
        if let Source::Fixed(at) = &self.source
            && let Ok(mut at) = at.lock()
            && let Ok(next) = at.checked_add(span)
        {
            *at = next;
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        match &self.source {
            #[allow(clippy::disallowed_methods)] // the one allowed reader of the system time
            Source::System => Timestamp::now(),
            Source::Fixed(at) => at.lock().map(|t| *t).unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    /// The current instant in the school's time zone.
    pub fn now_zoned(&self) -> ZonedDateTime {
        self.now().to_zoned_datetime(self.zone.clone())
    }

    /// Today's civil date in the school's time zone.
    pub fn today(&self) -> Date {
        self.now_zoned().date()
    }

    /// The school's time zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}
