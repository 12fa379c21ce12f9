//! Notifications (issue 6), the running part: who is told what, when, and how.
//!
//! | event | who | kind | opens |
//! |---|---|---|---|
//! | a student sends an activity sheet or writes a logbook entry | the placement's tutor | [`ToReview`](NotificationKind::ToReview), grouped | the placement's sheets, logbook or page; the tutor's home for several placements |
//! | the tutor reads (and maybe comments on) a sheet | the student | [`SheetReviewed`](NotificationKind::SheetReviewed) | the sheet |
//! | the tutor says "J'ai terminé" on the company review | the referent | [`CompanyReviewFilled`](NotificationKind::CompanyReviewFilled) | the company review |
//! | 7 days or less before the last day, company review not filled | tutor and referent, once each per placement (one not reachable yet is tried again until the last day) | [`PlacementEnding`](NotificationKind::PlacementEnding) | the review (tutor), the Évaluation module (referent) |
//!
//! [`deliver`] respects each person's settings, pushes to their devices
//! ([`crate::push::Push::queue`]) and, for a tutor without any device, keeps the event
//! for the daily e-mail digest (17:00 school time, only with an SMTP server: without
//! one the digest is skipped, and said once in the log at start, rather than filling
//! the "messages à remettre" every day).
//!
//! Nothing here fails a request: a failure to notify is logged (warning) and the
//! person's action stands. The grouping state, digests and markers live in the store
//! (one transaction per change), so a restart loses nothing. [`tick`] does the timed
//! work; [`start`] runs it every minute.

use crate::domain::notify::{
    Digest, DigestEvent, EndingFor, EndingTold, Grouped, NotificationKind, REVIEW_TAG, ReminderWay,
    ReviewItem, ReviewQueue, ReviewTarget, ReviewWhat, Seen, digest_due, digest_subject,
    ending_soon, review_pending, review_texts,
};
use crate::domain::push::Notification;
use crate::domain::{
    ActivitySheet, LogbookEntry, Placement, PlacementId, School, Subject, Tutor, TutorId, text,
};
use crate::mail::Mail;
use crate::web::State;
use crate::web::pages::company_review::review_url;
use crate::web::pages::competency::evaluation_module_url;
use crate::web::pages::notifications::{DigestReach, digest_reach};
use crate::web::pages::placement_url;
use jiff::{SignedDuration, Timestamp};
use maud::html;
use std::time::Duration;

/// How often the background task wakes up: every minute.
pub const TICK_EVERY: Duration = Duration::from_secs(60);

/// How often the end-of-placement scan runs at most: hourly.
pub const ENDING_SCAN_EVERY: SignedDuration = SignedDuration::from_hours(1);

/// Where an event went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The person turned this kind off: nowhere.
    OptedOut,
    /// Queued for the person's devices.
    Pushed,
    /// Grouped: pushed later, at the end of the 15-minute window.
    Grouped,
    /// Kept for the tutor's daily e-mail digest.
    Digest,
    /// Nowhere: no device, and no digest (not a tutor, no SMTP server, no e-mail
    /// address, or a replay already counted).
    Dropped,
}

/// True when `subject` has at least one push subscription.
fn has_device(state: &State, subject: &Subject) -> crate::Result<bool> {
    Ok(!state.store.push_subscriptions_of(subject)?.is_empty())
}

/// True when a digest e-mail could reach `tutor`: an SMTP server is configured and
/// the tutor has an address (the rule the Notifications page explains).
fn digest_possible(state: &State, tutor: TutorId) -> crate::Result<bool> {
    Ok(digest_reach(state, tutor)? == DigestReach::Possible)
}

/// The placements among `items`' whose tutor is no longer `tutor` (the coordination
/// changed the placement's tutor, or the placement is gone): their pages are a 404 for
/// `tutor`. Their items leave `tutor`'s queue and digest (they are not moved: the new
/// tutor sees the sheets and entries in their own space).
fn former_placements<'a>(
    state: &State,
    tutor: TutorId,
    items: impl IntoIterator<Item = &'a ReviewItem>,
) -> crate::Result<Vec<PlacementId>> {
    let mut checked: Vec<PlacementId> = Vec::new();
    let mut former = Vec::new();
    for i in items {
        if checked.contains(&i.placement) {
            continue;
        }
        checked.push(i.placement);
        if state
            .store
            .placement(i.placement)?
            .is_none_or(|p| p.tutor != tutor)
        {
            former.push(i.placement);
        }
    }
    Ok(former)
}

/// `q` without the items of placements `q.tutor` no longer tutors, which are also
/// dropped from the stored queue and digest (see [`former_placements`]).
async fn current_items(state: &State, mut q: ReviewQueue) -> crate::Result<ReviewQueue> {
    for p in former_placements(state, q.tutor, &q.items)? {
        state.store.review_seen(q.tutor, Seen::Placement(p)).await?;
        q.items.retain(|i| i.placement != p);
    }
    Ok(q)
}

/// Logs a failure to notify; the person's action still succeeded.
fn logged(what: &str, result: crate::Result<Route>) -> Route {
    match result {
        Ok(route) => route,
        Err(e) => {
            tracing::warn!(error = %e, "notifications : {what} non transmis");
            Route::Dropped
        }
    }
}

/// Tells `subject` about an event of `kind`: nothing when they turned the kind off;
/// otherwise a push to their devices; a tutor without any device gets it in their
/// daily digest instead (when a digest can reach them). Never fails: a failure is
/// logged and answered [`Route::Dropped`].
pub async fn deliver(
    state: &State,
    subject: Subject,
    kind: NotificationKind,
    notification: Notification,
) -> Route {
    logged(
        kind.slug(),
        try_deliver(state, subject, kind, notification).await,
    )
}

async fn try_deliver(
    state: &State,
    subject: Subject,
    kind: NotificationKind,
    notification: Notification,
) -> crate::Result<Route> {
    if !state.store.wants_notification(&subject, kind)? {
        return Ok(Route::OptedOut);
    }
    if has_device(state, &subject)? {
        return Ok(if state.push.queue(subject, notification) {
            Route::Pushed
        } else {
            Route::Dropped
        });
    }
    match subject {
        Subject::Tutor(tutor) if digest_possible(state, tutor)? => {
            let event = DigestEvent::Note {
                kind,
                body: notification.body,
                path: notification.url,
                tag: notification.tag,
                placement: None,
                at: state.clock.now(),
            };
            state.store.add_to_digest(tutor, &event).await?;
            Ok(Route::Digest)
        }
        _ => Ok(Route::Dropped),
    }
}

/// The path an "à relire" notification opens.
fn review_path(target: ReviewTarget) -> String {
    match target {
        ReviewTarget::Home => "/".to_string(),
        ReviewTarget::Placement(p) => placement_url(p),
        ReviewTarget::Sheets(p) => format!("{}/fiches", placement_url(p)),
        ReviewTarget::Logbook(p) => format!("{}/journal", placement_url(p)),
    }
}

/// The "à relire" push of a queue: "3 activités de Denis à relire", tag
/// [`REVIEW_TAG`]; `None` when nothing waits.
pub fn review_notification(q: &ReviewQueue) -> Option<Notification> {
    let (title, body, target) = review_texts(&q.items, q.count())?;
    Some(Notification::new(
        title,
        body,
        review_path(target),
        REVIEW_TAG,
    ))
}

/// A student sent an activity sheet to their tutor (the form, or the sync API when the
/// sheet goes from draft to sent): tells the placement's tutor, grouped.
pub async fn sheet_sent(state: &State, sheet: &ActivitySheet) -> Route {
    let result = async {
        let p = state
            .store
            .placement(sheet.placement)?
            .ok_or_else(|| crate::Error::Internal("période de la fiche absente".into()))?;
        let what = ReviewWhat::Sheet {
            id: sheet.id,
            title: sheet.title.clone(),
        };
        to_review(state, &p, what).await
    };
    logged("à relire", result.await)
}

/// A student wrote a new logbook entry (the form, or the sync API the first time it
/// sees the entry's id): tells the placement's tutor, grouped.
pub async fn entry_written(state: &State, p: &Placement, entry: &LogbookEntry) -> Route {
    let what = ReviewWhat::Entry {
        id: entry.id,
        date: entry.date,
    };
    logged("à relire", to_review(state, p, what).await)
}

/// The grouping rule of issue 6: the item joins the tutor's queue; the count is pushed
/// now unless a push went less than 15 minutes ago, in which case one push is due at
/// the window's end ([`flush_due`] sends it, with the count of then). A tutor without
/// any device gets the item in their digest.
async fn to_review(state: &State, p: &Placement, what: ReviewWhat) -> crate::Result<Route> {
    let tutor = Subject::Tutor(p.tutor);
    if !state
        .store
        .wants_notification(&tutor, NotificationKind::ToReview)?
    {
        return Ok(Route::OptedOut);
    }
    let first_name = state
        .store
        .student(p.student)?
        .map(|s| s.name.first)
        .unwrap_or_default();
    let now = state.clock.now();
    let item = ReviewItem {
        placement: p.id,
        student: p.student,
        first_name,
        what,
        at: now,
    };
    if !has_device(state, &tutor)? {
        if !digest_possible(state, p.tutor)? {
            return Ok(Route::Dropped);
        }
        let added = state
            .store
            .add_to_digest(p.tutor, &DigestEvent::Review(item))
            .await?;
        return Ok(if added { Route::Digest } else { Route::Dropped });
    }
    let (grouped, queue) = state.store.add_review_item(p.tutor, &item, now).await?;
    let queue = if grouped == Grouped::PushNow {
        current_items(state, queue).await?
    } else {
        queue
    };
    match grouped {
        Grouped::PushNow => {
            let pushed = review_notification(&queue).is_some_and(|n| state.push.queue(tutor, n));
            Ok(if pushed {
                Route::Pushed
            } else {
                Route::Dropped
            })
        }
        Grouped::Later(_) => Ok(Route::Grouped),
        Grouped::Unchanged => Ok(Route::Dropped),
    }
}

/// The tutor opened a page showing what waits (their home, a placement, its sheets
/// or logbook, a sheet): those items leave the count and the digest.
pub async fn seen(state: &State, tutor: TutorId, scope: Seen) {
    if let Err(e) = state.store.review_seen(tutor, scope).await {
        tracing::warn!(error = %e, "notifications : lecture du tuteur non enregistrée");
    }
}

/// The tutor read (and maybe commented on) a sheet: tells the student, "Grégoire a
/// relu votre fiche « Mise en rayon »", opening the sheet.
pub async fn sheet_reviewed(state: &State, p: &Placement, sheet: &ActivitySheet) -> Route {
    let result = async {
        let tutor_first = state
            .store
            .tutor(p.tutor)?
            .map_or_else(|| "Votre tuteur".to_string(), |t| t.name.first);
        let commented = sheet
            .tutor_comment
            .as_ref()
            .is_some_and(|c| !c.text.is_empty());
        let url = format!("{}/fiches/{}", placement_url(p.id), sheet.id);
        let n = crate::domain::notify::sheet_reviewed(
            &tutor_first,
            sheet.id,
            &sheet.title,
            commented,
            url,
        );
        Ok(deliver(
            state,
            Subject::Student(p.student),
            NotificationKind::SheetReviewed,
            n,
        )
        .await)
    };
    logged("fiche relue", result.await)
}

/// The tutor said "J'ai terminé" on the company review: tells the referent, opening
/// the review.
pub async fn company_review_filled(state: &State, p: &Placement) -> Route {
    let result = async {
        let first = student_first(state, p)?;
        let n = crate::domain::notify::company_review_filled(&first, p.id, review_url(p.id));
        Ok(deliver(
            state,
            Subject::Teacher(p.referent),
            NotificationKind::CompanyReviewFilled,
            n,
        )
        .await)
    };
    logged("bilan rempli", result.await)
}

fn student_first(state: &State, p: &Placement) -> crate::Result<String> {
    Ok(state
        .store
        .student(p.student)?
        .map(|s| s.name.first)
        .unwrap_or_default())
}

/// Pushes the grouped "à relire" counts whose window ended. A tutor who meanwhile
/// removed every device gets the items in their digest. Items of a placement whose
/// tutor was changed meanwhile are dropped, not sent to the former tutor (see
/// [`former_placements`]). Returns how many tutors were told.
///
/// # Errors
/// Store failure.
pub async fn flush_due(state: &State) -> crate::Result<usize> {
    let mut told = 0;
    for q in state.store.take_due_reviews(state.clock.now()).await? {
        let q = current_items(state, q).await?;
        let tutor = Subject::Tutor(q.tutor);
        if !state
            .store
            .wants_notification(&tutor, NotificationKind::ToReview)?
        {
            continue;
        }
        if has_device(state, &tutor)? {
            if let Some(n) = review_notification(&q)
                && state.push.queue(tutor, n)
            {
                told += 1;
            }
        } else if digest_possible(state, q.tutor)? {
            for item in &q.items {
                state
                    .store
                    .add_to_digest(q.tutor, &DigestEvent::Review(item.clone()))
                    .await?;
            }
        }
    }
    Ok(told)
}

/// The end-of-placement reminder: for each placement whose last day is 7 days away or
/// less (school's date) and whose company review is not filled (none yet, or still
/// open), the tutor (opening the review, or the Évaluation module while there is none)
/// and the referent (opening the Évaluation module), each once. A recipient counts as
/// told when the reminder was queued for their devices, put in their digest, or when
/// they turned the kind off; one not reachable yet (no device, no digest) is tried
/// again at the next scans until the placement's last day, so a referent who
/// subscribes a device two days later still gets it. Returns how many recipients
/// were told (pushed or put in a digest) by this scan.
///
/// # Errors
/// Store failure.
pub async fn remind_endings(state: &State) -> crate::Result<usize> {
    let today = state.clock.today();
    let mut told = 0;
    for p in state.store.placements()? {
        if !ending_soon(p.end, today) {
            continue;
        }
        let review = state.store.company_review(p.id)?;
        if !review_pending(review.as_ref().map(|r| &r.status)) {
            continue;
        }
        // Both recipients were told under the first version's single marker.
        if state.store.ending_reminded(p.id)? {
            continue;
        }
        let (tutor, referent) = (Subject::Tutor(p.tutor), Subject::Teacher(p.referent));
        if state.store.ending_told(p.id, &tutor)? && state.store.ending_told(p.id, &referent)? {
            continue;
        }
        let prepared = review.is_some();
        let first = student_first(state, &p)?;
        let tutor_url = if prepared {
            review_url(p.id)
        } else {
            evaluation_module_url(p.id)
        };
        let to_tutor = crate::domain::notify::placement_ending(
            EndingFor::Tutor,
            &first,
            p.end,
            prepared,
            p.id,
            tutor_url,
        );
        let to_referent = crate::domain::notify::placement_ending(
            EndingFor::Referent,
            &first,
            p.end,
            prepared,
            p.id,
            evaluation_module_url(p.id),
        );
        for (recipient, n) in [(tutor, to_tutor), (referent, to_referent)] {
            if remind(state, recipient, n, p.id).await {
                told += 1;
            }
        }
    }
    Ok(told)
}

/// Tells `recipient` that `placement` ends soon, unless they were told before (see
/// [`remind_endings`]); true when a message went (pushed or put in the digest).
/// Never fails: a failure is logged and the next scan tries again.
async fn remind(
    state: &State,
    recipient: Subject,
    n: Notification,
    placement: crate::domain::PlacementId,
) -> bool {
    let result = async {
        if state.store.ending_told(placement, &recipient)? {
            return Ok(false);
        }
        let kind = NotificationKind::PlacementEnding;
        let way = if !state.store.wants_notification(&recipient, kind)? {
            ReminderWay::TurnedOff
        } else if has_device(state, &recipient)? {
            ReminderWay::Pushed
        } else {
            match recipient {
                Subject::Tutor(t) if digest_possible(state, t)? => ReminderWay::Digest,
                // Not reachable yet: no marker, tried again at the next scan.
                _ => return Ok(false),
            }
        };
        // The tutor's digest line names the placement, so that it is dropped if the
        // review is filled before the digest goes.
        let event = DigestEvent::Note {
            kind,
            body: n.body.clone(),
            path: n.url.clone(),
            tag: n.tag.clone(),
            placement: Some(placement),
            at: state.clock.now(),
        };
        let digest = match (way, recipient) {
            (ReminderWay::Digest, Subject::Tutor(t)) => Some((t, &event)),
            _ => None,
        };
        let told = EndingTold {
            placement,
            recipient,
            way,
            at: state.clock.now(),
        };
        if !state.store.claim_ending_reminder(&told, digest).await? {
            return Ok(false);
        }
        if way == ReminderWay::Pushed && !state.push.queue(recipient, n) {
            // The queue is full: not told after all; the next scan tries again.
            state
                .store
                .unclaim_ending_reminder(placement, &recipient)
                .await?;
            return Ok(false);
        }
        Ok::<_, crate::Error>(way != ReminderWay::TurnedOff)
    };
    match result.await {
        Ok(told) => told,
        Err(e) => {
            tracing::warn!(error = %e, "notifications : fin de stage non transmis");
            false
        }
    }
}

/// The events of `d` still worth sending: kinds the tutor still wants, no
/// end-of-placement line for a review filled meanwhile, and nothing about a placement
/// whose tutor was changed meanwhile (its pages are a 404 for the former tutor; the
/// new one sees it in their space).
fn still_wanted(state: &State, d: &Digest) -> crate::Result<Vec<DigestEvent>> {
    let tutor = Subject::Tutor(d.tutor);
    let settings = state.store.notification_settings(&tutor)?;
    let still_tutor = |p: crate::domain::PlacementId| -> crate::Result<bool> {
        Ok(state
            .store
            .placement(p)?
            .is_some_and(|p| p.tutor == d.tutor))
    };
    let mut out = Vec::new();
    for e in &d.events {
        let keep = match e {
            DigestEvent::Review(i) => {
                settings.wants(NotificationKind::ToReview) && still_tutor(i.placement)?
            }
            DigestEvent::Note {
                placement: Some(p), ..
            } if !still_tutor(*p)? => false,
            DigestEvent::Note {
                kind, placement, ..
            } => {
                let filled = match (kind, placement) {
                    (NotificationKind::PlacementEnding, Some(p)) => {
                        !review_pending(state.store.company_review(*p)?.as_ref().map(|r| &r.status))
                    }
                    _ => false,
                };
                settings.wants(*kind) && !filled
            }
        };
        if keep {
            out.push(e.clone());
        }
    }
    Ok(out)
}

/// Sends the daily digests: one e-mail per tutor with something pending, by SMTP
/// (issue 3's transport). Events that went, or that the tutor no longer wants, leave
/// the digest; when the SMTP server fails, they stay for the next day's digest (they
/// do not go to the "messages à remettre": the digest only repeats what Livret
/// shows). Without an SMTP server, nothing is sent (nothing is collected either).
/// Returns how many e-mails went.
///
/// # Errors
/// Store failure.
pub async fn send_digests(state: &State) -> crate::Result<usize> {
    let Some(mailer) = &state.mailer else {
        return Ok(0);
    };
    let school = state.store.school()?;
    let mut sent = 0;
    for d in state.store.digests()? {
        let events = still_wanted(state, &d)?;
        let tutor = state.store.tutor(d.tutor)?;
        let Some(tutor) = tutor.filter(|t| t.email.as_deref().is_some_and(|e| !e.is_empty()))
        else {
            state.store.remove_from_digest(d.tutor, &d.events).await?;
            continue;
        };
        let dropped: Vec<DigestEvent> = d
            .events
            .iter()
            .filter(|e| !events.contains(e))
            .cloned()
            .collect();
        if !dropped.is_empty() {
            state.store.remove_from_digest(d.tutor, &dropped).await?;
        }
        if events.is_empty() {
            continue;
        }
        let mail = digest_mail(
            school.as_ref(),
            &tutor,
            &events,
            &state.config.public_url,
            state.clock.zone(),
        );
        match mailer.send(&mail, state.clock.now()).await {
            Ok(()) => {
                state.store.remove_from_digest(d.tutor, &events).await?;
                sent += 1;
            }
            Err(reason) => {
                tracing::warn!(%reason, "récapitulatif quotidien non envoyé : il repartira demain");
            }
        }
    }
    if sent > 0 {
        tracing::info!(sent, "récapitulatifs quotidiens envoyés");
    }
    Ok(sent)
}

/// One line of the digest: the text and the page's path.
fn digest_line(e: &DigestEvent, zone: &jiff::tz::TimeZone) -> (String, String) {
    match e {
        DigestEvent::Review(i) => match &i.what {
            ReviewWhat::Sheet { id, title } => (
                format!("Fiche activité « {title} » ({})", i.first_name),
                format!("{}/fiches/{id}", placement_url(i.placement)),
            ),
            ReviewWhat::Entry { id, date } => (
                format!(
                    "Journal de bord du {} ({}), écrit le {}",
                    text::date_long(*date),
                    i.first_name,
                    text::date_short(i.at.to_zoned_datetime(zone.clone()).date())
                ),
                format!("{}/journal#entree-{id}", placement_url(i.placement)),
            ),
        },
        DigestEvent::Note { body, path, .. } => (body.clone(), path.clone()),
    }
}

/// The daily digest e-mail of `tutor` for `events` (text and HTML alternatives): the
/// count of what waits, one line per event with the page's full URL, and how to get in
/// (the personal link received earlier: Livret keeps only its hash, so the digest
/// cannot repeat it), the Notifications page to change what they receive, the
/// school's name.
pub fn digest_mail(
    school: Option<&School>,
    tutor: &Tutor,
    events: &[DigestEvent],
    public_url: &str,
    zone: &jiff::tz::TimeZone,
) -> Mail {
    let base = public_url.trim_end_matches('/');
    let school_name = school.map_or("l'établissement", |s| s.name.as_str());
    let items: Vec<ReviewItem> = events
        .iter()
        .filter_map(|e| match e {
            DigestEvent::Review(i) => Some(i.clone()),
            DigestEvent::Note { .. } => None,
        })
        .collect();
    let review_head = review_texts(&items, items.len()).map(|(_, body, _)| format!("{body} :"));
    let review_lines: Vec<(String, String)> = events
        .iter()
        .filter(|e| matches!(e, DigestEvent::Review(_)))
        .map(|e| digest_line(e, zone))
        .map(|(t, path)| (t, format!("{base}{path}")))
        .collect();
    let notes: Vec<(String, String)> = events
        .iter()
        .filter(|e| matches!(e, DigestEvent::Note { .. }))
        .map(|e| digest_line(e, zone))
        .map(|(t, path)| (t, format!("{base}{path}")))
        .collect();
    let greeting = format!("Bonjour {},", tutor.name.full());
    let intro = "Voici ce qui vous attend dans Livret, le livret de suivi des stages :";
    let how = "Pour ouvrir ces pages, ouvrez Livret avec le lien personnel que vous avez reçu de l'établissement par e-mail : sur le téléphone ou l'ordinateur où vous l'avez déjà ouvert, Livret vous reconnaît généralement encore. Par sécurité, ce récapitulatif ne contient pas votre lien personnel.";
    let settings_url = format!("{base}/notifications");
    let why = "Vous recevez ce récapitulatif, au plus une fois par jour, parce que les notifications de Livret ne sont activées sur aucun de vos appareils. Vous pouvez les activer, ou choisir ce que vous recevez, sur la page « Notifications » :";
    let mut text_parts = vec![greeting.clone(), intro.to_string()];
    if let Some(head) = &review_head {
        let mut block = head.clone();
        for (t, url) in &review_lines {
            block.push_str(&format!("\n- {t}\n  {url}"));
        }
        text_parts.push(block);
    }
    for (t, url) in &notes {
        text_parts.push(format!("{t}\n{url}"));
    }
    text_parts.push(how.to_string());
    text_parts.push(format!("{why}\n{settings_url}"));
    text_parts.push(format!("L'équipe pédagogique\n{school_name}"));
    let text = text_parts.join("\n\n");
    const P: &str = "margin:0 0 14px;font-size:16px;line-height:1.5;color:#1b1f24";
    const A: &str = "color:#1d4e89";
    let html = html! {
        (maud::DOCTYPE)
        html lang="fr" {
            head { meta charset="utf-8"; title { "Livret : votre récapitulatif" } }
            body style="margin:0;padding:0;background:#f5f7fa" {
                div style="max-width:600px;margin:0 auto;padding:24px 20px;background:#ffffff;font-family:Arial,Helvetica,sans-serif" {
                    p style=(P) { (greeting) }
                    p style=(P) { (intro) }
                    @if let Some(head) = &review_head {
                        p style=(format!("{P};font-weight:bold")) { (head) }
                        ul style="margin:0 0 14px;padding-left:20px;font-size:16px;line-height:1.5" {
                            @for (t, url) in &review_lines {
                                li { a href=(url) style=(A) { (t) } }
                            }
                        }
                    }
                    @for (t, url) in &notes {
                        p style=(P) { a href=(url) style=(A) { (t) } }
                    }
                    p style=(P) { (how) }
                    p style="margin:0 0 14px;font-size:14px;line-height:1.5;color:#5a6472" {
                        (why) " " a href=(settings_url) style=(A) { (settings_url) }
                    }
                    p style=(P) { "L'équipe pédagogique" br; (school_name) }
                }
            }
        }
    };
    Mail {
        to: tutor.email.clone().unwrap_or_default(),
        to_name: tutor.name.full(),
        subject: digest_subject(events),
        text,
        html: html.into_string(),
    }
}

/// What [`tick`] remembers between two calls in the background task.
#[derive(Debug, Default, Clone)]
pub struct Schedule {
    /// When the end-of-placement scan last ran.
    pub last_ending_scan: Option<Timestamp>,
}

/// The timed work, once, at the clock's now: pushes the grouped "à relire" counts that
/// are due, runs the end-of-placement scan, and sends the daily digests when it is
/// 17:00 or later (school time) and they have not gone today. Failures are logged.
pub async fn tick(state: &State) {
    tick_with(state, &mut Schedule::default()).await;
}

/// [`tick`], with the end-of-placement scan at most once per [`ENDING_SCAN_EVERY`]
/// according to `schedule`.
pub async fn tick_with(state: &State, schedule: &mut Schedule) {
    if let Err(e) = flush_due(state).await {
        tracing::warn!(error = %e, "notifications groupées non envoyées");
    }
    let now = state.clock.now();
    let scan = schedule
        .last_ending_scan
        .is_none_or(|t| now.duration_since(t) >= ENDING_SCAN_EVERY);
    if scan {
        schedule.last_ending_scan = Some(now);
        if let Err(e) = remind_endings(state).await {
            tracing::warn!(error = %e, "rappels de fin de stage non envoyés");
        }
    }
    let digests = async {
        let local = state.clock.now_zoned().datetime();
        if state.mailer.is_some()
            && digest_due(local, state.store.digest_day()?)
            && state.store.claim_digest_day(local.date()).await?
        {
            send_digests(state).await?;
        }
        Ok::<_, crate::Error>(())
    };
    if let Err(e) = digests.await {
        tracing::warn!(error = %e, "récapitulatifs quotidiens non envoyés");
    }
}

/// Starts the background task: [`tick_with`] every [`TICK_EVERY`] (the first at once),
/// never faster (a late tick is not caught up in a burst). Says once, at start, when
/// the daily digest is off for want of an SMTP server.
pub fn start(state: State) -> tokio::task::JoinHandle<()> {
    if state.mailer.is_none() {
        tracing::info!(
            "pas de serveur SMTP : pas de récapitulatif quotidien par e-mail pour les tuteurs sans notifications"
        );
    }
    tokio::spawn(async move {
        let mut every = tokio::time::interval(TICK_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut schedule = Schedule::default();
        loop {
            every.tick().await;
            tick_with(&state, &mut schedule).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    #[test]
    fn the_digest_mail_lists_the_events_with_full_urls_and_no_link() {
        let tutor = Tutor {
            id: TutorId::new(),
            company: CompanyId::new(),
            name: PersonName::new("Hélène", "Caillé"),
            job_title: String::new(),
            email: Some("helene@example.fr".into()),
            phone: None,
        };
        let school = School {
            id: SchoolId::new(),
            name: "Lycée Jules-Verne".into(),
            uai: "0350001A".into(),
            address: String::new(),
            city: String::new(),
        };
        let p = PlacementId::new();
        let s = StudentId::new();
        let sheet = ActivitySheetId::new();
        let at: Timestamp = "2026-03-11T09:30:00Z".parse().unwrap();
        let events = vec![
            DigestEvent::Review(ReviewItem {
                placement: p,
                student: s,
                first_name: "Maël".into(),
                what: ReviewWhat::Sheet {
                    id: sheet,
                    title: "Pose <d'un> tableau".into(),
                },
                at,
            }),
            DigestEvent::Note {
                kind: NotificationKind::PlacementEnding,
                body: "La période de Maël se termine le vendredi 27 mars 2026 : pensez à remplir le bilan entreprise.".into(),
                path: format!("/stages/{p}/bilan-entreprise"),
                tag: "fin-x".into(),
                placement: Some(p),
                at,
            },
        ];
        let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        let m = digest_mail(
            Some(&school),
            &tutor,
            &events,
            "https://livret.example/",
            &zone,
        );
        assert_eq!(m.to, "helene@example.fr");
        assert_eq!(m.subject, "Livret : 1 activité de Maël à relire");
        for needle in [
            "Bonjour Hélène Caillé,",
            "1 activité de Maël à relire :",
            "Fiche activité « Pose <d'un> tableau » (Maël)",
            &format!("https://livret.example/stages/{p}/fiches/{sheet}"),
            &format!("https://livret.example/stages/{p}/bilan-entreprise"),
            "lien personnel",
            "https://livret.example/notifications",
            "Lycée Jules-Verne",
        ] {
            assert!(m.text.contains(needle), "{needle:?} not in\n{}", m.text);
        }
        assert!(!m.text.contains("/acces/"));
        assert!(
            m.html.contains("Pose &lt;d&#39;un&gt; tableau")
                || m.html.contains("Pose &lt;d'un&gt; tableau")
        );
        assert!(!m.html.contains("<d'un>"));
        // Only the end of placement: the subject says it.
        let m = digest_mail(None, &tutor, &events[1..], "https://livret.example", &zone);
        assert_eq!(
            m.subject,
            "Livret : La période de Maël se termine le vendredi 27 mars 2026 : pensez à remplir le bilan entreprise"
        );
        assert!(m.text.contains("l'établissement"));
    }
}
