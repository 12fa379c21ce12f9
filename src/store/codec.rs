//! Record encoding: one version byte, then the record in postcard.
//!
//! The version byte is what lets a record written today be read after a field is
//! added: the reader of version N+1 still knows how to decode (and upgrade) version N.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A value kept in the store.
pub trait Record: Serialize + DeserializeOwned {
    /// Name used in error messages.
    const KIND: &'static str;
    /// Current encoding version, written in front of every record.
    const VERSION: u8 = 1;

    /// Decodes a record written with an older `version`. The default knows none:
    /// a type whose layout changes overrides this with the old layout's decoder.
    ///
    /// # Errors
    /// Unknown version or undecodable bytes.
    fn upgrade(version: u8, _bytes: &[u8]) -> Result<Self, CodecError> {
        Err(CodecError::UnknownVersion {
            kind: Self::KIND,
            version,
        })
    }
}

/// A record could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The bytes do not decode as the expected record.
    #[error("enregistrement {kind} illisible : {source}")]
    Postcard {
        /// Record kind.
        kind: &'static str,
        /// Cause.
        source: postcard::Error,
    },
    /// The version byte is unknown to this binary.
    #[error("enregistrement {kind} en version {version} inconnue")]
    UnknownVersion {
        /// Record kind.
        kind: &'static str,
        /// Version found.
        version: u8,
    },
    /// Empty value.
    #[error("enregistrement {kind} vide")]
    Empty {
        /// Record kind.
        kind: &'static str,
    },
}

/// Encodes `value` as `[T::VERSION] ++ postcard(value)`.
///
/// # Errors
/// Serialisation failure (not expected for Livret's types).
pub fn encode<T: Record>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = vec![T::VERSION];
    let body = postcard::to_stdvec(value).map_err(|source| CodecError::Postcard {
        kind: T::KIND,
        source,
    })?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes bytes written by [`encode`] (of this or an older version).
///
/// # Errors
/// Empty bytes, unknown version or undecodable bytes.
pub fn decode<T: Record>(bytes: &[u8]) -> Result<T, CodecError> {
    let (&version, body) = bytes
        .split_first()
        .ok_or(CodecError::Empty { kind: T::KIND })?;
    if version == T::VERSION {
        postcard::from_bytes(body).map_err(|source| CodecError::Postcard {
            kind: T::KIND,
            source,
        })
    } else {
        T::upgrade(version, body)
    }
}

macro_rules! record {
    ($($t:ty => $kind:literal),* $(,)?) => {
        $(impl Record for $t { const KIND: &'static str = $kind; })*
    };
}

use crate::domain::access::{AccessRequest, AccessToken, Session, SetupLink};
use crate::domain::*;

record!(
    School => "school",
    Class => "class",
    Student => "student",
    Teacher => "teacher",
    Coordinator => "coordinator",
    Company => "company",
    Tutor => "tutor",
    Placement => "placement",
    ActivitySheet => "activity-sheet",
    SetupLink => "setup-link",
    AccessRequest => "access-request",
    Evaluation => "evaluation",
    CompanyReview => "company-review",
    InterimReview => "interim-review",
);

/// A record type at version 2 whose version-1 layout `$v1` converts with `From`.
macro_rules! record_v2 {
    ($t:ty => $kind:literal, $v1:ty) => {
        impl Record for $t {
            const KIND: &'static str = $kind;
            const VERSION: u8 = 2;

            fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, CodecError> {
                match version {
                    1 => postcard::from_bytes::<$v1>(bytes)
                        .map(<$t>::from)
                        .map_err(|source| CodecError::Postcard {
                            kind: Self::KIND,
                            source,
                        }),
                    version => Err(CodecError::UnknownVersion {
                        kind: Self::KIND,
                        version,
                    }),
                }
            }
        }
    };
}

// Version 2 added `sent`, `last_used` and `superseded` (issue 3).
record_v2!(AccessToken => "access-token", crate::domain::access::AccessTokenV1);
// Version 2 added `blocks` (issue 5).
record_v2!(Referential => "referential", crate::domain::referential::ReferentialV1);
// Version 2 added `via`, the tutor link that opened the session (issue 3).
record_v2!(Session => "session", crate::domain::access::SessionV1);

/// Version 2 added [`LogbookEntry::updated_at`] (corrections); version 1 records are
/// read through [`crate::domain::logbook::LogbookEntryV1`].
impl Record for LogbookEntry {
    const KIND: &'static str = "logbook-entry";
    const VERSION: u8 = 2;

    fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, CodecError> {
        match version {
            1 => postcard::from_bytes::<crate::domain::logbook::LogbookEntryV1>(bytes)
                .map(LogbookEntry::from)
                .map_err(|source| CodecError::Postcard {
                    kind: Self::KIND,
                    source,
                }),
            version => Err(CodecError::UnknownVersion {
                kind: Self::KIND,
                version,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V2 {
        a: u32,
        b: String,
    }
    #[derive(Serialize, Deserialize)]
    struct V1 {
        a: u32,
    }
    impl Record for V2 {
        const KIND: &'static str = "test";
        const VERSION: u8 = 2;
        fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, CodecError> {
            match version {
                1 => {
                    let old: V1 =
                        postcard::from_bytes(bytes).map_err(|source| CodecError::Postcard {
                            kind: "test",
                            source,
                        })?;
                    Ok(V2 {
                        a: old.a,
                        b: String::new(),
                    })
                }
                v => Err(CodecError::UnknownVersion {
                    kind: "test",
                    version: v,
                }),
            }
        }
    }

    #[test]
    fn a_version_1_logbook_entry_reads_as_never_corrected() {
        use crate::domain::logbook::LogbookEntryV1;
        let v1 = LogbookEntryV1 {
            id: LogbookEntryId::new(),
            placement: PlacementId::new(),
            date: jiff::civil::Date::new(2026, 11, 20).unwrap(),
            hours: Hours::parse("7h30").unwrap(),
            tasks: "Tirage de câbles".into(),
            notes: String::new(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let mut bytes = vec![1u8];
        bytes.extend(postcard::to_stdvec(&v1).unwrap());
        let read: LogbookEntry = decode(&bytes).unwrap();
        assert_eq!(read, LogbookEntry::from(v1));
        assert_eq!(read.updated_at, None);
        assert_eq!(encode(&read).unwrap()[0], 2);
    }

    #[test]
    fn version_1_tokens_and_sessions_read_with_the_new_fields_empty() {
        use crate::domain::access::{AccessKind, AccessTokenV1, SessionV1};
        let subject = Subject::Tutor(TutorId::new());
        let v1 = AccessTokenV1 {
            subject,
            kind: AccessKind::TutorAccess,
            issued: jiff::Timestamp::UNIX_EPOCH,
            expires: jiff::Timestamp::MAX,
            locked: true,
        };
        let mut bytes = vec![1u8];
        bytes.extend(postcard::to_stdvec(&v1).unwrap());
        let read: AccessToken = decode(&bytes).unwrap();
        assert!(read.locked);
        assert_eq!(
            (read.sent, read.last_used, read.superseded),
            (None, None, false)
        );
        assert_eq!(encode(&read).unwrap()[0], 2);

        let v1 = SessionV1 {
            subject,
            csrf: "x".into(),
            created: jiff::Timestamp::UNIX_EPOCH,
            expires: jiff::Timestamp::MAX,
        };
        let mut bytes = vec![1u8];
        bytes.extend(postcard::to_stdvec(&v1).unwrap());
        let read: Session = decode(&bytes).unwrap();
        assert_eq!(read.csrf, "x");
        assert_eq!(read.via, None);
    }

    #[test]
    fn an_older_version_is_upgraded_on_read() {
        let mut old = vec![1u8];
        old.extend(postcard::to_stdvec(&V1 { a: 7 }).unwrap());
        assert_eq!(
            decode::<V2>(&old).unwrap(),
            V2 {
                a: 7,
                b: String::new()
            }
        );
        let new = encode(&V2 {
            a: 1,
            b: "x".into(),
        })
        .unwrap();
        assert_eq!(new[0], 2);
        assert_eq!(decode::<V2>(&new).unwrap().b, "x");
        assert!(matches!(
            decode::<V2>(&[9, 0]),
            Err(CodecError::UnknownVersion { version: 9, .. })
        ));
        assert!(decode::<V2>(&[]).is_err());
    }
}
