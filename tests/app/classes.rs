//! Classes created by a coordinator (issue 3), and the migration that indexes their
//! names.

use crate::support::*;
use livret::domain::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_creates_a_class_with_a_free_name() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let before = app.state.store.classes().unwrap().len();
    let form = coordinator.get("/coordination/classes/nouvelle").await;
    form.expect(200).shows(&[
        "Nouvelle classe",
        "Bac Pro MELEC",
        "BTS 1re année",
        "Première",
    ]);
    let csrf = form.csrf();
    let created = coordinator
        .post(
            "/coordination/classes",
            &[
                ("_csrf", &csrf),
                ("name", "TMELEC"),
                ("diploma", "bacpro-melec"),
                ("year", "terminale"),
            ],
        )
        .await;
    created.expect_redirect("/");
    let classes = app.state.store.classes().unwrap();
    assert_eq!(classes.len(), before + 1);
    let class = classes.iter().find(|c| c.name == "TMELEC").unwrap();
    assert_eq!(class.year, CycleYear::Terminale);
    coordinator
        .get("/")
        .await
        .expect(200)
        .shows(&["Classe créée.", "TMELEC", "Terminale"]);

    // The same name, written differently, is refused with the input kept.
    let again = coordinator
        .post(
            "/coordination/classes",
            &[
                ("_csrf", &csrf),
                ("name", "t melec"),
                ("diploma", "bacpro-melec"),
                ("year", "terminale"),
            ],
        )
        .await;
    again.expect(422).shows(&["existe déjà", "t melec"]);
    // Unknown diploma and year are refused; nothing is written.
    coordinator
        .post(
            "/coordination/classes",
            &[
                ("_csrf", &csrf),
                ("name", "2XYZ"),
                ("diploma", "inconnu"),
                ("year", "cm2"),
            ],
        )
        .await
        .expect(422)
        .shows(&["Choisissez le diplôme", "Choisissez l'année"]);
    assert_eq!(app.state.store.classes().unwrap().len(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_year_must_suit_the_diploma() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let before = app.state.store.classes().unwrap().len();
    let csrf = coordinator.csrf("/coordination/classes/nouvelle").await;
    let post = |diploma: &'static str, year: &'static str| {
        let (c, csrf) = (coordinator.clone(), csrf.clone());
        async move {
            c.post(
                "/coordination/classes",
                &[
                    ("_csrf", csrf.as_str()),
                    ("name", "1MCO"),
                    ("diploma", diploma),
                    ("year", year),
                ],
            )
            .await
        }
    };
    for (diploma, year, expected) in [
        (
            "bts-mco",
            "cap1",
            "« 1re année CAP » ne convient pas au diplôme BTS MCO : choisissez BTS 1re année ou BTS 2e année.",
        ),
        (
            "bacpro-melec",
            "bts2",
            "choisissez Seconde, Première ou Terminale",
        ),
        (
            "cap-electricien",
            "terminale",
            "choisissez 1re année CAP ou 2e année CAP",
        ),
    ] {
        let page = post(diploma, year).await;
        page.expect(422).shows(&[expected, "1MCO"]);
        assert!(
            page.body.contains(&format!("value=\"{year}\" selected")),
            "the year chosen stays selected"
        );
    }
    assert_eq!(app.state.store.classes().unwrap().len(), before);
    post("bts-mco", "bts1").await.expect_redirect("/");
    let classes = app.state.store.classes().unwrap();
    assert_eq!(classes.len(), before + 1);
    let class = classes.iter().find(|c| c.name == "1MCO").unwrap();
    assert_eq!(
        (class.diploma.as_str(), class.year),
        ("bts-mco", CycleYear::Bts1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_coordinators_manage_classes() {
    let app = App::start().await;
    let before = app.state.store.classes().unwrap().len();
    for b in [
        app.student(app.w.mael).await,
        app.tutor(app.w.helene).await,
        app.teacher(app.w.referent).await,
    ] {
        b.get("/coordination/classes/nouvelle").await.expect(404);
        b.post(
            "/coordination/classes",
            &[
                ("name", "PIRATE"),
                ("diploma", "bacpro-melec"),
                ("year", "seconde"),
            ],
        )
        .await
        .expect(404);
    }
    app.browser()
        .get("/coordination/classes/nouvelle")
        .await
        .expect(401);
    assert_eq!(app.state.store.classes().unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_2_indexes_the_names_of_existing_classes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = fixed_clock();
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let class = Class {
        id: ClassId::new(),
        name: "2MELEC".into(),
        diploma: "bacpro-melec".into(),
        year: CycleYear::Seconde,
    };
    {
        // A store as version 1 left it: a class record, no name index.
        let db = raw_sled(dir.path());
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &1u32.to_be_bytes())
            .unwrap();
        let mut value = vec![1u8];
        value.extend(postcard::to_stdvec(&class).unwrap());
        let mut key = b"class/".to_vec();
        key.extend_from_slice(class.id.as_bytes());
        db.open_tree("data").unwrap().insert(key, value).unwrap();
        db.flush().unwrap();
    }
    let state = open_when_free(&config(dir.path(), addr, "http://localhost:9"), &clock)
        .await
        .unwrap();
    assert!(state.store.schema_version().unwrap() >= 2);
    let twin = Class {
        id: ClassId::new(),
        name: "2 melec".into(),
        ..class.clone()
    };
    assert!(
        !state.store.insert_class(&twin).await.unwrap(),
        "the old name is indexed"
    );
}
