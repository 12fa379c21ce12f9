//! Passkeys (issue 7): each person's registered passkeys, found by person or by
//! WebAuthn credential id, and the server-side state of ceremonies in progress.

use super::codec::Record;
use super::{Result, Store, keys};
use crate::domain::access::{AccessKind, AccessToken};
use crate::domain::passkey::{Ceremony, PasskeyCredential};
use crate::domain::{PasskeyId, Subject};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

impl Record for PasskeyCredential {
    const KIND: &'static str = "passkey";
}

impl Record for Ceremony {
    const KIND: &'static str = "webauthn-ceremony";
}

pub(super) fn passkey_key(subject: &Subject, id: PasskeyId) -> Vec<u8> {
    keys::key(&[keys::PASSKEY, &keys::subject(subject), id.as_bytes()])
}

/// Credential ids are up to 1023 bytes: the index holds their SHA-256.
pub(super) fn credential_key(credential_id: &[u8]) -> Vec<u8> {
    let hash: [u8; 32] = Sha256::digest(credential_id).into();
    keys::key(&[keys::PASSKEY_CREDENTIAL, &hash])
}

/// Expired ceremonies are purged at most this often, in seconds.
pub const PURGE_EVERY_SECS: i64 = 60;

/// Most ceremonies waiting at once; beyond, new starts are refused (issue 7: a
/// ceremony is stored on every sign-in page view).
pub const MAX_LIVE_CEREMONIES: usize = 10_000;

fn ceremony_key(hash: &[u8; 32]) -> Vec<u8> {
    keys::key(&[keys::CEREMONY, hash])
}

/// What [`Store::remove_passkey`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyRemoval {
    /// Removed.
    Removed,
    /// Kept: it is the person's last passkey and they have no other way in.
    LastOne,
    /// No such passkey of this person.
    NotFound,
}

impl Store {
    /// `subject`'s passkeys, oldest first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn passkeys_of(&self, subject: &Subject) -> Result<Vec<PasskeyCredential>> {
        let mut out: Vec<PasskeyCredential> =
            self.scan(&keys::key(&[keys::PASSKEY, &keys::subject(subject)]))?;
        out.sort_by_key(|p| (p.created_at, p.id));
        Ok(out)
    }

    /// One of `subject`'s passkeys.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn passkey(&self, subject: &Subject, id: PasskeyId) -> Result<Option<PasskeyCredential>> {
        self.get(&passkey_key(subject, id))
    }

    /// The passkey with this WebAuthn credential id, whoever it belongs to.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn passkey_by_credential(&self, credential_id: &[u8]) -> Result<Option<PasskeyCredential>> {
        match self.data.get(credential_key(credential_id))? {
            Some(key) => self.get(&key),
            None => Ok(None),
        }
    }

    /// Stores a newly registered passkey and its credential index in one transaction.
    /// Returns false, storing nothing, when that credential id is already registered
    /// (to anyone).
    ///
    /// # Errors
    /// sled failure.
    pub async fn add_passkey(&self, passkey: &PasskeyCredential) -> Result<bool> {
        let key = passkey_key(&passkey.subject, passkey.id);
        let index = credential_key(&passkey.credential_id);
        self.write(|tx| {
            if tx.get_raw(&index)?.is_some() {
                return Ok(false);
            }
            tx.put(&key, passkey)?;
            tx.put_raw(&index, &key)?;
            Ok(true)
        })
        .await
    }

    /// Writes back a passkey after a sign-in: its updated WebAuthn state (counter,
    /// backup state), backup flags and last use. Does nothing when it was removed
    /// meanwhile (returns false).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn record_passkey_use(&self, updated: &PasskeyCredential) -> Result<bool> {
        let key = passkey_key(&updated.subject, updated.id);
        self.write(|tx| match tx.get::<PasskeyCredential>(&key)? {
            Some(_) => {
                tx.put(&key, updated)?;
                Ok(true)
            }
            None => Ok(false),
        })
        .await
    }

    /// Renames one of `subject`'s passkeys; false when there is no such passkey.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn rename_passkey(
        &self,
        subject: &Subject,
        id: PasskeyId,
        name: &str,
    ) -> Result<bool> {
        let key = passkey_key(subject, id);
        self.write(|tx| match tx.get::<PasskeyCredential>(&key)? {
            Some(mut p) => {
                p.name = name.to_string();
                tx.put(&key, &p)?;
                Ok(true)
            }
            None => Ok(false),
        })
        .await
    }

    /// Removes one of `subject`'s passkeys, unless it is their last one and
    /// `other_way_in` is false (checked in the same transaction, so two tabs removing
    /// the last two passkeys at once leave one). In the same transaction, ends every
    /// session of `subject` except `keep_session` (SHA-256 of the current session's
    /// cookie): a lost device's sessions end with its passkey (issue 7).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn remove_passkey(
        &self,
        subject: &Subject,
        id: PasskeyId,
        other_way_in: bool,
        keep_session: &[u8; 32],
    ) -> Result<PasskeyRemoval> {
        let key = passkey_key(subject, id);
        let sessions: Vec<[u8; 32]> = self
            .session_hashes_of(subject)?
            .into_iter()
            .filter(|h| h != keep_session)
            .collect();
        let others: Vec<Vec<u8>> = self
            .passkeys_of(subject)?
            .into_iter()
            .filter(|p| p.id != id)
            .map(|p| passkey_key(subject, p.id))
            .collect();
        self.write(|tx| {
            let Some(p) = tx.get::<PasskeyCredential>(&key)? else {
                return Ok(PasskeyRemoval::NotFound);
            };
            let mut remaining = 0;
            for other in &others {
                if tx.get_raw(other)?.is_some() {
                    remaining += 1;
                }
            }
            if !crate::domain::passkey::may_remove(remaining + 1, other_way_in) {
                return Ok(PasskeyRemoval::LastOne);
            }
            tx.remove(&credential_key(&p.credential_id))?;
            tx.remove(&key)?;
            for session in &sessions {
                Self::remove_session(tx, subject, session)?;
            }
            Ok(PasskeyRemoval::Removed)
        })
        .await
    }

    /// `subject`'s current link of this `kind` (an invitation waiting to be used, a
    /// sign-in link), whatever its state: the caller checks
    /// [`AccessToken::usable_at`]. Used to know whether a person who removes their last
    /// passkey still has a way in (issue 7).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn link_of(&self, subject: &Subject, kind: AccessKind) -> Result<Option<AccessToken>> {
        let of = keys::key(&[keys::TOKEN_OF, &keys::subject(subject), &[kind.tag()]]);
        match self.data.get(of)? {
            Some(hash) => self.get(&keys::key(&[keys::TOKEN, &hash])),
            None => Ok(None),
        }
    }

    /// Keeps a ceremony's state under `hash` (the SHA-256 of the ceremony secret the
    /// browser holds). At most once every [`PURGE_EVERY_SECS`] seconds (the last purge
    /// time is kept under `ceremony-purged`), first drops the ceremonies expired before
    /// `now`. Returns false, keeping nothing, when [`MAX_LIVE_CEREMONIES`] ceremonies are
    /// already waiting (someone is flooding the start endpoints).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn put_ceremony(
        &self,
        hash: &[u8; 32],
        ceremony: &Ceremony,
        now: Timestamp,
    ) -> Result<bool> {
        let last = self
            .data
            .get(keys::CEREMONY_PURGED)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(i64::from_be_bytes);
        let due =
            last.is_none_or(|at| now.as_second() - at >= PURGE_EVERY_SECS || now.as_second() < at);
        let expired: Vec<Vec<u8>> = if due {
            self.data
                .scan_prefix(keys::CEREMONY)
                .filter_map(|kv| kv.ok())
                .filter(|(_, v)| {
                    super::codec::decode::<Ceremony>(v).map_or(true, |c| c.expires <= now)
                })
                .map(|(k, _)| k.to_vec())
                .collect()
        } else {
            Vec::new()
        };
        let live = self
            .data
            .scan_prefix(keys::CEREMONY)
            .keys()
            .take(MAX_LIVE_CEREMONIES + expired.len())
            .count()
            .saturating_sub(expired.len());
        let key = ceremony_key(hash);
        self.write(|tx| {
            for k in &expired {
                tx.remove(k)?;
            }
            if due {
                tx.put_raw(keys::CEREMONY_PURGED, &now.as_second().to_be_bytes())?;
            }
            if live >= MAX_LIVE_CEREMONIES {
                return Ok(false);
            }
            tx.put(&key, ceremony)?;
            Ok(true)
        })
        .await
    }

    /// The HMAC key of decoy credential ids (32 random bytes), made on first use.
    ///
    /// # Errors
    /// sled failure.
    pub async fn passkey_decoy_key(&self) -> Result<[u8; 32]> {
        if let Some(v) = self.data.get(keys::PASSKEY_DECOY_KEY)?
            && let Ok(k) = <[u8; 32]>::try_from(v.as_ref())
        {
            return Ok(k);
        }
        let mut fresh = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut fresh);
        self.write(|tx| match tx.get_raw(keys::PASSKEY_DECOY_KEY)? {
            Some(v) if v.len() == 32 => {
                let mut k = [0u8; 32];
                k.copy_from_slice(&v);
                Ok(k)
            }
            _ => {
                tx.put_raw(keys::PASSKEY_DECOY_KEY, &fresh)?;
                Ok(fresh)
            }
        })
        .await
    }

    /// Takes (reads and deletes, in one transaction) the ceremony under `hash`: a
    /// second answer to the same challenge finds nothing. `None` also when it expired
    /// at or before `now` (it is deleted all the same).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn take_ceremony(&self, hash: &[u8; 32], now: Timestamp) -> Result<Option<Ceremony>> {
        let key = ceremony_key(hash);
        let taken = self
            .write(|tx| {
                let c = tx.get::<Ceremony>(&key)?;
                if c.is_some() {
                    tx.remove(&key)?;
                }
                Ok(c)
            })
            .await?;
        Ok(taken.filter(|c| now < c.expires))
    }
}
