//! Who is asking, and over what (issue 9): the client's address and scheme as a
//! trusted reverse proxy reports them, and HSTS on answers that reached the browser
//! over HTTPS.
//!
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the TCP peer is in
//! `--trust-proxy`'s ranges: from anyone else they are ignored, so a forged header
//! cannot dodge the per-address rate limits of the sign-in routes. Handlers read the
//! result with the [`ClientAddr`] extractor, never poem's `RemoteAddr`.

use crate::config::{Config, ProxyRange};
use poem::http::uri::Scheme;
use poem::http::{HeaderMap, HeaderValue};
use poem::{Endpoint, FromRequest, IntoResponse, Request, RequestBody, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// `Strict-Transport-Security` value: one year (RFC 6797), without `includeSubDomains`
/// (the school's other sites under the same domain are not ours to constrain) nor
/// `preload`.
pub const HSTS: &str = "max-age=31536000";

/// Settings of [`forwarded`].
#[derive(Clone, Debug, Default)]
pub struct Proxy {
    /// Peers whose forwarding headers are believed (`Operations::trust_proxy`).
    trusted: Arc<[ProxyRange]>,
    /// The public URL is `https`: a trusted proxy that sends no `X-Forwarded-Proto`
    /// is taken to serve it as announced.
    public_https: bool,
}

impl Proxy {
    /// The settings of `config`: its trusted proxies and its public URL's scheme.
    pub fn from_config(config: &Config) -> Proxy {
        Proxy {
            trusted: config.ops.trust_proxy.clone().into(),
            public_https: config.secure(),
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|r| r.contains(ip))
    }
}

/// The client's IP address as Livret believes it (see the module doc): put in the
/// request's extensions by [`forwarded`]; without it (an app built without that
/// middleware), the TCP peer's address. `None` for a peer without an IP address (a
/// Unix socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address, if any.
    pub fn ip(&self) -> Option<IpAddr> {
        self.0
    }
}

impl<'a> FromRequest<'a> for ClientAddr {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(req
            .extensions()
            .get::<ClientAddr>()
            .copied()
            .unwrap_or_else(|| ClientAddr(peer_ip(req))))
    }
}

fn peer_ip(req: &Request) -> Option<IpAddr> {
    req.remote_addr().as_socket_addr().map(|a| a.ip())
}

/// Reads one address of `X-Forwarded-For`: `192.0.2.1`, `2001:db8::1`, and the forms
/// with a port some proxies write (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn parse_forwarded(item: &str) -> Option<IpAddr> {
    let item = item.trim();
    item.parse::<IpAddr>()
        .ok()
        .or_else(|| item.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            item.strip_prefix('[')
                .and_then(|i| i.strip_suffix(']'))
                .and_then(|i| i.parse().ok())
        })
}

/// The client's address behind trusted proxies: `peer` is the TCP peer (already known
/// to be trusted), `forwarded_for` the `X-Forwarded-For` values in the order they
/// came (each a comma-separated list, the nearest proxy's addition last).
///
/// Walks the list from the right and returns the first address that is not itself a
/// trusted proxy: everything left of it was written by the client and may be forged.
/// When every address is trusted (a request from the proxy's own machine), the
/// left-most one; without the header, or when an item cannot be read before an
/// untrusted address is met, the last trusted address seen (at worst `peer`).
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[ProxyRange]) -> IpAddr {
    let mut last = peer;
    let items = forwarded_for.iter().flat_map(|v| v.split(',')).rev();
    for item in items {
        if item.trim().is_empty() {
            continue;
        }
        let Some(ip) = parse_forwarded(item) else {
            return last;
        };
        if !trusted.iter().any(|r| r.contains(ip)) {
            return ip;
        }
        last = ip;
    }
    last
}

/// The right-most `X-Forwarded-Proto` value (the nearest proxy's), lower-cased.
fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .rfind(|v| !v.is_empty())
}

/// Wraps the whole application (outside [`super::middleware::guard`], so that its
/// refusals get HSTS too): decides the client's address ([`ClientAddr`], from
/// `X-Forwarded-For` only when the TCP peer is a trusted proxy) and whether the
/// browser reached Livret over HTTPS (Livret's own TLS, or a trusted proxy's
/// `X-Forwarded-Proto: https`, or, without that header, an `https` public URL); if
/// so, every answer gets `Strict-Transport-Security` ([`HSTS`]).
pub async fn forwarded<E: Endpoint>(
    next: E,
    mut req: Request,
    proxy: Proxy,
) -> poem::Result<Response> {
    let peer = peer_ip(&req);
    let from_proxy = peer.is_some_and(|ip| proxy.trusts(ip));
    let (client, https) = match peer {
        Some(ip) if from_proxy => {
            let values: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let client = client_address(ip, &values, &proxy.trusted);
            let https = match forwarded_proto(req.headers()) {
                Some(proto) => proto == "https",
                None => proxy.public_https,
            };
            (Some(client), https)
        }
        other => (other, false),
    };
    let https = https || *req.scheme() == Scheme::HTTPS;
    req.extensions_mut().insert(ClientAddr(client));
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    if https {
        resp.headers_mut()
            .insert("strict-transport-security", HeaderValue::from_static(HSTS));
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(list: &str) -> Vec<ProxyRange> {
        ProxyRange::parse_list(list).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_address() {
        let trusted = ranges("10.0.0.0/8");
        let proxy = ip("10.0.0.2");
        // A forged left part is ignored: the proxy appended the real peer.
        assert_eq!(
            client_address(proxy, &["1.2.3.4, 198.51.100.7"], &trusted),
            ip("198.51.100.7")
        );
        // Two trusted proxies in a row are skipped.
        assert_eq!(
            client_address(proxy, &["203.0.113.5, 10.1.1.1, 10.0.0.9"], &trusted),
            ip("203.0.113.5")
        );
        // Several headers count as one list, in order.
        assert_eq!(
            client_address(proxy, &["6.6.6.6", "203.0.113.5, 10.1.1.1"], &trusted),
            ip("203.0.113.5")
        );
        // Ports and brackets some proxies write.
        assert_eq!(
            client_address(proxy, &["203.0.113.5:4711"], &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_address(proxy, &["[2001:db8::1]:4711"], &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(proxy, &["[2001:db8::1]"], &trusted),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn without_a_usable_header_the_nearest_trusted_address_counts() {
        let trusted = ranges("10.0.0.0/8, ::1");
        let proxy = ip("10.0.0.2");
        assert_eq!(client_address(proxy, &[], &trusted), proxy);
        assert_eq!(client_address(proxy, &[""], &trusted), proxy);
        // Everything trusted (a request from the proxy's own machine): the left-most.
        assert_eq!(
            client_address(proxy, &["10.9.9.9, 10.0.0.3"], &trusted),
            ip("10.9.9.9")
        );
        // Garbage where a trusted proxy should have written an address: stop there,
        // never believe what lies to its left.
        assert_eq!(
            client_address(proxy, &["198.51.100.7, unknown, 10.0.0.3"], &trusted),
            ip("10.0.0.3")
        );
        assert_eq!(client_address(proxy, &["unknown"], &trusted), proxy);
    }

    #[test]
    fn the_nearest_proxy_says_the_scheme() {
        let mut h = HeaderMap::new();
        assert_eq!(forwarded_proto(&h), None);
        h.append("x-forwarded-proto", HeaderValue::from_static("http, HTTPS"));
        assert_eq!(forwarded_proto(&h).as_deref(), Some("https"));
        h.append("x-forwarded-proto", HeaderValue::from_static("http"));
        assert_eq!(forwarded_proto(&h).as_deref(), Some("http"));
    }
}
