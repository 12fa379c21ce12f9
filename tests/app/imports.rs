//! The coordinator's imports (issue 3, items 3 and 4): a class list, previewed then
//! applied, read the same whatever its encoding, delimiter and line endings; and a
//! referential file, refused whole with line-precise errors when malformed.

use crate::support::*;
use jiff::civil::Date;
use livret::domain::*;

const IMPORT: &str = "/coordination/import";
const PREVIEW: &str = "/coordination/import/apercu";
const APPLY: &str = "/coordination/import/appliquer";
const REFERENTIALS: &str = "/coordination/referentiels";

/// The class list of these tests, as cells: header then students, all in the demo's
/// class 1MELEC. Against the seeded school: Maël Ferrand is updated (surname case and
/// e-mail), Éloïse N'Diaye is unchanged, three students are new. Every character is
/// representable in Windows-1252 (œ is 0x9C there); the address holds both
/// delimiters, so it is quoted whichever is used.
fn cells() -> Vec<Vec<&'static str>> {
    vec![
        vec![
            "Nom",
            "Prénom",
            "Né(e) le",
            "Division",
            "N° INE",
            "Courriel",
            "Adresse",
        ],
        vec![
            "FERRAND",
            "Maël",
            "14/03/2009",
            "1MELEC",
            "123456789AB",
            "mael.ferrand@example.fr",
            "3, rue des Lilas; bât. B",
        ],
        vec![
            "Cœur",
            "Léa",
            "29/02/2008",
            "1MELEC",
            "",
            "lea.coeur@example.fr",
            "",
        ],
        vec![
            "Çelik",
            "Zoé",
            "01/09/2008",
            "1MELEC",
            "1234567890Z",
            "",
            "",
        ],
        vec![
            "N'Diaye",
            "Éloïse",
            "02/07/2009",
            "1MELEC",
            "123456790CD",
            "",
            "",
        ],
        vec![
            "Martin",
            "Hugo",
            "",
            "1MELEC",
            "",
            "",
            "12 place de l'Église",
        ],
    ]
}

/// The cells as CSV text with this delimiter and line ending.
fn csv_text(rows: &[Vec<&str>], delimiter: char, eol: &str) -> String {
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains(';') || c.contains(',') || c.contains('"') {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    (*c).to_string()
                }
            })
            .collect();
        out.push_str(&line.join(&delimiter.to_string()));
        out.push_str(eol);
    }
    out
}

fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(
        !unmappable,
        "the test list is representable in Windows-1252"
    );
    bytes.into_owned()
}

/// The students of the demo class, as comparable values (no ids), sorted.
type Row = (
    String,
    String,
    Option<Date>,
    Option<String>,
    Option<String>,
    bool,
);

fn class_rows(app: &App) -> Vec<Row> {
    let class = class_1melec(app);
    let mut rows: Vec<Row> = app
        .state
        .store
        .students_of_class(class)
        .unwrap()
        .into_iter()
        .map(|s| {
            (
                s.name.last,
                s.name.first,
                s.birth_date,
                s.ine,
                s.email,
                s.active,
            )
        })
        .collect();
    rows.sort();
    rows
}

fn class_1melec(app: &App) -> ClassId {
    app.state
        .store
        .classes()
        .unwrap()
        .iter()
        .find(|c| c.name == "1MELEC")
        .unwrap()
        .id
}

fn student_count(app: &App) -> usize {
    app.state.store.all_students().unwrap().len()
}

/// The words of a page as a person reads them: tags removed, entities decoded.
fn words(page: &Page) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

/// Asserts that every string of `all` is in the page's [`words`].
#[track_caller]
fn says(page: &Page, all: &[&str]) {
    let text = words(page);
    for s in all {
        assert!(
            text.contains(s),
            "{} {}: expected {s:?} in:\n{text}",
            page.method,
            page.url
        );
    }
}

/// Uploads `bytes` for a preview, as the form does.
async fn preview(b: &Browser, csrf: &str, bytes: &[u8]) -> Page {
    b.post_multipart(
        PREVIEW,
        &[("_csrf", csrf), ("default_class", "")],
        Some(("eleves.csv", bytes)),
    )
    .await
}

/// Presses "Importer" on a preview page.
async fn apply(b: &Browser, preview: &Page) -> Page {
    b.post(
        APPLY,
        &[
            ("_csrf", &preview.csrf()),
            (
                "file",
                &preview.field("file").expect("the preview carries the file"),
            ),
            (
                "default_class",
                &preview.field("default_class").unwrap_or_default(),
            ),
            (
                "fingerprint",
                &preview
                    .field("fingerprint")
                    .expect("the preview has an apply form"),
            ),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_list_in_any_encoding_delimiter_and_line_ending_gives_the_same_students() {
    let text = |d, eol| csv_text(&cells(), d, eol);
    let with_bom = |t: String| {
        let mut b = b"\xEF\xBB\xBF".to_vec();
        b.extend_from_slice(t.as_bytes());
        b
    };
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("UTF-8", text(';', "\n").into_bytes()),
        ("UTF-8", text(',', "\r\n").into_bytes()),
        ("UTF-8 avec BOM", with_bom(text(';', "\r\n"))),
        ("UTF-8 avec BOM", with_bom(text(',', "\n"))),
        ("Windows-1252", windows_1252(&text(';', "\r\n"))),
        ("Windows-1252", windows_1252(&text(',', "\n"))),
    ];
    let mut results: Vec<Vec<Row>> = Vec::new();
    for (encoding, bytes) in variants {
        let app = App::start().await;
        let mael_before = app.state.store.student(app.w.mael).unwrap().unwrap();
        let before = student_count(&app);
        let coordinator = app.coordinator().await;
        let csrf = coordinator.csrf(IMPORT).await;
        let shown = preview(&coordinator, &csrf, &bytes).await;
        shown.expect(200);
        says(
            &shown,
            &[
                &format!("Fichier lu en {encoding}."),
                "Colonnes reconnues : Nom, Prénom, Date de naissance, Classe, INE, E-mail.",
                "Colonnes ignorées : Adresse.",
                "3 à créer",
                "1 à mettre à jour",
                "1 inchangé",
                "0 refusée",
                "Cœur Léa",
                "Çelik Zoé",
                "Nom : Ferrand → FERRAND",
                "E-mail : — → mael.ferrand@example.fr",
                "Importer : 3 créations, 1 mise à jour",
            ],
        );
        assert_eq!(
            student_count(&app),
            before,
            "{encoding}: a preview writes nothing"
        );
        assert_eq!(
            app.state.store.student(app.w.mael).unwrap().unwrap(),
            mael_before
        );

        apply(&coordinator, &shown).await.expect_redirect("/");
        coordinator
            .get("/")
            .await
            .expect(200)
            .shows(&["Import terminé : 3 élèves créés, 1 mis à jour."]);
        assert_eq!(student_count(&app), before + 3, "{encoding}");
        let mael = app.state.store.student(app.w.mael).unwrap().unwrap();
        assert_eq!(mael.name, PersonName::new("Maël", "FERRAND"));
        assert_eq!(mael.email.as_deref(), Some("mael.ferrand@example.fr"));
        results.push(class_rows(&app));
    }
    let first = &results[0];
    assert!(
        first.contains(&(
            "Cœur".into(),
            "Léa".into(),
            Date::new(2008, 2, 29).ok(),
            None,
            Some("lea.coeur@example.fr".into()),
            true
        )),
        "{first:?}"
    );
    assert!(first.iter().any(|r| r.0 == "Çelik" && r.1 == "Zoé"));
    for (i, other) in results.iter().enumerate().skip(1) {
        assert_eq!(other, first, "variant {i} stored other students");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_import_of_the_same_file_changes_nothing() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    let bytes = csv_text(&cells(), ';', "\r\n").into_bytes();
    let first = preview(&coordinator, &csrf, &bytes).await;
    first.expect(200);
    apply(&coordinator, &first).await.expect_redirect("/");
    let after_first = app.state.store.all_students().unwrap();

    // The same file again: nothing to create or update, and no button to press.
    let second = preview(&coordinator, &csrf, &bytes).await;
    second.expect(200).hides(&["Importer : "]);
    says(
        &second,
        &[
            "0 à créer",
            "0 à mettre à jour",
            "5 inchangés",
            "Rien à importer",
        ],
    );
    assert!(second.field("fingerprint").is_none());

    // Pressing "Importer" of the first preview again (a double click, "Back") is
    // refused: the data changed since that preview.
    let again = apply(&coordinator, &first).await;
    again.expect(409);
    says(
        &again,
        &["Les données ont changé depuis l'aperçu", "0 à créer"],
    );
    let mut now = app.state.store.all_students().unwrap();
    let mut then = after_first.clone();
    now.sort_by_key(|s| s.id);
    then.sort_by_key(|s| s.id);
    assert_eq!(now, then, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_preview_is_refused_and_the_new_one_shown() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    let shown = preview(
        &coordinator,
        &csrf,
        csv_text(&cells(), ';', "\n").as_bytes(),
    )
    .await;
    shown.expect(200);
    says(&shown, &["3 à créer", "1 à mettre à jour"]);

    // Meanwhile Maël gets the e-mail the file gives him: he is now unchanged.
    let mut mael = app.state.store.student(app.w.mael).unwrap().unwrap();
    mael.email = Some("mael.ferrand@example.fr".into());
    mael.name.last = "FERRAND".into();
    app.state
        .store
        .seed(&livret::store::SchoolSeed {
            students: vec![mael.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let before = app.state.store.all_students().unwrap().len();
    let refused = apply(&coordinator, &shown).await;
    refused.expect(409);
    says(
        &refused,
        &[
            "Les données ont changé depuis l'aperçu : rien n'a été importé.",
            "3 à créer",
            "0 à mettre à jour",
            "2 inchangés",
        ],
    );
    assert_eq!(app.state.store.all_students().unwrap().len(), before);

    // A forged fingerprint is refused the same way; the fresh preview's one works.
    let mut forged = [
        ("_csrf".to_string(), refused.csrf()),
        ("file".to_string(), refused.field("file").unwrap()),
        ("default_class".to_string(), String::new()),
        ("fingerprint".to_string(), "0".repeat(64)),
    ];
    let pairs: Vec<(&str, &str)> = forged
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    coordinator.post(APPLY, &pairs).await.expect(409);
    assert_eq!(app.state.store.all_students().unwrap().len(), before);
    forged[3].1 = refused.field("fingerprint").unwrap();
    let pairs: Vec<(&str, &str)> = forged
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    coordinator.post(APPLY, &pairs).await.expect_redirect("/");
    assert_eq!(app.state.store.all_students().unwrap().len(), before + 3);
    coordinator
        .get("/")
        .await
        .shows(&["Import terminé : 3 élèves créés, 0 mis à jour."]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_lines_and_unknown_classes_are_reported_with_their_line_numbers() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    let text = "Nom;Prénom;Date de naissance;Classe\n\
                Martin;Hugo;12/05/2008;1MELEC\n\
                \n\
                Petit;Zoé;31/02/2008;1MELEC\n\
                Roux;Inès;14/03/2008;2NDPRO9\n\
                ;Sans nom;;1MELEC\n";
    let before = student_count(&app);
    let shown = preview(&coordinator, &csrf, text.as_bytes()).await;
    shown.expect(200);
    says(
        &shown,
        &[
            "1 à créer",
            "3 refusées",
            "Date de naissance « 31/02/2008 » illisible",
            "Classe « 2NDPRO9 » inconnue",
            "Nom manquant.",
            "Classes inconnues : 2NDPRO9",
            "Créer une classe",
        ],
    );
    // Line 3 is empty but counted, as a spreadsheet shows it.
    for (line, reason) in [(4, "31/02/2008"), (5, "2NDPRO9"), (6, "Nom manquant")] {
        let row = format!("<td data-label=\"Ligne\">{line}</td><td data-label=\"Motif\">");
        let at = shown
            .body
            .find(&row)
            .unwrap_or_else(|| panic!("no rejected line {line}:\n{}", shown.body));
        assert!(
            unescape(&shown.body[at..at + 300]).contains(reason),
            "line {line} is not the one with {reason}"
        );
    }
    assert!(
        shown
            .body
            .contains("href=\"/coordination/classes/nouvelle\"")
    );
    assert_eq!(student_count(&app), before);
    apply(&coordinator, &shown).await.expect_redirect("/");
    assert_eq!(student_count(&app), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_or_unusable_file_gives_the_form_back_with_the_french_error() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    let before = student_count(&app);
    for (bytes, message) in [
        (
            b"Nom;Pr\xE9nom\nA\x81;B\n".to_vec(),
            "ni de l'UTF-8 ni du Windows-1252",
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00".to_vec(),
            "Ce fichier est un classeur de tableur",
        ),
        (
            "Nom;Prénom\nLefÃ¨vre;Ã‰loÃ¯se\n".as_bytes().to_vec(),
            "accents mal convertis",
        ),
        (
            b"Eleve;Classe\nA;1MELEC\n".to_vec(),
            "Les colonnes « Nom » et « Prénom » sont introuvables",
        ),
        (Vec::new(), "Le fichier est vide."),
    ] {
        let page = preview(&coordinator, &csrf, &bytes).await;
        page.expect(422)
            .shows(&[message, "Importer une liste d'élèves", "Voir l'aperçu"])
            .hides(&["Ã©"]);
        assert!(page.field("fingerprint").is_none());
    }
    // A file past the class-list limit (but within the upload limit) is refused too.
    let mut big = b"Nom;Pr\xC3\xA9nom\n".to_vec();
    while big.len() <= 1024 * 1024 {
        big.extend_from_slice(b"Martin;Hugo\n");
    }
    preview(&coordinator, &csrf, &big)
        .await
        .expect(422)
        .shows(&["1 Mio (1 024 Kio) au plus"]);
    assert_eq!(student_count(&app), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_may_exceed_the_form_limit_on_the_import_routes_only() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    // About 150 KiB: more than the 64 KiB of ordinary forms.
    let mut text = String::from("Nom;Prénom;Date de naissance;Division\n");
    for i in 0..4000 {
        text.push_str(&format!("Élève{i:04};Prénom;01/01/2008;1MELEC\n"));
    }
    assert!(text.len() > 128 * 1024);
    let shown = preview(&coordinator, &csrf, text.as_bytes()).await;
    shown.expect(200);
    says(&shown, &["4000 à créer"]);
    apply(&coordinator, &shown).await.expect_redirect("/");
    assert_eq!(
        app.state
            .store
            .students_of_class(class_1melec(&app))
            .unwrap()
            .len(),
        5 + 4000
    );
    // Other routes keep their limit, and the import routes have one too.
    let filler = "x".repeat(100 * 1024);
    coordinator
        .post(
            "/coordination/classes",
            &[("_csrf", &csrf), ("name", &filler)],
        )
        .await
        .expect(413);
    // Over 2 MiB the guard answers 413 from the announced length, before reading the
    // body. (Sending the 2 MiB for real races the server closing the connection, so
    // the request is written by hand: headers only, as a client waiting for the answer.)
    let status = announced_length_status(&app.base, PREVIEW, 2 * 1024 * 1024 + 1).await;
    assert_eq!(status, 413);
    let status = announced_length_status(&app.base, PREVIEW, 1024).await;
    assert_ne!(
        status, 413,
        "a small announced body is not refused for its size"
    );
}

/// Sends `POST path` announcing `length` bytes of multipart body, sends none, and
/// returns the status code of the answer.
async fn announced_length_status(base: &str, path: &str, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(3), stream.read(&mut answer))
        .await
        .map(|r| r.unwrap())
        .unwrap_or(0);
    let line = String::from_utf8_lossy(&answer[..n]).to_string();
    if n == 0 {
        // The server waits for the body: it did not refuse the size.
        return 0;
    }
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_coordinators_import_and_every_import_form_needs_its_csrf_token() {
    let app = App::start().await;
    let before = student_count(&app);
    let referentials = app.state.store.referentials().unwrap().len();
    let bytes = csv_text(&cells(), ';', "\n").into_bytes();
    for b in [
        app.student(app.w.mael).await,
        app.tutor(app.w.helene).await,
        app.teacher(app.w.referent).await,
    ] {
        b.get(IMPORT).await.expect(404);
        b.get(REFERENTIALS).await.expect(404);
        b.post_multipart(PREVIEW, &[], Some(("eleves.csv", &bytes)))
            .await
            .expect(404);
        b.post(APPLY, &[("file", "AAAA"), ("fingerprint", "x")])
            .await
            .expect(404);
        b.post_multipart(REFERENTIALS, &[], Some(("r.toml", GOOD.as_bytes())))
            .await
            .expect(404);
    }
    app.browser().get(IMPORT).await.expect(401);

    // A coordinator without the token: 403, nothing written.
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    coordinator
        .post_multipart(PREVIEW, &[], Some(("eleves.csv", &bytes)))
        .await
        .expect(403);
    coordinator
        .post_multipart(PREVIEW, &[("_csrf", "faux")], Some(("eleves.csv", &bytes)))
        .await
        .expect(403);
    let shown = preview(&coordinator, &csrf, &bytes).await;
    shown.expect(200);
    coordinator
        .post(
            APPLY,
            &[
                ("file", &shown.field("file").unwrap()),
                ("fingerprint", &shown.field("fingerprint").unwrap()),
            ],
        )
        .await
        .expect(403);
    coordinator
        .post_multipart(REFERENTIALS, &[], Some(("r.toml", GOOD.as_bytes())))
        .await
        .expect(403);
    assert_eq!(student_count(&app), before);
    assert_eq!(app.state.store.referentials().unwrap().len(), referentials);
}

/// A small, valid referential file.
const GOOD: &str = r#"format = 1
code = "cap-essai"
diploma = "Certificat d'aptitude professionnelle Essai d'import"
short_name = "CAP Essai"
level = "cap"

[[sources]]
applies_to = "all"
title = "Fichier d'essai de Livret"
url = ""
status = "specification"
note = "Pour les tests d'intégration."

[[competencies]]
code = "T1"
title = "Tester l'import"

[[competencies.criteria]]
code = "T1.1"
title = "Le fichier est lu"

[[competencies]]
code = "T2"
title = "Vérifier le résultat"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_referential_is_listed_and_can_be_a_class_diploma() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let list = coordinator.get(REFERENTIALS).await;
    list.expect(200)
        .shows(&[
            "Référentiels disponibles",
            "Bac Pro MELEC",
            "bacpro-melec",
            "13 compétences",
            "non vérifié",
            "section « Référentiels »",
        ])
        .hides(&["CAP Essai"]);
    let csrf = list.csrf();
    coordinator
        .post_multipart(
            REFERENTIALS,
            &[("_csrf", &csrf)],
            Some(("essai.toml", GOOD.as_bytes())),
        )
        .await
        .expect_redirect(REFERENTIALS);
    let stored = app.state.store.referential("cap-essai").unwrap().unwrap();
    assert_eq!(stored.competencies.len(), 2);
    assert_eq!(stored.competencies[0].criteria[0].code, "T1.1");
    coordinator.get(REFERENTIALS).await.expect(200).shows(&[
        "Référentiel importé",
        "CAP Essai",
        "Certificat d'aptitude professionnelle Essai d'import",
        "cap-essai",
        "2 compétences",
        "1 critère",
        "spécification",
    ]);

    // It can be chosen as a class's diploma.
    coordinator
        .get("/coordination/classes/nouvelle")
        .await
        .expect(200)
        .shows(&["CAP Essai"]);
    coordinator
        .post(
            "/coordination/classes",
            &[
                ("_csrf", &csrf),
                ("name", "1ESSAI"),
                ("diploma", "cap-essai"),
                ("year", "cap1"),
            ],
        )
        .await;
    let class = app
        .state
        .store
        .classes()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "1ESSAI");
    assert_eq!(class.map(|c| c.diploma).as_deref(), Some("cap-essai"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_referential_gives_line_precise_errors_and_changes_nothing() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(REFERENTIALS).await;
    let before = app.state.store.referentials().unwrap();
    let bad = GOOD
        .replace("level = \"cap\"", "level = \"lycée\"")
        .replace("code = \"T2\"", "code = \"T1\"");
    let page = coordinator
        .post_multipart(
            REFERENTIALS,
            &[("_csrf", &csrf)],
            Some(("essai.toml", bad.as_bytes())),
        )
        .await;
    page.expect(422).shows(&[
        "Le fichier n'a pas été importé",
        "ligne 5 : niveau inconnu : écrivez cap, bac-pro, mc ou bts",
        "ligne 23 : le code « T1 » est déjà utilisé plus haut",
    ]);
    // A TOML syntax error names its line as well.
    let broken = GOOD.replace("title = \"Tester l'import\"", "title = ");
    coordinator
        .post_multipart(
            REFERENTIALS,
            &[("_csrf", &csrf)],
            Some(("essai.toml", broken.as_bytes())),
        )
        .await
        .expect(422)
        .shows(&["ligne 16 : erreur de syntaxe TOML : valeur absente ou texte sans guillemets"]);
    // Not UTF-8, or no file at all.
    coordinator
        .post_multipart(
            REFERENTIALS,
            &[("_csrf", &csrf)],
            Some(("essai.toml", &windows_1252(GOOD))),
        )
        .await
        .expect(422)
        .shows(&["Le fichier n'est pas en UTF-8 (ligne 12)"]);
    coordinator
        .post_multipart(REFERENTIALS, &[("_csrf", &csrf)], Some(("", b"")))
        .await
        .expect(422)
        .shows(&["Choisissez le fichier du référentiel"]);
    assert_eq!(app.state.store.referentials().unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_code_is_replaced_only_after_confirmation() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(REFERENTIALS).await;
    let melec = app
        .state
        .store
        .referential("bacpro-melec")
        .unwrap()
        .unwrap();
    let corrected = GOOD
        .replace("code = \"cap-essai\"", "code = \"bacpro-melec\"")
        .replace("CAP Essai", "Bac Pro MELEC corrigé");
    let refused = coordinator
        .post_multipart(
            REFERENTIALS,
            &[("_csrf", &csrf)],
            Some(("melec.toml", corrected.as_bytes())),
        )
        .await;
    refused.expect(422).shows(&[
        "Un référentiel de code « bacpro-melec » existe déjà",
        "utilisé par 1 classe",
        "Codes absents du nouveau fichier",
        "C13",
        "Remplacer le référentiel",
    ]);
    assert_eq!(
        app.state
            .store
            .referential("bacpro-melec")
            .unwrap()
            .unwrap(),
        melec,
        "never overwritten silently"
    );
    // The confirmation carries the file back: no need to choose it again.
    let content = refused.field("content").unwrap();
    coordinator
        .post_multipart(
            REFERENTIALS,
            &[("_csrf", &csrf), ("content", &content), ("replace", "oui")],
            Some(("", b"")),
        )
        .await
        .expect_redirect(REFERENTIALS);
    let now = app
        .state
        .store
        .referential("bacpro-melec")
        .unwrap()
        .unwrap();
    assert_eq!(now.short_name, "Bac Pro MELEC corrigé");
    assert_eq!(now.competencies.len(), 2);
    // The same file once more: nothing to replace.
    coordinator
        .post_multipart(
            REFERENTIALS,
            &[("_csrf", &csrf)],
            Some(("melec.toml", corrected.as_bytes())),
        )
        .await
        .expect(422)
        .shows(&["est déjà présent, identique à ce fichier"])
        .hides(&["Remplacer le référentiel"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_who_changes_class_leaves_the_old_class_list() {
    let app = App::start().await;
    let old = class_1melec(&app);
    let new = Class {
        id: ClassId::new(),
        name: "TMELEC".into(),
        diploma: "bacpro-melec".into(),
        year: CycleYear::Terminale,
    };
    assert!(app.state.store.insert_class(&new).await.unwrap());
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    // No Division column: the default class applies to every line.
    let text = "Nom,Prénom,Date de naissance\nFerrand,Maël,14/03/2009\nNoir,Léo,\n";
    let shown = coordinator
        .post_multipart(
            PREVIEW,
            &[("_csrf", &csrf), ("default_class", &new.id.to_string())],
            Some(("eleves.csv", text.as_bytes())),
        )
        .await;
    shown.expect(200);
    says(
        &shown,
        &["1 à créer", "1 à mettre à jour", "Classe : 1MELEC → TMELEC"],
    );
    apply(&coordinator, &shown).await.expect_redirect("/");
    let names = |class| -> Vec<String> {
        app.state
            .store
            .students_of_class(class)
            .unwrap()
            .into_iter()
            .map(|s| s.name.first)
            .collect()
    };
    assert!(
        !names(old).contains(&"Maël".to_string()),
        "{:?}",
        names(old)
    );
    assert_eq!(names(new.id), vec!["Maël".to_string(), "Léo".to_string()]);
    assert_eq!(
        app.state.store.student(app.w.mael).unwrap().unwrap().class,
        new.id
    );

    // An unknown default class is refused with the form.
    coordinator
        .post_multipart(
            PREVIEW,
            &[
                ("_csrf", &csrf),
                ("default_class", &ClassId::new().to_string()),
            ],
            Some(("eleves.csv", text.as_bytes())),
        )
        .await
        .expect(422)
        .shows(&["Choisissez une classe de la liste."]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_refuses_an_import_made_against_a_student_changed_since() {
    let app = App::start().await;
    let store = &app.state.store;
    let before = store.student(app.w.mael).unwrap().unwrap();
    let mut after = before.clone();
    after.email = Some("mael@example.fr".into());
    let newcomer = Student {
        id: StudentId::new(),
        class: before.class,
        name: PersonName::new("Léo", "Noir"),
        birth_date: None,
        ine: None,
        email: None,
        active: true,
    };
    let update = |before: &Student| livret::domain::class_list::StudentUpdate {
        line: 2,
        before: before.clone(),
        after: after.clone(),
        changed: vec![livret::domain::class_list::Column::Email],
        name_changed: false,
    };
    let mut stale = before.clone();
    stale.name.first = "Mael".into();
    assert!(
        !store
            .apply_class_import(&[update(&stale)], std::slice::from_ref(&newcomer))
            .await
            .unwrap()
    );
    assert_eq!(store.student(app.w.mael).unwrap().unwrap(), before);
    assert!(
        store.student(newcomer.id).unwrap().is_none(),
        "all or nothing"
    );
    assert!(
        store
            .apply_class_import(&[update(&before)], std::slice::from_ref(&newcomer))
            .await
            .unwrap()
    );
    assert_eq!(store.student(app.w.mael).unwrap().unwrap(), after);
    assert!(
        store
            .students_of_class(before.class)
            .unwrap()
            .iter()
            .any(|s| s.id == newcomer.id)
    );
}

/// Asserts that none of `none` is in the page's [`words`] (tags left out, so that
/// "invalid" does not match an `aria-invalid` attribute).
#[track_caller]
fn never_says(page: &Page, none: &[&str]) {
    let text = words(page);
    for s in none {
        assert!(
            !text.contains(s),
            "{} {}: unexpected {s:?} in:\n{text}",
            page.method,
            page.url
        );
    }
}

/// Previews a class list whose header is "Nom;Prénom;Date de naissance;Division;INE".
async fn preview_lines(b: &Browser, csrf: &str, lines: &str) -> Page {
    let text = format!("Nom;Prénom;Date de naissance;Division;INE\n{lines}");
    preview(b, csrf, text.as_bytes()).await
}

/// The reason shown for a rejected line of a preview page.
#[track_caller]
fn rejected_reason(page: &Page, line: usize) -> String {
    let row = format!("<td data-label=\"Ligne\">{line}</td><td data-label=\"Motif\">");
    let at = page
        .body
        .find(&row)
        .unwrap_or_else(|| panic!("no rejected line {line}:\n{}", page.body));
    let rest = &page.body[at + row.len()..];
    unescape(&rest[..rest.find("</td>").unwrap_or(rest.len())])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_student_under_another_ine_is_refused_not_created_twice() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    let before = student_count(&app);
    // Maël Ferrand is stored born 14/03/2009 with INE 123456789AB.
    let shown = preview_lines(
        &coordinator,
        &csrf,
        "FERRAND;Maël;14/03/2009;1MELEC;999999999ZZ\n",
    )
    .await;
    shown.expect(200).hides(&["Importer : "]);
    says(&shown, &["0 à créer", "1 refusée", "Rien à importer"]);
    assert_eq!(
        rejected_reason(&shown, 2),
        "Un élève Ferrand Maël né(e) le 14/03/2009 existe déjà avec un autre INE \
         (123456789AB) : vérifiez l'INE."
    );
    assert_eq!(student_count(&app), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_change_by_ine_is_flagged_and_a_complete_one_refused() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    let mael_before = app.state.store.student(app.w.mael).unwrap().unwrap();

    // Another name and no birth date to confirm the INE: refused.
    let refused = preview_lines(&coordinator, &csrf, "C;D;;1MELEC;123456789ab\n").await;
    refused.expect(200).hides(&["Importer : "]);
    says(&refused, &["0 à mettre à jour", "1 refusée"]);
    let reason = rejected_reason(&refused, 2);
    assert!(
        reason.starts_with("INE déjà attribué à Ferrand Maël, né(e) le 14/03/2009 :"),
        "{reason}"
    );

    // A corrected name that keeps a word of the surname: an update, flagged.
    let flagged = preview_lines(
        &coordinator,
        &csrf,
        "Ferrand-Roy;Maëlle;;1MELEC;123456789AB\n",
    )
    .await;
    flagged.expect(200);
    says(
        &flagged,
        &[
            "1 à mettre à jour",
            "0 refusée",
            "⚠ nom changé : vérifiez l'INE",
            "⚠ Vérifiez l'INE : 1 élève reconnu par son INE change de nom.",
            "Nom : Ferrand → Ferrand-Roy",
            "Prénom : Maël → Maëlle",
        ],
    );
    assert_eq!(
        app.state.store.student(app.w.mael).unwrap().unwrap(),
        mael_before,
        "a preview writes nothing"
    );
    apply(&coordinator, &flagged).await.expect_redirect("/");
    let mael = app.state.store.student(app.w.mael).unwrap().unwrap();
    assert_eq!(mael.name, PersonName::new("Maëlle", "Ferrand-Roy"));

    // A change of case only is an ordinary update, not flagged.
    let plain = preview_lines(
        &coordinator,
        &csrf,
        "FERRAND-ROY;Maëlle;;1MELEC;123456789AB\n",
    )
    .await;
    plain.expect(200).hides(&["nom changé", "Vérifiez l'INE"]);
    says(&plain, &["1 à mettre à jour"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implausible_birth_dates_are_refused_against_the_school_clock() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    // The test clock's today is 11/03/2026: the 12th is in the future for the school
    // even when it is past on the machine running the tests.
    let shown = preview_lines(
        &coordinator,
        &csrf,
        "Futur;Léo;04/03/2029;1MELEC;\n\
         Ancien;Paul;01/01/1890;1MELEC;\n\
         Demain;Zoé;12/03/2026;1MELEC;\n\
         Aujourdhui;Ana;11/03/2026;1MELEC;\n",
    )
    .await;
    shown.expect(200);
    says(&shown, &["1 à créer", "3 refusées"]);
    for (line, date, why) in [
        (2, "04/03/2029", "elle est dans le futur"),
        (3, "01/01/1890", "elle est antérieure à 1920"),
        (4, "12/03/2026", "elle est dans le futur"),
    ] {
        assert_eq!(
            rejected_reason(&shown, line),
            format!(
                "Date de naissance invraisemblable ({date}) : {why}. Corrigez-la ou laissez \
                 la cellule vide."
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_file_is_told_apart_from_no_file() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(IMPORT).await;
    let upload = |file: Option<(&'static str, &'static [u8])>| {
        let coordinator = &coordinator;
        let csrf = csrf.clone();
        async move {
            coordinator
                .post_multipart(PREVIEW, &[("_csrf", &csrf), ("default_class", "")], file)
                .await
        }
    };
    // A chosen file of 0 bytes.
    upload(Some(("eleves.csv", b"")))
        .await
        .expect(422)
        .shows(&["Le fichier est vide."])
        .hides(&["Choisissez le fichier"]);
    // No file chosen: browsers send a file part without a name; or no part at all.
    for file in [Some(("", b"".as_slice())), None] {
        upload(file)
            .await
            .expect(422)
            .shows(&["Choisissez le fichier CSV à importer."])
            .hides(&["Le fichier est vide."]);
    }
    // The same on the referential page.
    let csrf = coordinator.csrf(REFERENTIALS).await;
    coordinator
        .post_multipart(REFERENTIALS, &[("_csrf", &csrf)], Some(("essai.toml", b"")))
        .await
        .expect(422)
        .shows(&["Le fichier est vide."])
        .hides(&["Choisissez le fichier"]);
    coordinator
        .post_multipart(REFERENTIALS, &[("_csrf", &csrf)], None)
        .await
        .expect(422)
        .shows(&["Choisissez le fichier du référentiel (.toml)."]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referential_parser_errors_are_shown_in_french_with_their_line() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let csrf = coordinator.csrf(REFERENTIALS).await;
    let before = app.state.store.referentials().unwrap();
    let competencies = GOOD.find("[[competencies]]").unwrap();
    for (file, shown) in [
        (
            GOOD.replace("short_name", "shortname"),
            "ligne 4 : champ inconnu « shortname » (champs permis : format, code, diploma, \
             short_name, level, sources, competencies, blocks)",
        ),
        (
            GOOD[..competencies].to_string(),
            "champ obligatoire « competencies » absent du fichier",
        ),
        (
            GOOD.replace("title = \"Tester l'import\"", "title = \"Tester l'import"),
            "ligne 16 : erreur de syntaxe TOML : guillemet non fermé",
        ),
        (
            GOOD.replace(
                "[[competencies]]\ncode = \"T2\"",
                "[[competencies]\ncode = \"T2\"",
            ),
            "ligne 22 : erreur de syntaxe TOML : crochet fermant manquant",
        ),
        (
            GOOD.replace("status = \"specification\"", "status = \"officiel\""),
            "ligne 11 : valeur « officiel » inconnue (valeurs permises : official, \
             specification, unverified)",
        ),
    ] {
        let page = coordinator
            .post_multipart(
                REFERENTIALS,
                &[("_csrf", &csrf)],
                Some(("essai.toml", file.as_bytes())),
            )
            .await;
        page.expect(422)
            .shows(&["Le fichier n'a pas été importé", shown]);
        never_says(
            &page,
            &[
                "expected",
                "unknown",
                "missing",
                "invalid",
                "fichier illisible",
            ],
        );
    }
    assert_eq!(app.state.store.referentials().unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referentials_page_names_its_sources_in_plain_french() {
    let app = App::start().await;
    let coordinator = app.coordinator().await;
    let page = coordinator.get(REFERENTIALS).await;
    page.expect(200).shows(&[
        "Bac Pro MCV",
        "Bac Pro MELEC",
        "qui fait foi pour ce logiciel",
        "adresse exacte non retrouvée",
    ]);
    says(
        &page,
        &[
            "9 compétences · 10 critères",
            "13 compétences · 79 critères",
        ],
    );
    never_says(
        &page,
        &[
            "primary source",
            "product",
            "index",
            "GitHub",
            "Django",
            "70880285076",
            "ne donne ni le dépôt ni l'URL",
        ],
    );
}
