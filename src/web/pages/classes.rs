//! Classes (divisions), created by a coordinator (issue 3, "People and classes").

use super::see_other;
use crate::auth::permissions;
use crate::domain::FieldErrors;
use crate::domain::class_form::{CYCLE_YEARS, ClassInput, name_key, validate_class};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, described_by, error_summary, field_error, page};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::Data;
use poem::web::cookie::CookieJar;
use poem::{IntoResponse, Response, handler};

fn class_form(
    state: &State,
    viewer: &Viewer,
    input: &ClassInput,
    errors: &FieldErrors,
) -> Result<Markup> {
    let mut referentials = state.store.referentials()?;
    referentials.sort_by(|a, b| a.short_name.cmp(&b.short_name));
    let body = html! {
        (error_summary(errors))
        form.stack method="post" action="/coordination/classes" novalidate {
            (csrf_field(viewer))
            label for="name" { "Nom de la division" span.hint { " (comme dans le logiciel de vie scolaire, ex. 1MELEC)" } }
            (field_error(errors, "name"))
            input #name type="text" name="name" value=(input.name) required maxlength="30" autocomplete="off"
                aria-invalid=[errors.get("name").map(|_| "true")] aria-describedby=[described_by(errors, "name")];
            label for="diploma" { "Diplôme préparé" }
            (field_error(errors, "diploma"))
            select #diploma name="diploma" required
                aria-invalid=[errors.get("diploma").map(|_| "true")] aria-describedby=[described_by(errors, "diploma")] {
                option value="" { "— choisir —" }
                @for r in &referentials {
                    option value=(r.code) selected[r.code == input.diploma] { (r.short_name) }
                }
            }
            label for="year" { "Année du cycle" }
            (field_error(errors, "year"))
            select #year name="year" required
                aria-invalid=[errors.get("year").map(|_| "true")] aria-describedby=[described_by(errors, "year")] {
                option value="" { "— choisir —" }
                @for (year, value) in CYCLE_YEARS {
                    option value=(value) selected[value == input.year] { (year.label()) }
                }
            }
            button.primary type="submit" { "Créer la classe" }
        }
    };
    Ok(page(
        viewer,
        "Nouvelle classe",
        Some(("/", "Établissement")),
        body,
    ))
}

/// `GET /coordination/classes/nouvelle`: the empty class form.
///
/// # Errors
/// 404 unless a coordinator; store failure.
#[handler]
pub fn class_new(state: Data<&State>, viewer: Viewer) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    Ok(class_form(
        &state,
        &viewer,
        &ClassInput::default(),
        &FieldErrors::default(),
    )?
    .into_response())
}

/// `POST /coordination/classes`: creates a class; the name must be free (case, accents
/// and spaces ignored) and the diploma one of the store's referentials.
///
/// # Errors
/// 404 unless a coordinator; 403 without a valid anti-CSRF token; store failure.
#[handler]
pub async fn class_create(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    viewer.check_csrf(&form)?;
    let input = ClassInput {
        name: form.get("name").to_string(),
        diploma: form.get("diploma").to_string(),
        year: form.get("year").to_string(),
    };
    let diplomas: Vec<String> = state
        .store
        .referentials()?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let taken: Vec<String> = state
        .store
        .classes()?
        .iter()
        .map(|c| name_key(&c.name))
        .collect();
    let rejected = |errors: FieldErrors| -> Result<Response> {
        Ok(class_form(&state, &viewer, &input, &errors)?
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response())
    };
    let class = match validate_class(&input, &diplomas, &taken) {
        Ok(c) => c,
        Err(errors) => return rejected(errors),
    };
    if !state.store.insert_class(&class).await? {
        let mut errors = FieldErrors::default();
        errors.add(
            "name",
            format!("Une classe « {} » existe déjà.", class.name),
        );
        return rejected(errors);
    }
    Flash::ClassCreated.set(jar);
    Ok(see_other("/"))
}
