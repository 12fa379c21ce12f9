//! Cross-site request forgery, body size limit, security headers, cookies, health
//! check and hashed assets.

use crate::support::*;
use livret::domain::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn entry(token: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("_csrf", token),
        ("date", "2026-03-10"),
        ("hours", "7"),
        ("tasks", "Entrée forgée par un autre site."),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_the_right_token_or_from_another_site_are_403() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let csrf = mael.csrf(&format!("{base}/journal/nouvelle")).await;
    let eloise_csrf = app.student(w.eloise).await.csrf(&stage(w.p_eloise)).await;
    let before = app.entries(w.p_mael);
    let journal = format!("{base}/journal");

    // No token, an empty one, a wrong one, another session's.
    let without: Vec<(&str, &str)> = entry("").into_iter().skip(1).collect();
    for (why, form) in [
        ("no token", without),
        ("empty token", entry("")),
        (
            "wrong token",
            entry("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
        ("another session's token", entry(&eloise_csrf)),
    ] {
        let page = mael.post(&journal, &form).await;
        assert_eq!(page.status, 403, "{why}");
        page.shows(&["Formulaire expiré"]);
    }
    assert_eq!(app.entries(w.p_mael), before, "nothing stored");

    // The right token, but sent from another site.
    let good = entry(&csrf);
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![
            ("origin", app.base.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let page = mael.post_with(&journal, &good, &headers).await;
        assert_eq!(page.status, 403, "{headers:?}");
    }
    assert_eq!(app.entries(w.p_mael), before, "nothing stored");

    // Control: the same request from the app's own pages is accepted.
    mael.post_with(
        &journal,
        &good,
        &[
            ("origin", app.base.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await
    .expect(303);
    assert_eq!(app.entries(w.p_mael).len(), before.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_checks_the_token() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let mael = app.student(w.mael).await;
    let helene = app.tutor(w.helene).await;
    let sheets = app.sheets(w.p_mael);
    let sheet = [
        ("title", "Fiche forgée"),
        ("date", "2026-03-10"),
        ("work_done", "x"),
        ("competencies", "C4"),
        ("action", "submit"),
    ];
    mael.post(&format!("{base}/fiches"), &sheet)
        .await
        .expect(403);
    mael.post(&format!("{base}/fiches/{}", w.sheet_draft), &sheet)
        .await
        .expect(403);
    mael.post(&format!("{base}/fiches/{}/envoyer", w.sheet_draft), &[])
        .await
        .expect(403);
    helene
        .post(
            &format!("{base}/fiches/{}/avis", w.sheet_submitted),
            &[("comment", "Forgé.")],
        )
        .await
        .expect(403);
    assert_eq!(app.sheets(w.p_mael), sheets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_cannot_be_opened_from_another_site() {
    // Login CSRF: another site must not sign a browser into someone's account.
    let app = App::start().await;
    let link = app.link(Subject::Student(app.w.mael)).await;
    let b = app.browser();
    for headers in [
        [("origin", "https://evil.example")],
        [("sec-fetch-site", "cross-site")],
    ] {
        let page = b.post_with(&link, &[], &headers).await;
        page.expect(403);
        assert!(page.set_cookie("livret").is_none());
    }
    b.get(&stage(app.w.p_mael)).await.expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_64_kib_are_413_and_store_nothing() {
    let app = App::start().await;
    let w = &app.w;
    let base = stage(w.p_mael);
    let journal = format!("{base}/journal");
    let mael = app.student(w.mael).await;
    let csrf = mael.csrf(&format!("{base}/journal/nouvelle")).await;
    let before = app.entries(w.p_mael);
    let form = |notes_len: usize| {
        format!(
            "_csrf={csrf}&date=2026-03-10&hours=7&tasks=Trop+long&notes={}",
            "n".repeat(notes_len)
        )
        .into_bytes()
    };

    // Announced with Content-Length.
    let big = form(65 * 1024);
    assert!(big.len() > 64 * 1024);
    mael.post_raw(&journal, big)
        .await
        .expect(413)
        .shows(&["Envoi trop volumineux"]);
    assert_eq!(app.entries(w.p_mael), before);

    // Refused on the announced length alone, before anything else is looked at (even
    // without a session).
    app.browser()
        .post_raw(&journal, form(65 * 1024))
        .await
        .expect(413);

    // Sent in chunks, without a length: the limit holds while reading.
    let cookie = mael.session.clone().unwrap();
    let addr = app.base.trim_start_matches("http://");
    let answer = chunked_post(addr, &journal, &cookie, &form(70 * 1024)).await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "chunked body over the limit: {}",
        answer.lines().next().unwrap_or("")
    );
    assert_eq!(app.entries(w.p_mael), before);

    // Just under the limit the form is read (and refused for its too long notes).
    let under = form(60 * 1024);
    assert!(under.len() < 64 * 1024);
    mael.post_raw(&journal, under)
        .await
        .expect(422)
        .shows(&["caractères pour 4000 au plus"]);
    assert_eq!(app.entries(w.p_mael), before);
}

/// POSTs `body` with `Transfer-Encoding: chunked` over a raw connection (reqwest
/// always sends a length for an in-memory body) and returns the whole answer.
async fn chunked_post(addr: &str, path: &str, cookie: &str, body: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: livret={cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and close before reading everything: write errors after
    // the limit are expected and ignored.
    for chunk in body.chunks(4096) {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if answer.is_empty() => panic!("no answer to the chunked POST: {e}"),
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_pages_errors_and_redirects() {
    let app = App::start().await;
    let w = &app.w;
    let mael = app.student(w.mael).await;
    let visitor = app.browser();
    // Every answer is checked by the harness; here the exact values are pinned.
    let pages = [
        visitor.get("/").await,
        visitor.get("/acces/inconnu").await,
        visitor.get(&stage(w.p_mael)).await,
        mael.get(&stage(w.p_mael)).await,
        mael.get("/").await,
        mael.get(&stage(PlacementId::new())).await,
        mael.post(&format!("{}/journal", stage(w.p_mael)), &[])
            .await,
    ];
    let statuses: Vec<u16> = pages.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [200, 404, 401, 200, 303, 404, 403]);
    for p in &pages {
        let csp = p.header("content-security-policy").unwrap();
        let script = csp_directive(csp, "script-src").expect("an explicit script-src");
        assert_eq!(script, "'self'", "{}: {csp}", p.url);
        assert_eq!(csp_directive(csp, "default-src"), Some("'self'"), "{csp}");
        assert_eq!(csp_directive(csp, "object-src"), Some("'none'"), "{csp}");
        assert_eq!(
            csp_directive(csp, "frame-ancestors"),
            Some("'none'"),
            "{csp}"
        );
        assert_eq!(csp_directive(csp, "form-action"), Some("'self'"), "{csp}");
        assert!(!csp.contains("'unsafe-inline'"), "{csp}");
        assert_eq!(p.header("x-content-type-options"), Some("nosniff"));
        assert!(matches!(
            p.header("referrer-policy"),
            Some("no-referrer" | "same-origin")
        ));
        assert_eq!(p.header("x-frame-options"), Some("DENY"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_session_cookie_is_secure_and_host_bound() {
    let app = App::start_with(Some("https://livret.lycee-exemple.fr")).await;
    let link = app.link(Subject::Student(app.w.mael)).await;
    let b = app.browser();
    b.get(&link).await.expect(200);
    let opened = b.post(&link, &[]).await;
    opened.expect_redirect("/");
    assert!(opened.set_cookie("livret").is_none());
    let cookie = opened
        .set_cookie("__Host-livret")
        .expect("__Host- cookie over HTTPS");
    let attrs: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for a in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(attrs.contains(&a.to_string()), "{a} missing: {cookie}");
    }
    assert!(
        !attrs.iter().any(|a| a.starts_with("domain")),
        "a __Host- cookie has no Domain: {cookie}"
    );
    // The configured public origin is accepted for state changes.
    let link = app.link(Subject::Student(app.w.mael)).await;
    b.post_with(&link, &[], &[("origin", "https://livret.lycee-exemple.fr")])
        .await
        .expect_redirect("/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_200() {
    let app = App::start().await;
    let page = app.browser().get("/healthz").await;
    page.expect(200);
    assert_eq!(page.body, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_served_under_hashed_urls_with_an_immutable_cache() {
    let app = App::start().await;
    let b = app.browser();
    let home = b.get("/").await;
    let body = &home.body;
    let link = body
        .find("<link rel=\"stylesheet\" href=\"")
        .map(|i| &body[i + "<link rel=\"stylesheet\" href=\"".len()..])
        .and_then(|rest| rest.split('"').next())
        .expect("a stylesheet link");
    assert!(
        link.starts_with("/assets/app.")
            && link.ends_with(".css")
            && link.len() > "/assets/app..css".len(),
        "not a hashed URL: {link}"
    );
    let css = b.get(link).await;
    css.expect(200);
    assert!(
        css.header("content-type").unwrap().starts_with("text/css"),
        "{:?}",
        css.header("content-type")
    );
    let cache = css.header("cache-control").unwrap();
    assert!(cache.contains("immutable"), "{cache}");
    assert!(cache.contains("max-age=31536000"), "{cache}");
    assert!(!css.body.is_empty());
    // The page's other asset, the icon, is served too.
    let icon = body
        .find("rel=\"icon\" href=\"")
        .map(|i| &body[i + "rel=\"icon\" href=\"".len()..])
        .and_then(|rest| rest.split('"').next())
        .expect("an icon link");
    b.get(icon).await.expect(200);

    // Unknown names, and the plain name without its hash, are 404.
    for missing in [
        "/assets/app.0000000000.css",
        "/assets/app.css",
        "/assets/missing",
        "/assets/..%2FCargo.toml",
    ] {
        let page = b.get(missing).await;
        page.expect(404);
        assert!(
            !page
                .header("cache-control")
                .unwrap_or("")
                .contains("immutable"),
            "{missing}: a 404 must not be cached forever"
        );
    }
}

/// A gzip member whose content is `prefix` followed by `1 + 258 × runs` letters "a",
/// written by hand with DEFLATE's fixed Huffman codes (RFC 1951 § 3.2.6): one literal
/// "a", then `runs` copies of "length 258, distance 1". About 13 bits per 258 bytes, so
/// a few kilobytes inflate to megabytes.
fn gzip_of_a_run(prefix: &[u8], runs: usize) -> (Vec<u8>, usize) {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        /// `count` bits of `value`, least significant first (header fields).
        fn lsb(&mut self, value: u32, count: u32) {
            for i in 0..count {
                self.acc |= ((value >> i) & 1) << self.n;
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc as u8);
                    self.acc = 0;
                    self.n = 0;
                }
            }
        }
        /// A Huffman code of `count` bits, most significant first.
        fn code(&mut self, code: u32, count: u32) {
            for i in (0..count).rev() {
                self.lsb((code >> i) & 1, 1);
            }
        }
        fn literal(&mut self, byte: u8) {
            let b = u32::from(byte);
            if b < 144 {
                self.code(0x30 + b, 8);
            } else {
                self.code(0x190 + b - 144, 9);
            }
        }
    }
    let mut content = prefix.to_vec();
    content.extend(std::iter::repeat_n(b'a', 1 + 258 * runs));
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    bits.lsb(1, 1); // last block
    bits.lsb(1, 2); // fixed Huffman codes
    for &b in prefix {
        bits.literal(b);
    }
    bits.literal(b'a');
    for _ in 0..runs {
        bits.code(0xC0 + 5, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: 1 byte back
    }
    bits.code(0, 7); // end of block (256)
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    let crc = content.iter().fold(!0u32, |mut c, &b| {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
        c
    });
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend_from_slice(&bits.out);
    gz.extend_from_slice(&(!crc).to_le_bytes());
    gz.extend_from_slice(&(content.len() as u32).to_le_bytes());
    (gz, content.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_body_is_limited_once_inflated() {
    let app = App::start().await;
    let w = &app.w;
    let journal = format!("{}/journal", stage(w.p_mael));
    let mael = app.student(w.mael).await;
    let csrf = mael
        .csrf(&format!("{}/journal/nouvelle", stage(w.p_mael)))
        .await;
    let before = app.entries(w.p_mael).len();
    let prefix = format!("_csrf={csrf}&date=2026-03-10&hours=7&tasks=Compress%C3%A9&notes=");
    let gzipped = async |runs| {
        let (body, inflated) = gzip_of_a_run(prefix.as_bytes(), runs);
        let sent = body.len();
        let page = mael
            .post_raw_with(&journal, body, &[("content-encoding", "gzip")])
            .await;
        (page, sent, inflated)
    };

    // Control: a small compressed form is read and stored.
    let (page, _, _) = gzipped(3).await;
    page.expect(303);
    assert_eq!(app.entries(w.p_mael).len(), before + 1);
    assert_eq!(app.entries(w.p_mael)[0].notes, "a".repeat(1 + 258 * 3));

    // 26 KB that inflate to 4 MB: refused at the limit, nothing stored.
    let (page, sent, inflated) = gzipped(16_000).await;
    assert!(
        sent < 32 * 1024 && inflated > 4_000_000,
        "{sent} → {inflated}"
    );
    page.expect(413).shows(&["Envoi trop volumineux"]);
    assert_eq!(app.entries(w.p_mael).len(), before + 1);
}
