//! The command line: `livret serve [--data DIR] [--listen ADDR] [--demo]`.

use crate::config::Config;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Livret : suivi des PFMP et évaluation par compétences.
#[derive(Parser, Debug)]
#[command(name = "livret", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Format des journaux sur la sortie d'erreur : text (lisible) ou json (un objet
    /// JSON par ligne, pour un collecteur de journaux).
    #[arg(
        long,
        global = true,
        env = "LIVRET_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    pub log_format: crate::ops::LogFormat,
}

/// Sub-commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lance le service web.
    Serve(ServeArgs),
    /// Tâches d'administration, service arrêté (la base ne s'ouvre que dans un processus à la fois).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Fait une sauvegarde cohérente, compressée et vérifiable de la base, service en
    /// marche ou non (en marche, c'est le service qui la lit, par son point de contrôle
    /// livret.sock : lancez la commande avec le même utilisateur que lui).
    Backup(BackupArgs),
    /// Restaure une sauvegarde dans un répertoire de données, service arrêté : vérifie
    /// la somme de contrôle et la version du schéma, refuse d'écraser des données sans
    /// --force (elles sont alors mises de côté, jamais effacées).
    Restore(RestoreArgs),
    /// Vérifie que le service local répond sur /healthz (code de sortie 0 si oui) ;
    /// sert au HEALTHCHECK de l'image Docker, qui n'a ni curl ni shell.
    Healthcheck(HealthcheckArgs),
}

/// `livret admin …` sub-commands.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Affiche un nouveau lien d'installation (base vide seulement ; valable 1 heure).
    SetupLink(ServeArgs),
    /// Affiche une invitation (à usage unique, 7 jours) pour chaque compte de coordination
    /// actif, pour reprendre la main quand plus personne ne peut se connecter (clé
    /// d'accès perdue) : elle ouvre une session puis propose de créer une clé d'accès.
    SignInLink(ServeArgs),
    /// Remplace la clé VAPID des notifications et affiche la nouvelle clé publique ;
    /// les appareils abonnés avec l'ancienne doivent se réabonner.
    RotateVapid(ServeArgs),
}

/// Options of `livret backup`.
#[derive(Parser, Debug, Clone)]
pub struct BackupArgs {
    /// Répertoire des données (base sled).
    #[arg(long, env = "LIVRET_DATA", default_value = "./livret-data")]
    pub data: PathBuf,
    /// Fichier de sauvegarde à écrire (remplacé s'il existe).
    #[arg(long)]
    pub to: PathBuf,
    /// Fuseau horaire de l'établissement.
    #[arg(long, env = "LIVRET_TIME_ZONE", default_value = "Europe/Paris")]
    pub time_zone: String,
}

/// Options of `livret restore`.
#[derive(Parser, Debug, Clone)]
pub struct RestoreArgs {
    /// Fichier de sauvegarde à restaurer.
    #[arg(long)]
    pub from: PathBuf,
    /// Répertoire des données à remplir.
    #[arg(long, env = "LIVRET_DATA")]
    pub data: PathBuf,
    /// Remplace des données existantes (mises de côté dans
    /// <données>/avant-restauration-<date>, jamais effacées).
    #[arg(long)]
    pub force: bool,
}

/// Options of `livret healthcheck`.
#[derive(Parser, Debug, Clone)]
pub struct HealthcheckArgs {
    /// Adresse d'écoute du service (0.0.0.0 est interrogé sur 127.0.0.1).
    #[arg(long, env = "LIVRET_LISTEN", default_value = "127.0.0.1:8080", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// Le service sert HTTPS lui-même (certificat ou ACME) : interroge /healthz en TLS.
    /// Par défaut, vrai quand LIVRET_TLS_CERT ou LIVRET_ACME_DOMAIN est défini.
    #[arg(long)]
    pub tls: bool,
}

impl HealthcheckArgs {
    /// True when the service serves TLS itself: `--tls`, or the same environment the
    /// service reads (`LIVRET_TLS_CERT`, `LIVRET_ACME_DOMAIN`), as in the Docker image.
    pub fn uses_tls(&self) -> bool {
        let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
        self.tls || set("LIVRET_TLS_CERT") || set("LIVRET_ACME_DOMAIN")
    }

    /// Asks `GET /healthz` of the local service; true on a 200 answer within 3 s. Over
    /// TLS the certificate is not checked: this asks the service on this very machine
    /// whether it is alive, not who it is.
    pub fn check(&self) -> bool {
        use std::io::{Read, Write};
        let mut addr = self.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let timeout = std::time::Duration::from_secs(3);
        let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, timeout) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(timeout));
        let _ = stream.set_write_timeout(Some(timeout));
        let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        let mut head = [0u8; 12];
        if self.uses_tls() {
            let Some(mut conn) = crate::tls::healthcheck_client() else {
                return false;
            };
            let mut tls = rustls::Stream::new(&mut conn, &mut stream);
            tls.write_all(request).is_ok()
                && tls.read_exact(&mut head).is_ok()
                && head.starts_with(b"HTTP/1.1 200")
        } else {
            stream.write_all(request).is_ok()
                && stream.read_exact(&mut head).is_ok()
                && head.starts_with(b"HTTP/1.1 200")
        }
    }
}

/// Options of `livret serve`.
#[derive(Parser, Debug, Clone)]
pub struct ServeArgs {
    /// Répertoire des données (base sled).
    #[arg(long, env = "LIVRET_DATA", default_value = "./livret-data")]
    pub data: PathBuf,
    /// Adresse d'écoute (ex. 127.0.0.1:8080, localhost:8080, 0.0.0.0:8080).
    #[arg(long, env = "LIVRET_LISTEN", default_value = "127.0.0.1:8080", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// Adresse publique du service (ex. `https://livret.lycee.fr`) ; par défaut `http://<listen>`.
    #[arg(long, env = "LIVRET_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Fuseau horaire de l'établissement.
    #[arg(long, env = "LIVRET_TIME_ZONE", default_value = "Europe/Paris")]
    pub time_zone: String,
    /// Remplit une base vide avec l'établissement de démonstration et affiche un lien de
    /// connexion par personne (de nouveaux liens à chaque lancement).
    #[arg(long, env = "LIVRET_DEMO")]
    pub demo: bool,
    /// Expéditeur des courriels (ex. « Lycée Jules-Verne <livret@lycee.example> ») ;
    /// obligatoire avec LIVRET_SMTP_URL (variable d'environnement seulement : elle peut
    /// contenir un mot de passe).
    #[arg(long, env = "LIVRET_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Certificat HTTPS (PEM, chaîne complète) ; relu sur SIGHUP ou quand le fichier change.
    #[arg(long, env = "LIVRET_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Clé privée du certificat HTTPS (PEM).
    #[arg(long, env = "LIVRET_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Obtient et renouvelle le certificat HTTPS de ce domaine avec ACME (Let's Encrypt
    /// par défaut) ; le port 80 doit joindre --http-listen.
    #[arg(long, env = "LIVRET_ACME_DOMAIN", conflicts_with = "tls_cert")]
    pub acme_domain: Option<String>,
    /// Adresse de contact donnée à l'autorité de certification.
    #[arg(long, env = "LIVRET_ACME_EMAIL")]
    pub acme_email: Option<String>,
    /// Annuaire ACME (autre autorité que Let's Encrypt, ou son environnement de test).
    #[arg(long, env = "LIVRET_ACME_DIRECTORY", default_value = crate::config::LETS_ENCRYPT)]
    pub acme_directory: String,
    /// Adresse HTTP (souvent 0.0.0.0:80) qui ne fait que rediriger vers HTTPS et répondre
    /// aux défis ACME.
    #[arg(long, env = "LIVRET_HTTP_LISTEN", value_parser = parse_listen)]
    pub http_listen: Option<SocketAddr>,
    /// Proxys de confiance (adresses ou plages, séparées par des virgules) : leurs
    /// en-têtes X-Forwarded-For et X-Forwarded-Proto sont crus, ceux des autres ignorés.
    #[arg(long, env = "LIVRET_TRUST_PROXY", value_parser = parse_proxies)]
    pub trust_proxy: Option<ProxyList>,
    /// Répertoire des sauvegardes automatiques (une chaque nuit à 2 h 30).
    #[arg(long, env = "LIVRET_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Nombre de sauvegardes automatiques gardées.
    #[arg(long, env = "LIVRET_BACKUP_KEEP", default_value_t = crate::backup::KEEP_DEFAULT)]
    pub backup_keep: usize,
    /// Espace disque libre minimal (Mo) pour que /readyz réponde « prêt ».
    #[arg(long, env = "LIVRET_MIN_FREE_MB", default_value_t = 200)]
    pub min_free_mb: u64,
}

/// The value of `--trust-proxy`: addresses and ranges.
#[derive(Clone, Debug)]
pub struct ProxyList(pub Vec<crate::config::ProxyRange>);

/// Parses `--trust-proxy` (see [`crate::config::ProxyRange::parse_list`]).
///
/// # Errors
/// The first bad item's French message.
pub fn parse_proxies(value: &str) -> Result<ProxyList, String> {
    crate::config::ProxyRange::parse_list(value).map(ProxyList)
}

/// Parses `--listen`: an IP address and port, or a host name (`localhost:8080`).
///
/// # Errors
/// A French message when the value names no address.
pub fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    value
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            format!("« {value} » n'est pas une adresse d'écoute : écrivez par exemple 127.0.0.1:8080, localhost:8080 ou 0.0.0.0:8080")
        })
}

impl ServeArgs {
    /// What becomes of the public address when `--public-url` (or `LIVRET_PUBLIC_URL`)
    /// is not given: it is derived from `--listen` ([`crate::config::default_public_url`]).
    /// Returns `Ok(None)` when that is fine (a public URL given, or a loopback listen
    /// address), `Ok(Some(warning))` for an unspecified address (`0.0.0.0`, `::`: Livret
    /// answers on the network, but its links and passkeys use `http://localhost:PORT`),
    /// and the reason to refuse to start for any other IP address (passkeys need a
    /// domain, issue 7).
    ///
    /// # Errors
    /// A French message naming `--listen` as the source and saying what to give.
    pub fn check_derived_public_url(&self) -> Result<Option<String>, String> {
        if self.public_url.is_some() {
            return Ok(None);
        }
        let derived = crate::config::default_public_url(self.listen);
        let port = self.listen.port();
        if self.listen.ip().is_loopback() {
            Ok(None)
        } else if self.listen.ip().is_unspecified() {
            Ok(Some(format!(
                "Livret écoute sur {} (toutes les adresses de cette machine) mais, sans --public-url, ses liens et ses clés d'accès utilisent {derived} : ils ne marchent que sur cette machine. Pour les autres postes, donnez --public-url https://<nom de domaine> (ou LIVRET_PUBLIC_URL).",
                self.listen
            )))
        } else {
            Err(format!(
                "sans --public-url, l'adresse publique serait {derived}, tirée de --listen {} : une adresse IP, or les clés d'accès (WebAuthn) exigent un nom de domaine. Donnez --public-url https://<nom de domaine> (ou LIVRET_PUBLIC_URL), le nom par lequel les navigateurs joignent Livret ; pour essayer Livret sur ce poste, écoutez sur 127.0.0.1:{port} (adresse http://localhost:{port}).",
                self.listen
            ))
        }
    }

    /// The configuration these options describe. Without `--public-url`, the public
    /// address is `http://<listen>` (`localhost` for an unspecified address).
    pub fn config(&self) -> Config {
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| crate::config::default_public_url(self.listen))
            .trim_end_matches('/')
            .to_string();
        Config {
            data: self.data.clone(),
            listen: self.listen,
            public_url,
            time_zone: self.time_zone.clone(),
            max_body_bytes: 64 * 1024,
            cache_bytes: 64 * 1024 * 1024,
            // From the environment only: a password on the command line shows in `ps`.
            smtp_url: std::env::var("LIVRET_SMTP_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .map(crate::config::SmtpUrl::new),
            mail_from: self.mail_from.clone().filter(|f| !f.trim().is_empty()),
            ops: crate::config::Operations {
                tls: match (&self.tls_cert, &self.tls_key, &self.acme_domain) {
                    (Some(cert), Some(key), _) => Some(crate::config::TlsSource::Files {
                        cert: cert.clone(),
                        key: key.clone(),
                    }),
                    (_, _, Some(domain)) => Some(crate::config::TlsSource::Acme {
                        domain: domain.trim().to_string(),
                        email: self.acme_email.clone().filter(|e| !e.trim().is_empty()),
                        directory: self.acme_directory.clone(),
                    }),
                    _ => None,
                },
                http_listen: self.http_listen,
                trust_proxy: self.trust_proxy.clone().map(|l| l.0).unwrap_or_default(),
                backup_dir: self.backup_dir.clone(),
                backup_keep: self.backup_keep,
                min_free_bytes: self.min_free_mb.saturating_mul(1_000_000),
            },
        }
    }
}
