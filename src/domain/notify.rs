//! What Livret notifies people about (issue 6), and each person's choice of what they
//! want to hear about.
//!
//! Four kinds of notification, each for some roles:
//!
//! | kind | who receives it | when |
//! |---|---|---|
//! | [`NotificationKind::ToReview`] | the tutor | the student sends an activity sheet or writes logbook entries |
//! | [`NotificationKind::SheetReviewed`] | the student | the tutor comments on (reads) a sheet |
//! | [`NotificationKind::CompanyReviewFilled`] | the referent teacher | the tutor has filled the company review |
//! | [`NotificationKind::PlacementEnding`] | the tutor and the referent | the placement ends soon and its company review is not filled |
//!
//! Everything is on by default; a person turns a kind off on the "Notifications" page
//! ([`NotificationSettings`]). A kind turned off is neither pushed nor put in the
//! tutor's daily e-mail digest.

use super::Subject;
use serde::{Deserialize, Serialize};

/// A kind of notification. The order is the settings page's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NotificationKind {
    /// Activities (sheets sent, logbook entries) wait for the tutor's reading.
    ToReview,
    /// The tutor has read (and maybe commented on) the student's activity sheet.
    SheetReviewed,
    /// The tutor has filled the company review (bilan entreprise): the referent can
    /// prepare the visit.
    CompanyReviewFilled,
    /// The placement ends soon and its company review is not filled yet.
    PlacementEnding,
}

impl NotificationKind {
    /// Every kind, in the settings page's order.
    pub const ALL: [NotificationKind; 4] = [
        NotificationKind::ToReview,
        NotificationKind::SheetReviewed,
        NotificationKind::CompanyReviewFilled,
        NotificationKind::PlacementEnding,
    ];

    /// Stable name, used as the form field (`kind-<slug>`) and in tests: `a-relire`,
    /// `fiche-relue`, `bilan-rempli`, `fin-de-stage`.
    pub fn slug(self) -> &'static str {
        match self {
            NotificationKind::ToReview => "a-relire",
            NotificationKind::SheetReviewed => "fiche-relue",
            NotificationKind::CompanyReviewFilled => "bilan-rempli",
            NotificationKind::PlacementEnding => "fin-de-stage",
        }
    }

    /// The kind of a [`slug`](Self::slug).
    pub fn from_slug(slug: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// The settings page's label (French), phrased for the person receiving it.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::ToReview => "Activités de mon stagiaire à relire",
            NotificationKind::SheetReviewed => "Mon tuteur a relu une fiche activité",
            NotificationKind::CompanyReviewFilled => "Bilan entreprise rempli par le tuteur",
            NotificationKind::PlacementEnding => "Fin de stage proche sans bilan entreprise rempli",
        }
    }

    /// True when people of `subject`'s role receive this kind (see the module's
    /// table). Coordinators receive none.
    pub fn applies_to(self, subject: &Subject) -> bool {
        matches!(
            (self, subject),
            (NotificationKind::ToReview, Subject::Tutor(_))
                | (NotificationKind::SheetReviewed, Subject::Student(_))
                | (NotificationKind::CompanyReviewFilled, Subject::Teacher(_))
                | (
                    NotificationKind::PlacementEnding,
                    Subject::Tutor(_) | Subject::Teacher(_)
                )
        )
    }

    /// The kinds `subject` may receive, in the settings page's order (empty for a
    /// coordinator).
    pub fn for_subject(subject: &Subject) -> Vec<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .filter(|k| k.applies_to(subject))
            .collect()
    }
}

/// One person's choices: the kinds they turned off. Absent from the store = every kind
/// on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// The person.
    pub subject: Subject,
    /// Kinds turned off, sorted, without duplicates.
    pub disabled: Vec<NotificationKind>,
}

impl NotificationSettings {
    /// Every kind on.
    pub fn all_on(subject: Subject) -> NotificationSettings {
        NotificationSettings {
            subject,
            disabled: Vec::new(),
        }
    }

    /// The settings with exactly the kinds in `enabled` on, among those `subject` may
    /// receive (kinds of other roles are ignored, so a forged form changes nothing
    /// else).
    pub fn from_enabled(subject: Subject, enabled: &[NotificationKind]) -> NotificationSettings {
        let disabled = NotificationKind::for_subject(&subject)
            .into_iter()
            .filter(|k| !enabled.contains(k))
            .collect();
        NotificationSettings { subject, disabled }
    }

    /// True unless `kind` was turned off (and false for a kind of another role).
    pub fn wants(&self, kind: NotificationKind) -> bool {
        kind.applies_to(&self.subject) && !self.disabled.contains(&kind)
    }
}

// ---------------------------------------------------------------------------------
// The rules of the triggers (issue 6): grouping of "à relire", the French texts, the
// end-of-placement rule, the digest hour. Pure: the runtime is `crate::notify`.
// ---------------------------------------------------------------------------------

use super::push::Notification;
use super::{
    ActivitySheetId, CompanyReviewStatus, LogbookEntryId, PlacementId, StudentId, TutorId,
};
use jiff::civil::{Date, DateTime, Time};
use jiff::{SignedDuration, Timestamp};

/// At most one "à relire" push per tutor in this window: 15 minutes (issue 6). An
/// activity sent inside the window is pushed at the window's end, with the count
/// brought up to date.
pub const GROUPING_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// The tag (and RFC 8030 `Topic`) of the "à relire" notification: one per tutor, so a
/// later count replaces the earlier one on the device and at the push service.
pub const REVIEW_TAG: &str = "a-relire";

/// Items kept in one tutor's queue; older ones are only counted
/// ([`ReviewQueue::overflow`]), so a tutor who never opens Livret does not grow a huge
/// record.
pub const MAX_QUEUED_ITEMS: usize = 200;

/// The end-of-placement reminder goes this many days before the placement's last day,
/// or later until that day (inclusive).
pub const ENDING_NOTICE_DAYS: i32 = 7;

/// The daily e-mail digest goes at this time of day, school time (or at the first
/// tick after it).
pub const DIGEST_TIME: Time = Time::constant(17, 0, 0, 0);

/// What waits for the tutor's reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewWhat {
    /// An activity sheet sent to the tutor.
    Sheet {
        /// The sheet.
        id: ActivitySheetId,
        /// Its title (shown in the e-mail digest only).
        title: String,
    },
    /// A logbook entry written by the student.
    Entry {
        /// The entry.
        id: LogbookEntryId,
        /// The day it tells about.
        date: Date,
    },
}

impl ReviewWhat {
    /// The id of the sheet or entry, to tell a replay from a new item.
    pub fn key(&self) -> [u8; 16] {
        match self {
            ReviewWhat::Sheet { id, .. } => *id.as_bytes(),
            ReviewWhat::Entry { id, .. } => *id.as_bytes(),
        }
    }
}

/// One activity (sheet or entry) waiting for the tutor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// The placement.
    pub placement: PlacementId,
    /// The student.
    pub student: StudentId,
    /// The student's first name (the only personal data a push carries).
    pub first_name: String,
    /// The sheet or entry.
    pub what: ReviewWhat,
    /// When it was sent.
    pub at: Timestamp,
}

/// Which of a tutor's waiting items were seen (the tutor opened a page showing them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The tutor's home ("Mes stagiaires"): everything.
    All,
    /// A placement's page: its sheets and entries.
    Placement(PlacementId),
    /// A placement's list of sheets.
    Sheets(PlacementId),
    /// One sheet.
    Sheet(PlacementId, ActivitySheetId),
    /// A placement's logbook.
    Logbook(PlacementId),
}

impl Seen {
    /// True when `item` is among what was seen.
    pub fn covers(self, item: &ReviewItem) -> bool {
        match self {
            Seen::All => true,
            Seen::Placement(p) => item.placement == p,
            Seen::Sheets(p) => item.placement == p && matches!(item.what, ReviewWhat::Sheet { .. }),
            Seen::Sheet(p, s) => {
                item.placement == p && matches!(item.what, ReviewWhat::Sheet { id, .. } if id == s)
            }
            Seen::Logbook(p) => {
                item.placement == p && matches!(item.what, ReviewWhat::Entry { .. })
            }
        }
    }
}

/// What [`ReviewQueue::add`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouped {
    /// Push the count now (no push in the last [`GROUPING_WINDOW`]).
    PushNow,
    /// Pushed less than [`GROUPING_WINDOW`] ago: one push is due at this instant.
    Later(Timestamp),
    /// The item was already there (a replay): nothing changes.
    Unchanged,
}

/// One tutor's "à relire" state: what waits since they last opened their space, and
/// when they were last pushed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    /// The tutor.
    pub tutor: TutorId,
    /// Waiting items, oldest first (at most [`MAX_QUEUED_ITEMS`]).
    pub items: Vec<ReviewItem>,
    /// Items dropped from `items` beyond [`MAX_QUEUED_ITEMS`], still counted.
    pub overflow: u32,
    /// Last "à relire" push.
    pub last_push: Option<Timestamp>,
    /// A grouped push waiting for the end of the window.
    pub due: Option<Timestamp>,
}

impl ReviewQueue {
    /// An empty queue.
    pub fn new(tutor: TutorId) -> ReviewQueue {
        ReviewQueue {
            tutor,
            items: Vec::new(),
            overflow: 0,
            last_push: None,
            due: None,
        }
    }

    /// Items waiting (kept and overflowed).
    pub fn count(&self) -> usize {
        self.items.len() + self.overflow as usize
    }

    /// Adds `item` at `now` and says when to push (grouping rule of issue 6: at most
    /// one push per [`GROUPING_WINDOW`]; inside the window, one push at its end).
    pub fn add(&mut self, item: ReviewItem, now: Timestamp) -> Grouped {
        if self.items.iter().any(|i| i.what.key() == item.what.key()) {
            return Grouped::Unchanged;
        }
        self.items.push(item);
        if self.items.len() > MAX_QUEUED_ITEMS {
            self.items.remove(0);
            self.overflow = self.overflow.saturating_add(1);
        }
        match self
            .last_push
            .and_then(|last| last.checked_add(GROUPING_WINDOW).ok())
        {
            Some(end) if now < end => {
                self.due = Some(end);
                Grouped::Later(end)
            }
            _ => {
                self.last_push = Some(now);
                self.due = None;
                Grouped::PushNow
            }
        }
    }

    /// True, and the push marked as done at `now`, when a grouped push is due.
    pub fn take_due(&mut self, now: Timestamp) -> bool {
        match self.due {
            Some(due) if due <= now => {
                self.due = None;
                if self.count() == 0 {
                    return false;
                }
                self.last_push = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Drops what the tutor has seen; with nothing left, no push is due any more.
    /// Returns true when something changed.
    pub fn seen(&mut self, scope: Seen) -> bool {
        let before = (self.items.len(), self.overflow, self.due);
        self.items.retain(|i| !scope.covers(i));
        if scope == Seen::All {
            self.overflow = 0;
        }
        if self.count() == 0 {
            self.due = None;
        }
        before != (self.items.len(), self.overflow, self.due)
    }

    /// True when [`seen`](Self::seen) would change something.
    pub fn would_see(&self, scope: Seen) -> bool {
        self.items.iter().any(|i| scope.covers(i)) || (scope == Seen::All && self.overflow > 0)
    }
}

/// The page an "à relire" notification opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewTarget {
    /// The tutor's home: several placements are concerned.
    Home,
    /// One placement's page (both sheets and entries wait).
    Placement(PlacementId),
    /// One placement's sheets.
    Sheets(PlacementId),
    /// One placement's logbook.
    Logbook(PlacementId),
}

/// "activité" or "activités".
fn activities(n: usize) -> &'static str {
    if n > 1 { "activités" } else { "activité" }
}

/// Names listed in a notification about several students; the others are counted.
const MAX_NAMES: usize = 3;

/// The "à relire" texts for `count` items from `items` (title, body, target):
/// "1 activité de Denis à relire", "3 activités d'Éloïse à relire", "4 activités à
/// relire (Denis, Maël)", "9 activités à relire (Denis, Maël, Léa et 2 autres)".
/// `None` when nothing waits.
pub fn review_texts(items: &[ReviewItem], count: usize) -> Option<(String, String, ReviewTarget)> {
    if count == 0 {
        return None;
    }
    let mut students: Vec<(StudentId, &str)> = Vec::new();
    let mut placements: Vec<PlacementId> = Vec::new();
    for i in items {
        if !students.iter().any(|(s, _)| *s == i.student) {
            students.push((i.student, &i.first_name));
        }
        if !placements.contains(&i.placement) {
            placements.push(i.placement);
        }
    }
    let title = if count > 1 {
        "Activités à relire"
    } else {
        "Activité à relire"
    };
    let body = match students.as_slice() {
        [(_, first)] => format!(
            "{count} {} {} à relire",
            activities(count),
            super::text::de(first)
        ),
        _ => {
            let names: Vec<&str> = students.iter().take(MAX_NAMES).map(|(_, n)| *n).collect();
            let others = students.len().saturating_sub(MAX_NAMES);
            let list = if others > 0 {
                let rest = if others > 1 { "autres" } else { "autre" };
                format!("{} et {others} {rest}", names.join(", "))
            } else {
                names.join(", ")
            };
            if list.is_empty() {
                format!("{count} {} à relire", activities(count))
            } else {
                format!("{count} {} à relire ({list})", activities(count))
            }
        }
    };
    let target = match placements.as_slice() {
        [p] => {
            let sheets = items
                .iter()
                .all(|i| matches!(i.what, ReviewWhat::Sheet { .. }));
            let entries = items
                .iter()
                .all(|i| matches!(i.what, ReviewWhat::Entry { .. }));
            if sheets {
                ReviewTarget::Sheets(*p)
            } else if entries {
                ReviewTarget::Logbook(*p)
            } else {
                ReviewTarget::Placement(*p)
            }
        }
        _ => ReviewTarget::Home,
    };
    Some((title.to_string(), body, target))
}

/// A tag of 1 to 32 base64url characters for a notification about one record:
/// `prefix`, a dash, and the first 8 bytes of `id` in hexadecimal (so `prefix` may
/// have up to 15 characters).
pub fn tag_for(prefix: &str, id: &[u8; 16]) -> String {
    let hex: String = id[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// "Fiche relue": "Grégoire a relu votre fiche « Mise en rayon »", or "… a relu et
/// commenté …" when the tutor wrote a comment. `url` is the sheet's page.
pub fn sheet_reviewed(
    tutor_first: &str,
    sheet: ActivitySheetId,
    sheet_title: &str,
    commented: bool,
    url: String,
) -> Notification {
    let verb = if commented {
        "a relu et commenté"
    } else {
        "a relu"
    };
    Notification::new(
        "Fiche relue",
        format!("{tutor_first} {verb} votre fiche « {sheet_title} »"),
        url,
        tag_for("fiche", sheet.as_bytes()),
    )
}

/// "Bilan entreprise rempli": "Bilan entreprise de Maël rempli par son tuteur", for
/// the referent; `url` is the review's page.
pub fn company_review_filled(
    student_first: &str,
    placement: PlacementId,
    url: String,
) -> Notification {
    Notification::new(
        "Bilan entreprise rempli",
        format!(
            "Bilan entreprise {} rempli par son tuteur",
            super::text::de(student_first)
        ),
        url,
        tag_for("bilan", placement.as_bytes()),
    )
}

/// True when the end-of-placement reminder is due on `today`: from
/// [`ENDING_NOTICE_DAYS`] days before the last day `end` to that day, inclusive.
pub fn ending_soon(end: Date, today: Date) -> bool {
    let from = end
        .checked_sub(jiff::Span::new().days(ENDING_NOTICE_DAYS))
        .unwrap_or(end);
    from <= today && today <= end
}

/// True when a placement's company review still needs the tutor: none prepared yet,
/// or prepared and still open.
pub fn review_pending(status: Option<&CompanyReviewStatus>) -> bool {
    matches!(status, None | Some(CompanyReviewStatus::Open))
}

/// Who an end-of-placement reminder is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndingFor {
    /// The tutor (who fills the company review).
    Tutor,
    /// The referent teacher (who prepares it and visits).
    Referent,
}

/// "Fin de stage proche", for the tutor or the referent: the student's first name, the
/// last day, and what is left to do (`prepared`: the referent has chosen the review's
/// criteria). `url` is the page to open.
pub fn placement_ending(
    who: EndingFor,
    student_first: &str,
    end: Date,
    prepared: bool,
    placement: PlacementId,
    url: String,
) -> Notification {
    let when = format!(
        "La période {} se termine le {}",
        super::text::de(student_first),
        super::text::date_long(end)
    );
    let body = match (who, prepared) {
        (EndingFor::Tutor, true) => format!("{when} : pensez à remplir le bilan entreprise."),
        (EndingFor::Tutor, false) => format!(
            "{when} : le bilan entreprise sera à remplir dès que l'enseignant référent l'aura préparé."
        ),
        (EndingFor::Referent, true) => {
            format!("{when} et le bilan entreprise n'est pas encore rempli par le tuteur.")
        }
        (EndingFor::Referent, false) => {
            format!(
                "{when} et le bilan entreprise n'est pas encore préparé : choisissez ses critères."
            )
        }
    };
    Notification::new(
        "Fin de stage proche",
        body,
        url,
        tag_for("fin", placement.as_bytes()),
    )
}

/// True when the daily digest is due at the school's local time `now`, the last one
/// having gone on `last` ([`DIGEST_TIME`] or later, once a day).
pub fn digest_due(now: DateTime, last: Option<Date>) -> bool {
    now.time() >= DIGEST_TIME && last.is_none_or(|d| d < now.date())
}

/// One line of a tutor's daily e-mail digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DigestEvent {
    /// An activity waiting for the tutor.
    Review(ReviewItem),
    /// Another notification the tutor would have had on a device.
    Note {
        /// Its kind (re-checked against the settings when the digest goes).
        kind: NotificationKind,
        /// The notification's text.
        body: String,
        /// The page, a path of the site.
        path: String,
        /// Its tag: a later note with the same tag replaces it, as on a device.
        tag: String,
        /// The placement it is about, if any.
        placement: Option<PlacementId>,
        /// When.
        at: Timestamp,
    },
}

/// What waits for one tutor's next daily e-mail digest (tutors without a push
/// subscription, issue 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The tutor.
    pub tutor: TutorId,
    /// Events, oldest first (at most [`MAX_QUEUED_ITEMS`]).
    pub events: Vec<DigestEvent>,
}

impl Digest {
    /// An empty digest.
    pub fn new(tutor: TutorId) -> Digest {
        Digest {
            tutor,
            events: Vec::new(),
        }
    }

    /// Adds `event`: a review item already there is not added twice; a note replaces
    /// the note with the same tag. Returns true when something changed.
    pub fn add(&mut self, event: DigestEvent) -> bool {
        match &event {
            DigestEvent::Review(item) => {
                if self
                    .events
                    .iter()
                    .any(|e| matches!(e, DigestEvent::Review(i) if i.what.key() == item.what.key()))
                {
                    return false;
                }
            }
            DigestEvent::Note { tag, .. } => self
                .events
                .retain(|e| !matches!(e, DigestEvent::Note { tag: t, .. } if t == tag)),
        }
        self.events.push(event);
        if self.events.len() > MAX_QUEUED_ITEMS {
            self.events.remove(0);
        }
        true
    }

    /// Drops the review items the tutor has seen. Returns true when something changed.
    pub fn seen(&mut self, scope: Seen) -> bool {
        let before = self.events.len();
        self.events
            .retain(|e| !matches!(e, DigestEvent::Review(i) if scope.covers(i)));
        before != self.events.len()
    }

    /// Drops the events of `sent` (a digest that went out); events added meanwhile
    /// stay for the next one.
    pub fn remove_sent(&mut self, sent: &[DigestEvent]) {
        self.events.retain(|e| !sent.contains(e));
    }

    /// The review items, oldest first.
    pub fn review_items(&self) -> Vec<ReviewItem> {
        self.events
            .iter()
            .filter_map(|e| match e {
                DigestEvent::Review(i) => Some(i.clone()),
                DigestEvent::Note { .. } => None,
            })
            .collect()
    }
}

/// The digest's subject: "Livret : 3 activités de Denis à relire", else the first
/// note's text ("Livret : La période de Maël se termine…").
pub fn digest_subject(events: &[DigestEvent]) -> String {
    let items: Vec<ReviewItem> = events
        .iter()
        .filter_map(|e| match e {
            DigestEvent::Review(i) => Some(i.clone()),
            DigestEvent::Note { .. } => None,
        })
        .collect();
    if let Some((_, body, _)) = review_texts(&items, items.len()) {
        return format!("Livret : {body}");
    }
    let first_note = events.iter().find_map(|e| match e {
        DigestEvent::Note { body, .. } => Some(body.as_str()),
        DigestEvent::Review(_) => None,
    });
    match first_note {
        Some(body) => format!("Livret : {}", body.trim_end_matches('.')),
        None => "Livret : votre récapitulatif du jour".to_string(),
    }
}

/// Marker of the first version: the end-of-placement reminder of a placement went to
/// both its tutor and its referent. Still honoured (such a placement is not reminded
/// again); new reminders leave one [`EndingTold`] per recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndingReminded {
    /// The placement.
    pub placement: PlacementId,
    /// When the reminder went.
    pub at: Timestamp,
}

/// How one recipient was told of a placement's coming end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReminderWay {
    /// Queued for their devices.
    Pushed,
    /// Put in their daily e-mail digest (a tutor without devices).
    Digest,
    /// They turned the kind off: nothing sent, and nothing to try again.
    TurnedOff,
}

/// Marker: the end-of-placement reminder reached one recipient (the tutor or the
/// referent), once per placement and recipient. A recipient with no device and no
/// digest has no marker, and is tried again at the next scans until the placement's
/// last day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndingTold {
    /// The placement.
    pub placement: PlacementId,
    /// The tutor or the referent.
    pub recipient: Subject,
    /// How they were told.
    pub way: ReminderWay,
    /// When.
    pub at: Timestamp,
}

/// Marker: the day the last daily digests went (school's date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestDay {
    /// That day.
    pub date: Date,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{StudentId, TeacherId, TutorId};

    #[test]
    fn each_role_gets_its_kinds() {
        let tutor = Subject::Tutor(TutorId::new());
        let student = Subject::Student(StudentId::new());
        let teacher = Subject::Teacher(TeacherId::new());
        assert_eq!(
            NotificationKind::for_subject(&tutor),
            [
                NotificationKind::ToReview,
                NotificationKind::PlacementEnding
            ]
        );
        assert_eq!(
            NotificationKind::for_subject(&student),
            [NotificationKind::SheetReviewed]
        );
        assert_eq!(
            NotificationKind::for_subject(&teacher),
            [
                NotificationKind::CompanyReviewFilled,
                NotificationKind::PlacementEnding
            ]
        );
    }

    #[test]
    fn settings_keep_only_the_roles_kinds() {
        let tutor = Subject::Tutor(TutorId::new());
        let s = NotificationSettings::from_enabled(
            tutor,
            &[
                NotificationKind::PlacementEnding,
                NotificationKind::SheetReviewed,
            ],
        );
        assert_eq!(s.disabled, [NotificationKind::ToReview]);
        assert!(!s.wants(NotificationKind::ToReview));
        assert!(s.wants(NotificationKind::PlacementEnding));
        assert!(!s.wants(NotificationKind::SheetReviewed));
        assert!(NotificationSettings::all_on(tutor).wants(NotificationKind::ToReview));
    }

    #[test]
    fn slugs_round_trip() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::from_slug(k.slug()), Some(k));
        }
        assert_eq!(NotificationKind::from_slug("autre"), None);
    }
}

#[cfg(test)]
mod trigger_tests {
    use super::*;
    use crate::domain::push::MAX_PAYLOAD_BYTES;

    fn at(minutes: i64) -> Timestamp {
        let start: Timestamp = "2026-03-11T09:30:00Z".parse().unwrap();
        start
            .checked_add(SignedDuration::from_mins(minutes))
            .unwrap()
    }

    fn sheet(p: PlacementId, s: StudentId, first: &str, minutes: i64) -> ReviewItem {
        ReviewItem {
            placement: p,
            student: s,
            first_name: first.into(),
            what: ReviewWhat::Sheet {
                id: ActivitySheetId::new(),
                title: "Mise en rayon".into(),
            },
            at: at(minutes),
        }
    }

    fn entry(p: PlacementId, s: StudentId, first: &str, minutes: i64) -> ReviewItem {
        ReviewItem {
            what: ReviewWhat::Entry {
                id: LogbookEntryId::new(),
                date: Date::new(2026, 3, 10).unwrap(),
            },
            ..sheet(p, s, first, minutes)
        }
    }

    #[test]
    fn one_push_per_window_the_later_ones_at_its_end() {
        let (p, s) = (PlacementId::new(), StudentId::new());
        let mut q = ReviewQueue::new(TutorId::new());
        assert_eq!(q.add(sheet(p, s, "Denis", 0), at(0)), Grouped::PushNow);
        let second = entry(p, s, "Denis", 2);
        assert_eq!(q.add(second.clone(), at(2)), Grouped::Later(at(15)));
        // A replay of the same item changes nothing.
        assert_eq!(q.add(second, at(3)), Grouped::Unchanged);
        assert_eq!(
            q.add(entry(p, s, "Denis", 14), at(14)),
            Grouped::Later(at(15))
        );
        assert_eq!(q.count(), 3);
        assert!(!q.take_due(at(14)));
        assert!(q.take_due(at(15)));
        assert_eq!(q.last_push, Some(at(15)));
        assert!(!q.take_due(at(40)), "once");
        // Past the window, at once again.
        assert_eq!(q.add(entry(p, s, "Denis", 31), at(31)), Grouped::PushNow);
        assert_eq!(q.count(), 4);
    }

    #[test]
    fn what_the_tutor_saw_leaves_the_count() {
        let (p, o, s) = (PlacementId::new(), PlacementId::new(), StudentId::new());
        let mut q = ReviewQueue::new(TutorId::new());
        let first = sheet(p, s, "Denis", 0);
        let ReviewWhat::Sheet { id: first_id, .. } = first.what else {
            unreachable!()
        };
        q.add(first, at(0));
        q.add(entry(p, s, "Denis", 1), at(1));
        q.add(sheet(o, s, "Denis", 2), at(2));
        assert!(q.due.is_some());
        assert!(!q.would_see(Seen::Sheet(p, ActivitySheetId::new())));
        assert!(q.seen(Seen::Sheet(p, first_id)));
        assert_eq!(q.count(), 2);
        assert!(!q.seen(Seen::Sheets(p)), "no other sheet of p");
        assert!(q.seen(Seen::Logbook(p)));
        assert!(q.due.is_some(), "o's sheet still waits");
        assert!(q.seen(Seen::Placement(o)));
        assert_eq!(q.count(), 0);
        assert_eq!(q.due, None, "nothing left to push");
        assert!(!q.take_due(at(20)));
        assert!(!q.seen(Seen::All));
    }

    #[test]
    fn the_queue_keeps_its_size_but_counts_everything() {
        let (p, s) = (PlacementId::new(), StudentId::new());
        let mut q = ReviewQueue::new(TutorId::new());
        for i in 0..(MAX_QUEUED_ITEMS + 5) {
            q.add(entry(p, s, "Denis", i as i64), at(0));
        }
        assert_eq!(q.items.len(), MAX_QUEUED_ITEMS);
        assert_eq!(q.count(), MAX_QUEUED_ITEMS + 5);
        let (_, body, _) = review_texts(&q.items, q.count()).unwrap();
        assert_eq!(body, "205 activités de Denis à relire");
        q.seen(Seen::All);
        assert_eq!(q.count(), 0);
    }

    #[test]
    fn french_texts_singular_plural_and_several_students() {
        let (p, o) = (PlacementId::new(), PlacementId::new());
        let (denis, eloise) = (StudentId::new(), StudentId::new());
        assert_eq!(review_texts(&[], 0), None);
        let one = [sheet(p, denis, "Denis", 0)];
        assert_eq!(
            review_texts(&one, 1),
            Some((
                "Activité à relire".into(),
                "1 activité de Denis à relire".into(),
                ReviewTarget::Sheets(p)
            ))
        );
        let mut items = vec![entry(p, eloise, "Éloïse", 0), entry(p, eloise, "Éloïse", 1)];
        assert_eq!(
            review_texts(&items, 2),
            Some((
                "Activités à relire".into(),
                "2 activités d'Éloïse à relire".into(),
                ReviewTarget::Logbook(p)
            ))
        );
        items.push(sheet(p, eloise, "Éloïse", 2));
        assert_eq!(
            review_texts(&items, 3).unwrap().2,
            ReviewTarget::Placement(p)
        );
        items.push(sheet(o, denis, "Denis", 3));
        assert_eq!(
            review_texts(&items, 4).unwrap().1,
            "4 activités à relire (Éloïse, Denis)"
        );
        assert_eq!(review_texts(&items, 4).unwrap().2, ReviewTarget::Home);
        for (i, name) in ["Léa", "Maël", "Inès"].iter().enumerate() {
            items.push(entry(
                PlacementId::new(),
                StudentId::new(),
                name,
                4 + i as i64,
            ));
        }
        assert_eq!(
            review_texts(&items, 7).unwrap().1,
            "7 activités à relire (Éloïse, Denis, Léa et 2 autres)"
        );
        items.pop();
        assert_eq!(
            review_texts(&items, 6).unwrap().1,
            "6 activités à relire (Éloïse, Denis, Léa et 1 autre)"
        );
    }

    #[test]
    fn payloads_stay_under_3000_bytes_with_long_names() {
        let p = PlacementId::new();
        let long = "Marie-Élisabeth-Géraldine-Anne-Sophie".repeat(3);
        let items: Vec<ReviewItem> = (0..50)
            .map(|i| entry(p, StudentId::new(), &long, i))
            .collect();
        let (title, body, _) = review_texts(&items, items.len()).unwrap();
        assert!(body.contains("et 47 autres"), "{body}");
        let n = Notification::new(title, body, "/", REVIEW_TAG);
        assert!(n.payload().unwrap().len() <= MAX_PAYLOAD_BYTES);
        let title = "T".repeat(200);
        for n in [
            sheet_reviewed(
                &long,
                ActivitySheetId::new(),
                &title,
                true,
                "/stages/x".into(),
            ),
            company_review_filled(&long, p, "/stages/x".into()),
            placement_ending(
                EndingFor::Referent,
                &long,
                Date::new(2026, 3, 27).unwrap(),
                true,
                p,
                "/stages/x".into(),
            ),
        ] {
            assert!(n.payload().unwrap().len() <= MAX_PAYLOAD_BYTES);
            assert!(crate::domain::push::valid_tag(&n.tag), "{}", n.tag);
        }
    }

    #[test]
    fn other_texts() {
        let s = ActivitySheetId::new();
        let n = sheet_reviewed(
            "Grégoire",
            s,
            "Mise en rayon",
            false,
            "/stages/p/fiches/s".into(),
        );
        assert_eq!(n.title, "Fiche relue");
        assert_eq!(n.body, "Grégoire a relu votre fiche « Mise en rayon »");
        assert!(n.tag.starts_with("fiche-") && n.tag.len() == 22);
        let n = sheet_reviewed("Grégoire", s, "Mise en rayon", true, "/".into());
        assert_eq!(
            n.body,
            "Grégoire a relu et commenté votre fiche « Mise en rayon »"
        );
        let p = PlacementId::new();
        let n = company_review_filled("Maël", p, "/".into());
        assert_eq!(n.body, "Bilan entreprise de Maël rempli par son tuteur");
        let n = company_review_filled("Éloïse", p, "/".into());
        assert_eq!(n.body, "Bilan entreprise d'Éloïse rempli par son tuteur");
        let end = Date::new(2026, 3, 27).unwrap();
        let n = placement_ending(EndingFor::Tutor, "Maël", end, true, p, "/".into());
        assert_eq!(
            n.body,
            "La période de Maël se termine le vendredi 27 mars 2026 : pensez à remplir le bilan entreprise."
        );
        assert_eq!(n.title, "Fin de stage proche");
    }

    #[test]
    fn the_reminder_window_and_the_digest_hour() {
        let end = Date::new(2026, 3, 27).unwrap();
        assert!(!ending_soon(end, Date::new(2026, 3, 19).unwrap()));
        assert!(ending_soon(end, Date::new(2026, 3, 20).unwrap()));
        assert!(ending_soon(end, end));
        assert!(!ending_soon(end, Date::new(2026, 3, 28).unwrap()));
        assert!(review_pending(None));
        assert!(review_pending(Some(&CompanyReviewStatus::Open)));
        assert!(!review_pending(Some(&CompanyReviewStatus::FilledByTutor {
            at: at(0)
        })));
        let day = Date::new(2026, 3, 11).unwrap();
        assert!(!digest_due(day.at(16, 59, 59, 0), None));
        assert!(digest_due(day.at(17, 0, 0, 0), None));
        assert!(digest_due(day.at(23, 0, 0, 0), Date::new(2026, 3, 10).ok()));
        assert!(!digest_due(day.at(18, 0, 0, 0), Some(day)));
    }

    #[test]
    fn the_digest_keeps_one_line_per_item_and_per_tag() {
        let (p, s) = (PlacementId::new(), StudentId::new());
        let mut d = Digest::new(TutorId::new());
        let item = sheet(p, s, "Denis", 0);
        assert!(d.add(DigestEvent::Review(item.clone())));
        assert!(!d.add(DigestEvent::Review(item)));
        let note = |body: &str| DigestEvent::Note {
            kind: NotificationKind::PlacementEnding,
            body: body.into(),
            path: "/".into(),
            tag: "fin-1".into(),
            placement: Some(p),
            at: at(0),
        };
        assert!(d.add(note("a")));
        assert!(d.add(note("b")));
        assert_eq!(d.events.len(), 2);
        assert_eq!(
            digest_subject(&d.events),
            "Livret : 1 activité de Denis à relire"
        );
        assert!(d.seen(Seen::Sheets(p)));
        assert_eq!(d.events, [note("b")]);
        assert_eq!(digest_subject(&d.events), "Livret : b");
        d.remove_sent(&[note("b")]);
        assert!(d.events.is_empty());
    }
}
