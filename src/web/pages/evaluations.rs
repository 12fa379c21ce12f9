//! School evaluations (évaluations en établissement, issue 5 item 1): a student's
//! referent teacher evaluates criteria of the student's referential at a complexity
//! level D, Int or Ba; everyone who may see the student's record reads them.
//!
//! Who may do what: [`permissions::visible_student`] reads (the student, their tutors
//! and referents, a coordinator), [`permissions::evaluating_teacher`] writes (a referent
//! teacher of one of the student's placements); anyone else gets 404.

use super::competency::{self, Module};
use super::{parse_id, see_other};
use crate::auth::permissions;
use crate::domain::evaluation::TITLE_MAX_CHARS;
use crate::domain::evaluation_form::{
    EvaluationContent, EvaluationInput, result_field, validate_evaluation,
};
use crate::domain::{
    Class, Complexity, Context, CriterionResult, Evaluation, EvaluationId, FieldErrors,
    Referential, Student, StudentId, Subject, TeacherId, text,
};
use crate::error::{Error, Result};
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{count, csrf_field, described_by, error_summary, field_error, page};
use jiff::Timestamp;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// URL of one school evaluation of a student.
pub fn evaluation_url(student: StudentId, id: EvaluationId) -> String {
    format!("{}/{id}", competency::evaluations_url(student))
}

/// "Sébastien Roussel", or a neutral phrase for a teacher record that is gone.
fn teacher_name(state: &State, id: TeacherId) -> Result<String> {
    Ok(state
        .store
        .teacher(id)?
        .map_or_else(|| "enseignant inconnu".to_string(), |t| t.name.full()))
}

/// "11/03/2026 à 10:30" in the school's time zone.
fn moment(state: &State, at: Timestamp) -> String {
    text::date_time_short(at.to_zoned_datetime(state.clock.zone().clone()).datetime())
}

/// The evaluation `id` of `student`, or 404.
fn load(state: &State, student: StudentId, id: &str) -> Result<Evaluation> {
    state
        .store
        .evaluation(student, parse_id(id)?)?
        .ok_or(Error::NotFound)
}

/// The record menu, with the placement the viewer's portfolio links go to.
fn nav(state: &State, who: &Subject, student: StudentId) -> Result<Markup> {
    let placement = competency::menu_placement(&state.store, who, student)?;
    Ok(competency::record_nav(
        who,
        student,
        placement,
        Module::SchoolEvaluations,
    ))
}

/// `GET /eleves/:id/evaluations`: the student's school evaluations, latest change
/// first; a referent teacher also gets "Nouvelle évaluation".
///
/// # Errors
/// 404 when the student does not exist or the viewer may not see them; store failure.
#[handler]
pub fn evaluation_list(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let student = permissions::visible_student(&state.store, &viewer.subject, parse_id(&id)?)?;
    let may_write =
        permissions::evaluating_teacher(&state.store, &viewer.subject, student.id).is_ok();
    let (class, referential) = competency::class_and_referential(&state, &student)?;
    let mut evaluations = state.store.evaluations_of_student(student.id)?;
    evaluations.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then(b.created_at.cmp(&a.created_at))
            .then(a.id.cmp(&b.id))
    });
    let mut rows = Vec::new();
    for e in evaluations {
        let author = teacher_name(&state, e.author)?;
        rows.push((e, author));
    }
    let list = competency::evaluations_url(student.id);
    let body = html! {
        (nav(&state, &viewer.subject, student.id)?)
        p.muted { (class.name) "\u{a0}· " (referential.short_name) }
        @if may_write {
            a.button.primary href=(format!("{list}/nouvelle")) { "Nouvelle évaluation" }
        }
        @if rows.is_empty() {
            p.muted { "Aucune évaluation en établissement n'est encore enregistrée pour cet élève." }
        } @else {
            p.hint { "De la plus récemment modifiée à la plus ancienne : la date d'une évaluation est celle de sa dernière modification." }
            ul.cards.evaluations {
                @for (e, author) in &rows {
                    li.card {
                        a.card-link href=(evaluation_url(student.id, e.id)) { strong { (e.title) } }
                        p {
                            (competency::level_code(e.complexity)) " " (e.complexity.label())
                            "\u{a0}· " (count(e.results.len(), "critère évalué", "critères évalués"))
                        }
                        p.muted.small {
                            @if e.updated_at == e.created_at { "Créée le " } @else { "Modifiée le " }
                            (moment(&state, e.updated_at)) " par " (author)
                        }
                    }
                }
            }
        }
    };
    let title = format!(
        "Évaluations en établissement {}",
        text::de(&student.name.full())
    );
    Ok(page(
        &viewer,
        &title,
        competency::back_link(&viewer.subject),
        body,
    )
    .into_response())
}

/// The evaluation form: a new one (with the id it will have) or a stored one.
struct EvaluationForm<'a> {
    /// `Some` for a new evaluation: the id the form makes, so that a double
    /// submission stores one.
    new_id: Option<EvaluationId>,
    student: &'a Student,
    class: &'a Class,
    referential: &'a Referential,
    input: &'a EvaluationInput,
    errors: &'a FieldErrors,
    /// Where it posts.
    action: String,
    /// Where "back" goes.
    back: String,
}

fn form_body(viewer: &Viewer, f: &EvaluationForm<'_>) -> Markup {
    let EvaluationForm {
        student,
        class,
        referential,
        input,
        errors,
        ..
    } = *f;
    let err = |name: &str| errors.get(name).map(|_| "true");
    let mut index = 0usize;
    html! {
        p.muted { (student.name.full()) "\u{a0}· " (class.name) "\u{a0}· " (referential.short_name) }
        (error_summary(errors))
        @if f.new_id.is_none() {
            p.notice { "Enregistrer une modification change la date de l'évaluation : la date prise en compte (liste, tableau de bord) est celle de sa dernière modification, et vous en devenez l'auteur." }
        }
        form.stack.evaluation-form method="post" action=(f.action) novalidate {
            (csrf_field(viewer))
            @if let Some(id) = f.new_id {
                input type="hidden" name="id" value=(id);
            }
            label for="title" { "Titre" span.hint { " (ce qui a été évalué)" } }
            (field_error(errors, "title"))
            input #title type="text" name="title" value=(input.title) required maxlength=(TITLE_MAX_CHARS)
                placeholder="Ex. : TP 4 — tableau de chantier" autocomplete="off"
                aria-invalid=[err("title")] aria-describedby=[described_by(errors, "title")];
            fieldset.group.levels aria-describedby=[described_by(errors, "complexity")] {
                legend { "Niveau de complexité" }
                (field_error(errors, "complexity"))
                @for c in Complexity::SCHOOL {
                    label.check {
                        input type="radio" name="complexity" value=(c.code()) required
                            checked[input.complexity == c.code()] aria-invalid=[err("complexity")];
                        " " (competency::level_code(c)) " " (c.label())
                    }
                }
            }
            fieldset.competencies aria-describedby=[described_by(errors, "results")] {
                legend { "Résultats" span.hint { " (" (referential.short_name) ")" } }
                p.hint { "Ouvrez une compétence et choisissez le résultat de chaque critère évalué ; les autres restent « non évalué »." }
                (field_error(errors, "results"))
                @for c in &referential.competencies {
                    @let given = c.criteria.iter().filter(|k| !input.result(&k.code).is_empty()).count();
                    details open[given > 0] {
                        summary {
                            strong { (c.code) } " " (c.title)
                            @if given > 0 {
                                " " span.badge.done { (count(given, "résultat", "résultats")) }
                            }
                        }
                        @for k in &c.criteria {
                            @let id = { index += 1; format!("r{index}") };
                            @let chosen = input.result(&k.code);
                            div.criterion-result {
                                label for=(id) { span.code { (k.code) } " " (k.title) }
                                select id=(id) name=(result_field(&k.code)) {
                                    option value="" selected[chosen.is_empty()] { "— non évalué —" }
                                    @for r in CriterionResult::ALL {
                                        option value=(r.slug()) selected[chosen == r.slug()] { (r.label()) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div.buttons {
                button.primary type="submit" { "Enregistrer l'évaluation" }
                a.button href=(f.back) { "Annuler" }
            }
        }
    }
}

fn form_page(viewer: &Viewer, f: &EvaluationForm<'_>) -> Markup {
    let title = if f.new_id.is_some() {
        "Nouvelle évaluation en établissement"
    } else {
        "Modifier l'évaluation"
    };
    let back_label = if f.new_id.is_some() {
        "Évaluations en établissement"
    } else {
        "L'évaluation"
    };
    page(
        viewer,
        title,
        Some((&f.back, back_label)),
        form_body(viewer, f),
    )
}

/// The form again with its messages and the input kept (422: nothing was stored).
fn rejected(viewer: &Viewer, f: &EvaluationForm<'_>) -> Response {
    form_page(viewer, f)
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()
}

/// `GET /eleves/:id/evaluations/nouvelle`: the empty form, with a fresh id.
///
/// # Errors
/// 404 unless a referent teacher of one of the student's placements; store failure.
#[handler]
pub fn evaluation_new(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let (student, _) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(&id)?)?;
    let (class, referential) = competency::class_and_referential(&state, &student)?;
    let f = EvaluationForm {
        new_id: Some(EvaluationId::new()),
        student: &student,
        class: &class,
        referential: &referential,
        input: &EvaluationInput::default(),
        errors: &FieldErrors::default(),
        action: competency::evaluations_url(student.id),
        back: competency::evaluations_url(student.id),
    };
    Ok(form_page(&viewer, &f).into_response())
}

/// `POST /eleves/:id/evaluations`: stores a new school evaluation (created and last
/// changed now, by this teacher) under the id the form made; the same form sent twice
/// stores one evaluation.
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless a referent teacher of one of the
/// student's placements; store failure.
#[handler]
pub async fn evaluation_create(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (student, teacher) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(&id)?)?;
    let (class, referential) = competency::class_and_referential(&state, &student)?;
    let input = EvaluationInput::from_fields(&form.0);
    let eval_id: EvaluationId = form.get("id").parse().unwrap_or_default();
    let content = match validate_evaluation(&input, &referential) {
        Ok(c) => c,
        Err(errors) => {
            let f = EvaluationForm {
                new_id: Some(eval_id),
                student: &student,
                class: &class,
                referential: &referential,
                input: &input,
                errors: &errors,
                action: competency::evaluations_url(student.id),
                back: competency::evaluations_url(student.id),
            };
            return Ok(rejected(&viewer, &f));
        }
    };
    let now = state.clock.now();
    let evaluation = Evaluation {
        id: eval_id,
        student: student.id,
        referential: referential.code.clone(),
        context: Context::School,
        complexity: content.complexity,
        title: content.title,
        author: teacher,
        results: content.results,
        created_at: now,
        updated_at: now,
    };
    if state.store.insert_evaluation(&evaluation).await? {
        Flash::EvaluationCreated.set(jar);
    } else {
        // The form was sent again (double tap, or "Back" then sent): the first sending
        // stored it; a different content is a change of that evaluation.
        let content = EvaluationContent {
            title: evaluation.title,
            complexity: evaluation.complexity,
            results: evaluation.results,
        };
        if let Some((_, true)) = state
            .store
            .update_evaluation(student.id, eval_id, |current| {
                apply(current, &content, teacher, now)
            })
            .await?
        {
            Flash::EvaluationUpdated.set(jar);
        }
    }
    Ok(see_other(&evaluation_url(student.id, eval_id)))
}

/// `GET /eleves/:id/evaluations/:eval`: one evaluation: level, context, author, dates,
/// then the assessed criteria by competency; a referent teacher also gets "Modifier"
/// and "Supprimer".
///
/// # Errors
/// 404 when the student or the evaluation does not exist or the viewer may not see
/// the student; store failure.
#[handler]
pub fn evaluation_show(
    state: Data<&State>,
    viewer: Viewer,
    Path((sid, eid)): Path<(String, String)>,
) -> Result<Response> {
    let student = permissions::visible_student(&state.store, &viewer.subject, parse_id(&sid)?)?;
    let e = load(&state, student.id, &eid)?;
    let may_write =
        permissions::evaluating_teacher(&state.store, &viewer.subject, student.id).is_ok();
    let referential = state.referential(&e.referential)?;
    let author = teacher_name(&state, e.author)?;
    let url = evaluation_url(student.id, e.id);
    // Results grouped by competency, in the referential's order; codes the referential
    // no longer has (it was replaced) are listed apart.
    let groups: Vec<_> = referential
        .competencies
        .iter()
        .map(|c| {
            let rows: Vec<_> = c
                .criteria
                .iter()
                .filter_map(|k| {
                    e.results
                        .iter()
                        .find(|s| s.criterion == k.code)
                        .map(|s| (k, s.result))
                })
                .collect();
            (c, rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    let orphans: Vec<_> = e
        .results
        .iter()
        .filter(|s| referential.criterion(&s.criterion).is_none())
        .collect();
    let body = html! {
        (nav(&state, &viewer.subject, student.id)?)
        p.muted { "Évaluation " (Context::School.label()) " " (text::de(&student.name.full())) }
        dl.facts {
            dt { "Niveau" } dd { (competency::level_code(e.complexity)) " " (e.complexity.label()) }
            dt { "Contexte" } dd { (Context::School.label()) }
            dt { "Auteur" } dd { (author) }
            dt { "Créée le" } dd { (moment(&state, e.created_at)) }
            dt { "Modifiée le" } dd { (moment(&state, e.updated_at)) }
            dt { "Critères évalués" } dd { (e.results.len()) }
        }
        @if may_write {
            div.buttons.no-print {
                a.button href=(format!("{url}/modifier")) { "Modifier" }
                form method="post" action=(format!("{url}/supprimer")) {
                    (csrf_field(&viewer))
                    button.danger type="submit" { "Supprimer" }
                }
            }
        }
        @for (c, rows) in &groups {
            section.card.evaluation-results {
                h2 { span.code { (c.code) } " " (c.title) }
                ul.results {
                    @for (k, result) in rows {
                        li {
                            (competency::result_cell(*result, Context::School))
                            span.result-text {
                                span.code { (k.code) } " " (k.title)
                                br;
                                span.result-label aria-hidden="true" { (result.label()) }
                            }
                        }
                    }
                }
            }
        }
        @if !orphans.is_empty() {
            section.card.evaluation-results {
                h2 { "Critères absents du référentiel actuel" }
                ul.results {
                    @for s in &orphans {
                        li {
                            (competency::result_cell(s.result, Context::School))
                            span.result-text {
                                span.code { (s.criterion) }
                                br;
                                span.result-label aria-hidden="true" { (s.result.label()) }
                            }
                        }
                    }
                }
            }
        }
    };
    let list = competency::evaluations_url(student.id);
    Ok(page(
        &viewer,
        &e.title,
        Some((&list, "Évaluations en établissement")),
        body,
    )
    .into_response())
}

/// `GET /eleves/:id/evaluations/:eval/modifier`: the form holding a stored evaluation.
///
/// # Errors
/// 404 unless a referent teacher of one of the student's placements, or for an
/// unknown evaluation; store failure.
#[handler]
pub fn evaluation_edit(
    state: Data<&State>,
    viewer: Viewer,
    Path((sid, eid)): Path<(String, String)>,
) -> Result<Response> {
    let (student, _) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(&sid)?)?;
    let e = load(&state, student.id, &eid)?;
    let (class, _) = competency::class_and_referential(&state, &student)?;
    let referential = state.referential(&e.referential)?;
    let url = evaluation_url(student.id, e.id);
    let f = EvaluationForm {
        new_id: None,
        student: &student,
        class: &class,
        referential: &referential,
        input: &EvaluationInput::of(&e.title, e.complexity, &e.results),
        errors: &FieldErrors::default(),
        action: url.clone(),
        back: url,
    };
    Ok(form_page(&viewer, &f).into_response())
}

/// `current` holding `c`, changed by `teacher` at `now`; `None` when it already holds
/// `c` (saving the same content again is not a change and does not move it in time).
fn apply(
    mut current: Evaluation,
    c: &EvaluationContent,
    teacher: TeacherId,
    now: Timestamp,
) -> Option<Evaluation> {
    if current.title == c.title
        && current.complexity == c.complexity
        && current.results == c.results
    {
        return None;
    }
    current.title = c.title.clone();
    current.complexity = c.complexity;
    current.results = c.results.clone();
    current.author = teacher;
    current.updated_at = now;
    Some(current)
}

/// `POST /eleves/:id/evaluations/:eval`: changes an evaluation. A change moves it in
/// time (issue 5: "editing one moves it in time (its date is the last change)"): its
/// last-change date becomes now and its author the editing teacher; the creation date
/// stays. The same content sent again changes nothing.
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless a referent teacher of one of the
/// student's placements, or for an unknown evaluation; store failure.
#[handler]
pub async fn evaluation_update(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((sid, eid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (student, teacher) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(&sid)?)?;
    let e = load(&state, student.id, &eid)?;
    let referential = state.referential(&e.referential)?;
    let input = EvaluationInput::from_fields(&form.0);
    let url = evaluation_url(student.id, e.id);
    let content = match validate_evaluation(&input, &referential) {
        Ok(c) => c,
        Err(errors) => {
            let (class, _) = competency::class_and_referential(&state, &student)?;
            let f = EvaluationForm {
                new_id: None,
                student: &student,
                class: &class,
                referential: &referential,
                input: &input,
                errors: &errors,
                action: url.clone(),
                back: url,
            };
            return Ok(rejected(&viewer, &f));
        }
    };
    let now = state.clock.now();
    let saved = state
        .store
        .update_evaluation(student.id, e.id, |current| {
            apply(current, &content, teacher, now)
        })
        .await?;
    match saved {
        None => Err(Error::NotFound),
        Some((_, changed)) => {
            if changed {
                Flash::EvaluationUpdated.set(jar);
            }
            Ok(see_other(&url))
        }
    }
}

/// `POST /eleves/:id/evaluations/:eval/supprimer`: without `confirmer=oui`, the page
/// that asks for confirmation (nothing is deleted); with it, deletes the evaluation and
/// goes back to the list (sent twice, the second finds nothing and goes back too).
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless a referent teacher of one of the
/// student's placements, or, when asking, for an unknown evaluation; store failure.
#[handler]
pub async fn evaluation_delete(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((sid, eid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (student, _) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(&sid)?)?;
    let list = competency::evaluations_url(student.id);
    if form.get("confirmer") == "oui" {
        let eval_id: EvaluationId = parse_id(&eid)?;
        state.store.delete_evaluation(student.id, eval_id).await?;
        Flash::EvaluationDeleted.set(jar);
        return Ok(see_other(&list));
    }
    let e = load(&state, student.id, &eid)?;
    let url = evaluation_url(student.id, e.id);
    let body = html! {
        p {
            "L'évaluation « " strong { (e.title) } " » "
            (text::de(&student.name.full()))
            " (" (count(e.results.len(), "critère évalué", "critères évalués")) ") sera supprimée : elle disparaîtra de la liste et du tableau de bord. Cette action est définitive."
        }
        div.buttons {
            form method="post" action=(format!("{url}/supprimer")) {
                (csrf_field(&viewer))
                input type="hidden" name="confirmer" value="oui";
                button.danger type="submit" { "Supprimer définitivement" }
            }
            a.button href=(url) { "Annuler" }
        }
    };
    Ok(page(
        &viewer,
        "Supprimer l'évaluation ?",
        Some((&url, "L'évaluation")),
        body,
    )
    .into_response())
}
