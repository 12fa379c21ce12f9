//! The push subscription API (issue 6), called by `pwa/push.js` and the service worker:
//!
//! - `GET /api/notifications/cle`: the current VAPID public key and its id, the
//!   `applicationServerKey` a device subscribes with;
//! - `POST /api/notifications/abonnement`: stores this device's subscription for the
//!   signed-in person;
//! - `POST /api/notifications/desabonnement`: deletes one of the person's own
//!   subscriptions by endpoint.
//!
//! CSRF defence as the sync API ([`super::api`]): the global guard's `Origin` /
//! `Sec-Fetch-Site` check, plus `X-Livret-Sync: 1` and `Content-Type:
//! application/json` on every POST (a page of another site cannot send them without a
//! CORS preflight, which Livret never grants). Answers and errors are JSON with French
//! messages, `Cache-Control: no-store`: `{"error": "<code>", "message": "<French>"}`.
//! Endpoints and keys are never logged (an endpoint is a capability).

use super::State;
use super::api::{ApiError, check_sync_headers, json, read_body};
use super::extract::Viewer;
use crate::domain::push::{
    MAX_DEVICES_PER_PERSON, SubscriptionJson, trial_instance, validate_subscription,
};
use crate::error::Error;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde::{Deserialize, Serialize};

/// Largest body read, in bytes: 8 KiB (an endpoint is at most 2 KiB, the keys 150
/// bytes). Beyond it the answer is 413.
pub const MAX_PUSH_BODY_BYTES: usize = 8 * 1024;

#[derive(Serialize)]
struct Problem<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<KeyAnswer>,
}

fn problem(status: StatusCode, error: &str, message: &str) -> Response {
    json(
        status,
        &Problem {
            error,
            message,
            key: None,
        },
    )
}

/// The current public key, as `GET /api/notifications/cle` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyAnswer {
    /// base64url (no padding) of the 65-byte uncompressed P-256 public key.
    pub key: String,
    /// The key's id ([`crate::domain::push::VapidKeys::id`]).
    pub id: String,
}

fn current_key(state: &State) -> Result<KeyAnswer, ApiError> {
    let keys = state
        .store
        .vapid_keys()?
        .ok_or_else(|| Error::Internal("pas de clé VAPID".into()))?;
    Ok(KeyAnswer {
        key: keys.public_key_base64(),
        id: keys.id,
    })
}

/// Message of the 401 answer.
pub const SIGN_IN_MESSAGE: &str = "Votre session a pris fin : reconnectez-vous (clé d'accès, ou lien personnel pour les tuteurs) pour gérer les notifications.";

/// The signed-in person, or the 401 answer (JSON, with [`SIGN_IN_MESSAGE`]).
async fn viewer_of(req: &Request) -> Result<Result<Viewer, Response>, ApiError> {
    match Viewer::from_session(req).await {
        Ok(v) => Ok(Ok(v)),
        Err(Error::SignInRequired) => Ok(Err(problem(
            StatusCode::UNAUTHORIZED,
            "sign-in",
            SIGN_IN_MESSAGE,
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Checks the POST's own CSRF defence, finds the signed-in person, reads the JSON body
/// (at most [`MAX_PUSH_BODY_BYTES`]). `Ok(Err(answer))` is a refusal to send as is.
async fn open<T: for<'de> Deserialize<'de>>(
    state: &State,
    req: &Request,
    body: Body,
) -> Result<Result<(Viewer, T), Response>, ApiError> {
    check_sync_headers(req.headers())?;
    let viewer = match viewer_of(req).await? {
        Ok(v) => v,
        Err(answer) => return Ok(Err(answer)),
    };
    let limit = MAX_PUSH_BODY_BYTES.min(state.config.max_body_bytes);
    let bytes = match read_body(body, limit).await {
        Ok(b) => b,
        Err(Error::PayloadTooLarge) => {
            return Ok(Err(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Cet envoi dépasse la taille autorisée (8 Kio) pour un abonnement.",
            )));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(match serde_json::from_slice(&bytes) {
        Ok(value) => Ok((viewer, value)),
        Err(_) => Err(problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Cet envoi n'a pas pu être lu : un objet JSON était attendu, avec l'abonnement du navigateur.",
        )),
    })
}

/// `GET /api/notifications/cle`: `{"key": "<base64url>", "id": "<key id>"}`.
///
/// # Errors
/// 401 (JSON) without a live session; 500 when the store fails.
#[handler]
pub async fn key_show(state: Data<&State>, req: &Request) -> Result<Response, ApiError> {
    if let Err(answer) = viewer_of(req).await? {
        return Ok(answer);
    }
    Ok(json(StatusCode::OK, &current_key(&state)?))
}

/// Body of `POST /api/notifications/abonnement`. Both members are required; they are
/// optional here only so that a missing one gets its own French message rather than
/// "un objet JSON était attendu".
#[derive(Debug, Deserialize)]
pub struct SubscribeRequest {
    /// The browser's `PushSubscription.toJSON()`.
    #[serde(default)]
    pub subscription: Option<SubscriptionJson>,
    /// Id of the key the browser subscribed with (from `GET /api/notifications/cle`).
    #[serde(default)]
    pub key_id: Option<String>,
}

/// Message of the 400 answer when `key_id` is missing or empty.
pub const MISSING_KEY_ID_MESSAGE: &str = "Cet envoi ne dit pas avec quelle clé l'appareil s'est abonné (key_id manquant) : rechargez la page « Notifications » puis réactivez les notifications sur cet appareil.";

/// Message of the 409 answer `too-many-devices` (see [`MAX_DEVICES_PER_PERSON`]).
pub fn too_many_devices_message() -> String {
    format!(
        "Vous avez déjà {MAX_DEVICES_PER_PERSON} appareils abonnés aux notifications : retirez-en un sur la page « Notifications » (bouton « Retirer ») avant d'en abonner un autre."
    )
}

#[derive(Serialize)]
struct Subscribed {
    /// The stored subscription's id (the "Retirer" button names it).
    id: String,
    key_id: String,
}

/// `POST /api/notifications/abonnement`: stores the device's subscription for the
/// signed-in person. Answers `201 {"id", "key_id"}` when stored, `200` when the same
/// endpoint was already this person's (its keys and key id are refreshed, its id and
/// history kept). The same endpoint stored for someone else (a shared device, another
/// person signed in since) now belongs to this person.
///
/// # Errors
/// 403 without `X-Livret-Sync: 1` / JSON, or cross-site; 401 without a live session;
/// 400 for unreadable JSON, or without `subscription` or `key_id` (each with its own
/// French message); 413 beyond 8 KiB; 422 `{"error": "invalid"}` with the domain's
/// French message for an invalid subscription (an endpoint that is not `https`, or in
/// an internal network; a key that is not a P-256 point); 409 `{"error":
/// "stale-key", "key": {…}}` when `key_id` is not the current key's (the client
/// subscribes again with `key`); 409 `{"error": "too-many-devices"}` when the person
/// already has [`MAX_DEVICES_PER_PERSON`] other devices (the count is read just before
/// the write: two devices subscribing at the very same instant may both pass).
#[handler]
pub async fn subscription_create(
    state: Data<&State>,
    req: &Request,
    body: Body,
) -> Result<Response, ApiError> {
    let (viewer, sent): (Viewer, SubscribeRequest) = match open(&state, req, body).await? {
        Ok(v) => v,
        Err(answer) => return Ok(answer),
    };
    let Some(subscription) = sent.subscription else {
        return Ok(problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Cet envoi ne contient pas l'abonnement du navigateur (subscription manquant) : rechargez la page « Notifications » puis réactivez les notifications sur cet appareil.",
        ));
    };
    let key_id = sent.key_id.unwrap_or_default();
    if key_id.trim().is_empty() {
        return Ok(problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            MISSING_KEY_ID_MESSAGE,
        ));
    }
    let valid = match validate_subscription(&subscription) {
        Ok(v) => v,
        Err(message) => {
            let message = format!("Abonnement refusé : {message}.");
            return Ok(problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                &message,
            ));
        }
    };
    if crate::domain::push::is_loopback_http(&valid.endpoint)
        && !trial_instance(&state.config.public_url)
    {
        return Ok(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Abonnement refusé : l'adresse du service de notification doit commencer par https://.",
        ));
    }
    let key = current_key(&state)?;
    if key_id.trim() != key.id {
        return Ok(json(
            StatusCode::CONFLICT,
            &Problem {
                error: "stale-key",
                message: "La clé des notifications a changé : l'appareil doit se réabonner avec la nouvelle clé.",
                key: Some(key),
            },
        ));
    }
    let now = state.clock.now();
    let existing = state.store.push_subscription(&valid.endpoint)?;
    let already_counted = existing
        .as_ref()
        .is_some_and(|s| s.subject == viewer.subject);
    if !already_counted
        && state.store.push_subscriptions_of(&viewer.subject)?.len() >= MAX_DEVICES_PER_PERSON
    {
        return Ok(problem(
            StatusCode::CONFLICT,
            "too-many-devices",
            &too_many_devices_message(),
        ));
    }
    let (subscription, status) = match existing {
        Some(mut same) if same.subject == viewer.subject => {
            if same.p256dh != valid.p256dh || same.auth != valid.auth {
                same.last_success = None;
            }
            same.p256dh = valid.p256dh;
            same.auth = valid.auth;
            same.vapid_key_id = key.id.clone();
            (same, StatusCode::OK)
        }
        _ => (
            valid.into_subscription(viewer.subject, &key.id, now),
            StatusCode::CREATED,
        ),
    };
    state.store.put_push_subscription(&subscription).await?;
    tracing::info!(
        subscription = %subscription.id,
        role = viewer.subject.role_label(),
        "notifications : appareil abonné"
    );
    Ok(json(
        status,
        &Subscribed {
            id: subscription.id.to_string(),
            key_id: key.id,
        },
    ))
}

/// Body of `POST /api/notifications/desabonnement`.
#[derive(Debug, Deserialize)]
pub struct UnsubscribeRequest {
    /// The endpoint of the subscription to delete.
    pub endpoint: String,
}

#[derive(Serialize)]
struct Unsubscribed {
    deleted: bool,
}

/// `POST /api/notifications/desabonnement`: deletes the subscription of `endpoint` if
/// it is the signed-in person's; answers `200 {"deleted": true}`.
///
/// # Errors
/// 404 (JSON) when no subscription of this person has that endpoint (someone else's
/// stays untouched); otherwise as [`subscription_create`].
#[handler]
pub async fn subscription_delete(
    state: Data<&State>,
    req: &Request,
    body: Body,
) -> Result<Response, ApiError> {
    let (viewer, sent): (Viewer, UnsubscribeRequest) = match open(&state, req, body).await? {
        Ok(v) => v,
        Err(answer) => return Ok(answer),
    };
    let endpoint = sent.endpoint.trim();
    match state.store.push_subscription(endpoint)? {
        Some(s) if s.subject == viewer.subject => {
            state.store.delete_push_subscription(endpoint).await?;
            tracing::info!(subscription = %s.id, "notifications : appareil désabonné");
            Ok(json(StatusCode::OK, &Unsubscribed { deleted: true }))
        }
        _ => Ok(problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Cet abonnement n'existe pas, ou il n'est pas le vôtre.",
        )),
    }
}
