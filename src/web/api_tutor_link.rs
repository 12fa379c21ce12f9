//! A tutor's personal link protected by a passkey (issue 7, item 6): once the tutor has
//! bound a passkey to their link, the link's confirmation (`POST /acces/:token`) opens
//! nothing and shows a page whose script asks for the passkey through these two JSON
//! endpoints; only then is the session opened, exactly as the link alone would open it
//! (tied to the link, replacing this browser's previous session).
//!
//! - `POST /acces/:token/cle` → `{"options": <RequestChallengeResponse>, "ceremony":
//!   "<id>"}` and that ceremony's cookie; only this tutor's passkeys may answer, and the ceremony remembers
//!   the link ([`crate::passkey::start_tutor_link`]).
//! - `POST /acces/:token/cle/fin` `{"credential": <PublicKeyCredential>, "ceremony"}` →
//!   `{"redirect": "/"}` and the session cookie, when the answer comes from this
//!   tutor's passkey for a ceremony started on this very link.
//!
//! The paths stay under `/acces/` so that the link's secret is kept out of logs and
//! referrers like the link's pages (see [`super::middleware::SECRET_PREFIXES`]); the page
//! sends `Referrer-Policy: no-referrer`, so its requests carry `Origin: null`, which the
//! global guard accepts only with `Sec-Fetch-Site: same-origin` (or, without it, on
//! these secret paths). As in the sync API ([`super::api`]), a request must also carry
//! `X-Livret-Sync: 1` and `Content-Type: application/json`, which a page of another site
//! cannot send without a CORS preflight. The ceremony cookie is the passkey API's
//! ([`super::api_passkey::ceremony_cookie`]). Both endpoints count against the sign-in
//! rate limits (per client and per link). Every answer is JSON with `Cache-Control:
//! no-store`; errors are `{"error": "<code>", "message": "<French>"}`.

use super::State;
use super::api::{check_sync_headers, json, read_body};
use super::api_passkey::{set_ceremony_cookie, take_ceremony_secret};
use super::pages::access::{limit, open_link_session};
use crate::auth;
use crate::domain::Subject;
use crate::domain::access::AccessToken;
use crate::domain::passkey::CeremonyPurpose;
use crate::error::Error;
use crate::passkey::{self, PasskeyError};
use crate::web::proxy::ClientAddr;
use poem::http::{HeaderMap, StatusCode};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{Body, Response, handler};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{PublicKeyCredential, RequestChallengeResponse};

/// Largest body read by the finish endpoint, in bytes (an assertion with its client
/// data is a few KiB).
const MAX_BODY_BYTES: usize = 32 * 1024;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        &ErrorBody {
            error: code,
            message,
        },
    )
}

/// The answer for a ceremony that failed, with the French message of
/// [`PasskeyError::message`].
fn passkey_refusal(e: &PasskeyError) -> Response {
    let (status, code) = match e {
        PasskeyError::Expired => (StatusCode::BAD_REQUEST, "expired"),
        PasskeyError::Refused(why) => {
            tracing::warn!(cause = why.as_str(), "clé d'accès du lien tuteur refusée");
            (StatusCode::UNAUTHORIZED, "refused")
        }
        PasskeyError::UnknownCredential => (StatusCode::UNAUTHORIZED, "unknown-credential"),
        PasskeyError::Inactive => (StatusCode::FORBIDDEN, "inactive"),
        PasskeyError::AlreadyRegistered => (StatusCode::CONFLICT, "already-registered"),
        PasskeyError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        PasskeyError::Store(cause) => {
            tracing::error!(error = %cause, "clé d'accès du lien tuteur : erreur du stockage");
            (StatusCode::INTERNAL_SERVER_ERROR, "server")
        }
    };
    refusal(status, code, e.message())
}

/// True for the two paths of this module (`/acces/<token>/cle` and
/// `/acces/<token>/cle/fin`): [`super::middleware::guard`] answers their refusals
/// (cross-site 403, oversized 413) in JSON with [`link_error`], like the handlers do.
pub fn is_link_passkey_path(path: &str) -> bool {
    path.strip_prefix("/acces/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(token, tail)| !token.is_empty() && matches!(tail, "cle" | "cle/fin"))
}

/// The JSON answer for `e` on a tutor link's passkey paths: the status and code of
/// [`super::api::json_error`], with messages about this confirmation (the sync API's
/// speak of retried entries and form fields). Server failures are logged here.
pub fn link_error(e: &Error) -> Response {
    let (status, code, message) = match e {
        Error::TooManyRequests(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            "Trop de tentatives de connexion en peu de temps : patientez une minute, puis touchez de nouveau « Utiliser ma clé d'accès ».",
        ),
        Error::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "La réponse de la clé d'accès est trop volumineuse pour Livret : recommencez, ou essayez un autre navigateur.",
        ),
        Error::BadRequest(_) => (
            StatusCode::BAD_REQUEST,
            "bad-request",
            "La réponse de la clé d'accès n'a pas pu être lue : rechargez la page et recommencez.",
        ),
        Error::Forbidden | Error::CrossSite => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "Cette demande ne vient pas de la page de votre lien Livret : ouvrez de nouveau votre lien personnel, puis recommencez.",
        ),
        Error::NotFound | Error::SignInRequired => return link_refused(),
        Error::Store(_) | Error::Internal(_) | Error::Startup(_) => {
            tracing::error!(error = %e, "clé d'accès du lien tuteur : erreur");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server",
                "Un problème est survenu de notre côté ; votre espace n'a pas été ouvert. Recommencez dans quelques minutes.",
            )
        }
    };
    let mut resp = refusal(status, code, message);
    if let Error::TooManyRequests(secs) = e {
        resp.headers_mut()
            .insert(poem::http::header::RETRY_AFTER, (*secs).max(1).into());
    }
    resp
}

/// The answer for a link that opens nothing (unknown, locked, expired, replaced).
fn link_refused() -> Response {
    refusal(
        StatusCode::NOT_FOUND,
        "link",
        "Ce lien d'accès n'est pas ou plus valable. Demandez un nouveau lien à votre enseignant référent ou à l'établissement.",
    )
}

/// The usable tutor link whose secret is `token`; `None` for anything else (unknown,
/// locked, expired, replaced, or a student's or staff member's link).
///
/// # Errors
/// Store failure.
fn tutor_link(state: &State, token: &str) -> Result<Option<AccessToken>, Error> {
    Ok(auth::check_link(&state.store, &state.clock, token)?
        .filter(|link| matches!(link.subject, Subject::Tutor(_))))
}

#[derive(Serialize)]
struct StartAnswer {
    options: RequestChallengeResponse,
    /// The ceremony's id, sent back with the finish (one cookie per ceremony).
    ceremony: String,
}

/// Largest body read by the start endpoint, in bytes (the page sends `{}`).
const MAX_START_BODY_BYTES: usize = 1024;

/// `POST /acces/:token/cle`: starts the passkey check of a tutor link (body: `{}`, any
/// JSON value is accepted and ignored).
/// Answers 200 `{"options": …}` for `navigator.credentials.get()` and sets the
/// ceremony cookie; 409 `no-passkey` when the tutor has no passkey any more (the link
/// alone then opens their space: reload the page).
///
/// # Errors (as JSON answers)
/// 403 without `X-Livret-Sync: 1` and a JSON content type; 400 `bad-request` for a
/// body that is not JSON; 413 beyond 1 KiB; 404 `link` for a link that opens nothing;
/// 429 past the client's or the link's rate limit; 500 on store failure.
#[handler]
pub async fn link_passkey_start(
    state: Data<&State>,
    client: ClientAddr,
    headers: &HeaderMap,
    jar: &CookieJar,
    Path(token): Path<String>,
    body: Body,
) -> Response {
    if let Err(e) = limit(&state, &client, Some(auth::hash_secret(&token))) {
        return link_error(&e);
    }
    if let Err(e) = check_sync_headers(headers) {
        return link_error(&e);
    }
    match read_body(body, MAX_START_BODY_BYTES).await {
        Ok(bytes) => {
            if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                return link_error(&Error::BadRequest(e.to_string()));
            }
        }
        Err(e) => return link_error(&e),
    }
    let link = match tutor_link(&state, &token) {
        Ok(Some(link)) => link,
        Ok(None) => return link_refused(),
        Err(e) => return link_error(&e),
    };
    match passkey::start_tutor_link(
        &state.webauthn,
        &state.store,
        &state.clock,
        link.subject,
        auth::hash_secret(&token),
    )
    .await
    {
        Ok(Some((secret, options))) => {
            let ceremony = set_ceremony_cookie(jar, state.config.secure(), &secret);
            json(StatusCode::OK, &StartAnswer { options, ceremony })
        }
        Ok(None) => refusal(
            StatusCode::CONFLICT,
            "no-passkey",
            "Ce lien n'est plus protégé par une clé d'accès : rechargez la page pour ouvrir votre espace.",
        ),
        Err(e) => passkey_refusal(&e),
    }
}

/// Body of `POST /acces/:token/cle/fin`.
#[derive(Deserialize)]
pub struct FinishRequest {
    /// The browser's answer to `navigator.credentials.get()`, as JSON.
    pub credential: PublicKeyCredential,
    /// The ceremony id the start answered.
    #[serde(default)]
    pub ceremony: String,
}

#[derive(Serialize)]
struct FinishAnswer {
    redirect: &'static str,
}

/// `POST /acces/:token/cle/fin`: checks the tutor's passkey answer and opens their
/// session, tied to this link (like the link's confirmation without a passkey), then
/// answers `{"redirect": "/"}` with the session cookie. The ceremony cookie is cleared
/// whatever the outcome (a challenge answers once).
///
/// # Errors (as JSON answers)
/// 403 without `X-Livret-Sync: 1` and a JSON content type; 400 `bad-request` for an
/// unreadable body; 400 `expired` for a missing, replayed or expired ceremony; 401
/// `refused` for an answer from another passkey, another tutor's passkey or a
/// ceremony started on another link; 401 `unknown-credential` for a removed passkey;
/// 404 `link` for a link that opens nothing; 413 beyond 32 KiB; 429 past the rate
/// limits; 500 on store failure.
#[handler]
pub async fn link_passkey_finish(
    state: Data<&State>,
    client: ClientAddr,
    headers: &HeaderMap,
    jar: &CookieJar,
    Path(token): Path<String>,
    body: Body,
) -> Response {
    let link_hash = auth::hash_secret(&token);
    if let Err(e) = limit(&state, &client, Some(link_hash)) {
        return link_error(&e);
    }
    if let Err(e) = check_sync_headers(headers) {
        return link_error(&e);
    }
    let request: FinishRequest =
        match read_body(body, MAX_BODY_BYTES.min(state.config.max_body_bytes)).await {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(r) => r,
                Err(e) => return link_error(&Error::BadRequest(e.to_string())),
            },
            Err(e) => return link_error(&e),
        };
    let secret = take_ceremony_secret(jar, state.config.secure(), &request.ceremony);
    let link = match tutor_link(&state, &token) {
        Ok(Some(link)) => link,
        Ok(None) => return link_refused(),
        Err(e) => return link_error(&e),
    };
    let expected = CeremonyPurpose::TutorLink {
        subject: link.subject,
        link: link_hash,
    };
    // Checked before the passkey's use is written back.
    let accept = |subject: &Subject, purpose: &CeremonyPurpose| {
        if *subject == link.subject && *purpose == expected {
            Ok(())
        } else {
            Err(PasskeyError::Refused(
                "ceremony of another link or person".into(),
            ))
        }
    };
    if let Err(e) = passkey::finish_sign_in(
        &state.webauthn,
        &state.store,
        &state.clock,
        &secret,
        &request.credential,
        accept,
    )
    .await
    {
        return passkey_refusal(&e);
    }
    match open_link_session(&state, jar, &token, &link).await {
        Ok(true) => json(StatusCode::OK, &FinishAnswer { redirect: "/" }),
        Ok(false) => link_refused(),
        Err(e) => link_error(&e),
    }
}
