//! The logbook (journal de bord): the list, newest day first, and the new-entry form.

use super::{PlacementView, parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::logbook::{
    LogbookEntryInput, NOTES_MAX_CHARS, TASKS_MAX_CHARS, parse_date, validate_entry,
};
use crate::domain::{FieldErrors, LogbookEntry, LogbookEntryId, Placement, Subject, text};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, described_by, error_summary, field_error, multiline, page};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// The logbook page's body: entries newest first, with the total of hours.
pub fn logbook_view(
    viewer: &Viewer,
    placement: &Placement,
    entries: &[LogbookEntry],
    today: jiff::civil::Date,
    zone: &jiff::tz::TimeZone,
) -> Markup {
    let is_student = matches!(viewer.subject, Subject::Student(_));
    let base = placement_url(placement.id);
    let quarters: u32 = entries.iter().map(|e| u32::from(e.hours.quarters())).sum();
    let can_write = matches!(viewer.subject, Subject::Student(_)) && placement.start <= today;
    html! {
        @if can_write {
            a.button.primary href=(format!("{base}/journal/nouvelle")) { "Écrire une entrée" }
        }
        @if is_student {
            // Offline outbox (issue 4): app.js lists here the entries written on this
            // device and not yet on the server.
            ol.entries.outbox-list hidden data-outbox-list="logbook" data-placement=(placement.id) {}
        }
        @if entries.is_empty() {
            p.muted { "Le journal de bord est encore vide." }
            @if matches!(viewer.subject, Subject::Student(_)) && placement.start > today {
                p { "Vous pourrez y écrire à partir du premier jour de la période, le " (text::date_long(placement.start)) "." }
            }
        } @else {
            p.muted {
                (entries.len()) " " (if entries.len() > 1 { "entrées" } else { "entrée" })
                "\u{a0}· " (format_total(quarters)) " au total"
            }
            ol.entries {
                @for e in entries {
                    li.card.entry {
                        h2 id=(format!("entree-{}", e.id)) { span.day { (text::date_long(e.date)) } span.hours { (e.hours.to_string()) } }
                        h3.label { "Tâches réalisées" }
                        (multiline(&e.tasks))
                        @if !e.notes.is_empty() {
                            h3.label { "Remarques" }
                            (multiline(&e.notes))
                        }
                        @if let Some(at) = e.updated_at {
                            p.muted.small { "Corrigée par l'élève le " (text::date_short(at.to_zoned_datetime(zone.clone()).date())) }
                        }
                        @if is_student {
                            a.small href=(format!("{base}/journal/{}/modifier", e.id)) { "Corriger" span.visually-hidden { " l'entrée du " (text::date_short(e.date)) } }
                        }
                    }
                }
            }
        }
        @if is_student {
            // Filled by app.js: whether the browser keeps offline data for good.
            p.small.muted #storage-status hidden {}
        }
    }
}

/// Label of the link back to the placement page, named as that page is titled.
pub fn back_label(viewer: &Viewer) -> &'static str {
    match viewer.subject {
        Subject::Student(_) => "Ma période en entreprise",
        _ => "Dossier de l'élève",
    }
}

fn format_total(quarters: u32) -> String {
    let (h, m) = (quarters / 4, (quarters % 4) * 15);
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m:02}")
    }
}

/// `GET /stages/:id/journal`.
///
/// # Errors
/// 404 when the placement is not this person's; store failure.
#[handler]
pub async fn logbook_list(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    if let Subject::Tutor(t) = viewer.subject {
        crate::notify::seen(&state, t, crate::domain::notify::Seen::Logbook(p.id)).await;
    }
    let entries = state.store.logbook(p.id)?;
    let title = match viewer.subject {
        Subject::Student(_) => "Journal de bord".to_string(),
        _ => {
            let v = PlacementView::load(&state.store, p.clone())?;
            format!("Journal de bord {}", text::de(&v.student.name.full()))
        }
    };
    let back = placement_url(p.id);
    let body = logbook_view(
        &viewer,
        &p,
        &entries,
        state.clock.today(),
        state.clock.zone(),
    );
    Ok(page(&viewer, &title, Some((&back, back_label(&viewer))), body).into_response())
}

/// What the entry form writes: a new entry (with the id it will get, so a double
/// submission stores one entry) or a correction of an existing one.
#[derive(Clone, Copy)]
enum EntryTarget {
    New(LogbookEntryId),
    Existing(LogbookEntryId),
}

fn entry_form(
    viewer: &Viewer,
    placement: &Placement,
    target: EntryTarget,
    input: &LogbookEntryInput,
    errors: &FieldErrors,
    today: jiff::civil::Date,
) -> Markup {
    let base = placement_url(placement.id);
    let max = placement.end.min(today);
    let (action, new_id, label) = match target {
        EntryTarget::New(id) => (format!("{base}/journal"), Some(id), "Enregistrer l'entrée"),
        EntryTarget::Existing(id) => (
            format!("{base}/journal/{id}"),
            None,
            "Enregistrer la correction",
        ),
    };
    html! {
        (error_summary(errors))
        // data-outbox: with JavaScript, a new entry goes through the offline outbox
        // (pwa/app.js, issue 4); without it, this form posts as usual.
        form.stack method="post" action=(action) novalidate
            data-outbox=[new_id.map(|_| "logbook")]
            data-placement=[new_id.map(|_| placement.id.to_string())]
            data-api=[new_id.map(|_| format!("/api/stages/{}/journal", placement.id))]
            data-list=[new_id.map(|_| format!("{base}/journal"))]
            data-end=[new_id.map(|_| placement.end.to_string())] {
            (csrf_field(viewer))
            @if let Some(id) = new_id {
                input type="hidden" name="id" value=(id);
            }
            label for="date" { "Date" }
            (field_error(errors, "date"))
            input #date type="date" name="date" value=(input.date) required
                min=(placement.start.to_string()) max=(max.to_string())
                aria-invalid=[errors.get("date").map(|_| "true")] aria-describedby=[described_by(errors, "date")];
            label for="hours" { "Heures de présence" span.hint { " (par quarts d'heure, par exemple 7 ou 7h30)" } }
            (field_error(errors, "hours"))
            input #hours type="text" name="hours" value=(input.hours) required
                autocomplete="off" placeholder="7h30"
                aria-invalid=[errors.get("hours").map(|_| "true")] aria-describedby=[described_by(errors, "hours")];
            label for="tasks" { "Tâches réalisées" }
            (field_error(errors, "tasks"))
            textarea #tasks name="tasks" rows="6" required maxlength=(TASKS_MAX_CHARS)
                aria-invalid=[errors.get("tasks").map(|_| "true")] aria-describedby=[described_by(errors, "tasks")] { (input.tasks) }
            label for="notes" { "Remarques, difficultés, ce que j'ai appris" span.hint { " (facultatif)" } }
            (field_error(errors, "notes"))
            textarea #notes name="notes" rows="4" maxlength=(NOTES_MAX_CHARS)
                aria-invalid=[errors.get("notes").map(|_| "true")] aria-describedby=[described_by(errors, "notes")] { (input.notes) }
            button.primary type="submit" { (label) }
        }
    }
}

/// `GET /stages/:id/journal/nouvelle`: the empty form (today's date when it falls in
/// the period).
///
/// # Errors
/// 404 unless this is the student's own placement; store failure.
#[handler]
pub fn logbook_new(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let today = state.clock.today();
    if p.start > today {
        // Nothing can be written before the period starts: the list says from when.
        return Ok(see_other(&format!("{}/journal", placement_url(p.id))));
    }
    let input = LogbookEntryInput {
        date: if p.contains(today) {
            today.to_string()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let back = format!("{}/journal", placement_url(p.id));
    let body = entry_form(
        &viewer,
        &p,
        EntryTarget::New(LogbookEntryId::new()),
        &input,
        &FieldErrors::default(),
        today,
    );
    Ok(page(
        &viewer,
        "Nouvelle entrée",
        Some((&back, "Journal de bord")),
        body,
    )
    .into_response())
}

/// `POST /stages/:id/journal`: checks and stores an entry, then back to the list. On
/// an error the form comes back (422) with the messages and what was typed.
///
/// # Errors
/// 404 unless this is the student's own placement; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn logbook_save(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let input = input_of(&form);
    let today = state.clock.today();
    // The form carries a fresh id, so a double submission stores one entry only.
    let entry_id = form
        .get("id")
        .parse()
        .unwrap_or_else(|_| LogbookEntryId::new());
    match store_new_entry(&state, &p, &input, entry_id).await? {
        NewEntry::Stored(_) => {
            Flash::EntrySaved.set(jar);
            Ok(see_other(&format!("{}/journal", placement_url(p.id))))
        }
        NewEntry::Already { stored, mut sent } => {
            // Same id, other content: the form was sent again after "Back" and
            // changed; it is another entry, not a duplicate.
            if !stored.same_content(&sent) {
                sent.id = LogbookEntryId::new();
                let (written, new) = state.store.insert_logbook_entry(&sent).await?;
                if new {
                    crate::notify::entry_written(&state, &p, &written).await;
                }
            }
            Flash::EntrySaved.set(jar);
            Ok(see_other(&format!("{}/journal", placement_url(p.id))))
        }
        NewEntry::Invalid(errors) => {
            let back = format!("{}/journal", placement_url(p.id));
            let body = entry_form(
                &viewer,
                &p,
                EntryTarget::New(entry_id),
                &input,
                &errors,
                today,
            );
            Ok(page(
                &viewer,
                "Nouvelle entrée",
                Some((&back, "Journal de bord")),
                body,
            )
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response())
        }
    }
}

/// What [`store_new_entry`] did with an entry sent under the id its form, or the
/// offline client (issue 4), made.
#[derive(Debug)]
pub enum NewEntry {
    /// Checked and stored now.
    Stored(LogbookEntry),
    /// The placement already holds an entry with this id (a form sent twice, an outbox
    /// replayed, two tabs at once): nothing was written. `stored` is that entry, `sent`
    /// the checked entry of this request (its content may differ).
    Already {
        /// The entry stored earlier under the id.
        stored: LogbookEntry,
        /// This request's entry, checked.
        sent: LogbookEntry,
    },
    /// Refused by the rules: French messages by field; nothing was stored.
    Invalid(FieldErrors),
}

/// Checks a new logbook entry of placement `p` with the rules of issue 2
/// ([`validate_entry`], the day's stored entries counting for the 24-hour rule) and
/// stores it under `id` unless an entry with that id exists. The id check and the write
/// are one store transaction, so two concurrent sends of one id store one entry (issue
/// 4). Shared by the HTML form (`logbook_save`) and the JSON sync endpoint
/// (`web::api::logbook_sync`).
///
/// # Errors
/// [`crate::Error::NotFound`] when `id` is already the id of another placement's entry;
/// store failure.
pub async fn store_new_entry(
    state: &State,
    p: &Placement,
    input: &LogbookEntryInput,
    id: LogbookEntryId,
) -> Result<NewEntry> {
    let existing = same_day(state, p, input)?;
    let entry = match validate_entry(
        input,
        p,
        state.clock.today(),
        id,
        state.clock.now(),
        &existing,
    ) {
        Ok(entry) => entry,
        Err(errors) => return Ok(NewEntry::Invalid(errors)),
    };
    let (stored, new) = state.store.insert_logbook_entry(&entry).await?;
    if new {
        crate::notify::entry_written(state, p, &stored).await;
        Ok(NewEntry::Stored(stored))
    } else if stored.placement != p.id {
        Err(crate::Error::NotFound)
    } else {
        Ok(NewEntry::Already {
            stored,
            sent: entry,
        })
    }
}

fn input_of(form: &FormData) -> LogbookEntryInput {
    LogbookEntryInput {
        date: form.get("date").to_string(),
        hours: form.get("hours").to_string(),
        tasks: form.get("tasks").to_string(),
        notes: form.get("notes").to_string(),
    }
}

/// The placement's stored entries on the day the form names (none when the date does
/// not parse: the form is refused anyway), for the 24-hours-a-day rule.
fn same_day(state: &State, p: &Placement, input: &LogbookEntryInput) -> Result<Vec<LogbookEntry>> {
    match parse_date(&input.date) {
        Ok(day) => Ok(state.store.logbook_of_day(p.id, day)?),
        Err(_) => Ok(Vec::new()),
    }
}

fn own_entry(
    state: &State,
    viewer: &Viewer,
    pid: &str,
    eid: &str,
) -> Result<(Placement, LogbookEntry)> {
    let p = permissions::own_placement(&state.store, &viewer.subject, parse_id(pid)?)?;
    let entry = state
        .store
        .logbook_entry(parse_id(eid)?)?
        .filter(|e| e.placement == p.id)
        .ok_or(crate::Error::NotFound)?;
    Ok((p, entry))
}

fn correction_page(viewer: &Viewer, p: &Placement, body: Markup) -> Markup {
    let back = format!("{}/journal", placement_url(p.id));
    page(
        viewer,
        "Corriger une entrée",
        Some((&back, "Journal de bord")),
        body,
    )
}

/// `GET /stages/:id/journal/:entry/modifier`: the form of one of the student's own
/// entries, filled with what is stored.
///
/// # Errors
/// 404 unless the entry belongs to this student's placement; store failure.
#[handler]
pub fn logbook_edit(
    state: Data<&State>,
    viewer: Viewer,
    Path((pid, eid)): Path<(String, String)>,
) -> Result<Response> {
    let (p, entry) = own_entry(&state, &viewer, &pid, &eid)?;
    let input = LogbookEntryInput::from_entry(&entry);
    let body = entry_form(
        &viewer,
        &p,
        EntryTarget::Existing(entry.id),
        &input,
        &FieldErrors::default(),
        state.clock.today(),
    );
    Ok(correction_page(&viewer, &p, body).into_response())
}

/// `POST /stages/:id/journal/:entry`: stores the student's correction of an entry
/// (same rules as a new entry); the entry then shows when it was corrected.
///
/// # Errors
/// 404 unless the entry belongs to this student's placement; 403 without a valid
/// anti-CSRF token; store failure.
#[handler]
pub async fn logbook_update(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((pid, eid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (p, entry) = own_entry(&state, &viewer, &pid, &eid)?;
    let input = input_of(&form);
    let today = state.clock.today();
    let now = state.clock.now();
    let mut others = same_day(&state, &p, &input)?;
    others.retain(|e| e.id != entry.id);
    match validate_entry(&input, &p, today, entry.id, now, &others) {
        Ok(mut corrected) => {
            if !corrected.same_content(&entry) {
                corrected.created_at = entry.created_at;
                corrected.updated_at = Some(now);
                if !state.store.replace_logbook_entry(&corrected).await? {
                    return Err(crate::Error::NotFound);
                }
            }
            Flash::EntryCorrected.set(jar);
            Ok(see_other(&format!("{}/journal", placement_url(p.id))))
        }
        Err(errors) => {
            let body = entry_form(
                &viewer,
                &p,
                EntryTarget::Existing(entry.id),
                &input,
                &errors,
                today,
            );
            Ok(correction_page(&viewer, &p, body)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response())
        }
    }
}
