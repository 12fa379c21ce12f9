//! Benchmark (not a test): the server time to render a student's logbook page holding
//! 200 entries, through the real routes and middleware, in-process (no network), and
//! the size of the release binary. Budgets from issue 2: median under 1 ms, binary
//! under 25 MB.
//!
//! Run: `cargo bench --bench logbook_render` (builds with the release profile).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark fails loudly on setup errors

use jiff::Timestamp;
use livret::clock::Clock;
use livret::config::Config;
use livret::domain::{Hours, LogbookEntry, LogbookEntryId, Subject};
use poem::Endpoint;
use poem::http::{StatusCode, header};
use std::time::Instant;

const ENTRIES: usize = 200;
const RUNS: usize = 2_000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Clock::fixed(
        "2026-11-29T12:00:00Z".parse::<Timestamp>().expect("ts"),
        "Europe/Paris",
    )
    .expect("clock");
    let config = Config {
        data: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        public_url: "http://127.0.0.1".into(),
        time_zone: "Europe/Paris".into(),
        max_body_bytes: 64 * 1024,
        cache_bytes: 64 * 1024 * 1024,
        smtp_url: None,
        mail_from: None,
        ops: Default::default(),
    };
    let state = livret::open(config, clock.clone()).await.expect("open");
    let mut seed = livret::demo::school(clock.today(), clock.zone());
    let placement = seed.placements[0].clone();
    let student = placement.student;
    seed.logbook.retain(|e| e.placement != placement.id);
    let tasks = "Tirage des câbles des circuits prises et éclairage de la cuisine ; repérage des conducteurs, pose des boîtes d'encastrement et contrôle de continuité avec la tutrice.";
    for i in 0..ENTRIES {
        let day = placement.start;
        seed.logbook.push(LogbookEntry {
            id: LogbookEntryId::new(),
            placement: placement.id,
            date: day,
            hours: Hours::parse("7h30").expect("hours"),
            tasks: format!("{tasks} (jour {i})"),
            notes: "J'ai appris à lire le plan d'implantation et à repérer les circuits.".into(),
            created_at: clock.now(),
            updated_at: None,
        });
    }
    state.store.seed(&seed).await.expect("seed");
    let cookie = livret::auth::open_session(
        &state.store,
        &clock,
        Subject::Student(student),
        Timestamp::MAX,
    )
    .await
    .expect("session");
    let app = livret::web::routes::routes(state.clone());
    let uri = format!("/stages/{}/journal", placement.id);
    let request = || {
        poem::Request::builder()
            .uri_str(&uri)
            .header(header::COOKIE, format!("livret={cookie}"))
            .finish()
    };

    let first = app.call(request()).await.expect("response");
    assert_eq!(first.status(), StatusCode::OK);
    let body = first.into_body().into_string().await.expect("body");
    let shown = body.matches("class=\"card entry\"").count();
    assert_eq!(shown, ENTRIES, "the page must show every entry");

    for _ in 0..200 {
        let _ = app.call(request()).await;
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let req = request();
        let t = Instant::now();
        let resp = app.call(req).await.expect("response");
        let _ = resp.into_body().into_bytes().await;
        times.push(t.elapsed());
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "Page « Journal de bord » de l'élève, {ENTRIES} entrées, {} octets de HTML, {RUNS} mesures :",
        body.len()
    );
    println!(
        "  médiane {:?}   p90 {:?}   p99 {:?}   (budget : médiane < 1 ms)",
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );

    let bin = env!("CARGO_BIN_EXE_livret");
    match std::fs::metadata(bin) {
        Ok(m) => println!(
            "Binaire {bin} : {:.1} Mo   (budget : < 25 Mo)",
            m.len() as f64 / 1_000_000.0
        ),
        Err(e) => println!("Binaire {bin} introuvable : {e}"),
    }
}
