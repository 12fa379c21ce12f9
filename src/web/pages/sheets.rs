//! Activity sheets (fiches activités): list, create, edit and submit (student), read
//! and complete (tutor), read (referent, coordinator).

use super::{PlacementView, parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::activity::{
    ActivitySheetInput, BODY_MAX_CHARS, COMMENT_MAX_CHARS, SheetContent, TITLE_MAX_CHARS,
    check_submittable, validate_comment, validate_sheet,
};
use crate::domain::{
    ActivitySheet, ActivitySheetId, FieldErrors, Placement, Referential, SheetStatus, Subject,
    TutorComment, text,
};
use crate::error::{Error, Result};
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, described_by, error_summary, field_error, multiline, page};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

fn sheets_url(p: &Placement) -> String {
    format!("{}/fiches", placement_url(p.id))
}

fn sheet_url(p: &Placement, id: ActivitySheetId) -> String {
    format!("{}/fiches/{id}", placement_url(p.id))
}

/// The referential of the diploma of `p`'s student's class.
///
/// # Errors
/// [`Error::Internal`] when the student, class or referential is missing (a broken
/// store); store failure.
pub fn referential_of(state: &State, p: &Placement) -> Result<Referential> {
    let student = state
        .store
        .student(p.student)?
        .ok_or_else(|| Error::Internal("élève absent".into()))?;
    super::competency::class_and_referential(state, &student).map(|(_, referential)| referential)
}

fn status_badge(status: SheetStatus) -> Markup {
    let class = match status {
        SheetStatus::Draft => "badge draft",
        SheetStatus::Submitted => "badge todo",
        SheetStatus::SeenByTutor => "badge done",
    };
    html! { span class=(class) { (status.label()) } }
}

/// `GET /stages/:id/fiches`: the sheets, latest day first (drafts only for the student).
///
/// # Errors
/// 404 when the placement is not this person's; store failure.
#[handler]
pub async fn sheet_list(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    if let Subject::Tutor(t) = viewer.subject {
        crate::notify::seen(&state, t, crate::domain::notify::Seen::Sheets(p.id)).await;
    }
    let sheets: Vec<ActivitySheet> = state
        .store
        .sheets(p.id)?
        .into_iter()
        .filter(|s| permissions::may_see_sheet(&viewer.subject, s))
        .collect();
    let is_student = matches!(viewer.subject, Subject::Student(_));
    let title = if is_student {
        "Fiches activités".to_string()
    } else {
        let v = PlacementView::load(&state.store, p.clone())?;
        format!("Fiches activités {}", text::de(&v.student.name.full()))
    };
    let body = html! {
        @if is_student && p.start <= state.clock.today() {
            a.button.primary href=(format!("{}/nouvelle", sheets_url(&p))) { "Nouvelle fiche activité" }
        }
        @if is_student {
            // Offline outbox (issue 4): app.js lists here the sheets written on this
            // device and not yet on the server.
            ul.cards.outbox-list hidden data-outbox-list="sheet" data-placement=(p.id) {}
        }
        @if sheets.is_empty() {
            p.muted { "Aucune fiche activité pour le moment." }
            @if is_student && p.start > state.clock.today() {
                p { "Vous pourrez en écrire à partir du premier jour de la période, le " (text::date_long(p.start)) "." }
            }
        }
        ul.cards {
            @for s in &sheets {
                li.card {
                    a.card-link href=(sheet_url(&p, s.id)) { strong { (s.title) } }
                    p.muted { (text::date_long(s.date)) }
                    p { (status_badge(s.status)) " " span.codes { (s.competencies.join("\u{a0}· ")) } }
                }
            }
        }
    };
    let back = placement_url(p.id);
    Ok(page(
        &viewer,
        &title,
        Some((&back, super::logbook::back_label(&viewer))),
        body,
    )
    .into_response())
}

/// What the sheet form shows: where it posts, against which referential, with which
/// values and messages.
struct SheetForm<'a> {
    /// For a new sheet: the id it will get, carried by the form so that a double
    /// submission creates one sheet only.
    new_id: Option<ActivitySheetId>,
    title: &'a str,
    action: &'a str,
    placement: &'a Placement,
    referential: &'a Referential,
    input: &'a ActivitySheetInput,
    errors: &'a FieldErrors,
    today: jiff::civil::Date,
}

impl<'a> SheetForm<'a> {
    /// The form of a new sheet, which will get `id`.
    fn new_sheet(
        id: ActivitySheetId,
        action: &'a str,
        placement: &'a Placement,
        referential: &'a Referential,
        input: &'a ActivitySheetInput,
        errors: &'a FieldErrors,
        today: jiff::civil::Date,
    ) -> Self {
        SheetForm {
            new_id: Some(id),
            title: "Nouvelle fiche activité",
            ..SheetForm::edit(action, placement, referential, input, errors, today)
        }
    }

    /// The form of an existing draft.
    fn edit(
        action: &'a str,
        placement: &'a Placement,
        referential: &'a Referential,
        input: &'a ActivitySheetInput,
        errors: &'a FieldErrors,
        today: jiff::civil::Date,
    ) -> Self {
        SheetForm {
            new_id: None,
            title: "Modifier la fiche",
            action,
            placement,
            referential,
            input,
            errors,
            today,
        }
    }
}

fn sheet_form(viewer: &Viewer, f: &SheetForm<'_>) -> Markup {
    let SheetForm {
        action,
        placement,
        referential,
        input,
        errors,
        today,
        ..
    } = *f;
    let err = |f: &str| errors.get(f).map(|_| "true");
    html! {
        (error_summary(errors))
        (field_error(errors, "status"))
        // data-outbox: with JavaScript, the sheet goes through the offline outbox
        // (pwa/app.js, issue 4) under the id of the draft (in `action`) or a new one;
        // without it, this form posts as usual.
        form.stack method="post" action=(action) novalidate data-outbox="sheet"
            data-placement=(placement.id) data-api=(format!("/api/stages/{}/fiches", placement.id))
            data-list=(sheets_url(placement)) data-end=(placement.end) {
            (csrf_field(viewer))
            @if let Some(id) = f.new_id {
                input type="hidden" name="id" value=(id);
            }
            label for="title" { "Titre de l'activité" }
            (field_error(errors, "title"))
            input #title type="text" name="title" value=(input.title) required maxlength=(TITLE_MAX_CHARS)
                placeholder="Ex. : pose d'un tableau divisionnaire"
                aria-invalid=[err("title")] aria-describedby=[described_by(errors, "title")];
            label for="date" { "Date" }
            (field_error(errors, "date"))
            input #date type="date" name="date" value=(input.date) required
                min=(placement.start.to_string()) max=(placement.end.min(today).to_string())
                aria-invalid=[err("date")] aria-describedby=[described_by(errors, "date")];
            label for="context" { "Contexte" span.hint { " (chantier, client, situation)" } }
            (field_error(errors, "context"))
            textarea #context name="context" rows="3" maxlength=(BODY_MAX_CHARS)
                aria-invalid=[err("context")] aria-describedby=[described_by(errors, "context")] { (input.context) }
            label for="work_done" { "Ce que j'ai réalisé" span.hint { " (étapes, rôle, résultat)" } }
            (field_error(errors, "work_done"))
            textarea #work_done name="work_done" rows="6" required maxlength=(BODY_MAX_CHARS)
                aria-invalid=[err("work_done")] aria-describedby=[described_by(errors, "work_done")] { (input.work_done) }
            label for="tools" { "Outils et matériels utilisés" }
            (field_error(errors, "tools"))
            textarea #tools name="tools" rows="3" maxlength=(BODY_MAX_CHARS)
                aria-invalid=[err("tools")] aria-describedby=[described_by(errors, "tools")] { (input.tools) }
            fieldset.competencies aria-describedby=[described_by(errors, "competencies")] {
                legend { "Compétences mobilisées" span.hint { " (" (referential.short_name) ")" } }
                (field_error(errors, "competencies"))
                @for c in &referential.competencies {
                    @let open = input.competencies.contains(&c.code)
                        || c.criteria.iter().any(|k| input.criteria.contains(&k.code));
                    details open[open] {
                        @let ticked = c.criteria.iter().filter(|k| input.criteria.contains(&k.code)).count();
                        summary {
                            strong { (c.code) } " " (c.title)
                            @if input.competencies.contains(&c.code) || ticked > 0 {
                                " " span.badge.done { "✓ cochée" @if ticked > 0 { ", " (ticked) " critère" @if ticked > 1 { "s" } } }
                            }
                        }
                        label.check {
                            input type="checkbox" name="competencies" value=(c.code)
                                checked[input.competencies.contains(&c.code)];
                            " Compétence mobilisée"
                        }
                        @if !c.criteria.is_empty() {
                            p.hint { "Critères d'évaluation concernés :" }
                            @for k in &c.criteria {
                                label.check.criterion {
                                    input type="checkbox" name="criteria" value=(k.code)
                                        checked[input.criteria.contains(&k.code)];
                                    " " span.code { (k.code) } " " (k.title)
                                }
                            }
                        }
                    }
                }
            }
            div.buttons {
                button.primary type="submit" name="action" value="submit" { "Envoyer au tuteur" }
                button type="submit" name="action" value="draft" { "Enregistrer le brouillon" }
            }
        }
    }
}

fn input_of(form: &FormData) -> ActivitySheetInput {
    ActivitySheetInput {
        title: form.get("title").to_string(),
        date: form.get("date").to_string(),
        context: form.get("context").to_string(),
        work_done: form.get("work_done").to_string(),
        tools: form.get("tools").to_string(),
        competencies: form.all("competencies"),
        criteria: form.all("criteria"),
    }
}

/// Checks the form and, when "Envoyer au tuteur" was pressed, that it may be sent.
fn check_form(
    form: &FormData,
    input: &ActivitySheetInput,
    p: &Placement,
    referential: &Referential,
    today: jiff::civil::Date,
) -> std::result::Result<(SheetContent, bool), FieldErrors> {
    let submit = form.get("action") == "submit";
    Ok((check_sheet(input, submit, p, referential, today)?, submit))
}

/// Checks a sheet as the student wrote it ([`validate_sheet`]) and, with `submit`, that
/// it may be sent to the tutor ([`check_submittable`]). Shared by the form and the
/// JSON sync endpoint (issue 4).
///
/// # Errors
/// Every broken rule, by field, in French.
pub fn check_sheet(
    input: &ActivitySheetInput,
    submit: bool,
    p: &Placement,
    referential: &Referential,
    today: jiff::civil::Date,
) -> std::result::Result<SheetContent, FieldErrors> {
    let content = validate_sheet(input, p, referential, today)?;
    if submit {
        check_submittable(&content)?;
    }
    Ok(content)
}

/// A new sheet of `p` with id `id` holding `c`, written at `now`: a draft, or sent to
/// the tutor when `submit`.
pub fn new_sheet(
    id: ActivitySheetId,
    p: &Placement,
    c: &SheetContent,
    submit: bool,
    now: jiff::Timestamp,
) -> ActivitySheet {
    let mut sheet = ActivitySheet {
        id,
        placement: p.id,
        title: String::new(),
        date: c.date,
        context: String::new(),
        work_done: String::new(),
        tools: String::new(),
        competencies: Vec::new(),
        criteria: Vec::new(),
        status: SheetStatus::Draft,
        tutor_comment: None,
        created_at: now,
        updated_at: now,
        submitted_at: None,
    };
    apply_content(&mut sheet, c, submit, now);
    sheet
}

/// What [`save_sheet`] did with a sheet sent under the id its form, or the offline
/// client (issue 4), made.
#[derive(Debug)]
pub enum SheetSaved {
    /// No sheet had this id: stored now.
    Created(ActivitySheet),
    /// The draft with this id now holds the content (sent to the tutor when asked).
    Updated(ActivitySheet),
    /// The sheet with this id was already sent to the tutor: left as it is (returned).
    Locked(ActivitySheet),
}

/// Stores `sheet` (made by [`new_sheet`] from `c` and `submit`) unless its placement
/// already has a sheet with its id; then, while that one is a draft, writes `c` onto it
/// (and sends it when `submit`). Each step is one store transaction, so two concurrent
/// sends of one id leave one sheet. Shared by the form and the JSON sync endpoint.
///
/// # Errors
/// Store failure.
pub async fn save_sheet(
    state: &State,
    sheet: &ActivitySheet,
    c: &SheetContent,
    submit: bool,
) -> Result<SheetSaved> {
    if state.store.insert_sheet(sheet).await? {
        if sheet.status == SheetStatus::Submitted {
            crate::notify::sheet_sent(state, sheet).await;
        }
        return Ok(SheetSaved::Created(sheet.clone()));
    }
    let now = sheet.updated_at;
    match state
        .store
        .update_sheet(sheet.placement, sheet.id, |mut s| {
            (s.status == SheetStatus::Draft).then(|| {
                apply_content(&mut s, c, submit, now);
                s
            })
        })
        .await?
    {
        Some((s, true)) => {
            // Applied only to a draft: with `submit`, it went from draft to sent now.
            if submit {
                crate::notify::sheet_sent(state, &s).await;
            }
            Ok(SheetSaved::Updated(s))
        }
        Some((s, false)) => Ok(SheetSaved::Locked(s)),
        // Sheets are never deleted: the one the insert found is still there.
        None => Err(Error::Internal("fiche activité disparue".into())),
    }
}

fn form_page(viewer: &Viewer, f: &SheetForm<'_>) -> Markup {
    let back = sheets_url(f.placement);
    page(
        viewer,
        f.title,
        Some((&back, "Fiches activités")),
        sheet_form(viewer, f),
    )
}

/// The form again, with its messages and the input kept (422: nothing was stored).
fn rejected(viewer: &Viewer, f: &SheetForm<'_>) -> Response {
    form_page(viewer, f)
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()
}

/// `GET /stages/:id/fiches/nouvelle`: the empty sheet form.
///
/// # Errors
/// 404 unless this is the student's own placement; store failure.
#[handler]
pub fn sheet_new(state: Data<&State>, viewer: Viewer, Path(id): Path<String>) -> Result<Response> {
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let referential = referential_of(&state, &p)?;
    let today = state.clock.today();
    if p.start > today {
        return Ok(see_other(&sheets_url(&p)));
    }
    let input = ActivitySheetInput {
        date: if p.contains(today) {
            today.to_string()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let action = sheets_url(&p);
    Ok(form_page(
        &viewer,
        &SheetForm::new_sheet(
            ActivitySheetId::new(),
            &action,
            &p,
            &referential,
            &input,
            &FieldErrors::default(),
            today,
        ),
    )
    .into_response())
}

/// `POST /stages/:id/fiches`: creates a sheet, as a draft or sent to the tutor.
///
/// # Errors
/// 404 unless this is the student's own placement; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn sheet_create(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let referential = referential_of(&state, &p)?;
    let today = state.clock.today();
    let input = input_of(&form);
    // The form carries the new sheet's id, so a double submission creates one sheet.
    let sheet_id: ActivitySheetId = form.get("id").parse().unwrap_or_default();
    match check_form(&form, &input, &p, &referential, today) {
        Ok((c, submit)) => {
            let mut sheet = new_sheet(sheet_id, &p, &c, submit, state.clock.now());
            // The form was sent again (double tap, or "Back" then changed): while the
            // sheet it created is a draft, this is an update of that draft; once sent,
            // a different content is another sheet.
            if let SheetSaved::Locked(s) = save_sheet(&state, &sheet, &c, submit).await?
                && !s.same_content(&sheet)
            {
                sheet.id = ActivitySheetId::new();
                if state.store.insert_sheet(&sheet).await? && submit {
                    crate::notify::sheet_sent(&state, &sheet).await;
                }
            }
            if submit {
                Flash::SheetSubmitted
            } else {
                Flash::SheetSaved
            }
            .set(jar);
            Ok(see_other(&sheet_url(&p, sheet.id)))
        }
        Err(errors) => {
            let action = sheets_url(&p);
            Ok(rejected(
                &viewer,
                &SheetForm::new_sheet(sheet_id, &action, &p, &referential, &input, &errors, today),
            ))
        }
    }
}

/// Writes the student's checked content onto a draft and, when `submit`, sends it to
/// the tutor.
fn apply_content(to: &mut ActivitySheet, c: &SheetContent, submit: bool, now: jiff::Timestamp) {
    to.title = c.title.clone();
    to.date = c.date;
    to.context = c.context.clone();
    to.work_done = c.work_done.clone();
    to.tools = c.tools.clone();
    to.competencies = c.competencies.clone();
    to.criteria = c.criteria.clone();
    to.updated_at = now;
    if submit {
        to.status = SheetStatus::Submitted;
        to.submitted_at = Some(now);
    }
}

fn load_sheet(
    state: &State,
    viewer: &Viewer,
    pid: &str,
    sid: &str,
) -> Result<(Placement, ActivitySheet)> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(pid)?)?;
    let sheet = state
        .store
        .sheet(p.id, parse_id(sid)?)?
        .filter(|s| permissions::may_see_sheet(&viewer.subject, s))
        .ok_or(Error::NotFound)?;
    Ok((p, sheet))
}

/// "Hélène Caillé, le 27/11/2026": who gave the tutor's review and when.
fn comment_heading(state: &State, sheet: &ActivitySheet) -> Result<Option<String>> {
    let Some(c) = &sheet.tutor_comment else {
        return Ok(None);
    };
    let who = state
        .store
        .tutor(c.tutor)?
        .map_or_else(|| "Le tuteur".to_string(), |t| t.name.full());
    let day = c.at.to_zoned_datetime(state.clock.zone().clone()).date();
    Ok(Some(format!("{who}, le {}", text::date_short(day))))
}

fn sheet_view(
    viewer: &Viewer,
    p: &Placement,
    sheet: &ActivitySheet,
    referential: &Referential,
    comment_input: &str,
    errors: &FieldErrors,
    comment_heading: Option<&str>,
) -> Markup {
    let url = sheet_url(p, sheet.id);
    html! {
        p { (text::date_long(sheet.date)) " " (status_badge(sheet.status)) }
        @if matches!(viewer.subject, Subject::Student(_)) && sheet.status == SheetStatus::Draft {
            div.buttons {
                a.button href=(format!("{url}/modifier")) { "Modifier" }
                form method="post" action=(format!("{url}/envoyer")) {
                    (csrf_field(viewer))
                    button.primary type="submit" { "Envoyer au tuteur" }
                }
            }
            (field_error(errors, "competencies"))
        }
        @if !sheet.context.is_empty() {
            section.card { h2 { "Contexte" } (multiline(&sheet.context)) }
        }
        section.card { h2 { "Ce qui a été réalisé" } (multiline(&sheet.work_done)) }
        @if !sheet.tools.is_empty() {
            section.card { h2 { "Outils et matériels" } (multiline(&sheet.tools)) }
        }
        section.card {
            h2 { "Compétences mobilisées" }
            @if sheet.competencies.is_empty() {
                p.muted { "Aucune compétence indiquée pour le moment." }
            }
            ul.competency-list {
                @for code in &sheet.competencies {
                    @if let Some(c) = referential.competency(code) {
                        li {
                            strong { (c.code) } " " (c.title)
                            @let ticked: Vec<_> = c.criteria.iter().filter(|k| sheet.criteria.contains(&k.code)).collect();
                            @if !ticked.is_empty() {
                                ul { @for k in ticked { li { span.code { (k.code) } " " (k.title) } } }
                            }
                        }
                    } @else {
                        li { strong { (code) } " (ne figure plus dans le référentiel)" }
                    }
                }
            }
        }
        @if let Some(c) = &sheet.tutor_comment {
            section.card.tutor-comment {
                h2 { "Avis du tuteur" }
                @if let Some(h) = comment_heading { p.muted { (h) } }
                @if c.text.is_empty() { p.muted { "Fiche vue, sans commentaire." } } @else { (multiline(&c.text)) }
            }
        }
        @if matches!(viewer.subject, Subject::Tutor(_)) {
            (error_summary(errors))
            form.stack.card method="post" action=(format!("{url}/avis")) {
                (csrf_field(viewer))
                h2 { label for="comment" { "Votre avis sur cette activité" } }
                p.hint { "Complétez si nécessaire ce que l'élève a décrit ; votre avis lui est visible, ainsi qu'à l'enseignant référent." }
                (field_error(errors, "comment"))
                textarea #comment name="comment" rows="5" maxlength=(COMMENT_MAX_CHARS)
                    aria-invalid=[errors.get("comment").map(|_| "true")] aria-describedby=[described_by(errors, "comment")] { (comment_input) }
                button.primary type="submit" {
                    @if sheet.status == SheetStatus::SeenByTutor { "Mettre à jour mon avis" } @else { "Marquer comme vue et enregistrer" }
                }
            }
        }
    }
}

/// `GET /stages/:id/fiches/:sheet`.
///
/// # Errors
/// 404 when the sheet is not visible to this person; store failure.
#[handler]
pub async fn sheet_show(
    state: Data<&State>,
    viewer: Viewer,
    Path((pid, sid)): Path<(String, String)>,
) -> Result<Response> {
    let (p, sheet) = load_sheet(&state, &viewer, &pid, &sid)?;
    if let Subject::Tutor(t) = viewer.subject {
        let seen = crate::domain::notify::Seen::Sheet(p.id, sheet.id);
        crate::notify::seen(&state, t, seen).await;
    }
    let referential = referential_of(&state, &p)?;
    let comment = sheet
        .tutor_comment
        .as_ref()
        .map_or("", |c| c.text.as_str())
        .to_string();
    let back = sheets_url(&p);
    let heading = comment_heading(&state, &sheet)?;
    let body = sheet_view(
        &viewer,
        &p,
        &sheet,
        &referential,
        &comment,
        &FieldErrors::default(),
        heading.as_deref(),
    );
    Ok(page(
        &viewer,
        &sheet.title,
        Some((&back, "Fiches activités")),
        body,
    )
    .into_response())
}

/// `GET /stages/:id/fiches/:sheet/modifier`: the form of a draft.
///
/// # Errors
/// 404 unless it is the student's own draft; store failure.
#[handler]
pub fn sheet_edit(
    state: Data<&State>,
    viewer: Viewer,
    Path((pid, sid)): Path<(String, String)>,
) -> Result<Response> {
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(&pid)?)?;
    let sheet = state
        .store
        .sheet(p.id, parse_id(&sid)?)?
        .ok_or(Error::NotFound)?;
    if sheet.status != SheetStatus::Draft {
        return Ok(see_other(&sheet_url(&p, sheet.id)));
    }
    let referential = referential_of(&state, &p)?;
    let action = sheet_url(&p, sheet.id);
    let input = ActivitySheetInput::from_sheet(&sheet);
    Ok(form_page(
        &viewer,
        &SheetForm::edit(
            &action,
            &p,
            &referential,
            &input,
            &FieldErrors::default(),
            state.clock.today(),
        ),
    )
    .into_response())
}

/// `POST /stages/:id/fiches/:sheet`: saves a draft (and sends it when asked).
///
/// # Errors
/// 404 unless it is the student's own sheet; 403 without a valid anti-CSRF token;
/// store failure.
#[handler]
pub async fn sheet_update(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((pid, sid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(&pid)?)?;
    let sid: ActivitySheetId = parse_id(&sid)?;
    state.store.sheet(p.id, sid)?.ok_or(Error::NotFound)?;
    let referential = referential_of(&state, &p)?;
    let today = state.clock.today();
    let input = input_of(&form);
    match check_form(&form, &input, &p, &referential, today) {
        Ok((c, submit)) => {
            let now = state.clock.now();
            let (updated, saved) = state
                .store
                .update_sheet(p.id, sid, |mut s| {
                    (s.status == SheetStatus::Draft).then(|| {
                        apply_content(&mut s, &c, submit, now);
                        s
                    })
                })
                .await?
                .ok_or(Error::NotFound)?;
            if !saved {
                // Sent to the tutor meanwhile (another tab, another phone): say so and
                // keep what was typed rather than drop it silently.
                let mut errors = FieldErrors::default();
                errors.add(
                    "status",
                    "Cette fiche a déjà été envoyée au tuteur : elle ne peut plus être modifiée et vos changements n'ont pas été enregistrés. Copiez-les si besoin, puis revenez à la fiche.",
                );
                let action = sheet_url(&p, sid);
                return Ok(rejected(
                    &viewer,
                    &SheetForm::edit(&action, &p, &referential, &input, &errors, today),
                )
                .with_status(StatusCode::CONFLICT)
                .into_response());
            }
            if submit {
                // Saved onto a draft: sent to the tutor now.
                crate::notify::sheet_sent(&state, &updated).await;
                Flash::SheetSubmitted
            } else {
                Flash::SheetSaved
            }
            .set(jar);
            Ok(see_other(&sheet_url(&p, sid)))
        }
        Err(errors) => {
            let action = sheet_url(&p, sid);
            Ok(rejected(
                &viewer,
                &SheetForm::edit(&action, &p, &referential, &input, &errors, today),
            ))
        }
    }
}

/// `POST /stages/:id/fiches/:sheet/envoyer`: sends a draft to the tutor.
///
/// # Errors
/// 404 unless it is the student's own sheet; 403 without a valid anti-CSRF token;
/// store failure.
#[handler]
pub async fn sheet_submit(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((pid, sid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(&pid)?)?;
    let sheet = state
        .store
        .sheet(p.id, parse_id(&sid)?)?
        .ok_or(Error::NotFound)?;
    if sheet.status == SheetStatus::Draft && sheet.competencies.is_empty() {
        let referential = referential_of(&state, &p)?;
        let mut errors = FieldErrors::default();
        errors.add(
            "competencies",
            "Cochez au moins une compétence mobilisée (bouton « Modifier ») avant d'envoyer la fiche au tuteur.",
        );
        let back = sheets_url(&p);
        let heading = comment_heading(&state, &sheet)?;
        let body = sheet_view(
            &viewer,
            &p,
            &sheet,
            &referential,
            "",
            &errors,
            heading.as_deref(),
        );
        return Ok(page(
            &viewer,
            &sheet.title,
            Some((&back, "Fiches activités")),
            body,
        )
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response());
    }
    let now = state.clock.now();
    let sent = state
        .store
        .update_sheet(p.id, sheet.id, |mut s| {
            (s.status == SheetStatus::Draft && !s.competencies.is_empty()).then(|| {
                s.status = SheetStatus::Submitted;
                s.submitted_at = Some(now);
                s
            })
        })
        .await?;
    if let Some((s, true)) = sent {
        crate::notify::sheet_sent(&state, &s).await;
    }
    Flash::SheetSubmitted.set(jar);
    Ok(see_other(&sheet_url(&p, sheet.id)))
}

/// `POST /stages/:id/fiches/:sheet/avis`: the tutor's comment; marks the sheet as seen.
/// The student is notified when the sheet is read for the first time, or when the
/// comment changes to a non-empty text; saving the same comment again (nothing is
/// written) or emptying it tells nobody.
///
/// # Errors
/// 404 unless this tutor's student's submitted sheet; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn sheet_review(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((pid, sid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = permissions::tutored_placement(&state.store, &viewer.subject, parse_id(&pid)?)?;
    let sheet = state
        .store
        .sheet(p.id, parse_id(&sid)?)?
        .filter(|s| s.status != SheetStatus::Draft)
        .ok_or(Error::NotFound)?;
    let Subject::Tutor(tutor) = viewer.subject else {
        return Err(Error::NotFound);
    };
    match validate_comment(form.get("comment")) {
        Ok(text) => {
            let now = state.clock.now();
            // News for the student: the sheet is read for the first time, or the
            // comment now says something else (not an emptied one). Decided inside
            // the transaction, against the sheet as it is there.
            let news = std::sync::atomic::AtomicBool::new(false);
            let reviewed = state
                .store
                .update_sheet(p.id, sheet.id, |mut s| {
                    news.store(false, std::sync::atomic::Ordering::Relaxed);
                    if s.status == SheetStatus::Draft {
                        return None;
                    }
                    let before = s.tutor_comment.as_ref().map_or("", |c| c.text.as_str());
                    let first_reading = s.status == SheetStatus::Submitted;
                    if !first_reading && before == text {
                        // Saved again unchanged: nothing to write, nothing to tell.
                        return None;
                    }
                    news.store(
                        first_reading || !text.is_empty(),
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    s.status = SheetStatus::SeenByTutor;
                    s.tutor_comment = Some(TutorComment {
                        text: text.clone(),
                        tutor,
                        at: now,
                    });
                    Some(s)
                })
                .await?;
            if let Some((s, true)) = reviewed
                && news.load(std::sync::atomic::Ordering::Relaxed)
            {
                crate::notify::sheet_reviewed(&state, &p, &s).await;
            }
            Flash::ReviewSaved.set(jar);
            Ok(see_other(&sheet_url(&p, sheet.id)))
        }
        Err(errors) => {
            let referential = referential_of(&state, &p)?;
            let back = sheets_url(&p);
            let heading = comment_heading(&state, &sheet)?;
            let body = sheet_view(
                &viewer,
                &p,
                &sheet,
                &referential,
                form.get("comment"),
                &errors,
                heading.as_deref(),
            );
            Ok(page(
                &viewer,
                &sheet.title,
                Some((&back, "Fiches activités")),
                body,
            )
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response())
        }
    }
}
