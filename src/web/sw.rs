//! The service worker (issue 4): `GET /sw.js` serves `pwa/sw.js` at the root of the
//! site (so its scope is every page), with the assets' version and hashed URLs written
//! in at start-up; and the opaque user tag the page scripts file the offline outbox
//! under (`<meta name="livret-user">`).
//!
//! The worker's own URL cannot be content-hashed (browsers look for updates at the
//! address they registered), so it is served `no-cache`: the browser asks again at each
//! navigation, gets the same bytes while the binary is the same, and new bytes (a new
//! version string, new asset URLs) once any embedded file changes.

use super::assets;
use crate::domain::Subject;
use poem::http::header;
use poem::{Response, handler};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Embedded files the worker stores at install, so that a page saved on the device
/// opens offline with its style and scripts (icons for the home screen are left to the
/// browser's own cache: large, and not needed to read a page).
const PRECACHE_ASSETS: [&str; 6] = [
    "app.css",
    "outbox.js",
    "app.js",
    "push.js",
    "passkey.js",
    "livret.svg",
];

/// Public pages the worker stores at install: the offline page it shows for a page
/// neither reachable nor saved, and the manifest.
const PRECACHE_PAGES: [&str; 2] = ["/hors-ligne", "/manifest.webmanifest"];

/// `pwa/sw.js` with its placeholders filled: `__LIVRET_VERSION__` (see
/// [`assets::version`]), `/*__LIVRET_ASSETS__*/` (every embedded file, `"name":
/// "url"`) and `/*__LIVRET_PRECACHE__*/` (the URLs stored at install). Made once.
pub fn script() -> &'static str {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let source = assets::bytes("sw.js")
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let all = assets::all();
        let asset_map = all
            .iter()
            .map(|(name, url)| format!("{}: {}", js_string(name), js_string(url)))
            .collect::<Vec<_>>()
            .join(", ");
        let precache = PRECACHE_ASSETS
            .iter()
            .map(|name| assets::url(name))
            .filter(|url| *url != "/assets/missing")
            .chain(PRECACHE_PAGES)
            .map(js_string)
            .collect::<Vec<_>>()
            .join(", ");
        source
            .replace("__LIVRET_VERSION__", assets::version())
            .replace("/*__LIVRET_ASSETS__*/", &asset_map)
            .replace("/*__LIVRET_PRECACHE__*/", &precache)
    })
}

/// A JavaScript string literal for a file name or URL (quotes and backslashes escaped;
/// the embedded names are plain ASCII anyway).
fn js_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `GET /sw.js` (public): the service worker, `text/javascript`, `Cache-Control:
/// no-cache` (revalidated at every update check; see the module documentation).
#[handler]
pub fn service_worker() -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(script())
}

/// The opaque tag of a signed-in person that pages carry in `<meta name="livret-user">`
/// (issue 4 contract): 16 hex characters of SHA-256 over a fixed prefix and
/// [`Subject::key_bytes`]. The offline outbox files each entry under it and replays
/// only the entries of the person signed in; it reveals nothing of the session.
pub fn user_tag(subject: &Subject) -> String {
    let digest = Sha256::new()
        .chain_update(b"livret-user\0")
        .chain_update(subject.key_bytes())
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StudentId;

    #[test]
    fn the_worker_gets_its_version_and_asset_urls() {
        let s = script();
        assert!(!s.contains("__LIVRET_"), "a placeholder is left");
        assert!(s.contains(assets::version()));
        assert!(s.contains(assets::url("app.css")));
        assert!(s.contains(assets::url("outbox.js")));
        assert!(s.contains("\"/hors-ligne\""));
    }

    #[test]
    fn user_tags_are_short_stable_and_distinct() {
        let (a, b) = (
            Subject::Student(StudentId::new()),
            Subject::Student(StudentId::new()),
        );
        assert_eq!(user_tag(&a), user_tag(&a));
        assert_ne!(user_tag(&a), user_tag(&b));
        assert_eq!(user_tag(&a).len(), 16);
    }

    #[test]
    fn js_strings_are_escaped() {
        assert_eq!(js_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
