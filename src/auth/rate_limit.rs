//! Rate limits on the sign-in routes (issue 3): per client address and per account,
//! with the `governor` crate (GCRA). A refused request gets 429 with `Retry-After`.
//!
//! Links carry 256 random bits, so guessing one is hopeless anyway; the limits keep a
//! client from hammering the routes and an account's link from being tried in a loop.

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Requests to `/acces/…` and `/installation/…` (GET or POST) one client address may
/// make: a burst of 300, then five a second. A whole class signing in at once from the
/// school's network shares one public address (and, until `--trust-proxy` exists, so
/// does everyone behind a reverse proxy): 30 students × (GET + POST + redirects) must
/// pass; hammering does not.
const PER_CLIENT_BURST: u32 = 300;
const PER_CLIENT_PERIOD: Duration = Duration::from_millis(200);
/// Sign-ins (POSTs) with one account's link: a burst of 10, then one a minute.
const PER_ACCOUNT_BURST: u32 = 10;
const PER_ACCOUNT_PERIOD: Duration = Duration::from_secs(60);
/// Above this many remembered keys, forgotten ones are pruned (bounds the memory).
const PRUNE_ABOVE: usize = 10_000;

/// The two keyed limiters of the sign-in routes.
pub struct SignInLimits {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<[u8; 32]>,
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
}
