//! Declaring and editing placements (issue 3, item 5): who may, what is stored, the
//! three indexes that decide who sees a placement, and the overlap warning.

use crate::support::*;
use livret::domain::*;

const NEW: &str = "/coordination/stages/nouvelle";
const CREATE: &str = "/coordination/stages";

fn edit_url(p: PlacementId) -> String {
    format!("/stages/{p}/modifier")
}

async fn send(b: &Browser, path: &str, fields: &[(&str, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    b.post(path, &pairs).await
}

/// The create form's hidden fields (CSRF token and the new placement's id), read
/// from a fresh form.
async fn fresh_form(b: &Browser) -> Vec<(&'static str, String)> {
    let form = b.get(NEW).await;
    form.expect(200);
    vec![
        ("_csrf", form.csrf()),
        (
            "id",
            form.field("id").expect("the create form carries an id"),
        ),
    ]
}

/// `fields` with `name` set to `value` (replaced, or added).
fn with(
    mut fields: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    fields.retain(|(n, _)| *n != name);
    fields.push((name, value.to_string()));
    fields
}

/// The edit form as the page fills it: every text field as shown, the selects at the
/// stored placement's values.
async fn edit_form(b: &Browser, p: &Placement) -> Vec<(&'static str, String)> {
    let page = b.get(&edit_url(p.id)).await;
    page.expect(200);
    let mut fields = vec![
        ("_csrf", page.csrf()),
        ("student", p.student.to_string()),
        ("company", p.company.to_string()),
        ("tutor", p.tutor.to_string()),
        ("referent", p.referent.to_string()),
    ];
    for name in [
        "company_name",
        "company_address",
        "company_city",
        "company_siret",
        "tutor_first_name",
        "tutor_last_name",
        "tutor_job_title",
        "tutor_email",
        "tutor_phone",
        "start",
        "end",
        "objectives",
    ] {
        let value = page
            .field(name)
            .unwrap_or_else(|| panic!("the edit form has no field {name}"));
        fields.push((name, value));
    }
    fields
}

fn placement(app: &App, id: PlacementId) -> Placement {
    app.state
        .store
        .placement(id)
        .unwrap()
        .expect("stored placement")
}

fn placement_id(location: &str) -> PlacementId {
    location
        .strip_prefix("/stages/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a placement URL: {location}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_declares_a_placement_with_a_new_company_and_tutor() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let (companies, tutors) = (
        app.state.store.companies().unwrap().len(),
        app.state.store.tutors().unwrap().len(),
    );
    coordinator
        .get("/")
        .await
        .expect(200)
        .shows(&["Nouvelle période de formation"]);
    let form = coordinator
        .get(&format!("{NEW}?eleve={}", app.w.anais))
        .await;
    form.expect(200).shows(&[
        "Nouvelle période de formation",
        "1MELEC",
        "Nouvelle entreprise",
        "Nouveau tuteur",
        "Hélène Caillé — Électricité Générale du Val",
        "Odile Marchand",
    ]);
    assert!(
        form.body
            .contains(&format!("value=\"{}\" selected", app.w.anais)),
        "?eleve= preselects the student"
    );
    let fields = vec![
        ("_csrf", form.csrf()),
        ("id", form.field("id").unwrap()),
        ("student", app.w.anais.to_string()),
        ("company", "nouvelle".into()),
        ("company_name", "Ateliers Électriques de l'Erdre".into()),
        ("company_address", "5 quai de Versailles".into()),
        ("company_city", "44000 Nantes".into()),
        ("company_siret", "732 829 320 00074".into()),
        ("tutor", "nouveau".into()),
        ("tutor_first_name", "Noé".into()),
        ("tutor_last_name", "Le Gall".into()),
        ("tutor_job_title", "Chef d'atelier".into()),
        ("tutor_email", "noe.legall@aee.example".into()),
        ("tutor_phone", "06 12 34 56 78".into()),
        ("referent", app.w.odile.to_string()),
        ("start", "2026-04-06".into()),
        ("end", "30/04/2026".into()),
        (
            "objectives",
            "- Lire un schéma\n\n- Câbler un coffret".into(),
        ),
    ];
    let saved = send(&coordinator, CREATE, &fields).await;
    saved.expect(303);
    let id = placement_id(saved.location());
    let p = placement(&app, id);
    assert_eq!(p.student, app.w.anais);
    assert_eq!(p.referent, app.w.odile);
    assert_eq!(p.start, jiff::civil::date(2026, 4, 6));
    assert_eq!(p.end, jiff::civil::date(2026, 4, 30));
    assert_eq!(p.objectives, vec!["Lire un schéma", "Câbler un coffret"]);
    let company = app.state.store.company(p.company).unwrap().unwrap();
    assert_eq!(company.name, "Ateliers Électriques de l'Erdre");
    assert_eq!(company.siret.as_deref(), Some("73282932000074"));
    let tutor = app.state.store.tutor(p.tutor).unwrap().unwrap();
    assert_eq!(tutor.company, company.id);
    assert_eq!(tutor.name, PersonName::new("Noé", "Le Gall"));
    assert_eq!(app.state.store.companies().unwrap().len(), companies + 1);
    assert_eq!(app.state.store.tutors().unwrap().len(), tutors + 1);

    coordinator.get(&stage(id)).await.expect(200).shows(&[
        "Période de formation enregistrée.",
        "Ateliers Électriques de l'Erdre",
        "Noé Le Gall",
        "Odile Marchand",
        "Lire un schéma",
        "Modifier la période",
    ]);
    // The three indexes: the student, the new tutor and the referent see it.
    let anais = app.student(app.w.anais).await;
    anais.get("/").await.expect_redirect(&stage(id));
    anais
        .get(&stage(id))
        .await
        .expect(200)
        .shows(&["Ateliers Électriques de l'Erdre"])
        .hides(&["Modifier la période"]);
    let noe = app.tutor(tutor.id).await;
    noe.get("/").await.expect(200).shows(&["Anaïs Benoît"]);
    noe.get(&stage(id))
        .await
        .expect(200)
        .hides(&["Modifier la période"]);
    let odile = app.teacher(app.w.odile).await;
    odile.get("/").await.expect(200).shows(&["Anaïs Benoît"]);
    odile
        .get(&stage(id))
        .await
        .expect(200)
        .shows(&["Modifier la période"]);
    // Not the other referent.
    let sebastien = app.teacher(app.w.referent).await;
    sebastien.get(&stage(id)).await.expect(404);
    sebastien
        .get("/")
        .await
        .expect(200)
        .hides(&["Anaïs Benoît"]);

    // The same form sent again stores nothing more.
    let again = send(&coordinator, CREATE, &fields).await;
    again.expect_redirect(&stage(id));
    coordinator
        .get(&stage(id))
        .await
        .shows(&["était déjà enregistrée"]);
    assert_eq!(app.state.store.companies().unwrap().len(), companies + 1);
    assert_eq!(
        app.state
            .store
            .placements_of_student(app.w.anais)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_with_an_existing_company_and_tutor() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let helene = app.state.store.tutor(app.w.helene).unwrap().unwrap();
    let (companies, tutors) = (
        app.state.store.companies().unwrap().len(),
        app.state.store.tutors().unwrap().len(),
    );
    let fields = [
        fresh_form(&coordinator).await,
        vec![
            ("student", app.w.anais.to_string()),
            ("company", helene.company.to_string()),
            ("tutor", helene.id.to_string()),
            ("referent", app.w.referent.to_string()),
            ("start", "2026-05-04".into()),
            ("end", "2026-05-29".into()),
        ],
    ]
    .concat();
    let saved = send(&coordinator, CREATE, &fields).await;
    saved.expect(303);
    let p = placement(&app, placement_id(saved.location()));
    assert_eq!((p.company, p.tutor), (helene.company, helene.id));
    assert!(p.objectives.is_empty());
    assert_eq!(app.state.store.companies().unwrap().len(), companies);
    assert_eq!(app.state.store.tutors().unwrap().len(), tutors);
    let tutor = app.tutor(app.w.helene).await;
    tutor
        .get("/")
        .await
        .expect(200)
        .shows(&["Anaïs Benoît", "Maël Ferrand"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_bring_the_form_back_with_the_input_kept() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let before = app.state.store.placements().unwrap().len();
    let companies = app.state.store.companies().unwrap().len();
    let fields = [
        fresh_form(&coordinator).await,
        vec![
            ("student", app.w.anais.to_string()),
            ("company", "nouvelle".into()),
            ("company_name", "Boulangerie « Façon »".into()),
            ("company_siret", "1234".into()),
            ("tutor", "nouveau".into()),
            ("tutor_first_name", "Inès".into()),
            ("tutor_last_name", "Morel".into()),
            ("tutor_email", "pas-une-adresse".into()),
            ("tutor_phone", "06-12".into()),
            ("referent", String::new()),
            ("start", "2026-05-29".into()),
            ("end", "2026-05-04".into()),
            (
                "objectives",
                "Accueillir la clientèle\nTenir la caisse".into(),
            ),
        ],
    ]
    .concat();
    let page = send(&coordinator, CREATE, &fields).await;
    page.expect(422).shows(&[
        "Le formulaire n'a pas été enregistré",
        "Ce champ est obligatoire.",
        "14 chiffres",
        "Adresse e-mail invalide",
        "Numéro de téléphone invalide",
        "Choisissez l'enseignant référent",
        "Le dernier jour est avant le premier",
    ]);
    assert_eq!(
        page.field("company_name").as_deref(),
        Some("Boulangerie « Façon »")
    );
    assert_eq!(page.field("company_siret").as_deref(), Some("1234"));
    assert_eq!(
        page.field("tutor_email").as_deref(),
        Some("pas-une-adresse")
    );
    assert_eq!(page.field("start").as_deref(), Some("2026-05-29"));
    assert_eq!(
        page.field("objectives").as_deref(),
        Some("Accueillir la clientèle\nTenir la caisse")
    );
    assert_eq!(
        page.field("id"),
        fields
            .iter()
            .find(|(n, _)| *n == "id")
            .map(|(_, v)| v.clone())
    );
    assert!(
        page.body
            .contains(&format!("value=\"{}\" selected", app.w.anais))
    );
    assert!(page.body.contains("value=\"nouvelle\" selected"));
    assert_eq!(app.state.store.placements().unwrap().len(), before);
    assert_eq!(app.state.store.companies().unwrap().len(), companies);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tutor_of_another_company_is_refused() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let helene = app.state.store.tutor(app.w.helene).unwrap().unwrap();
    let before = app.state.store.placements().unwrap().len();
    let fields = [
        fresh_form(&coordinator).await,
        vec![
            ("student", app.w.anais.to_string()),
            ("company", helene.company.to_string()),
            ("tutor", app.w.gregoire.to_string()),
            ("referent", app.w.referent.to_string()),
            ("start", "2026-05-04".into()),
            ("end", "2026-05-29".into()),
        ],
    ]
    .concat();
    send(&coordinator, CREATE, &fields)
        .await
        .expect(422)
        .shows(&["Grégoire d'Arçais est tuteur chez « Domotique & Réseaux Atlantique »"]);
    assert_eq!(app.state.store.placements().unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_dates_warn_and_save_only_once_confirmed() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let helene = app.state.store.tutor(app.w.helene).unwrap().unwrap();
    // Maël's demo placement runs from 02/03/2026 to 27/03/2026 (plus a first one last
    // year, issue 5).
    let fields = [
        fresh_form(&coordinator).await,
        vec![
            ("student", app.w.mael.to_string()),
            ("company", helene.company.to_string()),
            ("tutor", helene.id.to_string()),
            ("referent", app.w.referent.to_string()),
            ("start", "2026-03-23".into()),
            ("end", "2026-04-10".into()),
        ],
    ]
    .concat();
    let warned = send(&coordinator, CREATE, &fields).await;
    warned.expect(422).shows(&[
        "Ces dates chevauchent une autre période",
        "du 02/03/2026 au 27/03/2026 chez Électricité Générale du Val",
        "Enregistrer malgré le chevauchement",
    ]);
    assert_eq!(
        app.state
            .store
            .placements_of_student(app.w.mael)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(warned.field("start").as_deref(), Some("2026-03-23"));
    let accept = warned.field("overlap_ok").expect("the checkbox");
    assert_eq!(accept, app.w.p_mael.to_string());

    // A stale confirmation (another period) does not count.
    let stale = with(
        fields.clone(),
        "overlap_ok",
        &PlacementId::new().to_string(),
    );
    send(&coordinator, CREATE, &stale).await.expect(422);
    assert_eq!(
        app.state
            .store
            .placements_of_student(app.w.mael)
            .unwrap()
            .len(),
        2
    );

    let confirmed = with(fields, "overlap_ok", &accept);
    let saved = send(&coordinator, CREATE, &confirmed).await;
    saved.expect(303);
    let mine = app.state.store.placements_of_student(app.w.mael).unwrap();
    assert_eq!(mine.len(), 3);
    // Latest start first in the student's index.
    assert_eq!(mine[0].id, placement_id(saved.location()));
    assert_eq!(mine[1].id, app.w.p_mael);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_moves_the_placement_to_its_new_referent() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let p = placement(&app, app.w.p_eloise);
    let sebastien = app.teacher(app.w.referent).await;
    let odile = app.teacher(app.w.odile).await;
    sebastien.get(&stage(p.id)).await.expect(200);
    odile.get(&stage(p.id)).await.expect(404);

    let form = coordinator.get(&edit_url(p.id)).await;
    form.expect(200).shows(&[
        "Modifier la période de formation",
        "Coordonnées de l'entreprise",
        "autres périodes",
    ]);
    assert_eq!(
        form.field("company_name").as_deref(),
        Some("Domotique & Réseaux Atlantique")
    );
    assert_eq!(form.field("start").as_deref(), Some("2026-03-02"));
    let fields = edit_form(&coordinator, &p).await;
    let fields = with(fields, "referent", &app.w.odile.to_string());
    let fields = with(fields, "start", "09/03/2026");
    let fields = with(fields, "end", "2026-04-03");
    send(&coordinator, &edit_url(p.id), &fields)
        .await
        .expect_redirect(&stage(p.id));
    let after = placement(&app, p.id);
    assert_eq!(after.referent, app.w.odile);
    assert_eq!(after.start, jiff::civil::date(2026, 3, 9));
    assert_eq!(after.end, jiff::civil::date(2026, 4, 3));
    assert_eq!((after.company, after.tutor), (p.company, p.tutor));
    assert_eq!(after.objectives, p.objectives);
    coordinator
        .get(&stage(p.id))
        .await
        .shows(&["Période de formation modifiée."]);

    // The old referent no longer sees it; the new one does.
    sebastien.get(&stage(p.id)).await.expect(404);
    sebastien
        .get("/")
        .await
        .expect(200)
        .hides(&["Éloïse N'Diaye"]);
    odile.get(&stage(p.id)).await.expect(200);
    odile.get("/").await.expect(200).shows(&["Éloïse N'Diaye"]);
    // The start date moved: each index holds the placement once.
    let store = &app.state.store;
    for list in [
        store.placements_of_tutor(app.w.gregoire).unwrap(),
        store.placements_of_student(app.w.eloise).unwrap(),
        store.placements_of_referent(app.w.odile).unwrap(),
    ] {
        assert_eq!(list.iter().filter(|x| x.id == p.id).count(), 1);
    }
    assert!(
        store
            .placements_of_referent(app.w.referent)
            .unwrap()
            .iter()
            .all(|x| x.id != p.id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referent_edits_their_placement_and_its_tutor() {
    let app = App::start().await;
    let sebastien = app.teacher(app.w.referent).await;
    let p = placement(&app, app.w.p_mael);
    sebastien
        .get(&stage(p.id))
        .await
        .expect(200)
        .shows(&["Modifier la période"]);
    let fields = edit_form(&sebastien, &p).await;
    let fields = with(fields, "tutor_phone", "06 98 76 54 32");
    let fields = with(fields, "objectives", "Un seul objectif");
    send(&sebastien, &edit_url(p.id), &fields)
        .await
        .expect_redirect(&stage(p.id));
    let helene = app.state.store.tutor(app.w.helene).unwrap().unwrap();
    assert_eq!(helene.phone.as_deref(), Some("06 98 76 54 32"));
    assert_eq!(placement(&app, p.id).objectives, vec!["Un seul objectif"]);
    // François's placement shows the corrected tutor too.
    let francois = app.student(app.w.francois).await;
    francois
        .get(&stage(app.w.p_francois))
        .await
        .shows(&["06 98 76 54 32"]);

    // Maël's period has a logbook: it cannot go to another student.
    let moved = with(
        edit_form(&sebastien, &p).await,
        "student",
        &app.w.anais.to_string(),
    );
    send(&sebastien, &edit_url(p.id), &moved)
        .await
        .expect(422)
        .shows(&["reste à son élève"]);
    assert_eq!(placement(&app, p.id).student, app.w.mael);

    // Handing it to another referent sends them home: they no longer see it.
    let handed = with(
        edit_form(&sebastien, &p).await,
        "referent",
        &app.w.odile.to_string(),
    );
    send(&sebastien, &edit_url(p.id), &handed)
        .await
        .expect_redirect("/");
    sebastien
        .get("/")
        .await
        .shows(&["vous n'en êtes plus le référent"]);
    sebastien.get(&stage(p.id)).await.expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_get_404_and_a_bad_token_403() {
    let app = App::start().await;
    let p = placement(&app, app.w.p_mael);
    let before = app.state.store.placements().unwrap();
    for b in [
        app.teacher(app.w.odile).await,
        app.student(app.w.mael).await,
        app.tutor(app.w.helene).await,
    ] {
        b.get(&stage(p.id)).await.hides(&["Modifier la période"]);
        b.get(&edit_url(p.id)).await.expect(404);
        // Even with the person's own valid token.
        let home = b.get("/").await;
        let csrf = if home.status == 303 {
            b.csrf(home.location()).await
        } else {
            home.expect(200).csrf()
        };
        let fields = vec![
            ("_csrf", csrf),
            ("student", app.w.mael.to_string()),
            ("company", p.company.to_string()),
            ("tutor", p.tutor.to_string()),
            ("referent", app.w.odile.to_string()),
            ("start", "2026-03-02".to_string()),
            ("end", "2026-03-27".to_string()),
        ];
        send(&b, &edit_url(p.id), &fields).await.expect(404);
        b.get(NEW).await.expect(404);
        send(&b, CREATE, &fields).await.expect(404);
    }
    app.browser().get(&edit_url(p.id)).await.expect(401);

    let coordinator = app.coordinator().await;
    let good = edit_form(&coordinator, &p).await;
    let bad = with(
        with(good, "_csrf", "pas-le-bon-jeton"),
        "referent",
        &app.w.odile.to_string(),
    );
    send(&coordinator, &edit_url(p.id), &bad).await.expect(403);
    let create = with(fresh_form(&coordinator).await, "_csrf", "");
    let create = with(create, "student", &app.w.anais.to_string());
    send(&coordinator, CREATE, &create).await.expect(403);
    coordinator
        .get(&edit_url(PlacementId::new()))
        .await
        .expect(404);
    assert_eq!(app.state.store.placements().unwrap(), before);
}

/// Declares a placement of Maël with Hélène from `start` to `end`, confirming the
/// overlap with his demo placement when asked; returns its id.
async fn declare_for_mael(app: &App, b: &Browser, start: &str, end: &str) -> PlacementId {
    let helene = app.state.store.tutor(app.w.helene).unwrap().unwrap();
    let fields = [
        fresh_form(b).await,
        vec![
            ("student", app.w.mael.to_string()),
            ("company", helene.company.to_string()),
            ("tutor", helene.id.to_string()),
            ("referent", app.w.referent.to_string()),
            ("start", start.into()),
            ("end", end.into()),
        ],
    ]
    .concat();
    let mut page = send(b, CREATE, &fields).await;
    if page.status == 422 {
        let accept = page.field("overlap_ok").expect("the overlap checkbox");
        page = send(b, CREATE, &with(fields, "overlap_ok", &accept)).await;
    }
    page.expect(303);
    placement_id(page.location())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_overlap_is_not_asked_again_by_an_edit_that_keeps_it() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    // Maël's demo placement runs from 02/03/2026 to 27/03/2026.
    let second = declare_for_mael(&app, &coordinator, "2026-03-23", "2026-04-10").await;
    assert_eq!(
        app.state
            .store
            .placements_of_student(app.w.mael)
            .unwrap()
            .len(),
        3
    );
    // Only the referent changes, on either placement: saved at once, every time.
    for id in [second, app.w.p_mael, second] {
        let p = placement(&app, id);
        let referent = if p.referent == app.w.odile {
            app.w.referent
        } else {
            app.w.odile
        };
        let fields = with(
            edit_form(&coordinator, &p).await,
            "referent",
            &referent.to_string(),
        );
        send(&coordinator, &edit_url(id), &fields)
            .await
            .expect_redirect(&stage(id));
        assert_eq!(placement(&app, id).referent, referent);
    }
    // New dates that still meet only the period already met: no question either.
    let p = placement(&app, second);
    let fields = with(edit_form(&coordinator, &p).await, "end", "2026-04-17");
    send(&coordinator, &edit_url(second), &fields)
        .await
        .expect_redirect(&stage(second));
    assert_eq!(placement(&app, second).end, jiff::civil::date(2026, 4, 17));

    // A period that did not overlap and now would: asked, then saved once confirmed.
    let third = declare_for_mael(&app, &coordinator, "2026-05-04", "2026-05-29").await;
    let p = placement(&app, third);
    let fields = with(edit_form(&coordinator, &p).await, "start", "2026-04-13");
    let warned = send(&coordinator, &edit_url(third), &fields).await;
    warned.expect(422).shows(&[
        "Ces dates chevauchent une autre période",
        "du 23/03/2026 au 17/04/2026",
    ]);
    assert_eq!(placement(&app, third).start, jiff::civil::date(2026, 5, 4));
    let accept = warned.field("overlap_ok").expect("the checkbox");
    assert_eq!(accept, second.to_string());
    send(
        &coordinator,
        &edit_url(third),
        &with(fields, "overlap_ok", &accept),
    )
    .await
    .expect_redirect(&stage(third));
    assert_eq!(placement(&app, third).start, jiff::civil::date(2026, 4, 13));
}

/// An outbox message about `placement` for `tutor`, as the tutor-access e-mail leaves
/// it when it cannot be sent.
fn waiting_message(
    app: &App,
    placement: PlacementId,
    tutor: Option<TutorId>,
) -> livret::domain::outbox::OutboxMessage {
    livret::domain::outbox::OutboxMessage {
        id: OutboxId::new(),
        created: app.clock.now(),
        to: "helene.caille@egv-demo.invalid".into(),
        to_name: "Hélène Caillé".into(),
        subject: "Votre accès au suivi de stage".into(),
        text: "Bonjour".into(),
        html: "<p>Bonjour</p>".into(),
        tutor,
        placement: Some(placement),
        link: Some(format!("{}/acces/secret", app.base)),
        reason: "aucun serveur d'envoi de courriels n'est configuré".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tutor_removes_the_previous_tutors_waiting_message() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let store = &app.state.store;
    let p = placement(&app, app.w.p_mael);
    assert_eq!(p.tutor, app.w.helene);
    let about_mael = waiting_message(&app, p.id, Some(app.w.helene));
    let about_francois = waiting_message(&app, app.w.p_francois, Some(app.w.helene));
    let no_tutor = waiting_message(&app, p.id, None);
    for m in [&about_mael, &about_francois, &no_tutor] {
        store.insert_outbox(m).await.unwrap();
    }
    let show = format!("/messages/{}", about_mael.id);
    coordinator.get(&show).await.expect(200);

    // An edit that keeps the tutor keeps the message.
    let fields = with(
        edit_form(&coordinator, &p).await,
        "objectives",
        "Câbler un tableau",
    );
    send(&coordinator, &edit_url(p.id), &fields)
        .await
        .expect_redirect(&stage(p.id));
    assert_eq!(store.outbox().unwrap().len(), 3);

    // Another company and its tutor: Hélène's letter about Maël goes, nothing else.
    let gregoire = store.tutor(app.w.gregoire).unwrap().unwrap();
    let fields = with(
        with(
            edit_form(&coordinator, &p).await,
            "company",
            &gregoire.company.to_string(),
        ),
        "tutor",
        &gregoire.id.to_string(),
    );
    send(&coordinator, &edit_url(p.id), &fields)
        .await
        .expect_redirect(&stage(p.id));
    assert_eq!(placement(&app, p.id).tutor, app.w.gregoire);
    let left: Vec<OutboxId> = store.outbox().unwrap().iter().map(|m| m.id).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&about_francois.id) && left.contains(&no_tutor.id));
    assert!(store.outbox_message(about_mael.id).unwrap().is_none());
    coordinator.get(&show).await.expect(404);
    coordinator.get(&format!("{show}/lettre")).await.expect(404);
    coordinator
        .get("/messages")
        .await
        .expect(200)
        .shows(&["Messages à remettre"])
        .hides(&[&about_mael.id.to_string()]);
}
