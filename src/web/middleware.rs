//! Cross-cutting request rules: security headers on every answer, same-origin check on
//! every state change, and the body size limit.

use crate::error::Error;
use poem::http::{HeaderValue, Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};

/// The Content-Security-Policy of every answer: only our own scripts, styles and images,
/// no inline script, no framing, forms post only to us.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Largest body accepted on the import routes (`/coordination/import…` and
/// `/coordination/referentiels…`), in bytes: 2 MiB, for the uploaded files (a class
/// list of a whole school is a few hundred KiB at most). Every other route keeps
/// `Config::max_body_bytes`.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// True for the paths whose body may reach [`MAX_UPLOAD_BYTES`].
pub fn is_upload_path(path: &str) -> bool {
    ["/coordination/import", "/coordination/referentiels"]
        .iter()
        .any(|prefix| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

/// Settings of [`guard`].
#[derive(Clone, Debug)]
pub struct Guard {
    /// Origin that state-changing requests must come from (`scheme://host[:port]`).
    pub public_origin: String,
    /// Largest body accepted, in bytes.
    pub max_body_bytes: usize,
}

/// Paths whose next segment is a secret (a personal link, the installation link).
pub const SECRET_PREFIXES: [&str; 2] = ["/acces/", "/installation/"];

/// The path as it may appear in logs: the secret of a personal or installation link is
/// replaced by `…` (issue 3: "the token never appears in logs").
pub fn loggable_path(path: &str) -> String {
    for prefix in SECRET_PREFIXES {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}…{tail}");
        }
    }
    path.to_string()
}

fn same_origin(req: &Request, guard: &Guard) -> bool {
    // Browsers send Sec-Fetch-Site on every request; only "same-origin" and "none"
    // (typed URL, bookmark) may change state.
    let site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if let Some(site) = site
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
        // A form on a `Referrer-Policy: no-referrer` page (the personal-link pages)
        // posts with `Origin: null`; the browser's own Sec-Fetch-Site then vouches.
        // Over plain HTTP off localhost browsers send no Sec-Fetch-Site: those two forms
        // then prove themselves with a double-submit value (see `web::confirm`).
        Some("null") => {
            site == Some("same-origin")
                || (site.is_none()
                    && SECRET_PREFIXES
                        .iter()
                        .any(|p| req.uri().path().starts_with(p)))
        }
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

/// Marker put in the extensions of the answer to a known path asked with a method it
/// does not take (`routes.rs`), so that [`guard`] answers 405 on an API path.
#[derive(Clone, Copy, Debug)]
pub struct WrongMethod;

/// The answer on an `/api/…` path once the application answered: an HTML "not found"
/// page (unknown path, or a known one with a wrong method) becomes JSON like every
/// other API answer: 404 `{"error": "not-found", "message": "…"}`, or 405
/// `{"error": "method-not-allowed", …}` when [`WrongMethod`] marks it
/// (`Cache-Control: no-store`). JSON answers of the API's own handlers pass as they are.
fn api_answer(resp: Response) -> Response {
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    #[derive(serde::Serialize)]
    struct Problem {
        error: &'static str,
        message: &'static str,
    }
    if resp.extensions().get::<WrongMethod>().is_some() {
        return super::api::json(
            poem::http::StatusCode::METHOD_NOT_ALLOWED,
            &Problem {
                error: "method-not-allowed",
                message: "Cette adresse de l'API de Livret ne s'utilise pas avec cette méthode : rien n'a été fait.",
            },
        );
    }
    if resp.status() == poem::http::StatusCode::NOT_FOUND {
        return super::api::json(
            poem::http::StatusCode::NOT_FOUND,
            &Problem {
                error: "not-found",
                message: "Cette adresse de l'API de Livret n'existe pas : rien n'a été fait.",
            },
        );
    }
    resp
}

/// Wraps the whole application: refuses cross-site state changes (403) and bodies
/// announced larger than the limit (413), answers JSON on every `/api/…` path and on a
/// tutor link's passkey paths `/acces/<token>/cle[/fin]` (see `api_answer`), then adds
/// the security headers.
pub async fn guard<E: Endpoint>(next: E, req: Request, guard: Guard) -> poem::Result<Response> {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let carries_secret = SECRET_PREFIXES
        .iter()
        .any(|p| req.uri().path().starts_with(p));
    let link_passkey = super::api_tutor_link::is_link_passkey_path(req.uri().path());
    let api = super::api::is_api_path(req.uri().path()) || link_passkey;
    // The JSON endpoints (the API of issue 4, a tutor link's passkey check of issue 7)
    // answer their refusals in JSON, never with an HTML page.
    let refuse = |e: Error| {
        if link_passkey {
            super::api_tutor_link::link_error(&e)
        } else if api {
            super::api::json_error(&e)
        } else {
            e.into_response_page()
        }
    };
    let mut resp = if changes_state && !same_origin(&req, &guard) {
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .unwrap_or("-")
                .to_string()
        };
        tracing::warn!(
            path = loggable_path(req.uri().path()),
            origin = header("origin"),
            sec_fetch_site = header("sec-fetch-site"),
            expected = guard.public_origin,
            "POST refusé : il ne vient pas de l'adresse publique de Livret (vérifiez --public-url derrière un proxy)"
        );
        refuse(Error::CrossSite)
    } else if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| {
            n > if is_upload_path(req.uri().path()) {
                MAX_UPLOAD_BYTES.max(guard.max_body_bytes)
            } else {
                guard.max_body_bytes
            }
        })
    {
        refuse(Error::PayloadTooLarge)
    } else {
        let resp = match next.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        if api { api_answer(resp) } else { resp }
    };
    let h = resp.headers_mut();
    // Pages whose URL holds a secret (personal links, the installation link) send no
    // Referer at all, so the secret never reaches a log through one (issue 3).
    let referrer = if carries_secret {
        "no-referrer"
    } else {
        "same-origin"
    };
    h.insert("referrer-policy", HeaderValue::from_static(referrer));
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
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

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn link_secrets_never_reach_the_log() {
        assert_eq!(loggable_path("/acces/s3cr3t"), "/acces/…");
        assert_eq!(loggable_path("/acces/s3cr3t/demande"), "/acces/…/demande");
        assert_eq!(loggable_path("/installation/abc"), "/installation/…");
        assert_eq!(loggable_path("/stages/42"), "/stages/42");
    }
}
