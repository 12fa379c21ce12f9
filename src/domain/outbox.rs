//! The outbox (messages à remettre): e-mails that could not be sent, kept until a
//! person hands them over (issue 3, "Tutor access": "with no SMTP configured, messages
//! go to an outbox page where the referent or coordinator copies the link or prints a
//! one-page letter for the tutor").

use super::ids::{OutboxId, PlacementId, TutorId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One e-mail waiting to be handed over by hand, because no SMTP server is configured
/// or the server refused it.
///
/// It keeps the message whole, including a tutor's personal link in clear (`link`, and
/// inside `text` and `html`): that is the point of an outbox, whose messages a referent
/// or coordinator copies or prints for the tutor. It therefore lives only as long as it
/// waits: it is deleted when marked handed over ("remis") and when superseded (the
/// tutor's link is regenerated or locked: `Store::delete_outbox_of_tutor`), so a stale
/// link is never printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Id.
    pub id: OutboxId,
    /// When the message was put in the outbox.
    pub created: Timestamp,
    /// Recipient's e-mail address, as given (may be empty when the person has none).
    pub to: String,
    /// Recipient's name, for example "Hélène Caillé".
    pub to_name: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (paragraphs separated by a blank line).
    pub text: String,
    /// HTML body, as it would have been sent.
    pub html: String,
    /// The tutor the message is about, if any (so a regenerated link supersedes it).
    pub tutor: Option<TutorId>,
    /// The placement the message is about, if any: its referent sees the message.
    pub placement: Option<PlacementId>,
    /// The full URL the message gives (shown in full and as a QR code on the letter).
    pub link: Option<String>,
    /// Why the message is in the outbox, in French ("aucun serveur d'envoi configuré"…).
    pub reason: String,
}
