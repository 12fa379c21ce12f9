//! One configuration, from command-line flags and `LIVRET_*` environment variables.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Everything `livret serve` needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    /// Data directory (sled store). Flag `--data`, variable `LIVRET_DATA`, default
    /// `./livret-data`.
    pub data: PathBuf,
    /// Address to listen on. Flag `--listen`, variable `LIVRET_LISTEN`, default
    /// `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Address people use to reach the service, without trailing slash, for example
    /// `https://livret.lycee-exemple.fr`. Flag `--public-url`, variable
    /// `LIVRET_PUBLIC_URL`; default `http://<listen>`. Printed links start with it;
    /// when it is `https`, cookies are marked `Secure`.
    pub public_url: String,
    /// IANA time zone of the school, which decides what "today" is. Flag
    /// `--time-zone`, variable `LIVRET_TIME_ZONE`, default `Europe/Paris`.
    pub time_zone: String,
    /// Largest accepted request body, in bytes (larger ones get 413). Default 64 KiB.
    pub max_body_bytes: usize,
    /// sled page cache, in bytes. Default 64 MiB.
    pub cache_bytes: u64,
    /// SMTP server that sends e-mails, for example `smtps://user:password@smtp.example.org`
    /// or `smtp://127.0.0.1:2525`. Variable `LIVRET_SMTP_URL` only (no flag: a password
    /// on the command line shows in `ps`). Without it, e-mails go to the outbox.
    pub smtp_url: Option<SmtpUrl>,
    /// Sender of e-mails, for example `Lycée Jules-Verne <livret@lycee.example>`. Flag
    /// `--mail-from`, variable `LIVRET_MAIL_FROM`; required with `smtp_url`.
    pub mail_from: Option<String>,
    /// How the service is run on a server: HTTPS, proxy, backups, readiness (issue 9).
    pub ops: Operations,
}

/// Settings for running a school's instance (issue 9). The default is what tests and
/// a trial on one's own computer need: plain HTTP, no proxy, no nightly backup.
#[derive(Clone, Debug, Default)]
pub struct Operations {
    /// HTTPS served by Livret itself, if any.
    pub tls: Option<TlsSource>,
    /// Plain-HTTP address that only redirects to the public URL (and answers ACME
    /// HTTP-01 challenges), usually `0.0.0.0:80`. Flag `--http-listen`, variable
    /// `LIVRET_HTTP_LISTEN`.
    pub http_listen: Option<SocketAddr>,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    /// Flag `--trust-proxy` (addresses or CIDR ranges, comma-separated), variable
    /// `LIVRET_TRUST_PROXY`. Empty: those headers are ignored.
    pub trust_proxy: Vec<ProxyRange>,
    /// Directory of the nightly backups, if any. Flag `--backup-dir`, variable
    /// `LIVRET_BACKUP_DIR`.
    pub backup_dir: Option<PathBuf>,
    /// Nightly backups kept. Flag `--backup-keep`, variable `LIVRET_BACKUP_KEEP`.
    pub backup_keep: usize,
    /// Free space below which `/readyz` says not ready, in bytes. Flag
    /// `--min-free-mb`, variable `LIVRET_MIN_FREE_MB` (default 200 MB).
    pub min_free_bytes: u64,
}

/// Where the HTTPS certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM files (`--tls-cert`, `--tls-key`), read again on SIGHUP or when they change.
    Files {
        /// Certificate chain, PEM.
        cert: PathBuf,
        /// Private key, PEM.
        key: PathBuf,
    },
    /// Certificates obtained and renewed with ACME (RFC 8555), Let's Encrypt by
    /// default (`--acme-domain`, `--acme-email`, `--acme-directory`).
    Acme {
        /// The domain to certify (the public URL's host).
        domain: String,
        /// Contact e-mail given to the certificate authority.
        email: Option<String>,
        /// The ACME directory URL.
        directory: String,
    },
}

/// Let's Encrypt's production ACME directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// An address range of trusted proxies: an address and a prefix length (`10.0.0.0/8`,
/// `192.168.1.5` = `/32`, `::1` = `/128`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyRange {
    /// First address of the range.
    pub addr: IpAddr,
    /// Prefix length in bits.
    pub prefix: u8,
}

impl ProxyRange {
    /// Parses `10.0.0.0/8`, `192.168.1.5`, `::1`, `fd00::/8`.
    ///
    /// # Errors
    /// A French message naming the value.
    pub fn parse(value: &str) -> Result<ProxyRange, String> {
        let bad = || {
            format!(
                "« {value} » n'est pas une adresse de proxy : écrivez une adresse IP (127.0.0.1) ou une plage (10.0.0.0/8)"
            )
        };
        let (addr, prefix) = match value.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (value.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(ProxyRange { addr, prefix })
    }

    /// Parses a comma-separated list; empty items are skipped.
    ///
    /// # Errors
    /// The first bad item's message.
    pub fn parse_list(value: &str) -> Result<Vec<ProxyRange>, String> {
        value
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .map(ProxyRange::parse)
            .collect()
    }

    /// True when `ip` is in the range (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An SMTP connection URL. It may hold a password, so its `Debug` form shows only the
/// scheme, host and port, and Livret never logs it whole.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    /// Wraps a URL as given (checked when the service starts, see `mail::Mailer`).
    pub fn new(url: impl Into<String>) -> Self {
        SmtpUrl(url.into())
    }

    /// The whole URL, password included: only for building the SMTP transport.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `scheme://host:port` without user or password, for logs and messages; `None`
    /// when the URL cannot be read.
    pub fn server(&self) -> Option<String> {
        // The parser lettre itself uses, so both read the URL the same way.
        let url = url::Url::parse(&self.0).ok()?;
        let host = url.host_str().filter(|h| !h.is_empty())?;
        let scheme = url.scheme();
        Some(match url.port() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        })
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let server = self.server().unwrap_or_else(|| "?".into());
        write!(f, "SmtpUrl({server}, mot de passe masqué)")
    }
}

/// `http://localhost:<port>` for a loopback or unspecified listen address (127.0.0.1,
/// ::1, 0.0.0.0, ::), else `http://<listen>`. Passkeys need a domain, not an IP
/// address (issue 7), so the second form is refused at start
/// ([`crate::passkey::relying_party`]) and a server listening on its network address
/// must be given `--public-url`.
pub fn default_public_url(listen: SocketAddr) -> String {
    if listen.ip().is_unspecified() || listen.ip().is_loopback() {
        format!("http://localhost:{}", listen.port())
    } else {
        format!("http://{listen}")
    }
}

/// Checks a public URL: `http` or `https`, a host, no path, query or fragment (Livret
/// serves from the root of its address). Returns it without trailing slash.
///
/// # Errors
/// A French message saying what is expected.
pub fn check_public_url(url: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "adresse publique « {url} » invalide : écrivez-la comme https://livret.mon-lycee.fr (http ou https, sans chemin ; Livret est servi à la racine de son adresse)"
        )
    };
    let uri: poem::http::Uri = url.parse().map_err(|_| bad())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    let path_ok = matches!(uri.path(), "" | "/") && uri.query().is_none() && !url.contains('#');
    if scheme_ok && host_ok && path_ok {
        Ok(url.trim_end_matches('/').to_string())
    } else {
        Err(bad())
    }
}

impl Config {
    /// True when the public URL is HTTPS (cookies then get `Secure` and `__Host-`).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_http_or_https_roots() {
        assert_eq!(
            check_public_url("https://livret.lycee.fr/").unwrap(),
            "https://livret.lycee.fr"
        );
        assert_eq!(
            check_public_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "livret.lycee.fr",
            "ftp://x",
            "https://x/livret",
            "https://x/?a=1",
            "https://",
        ] {
            assert!(check_public_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            default_public_url("0.0.0.0:8080".parse().unwrap()),
            "http://localhost:8080"
        );
        assert_eq!(
            default_public_url("127.0.0.1:8080".parse().unwrap()),
            "http://localhost:8080"
        );
        assert_eq!(
            default_public_url("[::1]:8080".parse().unwrap()),
            "http://localhost:8080"
        );
        assert_eq!(
            default_public_url("192.168.1.10:8080".parse().unwrap()),
            "http://192.168.1.10:8080"
        );
    }

    #[test]
    fn proxy_ranges_parse_and_match() {
        let r = ProxyRange::parse("10.0.0.0/8").unwrap();
        assert!(r.contains("10.1.2.3".parse().unwrap()));
        assert!(r.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!r.contains("11.0.0.1".parse().unwrap()));
        let one = ProxyRange::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let v6 = ProxyRange::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("fe80::1".parse().unwrap()));
        let all = ProxyRange::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert_eq!(ProxyRange::parse_list("127.0.0.1, ::1,").unwrap().len(), 2);
        assert!(ProxyRange::parse("10.0.0.0/33").is_err());
        assert!(
            ProxyRange::parse("proxy.lan")
                .unwrap_err()
                .contains("proxy")
        );
    }

    #[test]
    fn listen_accepts_host_names_and_says_what_is_wrong_in_french() {
        assert_eq!(
            crate::cli::parse_listen("127.0.0.1:8080").unwrap().port(),
            8080
        );
        assert!(crate::cli::parse_listen("localhost:8081").is_ok());
        assert!(
            crate::cli::parse_listen("pas une adresse")
                .unwrap_err()
                .contains("adresse d'écoute")
        );
    }
}
