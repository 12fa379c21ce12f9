//! Each person's pages: student, tutor, referent teacher, coordinator.

use crate::support::*;
use livret::domain::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn student_home_goes_to_the_running_placement() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    mael.get("/").await.expect_redirect(&stage(w.p_mael));

    // François's only placement starts later: he is sent to it, and cannot write yet.
    let francois = app.student(w.francois).await;
    francois
        .get("/")
        .await
        .expect_redirect(&stage(w.p_francois));
    francois
        .get(&stage(w.p_francois))
        .await
        .expect(200)
        .shows(&["à venir", "Du lundi 30 mars 2026 au vendredi 24 avril 2026"]);
    francois
        .get(&format!("{}/journal", stage(w.p_francois)))
        .await
        .expect(200)
        .shows(&["Le journal de bord est encore vide."])
        .hides(&["Écrire une entrée"]);

    // Anaïs has no placement yet: a page that says so, no redirect.
    let anais = app.student(w.anais).await;
    anais
        .get("/")
        .await
        .expect(200)
        .shows(&["Mes PFMP", "Aucune période de formation"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn student_placement_page_shows_company_people_dates_and_objectives() {
    let app = App::start().await;
    let w = &app.w;
    let p = w.seed.placements.iter().find(|p| p.id == w.p_mael).unwrap();
    let mael = app.student(w.mael).await;
    let page = mael.get(&stage(w.p_mael)).await;
    page.expect(200).shows(&[
        "Ma période en entreprise",
        "Maël Ferrand",
        "Électricité Générale du Val",
        "8 avenue des Artisans",
        "Hélène Caillé",
        "Cheffe d'équipe électricienne",
        "02 40 00 00 01",
        "Sébastien Roussel",
        "Du lundi 2 mars 2026 au vendredi 27 mars 2026",
        "en cours",
        "Objectifs de la période",
        "5 entrées",
        "2 fiches · 1 en attente du tuteur",
    ]);
    for o in &p.objectives {
        page.shows(&[o]);
    }
    // The student's page links to the logbook and the sheets.
    page.shows(&[
        &format!("href=\"{}/journal\"", stage(w.p_mael)),
        &format!("href=\"{}/fiches\"", stage(w.p_mael)),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn student_logbook_lists_newest_first_with_the_total() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let page = mael.get(&format!("{}/journal", stage(w.p_mael))).await;
    page.expect(200).shows(&[
        "Journal de bord",
        "5 entrées · 37 h au total",
        "Écrire une entrée",
        "Accueil par Mme Caillé",
        "J'ai appris à lire le plan d'implantation.",
        "7 h 30",
    ]);
    let text = page.text();
    let days = [
        "mardi 10 mars 2026",
        "lundi 9 mars 2026",
        "vendredi 6 mars 2026",
        "jeudi 5 mars 2026",
        "mercredi 4 mars 2026",
    ];
    let at: Vec<usize> = days
        .iter()
        .map(|d| text.find(d).unwrap_or_else(|| panic!("{d} missing")))
        .collect();
    assert!(
        at.windows(2).all(|p| p[0] < p[1]),
        "entries are not newest first: {at:?}"
    );
    // Only Maël's entries: Éloïse's are elsewhere.
    page.hides(&["Pose de prises RJ45"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn student_new_entry_form() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let page = mael
        .get(&format!("{}/journal/nouvelle", stage(w.p_mael)))
        .await;
    page.expect(200).shows(&[
        "Nouvelle entrée",
        "Date",
        "Heures de présence",
        "Tâches réalisées",
        "Enregistrer l'entrée",
        &format!("action=\"{}/journal\"", stage(w.p_mael)),
        "min=\"2026-03-02\"",
        "max=\"2026-03-11\"",
    ]);
    assert_eq!(page.field("date").as_deref(), Some("2026-03-11"), "today");
    assert_eq!(page.field("hours").as_deref(), Some(""));
    assert_eq!(page.field("tasks").as_deref(), Some(""));
    let id = page.field("id").expect("the form carries a fresh entry id");
    assert!(id.parse::<LogbookEntryId>().is_ok(), "{id}");
    assert!(!page.csrf().is_empty());
    // Each form gets its own id.
    let again = mael
        .get(&format!("{}/journal/nouvelle", stage(w.p_mael)))
        .await;
    assert_ne!(again.field("id"), Some(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn student_sheets_list_shows_drafts_and_submitted() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let page = mael.get(&format!("{}/fiches", stage(w.p_mael))).await;
    page.expect(200).shows(&[
        "Fiches activités",
        "Nouvelle fiche activité",
        "Remplacement d'un interrupteur différentiel",
        "À relire par le tuteur",
        "Tirage de câbles et pose de goulottes",
        "Brouillon",
        "C8 · C9",
    ]);
    // Latest day first: the submitted sheet (10 March) before the draft (6 March).
    let text = page.text();
    assert!(
        text.find("Remplacement d'un interrupteur").unwrap()
            < text.find("Tirage de câbles et pose").unwrap()
    );
    let new = mael
        .get(&format!("{}/fiches/nouvelle", stage(w.p_mael)))
        .await;
    new.expect(200).shows(&[
        "Nouvelle fiche activité",
        "Titre de l'activité",
        "Compétences mobilisées",
        "C4",
        "Enregistrer le brouillon",
        "Envoyer au tuteur",
    ]);
    assert_eq!(new.field("date").as_deref(), Some("2026-03-11"));
}

/// Creates a draft through the form and returns its URL.
async fn create_draft(app: &App, b: &Browser, title: &str) -> String {
    let base = stage(app.w.p_mael);
    let csrf = b.csrf(&format!("{base}/fiches/nouvelle")).await;
    let resp = b
        .post(
            &format!("{base}/fiches"),
            &[
                ("_csrf", &csrf),
                ("title", title),
                ("date", "2026-03-10"),
                ("context", "Chantier de la rue des Lilas."),
                ("work_done", "Pose et raccordement de prises 16 A."),
                ("tools", "Tournevis, VAT."),
                ("competencies", "C4"),
                ("criteria", "C4.1"),
                ("action", "draft"),
            ],
        )
        .await;
    resp.expect(303);
    let url = resp.location().to_string();
    assert!(url.starts_with(&format!("{base}/fiches/")), "{url}");
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn student_creates_edits_and_submits_a_sheet_drafts_stay_private() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let helene = app.tutor(w.helene).await;
    let referent = app.teacher(w.referent).await;
    let before = app.sheets(w.p_mael).len();

    // Create as draft.
    let url = create_draft(&app, &mael, "Pose de prises en cuisine").await;
    let sid: ActivitySheetId = url.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(app.sheets(w.p_mael).len(), before + 1);
    let stored = app.sheet(w.p_mael, sid);
    assert_eq!(stored.status, SheetStatus::Draft);
    assert_eq!(stored.competencies, vec!["C4".to_string()]);
    assert_eq!(stored.criteria, vec!["C4.1".to_string()]);
    mael.get(&url).await.expect(200).shows(&[
        "Pose de prises en cuisine",
        "Brouillon",
        "Fiche enregistrée (brouillon).",
        "Chantier de la rue des Lilas.",
        "Pose et raccordement de prises 16 A.",
        "Modifier",
        "Envoyer au tuteur",
    ]);

    // A draft exists for nobody but the student.
    for other in [&helene, &referent] {
        other
            .get(&format!("{base}/fiches"))
            .await
            .expect(200)
            .hides(&["Pose de prises en cuisine"]);
        other.get(&url).await.expect(404);
        other
            .get(&base)
            .await
            .expect(200)
            .shows(&["1 fiche · 1 à relire"]);
    }

    // Edit: the form comes back filled, the change is stored.
    let edit = mael.get(&format!("{url}/modifier")).await;
    edit.expect(200).shows(&["Modifier la fiche"]);
    assert_eq!(
        edit.field("title").as_deref(),
        Some("Pose de prises en cuisine")
    );
    assert!(
        edit.body.contains("value=\"C4\" checked"),
        "C4 stays ticked"
    );
    mael.post(
        &url,
        &[
            ("_csrf", &edit.csrf()),
            ("title", "Pose de prises dans la cuisine"),
            ("date", "2026-03-10"),
            ("work_done", "Pose et raccordement de six prises 16 A."),
            ("competencies", "C4"),
            ("criteria", "C4.1"),
            ("criteria", "C4.2"),
            ("action", "draft"),
        ],
    )
    .await
    .expect_redirect(&url);
    let stored = app.sheet(w.p_mael, sid);
    assert_eq!(stored.title, "Pose de prises dans la cuisine");
    assert_eq!(stored.status, SheetStatus::Draft);
    assert_eq!(stored.criteria, vec!["C4.1".to_string(), "C4.2".into()]);

    // Submit.
    let csrf = mael.csrf(&url).await;
    mael.post(&format!("{url}/envoyer"), &[("_csrf", &csrf)])
        .await
        .expect_redirect(&url);
    assert_eq!(app.sheet(w.p_mael, sid).status, SheetStatus::Submitted);
    mael.get(&url)
        .await
        .expect(200)
        .shows(&["À relire par le tuteur", "Fiche envoyée au tuteur."])
        .hides(&["Modifier"]);
    // A submitted sheet is no longer editable: the form redirects to the sheet, and a
    // late POST changes nothing and says so (409, input kept).
    mael.get(&format!("{url}/modifier"))
        .await
        .expect_redirect(&url);
    mael.post(
        &url,
        &[
            ("_csrf", &csrf),
            ("title", "Changement tardif"),
            ("date", "2026-03-10"),
            ("work_done", "x"),
            ("competencies", "C4"),
            ("action", "draft"),
        ],
    )
    .await
    .expect(409)
    .shows(&["déjà été envoyée au tuteur", "Changement tardif"]);
    assert_eq!(
        app.sheet(w.p_mael, sid).title,
        "Pose de prises dans la cuisine"
    );

    // Now the tutor and the referent see it.
    helene
        .get(&format!("{base}/fiches"))
        .await
        .expect(200)
        .shows(&["Pose de prises dans la cuisine"]);
    helene.get(&url).await.expect(200).shows(&[
        "Pose de prises dans la cuisine",
        "À relire par le tuteur",
        "Votre avis sur cette activité",
    ]);
    referent
        .get(&url)
        .await
        .expect(200)
        .shows(&["Pose de prises dans la cuisine"])
        .hides(&["Votre avis sur cette activité"]);
    let card = referent.get("/").await.card("Maël Ferrand");
    assert!(
        card.contains("2 fiches en attente du tuteur"),
        "the referent's count follows the new sheet: {card}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sheet_without_competency_cannot_be_sent() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let csrf = mael.csrf(&format!("{base}/fiches/nouvelle")).await;
    let before = app.sheets(w.p_mael).len();
    // "Envoyer au tuteur" straight from the form, nothing ticked: 422, nothing stored.
    mael.post(
        &format!("{base}/fiches"),
        &[
            ("_csrf", &csrf),
            ("title", "Sans compétence"),
            ("date", "2026-03-10"),
            ("work_done", "Rangement."),
            ("action", "submit"),
        ],
    )
    .await
    .expect(422)
    .shows(&["Le formulaire n'a pas été enregistré"]);
    assert_eq!(app.sheets(w.p_mael).len(), before);
    // Saved as a draft it is accepted, but "Envoyer" refuses it.
    let resp = mael
        .post(
            &format!("{base}/fiches"),
            &[
                ("_csrf", &csrf),
                ("title", "Sans compétence"),
                ("date", "2026-03-10"),
                ("work_done", "Rangement."),
                ("action", "draft"),
            ],
        )
        .await;
    resp.expect(303);
    let url = resp.location().to_string();
    let sid: ActivitySheetId = url.rsplit('/').next().unwrap().parse().unwrap();
    mael.post(&format!("{url}/envoyer"), &[("_csrf", &csrf)])
        .await
        .expect(422)
        .shows(&["Cochez au moins une compétence"]);
    assert_eq!(app.sheet(w.p_mael, sid).status, SheetStatus::Draft);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutor_home_lists_only_their_students() {
    let app = App::start().await;
    let w = &app.w;
    let helene = app.tutor(w.helene).await;
    let home = helene.get("/").await;
    home.expect(200)
        .shows(&[
            "Mes stagiaires",
            "Hélène Caillé",
            "Maël Ferrand",
            "François Lefèvre",
        ])
        .hides(&["Éloïse", "Yanis", "Anaïs"]);
    let card = home.card("Maël Ferrand");
    assert!(card.contains("5 entrées au journal de bord"), "{card}");
    assert!(card.contains("1 fiche à relire"), "{card}");
    assert!(
        card.contains(&format!("href=\"{}\"", stage(w.p_mael))),
        "{card}"
    );
    let card = home.card("François Lefèvre");
    assert!(card.contains("0 entrée au journal de bord"), "{card}");
    assert!(card.contains("à venir"), "{card}");
    // The running placement comes before the upcoming one.
    let text = home.text();
    assert!(
        text.find("Maël Ferrand").unwrap() < text.find("François Lefèvre").unwrap(),
        "running placements first"
    );

    let gregoire = app.tutor(w.gregoire).await;
    gregoire
        .get("/")
        .await
        .expect(200)
        // Grégoire tutored Maël's first placement (demo, issue 5), never François.
        .shows(&["Éloïse N'Diaye", "Yanis Girard", "Maël Ferrand"])
        .hides(&["François"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutor_reads_the_dossier_and_the_logbook() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let helene = app.tutor(w.helene).await;
    helene.get(&base).await.expect(200).shows(&[
        "Dossier de Maël Ferrand",
        "1MELEC",
        "Objectifs de la période",
        "Découvrir l'organisation d'une entreprise d'électricité générale",
        "Journal de bord",
        "5 entrées",
        "Fiches activités",
        "1 fiche · 1 à relire",
        "Électricité Générale du Val",
        "Sébastien Roussel",
    ]);
    helene
        .get(&format!("{base}/journal"))
        .await
        .expect(200)
        .shows(&[
            "Journal de bord de Maël Ferrand",
            "5 entrées · 37 h au total",
            "Remplacement d'un interrupteur différentiel défectueux",
        ])
        .hides(&["Écrire une entrée"]);
    helene
        .get(&format!("{base}/fiches"))
        .await
        .expect(200)
        .shows(&[
            "Fiches activités de Maël Ferrand",
            "Remplacement d'un interrupteur différentiel",
        ])
        .hides(&["Tirage de câbles et pose de goulottes", "Nouvelle fiche"]);
    // The tutor writes neither logbook nor sheets.
    helene
        .get(&format!("{base}/journal/nouvelle"))
        .await
        .expect(404);
    helene
        .get(&format!("{base}/fiches/nouvelle"))
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutor_comments_a_submitted_sheet_not_a_draft() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let url = format!("{base}/fiches/{}", w.sheet_submitted);
    let helene = app.tutor(w.helene).await;
    let page = helene.get(&url).await;
    page.expect(200).shows(&[
        "Remplacement d'un interrupteur différentiel",
        "À relire par le tuteur",
        "Votre avis sur cette activité",
        "Marquer comme vue et enregistrer",
        "C8",
        "C9",
    ]);
    let csrf = page.csrf();
    let comment = "Bon travail : consignation respectée. Pensez à vérifier le serrage.";
    helene
        .post(
            &format!("{url}/avis"),
            &[("_csrf", &csrf), ("comment", comment)],
        )
        .await
        .expect_redirect(&url);
    let stored = app.sheet(w.p_mael, w.sheet_submitted);
    assert_eq!(stored.status, SheetStatus::SeenByTutor);
    let c = stored.tutor_comment.expect("the comment is stored");
    assert_eq!(c.text, comment);
    assert_eq!(c.tutor, w.helene);
    helene.get(&url).await.expect(200).shows(&[
        "Vue par le tuteur",
        "Avis du tuteur",
        comment,
        "Avis enregistré : la fiche est marquée comme vue.",
        "Mettre à jour mon avis",
    ]);
    // The student and the referent read it.
    let mael = app.student(w.mael).await;
    mael.get(&url)
        .await
        .expect(200)
        .shows(&["Vue par le tuteur", comment])
        .hides(&["Votre avis sur cette activité"]);
    let referent = app.teacher(w.referent).await;
    referent
        .get(&url)
        .await
        .expect(200)
        .shows(&["Vue par le tuteur", comment]);
    // Nothing waits for the tutor any more.
    assert!(
        referent
            .get("/")
            .await
            .card("Maël Ferrand")
            .contains("aucune fiche en attente du tuteur")
    );
    helene
        .get(&base)
        .await
        .expect(200)
        .shows(&["1 fiche"])
        .hides(&["à relire"]);

    // A draft cannot be commented (nor seen) by the tutor.
    let draft = format!("{base}/fiches/{}", w.sheet_draft);
    helene.get(&draft).await.expect(404);
    helene
        .post(
            &format!("{draft}/avis"),
            &[("_csrf", &csrf), ("comment", "Vu.")],
        )
        .await
        .expect(404);
    let d = app.sheet(w.p_mael, w.sheet_draft);
    assert_eq!(d.status, SheetStatus::Draft);
    assert!(d.tutor_comment.is_none());

    // Too long a comment comes back with the message and the text kept.
    let long = "a".repeat(4001);
    helene
        .post(
            &format!("{url}/avis"),
            &[("_csrf", &csrf), ("comment", &long)],
        )
        .await
        .expect(422)
        .shows(&["4001 caractères pour 4000 au plus", &long]);
    assert_eq!(
        app.sheet(w.p_mael, w.sheet_submitted)
            .tutor_comment
            .unwrap()
            .text,
        comment
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referent_home_counts_entries_and_sheets_awaiting_the_tutor() {
    let app = App::start().await;
    let w = &app.w;
    let referent = app.teacher(w.referent).await;
    let home = referent.get("/").await;
    home.expect(200)
        .shows(&["Mes élèves", "Sébastien Roussel"])
        .hides(&["Yanis Girard"]);
    let mael = home.card("Maël Ferrand");
    for s in [
        "Électricité Générale du Val",
        "tuteur : Hélène Caillé",
        "5 entrées au journal",
        "1 fiche en attente du tuteur",
        "en cours",
    ] {
        assert!(mael.contains(s), "{s:?} missing in {mael}");
    }
    let eloise = home.card("Éloïse N'Diaye");
    for s in [
        "Domotique & Réseaux Atlantique",
        "tuteur : Grégoire d'Arçais",
        "2 entrées au journal",
        "aucune fiche en attente du tuteur",
    ] {
        assert!(eloise.contains(s), "{s:?} missing in {eloise}");
    }
    let francois = home.card("François Lefèvre");
    assert!(francois.contains("0 entrée au journal"), "{francois}");
    let text = home.text();
    assert!(
        text.find("Éloïse N'Diaye").unwrap() < text.find("François Lefèvre").unwrap()
            && text.find("Maël Ferrand").unwrap() < text.find("François Lefèvre").unwrap(),
        "running placements before upcoming ones"
    );

    // Read access to each portfolio, no writing.
    let base = stage(w.p_mael);
    referent
        .get(&base)
        .await
        .expect(200)
        .shows(&["Dossier de Maël Ferrand", "1 fiche · 1 à relire"]);
    referent
        .get(&format!("{base}/journal"))
        .await
        .expect(200)
        .shows(&["5 entrées · 37 h au total", "Accueil par Mme Caillé"])
        .hides(&["Écrire une entrée"]);
    referent
        .get(&format!("{base}/fiches"))
        .await
        .expect(200)
        .shows(&["Remplacement d'un interrupteur différentiel"])
        .hides(&["Tirage de câbles et pose de goulottes"]);
    referent
        .get(&format!("{base}/fiches/{}", w.sheet_submitted))
        .await
        .expect(200)
        .hides(&["Votre avis sur cette activité"]);
    referent
        .get(&format!("{base}/journal/nouvelle"))
        .await
        .expect(404);
    let csrf = referent.csrf(&base).await;
    referent
        .post(
            &format!("{base}/fiches/{}/avis", w.sheet_submitted),
            &[("_csrf", &csrf), ("comment", "Vu par le référent.")],
        )
        .await
        .expect(404);
    assert_eq!(
        app.sheet(w.p_mael, w.sheet_submitted).status,
        SheetStatus::Submitted
    );

    // The other referent follows only Yanis.
    let odile = app.teacher(w.odile).await;
    odile
        .get("/")
        .await
        .expect(200)
        .shows(&["Yanis Girard", "0 entrée au journal"])
        .hides(&["Maël", "Éloïse", "François"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordinator_sees_classes_students_and_placements() {
    let app = App::start().await;
    let w = &app.w;
    let coord = app.coordinator().await;
    let home = coord.get("/").await;
    home.expect(200).shows(&[
        "Lycée professionnel Jules-Verne (démonstration)",
        "UAI 0999999Z",
        "Béatrice Lhôte",
        "Classes",
        "1MELEC",
        "Première",
        "5 élèves",
        "Périodes en cours et à venir",
        "Électricité Générale du Val",
        "Domotique & Réseaux Atlantique",
        "Hélène Caillé",
        "Grégoire d'Arçais",
        "Sébastien Roussel",
        "Odile Marchand",
        "02/03/2026 – 27/03/2026",
        "30/03/2026 – 24/04/2026",
        "Accès tuteur : aucun accès",
    ]);
    // The students are on the class page, with every placement of the class.
    let body = &home.body;
    let class_url = format!(
        "/coordination/classes/{}",
        app.state.store.student(w.mael).unwrap().unwrap().class
    );
    assert!(
        body.contains(&format!("href=\"{class_url}\"")),
        "the home links to the class"
    );
    let class = coord.get(&class_url).await;
    class.expect(200).shows(&[
        "Classe 1MELEC",
        "FERRAND Maël",
        "N'DIAYE Éloïse",
        "LEFÈVRE François",
        "BENOÎT Anaïs",
        "GIRARD Yanis",
        "en cours",
        "à venir",
        "Accès tuteur : aucun accès",
    ]);
    app.link(Subject::Tutor(w.helene)).await;
    coord
        .get(&class_url)
        .await
        .shows(&["Accès tuteur : actif jusqu'au 11/09/2026"]);
    let tbody = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    assert_eq!(tbody.matches("<tr>").count(), 4, "one row per placement");
    for p in [w.p_mael, w.p_eloise, w.p_francois, w.p_yanis] {
        assert!(tbody.contains(&format!("href=\"{}\"", stage(p))), "{p}");
        assert!(
            class.body.contains(&format!("href=\"{}\"", stage(p))),
            "{p}"
        );
        coord.get(&stage(p)).await.expect(200);
        coord
            .get(&format!("{}/journal", stage(p)))
            .await
            .expect(200);
        coord.get(&format!("{}/fiches", stage(p))).await.expect(200);
    }
    // Other roles never see a class page.
    for other in [
        app.teacher(w.referent).await,
        app.student(w.mael).await,
        app.tutor(w.helene).await,
    ] {
        other.get(&class_url).await.expect(404);
    }
    // Read-only, and drafts stay the student's.
    let base = stage(w.p_mael);
    coord
        .get(&format!("{base}/fiches"))
        .await
        .shows(&["Remplacement d'un interrupteur différentiel"])
        .hides(&["Tirage de câbles et pose de goulottes"]);
    coord
        .get(&format!("{base}/fiches/{}", w.sheet_draft))
        .await
        .expect(404);
    coord
        .get(&format!("{base}/journal/nouvelle"))
        .await
        .expect(404);
    let csrf = coord.csrf(&base).await;
    let before = app.entries(w.p_mael).len();
    coord
        .post(
            &format!("{base}/journal"),
            &[
                ("_csrf", &csrf),
                ("date", "2026-03-10"),
                ("hours", "7"),
                ("tasks", "Écrit par la coordination"),
            ],
        )
        .await
        .expect(404);
    assert_eq!(app.entries(w.p_mael).len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_with_several_placements_lands_on_the_running_one() {
    let app = App::start().await;
    let w = &app.w;
    let running = w
        .seed
        .placements
        .iter()
        .find(|p| p.id == w.p_mael)
        .unwrap()
        .clone();
    let date = |y, m, d| jiff::civil::Date::new(y, m, d).unwrap();
    // One period before (finished) and one after (upcoming): the upcoming one has the
    // latest start, so it comes first in the student's list.
    let finished = Placement {
        id: PlacementId::new(),
        start: date(2025, 11, 3),
        end: date(2025, 11, 28),
        objectives: vec!["Première période : découverte.".into()],
        ..running.clone()
    };
    let upcoming = Placement {
        id: PlacementId::new(),
        start: date(2026, 5, 4),
        end: date(2026, 5, 29),
        objectives: vec!["Troisième période.".into()],
        ..running.clone()
    };
    let seed = livret::store::SchoolSeed {
        placements: vec![finished.clone(), upcoming.clone()],
        ..Default::default()
    };
    app.state.store.seed(&seed).await.unwrap();

    let mael = app.student(w.mael).await;
    mael.get("/").await.expect_redirect(&stage(w.p_mael));
    let page = mael.get(&stage(w.p_mael)).await;
    page.expect(200).shows(&[
        "Mes autres périodes",
        "Du 03/11/2025 au 28/11/2025",
        "terminée",
        "Du 04/05/2026 au 29/05/2026",
        "à venir",
        &format!("href=\"{}\"", stage(finished.id)),
        &format!("href=\"{}\"", stage(upcoming.id)),
    ]);
    mael.get(&stage(finished.id))
        .await
        .expect(200)
        .shows(&["Première période : découverte.", "terminée"]);
    // Another student still sees none of them.
    let eloise = app.student(w.eloise).await;
    eloise.get(&stage(finished.id)).await.expect(404);
    // The tutor sees the three periods of Maël on her home.
    let helene = app.tutor(w.helene).await;
    let home = helene.get("/").await;
    assert_eq!(
        home.text().matches("Maël Ferrand").count(),
        3,
        "{}",
        home.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_sheet_comes_back_with_the_input_kept_and_nothing_stored() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let csrf = mael.csrf(&format!("{base}/fiches/nouvelle")).await;
    let before = app.sheets(w.p_mael);
    let long_title = "T".repeat(151);
    for (why, form, messages) in [
        (
            "empty title and work, future date",
            vec![
                ("title", "  "),
                ("date", "2026-03-12"),
                ("context", "Chantier <B> & co"),
                ("work_done", ""),
                ("competencies", "C4"),
                ("action", "draft"),
            ],
            vec![
                "Ce champ est obligatoire.",
                "Ce jour n'est pas encore passé.",
            ],
        ),
        (
            "unknown competency",
            vec![
                ("title", "Compétence inventée"),
                ("date", "2026-03-10"),
                ("work_done", "x"),
                ("competencies", "C99"),
                ("action", "draft"),
            ],
            vec!["Une compétence cochée n'existe pas dans le référentiel du diplôme."],
        ),
        (
            "title too long, date outside the period",
            vec![
                ("title", long_title.as_str()),
                ("date", "2026-04-01"),
                ("work_done", "x"),
                ("action", "draft"),
            ],
            vec![
                "151 caractères pour 150 au plus",
                "Choisissez un jour de la période, entre le 02/03/2026 et le 27/03/2026.",
            ],
        ),
    ] {
        let mut fields = vec![("_csrf", csrf.as_str())];
        fields.extend(form.iter().copied());
        let page = mael.post(&format!("{base}/fiches"), &fields).await;
        assert_eq!(page.status, 422, "{why}: {}", page.body);
        page.shows(&["Le formulaire n'a pas été enregistré"]);
        page.shows(&messages);
        for (name, value) in &form {
            match *name {
                "competencies" if *value == "C4" => {
                    assert!(page.body.contains("value=\"C4\" checked"), "{why}: C4 kept");
                }
                "competencies" | "action" => {}
                _ => assert_eq!(page.field(name).as_deref(), Some(*value), "{why}: {name}"),
            }
        }
        assert_eq!(app.sheets(w.p_mael), before, "{why}: something was stored");
    }

    // Editing a draft with a mistake: 422 and the stored draft unchanged.
    let url = format!("{base}/fiches/{}", w.sheet_draft);
    let draft = app.sheet(w.p_mael, w.sheet_draft);
    mael.post(
        &url,
        &[
            ("_csrf", &csrf),
            ("title", ""),
            ("date", "2026-03-06"),
            ("work_done", "Nouveau texte"),
            ("action", "draft"),
        ],
    )
    .await
    .expect(422)
    .shows(&[
        "Modifier la fiche",
        "Ce champ est obligatoire.",
        "Nouveau texte",
    ]);
    assert_eq!(app.sheet(w.p_mael, w.sheet_draft), draft);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_submitted_sheet_form_creates_one_sheet() {
    let app = App::start().await;
    let base = stage(app.w.p_mael);
    let mael = app.student(app.w.mael).await;
    let before = app.sheets(app.w.p_mael).len();
    let form = mael.get(&format!("{base}/fiches/nouvelle")).await;
    form.expect(200);
    let id = form.field("id").expect("the new-sheet form carries an id");
    let csrf = form.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("id", id.as_str()),
        ("title", "Double appui"),
        ("date", "2026-03-10"),
        ("work_done", "Pose de prises."),
        ("competencies", "C4"),
        ("action", "draft"),
    ];
    let first = mael.post(&format!("{base}/fiches"), &fields).await;
    first.expect(303);
    let second = mael.post(&format!("{base}/fiches"), &fields).await;
    second.expect(303);
    assert_eq!(first.location(), second.location());
    assert_eq!(app.sheets(app.w.p_mael).len(), before + 1);
    assert!(first.location().ends_with(&id), "{}", first.location());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sheet_form_sent_again_with_changes_updates_its_draft_then_makes_a_new_sheet() {
    let app = App::start().await;
    let base = stage(app.w.p_mael);
    let mael = app.student(app.w.mael).await;
    let before = app.sheets(app.w.p_mael).len();
    let form = mael.get(&format!("{base}/fiches/nouvelle")).await;
    let id = form.field("id").unwrap();
    let csrf = form.csrf();
    let send = |title: &'static str, action: &'static str| {
        let (csrf, id, mael, url) = (
            csrf.clone(),
            id.clone(),
            mael.clone(),
            format!("{base}/fiches"),
        );
        async move {
            mael.post(
                &url,
                &[
                    ("_csrf", csrf.as_str()),
                    ("id", id.as_str()),
                    ("title", title),
                    ("date", "2026-03-10"),
                    ("work_done", "Pose de prises."),
                    ("competencies", "C1"),
                    ("action", action),
                ],
            )
            .await
        }
    };
    // Saved as a draft, then "Back", title changed and sent to the tutor: one sheet,
    // with what was sent last.
    send("Fiche B originale", "draft").await.expect(303);
    let again = send("Fiche B corrigée", "submit").await;
    again.expect(303);
    assert!(again.location().ends_with(&id), "{}", again.location());
    let sheets = app.sheets(app.w.p_mael);
    assert_eq!(sheets.len(), before + 1);
    let sid: ActivitySheetId = id.parse().unwrap();
    let stored = app.sheet(app.w.p_mael, sid);
    assert_eq!(stored.title, "Fiche B corrigée");
    assert_eq!(stored.status, SheetStatus::Submitted);
    mael.get(again.location())
        .await
        .expect(200)
        .shows(&["Fiche B corrigée", "Fiche envoyée au tuteur."]);
    // Once sent, the same form with yet other content is another sheet.
    let third = send("Fiche C", "draft").await;
    third.expect(303);
    assert!(!third.location().ends_with(&id));
    assert_eq!(app.sheets(app.w.p_mael).len(), before + 2);
    assert_eq!(app.sheet(app.w.p_mael, sid).title, "Fiche B corrigée");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_draft_already_sent_from_another_tab_says_so_and_keeps_the_input() {
    let app = App::start().await;
    let mael = app.student(app.w.mael).await;
    let url = create_draft(&app, &mael, "Fiche à deux onglets").await;
    let sid: ActivitySheetId = url.rsplit('/').next().unwrap().parse().unwrap();
    // Tab A opens the edit form; tab B sends the sheet.
    let tab_a = mael.get(&format!("{url}/modifier")).await;
    tab_a.expect(200);
    mael.post(&format!("{url}/envoyer"), &[("_csrf", &tab_a.csrf())])
        .await
        .expect(303);
    // Tab A saves its correction: refused, said, and what was typed is kept.
    let late = mael
        .post(
            &url,
            &[
                ("_csrf", &tab_a.csrf()),
                ("title", "Fiche à deux onglets"),
                ("date", "2026-03-10"),
                ("work_done", "Correction tardive du déroulement."),
                ("competencies", "C4"),
                ("action", "draft"),
            ],
        )
        .await;
    late.expect(409).shows(&[
        "déjà été envoyée au tuteur",
        "Correction tardive du déroulement.",
    ]);
    let stored = app.sheet(app.w.p_mael, sid);
    assert_eq!(stored.status, SheetStatus::Submitted);
    assert_ne!(stored.work_done, "Correction tardive du déroulement.");
}
