//! The tutor's home: the students placed with them ("Mes stagiaires").

use super::{PlacementView, placement_url};
use crate::domain::{CompanyReviewStatus, SheetStatus, TutorId, text};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::Viewer;
use crate::web::layout::{count, page};
use maud::html;
use poem::{IntoResponse, Response};

/// The list of the tutor's placements, each with what waits for their review.
///
/// # Errors
/// Store failure.
pub fn tutor_home(state: &State, viewer: &Viewer, id: TutorId) -> Result<Response> {
    let today = state.clock.today();
    let mut cards = Vec::new();
    let mut placements = state.store.placements_of_tutor(id)?;
    placements.sort_by_key(|p| p.attention_order(today));
    for p in placements {
        let to_review = state
            .store
            .sheets(p.id)?
            .iter()
            .filter(|s| s.status == SheetStatus::Submitted)
            .count();
        let entries = state.store.logbook_count(p.id)?;
        // The company review waits for the tutor while it is open (issue 5).
        let review_waiting = state
            .store
            .company_review(p.id)?
            .is_some_and(|r| r.status == CompanyReviewStatus::Open);
        // Issue 8: a started placement whose attendance the tutor has not confirmed.
        let attendance = state.store.attendance(p.id)?;
        let attendance_waiting = (p.start <= today
            && attendance.as_ref().and_then(|a| a.confirmed(&p)).is_none())
        .then(|| {
            (
                super::attendance::tutor_task(attendance.as_ref(), &p, today),
                super::attendance::summary(attendance.as_ref(), &p, today),
            )
        });
        cards.push((
            PlacementView::load(&state.store, p)?,
            entries,
            (to_review, review_waiting, attendance_waiting),
        ));
    }
    let protect = super::tutor_passkey::section(state, id)?;
    let body = html! {
        @if cards.is_empty() {
            p { "Aucun stagiaire ne vous est confié pour le moment." }
        }
        ul.cards {
            @for (v, entries, (to_review, review_waiting, attendance_waiting)) in &cards {
                li.card {
                    a.card-link href=(placement_url(v.placement.id)) {
                        strong { (v.student.name.full()) }
                        span.muted { " — " (v.class.name) }
                    }
                    p.muted {
                        "Du " (text::date_short(v.placement.start)) " au " (text::date_short(v.placement.end))
                        "\u{a0}· " span.nowrap { (v.placement.phase(today).label()) }
                    }
                    p {
                        (count(*entries, "entrée", "entrées")) " au journal de bord"
                        @if *to_review > 0 {
                            "\u{a0}· " span.badge.todo { (count(*to_review, "fiche à relire", "fiches à relire")) }
                        }
                    }
                    @if *review_waiting {
                        p { span.badge.todo { "Bilan entreprise à remplir avant la visite" } }
                    }
                    @if let Some((task, summary)) = attendance_waiting {
                        p.card-extra {
                            a href=(super::attendance::attendance_url(v.placement.id)) { (task) }
                            " " span.muted { "(" (summary) ")" }
                        }
                    }
                }
            }
        }
        (protect)
    };
    Ok(page(viewer, "Mes stagiaires", None, body).into_response())
}
