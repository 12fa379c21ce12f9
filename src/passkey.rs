//! Passkeys (issue 7): the WebAuthn relying party and its ceremonies, with
//! `webauthn-rs` doing the cryptography (W3C Web Authentication level 3).
//!
//! Every ceremony has two steps. `start_*` makes a challenge, keeps the ceremony's
//! state in the store under the SHA-256 of a fresh random secret, and returns the
//! secret (for an HttpOnly cookie or the page) and the options for the browser
//! (`navigator.credentials.create()` / `get()`). `finish_*` takes the state back
//! (deleting it in the same transaction, so a replayed answer finds nothing), refuses
//! it after [`CEREMONY_MINUTES`] minutes, and checks the browser's answer.
//!
//! Rules: user verification required; registrations ask for a discoverable credential
//! (so signing in needs no user name) and exclude the person's existing passkeys; the
//! credential's counter and backup flags are written back at each sign-in.

use crate::auth::{hash_secret, new_secret};
use crate::clock::Clock;
use crate::domain::access::AccessKind;
use crate::domain::passkey::{CEREMONY_MINUTES, Ceremony, CeremonyPurpose, PasskeyCredential};
use crate::domain::{PasskeyId, Subject};
use crate::store::{Store, StoreError};
use jiff::SignedDuration;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// Why a ceremony failed, in words for the person (French, from [`PasskeyError::message`]).
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// No such ceremony: never started, already answered (a replay) or expired.
    #[error("ceremony unknown, used or expired")]
    Expired,
    /// The answer does not match the challenge, origin, key or flags (webauthn-rs
    /// refused it), or answers another ceremony's purpose.
    #[error("answer refused: {0}")]
    Refused(String),
    /// The credential used is not registered (removed, or another site's).
    #[error("unknown credential")]
    UnknownCredential,
    /// The passkey's owner is not active any more (archived).
    #[error("inactive person")]
    Inactive,
    /// This passkey is already registered.
    #[error("credential already registered")]
    AlreadyRegistered,
    /// Too many ceremonies waiting ([`crate::store::MAX_LIVE_CEREMONIES`]): a start is
    /// refused until some expire.
    #[error("too many ceremonies in progress")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PasskeyError {
    /// What to tell the person, in French.
    pub fn message(&self) -> &'static str {
        match self {
            PasskeyError::Expired => "La demande a expiré ou a déjà servi : recommencez.",
            PasskeyError::Refused(_) => {
                "La clé d'accès n'a pas pu être vérifiée : recommencez, ou utilisez une autre clé."
            }
            PasskeyError::UnknownCredential => {
                "Cette clé d'accès n'est pas (ou plus) enregistrée dans Livret : utilisez-en une autre, ou demandez une nouvelle invitation à votre établissement."
            }
            PasskeyError::Inactive => {
                "Ce compte n'est plus actif : adressez-vous à votre établissement."
            }
            PasskeyError::AlreadyRegistered => "Cette clé d'accès est déjà enregistrée.",
            PasskeyError::Busy => "Trop de demandes en cours : réessayez dans une minute.",
            PasskeyError::Store(_) => {
                "Une erreur interne est survenue : réessayez dans un instant."
            }
        }
    }
}

/// The relying party for `public_url` (`scheme://host[:port]`): RP id = its host, the
/// only accepted origin = the URL itself, RP name "Livret".
///
/// # Errors
/// A French sentence when the host is an IP address (WebAuthn RP ids are domains:
/// browsers refuse passkeys on `https://192.0.2.1`; use a domain, or `localhost` to
/// try Livret out) or the URL cannot be read.
pub fn relying_party(public_url: &str) -> Result<Webauthn, String> {
    let url = Url::parse(public_url)
        .map_err(|_| format!("adresse publique « {public_url} » illisible"))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {
            return Err(format!(
                "l'adresse publique {public_url} désigne une adresse IP : les clés d'accès (WebAuthn) exigent un nom de domaine. Donnez LIVRET_PUBLIC_URL=https://livret.mon-lycee.fr (ou http://localhost:PORT pour essayer Livret sur ce poste)."
            ));
        }
        None => return Err(format!("adresse publique « {public_url} » sans nom d'hôte")),
    };
    WebauthnBuilder::new(&host, &url)
        .and_then(|b| b.rp_name("Livret").build())
        .map_err(|e| format!("adresse publique {public_url} refusée par WebAuthn : {e}"))
}

/// A passkey's WebAuthn user handle: the person's id (ids are random UUIDs, unique
/// across roles).
pub fn user_handle(subject: &Subject) -> Uuid {
    match subject {
        Subject::Student(id) => id.0,
        Subject::Tutor(id) => id.0,
        Subject::Teacher(id) => id.0,
        Subject::Coordinator(id) => id.0,
    }
}

fn refused(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Refused(e.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(refused)
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(json).map_err(refused)
}

/// Keeps a ceremony and returns its secret.
async fn keep(
    store: &Store,
    clock: &Clock,
    purpose: CeremonyPurpose,
    state_json: String,
) -> Result<String, PasskeyError> {
    let secret = new_secret();
    let now = clock.now();
    let ceremony = Ceremony {
        purpose,
        state_json,
        expires: now
            .checked_add(SignedDuration::from_mins(CEREMONY_MINUTES))
            .unwrap_or(now),
    };
    if store
        .put_ceremony(&hash_secret(&secret), &ceremony, now)
        .await?
    {
        Ok(secret)
    } else {
        tracing::warn!("trop de cérémonies de clé d'accès en cours : démarrage refusé");
        Err(PasskeyError::Busy)
    }
}

/// Takes the ceremony of `secret` back (once).
async fn take(store: &Store, clock: &Clock, secret: &str) -> Result<Ceremony, PasskeyError> {
    if secret.is_empty() || secret.len() > 100 {
        return Err(PasskeyError::Expired);
    }
    store
        .take_ceremony(&hash_secret(secret), clock.now())
        .await?
        .ok_or(PasskeyError::Expired)
}

/// Starts registering a passkey for the signed-in `subject`, whose name
/// (`user_name`, shown by the authenticator's account picker) is given. Returns the
/// ceremony secret and the options for `navigator.credentials.create()`.
///
/// # Errors
/// Store failure; webauthn-rs refusing to build the challenge.
pub async fn start_registration(
    webauthn: &Webauthn,
    store: &Store,
    clock: &Clock,
    subject: Subject,
    user_name: &str,
) -> Result<(String, CreationChallengeResponse), PasskeyError> {
    let existing = store
        .passkeys_of(&subject)?
        .into_iter()
        .map(|p| webauthn_rs::prelude::CredentialID::from(p.credential_id))
        .collect::<Vec<_>>();
    let (mut options, state) = webauthn
        .start_passkey_registration(
            user_handle(&subject),
            user_name,
            user_name,
            (!existing.is_empty()).then_some(existing),
        )
        .map_err(refused)?;
    // A discoverable credential, so that signing in needs no user name.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    let secret = keep(
        store,
        clock,
        CeremonyPurpose::Register(subject),
        to_json(&state)?,
    )
    .await?;
    Ok((secret, options))
}

/// The backup flags (eligible, state) of a `Passkey` serialised by webauthn-rs (it has
/// no accessor for them without its `danger-credential-internals` feature): its JSON is
/// `{"cred": {…, "backup_eligible": bool, "backup_state": bool}}`. False when absent.
fn backup_flags(passkey_json: &str) -> (bool, bool) {
    let value: serde_json::Value = serde_json::from_str(passkey_json).unwrap_or_default();
    let flag = |name: &str| value["cred"][name].as_bool().unwrap_or(false);
    (flag("backup_eligible"), flag("backup_state"))
}

/// Finishes a registration started by [`start_registration`] for the same `subject`
/// and stores the passkey under `name` (already validated).
///
/// # Errors
/// [`PasskeyError::Expired`] for an unknown, used or expired ceremony;
/// [`PasskeyError::Refused`] for an answer webauthn-rs rejects or a ceremony of
/// another person; [`PasskeyError::AlreadyRegistered`]; store failure.
pub async fn finish_registration(
    webauthn: &Webauthn,
    store: &Store,
    clock: &Clock,
    secret: &str,
    subject: Subject,
    answer: &RegisterPublicKeyCredential,
    name: &str,
) -> Result<PasskeyCredential, PasskeyError> {
    let ceremony = take(store, clock, secret).await?;
    if ceremony.purpose != CeremonyPurpose::Register(subject) {
        return Err(PasskeyError::Refused("ceremony of another purpose".into()));
    }
    let state: PasskeyRegistration = from_json(&ceremony.state_json)?;
    let passkey = webauthn
        .finish_passkey_registration(answer, &state)
        .map_err(refused)?;
    let passkey_json = to_json(&passkey)?;
    let (backup_eligible, backup_state) = backup_flags(&passkey_json);
    let record = PasskeyCredential {
        id: PasskeyId::new(),
        subject,
        credential_id: passkey.cred_id().to_vec(),
        name: name.to_string(),
        passkey_json,
        created_at: clock.now(),
        last_used: None,
        backup_eligible,
        backup_state,
    };
    if !store.add_passkey(&record).await? {
        return Err(PasskeyError::AlreadyRegistered);
    }
    Ok(record)
}

/// Who a sign-in is for: anyone (discoverable: the browser lists this site's passkeys),
/// or the person with the e-mail address typed (user-name-first path).
#[derive(Debug, Clone, Copy)]
pub enum SignInFor<'a> {
    /// No user name typed.
    Anyone,
    /// An e-mail address was typed (`email`, folded: trimmed, lower case); `person` is
    /// its active owner, if any.
    Named {
        /// The folded e-mail address.
        email: &'a str,
        /// Its owner, when there is one.
        person: Option<Subject>,
    },
}

/// Length of a decoy credential id, in bytes (the length of the ids the common
/// platform authenticators make).
const DECOY_ID_BYTES: usize = 16;

/// HMAC-SHA256 (RFC 2104) of `message` with a 32-byte `key`.
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut inner_pad = [0x36u8; 64];
    let mut outer_pad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        inner_pad[i] ^= k;
        outer_pad[i] ^= k;
    }
    let inner: [u8; 32] = Sha256::new()
        .chain_update(inner_pad)
        .chain_update(message)
        .finalize()
        .into();
    Sha256::new()
        .chain_update(outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn allow(id: Vec<u8>) -> webauthn_rs_proto::AllowCredentials {
    webauthn_rs_proto::AllowCredentials {
        type_: "public-key".to_string(),
        id,
        transports: None,
    }
}

/// Starts a sign-in ([`SignInFor`]). Both paths build a discoverable challenge, so
/// their options have the same shape (same keys, same extensions); with an e-mail
/// address, `allowCredentials` lists its owner's passkeys, or — for an address nobody
/// has, or a person without passkeys — one decoy id (HMAC-SHA256 of the address with a
/// server key, [`DECOY_ID_BYTES`] bytes, the same at each try), so the answer never
/// tells whether an account exists (issue 7). Returns the ceremony secret and the
/// options for `navigator.credentials.get()` (no `mediation`: the page adds
/// `conditional` for the autofill path).
///
/// # Errors
/// [`PasskeyError::Busy`] when too many ceremonies wait; store failure; webauthn-rs
/// refusing to build the challenge.
pub async fn start_sign_in(
    webauthn: &Webauthn,
    store: &Store,
    clock: &Clock,
    who: SignInFor<'_>,
) -> Result<(String, RequestChallengeResponse), PasskeyError> {
    let (mut options, state) = webauthn
        .start_discoverable_authentication()
        .map_err(refused)?;
    let purpose = match who {
        SignInFor::Anyone => CeremonyPurpose::SignIn,
        SignInFor::Named { email, person } => {
            let mut ids: Vec<Vec<u8>> = match &person {
                Some(subject) => store
                    .passkeys_of(subject)?
                    .into_iter()
                    .map(|p| p.credential_id)
                    .collect(),
                None => Vec::new(),
            };
            if ids.is_empty() {
                let key = store.passkey_decoy_key().await?;
                let mac = hmac_sha256(&key, format!("courriel:{email}").as_bytes());
                ids.push(mac[..DECOY_ID_BYTES].to_vec());
            }
            options.public_key.allow_credentials = ids.into_iter().map(allow).collect();
            match person {
                Some(subject) => CeremonyPurpose::SignInAs(subject),
                None => CeremonyPurpose::Nobody,
            }
        }
    };
    options.mediation = None;
    let secret = keep(store, clock, purpose, to_json(&state)?).await?;
    Ok((secret, options))
}

/// Finishes a sign-in started by [`start_sign_in`] (or [`start_tutor_link`]) and returns
/// whose passkey answered and what the ceremony was for. Once the answer is verified,
/// `accept(subject, purpose)` decides whether the caller takes it (a tutor's passkey on
/// the sign-in page, an inactive person, a tutor link's ceremony on another route, a
/// ceremony of another link…); only when it accepts are the passkey's counter, backup
/// flags and last use written back, so a refused sign-in leaves no trace on the
/// passkey.
///
/// # Errors
/// [`PasskeyError::Expired`], [`PasskeyError::UnknownCredential`] (removed passkey),
/// [`PasskeyError::Refused`] (bad signature, origin, challenge, user verification, a
/// counter that went backwards, or a ceremony of another purpose), whatever `accept`
/// returns; store failure.
pub async fn finish_sign_in(
    webauthn: &Webauthn,
    store: &Store,
    clock: &Clock,
    secret: &str,
    answer: &PublicKeyCredential,
    accept: impl FnOnce(&Subject, &CeremonyPurpose) -> Result<(), PasskeyError>,
) -> Result<(Subject, CeremonyPurpose), PasskeyError> {
    let ceremony = take(store, clock, secret).await?;
    let mut stored = store
        .passkey_by_credential(answer.get_credential_id())?
        .ok_or(PasskeyError::UnknownCredential)?;
    let mut passkey: Passkey = from_json(&stored.passkey_json)?;
    let result = match &ceremony.purpose {
        CeremonyPurpose::SignIn => {
            let state: DiscoverableAuthentication = from_json(&ceremony.state_json)?;
            let (handle, _) = webauthn
                .identify_discoverable_authentication(answer)
                .map_err(refused)?;
            if handle != user_handle(&stored.subject) {
                return Err(PasskeyError::Refused("user handle mismatch".into()));
            }
            webauthn
                .finish_discoverable_authentication_v2(answer, state, &passkey)
                .map_err(refused)?
        }
        // The e-mail-first path: a discoverable challenge narrowed to one person's
        // passkeys; webauthn-rs accepts any passkey it is given, so the owner is
        // checked here.
        CeremonyPurpose::SignInAs(subject) if *subject == stored.subject => {
            let state: DiscoverableAuthentication = from_json(&ceremony.state_json)?;
            webauthn
                .finish_discoverable_authentication_v2(answer, state, &passkey)
                .map_err(refused)?
        }
        CeremonyPurpose::TutorLink { subject, .. } if *subject == stored.subject => {
            let state: PasskeyAuthentication = from_json(&ceremony.state_json)?;
            webauthn
                .finish_passkey_authentication(answer, &state)
                .map_err(refused)?
        }
        _ => return Err(PasskeyError::Refused("ceremony of another purpose".into())),
    };
    if !result.user_verified() {
        return Err(PasskeyError::Refused("user not verified".into()));
    }
    accept(&stored.subject, &ceremony.purpose)?;
    passkey.update_credential(&result);
    stored.passkey_json = to_json(&passkey)?;
    stored.backup_eligible = result.backup_eligible();
    stored.backup_state = result.backup_state();
    stored.last_used = Some(clock.now());
    if !store.record_passkey_use(&stored).await? {
        return Err(PasskeyError::UnknownCredential);
    }
    Ok((stored.subject, ceremony.purpose))
}

/// Starts the passkey check of a tutor who bound a passkey to their personal link
/// (issue 7): only that tutor's passkeys may answer, and the ceremony remembers the
/// link (`link` = SHA-256 of its secret). Finished by [`finish_sign_in`]. `None` when
/// the tutor has no passkey (the link alone opens their space).
///
/// # Errors
/// Store failure; webauthn-rs refusing to build the challenge.
pub async fn start_tutor_link(
    webauthn: &Webauthn,
    store: &Store,
    clock: &Clock,
    tutor: Subject,
    link: [u8; 32],
) -> Result<Option<(String, RequestChallengeResponse)>, PasskeyError> {
    let known: Vec<Passkey> = store
        .passkeys_of(&tutor)?
        .iter()
        .filter_map(|p| serde_json::from_str(&p.passkey_json).ok())
        .collect();
    if known.is_empty() {
        return Ok(None);
    }
    let (mut options, state) = webauthn
        .start_passkey_authentication(&known)
        .map_err(refused)?;
    options.mediation = None;
    let purpose = CeremonyPurpose::TutorLink {
        subject: tutor,
        link,
    };
    let secret = keep(store, clock, purpose, to_json(&state)?).await?;
    Ok(Some((secret, options)))
}

/// True when `subject` can get in without a passkey: a usable invitation waiting (a
/// recovery, issue 7) or a usable sign-in link. Removing the last passkey is allowed
/// only then ([`crate::domain::passkey::may_remove`]).
///
/// # Errors
/// Store failure.
pub fn other_way_in(store: &Store, clock: &Clock, subject: &Subject) -> Result<bool, StoreError> {
    let now = clock.now();
    for kind in [AccessKind::Invitation, AccessKind::SignIn] {
        if store
            .link_of(subject, kind)?
            .is_some_and(|t| t.subject == *subject && t.usable_at(now))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relying_party_needs_a_domain() {
        assert!(relying_party("https://livret.lycee-exemple.fr").is_ok());
        assert!(relying_party("http://localhost:8080").is_ok());
        for ip in [
            "http://127.0.0.1:8080",
            "https://192.0.2.10",
            "http://[::1]:8080",
        ] {
            let message = relying_party(ip).err().unwrap_or_default();
            assert!(message.contains("nom de domaine"), "{ip}: {message}");
        }
    }
}
