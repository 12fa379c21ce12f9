//! The installable app's shell (issue 4): the web app manifest, the offline page the
//! service worker shows when a page cannot be reached, and `/favicon.ico`.

use crate::web::assets;
use crate::web::layout::public_page;
use maud::{Markup, html};
use poem::http::header;
use poem::{Response, handler};
use std::sync::OnceLock;

/// The manifest as written in `pwa/manifest.webmanifest`, icons named by their file in
/// `icons/` (`"src": "icon-192.png"`).
const MANIFEST_SOURCE: &str = include_str!("../../../pwa/manifest.webmanifest");

/// `pwa/manifest.webmanifest` with every icon `"src"` replaced by the icon's hashed URL
/// (`"icon-192.png"` → `"/assets/icon-192.3f9a1c0b2d.png"`, see [`assets::url`]). The
/// icons are then cached for a year like every asset, while a new icon gets a new URL,
/// which changes the manifest, which is what makes Chrome update an installed app's
/// icon. A name with no embedded file becomes `/assets/missing` (caught by the tests).
pub fn manifest() -> &'static str {
    static MANIFEST: OnceLock<String> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        const KEY: &str = "\"src\": \"";
        let mut out = String::with_capacity(MANIFEST_SOURCE.len() + 64);
        let mut rest = MANIFEST_SOURCE;
        while let Some(at) = rest.find(KEY) {
            let value_start = at + KEY.len();
            let Some(len) = rest[value_start..].find('"') else {
                break;
            };
            out.push_str(&rest[..value_start]);
            out.push_str(assets::url(&rest[value_start..value_start + len]));
            rest = &rest[value_start + len..];
        }
        out.push_str(rest);
        out
    })
}

/// `GET /manifest.webmanifest` (public): the web app manifest (W3C "Web Application
/// Manifest"), `application/manifest+json`. Its URL is stable, so browsers revalidate
/// it (`no-cache`) rather than keep it a year.
#[handler]
pub fn manifest_show() -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/manifest+json")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(manifest())
}

/// `GET /favicon.ico` (public): the 32 px icon, for the clients that ask for this
/// address whatever the page says. Kept a day (stable URL).
#[handler]
pub fn favicon() -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "image/x-icon")
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .body(&include_bytes!("../../../icons/favicon.ico")[..])
}

/// `GET /hors-ligne` (public): the page the service worker shows for a page that is
/// neither reachable nor saved on the device. It holds no personal data (it is
/// precached once for everyone who uses the device) and says what still works
/// without network.
#[handler]
pub fn offline_show() -> Markup {
    public_page(
        "Vous êtes hors ligne",
        None,
        html! {
            p { "Cette page n'est pas enregistrée sur cet appareil et Livret ne peut pas joindre le serveur pour l'instant : pas de réseau, ou un réseau qui ne répond pas." }
            h2 { "Ce qui fonctionne sans réseau" }
            ul {
                li { "Les pages déjà ouvertes sur cet appareil restent consultables, dans la dernière version enregistrée (peut-être pas à jour)." }
                li { "Élèves : vous pouvez écrire dans votre journal de bord et préparer vos fiches activités. Elles restent sur le téléphone, marquées « en attente de synchronisation », et partent toutes seules dès que le réseau revient." }
            }
            h2 { "Ce qui attend le retour du réseau" }
            p { "Se connecter, voir les nouveautés (avis du tuteur, nouvelles entrées), et les autres formulaires." }
            p { a.button.primary href="/" { "Aller à l'accueil" } }
        },
    )
}
