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
//! | 413, 429, 5xx, network error | logs, and tries again after each of [`PushConfig::retry_delays`], or after the answer's `Retry-After` (at most [`MAX_RETRY_AFTER`]) |
//! | other 4xx (400, 401, 403…) | logs and gives up (a retry would get the same answer) |
//! | no connection: the host name resolves to internal addresses only | logs and gives up (see below) |
//!
//! Logs name the subscription id and the push service's host only: never the rest of
//! the endpoint (it is a capability), the keys or the payload.
//!
//! The task that takes messages off the queue never waits for a delivery: each
//! delivery to a device is its own task, which first takes one of the person's slots
//! ([`PushConfig::per_person`]) and then one of the global slots
//! ([`PushConfig::concurrency`]). So a person whose push services accept the
//! connection and never answer holds at most their own slots (each POST is cut after
//! [`PushConfig::timeout`]), and everyone else's messages go on. A delivery waiting to
//! retry gives both slots back, so a push service asking to wait does not hold up the
//! others either. Before each retry the subscription is read again: removed meanwhile
//! (« Retirer », sign-out) or replaced, the message is not sent.
//!
//! The client connects to public addresses only: a host name is resolved by Livret
//! and its internal addresses dropped ([`reachable_addrs`]); a name that designates
//! only the school's network or the machine itself is refused (logged, not retried).
//! No proxy from the environment is used (a proxy would resolve names itself). At
//! shutdown,
//! [`Push::shutdown`] waits a few seconds for the queue to drain and logs how many
//! messages were left unsent (the grouped "à relire" counts are in the store and go
//! after the restart; see [`crate::notify`]).

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::Subject;
use crate::domain::push::{
    Notification, PushSubscription, Urgency, VapidKeys, normalized_host, reachable_addrs,
    trial_instance, valid_tag,
};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// One test notification per person per this period: 1 minute (the « Envoyer une
/// notification d'essai » button).
pub const TEST_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_mins(1);

/// How long a VAPID JWT is valid: 12 hours (RFC 8292 §2: at most 24 hours).
pub const JWT_VALIDITY: jiff::SignedDuration = jiff::SignedDuration::from_hours(12);

/// Longest wait honoured from a push service's `Retry-After` (RFC 9110 §10.2.3) on a
/// 429 or 503: 10 minutes; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Shortest wait before a retry, whatever `Retry-After` says (never a tight loop).
pub const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The wait a `Retry-After` value asks for at `now`: delay-seconds (`120`) or an
/// HTTP-date (`Wed, 11 Mar 2026 10:00:00 GMT`, RFC 9110 §5.6.7), kept between
/// [`MIN_RETRY_AFTER`] and [`MAX_RETRY_AFTER`]. `None` when the value is unreadable.
pub fn retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(value)
            .ok()?;
        let secs = at.duration_since(now).as_secs();
        Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    };
    Some(wait.clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER))
}

/// Settings of the sender.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// Messages that can wait in the queue; more are dropped with a warning.
    pub queue_capacity: usize,
    /// Waits before each retry after a 413, 429, 5xx or network error: with
    /// `[1 s, 4 s, 16 s]` a message is tried at most 4 times over about 21 s.
    pub retry_delays: Vec<Duration>,
    /// Time limit of one POST to a push service, connection included.
    pub timeout: Duration,
    /// Time limit of the TCP (and TLS) connection to a push service.
    pub connect_timeout: Duration,
    /// Deliveries in flight at once, for everyone.
    pub concurrency: usize,
    /// Deliveries in flight at once to one person's devices (at most
    /// `concurrency`): one person's silent push services cannot take every slot.
    pub per_person: usize,
    /// Deliveries started and not finished (waiting for a slot, posting, or waiting
    /// to retry) beyond which a new one is dropped with a warning: bounds the memory
    /// when push services stall.
    pub max_pending: usize,
    /// True on a trial instance (public URL `http://localhost…`, see
    /// [`trial_instance`]): the name `localhost` may then resolve to loopback, for a
    /// push service on this machine. Never on a real install.
    pub loopback_allowed: bool,
    /// The VAPID `sub` claim: a contact URI (`mailto:` or `https:`) for the push
    /// service's operator (RFC 8292 §2.1).
    pub contact: String,
}

impl PushConfig {
    /// The production settings: 256 queued messages, retries after 1 s, 4 s and 16 s,
    /// 10 s per POST (5 s to connect), 32 deliveries at once and 4 per person, 2048
    /// pending at most; loopback reachable only on a trial instance; the contact is the
    /// sender's address (`LIVRET_MAIL_FROM`) when set, otherwise the public URL.
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
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            concurrency: 32,
            per_person: 4,
            max_pending: 2048,
            loopback_allowed: trial_instance(&config.public_url),
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
    /// The subscription was removed (or replaced by another one for the same
    /// endpoint) while the message waited to be tried again: not sent.
    Removed,
    /// Given up: a 4xx other than 404/410/413/429, retries used up, a host name that
    /// designates the internal network only, or the message could not be built (no
    /// VAPID key, invalid keys). Logged.
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
    /// Each person's last test notification (see [`Push::allow_test`]).
    tests: Arc<Mutex<HashMap<Subject, jiff::Timestamp>>>,
}

struct Sender {
    store: Store,
    clock: Clock,
    config: PushConfig,
    client: reqwest::Client,
    /// Deliveries to one device started and not finished (retries included).
    in_flight: AtomicUsize,
    /// The global delivery slots ([`PushConfig::concurrency`]).
    global: Arc<Semaphore>,
    /// Each person's delivery slots ([`PushConfig::per_person`]), while they have
    /// deliveries in flight.
    people: Mutex<HashMap<Subject, Arc<Semaphore>>>,
}

/// A delivery's slots, the person's and a global one: given back while the delivery
/// waits to retry.
struct Slot {
    person: Arc<Semaphore>,
    global: Arc<Semaphore>,
    permits: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
}

impl Slot {
    fn release(&mut self) {
        self.permits = None;
    }

    /// Takes the person's slot, then a global one (so a delivery waiting for its
    /// person's slot holds no global one); false when the sender is closing.
    async fn acquire(&mut self) -> bool {
        let Ok(person) = self.person.clone().acquire_owned().await else {
            return false;
        };
        let Ok(global) = self.global.clone().acquire_owned().await else {
            return false;
        };
        self.permits = Some((person, global));
        true
    }
}

/// The resolver of the push client: the system's (`getaddrinfo`, through tokio),
/// keeping only the addresses [`reachable_addrs`] allows. IP-literal endpoints do not
/// come here (they were checked when the subscription was stored).
struct PublicResolver {
    loopback_allowed: bool,
}

/// A host name that resolves to internal addresses only.
#[derive(Debug, thiserror::Error)]
#[error("le nom désigne seulement des adresses du réseau interne")]
struct InternalAddress;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        // Loopback only for the name of this machine, and only on a trial instance.
        let loopback = self.loopback_allowed && normalized_host(&host) == "localhost";
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept = reachable_addrs(found, loopback);
            if kept.is_empty() {
                return Err(Box::new(InternalAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// True when `e` comes from [`PublicResolver`] refusing a name.
fn internal_address(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<InternalAddress>().is_some() {
            return true;
        }
        source = s.source();
    }
    false
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
    /// Worth another try: the reason, and the push service's `Retry-After`, if any.
    Retry(String, Option<Duration>),
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
            .connect_timeout(config.connect_timeout)
            .no_proxy()
            .dns_resolver(PublicResolver {
                loopback_allowed: config.loopback_allowed,
            })
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("livret/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| crate::Error::Startup(format!("client HTTP des notifications : {e}")))?;
        let (queue, mut jobs) = mpsc::channel::<Job>(config.queue_capacity.max(1));
        let sender = Arc::new(Sender {
            store,
            clock,
            global: Arc::new(Semaphore::new(config.concurrency.max(1))),
            people: Mutex::new(HashMap::new()),
            config,
            client,
            in_flight: AtomicUsize::new(0),
        });
        let worker = sender.clone();
        // Takes the jobs off the queue and starts one task per device, never waiting
        // for a delivery (each task waits for its own slots).
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
                    worker.spawn_delivery(device, job.notification.clone());
                }
            }
        });
        Ok(Push {
            queue,
            sender,
            tests: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The rate limit of the test notification: `Ok` (and `now` recorded) when
    /// `subject`'s last test was [`TEST_EVERY`] ago or more, or never, or when one of
    /// their devices was subscribed since (`newest_device`, the latest
    /// [`PushSubscription::created_at`]: a device just added or renewed can be tried
    /// at once); otherwise the wait left, in whole seconds (at least 1). In memory: a
    /// restart forgets it.
    ///
    /// # Errors
    /// The seconds to wait before the next test is accepted.
    pub fn allow_test(
        &self,
        subject: Subject,
        now: jiff::Timestamp,
        newest_device: Option<jiff::Timestamp>,
    ) -> Result<(), u64> {
        let mut tests = self
            .tests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let recent = |at: &jiff::Timestamp| now.duration_since(*at) < TEST_EVERY;
        if tests.len() > 1000 {
            tests.retain(|_, at| recent(at));
        }
        let new_device = |last: &jiff::Timestamp| newest_device.is_some_and(|d| d > *last);
        if let Some(last) = tests
            .get(&subject)
            .filter(|at| recent(at) && !new_device(at))
        {
            let left = TEST_EVERY - now.duration_since(*last);
            let secs = left.as_secs() + i64::from(left.subsec_nanos() > 0);
            return Err(u64::try_from(secs).unwrap_or(1).max(1));
        }
        tests.insert(subject, now);
        Ok(())
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
        self.sender.send(subscription, notification, None).await
    }

    /// Messages not sent yet: queued, or being delivered to a device (retries
    /// included).
    pub fn pending(&self) -> usize {
        let queued = self
            .queue
            .max_capacity()
            .saturating_sub(self.queue.capacity());
        queued + self.sender.in_flight.load(Ordering::SeqCst)
    }

    /// At shutdown: waits up to `wait` for the pending messages to go, then logs how
    /// many were left (they are lost: the queue is in memory).
    pub async fn shutdown(&self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while self.pending() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let left = self.pending();
        if left > 0 {
            tracing::warn!(
                left,
                "notifications : {left} envoi(s) abandonné(s) à l'arrêt du service"
            );
        }
    }
}

impl Sender {
    /// The slots of `subject`'s deliveries (made when they have none in flight).
    fn person_limit(&self, subject: &Subject) -> Arc<Semaphore> {
        let mut people = self
            .people
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        people
            .entry(*subject)
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_person.max(1))))
            .clone()
    }

    /// Forgets `subject`'s slots once no delivery of theirs holds them.
    fn forget_person(&self, subject: &Subject) {
        let mut people = self
            .people
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if people
            .get(subject)
            .is_some_and(|limit| Arc::strong_count(limit) == 1)
        {
            people.remove(subject);
        }
    }

    /// Starts the delivery of `notification` to `device` in its own task, unless
    /// [`PushConfig::max_pending`] deliveries are already pending (then it is dropped
    /// with a warning).
    fn spawn_delivery(self: &Arc<Self>, device: PushSubscription, notification: Notification) {
        if self.in_flight.load(Ordering::SeqCst) >= self.config.max_pending {
            tracing::warn!(subscription = %device.id, tag = %notification.tag, "notifications : trop d'envois en attente, message abandonné");
            return;
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let worker = self.clone();
        tokio::spawn(async move {
            let subject = device.subject;
            let mut slot = Slot {
                person: worker.person_limit(&subject),
                global: worker.global.clone(),
                permits: None,
            };
            if slot.acquire().await {
                worker.send(&device, &notification, Some(&mut slot)).await;
            }
            drop(slot);
            worker.forget_person(&subject);
            worker.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }

    async fn send(
        &self,
        subscription: &PushSubscription,
        notification: &Notification,
        mut slot: Option<&mut Slot>,
    ) -> Outcome {
        let host = host_of(&subscription.endpoint);
        let id = subscription.id;
        let mut current = subscription.clone();
        let mut delays = self.config.retry_delays.iter();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let subscription = &current;
            let (reason, asked) = match self.attempt(subscription, notification).await {
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
                Attempt::Retry(reason, asked) => (reason, asked),
            };
            match delays.next() {
                Some(delay) => {
                    // The push service's own wait, when it gave one, rather than ours.
                    let delay = asked.unwrap_or(*delay);
                    tracing::warn!(subscription = %id, %host, %reason, attempts, retry_in_ms = delay.as_millis() as u64, "notifications : échec, nouvel essai");
                    if let Some(slot) = slot.as_deref_mut() {
                        slot.release();
                    }
                    tokio::time::sleep(delay).await;
                    if let Some(slot) = slot.as_deref_mut()
                        && !slot.acquire().await
                    {
                        return Outcome::Failed;
                    }
                    // Removed meanwhile (« Retirer », sign-out) or replaced (another
                    // person subscribed this device): the message is not for it any
                    // more. Still there, maybe with refreshed keys: those are used.
                    match self.store.push_subscription(&subscription.endpoint) {
                        Ok(Some(now)) if now.id == id => current = now,
                        Ok(_) => {
                            tracing::info!(subscription = %id, %host, attempts, "notifications : abonnement retiré avant le nouvel essai, message abandonné");
                            return Outcome::Removed;
                        }
                        Err(e) => {
                            tracing::warn!(subscription = %id, error = %e, "notifications : abonnement illisible, message abandonné");
                            return Outcome::Failed;
                        }
                    }
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
                let asked = || {
                    answer
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry_after(v, self.clock.now()))
                };
                match status {
                    200..=299 => Attempt::Accepted,
                    404 | 410 => Attempt::Gone,
                    // RFC 9110 §10.2.3: Retry-After with 503, and with 429 (RFC 6585 §4).
                    429 | 503 => Attempt::Retry(format!("HTTP {status}"), asked()),
                    413 | 500..=599 => Attempt::Retry(format!("HTTP {status}"), None),
                    _ => Attempt::Refused(format!("HTTP {status}")),
                }
            }
            // The error's text may hold the URL: say only what kind of failure it was.
            // A name of the internal network: the same answer next time, no retry.
            Err(e) if internal_address(&e) => {
                Attempt::Refused("adresse du réseau interne refusée".into())
            }
            Err(e) if e.is_timeout() => Attempt::Retry("délai dépassé".into(), None),
            Err(e) if e.is_connect() => Attempt::Retry("connexion impossible".into(), None),
            Err(_) => Attempt::Retry("erreur réseau".into(), None),
        }
    }

    /// The VAPID signature (RFC 8292 §2) of a message to `endpoint`, made here rather
    /// than by `web-push`, whose builder reads the system time for `iat` and `nbf`:
    /// every time claim (`iat`, `nbf`, `exp` = now + [`JWT_VALIDITY`]) comes from the
    /// Livret clock, so the token is consistent (a test clock in the past or future
    /// never gives `exp` before `iat`). `aud` is the endpoint's scheme and host, as
    /// `web-push` writes it; `sub` is [`PushConfig::contact`].
    fn vapid_signature(
        &self,
        keys: &VapidKeys,
        endpoint: &str,
    ) -> Result<web_push::VapidSignature, String> {
        use jwt_simple::prelude::{
            Duration as JwtDuration, ECDSAP256KeyPairLike, ES256KeyPair, JWTClaims, NoCustomClaims,
        };
        let url = url::Url::parse(endpoint).map_err(|_| "adresse illisible".to_string())?;
        let host = url
            .host_str()
            .ok_or_else(|| "adresse sans hôte".to_string())?;
        let now = self.clock.now();
        let secs =
            |t: jiff::Timestamp| JwtDuration::from_secs(u64::try_from(t.as_second()).unwrap_or(0));
        let exp = now
            .checked_add(JWT_VALIDITY)
            .map_err(|_| "date d'expiration impossible".to_string())?;
        let claims = JWTClaims {
            issued_at: Some(secs(now)),
            expires_at: Some(secs(exp)),
            invalid_before: Some(secs(now)),
            audiences: None,
            issuer: None,
            jwt_id: None,
            subject: Some(self.config.contact.clone()),
            nonce: None,
            custom: NoCustomClaims {},
        }
        .with_audience(format!("{}://{host}", url.scheme()));
        let pair = ES256KeyPair::from_bytes(&keys.private_key)
            .map_err(|_| "clé VAPID illisible".to_string())?;
        let auth_t = pair
            .sign(claims)
            .map_err(|_| "signature VAPID impossible".to_string())?;
        Ok(web_push::VapidSignature {
            auth_t,
            auth_k: keys.public_key.clone(),
        })
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
        let signature = self.vapid_signature(&keys, &subscription.endpoint)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates_within_bounds() {
        let now: jiff::Timestamp = "2026-03-11T09:30:00Z".parse().unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(retry_after("0", now), Some(MIN_RETRY_AFTER));
        assert_eq!(retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            retry_after("Wed, 11 Mar 2026 09:32:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        // A date already past: the shortest wait, never a tight loop.
        assert_eq!(
            retry_after("Wed, 11 Mar 2026 09:00:00 GMT", now),
            Some(MIN_RETRY_AFTER)
        );
        assert_eq!(retry_after("bientôt", now), None);
        assert_eq!(retry_after("", now), None);
        assert_eq!(retry_after("-5", now), None);
    }
}
