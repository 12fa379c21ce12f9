//! The spec's "Évaluation" module of a placement and its company review (bilan
//! entreprise, issue 5): the referent chooses the criteria, the tutor fills the review
//! before the visit, and both finalise it together at the visit (joint visit mode, on
//! one phone, offline through the outbox of issue 4: see [`crate::web::api_review`]).
//!
//! Who may do what: everyone who may see the placement reads
//! ([`permissions::visible_placement`]; the student only once finalised); the tutor
//! fills ([`permissions::tutored_placement`]); the referent chooses the criteria
//! ([`referent_placement`]); both finalise ([`visit_placement`]). Anything else is 404;
//! a change of a finalised review is 409 and changes nothing.

use super::competency::{self, Module};
use super::sheets::referential_of;
use super::{PlacementView, parse_id, placement_url, see_other};
use crate::auth::permissions;
use crate::domain::company_review_form::{
    FINALISE_FIELD, Intent, ProposedCriteria, ReviewContent, ReviewInput, apply,
    finalise_opens_message, may_finalise, proposed_criteria, same_content, set_criteria,
    validate_criteria, validate_review, validate_submission,
};
use crate::domain::evaluation::COMMENT_MAX_CHARS;
use crate::domain::{
    CompanyReview, CompanyReviewStatus, Context, CriterionResult, EvaluationId, FieldErrors,
    Placement, PlacementId, Referential, Subject, TeacherId, text,
};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, described_by, error_summary, field_error, multiline, page};
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use uuid::Uuid;

/// URL of a placement's company review.
pub fn review_url(p: PlacementId) -> String {
    format!("{}/bilan-entreprise", placement_url(p))
}

/// URL of the referent's choice of criteria.
pub fn criteria_url(p: PlacementId) -> String {
    format!("{}/criteres", review_url(p))
}

/// URL of the joint visit mode.
pub fn visit_url(p: PlacementId) -> String {
    format!("{}/visite", review_url(p))
}

/// URL of the JSON endpoint the offline outbox replays the visit form to.
pub fn api_url(p: PlacementId) -> String {
    format!("/api{}", review_url(p))
}

/// The placement `id` and its referent if `who` is that referent teacher (who alone
/// chooses the review's criteria; DESIGN.md: the referent writes evaluations).
///
/// # Errors
/// [`Error::NotFound`] for anyone else (tutor, student, coordinator, another teacher).
pub fn referent_placement(
    store: &Store,
    who: &Subject,
    id: PlacementId,
) -> Result<(Placement, TeacherId)> {
    match who {
        Subject::Teacher(t) => {
            let p = permissions::visible_placement(store, who, id)?;
            if p.referent == *t {
                Ok((p, *t))
            } else {
                Err(Error::NotFound)
            }
        }
        _ => Err(Error::NotFound),
    }
}

/// The placement `id` if `who` is its tutor or its referent: the two people who
/// finalise the review together at the visit, from either one's phone.
///
/// # Errors
/// [`Error::NotFound`] for anyone else.
pub fn visit_placement(store: &Store, who: &Subject, id: PlacementId) -> Result<Placement> {
    match who {
        Subject::Tutor(_) => permissions::tutored_placement(store, who, id),
        Subject::Teacher(_) => referent_placement(store, who, id).map(|(p, _)| p),
        _ => Err(Error::NotFound),
    }
}

/// What [`submit`] did with a result form.
#[derive(Debug)]
pub enum Submitted {
    /// Applied now.
    Applied(CompanyReview),
    /// This revision was applied before (the outbox sent it again), or the finalised
    /// review already holds exactly this content: nothing changed.
    Replayed(CompanyReview),
    /// The review is finalised with another content: nothing changed.
    Locked(CompanyReview),
}

/// Applies a checked result form to `p`'s review in one transaction, once per
/// `revision` (the form's or the outbox's idempotency key), never to a finalised
/// review. Shared by the HTML forms and the JSON endpoint.
///
/// # Errors
/// [`Error::NotFound`] when the placement has no review; store failure.
pub async fn submit(
    state: &State,
    p: &Placement,
    revision: Uuid,
    content: &ReviewContent,
    intent: Intent,
) -> Result<Submitted> {
    let now = state.clock.now();
    let people = (p.referent, p.tutor);
    let (review, changed) = state
        .store
        .update_company_review(p.id, |mut r| {
            if r.revisions.contains(&revision) || r.is_finalised() {
                return None;
            }
            apply(&mut r, content, intent, people, now);
            r.remember(revision);
            Some(r)
        })
        .await?
        .ok_or(Error::NotFound)?;
    Ok(if changed {
        Submitted::Applied(review)
    } else if review.revisions.contains(&revision)
        || (review.is_finalised()
            && matches!(intent, Intent::Finalise { .. })
            && same_content(&review, content))
    {
        Submitted::Replayed(review)
    } else {
        Submitted::Locked(review)
    })
}

/// The form's result fields (`result-<criterion>`) and comment.
fn input_of(form: &FormData, review: &CompanyReview) -> ReviewInput {
    ReviewInput {
        results: review
            .criteria
            .iter()
            .filter_map(|c| {
                let v = form.get(&format!("result-{c}"));
                (!v.is_empty()).then(|| (c.clone(), v.to_string()))
            })
            .collect(),
        comment: form.get("comment").to_string(),
    }
}

/// The revision the form carries, or a fresh one (a form without it is applied, just
/// not deduplicated).
fn revision_of(form: &FormData) -> Uuid {
    form.get("revision")
        .trim()
        .parse()
        .unwrap_or_else(|_| Uuid::new_v4())
}

fn nav(viewer: &Viewer, v: &PlacementView) -> Markup {
    competency::record_nav(
        &viewer.subject,
        v.student.id,
        Some(v.placement.id),
        Module::Evaluation,
    )
}

fn short_date(state: &State, at: jiff::Timestamp) -> String {
    text::date_short(at.to_zoned_datetime(state.clock.zone().clone()).date())
}

/// Where the review stands, in one French sentence.
fn status_line(state: &State, v: &PlacementView, review: Option<&CompanyReview>) -> Result<String> {
    Ok(match review.map(|r| (&r.status, r)) {
        None => {
            "Pas encore préparé : l'enseignant référent choisit d'abord les critères à évaluer."
                .to_string()
        }
        Some((CompanyReviewStatus::Open, r)) => format!(
            "À remplir par le tuteur avant la visite de l'enseignant référent ({} sur {} critères renseignés).",
            r.results.len(),
            r.criteria.len()
        ),
        Some((CompanyReviewStatus::FilledByTutor { at }, _)) => format!(
            "Rempli par le tuteur le {}, prêt pour la visite.",
            short_date(state, *at)
        ),
        Some((
            CompanyReviewStatus::Finalised {
                referent,
                tutor,
                at,
            },
            _,
        )) => {
            let tutor = state
                .store
                .tutor(*tutor)?
                .map_or_else(|| v.tutor.name.full(), |t| t.name.full());
            let referent = state
                .store
                .teacher(*referent)?
                .map_or_else(|| v.referent.name.full(), |t| t.name.full());
            format!(
                "Bilan finalisé le {} par {tutor} et {referent}.",
                short_date(state, *at)
            )
        }
    })
}

/// `GET /stages/:id/evaluation`: the spec's "Évaluation" module of a placement: the
/// company review's status and the viewer's next step, and the attendance certificate
/// (spec: « télécharger l'attestation de présence afin de la compléter »; issue 8).
///
/// # Errors
/// 404 when the placement is not visible to this person; store failure.
#[handler]
pub fn evaluation_module_show(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let review = state.store.company_review(p.id)?;
    let attendance = state.store.attendance(p.id)?;
    let v = PlacementView::load(&state.store, p)?;
    let pid = v.placement.id;
    let status = status_line(&state, &v, review.as_ref())?;
    let finalised = review.as_ref().is_some_and(CompanyReview::is_finalised);
    let is_referent = referent_placement(&state.store, &viewer.subject, pid).is_ok();
    let visit_open = may_finalise(v.placement.start, state.clock.today());
    let visitor = visit_placement(&state.store, &viewer.subject, pid).is_ok();
    let title = match viewer.subject {
        Subject::Student(_) => "Évaluation de ma période".to_string(),
        _ => format!("Évaluation {}", text::de(&v.student.name.full())),
    };
    let body = html! {
        (nav(&viewer, &v))
        p.period { "Période du " (text::date_long(v.placement.start)) " au " (text::date_long(v.placement.end)) }
        section.card.review-card {
            h2 { "Bilan entreprise" }
            p.review-status { (status) }
            @match (&viewer.subject, &review) {
                (Subject::Tutor(_), Some(_)) if !finalised => {
                    p.hint { "Prenez connaissance du bilan et donnez un résultat à chaque critère avant la visite de l'enseignant référent ; vous le finaliserez ensemble lors de la visite." }
                    div.buttons {
                        a.button.primary href=(review_url(pid)) { "Remplir le bilan" }
                        @if visit_open {
                            a.button href=(visit_url(pid)) { "Visite : finaliser ensemble" }
                        }
                    }
                    @if !visit_open { p.hint.visit-opens { (finalise_opens_message(v.placement.start)) } }
                }
                (Subject::Tutor(_), None) => {
                    p.hint { "L'enseignant référent vous proposera les critères à évaluer ; vous pourrez alors remplir le bilan ici." }
                }
                (Subject::Teacher(_), _) if is_referent && !finalised => {
                    div.buttons {
                        a.button.primary href=(criteria_url(pid)) { "Choisir les critères" }
                        @if review.is_some() {
                            @if visit_open {
                                a.button href=(visit_url(pid)) { "Visite : finaliser ensemble" }
                            }
                            a.button href=(review_url(pid)) { "Voir le bilan" }
                        }
                    }
                    @if review.is_some() && !visit_open {
                        p.hint.visit-opens { (finalise_opens_message(v.placement.start)) }
                    }
                }
                (Subject::Student(_), Some(_)) if !finalised => {
                    p.hint { "Le bilan est en cours : vous pourrez le lire une fois finalisé par votre tuteur et votre enseignant référent." }
                }
                (_, Some(_)) => {
                    div.buttons { a.button.primary href=(review_url(pid)) { "Voir le bilan" } }
                }
                _ => {}
            }
            @if visitor && review.is_some() {
                // Offline outbox (issue 4): app.js lists here a review finalised on this
                // device and not yet accepted (waiting, or refused: "à corriger").
                ul.cards.outbox-list hidden data-outbox-list="review" data-placement=(pid) {}
            }
        }
        section.card.certificate-card {
            h2 { "Présence et attestation de PFMP" }
            p.review-status { (super::attendance::summary(attendance.as_ref(), &v.placement, state.clock.today())) }
            div.buttons {
                a.button.primary href=(super::attendance::attendance_url(pid)) { "Présence" }
                a.button href=(super::attendance::certificate_url(pid)) { "Télécharger l'attestation (PDF)" }
                a.button.secondary href=(super::attendance::BLANK_CERTIFICATE_URL) { "Attestation vierge à compléter" }
            }
        }
    };
    Ok(page(
        &viewer,
        &title,
        competency::back_link(&viewer.subject),
        body,
    )
    .into_response())
}

/// The form of the referent's choice of criteria.
fn criteria_form(
    viewer: &Viewer,
    v: &PlacementView,
    referential: &Referential,
    proposed: &ProposedCriteria,
    checked: &[String],
    review: Option<&CompanyReview>,
    errors: &FieldErrors,
) -> Markup {
    let has_result = |code: &str| review.is_some_and(|r| r.result(code).is_some());
    html! {
        (nav(viewer, v))
        p.hint {
            "Cochez les critères que le tuteur évaluera dans le bilan entreprise. "
            @if review.is_none() {
                "Sont cochés d'avance les critères mobilisés dans les fiches activités envoyées par l'élève."
            }
        }
        @if review.is_some_and(|r| !r.results.is_empty()) {
            p.hint { "Décocher un critère déjà évalué par le tuteur efface son résultat." }
        }
        (error_summary(errors))
        form.stack method="post" action=(criteria_url(v.placement.id)) {
            (csrf_field(viewer))
            fieldset.competencies aria-describedby=[described_by(errors, "criteria")] {
                legend { "Critères à évaluer" span.hint { " (" (referential.short_name) ")" } }
                (field_error(errors, "criteria"))
                @for c in &referential.competencies {
                    @let ticked = c.criteria.iter().filter(|k| checked.contains(&k.code)).count();
                    @let sheets = proposed.sheets_for(&c.code);
                    details open[ticked > 0 || sheets > 0] {
                        summary {
                            strong { (c.code) } " " (c.title)
                            @if sheets > 0 {
                                " " span.badge { "mobilisée dans " (sheets) " fiche" @if sheets > 1 { "s" } }
                            }
                            @if ticked > 0 {
                                " " span.badge.done { "✓ " (ticked) " critère" @if ticked > 1 { "s" } }
                            }
                        }
                        @for k in &c.criteria {
                            label.check.criterion {
                                input type="checkbox" name="criteria" value=(k.code) checked[checked.contains(&k.code)];
                                " " span.code { (k.code) } " " (k.title)
                                @if has_result(&k.code) { " " span.badge.done { "évalué" } }
                            }
                        }
                    }
                }
            }
            div.buttons {
                button.primary type="submit" { "Enregistrer les critères" }
            }
        }
    }
}

/// A 409 page: the review is finalised, nothing was changed.
fn locked(viewer: &Viewer, p: PlacementId) -> Response {
    page(
        viewer,
        "Bilan entreprise déjà finalisé",
        Some((&review_url(p), "Bilan entreprise")),
        html! {
            p { "Ce bilan a été finalisé lors de la visite : il ne peut plus être modifié, et rien n'a été enregistré." }
            p { a href=(review_url(p)) { "Voir le bilan finalisé" } }
        },
    )
    .with_status(StatusCode::CONFLICT)
    .into_response()
}

/// `GET /stages/:id/bilan-entreprise/criteres`: the referent chooses the criteria,
/// pre-checked from the activity sheets (or the review's, once prepared).
///
/// # Errors
/// 404 unless this is the placement's referent; store failure.
#[handler]
pub fn criteria_edit(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let (p, _) = referent_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let review = state.store.company_review(p.id)?;
    if review.as_ref().is_some_and(CompanyReview::is_finalised) {
        return Ok(see_other(&review_url(p.id)));
    }
    let referential = referential_of(&state, &p)?;
    let proposed = proposed_criteria(&referential, &state.store.sheets(p.id)?);
    let checked = review
        .as_ref()
        .map_or_else(|| proposed.criteria.clone(), |r| r.criteria.clone());
    let v = PlacementView::load(&state.store, p)?;
    let body = criteria_form(
        &viewer,
        &v,
        &referential,
        &proposed,
        &checked,
        review.as_ref(),
        &FieldErrors::default(),
    );
    let title = format!(
        "Critères du bilan entreprise {}",
        text::de(&v.student.name.full())
    );
    Ok(page(
        &viewer,
        &title,
        competency::back_link(&viewer.subject),
        body,
    )
    .into_response())
}

/// `POST /stages/:id/bilan-entreprise/criteres`: creates the review (status open) or
/// changes its criteria (results of removed criteria are dropped).
///
/// # Errors
/// 404 unless this is the placement's referent; 403 without a valid anti-CSRF token;
/// 409 once finalised; 422 without any criterion; store failure.
#[handler]
pub async fn criteria_save(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (p, teacher) = referent_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let review = state.store.company_review(p.id)?;
    if review.as_ref().is_some_and(CompanyReview::is_finalised) {
        return Ok(locked(&viewer, p.id));
    }
    let referential = referential_of(&state, &p)?;
    let chosen = form.all("criteria");
    let criteria = match validate_criteria(&referential, &chosen) {
        Ok(c) => c,
        Err(errors) => {
            let proposed = proposed_criteria(&referential, &state.store.sheets(p.id)?);
            let v = PlacementView::load(&state.store, p)?;
            let body = criteria_form(
                &viewer,
                &v,
                &referential,
                &proposed,
                &chosen,
                review.as_ref(),
                &errors,
            );
            let title = format!(
                "Critères du bilan entreprise {}",
                text::de(&v.student.name.full())
            );
            return Ok(page(
                &viewer,
                &title,
                competency::back_link(&viewer.subject),
                body,
            )
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
        }
    };
    let now = state.clock.now();
    let fresh = CompanyReview {
        id: EvaluationId::new(),
        placement: p.id,
        student: p.student,
        referential: referential.code.clone(),
        criteria: criteria.clone(),
        results: Vec::new(),
        comment: String::new(),
        status: CompanyReviewStatus::Open,
        prepared_by: teacher,
        created_at: now,
        updated_at: now,
        revisions: Vec::new(),
    };
    if !state.store.insert_company_review(&fresh).await? {
        let (_, changed) = state
            .store
            .update_company_review(p.id, |mut r| {
                (!r.is_finalised()).then(|| {
                    set_criteria(&mut r, criteria.clone(), now);
                    r
                })
            })
            .await?
            .ok_or_else(|| Error::Internal("bilan entreprise disparu".into()))?;
        if !changed {
            // Finalised meanwhile (the visit, from another phone).
            return Ok(locked(&viewer, p.id));
        }
    }
    Flash::CompanyReviewPrepared.set(jar);
    Ok(see_other(&competency::evaluation_module_url(p.id)))
}

/// The results (one fieldset of six radio buttons per criterion, grouped by
/// competency), the appreciation, and — in visit mode — the joint confirmation.
struct ResultForm<'a> {
    action: String,
    review: &'a CompanyReview,
    referential: &'a Referential,
    input: &'a ReviewInput,
    errors: &'a FieldErrors,
    revision: Uuid,
    /// Joint visit mode: the names of the tutor and the referent.
    visit: Option<(String, String)>,
}

fn result_form(viewer: &Viewer, f: &ResultForm<'_>) -> Markup {
    let errors = f.errors;
    let pid = f.review.placement;
    let missing_marked = errors.get("results").is_some();
    html! {
        (error_summary(errors))
        (field_error(errors, "results"))
        form.stack.review-form method="post" action=(f.action) novalidate
            data-outbox=[f.visit.as_ref().map(|_| "review")]
            data-placement=[f.visit.as_ref().map(|_| pid.to_string())]
            data-api=[f.visit.as_ref().map(|_| api_url(pid))]
            data-list=[f.visit.as_ref().map(|_| visit_url(pid))] {
            (csrf_field(viewer))
            input type="hidden" name="revision" value=(f.revision);
            @for c in &f.referential.competencies {
                @let codes: Vec<_> = c.criteria.iter().filter(|k| f.review.criteria.contains(&k.code)).collect();
                @if !codes.is_empty() {
                    h2.review-competency { span.code { (c.code) } " " (c.title) }
                    @for k in codes {
                        @let chosen = f.input.slug(&k.code);
                        @let invalid = missing_marked && chosen.is_none();
                        fieldset.result-choice aria-invalid=[invalid.then_some("true")] {
                            legend { span.code { (k.code) } " " (k.title) }
                            div.result-options {
                                @for r in CriterionResult::ALL {
                                    label.result-option {
                                        input type="radio" name=(format!("result-{}", k.code)) value=(r.slug())
                                            checked[chosen == Some(r.slug())];
                                        span aria-hidden="true" { (competency::result_cell(r, Context::Company)) }
                                        span.result-label { (r.label()) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            label for="comment" { "Appréciation générale" }
            (field_error(errors, "comment"))
            textarea #comment name="comment" rows="5" maxlength=(COMMENT_MAX_CHARS)
                aria-invalid=[errors.get("comment").map(|_| "true")] aria-describedby=[described_by(errors, "comment")] { (f.input.comment) }
            @if let Some((tutor, referent)) = &f.visit {
                (field_error(errors, "together"))
                label.check.together {
                    input type="checkbox" name="together" value="1" required
                        aria-invalid=[errors.get("together").map(|_| "true")] aria-describedby=[described_by(errors, "together")];
                    " Nous avons établi ce bilan ensemble, " (tutor) " et " (referent) "."
                }
                (field_error(errors, FINALISE_FIELD))
                div.buttons {
                    button.primary type="submit" name="action" value="finalise"
                        aria-describedby=[described_by(errors, FINALISE_FIELD)] { "Finaliser le bilan" }
                }
            } @else {
                div.buttons {
                    button.primary type="submit" name="action" value="ready" { "J'ai terminé, prêt pour la visite" }
                    button type="submit" name="action" value="save" { "Enregistrer" }
                }
            }
        }
    }
}

/// The finalised (or, for the referent and the coordinator, current) review, read-only.
fn review_view(
    state: &State,
    v: &PlacementView,
    r: &CompanyReview,
    referential: &Referential,
) -> Result<Markup> {
    let status = status_line(state, v, Some(r))?;
    Ok(html! {
        p.review-status { strong { (status) } }
        @for c in &referential.competencies {
            @let codes: Vec<_> = c.criteria.iter().filter(|k| r.criteria.contains(&k.code)).collect();
            @if !codes.is_empty() {
                section.card {
                    h2.review-competency { span.code { (c.code) } " " (c.title) }
                    ul.review-results {
                        @for k in codes {
                            li {
                                @if let Some(res) = r.result(&k.code) {
                                    span aria-hidden="true" { (competency::result_cell(res, Context::Company)) }
                                    span { span.code { (k.code) } " " (k.title) " : " strong { (res.label()) } }
                                } @else {
                                    span.cell.company.empty aria-hidden="true" {}
                                    span { span.code { (k.code) } " " (k.title) " : " em { "pas encore de résultat" } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Appréciation générale" }
            @if r.comment.is_empty() { p.muted { "Aucune appréciation." } } @else { (multiline(&r.comment)) }
        }
        (competency::results_legend())
    })
}

fn review_title(viewer: &Viewer, v: &PlacementView) -> String {
    match viewer.subject {
        Subject::Student(_) => "Mon bilan entreprise".to_string(),
        _ => format!("Bilan entreprise {}", text::de(&v.student.name.full())),
    }
}

/// The page of `GET /stages/:id/bilan-entreprise` (and of its POST's 422).
fn review_page(
    state: &State,
    viewer: &Viewer,
    v: &PlacementView,
    review: Option<&CompanyReview>,
    form: Option<(&ReviewInput, &FieldErrors, Uuid)>,
) -> Result<Markup> {
    let pid = v.placement.id;
    let body = match review {
        None => html! {
            (nav(viewer, v))
            p { (status_line(state, v, None)?) }
            @if referent_placement(&state.store, &viewer.subject, pid).is_ok() {
                p { a.button.primary href=(criteria_url(pid)) { "Choisir les critères" } }
            }
        },
        Some(r) if matches!(viewer.subject, Subject::Student(_)) && !r.is_finalised() => html! {
            (nav(viewer, v))
            p { "Le bilan entreprise est en cours : vous pourrez le lire une fois finalisé par votre tuteur et votre enseignant référent." }
        },
        Some(r) if matches!(viewer.subject, Subject::Tutor(_)) && !r.is_finalised() => {
            let referential = state.referential(&v.class.diploma)?;
            let stored = ReviewInput::from_review(r);
            let empty = FieldErrors::default();
            let (input, errors, revision) = form.unwrap_or((&stored, &empty, Uuid::new_v4()));
            html! {
                (nav(viewer, v))
                p.review-status { (status_line(state, v, Some(r))?) }
                p.hint { "Pour chaque critère, choisissez le résultat observé pendant la période. Vous pouvez enregistrer en plusieurs fois ; l'enseignant référent le reprendra avec vous lors de sa visite." }
                (result_form(viewer, &ResultForm {
                    action: review_url(pid),
                    review: r,
                    referential: &referential,
                    input,
                    errors,
                    revision,
                    visit: None,
                }))
            }
        }
        Some(r) => {
            let referential = state.referential(&v.class.diploma)?;
            let editable =
                !r.is_finalised() && visit_placement(&state.store, &viewer.subject, pid).is_ok();
            html! {
                (nav(viewer, v))
                @if editable {
                    div.buttons.no-print {
                        a.button href=(criteria_url(pid)) { "Choisir les critères" }
                        @if may_finalise(v.placement.start, state.clock.today()) {
                            a.button.primary href=(visit_url(pid)) { "Visite : finaliser ensemble" }
                        }
                    }
                    @if !may_finalise(v.placement.start, state.clock.today()) {
                        p.hint.visit-opens { (finalise_opens_message(v.placement.start)) }
                    }
                }
                (review_view(state, v, r, &referential)?)
            }
        }
    };
    Ok(page(
        viewer,
        &review_title(viewer, v),
        competency::back_link(&viewer.subject),
        body,
    ))
}

/// `GET /stages/:id/bilan-entreprise`: the tutor fills the review before the visit;
/// everyone else who may see the placement reads it (the student once finalised).
///
/// # Errors
/// 404 when the placement is not visible to this person; store failure.
#[handler]
pub fn review_show(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let review = state.store.company_review(p.id)?;
    let v = PlacementView::load(&state.store, p)?;
    Ok(review_page(&state, &viewer, &v, review.as_ref(), None)?.into_response())
}

/// `POST /stages/:id/bilan-entreprise`: the tutor's "Enregistrer" (partial allowed) or
/// "J'ai terminé, prêt pour la visite" (every criterion needs a result).
///
/// # Errors
/// 404 unless this is the placement's tutor and the review is prepared; 403 without a
/// valid anti-CSRF token; 409 once finalised; 422 with the form's messages; store
/// failure.
#[handler]
pub async fn review_save(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = permissions::tutored_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let review = state.store.company_review(p.id)?.ok_or(Error::NotFound)?;
    let revision = revision_of(&form);
    if review.is_finalised() {
        return Ok(locked(&viewer, p.id));
    }
    let intent = if form.get("action") == "ready" {
        Intent::Ready
    } else {
        Intent::Save
    };
    let input = input_of(&form, &review);
    match validate_review(&review, &input, intent) {
        Ok(content) => match submit(&state, &p, revision, &content, intent).await? {
            Submitted::Locked(_) => Ok(locked(&viewer, p.id)),
            Submitted::Applied(r) | Submitted::Replayed(r) => {
                // "J'ai terminé" turned the review FilledByTutor now: tell the referent.
                let filled = |s: &CompanyReviewStatus| {
                    matches!(s, CompanyReviewStatus::FilledByTutor { .. })
                };
                if filled(&r.status) && !filled(&review.status) {
                    crate::notify::company_review_filled(&state, &p).await;
                }
                if intent == Intent::Ready {
                    Flash::CompanyReviewReady
                } else {
                    Flash::CompanyReviewSaved
                }
                .set(jar);
                Ok(see_other(&competency::evaluation_module_url(p.id)))
            }
        },
        Err(errors) => {
            let v = PlacementView::load(&state.store, p)?;
            Ok(review_page(
                &state,
                &viewer,
                &v,
                Some(&review),
                Some((&input, &errors, revision)),
            )?
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response())
        }
    }
}

/// The visit page: the finalised review read-only, or the joint form.
fn visit_page(
    state: &State,
    viewer: &Viewer,
    v: &PlacementView,
    review: Option<&CompanyReview>,
    form: Option<(&ReviewInput, &FieldErrors, Uuid)>,
) -> Result<Markup> {
    let pid = v.placement.id;
    let (tutor, referent) = (v.tutor.name.full(), v.referent.name.full());
    let body = match review {
        None => html! {
            (nav(viewer, v))
            p { (status_line(state, v, None)?) }
        },
        Some(r) if r.is_finalised() => {
            let referential = state.referential(&v.class.diploma)?;
            html! {
                (nav(viewer, v))
                // A finalisation of this device refused meanwhile (409) shows here.
                ul.cards.outbox-list hidden data-outbox-list="review" data-placement=(pid) {}
                (review_view(state, v, r, &referential)?)
            }
        }
        Some(r) if form.is_none() && !may_finalise(v.placement.start, state.clock.today()) => {
            html! {
                (nav(viewer, v))
                p.review-status { (status_line(state, v, Some(r))?) }
                p.visit-opens { strong { (finalise_opens_message(v.placement.start)) } }
                p { a.button href=(review_url(pid)) { "Voir le bilan" } }
            }
        }
        Some(r) => {
            let referential = state.referential(&v.class.diploma)?;
            let stored = ReviewInput::from_review(r);
            let empty = FieldErrors::default();
            let (input, errors, revision) = form.unwrap_or((&stored, &empty, Uuid::new_v4()));
            html! {
                (nav(viewer, v))
                p.visit-people { "Tuteur : " (tutor) " — Enseignant référent : " (referent) }
                p.review-status { (status_line(state, v, Some(r))?) }
                p.hint { "Un seul téléphone suffit : reprenez ensemble les résultats proposés par le tuteur, corrigez-les si besoin, puis finalisez. Sans réseau, le bilan est gardé sur ce téléphone et envoyé dès que le réseau revient." }
                // Offline outbox (issue 4): app.js lists here the review finalised on
                // this device and not yet on the server.
                ul.cards.outbox-list hidden data-outbox-list="review" data-placement=(pid) {}
                (result_form(viewer, &ResultForm {
                    action: visit_url(pid),
                    review: r,
                    referential: &referential,
                    input,
                    errors,
                    revision,
                    visit: Some((tutor, referent)),
                }))
            }
        }
    };
    let title = format!(
        "Visite : bilan entreprise {}",
        text::de(&v.student.name.full())
    );
    Ok(page(
        viewer,
        &title,
        competency::back_link(&viewer.subject),
        body,
    ))
}

/// `GET /stages/:id/bilan-entreprise/visite`: the joint visit mode, from the tutor's or
/// the referent's phone; opens offline once seen online (the service worker keeps it).
///
/// # Errors
/// 404 unless this is the placement's tutor or referent; store failure.
#[handler]
pub fn visit_show(state: Data<&State>, viewer: Viewer, Path(id): Path<String>) -> Result<Response> {
    let p = visit_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let review = state.store.company_review(p.id)?;
    let v = PlacementView::load(&state.store, p)?;
    Ok(visit_page(&state, &viewer, &v, review.as_ref(), None)?.into_response())
}

/// `POST /stages/:id/bilan-entreprise/visite`: "Finaliser le bilan" (every criterion
/// needs a result, and the joint confirmation box): the review is finalised with the
/// placement's tutor and referent, read-only from then on.
///
/// # Errors
/// 404 unless this is the placement's tutor or referent and the review is prepared;
/// 403 without a valid anti-CSRF token; 409 once finalised; 422 with the form's
/// messages; store failure.
#[handler]
pub async fn visit_save(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let p = visit_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    let review = state.store.company_review(p.id)?.ok_or(Error::NotFound)?;
    let revision = revision_of(&form);
    if review.revisions.contains(&revision) {
        return Ok(see_other(&review_url(p.id)));
    }
    if review.is_finalised() {
        return Ok(locked(&viewer, p.id));
    }
    let intent = Intent::Finalise {
        together: !form.get("together").is_empty(),
    };
    let input = input_of(&form, &review);
    let today = state.clock.today();
    match validate_submission(&review, &input, intent, p.start, today) {
        Ok(content) => match submit(&state, &p, revision, &content, intent).await? {
            Submitted::Locked(_) => Ok(locked(&viewer, p.id)),
            Submitted::Applied(_) | Submitted::Replayed(_) => {
                Flash::CompanyReviewFinalised.set(jar);
                Ok(see_other(&review_url(p.id)))
            }
        },
        Err(errors) => {
            let v = PlacementView::load(&state.store, p)?;
            Ok(visit_page(
                &state,
                &viewer,
                &v,
                Some(&review),
                Some((&input, &errors, revision)),
            )?
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response())
        }
    }
}
