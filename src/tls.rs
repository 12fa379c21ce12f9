//! HTTPS served by Livret itself (issue 9).
//!
//! - Certificate files (`--tls-cert`, `--tls-key`, PEM): checked at start (readable, a
//!   certificate chain and a private key that go together), then read again on SIGHUP
//!   (`systemctl reload`) and when either file's modification time changes (polled
//!   every [`POLL`]). A bad new pair is logged and the certificate in service kept.
//! - ACME (RFC 8555, `--acme-domain`): poem's client obtains a certificate from the
//!   directory (Let's Encrypt by default) with the HTTP-01 challenge, answered on
//!   `--http-listen`; it is cached in `<data>/acme/` and renewed [`RENEW_BEFORE`] before
//!   it expires.
//! - `--http-listen` ([`HttpRedirect`]): plain HTTP that only answers ACME challenges and
//!   otherwise redirects (308) to the public URL. It never serves a page.
//!
//! Both kinds of certificate are served through one hot-swappable resolver
//! (`poem::listener::acme::ResolveServerCert` behind poem's `ResolvedCertListener`):
//! replacing the certificate never drops a connection nor races the first one.

use crate::config::{Config, TlsSource};
use poem::http::{StatusCode, header};
use poem::listener::TcpListener;
use poem::listener::acme::{
    AcmeClient, ChallengeType, Http01TokensMap, ResolveServerCert, ResolvedCertListener,
    issue_cert, seconds_until_expiry,
};
use poem::{Endpoint, IntoResponse, Request, Response};
use rustls::crypto::aws_lc_rs::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::task::JoinHandle;

/// How often the certificate files' modification times are looked at.
pub const POLL: Duration = Duration::from_secs(3);

/// An ACME certificate is renewed when it has less than this left: 30 days, as Let's
/// Encrypt advises for its 90-day certificates.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long to wait before trying ACME again after a failure (Let's Encrypt allows five
/// failed validations per domain and hour).
const ACME_RETRY: Duration = Duration::from_secs(15 * 60);

/// How often an ACME certificate's remaining life is looked at.
const ACME_CHECK: Duration = Duration::from_secs(12 * 3600);

/// Path prefix of the ACME HTTP-01 challenge (RFC 8555 §8.3).
pub const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge/";

/// Name of the ACME cache directory inside the data directory.
pub const ACME_DIR: &str = "acme";

/// Checks that the TLS settings and the public URL agree (issue 9), before anything is
/// bound or written: with TLS served by Livret the public URL is `https`; with ACME its
/// host is the ACME domain, `--http-listen` is given (the HTTP-01 challenge comes on
/// port 80) and the directory is a URL; `--http-listen` redirects to an `https` public
/// URL and is not `--listen`. Returns the warnings to log: an `https` public URL
/// served over plain HTTP without `--trust-proxy`, a proxy range that trusts everyone.
/// The certificate files themselves are read by [`Https::prepare`].
///
/// # Errors
/// A French message saying what to set.
pub fn check(config: &Config) -> Result<Vec<String>, String> {
    let ops = &config.ops;
    let public = &config.public_url;
    let mut warnings = Vec::new();
    match &ops.tls {
        Some(TlsSource::Files { .. }) if !config.secure() => {
            return Err(format!(
                "avec --tls-cert, Livret sert HTTPS sur {} : son adresse publique doit commencer par https:// (elle est {public}). Donnez --public-url https://<nom du certificat>[:port] (ou LIVRET_PUBLIC_URL).",
                config.listen
            ));
        }
        Some(TlsSource::Acme {
            domain,
            email,
            directory,
        }) => {
            let host = public_host(public);
            let domain_lc = domain.trim_end_matches('.').to_ascii_lowercase();
            if domain_lc.is_empty() || domain_lc.parse::<std::net::IpAddr>().is_ok() {
                return Err(format!(
                    "--acme-domain « {domain} » : donnez le nom de domaine du service (par exemple livret.mon-lycee.fr), pas une adresse IP"
                ));
            }
            if !config.secure() || host.as_deref() != Some(domain_lc.as_str()) {
                return Err(format!(
                    "avec --acme-domain {domain}, l'adresse publique doit être https://{domain_lc} (elle est {public}) : donnez --public-url https://{domain_lc} (ou LIVRET_PUBLIC_URL)"
                ));
            }
            if ops.http_listen.is_none() {
                return Err(format!(
                    "avec --acme-domain, l'autorité de certification vérifie le domaine en demandant http://{domain_lc}/.well-known/acme-challenge/… sur le port 80 : donnez --http-listen 0.0.0.0:80 et ouvrez le port 80 (pare-feu, box) vers cette machine, en plus du port HTTPS"
                ));
            }
            let directory_ok = url::Url::parse(directory)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if !directory_ok {
                return Err(format!(
                    "annuaire ACME « {directory} » invalide (--acme-directory) : donnez l'adresse https://… de l'annuaire de l'autorité, ou rien pour Let's Encrypt"
                ));
            }
            if let Some(email) = email
                && (!email.contains('@') || email.contains(char::is_whitespace))
            {
                return Err(format!(
                    "adresse de contact ACME « {email} » invalide (--acme-email) : donnez une adresse électronique, par exemple informatique@mon-lycee.fr"
                ));
            }
        }
        _ => {}
    }
    if let Some(http) = ops.http_listen {
        if http == config.listen {
            return Err(format!(
                "--http-listen et --listen désignent la même adresse {http} : --http-listen (souvent 0.0.0.0:80) ne fait que rediriger vers HTTPS, --listen (souvent 0.0.0.0:443) sert Livret"
            ));
        }
        if !config.secure() {
            return Err(format!(
                "--http-listen {http} redirige vers l'adresse publique, qui doit alors être en https:// (elle est {public}) : servez HTTPS avec --tls-cert/--tls-key ou --acme-domain et donnez --public-url https://…, ou retirez --http-listen"
            ));
        }
    }
    if config.secure() && ops.tls.is_none() && ops.trust_proxy.is_empty() {
        let listen = config.listen;
        if listen.ip().is_loopback() {
            warnings.push(format!(
                "l'adresse publique {public} est en https mais Livret sert HTTP simple sur {listen} : si un proxy HTTPS de cette machine lui transmet les requêtes, donnez --trust-proxy 127.0.0.1,::1 (LIVRET_TRUST_PROXY), sinon tous les visiteurs partagent une seule limite de tentatives de connexion et ne reçoivent pas d'en-tête HSTS"
            ));
        } else {
            warnings.push(format!(
                "l'adresse publique {public} est en https mais Livret sert HTTP simple sur {listen}, sans --trust-proxy : derrière un proxy HTTPS, donnez son adresse avec --trust-proxy (LIVRET_TRUST_PROXY) ; sans proxy, servez HTTPS vous-même avec --tls-cert/--tls-key ou --acme-domain"
            ));
        }
    }
    if ops.trust_proxy.iter().any(|r| r.prefix == 0) {
        warnings.push(
            "--trust-proxy contient une plage qui couvre toutes les adresses : n'importe qui peut alors se faire passer pour une autre adresse avec X-Forwarded-For (limites de tentatives contournables). Donnez seulement l'adresse de votre proxy.".into(),
        );
    }
    Ok(warnings)
}

/// The DNS names a certificate (DER) is for: its subject alternative names, lower-cased
/// (browsers ignore the subject's common name). Empty when unreadable.
fn certificate_names(der: &[u8]) -> Vec<String> {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.trim_end_matches('.').to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// True when certificate name `pattern` covers `host` (RFC 6125: a leading `*.`
/// stands for exactly one label).
fn name_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == host,
    }
}

/// The host of a public URL, lower-cased, without trailing dot.
fn public_host(public_url: &str) -> Option<String> {
    let uri: poem::http::Uri = public_url.parse().ok()?;
    uri.host()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

fn read_file(path: &Path, what: &str, flag: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "fichier introuvable".to_string(),
            std::io::ErrorKind::PermissionDenied => {
                "permission refusée : l'utilisateur qui lance Livret doit pouvoir le lire".into()
            }
            std::io::ErrorKind::IsADirectory => "c'est un répertoire, pas un fichier".into(),
            _ => e.to_string(),
        };
        format!(
            "impossible de lire {what} {} ({flag}) : {why}",
            path.display()
        )
    })
}

/// Reads a certificate chain and its private key from PEM files and checks that they go
/// together (the key's public part is the first certificate's). RSA, ECDSA (P-256,
/// P-384) and Ed25519 keys, PKCS#1, PKCS#8 or SEC1.
///
/// # Errors
/// A French message naming the file and saying what is wrong with it.
pub fn load_pair(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let cert_pem = read_file(cert, "le certificat HTTPS", "--tls-cert")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            format!(
                "le certificat HTTPS {} (--tls-cert) n'est pas un fichier PEM lisible ({e})",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        return Err(format!(
            "{} (--tls-cert) ne contient aucun certificat (bloc « -----BEGIN CERTIFICATE----- ») : donnez la chaîne de certificats au format PEM (fullchain.pem avec Let's Encrypt)",
            cert.display()
        ));
    }
    let key_pem = read_file(key, "la clé privée HTTPS", "--tls-key")?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        format!(
            "{} (--tls-key) ne contient aucune clé privée (bloc « -----BEGIN PRIVATE KEY----- », RSA ou EC) : donnez la clé privée du certificat au format PEM (privkey.pem avec Let's Encrypt)",
            key.display()
        )
    })?;
    let signing = any_supported_type(&private).map_err(|_| {
        format!(
            "la clé privée {} (--tls-key) n'est pas d'un type pris en charge (RSA, ECDSA P-256 ou P-384, Ed25519)",
            key.display()
        )
    })?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|_| {
        format!(
            "le certificat {} (--tls-cert) et la clé privée {} (--tls-key) ne vont pas ensemble : donnez la clé avec laquelle ce certificat a été demandé",
            cert.display(),
            key.display()
        )
    })?;
    Ok(certified)
}

/// A warning when the certificate has expired or expires within 14 days (time read by
/// poem's [`seconds_until_expiry`], from the system clock, the one browsers compare it
/// with).
fn expiry_warning(certified: &CertifiedKey, cert: &Path) -> Option<String> {
    let left = seconds_until_expiry(certified);
    if left <= 0 {
        Some(format!(
            "le certificat HTTPS {} a expiré : les navigateurs refusent la connexion ; remplacez-le (il sera relu sans redémarrer)",
            cert.display()
        ))
    } else if left < 14 * 24 * 3600 {
        Some(format!(
            "le certificat HTTPS {} expire dans {} jour(s) : renouvelez-le (il sera relu sans redémarrer)",
            cert.display(),
            left / (24 * 3600)
        ))
    } else {
        None
    }
}

/// HTTPS served by Livret: the certificate resolver its listener reads, and where the
/// certificate comes from.
pub struct Https {
    resolver: Arc<ResolveServerCert>,
    source: TlsSource,
    challenges: Http01TokensMap,
}

impl Https {
    /// `None` without TLS settings. With certificate files, reads and checks them now
    /// ([`load_pair`]), before anything is bound or written.
    ///
    /// # Errors
    /// A French message naming the bad file.
    pub fn prepare(config: &Config) -> Result<Option<Https>, String> {
        let Some(source) = config.ops.tls.clone() else {
            return Ok(None);
        };
        // poem's TLS acceptor asks rustls for the process-wide provider; several are
        // compiled in (aws-lc-rs for serving, ring for poem's ACME client), so say which.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let resolver = Arc::new(ResolveServerCert::default());
        if let TlsSource::Files { cert, key } = &source {
            let certified = load_pair(cert, key)?;
            // LIVRET_PUBLIC_URL must be a name the certificate is for: otherwise every
            // browser refuses the page (issue 9: the public URL is checked against what
            // is served).
            if let (Some(host), Some(leaf)) =
                (public_host(&config.public_url), certified.cert.first())
            {
                let names = certificate_names(leaf.as_ref());
                if !names.iter().any(|n| name_matches(n, &host)) {
                    return Err(format!(
                        "le certificat {} n'est pas pour {host}, le nom de l'adresse publique {} (il est pour : {}) : donnez le certificat de ce nom, ou corrigez --public-url (LIVRET_PUBLIC_URL)",
                        cert.display(),
                        config.public_url,
                        if names.is_empty() {
                            "aucun nom".to_string()
                        } else {
                            names.join(", ")
                        }
                    ));
                }
            }
            if let Some(warning) = expiry_warning(&certified, cert) {
                tracing::warn!("{warning}");
            }
            *resolver.cert.write() = Some(Arc::new(certified));
        }
        Ok(Some(Https {
            resolver,
            source,
            challenges: Http01TokensMap::new(),
        }))
    }

    /// The TLS listener on `addr`, serving the current certificate.
    pub fn listener(&self, addr: SocketAddr) -> ResolvedCertListener<TcpListener<SocketAddr>> {
        ResolvedCertListener::new(
            TcpListener::bind(addr),
            self.resolver.clone(),
            ChallengeType::Http01,
        )
    }

    /// The pending ACME HTTP-01 challenges, for [`HttpRedirect`] (`None` with files).
    pub fn challenges(&self) -> Option<Http01TokensMap> {
        matches!(self.source, TlsSource::Acme { .. }).then(|| self.challenges.clone())
    }

    /// Starts the background task that keeps the certificate fresh: the file watcher
    /// (SIGHUP and modification times), or the ACME client (cache in
    /// `<data>/acme/`, created here).
    ///
    /// # Errors
    /// The ACME cache directory cannot be created (French message).
    pub fn start(&self, data: &Path) -> Result<JoinHandle<()>, String> {
        let resolver = self.resolver.clone();
        match &self.source {
            TlsSource::Files { cert, key } => {
                let watcher = FileWatcher::new(resolver, cert.clone(), key.clone());
                Ok(tokio::spawn(watcher.run()))
            }
            TlsSource::Acme {
                domain,
                email,
                directory,
            } => {
                let cache = data.join(ACME_DIR);
                create_private_dir(&cache).map_err(|e| {
                    format!(
                        "impossible de créer le répertoire des certificats ACME {} ({})",
                        cache.display(),
                        e.kind()
                    )
                })?;
                let acme = Acme {
                    resolver,
                    challenges: self.challenges.clone(),
                    domain: domain.trim_end_matches('.').to_ascii_lowercase(),
                    contacts: email.iter().map(|e| format!("mailto:{e}")).collect(),
                    directory: directory.clone(),
                    cache,
                };
                let _ = ignore_hangup("--acme-domain : le certificat est renouvelé tout seul");
                Ok(tokio::spawn(acme.run()))
            }
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename (never a half-written
/// file), readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Logs SIGHUP instead of dying of it (its default action) when there is nothing to
/// read again: `systemctl reload` on a service without certificate files is harmless.
/// `why` says why nothing is reloaded.
pub fn ignore_hangup(why: &'static str) -> Option<JoinHandle<()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = signal(SignalKind::hangup()).ok()?;
        Some(tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                tracing::info!("SIGHUP reçu : rien à relire ({why})");
            }
        }))
    }
    #[cfg(not(unix))]
    {
        let _ = why;
        None
    }
}

/// Modification times of the certificate and key files (`None` for a file that cannot
/// be read: a change from or to that state counts too).
type Stamps = (Option<SystemTime>, Option<SystemTime>);

struct FileWatcher {
    resolver: Arc<ResolveServerCert>,
    cert: PathBuf,
    key: PathBuf,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl FileWatcher {
    /// Registers for SIGHUP at once (before the service says it is ready), so that a
    /// reload is never taken for the default "terminate".
    fn new(resolver: Arc<ResolveServerCert>, cert: PathBuf, key: PathBuf) -> Self {
        FileWatcher {
            resolver,
            cert,
            key,
            #[cfg(unix)]
            hangup: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok(),
        }
    }

    fn stamps(&self) -> Stamps {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        (modified(&self.cert), modified(&self.key))
    }

    async fn hangup(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.hangup {
            if signal.recv().await.is_some() {
                return;
            }
            self.hangup = None;
        }
        std::future::pending::<()>().await;
    }

    async fn run(mut self) {
        let mut seen = self.stamps();
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let why = tokio::select! {
                _ = tick.tick() => {
                    let now = self.stamps();
                    if now == seen {
                        continue;
                    }
                    seen = now;
                    "fichier modifié"
                }
                () = self.hangup() => {
                    seen = self.stamps();
                    "SIGHUP"
                }
            };
            self.reload(why);
        }
    }

    fn reload(&self, why: &str) {
        match load_pair(&self.cert, &self.key) {
            Ok(certified) => {
                if let Some(warning) = expiry_warning(&certified, &self.cert) {
                    tracing::warn!("{warning}");
                }
                *self.resolver.cert.write() = Some(Arc::new(certified));
                tracing::info!(
                    "certificat HTTPS relu ({why}) : {} ; les nouvelles connexions l'utilisent",
                    self.cert.display()
                );
            }
            Err(e) => tracing::error!(
                "nouveau certificat HTTPS refusé ({why}), l'ancien reste en service : {e}"
            ),
        }
    }
}

struct Acme {
    resolver: Arc<ResolveServerCert>,
    challenges: Http01TokensMap,
    domain: String,
    contacts: Vec<String>,
    directory: String,
    cache: PathBuf,
}

impl Acme {
    fn cert_path(&self) -> PathBuf {
        self.cache.join("cert.pem")
    }

    fn key_path(&self) -> PathBuf {
        self.cache.join("key.pem")
    }

    /// Serves the cached certificate, if any, then obtains one when there is none or it
    /// expires within [`RENEW_BEFORE`]; checks again every 12 hours, or 15 minutes after
    /// a failure.
    async fn run(self) {
        if self.cert_path().exists() {
            match load_pair(&self.cert_path(), &self.key_path()) {
                Ok(certified) => {
                    *self.resolver.cert.write() = Some(Arc::new(certified));
                    tracing::info!(
                        "certificat ACME de {} repris de {}",
                        self.domain,
                        self.cache.display()
                    );
                }
                Err(e) => tracing::warn!(
                    "certificat ACME en cache illisible, un nouveau est demandé : {e}"
                ),
            }
        }
        let mut client: Option<AcmeClient> = None;
        loop {
            let left = self
                .resolver
                .cert
                .read()
                .as_ref()
                .map(|c| seconds_until_expiry(c));
            let fresh = left.is_some_and(|s| s > RENEW_BEFORE.as_secs() as i64);
            let wait = if fresh {
                ACME_CHECK
            } else {
                match self.obtain(&mut client).await {
                    Ok(()) => ACME_CHECK,
                    Err(e) => {
                        client = None;
                        tracing::error!(
                            "impossible d'obtenir le certificat HTTPS de {} auprès de {} : {e}. Vérifiez que {} désigne cette machine (DNS) et que le port 80 arrive sur --http-listen ; nouvel essai dans 15 minutes",
                            self.domain,
                            self.directory,
                            self.domain
                        );
                        ACME_RETRY
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn obtain(&self, client: &mut Option<AcmeClient>) -> std::io::Result<()> {
        let client = match client {
            Some(c) => c,
            None => {
                client.insert(AcmeClient::try_new(&self.directory, self.contacts.clone()).await?)
            }
        };
        tracing::info!(
            "demande d'un certificat HTTPS pour {} à {}",
            self.domain,
            self.directory
        );
        let issued = issue_cert(
            client,
            &self.resolver,
            &[self.domain.as_str()],
            ChallengeType::Http01,
            Some(&self.challenges),
        )
        .await?;
        *self.resolver.cert.write() = Some(issued.rustls_key);
        tracing::info!("certificat HTTPS obtenu pour {}", self.domain);
        if let Err(e) = write_private(&self.key_path(), issued.private_pem.as_bytes())
            .and_then(|()| write_private(&self.cert_path(), &issued.public_pem))
        {
            tracing::error!(
                "certificat ACME non gardé dans {} ({e}) : il sera redemandé au prochain démarrage",
                self.cache.display()
            );
        }
        Ok(())
    }
}

/// The `--http-listen` application: answers `GET /.well-known/acme-challenge/<token>`
/// with the pending ACME challenge (404 for an unknown token), and anything else with a
/// 308 redirect to the public URL with the same path and query (never to the `Host`
/// the request named). It serves no page.
pub struct HttpRedirect {
    public_url: String,
    challenges: Option<Http01TokensMap>,
}

impl HttpRedirect {
    /// Redirects to `public_url` (no trailing slash); answers `challenges` if given.
    pub fn new(public_url: &str, challenges: Option<Http01TokensMap>) -> Self {
        HttpRedirect {
            public_url: public_url.trim_end_matches('/').to_string(),
            challenges,
        }
    }
}

impl Endpoint for HttpRedirect {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if let (Some(token), Some(challenges)) = (
            req.uri().path().strip_prefix(CHALLENGE_PREFIX),
            &self.challenges,
        ) {
            return Ok(match challenges.get(token) {
                Some(answer) => Response::builder()
                    .content_type("application/octet-stream")
                    .body(answer),
                None => StatusCode::NOT_FOUND.into_response(),
            });
        }
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| p.starts_with('/'))
            .unwrap_or("/");
        Ok(Response::builder()
            .status(StatusCode::PERMANENT_REDIRECT)
            .header(header::LOCATION, format!("{}{target}", self.public_url))
            .header(header::CACHE_CONTROL, "no-store")
            .finish())
    }
}

/// A TLS client for `livret healthcheck`: it asks the service on this very machine
/// whether it answers, so it accepts any certificate (a self-signed one, one for
/// another name, an expired one: the service is alive all the same). Never used for
/// anything else.
pub fn healthcheck_client() -> Option<rustls::ClientConnection> {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").ok()?).ok()
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn certificate_names_match_exactly_or_one_wildcard_label() {
        assert!(name_matches("livret.lycee.fr", "livret.lycee.fr"));
        assert!(!name_matches("livret.lycee.fr", "autre.lycee.fr"));
        assert!(name_matches("*.lycee.fr", "livret.lycee.fr"));
        assert!(!name_matches("*.lycee.fr", "a.livret.lycee.fr"));
        assert!(!name_matches("*.lycee.fr", "lycee.fr"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Operations, ProxyRange};

    fn config(public_url: &str, tls: Option<TlsSource>, http: Option<&str>) -> Config {
        Config {
            data: "/nonexistent".into(),
            listen: "0.0.0.0:443".parse().unwrap(),
            public_url: public_url.into(),
            time_zone: "Europe/Paris".into(),
            max_body_bytes: 1024,
            cache_bytes: 1024,
            smtp_url: None,
            mail_from: None,
            ops: Operations {
                tls,
                http_listen: http.map(|h| h.parse().unwrap()),
                ..Operations::default()
            },
        }
    }

    fn acme(domain: &str) -> Option<TlsSource> {
        Some(TlsSource::Acme {
            domain: domain.into(),
            email: Some("it@lycee.example".into()),
            directory: crate::config::LETS_ENCRYPT.into(),
        })
    }

    fn files() -> Option<TlsSource> {
        Some(TlsSource::Files {
            cert: "c.pem".into(),
            key: "k.pem".into(),
        })
    }

    #[test]
    fn tls_needs_an_https_public_url() {
        let err = check(&config("http://livret.lycee.example", files(), None)).unwrap_err();
        assert!(err.contains("https://"), "{err}");
        assert!(err.contains("--public-url"), "{err}");
        assert!(
            check(&config("https://livret.lycee.example", files(), None))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn acme_needs_its_domain_as_public_host_and_port_80() {
        let ok = config(
            "https://livret.lycee.example",
            acme("Livret.Lycee.Example."),
            Some("0.0.0.0:80"),
        );
        assert!(check(&ok).unwrap().is_empty());
        let other = config(
            "https://autre.lycee.example",
            acme("livret.lycee.example"),
            Some("0.0.0.0:80"),
        );
        let err = check(&other).unwrap_err();
        assert!(err.contains("https://livret.lycee.example"), "{err}");
        let no_http = config(
            "https://livret.lycee.example",
            acme("livret.lycee.example"),
            None,
        );
        let err = check(&no_http).unwrap_err();
        assert!(err.contains("--http-listen 0.0.0.0:80"), "{err}");
        assert!(err.contains("port 80"), "{err}");
        let mut bad_dir = ok.clone();
        bad_dir.ops.tls = Some(TlsSource::Acme {
            domain: "livret.lycee.example".into(),
            email: None,
            directory: "letsencrypt".into(),
        });
        assert!(check(&bad_dir).unwrap_err().contains("--acme-directory"));
    }

    #[test]
    fn the_redirect_listener_needs_https_and_its_own_address() {
        let err = check(&config(
            "http://livret.lycee.example",
            None,
            Some("0.0.0.0:80"),
        ))
        .unwrap_err();
        assert!(err.contains("--http-listen"), "{err}");
        let err = check(&config(
            "https://livret.lycee.example",
            files(),
            Some("0.0.0.0:443"),
        ))
        .unwrap_err();
        assert!(err.contains("même adresse"), "{err}");
    }

    #[test]
    fn https_over_plain_http_without_a_proxy_warns() {
        let plain = config("https://livret.lycee.example", None, None);
        let warnings = check(&plain).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("--trust-proxy"), "{warnings:?}");
        let mut proxied = plain.clone();
        proxied.ops.trust_proxy = vec![ProxyRange::parse("10.0.0.1").unwrap()];
        assert!(check(&proxied).unwrap().is_empty());
        proxied.ops.trust_proxy = vec![ProxyRange::parse("0.0.0.0/0").unwrap()];
        assert!(check(&proxied).unwrap()[0].contains("toutes les adresses"));
        // Plain HTTP announced as such: nothing to say.
        assert!(
            check(&config("http://localhost:8080", None, None))
                .unwrap()
                .is_empty()
        );
    }
}
