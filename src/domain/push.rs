//! Web push, the pure part: a device's subscription as the browser gives it, the
//! server's VAPID key pair, and the notification with its payload (RFC 8030 Web Push,
//! RFC 8291 message encryption, RFC 8292 VAPID).
//!
//! Nothing here sends anything: [`crate::push`] encrypts, signs and posts.

use super::{PushSubscriptionId, Subject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest endpoint URL accepted (push services use a few hundred characters).
pub const MAX_ENDPOINT_CHARS: usize = 2048;

/// Devices one person may have subscribed at once: 10 (a phone, a tablet, a few
/// computers). Each message to a person is one POST per device: the cap keeps one
/// person from making Livret post hundreds of times per event. Re-subscribing a device
/// already counted (same endpoint) is always accepted.
pub const MAX_DEVICES_PER_PERSON: usize = 10;

/// Largest JSON payload sent, in bytes, before encryption. RFC 8030 §7.2 lets a push
/// service refuse more than 4096 bytes of encrypted body; RFC 8291's aes128gcm adds a
/// 86-byte header and a 17-byte tag and padding, and `web-push` refuses more than
/// 3052 bytes of plain text: 3000 stays under every limit.
pub const MAX_PAYLOAD_BYTES: usize = 3000;

/// One device's push subscription: where to post, and the keys the browser made to
/// decrypt (RFC 8291).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscription {
    /// Id of the subscription.
    pub id: PushSubscriptionId,
    /// The person whose device this is.
    pub subject: Subject,
    /// The push service URL (`https://…`, or `http://127.0.0.1…`/`http://localhost…`
    /// for tests). It is a capability: never logged.
    pub endpoint: String,
    /// The browser's public key, base64url (no padding) of a 65-byte uncompressed
    /// P-256 point (`0x04 ‖ X ‖ Y`).
    pub p256dh: String,
    /// The authentication secret, base64url (no padding) of 16 bytes.
    pub auth: String,
    /// [`VapidKeys::id`] of the server key the browser subscribed with
    /// (`applicationServerKey`): after a rotation, the page re-subscribes a device
    /// whose key id is not the current one.
    pub vapid_key_id: String,
    /// When the subscription was stored.
    pub created_at: Timestamp,
    /// Last message the push service accepted (201/202), if any.
    pub last_success: Option<Timestamp>,
}

/// The server's VAPID key pair (RFC 8292), kept in the store. The private key never
/// leaves the server; the public key is the page's `applicationServerKey`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VapidKeys {
    /// A short id of this key pair: the first 8 bytes of SHA-256 of the public key,
    /// in hexadecimal (16 characters).
    pub id: String,
    /// The P-256 private scalar, 32 raw bytes.
    pub private_key: Vec<u8>,
    /// The public key, 65-byte uncompressed point.
    pub public_key: Vec<u8>,
    /// When the pair was made.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys")
            .field("id", &self.id)
            .field("public_key", &self.public_key_base64())
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl VapidKeys {
    /// The key id of a public key (see [`VapidKeys::id`]).
    pub fn id_of(public_key: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(public_key)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The public key in base64url without padding (87 characters), as the page's
    /// `applicationServerKey` and the `k=` of the VAPID header.
    pub fn public_key_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.public_key)
    }

    /// The private key in base64url without padding, as `web-push` reads it.
    pub fn private_key_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.private_key)
    }
}

/// A subscription as `JSON.stringify(pushSubscription)` gives it in the browser
/// (`PushSubscription.toJSON()`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionJson {
    /// The push service URL.
    pub endpoint: String,
    /// Milliseconds since the epoch, or null (most browsers).
    #[serde(default)]
    pub expiration_time: Option<f64>,
    /// The keys.
    pub keys: SubscriptionKeysJson,
}

/// The `keys` member of [`SubscriptionJson`].
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionKeysJson {
    /// base64url of the browser's public key.
    pub p256dh: String,
    /// base64url of the authentication secret.
    pub auth: String,
}

/// The checked parts of a subscription, before it gets an id and an owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSubscription {
    /// The endpoint URL.
    pub endpoint: String,
    /// base64url (no padding) of the 65-byte public key.
    pub p256dh: String,
    /// base64url (no padding) of the 16-byte secret.
    pub auth: String,
}

impl ValidSubscription {
    /// The subscription of `subject`, made with the server key `vapid_key_id`, at `now`.
    pub fn into_subscription(
        self,
        subject: Subject,
        vapid_key_id: &str,
        now: Timestamp,
    ) -> PushSubscription {
        PushSubscription {
            id: PushSubscriptionId::new(),
            subject,
            endpoint: self.endpoint,
            p256dh: self.p256dh,
            auth: self.auth,
            vapid_key_id: vapid_key_id.to_string(),
            created_at: now,
            last_success: None,
        }
    }
}

fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// True for an IP address the server must never post to (except, on a trial instance,
/// loopback: see [`reachable_addrs`]): private (10/8, 172.16/12, 192.168/16), shared
/// (100.64/10, RFC 6598), loopback (127/8, ::1), link-local (169.254/16, fe80::/10),
/// unique-local (fc00::/7), unspecified (0.0.0.0/8, ::) and broadcast; an IPv4-mapped
/// or IPv4-compatible IPv6 address is judged by its IPv4 address. Used both on the
/// endpoint's IP literal ([`check_endpoint`]) and on the addresses a host name
/// resolves to when the sender connects (`crate::push`).
pub fn internal_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4() {
                return internal_ip(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The addresses among `addrs` (what a push service's host name resolved to) that the
/// sender may connect to: the public ones; with `loopback_allowed` (a trial instance
/// served on `http://localhost`, see [`trial_instance`]) loopback ones too, and only
/// those of the other internal ranges stay refused. Empty when the name designates
/// only the school's network or the machine itself: the delivery is then refused
/// (SSRF defence at connect time: a name like `127.0.0.1.nip.io` or `intranet` passes
/// [`check_endpoint`], which does not resolve names).
pub fn reachable_addrs(
    addrs: impl IntoIterator<Item = std::net::SocketAddr>,
    loopback_allowed: bool,
) -> Vec<std::net::SocketAddr> {
    addrs
        .into_iter()
        .filter(|a| {
            let ip = a.ip();
            let loopback = match ip {
                std::net::IpAddr::V4(v4) => v4.is_loopback(),
                std::net::IpAddr::V6(v6) => {
                    v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
                }
            };
            !internal_ip(ip) || (loopback_allowed && loopback)
        })
        .collect()
}

/// A host name as compared with the reserved names: lower case, without the trailing
/// dot of a fully-qualified name (`LOCALHOST.` and `localhost` are the same host).
pub fn normalized_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// True for a host name that designates this machine or a private network, whatever
/// it resolves to: `localhost` and `*.localhost` (RFC 6761 §6.3), `*.local` (mDNS,
/// RFC 6762), `*.home.arpa` (RFC 8375), `*.internal` (reserved for private use), and
/// a name without a dot (`intranet`: completed by the machine's search domains).
/// `host` is [`normalized_host`]'s form.
fn internal_name(host: &str) -> bool {
    let under = |zone: &str| host == zone || host.ends_with(&format!(".{zone}"));
    !host.contains('.')
        || under("localhost")
        || under("local")
        || under("home.arpa")
        || under("internal")
}

/// Checks an endpoint: `https://` with a host, or `http://` to 127.0.0.1, `[::1]` or
/// localhost (a push service on loopback, for tests), at most
/// [`MAX_ENDPOINT_CHARS`] characters, no user name or password.
///
/// The server posts to this address, so an `https` endpoint whose host is an IP
/// literal in an internal range (see [`internal_ip`]) or a name reserved for this
/// machine or a private network (`localhost`, `*.localhost`, `*.local`,
/// `*.home.arpa`, `*.internal`, a name without a dot), compared lower-case and
/// without a trailing dot (`LOCALHOST.`), is refused, lest a forged subscription make
/// Livret reach into the school's network (SSRF). Other names are not resolved here
/// (the domain is pure): the sender refuses at connect time a name that resolves to
/// internal addresses only ([`reachable_addrs`]).
///
/// # Errors
/// A French message saying what is wrong.
pub fn check_endpoint(endpoint: &str) -> Result<String, String> {
    let endpoint = endpoint.trim();
    if endpoint.is_empty() {
        return Err("l'abonnement ne donne pas d'adresse de service de notification".into());
    }
    if endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err("l'adresse du service de notification est trop longue".into());
    }
    let url = url::Url::parse(endpoint).map_err(|_| {
        "l'adresse du service de notification n'est pas une adresse web".to_string()
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "l'adresse du service de notification ne doit pas contenir d'identifiants".into(),
        );
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => normalized_host(d) == "localhost",
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    };
    let internal = match url.host() {
        Some(url::Host::Ipv4(ip)) => internal_ip(ip.into()),
        Some(url::Host::Ipv6(ip)) => internal_ip(ip.into()),
        Some(url::Host::Domain(d)) => internal_name(&normalized_host(d)),
        None => false,
    };
    match url.scheme() {
        "https" if internal => Err(
            "l'adresse du service de notification désigne le réseau interne : seul un service de notification public est accepté".into(),
        ),
        "https" if url.host().is_some() => Ok(endpoint.to_string()),
        "http" if loopback => Ok(endpoint.to_string()),
        _ => Err("l'adresse du service de notification doit commencer par https://".into()),
    }
}

/// True when Livret is served on plain `http` to this machine (`http://localhost…`,
/// `http://127.0.0.1…`, `http://[::1]…`): a trial or test instance, the only kind that
/// accepts a push service on loopback (see [`is_loopback_http`]) and lets the sender
/// connect to loopback addresses ([`reachable_addrs`]).
pub fn trial_instance(public_url: &str) -> bool {
    url::Url::parse(public_url).is_ok_and(|u| {
        u.scheme() == "http"
            && match u.host() {
                Some(url::Host::Domain(d)) => normalized_host(d) == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            }
    })
}

/// True for an endpoint on plain `http` (only loopback passes [`check_endpoint`]):
/// a test push service. The subscription API accepts it only when Livret itself is
/// served on `http://localhost` (a trial or test instance), never on a real install,
/// where it would let a signed-in person make the server post to its own machine's
/// other services.
pub fn is_loopback_http(endpoint: &str) -> bool {
    endpoint.trim_start().starts_with("http://")
}

/// Checks a subscription as the browser's `PushSubscription.toJSON()` gives it:
/// endpoint (see [`check_endpoint`]), `keys.p256dh` a base64url 65-byte uncompressed
/// SEC1 point (first byte 0x04) that lies on the P-256 curve (RFC 8291 §3.1: the
/// server derives the encryption key from it; 65 bytes off the curve would make every
/// message fail), `keys.auth` base64url of 16 bytes. The keys are returned re-encoded
/// without padding.
///
/// # Errors
/// A French message saying what is wrong (one at a time).
pub fn validate_subscription(json: &SubscriptionJson) -> Result<ValidSubscription, String> {
    let endpoint = check_endpoint(&json.endpoint)?;
    let p256dh = decode_b64url(&json.keys.p256dh)
        .filter(|k| k.len() == 65 && k[0] == 0x04)
        .ok_or_else(|| {
            "la clé publique de l'abonnement (p256dh) est invalide : il faut une clé P-256 de 65 octets en base64url".to_string()
        })?;
    if p256::PublicKey::from_sec1_bytes(&p256dh).is_err() {
        return Err(
            "la clé publique de l'abonnement (p256dh) est invalide : ce n'est pas un point de la courbe P-256".into(),
        );
    }
    let auth = decode_b64url(&json.keys.auth)
        .filter(|k| k.len() == 16)
        .ok_or_else(|| {
            "le secret de l'abonnement (auth) est invalide : il faut 16 octets en base64url"
                .to_string()
        })?;
    Ok(ValidSubscription {
        endpoint,
        p256dh: URL_SAFE_NO_PAD.encode(p256dh),
        auth: URL_SAFE_NO_PAD.encode(auth),
    })
}

/// Parses and checks the JSON text of a subscription (see [`validate_subscription`]).
///
/// # Errors
/// A French message when the text is not a subscription or a part is invalid.
pub fn parse_subscription(text: &str) -> Result<ValidSubscription, String> {
    let json: SubscriptionJson = serde_json::from_str(text)
        .map_err(|_| "l'abonnement envoyé par le navigateur est illisible".to_string())?;
    validate_subscription(&json)
}

/// How urgent a message is: the `Urgency` header of RFC 8030 §5.3. The push service
/// may hold back low-urgency messages while the device saves battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Urgency {
    /// `very-low`: delivered when the device is on power and Wi-Fi.
    VeryLow,
    /// `low`: delivered on power or Wi-Fi.
    Low,
    /// `normal`: delivered unless the battery is low (the default for reviews).
    Normal,
    /// `high`: delivered even on low battery (not used: nothing in Livret is that urgent).
    High,
}

impl Urgency {
    /// The header value (RFC 8030 §5.3).
    pub fn header(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// Default time to live: how long, in seconds, the push service keeps a message for a
/// device that is offline (`TTL` header, RFC 8030 §5.2): 4 days, so a tutor away for a
/// long week-end still gets "activités à relire"; past that the e-mail digest covers it.
pub const DEFAULT_TTL_SECONDS: u32 = 4 * 24 * 3600;

/// What a device shows: a title, a body, the page opened when it is tapped, and a tag
/// (a later notification with the same tag replaces the earlier one on the device, and
/// a message still queued at the push service with the same `Topic` is replaced too,
/// RFC 8030 §5.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Title, for example « Activités à relire ».
    pub title: String,
    /// Body, for example « 3 activités de Denis à relire ». Truncated when the payload
    /// would be too large.
    pub body: String,
    /// The page opened on tap: a same-origin absolute path (`/stages/…`), never cut.
    pub url: String,
    /// The tag: 1 to 32 characters of the base64url alphabet, so it is also a valid
    /// RFC 8030 `Topic`.
    pub tag: String,
    /// Urgency (RFC 8030 §5.3).
    pub urgency: Urgency,
    /// Time to live in seconds (RFC 8030 §5.2).
    pub ttl_seconds: u32,
}

/// The payload could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The URL is not a same-origin path.
    #[error("l'adresse de la notification doit être un chemin du site (commençant par /)")]
    BadUrl,
    /// The tag is empty, longer than 32 characters or outside base64url.
    #[error("l'étiquette de la notification doit compter 1 à 32 caractères A-Z a-z 0-9 - _")]
    BadTag,
    /// Even with an empty body and title the payload is too large (a huge URL).
    #[error("la notification est trop longue")]
    TooLarge,
}

/// True when `tag` is 1 to 32 base64url characters (a valid RFC 8030 `Topic`).
pub fn valid_tag(tag: &str) -> bool {
    (1..=32).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True when `url` is a same-origin absolute path: starts with one `/`, not `//` or
/// `/\`, and has no control character or backslash.
pub fn same_origin_path(url: &str) -> bool {
    url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(char::is_control)
}

#[derive(Serialize)]
struct Payload<'a> {
    title: &'a str,
    body: &'a str,
    url: &'a str,
    tag: &'a str,
}

/// `s` cut to `chars` characters, the last being « … » when something was cut.
fn cut(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        return s.to_string();
    }
    if chars == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The payload `encode` gives for the longest cut of `text` that fits (the empty cut
/// is known to fit).
fn longest(
    text: &str,
    encode: impl Fn(&str) -> Result<Vec<u8>, PayloadError>,
) -> Result<Vec<u8>, PayloadError> {
    let (mut lo, mut hi) = (0usize, text.chars().count());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if encode(&cut(text, mid))?.len() <= MAX_PAYLOAD_BYTES {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    encode(&cut(text, lo))
}

impl Notification {
    /// A notification with [`Urgency::Normal`] and [`DEFAULT_TTL_SECONDS`].
    pub fn new(
        title: impl Into<String>,
        body: impl Into<String>,
        url: impl Into<String>,
        tag: impl Into<String>,
    ) -> Notification {
        Notification {
            title: title.into(),
            body: body.into(),
            url: url.into(),
            tag: tag.into(),
            urgency: Urgency::Normal,
            ttl_seconds: DEFAULT_TTL_SECONDS,
        }
    }

    /// The JSON payload the service worker reads:
    /// `{"title":…,"body":…,"url":…,"tag":…}`, at most [`MAX_PAYLOAD_BYTES`] bytes.
    /// When too large, the body is cut (ending with « … »), then the title; the URL
    /// and tag are never cut.
    ///
    /// # Errors
    /// [`PayloadError::BadUrl`] for a URL that is not a same-origin path,
    /// [`PayloadError::BadTag`] for an invalid tag, [`PayloadError::TooLarge`] when
    /// the URL alone does not fit.
    pub fn payload(&self) -> Result<Vec<u8>, PayloadError> {
        if !same_origin_path(&self.url) {
            return Err(PayloadError::BadUrl);
        }
        if !valid_tag(&self.tag) {
            return Err(PayloadError::BadTag);
        }
        let encode = |title: &str, body: &str| {
            serde_json::to_vec(&Payload {
                title,
                body,
                url: &self.url,
                tag: &self.tag,
            })
            .map_err(|_| PayloadError::TooLarge)
        };
        let fits = |v: &Vec<u8>| v.len() <= MAX_PAYLOAD_BYTES;
        let full = encode(&self.title, &self.body)?;
        if fits(&full) {
            return Ok(full);
        }
        // Cut the body as little as needed (binary search on its length in
        // characters); when even an empty body is too much, drop it and cut the title.
        if fits(&encode(&self.title, "")?) {
            return longest(&self.body, |b| encode(&self.title, b));
        }
        if fits(&encode("", "")?) {
            return longest(&self.title, |t| encode(t, ""));
        }
        Err(PayloadError::TooLarge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(endpoint: &str, p256dh: &str, auth: &str) -> String {
        format!(
            r#"{{"endpoint":"{endpoint}","expirationTime":null,"keys":{{"p256dh":"{p256dh}","auth":"{auth}"}}}}"#
        )
    }

    /// The generator of P-256, uncompressed: a valid point.
    const G: &str = "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key65() -> String {
        URL_SAFE_NO_PAD.encode(hex(G))
    }

    #[test]
    fn a_browser_subscription_is_accepted() {
        let auth = URL_SAFE_NO_PAD.encode([1u8; 16]);
        let s = parse_subscription(&json(
            "https://fcm.googleapis.com/fcm/send/abc",
            &key65(),
            &auth,
        ))
        .unwrap();
        assert_eq!(s.endpoint, "https://fcm.googleapis.com/fcm/send/abc");
        assert_eq!(s.auth, auth);
        // Padding is accepted and dropped.
        let padded = format!("{auth}==");
        let s = parse_subscription(&json("http://127.0.0.1:9/p", &key65(), &padded)).unwrap();
        assert_eq!(s.auth, auth);
    }

    #[test]
    fn bad_subscriptions_are_refused_in_french() {
        let auth = URL_SAFE_NO_PAD.encode([1u8; 16]);
        let bad = [
            json("http://push.example/x", &key65(), &auth),
            json("ftp://push.example/x", &key65(), &auth),
            json("https://user:pw@push.example/x", &key65(), &auth),
            json("https://push.example/x", "AAAA", &auth),
            json(
                "https://push.example/x",
                &URL_SAFE_NO_PAD.encode([5u8; 65]),
                &auth,
            ),
            json("https://push.example/x", &key65(), "AAAA"),
        ];
        for b in bad {
            let e = parse_subscription(&b).unwrap_err();
            assert!(e.starts_with("l"), "{e}");
        }
        assert!(parse_subscription("{}").is_err());
        // 65 bytes starting with 0x04 but not a point of the curve: every send would
        // fail, so it is refused with its own message.
        let mut off_curve = vec![4u8];
        off_curve.extend([7u8; 64]);
        let e = parse_subscription(&json(
            "https://push.example/x",
            &URL_SAFE_NO_PAD.encode(&off_curve),
            &auth,
        ))
        .unwrap_err();
        assert!(e.contains("pas un point de la courbe P-256"), "{e}");
        let mut g = hex(G);
        g[64] ^= 1;
        let e = parse_subscription(&json(
            "https://push.example/x",
            &URL_SAFE_NO_PAD.encode(&g),
            &auth,
        ))
        .unwrap_err();
        assert!(e.contains("courbe"), "{e}");
        let long = format!("https://push.example/{}", "a".repeat(MAX_ENDPOINT_CHARS));
        assert!(parse_subscription(&json(&long, &key65(), &auth)).is_err());
    }

    #[test]
    fn internal_addresses_are_refused_over_https() {
        let auth = URL_SAFE_NO_PAD.encode([1u8; 16]);
        for endpoint in [
            "https://10.0.0.1/push",
            "https://172.16.5.4/push",
            "https://172.31.255.255/push",
            "https://192.168.1.10:8443/push",
            "https://100.64.0.1/push",
            "https://127.0.0.1/push",
            "https://127.8.9.10/push",
            "https://169.254.169.254/latest/meta-data",
            "https://0.0.0.0/push",
            "https://255.255.255.255/push",
            "https://[::1]/push",
            "https://[::]/push",
            "https://[fd12:3456::1]/push",
            "https://[fc00::1]/push",
            "https://[fe80::1]/push",
            "https://[::ffff:10.1.2.3]/push",
            "https://[::ffff:169.254.169.254]/push",
            // Other spellings of an IPv4 address are normalised by the URL parser.
            "https://0x7f.1/push",
            "https://2130706433/push",
            "https://012.0.0.1/push",
            "https://localhost/push",
            "https://push.localhost:8443/push",
            // Upper case and the trailing dot of a fully-qualified name: the same hosts.
            "https://localhost.:8443/x",
            "https://LOCALHOST./x",
            "https://LocalHost/x",
            "https://foo.localhost./x",
            "https://127.0.0.1./x",
            // Names of this machine's networks, whatever they resolve to.
            "https://intranet/x",
            "https://intranet./x",
            "https://imprimante.local/x",
            "https://box.home.arpa/x",
            "https://push.corp.internal/x",
        ] {
            let e = parse_subscription(&json(endpoint, &key65(), &auth)).expect_err(endpoint);
            assert!(e.contains("réseau interne"), "{endpoint}: {e}");
        }
        // Public addresses and host names stay accepted, and so does loopback over
        // plain http (the tests' push service).
        for endpoint in [
            "https://8.8.8.8/push",
            "https://172.32.0.1/push",
            "https://100.128.0.1/push",
            "https://[2001:4860:4860::8888]/push",
            "https://updates.push.services.mozilla.com/wpush/v2/abc",
            "https://web.push.apple.com/QGx",
            "http://127.0.0.1:8080/push/x",
            "http://localhost:9/p",
            "http://localhost.:9/p",
            "http://[::1]:9/p",
            "https://localhost.example.org/push",
            "https://local.example.org/push",
        ] {
            assert!(
                parse_subscription(&json(endpoint, &key65(), &auth)).is_ok(),
                "{endpoint}"
            );
        }
        // Plain http elsewhere is still refused, private or not.
        for endpoint in ["http://10.0.0.1/push", "http://192.168.0.1/push"] {
            let e = parse_subscription(&json(endpoint, &key65(), &auth)).unwrap_err();
            assert!(e.contains("https://"), "{endpoint}: {e}");
        }
    }

    #[test]
    fn the_resolver_keeps_only_public_addresses() {
        use std::net::SocketAddr;
        let addrs: Vec<SocketAddr> = [
            "127.0.0.1:443",
            "[::1]:443",
            "[::ffff:127.0.0.1]:443",
            "10.1.2.3:443",
            "192.168.0.4:443",
            "169.254.169.254:80",
            "[fd00::1]:443",
            "[fe80::1]:443",
            "0.0.0.0:443",
            "142.250.74.10:443",
            "[2a00:1450:4007:80c::200a]:443",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        let public: Vec<SocketAddr> = ["142.250.74.10:443", "[2a00:1450:4007:80c::200a]:443"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert_eq!(reachable_addrs(addrs.clone(), false), public);
        // Only internal addresses: nothing to connect to.
        assert!(reachable_addrs(addrs[..9].to_vec(), false).is_empty());
        // A trial instance reaches loopback, never the rest of the network.
        let trial = reachable_addrs(addrs.clone(), true);
        assert_eq!(&trial[..3], &addrs[..3]);
        assert_eq!(&trial[3..], &public[..]);
    }

    #[test]
    fn only_a_local_http_instance_is_a_trial_instance() {
        for url in [
            "http://localhost:8080",
            "http://LOCALHOST.:8080",
            "http://127.0.0.1:18000",
            "http://[::1]:80",
        ] {
            assert!(trial_instance(url), "{url}");
        }
        for url in [
            "https://livret.lycee.fr",
            "https://localhost:8443",
            "http://livret.lycee.fr",
            "http://192.168.1.10:8080",
        ] {
            assert!(!trial_instance(url), "{url}");
        }
    }

    #[test]
    fn the_payload_stays_small_and_keeps_the_url() {
        let url = format!("/stages/{}", "x".repeat(200));
        let n = Notification::new("Activités à relire", "é".repeat(5000), &url, "review-1");
        let p = n.payload().unwrap();
        assert!(p.len() <= MAX_PAYLOAD_BYTES, "{}", p.len());
        let v: serde_json::Value = serde_json::from_slice(&p).unwrap();
        assert_eq!(v["url"], url.as_str());
        assert_eq!(v["tag"], "review-1");
        assert!(v["body"].as_str().unwrap().ends_with('…'));
        // Grown back as far as it fits: one more character would not.
        assert!(p.len() > MAX_PAYLOAD_BYTES - 4);

        let small = Notification::new("T", "B", "/", "t").payload().unwrap();
        assert_eq!(
            small,
            br#"{"title":"T","body":"B","url":"/","tag":"t"}"#.to_vec()
        );
        let huge_title = Notification::new("t".repeat(4000), "b", "/", "t")
            .payload()
            .unwrap();
        assert!(huge_title.len() <= MAX_PAYLOAD_BYTES);
    }

    #[test]
    fn urls_and_tags_are_checked() {
        for url in ["https://evil.example/", "//evil.example/", "/\\evil", "x"] {
            assert_eq!(
                Notification::new("T", "B", url, "t").payload(),
                Err(PayloadError::BadUrl)
            );
        }
        for tag in ["", "a b", &"a".repeat(33), "é"] {
            assert_eq!(
                Notification::new("T", "B", "/", tag).payload(),
                Err(PayloadError::BadTag)
            );
        }
        let too_long = format!("/{}", "a".repeat(MAX_PAYLOAD_BYTES));
        assert_eq!(
            Notification::new("T", "B", too_long, "t").payload(),
            Err(PayloadError::TooLarge)
        );
    }

    #[test]
    fn the_key_id_is_16_hex_characters() {
        let id = VapidKeys::id_of(&[4u8; 65]);
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
