//! Personal links: `GET /acces/:token` shows a confirmation page; only the POST from
//! that page opens a session, so mail scanners and link previews (which issue GETs)
//! neither sign anyone in nor use anything up. `POST /deconnexion` signs out.

use super::see_other;
use crate::auth;
use crate::domain::access::AccessKind;
use crate::error::{Error, Result};
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer, active_name, session_cookie};
use crate::web::layout::public_page;
use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path, RemoteAddr};
use poem::{IntoResponse, Response, handler};

/// Counts a request to a sign-in route (personal links, installation link) against the
/// client's limit and, for a sign-in, against the link's own, as issue 3 asks.
///
/// # Errors
/// [`Error::TooManyRequests`] with the wait in seconds.
pub fn limit(state: &State, client: &RemoteAddr, account: Option<[u8; 32]>) -> Result<()> {
    let too_many = |wait: std::time::Duration| {
        tracing::warn!("connexion refusée : trop de tentatives");
        Error::TooManyRequests(wait.as_secs().max(1))
    };
    if let Some(addr) = client.as_socket_addr() {
        state.limits.check_client(addr.ip()).map_err(too_many)?;
    }
    if let Some(hash) = account {
        state.limits.check_account(hash).map_err(too_many)?;
    }
    Ok(())
}

fn invalid_link() -> Response {
    public_page(
        "Lien non valable",
        None,
        html! {
            p { "Ce lien d'accès n'est pas ou plus valable : il a peut-être expiré, été verrouillé ou remplacé par un nouveau lien." }
            p { "Demandez un nouveau lien à l'enseignant référent ou à l'équipe pédagogique de l'établissement." }
        },
    )
    .with_status(StatusCode::NOT_FOUND)
    .into_response()
}

/// `GET /acces/:token`: the confirmation page (changes nothing).
///
/// # Errors
/// 429 past the client's rate limit; store failure.
#[handler]
pub fn access_show(
    state: Data<&State>,
    client: &RemoteAddr,
    Path(token): Path<String>,
) -> Result<Response> {
    limit(&state, client, None)?;
    let Some(link) = auth::check_link(&state.store, &state.clock, &token)? else {
        return Ok(invalid_link());
    };
    let Some(name) = active_name(&state, &link.subject)? else {
        return Ok(invalid_link());
    };
    let space = match link.kind {
        AccessKind::TutorAccess => "votre espace tuteur",
        AccessKind::SignIn => "votre espace",
        AccessKind::Invitation => "votre espace (ce lien d'invitation ne sert qu'une fois)",
    };
    let body: Markup = html! {
        p { "Bonjour " (name.first) "," }
        p { "Ce lien personnel ouvre " (space) " dans Livret, le livret de suivi des périodes de formation en milieu professionnel." }
        form method="post" action=(format!("/acces/{token}")) {
            button.primary type="submit" { "Ouvrir mon espace" }
        }
        p.hint { "Ce lien est personnel : ne le transférez pas. S'il a été perdu ou volé, l'établissement peut le verrouiller et vous en donner un nouveau." }
    };
    Ok(public_page("Accéder à Livret", None, body).into_response())
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
    client: &RemoteAddr,
    Path(token): Path<String>,
) -> Result<Response> {
    limit(&state, client, Some(auth::hash_secret(&token)))?;
    let Some(link) = auth::check_link(&state.store, &state.clock, &token)? else {
        return Ok(invalid_link());
    };
    if active_name(&state, &link.subject)?.is_none() {
        return Ok(invalid_link());
    }
    let secure = state.config.secure();
    if let Some(old) = jar.get(crate::web::extract::session_cookie_name(secure)) {
        state
            .store
            .delete_session(&auth::hash_secret(old.value_str()))
            .await?;
    }
    // An invitation is used up by this POST, in the same transaction as the session.
    let redeem = (link.kind == AccessKind::Invitation).then(|| auth::hash_secret(&token));
    let not_after = if redeem.is_some() {
        jiff::Timestamp::MAX
    } else {
        link.expires
    };
    let Some(secret) =
        auth::open_session_with(&state.store, &state.clock, link.subject, not_after, redeem)
            .await?
    else {
        return Ok(invalid_link());
    };
    jar.add(session_cookie(secure, &secret));
    tracing::info!(
        role = link.subject.role_label(),
        "session ouverte par lien personnel"
    );
    Ok(see_other("/"))
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
