//! Access tokens and sessions as stored (the secrets themselves are never stored:
//! only their SHA-256, DESIGN.md "lien d'accès unique").

use super::people::Subject;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What a link token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKind {
    /// A sign-in link for a student, teacher or coordinator (until passkeys, issue 7).
    SignIn,
    /// A tutor's personal access link (spec: valid six months, lockable, regenerable).
    TutorAccess,
    /// A single-use invitation for a student, teacher or coordinator (issue 3: seven
    /// days; used up by the POST that opens the session). Appended last, so records
    /// written before it still decode.
    Invitation,
}

impl AccessKind {
    /// One byte for store keys.
    pub fn tag(self) -> u8 {
        match self {
            AccessKind::SignIn => 1,
            AccessKind::TutorAccess => 2,
            AccessKind::Invitation => 3,
        }
    }
}

/// A link token's record (the glossary's `TutorAccess` when `kind` is
/// [`AccessKind::TutorAccess`]), stored under the SHA-256 of the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// Whose link it is.
    pub subject: Subject,
    /// What it is for.
    pub kind: AccessKind,
    /// When it was issued.
    pub issued: Timestamp,
    /// When it stops working.
    pub expires: Timestamp,
    /// True when the referent has locked it (lost or stolen link).
    pub locked: bool,
}

impl AccessToken {
    /// True when the link may open a session at `now`.
    pub fn usable_at(&self, now: Timestamp) -> bool {
        !self.locked && now < self.expires
    }
}

/// The single-use first-start link (issue 3): it creates the school and its first
/// coordinator, and works once, for one hour. Only one exists at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupLink {
    /// SHA-256 of the secret in the URL.
    pub hash: [u8; 32],
    /// When it was issued.
    pub issued: Timestamp,
    /// When it stops working (issued + 1 hour).
    pub expires: Timestamp,
}

/// A signed-in session, stored under the SHA-256 of the cookie's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Who is signed in.
    pub subject: Subject,
    /// Anti-CSRF token put in every form of this session (32 random bytes, base64url).
    pub csrf: String,
    /// When the session started.
    pub created: Timestamp,
    /// When it ends at the latest.
    pub expires: Timestamp,
}
