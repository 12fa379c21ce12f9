//! The logbook (journal de bord): what the student did each day of the placement.

use super::FieldErrors;
use super::ids::*;
use super::placement::Placement;
use super::text;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest "tasks done" text, in characters.
pub const TASKS_MAX_CHARS: usize = 2_000;
/// Longest free text (remarks), in characters.
pub const NOTES_MAX_CHARS: usize = 4_000;

/// Hours worked in a day, in quarter hours: 0 to 96 (0 h to 24 h).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hours(u8);

impl Hours {
    /// Quarter hours in 24 h.
    pub const MAX_QUARTERS: u8 = 96;

    /// From a number of quarter hours; `None` above 96.
    pub fn from_quarters(q: u8) -> Option<Hours> {
        (q <= Self::MAX_QUARTERS).then_some(Hours(q))
    }

    /// The number of quarter hours.
    pub fn quarters(self) -> u8 {
        self.0
    }

    /// Parses what a student types: "7", "7,5", "7.25", "7h", "7h30", "7 h 45", "7:15".
    /// Minutes must be 0, 15, 30 or 45 and decimals a multiple of 0.25.
    ///
    /// # Errors
    /// A French message saying what is expected.
    pub fn parse(input: &str) -> Result<Hours, String> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        if s.is_empty() {
            return Err("Indiquez le nombre d'heures.".into());
        }
        let bad = || {
            "Écrivez une durée comme 7, 7,5 ou 7h30 (par quarts d'heure, de 0 à 24 h).".to_string()
        };
        let (whole, quarters) = if let Some((h, m)) = s.split_once(['h', ':']) {
            let h: u32 = digits(h).ok_or_else(bad)?;
            let m: u32 = if m.is_empty() {
                0
            } else {
                digits(m).ok_or_else(bad)?
            };
            if m >= 60 || !m.is_multiple_of(15) {
                return Err("Les minutes doivent valoir 0, 15, 30 ou 45.".into());
            }
            (h, m / 15)
        } else {
            let s = s.replace(',', ".");
            let (h, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
            let h: u32 = if h.is_empty() {
                0
            } else {
                digits(h).ok_or_else(bad)?
            };
            if !frac.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            let frac = frac.trim_end_matches('0');
            let q = match frac {
                "" => 0,
                "25" => 1,
                "5" => 2,
                "75" => 3,
                _ => return Err("Comptez par quarts d'heure : ,25 ,5 ou ,75.".into()),
            };
            (h, q)
        };
        let total = whole.checked_mul(4).and_then(|w| w.checked_add(quarters));
        match total {
            Some(t) if t <= u32::from(Self::MAX_QUARTERS) => Ok(Hours(t as u8)),
            _ => Err("Une journée compte au plus 24 heures.".into()),
        }
    }
}

/// A number written with ASCII digits only (no sign), at most 6 of them.
fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl fmt::Display for Hours {
    /// French writing: "7 h", "7 h 30".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m) = (self.0 / 4, (self.0 % 4) * 15);
        if m == 0 {
            write!(f, "{h} h")
        } else {
            write!(f, "{h} h {m:02}")
        }
    }
}

/// One day in the logbook (entrée du journal de bord).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogbookEntry {
    /// Id (made by the client when written offline, issue 4).
    pub id: LogbookEntryId,
    /// The placement it belongs to.
    pub placement: PlacementId,
    /// The day described.
    pub date: Date,
    /// Hours worked that day.
    pub hours: Hours,
    /// Tasks done (tâches réalisées).
    pub tasks: String,
    /// Free text: remarks, difficulties, what was learnt.
    pub notes: String,
    /// When it was received by the server.
    pub created_at: Timestamp,
    /// When the student last corrected it (shown to everyone who reads it).
    pub updated_at: Option<Timestamp>,
}

/// Layout of [`LogbookEntry`] in record version 1 (before corrections existed); read by
/// the store's upgrade path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogbookEntryV1 {
    /// See [`LogbookEntry::id`].
    pub id: LogbookEntryId,
    /// See [`LogbookEntry::placement`].
    pub placement: PlacementId,
    /// See [`LogbookEntry::date`].
    pub date: Date,
    /// See [`LogbookEntry::hours`].
    pub hours: Hours,
    /// See [`LogbookEntry::tasks`].
    pub tasks: String,
    /// See [`LogbookEntry::notes`].
    pub notes: String,
    /// See [`LogbookEntry::created_at`].
    pub created_at: Timestamp,
}

impl From<LogbookEntryV1> for LogbookEntry {
    fn from(v1: LogbookEntryV1) -> Self {
        LogbookEntry {
            id: v1.id,
            placement: v1.placement,
            date: v1.date,
            hours: v1.hours,
            tasks: v1.tasks,
            notes: v1.notes,
            created_at: v1.created_at,
            updated_at: None,
        }
    }
}

impl LogbookEntry {
    /// True when both describe the same day the same way (date, hours, tasks, notes):
    /// a resubmission of the same form, not a new entry.
    pub fn same_content(&self, other: &LogbookEntry) -> bool {
        self.date == other.date
            && self.hours == other.hours
            && self.tasks == other.tasks
            && self.notes == other.notes
    }
}

/// The logbook form as typed, before any check; kept whole to refill the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogbookEntryInput {
    /// Date as `yyyy-mm-dd` (what `<input type=date>` sends) or `dd/mm/yyyy`.
    pub date: String,
    /// Hours as typed (see [`Hours::parse`]).
    pub hours: String,
    /// Tasks done.
    pub tasks: String,
    /// Free text.
    pub notes: String,
}

impl LogbookEntryInput {
    /// The form prefilled from a stored entry (for a correction).
    pub fn from_entry(entry: &LogbookEntry) -> Self {
        LogbookEntryInput {
            date: entry.date.to_string(),
            hours: entry.hours.to_string(),
            tasks: entry.tasks.clone(),
            notes: entry.notes.clone(),
        }
    }
}

/// Parses a date as `<input type=date>` sends it (`2026-11-29`) or as French people
/// write it (`29/11/2026`).
///
/// # Errors
/// A French message.
pub fn parse_date(input: &str) -> Result<Date, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Indiquez la date.".into());
    }
    let parsed = if let [d, m, y] = s.split('/').collect::<Vec<_>>()[..] {
        if y.len() != 4 {
            return Err("Écrivez l'année en entier, comme 29/11/2026.".into());
        }
        match (d.parse::<i8>(), m.parse::<i8>(), y.parse::<i16>()) {
            (Ok(d), Ok(m), Ok(y)) => Date::new(y, m, d).ok(),
            _ => None,
        }
    } else {
        s.parse::<Date>().ok()
    };
    parsed.ok_or_else(|| "Date invalide : écrivez-la comme 29/11/2026.".into())
}

/// Checks a logbook entry against its placement and today's date.
///
/// Rules (issue 2): the day lies inside the placement and is not after `today`; hours
/// from 0 to 24 in quarter hours, and the day's entries together (`existing` holds the
/// placement's entries of that day, or more) at most 24 h; "tasks done" is required and at most
/// [`TASKS_MAX_CHARS`]; the free text at most [`NOTES_MAX_CHARS`].
///
/// # Errors
/// Every broken rule, by field, in French.
pub fn validate_entry(
    input: &LogbookEntryInput,
    placement: &Placement,
    today: Date,
    id: LogbookEntryId,
    now: Timestamp,
    existing: &[LogbookEntry],
) -> Result<LogbookEntry, FieldErrors> {
    let mut errors = FieldErrors::default();
    let date = match parse_date(&input.date) {
        Ok(d) if !placement.contains(d) => {
            errors.add(
                "date",
                format!(
                    "Choisissez un jour de la période, entre le {} et le {}.",
                    text::date_short(placement.start),
                    text::date_short(placement.end)
                ),
            );
            None
        }
        Ok(d) if d > today => {
            errors.add("date", "Ce jour n'est pas encore passé.");
            None
        }
        Ok(d) => Some(d),
        Err(m) => {
            errors.add("date", m);
            None
        }
    };
    let hours = Hours::parse(&input.hours)
        .map_err(|m| errors.add("hours", m))
        .ok();
    let tasks = text::clean(&input.tasks);
    text::check(&mut errors, "tasks", &tasks, true, TASKS_MAX_CHARS);
    let notes = text::clean(&input.notes);
    text::check(&mut errors, "notes", &notes, false, NOTES_MAX_CHARS);
    let (Some(date), Some(hours)) = (date, hours) else {
        return Err(errors);
    };
    let entry = LogbookEntry {
        id,
        placement: placement.id,
        date,
        hours,
        tasks,
        notes,
        created_at: now,
        updated_at: None,
    };
    // A resubmission of the very same entry does not count twice.
    let already: u32 = existing
        .iter()
        .filter(|e| e.date == date && !(e.id == id && e.same_content(&entry)))
        .map(|e| u32::from(e.hours.quarters()))
        .sum();
    if already + u32::from(hours.quarters()) > u32::from(Hours::MAX_QUARTERS) {
        let left = Hours::from_quarters(
            Hours::MAX_QUARTERS.saturating_sub(u8::try_from(already).unwrap_or(u8::MAX)),
        )
        .unwrap_or_default();
        errors.add(
            "hours",
            format!(
                "Ce jour compte déjà {} dans le journal : il reste au plus {left} à déclarer.",
                Hours::from_quarters(u8::try_from(already).unwrap_or(u8::MAX)).unwrap_or_default()
            ),
        );
    }
    if errors.is_empty() {
        Ok(entry)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_accept_french_writings() {
        for (s, q) in [
            ("7", 28),
            ("7,5", 30),
            ("7.25", 29),
            ("7h", 28),
            ("7h30", 30),
            ("7 h 45", 31),
            ("7:15", 29),
            ("0", 0),
            ("24", 96),
            (",75", 3),
            ("7,50", 30),
        ] {
            assert_eq!(Hours::parse(s).map(Hours::quarters), Ok(q), "{s}");
        }
    }

    #[test]
    fn hours_refuse_out_of_range_and_odd_fractions() {
        for s in [
            "",
            "25",
            "24,25",
            "7,3",
            "7h10",
            "-1",
            "abc",
            "7h60",
            "99999999999",
        ] {
            assert!(Hours::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn hours_display_in_french() {
        assert_eq!(Hours::parse("7h30").unwrap().to_string(), "7 h 30");
        assert_eq!(Hours::parse("8").unwrap().to_string(), "8 h");
    }

    fn placement() -> Placement {
        Placement {
            id: PlacementId::new(),
            student: StudentId::new(),
            company: CompanyId::new(),
            tutor: TutorId::new(),
            referent: TeacherId::new(),
            start: Date::new(2026, 11, 16).unwrap(),
            end: Date::new(2026, 12, 11).unwrap(),
            objectives: vec![],
        }
    }

    fn input(date: &str, hours: &str) -> LogbookEntryInput {
        LogbookEntryInput {
            date: date.into(),
            hours: hours.into(),
            tasks: "Tirage de câbles".into(),
            notes: String::new(),
        }
    }

    #[test]
    fn a_day_holds_at_most_24_hours_but_a_resubmission_does_not_count_twice() {
        let p = placement();
        let today = Date::new(2026, 11, 29).unwrap();
        let now = Timestamp::UNIX_EPOCH;
        let first = validate_entry(
            &input("2026-11-20", "16"),
            &p,
            today,
            LogbookEntryId::new(),
            now,
            &[],
        )
        .unwrap();
        let existing = vec![first.clone()];
        let again = validate_entry(
            &input("2026-11-20", "16"),
            &p,
            today,
            first.id,
            now,
            &existing,
        );
        assert!(again.is_ok(), "{again:?}");
        let more = validate_entry(
            &input("2026-11-20", "8h15"),
            &p,
            today,
            LogbookEntryId::new(),
            now,
            &existing,
        )
        .unwrap_err();
        assert!(
            more.get("hours").unwrap().contains("il reste au plus 8 h"),
            "{more:?}"
        );
        assert!(
            validate_entry(
                &input("2026-11-20", "8"),
                &p,
                today,
                LogbookEntryId::new(),
                now,
                &existing
            )
            .is_ok()
        );
        assert!(
            validate_entry(
                &input("2026-11-21", "16"),
                &p,
                today,
                LogbookEntryId::new(),
                now,
                &existing
            )
            .is_ok()
        );
    }

    #[test]
    fn dates_in_both_writings() {
        let d = Date::new(2026, 11, 29).unwrap();
        assert_eq!(parse_date("2026-11-29"), Ok(d));
        assert_eq!(parse_date("29/11/2026"), Ok(d));
        assert!(parse_date("31/02/2026").is_err());
        assert!(parse_date("hier").is_err());
        assert!(parse_date("16/11/26").unwrap_err().contains("année"));
    }
}
