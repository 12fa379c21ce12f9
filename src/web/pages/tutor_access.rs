//! The tutor's personal link as the referent and the coordinators manage it (issue 3,
//! item 6; spec "Accès à l'application par le tuteur"): issue it and send it by e-mail
//! (or to the outbox), lock and unlock it, give a new one. The placement page shows its
//! state: issued, valid until, sent, last used, and the tutor's request for a new link.

use super::{PlacementView, parse_id, placement_url, see_other};
use crate::auth::{self, permissions};
use crate::domain::access::{AccessRequest, AccessToken, LinkRefusal};
use crate::domain::{Subject, TutorId, text};
use crate::error::{Error, Result};
use crate::mail::{self, Delivery, MailAbout};
use crate::store::Store;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::csrf_field;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use maud::{Markup, html};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{Response, handler};

/// Where a tutor's access stands, as lists and the placement page show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessState {
    /// No link was ever issued.
    None,
    /// The link works.
    Active(AccessToken),
    /// The link is locked.
    Locked(AccessToken),
    /// The six months are over.
    Expired(AccessToken),
}

impl AccessState {
    /// The state of `tutor`'s current link at `now`.
    ///
    /// # Errors
    /// Store failure.
    pub fn of(store: &Store, tutor: TutorId, now: Timestamp) -> Result<AccessState> {
        Ok(match store.tutor_link(tutor)? {
            None => AccessState::None,
            Some((_, t)) => match t.refusal_at(now) {
                None => AccessState::Active(t),
                Some(LinkRefusal::Locked) => AccessState::Locked(t),
                // The current link is never superseded; treat it as expired if it were.
                Some(LinkRefusal::Expired | LinkRefusal::Superseded) => AccessState::Expired(t),
            },
        })
    }

    /// Short French label for lists: "aucun accès", "actif jusqu'au 11/09/2026",
    /// "verrouillé", "expiré".
    pub fn label(&self, zone: &TimeZone) -> String {
        match self {
            AccessState::None => "aucun accès".into(),
            AccessState::Active(t) => format!(
                "actif jusqu'au {}",
                text::date_short(t.expires.to_zoned_datetime(zone.clone()).date())
            ),
            AccessState::Locked(_) => "verrouillé".into(),
            AccessState::Expired(_) => "expiré".into(),
        }
    }

    /// CSS class of the label's badge.
    pub fn css(&self) -> &'static str {
        match self {
            AccessState::Active(_) => "badge done",
            AccessState::None => "badge draft",
            AccessState::Locked(_) | AccessState::Expired(_) => "badge todo",
        }
    }
}

fn when(at: Timestamp, zone: &TimeZone) -> String {
    text::date_time_long(at.to_zoned_datetime(zone.clone()).datetime())
}

/// The "Accès du tuteur" card of the placement page, for its referent and the
/// coordinators (others get nothing).
///
/// # Errors
/// Store failure.
pub fn section(state: &State, viewer: &Viewer, v: &PlacementView) -> Result<Markup> {
    if !matches!(
        viewer.subject,
        Subject::Teacher(_) | Subject::Coordinator(_)
    ) {
        return Ok(html! {});
    }
    let zone = state.clock.zone();
    let now = state.clock.now();
    let access = AccessState::of(&state.store, v.tutor.id, now)?;
    let request: Option<AccessRequest> = state.store.access_request(v.tutor.id)?;
    let waiting = state
        .store
        .outbox()?
        .iter()
        .any(|m| m.tutor == Some(v.tutor.id));
    let base = format!("{}/acces-tuteur", placement_url(v.placement.id));
    let passkeys = state.store.passkeys_of(&Subject::Tutor(v.tutor.id))?.len();
    let token = match &access {
        AccessState::None => None,
        AccessState::Active(t) | AccessState::Locked(t) | AccessState::Expired(t) => Some(t),
    };
    Ok(html! {
        section.card #acces-tuteur {
            h2 { "Accès du tuteur" }
            p { span class=(access.css()) { (access.label(zone)) } }
            @if let Some(r) = &request {
                p.notice role="status" {
                    strong { "Demande de nouveau lien" } " : " (v.tutor.name.full())
                    " l'a demandé le " (when(r.created, zone)) " (" (r.reason.label()) ")."
                }
            }
            @if let Some(t) = token {
                dl.facts {
                    dt { "Créé le" } dd { (when(t.issued, zone)) }
                    dt { "Valable jusqu'au" } dd { (text::date_long(t.expires.to_zoned_datetime(zone.clone()).date())) }
                    dt { "Envoyé" } dd {
                        @match (t.sent, t.handed_over) {
                            (Some(at), _) => { "par courriel le " (when(at, zone)) }
                            (None, Some(at)) => { "remis par l'établissement (lien copié ou lettre) le " (when(at, zone)) }
                            (None, None) => {
                                @if waiting { "pas encore : le message attend dans « Messages à remettre »" }
                                @else { "pas par courriel" }
                            }
                        }
                    }
                    dt { "Dernière utilisation" } dd {
                        @match t.last_used {
                            Some(at) => { (when(at, zone)) }
                            None => { "jamais" }
                        }
                    }
                    dt { "Clé d'accès" } dd {
                        @match passkeys {
                            0 => { "aucune : le lien seul ouvre son espace" }
                            1 => { "oui, demandée après le lien" }
                            n => { (n) " clés, l'une demandée après le lien" }
                        }
                    }
                }
            } @else {
                p.muted { "Le tuteur n'a pas encore reçu de lien d'accès personnel." }
            }
            @if v.tutor.email.is_none() {
                p.hint { "Aucune adresse électronique n'est connue pour ce tuteur : le message ira dans « Messages à remettre », d'où vous pourrez imprimer une lettre avec le lien en QR code." }
            }
            div.buttons {
                form method="post" action=(base) {
                    (csrf_field(viewer))
                    @match &access {
                        AccessState::None => { button.primary type="submit" { "Créer l'accès et l'envoyer" } }
                        _ => { button type="submit" { "Donner un nouveau lien" } }
                    }
                }
                @match &access {
                    AccessState::Active(_) => {
                        form method="post" action=(format!("{base}/verrouiller")) {
                            (csrf_field(viewer))
                            button.danger type="submit" { "Verrouiller l'accès" }
                        }
                    }
                    AccessState::Locked(_) => {
                        form method="post" action=(format!("{base}/deverrouiller")) {
                            (csrf_field(viewer))
                            button type="submit" { "Déverrouiller" }
                        }
                    }
                    _ => {}
                }
            }
            @if !matches!(access, AccessState::None) {
                p.hint {
                    "Un nouveau lien remplace l'ancien : l'ancien lien et les sessions ouvertes avec lui cessent aussitôt de fonctionner. Verrouiller bloque le lien actuel sans en donner un autre (lien perdu ou volé)."
                    @if passkeys > 0 { " Le nouveau lien retire aussi les clés d'accès du tuteur : c'est la solution s'il a perdu l'appareil qui porte sa clé." }
                }
            }
        }
    })
}

/// `POST /stages/:id/acces-tuteur`: issues the tutor a new personal link (replacing the
/// previous one, whose sessions end at once), and sends the spec's e-mail, or puts it
/// in the outbox when there is no SMTP server, no address, or the server refuses.
///
/// # Errors
/// 404 unless the placement's referent or a coordinator; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn tutor_access_send(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    let p = permissions::managed_placement(&state.store, &viewer.subject, parse_id(&id)?)?;
    viewer.check_csrf(&form)?;
    let v = PlacementView::load(&state.store, p)?;
    let school = state
        .store
        .school()?
        .ok_or_else(|| Error::Internal("établissement absent".into()))?;
    // Links held in the outbox for the old link must never be handed over.
    state.store.delete_outbox_of_tutor(v.tutor.id).await?;
    let (secret, token) =
        auth::issue_link_with_token(&state.store, &state.clock, Subject::Tutor(v.tutor.id)).await?;
    // The fallback for a lost device (issue 7): the new link opens the tutor's space
    // without the passkeys bound to the old one. Removed after the new link is issued,
    // so that a failure leaves the old link superseded rather than unprotected.
    let passkeys_removed = state
        .store
        .remove_passkeys_of(&Subject::Tutor(v.tutor.id))
        .await?
        > 0;
    let link = format!("{}/acces/{secret}", state.config.public_url);
    let valid_until = token
        .expires
        .to_zoned_datetime(state.clock.zone().clone())
        .date();
    let message = mail::tutor_access_mail(
        &school,
        &v.student,
        &v.tutor,
        &v.referent,
        &link,
        valid_until,
    );
    let about = MailAbout {
        tutor: Some(v.tutor.id),
        placement: Some(v.placement.id),
        link: Some(link),
    };
    match mail::deliver(&state, message, about).await? {
        Delivery::Sent => {
            state
                .store
                .mark_token_sent(&auth::hash_secret(&secret), state.clock.now())
                .await?;
            tracing::info!(passkeys_removed, "accès tuteur créé et envoyé par courriel");
            if passkeys_removed {
                Flash::TutorAccessSentPasskeysRemoved.set(jar);
            } else {
                Flash::TutorAccessSent.set(jar);
            }
        }
        Delivery::Outbox { .. } => {
            tracing::info!(
                passkeys_removed,
                "accès tuteur créé, message dans la boîte d'envoi"
            );
            if passkeys_removed {
                Flash::TutorAccessInOutboxPasskeysRemoved.set(jar);
            } else {
                Flash::TutorAccessInOutbox.set(jar);
            }
        }
    }
    Ok(see_other(&format!(
        "{}#acces-tuteur",
        placement_url(v.placement.id)
    )))
}

async fn set_locked(
    state: &State,
    viewer: &Viewer,
    jar: &CookieJar,
    id: &str,
    form: &FormData,
    locked: bool,
) -> Result<Response> {
    let p = permissions::managed_placement(&state.store, &viewer.subject, parse_id(id)?)?;
    viewer.check_csrf(form)?;
    if locked {
        state.store.delete_outbox_of_tutor(p.tutor).await?;
    }
    if state.store.set_tutor_link_locked(p.tutor, locked).await? {
        if locked {
            tracing::info!("accès tuteur verrouillé");
            Flash::TutorAccessLocked.set(jar);
        } else {
            tracing::info!("accès tuteur déverrouillé");
            Flash::TutorAccessUnlocked.set(jar);
        }
    }
    Ok(see_other(&format!("{}#acces-tuteur", placement_url(p.id))))
}

/// `POST /stages/:id/acces-tuteur/verrouiller`: locks the tutor's link; sessions opened
/// with it end on their next request.
///
/// # Errors
/// 404 unless the placement's referent or a coordinator; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn tutor_access_lock(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    set_locked(&state, &viewer, jar, &id, &form, true).await
}

/// `POST /stages/:id/acces-tuteur/deverrouiller`: unlocks the tutor's link (and clears
/// their request for a new one).
///
/// # Errors
/// 404 unless the placement's referent or a coordinator; 403 without a valid anti-CSRF
/// token; store failure.
#[handler]
pub async fn tutor_access_unlock(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    set_locked(&state, &viewer, jar, &id, &form, false).await
}

/// A notice listing the tutors of `placements` who asked for a new link, each with a
/// link to the access card of one of their placements (referent and coordinator homes).
///
/// # Errors
/// Store failure.
pub fn requests_notice(state: &State, placements: &[&PlacementView]) -> Result<Markup> {
    let mut asked: Vec<(&PlacementView, AccessRequest)> = Vec::new();
    for v in placements {
        if asked.iter().any(|(w, _)| w.tutor.id == v.tutor.id) {
            continue;
        }
        if let Some(r) = state.store.access_request(v.tutor.id)? {
            asked.push((v, r));
        }
    }
    let zone = state.clock.zone();
    Ok(html! {
        @if !asked.is_empty() {
            section.notice role="status" {
                h2 { "Demandes de nouveau lien" }
                ul {
                    @for (v, r) in &asked {
                        li {
                            a href=(format!("{}#acces-tuteur", placement_url(v.placement.id))) { (v.tutor.name.full()) }
                            " (" (v.company.name) ", tuteur " (text::de(&v.student.name.full())) ")"
                            " — " (r.reason.label()) ", demandé le " (when(r.created, zone))
                        }
                    }
                }
            }
        }
    })
}

/// The tutor-access badge of a placement row: "Accès tuteur : actif jusqu'au …".
///
/// # Errors
/// Store failure.
pub fn access_badge(state: &State, tutor: TutorId) -> Result<Markup> {
    let access = AccessState::of(&state.store, tutor, state.clock.now())?;
    Ok(html! {
        span class=(access.css()) { "Accès tuteur\u{a0}: " (access.label(state.clock.zone())) }
    })
}
