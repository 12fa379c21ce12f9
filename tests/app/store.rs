//! Opening the data directory: refusal of data from a newer schema, and of a directory
//! already used by a running Livret.

use crate::support::*;
use std::net::SocketAddr;

fn addr() -> SocketAddr {
    "127.0.0.1:8080".parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_from_a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || config(dir.path(), addr(), "http://localhost:8080");
    let current = {
        let state = match livret::open(cfg(), fixed_clock()).await {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let v = state.store.schema_version().unwrap();
        assert!(v >= 1, "a fresh store is at the current schema, got {v}");
        v
    };
    {
        let db = raw_sled(dir.path());
        let meta = db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get("schema_version").unwrap().as_deref(),
            Some(&current.to_be_bytes()[..]),
            "the schema version is a big-endian u32 under meta/schema_version"
        );
        meta.insert("schema_version", &999u32.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let msg = match open_when_free(&cfg(), &fixed_clock()).await {
        Ok(_) => panic!("data written by schema 999 was opened"),
        Err(e) => e.to_string(),
    };
    assert!(msg.contains("plus récente"), "{msg}");
    assert!(msg.contains("999"), "{msg}");
    // Nothing was migrated "down".
    let db = raw_sled(dir.path());
    let meta = db.open_tree("meta").unwrap();
    assert_eq!(
        meta.get("schema_version").unwrap().as_deref(),
        Some(&999u32.to_be_bytes()[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_in_use_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || config(dir.path(), addr(), "http://localhost:8080");
    let _running = match livret::open(cfg(), fixed_clock()).await {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match livret::open(cfg(), fixed_clock()).await {
        Ok(_) => panic!("the same data directory was opened twice"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("déjà utilisé"), "{msg}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prepare_fills_once_and_issues_working_links() {
    let app = App::start().await;
    // The harness already seeded a school: `prepare` only issues links for it.
    let lines = livret::demo::prepare(&app.state).await.unwrap();
    let count = |role: &str| {
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("{role} ")))
            .count()
    };
    assert_eq!(count("élève"), 5, "{lines:?}");
    assert_eq!(count("tuteur"), 2, "{lines:?}");
    assert_eq!(count("référent"), 2, "{lines:?}");
    assert_eq!(count("coordination"), 1, "{lines:?}");
    assert_eq!(app.entries(app.w.p_mael).len(), 5, "no second demo school");
    let mael = lines
        .iter()
        .find(|l| l.starts_with("élève Maël Ferrand: "))
        .expect("Maël's line");
    let url = mael.rsplit_once(": ").unwrap().1;
    let path = url
        .strip_prefix(&app.base)
        .expect("links use the public URL");
    // Students, teachers and coordinators get invitations (issue 7): single use, they
    // lead to creating a passkey.
    let mut b = app.browser();
    b.open_invitation(path).await;
    b.get("/").await.expect_redirect(&stage(app.w.p_mael));
    app.browser().get(path).await.expect(404);
    // A tutor's printed line is their personal link: it opens their space again.
    let helene = lines
        .iter()
        .find(|l| l.starts_with("tuteur Hélène Caillé: "))
        .expect("Hélène's line");
    let path = helene
        .rsplit_once(": ")
        .unwrap()
        .1
        .strip_prefix(&app.base)
        .unwrap();
    for _ in 0..2 {
        let mut b = app.browser();
        b.sign_in_with(path).await;
        b.get("/").await.expect(200).shows(&["Mes stagiaires"]);
    }
}

#[test]
fn the_demo_school_is_live_whatever_the_day() {
    // `--demo` places its dates around today: check a fortnight of "todays", across
    // the change to summer time and a new year.
    let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let starts = [
        jiff::civil::Date::new(2026, 3, 20).unwrap(),
        jiff::civil::Date::new(2026, 12, 24).unwrap(),
    ];
    for first in starts {
        for n in 0..14 {
            let today = first.checked_add(jiff::Span::new().days(n)).unwrap();
            let seed = livret::demo::school(today, &zone);
            assert!(seed.students.len() >= 3, "{today}");
            assert_eq!(seed.tutors.len(), 2, "{today}");
            assert_eq!(seed.companies.len(), 2, "{today}");
            let running: Vec<_> = seed
                .placements
                .iter()
                .filter(|p| p.contains(today))
                .collect();
            assert!(!running.is_empty(), "{today}: no placement running");
            let with_entries = running
                .iter()
                .find(|p| seed.logbook.iter().filter(|e| e.placement == p.id).count() >= 5)
                .unwrap_or_else(|| panic!("{today}: no running placement with a week of entries"));
            assert!(!with_entries.objectives.is_empty(), "{today}");
            for e in &seed.logbook {
                let p = seed
                    .placements
                    .iter()
                    .find(|p| p.id == e.placement)
                    .unwrap();
                assert!(
                    p.contains(e.date) && e.date < today,
                    "{today}: entry on {}",
                    e.date
                );
                assert!(e.hours.quarters() > 0, "{today}");
            }
            let sheets: Vec<_> = seed
                .sheets
                .iter()
                .filter(|s| s.placement == with_entries.id)
                .collect();
            assert_eq!(sheets.len(), 2, "{today}");
            assert!(
                sheets
                    .iter()
                    .any(|s| s.status == livret::domain::SheetStatus::Submitted),
                "{today}: one sheet submitted"
            );
            for s in &sheets {
                assert!(
                    with_entries.contains(s.date) && s.date <= today,
                    "{today}: sheet on {}",
                    s.date
                );
            }
        }
    }
}
