//! Interim reviews (bilans intermédiaires de compétences), spec module "Bilan de
//! compétences" (issue 5, item 4): the archive (a banner of the published review dates;
//! the selected review's constats and conseils, then the table of competencies with one
//! column per review date up to it and the proposed grade), and the referent teachers'
//! drafts, form, publication and deletion. A published review is read-only (409).

use super::competency::{self, Module};
use super::{parse_id, see_other};
use crate::auth::permissions;
use crate::domain::interim_form::{self, InterimContent, InterimInput};
use crate::domain::interim_review::{self, TEXT_MAX_CHARS};
use crate::domain::{
    CompetencyPositioning, FieldErrors, Grade, InterimReview, InterimReviewId, Mastery,
    Positioning, Publication, Referential, Student, StudentId, Subject, Target, TeacherId,
    dashboard, text,
};
use crate::error::{Error, Result};
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{
    count, csrf_field, described_by, error_summary, field_error, multiline, page,
};
use jiff::Timestamp;
use jiff::civil::Date;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The message of the 409 answer to any change of a published review.
pub const PUBLISHED_MESSAGE: &str = "Ce bilan est publié : il ne peut plus être modifié.";

/// Value of the publish and delete confirmation fields.
const CONFIRMED: &str = "oui";

fn review_url(student: StudentId, id: InterimReviewId) -> String {
    format!("{}/{id}", competency::reviews_url(student))
}

fn archive_url(student: StudentId, id: InterimReviewId) -> String {
    format!("{}?bilan={id}", competency::reviews_url(student))
}

/// The referential of the student's class diploma.
fn referential_of(state: &State, student: &Student) -> Result<Referential> {
    competency::class_and_referential(state, student).map(|(_, referential)| referential)
}

fn day_of(state: &State, at: Timestamp) -> Date {
    at.to_zoned_datetime(state.clock.zone().clone()).date()
}

fn teacher_name(state: &State, id: TeacherId) -> Result<String> {
    Ok(state
        .store
        .teacher(id)?
        .map_or_else(|| "un enseignant".to_string(), |t| t.name.full()))
}

/// The latest published review's date: a new review may not be dated before it.
fn earliest_date(reviews: &[InterimReview]) -> Option<Date> {
    interim_form::published(reviews).last().map(|r| r.date)
}

/// The table of the spec: one row per competency of `referential`, one column per
/// review of `shown` (chronological), and the "Note proposée" row.
fn review_table(referential: &Referential, shown: &[&InterimReview]) -> Markup {
    html! {
        div.table-wrap role="region" aria-label="Positionnement de chaque compétence, bilan par bilan" tabindex="0" {
            table.review-table {
                caption.visually-hidden { "Positionnement de chaque compétence, bilan par bilan" }
                thead {
                    tr {
                        th scope="col" { "Compétences" }
                        @for r in shown {
                            th scope="col" {
                                (text::date_short(r.date))
                                @if r.published.is_none() { br; span.badge.draft { "brouillon" } }
                            }
                        }
                    }
                }
                tbody {
                    @for c in &referential.competencies {
                        tr {
                            th scope="row" { (c.code) " - " (c.title) }
                            @for r in shown {
                                td { (competency::positioning_cell(r.positioning(&c.code))) }
                            }
                        }
                    }
                    tr.grade-row {
                        th scope="row" { "Note proposée" }
                        @for r in shown {
                            td {
                                @if let Some(g) = r.grade { (g.display()) "/20" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A review's content as the spec shows it: constats, conseils, then the table with
/// `shown` (the reviews up to it, it last).
fn review_content(
    referential: &Referential,
    review: &InterimReview,
    shown: &[&InterimReview],
) -> Markup {
    html! {
        section.review-texts {
            h3 { "Constats :" }
            @if review.findings.is_empty() { p.muted { "Aucun constat écrit." } } @else { (multiline(&review.findings)) }
            h3 { "Conseils :" }
            @if review.advice.is_empty() { p.muted { "Aucun conseil écrit." } } @else { (multiline(&review.advice)) }
        }
        (review_table(referential, shown))
    }
}

fn title_for(viewer: &Viewer, student: &Student) -> String {
    if matches!(viewer.subject, Subject::Student(_)) {
        "Mes bilans de compétences".to_string()
    } else {
        format!("Bilans de compétences {}", text::de(&student.name.full()))
    }
}

fn nav(state: &State, viewer: &Viewer, student: StudentId) -> Result<Markup> {
    let placement = competency::menu_placement(&state.store, &viewer.subject, student)?;
    Ok(competency::record_nav(
        &viewer.subject,
        student,
        placement,
        Module::Reviews,
    ))
}

/// The archive page with the published review `selected` (default: the latest).
fn archive_page(
    state: &State,
    viewer: &Viewer,
    student: &Student,
    selected: Option<InterimReviewId>,
) -> Result<Response> {
    let teacher =
        permissions::evaluating_teacher(&state.store, &viewer.subject, student.id).is_ok();
    let referential = referential_of(state, student)?;
    let reviews = state.store.interim_reviews(student.id)?;
    let published = interim_form::published(&reviews);
    let index = selected
        .and_then(|id| published.iter().position(|r| r.id == id))
        .or_else(|| published.len().checked_sub(1));
    let drafts: Vec<&InterimReview> = reviews.iter().filter(|r| r.published.is_none()).collect();
    let mut draft_lines = Vec::new();
    if teacher {
        for d in &drafts {
            let at = d
                .updated_at
                .to_zoned_datetime(state.clock.zone().clone())
                .datetime();
            draft_lines.push((d, text::date_time_short(at), teacher_name(state, d.author)?));
        }
    }
    let publication = match index.map(|i| published[i]) {
        Some(r) => match &r.published {
            Some(p) => Some((
                text::date_short(day_of(state, p.at)),
                teacher_name(state, p.by)?,
            )),
            None => None,
        },
        None => None,
    };
    let body = html! {
        (nav(state, viewer, student.id)?)
        p.intro.no-print { "Les bilans intermédiaires de compétences archivés, créés par l'équipe pédagogique au cours de l'année." }
        p.print-only { (student.name.full()) " — " (referential.short_name) }
        @if teacher {
            div.buttons.no-print {
                a.button.primary href=(format!("{}/nouveau", competency::reviews_url(student.id))) { "Nouveau bilan intermédiaire" }
            }
            @if !draft_lines.is_empty() {
                section.drafts.no-print aria-labelledby="brouillons-titre" {
                    h2 #brouillons-titre { "Brouillons" }
                    p.hint { "Un brouillon n'est visible que des enseignants référents ; l'élève et son tuteur le verront une fois publié." }
                    ul.cards {
                        @for (d, at, who) in &draft_lines {
                            li.card {
                                p { strong { "Bilan du " (text::date_short(d.date)) } " " span.badge.draft { "brouillon" } }
                                p.muted.small { "Modifié le " (at) " par " (who) }
                                div.buttons {
                                    a.button href=(format!("{}/modifier", review_url(student.id, d.id))) { "Reprendre" }
                                    a.button href=(review_url(student.id, d.id)) { "Aperçu" span.visually-hidden { " du bilan du " (text::date_short(d.date)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @match index {
            None => p.empty { "Aucun bilan intermédiaire n'a encore été publié." },
            Some(i) => {
                nav.review-dates aria-label="Dates des bilans intermédiaires" {
                    ul {
                        @for (j, r) in published.iter().enumerate() {
                            li {
                                @if j == i {
                                    a.button.selected href=(archive_url(student.id, r.id)) aria-current="page" { (text::date_short(r.date)) }
                                } @else {
                                    a.button href=(archive_url(student.id, r.id)) { (text::date_short(r.date)) }
                                }
                            }
                        }
                    }
                }
                section.review aria-labelledby="bilan-titre" {
                    h2 #bilan-titre { "Bilan intermédiaire du " (text::date_short(published[i].date)) }
                    @if let Some((day, who)) = &publication {
                        p.muted.small { "Publié le " (day) " par " (who) "." }
                    }
                    (review_content(&referential, published[i], &published[..=i]))
                }
                (competency::positioning_legend())
            }
        }
    };
    Ok(page(
        viewer,
        &title_for(viewer, student),
        competency::back_link(&viewer.subject),
        body,
    )
    .into_response())
}

/// The query of `GET /eleves/:id/bilans`.
#[derive(Debug, Default, Deserialize)]
pub struct ArchiveQuery {
    /// The published review to show (`?bilan=<id>`); unknown ids show the latest.
    pub bilan: Option<String>,
}

/// `GET /eleves/:id/bilans[?bilan=<review id>]`: the archive of published reviews;
/// referent teachers also see the drafts and the button to start a review.
///
/// # Errors
/// 404 unless the student is visible to this person
/// ([`permissions::visible_student`]); store failure.
#[handler]
pub fn interim_list(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<ArchiveQuery>,
) -> Result<Response> {
    let student = permissions::visible_student(&state.store, &viewer.subject, parse_id(&id)?)?;
    let selected = query.bilan.and_then(|b| b.parse().ok());
    archive_page(&state, &viewer, &student, selected)
}

/// What the form suggests, from the evaluations since the previous published review.
struct Suggestion {
    positionings: Vec<CompetencyPositioning>,
    counts: Vec<usize>,
    grade: Option<Grade>,
    evaluations: usize,
    since: Option<Date>,
}

impl Suggestion {
    fn load(
        state: &State,
        student: StudentId,
        referential: &Referential,
        reviews: &[InterimReview],
    ) -> Result<Suggestion> {
        let evaluations = state.store.evaluations_of_student(student)?;
        let company = state.store.company_reviews_of_student(student)?;
        let columns = dashboard::columns(&evaluations, &company);
        let recent = interim_form::recent(&columns, interim_review::considered_until(reviews));
        Ok(Suggestion {
            positionings: interim_review::suggest(referential, &recent),
            counts: interim_form::result_counts(referential, &recent),
            grade: interim_review::suggest_grade(referential, &recent),
            evaluations: recent.len(),
            since: earliest_date(reviews),
        })
    }

    fn of(&self, competency: &str) -> Positioning {
        self.positionings
            .iter()
            .find(|p| p.competency == competency)
            .map_or(Positioning::NotEvaluated, |p| p.positioning)
    }
}

/// Everything the review form shows.
struct ReviewForm<'a> {
    title: String,
    action: String,
    /// The new review's id (create form only): a double submission stores one review.
    new_id: Option<InterimReviewId>,
    student: &'a Student,
    referential: &'a Referential,
    input: &'a InterimInput,
    errors: &'a FieldErrors,
    suggestion: &'a Suggestion,
    today: Date,
}

fn option_text(p: Positioning, suggested: bool) -> String {
    let base = match p {
        Positioning::NotEvaluated => "NE : non évaluée".to_string(),
        Positioning::Placed { level, .. } => {
            format!("{} : {}", competency::mastery_code(level), level.label())
        }
    };
    if suggested {
        format!("{base} (suggéré)")
    } else {
        base
    }
}

fn review_form(viewer: &Viewer, f: &ReviewForm<'_>) -> Markup {
    let (input, errors, s) = (f.input, f.errors, f.suggestion);
    let err = |name: &str| errors.get(name).map(|_| "true");
    html! {
        (error_summary(errors))
        form.stack.review-form method="post" action=(f.action) novalidate {
            (csrf_field(viewer))
            @if let Some(id) = f.new_id {
                input type="hidden" name="id" value=(id);
            }
            input type="hidden" name="considered_until" value=(input.considered_until);
            label for="date" { "Date du bilan" }
            (field_error(errors, "date"))
            input #date type="date" name="date" value=(input.date) required max=(f.today.to_string())
                min=[s.since.map(|d| d.to_string())]
                aria-invalid=[err("date")] aria-describedby=[described_by(errors, "date")];
            label for="findings" { "Constats de l'équipe pédagogique" }
            (field_error(errors, "findings"))
            textarea #findings name="findings" rows="5" maxlength=(TEXT_MAX_CHARS)
                aria-invalid=[err("findings")] aria-describedby=[described_by(errors, "findings")] { (input.findings) }
            label for="advice" { "Conseils de l'équipe pédagogique" }
            (field_error(errors, "advice"))
            textarea #advice name="advice" rows="5" maxlength=(TEXT_MAX_CHARS)
                aria-invalid=[err("advice")] aria-describedby=[described_by(errors, "advice")] { (input.advice) }
            h2 { "Positionnement des compétences" }
            p.hint {
                @if s.evaluations == 0 {
                    "Aucune évaluation "
                    @match s.since {
                        Some(d) => { "n'a été modifiée depuis le bilan publié du " (text::date_short(d)) }
                        None => { "n'est encore enregistrée" }
                    }
                    " : chaque compétence est suggérée « non évaluée »."
                } @else {
                    "Chaque compétence est pré-positionnée d'après "
                    (count(s.evaluations, "évaluation", "évaluations"))
                    @match s.since {
                        Some(d) => {
                            @if s.evaluations > 1 { " modifiées" } @else { " modifiée" }
                            " depuis le bilan publié du " (text::date_short(d))
                        }
                        None => { " (aucun bilan publié : toutes les évaluations comptent)" }
                    }
                    "."
                }
                " Modifiez si besoin : le choix suggéré porte la mention « suggéré »."
            }
            (field_error(errors, "positionings"))
            @for (i, c) in f.referential.competencies.iter().enumerate() {
                @let suggested = s.of(&c.code);
                @let chosen = input.positioning(&c.code);
                @let n = s.counts.get(i).copied().unwrap_or(0);
                div.positioning-field {
                    label for=(format!("pos-{i}")) { (c.code) " - " (c.title) }
                    p.hint id=(format!("pos-{i}-hint")) {
                        "Suggéré : " (competency::positioning_cell(suggested)) " "
                        @if n == 0 { "aucun résultat récent" } @else { "d'après " (count(n, "résultat récent", "résultats récents")) }
                    }
                    select id=(format!("pos-{i}")) name=(format!("pos-{}", c.code))
                        aria-describedby=(format!("pos-{i}-hint"))
                        aria-invalid=[(errors.get("positionings").is_some() && Positioning::from_slug(chosen).is_none()).then_some("true")] {
                        @if Positioning::from_slug(chosen).is_none() {
                            option value="" selected { "— choisir —" }
                        }
                        @for t in [Target::Interim, Target::Final] {
                            optgroup label=(format!("Par rapport aux {}", t.label())) {
                                @for m in Mastery::ALL {
                                    @let p = Positioning::Placed { level: m, target: t };
                                    option value=(p.slug()) selected[p.slug() == chosen] { (option_text(p, p == suggested)) }
                                }
                            }
                        }
                        option value="ne" selected[chosen == "ne"] { (option_text(Positioning::NotEvaluated, suggested == Positioning::NotEvaluated)) }
                    }
                }
            }
            label for="grade" { "Note proposée (sur 20, au demi-point)" }
            p.hint #grade-hint {
                @match s.grade {
                    Some(g) => { "Suggérée : " (g.display()) "/20, d'après les résultats récents. " }
                    None => { "Aucune note suggérée (pas de résultat récent). " }
                }
                "Laissez vide pour ne pas proposer de note."
            }
            (field_error(errors, "grade"))
            input #grade type="text" name="grade" value=(input.grade) inputmode="decimal" autocomplete="off" maxlength="10"
                aria-invalid=[err("grade")]
                aria-describedby=(match described_by(errors, "grade") { Some(e) => format!("grade-hint {e}"), None => "grade-hint".to_string() });
            fieldset.publish {
                legend { "Publication" }
                p.hint { "Publié, le bilan devient visible de l'élève et de son tuteur et ne peut plus être modifié. Un brouillon peut être repris plus tard." }
                (field_error(errors, "confirmed"))
                label.check {
                    input type="checkbox" name="confirm" value=(CONFIRMED) checked[input.confirmed]
                        aria-invalid=[err("confirmed")] aria-describedby=[described_by(errors, "confirmed")];
                    " Je comprends qu'un bilan publié ne peut plus être modifié"
                }
            }
            div.buttons {
                button type="submit" name="action" value="draft" { "Enregistrer le brouillon" }
                button.primary type="submit" name="action" value="publish" { "Publier" }
            }
        }
    }
}

fn form_page(state: &State, viewer: &Viewer, f: &ReviewForm<'_>) -> Result<Markup> {
    let back = competency::reviews_url(f.student.id);
    let body = html! {
        (nav(state, viewer, f.student.id)?)
        (review_form(viewer, f))
    };
    Ok(page(
        viewer,
        &f.title,
        Some((&back, "Bilans de compétences")),
        body,
    ))
}

fn input_of(form: &FormData, referential: &Referential) -> InterimInput {
    InterimInput {
        date: form.get("date").to_string(),
        findings: form.get("findings").to_string(),
        advice: form.get("advice").to_string(),
        positionings: referential
            .competencies
            .iter()
            .map(|c| {
                (
                    c.code.clone(),
                    form.get(&format!("pos-{}", c.code)).to_string(),
                )
            })
            .collect(),
        grade: form.get("grade").to_string(),
        considered_until: form.get("considered_until").to_string(),
        confirmed: form.get("confirm") == CONFIRMED,
    }
}

fn new_title(student: &Student) -> String {
    format!(
        "Nouveau bilan intermédiaire {}",
        text::de(&student.name.full())
    )
}

fn edit_title(student: &Student) -> String {
    format!(
        "Bilan intermédiaire {} (brouillon)",
        text::de(&student.name.full())
    )
}

/// `GET /eleves/:id/bilans/nouveau`: the form of a new review, each competency
/// preselected with the suggestion from the evaluations since the previous published
/// review ([`interim_review::suggest`]), and the suggested grade.
///
/// # Errors
/// 404 unless a referent teacher of the student ([`permissions::evaluating_teacher`]);
/// store failure.
#[handler]
pub fn interim_new(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let (student, _) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(&id)?)?;
    let referential = referential_of(&state, &student)?;
    let reviews = state.store.interim_reviews(student.id)?;
    let suggestion = Suggestion::load(&state, student.id, &referential, &reviews)?;
    let today = state.clock.today();
    let input = InterimInput::suggested(
        today,
        &suggestion.positionings,
        suggestion.grade,
        state.clock.now(),
    );
    let f = ReviewForm {
        title: new_title(&student),
        action: competency::reviews_url(student.id),
        new_id: Some(InterimReviewId::new()),
        student: &student,
        referential: &referential,
        input: &input,
        errors: &FieldErrors::default(),
        suggestion: &suggestion,
        today,
    };
    Ok(form_page(&state, &viewer, &f)?.into_response())
}

/// The 409 page for a change of a published review: nothing was changed.
fn published_conflict(viewer: &Viewer, student: StudentId, id: InterimReviewId) -> Response {
    let back = competency::reviews_url(student);
    page(
        viewer,
        "Bilan publié",
        Some((&back, "Bilans de compétences")),
        html! {
            p.errors role="alert" { (PUBLISHED_MESSAGE) " Rien n'a été enregistré." }
            p { a href=(archive_url(student, id)) { "Voir le bilan publié" } }
        },
    )
    .with_status(StatusCode::CONFLICT)
    .into_response()
}

/// A checked form to write onto a draft: its content, the cut-off, who and when, and
/// whether "Publier" was pressed.
struct Change<'a> {
    content: &'a InterimContent,
    cut_off: Timestamp,
    publish: bool,
    teacher: TeacherId,
    now: Timestamp,
}

/// Writes `change` onto the draft `id` (and publishes it when asked) in one
/// transaction; `Some((review, false))` when it was published meanwhile.
async fn save_draft(
    state: &State,
    student: StudentId,
    id: InterimReviewId,
    change: &Change<'_>,
) -> Result<Option<(InterimReview, bool)>> {
    Ok(state
        .store
        .update_interim_review(student, id, |mut r| {
            change.content.apply(&mut r);
            r.author = change.teacher;
            r.considered_until = change.cut_off;
            r.updated_at = change.now;
            if change.publish {
                r.published = Some(Publication {
                    at: change.now,
                    by: change.teacher,
                });
            }
            Some(r)
        })
        .await?)
}

fn saved_flash(publish: bool) -> Flash {
    if publish {
        Flash::InterimReviewPublished
    } else {
        Flash::InterimReviewSaved
    }
}

/// Where to go after a save: the archive on the published review, or the draft.
fn after_save(student: StudentId, id: InterimReviewId, published: bool) -> String {
    if published {
        archive_url(student, id)
    } else {
        review_url(student, id)
    }
}

/// `POST /eleves/:id/bilans`: creates a review, as a draft ("Enregistrer le
/// brouillon") or published ("Publier", with the confirmation box). The form carries
/// the review's id: sent twice, it stores one review (the second send updates the
/// draft, or finds the same content already published). The cut-off is the instant the
/// form's suggestion was computed, kept between the previous cut-off and now
/// ([`interim_form::clamp_cut_off`]).
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless a referent teacher of the student;
/// 422 for an invalid form (kept); 409 when the id is a published review with another
/// content; store failure.
#[handler]
pub async fn interim_create(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (student, teacher) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(&id)?)?;
    let referential = referential_of(&state, &student)?;
    let reviews = state.store.interim_reviews(student.id)?;
    let today = state.clock.today();
    let now = state.clock.now();
    let input = input_of(&form, &referential);
    let publish = form.get("action") == "publish";
    let review_id: InterimReviewId = form.get("id").parse().unwrap_or_default();
    let content = match interim_form::validate_interim(
        &input,
        &referential,
        publish,
        earliest_date(&reviews),
        today,
    ) {
        Ok(c) => c,
        Err(errors) => {
            let suggestion = Suggestion::load(&state, student.id, &referential, &reviews)?;
            let f = ReviewForm {
                title: new_title(&student),
                action: competency::reviews_url(student.id),
                new_id: Some(review_id),
                student: &student,
                referential: &referential,
                input: &input,
                errors: &errors,
                suggestion: &suggestion,
                today,
            };
            return Ok(form_page(&state, &viewer, &f)?
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let cut_off = interim_form::clamp_cut_off(
        &input.considered_until,
        interim_review::considered_until(&reviews),
        now,
    );
    let mut review = InterimReview {
        id: review_id,
        student: student.id,
        referential: referential.code.clone(),
        date: content.date,
        findings: String::new(),
        advice: String::new(),
        positionings: Vec::new(),
        grade: None,
        author: teacher,
        considered_until: cut_off,
        published: publish.then_some(Publication {
            at: now,
            by: teacher,
        }),
        created_at: now,
        updated_at: now,
    };
    content.apply(&mut review);
    if !state.store.insert_interim_review(&review).await? {
        // Sent again (double tap, or "Back" then send): the review with this id exists.
        match save_draft(
            &state,
            student.id,
            review_id,
            &Change {
                content: &content,
                cut_off,
                publish,
                teacher,
                now,
            },
        )
        .await?
        {
            Some((_, true)) => {}
            Some((stored, false)) if content.is_in(&stored) => {
                return Ok(see_other(&archive_url(student.id, review_id)));
            }
            Some(_) => return Ok(published_conflict(&viewer, student.id, review_id)),
            None => return Err(Error::NotFound),
        }
    }
    saved_flash(publish).set(jar);
    Ok(see_other(&after_save(student.id, review_id, publish)))
}

/// A review of the student `sid` visible to `viewer`: published ones for whoever sees
/// the student, drafts for their referent teachers only.
fn load_review(
    state: &State,
    viewer: &Viewer,
    sid: &str,
    rid: &str,
) -> Result<(Student, InterimReview)> {
    let student = permissions::visible_student(&state.store, &viewer.subject, parse_id(sid)?)?;
    let review = state
        .store
        .interim_review(student.id, parse_id(rid)?)?
        .ok_or(Error::NotFound)?;
    if review.published.is_none() {
        permissions::evaluating_teacher(&state.store, &viewer.subject, student.id)?;
    }
    Ok((student, review))
}

/// A draft of `sid` for one of the student's referent teachers (the teacher's id too).
fn load_for_teacher(
    state: &State,
    viewer: &Viewer,
    sid: &str,
    rid: &str,
) -> Result<(Student, TeacherId, InterimReview)> {
    let (student, teacher) =
        permissions::evaluating_teacher(&state.store, &viewer.subject, parse_id(sid)?)?;
    let review = state
        .store
        .interim_review(student.id, parse_id(rid)?)?
        .ok_or(Error::NotFound)?;
    Ok((student, teacher, review))
}

/// A draft's page: its content as it will show once published, and the buttons to
/// change, publish (with the confirmation box) or delete it.
fn draft_page(
    state: &State,
    viewer: &Viewer,
    student: &Student,
    draft: &InterimReview,
    errors: &FieldErrors,
) -> Result<Response> {
    let referential = referential_of(state, student)?;
    let reviews = state.store.interim_reviews(student.id)?;
    let mut shown: Vec<&InterimReview> = interim_form::published(&reviews)
        .into_iter()
        .filter(|r| r.date <= draft.date)
        .collect();
    shown.push(draft);
    let url = review_url(student.id, draft.id);
    let body = html! {
        (nav(state, viewer, student.id)?)
        @if !errors.is_empty() {
            div.errors role="alert" {
                p { strong { "Le bilan n'a pas été publié :" } }
                ul { @for (_, m) in &errors.0 { li { (m) } } }
            }
        }
        p { span.badge.draft { "Brouillon" } " " span.muted { "visible des seuls enseignants référents jusqu'à sa publication" } }
        div.buttons.no-print {
            a.button href=(format!("{url}/modifier")) { "Modifier" }
        }
        form.card.stack.no-print.publish method="post" action=(format!("{url}/publier")) {
            (csrf_field(viewer))
            label.check {
                input type="checkbox" name="confirm" value=(CONFIRMED)
                    aria-invalid=[errors.get("confirmed").map(|_| "true")];
                " Je comprends qu'un bilan publié ne peut plus être modifié"
            }
            button.primary type="submit" { "Publier le bilan" }
        }
        section.review aria-labelledby="bilan-titre" {
            h2 #bilan-titre { "Aperçu du bilan du " (text::date_short(draft.date)) }
            (review_content(&referential, draft, &shown))
        }
        (competency::positioning_legend())
        form.no-print.delete method="post" action=(format!("{url}/supprimer")) {
            (csrf_field(viewer))
            button type="submit" { "Supprimer le brouillon" }
        }
    };
    let back = competency::reviews_url(student.id);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(
        viewer,
        &format!(
            "Bilan intermédiaire {} du {}",
            text::de(&student.name.full()),
            text::date_short(draft.date)
        ),
        Some((&back, "Bilans de compétences")),
        body,
    )
    .with_status(status)
    .into_response())
}

/// `GET /eleves/:id/bilans/:bilan`: a published review (the archive, on it) for whoever
/// sees the student; a draft (its preview and buttons) for a referent teacher.
///
/// # Errors
/// 404 for an unknown review, a student not visible to this person, or a draft shown
/// to anyone but a referent teacher; store failure.
#[handler]
pub fn interim_show(
    state: Data<&State>,
    viewer: Viewer,
    Path((sid, rid)): Path<(String, String)>,
) -> Result<Response> {
    let (student, review) = load_review(&state, &viewer, &sid, &rid)?;
    if review.published.is_some() {
        archive_page(&state, &viewer, &student, Some(review.id))
    } else {
        draft_page(&state, &viewer, &student, &review, &FieldErrors::default())
    }
}

/// `GET /eleves/:id/bilans/:bilan/modifier`: the form of a draft, its suggestion
/// recomputed now (marked "suggéré"), its stored choices preselected. A published review
/// goes to its page.
///
/// # Errors
/// 404 unless a referent teacher of the student and an existing review; store failure.
#[handler]
pub fn interim_edit(
    state: Data<&State>,
    viewer: Viewer,
    Path((sid, rid)): Path<(String, String)>,
) -> Result<Response> {
    let (student, _, review) = load_for_teacher(&state, &viewer, &sid, &rid)?;
    if review.published.is_some() {
        return Ok(see_other(&archive_url(student.id, review.id)));
    }
    let referential = referential_of(&state, &student)?;
    let reviews = state.store.interim_reviews(student.id)?;
    let suggestion = Suggestion::load(&state, student.id, &referential, &reviews)?;
    let input = InterimInput::from_review(&review, state.clock.now());
    let f = ReviewForm {
        title: edit_title(&student),
        action: review_url(student.id, review.id),
        new_id: None,
        student: &student,
        referential: &referential,
        input: &input,
        errors: &FieldErrors::default(),
        suggestion: &suggestion,
        today: state.clock.today(),
    };
    Ok(form_page(&state, &viewer, &f)?.into_response())
}

/// `POST /eleves/:id/bilans/:bilan`: saves a draft, and publishes it when "Publier"
/// was pressed with the confirmation box.
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless a referent teacher of the student
/// and an existing review; 409 for a published review (unchanged); 422 for an invalid
/// form (kept); store failure.
#[handler]
pub async fn interim_update(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((sid, rid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (student, teacher, review) = load_for_teacher(&state, &viewer, &sid, &rid)?;
    if review.published.is_some() {
        return Ok(published_conflict(&viewer, student.id, review.id));
    }
    let referential = referential_of(&state, &student)?;
    let reviews = state.store.interim_reviews(student.id)?;
    let today = state.clock.today();
    let now = state.clock.now();
    let input = input_of(&form, &referential);
    let publish = form.get("action") == "publish";
    let content = match interim_form::validate_interim(
        &input,
        &referential,
        publish,
        earliest_date(&reviews),
        today,
    ) {
        Ok(c) => c,
        Err(errors) => {
            let suggestion = Suggestion::load(&state, student.id, &referential, &reviews)?;
            let f = ReviewForm {
                title: edit_title(&student),
                action: review_url(student.id, review.id),
                new_id: None,
                student: &student,
                referential: &referential,
                input: &input,
                errors: &errors,
                suggestion: &suggestion,
                today,
            };
            return Ok(form_page(&state, &viewer, &f)?
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
        }
    };
    let cut_off = interim_form::clamp_cut_off(
        &input.considered_until,
        interim_review::considered_until(&reviews),
        now,
    );
    match save_draft(
        &state,
        student.id,
        review.id,
        &Change {
            content: &content,
            cut_off,
            publish,
            teacher,
            now,
        },
    )
    .await?
    {
        Some((_, true)) => {
            saved_flash(publish).set(jar);
            Ok(see_other(&after_save(student.id, review.id, publish)))
        }
        // Published meanwhile (another tab, another teacher).
        Some(_) => Ok(published_conflict(&viewer, student.id, review.id)),
        None => Err(Error::NotFound),
    }
}

/// `POST /eleves/:id/bilans/:bilan/publier`: publishes a draft as it is, once the box
/// "Je comprends qu'un bilan publié ne peut plus être modifié" is ticked and its content
/// may be published ([`interim_form::validate_interim`]).
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless a referent teacher of the student
/// and an existing review; 409 when already published; 422 (the draft page with the
/// reasons) when the box is not ticked or the content may not be published; store
/// failure.
#[handler]
pub async fn interim_publish(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((sid, rid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (student, teacher, review) = load_for_teacher(&state, &viewer, &sid, &rid)?;
    if review.published.is_some() {
        return Ok(published_conflict(&viewer, student.id, review.id));
    }
    let referential = referential_of(&state, &student)?;
    let reviews = state.store.interim_reviews(student.id)?;
    let now = state.clock.now();
    let mut input = InterimInput::from_review(&review, review.considered_until);
    input.confirmed = form.get("confirm") == CONFIRMED;
    if let Err(errors) = interim_form::validate_interim(
        &input,
        &referential,
        true,
        earliest_date(&reviews),
        state.clock.today(),
    ) {
        return draft_page(&state, &viewer, &student, &review, &errors);
    }
    let previous = interim_review::considered_until(&reviews);
    let updated = state
        .store
        .update_interim_review(student.id, review.id, |mut r| {
            r.considered_until =
                interim_form::clamp_cut_off(&r.considered_until.to_string(), previous, now);
            r.published = Some(Publication {
                at: now,
                by: teacher,
            });
            r.updated_at = now;
            Some(r)
        })
        .await?;
    match updated {
        Some((_, true)) => {
            Flash::InterimReviewPublished.set(jar);
            Ok(see_other(&archive_url(student.id, review.id)))
        }
        Some(_) => Ok(published_conflict(&viewer, student.id, review.id)),
        None => Err(Error::NotFound),
    }
}

/// `POST /eleves/:id/bilans/:bilan/supprimer`: first a confirmation page, then (with
/// `confirm=oui`) deletes the draft. A published review is archived for good.
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless a referent teacher of the student
/// and an existing review; 409 for a published review; store failure.
#[handler]
pub async fn interim_delete(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path((sid, rid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let (student, _, review) = load_for_teacher(&state, &viewer, &sid, &rid)?;
    if review.published.is_some() {
        return Ok(published_conflict(&viewer, student.id, review.id));
    }
    let url = review_url(student.id, review.id);
    if form.get("confirm") != CONFIRMED {
        let body = html! {
            p { "Le brouillon du bilan du " (text::date_short(review.date)) " sera supprimé définitivement, avec ses constats, ses conseils et ses positionnements." }
            div.buttons {
                form method="post" action=(format!("{url}/supprimer")) {
                    (csrf_field(&viewer))
                    input type="hidden" name="confirm" value=(CONFIRMED);
                    button.danger type="submit" { "Supprimer définitivement" }
                }
                a.button href=(url) { "Annuler" }
            }
        };
        return Ok(page(
            &viewer,
            "Supprimer ce brouillon ?",
            Some((&url, "Retour au brouillon")),
            body,
        )
        .into_response());
    }
    if !state
        .store
        .delete_draft_interim_review(student.id, review.id)
        .await?
    {
        // Published (or deleted) meanwhile.
        return Ok(match state.store.interim_review(student.id, review.id)? {
            Some(_) => published_conflict(&viewer, student.id, review.id),
            None => see_other(&competency::reviews_url(student.id)),
        });
    }
    Flash::InterimReviewDeleted.set(jar);
    Ok(see_other(&competency::reviews_url(student.id)))
}
