//! Cross-cutting request rules: security headers on every answer, same-origin check on
//! every state change, and the body size limit.

use crate::error::Error;
use poem::http::{HeaderValue, Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};

/// The Content-Security-Policy of every answer: only our own scripts, styles and images,
/// no inline script, no framing, forms post only to us.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Settings of [`guard`].
#[derive(Clone, Debug)]
pub struct Guard {
    /// Origin that state-changing requests must come from (`scheme://host[:port]`).
    pub public_origin: String,
    /// Largest body accepted, in bytes.
    pub max_body_bytes: usize,
}

fn same_origin(req: &Request, guard: &Guard) -> bool {
    // Browsers send Sec-Fetch-Site on every request; only "same-origin" and "none"
    // (typed URL, bookmark) may change state.
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(origin) => {
            origin == guard.public_origin
                || req
                    .headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|host| {
                        origin == format!("http://{host}") || origin == format!("https://{host}")
                    })
        }
    }
}

/// Wraps the whole application: refuses cross-site state changes (403) and bodies
/// announced larger than the limit (413), then adds the security headers.
pub async fn guard<E: Endpoint>(next: E, req: Request, guard: Guard) -> poem::Result<Response> {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut resp = if changes_state && !same_origin(&req, &guard) {
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .unwrap_or("-")
                .to_string()
        };
        tracing::warn!(
            path = req.uri().path(),
            origin = header("origin"),
            sec_fetch_site = header("sec-fetch-site"),
            expected = guard.public_origin,
            "POST refusé : il ne vient pas de l'adresse publique de Livret (vérifiez --public-url derrière un proxy)"
        );
        Error::CrossSite.into_response_page()
    } else if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > guard.max_body_bytes)
    {
        Error::PayloadTooLarge.into_response_page()
    } else {
        match next.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        }
    };
    let h = resp.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    // Pages are personal: never kept by the browser's HTTP cache (so "Back" after
    // signing out on a shared computer shows nothing). Assets set their own policy.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Ok(resp)
}

impl Error {
    /// The French error page for this error, as a response.
    pub fn into_response_page(self) -> Response {
        poem::Error::from(self).into_response()
    }
}
