//! Notifications (issue 6): each person's settings (the kinds they turned off).

use super::codec::Record;
use super::{Result, Store, Tx, TxResult, keys};
use crate::domain::Subject;
use crate::domain::notify::{NotificationKind, NotificationSettings};

impl Record for NotificationSettings {
    const KIND: &'static str = "notification-settings";
}

fn settings_key(subject: &Subject) -> Vec<u8> {
    keys::key(&[keys::NOTIFY_SETTINGS, &keys::subject(subject)])
}

impl Store {
    /// `subject`'s notification settings; every kind on when never saved.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn notification_settings(&self, subject: &Subject) -> Result<NotificationSettings> {
        Ok(self
            .get(&settings_key(subject))?
            .unwrap_or_else(|| NotificationSettings::all_on(*subject)))
    }

    /// True unless `subject` turned `kind` off (false for a kind of another role).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn wants_notification(&self, subject: &Subject, kind: NotificationKind) -> Result<bool> {
        Ok(self.notification_settings(subject)?.wants(kind))
    }

    /// Saves `settings` (replacing the person's previous ones).
    ///
    /// # Errors
    /// sled failure.
    pub async fn put_notification_settings(&self, settings: &NotificationSettings) -> Result<()> {
        let key = settings_key(&settings.subject);
        self.write(|tx| tx.put(&key, settings)).await
    }
}

// ---------------------------------------------------------------------------------
// The triggers' state (issue 6): each tutor's "à relire" queue and its due index, the
// tutors' daily digests, the end-of-placement markers (per recipient) and the last
// digest day.
// ---------------------------------------------------------------------------------

use crate::domain::notify::{
    Digest, DigestDay, DigestEvent, EndingReminded, EndingTold, Grouped, ReviewItem, ReviewQueue,
    Seen,
};
use crate::domain::{PlacementId, TutorId};
use jiff::Timestamp;

impl Record for ReviewQueue {
    const KIND: &'static str = "review-queue";
}

impl Record for Digest {
    const KIND: &'static str = "notify-digest";
}

impl Record for EndingReminded {
    const KIND: &'static str = "ending-reminded";
}

impl Record for EndingTold {
    const KIND: &'static str = "ending-told";
}

impl Record for DigestDay {
    const KIND: &'static str = "digest-day";
}

fn queue_key(tutor: TutorId) -> Vec<u8> {
    keys::key(&[keys::NOTIFY_REVIEW, tutor.as_bytes()])
}

/// An instant as 8 big-endian bytes that sort oldest first (microseconds since the
/// epoch, sign bit flipped).
fn ordered_time(t: Timestamp) -> [u8; 8] {
    ((t.as_microsecond() as u64) ^ (1u64 << 63)).to_be_bytes()
}

fn due_key(at: Timestamp, tutor: TutorId) -> Vec<u8> {
    keys::key(&[keys::NOTIFY_DUE, &ordered_time(at), tutor.as_bytes()])
}

fn digest_key(tutor: TutorId) -> Vec<u8> {
    keys::key(&[keys::NOTIFY_DIGEST, tutor.as_bytes()])
}

fn ending_to_key(placement: PlacementId, recipient: &Subject) -> Vec<u8> {
    keys::key(&[
        keys::NOTIFY_ENDING_TO,
        placement.as_bytes(),
        &keys::subject(recipient),
    ])
}

/// Writes `q` and keeps the due index in step with its `due` (was `old_due`).
fn put_queue(tx: &Tx<'_>, q: &ReviewQueue, old_due: Option<Timestamp>) -> TxResult<()> {
    if old_due != q.due {
        if let Some(old) = old_due {
            tx.remove(&due_key(old, q.tutor))?;
        }
        if let Some(new) = q.due {
            tx.put_raw(&due_key(new, q.tutor), &[])?;
        }
    }
    tx.put(&queue_key(q.tutor), q)
}

impl Store {
    /// The tutor's "à relire" queue, if they ever had one.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn review_queue(&self, tutor: TutorId) -> Result<Option<ReviewQueue>> {
        self.get(&queue_key(tutor))
    }

    /// Adds `item` to the tutor's "à relire" queue at `now`, in one transaction, and
    /// returns the grouping decision ([`ReviewQueue::add`]) with the queue as stored.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn add_review_item(
        &self,
        tutor: TutorId,
        item: &ReviewItem,
        now: Timestamp,
    ) -> Result<(Grouped, ReviewQueue)> {
        let key = queue_key(tutor);
        self.write(|tx| {
            let mut q = tx
                .get::<ReviewQueue>(&key)?
                .unwrap_or_else(|| ReviewQueue::new(tutor));
            let old_due = q.due;
            let grouped = q.add(item.clone(), now);
            if grouped != Grouped::Unchanged {
                put_queue(tx, &q, old_due)?;
            }
            Ok((grouped, q))
        })
        .await
    }

    /// The queues whose grouped push is due at `now`, each marked as pushed (one
    /// transaction per tutor, so two tickers never push the same count twice).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn take_due_reviews(&self, now: Timestamp) -> Result<Vec<ReviewQueue>> {
        let end = keys::key(&[keys::NOTIFY_DUE, &ordered_time(now), &[0xff; 16]]);
        let mut tutors = Vec::new();
        for k in self.data.range(keys::NOTIFY_DUE.to_vec()..=end).keys() {
            let k = k?;
            if let Some(id) = k
                .get(keys::NOTIFY_DUE.len() + 8..)
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
            {
                tutors.push((k.to_vec(), TutorId::from_bytes(id)));
            }
        }
        let mut out = Vec::new();
        for (index, tutor) in tutors {
            let key = queue_key(tutor);
            let taken = self
                .write(|tx| {
                    tx.remove(&index)?;
                    let Some(mut q) = tx.get::<ReviewQueue>(&key)? else {
                        return Ok(None);
                    };
                    let old_due = q.due;
                    let taken = q.take_due(now);
                    if old_due != q.due || taken {
                        put_queue(tx, &q, old_due)?;
                    }
                    Ok(taken.then_some(q))
                })
                .await?;
            out.extend(taken);
        }
        Ok(out)
    }

    /// Drops what the tutor has seen from their "à relire" queue and their digest,
    /// in one transaction; writes nothing (no flush) when nothing is to drop, so a
    /// page view costs a read. Returns true when something was dropped.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn review_seen(&self, tutor: TutorId, scope: Seen) -> Result<bool> {
        let (qkey, dkey) = (queue_key(tutor), digest_key(tutor));
        let in_queue = self
            .get::<ReviewQueue>(&qkey)?
            .is_some_and(|q| q.would_see(scope));
        let in_digest = self
            .get::<Digest>(&dkey)?
            .is_some_and(|d| d.clone().seen(scope));
        if !in_queue && !in_digest {
            return Ok(false);
        }
        self.write(|tx| {
            let mut changed = false;
            if let Some(mut q) = tx.get::<ReviewQueue>(&qkey)? {
                let old_due = q.due;
                if q.seen(scope) {
                    put_queue(tx, &q, old_due)?;
                    changed = true;
                }
            }
            if let Some(mut d) = tx.get::<Digest>(&dkey)?
                && d.seen(scope)
            {
                if d.events.is_empty() {
                    tx.remove(&dkey)?;
                } else {
                    tx.put(&dkey, &d)?;
                }
                changed = true;
            }
            Ok(changed)
        })
        .await
    }

    /// Adds `event` to the tutor's next daily digest ([`Digest::add`]). Returns true
    /// when something changed.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn add_to_digest(&self, tutor: TutorId, event: &DigestEvent) -> Result<bool> {
        let key = digest_key(tutor);
        self.write(|tx| {
            let mut d = tx
                .get::<Digest>(&key)?
                .unwrap_or_else(|| Digest::new(tutor));
            let changed = d.add(event.clone());
            if changed {
                tx.put(&key, &d)?;
            }
            Ok(changed)
        })
        .await
    }

    /// Every tutor's pending digest (only tutors with something pending have one).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn digests(&self) -> Result<Vec<Digest>> {
        self.scan(keys::NOTIFY_DIGEST)
    }

    /// Removes `sent` (the events of a digest that went out, or that were dropped)
    /// from the tutor's digest; the digest goes when nothing is left.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn remove_from_digest(&self, tutor: TutorId, sent: &[DigestEvent]) -> Result<()> {
        let key = digest_key(tutor);
        self.write(|tx| {
            if let Some(mut d) = tx.get::<Digest>(&key)? {
                d.remove_sent(sent);
                if d.events.is_empty() {
                    tx.remove(&key)?;
                } else {
                    tx.put(&key, &d)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// The day the last daily digests went, if ever.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn digest_day(&self) -> Result<Option<jiff::civil::Date>> {
        Ok(self
            .get::<DigestDay>(keys::NOTIFY_DIGEST_DAY)?
            .map(|d| d.date))
    }

    /// Records `today` as the digest day unless it already is (or a later day), in
    /// one transaction: true when this caller is to send today's digests.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn claim_digest_day(&self, today: jiff::civil::Date) -> Result<bool> {
        self.write(|tx| match tx.get::<DigestDay>(keys::NOTIFY_DIGEST_DAY)? {
            Some(d) if d.date >= today => Ok(false),
            _ => {
                tx.put(keys::NOTIFY_DIGEST_DAY, &DigestDay { date: today })?;
                Ok(true)
            }
        })
        .await
    }

    /// True when the end-of-placement reminder of `placement` reached `recipient`
    /// (an [`EndingTold`] marker is there).
    ///
    /// # Errors
    /// sled failure.
    pub fn ending_told(&self, placement: PlacementId, recipient: &Subject) -> Result<bool> {
        Ok(self
            .data
            .get(ending_to_key(placement, recipient))?
            .is_some())
    }

    /// Records that the end-of-placement reminder of `told.placement` reaches
    /// `told.recipient` now, unless it did before, in one transaction with its effect:
    /// with `digest`, the line is added to that tutor's daily digest in the same
    /// transaction. True when this caller is to tell them (so two scans never tell
    /// twice); false, and nothing written, when the marker was there.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn claim_ending_reminder(
        &self,
        told: &EndingTold,
        digest: Option<(TutorId, &DigestEvent)>,
    ) -> Result<bool> {
        let key = ending_to_key(told.placement, &told.recipient);
        self.write(|tx| {
            if tx.get_raw(&key)?.is_some() {
                return Ok(false);
            }
            tx.put(&key, told)?;
            if let Some((tutor, event)) = digest {
                let dkey = digest_key(tutor);
                let mut d = tx
                    .get::<Digest>(&dkey)?
                    .unwrap_or_else(|| Digest::new(tutor));
                if d.add(event.clone()) {
                    tx.put(&dkey, &d)?;
                }
            }
            Ok(true)
        })
        .await
    }

    /// Removes the marker of `recipient` for `placement` (a push that could not be
    /// queued after all: the next scan tries again).
    ///
    /// # Errors
    /// sled failure.
    pub async fn unclaim_ending_reminder(
        &self,
        placement: PlacementId,
        recipient: &Subject,
    ) -> Result<()> {
        let key = ending_to_key(placement, recipient);
        self.write(|tx| tx.remove(&key)).await
    }

    /// True when the first version's marker says the end-of-placement reminder of
    /// `placement` went to both recipients ([`EndingReminded`]).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn ending_reminded(&self, placement: PlacementId) -> Result<bool> {
        Ok(self
            .get::<EndingReminded>(&keys::key(&[keys::NOTIFY_ENDING, placement.as_bytes()]))?
            .is_some())
    }
}
