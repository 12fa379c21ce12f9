//! A tutor's personal link protected by a passkey (issue 7, item 6): once the tutor has
//! bound a passkey to their link, the link's confirmation (`POST /acces/:token`) opens
//! nothing and shows a page whose script asks for the passkey through these two JSON
//! endpoints; only then is the session opened, exactly as the link alone would open it
//! (tied to the link, replacing this browser's previous session).
//!
//! - `POST /acces/:token/cle` → `{"options": <RequestChallengeResponse>}` and the
//!   ceremony cookie; only this tutor's passkeys may answer, and the ceremony remembers
//!   the link ([`crate::passkey::start_tutor_link`]).
//! - `POST /acces/:token/cle/fin` `{"credential": <PublicKeyCredential>}` →
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
use super::api::{check_sync_headers, json, json_error, read_body};
use super::api_passkey::{ceremony_cookie, take_ceremony_secret};
use super::pages::access::{limit, open_link_session};
use crate::auth;
use crate::domain::Subject;
use crate::domain::access::AccessToken;
use crate::domain::passkey::CeremonyPurpose;
use crate::error::Error;
use crate::passkey::{self, PasskeyError};
use poem::http::{HeaderMap, StatusCode};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path, RemoteAddr};
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
        PasskeyError::Store(cause) => {
            tracing::error!(error = %cause, "clé d'accès du lien tuteur : erreur du stockage");
            (StatusCode::INTERNAL_SERVER_ERROR, "server")
        }
    };
    refusal(status, code, e.message())
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
}

/// `POST /acces/:token/cle`: starts the passkey check of a tutor link (body: `{}`).
/// Answers 200 `{"options": …}` for `navigator.credentials.get()` and sets the
/// ceremony cookie; 409 `no-passkey` when the tutor has no passkey any more (the link
/// alone then opens their space: reload the page).
///
/// # Errors (as JSON answers)
/// 403 without `X-Livret-Sync: 1` and a JSON content type; 404 `link` for a link that
/// opens nothing; 429 past the client's or the link's rate limit; 500 on store failure.
#[handler]
pub async fn link_passkey_start(
    state: Data<&State>,
    client: &RemoteAddr,
    headers: &HeaderMap,
    jar: &CookieJar,
    Path(token): Path<String>,
) -> Response {
    if let Err(e) = limit(&state, client, Some(auth::hash_secret(&token))) {
        return json_error(&e);
    }
    if let Err(e) = check_sync_headers(headers) {
        return json_error(&e);
    }
    let link = match tutor_link(&state, &token) {
        Ok(Some(link)) => link,
        Ok(None) => return link_refused(),
        Err(e) => return json_error(&e),
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
            jar.add(ceremony_cookie(state.config.secure(), &secret));
            json(StatusCode::OK, &StartAnswer { options })
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
    client: &RemoteAddr,
    headers: &HeaderMap,
    jar: &CookieJar,
    Path(token): Path<String>,
    body: Body,
) -> Response {
    let link_hash = auth::hash_secret(&token);
    if let Err(e) = limit(&state, client, Some(link_hash)) {
        return json_error(&e);
    }
    if let Err(e) = check_sync_headers(headers) {
        return json_error(&e);
    }
    let secret = take_ceremony_secret(jar, state.config.secure());
    let request: FinishRequest =
        match read_body(body, MAX_BODY_BYTES.min(state.config.max_body_bytes)).await {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(r) => r,
                Err(e) => return json_error(&Error::BadRequest(e.to_string())),
            },
            Err(e) => return json_error(&e),
        };
    let link = match tutor_link(&state, &token) {
        Ok(Some(link)) => link,
        Ok(None) => return link_refused(),
        Err(e) => return json_error(&e),
    };
    let (subject, purpose) = match passkey::finish_sign_in(
        &state.webauthn,
        &state.store,
        &state.clock,
        &secret,
        &request.credential,
    )
    .await
    {
        Ok(done) => done,
        Err(e) => return passkey_refusal(&e),
    };
    let expected = CeremonyPurpose::TutorLink {
        subject: link.subject,
        link: link_hash,
    };
    if subject != link.subject || purpose != expected {
        return passkey_refusal(&PasskeyError::Refused(
            "ceremony of another link or person".into(),
        ));
    }
    match open_link_session(&state, jar, &token, &link).await {
        Ok(true) => json(StatusCode::OK, &FinishAnswer { redirect: "/" }),
        Ok(false) => link_refused(),
        Err(e) => json_error(&e),
    }
}
