//! Removing every passkey of a person at once (issue 7): a tutor's new link drops the
//! passkeys bound to the old one, so that a lost device never locks the tutor out.

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
}
