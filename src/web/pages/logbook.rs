//! The logbook (journal de bord): the list, newest day first, and the new-entry form.

use super::{PlacementView, parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::logbook::{LogbookEntryInput, NOTES_MAX_CHARS, TASKS_MAX_CHARS, validate_entry};
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
) -> Markup {
    let base = placement_url(placement.id);
    let quarters: u32 = entries.iter().map(|e| u32::from(e.hours.quarters())).sum();
    let can_write = matches!(viewer.subject, Subject::Student(_)) && placement.start <= today;
    html! {
        @if can_write {
            a.button.primary href=(format!("{base}/journal/nouvelle")) { "Écrire une entrée" }
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
                        h2 { span.day { (text::date_long(e.date)) } span.hours { (e.hours.to_string()) } }
                        h3.label { "Tâches réalisées" }
                        (multiline(&e.tasks))
                        @if !e.notes.is_empty() {
                            h3.label { "Remarques" }
                            (multiline(&e.notes))
                        }
                    }
                }
            }
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
pub fn logbook_list(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let entries = state.store.logbook(p.id)?;
    let title = match viewer.subject {
        Subject::Student(_) => "Journal de bord".to_string(),
        _ => {
            let v = PlacementView::load(&state.store, p.clone())?;
            format!("Journal de bord {}", text::de(&v.student.name.full()))
        }
    };
    let back = placement_url(p.id);
    let body = logbook_view(&viewer, &p, &entries, state.clock.today());
    Ok(page(&viewer, &title, Some((&back, back_label(&viewer))), body).into_response())
}

fn entry_form(
    viewer: &Viewer,
    placement: &Placement,
    id: LogbookEntryId,
    input: &LogbookEntryInput,
    errors: &FieldErrors,
    today: jiff::civil::Date,
) -> Markup {
    let base = placement_url(placement.id);
    let max = placement.end.min(today);
    html! {
        (error_summary(errors))
        form.stack method="post" action=(format!("{base}/journal")) novalidate {
            (csrf_field(viewer))
            input type="hidden" name="id" value=(id);
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
            button.primary type="submit" { "Enregistrer l'entrée" }
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
        LogbookEntryId::new(),
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
    let input = LogbookEntryInput {
        date: form.get("date").to_string(),
        hours: form.get("hours").to_string(),
        tasks: form.get("tasks").to_string(),
        notes: form.get("notes").to_string(),
    };
    let today = state.clock.today();
    // The form carries a fresh id, so a double submission stores one entry only.
    let entry_id = form
        .get("id")
        .parse()
        .unwrap_or_else(|_| LogbookEntryId::new());
    let existing = state.store.logbook(p.id)?;
    match validate_entry(&input, &p, today, entry_id, state.clock.now(), &existing) {
        Ok(mut entry) => {
            let (stored, new) = state.store.insert_logbook_entry(&entry).await?;
            if !new {
                if stored.placement != p.id {
                    return Err(crate::Error::NotFound);
                }
                // Same id, other content: the form was sent again after "Back" and
                // changed; it is another entry, not a duplicate.
                if !stored.same_content(&entry) {
                    entry.id = LogbookEntryId::new();
                    state.store.insert_logbook_entry(&entry).await?;
                }
            }
            Flash::EntrySaved.set(jar);
            Ok(see_other(&format!("{}/journal", placement_url(p.id))))
        }
        Err(errors) => {
            let back = format!("{}/journal", placement_url(p.id));
            let body = entry_form(&viewer, &p, entry_id, &input, &errors, today);
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
