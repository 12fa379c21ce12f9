//! Messages à remettre: the outbox of e-mails that did not leave (no SMTP server, or
//! the server failed), for the referent or a coordinator to hand over by copying the
//! link or printing a one-page letter with a QR code (issue 3, "Tutor access").
//!
//! Coordinators see every message; a referent teacher sees those about the placements
//! they refer; anyone else, and any other message, is 404.

use super::{parse_id, see_other};
use crate::domain::outbox::OutboxMessage;
use crate::domain::{Subject, text};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::web::State;
use crate::web::extract::{Flash, FormData, Viewer};
use crate::web::layout::{csrf_field, multiline, page};
use maud::{Markup, html};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// True when `who` may see `message`: a coordinator, or the referent of the placement
/// the message is about.
///
/// # Errors
/// Store failure.
fn may_see(store: &Store, who: &Subject, message: &OutboxMessage) -> Result<bool> {
    Ok(match who {
        Subject::Coordinator(_) => true,
        Subject::Teacher(t) => match message.placement {
            Some(p) => store.placement(p)?.is_some_and(|p| p.referent == *t),
            None => false,
        },
        Subject::Student(_) | Subject::Tutor(_) => false,
    })
}

/// The outbox messages `who` may see, newest first.
///
/// # Errors
/// [`Error::NotFound`] for a student or a tutor (the outbox is not theirs); store failure.
pub fn visible_outbox(store: &Store, who: &Subject) -> Result<Vec<OutboxMessage>> {
    if matches!(who, Subject::Student(_) | Subject::Tutor(_)) {
        return Err(Error::NotFound);
    }
    let mut out = Vec::new();
    for m in store.outbox()? {
        if may_see(store, who, &m)? {
            out.push(m);
        }
    }
    Ok(out)
}

fn visible_message(store: &Store, who: &Subject, id: &str) -> Result<OutboxMessage> {
    let m = store
        .outbox_message(parse_id(id)?)?
        .ok_or(Error::NotFound)?;
    if may_see(store, who, &m)? {
        Ok(m)
    } else {
        Err(Error::NotFound)
    }
}

/// The "Messages à remettre (N)" button of the coordinator's and the referent's home,
/// empty when there is none for `who`.
///
/// # Errors
/// Store failure.
pub fn home_link(store: &Store, who: &Subject) -> Result<Markup> {
    let n = match who {
        Subject::Coordinator(_) | Subject::Teacher(_) => visible_outbox(store, who)?.len(),
        _ => 0,
    };
    Ok(html! {
        @if n > 0 {
            a.button.outbox-link href="/messages" { "Messages à remettre (" (n) ")" }
        }
    })
}

fn url(m: &OutboxMessage) -> String {
    format!("/messages/{}", m.id)
}

/// "11/03/2026 à 10:30" in the school's time zone.
fn when(state: &State, m: &OutboxMessage) -> String {
    text::date_time_short(
        m.created
            .to_zoned_datetime(state.clock.zone().clone())
            .datetime(),
    )
}

/// The name of the student the message is about, if any.
fn student_name(store: &Store, m: &OutboxMessage) -> Result<Option<String>> {
    let Some(p) = m.placement else {
        return Ok(None);
    };
    let Some(p) = store.placement(p)? else {
        return Ok(None);
    };
    Ok(store.student(p.student)?.map(|s| s.name.full()))
}

fn recipient(m: &OutboxMessage) -> String {
    if m.to.is_empty() {
        format!("{} (pas d'adresse e-mail)", m.to_name)
    } else {
        format!("{} <{}>", m.to_name, m.to)
    }
}

/// `GET /messages`: the messages waiting to be handed over, newest first.
///
/// # Errors
/// 404 for a student or a tutor; store failure.
#[handler]
pub fn message_list(state: Data<&State>, viewer: Viewer) -> Result<Response> {
    let messages = visible_outbox(&state.store, &viewer.subject)?;
    let mut rows = Vec::new();
    for m in messages {
        let student = student_name(&state.store, &m)?;
        rows.push((m, student));
    }
    let body = html! {
        p { "Ces messages n'ont pas pu partir par courriel. Transmettez chacun à son destinataire (lien à copier, ou lettre à imprimer avec son QR code), puis marquez-le comme remis : il est alors effacé." }
        @if rows.is_empty() {
            p.muted { "Aucun message à remettre." }
        }
        ul.cards {
            @for (m, student) in &rows {
                li.card {
                    a.card-link href=(url(m)) { strong { (m.to_name) } }
                    p { (m.subject) }
                    @if let Some(s) = student { p.small { "Élève\u{a0}: " (s) } }
                    p.muted.small { "Le " (when(&state, m)) "\u{a0}· " (if m.to.is_empty() { "pas d'adresse e-mail" } else { m.to.as_str() }) }
                    p.small.outbox-reason { "En attente\u{a0}: " (m.reason) }
                }
            }
        }
    };
    Ok(page(&viewer, "Messages à remettre", Some(("/", "Accueil")), body).into_response())
}

/// Percent-encodes `s` for a `mailto:` URL (RFC 6068: spaces as `%20`, not `+`).
fn mailto_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Rows the link field needs to show `link` whole, broken anywhere (see `pwa/app.css`),
/// on the narrowest phone Livret supports: 360 px leaves room for about 30 characters
/// of the field's monospace font per row; 2 to 12 rows.
fn link_rows(link: &str) -> usize {
    const CHARS_PER_ROW: usize = 28;
    link.chars().count().div_ceil(CHARS_PER_ROW).clamp(2, 12)
}

/// `GET /messages/:id`: one message, its link in a read-only field easy to copy on a
/// phone, and what can be done with it (print the letter, write from one's own
/// mailbox, mark as handed over).
///
/// # Errors
/// 404 unless visible to this person; store failure.
#[handler]
pub fn message_show(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let m = visible_message(&state.store, &viewer.subject, &id)?;
    let student = student_name(&state.store, &m)?;
    let mailto = (!m.to.is_empty()).then(|| {
        format!(
            "mailto:{}?subject={}&body={}",
            mailto_encode(&m.to),
            mailto_encode(&m.subject),
            mailto_encode(&m.text)
        )
    });
    let body = html! {
        section.card {
            p { strong { "À\u{a0}: " } (recipient(&m)) }
            p { strong { "Objet\u{a0}: " } (m.subject) }
            @if let Some(s) = &student { p { strong { "Élève\u{a0}: " } (s) } }
            p.muted.small { "Mis de côté le " (when(&state, &m)) }
            p.outbox-reason { "Pourquoi il est ici\u{a0}: " (m.reason) "." }
        }
        @if let Some(link) = &m.link {
            label for="link" { strong { "Lien personnel à transmettre" } }
            p.hint { "Appuyez longuement dans le cadre pour tout sélectionner et copier. Ce lien ouvre l'espace du destinataire : ne l'ouvrez pas vous-même." }
            textarea #link.link-field name="link" readonly rows=(link_rows(link)) spellcheck="false" autocomplete="off" { (link) }
        }
        div.buttons.message-actions {
            a.button.primary href=(format!("{}/lettre", url(&m))) { "Imprimer la lettre" }
            @if let Some(href) = &mailto {
                a.button href=(href) { "Envoyer depuis ma messagerie" }
            }
        }
        form.stack.handed-over method="post" action=(format!("{}/remis", url(&m))) {
            (csrf_field(&viewer))
            p.hint { "Une fois le lien ou la lettre transmis, marquez le message comme remis : il sera effacé (le lien y figure en clair)." }
            button type="submit" { "Marquer comme remis" }
        }
        h2 { "Texte du message" }
        section.card { (multiline(&m.text)) }
    };
    Ok(page(
        &viewer,
        "Message à remettre",
        Some(("/messages", "Messages à remettre")),
        body,
    )
    .into_response())
}

/// The QR code of `data` as inline SVG: one `<path>` of the dark modules, drawn from
/// the `qrcode` crate's module matrix with a 4-module quiet zone (ISO/IEC 18004), and
/// no `style` attribute (our CSP forbids inline styles). `None` when the data is too
/// long for a QR code.
fn qr_svg(data: &str) -> Option<Markup> {
    let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let mut d = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            d.push_str(&format!("M{} {}h1v1h-1z", i % width, i / width));
        }
    }
    let size = width + 8;
    Some(html! {
        svg.qr xmlns="http://www.w3.org/2000/svg" viewBox=(format!("-4 -4 {size} {size}"))
            role="img" aria-label="QR code du lien d'accès" shape-rendering="crispEdges" {
            rect x="-4" y="-4" width=(size) height=(size) fill="#fff" {}
            path d=(d) fill="#000" {}
        }
    })
}

/// The link block of the letter: the QR code beside the address written out.
fn letter_link(link: &str) -> Markup {
    html! {
        div.letter-link {
            @if let Some(qr) = qr_svg(link) { (qr) }
            div {
                p.small { "Scannez ce code avec l'appareil photo de votre téléphone, ou tapez cette adresse dans votre navigateur\u{a0}:" }
                p.link-text { (link) }
            }
        }
    }
}

/// "Nantes, le 29 novembre 2026": the school's town (its postcode left out) and the
/// date, as a French letter is dated.
fn letter_date(school: Option<&crate::domain::School>, today: jiff::civil::Date) -> String {
    let long = text::date_long(today);
    // date_long starts with the weekday, which a letter leaves out.
    let date = long.split_once(' ').map_or(long.as_str(), |(_, d)| d);
    let town = school.map_or("", |s| {
        s.city
            .trim_start_matches(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .trim()
    });
    if town.is_empty() {
        format!("Le {date}")
    } else {
        format!("{town}, le {date}")
    }
}

/// `GET /messages/:id/lettre`: the message as a one-page A4 letter to print (the app's
/// header and buttons are hidden when printing, see `pwa/app.css`): the school's
/// name and address, the recipient and their company, the text, and the link written
/// out and as a QR code where the text gives it.
///
/// # Errors
/// 404 unless visible to this person; store failure.
#[handler]
pub fn message_letter(
    state: Data<&State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response> {
    let m = visible_message(&state.store, &viewer.subject, &id)?;
    let school = state.store.school()?;
    let company = match m.tutor {
        Some(t) => match state.store.tutor(t)? {
            Some(t) => state.store.company(t.company)?,
            None => None,
        },
        None => None,
    };
    let paragraphs: Vec<&str> = m
        .text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let link = m.link.as_deref().filter(|l| !l.is_empty());
    let link_in_text = link.is_some_and(|l| paragraphs.contains(&l));
    let today = state.clock.today();
    let body = html! {
        p.hint.no-print { "Imprimez cette page depuis le menu du navigateur («\u{a0}Imprimer\u{a0}») : la lettre tient sur une feuille A4, sans l'en-tête de Livret." }
        article.letter {
            div.letter-head {
                @if let Some(s) = &school {
                    strong { (s.name) } br;
                    @if !s.address.is_empty() { (s.address) br; }
                    (s.city)
                }
            }
            div.letter-to {
                (m.to_name) br;
                @if let Some(c) = &company {
                    (c.name) br;
                    @if !c.address.is_empty() { (c.address) br; }
                    (c.city)
                }
            }
            p.letter-date { (letter_date(school.as_ref(), today)) }
            p.letter-subject { strong { "Objet\u{a0}: " (m.subject) } }
            @for p in &paragraphs {
                @if Some(*p) == link {
                    (letter_link(p))
                } @else {
                    (multiline(p))
                }
            }
            @if let (Some(l), false) = (link, link_in_text) {
                (letter_link(l))
            }
        }
    };
    Ok(page(
        &viewer,
        "Lettre à imprimer",
        Some((&url(&m), "Message à remettre")),
        body,
    )
    .into_response())
}

/// `POST /messages/:id/remis`: the message was handed over; it is deleted (with the
/// link it holds in clear). A second press finds it gone: 404.
///
/// # Errors
/// 403 without a valid anti-CSRF token; 404 unless visible to this person; store
/// failure.
#[handler]
pub async fn message_handed_over(
    state: Data<&State>,
    viewer: Viewer,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response> {
    viewer.check_csrf(&form)?;
    let m = visible_message(&state.store, &viewer.subject, &id)?;
    state.store.delete_outbox(m.id).await?;
    // The referent's card then says when the link was handed over.
    if let Some(secret) = m.link.as_deref().and_then(|l| l.rsplit_once("/acces/")) {
        state
            .store
            .mark_token_handed_over(&crate::auth::hash_secret(secret.1), state.clock.now())
            .await?;
    }
    Flash::MessageHandedOver.set(jar);
    Ok(see_other("/messages"))
}
