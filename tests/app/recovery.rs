//! Recovery (issue 7, item 5): a referent (for the students they refer) or a
//! coordinator gives a new invitation, which revokes nothing until the new passkey is
//! registered; then the old passkey can be removed. And the break-glass command
//! `livret admin sign-in-link`, which prints coordinators' invitations.

use crate::soft_authenticator::SoftAuthenticator;
use crate::support::*;
use crate::tutor_passkey::{post_json, register_passkey};
use livret::domain::Subject;
use serde_json::json;

/// The invitation shown once on the "Lien d'invitation" page: its path `/acces/…`.
fn shown_link(page: &Page, base: &str) -> String {
    page.expect(200).shows(&["Lien d'invitation"]);
    let text = page.text();
    let start = text
        .find(&format!("{base}/acces/"))
        .unwrap_or_else(|| panic!("no invitation link on the page:\n{}", page.body));
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    url.strip_prefix(base).unwrap().to_string()
}

/// A browser signed in with a passkey of `device` (discoverable sign-in on /connexion).
async fn signed_in_with(app: &App, device: &mut SoftAuthenticator) -> (Browser, Page) {
    let b = app.browser();
    let (start, options) = post_json(&b, "/api/connexion", &json!({})).await;
    start.expect(200);
    let credential = device.sign_in(&options["options"]);
    let (done, _) = post_json(
        &b,
        "/api/connexion/fin",
        &json!({ "credential": credential, "ceremony": options["ceremony"] }),
    )
    .await;
    (b, done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referents_invitation_revokes_nothing_until_the_new_passkey_replaces_the_old() {
    let app = App::start().await;
    let w = &app.w;
    let mael = Subject::Student(w.mael);

    // Maël's first passkey, on his old phone, from his first invitation.
    let first = livret::auth::issue_invitation(&app.state.store, &app.clock, mael)
        .await
        .unwrap();
    let mut old_phone_session = app.browser();
    old_phone_session
        .open_invitation(&format!("/acces/{first}"))
        .await;
    let mut old_phone = SoftAuthenticator::new(&app.base);
    register_passkey(&old_phone_session, &mut old_phone, "Ancien téléphone").await;

    // He loses it. His referent, on the placement page, gives him a new invitation.
    let referent = app.teacher(w.referent).await;
    let placement = referent.get(&stage(w.p_mael)).await;
    placement.expect(200).shows(&[
        "Accès de l'élève",
        "1 clé d'accès enregistrée.",
        "Donner une nouvelle invitation",
        "perdu son téléphone",
    ]);
    let shown = referent
        .post(
            &format!("/eleves/{}/invitation", w.mael),
            &[("_csrf", &placement.csrf())],
        )
        .await;
    shown.shows(&[
        "Maël Ferrand",
        "une seule fois",
        "les clés d'accès déjà enregistrées restent valables",
        "Retour à mes élèves",
    ]);
    let invitation = shown_link(&shown, &app.base);

    // Nothing is revoked yet: the old passkey and the old session still work.
    old_phone_session
        .get("/")
        .await
        .expect_redirect(&stage(w.p_mael));
    let (_, done) = signed_in_with(&app, &mut old_phone).await;
    done.expect(200);

    // On the new phone: the invitation leads to creating a passkey.
    let mut new_phone_session = app.browser();
    new_phone_session.open_invitation(&invitation).await;
    let mut new_phone = SoftAuthenticator::new(&app.base);
    register_passkey(&new_phone_session, &mut new_phone, "Nouveau téléphone").await;
    app.browser().get(&invitation).await.expect(404);

    // The old passkey still signs in, until Maël removes it.
    let (b, done) = signed_in_with(&app, &mut old_phone).await;
    done.expect(200);
    b.get("/").await.expect_redirect(&stage(w.p_mael));
    let passkeys = app.state.store.passkeys_of(&mael).unwrap();
    assert_eq!(passkeys.len(), 2);
    let old = passkeys
        .iter()
        .find(|p| p.name == "Ancien téléphone")
        .unwrap()
        .id;
    let list = new_phone_session.get("/cles-d-acces").await;
    list.expect(200)
        .shows(&["Ancien téléphone", "Nouveau téléphone"]);
    new_phone_session
        .post(
            &format!("/cles-d-acces/{old}/supprimer"),
            &[("_csrf", &list.csrf())],
        )
        .await
        .expect_redirect("/cles-d-acces");

    // Now the old phone's passkey opens nothing; the new one does.
    let (_, refused) = signed_in_with(&app, &mut old_phone).await;
    refused.expect(401);
    let (b, done) = signed_in_with(&app, &mut new_phone).await;
    done.expect(200);
    b.get("/").await.expect_redirect(&stage(w.p_mael));
    referent.get(&stage(w.p_mael)).await.expect(200).shows(&[
        "1 clé d'accès enregistrée.",
        "Dernière connexion avec une clé le",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_students_referents_and_coordinators_invite_them() {
    let app = App::start().await;
    let w = &app.w;
    let path = format!("/eleves/{}/invitation", w.mael);
    let tokens = || {
        app.state
            .store
            .link_of(
                &Subject::Student(w.mael),
                livret::domain::access::AccessKind::Invitation,
            )
            .unwrap()
    };

    // Odile refers Yanis, not Maël: 404 (she has the card for Yanis only).
    let odile = app.teacher(w.odile).await;
    let csrf = odile.csrf(&stage(w.p_yanis)).await;
    odile.post(&path, &[("_csrf", &csrf)]).await.expect(404);
    odile
        .get(&stage(w.p_yanis))
        .await
        .expect(200)
        .shows(&["Accès de l'élève"]);
    // Tutors and students: no card, and 404.
    let tutor = app.tutor(w.helene).await;
    let page = tutor.get(&stage(w.p_mael)).await;
    page.expect(200)
        .hides(&["Accès de l'élève", "nouvelle invitation"]);
    tutor
        .post(&path, &[("_csrf", &page.csrf())])
        .await
        .expect(404);
    let student = app.student(w.mael).await;
    let page = student.get(&stage(w.p_mael)).await;
    page.expect(200)
        .hides(&["Accès de l'élève", "nouvelle invitation"]);
    student
        .post(&path, &[("_csrf", &page.csrf())])
        .await
        .expect(404);
    // An unknown student: 404.
    let referent = app.teacher(w.referent).await;
    let csrf = referent.csrf(&stage(w.p_mael)).await;
    referent
        .post(
            &format!("/eleves/{}/invitation", livret::domain::StudentId::new()),
            &[("_csrf", &csrf)],
        )
        .await
        .expect(404);
    // The referent without the form's token: 403.
    referent.post(&path, &[]).await.expect(403);
    assert!(tokens().is_none(), "no invitation was issued");

    // The coordinator may, from the same page.
    let coordinator = app.coordinator().await;
    let page = coordinator.get(&stage(w.p_mael)).await;
    page.expect(200).shows(&["Donner une nouvelle invitation"]);
    let shown = coordinator.post(&path, &[("_csrf", &page.csrf())]).await;
    shown.shows(&["Retour à l'établissement"]);
    shown_link(&shown, &app.base);
    assert!(tokens().is_some());

    // A deactivated student gets none (it would open nothing), and no button.
    app.state
        .store
        .set_person_active(&Subject::Student(w.mael), false)
        .await
        .unwrap();
    let page = referent.get(&stage(w.p_mael)).await;
    page.expect(200).hides(&["Donner une nouvelle invitation"]);
    referent
        .post(&path, &[("_csrf", &page.csrf())])
        .await
        .expect(404);
}

/// Opens the app's store directory again once the previous handle is gone.
async fn open_again(config: &livret::config::Config) -> livret::web::State {
    match open_when_free(config, &fixed_clock()).await {
        Ok(state) => state,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_sign_in_link_prints_coordinators_invitations_and_revokes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let addr = "127.0.0.1:8080".parse().unwrap();
    let cfg = config(dir.path(), addr, "http://localhost:8080");
    let world = World::build(today(), fixed_clock().zone());
    let coordinator = Subject::Coordinator(world.coordinator);
    {
        let state = open_again(&cfg).await;
        state.store.seed(&world.seed).await.unwrap();
        // The coordinator's passkey, registered earlier (then the phone was lost).
        let passkey = livret::domain::passkey::PasskeyCredential {
            id: livret::domain::PasskeyId::new(),
            subject: coordinator,
            credential_id: vec![7; 32],
            name: "Téléphone perdu".into(),
            passkey_json: "{}".into(),
            created_at: fixed_clock().now(),
            last_used: None,
            backup_eligible: false,
            backup_state: false,
        };
        assert!(state.store.add_passkey(&passkey).await.unwrap());
        state.store.flush().await.unwrap();
    }

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let lines = loop {
        match livret::admin_sign_in_link(cfg.clone()).await {
            Ok(lines) => break lines,
            Err(e)
                if e.to_string().contains("déjà utilisé")
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(lines.len(), 2, "{lines:?}");
    let secret = lines[0]
        .strip_prefix("coordination Béatrice Lhôte: http://localhost:8080/acces/")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        lines[1].contains("usage unique") && lines[1].contains("7 jours"),
        "{lines:?}"
    );

    let state = open_again(&cfg).await;
    let token = state
        .store
        .token(&livret::auth::hash_secret(secret))
        .unwrap()
        .expect("the printed invitation is stored");
    assert_eq!(token.subject, coordinator);
    assert_eq!(token.kind, livret::domain::access::AccessKind::Invitation);
    assert_eq!(
        token.expires.duration_since(token.issued),
        jiff::SignedDuration::from_hours(24 * 7)
    );
    assert_eq!(
        state.store.passkeys_of(&coordinator).unwrap().len(),
        1,
        "the coordinator's passkeys are left alone"
    );
}
