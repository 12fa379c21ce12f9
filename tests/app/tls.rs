//! HTTPS in the binary (issue 9): the real `livret serve` with a self-signed certificate
//! made here (rcgen) answers over HTTPS with HSTS; `--http-listen` only redirects; a
//! replaced certificate is served after SIGHUP and after the files change, a bad one is
//! refused and the old one kept; bad files or settings stop the start before the data
//! directory is touched. Behind `--trust-proxy`, `X-Forwarded-For` counts only from the
//! trusted peer (the sign-in rate limit shows it).

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A certificate for `localhost` and its private key, PEM.
struct Pair {
    cert: String,
    key: String,
}

fn self_signed() -> Pair {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    Pair {
        cert: cert.serialize_pem().unwrap(),
        key: cert.serialize_private_key_pem(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `livret serve` with `args`, without any `LIVRET_*` or `RUST_LOG` from the
/// environment.
fn livret(args: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livret"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LIVRET_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.arg("serve")
        .args(args)
        .env("RUST_LOG", "info,sled=warn")
        .stdin(Stdio::null());
    cmd
}

/// A running `livret serve`, killed when dropped; its stderr is collected.
struct Server {
    child: Child,
    port: u16,
    http_port: u16,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on a fresh data directory and free ports; `args` gets
    /// `{port}` and `{http}` replaced by them. Waits until `ready` says yes (60 s).
    async fn start<F, Fut>(args: &[&str], ready: F) -> Server
    where
        F: Fn(u16) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let (port, http_port) = (free_port(), free_port());
            let mut args: Vec<String> = args
                .iter()
                .map(|a| {
                    a.replace("{port}", &port.to_string())
                        .replace("{http}", &http_port.to_string())
                })
                .collect();
            args.push("--data".into());
            args.push(dir.path().join("data").display().to_string());
            let mut child = livret(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let stderr = Arc::new(Mutex::new(String::new()));
            let mut err = child.stderr.take().unwrap();
            let sink = stderr.clone();
            std::thread::spawn(move || {
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
            let mut server = Server {
                child,
                port,
                http_port,
                stderr,
                _dir: dir,
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if ready(port).await {
                    return server;
                }
                if server.child.try_wait().unwrap().is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let log = server.log();
            assert!(log.contains("déjà pris"), "did not start:\n{log}");
        }
        panic!("no free ports after five tries");
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to `secs` for `needle` in the log.
    async fn wait_log(&self, needle: &str, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    }
}

/// An HTTPS client trusting only `cert`, reaching `localhost:<port>` on 127.0.0.1, with
/// a new connection (and so a new handshake) for each request.
fn https_client(cert: &str, port: u16) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.as_bytes()).unwrap()])
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// True when `GET https://localhost:<port>/healthz` answers 200 to a client trusting
/// only `cert`.
async fn serves(cert: &str, port: u16) -> bool {
    https_client(cert, port)
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

/// Waits up to `secs` for the server to serve `cert`.
async fn serves_within(cert: &str, port: u16, secs: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if serves(cert, port).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

/// Certificate files in their own directory (outside the data directory).
struct Files {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
}

impl Files {
    fn new(pair: &Pair) -> Files {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("fullchain.pem");
        let key = dir.path().join("privkey.pem");
        std::fs::write(&cert, &pair.cert).unwrap();
        std::fs::write(&key, &pair.key).unwrap();
        Files {
            _dir: dir,
            cert,
            key,
        }
    }

    /// Replaces both files at once (write aside, rename over); with `keep_times`, the
    /// new files carry the old modification times, so only SIGHUP can reveal them.
    fn replace(&self, pair: &Pair, keep_times: bool) {
        for (path, text) in [(&self.cert, &pair.cert), (&self.key, &pair.key)] {
            let old = std::fs::metadata(path).unwrap().modified().unwrap();
            let aside = path.with_extension("new");
            std::fs::write(&aside, text).unwrap();
            if keep_times {
                std::fs::File::options()
                    .write(true)
                    .open(&aside)
                    .unwrap()
                    .set_modified(old)
                    .unwrap();
            }
            std::fs::rename(&aside, path).unwrap();
        }
    }

    fn args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.cert.display().to_string(),
            "--tls-key".into(),
            self.key.display().to_string(),
        ]
    }
}

/// `serve` with certificate files on `{port}`, public URL `https://localhost:{port}`,
/// and the redirecting listener on `{http}`.
async fn https_server(files: &Files, trusted: &str) -> Server {
    let f = files.args();
    let mut args: Vec<&str> = f.iter().map(String::as_str).collect();
    args.extend([
        "--listen",
        "127.0.0.1:{port}",
        "--public-url",
        "https://localhost:{port}",
        "--http-listen",
        "127.0.0.1:{http}",
    ]);
    let trusted = trusted.to_string();
    Server::start(&args, move |port| {
        let trusted = trusted.clone();
        async move { serves(&trusted, port).await }
    })
    .await
}

#[tokio::test]
async fn https_is_served_with_hsts_and_plain_http_only_redirects() {
    let pair = self_signed();
    let files = Files::new(&pair);
    let server = https_server(&files, &pair.cert).await;
    let port = server.port;
    let https = https_client(&pair.cert, port);
    for path in ["/healthz", "/connexion", "/page-inconnue"] {
        let resp = https
            .get(format!("https://localhost:{port}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    // A client that trusts another certificate is refused: the one served is ours.
    assert!(!serves(&self_signed().cert, port).await);

    // The HTTP listener redirects to the public URL, same path and query, whatever the
    // method or the Host asked, and serves no page.
    let http = http_client();
    let base = format!("http://127.0.0.1:{}", server.http_port);
    let resp = http
        .get(format!("{base}/connexion?x=1"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(
        resp.headers()["location"],
        format!("https://localhost:{port}/connexion?x=1").as_str()
    );
    for path in ["/healthz", "/", "/.well-known/acme-challenge/abc"] {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 308, "{path}");
        assert_eq!(
            resp.headers()["location"],
            format!("https://localhost:{port}{path}").as_str()
        );
    }
    let resp = http
        .post(format!("{base}/acces/abc"))
        .body("x=1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 308);
    assert!(resp.text().await.unwrap().is_empty(), "no page over HTTP");

    // `livret healthcheck` (the Docker HEALTHCHECK) speaks TLS when told to or when
    // the service's TLS variables are set; plain HTTP to a TLS port is not healthy.
    let check = |extra: &[&str], env: Option<(&str, &str)>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_livret"));
        cmd.env_clear()
            .args(["healthcheck", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        cmd.output().unwrap().status.success()
    };
    assert!(check(&["--tls"], None));
    assert!(check(
        &[],
        Some(("LIVRET_TLS_CERT", "/etc/livret/cert.pem"))
    ));
    assert!(!check(&[], None));
}

#[tokio::test]
async fn a_replaced_certificate_is_served_after_sighup_or_a_file_change() {
    let first = self_signed();
    let files = Files::new(&first);
    let server = https_server(&files, &first.cert).await;
    let port = server.port;

    // New files with the old modification times: polling sees nothing…
    let second = self_signed();
    files.replace(&second, true);
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(serves(&first.cert, port).await, "{}", server.log());
    assert!(!serves(&second.cert, port).await);
    // … SIGHUP (what `systemctl reload` sends) reads them again.
    let status = Command::new("kill")
        .arg("-HUP")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        serves_within(&second.cert, port, 10).await,
        "{}",
        server.log()
    );
    assert!(!serves(&first.cert, port).await);
    assert!(server.log().contains("certificat HTTPS relu (SIGHUP)"));

    // Files replaced (new modification time): read again without a signal.
    let third = self_signed();
    files.replace(&third, false);
    assert!(
        serves_within(&third.cert, port, 10).await,
        "{}",
        server.log()
    );
    assert!(
        server
            .log()
            .contains("certificat HTTPS relu (fichier modifié)")
    );

    // A certificate with another certificate's key is refused; the old one stays.
    let fourth = self_signed();
    files.replace(
        &Pair {
            cert: fourth.cert.clone(),
            key: third.key.clone(),
        },
        false,
    );
    assert!(
        server
            .wait_log("nouveau certificat HTTPS refusé (fichier modifié)", 10)
            .await,
        "{}",
        server.log()
    );
    assert!(server.log().contains("ne vont pas ensemble"));
    assert!(serves(&third.cert, port).await);
    assert!(!serves(&fourth.cert, port).await);
}

/// Runs `serve` with `args` (then `--data <dir>/data`), expecting it to refuse to start:
/// returns its stderr, after checking the exit code and that no data was written.
fn refused(args: &[String]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut all = args.to_vec();
    all.push("--data".into());
    all.push(data.display().to_string());
    let out = livret(&all).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!data.exists(), "nothing written: {stderr}");
    assert!(out.stdout.is_empty(), "no link printed: {stderr}");
    stderr
}

fn with(files: &[String], rest: &[&str]) -> Vec<String> {
    let mut args = files.to_vec();
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

#[test]
fn bad_certificate_files_or_settings_stop_the_start() {
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let public = format!("https://localhost:{port}");
    let base = ["--listen", &listen, "--public-url", &public];
    let pair = self_signed();
    let files = Files::new(&pair);
    let path = |p: &Path| p.display().to_string();
    let missing = files.cert.with_file_name("absent.pem");

    let err = refused(&with(
        &[
            "--tls-cert".into(),
            path(&missing),
            "--tls-key".into(),
            path(&files.key),
        ],
        &base,
    ));
    assert!(err.contains(&path(&missing)), "{err}");
    assert!(err.contains("--tls-cert"), "{err}");
    assert!(err.contains("introuvable"), "{err}");

    // A certificate for another name than the public URL's.
    let elsewhere = {
        let cert = rcgen::generate_simple_self_signed(vec!["livret.test".to_string()]).unwrap();
        Files::new(&Pair {
            cert: cert.serialize_pem().unwrap(),
            key: cert.serialize_private_key_pem(),
        })
    };
    let err = refused(&with(&elsewhere.args(), &base));
    assert!(err.contains("n'est pas pour localhost"), "{err}");
    assert!(err.contains("livret.test"), "{err}");

    // Key and certificate swapped.
    let err = refused(&with(
        &[
            "--tls-cert".into(),
            path(&files.key),
            "--tls-key".into(),
            path(&files.cert),
        ],
        &base,
    ));
    assert!(err.contains("ne contient aucun certificat"), "{err}");
    assert!(err.contains(&path(&files.key)), "{err}");

    // A key that is not the certificate's.
    let other = Files::new(&self_signed());
    let err = refused(&with(
        &[
            "--tls-cert".into(),
            path(&files.cert),
            "--tls-key".into(),
            path(&other.key),
        ],
        &base,
    ));
    assert!(err.contains("ne vont pas ensemble"), "{err}");
    assert!(err.contains(&path(&other.key)), "{err}");

    // A key file holding no key.
    let err = refused(&with(
        &[
            "--tls-cert".into(),
            path(&files.cert),
            "--tls-key".into(),
            path(&files.cert),
        ],
        &base,
    ));
    assert!(err.contains("aucune clé privée"), "{err}");

    // TLS served by Livret with an http public URL.
    let http_public = format!("http://localhost:{port}");
    let err = refused(&with(
        &files.args(),
        &["--listen", &listen, "--public-url", &http_public],
    ));
    assert!(err.contains("https://"), "{err}");
    assert!(err.contains("--public-url"), "{err}");

    // ACME: the HTTP-01 challenge needs --http-listen; the domain is the public host.
    let err = refused(&with(
        &[],
        &[
            "--acme-domain",
            "localhost",
            "--listen",
            &listen,
            "--public-url",
            &public,
        ],
    ));
    assert!(err.contains("--http-listen 0.0.0.0:80"), "{err}");
    let http_listen = format!("127.0.0.1:{}", free_port());
    let err = refused(&with(
        &[],
        &[
            "--acme-domain",
            "livret.lycee.example",
            "--listen",
            &listen,
            "--public-url",
            &public,
            "--http-listen",
            &http_listen,
        ],
    ));
    assert!(err.contains("https://livret.lycee.example"), "{err}");
}

/// ACME cannot reach a real authority here: with a directory that does not answer, the
/// service still starts, creates `<data>/acme/`, says in the log why it has no
/// certificate, and its HTTP listener answers challenge paths (404 for an unknown
/// token) and redirects everything else.
#[tokio::test]
async fn acme_starts_without_its_authority_and_answers_challenges_on_http() {
    let closed = free_port();
    let directory = format!("http://127.0.0.1:{closed}/directory");
    let server = Server::start(
        &[
            "--acme-domain",
            "localhost",
            "--acme-email",
            "informatique@lycee.example",
            "--acme-directory",
            &directory,
            "--listen",
            "127.0.0.1:{port}",
            "--public-url",
            "https://localhost:{port}",
            "--http-listen",
            "127.0.0.1:{http}",
        ],
        |_| async { true },
    )
    .await;
    assert!(
        server
            .wait_log("impossible d'obtenir le certificat HTTPS de localhost", 30)
            .await,
        "{}",
        server.log()
    );
    assert!(server._dir.path().join("data/acme").is_dir());
    let http = http_client();
    let base = format!("http://127.0.0.1:{}", server.http_port);
    let resp = http
        .get(format!("{base}/.well-known/acme-challenge/inconnu"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = http.get(format!("{base}/connexion")).send().await.unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(
        resp.headers()["location"],
        format!("https://localhost:{}/connexion", server.port).as_str()
    );
}

/// Sends `GET /acces/<junk>` (a rate-limited sign-in route) until a 429, at most 2000
/// times, with the `X-Forwarded-For` that `forwarded(i)` gives; returns how many
/// requests passed before it (`None`: never limited).
async fn requests_before_429(
    client: &reqwest::Client,
    port: u16,
    forwarded: impl Fn(usize) -> String,
) -> Option<usize> {
    for i in 0..2000 {
        let status = client
            .get(format!("http://127.0.0.1:{port}/acces/pas-un-lien"))
            .header("x-forwarded-for", forwarded(i))
            .send()
            .await
            .unwrap()
            .status();
        if status == 429 {
            return Some(i);
        }
        assert_eq!(status, 404);
    }
    None
}

async fn healthy(port: u16) -> bool {
    http_client()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

#[tokio::test]
async fn a_forged_x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let client = http_client();
    // The test's requests come from 127.0.0.1, which this server does not trust.
    let untrusted = Server::start(
        &[
            "--listen",
            "127.0.0.1:{port}",
            "--public-url",
            "https://localhost:{port}",
            "--trust-proxy",
            "192.0.2.1",
        ],
        healthy,
    )
    .await;
    let passed = requests_before_429(&client, untrusted.port, |i| {
        format!("198.51.100.{}", i % 250)
    })
    .await;
    assert!(passed.is_some(), "a varying forged header dodged the limit");
    // Nor is HSTS sent on the strength of a forged X-Forwarded-Proto.
    let resp = client
        .get(format!("http://127.0.0.1:{}/healthz", untrusted.port))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("strict-transport-security").is_none());
    drop(untrusted);

    let trusted = Server::start(
        &[
            "--listen",
            "127.0.0.1:{port}",
            "--public-url",
            "https://localhost:{port}",
            "--trust-proxy",
            "127.0.0.1",
        ],
        healthy,
    )
    .await;
    let port = trusted.port;
    let first = requests_before_429(&client, port, |_| "198.51.100.1".into()).await;
    assert!(first.is_some_and(|n| n >= 250), "{first:?}");
    // Another forwarded address has its own budget…
    let other = requests_before_429(&client, port, |_| "198.51.100.2".into()).await;
    assert!(other.is_some_and(|n| n >= 250), "{other:?}");
    // … but a forged left part does not make a new one: the proxy's addition counts.
    let forged = requests_before_429(&client, port, |i| {
        format!("203.0.113.{}, 198.51.100.1", i % 250)
    })
    .await;
    assert!(forged.is_some_and(|n| n < 50), "{forged:?}");
    // The proxy says HTTPS: HSTS; it says HTTP: none.
    for (proto, hsts) in [("https", true), ("http", false)] {
        let resp = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .header("x-forwarded-proto", proto)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.headers().get("strict-transport-security").is_some(),
            hsts,
            "{proto}"
        );
    }
}
