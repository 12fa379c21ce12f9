//! Passkeys (issue 7), end to end over HTTP with the software authenticator: an
//! invitation leads to creating a passkey, which then signs in without any link
//! (discoverable, or e-mail first); replayed, expired, foreign and missing ceremonies,
//! another origin, a removed credential, a counter that goes back and a missing user
//! verification are refused; tutors and deactivated people are turned away from
//! /connexion; sessions get a new id at sign-in and end on the server at sign-out; the
//! list page renames and removes, never the last passkey without another way in; the
//! sign-in API is rate-limited and CSRF-guarded; the ceremony's state never leaves the
//! server.

use crate::soft_authenticator::SoftAuthenticator;
use crate::support::*;
use jiff::SignedDuration;
use livret::domain::*;
use serde_json::{Value, json};

const SYNC: (&str, &str) = ("x-livret-sync", "1");
const REGISTER: &str = "/api/cles-d-acces/inscription";
const REGISTER_END: &str = "/api/cles-d-acces/inscription/fin";
const SIGN_IN: &str = "/api/connexion";
const SIGN_IN_END: &str = "/api/connexion/fin";
const CEREMONY: &str = "livret-ceremony";

async fn api(b: &Browser, path: &str, body: &Value) -> Page {
    b.post_body(path, "application/json", &body.to_string(), &[SYNC])
        .await
}

/// Asserts the status and that the answer is JSON, not to be cached; returns it parsed.
#[track_caller]
fn json_of(page: &Page, status: u16) -> Value {
    page.expect(status);
    assert_eq!(
        page.header("content-type"),
        Some("application/json"),
        "{} {}",
        page.method,
        page.url
    );
    assert!(
        page.header("cache-control")
            .is_some_and(|c| c.contains("no-store")),
        "{} {}: Cache-Control {:?}",
        page.method,
        page.url,
        page.header("cache-control")
    );
    serde_json::from_str(&page.body).unwrap()
}

/// The value a `Set-Cookie` of the answer gives `name` ("" when it deletes it).
fn cookie(page: &Page, name: &str) -> Option<String> {
    page.set_cookie(name).map(|c| {
        c.split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    })
}

/// The ceremony id a start answered (sent back with the finish).
fn id(start: &Page) -> Value {
    serde_json::from_str::<Value>(&start.body).unwrap()["ceremony"].clone()
}

/// Name of the cookie of the ceremony a start answered.
fn ceremony_name(start: &Page) -> String {
    format!("{CEREMONY}-{}", id(start).as_str().expect("a ceremony id"))
}

/// The `Set-Cookie` of any ceremony cookie in an answer.
fn any_ceremony(page: &Page) -> Option<String> {
    crate::tutor_passkey::ceremony_set(page)
}

/// The shape of a JSON value: its keys and the types of its values, recursively (the
/// values themselves left out).
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

/// A browser signed in through a fresh invitation (POST → /cles-d-acces/nouvelle).
async fn invited(app: &App, subject: Subject) -> Browser {
    let secret = livret::auth::issue_invitation(&app.state.store, &app.clock, subject)
        .await
        .unwrap();
    let mut b = app.browser();
    b.open_invitation(&format!("/acces/{secret}")).await;
    b
}

/// Registers a passkey named `name` from `b`'s session: start + the device + finish.
async fn register(b: &Browser, auth: &mut SoftAuthenticator, name: &str) -> Page {
    let start = api(b, REGISTER, &json!({ "name": name })).await;
    let options = json_of(&start, 200)["options"].clone();
    let answer = auth.register(&options);
    api(
        b,
        REGISTER_END,
        &json!({ "name": name, "credential": answer, "ceremony": id(&start) }),
    )
    .await
}

/// Starts a sign-in from `b` (e-mail first when given), lets the device answer, and
/// sends the answer; returns the finish's answer.
async fn sign_in(b: &Browser, auth: &mut SoftAuthenticator, email: Option<&str>) -> Page {
    let start = api(b, SIGN_IN, &json!({ "email": email })).await;
    let options = json_of(&start, 200)["options"].clone();
    let answer = auth.sign_in(&options);
    api(
        b,
        SIGN_IN_END,
        &json!({ "credential": answer, "ceremony": id(&start) }),
    )
    .await
}

/// A signed-in browser as the passkey made it (checks the 200 and the new cookie).
async fn signed_in(app: &App, auth: &mut SoftAuthenticator) -> Browser {
    let b = app.browser();
    let end = sign_in(&b, auth, None).await;
    assert_eq!(json_of(&end, 200), json!({ "redirect": "/" }));
    assert!(cookie(&end, "livret").is_some_and(|v| !v.is_empty()));
    b
}

async fn sign_out(b: &Browser) {
    let csrf = b.csrf("/cles-d-acces").await;
    b.post("/deconnexion", &[("_csrf", &csrf)])
        .await
        .expect_redirect("/");
}

fn passkeys(app: &App, subject: Subject) -> Vec<livret::domain::passkey::PasskeyCredential> {
    app.state.store.passkeys_of(&subject).unwrap()
}

async fn deactivate_mael(app: &App) {
    let mut record = app.state.store.student(app.w.mael).unwrap().unwrap();
    record.active = false;
    let seed = livret::store::SchoolSeed {
        students: vec![record],
        ..Default::default()
    };
    app.state.store.seed(&seed).await.unwrap();
}

async fn set_mael_email(app: &App, email: &str) {
    let mut record = app.state.store.student(app.w.mael).unwrap().unwrap();
    record.email = Some(email.into());
    let seed = livret::store::SchoolSeed {
        students: vec![record],
        ..Default::default()
    };
    app.state.store.seed(&seed).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_leads_to_a_passkey_that_then_signs_in_without_a_link() {
    let app = App::start().await;
    let w = &app.w;
    let mael = Subject::Student(w.mael);
    let b = invited(&app, mael).await;

    // The page the invitation leads to.
    let page = b.get("/cles-d-acces/nouvelle").await;
    page.expect(200).shows(&[
        "Créez votre clé d'accès",
        "empreinte, votre visage ou le code",
        "Créer ma clé d'accès",
        "Plus tard",
        "nouvelle invitation",
        "Ce navigateur ne permet pas de créer une clé d'accès",
    ]);
    assert_eq!(page.field("name").as_deref(), Some("Ordinateur"));
    assert!(page.body.contains("data-passkey-register"));

    // Registration: the ceremony cookie, then the passkey stored under its name.
    let mut phone = SoftAuthenticator::new(&app.base);
    let start = api(&b, REGISTER, &json!({ "name": "Téléphone" })).await;
    let options = json_of(&start, 200)["options"].clone();
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    let set = start
        .set_cookie(&ceremony_name(&start))
        .expect("ceremony cookie");
    let attrs: Vec<String> = set
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for want in ["httponly", "samesite=strict", "path=/", "max-age=300"] {
        assert!(attrs.contains(&want.to_string()), "{want} in {set}");
    }
    let answer = phone.register(&options);
    let end = api(
        &b,
        REGISTER_END,
        &json!({ "name": "  Téléphone   de Maël ", "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    let created = json_of(&end, 201);
    assert_eq!(created["name"], "Téléphone de Maël");
    assert_eq!(
        cookie(&end, &ceremony_name(&start)).as_deref(),
        Some(""),
        "cleared"
    );
    let stored = passkeys(&app, mael);
    assert_eq!(stored.len(), 1);
    assert_eq!(created["id"], stored[0].id.to_string());
    // The message waits for the next page (the student's placement).
    b.get("/").await.expect_redirect(&stage(w.p_mael));
    b.get(&stage(w.p_mael))
        .await
        .expect(200)
        .shows(&["Clé d'accès créée"]);
    b.get("/cles-d-acces")
        .await
        .expect(200)
        .shows(&[
            "Téléphone de Maël",
            "Ajoutée le mercredi 11 mars 2026 à 10 h 30",
            "Jamais utilisée",
        ])
        .hides(&["synchronisée"]);

    // Signed out, then back in with the passkey alone.
    sign_out(&b).await;
    b.get(&stage(w.p_mael)).await.expect(401);
    app.clock.advance(SignedDuration::from_hours(2));
    let again = signed_in(&app, &mut phone).await;
    again.get("/").await.expect_redirect(&stage(w.p_mael));
    again
        .get(&stage(w.p_mael))
        .await
        .expect(200)
        .shows(&["Maël Ferrand"]);
    again
        .get("/cles-d-acces")
        .await
        .expect(200)
        .shows(&["Dernière utilisation le mercredi 11 mars 2026 à 12 h 30"]);

    // E-mail first: only that person's passkeys are offered; an unknown address, or a
    // tutor's, gets a decoy id in options of the same shape (item 4 of the review: the
    // answer must not tell who has an account); no address at all lists nothing.
    set_mael_email(&app, "mael.ferrand@eleves.invalid").await;
    let narrowed = api(
        &app.browser(),
        SIGN_IN,
        &json!({ "email": "  Mael.Ferrand@Eleves.INVALID " }),
    )
    .await;
    let allowed = json_of(&narrowed, 200)["options"]["publicKey"]["allowCredentials"].clone();
    assert_eq!(allowed.as_array().map(Vec::len), Some(1), "{allowed}");
    assert_eq!(allowed[0]["id"], phone.credential_ids()[0]);
    let known = json_of(&narrowed, 200);
    for other in [
        "personne@nulle-part.invalid",
        "helene.caille@egv-demo.invalid",
    ] {
        let start = api(&app.browser(), SIGN_IN, &json!({ "email": other })).await;
        let unknown = json_of(&start, 200);
        assert_eq!(
            shape(&unknown),
            shape(&known),
            "{other}: {unknown} vs {known}"
        );
        let decoy = &unknown["options"]["publicKey"]["allowCredentials"];
        assert_ne!(decoy[0]["id"], allowed[0]["id"]);
        // The same decoy at each try (a random one would tell it apart).
        let again = api(&app.browser(), SIGN_IN, &json!({ "email": other })).await;
        assert_eq!(
            json_of(&again, 200)["options"]["publicKey"]["allowCredentials"],
            *decoy
        );
        assert!(unknown["options"].get("mediation").is_none());
    }
    let start = api(&app.browser(), SIGN_IN, &json!({})).await;
    let anyone = json_of(&start, 200)["options"].clone();
    assert_eq!(anyone["publicKey"]["allowCredentials"], json!([]));
    assert_eq!(
        anyone["publicKey"]["extensions"],
        known["options"]["publicKey"]["extensions"]
    );
    let b2 = app.browser();
    let end = sign_in(&b2, &mut phone, Some("mael.ferrand@eleves.invalid")).await;
    json_of(&end, 200);
    b2.get(&stage(w.p_mael)).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_page_works_without_a_session_and_explains_without_script() {
    let app = App::start().await;
    let anon = app.browser();
    anon.get("/")
        .await
        .expect(200)
        .shows(&["Bienvenue sur Livret", "href=\"/connexion\""]);
    let page = anon.get("/connexion?email=ana%40exemple.invalid").await;
    page.expect(200).shows(&[
        "Se connecter",
        "Se connecter avec une clé d'accès",
        "autocomplete=\"username webauthn\"",
        "Continuer",
        "role=\"alert\"",
        "Utilisez un navigateur à jour",
        "nouveau lien d'invitation",
        "Tuteurs en entreprise",
    ]);
    assert_eq!(page.field("email").as_deref(), Some("ana@exemple.invalid"));
    // Signed in: nothing to do here.
    let mael = app.student(app.w.mael).await;
    mael.get("/connexion").await.expect_redirect("/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_expired_missing_and_foreign_ceremonies_are_refused() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut phone, "Téléphone").await, 201);

    // Replay: the same cookie and answer twice.
    let a = app.browser();
    let start = api(&a, SIGN_IN, &json!({})).await;
    let name = ceremony_name(&start);
    let ceremony = cookie(&start, &name).unwrap();
    let answer = phone.sign_in(&json_of(&start, 200)["options"]);
    let body = json!({ "credential": answer, "ceremony": id(&start) });
    json_of(&api(&a, SIGN_IN_END, &body).await, 200);
    let replay = Browser::with_cookie(&app.base, &format!("{name}={ceremony}"));
    let refused = json_of(&api(&replay, SIGN_IN_END, &body).await, 400);
    assert_eq!(refused["error"], "expired");
    assert_eq!(
        refused["message"],
        "La demande a expiré ou a déjà servi : recommencez."
    );
    json_of(&api(&a, SIGN_IN_END, &body).await, 400);

    // No ceremony cookie at all.
    let c = app.browser();
    let start = api(&c, SIGN_IN, &json!({})).await;
    let answer = phone.sign_in(&json_of(&start, 200)["options"]);
    let bare = app.browser();
    let refused = api(
        &bare,
        SIGN_IN_END,
        &json!({ "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    assert_eq!(json_of(&refused, 400)["error"], "expired");
    assert!(refused.set_cookie("livret").is_none());

    // Expired: answered after six minutes.
    let start = api(&c, SIGN_IN, &json!({})).await;
    let answer = phone.sign_in(&json_of(&start, 200)["options"]);
    app.clock.advance(SignedDuration::from_mins(6));
    let late = api(
        &c,
        SIGN_IN_END,
        &json!({ "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    assert_eq!(json_of(&late, 400)["error"], "expired");
    assert!(late.set_cookie("livret").is_none());

    // A registration answered late is refused too, and stores nothing.
    let start = api(&b, REGISTER, &json!({})).await;
    let mut laptop = SoftAuthenticator::new(&app.base);
    let answer = laptop.register(&json_of(&start, 200)["options"]);
    app.clock.advance(SignedDuration::from_mins(6));
    let late = api(
        &b,
        REGISTER_END,
        &json!({ "name": "Ordinateur", "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    assert_eq!(json_of(&late, 400)["error"], "expired");
    assert_eq!(passkeys(&app, mael).len(), 1);

    // Another person's registration ceremony: Éloïse cannot finish Maël's.
    let start = api(&b, REGISTER, &json!({})).await;
    let maels_name = ceremony_name(&start);
    let maels = cookie(&start, &maels_name).unwrap();
    let answer = laptop.register(&json_of(&start, 200)["options"]);
    let eloise = invited(&app, Subject::Student(app.w.eloise)).await;
    let session = eloise.session.clone().unwrap();
    let foreign = Browser::with_cookie(
        &app.base,
        &format!("livret={session}; {maels_name}={maels}"),
    );
    let refused = api(
        &foreign,
        REGISTER_END,
        &json!({ "name": "Ordinateur", "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    assert_eq!(json_of(&refused, 400)["error"], "refused");
    assert!(passkeys(&app, Subject::Student(app.w.eloise)).is_empty());
    assert_eq!(passkeys(&app, mael).len(), 1);

    // A sign-in ceremony cannot finish a registration.
    let start = api(&b, SIGN_IN, &json!({})).await;
    json_of(&start, 200);
    let start_reg = api(&b, REGISTER, &json!({})).await;
    let options = json_of(&start_reg, 200)["options"].clone();
    let answer = laptop.register(&options);
    let sign_in_name = ceremony_name(&start);
    let sign_in_cookie = cookie(&start, &sign_in_name).unwrap();
    let session = b.session.clone().unwrap();
    let mixed = Browser::with_cookie(
        &app.base,
        &format!("livret={session}; {sign_in_name}={sign_in_cookie}"),
    );
    let refused = api(
        &mixed,
        REGISTER_END,
        &json!({ "name": "Ordinateur", "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    assert_eq!(json_of(&refused, 400)["error"], "refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_origin_a_removed_key_a_counter_going_back_and_no_user_verification_are_refused() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut phone, "Téléphone").await, 201);

    // A phishing page relaying Livret's challenge: its origin is in the signed data.
    let mut phishing = phone.with_origin("http://livret.example.net");
    let end = sign_in(&app.browser(), &mut phishing, None).await;
    assert_eq!(json_of(&end, 401)["error"], "refused");
    assert!(end.set_cookie("livret").is_none());
    let mut elsewhere = SoftAuthenticator::new("http://livret.example.net");
    let end = register(&b, &mut elsewhere, "Faux").await;
    assert_eq!(json_of(&end, 400)["error"], "refused");

    // The counter: 1, 2 accepted; back to 1 (a cloned key) refused.
    signed_in(&app, &mut phone).await;
    signed_in(&app, &mut phone).await;
    phone.set_counter(0);
    let end = sign_in(&app.browser(), &mut phone, None).await;
    assert_eq!(json_of(&end, 401)["error"], "refused");
    phone.set_counter(20);
    signed_in(&app, &mut phone).await;

    // No user verification (a tap without fingerprint, face or code).
    phone.set_user_verified(false);
    let end = sign_in(&app.browser(), &mut phone, None).await;
    assert_eq!(json_of(&end, 401)["error"], "refused");
    let mut careless = SoftAuthenticator::new(&app.base);
    careless.set_user_verified(false);
    let end = register(&b, &mut careless, "Sans vérification").await;
    assert_eq!(json_of(&end, 400)["error"], "refused");
    assert_eq!(passkeys(&app, mael).len(), 1);
    phone.set_user_verified(true);

    // Removed from the list: it opens nothing any more.
    let mut laptop = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut laptop, "Ordinateur").await, 201);
    let id = passkeys(&app, mael)
        .iter()
        .find(|p| p.name == "Téléphone")
        .unwrap()
        .id;
    let csrf = b.csrf("/cles-d-acces").await;
    b.post(
        &format!("/cles-d-acces/{id}/supprimer"),
        &[("_csrf", &csrf)],
    )
    .await
    .expect_redirect("/cles-d-acces");
    let end = sign_in(&app.browser(), &mut phone, None).await;
    let refused = json_of(&end, 401);
    assert_eq!(refused["error"], "unknown-credential");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("n'est pas (ou plus) enregistrée")
    );
    signed_in(&app, &mut laptop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutors_and_deactivated_people_are_turned_away_from_the_sign_in_page() {
    let app = App::start().await;
    // A tutor may bind a passkey to their link session…
    let helene = app.tutor(app.w.helene).await;
    let mut hers = SoftAuthenticator::new(&app.base);
    json_of(&register(&helene, &mut hers, "Téléphone").await, 201);
    assert_eq!(passkeys(&app, Subject::Tutor(app.w.helene)).len(), 1);
    // …but it does not open /connexion: tutors come through their link.
    let end = sign_in(&app.browser(), &mut hers, None).await;
    let refused = json_of(&end, 403);
    assert_eq!(refused["error"], "tutor");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("lien personnel")
    );
    assert!(end.set_cookie("livret").is_none());
    // Nor does the tutor get the passkey pages of the others.
    helene.get("/cles-d-acces").await.expect(404);
    helene.get("/cles-d-acces/nouvelle").await.expect(404);
    helene
        .get("/notifications")
        .await
        .expect(200)
        .hides(&["href=\"/cles-d-acces\""]);

    // A deactivated student's passkey opens nothing.
    let mael = invited(&app, Subject::Student(app.w.mael)).await;
    mael.get("/notifications")
        .await
        .expect(200)
        .shows(&["href=\"/cles-d-acces\""]);
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&mael, &mut phone, "Téléphone").await, 201);
    deactivate_mael(&app).await;
    let end = sign_in(&app.browser(), &mut phone, None).await;
    let refused = json_of(&end, 403);
    assert_eq!(refused["error"], "inactive");
    assert!(end.set_cookie("livret").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_gives_a_new_session_id_and_signing_out_ends_it_on_the_server() {
    let app = App::start().await;
    let w = &app.w;
    let mael = Subject::Student(w.mael);
    let b = invited(&app, mael).await;
    let old = b.session.clone().unwrap();
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut phone, "Téléphone").await, 201);

    // Signing in again in the same browser: a new id, the old one is gone.
    let end = sign_in(&b, &mut phone, None).await;
    json_of(&end, 200);
    let new = cookie(&end, "livret").unwrap();
    assert_ne!(new, old);
    let attrs = end.set_cookie("livret").unwrap().to_ascii_lowercase();
    assert!(
        attrs.contains("httponly") && attrs.contains("samesite=lax"),
        "{attrs}"
    );
    Browser::with_cookie(&app.base, &format!("livret={old}"))
        .get(&stage(w.p_mael))
        .await
        .expect(401);
    let current = Browser::with_cookie(&app.base, &format!("livret={new}"));
    current.get(&stage(w.p_mael)).await.expect(200);
    b.get(&stage(w.p_mael)).await.expect(200);

    // Signing out ends that session on the server: the cookie kept elsewhere is dead.
    sign_out(&b).await;
    current.get(&stage(w.p_mael)).await.expect(401);
    current
        .get("/")
        .await
        .expect(200)
        .shows(&["Bienvenue sur Livret"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_are_renamed_and_removed_but_never_the_last_without_another_way_in() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let mut phone = SoftAuthenticator::new(&app.base);
    phone.set_backup(true, true);
    json_of(&register(&b, &mut phone, "Téléphone").await, 201);
    // Synced (BE and BS): shown once a sign-in has reported it.
    signed_in(&app, &mut phone).await;
    let id = passkeys(&app, mael)[0].id;
    b.get("/cles-d-acces").await.expect(200).shows(&[
        "Téléphone",
        "synchronisée",
        "Renommer",
        "Supprimer",
    ]);

    // Rename: a bad name comes back with what was typed and the message.
    let csrf = b.csrf("/cles-d-acces").await;
    let rename = format!("/cles-d-acces/{id}/nom");
    let long = "x".repeat(61);
    let page = b.post(&rename, &[("_csrf", &csrf), ("name", &long)]).await;
    page.expect(422).shows(&[
        "ne doit pas dépasser 60 caractères",
        &long,
        "aria-invalid=\"true\"",
    ]);
    let page = b.post(&rename, &[("_csrf", &csrf), ("name", "   ")]).await;
    page.expect(422)
        .shows(&["Donnez un nom à cette clé d'accès"]);
    b.post(&rename, &[("name", "Sans jeton")]).await.expect(403);
    b.post(&rename, &[("_csrf", &csrf), ("name", " Téléphone  perso ")])
        .await
        .expect_redirect("/cles-d-acces");
    b.get("/cles-d-acces")
        .await
        .expect(200)
        .shows(&["Clé d'accès renommée.", "Téléphone perso"]);
    assert_eq!(passkeys(&app, mael)[0].name, "Téléphone perso");

    // The last one stays while the invitation is used up.
    let remove = format!("/cles-d-acces/{id}/supprimer");
    b.get(&remove)
        .await
        .expect(200)
        .shows(&["C'est votre seule clé d'accès"])
        .hides(&["Supprimer la clé d'accès"]);
    b.post(&remove, &[("_csrf", &csrf)])
        .await
        .expect(409)
        .shows(&["C'est votre seule clé d'accès"]);
    assert_eq!(passkeys(&app, mael).len(), 1);

    // With a second one, the first may go.
    let mut laptop = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut laptop, "Ordinateur").await, 201);
    b.get(&remove)
        .await
        .expect(200)
        .shows(&["Supprimer la clé d'accès", "Annuler"]);
    b.post(&remove, &[("_csrf", &csrf)])
        .await
        .expect_redirect("/cles-d-acces");
    b.get("/cles-d-acces")
        .await
        .expect(200)
        .shows(&["Clé d'accès supprimée", "Ordinateur"])
        .hides(&["Téléphone perso"]);
    b.get(&remove).await.expect(404);

    // The last one may go once a new invitation waits (a recovery).
    let last = passkeys(&app, mael)[0].id;
    let remove_last = format!("/cles-d-acces/{last}/supprimer");
    b.post(&remove_last, &[("_csrf", &csrf)]).await.expect(409);
    livret::auth::issue_invitation(&app.state.store, &app.clock, mael)
        .await
        .unwrap();
    b.get(&remove_last)
        .await
        .expect(200)
        .shows(&["Supprimer la clé d'accès"]);
    b.post(&remove_last, &[("_csrf", &csrf)])
        .await
        .expect_redirect("/cles-d-acces");
    assert!(passkeys(&app, mael).is_empty());
    b.get("/cles-d-acces")
        .await
        .expect(200)
        .shows(&["Vous n'avez encore aucune clé d'accès"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_elses_passkey_is_not_found() {
    let app = App::start().await;
    let b = invited(&app, Subject::Student(app.w.mael)).await;
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut phone, "Pixel de Maël").await, 201);
    let id = passkeys(&app, Subject::Student(app.w.mael))[0].id;

    let eloise = invited(&app, Subject::Student(app.w.eloise)).await;
    let csrf = eloise.csrf("/cles-d-acces").await;
    eloise
        .get(&format!("/cles-d-acces/{id}/supprimer"))
        .await
        .expect(404);
    eloise
        .post(
            &format!("/cles-d-acces/{id}/supprimer"),
            &[("_csrf", &csrf)],
        )
        .await
        .expect(404);
    eloise
        .post(
            &format!("/cles-d-acces/{id}/nom"),
            &[("_csrf", &csrf), ("name", "À moi")],
        )
        .await
        .expect(404);
    eloise
        .get("/cles-d-acces/pas-un-id/supprimer")
        .await
        .expect(404);
    eloise
        .get("/cles-d-acces")
        .await
        .expect(200)
        .hides(&["Pixel de Maël"]);
    let stored = passkeys(&app, Subject::Student(app.w.mael));
    assert_eq!(
        (stored.len(), stored[0].name.as_str()),
        (1, "Pixel de Maël")
    );
    // Not signed in: the pages want a session, the API says so in JSON.
    app.browser().get("/cles-d-acces").await.expect(401);
    let refused = api(&app.browser(), REGISTER, &json!({})).await;
    assert_eq!(json_of(&refused, 401)["error"], "sign-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_name_is_refused_and_the_same_passkey_can_be_sent_again() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let refused = api(&b, REGISTER, &json!({ "name": "x".repeat(61) })).await;
    let body = json_of(&refused, 422);
    assert!(
        body["errors"]["name"][0]
            .as_str()
            .unwrap()
            .contains("60 caractères")
    );
    assert!(any_ceremony(&refused).is_none());

    let mut phone = SoftAuthenticator::new(&app.base);
    let start = api(&b, REGISTER, &json!({})).await;
    let answer = phone.register(&json_of(&start, 200)["options"]);
    let bad = api(
        &b,
        REGISTER_END,
        &json!({ "name": " ", "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    let body = json_of(&bad, 422);
    assert_eq!(body["error"], "invalid");
    assert_eq!(
        body["message"],
        "Donnez un nom à cette clé d'accès, par exemple « Téléphone »."
    );
    assert!(passkeys(&app, mael).is_empty());
    let good = api(
        &b,
        REGISTER_END,
        &json!({ "name": "Téléphone", "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    json_of(&good, 201);
    // Sent once more: the ceremony is used up.
    let again = api(
        &b,
        REGISTER_END,
        &json!({ "name": "Téléphone", "credential": answer, "ceremony": id(&start) }),
    )
    .await;
    assert_eq!(json_of(&again, 400)["error"], "expired");
    assert_eq!(passkeys(&app, mael).len(), 1);
    // An unreadable answer is a 400 in JSON.
    let garbled = api(&b, REGISTER_END, &json!({ "name": "X", "credential": 3 })).await;
    assert_eq!(json_of(&garbled, 400)["error"], "bad-request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_api_is_rate_limited_and_csrf_guarded() {
    let app = App::start().await;
    let b = app.browser();
    // No X-Livret-Sync, or another content type: refused in JSON.
    let page = b.post_body(SIGN_IN, "application/json", "{}", &[]).await;
    assert_eq!(json_of(&page, 403)["error"], "forbidden");
    let page = b.post_body(SIGN_IN, "text/plain", "{}", &[SYNC]).await;
    assert_eq!(json_of(&page, 403)["error"], "forbidden");
    let page = b
        .post_body(SIGN_IN_END, "application/json", "{}", &[])
        .await;
    json_of(&page, 403);
    let mael = invited(&app, Subject::Student(app.w.mael)).await;
    let page = mael
        .post_body(REGISTER, "application/json", "{}", &[])
        .await;
    json_of(&page, 403);
    assert!(any_ceremony(&page).is_none());
    // From another site.
    let page = b
        .post_body(
            SIGN_IN,
            "application/json",
            "{}",
            &[SYNC, ("origin", "https://evil.example")],
        )
        .await;
    json_of(&page, 403);

    // Starts verify nothing: typing someone's address again and again locks nobody
    // out (item 5 of the review).
    let email = json!({ "email": "quelqu.un@exemple.invalid" });
    for _ in 0..15 {
        json_of(&api(&b, SIGN_IN, &email).await, 200);
    }
}

/// A sign-in answer of `device` whose signature is spoiled (the junk an attacker sends
/// with someone's credential id).
fn junk(device: &mut SoftAuthenticator, options: &Value) -> Value {
    let mut answer = device.sign_in(options);
    let signature = answer["response"]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let mut spoiled: Vec<char> = signature.chars().collect();
    let last = spoiled.len() - 8;
    spoiled[last] = if spoiled[last] == 'A' { 'B' } else { 'A' };
    answer["response"]["signature"] = json!(spoiled.into_iter().collect::<String>());
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_failed_verifications_count_per_client_and_credential() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut phone, "Téléphone").await, 201);
    let mut laptop = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut laptop, "Ordinateur").await, 201);

    // A genuine sign-in is not counted: twelve in a row all pass.
    for _ in 0..12 {
        json_of(&sign_in(&app.browser(), &mut laptop, None).await, 200);
    }
    // Ten junk answers naming the phone's credential: each refused (401)...
    let attacker = app.browser();
    for _ in 0..10 {
        let start = api(&attacker, SIGN_IN, &json!({})).await;
        let answer = junk(&mut phone, &json_of(&start, 200)["options"]);
        let refused = api(
            &attacker,
            SIGN_IN_END,
            &json!({ "credential": answer, "ceremony": id(&start) }),
        )
        .await;
        assert_eq!(json_of(&refused, 401)["error"], "refused");
    }
    // ... then that credential waits, from this address (the count is per client
    // address and credential: from elsewhere its owner is not affected)...
    let limited = sign_in(&app.browser(), &mut phone, None).await;
    assert_eq!(json_of(&limited, 429)["error"], "too-many-requests");
    assert!(limited.header("retry-after").is_some());
    // ... while another credential, and the e-mail-first path, still work.
    json_of(&sign_in(&app.browser(), &mut laptop, None).await, 200);
    set_mael_email(&app, "mael.ferrand@eleves.invalid").await;
    for _ in 0..11 {
        json_of(
            &api(
                &app.browser(),
                SIGN_IN,
                &json!({ "email": "mael.ferrand@eleves.invalid" }),
            )
            .await,
            200,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ceremony_state_never_leaves_the_server() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let store = &app.state.store;
    let clock = &app.clock;

    // Reads a ceremony's stored state without using it up (take, then put back).
    let peek = |secret: String| async move {
        let hash = livret::auth::hash_secret(&secret);
        let c = store
            .take_ceremony(&hash, clock.now())
            .await
            .unwrap()
            .expect("the ceremony is stored");
        store.put_ceremony(&hash, &c, clock.now()).await.unwrap();
        c.state_json
    };
    let mut answers: Vec<Page> = Vec::new();
    let mut states: Vec<String> = Vec::new();

    let mut phone = SoftAuthenticator::new(&app.base);
    let start = api(&b, REGISTER, &json!({})).await;
    let options = json_of(&start, 200)["options"].clone();
    let state = peek(cookie(&start, &ceremony_name(&start)).unwrap()).await;
    // The challenge is both in the options and in the state: the state itself is not.
    let challenge = options["publicKey"]["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(state.len() > challenge.len() + 50, "{state}");
    let answer = phone.register(&options);
    let ceremony = id(&start);
    answers.push(start);
    answers.push(
        api(
            &b,
            REGISTER_END,
            &json!({ "name": "Téléphone", "credential": answer, "ceremony": ceremony }),
        )
        .await,
    );
    states.push(state);

    let c = app.browser();
    let start = api(&c, SIGN_IN, &json!({})).await;
    let options = json_of(&start, 200)["options"].clone();
    states.push(peek(cookie(&start, &ceremony_name(&start)).unwrap()).await);
    let answer = phone.sign_in(&options);
    let ceremony = id(&start);
    answers.push(start);
    answers.push(
        api(
            &c,
            SIGN_IN_END,
            &json!({ "credential": answer, "ceremony": ceremony }),
        )
        .await,
    );

    for page in &answers {
        assert!(page.status < 300, "{} {}", page.url, page.status);
        let headers = format!("{:?}", page.headers);
        for state in &states {
            assert!(!page.body.contains(state.as_str()), "{}", page.url);
            assert!(!headers.contains(state.as_str()), "{}", page.url);
        }
        // Fields only the server-side state has (webauthn-rs's names).
        for key in [
            "\"rs\"",
            "\"ast\"",
            "credential_algorithms",
            "allow_synchronised",
        ] {
            assert!(
                !page.body.contains(key),
                "{} leaks {key}: {}",
                page.url,
                page.body
            );
        }
    }
    // The names above are really the state's (or the check would prove nothing).
    assert!(
        states
            .iter()
            .any(|s| s.contains("\"rs\"") || s.contains("credential_algorithms")),
        "{states:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_each_keep_their_own_ceremony() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;

    // Registration: two tabs start; the first one's passkey is the one registered.
    let mut phone = SoftAuthenticator::new(&app.base);
    let first = api(&b, REGISTER, &json!({})).await;
    let second = api(&b, REGISTER, &json!({})).await;
    assert_ne!(id(&first), id(&second));
    let answer = phone.register(&json_of(&first, 200)["options"]);
    let done = api(
        &b,
        REGISTER_END,
        &json!({ "name": "Téléphone", "credential": answer, "ceremony": id(&first) }),
    )
    .await;
    json_of(&done, 201);
    assert_eq!(cookie(&done, &ceremony_name(&first)).as_deref(), Some(""));
    assert_eq!(passkeys(&app, mael).len(), 1);

    // Sign-in: two tabs start, the first one finishes, then the second.
    let c = app.browser();
    let first = api(&c, SIGN_IN, &json!({})).await;
    let second = api(&c, SIGN_IN, &json!({})).await;
    let answer = phone.sign_in(&json_of(&first, 200)["options"]);
    let end = api(
        &c,
        SIGN_IN_END,
        &json!({ "credential": answer, "ceremony": id(&first) }),
    )
    .await;
    assert_eq!(json_of(&end, 200), json!({ "redirect": "/" }));
    let d = app.browser();
    let other = api(&d, SIGN_IN, &json!({})).await;
    let answer = phone.sign_in(&json_of(&second, 200)["options"]);
    // The second tab's answer with another tab's id, or a forged id: refused.
    for wrong in [id(&other), json!("../../etc"), json!("")] {
        let refused = api(
            &c,
            SIGN_IN_END,
            &json!({ "credential": answer, "ceremony": wrong }),
        )
        .await;
        assert_eq!(json_of(&refused, 400)["error"], "expired", "{wrong}");
    }
    let end = api(
        &c,
        SIGN_IN_END,
        &json!({ "credential": answer, "ceremony": id(&second) }),
    )
    .await;
    json_of(&end, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_passkey_ends_the_other_sessions() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut phone, "Téléphone").await, 201);
    let mut laptop = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut laptop, "Ordinateur").await, 201);
    // The lost phone's session, and the laptop's.
    let lost = signed_in(&app, &mut phone).await;
    lost.get("/cles-d-acces").await.expect(200);
    let here = signed_in(&app, &mut laptop).await;
    let id = passkeys(&app, mael)[0].id;
    let confirm = here.get(&format!("/cles-d-acces/{id}/supprimer")).await;
    confirm
        .expect(200)
        .shows(&["vos sessions ouvertes sur d'autres appareils seront fermées"]);
    here.post(
        &format!("/cles-d-acces/{id}/supprimer"),
        &[("_csrf", &confirm.csrf())],
    )
    .await
    .expect_redirect("/cles-d-acces");
    here.get("/cles-d-acces").await.expect(200).shows(&[
        "Clé d'accès supprimée",
        "vos sessions ouvertes sur d'autres appareils ont été fermées",
    ]);
    lost.get("/cles-d-acces").await.expect(401);
    b.get("/cles-d-acces").await.expect(401);
    here.get("/cles-d-acces").await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sign_in_leaves_the_passkey_untouched() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let mut phone = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut phone, "Téléphone").await, 201);
    let before = passkeys(&app, mael);
    assert!(before[0].last_used.is_none());
    deactivate_mael(&app).await;
    app.clock.advance(SignedDuration::from_mins(30));
    let refused = sign_in(&app.browser(), &mut phone, None).await;
    assert_eq!(json_of(&refused, 403)["error"], "inactive");
    assert_eq!(passkeys(&app, mael), before, "nothing written back");

    // A tutor's passkey on the sign-in page: refused, untouched.
    let helene = Subject::Tutor(app.w.helene);
    let tutor = app.tutor(app.w.helene).await;
    let mut device = SoftAuthenticator::new(&app.base);
    crate::tutor_passkey::register_passkey(&tutor, &mut device, "Téléphone").await;
    let before = passkeys(&app, helene);
    let refused = sign_in(&app.browser(), &mut device, None).await;
    assert_eq!(json_of(&refused, 403)["error"], "tutor");
    assert_eq!(passkeys(&app, helene), before, "nothing written back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_flags_are_kept_from_the_registration() {
    let app = App::start().await;
    let mael = Subject::Student(app.w.mael);
    let b = invited(&app, mael).await;
    let mut synced = SoftAuthenticator::new(&app.base);
    synced.set_backup(true, true);
    json_of(&register(&b, &mut synced, "Téléphone").await, 201);
    let mut local = SoftAuthenticator::new(&app.base);
    json_of(&register(&b, &mut local, "Clé USB").await, 201);
    let stored = passkeys(&app, mael);
    let named = |name: &str| stored.iter().find(|p| p.name == name).unwrap();
    assert!(named("Téléphone").backup_eligible && named("Téléphone").backup_state);
    assert!(!named("Clé USB").backup_eligible && !named("Clé USB").backup_state);
    let list = b.get("/cles-d-acces").await;
    assert!(list.card("Téléphone").contains("synchronisée"));
    assert!(!list.card("Clé USB").contains("synchronisée"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_ceremonies_are_purged_at_most_once_a_minute() {
    use livret::domain::passkey::{Ceremony, CeremonyPurpose};
    let app = App::start().await;
    let store = &app.state.store;
    let t0 = app.clock.now();
    let at = |secs: i64| t0 + SignedDuration::from_secs(secs);
    let ceremony = |expires| Ceremony {
        purpose: CeremonyPurpose::SignIn,
        state_json: "{}".into(),
        expires,
    };
    // Stored at t0 (the first put purges, and notes when), both expire at t0 + 30 s.
    for hash in [[1; 32], [2; 32]] {
        assert!(
            store
                .put_ceremony(&hash, &ceremony(at(30)), t0)
                .await
                .unwrap()
        );
    }
    // 40 s later (under the minute): no purge; ceremony 1 is still stored (taken as
    // of t0 it is found).
    assert!(
        store
            .put_ceremony(&[3; 32], &ceremony(at(340)), at(40))
            .await
            .unwrap()
    );
    assert!(store.take_ceremony(&[1; 32], t0).await.unwrap().is_some());
    // 70 s after the first purge: the expired ones go, the live one stays.
    assert!(
        store
            .put_ceremony(&[4; 32], &ceremony(at(370)), at(70))
            .await
            .unwrap()
    );
    assert!(
        store.take_ceremony(&[2; 32], t0).await.unwrap().is_none(),
        "purged"
    );
    assert!(
        store
            .take_ceremony(&[3; 32], at(70))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .take_ceremony(&[4; 32], at(70))
            .await
            .unwrap()
            .is_some()
    );
}
