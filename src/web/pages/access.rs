//! Personal links: `GET /acces/:token` shows a confirmation page; only the POST from
//! that page opens a session, so mail scanners and link previews (which issue GETs)
//! neither sign anyone in nor use anything up. `POST /deconnexion` signs out.

use super::see_other;
use crate::auth;
use crate::domain::access::{AccessKind, AccessRequest, AccessToken, LinkRefusal};
use crate::domain::{Subject, TutorId, text};
use crate::error::{Error, Result};
use crate::web::extract::{Flash, FormData, Viewer, active_name, session_cookie};
use crate::web::layout::public_page;
use crate::web::proxy::ClientAddr;
use crate::web::{State, confirm};
use maud::{Markup, html};
use poem::http::{HeaderMap, StatusCode};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// Counts a request to a sign-in route (personal links, installation link) against the
/// client's limit and, for a sign-in, against the link's own, as issue 3 asks. The
/// client is its [`ClientAddr`]: behind a `--trust-proxy` proxy, the forwarded address.
///
/// # Errors
/// [`Error::TooManyRequests`] with the wait in seconds.
pub fn limit(state: &State, client: &ClientAddr, account: Option<[u8; 32]>) -> Result<()> {
    let too_many = |wait: std::time::Duration| {
        tracing::warn!("connexion refusée : trop de tentatives");
        Error::TooManyRequests(wait.as_secs().max(1))
    };
    if let Some(ip) = client.ip() {
        state.limits.check_client(ip).map_err(too_many)?;
    }
    if let Some(hash) = account {
        state.limits.check_account(hash).map_err(too_many)?;
    }
    Ok(())
}

/// What an invitation is, and where someone who already used theirs signs in: shown
/// on every page of a link that opens nothing but a tutor's (a used or replaced
/// invitation is deleted, so it looks like any unknown string).
fn invitation_help() -> Markup {
    html! {
        p {
            "Un lien d'invitation ne sert qu'une fois, pendant " (auth::INVITATION_DAYS) " jours. "
            "Si vous avez déjà créé votre clé d'accès avec lui, connectez-vous avec "
            a href=(super::signin::SIGN_IN_URL) { "« Se connecter »" } "."
        }
    }
}

/// The page of a link that opens nothing and that we say nothing more about (unknown
/// string, used or replaced invitation, inactive person): 404.
fn invalid_link() -> Response {
    public_page(
        "Lien non valable",
        None,
        html! {
            p { "Ce lien d'accès n'est pas ou plus valable : il a peut-être expiré, été verrouillé ou remplacé par un nouveau lien." }
            (invitation_help())
            p { "Sinon, demandez un nouveau lien à l'enseignant référent ou à l'équipe pédagogique de l'établissement." }
        },
    )
    .with_status(StatusCode::NOT_FOUND)
    .into_response()
}

/// The page of a stored invitation that opens nothing (past its 7 days, or locked):
/// what happened, how to sign in with a passkey already made, whom to ask; 410.
fn refused_invitation(state: &State, refusal: LinkRefusal, link: &AccessToken) -> Response {
    let what = match refusal {
        LinkRefusal::Expired => format!(
            "Cette invitation a expiré le {}.",
            text::date_long(
                link.expires
                    .to_zoned_datetime(state.clock.zone().clone())
                    .date()
            )
        ),
        LinkRefusal::Locked => "Cette invitation a été annulée par l'établissement.".to_string(),
        LinkRefusal::Superseded => {
            "Cette invitation a été remplacée par une plus récente.".to_string()
        }
    };
    let title = match refusal {
        LinkRefusal::Expired => "Invitation expirée",
        LinkRefusal::Locked | LinkRefusal::Superseded => "Invitation non valable",
    };
    public_page(
        title,
        None,
        html! {
            p { (what) }
            (invitation_help())
            p { "Sinon, demandez une nouvelle invitation à votre enseignant référent (élèves) ou à la coordination (enseignants)." }
        },
    )
    .with_status(StatusCode::GONE)
    .into_response()
}

/// The page of a tutor link that opens nothing: what happened, whom to ask, and a button
/// to ask for a new link (or the date of the request already made).
fn refused_tutor_link(
    state: &State,
    jar: &CookieJar,
    token: &str,
    tutor: TutorId,
    refusal: LinkRefusal,
    link: &AccessToken,
) -> Result<Response> {
    let store = &state.store;
    let mut referents: Vec<String> = Vec::new();
    for p in store.placements_of_tutor(tutor)? {
        if let Some(t) = store.teacher(p.referent)?.filter(|t| t.active) {
            let name = t.name.full();
            if !referents.contains(&name) {
                referents.push(name);
            }
        }
    }
    let school = store.school()?.map(|s| s.name).unwrap_or_default();
    let zone = state.clock.zone().clone();
    let what = match refusal {
        LinkRefusal::Locked => "Votre accès a été verrouillé par l'établissement, par exemple parce que le lien a été signalé perdu ou volé.".to_string(),
        LinkRefusal::Expired => format!(
            "Votre accès a pris fin le {} : il était valable six mois.",
            text::date_long(link.expires.to_zoned_datetime(zone).date())
        ),
        LinkRefusal::Superseded => "Ce lien a été remplacé par un nouveau lien et ne fonctionne plus. Utilisez celui du courriel ou de la lettre le plus récent.".to_string(),
    };
    let pending = store.access_request(tutor)?;
    let body = html! {
        p { (what) }
        p {
            "Pour retrouver l'accès, adressez-vous à "
            @if referents.is_empty() { "l'équipe pédagogique" } @else { "votre enseignant référent, " strong { (referents.join(", ")) } }
            @if !school.is_empty() { " — " (school) } "."
        }
        @if let Some(r) = pending {
            p.notice role="status" {
                "Votre demande de nouveau lien du "
                (text::date_long(r.created.to_zoned_datetime(state.clock.zone().clone()).date()))
                " a bien été transmise. L'établissement vous enverra un nouveau lien."
            }
        } @else {
            form method="post" action=(format!("/acces/{token}/demande")) {
                (confirm::field(&confirm::issue(jar, state.config.secure())))
                button.primary type="submit" { "Demander un nouveau lien" }
            }
            p.hint { "Votre demande apparaîtra à l'enseignant référent et à l'équipe pédagogique." }
        }
    };
    let title = match refusal {
        LinkRefusal::Locked => "Accès verrouillé",
        LinkRefusal::Expired => "Accès expiré",
        LinkRefusal::Superseded => "Lien remplacé",
    };
    Ok(public_page(title, None, body)
        .with_status(StatusCode::GONE)
        .into_response())
}

/// What to show for a link that opens nothing: the tutor's page with a request button,
/// an expired or locked invitation's page, or the generic page (anything else, among
/// which every string that was never a link).
fn refused(state: &State, jar: &CookieJar, token: &str) -> Result<Response> {
    if let Some(link) = auth::find_link(&state.store, token)?
        && let Some(refusal) = link.refusal_at(state.clock.now())
    {
        if let Subject::Tutor(tutor) = link.subject {
            return refused_tutor_link(state, jar, token, tutor, refusal, &link);
        }
        if link.kind == AccessKind::Invitation {
            return Ok(refused_invitation(state, refusal, &link));
        }
    }
    Ok(invalid_link())
}

/// `GET /acces/:token`: the confirmation page (changes nothing). A locked, expired or
/// replaced tutor link shows what happened instead.
///
/// # Errors
/// 429 past the client's rate limit; store failure.
#[handler]
pub fn access_show(
    state: Data<&State>,
    client: ClientAddr,
    jar: &CookieJar,
    Path(token): Path<String>,
) -> Result<Response> {
    limit(&state, &client, None)?;
    let Some(link) = auth::check_link(&state.store, &state.clock, &token)? else {
        return refused(&state, jar, &token);
    };
    let Some(name) = active_name(&state, &link.subject)? else {
        return Ok(invalid_link());
    };
    let space = match link.kind {
        AccessKind::TutorAccess => "votre espace tuteur",
        AccessKind::SignIn => "votre espace",
        AccessKind::Invitation => "votre espace (ce lien d'invitation ne sert qu'une fois)",
    };
    let confirm_value = confirm::issue(jar, state.config.secure());
    let body: Markup = html! {
        p { "Bonjour " (name.first) "," }
        p { "Ce lien personnel ouvre " (space) " dans Livret, le livret de suivi des périodes de formation en milieu professionnel." }
        form method="post" action=(format!("/acces/{token}")) {
            (confirm::field(&confirm_value))
            button.primary type="submit" { "Ouvrir mon espace" }
        }
        p.hint { "Ce lien est personnel : ne le transférez pas. S'il a été perdu ou volé, l'établissement peut le verrouiller et vous en donner un nouveau." }
    };
    Ok(public_page("Accéder à Livret", None, body).into_response())
}

/// `POST /acces/:token/demande`: a tutor whose link is locked, expired or replaced asks
/// for a new one; the request shows to the referents of their placements and to the
/// coordinators. Then back to the link's page, which says the request was made.
///
/// # Errors
/// 429 past the client's or the link's rate limit; store failure.
#[handler]
pub async fn access_request(
    state: Data<&State>,
    client: ClientAddr,
    jar: &CookieJar,
    headers: &HeaderMap,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response> {
    limit(&state, &client, Some(auth::hash_secret(&token)))?;
    confirm::check(headers, jar, &form)?;
    if let Some(link) = auth::find_link(&state.store, &token)?
        && let Subject::Tutor(tutor) = link.subject
        && let Some(refusal) = link.refusal_at(state.clock.now())
    {
        state
            .store
            .insert_access_request(&AccessRequest {
                tutor,
                created: state.clock.now(),
                reason: refusal.into(),
            })
            .await?;
        tracing::info!("demande de nouveau lien tuteur enregistrée");
        return Ok(see_other(&format!("/acces/{token}")));
    }
    Ok(invalid_link())
}

/// `POST /acces/:token`: opens a session for the link's owner (replacing any session
/// this browser had), then redirects to their home page.
///
/// # Errors
/// 429 past the client's or the link's rate limit; store failure.
#[handler]
pub async fn access_open(
    state: Data<&State>,
    jar: &CookieJar,
    client: ClientAddr,
    headers: &HeaderMap,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response> {
    limit(&state, &client, Some(auth::hash_secret(&token)))?;
    confirm::check(headers, jar, &form)?;
    let Some(link) = auth::check_link(&state.store, &state.clock, &token)? else {
        return refused(&state, jar, &token);
    };
    if active_name(&state, &link.subject)?.is_none() {
        return Ok(invalid_link());
    }
    // A tutor who bound a passkey to their link confirms with it first (issue 7): the
    // link alone opens nothing.
    if let Subject::Tutor(tutor) = link.subject
        && !state.store.passkeys_of(&link.subject)?.is_empty()
    {
        return super::tutor_passkey::confirm_page(&state, &token, tutor);
    }
    if !open_link_session(&state, jar, &token, &link).await? {
        return Ok(invalid_link());
    }
    // An invitation leads to creating a passkey (issue 7).
    Ok(see_other(if link.kind == AccessKind::Invitation {
        super::passkeys::NEW_PASSKEY_URL
    } else {
        "/"
    }))
}

/// Opens a session for the owner of `link` (whose secret is `token`, already checked
/// usable), replacing any session this browser had, and sets the session cookie. An
/// invitation is used up in the same transaction; a tutor's session lives only as long
/// as the link that opened it. Returns false, opening nothing, when the invitation was
/// already used.
///
/// # Errors
/// Store failure.
pub async fn open_link_session(
    state: &State,
    jar: &CookieJar,
    token: &str,
    link: &AccessToken,
) -> Result<bool> {
    let secure = state.config.secure();
    if let Some(old) = jar.get(crate::web::extract::session_cookie_name(secure)) {
        state
            .store
            .delete_session(&auth::hash_secret(old.value_str()))
            .await?;
    }
    // An invitation is used up by this POST, in the same transaction as the session.
    let redeem = (link.kind == AccessKind::Invitation).then(|| auth::hash_secret(token));
    let not_after = if redeem.is_some() {
        jiff::Timestamp::MAX
    } else {
        link.expires
    };
    // A tutor's session lives only as long as the link that opened it.
    let via = (link.kind == AccessKind::TutorAccess).then(|| auth::hash_secret(token));
    let Some(secret) = auth::open_session_with(
        &state.store,
        &state.clock,
        link.subject,
        not_after,
        redeem,
        via,
    )
    .await?
    else {
        return Ok(false);
    };
    jar.add(session_cookie(secure, &secret));
    tracing::info!(
        role = link.subject.role_label(),
        "session ouverte par lien personnel"
    );
    Ok(true)
}

/// `GET /deconnexion`: a reload of the sign-out address (for example once the network
/// is back after an offline attempt) changes nothing and goes to the home page.
#[handler]
pub fn signout_reload() -> Response {
    see_other("/")
}

/// `POST /deconnexion`: ends the session on the server and clears the cookie.
///
/// # Errors
/// [`Error::Forbidden`] without a valid anti-CSRF token; store failure.
#[handler]
pub async fn signout(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    state.store.delete_session(&viewer.session_hash).await?;
    let secure = state.config.secure();
    let mut gone = session_cookie(secure, "");
    gone.set_max_age(std::time::Duration::ZERO);
    jar.add(gone);
    Flash::SignedOut.set(jar);
    Ok(see_other("/"))
}
