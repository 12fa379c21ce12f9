//! A tutor's personal link as the referent manages it (issue 3, item 6): the current
//! link, lock and unlock, "sent" and "last used" dates, and the tutor's requests for a
//! new link.

use super::{Result, Store, keys};
use crate::domain::access::{AccessKind, AccessRequest, AccessToken};
use crate::domain::{Subject, TutorId};
use jiff::Timestamp;

impl Store {
    /// The tutor's current personal link: its hash and record, whatever its state
    /// (locked, expired), or `None` when none was ever issued.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn tutor_link(&self, tutor: TutorId) -> Result<Option<([u8; 32], AccessToken)>> {
        let of = keys::key(&[
            keys::TOKEN_OF,
            &keys::subject(&Subject::Tutor(tutor)),
            &[AccessKind::TutorAccess.tag()],
        ]);
        let Some(raw) = self.data.get(&of)? else {
            return Ok(None);
        };
        let Ok(hash) = <[u8; 32]>::try_from(raw.as_ref()) else {
            return Ok(None);
        };
        Ok(self.token(&hash)?.map(|t| (hash, t)))
    }

    /// Locks or unlocks the tutor's current link. Locking also ends every session of the
    /// tutor (a thief's session must not come back with an unlock); unlocking clears the
    /// tutor's pending request. Returns false when the tutor has no link.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn set_tutor_link_locked(&self, tutor: TutorId, locked: bool) -> Result<bool> {
        let Some((hash, _)) = self.tutor_link(tutor)? else {
            return Ok(false);
        };
        let subject = Subject::Tutor(tutor);
        let sessions = if locked {
            self.session_hashes_of(&subject)?
        } else {
            Vec::new()
        };
        self.write(|tx| {
            for session in &sessions {
                Self::remove_session(tx, &subject, session)?;
            }
            let key = keys::key(&[keys::TOKEN, &hash]);
            let Some(mut link) = tx.get::<AccessToken>(&key)? else {
                return Ok(false);
            };
            link.locked = locked;
            tx.put(&key, &link)?;
            if !locked {
                tx.remove(&keys::key(&[keys::ACCESS_REQUEST, tutor.as_bytes()]))?;
            }
            Ok(true)
        })
        .await
    }

    /// SHA-256 of every session cookie of `subject`.
    ///
    /// # Errors
    /// sled failure.
    pub fn session_hashes_of(&self, subject: &Subject) -> Result<Vec<[u8; 32]>> {
        let prefix = keys::key(&[keys::SESSION_OF, &keys::subject(subject)]);
        let mut out = Vec::new();
        for kv in self.data.scan_prefix(&prefix) {
            let (k, _) = kv?;
            if let Ok(hash) = <[u8; 32]>::try_from(&k[prefix.len()..]) {
                out.push(hash);
            }
        }
        Ok(out)
    }

    /// Removes one session and its index entry, inside a transaction.
    pub(super) fn remove_session(
        tx: &super::Tx<'_>,
        subject: &Subject,
        hash: &[u8; 32],
    ) -> super::TxResult<()> {
        tx.remove(&keys::key(&[keys::SESSION, hash]))?;
        tx.remove(&keys::key(&[
            keys::SESSION_OF,
            &keys::subject(subject),
            hash,
        ]))
    }

    /// Records when the e-mail carrying the link `hash` was accepted by the SMTP server.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn mark_token_sent(&self, hash: &[u8; 32], at: Timestamp) -> Result<()> {
        self.update_token(hash, |t| t.sent = Some(at)).await
    }

    /// Records when the outbox message carrying the link `hash` was marked as handed
    /// over (copied, printed, given by hand).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn mark_token_handed_over(&self, hash: &[u8; 32], at: Timestamp) -> Result<()> {
        self.update_token(hash, |t| t.handed_over = Some(at)).await
    }

    /// Records the last use of the link `hash`.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn touch_token(&self, hash: &[u8; 32], at: Timestamp) -> Result<()> {
        self.update_token(hash, |t| t.last_used = Some(at)).await
    }

    async fn update_token(&self, hash: &[u8; 32], change: impl Fn(&mut AccessToken)) -> Result<()> {
        self.write(|tx| {
            let key = keys::key(&[keys::TOKEN, hash]);
            if let Some(mut link) = tx.get::<AccessToken>(&key)? {
                change(&mut link);
                tx.put(&key, &link)?;
            }
            Ok(())
        })
        .await
    }

    /// Stores a tutor's request for a new link, replacing their previous one.
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_access_request(&self, request: &AccessRequest) -> Result<()> {
        self.write(|tx| {
            tx.put(
                &keys::key(&[keys::ACCESS_REQUEST, request.tutor.as_bytes()]),
                request,
            )
        })
        .await
    }

    /// The tutor's pending request for a new link, if any.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn access_request(&self, tutor: TutorId) -> Result<Option<AccessRequest>> {
        self.get(&keys::key(&[keys::ACCESS_REQUEST, tutor.as_bytes()]))
    }

    /// Every pending request for a new link, newest first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn access_requests(&self) -> Result<Vec<AccessRequest>> {
        let mut all: Vec<AccessRequest> = self.scan(keys::ACCESS_REQUEST)?;
        all.sort_by_key(|r| std::cmp::Reverse(r.created));
        Ok(all)
    }
}
