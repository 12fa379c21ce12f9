//! The coordinator's home: the school at a glance (classes, placements under way,
//! staff) and the way into everything a coordinator manages.

use super::staff::{invite_button, status_button};
use super::{PlacementView, placement_url, tutor_access};
use crate::domain::{PlacementPhase, Subject, text};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::Viewer;
use crate::web::layout::{count, page};
use maud::html;
use poem::{IntoResponse, Response};

/// The school overview: pending requests for new tutor links, messages to hand over,
/// classes (each opening its page with students and placements), the placements under
/// way or to come with their tutor access, and the staff.
///
/// # Errors
/// Store failure.
pub fn coordination_home(state: &State, viewer: &Viewer) -> Result<Response> {
    let store = &state.store;
    let today = state.clock.today();
    let school = store.school()?;
    let mut all = store.placements()?;
    all.sort_by_key(|p| p.attention_order(today));
    let mut placements = Vec::new();
    for p in all {
        placements.push(PlacementView::load(store, p)?);
    }
    let mut classes = Vec::new();
    for c in store.classes()? {
        let referential = store.referential(&c.diploma)?;
        let students = store.students_of_class(c.id)?;
        let active = students.iter().filter(|s| s.active).count();
        let running = placements
            .iter()
            .filter(|v| v.class.id == c.id && v.placement.phase(today) == PlacementPhase::Running)
            .count();
        classes.push((c, referential, active, running));
    }
    let current: Vec<&PlacementView> = placements
        .iter()
        .filter(|v| v.placement.phase(today) != PlacementPhase::Finished)
        .collect();
    let mut badges = Vec::new();
    for v in &current {
        badges.push(tutor_access::access_badge(state, v.tutor.id)?);
    }
    let all_views: Vec<&PlacementView> = placements.iter().collect();
    let requests = tutor_access::requests_notice(state, &all_views)?;
    let mut staff: Vec<(Subject, crate::domain::PersonName, &str, bool)> = Vec::new();
    for t in store.teachers()? {
        staff.push((Subject::Teacher(t.id), t.name, "enseignant", t.active));
    }
    for c in store.coordinators()? {
        staff.push((Subject::Coordinator(c.id), c.name, "coordination", c.active));
    }
    let title = school
        .as_ref()
        .map_or("Établissement".to_string(), |s| s.name.clone());
    let body = html! {
        @if let Some(s) = &school {
            p.muted {
                @if !s.address.is_empty() { (s.address) ", " }
                (s.city) "\u{a0}· UAI " (s.uai)
            }
        }
        (requests)
        (super::outbox::home_link(store, &viewer.subject)?)
        h2 { "Classes" }
        div.buttons {
            a.button.primary href="/coordination/classes/nouvelle" { "Nouvelle classe" }
            a.button.secondary href="/coordination/import" { "Importer une liste d'élèves" }
            a.button.secondary href="/coordination/referentiels" { "Référentiels" }
            a.button.secondary href="/coordination/allocations" { "Allocation PFMP" }
        }
        @if classes.is_empty() {
            p.muted { "Aucune classe n'est encore enregistrée." }
        }
        ul.cards {
            @for (class, referential, students, running) in &classes {
                li.card {
                    a.card-link href=(format!("/coordination/classes/{}", class.id)) { strong { (class.name) } }
                    p.muted {
                        (class.year.label()) "\u{a0}· "
                        (referential.as_ref().map_or(class.diploma.as_str(), |r| r.short_name.as_str()))
                    }
                    p {
                        (count(*students, "élève", "élèves"))
                        @if *running > 0 { "\u{a0}· " (count(*running, "période en cours", "périodes en cours")) }
                    }
                }
            }
        }
        h2 { "Périodes en cours et à venir" }
        a.button.primary href="/coordination/stages/nouvelle" { "Nouvelle période de formation" }
        @if current.is_empty() {
            p.muted { "Aucune période en cours ou à venir. Les périodes terminées sont sur la page de chaque classe." }
        } @else {
            div.table-wrap {
                table.stacked {
                    thead { tr { th { "Élève" } th { "Entreprise et tuteur" } th { "Référent" } th { "Dates" } } }
                    tbody {
                        @for (v, badge) in current.iter().zip(&badges) {
                            tr {
                                td data-label="Élève" { div { a href=(placement_url(v.placement.id)) { (v.student.name.full()) } br; span.muted { (v.class.name) } } }
                                td data-label="Entreprise et tuteur" { div { (v.company.name) br; (v.tutor.name.full()) br; (badge) } }
                                td data-label="Référent" { div { (v.referent.name.full()) } }
                                td data-label="Dates" { div { (text::date_short(v.placement.start)) " – " (text::date_short(v.placement.end)) br; span.muted { span.nowrap { (v.placement.phase(today).label()) } } } }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Équipe pédagogique" }
        a.button.primary href="/coordination/equipe/nouveau" { "Ajouter un membre de l'équipe" }
        section.card {
            ul.people {
                @for (subject, name, role, active) in &staff {
                    li {
                        span { (name.full()) " " span.muted { "(" (role) ")" }
                            @if !*active { " " span.muted { "(désactivé)" } } }
                        span.person-actions {
                            @if *active { (invite_button(viewer, subject, name)) }
                            (status_button(viewer, subject, name, *active))
                        }
                    }
                }
            }
        }
        (super::operations::operations_card(state)?)
    };
    Ok(page(viewer, &title, None, body).into_response())
}
