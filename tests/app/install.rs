//! The installable app's shell (issue 4): the manifest and its icons, the links every
//! page carries in its head, the offline page, and the PNG icons kept in step with
//! their SVG source.

use crate::support::*;
use serde_json::Value;

#[path = "../../examples/icons/render.rs"]
mod render;

/// Width and height of a PNG, read from its IHDR chunk; panics on anything else.
#[track_caller]
fn png_size(what: &str, bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "{what}: not a PNG ({} bytes)",
        bytes.len()
    );
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

/// `GET path` as raw bytes, with its status and content type.
async fn fetch_bytes(app: &App, path: &str) -> (u16, String, Vec<u8>) {
    let resp = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_describes_the_app_and_its_icons_answer() {
    let app = App::start().await;
    let page = app.browser().get("/manifest.webmanifest").await;
    page.expect(200);
    assert_eq!(
        page.header("content-type"),
        Some("application/manifest+json")
    );
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let m: Value = serde_json::from_str(&page.body).expect("the manifest is JSON");
    for (field, want) in [
        ("id", "/"),
        ("name", "Livret — suivi des PFMP"),
        ("short_name", "Livret"),
        ("lang", "fr"),
        ("dir", "ltr"),
        ("display", "standalone"),
        ("start_url", "/"),
        ("scope", "/"),
        ("theme_color", "#1d4e89"),
        ("background_color", "#f5f7fa"),
    ] {
        assert_eq!(m[field].as_str(), Some(want), "manifest field {field}");
    }
    let description = m["description"].as_str().unwrap_or("");
    assert!(description.contains("journal de bord"), "{description}");
    // The icons' background is the theme colour.
    let [r, g, b] = render::BACKGROUND;
    assert_eq!(m["theme_color"], format!("#{r:02x}{g:02x}{b:02x}"));

    let icons = m["icons"].as_array().expect("icons");
    let mut seen = Vec::new();
    for icon in icons {
        let src = icon["src"].as_str().unwrap();
        let sizes = icon["sizes"].as_str().unwrap();
        let purpose = icon["purpose"].as_str().unwrap_or("any");
        assert!(
            src.starts_with("/assets/icon-") && src.ends_with(".png"),
            "icon src {src} is not a hashed asset URL"
        );
        assert_eq!(icon["type"], "image/png", "{src}");
        let (status, ctype, bytes) = fetch_bytes(&app, src).await;
        assert_eq!((status, ctype.as_str()), (200, "image/png"), "{src}");
        let (w, h) = png_size(src, &bytes);
        assert_eq!(format!("{w}x{h}"), sizes, "{src}: its real size");
        seen.push(format!("{sizes} {purpose}"));
    }
    seen.sort();
    assert_eq!(seen, ["192x192 any", "512x512 any", "512x512 maskable"]);

    // The start URL answers without a session (the welcome page).
    app.browser().get("/").await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_links_the_manifest_and_the_home_screen_icon() {
    let app = App::start().await;
    let student = app.student(app.w.mael).await;
    let pages = [
        app.browser().get("/").await,
        app.browser().get("/hors-ligne").await,
        student.get(&stage(app.w.p_mael)).await,
        student
            .get(&format!("{}/journal", stage(app.w.p_mael)))
            .await,
    ];
    for page in &pages {
        page.expect(200);
        let b = &page.body;
        for needle in [
            "<link rel=\"manifest\" href=\"/manifest.webmanifest\">",
            "<meta name=\"theme-color\" content=\"#1d4e89\">",
            "<meta name=\"mobile-web-app-capable\" content=\"yes\">",
            "<meta name=\"apple-mobile-web-app-capable\" content=\"yes\">",
            "<meta name=\"apple-mobile-web-app-title\" content=\"Livret\">",
        ] {
            assert!(b.contains(needle), "{}: no {needle}", page.url);
        }
        let at = b
            .find("<link rel=\"apple-touch-icon\" href=\"")
            .unwrap_or_else(|| panic!("{}: no apple-touch-icon", page.url));
        let href = b[at..].split('"').nth(3).unwrap();
        let (status, ctype, bytes) = fetch_bytes(&app, href).await;
        assert_eq!((status, ctype.as_str()), (200, "image/png"), "{href}");
        assert_eq!(png_size(href, &bytes), (180, 180), "{href}");
    }

    let (status, ctype, ico) = fetch_bytes(&app, "/favicon.ico").await;
    assert_eq!((status, ctype.as_str()), (200, "image/x-icon"));
    assert_eq!(&ico[..6], &[0, 0, 1, 0, 1, 0], "an ICO file with one image");
    assert_eq!(png_size("favicon.ico", &ico[22..]), (32, 32));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_page_is_public_and_holds_nothing_personal() {
    let app = App::start().await;
    let anonymous = app.browser().get("/hors-ligne").await;
    anonymous.expect(200).shows(&[
        "Vous êtes hors ligne",
        "journal de bord",
        "en attente de synchronisation",
        "dès que le réseau revient",
        "Aller à l'accueil",
    ]);
    // Signed in, it is the same page: nothing of the person, no form token (the
    // service worker keeps one copy for whoever uses the device).
    let student = app.student(app.w.mael).await;
    let signed_in = student.get("/hors-ligne").await;
    signed_in
        .expect(200)
        .hides(&["Maël", "Ferrand", "_csrf", "Se déconnecter"]);
    assert_eq!(signed_in.body, anonymous.body);
}

#[test]
fn the_icons_are_up_to_date_with_their_svg_source() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("icons");
    let svg = std::fs::read_to_string(dir.join("livret.svg")).unwrap();
    let stale = "is not what `cargo run --example icons` makes from icons/livret.svg: run it and commit the result";
    for icon in &render::ICONS {
        let bytes = std::fs::read(dir.join(icon.file))
            .unwrap_or_else(|e| panic!("icons/{}: {e}; {stale}", icon.file));
        let committed = render::decode(icon, &bytes).unwrap();
        let fresh = render::render(&svg, icon).unwrap();
        assert_eq!(
            (committed.width(), committed.height()),
            (icon.size, icon.size),
            "icons/{} {stale}",
            icon.file
        );
        // Pixel comparison, not bytes: a newer PNG encoder may compress differently. A
        // difference of 2 per channel allows for the premultiplied-alpha round trip.
        let differing = committed
            .data()
            .chunks(4)
            .zip(fresh.data().chunks(4))
            .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 2))
            .count();
        assert_eq!(
            differing, 0,
            "icons/{}: {differing} pixels differ; it {stale}",
            icon.file
        );

        let size = icon.size as f32;
        let safe_radius = 0.4 * size; // the maskable safe zone: a centred circle of 80 %
        for (i, px) in committed.pixels().iter().enumerate() {
            let (x, y) = (
                (i as u32 % icon.size) as f32 + 0.5,
                (i as u32 / icon.size) as f32 + 0.5,
            );
            let rgba = px.demultiply();
            let rgba = [rgba.red(), rgba.green(), rgba.blue(), rgba.alpha()];
            match icon.shape {
                render::Shape::FullBleed => {
                    // No transparency anywhere (iOS shows it black), and nothing of the
                    // mark outside the safe zone, which a launcher's mask may cut.
                    assert_eq!(
                        rgba[3], 255,
                        "icons/{}: transparent pixel at {x},{y}",
                        icon.file
                    );
                    if (x - size / 2.0).hypot(y - size / 2.0) > safe_radius {
                        let [r, g, b] = render::BACKGROUND;
                        assert_eq!(
                            rgba,
                            [r, g, b, 255],
                            "icons/{}: mark outside the safe zone at {x},{y}",
                            icon.file
                        );
                    }
                }
                render::Shape::Rounded => {}
            }
        }
        if icon.shape == render::Shape::Rounded {
            assert_eq!(
                committed.pixel(0, 0).map(|p| p.alpha()),
                Some(0),
                "icons/{}: rounded corners",
                icon.file
            );
        }
    }
}
