//! The harness: the real application on a temporary store, served on a free port of
//! 127.0.0.1, and one cookie-keeping HTTP client per person.
//!
//! Every answer that passes through [`Browser`] is checked for the security headers,
//! and every HTML page for inline scripts, inline styles and third-party URLs, so each
//! test also checks those rules on every page it visits.

use jiff::Timestamp;
use jiff::civil::Date;
use livret::clock::Clock;
use livret::config::Config;
use livret::domain::*;
use livret::store::SchoolSeed;
use livret::web::State;
use poem::listener::{Acceptor, Listener, TcpListener};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::net::SocketAddr;

/// The instant every in-process test starts at: Wednesday 11 March 2026, 10:30 in
/// Paris (winter time, so 09:30 UTC).
pub const NOW: &str = "2026-03-11T09:30:00Z";

/// The school's "today" at [`NOW`].
pub fn today() -> Date {
    Date::new(2026, 3, 11).unwrap()
}

/// The fixed clock at [`NOW`], in Europe/Paris.
pub fn fixed_clock() -> Clock {
    Clock::fixed(NOW.parse::<Timestamp>().unwrap(), "Europe/Paris").unwrap()
}

/// A configuration for a store in `data`, answering on `addr`.
pub fn config(data: &std::path::Path, addr: SocketAddr, public_url: &str) -> Config {
    Config {
        data: data.to_path_buf(),
        listen: addr,
        public_url: public_url.to_string(),
        time_zone: "Europe/Paris".into(),
        max_body_bytes: 64 * 1024,
        cache_bytes: 8 * 1024 * 1024,
        smtp_url: None,
        mail_from: None,
        ops: Default::default(),
    }
}

/// Ids of the seeded school: the demo school plus a second referent ("Odile
/// Marchand") who follows one more student ("Yanis Girard", placed with Grégoire),
/// so that "a referent's non-referred placement" exists.
#[derive(Clone, Debug)]
pub struct World {
    pub seed: SchoolSeed,
    pub mael: StudentId,
    pub eloise: StudentId,
    pub francois: StudentId,
    pub anais: StudentId,
    pub yanis: StudentId,
    pub helene: TutorId,
    pub gregoire: TutorId,
    pub referent: TeacherId,
    pub odile: TeacherId,
    pub coordinator: CoordinatorId,
    pub p_mael: PlacementId,
    pub p_eloise: PlacementId,
    pub p_francois: PlacementId,
    pub p_yanis: PlacementId,
    /// Maël's submitted sheet.
    pub sheet_submitted: ActivitySheetId,
    /// Maël's draft sheet.
    pub sheet_draft: ActivitySheetId,
}

impl World {
    pub fn build(today: Date, zone: &jiff::tz::TimeZone) -> World {
        let mut seed = livret::demo::school(today, zone);
        let student = |first: &str| {
            seed.students
                .iter()
                .find(|s| s.name.first == first)
                .unwrap_or_else(|| panic!("the demo school has no student {first}"))
                .id
        };
        let (mael, eloise, francois, anais) = (
            student("Maël"),
            student("Éloïse"),
            student("François"),
            student("Anaïs"),
        );
        let tutor = |first: &str| {
            seed.tutors
                .iter()
                .find(|t| t.name.first == first)
                .unwrap_or_else(|| panic!("the demo school has no tutor {first}"))
                .id
        };
        let (helene, gregoire) = (tutor("Hélène"), tutor("Grégoire"));
        assert_eq!(seed.teachers.len(), 1, "the demo has one referent");
        assert_eq!(seed.coordinators.len(), 1, "the demo has one coordinator");
        let referent = seed.teachers[0].id;
        let coordinator = seed.coordinators[0].id;
        let placement_of = |s: StudentId| {
            seed.placements
                .iter()
                .find(|p| p.student == s)
                .unwrap_or_else(|| panic!("no demo placement for {s}"))
                .clone()
        };
        let p_mael = placement_of(mael);
        let p_eloise = placement_of(eloise).id;
        let p_francois = placement_of(francois).id;
        assert!(
            seed.placements.iter().all(|p| p.student != anais),
            "Anaïs has no placement in the demo"
        );
        let sheet = |status: SheetStatus| {
            seed.sheets
                .iter()
                .find(|s| s.placement == p_mael.id && s.status == status)
                .unwrap_or_else(|| panic!("Maël has no {status:?} sheet in the demo"))
                .id
        };
        let (sheet_submitted, sheet_draft) =
            (sheet(SheetStatus::Submitted), sheet(SheetStatus::Draft));

        let odile = Teacher {
            id: TeacherId::new(),
            name: PersonName::new("Odile", "Marchand"),
            email: None,
            active: true,
        };
        let yanis = Student {
            id: StudentId::new(),
            class: seed.classes[0].id,
            name: PersonName::new("Yanis", "Girard"),
            birth_date: None,
            ine: None,
            email: None,
            active: true,
        };
        let domo = seed
            .tutors
            .iter()
            .find(|t| t.id == gregoire)
            .map(|t| t.company)
            .unwrap();
        let p_yanis = Placement {
            id: PlacementId::new(),
            student: yanis.id,
            company: domo,
            tutor: gregoire,
            referent: odile.id,
            start: p_mael.start,
            end: p_mael.end,
            objectives: vec!["Câbler une baie de brassage.".into()],
        };
        let (odile_id, yanis_id, p_yanis_id) = (odile.id, yanis.id, p_yanis.id);
        seed.teachers.push(odile);
        seed.students.push(yanis);
        seed.placements.push(p_yanis);
        World {
            seed,
            mael,
            eloise,
            francois,
            anais,
            yanis: yanis_id,
            helene,
            gregoire,
            referent,
            odile: odile_id,
            coordinator,
            p_mael: p_mael.id,
            p_eloise,
            p_francois,
            p_yanis: p_yanis_id,
            sheet_submitted,
            sheet_draft,
        }
    }
}

/// The application, running on a temporary store, with the [`World`] seeded.
pub struct App {
    /// `http://localhost:<port>` (the server listens on 127.0.0.1).
    pub base: String,
    pub state: State,
    /// The clock the app reads (fixed at [`NOW`]; `advance` moves the app's time).
    pub clock: Clock,
    pub w: World,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl App {
    /// Starts the app with its public URL equal to the address it listens on.
    pub async fn start() -> App {
        App::start_with(None).await
    }

    /// Starts the app; `public_url` overrides the public URL (for example an `https`
    /// one, to check `Secure` cookies).
    pub async fn start_with(public_url: Option<&str>) -> App {
        App::start_inner(public_url, true).await
    }

    /// Starts the app on an empty store (first start: no school yet).
    pub async fn start_empty() -> App {
        App::start_inner(None, false).await
    }

    async fn start_inner(public_url: Option<&str>, seeded: bool) -> App {
        App::start_configured(public_url, seeded, |_| {}).await
    }

    /// Starts the app; `adjust` changes the configuration first (an SMTP server, the
    /// operation settings).
    async fn start_configured(
        public_url: Option<&str>,
        seeded: bool,
        adjust: impl FnOnce(&mut Config),
    ) -> App {
        let dir = tempfile::tempdir().unwrap();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let base = format!("http://localhost:{}", addr.port());
        let clock = fixed_clock();
        let mut config = config(dir.path(), addr, public_url.unwrap_or(&base));
        adjust(&mut config);
        let state = match livret::open(config, clock.clone()).await {
            Ok(s) => s,
            Err(e) => panic!("livret::open failed: {e}"),
        };
        let w = World::build(clock.today(), clock.zone());
        if seeded {
            state.store.seed(&w.seed).await.unwrap();
        }
        let app = livret::web::routes::routes(state.clone());
        let server = tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
        });
        App {
            base,
            state,
            clock,
            w,
            server,
            _dir: dir,
        }
    }

    /// A fresh personal link for `subject`: the path `/acces/<secret>`.
    pub async fn link(&self, subject: Subject) -> String {
        let secret = livret::auth::issue_link(&self.state.store, &self.clock, subject)
            .await
            .unwrap();
        format!("/acces/{secret}")
    }

    /// A browser with no session.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A browser signed in as `subject` the way a person does it: open the link (GET,
    /// the confirmation page), then press the button (POST).
    pub async fn sign_in(&self, subject: Subject) -> Browser {
        let link = self.link(subject).await;
        let mut b = self.browser();
        b.sign_in_with(&link).await;
        b
    }

    pub async fn student(&self, id: StudentId) -> Browser {
        self.sign_in(Subject::Student(id)).await
    }

    pub async fn tutor(&self, id: TutorId) -> Browser {
        self.sign_in(Subject::Tutor(id)).await
    }

    pub async fn teacher(&self, id: TeacherId) -> Browser {
        self.sign_in(Subject::Teacher(id)).await
    }

    pub async fn coordinator(&self) -> Browser {
        self.sign_in(Subject::Coordinator(self.w.coordinator)).await
    }

    /// The stored logbook of a placement, newest first.
    pub fn entries(&self, p: PlacementId) -> Vec<LogbookEntry> {
        self.state.store.logbook(p).unwrap()
    }

    /// The stored sheets of a placement.
    pub fn sheets(&self, p: PlacementId) -> Vec<ActivitySheet> {
        self.state.store.sheets(p).unwrap()
    }

    /// One stored sheet.
    pub fn sheet(&self, p: PlacementId, s: ActivitySheetId) -> ActivitySheet {
        self.state.store.sheet(p, s).unwrap().unwrap()
    }
}

/// URL of a placement page.
pub fn stage(p: PlacementId) -> String {
    format!("/stages/{p}")
}

/// One HTTP answer, read whole.
#[derive(Debug)]
pub struct Page {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header (panics when absent).
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{} {}: no Location header", self.method, self.url))
    }

    /// Asserts the status, showing the page when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Page {
        assert_eq!(
            self.status,
            status,
            "{} {} answered {} instead of {status}; body:\n{}",
            self.method,
            self.url,
            self.status,
            excerpt(&self.body)
        );
        self
    }

    /// Asserts a `303 See Other` to `to`.
    #[track_caller]
    pub fn expect_redirect(&self, to: &str) -> &Page {
        self.expect(303);
        assert_eq!(self.location(), to, "{} {}", self.method, self.url);
        self
    }

    /// The page's text with HTML entities decoded (`&nbsp;` becomes a plain space), so
    /// assertions read as the person sees the words.
    pub fn text(&self) -> String {
        unescape(&self.body)
    }

    /// True when the decoded text contains `s`.
    pub fn has(&self, s: &str) -> bool {
        self.text().contains(s)
    }

    /// Asserts that every string in `all` appears on the page.
    #[track_caller]
    pub fn shows(&self, all: &[&str]) -> &Page {
        let text = self.text();
        for s in all {
            assert!(
                text.contains(s),
                "{} {}: expected {s:?} on the page:\n{}",
                self.method,
                self.url,
                excerpt(&self.body)
            );
        }
        self
    }

    /// Asserts that no string in `none` appears on the page.
    #[track_caller]
    pub fn hides(&self, none: &[&str]) -> &Page {
        let text = self.text();
        for s in none {
            assert!(
                !text.contains(s),
                "{} {}: {s:?} should not be on the page:\n{}",
                self.method,
                self.url,
                excerpt(&self.body)
            );
        }
        self
    }

    /// The anti-CSRF token of the page's forms.
    #[track_caller]
    pub fn csrf(&self) -> String {
        self.field("_csrf")
            .unwrap_or_else(|| panic!("{} {}: no _csrf field", self.method, self.url))
    }

    /// The value of the first `<input name=…>` or the content of the first
    /// `<textarea name=…>`, decoded; `None` when the page has no such field.
    pub fn field(&self, name: &str) -> Option<String> {
        field_value(&self.body, name)
    }

    /// The `Set-Cookie` header setting `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// The decoded text of the `<li class="card…">` that mentions `needle`.
    #[track_caller]
    pub fn card(&self, needle: &str) -> String {
        let text = self.text();
        text.split("<li class=\"card")
            .skip(1)
            .find(|c| c.contains(needle))
            .map(|c| c.split("</li>").next().unwrap_or(c).to_string())
            .unwrap_or_else(|| {
                panic!(
                    "{} {}: no card mentions {needle:?}:\n{}",
                    self.method,
                    self.url,
                    excerpt(&self.body)
                )
            })
    }

    /// The header's value, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn excerpt(body: &str) -> String {
    const MAX: usize = 6000;
    if body.len() <= MAX {
        body.to_string()
    } else {
        let mut end = MAX;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &body[..end])
    }
}

/// Decodes the entities maud writes, plus `&nbsp;` (to a plain space).
pub fn unescape(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace('\u{a0}', " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// See [`Page::field`].
pub fn field_value(body: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = body.find(&needle)?;
    let open = body[..at].rfind('<')?;
    let close = at + body[at..].find('>')?;
    let tag = &body[open..close];
    if tag.starts_with("<textarea") {
        let rest = &body[close + 1..];
        let end = rest.find("</textarea>")?;
        return Some(unescape(&rest[..end]));
    }
    let v = tag.find("value=\"")? + "value=\"".len();
    let end = v + tag[v..].find('"')?;
    Some(unescape(&tag[v..end]))
}

/// Checks what every answer must carry, and what every HTML page must not contain.
#[track_caller]
fn check_answer(p: &Page) {
    let csp = p
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{} {}: no Content-Security-Policy", p.method, p.url));
    let script_src = csp_directive(csp, "script-src")
        .or_else(|| csp_directive(csp, "default-src"))
        .unwrap_or_else(|| panic!("{} {}: CSP without script-src: {csp}", p.method, p.url));
    assert!(
        !script_src.contains("'unsafe-inline'") && !script_src.contains("'unsafe-eval'"),
        "{} {}: script-src allows inline code: {csp}",
        p.method,
        p.url
    );
    assert_eq!(
        p.header("x-content-type-options"),
        Some("nosniff"),
        "{} {}",
        p.method,
        p.url
    );
    // No page address leaks to other sites; a page whose URL holds a secret (personal
    // link, installation link) sends no Referer at all, not even to Livret itself (its
    // form then posts with `Origin: null`, accepted only with Sec-Fetch-Site:
    // same-origin). Other pages keep "same-origin", so their forms send the real origin.
    let path = reqwest::Url::parse(&p.url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let expected = if path.starts_with("/acces/") || path.starts_with("/installation/") {
        "no-referrer"
    } else {
        "same-origin"
    };
    let referrer = p.header("referrer-policy");
    assert_eq!(
        referrer,
        Some(expected),
        "{} {}: Referrer-Policy",
        p.method,
        p.url
    );
    let is_html = p
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html"));
    if is_html && p.method != "HEAD" {
        let cache = p.header("cache-control").unwrap_or("");
        assert!(
            cache.contains("no-store"),
            "{} {}: an HTML page must not be cached as is (Cache-Control: {cache:?})",
            p.method,
            p.url
        );
        check_html(p);
    }
}

#[track_caller]
fn check_html(p: &Page) {
    let b = &p.body;
    assert!(
        b.contains("<html lang=\"fr\">"),
        "{} {}: the page is not declared French",
        p.method,
        p.url
    );
    for (i, _) in b.match_indices("<script") {
        let tag = &b[i..i + b[i..].find('>').unwrap_or(0)];
        assert!(
            tag.contains(" src="),
            "{} {}: inline script (blocked by the CSP): {tag}",
            p.method,
            p.url
        );
    }
    for bad in [" style=\"", "<style", " onclick=", " onload=", " onsubmit="] {
        assert!(
            !b.contains(bad),
            "{} {}: {bad:?} is blocked by the CSP",
            p.method,
            p.url
        );
    }
    for third_party in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !b.contains(third_party),
            "{} {}: third-party request ({third_party:?})",
            p.method,
            p.url
        );
    }
}

/// The value of one directive of a Content-Security-Policy.
pub fn csp_directive<'a>(csp: &'a str, name: &str) -> Option<&'a str> {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
        .map(|d| d[name.len()..].trim())
}

/// One person's browser: keeps cookies, does not follow redirects. A clone shares
/// the cookies (like two tabs).
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    /// The session cookie's value, once signed in through [`Browser::sign_in_with`].
    pub session: Option<String>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            session: None,
        }
    }

    /// A browser with no cookie store that sends exactly `cookie` (for example an old
    /// session cookie) with every request.
    pub fn with_cookie(base: &str, cookie: &str) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
        Browser {
            base: base.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .default_headers(headers)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            session: None,
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Sends a request and reads the answer, checking the rules of every answer.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let req = req.build().unwrap();
        let (method, url) = (req.method().to_string(), req.url().to_string());
        let resp = self
            .client
            .execute(req)
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        let page = Page {
            method,
            url,
            status,
            headers,
            body,
        };
        check_answer(&page);
        page
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn head(&self, path: &str) -> Page {
        self.send(self.client.head(self.url(path))).await
    }

    /// POSTs a form (`application/x-www-form-urlencoded`).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_with(path, form, &[]).await
    }

    /// POSTs a form with extra request headers.
    pub async fn post_with(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut req = self.client.post(self.url(path)).form(form);
        for (n, v) in headers {
            req = req.header(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        self.send(req).await
    }

    /// A raw POST body with the form content type.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> Page {
        self.post_raw_with(path, body, &[]).await
    }

    /// A raw POST body with the form content type and extra request headers.
    pub async fn post_raw_with(&self, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Page {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send(req).await
    }

    /// Opens a personal link like a person: GET (the confirmation page, which must not
    /// sign in), then POST (which must). Remembers the session cookie's value.
    pub async fn sign_in_with(&mut self, link: &str) -> Page {
        let confirm = self.get(link).await;
        confirm.expect(200).shows(&["Ouvrir mon espace"]);
        assert!(
            confirm.set_cookie("livret").is_none(),
            "GET {link} set a session cookie"
        );
        let opened = self.post(link, &[]).await;
        opened.expect_redirect("/");
        let cookie = opened
            .set_cookie("livret")
            .unwrap_or_else(|| panic!("POST {link}: no session cookie"));
        let value = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_string())
            .unwrap();
        assert!(!value.is_empty(), "POST {link}: empty session cookie");
        self.session = Some(value);
        opened
    }

    /// The CSRF token of the page at `path` (which must answer 200).
    pub async fn csrf(&self, path: &str) -> String {
        self.get(path).await.expect(200).csrf()
    }
}

impl App {
    /// Starts the seeded app with e-mail settings: `smtp_url` as `LIVRET_SMTP_URL` (for
    /// example the URL of a `smtp_sink::SmtpSink`) and the sender
    /// `Lycée des Tests <livret@lycee.example>`.
    pub async fn start_with_smtp(smtp_url: &str) -> App {
        App::start_configured(None, true, |config| {
            config.smtp_url = Some(livret::config::SmtpUrl::new(smtp_url));
            config.mail_from = Some("Lycée des Tests <livret@lycee.example>".into());
        })
        .await
    }
}

impl Browser {
    /// POSTs a `multipart/form-data` form, built by hand: the text `fields`, then, when
    /// given, one file field named `file` with this file name and these bytes.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Page {
        const BOUNDARY: &str = "----livret-test-0a9c4e1f7b2d";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((file_name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let req = self
            .client
            .post(self.url(path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        self.send(req).await
    }
}

impl Browser {
    /// POSTs `body` as is with this `Content-Type` and extra request headers (the JSON
    /// sync API of issue 4: `application/json` and `X-Livret-Sync: 1`).
    pub async fn post_body(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body.to_string());
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send(req).await
    }
}

/// Opens a data directory with sled directly (to write what an older version left, or
/// to read what Livret wrote), without sled's background flusher, whose thread keeps the
/// directory locked for a while after the handle is dropped (the next open would then
/// fail at random on a loaded machine).
///
/// sled's write path hands some of its work to background threads (`flush_async`), which
/// may hold the directory's lock for a moment after the store is dropped; on a loaded
/// machine the open is retried for up to 10 s before failing with sled's error.
pub fn raw_sled(dir: &std::path::Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::Config::new().path(dir).flush_every_ms(None).open() {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("raw_sled: {e}; retrying");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("opening {} with sled: {e}", dir.display()),
        }
    }
}

/// Where an invitation's POST leads (issue 7): creating a passkey.
pub const AFTER_INVITATION: &str = "/cles-d-acces/nouvelle";

impl Browser {
    /// Opens an invitation (or any personal link of a student, teacher or coordinator)
    /// like a person: GET (the confirmation page, which must not sign in), then POST,
    /// which must open a session and go to [`AFTER_INVITATION`]. Remembers the session
    /// cookie's value.
    pub async fn open_invitation(&mut self, link: &str) -> Page {
        let confirm = self.get(link).await;
        confirm.expect(200).shows(&["Ouvrir mon espace"]);
        assert!(
            confirm.set_cookie("livret").is_none(),
            "GET {link} set a session cookie"
        );
        let opened = self.post(link, &[]).await;
        opened.expect_redirect(AFTER_INVITATION);
        let cookie = opened
            .set_cookie("livret")
            .unwrap_or_else(|| panic!("POST {link}: no session cookie"));
        let value = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_string())
            .unwrap();
        assert!(!value.is_empty(), "POST {link}: empty session cookie");
        self.session = Some(value);
        opened
    }
}

impl Browser {
    /// Sends `method` (`GET`, `PUT`, `DELETE`…) to `path` with no body and extra
    /// request headers.
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Page {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, self.url(path));
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send(req).await
    }
}

/// `livret::open`, waiting (up to 10 s) while the directory is still locked by a
/// handle just dropped: sled lets go of its lock a moment after the last drop (its
/// background threads), later still on a loaded machine. Any other answer is returned.
pub async fn open_when_free(
    config: &livret::config::Config,
    clock: &Clock,
) -> Result<livret::web::State, livret::error::Error> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match livret::open(config.clone(), clock.clone()).await {
            Err(e)
                if e.to_string().contains("déjà utilisé")
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

impl Browser {
    /// GETs `path` and keeps the body as sent: decoded as UTF-8 without dropping a
    /// byte order mark (which `reqwest`'s `text()` removes), for downloads such as the
    /// allowance CSV of issue 8. The answer's rules are checked like any other.
    pub async fn get_verbatim(&self, path: &str) -> Page {
        let Download { mut page, bytes } = self.download(path).await;
        page.body =
            String::from_utf8(bytes).unwrap_or_else(|e| panic!("GET {path}: not UTF-8: {e}"));
        page
    }
}

/// A binary answer (a PDF, a ZIP): the answer as a [`Page`] (its body only when it is
/// an HTML page, an error say) and the bytes as sent.
pub struct Download {
    pub page: Page,
    pub bytes: Vec<u8>,
}

impl Browser {
    /// GETs `path` and keeps the body's bytes (issue 8's PDFs and ZIP); the answer's
    /// rules are checked like any other, and an HTML answer's page rules too.
    pub async fn download(&self, path: &str) -> Download {
        let req = self.client.get(self.url(path)).build().unwrap();
        let (method, url) = (req.method().to_string(), req.url().to_string());
        let resp = self
            .client
            .execute(req)
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default().to_vec();
        let is_html = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/html"));
        let page = Page {
            method,
            url,
            status,
            headers,
            body: if is_html {
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                String::new()
            },
        };
        check_answer(&page);
        Download { page, bytes }
    }
}

impl App {
    /// Starts the seeded app with these operation settings (issue 9: `/readyz`'s
    /// free-space threshold, the nightly backup directory the coordinator's card
    /// mentions); everything else as [`App::start`].
    pub async fn start_with_ops(ops: livret::config::Operations) -> App {
        App::start_configured(None, true, |config| config.ops = ops).await
    }
}
