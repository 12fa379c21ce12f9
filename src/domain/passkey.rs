//! Passkeys (issue 7), the pure part: a person's registered passkey as stored, the
//! server-side state of a registration or authentication ceremony, and the rules on
//! names and on removing a passkey.
//!
//! The WebAuthn work itself (challenges, signatures, counters) is done by
//! `webauthn-rs` in [`crate::passkey`]; its credential and ceremony states are kept
//! here as opaque JSON strings that never leave the server.

use super::{PasskeyId, Subject, text};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest passkey name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// How long a ceremony may take, from the challenge to the answer: 5 minutes
/// (WebAuthn's recommended timeout for user verification is 5 to 10 minutes; the
/// challenge is refused after it).
pub const CEREMONY_MINUTES: i64 = 5;

/// One registered passkey of a student, teacher, coordinator or (optionally) tutor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyCredential {
    /// Id in Livret's URLs and forms (not the WebAuthn credential id).
    pub id: PasskeyId,
    /// Whose passkey it is.
    pub subject: Subject,
    /// The WebAuthn credential id (raw bytes, as the authenticator made it; up to
    /// 1023 bytes per WebAuthn level 3 §5.1).
    pub credential_id: Vec<u8>,
    /// The name the person gave it ("Téléphone", "Ordinateur du CDI"…).
    pub name: String,
    /// `webauthn_rs::prelude::Passkey` as JSON: public key, counter, backup flags.
    /// Server only.
    pub passkey_json: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last signed in, if ever.
    pub last_used: Option<Timestamp>,
    /// The authenticator said this credential may be backed up (synced passkey).
    pub backup_eligible: bool,
    /// The authenticator said this credential is backed up now.
    pub backup_state: bool,
}

/// What a ceremony is for, kept with its state so that an answer cannot be used for
/// another purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CeremonyPurpose {
    /// Registering a passkey for this signed-in person.
    Register(Subject),
    /// Signing in with a discoverable credential (no user name typed).
    SignIn,
    /// Signing in as this person (user-name-first path: their passkeys are listed).
    SignInAs(Subject),
    /// The user-name-first path for an e-mail address nobody has: the options list a
    /// decoy credential id, and every answer is refused.
    Nobody,
    /// A tutor confirming their personal link with their passkey; the SHA-256 of the
    /// link is kept so that the session opened is tied to that link.
    TutorLink {
        /// The tutor.
        subject: Subject,
        /// SHA-256 of the tutor's link secret.
        link: [u8; 32],
    },
}

/// A ceremony's server-side state, stored under the SHA-256 of a random ceremony
/// secret held by the browser; taken (deleted) by the answer, so each challenge is
/// used at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    /// What it is for.
    pub purpose: CeremonyPurpose,
    /// The `webauthn-rs` state (`PasskeyRegistration`, `DiscoverableAuthentication` or
    /// `PasskeyAuthentication`) as JSON. Never sent to the browser.
    pub state_json: String,
    /// After this instant the answer is refused.
    pub expires: Timestamp,
}

/// A passkey name as typed, cleaned like every one-line text ([`text::one_line`]:
/// trimmed, control characters dropped) with runs of spaces collapsed: 1 to
/// [`MAX_NAME_CHARS`] characters.
///
/// # Errors
/// A French message for the form.
pub fn validate_name(raw: &str) -> Result<String, String> {
    let name = text::one_line(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return Err("Donnez un nom à cette clé d'accès, par exemple « Téléphone ».".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "Le nom de la clé d'accès ne doit pas dépasser {MAX_NAME_CHARS} caractères."
        ));
    }
    Ok(name)
}

/// True when a person with `passkeys` registered may remove one of them: never the last
/// one, unless they have another way in (`other_way_in`: a valid invitation waiting,
/// for example after a recovery). Issue 7: "never the last without another way in".
pub fn may_remove(passkeys: usize, other_way_in: bool) -> bool {
    passkeys > 1 || other_way_in
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            validate_name("  Téléphone   de  Maël ").as_deref(),
            Ok("Téléphone de Maël")
        );
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(validate_name(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn the_last_passkey_stays_without_another_way_in() {
        assert!(!may_remove(1, false));
        assert!(may_remove(1, true));
        assert!(may_remove(2, false));
        assert!(!may_remove(0, false));
    }
}
