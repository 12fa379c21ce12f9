//! The « Présence » page of a placement (issue 8): the tutor or the referent teacher
//! records the days present and the absences, with the logbook's days proposed as
//! present; everyone who may see the placement reads the totals (the official counting
//! of the certificate, D124-6), the tutor's confirmation and the certificate's links.
//!
//! Who may do what: the placement's tutor ([`permissions::tutored_placement`]) and its
//! referent ([`referent_placement`]) record; the tutor alone confirms, in their link
//! session (issue 8, "Signatures"); the student and coordinators read. Anything else is
//! 404. A save over a newer revision is refused (409) with the input kept; a save of
//! what is already stored changes nothing (a double tap).
//!
//! A day is one of four kinds or blank (not filled in yet): blank past days are marked
//! « à renseigner » and counted at the top, and the form's second button (`action` =
//! [`FILL_ACTION`]) marks the blank past weekdays present for 7 h without saving, for
//! the tutor to check. The tutor confirms once the period has ended and no past day is
//! blank ([`confirmation_refusal`]).

use super::company_review::referent_placement;
use super::{PlacementView, parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::attendance::{
    Attendance, AttendanceConfirmation, AttendanceErrors, AttendanceInput, AttendanceState,
    DayInput, DayKind, REASON_MAX_CHARS, check, confirmation_refusal, day_label, euros_label,
    hours_label, initial_input, is_weekend, prefill_hours, read_input,
};
use crate::domain::{Hours, Placement, PlacementId, Subject, text};
use crate::error::{Error, Result};
use crate::store::{ConfirmedAttendance, SavedAttendance, Store};
use crate::web::State;
use crate::web::assets;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{count, csrf_field, page};
use jiff::civil::Date;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// URL of a placement's « Présence » page.
pub fn attendance_url(p: PlacementId) -> String {
    format!("/stages/{p}/presence")
}

/// URL of the tutor's confirmation (POST).
pub fn confirm_url(p: PlacementId) -> String {
    format!("{}/confirmer", attendance_url(p))
}

/// URL of a placement's filled PFMP certificate (PDF, `web::pages::certificate`).
pub fn certificate_url(p: PlacementId) -> String {
    format!("/stages/{p}/attestation.pdf")
}

/// URL of the blank certificate, to complete by hand (the spec: the tutor downloads it).
pub const BLANK_CERTIFICATE_URL: &str = "/attestation-vierge.pdf";

/// Value of the form's `action` field sent by « Marquer présents (7 h) les jours à
/// renseigner »: fill, show the form again, save nothing.
pub const FILL_ACTION: &str = "remplir";

/// Hours the fill button writes for a day present, as typed in the form: 7 h, the
/// official day of D124-6 ([`crate::domain::attendance::default_day_hours`]).
const FILL_HOURS: &str = "7";

/// The placement `id` if `who` records its attendance: its tutor or its referent
/// teacher (issue 8: "the tutor (or the referent) records the days").
///
/// # Errors
/// [`Error::NotFound`] for anyone else (student, coordinator, another tutor or teacher).
pub fn recording_placement(store: &Store, who: &Subject, id: PlacementId) -> Result<Placement> {
    match who {
        Subject::Tutor(_) => permissions::tutored_placement(store, who, id),
        Subject::Teacher(_) => referent_placement(store, who, id).map(|(p, _)| p),
        _ => Err(Error::NotFound),
    }
}

/// The logbook's days of placement `p` with the hours the student wrote (several
/// entries of one day: the largest, see [`initial_input`]).
fn logbook_days(state: &State, p: PlacementId) -> Result<Vec<(Date, Hours)>> {
    Ok(state
        .store
        .logbook(p)?
        .into_iter()
        .map(|e| (e.date, e.hours))
        .collect())
}

/// "Hélène Caillé (tuteur)": who made a change, for the page's lines.
fn author(state: &State, who: &Subject) -> Result<String> {
    let s = &state.store;
    let named = match who {
        Subject::Tutor(id) => s.tutor(*id)?.map(|t| (t.name, "tuteur")),
        Subject::Teacher(id) => s.teacher(*id)?.map(|t| (t.name, "enseignant référent")),
        Subject::Student(id) => s.student(*id)?.map(|t| (t.name, "élève")),
        Subject::Coordinator(id) => s.coordinator(*id)?.map(|t| (t.name, "coordination")),
    };
    Ok(named.map_or_else(
        || "une autre personne".to_string(),
        |(name, role)| format!("{} ({role})", name.full()),
    ))
}

/// A moment in the school's time zone.
fn local(state: &State, at: jiff::Timestamp) -> jiff::civil::DateTime {
    at.to_zoned_datetime(state.clock.zone().clone()).datetime()
}

/// The form as shown to the tutor or the referent.
struct FormView<'a> {
    input: &'a AttendanceInput,
    errors: &'a AttendanceErrors,
    /// Days the form proposes from the logbook (nothing recorded yet), for the hint.
    from_logbook: usize,
    /// The form holds input not saved (errors, or a newer revision stored meanwhile):
    /// the confirmation waits until it is saved.
    unsaved: bool,
}

/// Everything the page shows besides the form.
struct PageView<'a> {
    v: &'a PlacementView,
    stored: Option<&'a Attendance>,
    /// A message at the top (a refused save or confirmation), already marked up.
    notice: Option<Markup>,
}

fn title(viewer: &Viewer, v: &PlacementView) -> String {
    match viewer.subject {
        Subject::Student(_) => "Ma présence en entreprise".to_string(),
        _ => format!("Présence {}", text::de(&v.student.name.full())),
    }
}

/// The whole page: the period and state, the totals, the tutor's confirmation, the
/// certificate, then the form (tutor, referent) or the recorded days (others).
fn attendance_page(
    state: &State,
    viewer: &Viewer,
    pv: &PageView<'_>,
    form: Option<&FormView<'_>>,
) -> Result<Markup> {
    let v = pv.v;
    let pid = v.placement.id;
    let today = state.clock.today();
    let attendance_state = AttendanceState::of(pv.stored, &v.placement, today);
    // Blank past days: those of the form shown (it may hold unsaved input), else the
    // stored ones.
    let blank = match (form, pv.stored) {
        (Some(f), _) => blank_days(f.input, today),
        (None, Some(a)) => a.missing_days(v.placement.start, v.placement.end, today),
        (None, None) => Vec::new(),
    };
    let back_label = match viewer.subject {
        Subject::Student(_) => "Ma période en entreprise".to_string(),
        _ => format!("Dossier {}", text::de(&v.student.name.full())),
    };
    let back_url = placement_url(pid);
    let body = html! {
        @if let Some(n) = &pv.notice { (n) }
        @if let Some(f) = form { (error_summary(f.errors)) }
        p.period {
            "Du " (text::date_long(v.placement.start)) " au " (text::date_long(v.placement.end))
        }
        p.muted { (v.company.name) " — tuteur : " (v.tutor.name.full()) }
        p { span class={ "badge " (state_class(attendance_state)) } { (state_line(attendance_state)) } }
        @if let Some(first) = blank.first() {
            p.missing-count {
                strong { (count(blank.len(), "jour à renseigner", "jours à renseigner")) }
                @if form.is_some() {
                    " — " a href=(format!("#{}", DayInput::kind_field(*first))) { "aller au premier (" (day_label(*first)) ")" }
                } @else {
                    " (le premier : " (day_label(*first)) ")"
                }
            }
        }
        @if let Some(a) = pv.stored {
            (totals_card(state, v, a)?)
            (confirmation_card(state, viewer, v, a, form.is_some_and(|f| f.unsaved)))
        }
        @match form {
            // Nothing recorded yet: the form is the tutor's task, the certificate
            // comes after it.
            Some(f) => {
                @if pv.stored.is_some() { (certificate_card(pid, pv.stored)) }
                (form_section(state, viewer, v, pv.stored, f))
                @if pv.stored.is_none() { (certificate_card(pid, pv.stored)) }
            }
            None => {
                (certificate_card(pid, pv.stored))
                (days_section(v, pv.stored, today))
            }
        }
    };
    Ok(page(
        viewer,
        &title(viewer, v),
        Some((&back_url, &back_label)),
        body,
    ))
}

/// "Présence saisie, non confirmée par le tuteur", from [`AttendanceState::label`].
fn state_line(s: AttendanceState) -> String {
    let label = s.label();
    match label.strip_prefix("présence") {
        Some(rest) => format!("Présence{rest}"),
        None => format!("Présence {label}"),
    }
}

fn state_class(s: AttendanceState) -> &'static str {
    match s {
        AttendanceState::NotRecorded => "draft",
        AttendanceState::Incomplete | AttendanceState::Recorded => "todo",
        AttendanceState::Confirmed => "done",
    }
}

/// The errors of the form, at the top, each linked to its day.
fn error_summary(errors: &AttendanceErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.errors role="alert" {
                p { strong { "La présence n'a pas été enregistrée :" } " corrigez les points signalés ci-dessous." }
                ul {
                    @for (date, message) in &errors.days {
                        li { a href=(format!("#{}", DayInput::kind_field(*date))) { (day_label(*date)) } " : " (message) }
                    }
                    @if let Some(m) = &errors.gratification {
                        li { a href="#gratification" { "Gratification" } " : " (m) }
                    }
                }
            }
        }
    }
}

/// The totals of the recorded days, as the certificate counts them.
fn totals_card(state: &State, v: &PlacementView, a: &Attendance) -> Result<Markup> {
    let t = a.totals(v.placement.start, v.placement.end);
    let updated = local(state, a.updated_at);
    let by = author(state, &a.updated_by)?;
    Ok(html! {
        section.card.attendance-totals aria-labelledby="decompte-titre" {
            h2 #decompte-titre { "Décompte" }
            dl.totals {
                div { dt { "Durée effective" } dd { strong { (t.duration_label()) } } }
                div { dt { "Jours de présence complète" } dd { (t.full_days) } }
                div { dt { "Absences d'une demi-journée" } dd { (t.half_day_absences) } }
                div { dt { "Absences d'une journée" } dd { (t.day_absences) } }
                div { dt { "Demi-journées d'absence non justifiées" } dd { (t.unjustified_half_days) } }
                div {
                    dt { "Gratification versée" }
                    dd { @match a.gratification_cents { Some(c) => (euros_label(c)), None => "aucune" } }
                }
            }
            p.hint { "Chaque période de 7 heures de présence, consécutives ou non, compte pour un jour, et 22 jours pour un mois (code de l'éducation, art. D124-6)." }
            p.hint { "Dernière modification le " (text::date_time_long(updated)) " par " (by) "." }
        }
    })
}

/// Where the tutor's confirmation stands, and for the tutor the button that gives it.
fn confirmation_card(
    state: &State,
    viewer: &Viewer,
    v: &PlacementView,
    a: &Attendance,
    unsaved: bool,
) -> Markup {
    let pid = v.placement.id;
    let is_tutor = matches!(viewer.subject, Subject::Tutor(t) if t == v.placement.tutor);
    let refusal = confirmation_refusal(a, &v.placement, state.clock.today());
    html! {
        section.card.attendance-confirmation aria-labelledby="confirmation-titre" {
            h2 #confirmation-titre { "Confirmation du tuteur" }
            @if let Some(c) = a.confirmed(&v.placement) {
                @let at = local(state, c.at);
                p.confirmed {
                    span aria-hidden="true" { "✓ " }
                    "Confirmée par " strong { (c.name.full()) }
                    @if !c.job_title.is_empty() { " (" (c.job_title) ")" }
                    " le " (text::date_long(at.date())) " à " (text::time(at.time())) "."
                }
            } @else if let Some(c) = &a.confirmation {
                p.reconfirm {
                    strong { (voided_line(state, v, a, c)) }
                }
            } @else {
                p { "Pas encore confirmée par le tuteur." }
            }
            @if a.confirmed(&v.placement).is_none() {
                @if is_tutor && unsaved {
                    p.hint { "Enregistrez d'abord la présence ci-dessous ; vous pourrez ensuite la confirmer." }
                } @else if let Some(why) = &refusal {
                    p.refusal {
                        strong { "Pas encore possible de confirmer. " }
                        (why)
                    }
                    @if !is_tutor {
                        p.hint { "Seul le tuteur peut confirmer la présence, depuis son lien personnel." }
                    }
                } @else if is_tutor {
                    p.hint { "En confirmant, vous attestez que le décompte ci-dessus est exact. Votre confirmation est enregistrée avec sa date et son heure et figure sur l'attestation de PFMP ; une modification ultérieure demandera une nouvelle confirmation." }
                    form method="post" action=(confirm_url(pid)) {
                        (csrf_field(viewer))
                        input type="hidden" name="revision" value=(a.revision);
                        div.buttons {
                            button.primary type="submit" { "Confirmer la présence" }
                        }
                    }
                } @else {
                    p.hint { "Seul le tuteur peut confirmer la présence, depuis son lien personnel." }
                }
            }
        }
    }
}

/// Why confirmation `c` no longer holds, ending with « à confirmer de nouveau »: the
/// attendance changed since, the placement has another tutor, or other dates.
fn voided_line(
    state: &State,
    v: &PlacementView,
    a: &Attendance,
    c: &AttendanceConfirmation,
) -> String {
    let on = text::date_long(local(state, c.at).date());
    let p = &v.placement;
    if c.revision != a.revision {
        format!("Modifiée depuis la confirmation du {on} : à confirmer de nouveau.")
    } else if c.tutor != p.tutor {
        format!(
            "Confirmée le {on} par {}, qui n'est plus le tuteur de la période : à confirmer de nouveau par {}.",
            c.name.full(),
            v.tutor.name.full()
        )
    } else {
        format!(
            "Les dates de la période ont changé depuis la confirmation du {on} (elle portait sur la période du {} au {}) : à confirmer de nouveau.",
            text::date_long(c.start),
            text::date_long(c.end)
        )
    }
}

/// The past days (up to `today`) of the form left blank, in date order.
fn blank_days(input: &AttendanceInput, today: Date) -> Vec<Date> {
    input
        .days
        .iter()
        .filter(|d| d.date <= today && DayKind::from_form(&d.kind).is_none())
        .map(|d| d.date)
        .collect()
}

/// Marks the blank past weekdays of `input` present for [`FILL_HOURS`] (what the fill
/// button does; blank weekend days stay blank: a Saturday worked is the exception).
/// Returns how many days changed.
fn fill_blank_weekdays(input: &mut AttendanceInput, today: Date) -> usize {
    let mut n = 0;
    for d in &mut input.days {
        if d.date <= today && !is_weekend(d.date) && DayKind::from_form(&d.kind).is_none() {
            d.kind = DayKind::Present.form_value().into();
            d.hours = FILL_HOURS.into();
            n += 1;
        }
    }
    n
}

/// The certificate's two downloads.
fn certificate_card(pid: PlacementId, stored: Option<&Attendance>) -> Markup {
    html! {
        section.card aria-labelledby="attestation-titre" {
            h2 #attestation-titre { "Attestation de PFMP" }
            p.hint {
                @if stored.is_some() {
                    "L'attestation reprend la présence enregistrée et indique si le tuteur l'a confirmée ; il reste à la signer et à y apposer le cachet de l'entreprise."
                } @else {
                    "Tant que la présence n'est pas saisie, la durée de l'attestation reste à compléter à la main."
                }
            }
            div.buttons {
                a.button.primary href=(certificate_url(pid)) { "Télécharger l'attestation (PDF)" }
                a.button href=(BLANK_CERTIFICATE_URL) { "Attestation vierge à compléter à la main" }
            }
        }
    }
}

/// "Semaine du lundi 2 mars": the Monday of `d`'s week.
fn monday_of(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
}

/// The form: one card per day, grouped by week, then the gratification.
fn form_section(
    state: &State,
    viewer: &Viewer,
    v: &PlacementView,
    stored: Option<&Attendance>,
    f: &FormView<'_>,
) -> Markup {
    let pid = v.placement.id;
    let today = state.clock.today();
    let mut weeks: Vec<(Date, Vec<&DayInput>)> = Vec::new();
    for d in &f.input.days {
        let monday = monday_of(d.date);
        match weeks.last_mut() {
            Some((m, days)) if *m == monday => days.push(d),
            _ => weeks.push((monday, vec![d])),
        }
    }
    let grat_error = f.errors.gratification.as_ref();
    let fillable = blank_days(f.input, today)
        .into_iter()
        .filter(|d| !is_weekend(*d))
        .count();
    html! {
        section.attendance-entry aria-labelledby="saisie-titre" {
            h2 #saisie-titre { "Jours de la période" }
            @if stored.is_none() && f.from_logbook > 0 {
                p.logbook-proposal {
                    strong { "Dates reprises du journal de bord : " }
                    @if f.from_logbook > 1 {
                        "les " (f.from_logbook) " jours " (text::que(&v.student.name.first)) " y a écrits sont proposés"
                    } @else {
                        "le jour " (text::que(&v.student.name.first)) " y a écrit est proposé"
                    }
                    " comme « Présent », avec ses heures. Vérifiez, complétez les autres jours, puis enregistrez."
                }
            }
            p.hint {
                "Pour chaque jour : présent, absent une demi-journée ou la journée, ou « Pas de PFMP ce jour » (week-end, jour férié, jour sans stage). "
                "Heures de présence : écrivez 7, 7,5 ou 7h30 (3h30 pour une demi-journée). "
                "Les jours à venir se saisissent le jour même ou après, sauf « Pas de PFMP ce jour »."
            }
            form.stack.attendance-form method="post" action=(attendance_url(pid)) {
                (csrf_field(viewer))
                input type="hidden" name="revision" value=(f.input.revision);
                // Enter in a text field submits with the form's first button: make it
                // « Enregistrer », not the fill button below (hidden from everyone but
                // the browser's implicit submission).
                button.default-submit type="submit" tabindex="-1" aria-hidden="true" { "Enregistrer la présence" }
                @if fillable > 0 {
                    div.fill-box {
                        p {
                            (count(fillable, "jour de semaine passé est", "jours de semaine passés sont"))
                            " encore à renseigner. Si " (v.student.name.first) " était présent ces jours-là, un bouton suffit ; vous vérifiez ensuite, puis enregistrez."
                        }
                        button.secondary type="submit" name="action" value=(FILL_ACTION) { "Marquer présents (7 h) les jours à renseigner" }
                    }
                }
                @for (monday, days) in &weeks {
                    h3.week { "Semaine du " (text::date_long(*monday)) }
                    @for d in days {
                        (day_card(d, f.errors.days.get(&d.date), today))
                    }
                }
                div.gratification {
                    label for="gratification" { "Gratification totale versée, le cas échéant (€)" }
                    @if let Some(m) = grat_error {
                        p.field-error id="gratification-error" { (m) }
                    }
                    input #gratification type="text" name="gratification" inputmode="decimal" autocomplete="off"
                        value=(f.input.gratification)
                        aria-invalid=[grat_error.map(|_| "true")]
                        aria-describedby=[grat_error.map(|_| "gratification-error")];
                    p.hint { "Laissez vide s'il n'y en a pas. Par exemple : 150 ou 150,50." }
                }
                div.buttons.save-bar {
                    button.primary type="submit" { "Enregistrer la présence" }
                }
            }
            script src=(assets::url("attendance.js")) defer {}
        }
    }
}

/// One day of the form: a compact card with the day's choice and hours, and the
/// absence's reason and « justifiée » (shown by the CSS for absences only; they still
/// work when shown everywhere). A day after today with nothing chosen is only marked
/// « à venir » (the domain refuses it); a blank past day is marked « à renseigner »; a
/// weekend day without PFMP takes one line (its hours show when « Présent » is chosen).
fn day_card(d: &DayInput, error: Option<&String>, today: Date) -> Markup {
    let kind_name = DayInput::kind_field(d.date);
    let error_id = format!("{kind_name}-error");
    let described = error.map(|_| error_id.as_str());
    let upcoming = d.date > today;
    let kind = DayKind::from_form(&d.kind);
    if upcoming && kind.is_none() && error.is_none() {
        return html! {
            div.day.upcoming id=(format!("carte-{}", d.date)) {
                span.day-date { (day_label(d.date)) }
                " " span.badge.draft { "à venir" }
            }
        };
    }
    let missing = !upcoming && kind.is_none();
    let compact = is_weekend(d.date) && kind == Some(DayKind::Off) && error.is_none();
    let option = |k: Option<DayKind>| {
        let value = k.map_or("", DayKind::form_value);
        let label = k.map_or("— à renseigner —", DayKind::label);
        html! { option value=(value) selected[kind == k] { (label) } }
    };
    html! {
        fieldset.day.compact[compact].missing[missing] id=(format!("carte-{}", d.date)) aria-invalid=[error.map(|_| "true")] {
            legend {
                span.day-date { (day_label(d.date)) }
                @if upcoming && !compact { " " span.badge.draft { "à venir" } }
                @if missing { " " span.badge.todo.missing-mark { "à renseigner" } }
            }
            @if let Some(m) = error {
                p.field-error id=(error_id) { (m) }
            }
            div.day-row {
                label.day-kind {
                    span.small-label { "Journée" }
                    select id=(kind_name) name=(kind_name) aria-describedby=[described] {
                        (option(None))
                        (option(Some(DayKind::Present)))
                        (option(Some(DayKind::HalfDayAbsence)))
                        (option(Some(DayKind::DayAbsence)))
                        (option(Some(DayKind::Off)))
                    }
                }
                label.day-hours {
                    span.small-label { "Heures" }
                    input type="text" name=(DayInput::hours_field(d.date)) value=(d.hours)
                        inputmode="decimal" autocomplete="off" size="5"
                        aria-describedby=[described];
                }
            }
            div.day-absence {
                label {
                    span.small-label { "Motif de l'absence" }
                    input type="text" name=(DayInput::reason_field(d.date)) value=(d.reason)
                        maxlength=(REASON_MAX_CHARS) autocomplete="off";
                }
                label.check {
                    input type="checkbox" name=(DayInput::justified_field(d.date)) value="1"
                        checked[d.justified && kind.is_some_and(DayKind::is_absence)];
                    " Absence justifiée"
                }
            }
        }
    }
}

/// The recorded days, read-only (student, coordinators): every day of the period but
/// the weekend days without PFMP, with the blank past days marked « à renseigner ».
fn days_section(v: &PlacementView, stored: Option<&Attendance>, today: Date) -> Markup {
    let p = &v.placement;
    let days: Vec<(Date, Option<&crate::domain::attendance::AttendanceDay>)> = stored
        .map(|a| {
            crate::domain::attendance::form_days(p.start, p.end)
                .into_iter()
                .filter_map(|date| match a.days.iter().find(|d| d.date == date) {
                    Some(d) if d.kind == DayKind::Off && is_weekend(date) => None,
                    Some(d) => Some((date, Some(d))),
                    None if date <= today => Some((date, None)),
                    None => None,
                })
                .collect()
        })
        .unwrap_or_default();
    html! {
        section.card aria-labelledby="jours-titre" {
            h2 #jours-titre { "Jours enregistrés" }
            @if days.is_empty() {
                p.muted { "Le tuteur ou l'enseignant référent n'a encore enregistré aucun jour." }
            } @else {
                ul.attendance-days {
                    @for (date, day) in days {
                        @if let Some(d) = day {
                        li class=(format!("kind-{}", d.kind.form_value())) {
                            span.day-date { (day_label(date)) }
                            span {
                                strong { (d.kind.label()) }
                                @if !matches!(d.kind, DayKind::DayAbsence | DayKind::Off) {
                                    " — " (hours_label(u32::from(d.presence.quarters())))
                                }
                                @if d.kind.is_absence() {
                                    br;
                                    span.muted {
                                        @if d.justified { "justifiée" } @else { "non justifiée" }
                                        @if !d.reason.is_empty() { " — " (d.reason) }
                                    }
                                }
                            }
                        }
                        } @else {
                            li.kind-missing {
                                span.day-date { (day_label(date)) }
                                span { strong { "à renseigner" } " (pas encore saisi)" }
                            }
                        }
                    }
                }
                p.hint { "Les week-ends sans PFMP ne sont pas listés ; les jours « Pas de PFMP » ne comptent pas." }
            }
        }
    }
}

/// The page for the viewer: the form for the tutor and the referent, the read-only
/// view for others; `notice` and `status` for a refused action.
fn render_current(
    state: &State,
    viewer: &Viewer,
    p: Placement,
    notice: Option<Markup>,
    status: StatusCode,
) -> Result<Response> {
    let stored = state.store.attendance(p.id)?;
    let editable = recording_placement(&state.store, &viewer.subject, p.id).is_ok();
    let form_input = if editable {
        let logbook = logbook_days(state, p.id)?;
        let mut input = initial_input(p.start, p.end, stored.as_ref(), &logbook);
        prefill_hours(&mut input);
        Some(input)
    } else {
        None
    };
    let from_logbook = form_input.as_ref().map_or(0, |i| {
        i.days
            .iter()
            .filter(|d| d.kind == DayKind::Present.form_value())
            .count()
    });
    let v = PlacementView::load(&state.store, p)?;
    let no_errors = AttendanceErrors::default();
    let form = form_input.as_ref().map(|input| FormView {
        input,
        errors: &no_errors,
        from_logbook,
        unsaved: false,
    });
    let pv = PageView {
        v: &v,
        stored: stored.as_ref(),
        notice,
    };
    Ok(attendance_page(state, viewer, &pv, form.as_ref())?
        .with_status(status)
        .into_response())
}

/// `GET /stages/:id/presence`: the « Présence » page.
///
/// # Errors
/// 404 when the placement does not exist or is not this person's; store failure.
#[handler]
pub fn attendance_show(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    render_current(&state, &viewer, p, None, StatusCode::OK)
}

/// `POST /stages/:id/presence`: the tutor or the referent saves the form (fields
/// of [`DayInput`], `gratification`, `revision`): 303 to the page with a message; 422
/// with the input kept and a message at each day in error; 409 with the input kept
/// when someone saved another revision meanwhile (the form then carries the stored
/// revision, so that saving again works).
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless this is the placement's tutor or
/// referent; store failure.
#[handler]
pub async fn attendance_save(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = recording_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let mut input = read_input(p.start, p.end, &form.0);
    let (errors, notice, status) = if form.get("action") == FILL_ACTION {
        let filled = fill_blank_weekdays(&mut input, state.clock.today());
        let notice = html! {
            div.notice role="status" {
                @if filled > 0 {
                    p {
                        strong { "Vérifiez puis enregistrez : " }
                        (count(filled, "jour marqué présent", "jours marqués présents")) " (7 h)."
                    }
                    p { "Rien n'est encore enregistré : corrigez les jours d'absence s'il y en a, puis appuyez sur « Enregistrer la présence »." }
                } @else {
                    p { strong { "Aucun jour de semaine passé n'était à renseigner." } " Vérifiez puis enregistrez." }
                }
            }
        };
        (AttendanceErrors::default(), Some(notice), StatusCode::OK)
    } else {
        match check(&input, state.clock.today()) {
            Err(errors) => (errors, None, StatusCode::UNPROCESSABLE_ENTITY),
            Ok(checked) => {
                let saved = state
                    .store
                    .save_attendance(
                        p.id,
                        input.revision,
                        &checked,
                        viewer.subject,
                        state.clock.now(),
                    )
                    .await?;
                match saved {
                    SavedAttendance::Saved(a) => {
                        // The confirmation held for the revision this save replaced (and
                        // for the placement's current tutor and dates).
                        let voided = a.confirmation.as_ref().is_some_and(|c| {
                            c.revision + 1 == a.revision
                                && c.tutor == p.tutor
                                && (c.start, c.end) == (p.start, p.end)
                        });
                        if voided {
                            Flash::AttendanceSavedConfirmationVoided
                        } else {
                            Flash::AttendanceSaved
                        }
                        .set(jar);
                        return Ok(see_other(&attendance_url(p.id)));
                    }
                    SavedAttendance::Unchanged(_) => {
                        Flash::AttendanceUnchanged.set(jar);
                        return Ok(see_other(&attendance_url(p.id)));
                    }
                    SavedAttendance::Stale(a) => {
                        let by = author(&state, &a.updated_by)?;
                        input.revision = a.revision;
                        let notice = html! {
                            div.errors role="alert" {
                                p { strong { "La présence a été modifiée par " (by) " entre-temps : vérifiez puis enregistrez à nouveau." } }
                                p { "Le formulaire ci-dessous garde votre saisie, qui n'est pas enregistrée ; le décompte montre la version enregistrée." }
                            }
                        };
                        (
                            AttendanceErrors::default(),
                            Some(notice),
                            StatusCode::CONFLICT,
                        )
                    }
                }
            }
        }
    };
    let stored = state.store.attendance(p.id)?;
    let v = PlacementView::load(&state.store, p)?;
    let form_view = FormView {
        input: &input,
        errors: &errors,
        from_logbook: 0,
        unsaved: true,
    };
    let pv = PageView {
        v: &v,
        stored: stored.as_ref(),
        notice,
    };
    Ok(attendance_page(&state, &viewer, &pv, Some(&form_view))?
        .with_status(status)
        .into_response())
}

/// `POST /stages/:id/presence/confirmer`: the tutor confirms the revision the page
/// showed (`revision`): 303 to the page with « Présence confirmée le … »; a second tap
/// changes nothing. The page again with 409 when the attendance changed since, with 422
/// when nothing is recorded or when it cannot be confirmed yet (before the last day,
/// past days blank: [`confirmation_refusal`]'s reason).
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless this is the placement's tutor (the
/// referent included); store failure.
#[handler]
pub async fn attendance_confirm(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = permissions::tutored_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let tutor = state.store.tutor(p.tutor)?.ok_or(Error::NotFound)?;
    let revision: u32 = form.get("revision").trim().parse().unwrap_or(0);
    let done = state
        .store
        .confirm_attendance(&p, &tutor, revision, state.clock.now(), state.clock.today())
        .await?;
    match done {
        ConfirmedAttendance::Confirmed(a) | ConfirmedAttendance::AlreadyConfirmed(a) => {
            let on = a
                .confirmed(&p)
                .map_or_else(|| state.clock.today(), |c| local(&state, c.at).date());
            Flash::AttendanceConfirmed { on }.set(jar);
            Ok(see_other(&attendance_url(p.id)))
        }
        ConfirmedAttendance::Stale(_) => {
            let notice = html! {
                div.errors role="alert" {
                    p { strong { "La présence a changé depuis l'affichage de la page : rien n'a été confirmé." } }
                    p { "Relisez le décompte ci-dessous, puis confirmez de nouveau." }
                }
            };
            render_current(&state, &viewer, p, Some(notice), StatusCode::CONFLICT)
        }
        ConfirmedAttendance::Refused(why) => {
            let notice = html! {
                div.errors role="alert" {
                    p { strong { "La présence n'a pas été confirmée." } " " (why) }
                }
            };
            render_current(
                &state,
                &viewer,
                p,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        ConfirmedAttendance::NothingRecorded => {
            let notice = html! {
                div.errors role="alert" {
                    p { strong { "Rien à confirmer : enregistrez d'abord la présence, puis confirmez-la." } }
                }
            };
            render_current(
                &state,
                &viewer,
                p,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// A short line for the placement page's « Présence » tile and the tutor's home on
/// `today`: the state, or how many past days are blank, and the effective presence
/// when recorded (`saisie, non confirmée par le tuteur · 35 h`, `3 jours à renseigner ·
/// 18 h`).
pub fn summary(a: Option<&Attendance>, p: &Placement, today: Date) -> String {
    let state = AttendanceState::of(a, p, today);
    match a {
        Some(a) => {
            let t = a.totals(p.start, p.end);
            let head = match state {
                AttendanceState::Incomplete => {
                    let n = a.missing_days(p.start, p.end, today).len();
                    let word = if n > 1 { "jours" } else { "jour" };
                    format!("{n}\u{a0}{word} à renseigner")
                }
                _ => state.label().to_string(),
            };
            format!("{head} · {}", hours_label(t.presence_quarters))
        }
        None => state.label().to_string(),
    }
}

/// What the tutor's home link to the « Présence » page says on `today`: « Saisir la
/// présence » (nothing recorded), « Compléter la présence » (blank past days),
/// « Confirmer la présence » (ended and complete), « Tenir la présence à jour » (the
/// period runs).
pub fn tutor_task(a: Option<&Attendance>, p: &Placement, today: Date) -> &'static str {
    match a {
        None => "Saisir la présence",
        Some(a) if !a.missing_days(p.start, p.end, today).is_empty() => "Compléter la présence",
        Some(a) if confirmation_refusal(a, p, today).is_none() => "Confirmer la présence",
        Some(_) => "Tenir la présence à jour",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_fill_button_marks_blank_past_weekdays_only() {
        let day = |d: Date, kind: &str| DayInput {
            date: d,
            kind: kind.into(),
            hours: String::new(),
            ..DayInput::default()
        };
        // Thursday 5 to Monday 9 March 2026, on Sunday 8.
        let mut input = AttendanceInput {
            days: vec![
                day(date(2026, 3, 5), ""),
                day(date(2026, 3, 6), "absent"),
                day(date(2026, 3, 7), ""),
                day(date(2026, 3, 8), "off"),
                day(date(2026, 3, 9), ""),
            ],
            gratification: "12".into(),
            revision: 4,
        };
        assert_eq!(
            blank_days(&input, date(2026, 3, 8)),
            [date(2026, 3, 5), date(2026, 3, 7)]
        );
        assert_eq!(fill_blank_weekdays(&mut input, date(2026, 3, 8)), 1);
        let kinds: Vec<(&str, &str)> = input
            .days
            .iter()
            .map(|d| (d.kind.as_str(), d.hours.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("present", "7"),
                ("absent", ""),
                ("", ""),
                ("off", ""),
                ("", "")
            ]
        );
        assert_eq!((input.gratification.as_str(), input.revision), ("12", 4));
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(monday_of(date(2026, 3, 11)), date(2026, 3, 9));
        assert_eq!(monday_of(date(2026, 3, 9)), date(2026, 3, 9));
        assert_eq!(monday_of(date(2026, 3, 15)), date(2026, 3, 9));
    }
}
