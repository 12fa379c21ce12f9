//! Rate limits on the sign-in routes (issue 3): per client address and per account,
//! with the `governor` crate (GCRA). A refused request gets 429 with `Retry-After`.
//!
//! Links carry 256 random bits, so guessing one is hopeless anyway; the limits keep a
//! client from hammering the routes and an account's link from being tried in a loop.
//!
//! Passkey sign-ins (issue 7) count FAILED verifications only, per (client address,
//! credential) ([`SignInLimits::failures_allow`], [`SignInLimits::record_failure`]):
//! a request with an attacker-chosen credential id or e-mail, or failures from another
//! address, never lock the owner out, and a genuine sign-in is not counted.

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests to `/acces/…` and `/installation/…` (GET or POST) one client address may
/// make: a burst of 300, then five a second. A whole class signing in at once from the
/// school's network shares one public address (and so does everyone behind a reverse
/// proxy not named with `--trust-proxy`): 30 students × (GET + POST + redirects) must
/// pass; hammering does not.
const PER_CLIENT_BURST: u32 = 300;
const PER_CLIENT_PERIOD: Duration = Duration::from_millis(200);
/// Sign-ins (POSTs) with one account's link: a burst of 10, then one a minute.
const PER_ACCOUNT_BURST: u32 = 10;
const PER_ACCOUNT_PERIOD: Duration = Duration::from_secs(60);
/// Failed passkey verifications per (client, credential): 10, then one a minute.
const FAILURE_BURST: u32 = 10;
const FAILURE_PERIOD: Duration = Duration::from_secs(60);
/// Above this many remembered keys, forgotten ones are pruned (bounds the memory).
const PRUNE_ABOVE: usize = 10_000;

/// The two keyed limiters of the sign-in routes.
pub struct SignInLimits {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<[u8; 32]>,
    failures: Mutex<HashMap<[u8; 32], Bucket>>,
}

/// A leaky bucket of failures: `level` failures as of `at`, draining one per
/// [`FAILURE_PERIOD`].
#[derive(Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
}

impl Bucket {
    fn level_at(self, now: Instant) -> f64 {
        let drained =
            now.saturating_duration_since(self.at).as_secs_f64() / FAILURE_PERIOD.as_secs_f64();
        (self.level - drained).max(0.0)
    }
}

fn quota(burst: u32, period: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_client: RateLimiter::keyed(quota(PER_CLIENT_BURST, PER_CLIENT_PERIOD)),
            per_account: RateLimiter::keyed(quota(PER_ACCOUNT_BURST, PER_ACCOUNT_PERIOD)),
            failures: Mutex::new(HashMap::new()),
        }
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Duration> {
    if limiter.len() > PRUNE_ABOVE {
        limiter.retain_recent();
    }
    limiter
        .check_key(key)
        .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

impl SignInLimits {
    /// Counts one request from `client`.
    ///
    /// # Errors
    /// How long to wait before the next request is accepted.
    pub fn check_client(&self, client: IpAddr) -> Result<(), Duration> {
        check(&self.per_client, &client)
    }

    /// Counts one sign-in with the link whose SHA-256 is `account`.
    ///
    /// # Errors
    /// How long to wait before the next sign-in with that link is accepted.
    pub fn check_account(&self, account: [u8; 32]) -> Result<(), Duration> {
        check(&self.per_account, &account)
    }

    /// Whether one more verification keyed `key` (SHA-256 of the client address and
    /// the credential) may be tried: `Ok` below [`FAILURE_BURST`] recent failures.
    /// Counts nothing (see [`SignInLimits::record_failure`]).
    ///
    /// # Errors
    /// How long to wait until one failure has drained.
    pub fn failures_allow(&self, key: [u8; 32]) -> Result<(), Duration> {
        self.failures_allow_at(key, Instant::now())
    }

    fn failures_allow_at(&self, key: [u8; 32], now: Instant) -> Result<(), Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let level = map.get(&key).map_or(0.0, |b| b.level_at(now));
        let excess = level - f64::from(FAILURE_BURST - 1);
        if excess > 0.0 {
            Err(FAILURE_PERIOD.mul_f64(excess).max(Duration::from_secs(1)))
        } else {
            Ok(())
        }
    }

    /// Counts one failed verification keyed `key`.
    pub fn record_failure(&self, key: [u8; 32]) {
        self.record_failure_at(key, Instant::now());
    }

    fn record_failure_at(&self, key: [u8; 32], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, b| b.level_at(now) > 0.0);
        }
        let level = map.get(&key).map_or(0.0, |b| b.level_at(now));
        map.insert(
            key,
            Bucket {
                level: level + 1.0,
                at: now,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_a_wait() {
        let limits = SignInLimits::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..PER_CLIENT_BURST {
            assert!(limits.check_client(a).is_ok());
        }
        let wait = limits.check_client(a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= PER_CLIENT_PERIOD,
            "{wait:?}"
        );
        assert!(
            limits.check_client(b).is_ok(),
            "other clients are not affected"
        );
    }

    #[test]
    fn an_account_gets_its_burst_then_a_wait() {
        let limits = SignInLimits::default();
        for _ in 0..PER_ACCOUNT_BURST {
            assert!(limits.check_account([7; 32]).is_ok());
        }
        assert!(limits.check_account([7; 32]).is_err());
        assert!(limits.check_account([8; 32]).is_ok());
    }

    #[test]
    fn only_recorded_failures_count_and_they_drain() {
        let limits = SignInLimits::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(
                limits.failures_allow_at([1; 32], t0).is_ok(),
                "peeking counts nothing"
            );
        }
        for _ in 0..FAILURE_BURST {
            assert!(limits.failures_allow_at([1; 32], t0).is_ok());
            limits.record_failure_at([1; 32], t0);
        }
        let wait = limits.failures_allow_at([1; 32], t0).unwrap_err();
        assert!(wait <= FAILURE_PERIOD, "{wait:?}");
        assert!(
            limits.failures_allow_at([2; 32], t0).is_ok(),
            "other keys unaffected"
        );
        assert!(
            limits
                .failures_allow_at([1; 32], t0 + FAILURE_PERIOD)
                .is_ok()
        );
    }
}
