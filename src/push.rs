//! Web push, the sending side: the VAPID key pair (RFC 8292), and a background task
//! that encrypts (RFC 8291, `aes128gcm`), signs and posts each notification to the
//! devices' push services (RFC 8030), off the request path.
//!
//! A handler calls [`Push::queue`]; the message waits in a bounded queue (a full queue
//! drops it with a warning, a request never waits) and the task sends it to every
//! device of the person. The push service's answer decides what happens next:
//!
//! | answer | what Livret does |
//! |---|---|
//! | 2xx (201 Created, 202 Accepted) | records `last_success` |
//! | 404 Not Found, 410 Gone | deletes the subscription (the device unsubscribed) |
//! | 413, 429, 5xx, network error | logs, and tries again after each of [`PushConfig::retry_delays`] |
//! | other 4xx (400, 401, 403…) | logs and gives up (a retry would get the same answer) |
//!
//! Logs name the subscription id and the push service's host only: never the rest of
//! the endpoint (it is a capability), the keys or the payload.

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::Subject;
use crate::domain::push::{Notification, PushSubscription, Urgency, VapidKeys, valid_tag};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

/// How long a VAPID JWT is valid: 12 hours (RFC 8292 §2: at most 24 hours).
pub const JWT_VALIDITY: jiff::SignedDuration = jiff::SignedDuration::from_hours(12);

/// Settings of the sender.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// Messages that can wait in the queue; more are dropped with a warning.
    pub queue_capacity: usize,
    /// Waits before each retry after a 413, 429, 5xx or network error: with
    /// `[1 s, 4 s, 16 s]` a message is tried at most 4 times over about 21 s.
    pub retry_delays: Vec<Duration>,
    /// Time limit of one POST to a push service.
    pub timeout: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// The VAPID `sub` claim: a contact URI (`mailto:` or `https:`) for the push
    /// service's operator (RFC 8292 §2.1).
    pub contact: String,
}

impl PushConfig {
    /// The production settings: 256 queued messages, retries after 1 s, 4 s and 16 s,
    /// 30 s per POST, 8 deliveries at once; the contact is the sender's address
    /// (`LIVRET_MAIL_FROM`) when set, otherwise the public URL.
    pub fn from_config(config: &Config) -> PushConfig {
        let contact = config
            .mail_from
            .as_deref()
            .and_then(|from| {
                let start = from.find('<').map_or(0, |i| i + 1);
                let end = from.rfind('>').unwrap_or(from.len());
                let address = from.get(start..end)?.trim();
                address.contains('@').then(|| format!("mailto:{address}"))
            })
            .unwrap_or_else(|| config.public_url.clone());
        PushConfig {
            queue_capacity: 256,
            retry_delays: vec![
                Duration::from_secs(1),
                Duration::from_secs(4),
                Duration::from_secs(16),
            ],
            timeout: Duration::from_secs(30),
            concurrency: 8,
            contact,
        }
    }
}

/// What became of one message to one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The push service accepted it (2xx) after this many attempts.
    Delivered {
        /// Attempts made (1 when the first POST was accepted).
        attempts: usize,
    },
    /// The push service answered 404 or 410: the subscription was deleted.
    Gone,
    /// Given up: a 4xx other than 404/410/413/429, retries used up, or the message
    /// could not be built (no VAPID key, invalid keys). Logged.
    Failed,
}

/// A message for every device of a person.
#[derive(Debug)]
struct Job {
    subject: Subject,
    notification: Notification,
}

/// Handle on the sender; cheap to clone. Made by [`Push::start`].
#[derive(Clone)]
pub struct Push {
    queue: mpsc::Sender<Job>,
    sender: Arc<Sender>,
}

struct Sender {
    store: Store,
    clock: Clock,
    config: PushConfig,
    client: reqwest::Client,
}

/// Makes a fresh VAPID key pair (P-256, RFC 8292 §3.2) at `now`.
pub fn generate_vapid_keys(now: jiff::Timestamp) -> VapidKeys {
    use jwt_simple::prelude::ECDSAP256PublicKeyLike;
    let pair = jwt_simple::prelude::ES256KeyPair::generate();
    let public_key = pair.public_key().public_key().to_bytes_uncompressed();
    VapidKeys {
        id: VapidKeys::id_of(&public_key),
        private_key: pair.to_bytes(),
        public_key,
        created_at: now,
    }
}

/// The VAPID key pair, made and stored at first start when absent.
///
/// # Errors
/// Store failure.
pub async fn ensure_vapid_keys(store: &Store, clock: &Clock) -> crate::Result<VapidKeys> {
    if let Some(keys) = store.vapid_keys()? {
        return Ok(keys);
    }
    let keys = store
        .ensure_vapid_keys(&generate_vapid_keys(clock.now()))
        .await?;
    tracing::info!(key_id = %keys.id, "clé VAPID créée");
    Ok(keys)
}

/// `livret admin rotate-vapid`: replaces the VAPID key pair with a new one and returns
/// it. Messages are signed with the new key from then on. Subscriptions are kept: each
/// remembers the key id it was made with; until its device re-subscribes with the new
/// public key (the page is to do so on the next visit: a later step), push services
/// answer its messages with an error (403 for most), which is logged and not retried.
///
/// # Errors
/// Store failure.
pub async fn rotate_vapid(store: &Store, clock: &Clock) -> crate::Result<VapidKeys> {
    let keys = generate_vapid_keys(clock.now());
    store.replace_vapid_keys(&keys).await?;
    tracing::info!(key_id = %keys.id, "nouvelle clé VAPID");
    Ok(keys)
}

/// The host of an endpoint, the only part of it that is logged.
fn host_of(endpoint: &str) -> String {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn web_push_urgency(u: Urgency) -> web_push::Urgency {
    match u {
        Urgency::VeryLow => web_push::Urgency::VeryLow,
        Urgency::Low => web_push::Urgency::Low,
        Urgency::Normal => web_push::Urgency::Normal,
        Urgency::High => web_push::Urgency::High,
    }
}

/// One attempt's result.
enum Attempt {
    Accepted,
    Gone,
    Retry(String),
    Refused(String),
}

impl Push {
    /// Starts the sending task on the current tokio runtime and returns its handle.
    ///
    /// # Errors
    /// The HTTP client cannot be built (no TLS root store).
    pub fn start(store: Store, clock: Clock, config: PushConfig) -> crate::Result<Push> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("livret/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| crate::Error::Startup(format!("client HTTP des notifications : {e}")))?;
        let (queue, mut jobs) = mpsc::channel::<Job>(config.queue_capacity.max(1));
        let limit = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let sender = Arc::new(Sender {
            store,
            clock,
            config,
            client,
        });
        let worker = sender.clone();
        tokio::spawn(async move {
            while let Some(job) = jobs.recv().await {
                let devices = match worker.store.push_subscriptions_of(&job.subject) {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!(error = %e, "notifications : abonnements illisibles");
                        continue;
                    }
                };
                for device in devices {
                    let Ok(permit) = limit.clone().acquire_owned().await else {
                        return;
                    };
                    let worker = worker.clone();
                    let notification = job.notification.clone();
                    tokio::spawn(async move {
                        worker.send(&device, &notification).await;
                        drop(permit);
                    });
                }
            }
        });
        Ok(Push { queue, sender })
    }

    /// Queues `notification` for every device of `subject`, without waiting. Returns
    /// false, with a warning in the log, when the queue is full (the message is
    /// dropped) or the task has stopped.
    pub fn queue(&self, subject: Subject, notification: Notification) -> bool {
        match self.queue.try_send(Job {
            subject,
            notification,
        }) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(job)) => {
                tracing::warn!(tag = %job.notification.tag, "notifications : file pleine, message abandonné");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!("notifications : la tâche d'envoi est arrêtée");
                false
            }
        }
    }

    /// Sends `notification` to one device now, with the retries of
    /// [`PushConfig::retry_delays`], and acts on the answer (see the module's table).
    pub async fn send(
        &self,
        subscription: &PushSubscription,
        notification: &Notification,
    ) -> Outcome {
        self.sender.send(subscription, notification).await
    }
}

impl Sender {
    async fn send(&self, subscription: &PushSubscription, notification: &Notification) -> Outcome {
        let host = host_of(&subscription.endpoint);
        let id = subscription.id;
        let mut delays = self.config.retry_delays.iter();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let reason = match self.attempt(subscription, notification).await {
                Attempt::Accepted => {
                    if let Err(e) = self
                        .store
                        .record_push_success(subscription, self.clock.now())
                        .await
                    {
                        tracing::warn!(subscription = %id, error = %e, "notifications : succès non enregistré");
                    }
                    return Outcome::Delivered { attempts };
                }
                Attempt::Gone => {
                    tracing::info!(subscription = %id, %host, "notifications : abonnement expiré, supprimé");
                    if let Err(e) = self
                        .store
                        .delete_push_subscription(&subscription.endpoint)
                        .await
                    {
                        tracing::warn!(subscription = %id, error = %e, "notifications : abonnement non supprimé");
                    }
                    return Outcome::Gone;
                }
                Attempt::Refused(reason) => {
                    tracing::warn!(subscription = %id, %host, %reason, "notifications : message refusé");
                    return Outcome::Failed;
                }
                Attempt::Retry(reason) => reason,
            };
            match delays.next() {
                Some(delay) => {
                    tracing::warn!(subscription = %id, %host, %reason, attempts, retry_in_ms = delay.as_millis() as u64, "notifications : échec, nouvel essai");
                    tokio::time::sleep(*delay).await;
                }
                None => {
                    tracing::warn!(subscription = %id, %host, %reason, attempts, "notifications : échec, abandon");
                    return Outcome::Failed;
                }
            }
        }
    }

    /// Builds the signed, encrypted message and posts it once.
    async fn attempt(
        &self,
        subscription: &PushSubscription,
        notification: &Notification,
    ) -> Attempt {
        let message = match self.build(subscription, notification) {
            Ok(m) => m,
            Err(reason) => return Attempt::Refused(reason),
        };
        let mut request = self
            .client
            .post(message.endpoint.to_string())
            .header("TTL", message.ttl.to_string());
        if let Some(urgency) = message.urgency {
            request = request.header("Urgency", urgency.to_string());
        }
        if let Some(topic) = message.topic {
            request = request.header("Topic", topic);
        }
        if let Some(payload) = message.payload {
            request = request
                .header("Content-Encoding", payload.content_encoding.to_str())
                .header("Content-Type", "application/octet-stream");
            for (name, value) in payload.crypto_headers {
                request = request.header(name, value);
            }
            request = request.body(payload.content);
        }
        match request.send().await {
            Ok(answer) => {
                let status = answer.status().as_u16();
                match status {
                    200..=299 => Attempt::Accepted,
                    404 | 410 => Attempt::Gone,
                    413 | 429 | 500..=599 => Attempt::Retry(format!("HTTP {status}")),
                    _ => Attempt::Refused(format!("HTTP {status}")),
                }
            }
            // The error's text may hold the URL: say only what kind of failure it was.
            Err(e) if e.is_timeout() => Attempt::Retry("délai dépassé".into()),
            Err(e) if e.is_connect() => Attempt::Retry("connexion impossible".into()),
            Err(_) => Attempt::Retry("erreur réseau".into()),
        }
    }

    /// The `web-push` message: payload encrypted for the device, VAPID signature with
    /// the current key, explicit TTL and urgency, topic = tag.
    fn build(
        &self,
        subscription: &PushSubscription,
        notification: &Notification,
    ) -> Result<web_push::WebPushMessage, String> {
        let keys = match self.store.vapid_keys() {
            Ok(Some(k)) => k,
            Ok(None) => return Err("pas de clé VAPID".into()),
            Err(e) => return Err(format!("clé VAPID illisible : {e}")),
        };
        let payload = notification.payload().map_err(|e| e.to_string())?;
        let info = web_push::SubscriptionInfo::new(
            subscription.endpoint.as_str(),
            subscription.p256dh.as_str(),
            subscription.auth.as_str(),
        );
        let mut signature =
            web_push::VapidSignatureBuilder::from_base64(&keys.private_key_base64(), &info)
                .map_err(|e| format!("clé VAPID : {}", e.short_description()))?;
        signature.add_claim("sub", self.config.contact.as_str());
        // `exp` from the clock (the library would read the system time).
        let exp = self
            .clock
            .now()
            .checked_add(JWT_VALIDITY)
            .map(|t| t.as_second())
            .unwrap_or_default();
        signature.add_claim("exp", u64::try_from(exp).unwrap_or_default());
        let signature = signature
            .build()
            .map_err(|e| format!("signature VAPID : {}", e.short_description()))?;
        let mut builder = web_push::WebPushMessageBuilder::new(&info);
        builder.set_payload(web_push::ContentEncoding::Aes128Gcm, &payload);
        builder.set_ttl(notification.ttl_seconds);
        builder.set_urgency(web_push_urgency(notification.urgency));
        if valid_tag(&notification.tag) {
            builder.set_topic(notification.tag.clone());
        }
        builder.set_vapid_signature(signature);
        builder
            .build()
            .map_err(|e| format!("message : {}", e.short_description()))
    }
}
