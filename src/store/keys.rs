//! Key layout. Every page reads one prefix range:
//!
//! | prefix | rest of the key | value |
//! |---|---|---|
//! | `school/` | school id | [`School`](crate::domain::School) |
//! | `class/` | class id | class |
//! | `class-name/` | folded class name | class id (names are unique) |
//! | `student/` | student id | student |
//! | `student-by-class/` | class id, student id | empty |
//! | `teacher/`, `coordinator/`, `company/`, `tutor/` | id | record |
//! | `placement/` | placement id | placement |
//! | `placement-by-student/`, `-by-tutor/`, `-by-referent/` | person id, inverted start date, placement id | empty |
//! | `logbook/` | placement id, inverted date, inverted creation time, entry id | logbook entry (so a placement's entries come newest first) |
//! | `logbook-id/` | entry id | key of the entry under `logbook/` |
//! | `sheet/` | placement id, sheet id | activity sheet |
//! | `referential/` | referential code | referential |
//! | `evaluation/` | student id, evaluation id | school evaluation |
//! | `company-review/` | placement id | company review (bilan entreprise) |
//! | `interim-review/` | student id, review id | interim review (bilan intermédiaire) |
//! | `token/` | SHA-256 of the token | access token |
//! | `token-of/` | subject (17 bytes), kind (1 byte) | SHA-256 of that subject's current token of that kind |
//! | `session/` | SHA-256 of the session cookie | session |
//! | `session-of/` | subject (17 bytes), SHA-256 | empty (to end all sessions of a person) |
//! | `access-request/` | tutor id | a tutor's pending request for a new link |
//! | `outbox/` | inverted creation time, message id | outbox message (newest first) |
//! | `outbox-id/` | message id | key of the message under `outbox/` |
//! | `setup-link` | (nothing more: there is at most one) | the first-start link |
//! | `vapid` | (nothing more: there is one current key pair) | the VAPID key pair |
//! | `push/` | SHA-256 of the endpoint | push subscription (one per device) |
//! | `push-of/` | subject (17 bytes), SHA-256 of the endpoint | empty (a person's devices) |
//! | `notify-settings/` | subject (17 bytes) | notification kinds the person turned off |
//! | `notify-review/` | tutor id | the tutor's "à relire" queue: waiting items, last push, grouped push due |
//! | `notify-due/` | due time (8 bytes, oldest first), tutor id | empty (grouped pushes by due time) |
//! | `notify-digest/` | tutor id | events for the tutor's next daily e-mail digest |
//! | `notify-ending/` | placement id | marker: the end-of-placement reminder went (first version, both recipients) |
//! | `notify-ending-to/` | placement id, subject (17 bytes) | marker: the end-of-placement reminder reached this recipient (pushed, in the digest, or kind turned off) |
//! | `notify-digest-day` | (nothing more) | the day the last daily digests went |
//! | `passkey/` | subject (17 bytes), passkey id | a registered passkey |
//! | `passkey-cred/` | SHA-256 of the WebAuthn credential id | key of the passkey under `passkey/` |
//! | `ceremony/` | SHA-256 of the ceremony secret | a WebAuthn ceremony's server-side state (expires after 5 minutes) |
//! | `ceremony-purged` | (nothing more) | when expired ceremonies were last purged (i64 seconds, big-endian) |
//! | `passkey-decoy-key` | (nothing more) | 32 random bytes: HMAC key of the decoy credential ids an unknown e-mail gets |
//! | `attendance/` | placement id | the attendance of a placement (issue 8) |
//! | `last-backup` | (nothing more) | the last good backup: when, where, size (issue 9) |
//! | `allowance-rate/` | diploma code, 0, year byte | a daily allowance rate set by the coordinator (issue 8) |
//!
//! Ids are 16 raw bytes; dates and times are big-endian and bit-inverted where the
//! newest must come first.

use crate::domain::Subject;
use jiff::Timestamp;
use jiff::civil::Date;

/// Prefix of school records.
pub const SCHOOL: &[u8] = b"school/";
/// Prefix of class records.
pub const CLASS: &[u8] = b"class/";
/// Prefix of student records.
pub const STUDENT: &[u8] = b"student/";
/// Index: students of a class.
pub const STUDENT_BY_CLASS: &[u8] = b"student-by-class/";
/// Prefix of teacher records.
pub const TEACHER: &[u8] = b"teacher/";
/// Prefix of coordinator records.
pub const COORDINATOR: &[u8] = b"coordinator/";
/// Prefix of company records.
pub const COMPANY: &[u8] = b"company/";
/// Prefix of tutor records.
pub const TUTOR: &[u8] = b"tutor/";
/// Prefix of placement records.
pub const PLACEMENT: &[u8] = b"placement/";
/// Index: placements of a student, latest start first.
pub const PLACEMENT_BY_STUDENT: &[u8] = b"placement-by-student/";
/// Index: placements of a tutor, latest start first.
pub const PLACEMENT_BY_TUTOR: &[u8] = b"placement-by-tutor/";
/// Index: placements of a referent, latest start first.
pub const PLACEMENT_BY_REFERENT: &[u8] = b"placement-by-referent/";
/// Prefix of logbook entries.
pub const LOGBOOK: &[u8] = b"logbook/";
/// Index: logbook entry id → entry key.
pub const LOGBOOK_ID: &[u8] = b"logbook-id/";
/// Prefix of activity sheets.
pub const SHEET: &[u8] = b"sheet/";
/// Prefix of referentials.
pub const REFERENTIAL: &[u8] = b"referential/";
/// Prefix of school evaluations (per student).
pub const EVALUATION: &[u8] = b"evaluation/";
/// Prefix of company reviews (one per placement).
pub const COMPANY_REVIEW: &[u8] = b"company-review/";
/// Prefix of interim reviews (per student).
pub const INTERIM_REVIEW: &[u8] = b"interim-review/";
/// Prefix of access tokens.
pub const TOKEN: &[u8] = b"token/";
/// Index: a subject's current token of a kind.
pub const TOKEN_OF: &[u8] = b"token-of/";
/// Prefix of sessions.
pub const SESSION: &[u8] = b"session/";
/// Index: sessions of a subject.
pub const SESSION_OF: &[u8] = b"session-of/";

/// Index: class name key (see `domain::class_form::name_key`) → class id, so two
/// classes cannot share a name.
pub const CLASS_NAME: &[u8] = b"class-name/";

/// A tutor's pending request for a new link (`access-request/<tutor id>`).
pub const ACCESS_REQUEST: &[u8] = b"access-request/";

/// Prefix of outbox messages (messages à remettre), newest first.
pub const OUTBOX: &[u8] = b"outbox/";
/// Index: outbox message id → message key.
pub const OUTBOX_ID: &[u8] = b"outbox-id/";

/// Key of the single first-start link.
pub const SETUP_LINK: &[u8] = b"setup-link";

/// Key of the server's current VAPID key pair (web push, RFC 8292).
pub const VAPID: &[u8] = b"vapid";
/// Prefix of push subscriptions, by SHA-256 of the endpoint.
pub const PUSH: &[u8] = b"push/";
/// Index: push subscriptions of a subject.
pub const PUSH_OF: &[u8] = b"push-of/";
/// Prefix of a person's notification settings (kinds turned off).
pub const NOTIFY_SETTINGS: &[u8] = b"notify-settings/";
/// Prefix of each tutor's "à relire" queue (issue 6 grouping).
pub const NOTIFY_REVIEW: &[u8] = b"notify-review/";
/// Index: grouped "à relire" pushes by due time (oldest first), then tutor id.
pub const NOTIFY_DUE: &[u8] = b"notify-due/";
/// Prefix of each tutor's pending daily e-mail digest.
pub const NOTIFY_DIGEST: &[u8] = b"notify-digest/";
/// Prefix of the end-of-placement reminder markers, by placement id.
pub const NOTIFY_ENDING: &[u8] = b"notify-ending/";
/// Prefix of the end-of-placement reminder markers per recipient: placement id, then
/// subject.
pub const NOTIFY_ENDING_TO: &[u8] = b"notify-ending-to/";
/// Key of the day the last daily digests went.
pub const NOTIFY_DIGEST_DAY: &[u8] = b"notify-digest-day";
/// Prefix of passkeys, by subject then passkey id.
pub const PASSKEY: &[u8] = b"passkey/";
/// Index: SHA-256 of a WebAuthn credential id → key of its passkey.
pub const PASSKEY_CREDENTIAL: &[u8] = b"passkey-cred/";
/// Prefix of WebAuthn ceremonies in progress, by SHA-256 of the ceremony secret.
pub const CEREMONY: &[u8] = b"ceremony/";
/// When expired ceremonies were last purged (seconds since the epoch, i64 big-endian).
pub const CEREMONY_PURGED: &[u8] = b"ceremony-purged";
/// HMAC key (32 random bytes) of the decoy credential ids of unknown e-mail addresses.
pub const PASSKEY_DECOY_KEY: &[u8] = b"passkey-decoy-key";
/// Prefix of placements' attendance records (issue 8).
pub const ATTENDANCE: &[u8] = b"attendance/";
/// Prefix of the coordinator's daily allowance rates (issue 8).
pub const ALLOWANCE_RATE: &[u8] = b"allowance-rate/";
/// The last good backup (issue 9).
pub const LAST_BACKUP: &[u8] = b"last-backup";

/// Concatenates parts into one key.
pub fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// A date as 4 bytes that sort newest first.
pub fn inverted_date(d: Date) -> [u8; 4] {
    let year = (i32::from(d.year()) + 32_768) as u16;
    let b = year.to_be_bytes();
    [!b[0], !b[1], !(d.month() as u8), !(d.day() as u8)]
}

/// An instant as 8 bytes that sort newest first (microsecond precision).
pub fn inverted_time(t: Timestamp) -> [u8; 8] {
    let micros = t.as_microsecond();
    let ordered = (micros as u64) ^ (1u64 << 63);
    (!ordered).to_be_bytes()
}

/// 17 bytes naming a subject (see [`Subject::key_bytes`]).
pub fn subject(s: &Subject) -> [u8; 17] {
    s.key_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_dates_and_times_sort_first() {
        let a = Date::new(2026, 11, 28).unwrap();
        let b = Date::new(2026, 11, 29).unwrap();
        let c = Date::new(2027, 1, 1).unwrap();
        assert!(inverted_date(c) < inverted_date(b));
        assert!(inverted_date(b) < inverted_date(a));
        let t1 = Timestamp::from_second(1_000).unwrap();
        let t2 = Timestamp::from_second(2_000).unwrap();
        assert!(inverted_time(t2) < inverted_time(t1));
    }
}
