//! The passkey JSON API (issue 7) that `pwa/passkey.js` calls around
//! `navigator.credentials.create()` and `get()`:
//!
//! - `POST /api/cles-d-acces/inscription` `{"name"?}` → `{"options": <creation options>,
//!   "ceremony": "<id>"}` (signed in: students, teachers, coordinators, and tutors in
//!   their link session);
//! - `POST /api/cles-d-acces/inscription/fin` `{"name", "credential", "ceremony"}` → 201
//!   `{"id", "name"}`;
//! - `POST /api/connexion` `{"email"?}` → `{"options": <request options>, "ceremony":
//!   "<id>"}` (public, rate-limited; with an e-mail, only that person's passkeys are
//!   offered);
//! - `POST /api/connexion/fin` `{"credential", "ceremony"}` → `{"redirect": "/"}` and a
//!   new session.
//!
//! Each start sets a cookie of its own for that ceremony ([`ceremony_cookie_name`]:
//! `livret-ceremony-<id>`, HttpOnly, SameSite=Strict, five minutes) holding the
//! ceremony secret, and answers the short `<id>`, which the finish sends back: two tabs
//! (or a page reloaded) each keep their own ceremony. The ceremony's state stays in the
//! store ([`crate::passkey`]) and never reaches the browser. The finish endpoints clear
//! that cookie; a missing, foreign or replayed one gets the "expired" answer (400).
//!
//! CSRF defence as for the sync API ([`super::api`]): the global guard's `Origin` /
//! `Sec-Fetch-Site` check, plus `X-Livret-Sync: 1` and `Content-Type:
//! application/json`, which a page of another site cannot send without a CORS
//! preflight that Livret never grants. Every answer is JSON with `Cache-Control:
//! no-store`; errors are `{"error": "<code>", "message": "<French>"}`.

use super::State;
use super::api::{MAX_SYNC_BODY_BYTES, check_sync_headers, json, read_body};
use super::extract::{Flash, Viewer, active_name, session_cookie, session_cookie_name};
use super::pages::access::limit;
use crate::auth;
use crate::domain::Subject;
use crate::domain::passkey::{CEREMONY_MINUTES, CeremonyPurpose, validate_name};
use crate::error::Error;
use crate::passkey::{self, PasskeyError};
use crate::web::proxy::ClientAddr;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::{Body, Request, Response, handler};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

/// Length of a ceremony id, in base64url characters (72 random bits: it only tells one
/// ceremony cookie of this browser from another; the secret is the cookie's value).
const CEREMONY_ID_CHARS: usize = 12;

/// A fresh ceremony id ([`CEREMONY_ID_CHARS`] base64url characters).
pub fn new_ceremony_id() -> String {
    auth::new_secret().chars().take(CEREMONY_ID_CHARS).collect()
}

/// True for an id [`new_ceremony_id`] could have made (what the browser sends back is
/// checked before it names a cookie).
fn valid_ceremony_id(id: &str) -> bool {
    id.len() == CEREMONY_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Name of ceremony `id`'s cookie: `__Host-livret-ceremony-<id>` over HTTPS (bound to
/// the exact host, path `/`, `Secure`), `livret-ceremony-<id>` over plain HTTP.
pub fn ceremony_cookie_name(secure: bool, id: &str) -> String {
    if secure {
        format!("__Host-livret-ceremony-{id}")
    } else {
        format!("livret-ceremony-{id}")
    }
}

/// Ceremony `id`'s cookie holding `secret` (from a `start_*` of [`crate::passkey`]):
/// HttpOnly, SameSite=Strict, path `/`, `Secure` over HTTPS, for
/// [`CEREMONY_MINUTES`] minutes. An empty `secret` with a zero lifetime deletes it.
pub fn ceremony_cookie(secure: bool, id: &str, secret: &str) -> Cookie {
    let mut c = Cookie::new_with_str(ceremony_cookie_name(secure, id), secret);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(secure);
    c.set_path("/");
    let seconds = if secret.is_empty() {
        0
    } else {
        CEREMONY_MINUTES.unsigned_abs() * 60
    };
    c.set_max_age(Duration::from_secs(seconds));
    c
}

/// Starts a ceremony cookie for `secret` in `jar`; returns its id, for the start's
/// answer (`"ceremony"`).
pub fn set_ceremony_cookie(jar: &CookieJar, secure: bool, secret: &str) -> String {
    let id = new_ceremony_id();
    jar.add(ceremony_cookie(secure, &id, secret));
    id
}

/// The secret of ceremony `id` (sent back by the page) this browser holds ("" when
/// none, or for a malformed id), and a cookie deleting it added to `jar` (a ceremony is
/// answered once).
pub fn take_ceremony_secret(jar: &CookieJar, secure: bool, id: &str) -> String {
    if !valid_ceremony_id(id) {
        return String::new();
    }
    let secret = jar
        .get(&ceremony_cookie_name(secure, id))
        .map(|c| c.value_str().to_string())
        .unwrap_or_default();
    jar.add(ceremony_cookie(secure, id, ""));
    secret
}

/// A refused API call: status, code and French message (plus the field errors of a
/// 422 and the wait of a 429).
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    errors: Option<BTreeMap<&'static str, Vec<String>>>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a BTreeMap<&'static str, Vec<String>>>,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
            errors: None,
            retry_after: None,
        }
    }

    /// 422 on the passkey's name, with `validate_name`'s French message.
    fn bad_name(message: String) -> Self {
        let mut r = Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message.clone());
        r.errors = Some(BTreeMap::from([("name", vec![message])]));
        r
    }

    /// A ceremony's failure. `signing_in`: a refused answer means "not signed in"
    /// (401) rather than "bad request" (400).
    fn passkey(e: PasskeyError, signing_in: bool) -> Self {
        let message = e.message();
        match e {
            PasskeyError::Expired => Refusal::new(StatusCode::BAD_REQUEST, "expired", message),
            PasskeyError::Refused(why) => {
                tracing::info!(cause = why, "clé d'accès refusée");
                let status = if signing_in {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::BAD_REQUEST
                };
                Refusal::new(status, "refused", message)
            }
            PasskeyError::UnknownCredential => {
                Refusal::new(StatusCode::UNAUTHORIZED, "unknown-credential", message)
            }
            PasskeyError::Inactive => Refusal::new(StatusCode::FORBIDDEN, "inactive", message),
            PasskeyError::AlreadyRegistered => {
                Refusal::new(StatusCode::CONFLICT, "already-registered", message)
            }
            PasskeyError::Busy => Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Trop de demandes en cours : réessayez dans une minute.",
            ),
            PasskeyError::Store(s) => Refusal::from(Error::Store(s)),
        }
    }

    fn into_response(self) -> Response {
        let mut resp = json(
            self.status,
            &ErrorBody {
                error: self.code,
                message: &self.message,
                errors: self.errors.as_ref(),
            },
        );
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, secs.max(1).into());
        }
        resp
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => Refusal::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Cette clé d'accès n'existe pas ou ne vous est pas accessible.",
            ),
            Error::SignInRequired => Refusal::new(
                StatusCode::UNAUTHORIZED,
                "sign-in",
                "Votre session a pris fin : connectez-vous, ou rouvrez le lien d'invitation de l'établissement, puis recommencez.",
            ),
            Error::Forbidden | Error::CrossSite => Refusal::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Cette demande ne vient pas de l'application Livret ouverte à son adresse habituelle : elle a été refusée.",
            ),
            Error::TooManyRequests(secs) => {
                let mut r = Refusal::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    "Trop de tentatives de connexion en peu de temps : patientez une minute, puis recommencez.",
                );
                r.retry_after = Some(secs);
                r
            }
            Error::PayloadTooLarge => Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Cet envoi dépasse la taille autorisée.",
            ),
            Error::BadRequest(why) => {
                tracing::info!(cause = why, "demande de clé d'accès illisible");
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "bad-request",
                    "Cette demande n'a pas pu être lue : rechargez la page et recommencez.",
                )
            }
            Error::Store(_) | Error::Internal(_) | Error::Startup(_) => {
                tracing::error!(error = %e, "clés d'accès : requête en échec");
                Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server",
                    "Une erreur interne est survenue : réessayez dans un instant.",
                )
            }
        }
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        Refusal::from(Error::Store(e))
    }
}

/// The answer of a handler body: the JSON success, or the refusal as JSON.
fn respond(result: Result<Response, Refusal>) -> Response {
    result.unwrap_or_else(Refusal::into_response)
}

/// Checks `X-Livret-Sync: 1` and the JSON content type, then reads the body (at most
/// [`MAX_SYNC_BODY_BYTES`]); an empty body reads as `{}`.
async fn read_json<T: DeserializeOwned>(
    state: &State,
    req: &Request,
    body: Body,
) -> Result<T, Refusal> {
    check_sync_headers(req.headers())?;
    let bytes = read_body(body, MAX_SYNC_BODY_BYTES.min(state.config.max_body_bytes)).await?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|e| Error::BadRequest(e.to_string()).into())
}

/// Body of `POST /api/cles-d-acces/inscription`.
#[derive(Debug, Default, Deserialize)]
pub struct RegistrationStart {
    /// The name the person typed for the passkey, checked before the device is asked
    /// to make one (optional: checked again at the end).
    #[serde(default)]
    pub name: Option<String>,
}

/// A start's answer: the options for the browser and the ceremony's id, to send back
/// with the finish.
#[derive(Serialize)]
struct OptionsAnswer<T: Serialize> {
    options: T,
    ceremony: String,
}

/// `POST /api/cles-d-acces/inscription`: starts registering a passkey for the
/// signed-in person and answers `{"options": {"publicKey": …}}` for
/// `navigator.credentials.create()`, setting the ceremony cookie. With `"name"`, the
/// name is checked first (422 with the French message).
///
/// # Errors
/// 403 without `X-Livret-Sync: 1` / JSON; 401 without a live session; 422 for a bad
/// name; 500 on store failure. All as JSON.
#[handler]
pub async fn registration_start(
    state: Data<&State>,
    req: &Request,
    jar: &CookieJar,
    body: Body,
) -> Response {
    respond(registration_start_inner(&state, req, jar, body).await)
}

async fn registration_start_inner(
    state: &State,
    req: &Request,
    jar: &CookieJar,
    body: Body,
) -> Result<Response, Refusal> {
    let sent: RegistrationStart = read_json(state, req, body).await?;
    let viewer = Viewer::from_session(req).await?;
    if let Some(name) = &sent.name {
        validate_name(name).map_err(Refusal::bad_name)?;
    }
    let (secret, options) = passkey::start_registration(
        &state.webauthn,
        &state.store,
        &state.clock,
        viewer.subject,
        &viewer.name.full(),
    )
    .await
    .map_err(|e| Refusal::passkey(e, false))?;
    let ceremony = set_ceremony_cookie(jar, state.config.secure(), &secret);
    Ok(json(StatusCode::OK, &OptionsAnswer { options, ceremony }))
}

/// Body of `POST /api/cles-d-acces/inscription/fin`.
#[derive(Debug, Deserialize)]
pub struct RegistrationFinish {
    /// The passkey's name ("Téléphone"), 1 to 60 characters once cleaned.
    #[serde(default)]
    pub name: String,
    /// The browser's answer to `navigator.credentials.create()`, binary fields in
    /// base64url.
    pub credential: RegisterPublicKeyCredential,
    /// The ceremony id the start answered.
    #[serde(default)]
    pub ceremony: String,
}

#[derive(Serialize)]
struct Registered {
    id: String,
    name: String,
}

/// `POST /api/cles-d-acces/inscription/fin`: checks the device's answer against the
/// ceremony whose id it sends back and stores the passkey under the name given; for a
/// tutor (binding a passkey to their link), every other session of theirs ends.
/// Answers 201 `{"id", "name"}` and leaves a message for the next page.
///
/// # Errors
/// 403 without `X-Livret-Sync: 1` / JSON; 401 without a live session; 422 for a bad
/// name (the ceremony is kept: the same answer may be sent again with a good name); 400
/// for an unknown, used or expired ceremony or a refused answer; 409 for a passkey
/// already registered; 500 on store failure. All as JSON.
#[handler]
pub async fn registration_finish(
    state: Data<&State>,
    req: &Request,
    jar: &CookieJar,
    body: Body,
) -> Response {
    respond(registration_finish_inner(&state, req, jar, body).await)
}

async fn registration_finish_inner(
    state: &State,
    req: &Request,
    jar: &CookieJar,
    body: Body,
) -> Result<Response, Refusal> {
    let sent: RegistrationFinish = read_json(state, req, body).await?;
    let viewer = Viewer::from_session(req).await?;
    let name = validate_name(&sent.name).map_err(Refusal::bad_name)?;
    let secret = take_ceremony_secret(jar, state.config.secure(), &sent.ceremony);
    let stored = passkey::finish_registration(
        &state.webauthn,
        &state.store,
        &state.clock,
        &secret,
        viewer.subject,
        &sent.credential,
        &name,
    )
    .await
    .map_err(|e| Refusal::passkey(e, false))?;
    if matches!(viewer.subject, Subject::Tutor(_)) {
        // The link alone no longer opens the space: whoever opened it before (a
        // forwarded e-mail, a shared computer) is shut out now too.
        state
            .store
            .end_other_sessions(&viewer.subject, &viewer.session_hash)
            .await?;
    }
    tracing::info!(
        role = viewer.subject.role_label(),
        "clé d'accès enregistrée"
    );
    Flash::PasskeyAdded.set(jar);
    Ok(json(
        StatusCode::CREATED,
        &Registered {
            id: stored.id.to_string(),
            name: stored.name,
        },
    ))
}

/// Body of `POST /api/connexion`.
#[derive(Debug, Default, Deserialize)]
pub struct SignInStart {
    /// The e-mail address typed (user-name-first path), if any.
    #[serde(default)]
    pub email: Option<String>,
}

/// An e-mail address as compared: trimmed, lower case.
fn fold_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The active student, teacher or coordinator with this (folded) e-mail address —
/// never a tutor: tutors come in through their personal link. Reads every person
/// record of those three kinds (a school has a few hundred): the route is
/// rate-limited.
fn person_by_email(state: &State, folded: &str) -> Result<Option<Subject>, Error> {
    let same = |e: &Option<String>| e.as_deref().is_some_and(|e| fold_email(e) == folded);
    let store = &state.store;
    for class in store.classes()? {
        if let Some(s) = store
            .students_of_class(class.id)?
            .into_iter()
            .find(|s| s.active && same(&s.email))
        {
            return Ok(Some(Subject::Student(s.id)));
        }
    }
    if let Some(t) = store
        .teachers()?
        .into_iter()
        .find(|t| t.active && same(&t.email))
    {
        return Ok(Some(Subject::Teacher(t.id)));
    }
    Ok(store
        .coordinators()?
        .into_iter()
        .find(|c| c.active && same(&c.email))
        .map(|c| Subject::Coordinator(c.id)))
}

/// `POST /api/connexion`: starts a passkey sign-in and answers `{"options":
/// {"publicKey": …}}` for `navigator.credentials.get()`, setting the ceremony cookie.
/// Without `"email"` any passkey of this site may answer (discoverable credentials:
/// the browser lists them). With it, only that person's passkeys are listed; an
/// unknown address gets one decoy id instead, in options of the same shape
/// ([`passkey::start_sign_in`]), so the answer never tells whether an account exists.
/// The answer's `"ceremony"` id goes back with the finish.
///
/// # Errors
/// 429 (with `Retry-After`) past the client's limit; 403 without `X-Livret-Sync: 1` / JSON; 500 on store failure. All as JSON.
#[handler]
pub async fn sign_in_start(
    state: Data<&State>,
    req: &Request,
    client: ClientAddr,
    jar: &CookieJar,
    body: Body,
) -> Response {
    respond(sign_in_start_inner(&state, req, &client, jar, body).await)
}

async fn sign_in_start_inner(
    state: &State,
    req: &Request,
    client: &ClientAddr,
    jar: &CookieJar,
    body: Body,
) -> Result<Response, Refusal> {
    let sent: SignInStart = read_json(state, req, body).await?;
    let folded = sent
        .email
        .as_deref()
        .map(fold_email)
        .filter(|e| !e.is_empty());
    // Only the client's limit: a start verifies nothing, so counting it against the
    // address typed would let anyone lock its owner out (failures are counted at the
    // finish, per client and credential).
    limit(state, client, None)?;
    let who = match folded.as_deref() {
        Some(email) => passkey::SignInFor::Named {
            email,
            person: person_by_email(state, email)?,
        },
        None => passkey::SignInFor::Anyone,
    };
    let (secret, options) =
        passkey::start_sign_in(&state.webauthn, &state.store, &state.clock, who)
            .await
            .map_err(|e| Refusal::passkey(e, true))?;
    let ceremony = set_ceremony_cookie(jar, state.config.secure(), &secret);
    Ok(json(StatusCode::OK, &OptionsAnswer { options, ceremony }))
}

/// Body of `POST /api/connexion/fin`.
#[derive(Debug, Deserialize)]
pub struct SignInFinish {
    /// The browser's answer to `navigator.credentials.get()`, binary fields in
    /// base64url, with `userHandle`.
    pub credential: PublicKeyCredential,
    /// The ceremony id the start answered.
    #[serde(default)]
    pub ceremony: String,
}

#[derive(Serialize)]
struct SignedIn {
    redirect: &'static str,
}

/// The key of the failed-verification count of `credential` (its base64url id) from
/// `client`: SHA-256 of both.
fn failure_key(client: &ClientAddr, credential: &str) -> [u8; 32] {
    let ip = client.ip().map(|ip| ip.to_string()).unwrap_or_default();
    auth::hash_secret(&format!("echec-cle-d-acces:{ip}:{credential}"))
}

/// Message for a tutor's passkey offered on the sign-in page.
pub const TUTOR_MESSAGE: &str = "Les tuteurs se connectent avec le lien personnel reçu par courriel : ouvrez ce lien, puis confirmez avec votre clé d'accès.";

/// `POST /api/connexion/fin`: checks the device's answer against the ceremony of this
/// browser's cookie, then ends the session this browser had (if any) and opens a new
/// one (a new id: issue 7, "sessions rotate their id at sign-in"). Answers
/// `{"redirect": "/"}` with the session cookie.
///
/// # Errors
/// 429 past the client's limit, or after ten failed verifications of this credential
/// from this client address (then one a minute; genuine sign-ins are not counted); 400 for an unknown, used or
/// expired ceremony; 401 for an unknown (removed) credential or a refused answer (bad
/// signature, origin, counter, no user verification); 403 for a tutor's passkey
/// (tutors sign in through their link) or an inactive person; 403 without
/// `X-Livret-Sync: 1` / JSON; 500 on store failure. All as JSON.
#[handler]
pub async fn sign_in_finish(
    state: Data<&State>,
    req: &Request,
    client: ClientAddr,
    jar: &CookieJar,
    body: Body,
) -> Response {
    respond(sign_in_finish_inner(&state, req, &client, jar, body).await)
}

async fn sign_in_finish_inner(
    state: &State,
    req: &Request,
    client: &ClientAddr,
    jar: &CookieJar,
    body: Body,
) -> Result<Response, Refusal> {
    limit(state, client, None)?;
    let sent: SignInFinish = read_json(state, req, body).await?;
    // Failed verifications only, per (client, credential): junk answers naming someone
    // else's credential from another address never lock its owner out.
    let failures = failure_key(client, &sent.credential.id);
    state
        .limits
        .failures_allow(failures)
        .map_err(|wait| Refusal::from(Error::TooManyRequests(wait.as_secs().max(1))))?;
    let secure = state.config.secure();
    let secret = take_ceremony_secret(jar, secure, &sent.ceremony);
    let mut turned_away: Option<Refusal> = None;
    let accept = |subject: &Subject, purpose: &CeremonyPurpose| {
        if matches!(purpose, CeremonyPurpose::TutorLink { .. }) {
            // A tutor link's ceremony opens a session only through that link's page.
            return Err(PasskeyError::Expired);
        }
        if matches!(subject, Subject::Tutor(_)) {
            tracing::info!("clé d'accès de tuteur refusée sur la page de connexion");
            turned_away = Some(Refusal::new(StatusCode::FORBIDDEN, "tutor", TUTOR_MESSAGE));
            return Err(PasskeyError::Inactive);
        }
        match active_name(state, subject) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(PasskeyError::Inactive),
            Err(Error::Store(e)) => Err(PasskeyError::Store(e)),
            Err(e) => Err(PasskeyError::Refused(e.to_string())),
        }
    };
    let outcome = passkey::finish_sign_in(
        &state.webauthn,
        &state.store,
        &state.clock,
        &secret,
        &sent.credential,
        accept,
    )
    .await;
    let (subject, _) = match outcome {
        Ok(done) => done,
        Err(e) => {
            if matches!(
                e,
                PasskeyError::Refused(_) | PasskeyError::UnknownCredential
            ) {
                state.limits.record_failure(failures);
            }
            return Err(turned_away.unwrap_or_else(|| Refusal::passkey(e, true)));
        }
    };
    if let Some(old) = jar.get(session_cookie_name(secure)) {
        state
            .store
            .delete_session(&auth::hash_secret(old.value_str()))
            .await?;
    }
    let session =
        auth::open_session(&state.store, &state.clock, subject, jiff::Timestamp::MAX).await?;
    jar.add(session_cookie(secure, &session));
    tracing::info!(
        role = subject.role_label(),
        "session ouverte par clé d'accès"
    );
    Ok(json(StatusCode::OK, &SignedIn { redirect: "/" }))
}
