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

/// How long a tutor's personal link works: six calendar months, in the school's time
/// zone, from the issue (spec, "Accès à l'application par le tuteur": "actif pendant
/// six mois à partir de la date de ce courriel"; the e-mail goes out when the link is
/// issued).
pub const TUTOR_ACCESS_MONTHS: i64 = 6;
/// How often at most a tutor session's requests record the link's last use.
pub const LAST_USED_EVERY_MINUTES: i64 = 60;
/// How long a sign-in link of a student, teacher or coordinator works. Since passkeys
/// (issue 7) Livret issues invitations instead; links already issued keep working until
/// they expire, and the tests use them to open sessions directly.
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

/// Issues a new link for `subject` (revoking the previous one of the same kind; a
/// tutor's previous link is kept as "replaced" so its page can say so) and returns the
/// secret to put in the URL `/acces/<secret>`. Tutors get their personal link, valid
/// [`TUTOR_ACCESS_MONTHS`] months; others a [`SIGN_IN_LINK_DAYS`]-day sign-in link.
///
/// # Errors
/// Store failure.
pub async fn issue_link(
    store: &Store,
    clock: &Clock,
    subject: Subject,
) -> Result<String, StoreError> {
    issue_link_with_token(store, clock, subject)
        .await
        .map(|(secret, _)| secret)
}

/// Like [`issue_link`], also returning the stored record (its issue and expiry dates
/// go into the tutor's e-mail).
///
/// # Errors
/// Store failure.
pub async fn issue_link_with_token(
    store: &Store,
    clock: &Clock,
    subject: Subject,
) -> Result<(String, AccessToken), StoreError> {
    let now = clock.now();
    let (kind, expires) = match subject {
        Subject::Tutor(_) => (AccessKind::TutorAccess, tutor_access_expiry(clock)),
        _ => (
            AccessKind::SignIn,
            now.checked_add(SignedDuration::from_hours(24 * SIGN_IN_LINK_DAYS))
                .unwrap_or(Timestamp::MAX),
        ),
    };
    let secret = new_secret();
    let token = AccessToken {
        subject,
        kind,
        issued: now,
        expires,
        locked: false,
        sent: None,
        handed_over: None,
        last_used: None,
        superseded: false,
    };
    store.issue_token(&hash_secret(&secret), &token).await?;
    Ok((secret, token))
}

/// When a tutor link issued now stops working: the same time of day, six calendar
/// months later, in the school's time zone (so a link issued on 11 March at 10:30 works
/// until 11 September at 10:30).
pub fn tutor_access_expiry(clock: &Clock) -> Timestamp {
    clock
        .now_zoned()
        .checked_add(jiff::Span::new().months(TUTOR_ACCESS_MONTHS))
        .map_or(Timestamp::MAX, |z| z.timestamp())
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
        sent: None,
        handed_over: None,
        last_used: None,
        superseded: false,
    };
    store.issue_token(&hash_secret(&secret), &token).await?;
    Ok(secret)
}

/// Looks up a link secret; `Some` only when it exists, is not locked, not replaced
/// and not expired.
///
/// # Errors
/// Store failure.
pub fn check_link(
    store: &Store,
    clock: &Clock,
    secret: &str,
) -> Result<Option<AccessToken>, StoreError> {
    Ok(find_link(store, secret)?.filter(|t| t.usable_at(clock.now())))
}

/// Looks up a link secret whatever its state (for the page explaining why a link
/// opens nothing).
///
/// # Errors
/// Store failure.
pub fn find_link(store: &Store, secret: &str) -> Result<Option<AccessToken>, StoreError> {
    if secret.len() > 100 {
        return Ok(None);
    }
    store.token(&hash_secret(secret))
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
    open_session_with(store, clock, subject, not_after, None, None)
        .await
        .map(Option::unwrap_or_default)
}

/// Opens a session like [`open_session`]; with `redeem`, the hash of an invitation of
/// the same person, uses the invitation up in the same transaction. Returns `None`,
/// opening nothing, when that invitation is already used. With `via`, the hash of the
/// tutor link used, the session lives only as long as that link works, and the link's
/// last use is recorded in the same transaction.
///
/// # Errors
/// Store failure.
pub async fn open_session_with(
    store: &Store,
    clock: &Clock,
    subject: Subject,
    not_after: Timestamp,
    redeem: Option<[u8; 32]>,
    via: Option<[u8; 32]>,
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
        via,
    };
    let opened = store
        .insert_session(&hash_secret(&secret), &session, redeem.as_ref())
        .await?;
    Ok(opened.then_some(secret))
}

/// The live session for a cookie value, if any. A session opened by a tutor link is
/// live only while that link works: locking, replacing or the end of the six months
/// ends it at once (issue 3).
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
    let now = clock.now();
    let Some(session) = store
        .session(&hash_secret(secret))?
        .filter(|s| now < s.expires)
    else {
        return Ok(None);
    };
    if let Some(via) = &session.via
        && !store.token(via)?.is_some_and(|t| t.usable_at(now))
    {
        return Ok(None);
    }
    Ok(Some(session))
}

/// Records that the tutor link `via` served a request now, at most every
/// [`LAST_USED_EVERY_MINUTES`] minutes (so the referent sees when it was last used
/// without a write on every page).
///
/// # Errors
/// Store failure.
pub async fn note_link_use(store: &Store, clock: &Clock, via: &[u8; 32]) -> Result<(), StoreError> {
    let now = clock.now();
    let due = store.token(via)?.is_some_and(|t| {
        t.last_used.is_none_or(|at| {
            now.duration_since(at) >= SignedDuration::from_mins(LAST_USED_EVERY_MINUTES)
        })
    });
    if due {
        store.touch_token(via, now).await?;
    }
    Ok(())
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
