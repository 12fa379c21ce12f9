//! The school's staff (teachers, coordinators) and invitations (issue 3): a
//! coordinator adds people and gives students and staff a single-use, seven-day
//! invitation link, shown once to be passed on.

use super::see_other;
use crate::auth;
use crate::auth::permissions;
use crate::domain::staff_form::{NewStaff, Staff, StaffInput, validate_staff};
use crate::domain::{CoordinatorId, FieldErrors, PersonName, StudentId, Subject, TeacherId, text};
use crate::error::{Error, Result};
use crate::store::SchoolSeed;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer, active_name};
use crate::web::layout::{csrf_field, described_by, error_summary, field_error, page};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::Data;
use poem::web::cookie::CookieJar;
use poem::{IntoResponse, Response, handler};

/// The value an "Inviter" button sends for a person: `eleve:<id>`, `enseignant:<id>`
/// or `coordination:<id>`.
pub fn person_value(subject: &Subject) -> String {
    match subject {
        Subject::Student(id) => format!("eleve:{id}"),
        Subject::Teacher(id) => format!("enseignant:{id}"),
        Subject::Coordinator(id) => format!("coordination:{id}"),
        Subject::Tutor(id) => format!("tuteur:{id}"),
    }
}

fn parse_person(value: &str) -> Option<Subject> {
    let (kind, id) = value.split_once(':')?;
    Some(match kind {
        "eleve" => Subject::Student(id.parse::<StudentId>().ok()?),
        "enseignant" => Subject::Teacher(id.parse::<TeacherId>().ok()?),
        "coordination" => Subject::Coordinator(id.parse::<CoordinatorId>().ok()?),
        _ => return None,
    })
}

/// The "Inviter" button of one person (a small POST form).
pub fn invite_button(viewer: &Viewer, subject: &Subject, name: &PersonName) -> Markup {
    html! {
        form.inline method="post" action="/coordination/invitations" {
            (csrf_field(viewer))
            input type="hidden" name="person" value=(person_value(subject));
            button.small type="submit" { "Inviter" span.visually-hidden { " " (name.full()) } }
        }
    }
}

fn staff_form(viewer: &Viewer, input: &StaffInput, errors: &FieldErrors) -> Markup {
    let err = |f: &str| errors.get(f).map(|_| "true");
    let body = html! {
        (error_summary(errors))
        form.stack method="post" action="/coordination/equipe" novalidate {
            (csrf_field(viewer))
            input type="hidden" name="id" value=(input.id);
            label for="first_name" { "Prénom" }
            (field_error(errors, "first_name"))
            input #first_name type="text" name="first_name" value=(input.first_name) required autocomplete="off"
                aria-invalid=[err("first_name")] aria-describedby=[described_by(errors, "first_name")];
            label for="last_name" { "Nom" }
            (field_error(errors, "last_name"))
            input #last_name type="text" name="last_name" value=(input.last_name) required autocomplete="off"
                aria-invalid=[err("last_name")] aria-describedby=[described_by(errors, "last_name")];
            label for="email" { "Adresse e-mail" span.hint { " (facultatif)" } }
            (field_error(errors, "email"))
            input #email type="email" name="email" value=(input.email) autocomplete="off"
                aria-invalid=[err("email")] aria-describedby=[described_by(errors, "email")];
            label for="role" { "Rôle" }
            (field_error(errors, "role"))
            select #role name="role" required aria-invalid=[err("role")] aria-describedby=[described_by(errors, "role")] {
                option value="" { "— choisir —" }
                option value="enseignant" selected[input.role == "enseignant"] { "Enseignant (peut être référent)" }
                option value="coordination" selected[input.role == "coordination"] { "Coordination (équipe pédagogique, DDFPT)" }
            }
            button.primary type="submit" { "Ajouter" }
        }
    };
    page(
        viewer,
        "Ajouter un membre de l'équipe",
        Some(("/", "Établissement")),
        body,
    )
}

/// `GET /coordination/equipe/nouveau`: the empty staff form, carrying the new
/// member's id (see [`staff_create`]).
///
/// # Errors
/// 404 unless a coordinator.
#[handler]
pub fn staff_new(viewer: Viewer) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let input = StaffInput {
        id: uuid::Uuid::new_v4().to_string(),
        ..StaffInput::default()
    };
    Ok(staff_form(&viewer, &input, &FieldErrors::default()).into_response())
}

/// `POST /coordination/equipe`: adds a teacher or a coordinator. The form carries the
/// new member's id: sent again (double tap, "Back" then send), it adds nobody more
/// and says so; a form without a readable id gets a fresh one. A second member of
/// the same role and name is refused (see [`validate_staff`]).
///
/// # Errors
/// 404 unless a coordinator; 403 without a valid anti-CSRF token; store failure.
#[handler]
pub async fn staff_create(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    viewer.check_csrf(&form)?;
    let id = form
        .get("id")
        .trim()
        .parse::<uuid::Uuid>()
        .unwrap_or_else(|_| uuid::Uuid::new_v4());
    let store = &state.store;
    if store.teacher(TeacherId(id))?.is_some() || store.coordinator(CoordinatorId(id))?.is_some() {
        Flash::StaffAlreadySaved.set(jar);
        return Ok(see_other("/"));
    }
    let input = StaffInput {
        id: id.to_string(),
        first_name: form.get("first_name").to_string(),
        last_name: form.get("last_name").to_string(),
        email: form.get("email").to_string(),
        role: form.get("role").to_string(),
    };
    let (teachers, coordinators) = (store.teachers()?, store.coordinators()?);
    let existing = Staff {
        teachers: &teachers,
        coordinators: &coordinators,
    };
    // Two sends of one form racing past the check above write the same id: one record.
    let seed = match validate_staff(&input, id, existing) {
        Ok(NewStaff::Teacher(t)) => SchoolSeed {
            teachers: vec![t],
            ..Default::default()
        },
        Ok(NewStaff::Coordinator(c)) => SchoolSeed {
            coordinators: vec![c],
            ..Default::default()
        },
        Err(errors) => {
            return Ok(staff_form(&viewer, &input, &errors)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    state.store.seed(&seed).await?;
    Flash::StaffCreated.set(jar);
    Ok(see_other("/"))
}

/// `POST /coordination/invitations`: issues a single-use invitation for an active
/// student, teacher or coordinator (revoking their previous one) and shows it once.
///
/// # Errors
/// 404 unless a coordinator, or for an unknown or inactive person; 403 without a valid
/// anti-CSRF token; store failure.
#[handler]
pub async fn invitation_create(
    state: Data<&State>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    viewer.check_csrf(&form)?;
    let subject = parse_person(form.get("person")).ok_or(Error::NotFound)?;
    let name = active_name(&state, &subject)?.ok_or(Error::NotFound)?;
    let secret = auth::issue_invitation(&state.store, &state.clock, subject).await?;
    tracing::info!(role = subject.role_label(), "invitation émise");
    Ok(invitation_shown_once(
        &state,
        &viewer,
        &subject,
        &name,
        &secret,
        ("/", "Retour à l'établissement"),
    ))
}

/// The page that shows a new invitation of `subject` once (the secret is never shown
/// again), with its expiry and a button back to `back` (URL, French label).
pub fn invitation_shown_once(
    state: &State,
    viewer: &Viewer,
    subject: &Subject,
    name: &PersonName,
    secret: &str,
    back: (&str, &str),
) -> Response {
    let url = format!("{}/acces/{secret}", state.config.public_url);
    let until = state
        .clock
        .now_zoned()
        .checked_add(jiff::SignedDuration::from_hours(24 * auth::INVITATION_DAYS))
        .unwrap_or_else(|_| state.clock.now_zoned());
    let body = html! {
        p { "Transmettez ce lien à " strong { (name.full()) } " (" (subject.role_label()) ") : il ouvre son espace une seule fois, jusqu'au " (text::date_time_long(until.datetime())) "." }
        p.link-box { code { (url) } }
        p.hint { "Le lien n'est affiché qu'ici : copiez-le maintenant. Une nouvelle invitation remplace celle-ci." }
        p.hint { "L'invitation mène à la création d'une clé d'accès. Elle ne retire rien : les clés d'accès déjà enregistrées restent valables, et pourront être supprimées depuis « Clés d'accès » une fois la nouvelle créée." }
        a.button href=(back.0) { (back.1) }
    };
    page(
        viewer,
        "Lien d'invitation",
        super::competency::back_link(&viewer.subject),
        body,
    )
    .into_response()
}

/// The "Désactiver" / "Réactiver" button of one student, teacher or coordinator.
pub fn status_button(
    viewer: &Viewer,
    subject: &Subject,
    name: &PersonName,
    active: bool,
) -> Markup {
    if *subject == viewer.subject {
        return html! {};
    }
    html! {
        form.inline method="post" action="/coordination/personnes/statut" {
            (csrf_field(viewer))
            input type="hidden" name="person" value=(person_value(subject));
            input type="hidden" name="active" value=(if active { "0" } else { "1" });
            button.small.secondary type="submit" {
                @if active { "Désactiver" } @else { "Réactiver" }
                span.visually-hidden { " " (name.full()) }
            }
        }
    }
}

/// `POST /coordination/personnes/statut`: deactivates (`active=0`) or reactivates
/// (`active=1`) a student, teacher or coordinator. Deactivating ends their sessions at
/// once and makes their links and invitations open nothing (issue 3). A coordinator
/// cannot deactivate themself (the school would risk having nobody left to manage it).
///
/// # Errors
/// 404 unless a coordinator, for an unknown person or for oneself; 403 without a valid
/// anti-CSRF token; store failure.
#[handler]
pub async fn person_status_update(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    viewer.check_csrf(&form)?;
    let subject = parse_person(form.get("person")).ok_or(Error::NotFound)?;
    if subject == viewer.subject {
        return Err(Error::NotFound);
    }
    let active = match form.get("active") {
        "1" => true,
        "0" => false,
        _ => return Err(Error::BadRequest("statut inconnu".into())),
    };
    if !state.store.set_person_active(&subject, active).await? {
        return Err(Error::NotFound);
    }
    tracing::info!(role = subject.role_label(), active, "compte (dés)activé");
    if active {
        Flash::PersonReactivated.set(jar);
    } else {
        Flash::PersonDeactivated.set(jar);
    }
    // Back to where the button was: a student's class page, or the home for staff.
    let back = match subject {
        Subject::Student(id) => state.store.student(id)?.map_or("/".to_string(), |s| {
            format!("/coordination/classes/{}", s.class)
        }),
        _ => "/".to_string(),
    };
    Ok(see_other(&back))
}
