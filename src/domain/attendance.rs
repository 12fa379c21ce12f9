//! Attendance during a placement, the PFMP certificate's counting and the PFMP
//! allowance (issue 8).
//!
//! Counting for the certificate (attestation de stage, Code de l'éducation D124-9; the
//! model of the arrêté of 29 December 2014): the effective total duration comes from
//! the actual presence in the host organisation; each 7 hours of presence, consecutive
//! or not, count as one day, and each 22 days as one month (Code de l'éducation
//! D124-6). Counting for the allowance (décret 2023-765 and arrêté of 11 August 2023,
//! art. 1): the number of PFMP days actually done times a daily rate set by diploma and
//! year; "les jours ayant donné lieu à une absence de l'élève ne sont pas pris en
//! compte", so a day with a half-day absence earns nothing.

use super::ids::*;
use super::logbook::Hours;
use super::people::{Class, CycleYear, PersonName};
use super::{Subject, text};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hours of presence counted as one day (D124-6).
pub const HOURS_PER_DAY: u32 = 7;
/// Days counted as one month (D124-6).
pub const DAYS_PER_MONTH: u32 = 22;
/// Longest absence reason, in characters.
pub const REASON_MAX_CHARS: usize = 200;
/// Largest gratification accepted, in cents (100 000 €): more is a typing mistake.
pub const GRATIFICATION_MAX_CENTS: u64 = 10_000_000;
/// Largest daily allowance rate accepted, in cents (100 €).
pub const RATE_MAX_CENTS: u32 = 10_000;
/// Most hours of presence on a day: 12 h, the longest working day the Code du travail
/// allows by derogation (L3121-18); minors may work 8 h (L3162-1).
pub const MAX_DAY_QUARTERS: u8 = 12 * 4;
/// Most hours of presence on a day with a half-day absence: 6 h, half of
/// [`MAX_DAY_QUARTERS`].
pub const MAX_HALF_DAY_QUARTERS: u8 = 6 * 4;

/// What happened on one day of the placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayKind {
    /// Present the whole working day.
    Present,
    /// Absent for half of the day, present the other half.
    HalfDayAbsence,
    /// Absent the whole day.
    DayAbsence,
    /// Not a day of placement (weekend, public holiday, closed company): said
    /// explicitly, unlike a day left blank (not filled in yet). Counts for nothing.
    Off,
}

impl DayKind {
    /// The value the attendance form sends for this kind.
    pub fn form_value(self) -> &'static str {
        match self {
            DayKind::Present => "present",
            DayKind::HalfDayAbsence => "demi",
            DayKind::DayAbsence => "absent",
            DayKind::Off => "off",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            DayKind::Present => "Présent",
            DayKind::HalfDayAbsence => "Absent une demi-journée",
            DayKind::DayAbsence => "Absent la journée",
            DayKind::Off => "Pas de PFMP ce jour",
        }
    }

    /// The kind a form value names; `None` for a day left blank (empty) or anything
    /// unknown.
    pub fn from_form(value: &str) -> Option<DayKind> {
        [
            DayKind::Present,
            DayKind::HalfDayAbsence,
            DayKind::DayAbsence,
            DayKind::Off,
        ]
        .into_iter()
        .find(|k| k.form_value() == value)
    }

    /// True for the two kinds of absence.
    pub fn is_absence(self) -> bool {
        matches!(self, DayKind::HalfDayAbsence | DayKind::DayAbsence)
    }
}

/// One recorded day of a placement. A day recorded [`DayKind::Off`] counts for nothing;
/// a past day of the placement not recorded at all is missing (see
/// [`Attendance::missing_days`]): the tutor cannot confirm until it is filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceDay {
    /// The day.
    pub date: Date,
    /// Present, or absent for a half day or the day.
    pub kind: DayKind,
    /// Hours of presence that day (0 for a day's absence).
    pub presence: Hours,
    /// Reason of the absence as typed (one line, at most [`REASON_MAX_CHARS`]; empty
    /// when not given or when present).
    pub reason: String,
    /// True when the absence is justified (always false when present).
    pub justified: bool,
}

/// The tutor's confirmation of the attendance, made in their link session (issue 8,
/// "Signatures"): who confirmed, when, and which revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceConfirmation {
    /// The tutor who confirmed.
    pub tutor: TutorId,
    /// Their name when they confirmed.
    pub name: PersonName,
    /// Their job title when they confirmed.
    pub job_title: String,
    /// When.
    pub at: Timestamp,
    /// The [`Attendance::revision`] they confirmed.
    pub revision: u32,
    /// The placement's first day when they confirmed.
    pub start: Date,
    /// The placement's last day when they confirmed.
    pub end: Date,
}

/// The attendance of one placement, stored under `attendance/<placement>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    /// The placement.
    pub placement: PlacementId,
    /// Recorded days, in date order, one per date.
    pub days: Vec<AttendanceDay>,
    /// Total gratification paid to the student by the host organisation, in cents
    /// (`None`: none; D124-9 asks for it "le cas échéant").
    pub gratification_cents: Option<u64>,
    /// 1 at the first save, one more at each save: the form sends the revision it was
    /// made from, so a save over someone else's newer one is refused.
    pub revision: u32,
    /// Last change.
    pub updated_at: Timestamp,
    /// Who made the last change (the tutor or the referent).
    pub updated_by: Subject,
    /// The tutor's confirmation; valid only while its revision is the current one
    /// (see [`Attendance::confirmed`]).
    pub confirmation: Option<AttendanceConfirmation>,
}

impl Attendance {
    /// The tutor's confirmation if it still holds for placement `p`: it confirms the
    /// current revision, by `p`'s current tutor, for `p`'s current dates (a change of
    /// dates or of tutor after the confirmation voids it: the totals it vouched for
    /// are no longer those printed).
    pub fn confirmed(&self, p: &super::Placement) -> Option<&AttendanceConfirmation> {
        self.confirmation.as_ref().filter(|c| {
            c.revision == self.revision
                && c.tutor == p.tutor
                && c.start == p.start
                && c.end == p.end
        })
    }

    /// The days of the placement from `start` to `end` up to `today` (included) that
    /// are not recorded at all: not filled in yet (neither present, absent nor « pas de
    /// PFMP »).
    pub fn missing_days(&self, start: Date, end: Date, today: Date) -> Vec<Date> {
        missing_days(Some(self), start, end, today)
    }

    /// Totals of the days between `start` and `end` (both included); recorded days
    /// outside (the placement's dates changed since) are left out.
    pub fn totals(&self, start: Date, end: Date) -> AttendanceTotals {
        AttendanceTotals::of(
            self.days
                .iter()
                .filter(|d| d.date >= start && d.date <= end),
        )
    }
}

/// Totals of recorded days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttendanceTotals {
    /// Presence, in quarter hours.
    pub presence_quarters: u32,
    /// Days present with no absence: the allowance's days.
    pub full_days: u32,
    /// Days with a half-day absence.
    pub half_day_absences: u32,
    /// Days of absence.
    pub day_absences: u32,
    /// Unjustified absences, in half days (a day's absence is two).
    pub unjustified_half_days: u32,
}

impl AttendanceTotals {
    /// Totals of `days`.
    pub fn of<'a>(days: impl IntoIterator<Item = &'a AttendanceDay>) -> AttendanceTotals {
        let mut t = AttendanceTotals::default();
        for d in days {
            t.presence_quarters += u32::from(d.presence.quarters());
            match d.kind {
                DayKind::Present => t.full_days += 1,
                DayKind::HalfDayAbsence => {
                    t.half_day_absences += 1;
                    if !d.justified {
                        t.unjustified_half_days += 1;
                    }
                }
                DayKind::DayAbsence => {
                    t.day_absences += 1;
                    if !d.justified {
                        t.unjustified_half_days += 2;
                    }
                }
                DayKind::Off => {}
            }
        }
        t
    }

    /// Effective days: whole periods of 7 hours of presence (D124-6).
    pub fn effective_days(&self) -> u32 {
        self.presence_quarters / (HOURS_PER_DAY * 4)
    }

    /// Presence beyond [`Self::effective_days`], in quarter hours (under 7 h).
    pub fn remainder_quarters(&self) -> u32 {
        self.presence_quarters % (HOURS_PER_DAY * 4)
    }

    /// Effective months: whole periods of 22 effective days (D124-6).
    pub fn months(&self) -> u32 {
        self.effective_days() / DAYS_PER_MONTH
    }

    /// Effective days beyond [`Self::months`].
    pub fn days_beyond_months(&self) -> u32 {
        self.effective_days() % DAYS_PER_MONTH
    }

    /// The effective total duration as the certificate prints it, for example
    /// `150 h de présence, soit 21 jours et 3 h` or
    /// `161 h de présence, soit 1 mois et 1 jour (23 jours)`; no-break spaces between
    /// numbers and units.
    pub fn duration_label(&self) -> String {
        let hours = hours_label(self.presence_quarters);
        let days = self.effective_days();
        let rest = self.remainder_quarters();
        let mut parts = Vec::new();
        if self.months() > 0 {
            parts.push(plural(self.months(), "mois", "mois"));
            if self.days_beyond_months() > 0 {
                parts.push(plural(self.days_beyond_months(), "jour", "jours"));
            }
        } else if days > 0 {
            parts.push(plural(days, "jour", "jours"));
        }
        if rest > 0 {
            parts.push(hours_label(rest));
        }
        let tail = if self.months() > 0 {
            format!(" ({})", plural(days, "jour", "jours"))
        } else {
            String::new()
        };
        match parts.len() {
            0 => format!("{hours} de présence"),
            1 if days == 0 => format!("{hours} de présence"),
            _ => {
                let last = parts.pop().unwrap_or_default();
                let head = parts.join(", ");
                let joined = if head.is_empty() {
                    last
                } else {
                    format!("{head} et {last}")
                };
                format!("{hours} de présence, soit {joined}{tail}")
            }
        }
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n <= 1 {
        format!("{n}\u{a0}{one}")
    } else {
        format!("{n}\u{a0}{many}")
    }
}

/// A number of quarter hours as French writes durations: `7 h`, `7 h 30`, `0 h 15`
/// (no-break spaces).
pub fn hours_label(quarters: u32) -> String {
    let h = quarters / 4;
    let m = (quarters % 4) * 15;
    if m == 0 {
        format!("{h}\u{a0}h")
    } else {
        format!("{h}\u{a0}h\u{a0}{m:02}")
    }
}

/// An amount in euros as French writes it: `1 234,50 €` (narrow no-break space between
/// thousands, no-break space before the sign).
pub fn euros_label(cents: u64) -> String {
    format!("{}\u{a0}€", euros_number(cents, '\u{202f}'))
}

/// An amount as a decimal number with a comma and no sign: `1234,50` for
/// spreadsheets, or with `thousands` between groups of three digits.
pub fn euros_number(cents: u64, thousands: char) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) && thousands != '\0' {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    format!("{grouped},{:02}", cents % 100)
}

/// Parses an amount in euros as people type it: `150`, `150,5`, `150.50`, `1 200 €`.
/// Empty gives `None`.
///
/// # Errors
/// A French message when it is not an amount with at most two decimals, or is above
/// `max_cents`.
pub fn parse_euros(input: &str, max_cents: u64) -> Result<Option<u64>, String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != '\u{202f}')
        .collect();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || "Écrivez un montant en euros, par exemple 150 ou 150,50.".to_string();
    let (whole, frac) = match s.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty()
        || whole.len() > 9
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let frac: u64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let cents = whole * 100 + frac;
    if cents > max_cents {
        return Err(format!(
            "Ce montant dépasse {} : vérifiez-le.",
            euros_label(max_cents)
        ));
    }
    Ok(Some(cents))
}

/// The days the attendance form offers for a placement from `start` to `end`: every
/// day, weekends included (shops and restaurants work on Saturdays), in date order.
/// At most 400 days (a longer placement is a typing mistake; the form would be
/// unusable).
pub fn form_days(start: Date, end: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = start;
    while d <= end && out.len() < 400 {
        out.push(d);
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

/// True on Saturdays and Sundays.
pub fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The days from `start` to `end` up to `today` that `a` does not record (all of them
/// when nothing is recorded).
pub fn missing_days(a: Option<&Attendance>, start: Date, end: Date, today: Date) -> Vec<Date> {
    form_days(start, end.min(today))
        .into_iter()
        .filter(|d| a.is_none_or(|a| !a.days.iter().any(|r| r.date == *d)))
        .collect()
}

/// One day of the attendance form as typed (kept as typed to show it again with the
/// errors).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayInput {
    /// The day.
    pub date: Date,
    /// `present`, `demi`, `absent` ([`DayKind::form_value`]) or empty: not a day of
    /// placement (weekend, holiday, not worked).
    pub kind: String,
    /// Hours of presence as typed ("7", "7h30", "3,5").
    pub hours: String,
    /// Reason of an absence.
    pub reason: String,
    /// "Justifiée" ticked.
    pub justified: bool,
}

impl DayInput {
    /// Name of the form field holding the kind: `jour-2026-05-04`.
    pub fn kind_field(date: Date) -> String {
        format!("jour-{date}")
    }
    /// Name of the hours field: `heures-2026-05-04`.
    pub fn hours_field(date: Date) -> String {
        format!("heures-{date}")
    }
    /// Name of the reason field: `motif-2026-05-04`.
    pub fn reason_field(date: Date) -> String {
        format!("motif-{date}")
    }
    /// Name of the "justified" checkbox: `justifiee-2026-05-04`.
    pub fn justified_field(date: Date) -> String {
        format!("justifiee-{date}")
    }
}

/// The attendance form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttendanceInput {
    /// One entry per day of [`form_days`].
    pub days: Vec<DayInput>,
    /// Total gratification as typed (empty: none).
    pub gratification: String,
    /// The revision the form was made from (0: nothing recorded yet).
    pub revision: u32,
}

/// Hours proposed for a present day with no logbook entry: 7 h.
pub fn default_day_hours() -> Hours {
    Hours::from_quarters(28).unwrap_or_default()
}

/// Hours proposed for the present half of a half-day absence: 3 h 30.
pub fn default_half_day_hours() -> Hours {
    Hours::from_quarters(14).unwrap_or_default()
}

fn hours_input(h: Hours) -> String {
    let q = h.quarters();
    let whole = q / 4;
    match q % 4 {
        0 => format!("{whole}"),
        r => format!("{whole}h{:02}", u32::from(r) * 15),
    }
}

/// The form for a placement from `start` to `end`: what is recorded when there is an
/// attendance; otherwise the logbook's days (`logbook`: date and hours written by the
/// student) proposed as present with their hours (7 h when the entry says 0), the
/// other weekend days proposed as « pas de PFMP », and the other weekdays left blank
/// for the tutor to fill (blank is not « pas de PFMP »: it is missing).
pub fn initial_input(
    start: Date,
    end: Date,
    recorded: Option<&Attendance>,
    logbook: &[(Date, Hours)],
) -> AttendanceInput {
    let days = form_days(start, end)
        .into_iter()
        .map(|date| match recorded {
            Some(a) => match a.days.iter().find(|d| d.date == date) {
                Some(d) => DayInput {
                    date,
                    kind: d.kind.form_value().into(),
                    hours: if d.kind == DayKind::DayAbsence {
                        String::new()
                    } else {
                        hours_input(d.presence)
                    },
                    reason: d.reason.clone(),
                    justified: d.justified,
                },
                None => DayInput {
                    date,
                    ..DayInput::default()
                },
            },
            None => {
                let logged: Option<Hours> = logbook
                    .iter()
                    .filter(|(d, _)| *d == date)
                    .map(|(_, h)| *h)
                    .max();
                match logged {
                    Some(h) => DayInput {
                        date,
                        kind: DayKind::Present.form_value().into(),
                        hours: hours_input(if h.quarters() == 0 {
                            default_day_hours()
                        } else {
                            h
                        }),
                        ..DayInput::default()
                    },
                    None => DayInput {
                        date,
                        kind: if is_weekend(date) {
                            DayKind::Off.form_value().into()
                        } else {
                            String::new()
                        },
                        ..DayInput::default()
                    },
                }
            }
        })
        .collect();
    AttendanceInput {
        days,
        gratification: recorded
            .and_then(|a| a.gratification_cents)
            .map(|c| euros_number(c, '\0'))
            .unwrap_or_default(),
        revision: recorded.map_or(0, |a| a.revision),
    }
}

/// Reads the attendance form's fields (`pairs`: name and value as posted) for the
/// days of [`form_days`] of a placement from `start` to `end`. Fields of other dates
/// are ignored; the form's own days come back in date order.
pub fn read_input(start: Date, end: Date, pairs: &[(String, String)]) -> AttendanceInput {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let days = form_days(start, end)
        .into_iter()
        .map(|date| DayInput {
            date,
            kind: get(&DayInput::kind_field(date)),
            hours: get(&DayInput::hours_field(date)),
            reason: get(&DayInput::reason_field(date)),
            justified: !get(&DayInput::justified_field(date)).is_empty(),
        })
        .collect();
    AttendanceInput {
        days,
        gratification: get("gratification"),
        revision: get("revision").trim().parse().unwrap_or(0),
    }
}

/// What is wrong in an attendance form, in French.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttendanceErrors {
    /// One message per day in error.
    pub days: BTreeMap<Date, String>,
    /// The gratification's message.
    pub gratification: Option<String>,
}

impl AttendanceErrors {
    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.gratification.is_none()
    }
}

/// The checked form: the days to record and the gratification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedAttendance {
    /// Recorded days, in date order.
    pub days: Vec<AttendanceDay>,
    /// Gratification in cents.
    pub gratification_cents: Option<u64>,
}

/// Checks the form on `today`: a day after today cannot be recorded (its presence is
/// not known yet, except as « pas de PFMP »); present days need hours of presence
/// (more than 0, at most [`MAX_DAY_QUARTERS`], by quarter hours), half-day absences
/// more than 0 and at most [`MAX_HALF_DAY_QUARTERS`]; a reason is at most
/// [`REASON_MAX_CHARS`] characters; the gratification is an amount in euros.
///
/// # Errors
/// [`AttendanceErrors`] with a French message per field in error.
pub fn check(input: &AttendanceInput, today: Date) -> Result<CheckedAttendance, AttendanceErrors> {
    let mut errors = AttendanceErrors::default();
    let mut days = Vec::new();
    for d in &input.days {
        let kind = match d.kind.as_str() {
            "" => continue,
            v => match DayKind::from_form(v) {
                Some(k) => k,
                None => {
                    errors
                        .days
                        .insert(d.date, "Choisissez présent, absent ou pas de PFMP.".into());
                    continue;
                }
            },
        };
        if d.date > today && kind != DayKind::Off {
            errors.days.insert(
                d.date,
                "Ce jour n'est pas encore passé : la présence se note le jour même ou après."
                    .into(),
            );
            continue;
        }
        let presence = match kind {
            DayKind::DayAbsence | DayKind::Off => Hours::default(),
            _ => match Hours::parse(&d.hours) {
                Ok(h) if kind == DayKind::Present && h.quarters() > MAX_DAY_QUARTERS => {
                    errors.days.insert(
                        d.date,
                        "Plus de 12 h de présence dans une journée : vérifiez les heures.".into(),
                    );
                    continue;
                }
                Ok(h)
                    if kind == DayKind::HalfDayAbsence && h.quarters() > MAX_HALF_DAY_QUARTERS =>
                {
                    errors.days.insert(
                        d.date,
                        "Avec une demi-journée d'absence, la présence ne dépasse pas 6 h : vérifiez les heures, ou choisissez « Présent »."
                            .into(),
                    );
                    continue;
                }
                Ok(h) if h.quarters() > 0 => h,
                Ok(_) => {
                    errors.days.insert(
                        d.date,
                        "Indiquez les heures de présence (plus de 0 h), ou choisissez « Absent la journée »."
                            .into(),
                    );
                    continue;
                }
                Err(m) => {
                    errors.days.insert(d.date, m);
                    continue;
                }
            },
        };
        let reason = if kind.is_absence() {
            text::one_line(&d.reason)
        } else {
            String::new()
        };
        let count = reason.chars().count();
        if count > REASON_MAX_CHARS {
            errors.days.insert(
                d.date,
                format!(
                    "Le motif est trop long : {count} caractères pour {REASON_MAX_CHARS} au plus."
                ),
            );
            continue;
        }
        days.push(AttendanceDay {
            date: d.date,
            kind,
            presence,
            reason,
            justified: kind.is_absence() && d.justified,
        });
    }
    let gratification_cents = match parse_euros(&input.gratification, GRATIFICATION_MAX_CENTS) {
        Ok(c) => c.filter(|c| *c > 0),
        Err(m) => {
            errors.gratification = Some(m);
            None
        }
    };
    if errors.is_empty() {
        days.sort_by_key(|d| d.date);
        Ok(CheckedAttendance {
            days,
            gratification_cents,
        })
    } else {
        Err(errors)
    }
}

/// A daily allowance rate set by the coordinator for a diploma and a year of its
/// cycle, stored under `allowance-rate/<diploma>/<year>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceRate {
    /// Referential code of the diploma.
    pub diploma: String,
    /// Year of the cycle.
    pub year: CycleYear,
    /// Daily rate in cents.
    pub cents_per_day: u32,
    /// When it was set.
    pub updated_at: Timestamp,
}

/// The daily rate of the arrêté of 11 August 2023 (annex 1) for a year of the cycle,
/// in cents: CAP 1st year 10 €, 2nd year 15 €; Bac Pro Seconde 10 €, Première 15 €,
/// Terminale 20 €. BTS students are higher education students, outside the
/// allowance: 0.
pub fn default_rate_cents(year: CycleYear) -> u32 {
    match year {
        CycleYear::CapFirst | CycleYear::Seconde => 1_000,
        CycleYear::CapSecond | CycleYear::Premiere => 1_500,
        CycleYear::Terminale => 2_000,
        CycleYear::Bts1 | CycleYear::Bts2 => 0,
    }
}

/// The rate for `class`: the coordinator's for its diploma and year if set, else
/// [`default_rate_cents`].
pub fn rate_for(class: &Class, rates: &[AllowanceRate]) -> u32 {
    rates
        .iter()
        .find(|r| r.diploma == class.diploma && r.year == class.year)
        .map_or_else(|| default_rate_cents(class.year), |r| r.cents_per_day)
}

/// The allowance of a placement in cents: days done ([`AttendanceTotals::full_days`])
/// times the daily rate.
pub fn allowance_cents(totals: &AttendanceTotals, rate_cents: u32) -> u64 {
    u64::from(totals.full_days) * u64::from(rate_cents)
}

/// The school year holding `today`: 1 September to 31 August (the allowance's caps
/// are per school year, and the coordinator's default period).
pub fn school_year(today: Date) -> (Date, Date) {
    let first = if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    };
    (
        Date::new(first, 9, 1).unwrap_or(today),
        Date::new(first + 1, 8, 31).unwrap_or(today),
    )
}

/// True when placement `p` belongs to the period from `from` to `to` (both included):
/// its last day is in it (the allowance is fixed "à l'issue de chaque PFMP réalisée",
/// décret 2023-765).
pub fn in_period(p: &super::Placement, from: Date, to: Date) -> bool {
    p.end >= from && p.end <= to
}

/// Where a placement's attendance stands, for the coordinator's lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttendanceState {
    /// Nothing recorded.
    NotRecorded,
    /// Recorded, but past days are still blank.
    Incomplete,
    /// Recorded, not confirmed by the tutor (or changed since).
    Recorded,
    /// Confirmed by the tutor.
    Confirmed,
}

impl AttendanceState {
    /// The state of `a` for placement `p` on `today`.
    pub fn of(a: Option<&Attendance>, p: &super::Placement, today: Date) -> AttendanceState {
        match a {
            None => AttendanceState::NotRecorded,
            Some(a) if a.confirmed(p).is_some() => AttendanceState::Confirmed,
            Some(a) if !a.missing_days(p.start, p.end, today).is_empty() => {
                AttendanceState::Incomplete
            }
            Some(_) => AttendanceState::Recorded,
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            AttendanceState::NotRecorded => "présence non saisie",
            AttendanceState::Incomplete => "saisie incomplète (jours non renseignés)",
            AttendanceState::Recorded => "saisie, non confirmée par le tuteur",
            AttendanceState::Confirmed => "confirmée par le tuteur",
        }
    }
}

/// Why the tutor cannot confirm the attendance of `p` on `today`, in French, or
/// `None` when they can: not before the placement's last day (a certificate states
/// the whole period), and not while past days are blank.
pub fn confirmation_refusal(a: &Attendance, p: &super::Placement, today: Date) -> Option<String> {
    if today < p.end {
        return Some(format!(
            "La présence se confirme à la fin de la période, à partir du {} : la durée totale n'est pas encore connue.",
            text::date_long(p.end)
        ));
    }
    let missing = a.missing_days(p.start, p.end, today);
    match missing.len() {
        0 => None,
        1 => Some(format!(
            "Un jour n'est pas renseigné ({}) : choisissez présent, absent ou « Pas de PFMP ce jour », enregistrez, puis confirmez.",
            text::date_long(missing[0])
        )),
        n => Some(format!(
            "{n} jours ne sont pas renseignés (le premier : {}) : choisissez présent, absent ou « Pas de PFMP ce jour », enregistrez, puis confirmez.",
            text::date_long(missing[0])
        )),
    }
}

/// Everything the PFMP certificate (`AttendanceCertificate` in DESIGN.md's glossary)
/// prints, gathered from the store. Fields follow the national model (arrêté of 29
/// December 2014) plus the school's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendanceCertificate {
    /// The school: name, UAI, address, city (the header).
    pub school: super::School,
    /// The host organisation.
    pub company: super::Company,
    /// The student.
    pub student: super::Student,
    /// The training followed: the diploma's title and the class, for example
    /// `Baccalauréat professionnel MELEC — classe 1MELEC (Première)`.
    pub training: String,
    /// First and last day of the placement.
    pub start: Date,
    /// Last day.
    pub end: Date,
    /// The tutor.
    pub tutor: super::Tutor,
    /// The attendance, when recorded (`None`: the duration is left blank to fill by
    /// hand).
    pub attendance: Option<Attendance>,
    /// Day the document was made, in the school's time zone.
    pub made_on: Date,
    /// The confirmation's moment in the school's time zone, for printing.
    pub confirmed_at: Option<jiff::civil::DateTime>,
}

impl AttendanceCertificate {
    /// Totals of the recorded attendance, if any.
    pub fn totals(&self) -> Option<AttendanceTotals> {
        self.attendance
            .as_ref()
            .map(|a| a.totals(self.start, self.end))
    }

    /// The tutor's confirmation if it still holds for what the certificate prints: the
    /// same rule as [`Attendance::confirmed`] (the current revision, by the
    /// certificate's tutor, for its `start` and `end`), the certificate having no
    /// [`super::Placement`] but these fields.
    pub fn confirmation(&self) -> Option<&AttendanceConfirmation> {
        let a = self.attendance.as_ref()?;
        a.confirmation.as_ref().filter(|c| {
            c.revision == a.revision
                && c.tutor == self.tutor.id
                && c.start == self.start
                && c.end == self.end
        })
    }
}

/// A day as the attendance form's cards name it: `lun. 4 mai`, `ven. 1er mai` (short
/// weekday, day, month; the year is in the page's period line).
pub fn day_label(d: Date) -> String {
    const DAYS: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
    let long = text::date_long(d);
    // `date_long` is `<weekday> <day> <month> <year>`: keep the day and the month.
    let middle: Vec<&str> = long.split(' ').skip(1).take(2).collect();
    let day = DAYS[usize::from(d.weekday().to_monday_zero_offset() as u8).min(6)];
    format!("{day} {}", middle.join(" "))
}

/// Fills the hours left empty in a form about to be shown (not one coming back with
/// errors, which keeps what was typed): 3 h 30 for a half-day absence, 7 h for any
/// other day but a day's absence, so that choosing « Présent » on a day not yet
/// recorded needs no typing ([`default_day_hours`], [`default_half_day_hours`]).
pub fn prefill_hours(input: &mut AttendanceInput) {
    for d in &mut input.days {
        if !d.hours.trim().is_empty() {
            continue;
        }
        d.hours = match DayKind::from_form(&d.kind) {
            Some(DayKind::DayAbsence) => continue,
            Some(DayKind::HalfDayAbsence) => hours_input(default_half_day_hours()),
            _ => hours_input(default_day_hours()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn day(d: Date, kind: DayKind, quarters: u8, justified: bool) -> AttendanceDay {
        AttendanceDay {
            date: d,
            kind,
            presence: Hours::from_quarters(quarters).unwrap(),
            reason: String::new(),
            justified,
        }
    }

    #[test]
    fn seven_hours_make_a_day_and_twenty_two_days_a_month() {
        let t = AttendanceTotals {
            presence_quarters: 150 * 4,
            ..Default::default()
        };
        assert_eq!(t.effective_days(), 21);
        assert_eq!(t.remainder_quarters(), 12);
        assert_eq!(t.months(), 0);
        assert_eq!(
            t.duration_label(),
            "150\u{a0}h de présence, soit 21\u{a0}jours et 3\u{a0}h"
        );
        let t = AttendanceTotals {
            presence_quarters: 161 * 4,
            ..Default::default()
        };
        assert_eq!(t.effective_days(), 23);
        assert_eq!(t.months(), 1);
        assert_eq!(t.days_beyond_months(), 1);
        assert_eq!(
            t.duration_label(),
            "161\u{a0}h de présence, soit 1\u{a0}mois et 1\u{a0}jour (23\u{a0}jours)"
        );
        let t = AttendanceTotals {
            presence_quarters: 154 * 4 + 2,
            ..Default::default()
        };
        assert_eq!(t.effective_days(), 22);
        assert_eq!(
            t.duration_label(),
            "154\u{a0}h\u{a0}30 de présence, soit 1\u{a0}mois et 0\u{a0}h\u{a0}30 (22\u{a0}jours)"
        );
        // Under 7 hours: no day yet.
        let t = AttendanceTotals {
            presence_quarters: 6 * 4 + 3,
            ..Default::default()
        };
        assert_eq!(t.effective_days(), 0);
        assert_eq!(t.duration_label(), "6\u{a0}h\u{a0}45 de présence");
        // Exactly one day.
        let t = AttendanceTotals {
            presence_quarters: 28,
            ..Default::default()
        };
        assert_eq!(t.duration_label(), "7\u{a0}h de présence, soit 1\u{a0}jour");
    }

    #[test]
    fn hours_add_up_across_days_that_are_not_consecutive() {
        // Two short days of 3 h 30 make one day (D124-6: "consécutives ou non").
        let days = [
            day(date(2026, 5, 4), DayKind::HalfDayAbsence, 14, true),
            day(date(2026, 5, 6), DayKind::HalfDayAbsence, 14, false),
        ];
        let t = AttendanceTotals::of(&days);
        assert_eq!(t.effective_days(), 1);
        assert_eq!(t.remainder_quarters(), 0);
        assert_eq!(t.half_day_absences, 2);
        assert_eq!(t.unjustified_half_days, 1);
        assert_eq!(t.full_days, 0);
    }

    #[test]
    fn absences_count_no_presence_and_no_allowance_day() {
        let days = [
            day(date(2026, 5, 4), DayKind::Present, 28, false),
            day(date(2026, 5, 5), DayKind::Present, 32, false),
            day(date(2026, 5, 6), DayKind::DayAbsence, 0, false),
            day(date(2026, 5, 7), DayKind::DayAbsence, 0, true),
            day(date(2026, 5, 8), DayKind::HalfDayAbsence, 14, true),
        ];
        let t = AttendanceTotals::of(&days);
        assert_eq!(t.presence_quarters, 28 + 32 + 14);
        assert_eq!(t.full_days, 2);
        assert_eq!(t.day_absences, 2);
        assert_eq!(t.half_day_absences, 1);
        assert_eq!(t.unjustified_half_days, 2);
        assert_eq!(t.effective_days(), 2);
        assert_eq!(t.remainder_quarters(), 18);
        // The arrêté of 11 August 2023: a day with an absence earns nothing.
        assert_eq!(allowance_cents(&t, 1_500), 3_000);
    }

    #[test]
    fn school_years_run_from_september_to_august() {
        assert_eq!(
            school_year(date(2026, 11, 29)),
            (date(2026, 9, 1), date(2027, 8, 31))
        );
        assert_eq!(
            school_year(date(2027, 3, 1)),
            (date(2026, 9, 1), date(2027, 8, 31))
        );
    }

    #[test]
    fn decree_rates_by_year() {
        assert_eq!(default_rate_cents(CycleYear::CapFirst), 1_000);
        assert_eq!(default_rate_cents(CycleYear::CapSecond), 1_500);
        assert_eq!(default_rate_cents(CycleYear::Seconde), 1_000);
        assert_eq!(default_rate_cents(CycleYear::Premiere), 1_500);
        assert_eq!(default_rate_cents(CycleYear::Terminale), 2_000);
        assert_eq!(default_rate_cents(CycleYear::Bts1), 0);
        // 4 weeks of 5 days in Terminale: 400 €.
        let t = AttendanceTotals {
            full_days: 20,
            ..Default::default()
        };
        assert_eq!(
            allowance_cents(&t, default_rate_cents(CycleYear::Terminale)),
            40_000
        );
    }

    #[test]
    fn the_coordinators_rate_replaces_the_default_for_its_diploma_and_year_only() {
        let class = |diploma: &str, year| Class {
            id: ClassId::new(),
            name: "1MELEC".into(),
            diploma: diploma.into(),
            year,
        };
        let rates = vec![AllowanceRate {
            diploma: "melec".into(),
            year: CycleYear::Premiere,
            cents_per_day: 1_650,
            updated_at: Timestamp::UNIX_EPOCH,
        }];
        assert_eq!(
            rate_for(&class("melec", CycleYear::Premiere), &rates),
            1_650
        );
        assert_eq!(
            rate_for(&class("melec", CycleYear::Terminale), &rates),
            2_000
        );
        assert_eq!(rate_for(&class("mspc", CycleYear::Premiere), &rates), 1_500);
    }

    #[test]
    fn euros_parse_and_print() {
        assert_eq!(parse_euros("", 100_000), Ok(None));
        assert_eq!(parse_euros("150", 100_000), Ok(Some(15_000)));
        assert_eq!(parse_euros("150,5", 100_000), Ok(Some(15_050)));
        assert_eq!(parse_euros(" 1 200,05 € ", 1_000_000), Ok(Some(120_005)));
        assert_eq!(parse_euros("12.30", 100_000), Ok(Some(1_230)));
        assert!(parse_euros("12,345", 100_000).is_err());
        assert!(parse_euros("-3", 100_000).is_err());
        assert!(parse_euros("abc", 100_000).is_err());
        assert!(parse_euros("99999999999999", u64::MAX).is_err());
        assert!(
            parse_euros("2000", 100_000)
                .unwrap_err()
                .contains("dépasse")
        );
        assert_eq!(euros_label(123_450), "1\u{202f}234,50\u{a0}€");
        assert_eq!(euros_label(5), "0,05\u{a0}€");
        assert_eq!(euros_number(123_456_789, '\0'), "1234567,89");
    }

    #[test]
    fn the_form_offers_every_day_and_proposes_weekends_as_off() {
        // 2026-05-01 is a Friday.
        let days = form_days(date(2026, 5, 1), date(2026, 5, 4));
        assert_eq!(
            days,
            vec![
                date(2026, 5, 1),
                date(2026, 5, 2),
                date(2026, 5, 3),
                date(2026, 5, 4),
            ]
        );
        let input = initial_input(
            date(2026, 5, 1),
            date(2026, 5, 4),
            None,
            &[(date(2026, 5, 2), Hours::from_quarters(16).unwrap())],
        );
        let kinds: Vec<&str> = input.days.iter().map(|d| d.kind.as_str()).collect();
        // Friday blank (to fill), Saturday from the logbook, Sunday off, Monday blank.
        assert_eq!(kinds, vec!["", "present", "off", ""]);
    }

    #[test]
    fn logbook_days_are_proposed_as_present_with_their_hours() {
        let h = |q| Hours::from_quarters(q).unwrap();
        let input = initial_input(
            date(2026, 5, 4),
            date(2026, 5, 8),
            None,
            &[(date(2026, 5, 4), h(30)), (date(2026, 5, 6), h(0))],
        );
        assert_eq!(input.days.len(), 5);
        assert_eq!(input.days[0].kind, "present");
        assert_eq!(input.days[0].hours, "7h30");
        assert_eq!(input.days[1].kind, "");
        assert_eq!(input.days[2].hours, "7");
        assert_eq!(input.revision, 0);
    }

    #[test]
    fn check_refuses_future_days_missing_hours_and_long_reasons_and_keeps_the_rest() {
        let today = date(2026, 5, 6);
        let input = AttendanceInput {
            days: vec![
                DayInput {
                    date: date(2026, 5, 4),
                    kind: "present".into(),
                    hours: "7".into(),
                    reason: "ignored".into(),
                    justified: true,
                },
                DayInput {
                    date: date(2026, 5, 5),
                    kind: "demi".into(),
                    hours: "".into(),
                    ..Default::default()
                },
                DayInput {
                    date: date(2026, 5, 6),
                    kind: "absent".into(),
                    reason: "x".repeat(201),
                    ..Default::default()
                },
                DayInput {
                    date: date(2026, 5, 7),
                    kind: "present".into(),
                    hours: "7".into(),
                    ..Default::default()
                },
            ],
            gratification: "douze".into(),
            revision: 0,
        };
        let e = check(&input, today).unwrap_err();
        assert_eq!(e.days.len(), 3);
        assert!(e.days[&date(2026, 5, 7)].contains("pas encore passé"));
        assert!(e.days[&date(2026, 5, 5)].contains("heures"));
        assert!(e.days[&date(2026, 5, 6)].contains("trop long"));
        assert!(e.gratification.is_some());

        let ok = AttendanceInput {
            days: vec![
                input.days[0].clone(),
                DayInput {
                    date: date(2026, 5, 5),
                    kind: "demi".into(),
                    hours: "3h30".into(),
                    reason: " Rendez-vous\nmédical ".into(),
                    justified: true,
                },
                DayInput {
                    date: date(2026, 5, 6),
                    kind: "".into(),
                    hours: "7".into(),
                    ..Default::default()
                },
            ],
            gratification: "".into(),
            revision: 0,
        };
        let c = check(&ok, today).unwrap();
        assert_eq!(c.days.len(), 2);
        assert_eq!(c.days[0].reason, "");
        assert!(!c.days[0].justified);
        assert_eq!(c.days[1].reason, "Rendez-vous médical");
        assert_eq!(c.days[1].presence.quarters(), 14);
        assert_eq!(c.gratification_cents, None);
    }

    #[test]
    fn read_input_takes_the_forms_days_only() {
        let pairs: Vec<(String, String)> = [
            ("jour-2026-05-04", "present"),
            ("heures-2026-05-04", "7"),
            ("jour-2026-05-09", "present"),
            ("heures-2026-05-09", "4"),
            ("jour-2026-06-01", "present"),
            ("jour-2026-05-05", "absent"),
            ("justifiee-2026-05-05", "on"),
            ("gratification", "12"),
            ("revision", "3"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let input = read_input(date(2026, 5, 4), date(2026, 5, 10), &pairs);
        // Monday to Friday plus the Saturday sent; 1 June is outside.
        assert_eq!(input.days.len(), 7);
        assert_eq!(input.days[5].date, date(2026, 5, 9));
        assert!(input.days[1].justified);
        assert_eq!(input.revision, 3);
        assert_eq!(input.gratification, "12");
    }

    #[test]
    fn a_confirmation_holds_for_its_revision_tutor_and_dates_only() {
        let tutor = TutorId::new();
        let p = super::super::Placement {
            id: PlacementId::new(),
            student: StudentId::new(),
            company: CompanyId::new(),
            tutor,
            referent: TeacherId::new(),
            start: date(2026, 5, 4),
            end: date(2026, 5, 5),
            objectives: vec![],
        };
        let day = |d, kind| AttendanceDay {
            date: d,
            kind,
            presence: Hours::from_quarters(if kind == DayKind::Present { 28 } else { 0 }).unwrap(),
            reason: String::new(),
            justified: false,
        };
        let mut a = Attendance {
            placement: p.id,
            days: vec![day(date(2026, 5, 4), DayKind::Present)],
            gratification_cents: None,
            revision: 2,
            updated_at: Timestamp::UNIX_EPOCH,
            updated_by: Subject::Tutor(tutor),
            confirmation: Some(AttendanceConfirmation {
                tutor,
                name: PersonName::new("Jean", "Dupont"),
                job_title: "Chef d'équipe".into(),
                at: Timestamp::UNIX_EPOCH,
                revision: 2,
                start: p.start,
                end: p.end,
            }),
        };
        let today = date(2026, 6, 1);
        assert_eq!(
            AttendanceState::of(Some(&a), &p, today),
            AttendanceState::Confirmed
        );
        let mut moved = p.clone();
        moved.end = date(2026, 5, 4);
        assert!(a.confirmed(&moved).is_none());
        let mut other_tutor = p.clone();
        other_tutor.tutor = TutorId::new();
        assert!(a.confirmed(&other_tutor).is_none());
        a.revision = 3;
        assert!(a.confirmed(&p).is_none());
        // 5 May is blank: incomplete, and the tutor cannot confirm.
        assert_eq!(
            AttendanceState::of(Some(&a), &p, today),
            AttendanceState::Incomplete
        );
        assert_eq!(
            a.missing_days(p.start, p.end, today),
            vec![date(2026, 5, 5)]
        );
        assert!(
            confirmation_refusal(&a, &p, today)
                .unwrap()
                .contains("mardi 5 mai 2026")
        );
        a.days.push(day(date(2026, 5, 5), DayKind::Off));
        assert_eq!(
            AttendanceState::of(Some(&a), &p, today),
            AttendanceState::Recorded
        );
        assert_eq!(confirmation_refusal(&a, &p, today), None);
        // Not before the last day.
        assert!(
            confirmation_refusal(&a, &p, date(2026, 5, 4))
                .unwrap()
                .contains("fin de la période")
        );
        assert_eq!(
            AttendanceState::of(None, &p, today),
            AttendanceState::NotRecorded
        );
    }

    #[test]
    fn the_certificate_keeps_a_confirmation_on_the_same_terms_as_the_attendance() {
        use super::super::{Company, PersonName, School, Student, Tutor};
        let tutor = Tutor {
            id: TutorId::new(),
            company: CompanyId::new(),
            name: PersonName::new("Jean", "Dupont"),
            job_title: String::new(),
            email: None,
            phone: None,
        };
        let p = super::super::Placement {
            id: PlacementId::new(),
            student: StudentId::new(),
            company: tutor.company,
            tutor: tutor.id,
            referent: TeacherId::new(),
            start: date(2026, 5, 4),
            end: date(2026, 5, 5),
            objectives: vec![],
        };
        let a = Attendance {
            placement: p.id,
            days: vec![],
            gratification_cents: None,
            revision: 2,
            updated_at: Timestamp::UNIX_EPOCH,
            updated_by: Subject::Tutor(tutor.id),
            confirmation: Some(AttendanceConfirmation {
                tutor: tutor.id,
                name: tutor.name.clone(),
                job_title: String::new(),
                at: Timestamp::UNIX_EPOCH,
                revision: 2,
                start: p.start,
                end: p.end,
            }),
        };
        let c = AttendanceCertificate {
            school: School {
                id: SchoolId::new(),
                name: "Lycée".into(),
                uai: String::new(),
                address: String::new(),
                city: String::new(),
            },
            company: Company {
                id: tutor.company,
                name: "Bœuf & Cie".into(),
                address: String::new(),
                city: String::new(),
                siret: None,
            },
            student: Student {
                id: p.student,
                class: ClassId::new(),
                name: PersonName::new("Léa", "Martin"),
                birth_date: None,
                ine: None,
                email: None,
                active: true,
            },
            training: String::new(),
            start: p.start,
            end: p.end,
            tutor: tutor.clone(),
            attendance: Some(a.clone()),
            made_on: date(2026, 5, 6),
            confirmed_at: None,
        };
        assert!(a.confirmed(&p).is_some());
        assert_eq!(c.confirmation(), a.confirmed(&p));
        // Each of the four terms voids it, as for the attendance.
        let mut moved = c.clone();
        moved.end = date(2026, 5, 6);
        assert!(moved.confirmation().is_none());
        let mut earlier = c.clone();
        earlier.start = date(2026, 5, 3);
        assert!(earlier.confirmation().is_none());
        let mut other = c.clone();
        other.tutor.id = TutorId::new();
        assert!(other.confirmation().is_none());
        let mut changed = c.clone();
        if let Some(a) = changed.attendance.as_mut() {
            a.revision = 3;
        }
        assert!(changed.confirmation().is_none());
        let mut none = c;
        none.attendance = None;
        assert!(none.confirmation().is_none());
    }

    #[test]
    fn hours_must_fit_the_kind_of_day() {
        let today = date(2026, 5, 30);
        let one = |kind: &str, hours: &str| AttendanceInput {
            days: vec![DayInput {
                date: date(2026, 5, 4),
                kind: kind.into(),
                hours: hours.into(),
                ..Default::default()
            }],
            gratification: String::new(),
            revision: 0,
        };
        assert!(check(&one("present", "12"), today).is_ok());
        assert!(
            check(&one("present", "12h15"), today).unwrap_err().days[&date(2026, 5, 4)]
                .contains("12 h")
        );
        assert!(check(&one("demi", "6"), today).is_ok());
        assert!(
            check(&one("demi", "6h15"), today).unwrap_err().days[&date(2026, 5, 4)].contains("6 h")
        );
        // « Pas de PFMP »: no hours, counted for nothing, allowed ahead of time.
        let off = check(&one("off", "7"), date(2026, 5, 1)).unwrap();
        assert_eq!(off.days[0].presence.quarters(), 0);
        assert_eq!(AttendanceTotals::of(&off.days), AttendanceTotals::default());
    }

    #[test]
    fn day_labels_are_short_and_french() {
        assert_eq!(day_label(date(2026, 5, 4)), "lun. 4 mai");
        assert_eq!(day_label(date(2026, 5, 1)), "ven. 1er mai");
        assert_eq!(day_label(date(2026, 2, 8)), "dim. 8 février");
    }

    #[test]
    fn empty_hours_are_prefilled_by_kind_and_typed_ones_kept() {
        let day = |kind: &str, hours: &str| DayInput {
            date: date(2026, 5, 4),
            kind: kind.into(),
            hours: hours.into(),
            ..Default::default()
        };
        let mut input = AttendanceInput {
            days: vec![
                day("", ""),
                day("present", ""),
                day("demi", ""),
                day("absent", ""),
                day("present", "7h30"),
            ],
            ..Default::default()
        };
        prefill_hours(&mut input);
        let hours: Vec<&str> = input.days.iter().map(|d| d.hours.as_str()).collect();
        assert_eq!(hours, ["7", "7", "3h30", "", "7h30"]);
    }
}
