//! `GET /stages/:id`: a placement's page. For the tutor it is the spec's "Dossier de
//! l'élève": objectives of the period, then the logbook and the activity sheets.

use super::{PlacementView, parse_id, placement_url};
use crate::auth::permissions;
use crate::domain::{SheetStatus, Subject, text};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::Viewer;
use crate::web::layout::{count, page};
use maud::html;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// `GET /stages/:id`.
///
/// # Errors
/// 404 when the placement does not exist or is not this person's; store failure.
#[handler]
pub async fn placement_show(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = permissions::visible_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    if let Subject::Tutor(t) = viewer.subject {
        crate::notify::seen(&state, t, crate::domain::notify::Seen::Placement(p.id)).await;
    }
    let today = state.clock.today();
    let entries = state.store.logbook_count(p.id)?;
    let sheets: Vec<_> = state
        .store
        .sheets(p.id)?
        .into_iter()
        .filter(|s| permissions::may_see_sheet(&viewer.subject, s))
        .collect();
    let to_review = sheets
        .iter()
        .filter(|s| s.status == SheetStatus::Submitted)
        .count();
    let is_student = matches!(viewer.subject, Subject::Student(_));
    let others = match viewer.subject {
        Subject::Student(sid) => state
            .store
            .placements_of_student(sid)?
            .into_iter()
            .filter(|o| o.id != p.id)
            .collect(),
        _ => Vec::new(),
    };
    // Issue 8: the « Présence » tile says where the attendance stands.
    let attendance = super::attendance::summary(state.store.attendance(p.id)?.as_ref(), &p, today);
    let v = PlacementView::load(&state.store, p)?;
    let base = placement_url(v.placement.id);
    let access_card = super::tutor_access::section(&state, &viewer, &v)?;
    let student_access = super::recovery::section(&state, &viewer, &v)?;
    let title = if is_student {
        "Ma période en entreprise".to_string()
    } else {
        format!("Dossier {}", text::de(&v.student.name.full()))
    };
    let back = super::competency::back_link(&viewer.subject);
    let nav = super::competency::record_nav(
        &viewer.subject,
        v.student.id,
        Some(v.placement.id),
        super::competency::Module::Portfolio,
    );
    let body = html! {
        (nav)
        p.period {
            "Du " (text::date_long(v.placement.start)) " au " (text::date_long(v.placement.end))
            " " span.badge { span.nowrap { (v.placement.phase(today).label()) } }
        }
        @if !is_student {
            p.muted { (v.class.name) }
        }
        @if permissions::managed_placement(&state.store, &viewer.subject, v.placement.id).is_ok() {
            p { a.small href=(format!("{base}/modifier")) { "Modifier la période" } }
        }
        nav.actions aria-label="Suivi de la période" {
            a.tile href=(format!("{base}/journal")) {
                strong { "Journal de bord" }
                span { (count(entries, "entrée", "entrées")) }
            }
            a.tile href=(format!("{base}/fiches")) {
                strong { "Fiches activités" }
                span {
                    (count(sheets.len(), "fiche", "fiches"))
                    @if to_review > 0 {
                        "\u{a0}· " (to_review)
                        @if is_student { " en attente du tuteur" } @else { " à relire" }
                    }
                }
            }
            a.tile href=(super::attendance::attendance_url(v.placement.id)) {
                strong { "Présence" }
                span { (attendance) }
            }
        }
        section.card {
            h2 { "Objectifs de la période" }
            @if v.placement.objectives.is_empty() {
                p.muted { "Aucun objectif n'a encore été fixé pour cette période." }
            } @else {
                ul {
                    @for o in &v.placement.objectives { li { (o) } }
                }
            }
        }
        section.card {
            h2 { "Entreprise d'accueil" }
            p { strong { (v.company.name) } br; (v.company.address) br; (v.company.city) }
        }
        section.card {
            h2 { "Tuteur de stage" }
            p {
                strong { (v.tutor.name.full()) }
                @if !v.tutor.job_title.is_empty() { br; (v.tutor.job_title) }
                @if let Some(e) = &v.tutor.email { br; a href=(format!("mailto:{e}")) { (e) } }
                @if let Some(t) = &v.tutor.phone { br; a href=(format!("tel:{}", t.replace(' ', ""))) { (t) } }
            }
        }
        (access_card)
        (student_access)
        section.card {
            h2 { "Enseignant référent" }
            p {
                strong { (v.referent.name.full()) }
                @if let Some(e) = &v.referent.email { br; a href=(format!("mailto:{e}")) { (e) } }
            }
        }
        @if !others.is_empty() {
            section.card {
                h2 { "Mes autres périodes" }
                ul {
                    @for o in &others {
                        li { a href=(placement_url(o.id)) { "Du " (text::date_short(o.start)) " au " (text::date_short(o.end)) } " — " span.nowrap { (o.phase(today).label()) } }
                    }
                }
            }
        }
    };
    Ok(page(&viewer, &title, back, body).into_response())
}
