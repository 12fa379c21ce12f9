//! Classes (divisions), created by a coordinator (issue 3, "People and classes").

use super::staff::{invite_button, status_button};
use super::{PlacementView, parse_id, placement_url, see_other, tutor_access};
use crate::auth::permissions;
use crate::domain::class_form::{
    CYCLE_YEARS, ClassInput, name_key, validate_class, years_for_level,
};
use crate::domain::{FieldErrors, Subject, text};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{count, csrf_field, described_by, error_summary, field_error, page};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
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
                // Grouped by diploma level: the year must suit the diploma chosen.
                @for (group, level) in [("CAP", "cap"), ("Bac Pro", "bac-pro"), ("BTS", "bts")] {
                    optgroup label=(group) {
                        @for (year, value) in CYCLE_YEARS.iter().filter(|(y, _)| years_for_level(level).contains(y)) {
                            option value=(value) selected[*value == input.year] { (year.label()) }
                        }
                    }
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
/// and spaces ignored), the diploma one of the store's referentials, and the year one
/// in which that diploma is prepared (see `class_form::years_for_level`).
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
    let diplomas = state.store.referentials()?;
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

/// `GET /coordination/classes/:id`: one class: its students (invite, deactivate) and
/// their placements with each one's phase (à venir / en cours / terminée) and the state
/// of the tutor's access (issue 3, item 5).
///
/// # Errors
/// 404 unless a coordinator or for an unknown class; store failure.
#[handler]
pub fn class_show(state: Data<&State>, viewer: Viewer, Path(id): Path<String>) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let store = &state.store;
    let class = store
        .class(parse_id(&id)?)?
        .ok_or(crate::error::Error::NotFound)?;
    let today = state.clock.today();
    let referential = store.referential(&class.diploma)?;
    let students = store.students_of_class(class.id)?;
    let mut placements = Vec::new();
    for s in &students {
        for p in store.placements_of_student(s.id)? {
            placements.push(p);
        }
    }
    placements.sort_by_key(|p| p.attention_order(today));
    let mut rows = Vec::new();
    for p in placements {
        let v = PlacementView::load(store, p)?;
        let badge = tutor_access::access_badge(&state, v.tutor.id)?;
        rows.push((v, badge));
    }
    let views: Vec<&PlacementView> = rows.iter().map(|(v, _)| v).collect();
    let requests = tutor_access::requests_notice(&state, &views)?;
    let body = html! {
        p.muted {
            (class.year.label()) "\u{a0}· "
            (referential.as_ref().map_or(class.diploma.as_str(), |r| r.short_name.as_str()))
            "\u{a0}· " (count(students.len(), "élève", "élèves"))
        }
        (requests)
        h2 { "Périodes de formation en entreprise" }
        a.button.primary href="/coordination/stages/nouvelle" { "Nouvelle période de formation" }
        @if rows.is_empty() {
            p.muted { "Aucune période n'est encore enregistrée pour les élèves de cette classe." }
        } @else {
            ul.cards {
                @for (v, badge) in &rows {
                    li.card {
                        a.card-link href=(placement_url(v.placement.id)) {
                            strong { (v.student.name.full()) }
                        }
                        p {
                            "Du " (text::date_short(v.placement.start)) " au " (text::date_short(v.placement.end))
                            " " span.badge { span.nowrap { (v.placement.phase(today).label()) } }
                        }
                        p { (v.company.name) ", tuteur\u{a0}: " (v.tutor.name.full()) br;
                            span.muted { "Référent\u{a0}: " (v.referent.name.full()) } }
                        p { (badge) }
                    }
                }
            }
        }
        h2 { "Élèves" }
        a.button.secondary href="/coordination/import" { "Importer une liste d'élèves" }
        @if students.is_empty() {
            p.muted { "Aucun élève dans cette classe : importez la liste exportée du logiciel de vie scolaire." }
        } @else {
            section.card {
                ul.people {
                    @for s in &students {
                        li {
                            span {
                                (s.name.last.to_uppercase()) " " (s.name.first)
                                @if !s.active { " " span.muted { "(désactivé)" } }
                                @if let Some(d) = s.birth_date { br; span.muted.small { "né(e) le " (text::date_short(d)) } }
                            }
                            span.person-actions {
                                @if s.active {
                                    a.small href=(format!("/coordination/stages/nouvelle?eleve={}", s.id)) { "Période" span.visually-hidden { " pour " (s.name.full()) } }
                                    (invite_button(&viewer, &Subject::Student(s.id), &s.name))
                                }
                                (status_button(&viewer, &Subject::Student(s.id), &s.name, s.active))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        &viewer,
        &format!("Classe {}", class.name),
        Some(("/", "Établissement")),
        body,
    )
    .into_response())
}
