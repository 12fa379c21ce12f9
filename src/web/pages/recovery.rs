//! Recovery (issue 7, item 5): a student who lost their phone, or changed it without a
//! synced passkey, gets a new invitation from their referent teacher (or from the
//! coordination). The invitation revokes nothing: the student's passkeys keep working
//! until they register a new one and remove the old ones on `/cles-d-acces`.
//!
//! Coordinators invite staff and students from their own pages
//! (`/coordination/invitations`, [`super::staff`]); this is the student's side, on the
//! placement page where the referent sees the student.

use super::PlacementView;
use super::staff::invitation_shown_once;
use crate::auth::{self, permissions};
use crate::domain::{Student, StudentId, Subject, text};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::web::State;
use crate::web::extract::{FormData, Viewer, active_name};
use crate::web::layout::csrf_field;
use maud::{Markup, html};
use poem::web::{Data, Path};
use poem::{Response, handler};

/// URL of the form that issues a student a new invitation.
pub fn invitation_url(student: StudentId) -> String {
    format!("/eleves/{student}/invitation")
}

/// The student `id` if `who` may give them a new invitation: a referent teacher of one
/// of their placements, or a coordinator (issue 7: "a referent (for students) or
/// coordinator (for staff) can issue a new invitation").
///
/// # Errors
/// [`Error::NotFound`] for anyone else, and for an unknown student.
pub fn invitable_student(store: &Store, who: &Subject, id: StudentId) -> Result<Student> {
    match who {
        Subject::Teacher(_) | Subject::Coordinator(_) => {
            permissions::visible_student(store, who, id)
        }
        Subject::Student(_) | Subject::Tutor(_) => Err(Error::NotFound),
    }
}

/// The "Accès de l'élève" card of the placement page, for its referent and the
/// coordinators (others get nothing): how many passkeys the student has, and the button
/// that gives them a new invitation, with when to use it. Nothing for an inactive
/// student (an invitation would open nothing).
///
/// # Errors
/// Store failure.
pub fn section(state: &State, viewer: &Viewer, v: &PlacementView) -> Result<Markup> {
    if invitable_student(&state.store, &viewer.subject, v.student.id).is_err() || !v.student.active
    {
        return Ok(html! {});
    }
    let keys = state.store.passkeys_of(&Subject::Student(v.student.id))?;
    let passkeys = keys.len();
    let last_used = keys.iter().filter_map(|p| p.last_used).max();
    let zone = state.clock.zone().clone();
    Ok(html! {
        section.card #acces-eleve {
            h2 { "Accès de l'élève" }
            p {
                @match passkeys {
                    0 => { "Aucune clé d'accès enregistrée." }
                    1 => { "1 clé d'accès enregistrée." }
                    n => { (n) " clés d'accès enregistrées." }
                }
                @if let Some(at) = last_used {
                    " Dernière connexion avec une clé le " (text::date_time_long(at.to_zoned_datetime(zone).datetime())) "."
                }
            }
            form method="post" action=(invitation_url(v.student.id)) {
                (csrf_field(viewer))
                button type="submit" {
                    "Donner une nouvelle invitation"
                    span.visually-hidden { " à " (v.student.name.full()) }
                }
            }
            p.hint {
                "À utiliser si l'élève a perdu son téléphone, ou en a changé sans retrouver sa clé d'accès. "
                "L'invitation, à usage unique et valable " (auth::INVITATION_DAYS) " jours, lui fait créer une nouvelle clé ; "
                "elle ne retire rien : ses clés actuelles restent valables jusqu'à ce qu'il les supprime."
            }
        }
    })
}

/// `POST /eleves/:id/invitation`: issues the student a single-use invitation
/// (replacing any invitation of theirs still waiting) and shows it once. Their passkeys
/// are left alone.
///
/// # Errors
/// 404 unless a referent teacher of the student or a coordinator, and for an unknown or
/// inactive student; 403 without a valid anti-CSRF token; store failure.
#[handler]
pub async fn student_invitation_create(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    let student = invitable_student(&state.store, &viewer.subject, super::parse_id(&id)?)?;
    viewer.check_csrf(&form)?;
    let subject = Subject::Student(student.id);
    let name = active_name(&state, &subject)?.ok_or(Error::NotFound)?;
    let secret = auth::issue_invitation(&state.store, &state.clock, subject).await?;
    tracing::info!(
        by = viewer.subject.role_label(),
        "invitation de récupération émise pour un élève"
    );
    let back = match viewer.subject {
        Subject::Teacher(_) => ("/", "Retour à mes élèves"),
        _ => ("/", "Retour à l'établissement"),
    };
    Ok(invitation_shown_once(
        &state, &viewer, &subject, &name, &secret, back,
    ))
}
