//! The real binary: `livret serve --demo` prints one link per demo person (an
//! invitation for students, teachers and coordinators, the personal link for tutors);
//! an entry written through the form survives `kill -9` and a restart on the same data.

use crate::support::*;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One printed line: `<role> <full name>: <url>`.
#[derive(Clone, Debug)]
struct Link {
    role: String,
    name: String,
    url: String,
}

/// Checks a line against `^(élève|tuteur|référent|coordination) .+: http://\S+/acces/\S+$`.
fn parse_line(line: &str) -> Option<Link> {
    let (role, rest) = line.split_once(' ')?;
    if !["élève", "tuteur", "référent", "coordination"].contains(&role) {
        return None;
    }
    let (name, url) = rest.rsplit_once(": ")?;
    let (host, secret) = url.strip_prefix("http://")?.split_once("/acces/")?;
    let ok = !name.is_empty()
        && !host.is_empty()
        && !secret.is_empty()
        && !url.chars().any(char::is_whitespace);
    ok.then(|| Link {
        role: role.into(),
        name: name.into(),
        url: url.into(),
    })
}

/// A running `livret serve --demo`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    links: Vec<Link>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on `data` and a free port, reads the printed links (the last
    /// one is the coordinator's), and waits until `/healthz` answers. The port is
    /// found free just before; if another process takes it in between, try another.
    async fn start(data: &Path) -> Server {
        for _ in 0..5 {
            if let Some(server) = Server::try_start(data).await {
                return server;
            }
        }
        panic!("no free port to listen on after five tries");
    }

    /// See [`Server::start`]; `None` when the port was taken.
    async fn try_start(data: &Path) -> Option<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_livret"));
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("LIVRET_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .arg("serve")
            .arg("--demo")
            .arg("--data")
            .arg(data)
            .arg("--listen")
            .arg(&listen)
            .env("RUST_LOG", "info,sled=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            base: format!("http://localhost:{port}"),
            links: Vec::new(),
            stderr,
            stderr_reader: Some(stderr_reader),
        };
        // The links come first, in the order students, tutors, referents,
        // coordinators; the coordinator's line is the last one.
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => line,
                Err(e) => panic!(
                    "livret serve --demo printed {} link(s) then stopped ({e}); stderr:\n{}",
                    server.links.len(),
                    server.stderr.lock().unwrap()
                ),
            };
            let link = parse_line(&line).unwrap_or_else(|| {
                panic!("printed line does not match `<role> <name>: http://…/acces/…`: {line:?}")
            });
            assert!(
                link.url.starts_with(&format!("{}/acces/", server.base)),
                "{line}"
            );
            let last = link.role == "coordination";
            server.links.push(link);
            if last {
                break;
            }
        }
        // Wait until it answers (a readiness wait, not a timed assertion).
        let probe = reqwest::Client::new();
        for attempt in 0.. {
            if let Ok(r) = probe.get(format!("{}/healthz", server.base)).send().await
                && r.status() == 200
            {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                // All of stderr, once the reader has seen its end.
                if let Some(reader) = server.stderr_reader.take() {
                    let _ = reader.join();
                }
                if server
                    .stderr
                    .lock()
                    .unwrap()
                    .contains("impossible d'écouter")
                {
                    return None;
                }
                panic!(
                    "livret exited ({status}); stderr:\n{}",
                    server.stderr.lock().unwrap()
                );
            }
            assert!(
                attempt < 1200,
                "no answer on /healthz; stderr:\n{}",
                server.stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(server)
    }

    fn of(&self, role: &str) -> Vec<&Link> {
        self.links.iter().filter(|l| l.role == role).collect()
    }

    fn named(&self, role: &str, name: &str) -> &Link {
        self.of(role)
            .into_iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no {role} {name} in {:?}", self.links))
    }

    /// Opens a printed link like its person: a tutor's personal link opens their space,
    /// anyone else's is a single-use invitation that leads to creating a passkey.
    async fn sign_in(&self, link: &Link) -> Browser {
        let mut b = Browser::new(&self.base);
        let path = link.url.strip_prefix(&self.base).unwrap();
        if link.role == "tuteur" {
            b.sign_in_with(path).await;
        } else {
            b.open_invitation(path).await;
        }
        b
    }

    /// SIGKILL: no graceful shutdown, no final flush.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn entries_on(page: &Page) -> usize {
    page.body.matches("<li class=\"card entry\">").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_survives_kill_9_and_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let first = Server::start(data.path()).await;

    // The printed lines: every demo person, with a personal link.
    assert!(first.of("élève").len() >= 3, "{:?}", first.links);
    assert_eq!(first.of("tuteur").len(), 2, "{:?}", first.links);
    assert_eq!(first.of("référent").len(), 1, "{:?}", first.links);
    assert_eq!(first.of("coordination").len(), 1, "{:?}", first.links);

    // A student whose placement is running: the link leads to the logbook form.
    let mut chosen = None;
    for link in first.of("élève") {
        let b = first.sign_in(link).await;
        let home = b.get("/").await;
        if home.status != 303 {
            continue;
        }
        let placement = home.location().to_string();
        let form = b.get(&format!("{placement}/journal/nouvelle")).await;
        if form.status == 200 && form.field("date").is_some_and(|d| !d.is_empty()) {
            chosen = Some((link.clone(), b, placement, form));
            break;
        }
    }
    let (student, b, placement, form) = chosen.expect("a demo student with a running placement");
    let journal = format!("{placement}/journal");
    let before = entries_on(b.get(&journal).await.expect(200));

    // The tutor and the referent of that placement, signed in before the entry is
    // written (so that nothing but the entry is written between its POST and the kill).
    let dossier = b.get(&placement).await;
    let tutor = first
        .of("tuteur")
        .into_iter()
        .find(|l| dossier.has(&l.name))
        .expect("the placement names one of the demo tutors")
        .clone();
    let referent = first.of("référent")[0].clone();
    dossier.shows(&[&referent.name]);
    let readers = [first.sign_in(&tutor).await, first.sign_in(&referent).await];

    let marker = format!(
        "Entrée qui doit survivre au redémarrage ({})",
        form.field("id").unwrap()
    );
    b.post(
        &journal,
        &[
            ("_csrf", &form.csrf()),
            ("id", &form.field("id").unwrap()),
            ("date", &form.field("date").unwrap()),
            ("hours", "7h30"),
            ("tasks", &marker),
        ],
    )
    .await
    .expect_redirect(&journal);
    // The 303 means "stored": from here on only reads, then kill -9 at once.
    let list = b.get(&journal).await;
    list.expect(200).shows(&[&marker]);
    assert_eq!(entries_on(&list), before + 1);
    for reader in &readers {
        reader
            .get(&journal)
            .await
            .expect(200)
            .shows(&[&marker, &student.name]);
    }

    // kill -9, then start again on the same data.
    let students = first.of("élève").len();
    first.kill();
    let second = Server::start(data.path()).await;
    assert_eq!(second.of("élève").len(), students);
    // New links were printed; the old ones no longer work (the student's invitation
    // was used up, the tutor's link was replaced).
    let b = Browser::new(&second.base);
    let old = student.url.rsplit_once("/acces/").unwrap().1;
    b.get(&format!("/acces/{old}")).await.expect(404);
    let old = tutor.url.rsplit_once("/acces/").unwrap().1;
    b.get(&format!("/acces/{old}")).await.expect(410);

    let again = second.named("élève", &student.name);
    assert_ne!(again.url, student.url);
    let b = second.sign_in(again).await;
    b.get("/").await.expect_redirect(&placement);
    let list = b.get(&journal).await;
    list.expect(200).shows(&[&marker]);
    assert_eq!(
        entries_on(&list),
        before + 1,
        "the demo was not filled a second time"
    );
    for reader in [
        second.named("tuteur", &tutor.name),
        second.named("référent", &referent.name),
    ] {
        second
            .sign_in(reader)
            .await
            .get(&journal)
            .await
            .expect(200)
            .shows(&[&marker]);
    }
}

#[test]
fn printed_lines_are_checked_strictly() {
    assert!(parse_line("élève Maël Ferrand: http://127.0.0.1:8080/acces/abc").is_some());
    assert!(parse_line("coordination Béatrice Lhôte: http://h/acces/x").is_some());
    for bad in [
        "eleve Maël Ferrand: http://h/acces/x",
        "élève : http://h/acces/x",
        "élève Maël Ferrand http://h/acces/x",
        "élève Maël Ferrand: https://h/acces/x",
        "élève Maël Ferrand: http://h/acces/",
        "élève Maël Ferrand: http://h/autre/x",
        "élève Maël Ferrand: http://h/acces/x y",
    ] {
        assert!(parse_line(bad).is_none(), "{bad}");
    }
}
