//! A tutor's optional passkey bound to their personal link (issue 7, item 6): once
//! bound, the link alone opens nothing and its confirmation asks for the passkey;
//! only this tutor's passkey, answering a ceremony started on this very link, opens
//! the session; a new link from the referent removes the passkeys (lost device).
//!
//! Also the helpers the other passkey tests of part 2 use (`recovery.rs`): the JSON
//! calls of `pwa/passkey.js` and `pwa/tutor_link.js`, made with the software
//! authenticator.

use crate::soft_authenticator::SoftAuthenticator;
use crate::support::*;
use livret::domain::Subject;
use serde_json::{Value, json};

/// The headers of the passkey JSON API (the sync API's CSRF defence).
pub const JSON_API: [(&str, &str); 1] = [("x-livret-sync", "1")];

/// POSTs `body` as JSON with `X-Livret-Sync: 1`; returns the answer and its JSON.
pub async fn post_json(b: &Browser, path: &str, body: &Value) -> (Page, Value) {
    let page = b
        .post_body(path, "application/json", &body.to_string(), &JSON_API)
        .await;
    assert_eq!(
        page.header("content-type"),
        Some("application/json"),
        "POST {path}: {}",
        page.body
    );
    assert!(
        page.header("cache-control")
            .is_some_and(|c| c.contains("no-store")),
        "POST {path}"
    );
    let value = serde_json::from_str(&page.body).unwrap_or(Value::Null);
    (page, value)
}

/// Registers a passkey named `name` for the person signed in on `b` (their session:
/// a student, teacher, coordinator or a tutor in their link session), with `device`.
pub async fn register_passkey(b: &Browser, device: &mut SoftAuthenticator, name: &str) {
    let (start, options) = post_json(b, "/api/cles-d-acces/inscription", &json!({})).await;
    start.expect(200);
    let credential = device.register(&options["options"]);
    let (done, answer) = post_json(
        b,
        "/api/cles-d-acces/inscription/fin",
        &json!({ "name": name, "credential": credential, "ceremony": options["ceremony"] }),
    )
    .await;
    done.expect(201);
    assert_eq!(answer["name"], json!(name));
}

/// The link's secret: `/acces/<secret>` → `<secret>`.
pub fn secret_of(link: &str) -> &str {
    link.trim_start_matches("/acces/")
}

/// Answers the passkey question of a protected tutor link with `device` (the script of
/// the confirmation page): start, `navigator.credentials.get()`, finish. Returns the
/// finish answer and its JSON.
async fn confirm_with(b: &Browser, link: &str, device: &mut SoftAuthenticator) -> (Page, Value) {
    let (start, options) = post_json(b, &format!("{link}/cle"), &json!({})).await;
    start.expect(200);
    assert!(
        ceremony_set(&start).is_some(),
        "the start sets the ceremony cookie"
    );
    let credential = device.sign_in(&options["options"]);
    post_json(
        b,
        &format!("{link}/cle/fin"),
        &json!({ "credential": credential, "ceremony": options["ceremony"] }),
    )
    .await
}

/// The `Set-Cookie` of a ceremony cookie (`livret-ceremony-<id>`) in an answer, if any.
pub fn ceremony_set(page: &Page) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("livret-ceremony-"))
        .map(str::to_string)
}

/// The session cookie's value set by an answer, if any (not a deletion).
fn session_set(page: &Page) -> Option<String> {
    page.set_cookie("livret")
        .and_then(|c| c.split(';').next().map(str::to_string))
        .and_then(|kv| kv.split_once('=').map(|(_, v)| v.to_string()))
        .filter(|v| !v.is_empty())
}

/// Hélène signs in with her link and binds a passkey to it; returns the link and her
/// device.
async fn helene_protected(app: &App) -> (String, SoftAuthenticator) {
    let link = app.link(Subject::Tutor(app.w.helene)).await;
    let mut tutor = app.browser();
    tutor.sign_in_with(&link).await;
    tutor
        .get("/")
        .await
        .expect(200)
        .shows(&["Protéger mon accès", "Associer une clé d'accès"]);
    tutor
        .get("/mon-acces")
        .await
        .expect(200)
        .shows(&["Aucune clé d'accès n'est associée à votre lien."]);
    let mut device = SoftAuthenticator::new(&app.base);
    register_passkey(&tutor, &mut device, "Téléphone d'Hélène").await;
    tutor
        .get("/mon-acces")
        .await
        .expect(200)
        .shows(&[
            "Clé d'accès associée à votre lien",
            "Téléphone d'Hélène",
            "Jamais utilisée",
        ])
        .hides(&["page « Se connecter »"]);
    tutor
        .get("/")
        .await
        .expect(200)
        .shows(&["Votre lien est protégé par une clé d'accès"]);
    (link, device)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_passkey_is_asked_after_the_link_and_opens_the_space() {
    let app = App::start().await;
    let (link, mut device) = helene_protected(&app).await;

    // The link alone: the confirmation page as before, then no session, the passkey
    // page instead.
    let b = app.browser();
    b.get(&link).await.expect(200).shows(&["Ouvrir mon espace"]);
    let asked = b.post(&link, &[]).await;
    asked.expect(200).shows(&[
        "Confirmez avec votre clé d'accès",
        "Utiliser ma clé d'accès",
        "Sébastien Roussel",
        "nouveau lien",
    ]);
    assert_eq!(asked.header("referrer-policy"), Some("no-referrer"));
    assert!(
        session_set(&asked).is_none(),
        "the link alone opened a session"
    );
    b.get("/").await.expect(200).hides(&["Mes stagiaires"]);

    // With the passkey: the session opens, tied to the link.
    let (done, answer) = confirm_with(&b, &link, &mut device).await;
    done.expect(200);
    assert_eq!(answer, json!({ "redirect": "/" }));
    assert!(session_set(&done).is_some(), "no session cookie");
    let cleared = ceremony_set(&done).unwrap_or_default();
    assert!(
        cleared.contains("Max-Age=0"),
        "ceremony cookie kept: {cleared}"
    );
    b.get("/")
        .await
        .expect(200)
        .shows(&["Mes stagiaires", "Maël Ferrand"]);
    let stored = app
        .state
        .store
        .passkeys_of(&Subject::Tutor(app.w.helene))
        .unwrap();
    assert!(
        stored[0].last_used.is_some(),
        "the passkey's use is recorded"
    );

    // The session lives by the link: locking the link ends it.
    let (hash, _) = app.state.store.tutor_link(app.w.helene).unwrap().unwrap();
    assert_eq!(hash, livret::auth::hash_secret(secret_of(&link)));
    app.state
        .store
        .set_tutor_link_locked(app.w.helene, true)
        .await
        .unwrap();
    b.get("/").await.expect(200).hides(&["Mes stagiaires"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_this_tutors_passkey_for_this_very_link_opens_it() {
    let app = App::start().await;
    let (link, mut helene_device) = helene_protected(&app).await;

    // Grégoire binds his own passkey to his own link.
    let gregoire_link = app.link(Subject::Tutor(app.w.gregoire)).await;
    let mut gregoire = app.browser();
    gregoire.sign_in_with(&gregoire_link).await;
    let mut gregoire_device = SoftAuthenticator::new(&app.base);
    register_passkey(&gregoire, &mut gregoire_device, "Téléphone").await;

    // Another tutor's passkey on Hélène's link: refused, no session. (Only Hélène's
    // passkeys are offered; a device answering with another one anyway is refused.)
    let b = app.browser();
    let (start, mut options) = post_json(&b, &format!("{link}/cle"), &json!({})).await;
    start.expect(200);
    let offered = options["options"]["publicKey"]["allowCredentials"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(offered.len(), 1, "only Hélène's passkey is offered");
    assert_eq!(offered[0]["id"], json!(helene_device.credential_ids()[0]));
    options["options"]["publicKey"]["allowCredentials"] = json!([]);
    let credential = gregoire_device.sign_in(&options["options"]);
    let (refused, answer) = post_json(
        &b,
        &format!("{link}/cle/fin"),
        &json!({ "credential": credential, "ceremony": options["ceremony"] }),
    )
    .await;
    refused.expect(401);
    assert_eq!(answer["error"], json!("refused"));
    assert!(session_set(&refused).is_none());
    b.get("/").await.expect(200).hides(&["Mes stagiaires"]);

    // A ceremony started on Hélène's link, answered with her passkey, but finished on
    // Grégoire's link: refused (the ceremony remembers its link and its tutor).
    let (start, options) = post_json(&b, &format!("{link}/cle"), &json!({})).await;
    start.expect(200);
    let credential = helene_device.sign_in(&options["options"]);
    let (refused, _) = post_json(
        &b,
        &format!("{gregoire_link}/cle/fin"),
        &json!({ "credential": credential, "ceremony": options["ceremony"] }),
    )
    .await;
    refused.expect(401);
    assert!(session_set(&refused).is_none());

    // A ceremony started on Hélène's link A, finished on her newer link B: refused; on
    // A (replaced meanwhile) the link itself opens nothing.
    let (start, options) = post_json(&b, &format!("{link}/cle"), &json!({})).await;
    start.expect(200);
    let credential = helene_device.sign_in(&options["options"]);
    let newer = app.link(Subject::Tutor(app.w.helene)).await;
    let (refused, answer) = post_json(
        &b,
        &format!("{newer}/cle/fin"),
        &json!({ "credential": credential.clone(), "ceremony": options["ceremony"] }),
    )
    .await;
    refused.expect(401);
    assert_eq!(answer["error"], json!("refused"));
    assert!(session_set(&refused).is_none());
    let (gone, answer) = post_json(
        &b,
        &format!("{link}/cle/fin"),
        &json!({ "credential": credential, "ceremony": options["ceremony"] }),
    )
    .await;
    gone.expect(404);
    assert_eq!(answer["error"], json!("link"));
    b.get("/").await.expect(200).hides(&["Mes stagiaires"]);

    // On link B with her passkey: the space opens; the same cookie and answer sent
    // again: refused (a challenge answers once).
    let (start, options) = post_json(&b, &format!("{newer}/cle"), &json!({})).await;
    start.expect(200);
    let ceremony = ceremony_set(&start)
        .and_then(|c| c.split(';').next().map(str::to_string))
        .expect("ceremony cookie");
    let credential = helene_device.sign_in(&options["options"]);
    let body = json!({ "credential": credential, "ceremony": options["ceremony"] });
    let (done, _) = post_json(&b, &format!("{newer}/cle/fin"), &body).await;
    done.expect(200);
    b.get("/").await.expect(200).shows(&["Mes stagiaires"]);
    let replay = Browser::with_cookie(&app.base, &ceremony);
    let (replayed, answer) = post_json(&replay, &format!("{newer}/cle/fin"), &body).await;
    replayed.expect(400);
    assert_eq!(answer["error"], json!("expired"));
    assert!(session_set(&replayed).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_passkey_endpoints_have_the_json_apis_csrf_defence() {
    let app = App::start().await;
    let (link, _device) = helene_protected(&app).await;
    let b = app.browser();
    // No X-Livret-Sync header: refused, nothing started.
    let plain = b
        .post_body(&format!("{link}/cle"), "application/json", "{}", &[])
        .await;
    plain.expect(403);
    assert!(ceremony_set(&plain).is_none());
    // A form post (what another site's page can send): refused.
    b.post_with(&format!("{link}/cle"), &[], &JSON_API)
        .await
        .expect(403);
    // Another site's origin: refused by the global guard.
    b.post_body(
        &format!("{link}/cle/fin"),
        "application/json",
        "{}",
        &[("x-livret-sync", "1"), ("origin", "https://evil.example")],
    )
    .await
    .expect(403);
    // The link page's own requests (Referrer-Policy: no-referrer) carry Origin: null
    // with Sec-Fetch-Site: same-origin: accepted.
    b.post_body(
        &format!("{link}/cle"),
        "application/json",
        "{}",
        &[
            ("x-livret-sync", "1"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await
    .expect(200);
    // An unknown link: 404 in JSON, and no ceremony.
    let (unknown, answer) = post_json(&b, "/acces/inconnu/cle", &json!({})).await;
    unknown.expect(404);
    assert_eq!(answer["error"], json!("link"));
    // A student's sign-in link is not a tutor link.
    let student = app.link(Subject::Student(app.w.mael)).await;
    post_json(&b, &format!("{student}/cle"), &json!({}))
        .await
        .0
        .expect(404);
    // Without a passkey bound, nothing to ask: 409.
    let gregoire = app.link(Subject::Tutor(app.w.gregoire)).await;
    let (none, answer) = post_json(&b, &format!("{gregoire}/cle"), &json!({})).await;
    none.expect(409);
    assert_eq!(answer["error"], json!("no-passkey"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_link_from_the_referent_removes_the_passkeys() {
    let app = App::start().await;
    let (old, _device) = helene_protected(&app).await;
    let placement = stage(app.w.p_mael);

    // The referent sees that the link is protected, and what a new link does.
    let referent = app.teacher(app.w.referent).await;
    let page = referent.get(&placement).await;
    page.expect(200).shows(&[
        "oui, demandée après le lien",
        "Le nouveau lien retire aussi les clés d'accès du tuteur",
    ]);
    referent
        .post(
            &format!("{placement}/acces-tuteur"),
            &[("_csrf", &page.csrf())],
        )
        .await
        .expect_redirect(&format!("{placement}#acces-tuteur"));
    referent.get(&placement).await.expect(200).shows(&[
        "Les clés d'accès qu'il avait associées à son ancien lien ont été retirées",
        "aucune : le lien seul ouvre son espace",
    ]);
    assert!(
        app.state
            .store
            .passkeys_of(&Subject::Tutor(app.w.helene))
            .unwrap()
            .is_empty()
    );

    // The new link opens the space without a passkey; the old one is replaced.
    let new = app.state.store.outbox().unwrap()[0]
        .link
        .clone()
        .expect("the outbox keeps the link");
    let new = new.strip_prefix(&app.base).unwrap();
    let mut b = app.browser();
    b.sign_in_with(new).await;
    b.get("/").await.expect(200).shows(&["Mes stagiaires"]);
    app.browser().get(&old).await.expect(410);

    // A new link without passkeys says nothing about them.
    let page = referent.get(&placement).await;
    referent
        .post(
            &format!("{placement}/acces-tuteur"),
            &[("_csrf", &page.csrf())],
        )
        .await
        .expect(303);
    referent
        .get(&placement)
        .await
        .expect(200)
        .shows(&["Accès du tuteur créé"])
        .hides(&["ont été retirées"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tutor_removes_their_passkeys_even_the_last_one() {
    let app = App::start().await;
    let (link, mut device) = helene_protected(&app).await;
    let b = app.browser();
    let (done, _) = {
        b.post(&link, &[]).await.expect(200);
        confirm_with(&b, &link, &mut device).await
    };
    done.expect(200);
    let page = b.get("/mon-acces").await;
    page.expect(200)
        .shows(&["Téléphone d'Hélène", "Dernière utilisation le"]);
    let id = app
        .state
        .store
        .passkeys_of(&Subject::Tutor(app.w.helene))
        .unwrap()[0]
        .id;
    let remove = format!("/mon-acces/cles/{id}/supprimer");

    // Not without the form's token; not someone else's passkey; not for others.
    b.post(&remove, &[]).await.expect(403);
    let other = app.tutor(app.w.gregoire).await;
    let csrf = other.csrf("/mon-acces").await;
    other.post(&remove, &[("_csrf", &csrf)]).await.expect(404);
    let student = app.student(app.w.mael).await;
    student.get("/mon-acces").await.expect(404);
    let csrf = student.get("/notifications").await.csrf();
    student.post(&remove, &[("_csrf", &csrf)]).await.expect(404);
    assert_eq!(
        app.state
            .store
            .passkeys_of(&Subject::Tutor(app.w.helene))
            .unwrap()
            .len(),
        1
    );

    // The tutor removes the last one (after a confirmation): allowed, the link is their
    // way in.
    let confirm = b.get(&remove).await;
    confirm.expect(200).shows(&[
        "Téléphone d'Hélène",
        "votre lien seul ouvrira de nouveau votre espace",
    ]);
    other.get(&remove).await.expect(404);
    b.post(&remove, &[("_csrf", &confirm.csrf())])
        .await
        .expect_redirect("/mon-acces");
    b.get("/mon-acces")
        .await
        .expect(200)
        .shows(&["Clé d'accès retirée", "Aucune clé d'accès n'est associée"])
        .hides(&["ne permet plus de se connecter à Livret"]);
    // The link alone opens the space again.
    let mut fresh = app.browser();
    fresh.sign_in_with(&link).await;
    fresh.get("/").await.expect(200).shows(&["Mes stagiaires"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_or_removing_a_passkey_ends_the_tutors_other_sessions() {
    let app = App::start().await;
    let link = app.link(Subject::Tutor(app.w.helene)).await;
    // Someone else opened the link first (a forwarded e-mail).
    let mut intruder = app.browser();
    intruder.sign_in_with(&link).await;
    intruder.get("/mon-acces").await.expect(200);
    let mut tutor = app.browser();
    tutor.sign_in_with(&link).await;
    let mut device = SoftAuthenticator::new(&app.base);
    register_passkey(&tutor, &mut device, "Téléphone").await;
    tutor
        .get("/mon-acces")
        .await
        .expect(200)
        .shows(&["Les autres sessions ouvertes avec votre lien ont été fermées"]);
    intruder.get("/mon-acces").await.expect(401);

    // Two sessions through link + passkey; removing the passkey from one ends the other.
    let second = app.browser();
    second.post(&link, &[]).await.expect(200);
    confirm_with(&second, &link, &mut device)
        .await
        .0
        .expect(200);
    second.get("/mon-acces").await.expect(200);
    let id = app
        .state
        .store
        .passkeys_of(&Subject::Tutor(app.w.helene))
        .unwrap()[0]
        .id;
    let remove = format!("/mon-acces/cles/{id}/supprimer");
    let confirm = tutor.get(&remove).await;
    confirm
        .expect(200)
        .shows(&["vos autres sessions", "seront fermées"]);
    tutor
        .post(&remove, &[("_csrf", &confirm.csrf())])
        .await
        .expect_redirect("/mon-acces");
    second.get("/mon-acces").await.expect(401);
    tutor.get("/mon-acces").await.expect(200);
}
