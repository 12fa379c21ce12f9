//! The coordinator's home: the school's staff, classes, students and placements, with
//! what a coordinator can do so far (add staff and classes, invite people).

use super::staff::{invite_button, status_button};
use super::{PlacementView, placement_url};
use crate::domain::{Subject, text};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::Viewer;
use crate::web::layout::{count, page};
use maud::html;
use poem::{IntoResponse, Response};

/// The school overview.
///
/// # Errors
/// Store failure.
pub fn coordination_home(state: &State, viewer: &Viewer) -> Result<Response> {
    let store = &state.store;
    let today = state.clock.today();
    let school = store.school()?;
    let mut classes = Vec::new();
    for c in store.classes()? {
        let referential = store.referential(&c.diploma)?;
        let students = store.students_of_class(c.id)?;
        classes.push((c, referential, students));
    }
    let mut all = store.placements()?;
    all.sort_by_key(|p| p.attention_order(today));
    let mut placements = Vec::new();
    for p in all {
        placements.push(PlacementView::load(store, p)?);
    }
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
        (super::outbox::home_link(store, &viewer.subject)?)
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
        h2 { "Classes" }
        a.button.primary href="/coordination/classes/nouvelle" { "Nouvelle classe" }
        " " a.button.secondary href="/coordination/import" { "Importer une liste d'élèves" }
        " " a.button.secondary href="/coordination/referentiels" { "Référentiels" }
        @if classes.is_empty() {
            p.muted { "Aucune classe n'est encore enregistrée." }
        }
        @for (class, referential, students) in &classes {
            section.card {
                h3 { (class.name) }
                p.muted {
                    (class.year.label()) "\u{a0}· "
                    (referential.as_ref().map_or(class.diploma.as_str(), |r| r.short_name.as_str()))
                    "\u{a0}· " (count(students.len(), "élève", "élèves"))
                }
                ul.people {
                    @for s in students {
                        li {
                            span { (s.name.last.to_uppercase()) " " (s.name.first)
                                @if !s.active { " " span.muted { "(désactivé)" } } }
                            span.person-actions {
                                @if s.active { (invite_button(viewer, &Subject::Student(s.id), &s.name)) }
                                (status_button(viewer, &Subject::Student(s.id), &s.name, s.active))
                            }
                        }
                    }
                }
            }
        }
        h2 { "Périodes de formation en entreprise" }
        a.button.primary href="/coordination/stages/nouvelle" { "Nouvelle période de formation" }
        @if placements.is_empty() {
            p.muted { "Aucune période n'est encore enregistrée." }
        } @else {

        div.table-wrap {
            table.stacked {
                thead { tr { th { "Élève" } th { "Entreprise" } th { "Tuteur" } th { "Référent" } th { "Dates" } } }
                tbody {
                    @for v in &placements {
                        tr {
                            td data-label="Élève" { div { a href=(placement_url(v.placement.id)) { (v.student.name.full()) } br; span.muted { (v.class.name) } } }
                            td data-label="Entreprise" { div { (v.company.name) } }
                            td data-label="Tuteur" { div { (v.tutor.name.full()) } }
                            td data-label="Référent" { div { (v.referent.name.full()) } }
                            td data-label="Dates" { div { (text::date_short(v.placement.start)) " – " (text::date_short(v.placement.end)) br; span.muted { span.nowrap { (v.placement.phase(today).label()) } } } }
                        }
                    }
                }
            }
        }
        }
    };
    Ok(page(viewer, &title, None, body).into_response())
}
