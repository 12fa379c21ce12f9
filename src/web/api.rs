//! The JSON sync API (issue 4): the offline outbox of the student's browser sends the
//! logbook entries and activity-sheet drafts written without network.
//!
//! - `POST /api/stages/:placement/journal`: one logbook entry, under the UUID the
//!   client made, which is the idempotency key: the same entry sent five times, or from
//!   two tabs at once, is stored once and every call gets the stored entry back (201 the
//!   first time, then 200).
//! - `POST /api/stages/:placement/fiches`: one activity sheet, created or updated while
//!   it is a draft, and sent to the tutor with `"submit": true`.
//!
//! Same rules and French messages as the HTML forms: both go through
//! [`logbook::store_new_entry`] and [`sheets::check_sheet`] / [`sheets::save_sheet`].
//!
//! CSRF defence without a form token: an entry written offline may be sent days after
//! its page was loaded, long after any form token would have expired. Instead the
//! global guard's `Origin` / `Sec-Fetch-Site` check applies (as to every POST), and the
//! request must carry `X-Livret-Sync: 1` and `Content-Type: application/json`: a page
//! of another site can send neither without a CORS preflight, which Livret never
//! grants (it answers no `Access-Control-Allow-*` header).
//!
//! Every answer, errors included, is JSON (`Content-Type: application/json`,
//! `Cache-Control: no-store`), never an HTML page: `{"error": "<code>", "message":
//! "<French>"}`, plus `"errors": {"<field>": ["<French>"]}` for a 422.

use super::State;
use super::extract::Viewer;
use super::pages::{logbook, parse_id, sheets};
use crate::auth::permissions;
use crate::domain::activity::ActivitySheetInput;
use crate::domain::logbook::LogbookEntryInput;
use crate::domain::{
    ActivitySheet, ActivitySheetId, FieldErrors, LogbookEntry, LogbookEntryId, Placement,
    SheetStatus,
};
use crate::error::Error;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Largest body the sync endpoints read, in bytes (64 KiB, issue 4 contract; the
/// smaller `Config::max_body_bytes` wins). Beyond it the answer is 413.
pub const MAX_SYNC_BODY_BYTES: usize = 64 * 1024;

/// Header the offline client sends with every sync request (value `1`). A page of
/// another site cannot add it without a CORS preflight, which Livret never grants.
pub const SYNC_HEADER: &str = "x-livret-sync";

/// Message of the 401 answer: the client keeps its outbox and asks the student to sign
/// in again (issue 4 contract).
pub const SIGN_IN_MESSAGE: &str = "Votre session a pris fin : reconnectez-vous (clé d'accès, ou lien personnel pour les tuteurs), vos entrées en attente seront envoyées ensuite.";

/// Message of the 409 answer for a sheet already sent to the tutor (issue 4 contract).
pub const CONFLICT_MESSAGE: &str =
    "Cette fiche a déjà été envoyée au tuteur : elle ne peut plus être modifiée.";

/// True for the paths of this API (`/api/…`), whose errors are answered in JSON, even
/// by the global guard.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// An error of the JSON API: a [`crate::Error`] answered as JSON instead of the French
/// HTML error page.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub Error);

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError(Error::Store(e))
    }
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        json_error(&self.0).status()
    }

    fn as_response(&self) -> Response {
        json_error(&self.0)
    }
}

/// The JSON answer for `e`: status and `{"error": "<code>", "message": "<French>"}`
/// (codes `not-found`, `sign-in`, `forbidden`, `too-large`, `too-many-requests`,
/// `bad-request`, `server`). Server failures are logged here, with their cause.
pub fn json_error(e: &Error) -> Response {
    let (status, code, message) = match e {
        Error::NotFound => (
            StatusCode::NOT_FOUND,
            "not-found",
            "Cette période de formation, ou cette entrée, n'existe pas ou ne vous est pas accessible.",
        ),
        Error::SignInRequired => (StatusCode::UNAUTHORIZED, "sign-in", SIGN_IN_MESSAGE),
        Error::Forbidden | Error::CrossSite => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "Cet envoi ne vient pas de l'application Livret ouverte à son adresse habituelle : il a été refusé et rien n'a été enregistré.",
        ),
        Error::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Cet envoi est trop volumineux : rien n'a été enregistré.",
        ),
        Error::TooManyRequests(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            "Trop de demandes en peu de temps : l'envoi sera retenté dans un instant.",
        ),
        Error::BadRequest(_) => (
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Cet envoi n'a pas pu être lu (JSON attendu, avec les champs du formulaire).",
        ),
        Error::Store(_) | Error::Internal(_) | Error::Startup(_) => {
            tracing::error!(error = %e, "synchronisation en échec");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server",
                "Un problème est survenu de notre côté ; rien n'a été modifié. L'envoi sera retenté plus tard.",
            )
        }
    };
    let mut resp = json(
        status,
        &ErrorBody {
            error: code,
            message,
            errors: None,
        },
    );
    if let Error::TooManyRequests(secs) = e {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, (*secs).max(1).into());
    }
    resp
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<BTreeMap<&'static str, Vec<String>>>,
}

/// `value` as a JSON answer with `status`, `Content-Type: application/json` and
/// `Cache-Control: no-store`.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => Response::builder()
            .status(status)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
            .body(bytes),
        Err(e) => json_error(&Error::Internal(format!("JSON : {e}"))),
    }
}

/// 422 with the French messages by field, as the HTML form shows them.
pub(crate) fn invalid(errors: &FieldErrors) -> Response {
    let mut by_field: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for (field, message) in &errors.0 {
        by_field.entry(field).or_default().push(message.clone());
    }
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ErrorBody {
            error: "invalid",
            message: "L'envoi n'a pas été enregistré : corrigez les points signalés.",
            errors: Some(by_field),
        },
    )
}

/// The JSON API's own CSRF defence, shared by every `/api/` POST (and the tutor link's
/// passkey endpoints): `X-Livret-Sync: 1` and `Content-Type: application/json`, which
/// a page of another site cannot send without a CORS preflight (see the module's
/// comment).
///
/// # Errors
/// [`Error::Forbidden`] when either is missing.
pub(crate) fn check_sync_headers(headers: &poem::http::HeaderMap) -> Result<(), Error> {
    let has_sync_header = headers
        .get(SYNC_HEADER)
        .is_some_and(|v| v.as_bytes() == b"1");
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if has_sync_header && is_json {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Reads a request body of at most `limit` bytes.
///
/// # Errors
/// [`Error::PayloadTooLarge`] beyond `limit`; [`Error::BadRequest`] when the body
/// cannot be read.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Vec<u8>, Error> {
    match body.into_bytes_limit(limit).await {
        Ok(bytes) => Ok(bytes.into()),
        Err(poem::error::ReadBodyError::PayloadTooLarge) => Err(Error::PayloadTooLarge),
        Err(other) => Err(Error::BadRequest(other.to_string())),
    }
}

/// Checks the sync request's own CSRF defence (the guard has already checked `Origin`
/// and `Sec-Fetch-Site`), then finds the signed-in person and reads the JSON body.
///
/// # Errors
/// 403 without `X-Livret-Sync: 1` or `Content-Type: application/json`; 401 without a
/// live session; 413 beyond [`MAX_SYNC_BODY_BYTES`]; 400 for a body that is not the
/// expected JSON.
pub(crate) async fn open_request<T: for<'de> Deserialize<'de>>(
    state: &State,
    req: &Request,
    body: Body,
) -> Result<(Viewer, T), ApiError> {
    check_sync_headers(req.headers())?;
    let viewer = Viewer::from_session(req).await?;
    let bytes = read_body(body, MAX_SYNC_BODY_BYTES.min(state.config.max_body_bytes)).await?;
    let value = serde_json::from_slice(&bytes).map_err(|e| Error::BadRequest(e.to_string()))?;
    Ok((viewer, value))
}

/// A text field of the request: a JSON string, a number (`"hours": 7.5`) written as
/// typed, or `null` / absent for empty.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(String::new()),
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
        Some(other) => Err(serde::de::Error::custom(format!(
            "texte attendu, reçu {other}"
        ))),
    }
}

/// A list of codes: a JSON array of strings, or one string (a form with one box
/// ticked, turned into an object by a script), or `null` / absent for none.
fn codes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Codes {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Codes>::deserialize(d)? {
        None => Vec::new(),
        Some(Codes::One(code)) => vec![code],
        Some(Codes::Many(codes)) => codes,
    })
}

/// Body of `POST /api/stages/:placement/journal` (unknown fields are ignored).
#[derive(Debug, Deserialize)]
pub struct SyncEntryRequest {
    /// UUID made by the client: the idempotency key, and the stored entry's id.
    #[serde(default, deserialize_with = "text")]
    pub id: String,
    /// Day, `yyyy-mm-dd` (or `dd/mm/yyyy`, as the form accepts).
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    /// Hours as typed: `"7h30"`, `"7,5"`, `"7"` (or a JSON number).
    #[serde(default, deserialize_with = "text")]
    pub hours: String,
    /// Tasks done.
    #[serde(default, deserialize_with = "text")]
    pub tasks: String,
    /// Free text (remarks, difficulties, what was learnt).
    #[serde(default, deserialize_with = "text")]
    pub notes: String,
}

/// A stored logbook entry as the API returns it.
#[derive(Debug, Serialize)]
pub struct EntryJson {
    /// Its id (the client's UUID).
    pub id: String,
    /// Day, `yyyy-mm-dd`.
    pub date: String,
    /// Hours in French writing: `"7 h 30"`.
    pub hours: String,
    /// Hours in quarter hours (30 for 7 h 30).
    pub quarters: u8,
    /// Tasks done, as stored (cleaned).
    pub tasks: String,
    /// Free text, as stored.
    pub notes: String,
    /// When the server stored it, RFC 3339 in UTC.
    pub created_at: String,
}

impl From<&LogbookEntry> for EntryJson {
    fn from(e: &LogbookEntry) -> Self {
        EntryJson {
            id: e.id.to_string(),
            date: e.date.to_string(),
            hours: e.hours.to_string(),
            quarters: e.hours.quarters(),
            tasks: e.tasks.clone(),
            notes: e.notes.clone(),
            created_at: e.created_at.to_string(),
        }
    }
}

#[derive(Serialize)]
struct EntryAnswer {
    entry: EntryJson,
}

fn entry_answer(status: StatusCode, e: &LogbookEntry) -> Response {
    json(status, &EntryAnswer { entry: e.into() })
}

/// 422 on the `id` field: the client sent no UUID.
fn bad_id() -> Response {
    let mut errors = FieldErrors::default();
    errors.add(
        "id",
        "Identifiant manquant ou invalide : l'application doit envoyer un UUID.",
    );
    invalid(&errors)
}

/// The placement named in the URL if it is the signed-in student's own.
///
/// # Errors
/// [`Error::NotFound`] otherwise (never 403: DESIGN.md).
fn own_placement(state: &State, viewer: &Viewer, id: &str) -> Result<Placement, ApiError> {
    Ok(permissions::own_placement(
        &state.store,
        &viewer.subject,
        parse_id(id)?,
    )?)
}

/// `POST /api/stages/:placement/journal` (issue 4): stores a logbook entry written,
/// maybe offline, by the student who owns the placement, under the client's UUID.
///
/// Answers `201 {"entry": …}` when stored now, `200 {"entry": …}` with the stored entry
/// when that id is already stored in this placement (whatever this request holds),
/// `422 {"message", "errors"}` with the HTML form's rules and messages. A form token is
/// not needed: see the module documentation for the CSRF defence.
///
/// # Errors
/// 403 without `X-Livret-Sync: 1` / JSON content type, or cross-site; 401 without a
/// live session; 404 when the placement is not the student's or the id is another
/// placement's entry; 400 / 413 for an unreadable or too large body; 500 on store
/// failure. All as JSON.
#[handler]
pub async fn logbook_sync(
    state: Data<&State>,
    req: &Request,
    Path(placement): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let (viewer, sent): (Viewer, SyncEntryRequest) = open_request(&state, req, body).await?;
    let p = own_placement(&state, &viewer, &placement)?;
    let Ok(id) = sent.id.trim().parse::<LogbookEntryId>() else {
        return Ok(bad_id());
    };
    // Already stored (a replayed outbox): the stored entry, even if the rules would
    // now refuse it (the period was shortened meanwhile) — it is in the logbook.
    if let Some(stored) = state.store.logbook_entry(id)? {
        return if stored.placement == p.id {
            Ok(entry_answer(StatusCode::OK, &stored))
        } else {
            Err(Error::NotFound.into())
        };
    }
    let input = LogbookEntryInput {
        date: sent.date,
        hours: sent.hours,
        tasks: sent.tasks,
        notes: sent.notes,
    };
    Ok(
        match logbook::store_new_entry(&state, &p, &input, id).await? {
            logbook::NewEntry::Stored(e) => entry_answer(StatusCode::CREATED, &e),
            // Another request with this id won the race: one entry, the same answer.
            logbook::NewEntry::Already { stored, .. } => entry_answer(StatusCode::OK, &stored),
            logbook::NewEntry::Invalid(errors) => invalid(&errors),
        },
    )
}

/// Body of `POST /api/stages/:placement/fiches` (unknown fields are ignored). Field
/// names are those of the HTML sheet form.
#[derive(Debug, Deserialize)]
pub struct SyncSheetRequest {
    /// UUID made by the client: the sheet's id, and the idempotency key.
    #[serde(default, deserialize_with = "text")]
    pub id: String,
    /// Title of the activity.
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    /// Day, `yyyy-mm-dd`.
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    /// Context (site, customer, situation).
    #[serde(default, deserialize_with = "text")]
    pub context: String,
    /// What was done (`done` is accepted too).
    #[serde(default, alias = "done", deserialize_with = "text")]
    pub work_done: String,
    /// Tools and materials.
    #[serde(default, deserialize_with = "text")]
    pub tools: String,
    /// Codes of the competencies ticked (`"C1"`…).
    #[serde(default, deserialize_with = "codes")]
    pub competencies: Vec<String>,
    /// Codes of the criteria ticked (`"C1.1"`…); a criterion ticks its competency.
    #[serde(default, deserialize_with = "codes")]
    pub criteria: Vec<String>,
    /// True to send the sheet to the tutor ("Envoyer au tuteur").
    #[serde(default)]
    pub submit: bool,
}

/// A sheet as the API returns it.
#[derive(Debug, Serialize)]
pub struct SheetJson {
    /// Its id (the client's UUID).
    pub id: String,
    /// Title.
    pub title: String,
    /// Day, `yyyy-mm-dd`.
    pub date: String,
    /// `draft`, `submitted` (sent, waiting for the tutor) or `reviewed` (seen by the
    /// tutor).
    pub status: &'static str,
    /// Context.
    pub context: String,
    /// What was done.
    pub work_done: String,
    /// Tools and materials.
    pub tools: String,
    /// Competency codes, in referential order.
    pub competencies: Vec<String>,
    /// Criterion codes, in referential order.
    pub criteria: Vec<String>,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Last change by the student, RFC 3339.
    pub updated_at: String,
    /// When sent to the tutor, RFC 3339, or `null`.
    pub submitted_at: Option<String>,
}

impl From<&ActivitySheet> for SheetJson {
    fn from(s: &ActivitySheet) -> Self {
        SheetJson {
            id: s.id.to_string(),
            title: s.title.clone(),
            date: s.date.to_string(),
            status: match s.status {
                SheetStatus::Draft => "draft",
                SheetStatus::Submitted => "submitted",
                SheetStatus::SeenByTutor => "reviewed",
            },
            context: s.context.clone(),
            work_done: s.work_done.clone(),
            tools: s.tools.clone(),
            competencies: s.competencies.clone(),
            criteria: s.criteria.clone(),
            created_at: s.created_at.to_string(),
            updated_at: s.updated_at.to_string(),
            submitted_at: s.submitted_at.map(|t| t.to_string()),
        }
    }
}

#[derive(Serialize)]
struct SheetAnswer {
    sheet: SheetJson,
}

/// `POST /api/stages/:placement/fiches` (issue 4): an activity sheet written, maybe
/// offline, by the student who owns the placement. Creates the sheet under the client's
/// UUID (201), or writes onto that draft (200); with `"submit": true` it is sent to the
/// tutor, with the rules of the "Envoyer au tuteur" button (a competency at least).
/// Once sent, the same content again answers 200 (a replayed outbox) and a different
/// content 409. Answers `{"sheet": …}`; 422 `{"message", "errors"}` as the form.
///
/// # Errors
/// As [`logbook_sync`], plus 409 `{"error": "conflict"}` for a change of a sheet already
/// sent to the tutor.
#[handler]
pub async fn sheet_sync(
    state: Data<&State>,
    req: &Request,
    Path(placement): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let (viewer, sent): (Viewer, SyncSheetRequest) = open_request(&state, req, body).await?;
    let p = own_placement(&state, &viewer, &placement)?;
    let Ok(id) = sent.id.trim().parse::<ActivitySheetId>() else {
        return Ok(bad_id());
    };
    let referential = sheets::referential_of(&state, &p)?;
    let input = ActivitySheetInput {
        title: sent.title,
        date: sent.date,
        context: sent.context,
        work_done: sent.work_done,
        tools: sent.tools,
        competencies: sent.competencies,
        criteria: sent.criteria,
    };
    let content =
        match sheets::check_sheet(&input, sent.submit, &p, &referential, state.clock.today()) {
            Ok(c) => c,
            Err(errors) => return Ok(invalid(&errors)),
        };
    let fresh = sheets::new_sheet(id, &p, &content, sent.submit, state.clock.now());
    Ok(
        match sheets::save_sheet(&state, &fresh, &content, sent.submit).await? {
            sheets::SheetSaved::Created(s) => sheet_answer(StatusCode::CREATED, &s),
            sheets::SheetSaved::Updated(s) => sheet_answer(StatusCode::OK, &s),
            // Already sent: the same text again is a replay (200), another text would
            // be lost silently, so it is refused (409) and stays in the outbox.
            sheets::SheetSaved::Locked(s) if same_text(&s, &fresh) => {
                sheet_answer(StatusCode::OK, &s)
            }
            sheets::SheetSaved::Locked(_) => json(
                StatusCode::CONFLICT,
                &ErrorBody {
                    error: "conflict",
                    message: CONFLICT_MESSAGE,
                    errors: None,
                },
            ),
        },
    )
}

/// 409 `{"error": "conflict", "message": <message>}` (shared with the company review's
/// endpoint, [`super::api_review`]).
pub(crate) fn conflict(message: &'static str) -> Response {
    json(
        StatusCode::CONFLICT,
        &ErrorBody {
            error: "conflict",
            message,
            errors: None,
        },
    )
}

fn sheet_answer(status: StatusCode, s: &ActivitySheet) -> Response {
    json(status, &SheetAnswer { sheet: s.into() })
}

/// True when both hold the same text, day and competencies, whatever their status.
fn same_text(a: &ActivitySheet, b: &ActivitySheet) -> bool {
    a.title == b.title
        && a.date == b.date
        && a.context == b.context
        && a.work_done == b.work_done
        && a.tools == b.tools
        && a.competencies == b.competencies
        && a.criteria == b.criteria
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths() {
        assert!(is_api_path("/api/stages/x/journal"));
        assert!(is_api_path("/api"));
        assert!(!is_api_path("/apiculture"));
        assert!(!is_api_path("/stages/x/journal"));
    }

    #[test]
    fn text_fields_take_strings_numbers_and_null() {
        let r: SyncEntryRequest =
            serde_json::from_str(r#"{"id":"x","hours":7.5,"tasks":null,"extra":[1]}"#).unwrap();
        assert_eq!(r.hours, "7.5");
        assert_eq!(r.tasks, "");
        assert_eq!(r.date, "");
        assert!(serde_json::from_str::<SyncEntryRequest>(r#"{"tasks":["a"]}"#).is_err());
        let s: SyncSheetRequest = serde_json::from_str(r#"{"done":"Pose"}"#).unwrap();
        assert_eq!(s.work_done, "Pose");
        assert!(!s.submit);
        assert!(s.criteria.is_empty());
        let s: SyncSheetRequest =
            serde_json::from_str(r#"{"criteria":"C1.1","competencies":["C2","C3"]}"#).unwrap();
        assert_eq!(s.criteria, ["C1.1"]);
        assert_eq!(s.competencies, ["C2", "C3"]);
        assert!(serde_json::from_str::<SyncSheetRequest>(r#"{"criteria":[1]}"#).is_err());
    }
}
