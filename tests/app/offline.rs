//! The offline logbook's server side (issue 4): the service worker served at the root
//! with this version's assets, the outbox's user tag and the page scripts on signed-in
//! pages, and the markup hooks the page script needs (the forms still post without
//! it). The browser side is tested in `tests/browser/offline_logbook.mjs`.

use crate::support::*;

/// `(tag, attribute)` → the attribute's value in the first `<tag …>` that has it.
fn attr_of(body: &str, tag: &str, attr_name: &str) -> Option<String> {
    body.split(&format!("<{tag} "))
        .skip(1)
        .find_map(|rest| {
            let end = rest.find('>')?;
            let head = &rest[..end];
            let key = format!("{attr_name}=\"");
            let at = head.find(&key)? + key.len();
            head[at..]
                .find('"')
                .map(|len| head[at..at + len].to_string())
        })
        .map(|v| unescape(&v))
}

/// The URLs the worker stores at install (`const PRECACHE = [...]`).
fn precache_list(sw: &str) -> Vec<String> {
    let start = sw.find("const PRECACHE = [").expect("PRECACHE in sw.js") + 18;
    let end = start + sw[start..].find(']').unwrap();
    sw[start..end]
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_worker_is_served_at_the_root_with_this_versions_assets() {
    let app = App::start().await;
    let anon = app.browser();
    let sw = anon.get("/sw.js").await;
    sw.expect(200);
    assert_eq!(
        sw.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(sw.header("cache-control"), Some("no-cache"));
    assert!(!sw.body.contains("__LIVRET_"), "a placeholder is left");
    let version = livret::web::assets::version();
    assert!(sw.body.contains(&format!("const VERSION = '{version}';")));
    assert!(sw.body.contains("importScripts(ASSETS['outbox.js'])"));

    // The worker names the very assets the pages load, and everything it stores at
    // install answers 200 (one failure would make the install fail).
    let mael = app.student(app.w.mael).await;
    let page = mael.get(&format!("{}/journal", stage(app.w.p_mael))).await;
    page.expect(200);
    let css = attr_of(&page.body, "link", "href").unwrap();
    assert!(
        css.starts_with("/assets/app.") && css.ends_with(".css"),
        "{css}"
    );
    let precache = precache_list(&sw.body);
    for name in ["app.css", "outbox.js", "app.js"] {
        let url = livret::web::assets::url(name);
        assert!(
            precache.iter().any(|u| u == url),
            "{name} not precached: {precache:?}"
        );
        assert!(page.body.contains(url), "{name} not on the page");
    }
    assert!(precache.iter().any(|u| u == "/hors-ligne"), "{precache:?}");
    for url in &precache {
        anon.get(url).await.expect(200);
    }
    // Personal pages are never precached: the worker keeps them as they are visited.
    assert!(precache.iter().all(|u| !u.starts_with("/stages")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_pages_name_their_user_for_the_outbox_and_load_the_scripts() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let home = mael.get(&stage(w.p_mael)).await;
    home.expect(200);
    let logbook = mael.get(&format!("{}/journal", stage(w.p_mael))).await;
    let tag = attr_of(&home.body, "meta name=\"livret-user\"", "content").unwrap();
    assert_eq!(tag.len(), 16);
    assert!(tag.chars().all(|c| c.is_ascii_hexdigit()), "{tag}");
    assert_eq!(
        attr_of(&logbook.body, "meta name=\"livret-user\"", "content").as_deref(),
        Some(tag.as_str()),
        "one person, one tag"
    );
    let helene = app.tutor(w.helene).await;
    let tutor_page = helene.get(&stage(w.p_mael)).await;
    let tutor_tag = attr_of(&tutor_page.body, "meta name=\"livret-user\"", "content").unwrap();
    assert_ne!(tutor_tag, tag, "two people, two tags");
    // The tag is not the session: neither cookie nor anti-CSRF token shows in it.
    assert!(!mael.session.clone().unwrap_or_default().contains(&tag));
    assert!(!home.csrf().contains(&tag));

    // The scripts, deferred, from the hashed assets.
    for name in ["outbox.js", "app.js"] {
        let url = livret::web::assets::url(name);
        assert!(
            home.body.contains(&format!("<script src=\"{url}\" defer>")),
            "{name} not loaded"
        );
        let js = mael.get(url).await;
        js.expect(200);
        assert_eq!(
            js.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
    }

    // A public page carries no user.
    let offline = app.browser().get("/hors-ligne").await;
    offline.expect(200);
    assert!(!offline.body.contains("livret-user"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forms_and_lists_carry_the_outbox_hooks_for_the_student_only() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;

    let form = mael.get(&format!("{base}/journal/nouvelle")).await;
    form.expect(200);
    let form_tag = "form class=\"stack\"";
    assert_eq!(
        attr_of(&form.body, form_tag, "data-outbox").as_deref(),
        Some("logbook")
    );
    let api = format!("/api{base}/journal");
    assert_eq!(attr_of(&form.body, form_tag, "data-api"), Some(api));
    assert_eq!(
        attr_of(&form.body, form_tag, "data-list"),
        Some(format!("{base}/journal"))
    );
    assert_eq!(
        attr_of(&form.body, form_tag, "data-placement"),
        Some(w.p_mael.to_string())
    );
    // Without the script the form posts as before.
    assert_eq!(
        attr_of(&form.body, form_tag, "action"),
        Some(format!("{base}/journal"))
    );

    let list = mael.get(&format!("{base}/journal")).await;
    assert!(list.body.contains("data-outbox-list=\"logbook\""));
    assert!(list.body.contains("id=\"storage-status\""));
    let entry = app.entries(w.p_mael)[0].id;
    assert!(list.body.contains(&format!("id=\"entree-{entry}\"")));
    // A correction is not written offline: its form has no hook.
    let edit = mael.get(&format!("{base}/journal/{entry}/modifier")).await;
    edit.expect(200);
    assert!(!edit.body.contains("data-outbox"));

    let sheet_form = mael.get(&format!("{base}/fiches/nouvelle")).await;
    assert_eq!(
        attr_of(&sheet_form.body, form_tag, "data-outbox").as_deref(),
        Some("sheet")
    );
    assert_eq!(
        attr_of(&sheet_form.body, form_tag, "data-api"),
        Some(format!("/api{base}/fiches"))
    );
    let sheets = mael.get(&format!("{base}/fiches")).await;
    assert!(sheets.body.contains("data-outbox-list=\"sheet\""));

    // The tutor reads the same lists: nothing of the student's outbox there.
    let helene = app.tutor(w.helene).await;
    for path in [format!("{base}/journal"), format!("{base}/fiches")] {
        let page = helene.get(&path).await;
        page.expect(200);
        assert!(!page.body.contains("data-outbox"), "{path}");
        assert!(!page.body.contains("storage-status"), "{path}");
    }
}
