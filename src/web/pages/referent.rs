//! The referent teacher's home: the students they follow, per placement, with the
//! number of logbook entries and of sheets waiting for the tutor.

use super::competency;
use super::{PlacementView, placement_url, tutor_access};
use crate::domain::{CompanyReview, CompanyReviewStatus, SheetStatus, TeacherId, text};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::Viewer;
use crate::web::layout::{count, page};
use maud::html;
use poem::{IntoResponse, Response};

/// The referent's placements, latest start first.
///
/// # Errors
/// Store failure.
pub fn referent_home(state: &State, viewer: &Viewer, id: TeacherId) -> Result<Response> {
    let today = state.clock.today();
    let mut rows = Vec::new();
    let mut placements = state.store.placements_of_referent(id)?;
    placements.sort_by_key(|p| p.attention_order(today));
    for p in placements {
        let waiting = state
            .store
            .sheets(p.id)?
            .iter()
            .filter(|s| s.status == SheetStatus::Submitted)
            .count();
        let entries = state.store.logbook_count(p.id)?;
        let review = state.store.company_review(p.id)?;
        rows.push((
            PlacementView::load(&state.store, p)?,
            entries,
            (waiting, review),
        ));
    }
    let views: Vec<&PlacementView> = rows.iter().map(|(v, _, _)| v).collect();
    let requests = tutor_access::requests_notice(state, &views)?;
    let mut badges = Vec::new();
    for (v, _, _) in &rows {
        badges.push(tutor_access::access_badge(state, v.tutor.id)?);
    }
    let body = html! {
        (requests)
        (super::outbox::home_link(&state.store, &viewer.subject)?)
        @if rows.is_empty() {
            p { "Aucune PFMP ne vous est attribuée comme référent pour le moment." }
        }
        ul.cards {
            @for ((v, entries, (waiting, review)), badge) in rows.iter().zip(&badges) {
                li.card {
                    a.card-link href=(placement_url(v.placement.id)) {
                        strong { (v.student.name.full()) }
                        span.muted { " — " (v.class.name) }
                    }
                    p { (v.company.name) ", tuteur\u{a0}: " (v.tutor.name.full()) }
                    p { (badge) }
                    p.muted {
                        "Du " (text::date_short(v.placement.start)) " au " (text::date_short(v.placement.end))
                        "\u{a0}· " span.nowrap { (v.placement.phase(today).label()) }
                    }
                    p {
                        (count(*entries, "entrée", "entrées")) " au journal"
                        "\u{a0}· "
                        @if *waiting > 0 {
                            span.badge.todo { (count(*waiting, "fiche en attente du tuteur", "fiches en attente du tuteur")) }
                        } @else {
                            "aucune fiche en attente du tuteur"
                        }
                    }
                    p { "Bilan entreprise\u{a0}: " (review_state(review.as_ref())) }
                    p.card-extra {
                        a href=(competency::evaluation_module_url(v.placement.id)) { "Évaluation" }
                        " · "
                        a href=(competency::dashboard_url(v.student.id)) { "Tableau de bord" }
                        " · "
                        a href=(competency::reviews_url(v.student.id)) { "Bilans" }
                    }
                }
            }
        }
    };
    Ok(page(viewer, "Mes élèves", None, body).into_response())
}

/// Where a placement's company review stands, in a word for the referent's list.
fn review_state(review: Option<&CompanyReview>) -> maud::Markup {
    match review.map(|r| &r.status) {
        None => html! { span.badge.draft { "critères à choisir" } },
        Some(CompanyReviewStatus::Open) => html! { span.badge.todo { "à remplir par le tuteur" } },
        Some(CompanyReviewStatus::FilledByTutor { .. }) => {
            html! { span.badge.todo { "rempli, à finaliser à la visite" } }
        }
        Some(CompanyReviewStatus::Finalised { .. }) => html! { span.badge.done { "finalisé" } },
    }
}
