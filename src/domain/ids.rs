//! Identifier newtypes, parsed at the edge (STYLE.md habit 4).
//!
//! Every id is a random UUID (v4): 122 random bits, so an id seen in one URL tells
//! nothing about another. In URLs an id is written in its hyphenated form.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// The 16 bytes of the id, used in store keys.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// Rebuilds an id from the 16 bytes of a store key.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A school (établissement).
    SchoolId
);
id_type!(
    /// A class (division), for example "TMELEC1".
    ClassId
);
id_type!(
    /// A student (élève, stagiaire).
    StudentId
);
id_type!(
    /// A teacher (enseignant), who may be the referent of placements.
    TeacherId
);
id_type!(
    /// A coordinator (équipe pédagogique, DDFPT).
    CoordinatorId
);
id_type!(
    /// A host company (entreprise d'accueil).
    CompanyId
);
id_type!(
    /// A workplace tutor (tuteur de stage).
    TutorId
);
id_type!(
    /// A placement (PFMP, période de formation en milieu professionnel).
    PlacementId
);
id_type!(
    /// A logbook entry (entrée du journal de bord). Issue 4 lets the client make it,
    /// so it doubles as the idempotency key of an offline entry.
    LogbookEntryId
);
id_type!(
    /// An activity sheet (fiche activité).
    ActivitySheetId
);
id_type!(
    /// A message waiting in the outbox (messages à remettre), see
    /// [`crate::domain::outbox::OutboxMessage`].
    OutboxId
);
id_type!(
    /// A school evaluation, or the dashboard column of a company review.
    EvaluationId
);
id_type!(
    /// One device's web push subscription, see
    /// [`crate::domain::push::PushSubscription`].
    PushSubscriptionId
);
id_type!(
    /// An interim review (bilan intermédiaire).
    InterimReviewId
);
id_type!(
    /// One registered passkey of a person, see
    /// [`crate::domain::passkey::PasskeyCredential`].
    PasskeyId
);
