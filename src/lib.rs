//! Livret: a self-hosted, mobile-first web app that follows students' workplace
//! training periods (PFMP) and assesses them by competencies. One binary: web server
//! (poem), pages (maud), embedded assets (rust-embed) and store (sled).
//!
//! See `DESIGN.md` for roles, glossary and layout; [`serve`] is the entry point.

pub mod auth;
pub mod backup;
pub mod certificate;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod mail;
pub mod notify;
pub mod ops;
pub mod passkey;
pub mod push;
pub mod referential;
pub mod store;
pub mod tls;
pub mod web;

pub use error::{Error, Result};

use clock::Clock;
use config::Config;
use std::sync::Arc;
use store::{Store, StoreError};

/// Opens the store in `config.data` (creating the directory), stores the shipped
/// referentials it lacks, makes the VAPID key pair at first start, starts the push
/// sender's background task, and returns the application state.
///
/// # Errors
/// The directory cannot be created, the store is locked by another Livret, was
/// written by a newer Livret, or a shipped referential is malformed; the e-mail
/// settings are wrong (unreadable `LIVRET_SMTP_URL`, no or bad `LIVRET_MAIL_FROM`);
/// the public URL's host is an IP address (passkeys need a domain).
pub async fn open(config: Config, clock: Clock) -> Result<web::State> {
    // Checked first, so a bad e-mail setting changes nothing on disk. Never log the
    // SMTP URL itself: it may hold a password.
    let mailer = mail::Mailer::from_config(&config).map_err(Error::Startup)?;
    if let Some(m) = &mailer {
        tracing::info!(server = %m.server(), "courriels envoyés par SMTP");
    }
    // Passkeys need a domain: refuse an IP-address public URL before touching the data.
    let webauthn = passkey::relying_party(&config.public_url).map_err(Error::Startup)?;
    let created = !config.data.exists();
    std::fs::create_dir_all(&config.data).map_err(|e| {
        Error::Startup(format!(
            "impossible de créer le répertoire de données {} ({})",
            config.data.display(),
            e.kind()
        ))
    })?;
    #[cfg(unix)]
    if created {
        // Every student's record lives there: the service's user only, whatever the
        // umask of a manual start.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&config.data, std::fs::Permissions::from_mode(0o700));
    }
    let store = Store::open(&config.data, config.cache_bytes).map_err(|e| match e {
        StoreError::Sled(sled::Error::Io(io))
            if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
        {
            Error::Startup(format!(
                "le répertoire de données {} est déjà utilisé par un autre Livret en marche : arrêtez-le d'abord",
                config.data.display()
            ))
        }
        e @ StoreError::NewerSchema { .. } => Error::Startup(e.to_string()),
        other => Error::Store(other),
    })?;
    let shipped = referential::shipped().map_err(Error::Internal)?;
    store.ensure_referentials(&shipped).await?;
    push::ensure_vapid_keys(&store, &clock).await?;
    let push = push::Push::start(
        store.clone(),
        clock.clone(),
        push::PushConfig::from_config(&config),
    )?;
    Ok(Arc::new(web::AppState {
        store,
        clock,
        config,
        limits: auth::rate_limit::SignInLimits::default(),
        mailer: mailer.map(Arc::new),
        push,
        webauthn: Arc::new(webauthn),
    }))
}

/// `livret serve`: checks the options, binds the address (before touching the data,
/// so a taken port changes nothing on disk), opens the store, fills the demo school
/// when asked and prints the demo sign-in links, then serves HTTP, or HTTPS with a
/// certificate from files or ACME ([`tls`]), until Ctrl-C or SIGTERM.
///
/// # Errors
/// [`Error::Startup`] for a bad public URL or time zone, TLS settings that disagree with
/// the public URL, an unreadable or mismatched certificate or key, a taken port, a data
/// directory in use or written by a newer Livret; store failures.
pub async fn serve(mut config: Config, demo: bool) -> Result<()> {
    config.public_url = config::check_public_url(&config.public_url).map_err(Error::Startup)?;
    let clock = Clock::system(&config.time_zone).map_err(|_| {
        Error::Startup(format!(
            "fuseau horaire « {} » inconnu : donnez un nom IANA comme Europe/Paris ou America/Cayenne",
            config.time_zone
        ))
    })?;
    // HTTPS (issue 9): the settings must agree with the public URL, and certificate
    // files are read and checked now, before anything is bound or written.
    for warning in tls::check(&config).map_err(Error::Startup)? {
        tracing::warn!("{warning}");
    }
    let https = tls::Https::prepare(&config).map_err(Error::Startup)?;
    let acceptor = {
        use poem::listener::{AcceptorExt, Listener, TcpListener};
        match &https {
            Some(h) => h
                .listener(config.listen)
                .into_acceptor()
                .await
                .map(|a| a.boxed()),
            None => TcpListener::bind(config.listen)
                .into_acceptor()
                .await
                .map(|a| a.boxed()),
        }
        .map_err(|e| Error::Startup(bind_failure("--listen", config.listen, &e)))?
    };
    let redirect_acceptor = match config.ops.http_listen {
        Some(addr) => Some(
            poem::listener::Listener::into_acceptor(poem::listener::TcpListener::bind(addr))
                .await
                .map_err(|e| Error::Startup(bind_failure("--http-listen", addr, &e)))?,
        ),
        None => None,
    };
    let bound: Option<std::net::SocketAddr> = poem::listener::Acceptor::local_addr(&acceptor)
        .first()
        .and_then(|a| a.as_socket_addr().copied());
    if let Some(addr) = bound
        && config.listen.port() == 0
        && config.public_url == config::default_public_url(config.listen)
    {
        config.public_url = config::default_public_url(addr);
    }
    let state = open(config.clone(), clock).await?;
    // The triggers' timed work (issue 6): grouped pushes, end-of-placement reminders,
    // daily digests. Only for the running service (not the admin commands, and tests
    // drive `notify::tick` with their clock).
    let ticker = notify::start(state.clone());
    // Nightly backups (issue 9), only when a directory is given.
    let nightly = match &config.ops.backup_dir {
        Some(dir) => {
            tracing::info!(
                dir = %dir.display(),
                keep = config.ops.backup_keep,
                "sauvegardes automatiques chaque nuit à 2 h 30"
            );
            Some(backup::start_nightly(
                state.store.clone(),
                state.clock.clone(),
                dir.clone(),
                config.ops.backup_keep,
            ))
        }
        None => {
            tracing::warn!(
                "aucune sauvegarde automatique : donnez --backup-dir (ou LIVRET_BACKUP_DIR), de préférence sur un autre disque"
            );
            None
        }
    };
    // `livret backup` asks the running service through this socket (issue 9).
    #[cfg(unix)]
    let control = match backup::start_socket(state.store.clone(), state.clock.clone(), &config.data)
    {
        Ok(task) => Some(task),
        Err(e) => {
            // Not fatal: nightly backups still run; only `livret backup` cannot ask.
            tracing::error!("{e} : la commande livret backup ne pourra pas joindre le service");
            None
        }
    };
    if demo {
        for line in demo::prepare(&state).await? {
            println!("{line}");
        }
    } else if let Some(secret) = auth::issue_setup_link(&state.store, &state.clock).await? {
        println!("{}", setup_line(&config.public_url, &secret));
    }
    // Keeps the certificate fresh (files read again on SIGHUP or change; ACME), and
    // the plain-HTTP listener that only redirects and answers ACME challenges.
    let certificates = match &https {
        Some(h) => Some(h.start(&config.data).map_err(Error::Startup)?),
        None => tls::ignore_hangup("pas de --tls-cert"),
    };
    let redirect = redirect_acceptor.map(|a| {
        tracing::info!(
            "redirection HTTP vers {} sur {}",
            config.public_url,
            config
                .ops
                .http_listen
                .map_or_else(String::new, |h| h.to_string())
        );
        let challenges = https.as_ref().and_then(tls::Https::challenges);
        let app = tls::HttpRedirect::new(&config.public_url, challenges);
        tokio::spawn(async move {
            if let Err(e) = poem::Server::new_with_acceptor(a).run(app).await {
                tracing::error!("la redirection HTTP s'est arrêtée : {e}");
            }
        })
    });
    let app = web::routes::routes(state.clone());
    tracing::info!(
        "Livret écoute sur {} ({}) ; adresse publique {} ; données dans {}",
        bound.map_or_else(|| config.listen.to_string(), |a| a.to_string()),
        if https.is_some() { "HTTPS" } else { "HTTP" },
        config.public_url,
        config.data.display()
    );
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            app,
            shutdown_signal(),
            Some(std::time::Duration::from_secs(10)),
        )
        .await
        .map_err(|e| Error::Internal(format!("le serveur s'est arrêté sur une erreur : {e}")))?;
    ticker.abort();
    for task in [certificates, redirect].into_iter().flatten() {
        task.abort();
    }
    if let Some(nightly) = nightly {
        nightly.abort();
    }
    #[cfg(unix)]
    {
        if let Some(task) = control {
            task.abort();
        }
        let _ = std::fs::remove_file(config.data.join(backup::SOCKET_NAME));
    }
    state.push.shutdown(std::time::Duration::from_secs(5)).await;
    state.store.flush().await?;
    Ok(())
}

/// Why `listen` could not be bound, in French, from the error's kind: the port taken,
/// an address this machine does not have, a port below 1024 without the right.
fn bind_failure(flag: &str, listen: std::net::SocketAddr, e: &std::io::Error) -> String {
    let port = listen.port();
    match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "impossible d'écouter sur {listen} : le port {port} est déjà pris (un autre Livret, ou un autre service, l'utilise). Arrêtez-le, ou choisissez un autre port avec {flag}."
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "impossible d'écouter sur {listen} : cette machine n'a pas l'adresse {} ({flag}). Donnez une adresse de cette machine, 127.0.0.1:{port} pour elle seule, ou 0.0.0.0:{port} pour toutes.",
            listen.ip()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "impossible d'écouter sur {listen} ({flag}) : permission refusée. Les ports inférieurs à 1024 (80, 443) demandent la capacité CAP_NET_BIND_SERVICE : AmbientCapabilities=CAP_NET_BIND_SERVICE dans le service systemd, ou « setcap cap_net_bind_service=+ep » sur le binaire. Sinon, choisissez un port à partir de 1024, par exemple 8443, derrière un proxy HTTPS."
        ),
        _ => format!("impossible d'écouter sur {listen} ({flag}) : {e}"),
    }
}

fn setup_line(public_url: &str, secret: &str) -> String {
    format!(
        "installation: {public_url}/installation/{secret}\n  (lien à usage unique, valable 1 heure : il crée l'établissement et le premier compte de coordination)"
    )
}

/// `livret admin setup-link`: prints a new first-start link for an empty store (the
/// previous one stops working).
///
/// # Errors
/// [`Error::Startup`] when the store already holds a school or is in use by a running
/// Livret; store failures.
pub async fn admin_setup_link(config: Config) -> Result<String> {
    let state = open_for_admin(config).await?;
    match auth::issue_setup_link(&state.store, &state.clock).await? {
        Some(secret) => Ok(setup_line(&state.config.public_url, &secret)),
        None => Err(Error::Startup(
            "l'établissement est déjà créé : le lien d'installation ne sert plus. Pour reprendre la main, utilisez « livret admin sign-in-link ».".into(),
        )),
    }
}

/// `livret admin sign-in-link` (break-glass, issue 7): prints a single-use,
/// [`auth::INVITATION_DAYS`]-day invitation for every active coordinator (one line each:
/// `coordination <name>: <url>`, then one indented line saying what the links do),
/// replacing their previous invitation. An invitation opens a session and leads to
/// creating a passkey; it revokes nothing: the coordinator's passkeys keep working
/// until they remove them.
///
/// # Errors
/// [`Error::Startup`] when there is no active coordinator or the store is in use by a
/// running Livret; store failures.
pub async fn admin_sign_in_link(config: Config) -> Result<Vec<String>> {
    let state = open_for_admin(config).await?;
    let mut lines = Vec::new();
    for c in state.store.coordinators()?.into_iter().filter(|c| c.active) {
        let secret = auth::issue_invitation(
            &state.store,
            &state.clock,
            domain::Subject::Coordinator(c.id),
        )
        .await?;
        lines.push(format!(
            "coordination {}: {}/acces/{secret}",
            c.name.full(),
            state.config.public_url
        ));
    }
    if lines.is_empty() {
        return Err(Error::Startup(
            "aucun compte de coordination actif : sur une base vide, utilisez « livret admin setup-link ».".into(),
        ));
    }
    lines.push(format!(
        "  (invitations à usage unique, valables {} jours : chacune ouvre une session puis propose de créer une clé d'accès ; les clés d'accès déjà enregistrées restent valables)",
        auth::INVITATION_DAYS
    ));
    Ok(lines)
}

/// `livret admin rotate-vapid`: replaces the VAPID key pair (web push) and returns
/// the lines to print, with the new public key. Devices subscribed with the old key
/// get no notification until they re-subscribe with the new one.
///
/// # Errors
/// [`Error::Startup`] when the store is in use by a running Livret; store failures.
pub async fn admin_rotate_vapid(config: Config) -> Result<Vec<String>> {
    let state = open_for_admin(config).await?;
    let keys = push::rotate_vapid(&state.store, &state.clock).await?;
    Ok(vec![
        format!("nouvelle clé VAPID {} ; clé publique :", keys.id),
        keys.public_key_base64(),
        "Les appareils abonnés avec l'ancienne clé ne reçoivent plus rien tant qu'ils ne se sont pas réabonnés.".into(),
    ])
}

async fn open_for_admin(mut config: Config) -> Result<web::State> {
    config.public_url = config::check_public_url(&config.public_url).map_err(Error::Startup)?;
    let clock = Clock::system(&config.time_zone)
        .map_err(|_| Error::Startup(format!("fuseau horaire « {} » inconnu", config.time_zone)))?;
    open(config, clock).await.map_err(|e| match e {
        Error::Startup(m) if m.contains("déjà utilisé") => Error::Startup(format!(
            "{m}. Le service affiche aussi un nouveau lien d'installation à chaque démarrage tant que l'établissement n'est pas créé."
        )),
        other => other,
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
