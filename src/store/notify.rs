//! Notifications (issue 6): each person's settings (the kinds they turned off).

use super::codec::Record;
use super::{Result, Store, keys};
use crate::domain::Subject;
use crate::domain::notify::{NotificationKind, NotificationSettings};

impl Record for NotificationSettings {
    const KIND: &'static str = "notification-settings";
}

fn settings_key(subject: &Subject) -> Vec<u8> {
    keys::key(&[keys::NOTIFY_SETTINGS, &keys::subject(subject)])
}

impl Store {
    /// `subject`'s notification settings; every kind on when never saved.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn notification_settings(&self, subject: &Subject) -> Result<NotificationSettings> {
        Ok(self
            .get(&settings_key(subject))?
            .unwrap_or_else(|| NotificationSettings::all_on(*subject)))
    }

    /// True unless `subject` turned `kind` off (false for a kind of another role).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn wants_notification(&self, subject: &Subject, kind: NotificationKind) -> Result<bool> {
        Ok(self.notification_settings(subject)?.wants(kind))
    }

    /// Saves `settings` (replacing the person's previous ones).
    ///
    /// # Errors
    /// sled failure.
    pub async fn put_notification_settings(&self, settings: &NotificationSettings) -> Result<()> {
        let key = settings_key(&settings.subject);
        self.write(|tx| tx.put(&key, settings)).await
    }
}
