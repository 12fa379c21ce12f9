//! `GET /`: each person's home. A visitor who is not signed in gets the welcome page.

use super::{coordination, placement_url, referent, see_other, tutor};
use crate::domain::{PlacementPhase, Subject};
use crate::error::Result;
use crate::web::State;
use crate::web::extract::{Flash, Viewer};
use crate::web::layout::{page, public_page};
use maud::html;
use poem::web::Data;
use poem::web::cookie::CookieJar;
use poem::{IntoResponse, Response, handler};

/// `GET /`: the student goes to their current placement; tutors, referents and
/// coordinators get their lists.
///
/// # Errors
/// Store failure.
#[handler]
pub async fn home(
    state: Data<&State>,
    viewer: poem::Result<Viewer>,
    jar: &CookieJar,
) -> Result<Response> {
    let Ok(viewer) = viewer else {
        return Ok(welcome(Flash::take(jar)).into_response());
    };
    match viewer.subject {
        Subject::Student(id) => {
            let placements = state.store.placements_of_student(id)?;
            let today = state.clock.today();
            let current = placements
                .iter()
                .find(|p| p.phase(today) == PlacementPhase::Running)
                .or(placements.first());
            match current {
                Some(p) => {
                    if let Some(flash) = viewer.flash {
                        flash.set(jar);
                    }
                    Ok(see_other(&placement_url(p.id)))
                }
                None => Ok(page(
                    &viewer,
                    "Mes PFMP",
                    None,
                    html! {
                        p { "Aucune période de formation en milieu professionnel ne vous est encore attribuée." }
                        p { "L'établissement l'ajoutera dès que votre entreprise d'accueil sera connue." }
                    },
                )
                .into_response()),
            }
        }
        Subject::Tutor(id) => {
            // The tutor sees what waits: the "à relire" count starts again (issue 6).
            crate::notify::seen(&state, id, crate::domain::notify::Seen::All).await;
            tutor::tutor_home(&state, &viewer, id)
        }
        Subject::Teacher(id) => referent::referent_home(&state, &viewer, id),
        Subject::Coordinator(_) => coordination::coordination_home(&state, &viewer),
    }
}

fn welcome(flash: Option<Flash>) -> maud::Markup {
    public_page(
        "Bienvenue sur Livret",
        flash,
        html! {
            p { "Livret est le livret de suivi des périodes de formation en milieu professionnel (PFMP) de l'établissement : journal de bord et fiches activités, partagés entre l'élève, le tuteur en entreprise et l'enseignant référent." }
            p { "Élèves, enseignants et équipe pédagogique : connectez-vous avec votre clé d'accès. Première fois ? Ouvrez le lien d'invitation que l'établissement vous a envoyé." }
            a.button.primary href="/connexion" { "Se connecter" }
            p.hint { "Tuteurs en entreprise : ouvrez le lien personnel reçu par courriel." }
        },
    )
}
