//! Access tokens and sessions as stored (the secrets themselves are never stored:
//! only their SHA-256, DESIGN.md "lien d'accès unique").

use super::people::Subject;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What a link token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKind {
    /// A sign-in link for a student, teacher or coordinator, 30 days. No longer issued
    /// since passkeys (issue 7: invitations instead); stored ones work until they
    /// expire.
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
///
/// Record version 2 added `sent`, `handed_over`, `last_used` and `superseded` (issue 3:
/// the referent sees when the access was issued, sent and last used; a replaced link
/// says so);
/// version 1 is read through [`AccessTokenV1`].
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
    /// When the e-mail carrying it was accepted by the SMTP server (`None`: not sent by
    /// e-mail, for example waiting in the outbox or handed over on paper).
    pub sent: Option<Timestamp>,
    /// When the outbox message carrying it was marked as handed over (no SMTP: the link
    /// was copied or the letter printed and given).
    pub handed_over: Option<Timestamp>,
    /// When it last opened a session or served a request of a session it opened
    /// (updated at most hourly).
    pub last_used: Option<Timestamp>,
    /// True once a newer link of the same person and kind replaced it: it opens nothing,
    /// but the link page can still say what happened and pass on a request.
    pub superseded: bool,
}

/// Why a link opens nothing, for the page that tells its holder (issue 3: "an expired
/// or locked link shows a French page saying what happened and whom to ask").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Locked by the referent or a coordinator.
    Locked,
    /// Past its expiry.
    Expired,
    /// Replaced by a newer link.
    Superseded,
}

impl AccessToken {
    /// True when the link may open a session at `now`.
    pub fn usable_at(&self, now: Timestamp) -> bool {
        self.refusal_at(now).is_none()
    }

    /// Why the link opens nothing at `now`, or `None` when it works. A replaced link
    /// says so first, then a locked one, then an expired one.
    pub fn refusal_at(&self, now: Timestamp) -> Option<LinkRefusal> {
        if self.superseded {
            Some(LinkRefusal::Superseded)
        } else if self.locked {
            Some(LinkRefusal::Locked)
        } else if now >= self.expires {
            Some(LinkRefusal::Expired)
        } else {
            None
        }
    }
}

/// Layout of [`AccessToken`] in record version 1; read by the store's upgrade path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenV1 {
    /// See [`AccessToken::subject`].
    pub subject: Subject,
    /// See [`AccessToken::kind`].
    pub kind: AccessKind,
    /// See [`AccessToken::issued`].
    pub issued: Timestamp,
    /// See [`AccessToken::expires`].
    pub expires: Timestamp,
    /// See [`AccessToken::locked`].
    pub locked: bool,
}

impl From<AccessTokenV1> for AccessToken {
    fn from(v1: AccessTokenV1) -> Self {
        AccessToken {
            subject: v1.subject,
            kind: v1.kind,
            issued: v1.issued,
            expires: v1.expires,
            locked: v1.locked,
            sent: None,
            handed_over: None,
            last_used: None,
            superseded: false,
        }
    }
}

/// A tutor's request for a new link, made from the page of a locked, expired or replaced
/// link; shown to the referents of the tutor's placements and to coordinators until a
/// new link is issued or the access is unlocked. One per tutor: a new request replaces
/// the previous one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    /// Who asks.
    pub tutor: super::ids::TutorId,
    /// When.
    pub created: Timestamp,
    /// What the link's state was.
    pub reason: AccessRequestReason,
}

/// The state of the link a request was made from (stored form of [`LinkRefusal`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessRequestReason {
    /// The link was locked.
    Locked,
    /// The link had expired.
    Expired,
    /// The link had been replaced.
    Superseded,
}

impl From<LinkRefusal> for AccessRequestReason {
    fn from(r: LinkRefusal) -> Self {
        match r {
            LinkRefusal::Locked => AccessRequestReason::Locked,
            LinkRefusal::Expired => AccessRequestReason::Expired,
            LinkRefusal::Superseded => AccessRequestReason::Superseded,
        }
    }
}

impl AccessRequestReason {
    /// French label: "lien verrouillé", "lien expiré", "lien remplacé".
    pub fn label(self) -> &'static str {
        match self {
            AccessRequestReason::Locked => "lien verrouillé",
            AccessRequestReason::Expired => "lien expiré",
            AccessRequestReason::Superseded => "lien remplacé",
        }
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
///
/// Record version 2 added `via`; version 1 is read through [`SessionV1`].
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
    /// SHA-256 of the tutor link that opened it: the session lives only as long as that
    /// link works, so locking or regenerating the link ends it on its next request
    /// (issue 3). `None` for sessions not opened by a tutor link.
    pub via: Option<[u8; 32]>,
}

/// Layout of [`Session`] in record version 1; read by the store's upgrade path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionV1 {
    /// See [`Session::subject`].
    pub subject: Subject,
    /// See [`Session::csrf`].
    pub csrf: String,
    /// See [`Session::created`].
    pub created: Timestamp,
    /// See [`Session::expires`].
    pub expires: Timestamp,
}

impl From<SessionV1> for Session {
    fn from(v1: SessionV1) -> Self {
        Session {
            subject: v1.subject,
            csrf: v1.csrf,
            created: v1.created,
            expires: v1.expires,
            via: None,
        }
    }
}
