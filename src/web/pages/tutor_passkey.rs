//! A tutor's optional passkey (issue 7, item 6): "Protéger mon accès".
//!
//! A tutor signs in with their personal link (spec, "Accès à l'application par le
//! tuteur"). They may also bind a passkey to it, from their space (`/mon-acces`, reached
//! from a discreet card on their home): from then on the link alone opens nothing, its
//! confirmation asks for the passkey (the page of [`confirm_page`], whose script uses
//! [`crate::web::api_tutor_link`]). The passkey is registered with the block and API
//! every signed-in person uses ([`super::passkeys::registration_form`],
//! `/api/cles-d-acces/inscription`); binding one ends the tutor's other sessions (whoever
//! opened the link before is shut out). A tutor may remove every one of their passkeys,
//! the last included, after a confirmation page: their link is their other way in;
//! removing one ends their other sessions too.
//! A lost device falls back to the referent giving a new link, which removes the
//! tutor's passkeys ([`super::tutor_access::tutor_access_send`]).

use super::passkeys::{device_kind, registration_form};
use super::see_other;
use crate::domain::passkey::PasskeyCredential;
use crate::domain::{PasskeyId, Subject, TutorId, text};
use crate::error::{Error, Result};
use crate::store::PasskeyRemoval;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, page, public_page};
use maud::{Markup, html};
use poem::http::HeaderMap;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// URL of the tutor's "Protéger mon accès" page.
pub const PAGE_URL: &str = "/mon-acces";

/// The active referent teachers of the tutor's placements, by full name (the people to
/// ask for a new link).
///
/// # Errors
/// Store failure.
fn referents_of(state: &State, tutor: TutorId) -> Result<Vec<String>> {
    let mut referents: Vec<String> = Vec::new();
    for p in state.store.placements_of_tutor(tutor)? {
        if let Some(t) = state.store.teacher(p.referent)?.filter(|t| t.active) {
            let name = t.name.full();
            if !referents.contains(&name) {
                referents.push(name);
            }
        }
    }
    Ok(referents)
}

/// "à votre enseignant référent, X" or "à l'équipe pédagogique".
fn whom_to_ask(referents: &[String]) -> Markup {
    html! {
        @if referents.is_empty() { "à l'équipe pédagogique de l'établissement" }
        @else { "à votre enseignant référent, " strong { (referents.join(", ")) } }
    }
}

/// The page a tutor link's confirmation shows when the tutor bound a passkey to the
/// link: nothing is opened until the passkey answers (its script calls
/// `POST /acces/:token/cle` then `…/cle/fin`). Without WebAuthn, or without the device,
/// it says to ask the referent for a new link.
///
/// # Errors
/// Store failure.
pub fn confirm_page(state: &State, token: &str, tutor: TutorId) -> Result<Response> {
    let name = state
        .store
        .tutor(tutor)?
        .map(|t| t.name.first)
        .unwrap_or_default();
    let referents = referents_of(state, tutor)?;
    let body = html! {
        p { "Bonjour " (name) "," }
        p { "Vous avez protégé votre lien personnel par une clé d'accès : confirmez avec l'empreinte, le visage ou le code de votre appareil pour ouvrir votre espace." }
        button.primary #tutor-link-confirm type="button" hidden
            data-tutor-passkey="confirm"
            data-public-origin=(state.config.public_url)
            data-start=(format!("/acces/{token}/cle"))
            data-finish=(format!("/acces/{token}/cle/fin")) {
            "Utiliser ma clé d'accès"
        }
        p.field-error #tutor-passkey-error role="alert" {}
        p.notice #tutor-passkey-unsupported {
            "Ce navigateur ne permet pas d'utiliser une clé d'accès (ou JavaScript y est désactivé). Ouvrez ce lien sur l'appareil où vous avez créé la clé, avec un navigateur à jour."
        }
        p.hint {
            "Appareil perdu ou changé ? Demandez un nouveau lien " (whom_to_ask(&referents))
            " : le nouveau lien ouvrira votre espace sans clé d'accès, et l'ancienne clé sera retirée."
        }
    };
    Ok(public_page("Confirmez avec votre clé d'accès", None, body).into_response())
}

/// The discreet "Protéger mon accès" card at the bottom of the tutor's home: whether
/// their link is protected by a passkey, and the way to the page that manages it.
///
/// # Errors
/// Store failure.
pub fn section(state: &State, tutor: TutorId) -> Result<Markup> {
    let count = state.store.passkeys_of(&Subject::Tutor(tutor))?.len();
    Ok(html! {
        section.card.protect-access {
            h2 { "Protéger mon accès" }
            @if count == 0 {
                p.hint { "Facultatif : associez une clé d'accès à votre lien, pour que le lien seul ne suffise plus à ouvrir votre espace." }
                a href=(PAGE_URL) { "Associer une clé d'accès" }
            } @else {
                p.hint {
                    "Votre lien est protégé par "
                    @if count == 1 { "une clé d'accès" } @else { (count) " clés d'accès" }
                    " : il faut aussi l'appareil pour ouvrir votre espace."
                }
                a href=(PAGE_URL) { "Gérer mes clés d'accès" }
            }
        }
    })
}

/// `GET /mon-acces`: the tutor's passkeys bound to their link (name, added, last
/// used, remove) and the block that binds one more (the passkey pages' own, driven by
/// `pwa/passkey.js`).
///
/// # Errors
/// 404 for anyone but a tutor; store failure.
#[handler]
pub fn tutor_passkeys_show(
    state: Data<&State>,
    mut viewer: Viewer,
    headers: &HeaderMap,
) -> Result<Response> {
    let Subject::Tutor(tutor) = viewer.subject else {
        return Err(Error::NotFound);
    };
    // The passkey API's message speaks of the sign-in page, which tutors do not use.
    if viewer.flash == Some(Flash::PasskeyAdded) {
        viewer.flash = Some(Flash::TutorPasskeyAdded);
    }
    let passkeys = state.store.passkeys_of(&viewer.subject)?;
    let user_agent = headers
        .get(poem::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let referents = referents_of(&state, tutor)?;
    let zone = state.clock.zone().clone();
    let when =
        |at: jiff::Timestamp| text::date_time_long(at.to_zoned_datetime(zone.clone()).datetime());
    let body = html! {
        @if passkeys.is_empty() {
            p { "Votre lien personnel suffit pour ouvrir votre espace. Vous pouvez, si vous le souhaitez, y associer une clé d'accès : ensuite, le lien seul ne suffira plus, il faudra aussi confirmer avec l'empreinte, le visage ou le code de votre téléphone ou ordinateur." }
        } @else {
            p { "Votre lien est protégé : après l'avoir ouvert, confirmez avec l'une de vos clés d'accès (empreinte, visage ou code de l'appareil)." }
        }
        p.hint {
            "Si vous perdez l'appareil, demandez un nouveau lien " (whom_to_ask(&referents))
            " : le nouveau lien retire les clés d'accès associées à l'ancien."
        }
        @if passkeys.is_empty() {
            p.muted { "Aucune clé d'accès n'est associée à votre lien." }
        } @else {
            h2 { "Mes clés d'accès" }
            ul.cards {
                @for p in &passkeys {
                    li.card {
                        strong { (p.name) }
                        p.muted {
                            "Ajoutée le " (when(p.created_at))
                            br;
                            @match p.last_used {
                                Some(at) => { "Dernière utilisation le " (when(at)) }
                                None => { "Jamais utilisée" }
                            }
                        }
                        a.button.small.danger href=(format!("{PAGE_URL}/cles/{}/supprimer", p.id)) {
                            "Retirer" span.visually-hidden { " la clé « " (p.name) " »" }
                        }
                    }
                }
            }
            p.hint { "Si vous retirez toutes vos clés, votre lien seul ouvrira de nouveau votre espace." }
        }
        section.card.tutor-passkey-add {
            @if passkeys.is_empty() {
                h2 { "Associer une clé d'accès" }
                (registration_form(device_kind(user_agent), PAGE_URL, "Associer une clé d'accès", &state.config.public_url))
            } @else {
                h2 { "Ajouter une clé d'accès" }
                p.hint { "Par exemple une clé de sécurité, ou un autre téléphone à portée (le navigateur propose alors de scanner un QR code)." }
                (registration_form(device_kind(user_agent), PAGE_URL, "Ajouter une clé d'accès", &state.config.public_url))
            }
        }
    };
    Ok(page(
        &viewer,
        "Protéger mon accès",
        Some(("/", "Mes stagiaires")),
        body,
    )
    .into_response())
}

/// One of the tutor's own passkeys, by the id in the URL.
///
/// # Errors
/// [`Error::NotFound`] for anyone but a tutor, a malformed id, or someone else's.
fn own_passkey(state: &State, viewer: &Viewer, id: &str) -> Result<PasskeyCredential> {
    if !matches!(viewer.subject, Subject::Tutor(_)) {
        return Err(Error::NotFound);
    }
    let id: PasskeyId = super::parse_id(id)?;
    state
        .store
        .passkey(&viewer.subject, id)?
        .ok_or(Error::NotFound)
}

/// `GET /mon-acces/cles/:id/supprimer`: asks the tutor to confirm removing one of the
/// passkeys bound to their link (their link stays their way in; their other sessions
/// will end).
///
/// # Errors
/// 404 for anyone but a tutor and for a passkey that is not theirs; store failure.
#[handler]
pub fn tutor_passkey_remove_confirm(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let p = own_passkey(&state, &viewer, &id)?;
    let left = state
        .store
        .passkeys_of(&viewer.subject)?
        .len()
        .saturating_sub(1);
    let when = text::date_time_long(
        p.created_at
            .to_zoned_datetime(state.clock.zone().clone())
            .datetime(),
    );
    let body = html! {
        p.break {
            "La clé d'accès « " strong { (p.name) } " », ajoutée le " (when)
            ", ne servira plus à confirmer votre lien personnel."
        }
        @if left == 0 {
            p { "C'était votre seule clé : votre lien seul ouvrira de nouveau votre espace." }
        }
        p { "Par sécurité, vos autres sessions (ouvertes sur d'autres appareils ou navigateurs) seront fermées : seule celle-ci restera ouverte." }
        div.buttons {
            form method="post" action=(format!("{PAGE_URL}/cles/{}/supprimer", p.id)) {
                (csrf_field(&viewer))
                button.danger type="submit" { "Retirer la clé d'accès" }
            }
            a.button href=(PAGE_URL) { "Annuler" }
        }
    };
    Ok(page(
        &viewer,
        "Retirer une clé d'accès",
        Some((PAGE_URL, "Protéger mon accès")),
        body,
    )
    .into_response())
}

/// `POST /mon-acces/cles/:id/supprimer`: removes one of the tutor's passkeys, the last
/// one included (the link alone then opens their space again), and ends the tutor's
/// other sessions in the same transaction; this one stays.
///
/// # Errors
/// 404 for anyone but a tutor and for a passkey that is not theirs; 403 without a
/// valid anti-CSRF token; store failure.
#[handler]
pub async fn tutor_passkey_remove(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    if !matches!(viewer.subject, Subject::Tutor(_)) {
        return Err(Error::NotFound);
    }
    viewer.check_csrf(&form)?;
    let id: PasskeyId = super::parse_id(&id)?;
    match state
        .store
        .remove_passkey(&viewer.subject, id, true, &viewer.session_hash)
        .await?
    {
        PasskeyRemoval::Removed => {
            tracing::info!("clé d'accès du lien tuteur retirée");
            Flash::TutorPasskeyRemoved.set(jar);
            Ok(see_other(PAGE_URL))
        }
        PasskeyRemoval::NotFound | PasskeyRemoval::LastOne => Err(Error::NotFound),
    }
}
