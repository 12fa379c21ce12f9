//! Removing every passkey of a person at once (issue 7): a tutor's new link drops the
//! passkeys bound to the old one, so that a lost device never locks the tutor out; and
//! ending a person's other sessions (a tutor who binds a passkey shuts out whoever
//! opened their link before).

use super::passkeys::{credential_key, passkey_key};
use super::{Result, Store};
use crate::domain::Subject;
use crate::domain::passkey::PasskeyCredential;

impl Store {
    /// Removes every passkey of `subject` (and their credential index entries) in one
    /// transaction; returns how many were removed.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn remove_passkeys_of(&self, subject: &Subject) -> Result<usize> {
        let keys: Vec<Vec<u8>> = self
            .passkeys_of(subject)?
            .into_iter()
            .map(|p| passkey_key(subject, p.id))
            .collect();
        if keys.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let mut removed = 0;
            for key in &keys {
                if let Some(p) = tx.get::<PasskeyCredential>(key)? {
                    tx.remove(&credential_key(&p.credential_id))?;
                    tx.remove(key)?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
    }

    /// Ends every session of `subject` except `keep` (SHA-256 of the current session's
    /// cookie), in one transaction; returns how many ended.
    ///
    /// # Errors
    /// sled failure.
    pub async fn end_other_sessions(&self, subject: &Subject, keep: &[u8; 32]) -> Result<usize> {
        let sessions: Vec<[u8; 32]> = self
            .session_hashes_of(subject)?
            .into_iter()
            .filter(|h| h != keep)
            .collect();
        if sessions.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            for session in &sessions {
                Self::remove_session(tx, subject, session)?;
            }
            Ok(sessions.len())
        })
        .await
    }
}
