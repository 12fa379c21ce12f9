//! Declaring and editing a placement (PFMP) (issue 3, item 5). A coordinator declares
//! it; a coordinator or its referent teacher edits it. The form works without
//! JavaScript: the company and the tutor are picked in a list, or typed in a fieldset
//! when new; when editing, the fieldsets hold the current company's and tutor's
//! details, which can be corrected. Dates that overlap another period of the same
//! student bring the form back with a warning and a checkbox to save anyway.

use super::{parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::logbook::parse_date;
use crate::domain::placement_form::{
    Choices, Editing, NEW_COMPANY, NEW_TUTOR, PlacementInput, overlap_value, overlaps_to_confirm,
    validate_placement,
};
use crate::domain::{
    Class, Company, FieldErrors, Placement, PlacementId, Student, StudentId, Subject, Teacher,
    Tutor, text,
};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, described_by, error_summary, field_error, page};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// What the form may point to, read once per request.
struct Lists {
    /// Classes with the students who may be placed, by surname (classes without any
    /// are left out).
    classes: Vec<(Class, Vec<Student>)>,
    /// The same students, flat.
    students: Vec<Student>,
    companies: Vec<Company>,
    tutors: Vec<Tutor>,
    /// Active teachers.
    teachers: Vec<Teacher>,
}

impl Lists {
    /// Active students (plus `keep`, the student of the edited placement, even if
    /// deactivated), every company and tutor, active teachers.
    fn load(store: &Store, keep: Option<StudentId>) -> Result<Lists> {
        let mut classes = Vec::new();
        let mut students = Vec::new();
        for class in store.classes()? {
            let members: Vec<Student> = store
                .students_of_class(class.id)?
                .into_iter()
                .filter(|s| s.active || Some(s.id) == keep)
                .collect();
            if !members.is_empty() {
                students.extend(members.iter().cloned());
                classes.push((class, members));
            }
        }
        Ok(Lists {
            classes,
            students,
            companies: store.companies()?,
            tutors: store.tutors()?,
            teachers: store.teachers()?.into_iter().filter(|t| t.active).collect(),
        })
    }

    fn choices(&self) -> Choices<'_> {
        Choices {
            students: &self.students,
            companies: &self.companies,
            tutors: &self.tutors,
            teachers: &self.teachers,
        }
    }

    fn company_name(&self, id: crate::domain::CompanyId) -> &str {
        self.companies
            .iter()
            .find(|c| c.id == id)
            .map_or("", |c| c.name.as_str())
    }
}

/// Which form: a new placement (with the id the form makes) or an edited one.
enum Mode<'a> {
    Create(PlacementId),
    Edit(Editing<'a>),
}

impl Mode<'_> {
    fn editing(&self) -> Option<Editing<'_>> {
        match self {
            Mode::Create(_) => None,
            Mode::Edit(e) => Some(*e),
        }
    }

    fn id(&self) -> PlacementId {
        match self {
            Mode::Create(id) => *id,
            Mode::Edit(e) => e.placement.id,
        }
    }
}

/// A date field's value: `yyyy-mm-dd` (what `<input type=date>` shows) when the text
/// is a date, else the text as typed.
fn date_value(typed: &str) -> String {
    parse_date(typed).map_or_else(|_| typed.to_string(), |d| d.to_string())
}

fn placement_form(
    viewer: &Viewer,
    lists: &Lists,
    mode: &Mode<'_>,
    input: &PlacementInput,
    errors: &FieldErrors,
    overlapping: &[&Placement],
) -> Markup {
    let err = |f: &str| errors.get(f).map(|_| "true");
    let editing = mode.editing();
    let (action, title) = match mode {
        Mode::Create(_) => (
            "/coordination/stages".to_string(),
            "Nouvelle période de formation",
        ),
        Mode::Edit(e) => (
            format!("{}/modifier", placement_url(e.placement.id)),
            "Modifier la période de formation",
        ),
    };
    let locked_student = editing
        .filter(|e| e.student_locked)
        .and_then(|e| lists.students.iter().find(|s| s.id == e.placement.student));
    let body = html! {
        (error_summary(errors))
        @if !overlapping.is_empty() {
            div.notice role="alert" {
                p { strong { "Ces dates chevauchent une autre période de l'élève :" } }
                ul {
                    @for o in overlapping {
                        li {
                            "du " (text::date_short(o.start)) " au " (text::date_short(o.end))
                            @let company = lists.company_name(o.company);
                            @if !company.is_empty() { " chez " (company) }
                        }
                    }
                }
                p { "Rien n'est encore enregistré. Corrigez les dates, ou, si les deux périodes sont voulues, cochez « Enregistrer malgré le chevauchement » en bas du formulaire." }
            }
        }
        form.stack method="post" action=(action) novalidate {
            (csrf_field(viewer))
            @if let Mode::Create(id) = mode {
                input type="hidden" name="id" value=(id);
            }

            @if let Some(s) = locked_student {
                p.label { "Élève" }
                (field_error(errors, "student"))
                p { strong { (s.name.full()) } br; span.hint { "L'élève ne peut plus changer : cette période a déjà un journal de bord ou des fiches." } }
                input type="hidden" name="student" value=(s.id);
            } @else {
                label for="student" { "Élève" }
                (field_error(errors, "student"))
                select #student name="student" required aria-invalid=[err("student")] aria-describedby=[described_by(errors, "student")] {
                    option value="" { "— choisir —" }
                    @for (class, students) in &lists.classes {
                        optgroup label=(class.name) {
                            @for s in students {
                                option value=(s.id) selected[s.id.to_string() == input.student] {
                                    (s.name.last.to_uppercase()) " " (s.name.first)
                                    @if !s.active { " (désactivé)" }
                                }
                            }
                        }
                    }
                }
            }

            label for="company" { "Entreprise d'accueil" }
            (field_error(errors, "company"))
            select #company name="company" required aria-invalid=[err("company")] aria-describedby=[described_by(errors, "company")] {
                option value="" { "— choisir —" }
                option value=(NEW_COMPANY) selected[input.company == NEW_COMPANY] { "Nouvelle entreprise (à saisir ci-dessous)" }
                @for c in &lists.companies {
                    option value=(c.id) selected[c.id.to_string() == input.company] { (c.name) " — " (c.city) }
                }
            }
            fieldset.group {
                @if editing.is_some() {
                    legend { "Coordonnées de l'entreprise" }
                    p.hint { "Si l'entreprise reste la même, ces corrections valent aussi pour ses autres périodes de formation. Pour une autre entreprise de la liste, ces champs sont ignorés ; pour « Nouvelle entreprise », saisissez-la ici." }
                } @else {
                    legend { "Nouvelle entreprise" }
                    p.hint { "À remplir seulement si l'entreprise n'est pas dans la liste." }
                }
                label for="company_name" { "Nom" }
                (field_error(errors, "company_name"))
                input #company_name type="text" name="company_name" value=(input.company_name) maxlength="150" autocomplete="off"
                    aria-invalid=[err("company_name")] aria-describedby=[described_by(errors, "company_name")];
                label for="company_address" { "Adresse" }
                (field_error(errors, "company_address"))
                input #company_address type="text" name="company_address" value=(input.company_address) maxlength="200" autocomplete="off"
                    aria-invalid=[err("company_address")] aria-describedby=[described_by(errors, "company_address")];
                label for="company_city" { "Code postal et ville" }
                (field_error(errors, "company_city"))
                input #company_city type="text" name="company_city" value=(input.company_city) maxlength="100" autocomplete="off"
                    aria-invalid=[err("company_city")] aria-describedby=[described_by(errors, "company_city")];
                label for="company_siret" { "SIRET" span.hint { " (facultatif, 14 chiffres)" } }
                (field_error(errors, "company_siret"))
                input #company_siret type="text" name="company_siret" value=(input.company_siret) inputmode="numeric" maxlength="20" autocomplete="off"
                    aria-invalid=[err("company_siret")] aria-describedby=[described_by(errors, "company_siret")];
            }

            label for="tutor" { "Tuteur de stage" }
            (field_error(errors, "tutor"))
            select #tutor name="tutor" required aria-invalid=[err("tutor")] aria-describedby=[described_by(errors, "tutor")] {
                option value="" { "— choisir —" }
                option value=(NEW_TUTOR) selected[input.tutor == NEW_TUTOR] { "Nouveau tuteur (à saisir ci-dessous)" }
                @for t in &lists.tutors {
                    option value=(t.id) selected[t.id.to_string() == input.tutor] { (t.name.full()) " — " (lists.company_name(t.company)) }
                }
            }
            fieldset.group {
                @if editing.is_some() {
                    legend { "Coordonnées du tuteur" }
                    p.hint { "Si le tuteur reste le même, ces corrections valent aussi pour ses autres stagiaires. Pour un autre tuteur de la liste, ces champs sont ignorés ; pour « Nouveau tuteur », saisissez-le ici." }
                } @else {
                    legend { "Nouveau tuteur" }
                    p.hint { "À remplir seulement si le tuteur n'est pas dans la liste ; il travaille dans l'entreprise choisie." }
                }
                label for="tutor_first_name" { "Prénom" }
                (field_error(errors, "tutor_first_name"))
                input #tutor_first_name type="text" name="tutor_first_name" value=(input.tutor_first_name) maxlength="100" autocomplete="off"
                    aria-invalid=[err("tutor_first_name")] aria-describedby=[described_by(errors, "tutor_first_name")];
                label for="tutor_last_name" { "Nom" }
                (field_error(errors, "tutor_last_name"))
                input #tutor_last_name type="text" name="tutor_last_name" value=(input.tutor_last_name) maxlength="100" autocomplete="off"
                    aria-invalid=[err("tutor_last_name")] aria-describedby=[described_by(errors, "tutor_last_name")];
                label for="tutor_job_title" { "Fonction" span.hint { " (facultatif)" } }
                (field_error(errors, "tutor_job_title"))
                input #tutor_job_title type="text" name="tutor_job_title" value=(input.tutor_job_title) maxlength="100" autocomplete="off"
                    aria-invalid=[err("tutor_job_title")] aria-describedby=[described_by(errors, "tutor_job_title")];
                label for="tutor_email" { "Adresse e-mail" span.hint { " (facultatif ; pour lui envoyer son lien d'accès)" } }
                (field_error(errors, "tutor_email"))
                input #tutor_email type="email" name="tutor_email" value=(input.tutor_email) autocomplete="off"
                    aria-invalid=[err("tutor_email")] aria-describedby=[described_by(errors, "tutor_email")];
                label for="tutor_phone" { "Téléphone" span.hint { " (facultatif)" } }
                (field_error(errors, "tutor_phone"))
                input #tutor_phone type="tel" name="tutor_phone" value=(input.tutor_phone) maxlength="30" autocomplete="off"
                    aria-invalid=[err("tutor_phone")] aria-describedby=[described_by(errors, "tutor_phone")];
            }

            label for="referent" { "Enseignant référent" }
            (field_error(errors, "referent"))
            select #referent name="referent" required aria-invalid=[err("referent")] aria-describedby=[described_by(errors, "referent")] {
                option value="" { "— choisir —" }
                @for t in &lists.teachers {
                    option value=(t.id) selected[t.id.to_string() == input.referent] { (t.name.full()) }
                }
            }

            label for="start" { "Premier jour" }
            (field_error(errors, "start"))
            input #start type="date" name="start" value=(date_value(&input.start)) required
                aria-invalid=[err("start")] aria-describedby=[described_by(errors, "start")];
            label for="end" { "Dernier jour" }
            (field_error(errors, "end"))
            input #end type="date" name="end" value=(date_value(&input.end)) required
                aria-invalid=[err("end")] aria-describedby=[described_by(errors, "end")];

            label for="objectives" { "Objectifs de la période" span.hint { " (un par ligne ; le tuteur les lit en début de période)" } }
            (field_error(errors, "objectives"))
            textarea #objectives name="objectives" rows="5"
                aria-invalid=[err("objectives")] aria-describedby=[described_by(errors, "objectives")] { (input.objectives) }

            @if !overlapping.is_empty() {
                @let value = overlap_value(overlapping);
                label.check {
                    input type="checkbox" name="overlap_ok" value=(value) checked[input.overlap_ok == value];
                    " Enregistrer malgré le chevauchement"
                }
            }
            button.primary type="submit" {
                @if editing.is_some() { "Enregistrer les modifications" } @else { "Enregistrer la période" }
            }
        }
    };
    let back = match mode {
        Mode::Create(_) => ("/".to_string(), "Établissement"),
        Mode::Edit(e) => (placement_url(e.placement.id), "Retour à la période"),
    };
    page(viewer, title, Some((back.0.as_str(), back.1)), body)
}

/// The query of `GET /coordination/stages/nouvelle`.
#[derive(Debug, Default, Deserialize)]
pub struct NewPlacementQuery {
    /// A student id to preselect (`?eleve=<id>`); ignored when unknown or inactive.
    pub eleve: Option<String>,
}

/// `GET /coordination/stages/nouvelle[?eleve=<student id>]`: the empty placement form.
///
/// # Errors
/// 404 unless a coordinator; store failure.
#[handler]
pub fn placement_new(
    state: Data<&State>,
    viewer: Viewer,
    Query(query): Query<NewPlacementQuery>,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    let lists = Lists::load(&state.store, None)?;
    let student = query
        .eleve
        .and_then(|v| v.parse::<StudentId>().ok())
        .filter(|id| lists.students.iter().any(|s| s.id == *id))
        .map(|id| id.to_string())
        .unwrap_or_default();
    let input = PlacementInput {
        student,
        ..PlacementInput::default()
    };
    let mode = Mode::Create(PlacementId::new());
    Ok(
        placement_form(&viewer, &lists, &mode, &input, &FieldErrors::default(), &[])
            .into_response(),
    )
}

/// `POST /coordination/stages`: declares a placement, with a new company and tutor
/// when typed. The form carries the new placement's id: sent twice, it stores one.
///
/// # Errors
/// 404 unless a coordinator; 403 without a valid anti-CSRF token; store failure.
#[handler]
pub async fn placement_create(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    permissions::coordinator_only(&viewer.subject)?;
    viewer.check_csrf(&form)?;
    let id = form.get("id").parse::<PlacementId>().unwrap_or_default();
    if state.store.placement(id)?.is_some() {
        Flash::PlacementAlreadySaved.set(jar);
        return Ok(see_other(&placement_url(id)));
    }
    let lists = Lists::load(&state.store, None)?;
    save(&state, &viewer, jar, &lists, &Mode::Create(id), &form).await
}

/// `GET /stages/:id/modifier`: the placement's form, filled in.
///
/// # Errors
/// 404 unless a coordinator or the placement's referent; store failure.
#[handler]
pub fn placement_edit(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::managed_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let missing = |what: &str| Error::Internal(format!("{what} de la PFMP absent"));
    let company = state
        .store
        .company(p.company)?
        .ok_or_else(|| missing("entreprise"))?;
    let tutor = state
        .store
        .tutor(p.tutor)?
        .ok_or_else(|| missing("tuteur"))?;
    let lists = Lists::load(&state.store, Some(p.student))?;
    let mode = Mode::Edit(Editing {
        placement: &p,
        student_locked: state.store.placement_has_portfolio(p.id)?,
    });
    let input = PlacementInput::from_records(&p, &company, &tutor);
    Ok(
        placement_form(&viewer, &lists, &mode, &input, &FieldErrors::default(), &[])
            .into_response(),
    )
}

/// `POST /stages/:id/modifier`: changes the placement, and corrects its company and
/// tutor when their details were edited. A new tutor supersedes the messages about
/// this placement still waiting in the outbox for the previous one (see
/// `Store::update_placement`). Overlapping periods are asked again only when the edit
/// makes a new overlap (see `overlaps_to_confirm`).
///
/// # Errors
/// 404 unless a coordinator or the placement's referent; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn placement_update(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    let p = permissions::managed_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    viewer.check_csrf(&form)?;
    let lists = Lists::load(&state.store, Some(p.student))?;
    let mode = Mode::Edit(Editing {
        placement: &p,
        student_locked: state.store.placement_has_portfolio(p.id)?,
    });
    save(&state, &viewer, jar, &lists, &mode, &form).await
}

/// Checks the form, warns of overlapping periods unless accepted, then stores and
/// redirects (to the placement, or home when the viewer no longer refers it).
async fn save(
    state: &State,
    viewer: &Viewer,
    jar: &CookieJar,
    lists: &Lists,
    mode: &Mode<'_>,
    form: &FormData,
) -> Result<Response> {
    let input = PlacementInput::read(|name| form.get(name).to_string());
    let again = |errors: &FieldErrors, overlapping: &[&Placement]| {
        placement_form(viewer, lists, mode, &input, errors, overlapping)
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response()
    };
    let change = match validate_placement(&input, &lists.choices(), mode.editing(), mode.id()) {
        Ok(change) => change,
        Err(errors) => return Ok(again(&errors, &[])),
    };
    let p = &change.placement;
    let existing = state.store.placements_of_student(p.student)?;
    let before = mode.editing().map(|e| e.placement);
    let overlapping = overlaps_to_confirm(&existing, p, before);
    if !input.accepts(&overlapping) {
        return Ok(again(&FieldErrors::default(), &overlapping));
    }
    match mode {
        Mode::Create(_) => {
            if !state.store.insert_placement(&change).await? {
                Flash::PlacementAlreadySaved.set(jar);
                return Ok(see_other(&placement_url(p.id)));
            }
            tracing::info!(placement = %p.id, "période de formation déclarée");
            Flash::PlacementCreated.set(jar);
        }
        Mode::Edit(_) => {
            let Some(superseded) = state.store.update_placement(&change).await? else {
                return Err(Error::NotFound);
            };
            tracing::info!(
                placement = %p.id,
                superseded_messages = superseded,
                "période de formation modifiée"
            );
            if let Subject::Teacher(t) = viewer.subject
                && t != p.referent
            {
                Flash::PlacementHandedOver.set(jar);
                return Ok(see_other("/"));
            }
            Flash::PlacementUpdated.set(jar);
        }
    }
    Ok(see_other(&placement_url(p.id)))
}
