//! The outbox (messages à remettre): e-mails kept until handed over by hand
//! ([`OutboxMessage`]).

use super::codec::Record;
use super::{Result, Store, Tx, TxResult, keys};
use crate::domain::outbox::OutboxMessage;
use crate::domain::{OutboxId, TutorId};

impl Record for OutboxMessage {
    const KIND: &'static str = "outbox-message";
}

fn message_key(m: &OutboxMessage) -> Vec<u8> {
    keys::key(&[
        keys::OUTBOX,
        &keys::inverted_time(m.created),
        m.id.as_bytes(),
    ])
}

fn id_key(id: OutboxId) -> Vec<u8> {
    keys::key(&[keys::OUTBOX_ID, id.as_bytes()])
}

/// Removes the message `id` and its index entry; true when it was there.
pub(super) fn remove_message(tx: &Tx<'_>, id: OutboxId) -> TxResult<bool> {
    let index = id_key(id);
    match tx.get_raw(&index)? {
        Some(key) => {
            tx.remove(&key)?;
            tx.remove(&index)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

impl Store {
    /// Puts a message in the outbox (one transaction: record and id index).
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_outbox(&self, message: &OutboxMessage) -> Result<()> {
        let key = message_key(message);
        self.write(|tx| {
            tx.put(&key, message)?;
            tx.put_raw(&id_key(message.id), &key)
        })
        .await
    }

    /// Every message of the outbox, newest first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn outbox(&self) -> Result<Vec<OutboxMessage>> {
        self.scan(keys::OUTBOX)
    }

    /// One outbox message.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn outbox_message(&self, id: OutboxId) -> Result<Option<OutboxMessage>> {
        match self.data.get(id_key(id))? {
            Some(key) => self.get(&key),
            None => Ok(None),
        }
    }

    /// Deletes one outbox message (handed over, "remis"). Returns false when it was
    /// already gone (a second press of the button, another person was quicker).
    ///
    /// # Errors
    /// sled failure.
    pub async fn delete_outbox(&self, id: OutboxId) -> Result<bool> {
        self.write(|tx| remove_message(tx, id)).await
    }

    /// Deletes every outbox message about `tutor`, in one transaction, and returns how
    /// many there were. Called when the tutor's link is regenerated or locked, so an
    /// outbox never prints a link that no longer works.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn delete_outbox_of_tutor(&self, tutor: TutorId) -> Result<usize> {
        let ids: Vec<OutboxId> = self
            .outbox()?
            .into_iter()
            .filter(|m| m.tutor == Some(tutor))
            .map(|m| m.id)
            .collect();
        if ids.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let mut n = 0;
            for id in &ids {
                if remove_message(tx, *id)? {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await
    }
}
