//! Static assets (CSS, scripts, icons) embedded in the binary and served under
//! content-hashed URLs (`/assets/app.3f9a1c0b2d.css`) with a one-year immutable cache:
//! a new binary with a changed file serves it under a new URL.

use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Response, handler};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "pwa/"]
struct Pwa;

#[derive(RustEmbed)]
#[folder = "icons/"]
struct Icons;

struct Asset {
    bytes: Cow<'static, [u8]>,
    mime: &'static str,
}

struct Table {
    /// Plain name → hashed URL.
    urls: HashMap<String, String>,
    /// Hashed file name → asset.
    by_hashed: HashMap<String, Asset>,
}

fn mime_of(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("webmanifest") => "application/manifest+json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut urls = HashMap::new();
        let mut by_hashed = HashMap::new();
        let files = Pwa::iter()
            .filter_map(|n| Pwa::get(&n).map(|f| (n.to_string(), f.data)))
            .chain(Icons::iter().filter_map(|n| Icons::get(&n).map(|f| (n.to_string(), f.data))));
        // Test-only knob (issue 4): `LIVRET_ASSET_SALT` is mixed into every hash, so a
        // browser test can start "a new version" whose asset URLs all differ without
        // rebuilding the binary. Contents are unchanged; unset (the normal case), the
        // hashes are those of the files alone.
        let salt = std::env::var("LIVRET_ASSET_SALT").unwrap_or_default();
        for (name, bytes) in files {
            let digest = Sha256::new()
                .chain_update(salt.as_bytes())
                .chain_update(&bytes)
                .finalize();
            let hash: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
            let hashed = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{name}.{hash}"),
            };
            urls.insert(name.clone(), format!("/assets/{hashed}"));
            by_hashed.insert(
                hashed,
                Asset {
                    mime: mime_of(&name),
                    bytes,
                },
            );
        }
        Table { urls, by_hashed }
    })
}

/// The hashed URL of an embedded file (`"app.css"` → `"/assets/app.3f9a1c0b2d.css"`).
/// An unknown name gives `/assets/missing` (a 404), and is caught by the tests.
pub fn url(name: &str) -> &'static str {
    table()
        .urls
        .get(name)
        .map_or("/assets/missing", String::as_str)
}

/// The version of the embedded assets as a whole: 16 hex characters of SHA-256 over
/// every hashed file name (each carries its content hash), so any change to any file
/// (or to `LIVRET_ASSET_SALT`) gives a new version. The service worker's cache names
/// carry it (see [`super::sw`]).
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut names: Vec<&String> = table().by_hashed.keys().collect();
        names.sort();
        let mut h = Sha256::new();
        for n in names {
            h.update(n.as_bytes());
            h.update(b"\n");
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// Every embedded file: (plain name, hashed URL), sorted by name.
pub fn all() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<_> = table()
        .urls
        .iter()
        .map(|(n, u)| (n.as_str(), u.as_str()))
        .collect();
    v.sort_unstable();
    v
}

/// The bytes of an embedded file by its plain name (`"sw.js"`), if it exists.
pub fn bytes(name: &str) -> Option<&'static [u8]> {
    let url = table().urls.get(name)?;
    let hashed = url.strip_prefix("/assets/")?;
    table().by_hashed.get(hashed).map(|a| a.bytes.as_ref())
}

/// `GET /assets/:file`: an embedded file by its hashed name.
#[handler]
pub fn asset(Path(file): Path<String>) -> Response {
    match table().by_hashed.get(&file) {
        Some(a) => Response::builder()
            .header(header::CONTENT_TYPE, a.mime)
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .body(a.bytes.to_vec()),
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body("introuvable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_has_a_hashed_url() {
        let u = url("app.css");
        assert!(u.starts_with("/assets/app.") && u.ends_with(".css"), "{u}");
        assert_eq!(url("nope.css"), "/assets/missing");
    }
}
