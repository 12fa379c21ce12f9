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

use super::company_review::referent_placement;
use super::{PlacementView, parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::attendance::{
    Attendance, AttendanceErrors, AttendanceInput, AttendanceState, DayInput, DayKind,
    REASON_MAX_CHARS, check, day_label, euros_label, hours_label, initial_input, prefill_hours,
    read_input,
};
use crate::domain::{Hours, Placement, PlacementId, Subject, text};
use crate::error::{Error, Result};
use crate::store::{ConfirmedAttendance, SavedAttendance, Store};
use crate::web::State;
use crate::web::assets;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, page};
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
    let attendance_state = AttendanceState::of(pv.stored);
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
                (days_section(v, pv.stored))
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
        AttendanceState::Recorded => "todo",
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
            p.hint { "Dernière modification le " (text::date_time_short(updated)) " par " (by) "." }
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
    html! {
        section.card.attendance-confirmation aria-labelledby="confirmation-titre" {
            h2 #confirmation-titre { "Confirmation du tuteur" }
            @if let Some(c) = a.confirmed() {
                @let at = local(state, c.at);
                p.confirmed {
                    span aria-hidden="true" { "✓ " }
                    "Confirmée par " strong { (c.name.full()) }
                    @if !c.job_title.is_empty() { " (" (c.job_title) ")" }
                    " le " (text::date_long(at.date())) " à " (text::time(at.time())) "."
                }
            } @else if let Some(c) = &a.confirmation {
                p.reconfirm {
                    strong { "Modifiée depuis la confirmation du " (text::date_long(local(state, c.at).date())) " : à confirmer de nouveau." }
                }
            } @else {
                p { "Pas encore confirmée par le tuteur." }
            }
            @if a.confirmed().is_none() {
                @if is_tutor && unsaved {
                    p.hint { "Enregistrez d'abord la présence ci-dessous ; vous pourrez ensuite la confirmer." }
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
    html! {
        section.attendance-entry aria-labelledby="saisie-titre" {
            h2 #saisie-titre { "Jours de la période" }
            @if stored.is_none() && f.from_logbook > 0 {
                p.logbook-proposal {
                    strong { "Dates reprises du journal de bord : " }
                    @if f.from_logbook > 1 {
                        "les " (f.from_logbook) " jours que " (v.student.name.first) " y a écrits sont proposés"
                    } @else {
                        "le jour que " (v.student.name.first) " y a écrit est proposé"
                    }
                    " comme « Présent », avec ses heures. Vérifiez, complétez les autres jours, puis enregistrez."
                }
            }
            p.hint {
                "Pour chaque jour : présent, absent une demi-journée ou la journée, ou « Pas de PFMP ce jour » (week-end, jour férié, jour sans stage). "
                "Heures de présence : 7, 7,5 ou 7h30 (3h30 pour une demi-journée). "
                "Les jours à venir se saisissent le jour même ou après."
            }
            form.stack.attendance-form method="post" action=(attendance_url(pid)) {
                (csrf_field(viewer))
                input type="hidden" name="revision" value=(f.input.revision);
                @for (monday, days) in &weeks {
                    h3.week { "Semaine du " (text::date_long(*monday)) }
                    @for d in days {
                        (day_card(d, f.errors.days.get(&d.date), d.date > today))
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
/// « à venir » (the domain refuses it).
fn day_card(d: &DayInput, error: Option<&String>, upcoming: bool) -> Markup {
    let kind_name = DayInput::kind_field(d.date);
    let error_id = format!("{kind_name}-error");
    let described = error.map(|_| error_id.as_str());
    if upcoming && d.kind.is_empty() && error.is_none() {
        return html! {
            div.day.upcoming id=(format!("carte-{}", d.date)) {
                span.day-date { (day_label(d.date)) }
                " " span.badge.draft { "à venir" }
            }
        };
    }
    let kind = DayKind::from_form(&d.kind);
    let option = |value: &str, label: &str| {
        html! { option value=(value) selected[d.kind == value] { (label) } }
    };
    html! {
        fieldset.day id=(format!("carte-{}", d.date)) aria-invalid=[error.map(|_| "true")] {
            legend {
                span.day-date { (day_label(d.date)) }
                @if upcoming { " " span.badge.draft { "à venir" } }
            }
            @if let Some(m) = error {
                p.field-error id=(error_id) { (m) }
            }
            div.day-row {
                label.day-kind {
                    span.small-label { "Journée" }
                    select id=(kind_name) name=(kind_name) aria-describedby=[described] {
                        (option(DayKind::Present.form_value(), DayKind::Present.label()))
                        (option(DayKind::HalfDayAbsence.form_value(), DayKind::HalfDayAbsence.label()))
                        (option(DayKind::DayAbsence.form_value(), DayKind::DayAbsence.label()))
                        (option("", "Pas de PFMP ce jour"))
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

/// The recorded days, read-only (student, coordinators).
fn days_section(v: &PlacementView, stored: Option<&Attendance>) -> Markup {
    let days: Vec<_> = stored
        .map(|a| {
            a.days
                .iter()
                .filter(|d| d.date >= v.placement.start && d.date <= v.placement.end)
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
                    @for d in days {
                        li class=(format!("kind-{}", d.kind.form_value())) {
                            span.day-date { (day_label(d.date)) }
                            span {
                                strong { (d.kind.label()) }
                                @if d.kind != DayKind::DayAbsence {
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
                    }
                }
                p.hint { "Les jours qui n'apparaissent pas ne comptent pas (week-ends, jours fériés, jours sans stage)." }
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
    let from_logbook = form_input
        .as_ref()
        .map_or(0, |i| i.days.iter().filter(|d| !d.kind.is_empty()).count());
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
    let (errors, notice, status) = match check(&input, state.clock.today()) {
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
                    // The confirmation held for the revision this save replaced.
                    let voided = a
                        .confirmation
                        .as_ref()
                        .is_some_and(|c| c.revision + 1 == a.revision);
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
/// when nothing is recorded.
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
        .confirm_attendance(p.id, &tutor, revision, state.clock.now())
        .await?;
    match done {
        ConfirmedAttendance::Confirmed(a) | ConfirmedAttendance::AlreadyConfirmed(a) => {
            let on = a
                .confirmed()
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

/// A short line for the placement page's « Présence » tile and the tutor's home:
/// the state, and the effective presence when recorded (`saisie, non confirmée par
/// le tuteur · 35 h`).
pub fn summary(a: Option<&Attendance>, p: &Placement) -> String {
    let state = AttendanceState::of(a);
    match a {
        Some(a) => {
            let t = a.totals(p.start, p.end);
            format!("{} · {}", state.label(), hours_label(t.presence_quarters))
        }
        None => state.label().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(monday_of(date(2026, 3, 11)), date(2026, 3, 9));
        assert_eq!(monday_of(date(2026, 3, 9)), date(2026, 3, 9));
        assert_eq!(monday_of(date(2026, 3, 15)), date(2026, 3, 9));
    }
}
