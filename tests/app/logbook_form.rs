//! The logbook entry form: every refusal comes back (422) with French messages and the
//! input kept, and stores nothing; a valid entry reaches the student, the tutor, the
//! referent and the coordinator; the form's hidden id makes a double submission
//! harmless.

use crate::support::*;
use livret::domain::*;

struct Case {
    why: &'static str,
    date: &'static str,
    hours: &'static str,
    tasks: String,
    notes: String,
    /// (field, message) expected.
    errors: Vec<(&'static str, String)>,
}

fn case(why: &'static str, date: &'static str, hours: &'static str, tasks: &str) -> Case {
    Case {
        why,
        date,
        hours,
        tasks: tasks.to_string(),
        notes: String::new(),
        errors: Vec::new(),
    }
}

impl Case {
    fn error(mut self, field: &'static str, message: &str) -> Case {
        self.errors.push((field, message.to_string()));
        self
    }

    fn notes(mut self, notes: String) -> Case {
        self.notes = notes;
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_entries_come_back_with_french_messages_and_store_nothing() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let form = mael.get(&format!("{base}/journal/nouvelle")).await;
    form.expect(200);
    let csrf = form.csrf();
    let id = form.field("id").unwrap();
    let before = app.entries(w.p_mael);
    let tasks = "Câblage d'un tableau <TGBT> & essais \"à vide\"";
    let cases = vec![
        case("before the placement", "2026-02-27", "7", tasks).error(
            "date",
            "Choisissez un jour de la période, entre le 02/03/2026 et le 27/03/2026.",
        ),
        case("after the placement", "2026-03-30", "7", tasks).error(
            "date",
            "Choisissez un jour de la période, entre le 02/03/2026 et le 27/03/2026.",
        ),
        case(
            "in the future, inside the placement",
            "2026-03-12",
            "7",
            tasks,
        )
        .error("date", "Ce jour n'est pas encore passé."),
        case("a date that does not exist", "31/02/2026", "7", tasks)
            .error("date", "Date invalide : écrivez-la comme 29/11/2026."),
        case("no date", "", "7", tasks).error("date", "Indiquez la date."),
        case("25 hours", "2026-03-10", "25", tasks)
            .error("hours", "Une journée compte au plus 24 heures."),
        case("not a quarter", "2026-03-10", "7,3", tasks)
            .error("hours", "Comptez par quarts d'heure : ,25 ,5 ou ,75."),
        case("not a number", "2026-03-10", "abc", tasks).error(
            "hours",
            "Écrivez une durée comme 7, 7,5 ou 7h30 (par quarts d'heure, de 0 à 24 h).",
        ),
        case("odd minutes", "2026-03-10", "7h10", tasks)
            .error("hours", "Les minutes doivent valoir 0, 15, 30 ou 45."),
        case("no hours", "2026-03-10", "", tasks).error("hours", "Indiquez le nombre d'heures."),
        case("empty tasks", "2026-03-10", "7", " \r\n  ")
            .error("tasks", "Ce champ est obligatoire."),
        case("tasks too long", "2026-03-10", "7", &"é".repeat(2001)).error(
            "tasks",
            "Ce texte est trop long : 2001 caractères pour 2000 au plus.",
        ),
        case("notes too long", "2026-03-10", "7", tasks)
            .notes("n".repeat(4001))
            .error(
                "notes",
                "Ce texte est trop long : 4001 caractères pour 4000 au plus.",
            ),
        case("everything wrong", "2026-03-12", "25", "")
            .error("date", "Ce jour n'est pas encore passé.")
            .error("hours", "Une journée compte au plus 24 heures.")
            .error("tasks", "Ce champ est obligatoire."),
    ];
    for c in &cases {
        let page = mael
            .post(
                &format!("{base}/journal"),
                &[
                    ("_csrf", &csrf),
                    ("id", &id),
                    ("date", c.date),
                    ("hours", c.hours),
                    ("tasks", &c.tasks),
                    ("notes", &c.notes),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}: {}", c.why, page.body);
        page.shows(&[
            "Le formulaire n'a pas été enregistré",
            "Nouvelle entrée",
            "Enregistrer l'entrée",
        ]);
        for (field, message) in &c.errors {
            assert!(page.has(message), "{}: {message:?} missing", c.why);
            assert!(
                page.body.contains(&format!("id=\"{field}-error\"")),
                "{}: the {field} message is not tied to its field",
                c.why
            );
            assert!(
                page.body
                    .contains(&format!("aria-describedby=\"{field}-error\"")),
                "{}: {field} does not point to its message",
                c.why
            );
        }
        // Exactly the expected fields are in error.
        let flagged = page.body.matches("aria-invalid=\"true\"").count();
        assert_eq!(flagged, c.errors.len(), "{}: fields flagged", c.why);
        // What was typed is kept.
        assert_eq!(page.field("date").as_deref(), Some(c.date), "{}", c.why);
        assert_eq!(page.field("hours").as_deref(), Some(c.hours), "{}", c.why);
        assert_eq!(
            page.field("tasks").as_deref(),
            Some(c.tasks.as_str()),
            "{}",
            c.why
        );
        assert_eq!(
            page.field("notes").as_deref(),
            Some(c.notes.as_str()),
            "{}",
            c.why
        );
        // The form still works: it carries the session's token.
        assert_eq!(page.csrf(), csrf, "{}", c.why);
        assert_eq!(
            app.entries(w.p_mael),
            before,
            "{}: something was stored",
            c.why
        );
    }
    // Whatever was refused, the logbook page shows the same five entries.
    mael.get(&format!("{base}/journal"))
        .await
        .expect(200)
        .shows(&["5 entrées · 37 h au total"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_entry_reaches_the_student_the_tutor_the_referent_and_the_coordinator() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let form = mael.get(&format!("{base}/journal/nouvelle")).await;
    let id: LogbookEntryId = form.field("id").unwrap().parse().unwrap();
    let tasks = "Câblage d'un tableau <TGBT> & essais \"à vide\"\nPuis rangement du chantier.";
    let notes = "J'ai appris à repérer les circuits.";
    let resp = mael
        .post(
            &format!("{base}/journal"),
            &[
                ("_csrf", &form.csrf()),
                ("id", &id.to_string()),
                ("date", &form.field("date").unwrap()),
                ("hours", "7,5"),
                ("tasks", tasks),
                ("notes", notes),
            ],
        )
        .await;
    resp.expect_redirect(&format!("{base}/journal"));

    let stored = app.entries(w.p_mael);
    assert_eq!(stored.len(), 6);
    let e = &stored[0];
    assert_eq!(e.id, id, "the form's id is the entry's id");
    assert_eq!(e.date, today());
    assert_eq!(e.hours.quarters(), 30);
    assert_eq!(e.tasks, tasks);
    assert_eq!(e.notes, notes);
    assert_eq!(e.placement, w.p_mael);

    // The student's list: the flash, the entry on top, the new total.
    let list = mael.get(&format!("{base}/journal")).await;
    list.expect(200).shows(&[
        "Entrée enregistrée dans le journal de bord.",
        "6 entrées · 44 h 30 au total",
        "mercredi 11 mars 2026",
        "Câblage d'un tableau <TGBT> & essais \"à vide\"",
        "Puis rangement du chantier.",
        notes,
    ]);
    let text = list.text();
    assert!(
        text.find("mercredi 11 mars 2026").unwrap() < text.find("mardi 10 mars 2026").unwrap(),
        "the new entry is on top"
    );
    // The message is shown once.
    mael.get(&format!("{base}/journal"))
        .await
        .hides(&["Entrée enregistrée dans le journal de bord."]);

    // The tutor, the referent and the coordinator read it.
    let helene = app.tutor(w.helene).await;
    let referent = app.teacher(w.referent).await;
    let coord = app.coordinator().await;
    for reader in [&helene, &referent, &coord] {
        reader
            .get(&format!("{base}/journal"))
            .await
            .expect(200)
            .shows(&[
                "Journal de bord de Maël Ferrand",
                "6 entrées · 44 h 30 au total",
                "Câblage d'un tableau <TGBT> & essais \"à vide\"",
                notes,
            ]);
        reader.get(&base).await.expect(200).shows(&["6 entrées"]);
    }
    // What the student typed is text, never markup, wherever it is shown.
    for reader in [&mael, &helene, &referent] {
        let page = reader.get(&format!("{base}/journal")).await;
        assert!(
            !page.body.contains("<TGBT>")
                && page
                    .body
                    .contains("&lt;TGBT&gt; &amp; essais &quot;à vide&quot;"),
            "the entry is not escaped"
        );
    }
    let card = helene.get("/").await.card("Maël Ferrand");
    assert!(card.contains("6 entrées au journal de bord"), "{card}");
    let card = referent.get("/").await.card("Maël Ferrand");
    assert!(card.contains("6 entrées au journal"), "{card}");
    // Nobody else's logbook changed.
    assert_eq!(app.entries(w.p_eloise).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn french_date_and_hour_writings_are_accepted() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let csrf = mael.csrf(&format!("{base}/journal/nouvelle")).await;
    for (date, hours, quarters) in [
        ("02/03/2026", "7h45", 31),
        ("2026-03-03", "0", 0),
        ("03/03/2026", "24", 96),
    ] {
        let tasks = format!("Entrée du {date}");
        mael.post(
            &format!("{base}/journal"),
            &[
                ("_csrf", &csrf),
                ("date", date),
                ("hours", hours),
                ("tasks", &tasks),
            ],
        )
        .await
        .expect(303);
        let e = app
            .entries(w.p_mael)
            .into_iter()
            .find(|e| e.tasks == tasks)
            .unwrap();
        assert_eq!(e.hours.quarters(), quarters, "{hours}");
    }
    let first = app
        .entries(w.p_mael)
        .into_iter()
        .find(|e| e.tasks == "Entrée du 02/03/2026")
        .unwrap();
    assert_eq!(first.date, jiff::civil::Date::new(2026, 3, 2).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_form_sent_twice_stores_one_entry() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let form = mael.get(&format!("{base}/journal/nouvelle")).await;
    let csrf = form.csrf();
    let id = form.field("id").unwrap();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("id", id.as_str()),
        ("date", "2026-03-11"),
        ("hours", "7"),
        ("tasks", "Envoyé deux fois (double appui sur le bouton)."),
    ];
    mael.post(&format!("{base}/journal"), &fields)
        .await
        .expect_redirect(&format!("{base}/journal"));
    // Sent again a little later (a double tap, or an offline outbox replaying it).
    app.clock.advance(jiff::SignedDuration::from_secs(90));
    mael.post(&format!("{base}/journal"), &fields)
        .await
        .expect_redirect(&format!("{base}/journal"));
    let entries = app.entries(w.p_mael);
    assert_eq!(entries.len(), 6, "one entry for two submissions");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.tasks.starts_with("Envoyé deux fois"))
            .count(),
        1
    );
    let list = mael.get(&format!("{base}/journal")).await;
    assert_eq!(list.text().matches("Envoyé deux fois").count(), 1);

    // A second form has another id: a second entry.
    let form2 = mael.get(&format!("{base}/journal/nouvelle")).await;
    mael.post(
        &format!("{base}/journal"),
        &[
            ("_csrf", csrf.as_str()),
            ("id", &form2.field("id").unwrap()),
            ("date", "2026-03-11"),
            ("hours", "7"),
            ("tasks", "Envoyé deux fois (double appui sur le bouton)."),
        ],
    )
    .await
    .expect(303);
    assert_eq!(app.entries(w.p_mael).len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_id_of_another_placement_is_refused() {
    let app = App::start().await;
    let w = &app.w;
    // Éloïse re-sends a form with the id of one of Maël's entries.
    let mael_entry = app.entries(w.p_mael)[0].clone();
    let eloise = app.student(w.eloise).await;
    let base = stage(w.p_eloise);
    let csrf = eloise.csrf(&format!("{base}/journal/nouvelle")).await;
    eloise
        .post(
            &format!("{base}/journal"),
            &[
                ("_csrf", &csrf),
                ("id", &mael_entry.id.to_string()),
                ("date", "2026-03-11"),
                ("hours", "7"),
                ("tasks", "Tentative de réutiliser un identifiant."),
            ],
        )
        .await
        .expect(404);
    assert_eq!(app.entries(w.p_eloise).len(), 2);
    assert_eq!(app.entries(w.p_mael)[0], mael_entry);
    // A malformed id is replaced by a fresh one.
    eloise
        .post(
            &format!("{base}/journal"),
            &[
                ("_csrf", &csrf),
                ("id", "pas-un-uuid"),
                ("date", "2026-03-11"),
                ("hours", "7"),
                ("tasks", "Identifiant illisible."),
            ],
        )
        .await
        .expect(303);
    assert_eq!(app.entries(w.p_eloise).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn today_is_the_schools_date_not_the_servers_utc_date() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let csrf = mael.csrf(&format!("{base}/journal/nouvelle")).await;
    let thursday = |tasks: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("date", "2026-03-12".to_string()),
            ("hours", "7".to_string()),
            ("tasks", tasks.to_string()),
        ]
    };
    let post = async |fields: Vec<(&'static str, String)>| {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        mael.post(&format!("{base}/journal"), &refs).await
    };
    // Wednesday 23:30 in Paris (22:30 UTC): Thursday has not come yet.
    app.clock.advance(jiff::SignedDuration::from_mins(13 * 60));
    post(thursday("Trop tôt."))
        .await
        .expect(422)
        .shows(&["Ce jour n'est pas encore passé."]);
    // Thursday 00:30 in Paris, still Wednesday 23:30 in UTC: Thursday is today.
    app.clock.advance(jiff::SignedDuration::from_mins(60));
    let form = mael.get(&format!("{base}/journal/nouvelle")).await;
    assert_eq!(form.field("date").as_deref(), Some("2026-03-12"));
    post(thursday("Jeudi, juste après minuit."))
        .await
        .expect(303);
    assert_eq!(
        app.entries(w.p_mael)[0].date,
        jiff::civil::Date::new(2026, 3, 12).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_copies_of_one_entry_store_it_once_first_version_wins() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let journal = format!("{base}/journal");
    let mael = app.student(w.mael).await;
    let form = mael.get(&format!("{base}/journal/nouvelle")).await;
    let (csrf, id) = (form.csrf(), form.field("id").unwrap());
    let fields = move |tasks: &str| -> Vec<(&'static str, String)> {
        vec![
            ("_csrf", csrf.clone()),
            ("id", id.clone()),
            ("date", "2026-03-10".to_string()),
            ("hours", "7".to_string()),
            ("tasks", tasks.to_string()),
        ]
    };
    let send = async |b: Browser, journal: String, f: Vec<(&'static str, String)>| {
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post(&journal, &refs).await.status
    };
    // Eight copies at once (an outbox replayed in several tabs).
    let mut tabs = tokio::task::JoinSet::new();
    for _ in 0..8 {
        tabs.spawn(send(
            mael.clone(),
            journal.clone(),
            fields("Copie envoyée plusieurs fois."),
        ));
    }
    let statuses = tabs.join_all().await;
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    let entries = app.entries(w.p_mael);
    assert_eq!(entries.len(), 6);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.id.to_string() == form.field("id").unwrap())
            .count(),
        1
    );
    // The same id with other content later ("Back", edit, send again) is another
    // entry: the first version stays and the new text is stored under a new id.
    app.clock.advance(jiff::SignedDuration::from_mins(5));
    assert_eq!(
        send(
            mael.clone(),
            journal.clone(),
            fields("Autre contenu, même identifiant.")
        )
        .await,
        303
    );
    let entries = app.entries(w.p_mael);
    assert_eq!(entries.len(), 7);
    let e = entries
        .iter()
        .find(|e| e.id.to_string() == form.field("id").unwrap())
        .unwrap();
    assert_eq!(e.tasks, "Copie envoyée plusieurs fois.");
    let other = entries
        .iter()
        .find(|e| e.tasks == "Autre contenu, même identifiant.")
        .unwrap();
    assert_ne!(other.id, e.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_cannot_hold_more_than_24_hours() {
    let app = App::start().await;
    let base = stage(app.w.p_mael);
    let mael = app.student(app.w.mael).await;
    let post = |hours: &'static str| {
        let (mael, base) = (mael.clone(), base.clone());
        async move {
            let csrf = mael.csrf(&format!("{base}/journal/nouvelle")).await;
            mael.post(
                &format!("{base}/journal"),
                &[
                    ("_csrf", csrf.as_str()),
                    ("date", "2026-03-10"),
                    ("hours", hours),
                    ("tasks", "Tirage de câbles."),
                ],
            )
            .await
        }
    };
    let before = app.entries(app.w.p_mael);
    let already: u32 = before
        .iter()
        .filter(|e| e.date.to_string() == "2026-03-10")
        .map(|e| u32::from(e.hours.quarters()))
        .sum();
    assert!(already <= 4 * 16, "the fixture leaves room on that day");
    post("16").await.expect(303);
    let refused = post("9").await;
    refused.expect(422).shows(&["Ce jour compte déjà"]);
    assert_eq!(app.entries(app.w.p_mael).len(), before.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_student_corrects_an_entry_and_readers_see_it_was_corrected() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let eloise = app.student(w.eloise).await;
    let helene = app.tutor(w.helene).await;
    let before = app.entries(w.p_mael);
    let target = before.last().unwrap().clone(); // the oldest day
    let edit_url = format!("{base}/journal/{}/modifier", target.id);

    // Only the student who wrote it can open or post the correction.
    helene.get(&edit_url).await.expect(404);
    eloise.get(&edit_url).await.expect(404);
    let form = mael.get(&edit_url).await;
    form.expect(200)
        .shows(&["Corriger une entrée", "Enregistrer la correction"]);
    assert_eq!(form.field("tasks").as_deref(), Some(target.tasks.as_str()));
    let csrf = form.csrf();
    let post_url = format!("{base}/journal/{}", target.id);
    eloise
        .post(
            &post_url,
            &[(
                "_csrf",
                &eloise.csrf(&format!("{}/journal", stage(w.p_eloise))).await,
            )],
        )
        .await
        .expect(404);

    // An invalid correction comes back and changes nothing.
    mael.post(
        &post_url,
        &[
            ("_csrf", &csrf),
            ("date", "2026-03-10"),
            ("hours", "25"),
            ("tasks", "Corrigé"),
        ],
    )
    .await
    .expect(422)
    .shows(&["Une journée compte au plus 24 heures.", "Corrigé"]);
    assert_eq!(app.entries(w.p_mael), before);

    // A valid one moves the entry to its new day, keeps its id, and says it was corrected.
    app.clock.advance(jiff::SignedDuration::from_hours(1));
    mael.post(
        &post_url,
        &[
            ("_csrf", &csrf),
            ("date", "2026-03-11"),
            ("hours", "6h45"),
            ("tasks", "Tâches corrigées après coup."),
            ("notes", ""),
        ],
    )
    .await
    .expect(303);
    let after = app.entries(w.p_mael);
    assert_eq!(after.len(), before.len());
    let corrected = after.iter().find(|e| e.id == target.id).unwrap();
    assert_eq!(corrected.tasks, "Tâches corrigées après coup.");
    assert_eq!(corrected.hours.to_string(), "6 h 45");
    assert_eq!(corrected.created_at, target.created_at);
    assert!(corrected.updated_at.is_some());
    assert_eq!(after[0].id, target.id, "the 11th is now the newest day");
    mael.get(&format!("{base}/journal"))
        .await
        .expect(200)
        .shows(&[
            "Entrée corrigée.",
            "Tâches corrigées après coup.",
            "Corrigée par l'élève le",
        ]);
    helene
        .get(&format!("{base}/journal"))
        .await
        .expect(200)
        .shows(&["Tâches corrigées après coup.", "Corrigée par l'élève le"])
        .hides(&["/modifier"]);
}
