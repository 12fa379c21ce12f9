//! Who is this, and may they: link tokens, sessions and the object-level checks.
//!
//! Tokens and session ids are 32 random bytes (256 bits) from the operating system's
//! CSPRNG, written in base64url; only their SHA-256 is stored, so a copy of the data
//! directory opens nobody's account.

pub mod permissions;
pub mod rate_limit;

use crate::clock::Clock;
use crate::domain::Subject;
use crate::domain::access::{AccessKind, AccessToken, Session};
use crate::store::{Store, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use sha2::{Digest, Sha256};

/// How long a tutor's personal link works: six months (spec, "Accès à l'application
/// par le tuteur": "actif pendant six mois à partir de la date de ce courriel").
pub const TUTOR_ACCESS_DAYS: i64 = 183;
/// How long a sign-in link of a student, teacher or coordinator works (until passkeys
/// replace them with invitations, issue 7).
pub const SIGN_IN_LINK_DAYS: i64 = 30;
/// How long an invitation works (issue 3: single-use, seven days).
pub const INVITATION_DAYS: i64 = 7;
/// How long a session lasts at most.
pub const SESSION_DAYS: i64 = 30;

/// A fresh secret: 32 random bytes in base64url (43 characters).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, the form in which it is stored.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Issues a new link for `subject` (revoking the previous one of the same kind) and
/// returns the secret to put in the URL `/acces/<secret>`. Tutors get a six-month
/// personal link ([`TUTOR_ACCESS_DAYS`]); others a [`SIGN_IN_LINK_DAYS`]-day sign-in link.
///
/// # Errors
/// Store failure.
pub async fn issue_link(
    store: &Store,
    clock: &Clock,
    subject: Subject,
) -> Result<String, StoreError> {
    let (kind, days) = match subject {
        Subject::Tutor(_) => (AccessKind::TutorAccess, TUTOR_ACCESS_DAYS),
        _ => (AccessKind::SignIn, SIGN_IN_LINK_DAYS),
    };
    let secret = new_secret();
    let now = clock.now();
    let token = AccessToken {
        subject,
        kind,
        issued: now,
        expires: now
            .checked_add(SignedDuration::from_hours(24 * days))
            .unwrap_or(Timestamp::MAX),
        locked: false,
    };
    store.issue_token(&hash_secret(&secret), &token).await?;
    Ok(secret)
}

/// How long the first-start link works: one hour (issue 3).
pub const SETUP_LINK_MINUTES: i64 = 60;

/// Issues the first-start link of an empty store (revoking any previous one) and
/// returns the secret for `/installation/<secret>`, or `None` once a school exists.
///
/// # Errors
/// Store failure.
pub async fn issue_setup_link(store: &Store, clock: &Clock) -> Result<Option<String>, StoreError> {
    let secret = new_secret();
    let now = clock.now();
    let link = crate::domain::access::SetupLink {
        hash: hash_secret(&secret),
        issued: now,
        expires: now
            .checked_add(SignedDuration::from_mins(SETUP_LINK_MINUTES))
            .unwrap_or(now),
    };
    Ok(store.issue_setup_link(&link).await?.then_some(secret))
}

/// True when `secret` is the current, unexpired first-start link of an empty store.
///
/// # Errors
/// Store failure.
pub fn check_setup_link(store: &Store, clock: &Clock, secret: &str) -> Result<bool, StoreError> {
    if secret.len() > 100 || !store.is_empty()? {
        return Ok(false);
    }
    Ok(store
        .setup_link()?
        .is_some_and(|l| l.hash == hash_secret(secret) && clock.now() < l.expires))
}

/// Issues a single-use invitation for a student, teacher or coordinator (revoking their
/// previous invitation) and returns the secret for `/acces/<secret>`.
///
/// # Errors
/// Store failure.
pub async fn issue_invitation(
    store: &Store,
    clock: &Clock,
    subject: Subject,
) -> Result<String, StoreError> {
    let secret = new_secret();
    let now = clock.now();
    let token = AccessToken {
        subject,
        kind: AccessKind::Invitation,
        issued: now,
        expires: now
            .checked_add(SignedDuration::from_hours(24 * INVITATION_DAYS))
            .unwrap_or(Timestamp::MAX),
        locked: false,
    };
    store.issue_token(&hash_secret(&secret), &token).await?;
    Ok(secret)
}

/// Looks up a link secret; `Some` only when it exists, is not locked and not expired.
///
/// # Errors
/// Store failure.
pub fn check_link(
    store: &Store,
    clock: &Clock,
    secret: &str,
) -> Result<Option<AccessToken>, StoreError> {
    if secret.len() > 100 {
        return Ok(None);
    }
    Ok(store
        .token(&hash_secret(secret))?
        .filter(|t| t.usable_at(clock.now())))
}

/// Opens a session for `subject`; returns the cookie value (the secret).
///
/// # Errors
/// Store failure.
pub async fn open_session(
    store: &Store,
    clock: &Clock,
    subject: Subject,
    not_after: Timestamp,
) -> Result<String, StoreError> {
    open_session_with(store, clock, subject, not_after, None)
        .await
        .map(Option::unwrap_or_default)
}

/// Opens a session like [`open_session`]; with `redeem`, the hash of an invitation of
/// the same person, uses the invitation up in the same transaction. Returns `None`,
/// opening nothing, when that invitation is already used.
///
/// # Errors
/// Store failure.
pub async fn open_session_with(
    store: &Store,
    clock: &Clock,
    subject: Subject,
    not_after: Timestamp,
    redeem: Option<[u8; 32]>,
) -> Result<Option<String>, StoreError> {
    let secret = new_secret();
    let now = clock.now();
    let expires = now
        .checked_add(SignedDuration::from_hours(24 * SESSION_DAYS))
        .unwrap_or(Timestamp::MAX)
        .min(not_after);
    let session = Session {
        subject,
        csrf: new_secret(),
        created: now,
        expires,
    };
    let opened = store
        .insert_session(&hash_secret(&secret), &session, redeem.as_ref())
        .await?;
    Ok(opened.then_some(secret))
}

/// The live session for a cookie value, if any.
///
/// # Errors
/// Store failure.
pub fn find_session(
    store: &Store,
    clock: &Clock,
    secret: &str,
) -> Result<Option<Session>, StoreError> {
    if secret.len() > 100 {
        return Ok(None);
    }
    Ok(store
        .session(&hash_secret(secret))?
        .filter(|s| clock.now() < s.expires))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hash_stably() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }
}
