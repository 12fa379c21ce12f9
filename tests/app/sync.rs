//! The JSON sync API of issue 4 (`/api/stages/:id/journal`, `/api/stages/:id/fiches`):
//! the client's UUID is an idempotency key (sent 5 times, or 10 times at once: one
//! entry), the HTML form's rules and French messages, JSON answers for every refusal
//! (401, 403, 404, 409, 422), and a CSRF defence that accepts an entry written 48 hours
//! before it is sent.

use crate::support::*;
use jiff::SignedDuration;
use livret::domain::*;
use serde_json::{Value, json};

const SYNC: (&str, &str) = ("x-livret-sync", "1");

fn journal(p: PlacementId) -> String {
    format!("/api/stages/{p}/journal")
}

fn fiches(p: PlacementId) -> String {
    format!("/api/stages/{p}/fiches")
}

/// Sends `body` the way the offline client does.
async fn sync(b: &Browser, path: &str, body: &Value) -> Page {
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
        "{} {}: {}",
        page.method,
        page.url,
        page.body
    );
    assert!(
        page.header("cache-control")
            .is_some_and(|c| c.contains("no-store")),
        "{} {}: Cache-Control {:?}",
        page.method,
        page.url,
        page.header("cache-control")
    );
    serde_json::from_str(&page.body).unwrap_or_else(|e| {
        panic!(
            "{} {}: not JSON ({e}): {}",
            page.method, page.url, page.body
        )
    })
}

fn entry(id: &str, date: &str, hours: &str, tasks: &str) -> Value {
    json!({"id": id, "date": date, "hours": hours, "tasks": tasks, "notes": ""})
}

fn uuid() -> String {
    LogbookEntryId::new().to_string()
}

fn stored_with(app: &App, p: PlacementId, tasks: &str) -> Vec<LogbookEntry> {
    app.entries(p)
        .into_iter()
        .filter(|e| e.tasks == tasks)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_entry_sent_five_times_is_stored_once_and_always_answered() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let before = app.entries(w.p_mael).len();
    let id = uuid();
    let tasks = "Pose de goulottes, raccordement d'un tableau « TGBT »";
    let body = json!({"id": id, "date": "2026-03-10", "hours": "7h30", "tasks": tasks,
        "notes": "Chantier\r\nsans réseau", "ignored": true});
    let mut answers = Vec::new();
    for i in 0..5 {
        let page = sync(&mael, &journal(w.p_mael), &body).await;
        answers.push(json_of(&page, if i == 0 { 201 } else { 200 }));
    }
    let first = &answers[0]["entry"];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["date"], "2026-03-10");
    assert_eq!(first["hours"], "7 h 30");
    assert_eq!(first["quarters"], 30);
    assert_eq!(first["tasks"], tasks);
    assert_eq!(
        first["notes"], "Chantier\nsans réseau",
        "cleaned as the form does"
    );
    assert_eq!(first["created_at"], NOW);
    for a in &answers[1..] {
        assert_eq!(&a["entry"], first, "every call gets the stored entry back");
    }
    assert_eq!(app.entries(w.p_mael).len(), before + 1);
    let stored = stored_with(&app, w.p_mael, tasks);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id.to_string(), id);
    // The same id with another content is still that stored entry (idempotency key).
    let changed = entry(&id, "2026-03-09", "8", "Autre chose");
    let again = json_of(&sync(&mael, &journal(w.p_mael), &changed).await, 200);
    assert_eq!(&again["entry"], first);
    assert_eq!(app.entries(w.p_mael).len(), before + 1);
    // Hours as a JSON number are read as typed.
    let numeric = json!({"id": uuid(), "date": "2026-03-09", "hours": 7.25, "tasks": "Essais"});
    let e = json_of(&sync(&mael, &journal(w.p_mael), &numeric).await, 201);
    assert_eq!(e["entry"]["quarters"], 29);
    // The entry shows in the logbook page, once.
    let list = mael.get(&format!("{}/journal", stage(w.p_mael))).await;
    list.expect(200);
    assert_eq!(list.text().matches(tasks).count(), 1, "{}", list.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_sends_of_one_id_store_one_entry() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let before = app.entries(w.p_mael).len();
    let id = uuid();
    let tasks = "Repérage des circuits (envoyé depuis deux onglets)";
    let body = entry(&id, "2026-03-06", "7", tasks);
    let mut handles = Vec::new();
    for _ in 0..10 {
        let (b, path, body) = (mael.clone(), journal(w.p_mael), body.clone());
        handles.push(tokio::spawn(async move { sync(&b, &path, &body).await }));
    }
    let mut created = 0;
    let mut ids = Vec::new();
    for h in handles {
        let page = h.await.unwrap();
        let status = page.status;
        assert!(status == 201 || status == 200, "{status}: {}", page.body);
        created += usize::from(status == 201);
        let v = json_of(&page, status);
        ids.push((
            v["entry"]["id"].as_str().unwrap().to_string(),
            v["entry"]["created_at"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(created, 1, "exactly one call stores the entry");
    assert!(ids.iter().all(|x| x == &ids[0]), "{ids:?}");
    assert_eq!(ids[0].0, id);
    assert_eq!(stored_with(&app, w.p_mael, tasks).len(), 1);
    assert_eq!(app.entries(w.p_mael).len(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_entries_get_the_forms_french_messages_and_store_nothing() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let before = app.entries(w.p_mael);
    let period = "Choisissez un jour de la période, entre le 02/03/2026 et le 27/03/2026.";
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            entry(&uuid(), "2026-03-12", "7", "Câblage"),
            "date",
            "Ce jour n'est pas encore passé.",
        ),
        (entry(&uuid(), "2026-02-27", "7", "Câblage"), "date", period),
        (
            entry(&uuid(), "", "7", "Câblage"),
            "date",
            "Indiquez la date.",
        ),
        (
            entry(&uuid(), "2026-03-10", "25", "Câblage"),
            "hours",
            "Une journée compte au plus 24 heures.",
        ),
        (
            entry(&uuid(), "2026-03-10", "7,3", "Câblage"),
            "hours",
            "Comptez par quarts d'heure : ,25 ,5 ou ,75.",
        ),
        (
            entry(&uuid(), "2026-03-10", "7", "  \n "),
            "tasks",
            "Ce champ est obligatoire.",
        ),
        (
            json!({"id": uuid(), "date": "2026-03-10", "hours": "7", "tasks": "Câblage",
                "notes": "é".repeat(4_001)}),
            "notes",
            "Ce texte est trop long : 4001 caractères pour 4000 au plus.",
        ),
        (
            json!({"id": "pas-un-uuid", "date": "2026-03-10", "hours": "7", "tasks": "Câblage"}),
            "id",
            "Identifiant manquant ou invalide : l'application doit envoyer un UUID.",
        ),
        (
            json!({"date": "2026-03-10", "hours": "7", "tasks": "Câblage"}),
            "id",
            "Identifiant manquant ou invalide : l'application doit envoyer un UUID.",
        ),
    ];
    for (body, field, message) in cases {
        let v = json_of(&sync(&mael, &journal(w.p_mael), &body).await, 422);
        assert_eq!(v["errors"][field], json!([message]), "{body}: {v}");
        assert!(
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("pas été enregistré")),
            "{v}"
        );
    }
    // Several broken rules at once: each field says what is wrong.
    let v = json_of(
        &sync(
            &mael,
            &journal(w.p_mael),
            &entry(&uuid(), "hier", "abc", ""),
        )
        .await,
        422,
    );
    for field in ["date", "hours", "tasks"] {
        assert!(v["errors"][field].is_array(), "{field}: {v}");
    }
    // A day holds at most 24 h, as in the form (the demo has 7 h on 4 March).
    json_of(
        &sync(
            &mael,
            &journal(w.p_mael),
            &entry(&uuid(), "2026-03-04", "17", "Inventaire"),
        )
        .await,
        201,
    );
    let v = json_of(
        &sync(
            &mael,
            &journal(w.p_mael),
            &entry(&uuid(), "2026-03-04", "0h15", "Rangement"),
        )
        .await,
        422,
    );
    assert!(
        v["errors"]["hours"][0]
            .as_str()
            .is_some_and(|m| m.contains("il reste au plus 0 h")),
        "{v}"
    );
    // A body that is not the expected JSON: 400, in JSON.
    let broken = mael
        .post_body(&journal(w.p_mael), "application/json", "{\"id\": ", &[SYNC])
        .await;
    assert_eq!(json_of(&broken, 400)["error"], "bad-request");
    let wrong_type = mael
        .post_body(
            &journal(w.p_mael),
            "application/json",
            r#"{"id": "x", "tasks": ["a"]}"#,
            &[SYNC],
        )
        .await;
    json_of(&wrong_type, 400);
    let mut after = app.entries(w.p_mael);
    after.retain(|e| e.tasks != "Inventaire");
    assert_eq!(after, before, "nothing stored but the one valid entry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_the_answer_is_401_json() {
    let app = App::start().await;
    let w = &app.w;
    let nobody = app.browser();
    let before = app.entries(w.p_mael).len();
    let page = sync(
        &nobody,
        &journal(w.p_mael),
        &entry(&uuid(), "2026-03-10", "7", "X"),
    )
    .await;
    let v = json_of(&page, 401);
    assert_eq!(
        v,
        json!({"error": "sign-in", "message": "Votre session a pris fin : reconnectez-vous (clé d'accès, ou lien personnel pour les tuteurs), vos entrées en attente seront envoyées ensuite."})
    );
    let old = Browser::with_cookie(&app.base, "livret=not-a-session");
    let page = sync(&old, &fiches(w.p_mael), &json!({"id": uuid()})).await;
    assert_eq!(json_of(&page, 401)["error"], "sign-in");
    assert_eq!(app.entries(w.p_mael).len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_keeps_the_entry_out_until_the_student_signs_in_again() {
    let app = App::start().await;
    let w = &app.w;
    let mut mael = app.student(w.mael).await;
    let tasks = "Écrit hors ligne avant la fin de la session";
    let body = entry(&uuid(), "2026-03-10", "7h30", tasks);
    // Sessions last 30 days.
    app.clock.advance(SignedDuration::from_hours(24 * 30 + 1));
    let page = sync(&mael, &journal(w.p_mael), &body).await;
    assert_eq!(json_of(&page, 401)["error"], "sign-in");
    assert!(stored_with(&app, w.p_mael, tasks).is_empty());
    // Signing in again (same browser, new link) and replaying the outbox stores it.
    let link = app.link(Subject::Student(w.mael)).await;
    mael.sign_in_with(&link).await;
    let v = json_of(&sync(&mael, &journal(w.p_mael), &body).await, 201);
    assert_eq!(v["entry"]["id"], body["id"]);
    assert_eq!(stored_with(&app, w.p_mael, tasks).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_sync_header_or_json_or_from_another_site_the_answer_is_403_json() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let before = app.entries(w.p_mael).len();
    let body = entry(&uuid(), "2026-03-10", "7", "Refusé").to_string();
    let path = journal(w.p_mael);
    let refused = [
        mael.post_body(&path, "application/json", &body, &[]).await,
        mael.post_body(&path, "application/json", &body, &[("x-livret-sync", "0")])
            .await,
        mael.post_body(&path, "text/plain", &body, &[SYNC]).await,
        mael.post_body(&path, "application/x-www-form-urlencoded", &body, &[SYNC])
            .await,
        mael.post_body(
            &path,
            "application/json",
            &body,
            &[SYNC, ("origin", "https://evil.example")],
        )
        .await,
        mael.post_body(
            &path,
            "application/json",
            &body,
            &[SYNC, ("sec-fetch-site", "cross-site")],
        )
        .await,
        mael.post_body(
            &fiches(w.p_mael),
            "application/json",
            &json!({"id": uuid(), "title": "T"}).to_string(),
            &[("origin", "https://evil.example")],
        )
        .await,
    ];
    for page in &refused {
        let v = json_of(page, 403);
        assert_eq!(v["error"], "forbidden", "{v}");
        assert!(v["message"].as_str().is_some_and(|m| m.contains("refusé")));
    }
    assert_eq!(app.entries(w.p_mael).len(), before);
    // The same request from Livret's own page passes.
    let origin = app.base.clone();
    let ok = mael
        .post_body(
            &path,
            "application/json; charset=utf-8",
            &body,
            &[
                SYNC,
                ("origin", origin.as_str()),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    json_of(&ok, 201);
    // The HTML pages keep their HTML refusal.
    let html = mael
        .post_with(
            &format!("{}/journal", stage(w.p_mael)),
            &[("date", "2026-03-10")],
            &[("origin", "https://evil.example")],
        )
        .await;
    html.expect(403);
    assert!(
        html.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_students_placement_or_entry_id_is_404_json() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let eloise = app.student(w.eloise).await;
    let body = entry(&uuid(), "2026-03-10", "7", "Pas chez moi");
    for path in [
        journal(w.p_eloise),
        journal(PlacementId::new()),
        "/api/stages/pas-un-id/journal".to_string(),
    ] {
        let v = json_of(&sync(&mael, &path, &body).await, 404);
        assert_eq!(v["error"], "not-found", "{path}");
    }
    let v = json_of(
        &sync(
            &mael,
            &fiches(w.p_eloise),
            &json!({"id": uuid(), "title": "T", "date": "2026-03-10", "work_done": "x"}),
        )
        .await,
        404,
    );
    assert_eq!(v["error"], "not-found");
    // A tutor or a referent writes no logbook.
    let helene = app.tutor(w.helene).await;
    json_of(&sync(&helene, &journal(w.p_mael), &body).await, 404);
    assert!(stored_with(&app, w.p_eloise, "Pas chez moi").is_empty());
    assert!(stored_with(&app, w.p_mael, "Pas chez moi").is_empty());

    // An id already used by another placement's entry: 404, nothing written.
    let id = uuid();
    let hers = entry(&id, "2026-03-10", "6", "Entrée d'Éloïse");
    json_of(&sync(&eloise, &journal(w.p_eloise), &hers).await, 201);
    let mine = entry(&id, "2026-03-10", "6", "Entrée de Maël, même id");
    let v = json_of(&sync(&mael, &journal(w.p_mael), &mine).await, 404);
    assert_eq!(v["error"], "not-found");
    assert!(stored_with(&app, w.p_mael, "Entrée de Maël, même id").is_empty());
    let theirs = stored_with(&app, w.p_eloise, "Entrée d'Éloïse");
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].id.to_string(), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_written_offline_48_hours_earlier_is_accepted() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    // Written on Wednesday 11 March (today), queued with no network…
    let tasks = "Mise en service d'une VMC, écrit sans réseau";
    let body = entry(&uuid(), &today().to_string(), "7h", tasks);
    // …and sent on Friday 13 March, 48 hours later: no form token to expire.
    app.clock.advance(SignedDuration::from_hours(48));
    assert_eq!(app.clock.today().to_string(), "2026-03-13");
    let v = json_of(&sync(&mael, &journal(w.p_mael), &body).await, 201);
    assert_eq!(v["entry"]["date"], "2026-03-11");
    assert_eq!(v["entry"]["created_at"], "2026-03-13T09:30:00Z");
    assert_eq!(stored_with(&app, w.p_mael, tasks).len(), 1);
}

fn sheet(id: &str, title: &str, criteria: &[&str], submit: bool) -> Value {
    json!({
        "id": id,
        "title": title,
        "date": "2026-03-09",
        "context": "Pavillon, client présent",
        "work_done": "Pose du tableau, repérage, essais.",
        "tools": "VAT, tournevis isolés",
        "criteria": criteria,
        "submit": submit,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sheet_drafts_are_created_updated_submitted_once_then_locked() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let before = app.sheets(w.p_mael).len();
    let id = ActivitySheetId::new();
    let ids = id.to_string();
    let path = fiches(w.p_mael);

    // Create the draft, then send it again: one draft.
    let draft = sheet(&ids, "Pose d'un tableau", &[], false);
    let v = json_of(&sync(&mael, &path, &draft).await, 201);
    assert_eq!(v["sheet"]["id"], ids.as_str());
    assert_eq!(v["sheet"]["status"], "draft");
    assert_eq!(v["sheet"]["title"], "Pose d'un tableau");
    assert_eq!(v["sheet"]["submitted_at"], Value::Null);
    json_of(&sync(&mael, &path, &draft).await, 200);
    assert_eq!(app.sheets(w.p_mael).len(), before + 1);
    assert_eq!(app.sheet(w.p_mael, id).status, SheetStatus::Draft);

    // Update the draft (a criterion ticks its competency; `done` is accepted too).
    let mut update = sheet(&ids, "Pose d'un tableau divisionnaire", &["C4.1"], false);
    update["done"] = json!("Pose, repérage, essais, mise sous tension.");
    update.as_object_mut().unwrap().remove("work_done");
    let v = json_of(&sync(&mael, &path, &update).await, 200);
    assert_eq!(v["sheet"]["status"], "draft");
    assert_eq!(v["sheet"]["competencies"], json!(["C4"]));
    assert_eq!(v["sheet"]["criteria"], json!(["C4.1"]));
    let stored = app.sheet(w.p_mael, id);
    assert_eq!(stored.title, "Pose d'un tableau divisionnaire");
    assert_eq!(
        stored.work_done,
        "Pose, repérage, essais, mise sous tension."
    );
    assert_eq!(app.sheets(w.p_mael).len(), before + 1);

    // Submit it.
    let mut submit = update.clone();
    submit["submit"] = json!(true);
    let v = json_of(&sync(&mael, &path, &submit).await, 200);
    assert_eq!(v["sheet"]["status"], "submitted");
    assert_eq!(v["sheet"]["submitted_at"], NOW);
    let stored = app.sheet(w.p_mael, id);
    assert_eq!(stored.status, SheetStatus::Submitted);

    // The same content again (a replayed outbox): 200, unchanged.
    app.clock.advance(SignedDuration::from_mins(5));
    let v = json_of(&sync(&mael, &path, &submit).await, 200);
    assert_eq!(v["sheet"]["status"], "submitted");
    assert_eq!(v["sheet"]["submitted_at"], NOW);
    assert_eq!(app.sheet(w.p_mael, id), stored);

    // A change after it was sent: 409, nothing changed.
    let mut changed = submit.clone();
    changed["title"] = json!("Autre titre");
    let v = json_of(&sync(&mael, &path, &changed).await, 409);
    assert_eq!(
        v,
        json!({"error": "conflict", "message": "Cette fiche a déjà été envoyée au tuteur : elle ne peut plus être modifiée."})
    );
    assert_eq!(app.sheet(w.p_mael, id), stored);
    assert_eq!(app.sheets(w.p_mael).len(), before + 1);

    // The tutor sees it; once reviewed the replay still answers 200 "reviewed".
    let helene = app.tutor(w.helene).await;
    let url = format!("{}/fiches/{id}", stage(w.p_mael));
    let csrf = helene.csrf(&url).await;
    helene
        .post(
            &format!("{url}/avis"),
            &[("_csrf", csrf.as_str()), ("comment", "Bien.")],
        )
        .await
        .expect(303);
    let v = json_of(&sync(&mael, &path, &submit).await, 200);
    assert_eq!(v["sheet"]["status"], "reviewed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sheet_submitted_without_competency_or_invalid_is_refused_with_422() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let before = app.sheets(w.p_mael);
    let path = fiches(w.p_mael);
    let id = ActivitySheetId::new();
    let v = json_of(
        &sync(&mael, &path, &sheet(&id.to_string(), "Essais", &[], true)).await,
        422,
    );
    assert_eq!(
        v["errors"]["competencies"],
        json!(["Cochez au moins une compétence mobilisée avant d'envoyer la fiche au tuteur."])
    );
    let mut bad = sheet(&ActivitySheetId::new().to_string(), "", &["Z9.9"], false);
    bad["date"] = json!("2026-03-30");
    bad["work_done"] = json!("");
    let v = json_of(&sync(&mael, &path, &bad).await, 422);
    assert_eq!(v["errors"]["title"], json!(["Ce champ est obligatoire."]));
    assert_eq!(
        v["errors"]["work_done"],
        json!(["Ce champ est obligatoire."])
    );
    assert_eq!(
        v["errors"]["date"],
        json!(["Choisissez un jour de la période, entre le 02/03/2026 et le 27/03/2026."])
    );
    assert_eq!(
        v["errors"]["competencies"],
        json!(["Une compétence cochée n'existe pas dans le référentiel du diplôme."])
    );
    assert_eq!(app.sheets(w.p_mael), before, "nothing stored");
}
