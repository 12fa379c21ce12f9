//! Web push: the server's VAPID key pair and the devices' subscriptions
//! ([`PushSubscription`]), by endpoint and by person.

use super::codec::Record;
use super::{Result, Store, Tx, TxResult, keys};
use crate::domain::Subject;
use crate::domain::push::{PushSubscription, VapidKeys};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

impl Record for PushSubscription {
    const KIND: &'static str = "push-subscription";
}

impl Record for VapidKeys {
    const KIND: &'static str = "vapid-keys";
}

/// SHA-256 of an endpoint: the endpoint is long and a capability, so keys hold its hash.
fn endpoint_hash(endpoint: &str) -> [u8; 32] {
    Sha256::digest(endpoint.as_bytes()).into()
}

fn subscription_key(endpoint: &str) -> Vec<u8> {
    keys::key(&[keys::PUSH, &endpoint_hash(endpoint)])
}

fn index_key(subject: &Subject, endpoint: &str) -> Vec<u8> {
    keys::key(&[
        keys::PUSH_OF,
        &keys::subject(subject),
        &endpoint_hash(endpoint),
    ])
}

/// Removes the subscription of `endpoint` and its index entry; true when it was there.
fn remove_subscription(tx: &Tx<'_>, endpoint: &str) -> TxResult<bool> {
    let key = subscription_key(endpoint);
    match tx.get::<PushSubscription>(&key)? {
        Some(old) => {
            tx.remove(&index_key(&old.subject, &old.endpoint))?;
            tx.remove(&key)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

impl Store {
    /// The current VAPID key pair, if one was made.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn vapid_keys(&self) -> Result<Option<VapidKeys>> {
        self.get(keys::VAPID)
    }

    /// Stores `keys` as the VAPID key pair unless one exists (checked in the same
    /// transaction), and returns the pair now stored: two starts racing keep one.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn ensure_vapid_keys(&self, keys: &VapidKeys) -> Result<VapidKeys> {
        self.write(|tx| match tx.get::<VapidKeys>(keys::VAPID)? {
            Some(existing) => Ok(existing),
            None => {
                tx.put(keys::VAPID, keys)?;
                Ok(keys.clone())
            }
        })
        .await
    }

    /// Replaces the VAPID key pair (`livret admin rotate-vapid`). Subscriptions are
    /// kept: each remembers the key id it was made with, and the page re-subscribes a
    /// device whose key id is not the current one.
    ///
    /// # Errors
    /// sled failure.
    pub async fn replace_vapid_keys(&self, keys: &VapidKeys) -> Result<()> {
        self.write(|tx| tx.put(keys::VAPID, keys)).await
    }

    /// Stores a subscription; one with the same endpoint (the same device subscribing
    /// again, maybe for another person) is replaced, in the same transaction.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn put_push_subscription(&self, subscription: &PushSubscription) -> Result<()> {
        self.write(|tx| {
            remove_subscription(tx, &subscription.endpoint)?;
            tx.put(&subscription_key(&subscription.endpoint), subscription)?;
            tx.put_raw(
                &index_key(&subscription.subject, &subscription.endpoint),
                &[],
            )
        })
        .await
    }

    /// The subscription of this endpoint, if any.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn push_subscription(&self, endpoint: &str) -> Result<Option<PushSubscription>> {
        self.get(&subscription_key(endpoint))
    }

    /// Every device subscription of `subject` (one per device), oldest first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn push_subscriptions_of(&self, subject: &Subject) -> Result<Vec<PushSubscription>> {
        let prefix = keys::key(&[keys::PUSH_OF, &keys::subject(subject)]);
        let mut out = Vec::new();
        for k in self.data.scan_prefix(&prefix).keys() {
            let k = k?;
            let hash = &k[prefix.len()..];
            if let Some(s) = self.get::<PushSubscription>(&keys::key(&[keys::PUSH, hash]))? {
                out.push(s);
            }
        }
        out.sort_by_key(|s| s.created_at);
        Ok(out)
    }

    /// Deletes the subscription of this endpoint (unsubscribed, or the push service
    /// answered 404/410). Returns false when it was already gone.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn delete_push_subscription(&self, endpoint: &str) -> Result<bool> {
        self.write(|tx| remove_subscription(tx, endpoint)).await
    }

    /// Records that the push service accepted a message for `subscription` at `at`.
    /// Does nothing when that subscription (same endpoint and id) was deleted or
    /// replaced meanwhile.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn record_push_success(
        &self,
        subscription: &PushSubscription,
        at: Timestamp,
    ) -> Result<()> {
        let key = subscription_key(&subscription.endpoint);
        self.write(|tx| match tx.get::<PushSubscription>(&key)? {
            Some(mut s) if s.id == subscription.id => {
                s.last_success = Some(at);
                tx.put(&key, &s)
            }
            _ => Ok(()),
        })
        .await
    }
}
