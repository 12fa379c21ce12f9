//! The PFMP allowance page (issue 8, part 4): its period and rate forms, one line per
//! placement with its amount, the totals, and the CSV the school pays from.
//!
//! The amounts follow [`super::attendance`]: days done without any absence times the
//! daily rate of the class's diploma and year (arrêté of 11 August 2023). A placement
//! with no attendance recorded has no amount: it is counted apart, never as 0 €.

use super::attendance::{
    Attendance, AttendanceState, RATE_MAX_CENTS, allowance_cents, euros_label, euros_number,
    parse_euros, school_year,
};
use super::class_form::CYCLE_YEARS;
use super::class_list::fold;
use super::people::{Company, CycleYear, Student};
use super::placement::Placement;
use super::text;
use jiff::civil::Date;
use std::borrow::Cow;

/// Longest piece of a typed value echoed back in a message, in characters.
const ECHO_MAX_CHARS: usize = 20;

/// The period the page and the CSV cover: placements whose last day is between `from`
/// and `to`, both included ([`super::attendance::in_period`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

/// First year a period may name: before it, a date is a typing mistake (and would
/// print oddly, `01/01/5`).
pub const PERIOD_FIRST_YEAR: i16 = 1900;
/// Last year a period may name.
pub const PERIOD_LAST_YEAR: i16 = 2199;

/// Reads the period typed in the page's GET form (`du`, `au`: `AAAA-MM-JJ`, as date
/// fields send them). An empty date takes the school year holding `today`
/// ([`school_year`]); a date that cannot be read or is outside the years
/// [`PERIOD_FIRST_YEAR`] to [`PERIOD_LAST_YEAR`], or a start after the end, is
/// reported in French and the school year is used for the date(s) in question.
pub fn read_period(from: &str, to: &str, today: Date) -> (Period, Vec<String>) {
    let (year_from, year_to) = school_year(today);
    let mut messages = Vec::new();
    let mut read = |value: &str, default: Date, what: &str| -> Date {
        let value = value.trim();
        if value.is_empty() {
            return default;
        }
        let shown: String = value.chars().take(ECHO_MAX_CHARS).collect();
        match value.parse::<Date>() {
            Ok(d) if (PERIOD_FIRST_YEAR..=PERIOD_LAST_YEAR).contains(&d.year()) => d,
            Ok(_) => {
                messages.push(format!(
                    "La date {what} « {shown} » est hors des années {PERIOD_FIRST_YEAR} à {PERIOD_LAST_YEAR} : celle de l'année scolaire ({}) est utilisée.",
                    text::date_short(default)
                ));
                default
            }
            Err(_) => {
                messages.push(format!(
                    "La date {what} « {shown} » n'est pas une date valide : celle de l'année scolaire ({}) est utilisée.",
                    text::date_short(default)
                ));
                default
            }
        }
    };
    let from = read(from, year_from, "de début");
    let to = read(to, year_to, "de fin");
    if from > to {
        messages.push(format!(
            "La date de début ({}) est après la date de fin ({}) : l'année scolaire est affichée.",
            text::date_short(from),
            text::date_short(to)
        ));
        return (
            Period {
                from: year_from,
                to: year_to,
            },
            messages,
        );
    }
    (Period { from, to }, messages)
}

/// The value forms send for a cycle year (`premiere`…), from
/// [`super::class_form::CYCLE_YEARS`].
pub fn year_value(year: CycleYear) -> &'static str {
    CYCLE_YEARS
        .iter()
        .find(|(y, _)| *y == year)
        .map_or("", |(_, v)| v)
}

/// The cycle year a form value names, if any.
pub fn year_from_value(value: &str) -> Option<CycleYear> {
    CYCLE_YEARS
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(y, _)| *y)
}

/// What a rate form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateChange {
    /// Set this daily rate, in cents.
    Set(u32),
    /// Go back to the decree's default (nothing stored).
    Reset,
}

/// Checks a daily rate typed in euros (`15`, `15,50`, `15.5 €`) against the decree's
/// `default_cents` for the same diploma and year: the default itself means
/// [`RateChange::Reset`] (so a later change of the default applies); anything else up
/// to [`RATE_MAX_CENTS`] is [`RateChange::Set`].
///
/// # Errors
/// A French message when empty, not an amount with at most two decimals, or above
/// [`RATE_MAX_CENTS`].
pub fn check_rate(amount: &str, default_cents: u32) -> Result<RateChange, String> {
    let example = "par exemple 15 ou 15,50";
    let cents = match parse_euros(amount, u64::MAX) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(format!(
                "Indiquez le forfait journalier en euros, {example}."
            ));
        }
        Err(_) => return Err(format!("Écrivez un montant en euros, {example}.")),
    };
    match u32::try_from(cents) {
        Ok(c) if c <= RATE_MAX_CENTS => Ok(if c == default_cents {
            RateChange::Reset
        } else {
            RateChange::Set(c)
        }),
        _ => Err(format!(
            "Ce forfait dépasse {} par jour : vérifiez-le.",
            euros_label(u64::from(RATE_MAX_CENTS))
        )),
    }
}

/// Where a placement stands on the day the list is made: only an ended one has an
/// amount (the allowance is due at the end of each period).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Its last day is today or before.
    Ended,
    /// Started, not ended (`start <= today < end`).
    InProgress,
    /// Not started (`today < start`).
    Upcoming,
}

impl Progress {
    /// Where `start`..`end` stands on `today`.
    pub fn of(start: Date, end: Date, today: Date) -> Progress {
        if end <= today {
            Progress::Ended
        } else if start <= today {
            Progress::InProgress
        } else {
            Progress::Upcoming
        }
    }

    /// `en cours`, `à venir`; `terminée`.
    pub fn label(self) -> &'static str {
        match self {
            Progress::Ended => "terminée",
            Progress::InProgress => "en cours",
            Progress::Upcoming => "à venir",
        }
    }
}

/// One placement of the allowance list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowanceLine {
    /// The student.
    pub student: Student,
    /// The placement.
    pub placement: Placement,
    /// Its host organisation.
    pub company: Company,
    /// Whether it has ended on the day the list is made.
    pub progress: Progress,
    /// Where its attendance stands.
    pub state: AttendanceState,
    /// Days done without any absence ([`super::attendance::AttendanceTotals::full_days`]
    /// between the placement's dates); `None` when nothing is recorded or the
    /// placement has not ended.
    pub days: Option<u32>,
    /// The daily rate of the class, in cents.
    pub rate_cents: u32,
    /// Days times rate, in cents; `None` when nothing is recorded or the placement has
    /// not ended.
    pub amount_cents: Option<u64>,
}

impl AllowanceLine {
    /// The line of `placement` on `today`, from its recorded `attendance` (if any) and
    /// the class's daily rate `rate_cents` ([`super::attendance::rate_for`]). A
    /// placement not ended on `today` has no days and no amount yet.
    pub fn new(
        student: Student,
        placement: Placement,
        company: Company,
        attendance: Option<&Attendance>,
        rate_cents: u32,
        today: Date,
    ) -> AllowanceLine {
        let progress = Progress::of(placement.start, placement.end, today);
        let totals = attendance
            .filter(|_| progress == Progress::Ended)
            .map(|a| a.totals(placement.start, placement.end));
        AllowanceLine {
            progress,
            state: AttendanceState::of(attendance, &placement, today),
            days: totals.map(|t| t.full_days),
            amount_cents: totals.map(|t| allowance_cents(&t, rate_cents)),
            rate_cents,
            student,
            placement,
            company,
        }
    }
}

/// Totals of an allowance list. Placements not ended yet are only counted in
/// `not_ended`: they have no amount yet and nothing to check before paying.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllowanceTotals {
    /// Ended placements listed.
    pub placements: usize,
    /// Days done, over the ended placements with a recorded attendance.
    pub days: u32,
    /// Sum of the amounts, in cents.
    pub amount_cents: u64,
    /// Ended placements with no attendance recorded (no amount: to complete before
    /// paying).
    pub not_recorded: usize,
    /// Ended placements whose attendance leaves past days blank (« saisie
    /// incomplète »: their amount counts the days filled in only).
    pub incomplete: usize,
    /// Ended placements recorded but not (or no longer) confirmed by the tutor.
    pub not_confirmed: usize,
    /// Placements listed that have not ended (in progress or upcoming).
    pub not_ended: usize,
}

impl AllowanceTotals {
    /// Totals of `lines`.
    pub fn of(lines: &[AllowanceLine]) -> AllowanceTotals {
        let mut t = AllowanceTotals::default();
        for l in lines {
            if l.progress != Progress::Ended {
                t.not_ended += 1;
                continue;
            }
            t.placements += 1;
            t.days += l.days.unwrap_or(0);
            t.amount_cents += l.amount_cents.unwrap_or(0);
            match l.state {
                AttendanceState::NotRecorded => t.not_recorded += 1,
                AttendanceState::Incomplete => t.incomplete += 1,
                AttendanceState::Recorded => t.not_confirmed += 1,
                AttendanceState::Confirmed => {}
            }
        }
        t
    }
}

/// What the CSV's `Présence` column and the page say of a line: the attendance's
/// state ([`AttendanceState::label`]) once the placement has ended, otherwise `PFMP en
/// cours` or `PFMP à venir`.
pub fn status_label(l: &AllowanceLine) -> String {
    match l.progress {
        Progress::Ended => l.state.label().to_string(),
        other => format!("PFMP {} (pas encore de montant)", other.label()),
    }
}

/// The CSV's columns, in order.
pub const CSV_HEADER: [&str; 13] = [
    "Classe",
    "Nom",
    "Prénom",
    "Date de naissance",
    "INE",
    "Organisme d'accueil",
    "SIRET",
    "Début",
    "Fin",
    "Jours effectués",
    "Forfait journalier (€)",
    "Montant (€)",
    "Présence",
];

/// A cell as a spreadsheet may read it safely: one that begins with `=`, `+`, `-`,
/// `@`, a tab or a carriage return would be taken for a formula (CSV injection, OWASP),
/// so it gets a leading `'`. Names and company names are typed by people.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The payment CSV of class `class_name`'s `lines`, for French spreadsheets: UTF-8
/// with a byte order mark, `;` between cells, CRLF line ends, the [`CSV_HEADER`], one
/// line per placement (dates `JJ/MM/AAAA`, amounts `1234,50` without thousands
/// separator; empty days and amount when no attendance is recorded or the placement
/// has not ended: [`status_label`]), then a `Total` line with the sums of days and
/// amounts of the ended placements ([`AllowanceTotals`]). The SIRET and the INE are
/// written as typed (`00000000000018`): a spreadsheet must import those columns as
/// text to keep their leading zeros (README, « Allocation PFMP »).
///
/// # Errors
/// The CSV writer's error (none is expected when writing to memory).
pub fn payment_csv(class_name: &str, lines: &[AllowanceLine]) -> Result<Vec<u8>, String> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let err = |e: csv::Error| e.to_string();
        w.write_record(CSV_HEADER).map_err(err)?;
        for l in lines {
            let s = &l.student;
            let cells: [String; 13] = [
                class_name.to_string(),
                s.name.last.clone(),
                s.name.first.clone(),
                s.birth_date.map(text::date_short).unwrap_or_default(),
                s.ine.clone().unwrap_or_default(),
                l.company.name.clone(),
                l.company.siret.clone().unwrap_or_default(),
                text::date_short(l.placement.start),
                text::date_short(l.placement.end),
                l.days.map(|d| d.to_string()).unwrap_or_default(),
                euros_number(u64::from(l.rate_cents), '\0'),
                l.amount_cents
                    .map(|c| euros_number(c, '\0'))
                    .unwrap_or_default(),
                status_label(l),
            ];
            w.write_record(cells.iter().map(|c| spreadsheet_safe(c).into_owned()))
                .map_err(err)?;
        }
        let t = AllowanceTotals::of(lines);
        let mut total: [String; 13] = Default::default();
        total[0] = "Total".into();
        total[9] = t.days.to_string();
        total[11] = euros_number(t.amount_cents, '\0');
        w.write_record(&total).map_err(err)?;
        w.flush().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The CSV's file name, ASCII only (a `Content-Disposition` that every browser reads):
/// `allocation-pfmp-1MELEC-2026-09-01-2027-08-31.csv`; the class name loses its
/// accents and keeps letters and digits (`classe` when nothing is left).
pub fn csv_file_name(class_name: &str, period: Period) -> String {
    let mut name = String::new();
    for word in class_name.split(|c: char| !c.is_alphanumeric()) {
        // `fold` lowercases: keep the case of ASCII letters as typed ("1MELEC").
        let ascii: String = word
            .chars()
            .flat_map(|c| {
                if c.is_ascii_alphanumeric() {
                    vec![c]
                } else {
                    fold(&c.to_string())
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .map(|f| {
                            if c.is_uppercase() {
                                f.to_ascii_uppercase()
                            } else {
                                f
                            }
                        })
                        .collect()
                }
            })
            .collect();
        if !ascii.is_empty() {
            if !name.is_empty() {
                name.push('-');
            }
            name.push_str(&ascii);
        }
    }
    if name.is_empty() {
        name.push_str("classe");
    }
    format!("allocation-pfmp-{name}-{}-{}.csv", period.from, period.to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attendance::{AttendanceConfirmation, AttendanceDay, DayKind};
    use crate::domain::ids::*;
    use crate::domain::{Hours, PersonName, Subject};
    use jiff::Timestamp;
    use jiff::civil::date;

    #[test]
    fn the_period_defaults_to_the_school_year_and_reports_bad_dates() {
        let today = date(2026, 3, 11);
        let (p, m) = read_period("", "", today);
        assert_eq!((p.from, p.to), (date(2025, 9, 1), date(2026, 8, 31)));
        assert!(m.is_empty());
        let (p, m) = read_period("2026-01-01", " 2026-02-28 ", today);
        assert_eq!((p.from, p.to), (date(2026, 1, 1), date(2026, 2, 28)));
        assert!(m.is_empty());
        let (p, m) = read_period("31/02/2026", "2026-02-30", today);
        assert_eq!((p.from, p.to), (date(2025, 9, 1), date(2026, 8, 31)));
        assert_eq!(m.len(), 2);
        assert!(m[0].contains("« 31/02/2026 » n'est pas une date valide"));
        assert!(m[1].contains("31/08/2026"));
        let (p, m) = read_period("2026-05-01", "2026-04-01", today);
        assert_eq!((p.from, p.to), (date(2025, 9, 1), date(2026, 8, 31)));
        assert!(m[0].contains("après la date de fin"));
        // Years a period cannot name: refused, not printed as `01/01/5`.
        let (p, m) = read_period("0005-01-01", "1899-12-31", today);
        assert_eq!((p.from, p.to), (date(2025, 9, 1), date(2026, 8, 31)));
        assert_eq!(m.len(), 2);
        assert!(
            m[0].contains("« 0005-01-01 » est hors des années 1900 à 2199"),
            "{m:?}"
        );
        assert!(read_period("1900-01-01", "2199-12-31", today).1.is_empty());
        // A long value is cut in the message.
        let (_, m) = read_period(&"x".repeat(500), "", today);
        assert!(m[0].len() < 200);
    }

    #[test]
    fn a_rate_equal_to_the_default_is_a_reset() {
        assert_eq!(check_rate("15", 1_500), Ok(RateChange::Reset));
        assert_eq!(check_rate("15,00 €", 1_500), Ok(RateChange::Reset));
        assert_eq!(check_rate("16,5", 1_500), Ok(RateChange::Set(1_650)));
        assert_eq!(check_rate("0", 1_500), Ok(RateChange::Set(0)));
        assert_eq!(check_rate("100", 0), Ok(RateChange::Set(10_000)));
        assert!(check_rate("", 1_500).unwrap_err().contains("Indiquez"));
        assert_eq!(
            check_rate("douze", 1_500).unwrap_err(),
            "Écrivez un montant en euros, par exemple 15 ou 15,50."
        );
        assert_eq!(
            check_rate("100,01", 1_500).unwrap_err(),
            "Ce forfait dépasse 100,00\u{a0}€ par jour : vérifiez-le."
        );
        assert!(
            check_rate("999999999", 1_500)
                .unwrap_err()
                .contains("dépasse")
        );
        assert_eq!(
            year_from_value(year_value(CycleYear::Premiere)),
            Some(CycleYear::Premiere)
        );
        assert_eq!(year_from_value("cm2"), None);
    }

    fn student(first: &str, last: &str) -> Student {
        Student {
            id: StudentId::new(),
            class: ClassId::new(),
            name: PersonName::new(first, last),
            birth_date: Some(date(2009, 4, 2)),
            ine: Some("123456789AB".into()),
            email: None,
            active: true,
        }
    }

    fn company(name: &str) -> Company {
        Company {
            id: CompanyId::new(),
            name: name.into(),
            address: String::new(),
            city: String::new(),
            siret: Some("12345678900011".into()),
        }
    }

    fn placement(s: &Student, c: &Company) -> Placement {
        Placement {
            id: PlacementId::new(),
            student: s.id,
            company: c.id,
            tutor: TutorId::new(),
            referent: TeacherId::new(),
            start: date(2026, 1, 5),
            end: date(2026, 1, 30),
            objectives: vec![],
        }
    }

    fn day(d: Date, kind: DayKind) -> AttendanceDay {
        AttendanceDay {
            date: d,
            kind,
            presence: Hours::from_quarters(if kind == DayKind::Present { 28 } else { 14 })
                .unwrap_or_default(),
            reason: String::new(),
            justified: false,
        }
    }

    fn attendance(p: &Placement, days: Vec<AttendanceDay>, confirmed: bool) -> Attendance {
        Attendance {
            placement: p.id,
            days,
            gratification_cents: None,
            revision: 1,
            updated_at: Timestamp::UNIX_EPOCH,
            updated_by: Subject::Tutor(p.tutor),
            confirmation: confirmed.then(|| AttendanceConfirmation {
                tutor: p.tutor,
                name: PersonName::new("Jean", "Dupont"),
                job_title: String::new(),
                at: Timestamp::UNIX_EPOCH,
                revision: 1,
                start: p.start,
                end: p.end,
            }),
        }
    }

    /// The test clock's day.
    const TODAY: Date = date(2026, 3, 11);

    fn lines() -> Vec<AllowanceLine> {
        let (a, b, c, d, e) = (
            student("Léa", "Martin"),
            student("HYPERLINK(\"http://x\")", "=HYPERLINK(\"http://x\")"),
            student("Zoé", "Petit"),
            student("Inès", "Roux"),
            student("Yanis", "Sall"),
        );
        let co = company("+Bœuf & Cie");
        let (pa, pb, pc) = (placement(&a, &co), placement(&b, &co), placement(&c, &co));
        // Three days present, one with a half-day absence, one outside the dates.
        let att_a = attendance(
            &pa,
            vec![
                day(date(2026, 1, 5), DayKind::Present),
                day(date(2026, 1, 6), DayKind::Present),
                day(date(2026, 1, 7), DayKind::HalfDayAbsence),
                day(date(2026, 1, 8), DayKind::Present),
                day(date(2026, 2, 2), DayKind::Present),
            ],
            true,
        );
        // One day recorded, the other past days blank.
        let att_b = attendance(&pb, vec![day(date(2026, 1, 5), DayKind::Present)], false);
        // Until 20 March: not ended on the 11th, though days are recorded.
        let mut pd = placement(&d, &co);
        (pd.start, pd.end) = (date(2026, 3, 2), date(2026, 3, 20));
        let att_d = attendance(
            &pd,
            (2..=6)
                .map(|n| day(date(2026, 3, n), DayKind::Present))
                .collect(),
            false,
        );
        // Two days, both present, not confirmed.
        let mut pe = placement(&e, &co);
        (pe.start, pe.end) = (date(2026, 2, 2), date(2026, 2, 3));
        let att_e = attendance(
            &pe,
            vec![
                day(date(2026, 2, 2), DayKind::Present),
                day(date(2026, 2, 3), DayKind::Present),
            ],
            false,
        );
        vec![
            AllowanceLine::new(a, pa, co.clone(), Some(&att_a), 1_500, TODAY),
            AllowanceLine::new(b, pb, co.clone(), Some(&att_b), 1_500, TODAY),
            AllowanceLine::new(c, pc, co.clone(), None, 1_500, TODAY),
            AllowanceLine::new(d, pd, co.clone(), Some(&att_d), 1_500, TODAY),
            AllowanceLine::new(e, pe, co, Some(&att_e), 1_500, TODAY),
        ]
    }

    #[test]
    fn lines_count_full_days_only_and_totals_set_apart_what_is_missing() {
        let l = lines();
        assert_eq!(l[0].days, Some(3));
        assert_eq!(l[0].amount_cents, Some(4_500));
        assert_eq!(l[0].state, AttendanceState::Confirmed);
        assert_eq!(l[1].state, AttendanceState::Incomplete);
        assert_eq!(l[1].amount_cents, Some(1_500));
        assert_eq!(l[2].days, None);
        assert_eq!(l[2].amount_cents, None);
        // Not ended: no days, no amount, whatever is recorded.
        assert_eq!(l[3].progress, Progress::InProgress);
        assert_eq!((l[3].days, l[3].amount_cents), (None, None));
        assert_eq!(status_label(&l[3]), "PFMP en cours (pas encore de montant)");
        assert_eq!(l[4].state, AttendanceState::Recorded);
        let t = AllowanceTotals::of(&l);
        assert_eq!(
            t,
            AllowanceTotals {
                placements: 4,
                days: 6,
                amount_cents: 9_000,
                not_recorded: 1,
                incomplete: 1,
                not_confirmed: 1,
                not_ended: 1,
            }
        );
    }

    #[test]
    fn progress_follows_the_dates() {
        let (s, e) = (date(2026, 3, 2), date(2026, 3, 6));
        assert_eq!(Progress::of(s, e, date(2026, 3, 1)), Progress::Upcoming);
        assert_eq!(Progress::of(s, e, s), Progress::InProgress);
        assert_eq!(Progress::of(s, e, date(2026, 3, 5)), Progress::InProgress);
        // The last day itself: ended (the tutor may confirm that day).
        assert_eq!(Progress::of(s, e, e), Progress::Ended);
        assert_eq!(Progress::Upcoming.label(), "à venir");
    }

    #[test]
    fn the_csv_is_for_french_spreadsheets_and_escapes_formulas() {
        let bytes = payment_csv("1MELEC", &lines()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let rows: Vec<&str> = text
            .trim_start_matches('\u{feff}')
            .split_terminator("\r\n")
            .collect();
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0], CSV_HEADER.join(";"));
        assert_eq!(
            rows[1],
            "1MELEC;Martin;Léa;02/04/2009;123456789AB;'+Bœuf & Cie;12345678900011;05/01/2026;30/01/2026;3;15,00;45,00;confirmée par le tuteur"
        );
        assert!(
            rows[2].starts_with("1MELEC;\"'=HYPERLINK(\"\"http://x\"\")\";\"HYPERLINK("),
            "{}",
            rows[2]
        );
        assert!(rows[2].ends_with(";1;15,00;15,00;saisie incomplète (jours non renseignés)"));
        assert!(
            rows[3].ends_with(";;15,00;;présence non saisie"),
            "{}",
            rows[3]
        );
        assert!(
            rows[4]
                .ends_with(";02/03/2026;20/03/2026;;15,00;;PFMP en cours (pas encore de montant)"),
            "{}",
            rows[4]
        );
        assert!(rows[5].ends_with(";2;15,00;30,00;saisie, non confirmée par le tuteur"));
        assert_eq!(rows[6], "Total;;;;;;;;;6;;90,00;");
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    }

    #[test]
    fn formulas_get_a_quote_and_other_cells_stay() {
        for bad in ["=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"));
        }
        for ok in ["Martin", "15,00", "", "É=mc2"] {
            assert_eq!(spreadsheet_safe(ok), ok);
        }
    }

    #[test]
    fn the_file_name_is_ascii() {
        let p = Period {
            from: date(2026, 9, 1),
            to: date(2027, 8, 31),
        };
        assert_eq!(
            csv_file_name("1MELEC", p),
            "allocation-pfmp-1MELEC-2026-09-01-2027-08-31.csv"
        );
        assert_eq!(
            csv_file_name("2nde Électro / B", p),
            "allocation-pfmp-2nde-Electro-B-2026-09-01-2027-08-31.csv"
        );
        assert_eq!(
            csv_file_name("«»", p),
            "allocation-pfmp-classe-2026-09-01-2027-08-31.csv"
        );
    }
}
