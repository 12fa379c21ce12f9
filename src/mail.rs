//! E-mail: sent by SMTP (lettre) when `LIVRET_SMTP_URL` is set, otherwise kept in the
//! outbox (messages à remettre) for a person to hand over (issue 3, "Tutor access").
//!
//! A message is never lost: when no server is configured, or the server cannot be
//! reached or refuses the message, it goes to the outbox with the reason, and the
//! referent or a coordinator copies the link or prints a one-page letter with a QR code.

use crate::config::Config;
use crate::domain::outbox::OutboxMessage;
use crate::domain::{OutboxId, PlacementId, School, Student, Teacher, Tutor, TutorId, text};
use crate::error::Error;
use crate::web::State;
use jiff::Timestamp;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use maud::html;
use std::time::Duration;

/// How long one SMTP exchange may take before the message goes to the outbox.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// One message to send: plain text and HTML alternatives of the same content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// Recipient's address (may be empty: the message then goes to the outbox).
    pub to: String,
    /// Recipient's name, for the `To` header and the letter.
    pub to_name: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body: paragraphs separated by a blank line.
    pub text: String,
    /// HTML body (an e-mail: inline styles are fine there; our pages' CSP does not
    /// apply to a mail client).
    pub html: String,
}

/// What a message is about, kept with an outbox entry so the right people see it and
/// a regenerated link supersedes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailAbout {
    /// The tutor it is about (its outbox entry goes when the tutor's link changes).
    pub tutor: Option<TutorId>,
    /// The placement it is about (its referent sees the outbox entry).
    pub placement: Option<PlacementId>,
    /// The full URL the message gives, shown in full and as a QR code on the letter.
    pub link: Option<String>,
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The SMTP server accepted it.
    Sent,
    /// It waits in the outbox.
    Outbox {
        /// The outbox entry (page `/messages/<id>`).
        id: OutboxId,
        /// Why it is in the outbox, in French (no server configured, server
        /// unreachable…), shown to the person who will hand it over.
        reason: String,
    },
}

/// The SMTP transport, built once at start from the configuration, and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `scheme://host:port`, for logs and reasons (never the password).
    server: String,
    /// The password as it may show up in a server's reply (as typed, percent-decoded,
    /// and base64-encoded as AUTH PLAIN and LOGIN send it), blanked out of every
    /// logged error. Never shown, not even by `Debug`.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// The mailer `config` describes: `None` without `smtp_url` (messages go to the
    /// outbox). Connects to nothing yet: the first message opens the connection.
    ///
    /// # Errors
    /// A one-line French message (never containing the URL, which may hold a
    /// password) when the URL cannot be read, names an unknown scheme, or comes without
    /// a valid `mail_from`.
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, String> {
        let Some(url) = &config.smtp_url else {
            return Ok(None);
        };
        let bad_url = "LIVRET_SMTP_URL illisible : écrivez-la comme smtps://utilisateur:mot-de-passe@smtp.exemple.fr (port 465), smtp://smtp.exemple.fr:587?tls=required ou smtp://127.0.0.1:25 (caractères spéciaux du mot de passe encodés en %XX)";
        let server = url.server().ok_or_else(|| bad_url.to_string())?;
        let from = config
            .mail_from
            .as_deref()
            .ok_or_else(|| {
                "LIVRET_SMTP_URL est donnée sans expéditeur : indiquez aussi --mail-from ou LIVRET_MAIL_FROM, par exemple « Lycée Jules-Verne <livret@lycee.example> »".to_string()
            })?;
        let from: Mailbox = from.parse().map_err(|_| {
            format!(
                "expéditeur « {from} » invalide : écrivez-le comme « Lycée Jules-Verne <livret@lycee.example> » ou livret@lycee.example"
            )
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|_| bad_url.to_string())?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Some(Mailer {
            transport,
            from,
            server,
            secrets: secrets_of(url.expose()),
        }))
    }

    /// `text` with every form of the password blanked out (for logs).
    fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |t, secret| {
            t.replace(secret.as_str(), "•••")
        })
    }

    /// The server, as `scheme://host:port` (no user, no password).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends `mail` dated `now` (from the app's clock, so tests with a fixed clock see
    /// a fixed `Date` header) as multipart/alternative text and HTML.
    ///
    /// # Errors
    /// Why it was not sent, in French: bad recipient address, server unreachable,
    /// refusal, or no answer within [`SMTP_TIMEOUT`].
    pub async fn send(&self, mail: &Mail, now: Timestamp) -> Result<(), String> {
        let to = mail.to.trim();
        if to.is_empty() {
            return Err("le destinataire n'a pas d'adresse e-mail enregistrée".into());
        }
        let address = to
            .parse::<lettre::Address>()
            .map_err(|_| format!("l'adresse e-mail du destinataire « {to} » est invalide"))?;
        let date = std::time::SystemTime::try_from(now).unwrap_or(std::time::UNIX_EPOCH);
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(mail.to_name.clone()), address))
            .subject(mail.subject.clone())
            .date(date)
            // Spam filters frown on a message without an id; the sender's domain is
            // more meaningful than the host name of a container.
            .message_id(Some(format!(
                "<{}@{}>",
                uuid::Uuid::new_v4(),
                self.from.email.domain()
            )))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| {
                tracing::error!(error = %e, "courriel impossible à composer");
                "le message n'a pas pu être composé".to_string()
            })?;
        let result = tokio::time::timeout(SMTP_TIMEOUT, self.transport.send(message)).await;
        let failure = match result {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => {
                let failure = SmtpFailure::of(&e);
                tracing::warn!(
                    server = %self.server,
                    error = %self.redact(&error_chain(&e)),
                    "envoi par SMTP impossible : le message va dans les messages à remettre"
                );
                failure
            }
            Err(_) => {
                tracing::warn!(server = %self.server, "envoi par SMTP sans réponse en {} s : le message va dans les messages à remettre", SMTP_TIMEOUT.as_secs());
                SmtpFailure::Timeout
            }
        };
        Err(format!(
            "l'envoi a échoué : le serveur de messagerie ({}) {}",
            self.server,
            failure.french()
        ))
    }
}

/// The forms of the password of an SMTP URL that a server's reply could quote: as
/// written in the URL, percent-decoded, and base64-encoded the way AUTH PLAIN
/// (`\0user\0password`) and AUTH LOGIN (`password`) send it (RFC 4616, and the LOGIN
/// draft). Empty when the URL has no password.
fn secrets_of(url: &str) -> Vec<String> {
    use base64::Engine;
    let Ok(url) = url::Url::parse(url) else {
        return Vec::new();
    };
    let Some(raw) = url.password().filter(|p| !p.is_empty()) else {
        return Vec::new();
    };
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
    };
    let (user, password) = (decode(url.username()), decode(raw));
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut secrets = vec![
        raw.to_string(),
        password.clone(),
        b64.encode(format!("\0{user}\0{password}")),
        b64.encode(&password),
    ];
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

/// An error and its sources, one after the other (lettre puts the server's reply in
/// a source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(" : ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Why an SMTP exchange failed, as far as the person handing the message over needs
/// to know: the server could not be reached, or it answered and refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SmtpFailure {
    /// No answer within [`SMTP_TIMEOUT`].
    Timeout,
    /// No connection (refused, unknown host, network down, connection cut).
    Unreachable,
    /// The TLS handshake failed.
    Tls,
    /// Credentials are configured but the server offers no authentication mechanism
    /// lettre can use (often: a plain connection where the server only offers AUTH
    /// once encrypted).
    NoAuthMechanism,
    /// The server wants authentication and none was given (530, RFC 4954).
    AuthRequired(u16),
    /// The server refused the user name or password (535), the mechanism (534) or
    /// authenticating without encryption (538) (RFC 4954).
    AuthRefused(u16),
    /// Any other 5xx: the message (or its sender or recipient) was refused.
    MessageRefused(Option<u16>),
    /// A 4xx: try again later.
    Unavailable(Option<u16>),
    /// The server answered something lettre could not read, or the exchange could
    /// not go on (for example a feature the message needs is missing).
    Protocol,
}

impl SmtpFailure {
    fn of(e: &lettre::transport::smtp::Error) -> SmtpFailure {
        let code = e.status().map(u16::from);
        if e.is_timeout() {
            SmtpFailure::Timeout
        } else if e.is_permanent() {
            match code {
                Some(530) => SmtpFailure::AuthRequired(530),
                Some(c @ (534 | 535 | 538)) => SmtpFailure::AuthRefused(c),
                _ => SmtpFailure::MessageRefused(code),
            }
        } else if e.is_transient() {
            SmtpFailure::Unavailable(code)
        } else if e.is_tls() {
            SmtpFailure::Tls
        } else if e.is_client() {
            // lettre says so in words only: "No compatible authentication mechanism
            // was found".
            if error_chain(e).to_lowercase().contains("authentication") {
                SmtpFailure::NoAuthMechanism
            } else {
                SmtpFailure::Protocol
            }
        } else if e.is_response() {
            SmtpFailure::Protocol
        } else {
            SmtpFailure::Unreachable
        }
    }

    /// The end of "le serveur de messagerie (…) …", in French, for the people who
    /// hand the message over (who then know whether to wait or to call the
    /// administrator).
    fn french(self) -> String {
        let code = |c: Option<u16>| c.map_or(String::new(), |c| format!(" (code {c})"));
        match self {
            SmtpFailure::Timeout => "n'a pas répondu à temps".into(),
            SmtpFailure::Unreachable => "est injoignable".into(),
            SmtpFailure::Tls => "n'a pas pu établir de connexion chiffrée".into(),
            SmtpFailure::NoAuthMechanism => {
                "ne propose pas d'identification utilisable sur cette connexion, alors que LIVRET_SMTP_URL donne un mot de passe : l'administrateur doit vérifier son port et son chiffrement (smtps:// sur le port 465, ?tls=required sur le port 587)".into()
            }
            SmtpFailure::AuthRequired(c) => format!(
                "a refusé le message sans identification (code {c}) : l'administrateur doit indiquer un nom d'utilisateur et un mot de passe dans LIVRET_SMTP_URL"
            ),
            SmtpFailure::AuthRefused(c) => format!(
                "a refusé l'identification de Livret (code {c}) : l'administrateur doit vérifier le nom d'utilisateur, le mot de passe et le chiffrement de LIVRET_SMTP_URL"
            ),
            SmtpFailure::MessageRefused(c) => format!("a refusé le message{}", code(c)),
            SmtpFailure::Unavailable(c) => {
                format!("est momentanément indisponible{}", code(c))
            }
            SmtpFailure::Protocol => {
                "a répondu d'une façon que Livret ne comprend pas : l'envoi n'a pas pu se faire".into()
            }
        }
    }
}

/// Sends `mail` by SMTP when a server is configured; otherwise, or when sending fails,
/// stores it in the outbox with the reason, so it is never lost.
///
/// # Errors
/// Only a store failure while keeping the message in the outbox; an SMTP failure is
/// not an error (the answer is [`Delivery::Outbox`]).
pub async fn deliver(state: &State, mail: Mail, about: MailAbout) -> Result<Delivery, Error> {
    let reason = match &state.mailer {
        None => "aucun serveur d'envoi de courriels n'est configuré".to_string(),
        Some(mailer) => match mailer.send(&mail, state.clock.now()).await {
            Ok(()) => {
                tracing::info!(server = %mailer.server(), "courriel envoyé");
                return Ok(Delivery::Sent);
            }
            Err(reason) => reason,
        },
    };
    let message = OutboxMessage {
        id: OutboxId::new(),
        created: state.clock.now(),
        to: mail.to,
        to_name: mail.to_name,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        tutor: about.tutor,
        placement: about.placement,
        link: about.link,
        reason: reason.clone(),
    };
    state.store.insert_outbox(&message).await?;
    Ok(Delivery::Outbox {
        id: message.id,
        reason,
    })
}

/// "Prénom NOM", the way the spec's letter names the student ("FEBVRE Denis" there,
/// first name first here, as in running text).
fn first_and_last_upper(student: &Student) -> String {
    format!(
        "{} {}",
        student.name.first,
        student.name.last.to_uppercase()
    )
}

/// The tutor-access e-mail, in the terms of the spec's letter ("Accès à l'application
/// par le tuteur"), in our own French wording: thanks for tutoring the student, the
/// personal space active six months from the message's date (until `valid_until`),
/// the link as the only way in (keep the message safe), what the space holds, and the
/// referent who helps and can lock the access or give a new one. `link` is the full
/// URL (`https://…/acces/<secret>`). Paragraphs of the text are separated by a blank
/// line, and the link stands alone in its own paragraph (the printable letter puts
/// its QR code there).
pub fn tutor_access_mail(
    school: &School,
    student: &Student,
    tutor: &Tutor,
    referent: &Teacher,
    link: &str,
    valid_until: jiff::civil::Date,
) -> Mail {
    let student_name = first_and_last_upper(student);
    let first = &student.name.first;
    let until = text::date_long(valid_until);
    let referent_line = match referent.email.as_deref().filter(|e| !e.is_empty()) {
        Some(email) => format!("{} ({email})", referent.name.full()),
        None => referent.name.full(),
    };
    let greeting = format!("Bonjour {},", tutor.name.full());
    let thanks = format!(
        "Vous avez accepté d'accompagner {student_name}, élève de l'établissement {}, pendant sa période de formation en milieu professionnel (PFMP), et toute l'équipe pédagogique vous en remercie.",
        school.name
    );
    let space = format!(
        "Vous disposez maintenant d'un espace personnel de suivi et d'échange dans Livret, actif pendant six mois à partir de la date de ce message, soit jusqu'au {until}."
    );
    let how = "Pour y entrer, ouvrez le lien ci-dessous, puis appuyez sur « Ouvrir mon espace » :";
    let keep = "Attention : ce lien est personnel et c'est l'unique moyen d'accéder à votre espace. Conservez ce message en lieu sûr et ne le transmettez à personne.";
    let content = format!(
        "Vous y trouverez le journal de bord et les fiches activités {}, que vous pourrez lire et commenter. À la fin de la période, vous évaluerez ses compétences et ses attitudes professionnelles conjointement avec l'enseignant référent.",
        text::de(first)
    );
    let help = format!(
        "L'enseignant référent, {referent_line}, reste à votre écoute pour vous guider. Si ce lien est perdu ou volé, prévenez-le : il peut verrouiller votre accès ou vous en attribuer un nouveau."
    );
    let signature = format!("L'équipe pédagogique\n{}", school.name);
    let text = [
        greeting.as_str(),
        &thanks,
        &space,
        how,
        link,
        keep,
        &content,
        &help,
        &signature,
    ]
    .join("\n\n");
    const P: &str = "margin:0 0 14px;font-size:16px;line-height:1.5;color:#1b1f24";
    let html = html! {
        (maud::DOCTYPE)
        html lang="fr" {
            head { meta charset="utf-8"; title { "Votre accès Livret" } }
            body style="margin:0;padding:0;background:#f5f7fa" {
                div style="max-width:600px;margin:0 auto;padding:24px 20px;background:#ffffff;font-family:Arial,Helvetica,sans-serif" {
                    p style=(P) { (greeting) }
                    p style=(P) { (thanks) }
                    p style=(P) { (space) }
                    p style=(P) { (how) }
                    p style="margin:20px 0;text-align:center" {
                        a href=(link) style="display:inline-block;background:#1d4e89;color:#ffffff;padding:14px 24px;border-radius:8px;font-size:18px;font-weight:bold;text-decoration:none" {
                            "Accéder à mon espace"
                        }
                    }
                    p style="margin:0 0 6px;font-size:14px;color:#5a6472" {
                        "Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :"
                    }
                    p style="margin:0 0 18px;font-size:14px;font-family:monospace;word-break:break-all;background:#e8eff8;padding:10px;border-radius:6px" {
                        a href=(link) style="color:#1d4e89" { (link) }
                    }
                    p style=(format!("{P};font-weight:bold")) { (keep) }
                    p style=(P) { (content) }
                    p style=(P) { (help) }
                    p style=(P) { "L'équipe pédagogique" br; (school.name) }
                }
            }
        }
    };
    Mail {
        to: tutor.email.clone().unwrap_or_default(),
        to_name: tutor.name.full(),
        subject: format!(
            "Votre accès au suivi de stage {} — {}",
            text::de(&student.name.full()),
            school.name
        ),
        text,
        html: html.into_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SmtpUrl;
    use crate::domain::*;

    fn config(url: Option<&str>, from: Option<&str>) -> Config {
        Config {
            data: "/tmp/none".into(),
            listen: "127.0.0.1:8080".parse().unwrap(),
            public_url: "http://localhost:8080".into(),
            time_zone: "Europe/Paris".into(),
            max_body_bytes: 1024,
            cache_bytes: 1024,
            smtp_url: url.map(SmtpUrl::new),
            mail_from: from.map(str::to_string),
            ops: Default::default(),
        }
    }

    #[tokio::test]
    async fn the_configuration_is_checked_without_showing_the_password() {
        assert!(Mailer::from_config(&config(None, None)).unwrap().is_none());
        let from = Some("Lycée Jules-Verne <livret@lycee.example>");
        let m = Mailer::from_config(&config(Some("smtps://u:s3cret@smtp.example.org"), from))
            .unwrap()
            .unwrap();
        assert_eq!(m.server(), "smtps://smtp.example.org");
        assert!(!format!("{m:?}").contains("s3cret"));
        let m = Mailer::from_config(&config(Some("smtp://127.0.0.1:2525"), from))
            .unwrap()
            .unwrap();
        assert_eq!(m.server(), "smtp://127.0.0.1:2525");
        for (good, server) in [
            (
                "smtps://livret%40lycee.example:p%40ss!*@smtp.lycee.example",
                "smtps://smtp.lycee.example",
            ),
            (
                "smtp://livret:s3cret@smtp.lycee.example:587?tls=required",
                "smtp://smtp.lycee.example:587",
            ),
        ] {
            let m = Mailer::from_config(&config(Some(good), from))
                .unwrap()
                .unwrap();
            assert_eq!(m.server(), server);
        }
        for bad in [
            "pas une url",
            "http://u:s3cret@smtp.example.org",
            "smtps://",
        ] {
            let e = Mailer::from_config(&config(Some(bad), from)).unwrap_err();
            assert!(e.contains("LIVRET_SMTP_URL"), "{bad}: {e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        let e = Mailer::from_config(&config(Some("smtps://u:s3cret@smtp.example.org"), None))
            .unwrap_err();
        assert!(
            e.contains("LIVRET_MAIL_FROM") && !e.contains("s3cret"),
            "{e}"
        );
        let e = Mailer::from_config(&config(
            Some("smtp://127.0.0.1:2525"),
            Some("pas une adresse"),
        ))
        .unwrap_err();
        assert!(e.contains("expéditeur"), "{e}");
        let url = SmtpUrl::new("smtps://u:s3cret@smtp.example.org:465");
        assert_eq!(
            format!("{url:?}"),
            "SmtpUrl(smtps://smtp.example.org:465, mot de passe masqué)"
        );
    }

    #[test]
    fn a_refusal_is_not_told_as_an_unreachable_server() {
        let all = [
            SmtpFailure::Timeout,
            SmtpFailure::Unreachable,
            SmtpFailure::Tls,
            SmtpFailure::NoAuthMechanism,
            SmtpFailure::AuthRequired(530),
            SmtpFailure::AuthRefused(535),
            SmtpFailure::MessageRefused(Some(550)),
            SmtpFailure::Unavailable(Some(421)),
            SmtpFailure::Protocol,
        ];
        for f in all {
            let said = f.french();
            let unreachable = said.contains("injoignable") || said.contains("répondu à temps");
            assert_eq!(
                unreachable,
                matches!(f, SmtpFailure::Timeout | SmtpFailure::Unreachable),
                "{f:?}: {said}"
            );
        }
        assert!(
            SmtpFailure::AuthRefused(535)
                .french()
                .contains("identification")
        );
        assert!(SmtpFailure::AuthRefused(535).french().contains("code 535"));
        assert!(
            SmtpFailure::NoAuthMechanism
                .french()
                .contains("identification")
        );
        assert_eq!(
            SmtpFailure::MessageRefused(Some(550)).french(),
            "a refusé le message (code 550)"
        );
    }

    #[tokio::test]
    async fn every_form_of_the_password_is_blanked_out_of_logs() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let from = Some("livret@lycee.example");
        let m = Mailer::from_config(&config(
            Some("smtp://livret%40lycee.example:p%40ss+w0rd@127.0.0.1:2525"),
            from,
        ))
        .unwrap()
        .unwrap();
        let plain = b64.encode("\0livret@lycee.example\0p@ss+w0rd");
        let login = b64.encode("p@ss+w0rd");
        let reply =
            format!("535 5.7.8 refusé : p@ss+w0rd p%40ss+w0rd AUTH PLAIN {plain} / LOGIN {login}");
        let logged = m.redact(&reply);
        for secret in ["p@ss+w0rd", "p%40ss+w0rd", plain.as_str(), login.as_str()] {
            assert!(!logged.contains(secret), "{secret} in {logged}");
        }
        assert!(logged.starts_with("535 5.7.8 refusé"), "{logged}");
        assert!(!format!("{m:?}").contains("w0rd"));
        // Without a password there is nothing to blank out.
        let m = Mailer::from_config(&config(Some("smtp://127.0.0.1:2525"), from))
            .unwrap()
            .unwrap();
        assert_eq!(m.redact("550 non"), "550 non");
    }

    #[test]
    fn the_tutor_access_mail_says_what_the_spec_letter_says() {
        let school = School {
            id: SchoolId::new(),
            name: "Lycée Jules-Verne".into(),
            uai: "0350001A".into(),
            address: "1 rue des Écoles".into(),
            city: "35000 Rennes".into(),
        };
        let student = Student {
            id: StudentId::new(),
            class: ClassId::new(),
            name: PersonName::new("Éloïse", "N'Diaye"),
            birth_date: None,
            ine: None,
            email: None,
            active: true,
        };
        let tutor = Tutor {
            id: TutorId::new(),
            company: CompanyId::new(),
            name: PersonName::new("Hélène", "Caillé"),
            job_title: "Cheffe d'équipe".into(),
            email: Some("helene@example.fr".into()),
            phone: None,
        };
        let referent = Teacher {
            id: TeacherId::new(),
            name: PersonName::new("Sébastien", "Roussel"),
            email: Some("s.roussel@lycee.example".into()),
            active: true,
        };
        let link = "https://livret.lycee.example/acces/abc<&>";
        let until = jiff::civil::Date::new(2026, 9, 10).unwrap();
        let m = tutor_access_mail(&school, &student, &tutor, &referent, link, until);
        assert_eq!(m.to, "helene@example.fr");
        assert_eq!(m.to_name, "Hélène Caillé");
        assert_eq!(
            m.subject,
            "Votre accès au suivi de stage d'Éloïse N'Diaye — Lycée Jules-Verne"
        );
        for needle in [
            "Bonjour Hélène Caillé,",
            "Éloïse N'DIAYE",
            "Lycée Jules-Verne",
            "six mois",
            "jeudi 10 septembre 2026",
            "unique moyen",
            "lieu sûr",
            "journal de bord",
            "fiches activités d'Éloïse",
            "Sébastien Roussel (s.roussel@lycee.example)",
            "verrouiller",
            "nouveau",
            "L'équipe pédagogique",
        ] {
            assert!(
                m.text.contains(needle),
                "text lacks {needle:?}:\n{}",
                m.text
            );
        }
        assert!(m.text.contains(&format!("\n\n{link}\n\n")));
        // The HTML escapes what it shows: the link is a button and is written out.
        assert!(
            m.html
                .contains("https://livret.lycee.example/acces/abc&lt;&amp;&gt;")
        );
        assert!(!m.html.contains("abc<&>"));
        assert!(m.html.contains("Accéder à mon espace"));
        assert!(m.html.contains("jeudi 10 septembre 2026"));
        assert!(m.html.contains("N&#39;DIAYE") || m.html.contains("N'DIAYE"));
    }
}
