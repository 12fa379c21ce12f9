//! The embedded store: the only module that imports sled (DESIGN.md, "Storage rules").
//!
//! One sled database under the data directory with two trees: `meta` (schema version)
//! and `data` (every record, keys laid out in [`keys`]). Multi-record changes are one
//! transaction on `data`; every write method flushes to disk before it returns, so a
//! change acknowledged to a user survives a crash.

mod attendance;
pub mod backup;
pub use attendance::{ConfirmedAttendance, SavedAttendance};
pub mod codec;
mod evaluations;
mod imports;
pub mod keys;
pub mod migrations;
mod notify;
mod outbox;
mod passkeys;
pub use passkeys::{MAX_LIVE_CEREMONIES, PURGE_EVERY_SECS, PasskeyRemoval};
mod passkey_reset;
mod people;
mod placements;
mod push;
mod tutor_access;

use crate::domain::access::{AccessKind, AccessToken, Session, SetupLink};
use crate::domain::*;
use codec::{CodecError, Record, decode, encode};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use std::path::Path;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (disk full, permissions, corruption…).
    #[error("base de données : {0}")]
    Sled(#[from] sled::Error),
    /// A record could not be read.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The data was written by a newer Livret.
    #[error(
        "ces données ont été écrites par une version plus récente de Livret (schéma {found}, cette version lit jusqu'au schéma {supported}) : installez une version récente de Livret, ou restaurez une sauvegarde"
    )]
    NewerSchema {
        /// Version found in the data.
        found: u32,
        /// Newest version this binary knows.
        supported: u32,
    },
    /// The `meta` tree holds a value that is not a schema version.
    #[error("version de schéma illisible dans le répertoire de données")]
    BadMeta,
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<StoreError>>;

/// Typed access to the `data` tree inside a transaction.
pub struct Tx<'a>(&'a TransactionalTree);

fn abort<E: Into<StoreError>>(e: E) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e.into())
}

impl Tx<'_> {
    /// Reads a record.
    ///
    /// # Errors
    /// Aborts the transaction when the record does not decode.
    pub fn get<T: Record>(&self, key: &[u8]) -> TxResult<Option<T>> {
        match self.0.get(key)? {
            Some(bytes) => decode(&bytes).map(Some).map_err(abort),
            None => Ok(None),
        }
    }

    /// Reads a raw value.
    ///
    /// # Errors
    /// sled conflict or failure.
    pub fn get_raw(&self, key: &[u8]) -> TxResult<Option<Vec<u8>>> {
        Ok(self.0.get(key)?.map(|v| v.to_vec()))
    }

    /// Writes a record.
    ///
    /// # Errors
    /// sled conflict or failure.
    pub fn put<T: Record>(&self, key: &[u8], value: &T) -> TxResult<()> {
        self.0.insert(key, encode(value).map_err(abort)?)?;
        Ok(())
    }

    /// Writes a raw value (index entries).
    ///
    /// # Errors
    /// sled conflict or failure.
    pub fn put_raw(&self, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.0.insert(key, value)?;
        Ok(())
    }

    /// Deletes a key.
    ///
    /// # Errors
    /// sled conflict or failure.
    pub fn remove(&self, key: &[u8]) -> TxResult<()> {
        self.0.remove(key)?;
        Ok(())
    }
}

/// The open store. Cheap to clone (sled handles are reference-counted).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    data: sled::Tree,
    /// Held for reading by every write, for writing by a backup (see
    /// [`backup`]): a backup sees no half-done transaction.
    gate: std::sync::Arc<tokio::sync::RwLock<()>>,
}

/// Every record of the school at once, written in one transaction (demo, import).
#[derive(Default, Debug, Clone)]
pub struct SchoolSeed {
    /// The school.
    pub school: Option<School>,
    /// Classes.
    pub classes: Vec<Class>,
    /// Students.
    pub students: Vec<Student>,
    /// Teachers.
    pub teachers: Vec<Teacher>,
    /// Coordinators.
    pub coordinators: Vec<Coordinator>,
    /// Companies.
    pub companies: Vec<Company>,
    /// Tutors.
    pub tutors: Vec<Tutor>,
    /// Placements.
    pub placements: Vec<Placement>,
    /// Logbook entries.
    pub logbook: Vec<LogbookEntry>,
    /// Activity sheets.
    pub sheets: Vec<ActivitySheet>,
    /// School evaluations.
    pub evaluations: Vec<Evaluation>,
    /// Company reviews.
    pub company_reviews: Vec<CompanyReview>,
    /// Interim reviews.
    pub interim_reviews: Vec<InterimReview>,
    /// Attendance records (issue 8).
    pub attendances: Vec<crate::domain::attendance::Attendance>,
}

fn id16(bytes: &[u8]) -> Option<[u8; 16]> {
    bytes.try_into().ok()
}

impl Store {
    /// Opens (or creates) the store in `dir`, runs pending migrations, and refuses data
    /// written by a newer schema. Before migrating data of an older schema it writes
    /// a backup into `dir/sauvegardes/` (issue 9: upgrades never lose data).
    ///
    /// `cache_bytes` bounds sled's page cache (sled's default is 1 GiB).
    ///
    /// # Errors
    /// [`StoreError::NewerSchema`] for data from a newer Livret; sled errors (for
    /// example the directory is used by another running Livret).
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store> {
        let store = Store::open_unmigrated(dir, cache_bytes)?;
        let supported = migrations::current();
        let found = store.schema_version()?;
        if found > supported {
            return Err(StoreError::NewerSchema { found, supported });
        }
        let pending: Vec<_> = migrations::MIGRATIONS
            .iter()
            .filter(|m| m.to > found)
            .collect();
        if found > 0 && !pending.is_empty() {
            // Issue 9: a newer binary on older data backs it up before changing it.
            let path = store.backup_before_migration(dir, found)?;
            tracing::info!(
                file = %path.display(),
                "sauvegarde automatique avant la mise à jour du schéma {found} vers {supported}"
            );
        }
        let meta = store.db.open_tree("meta")?;
        for m in pending {
            tracing::info!(to = m.to, "migration du schéma : {}", m.description);
            (m.run)(&store.data)?;
            meta.insert("schema_version", &m.to.to_be_bytes())?;
            store.db.flush()?;
        }
        Ok(store)
    }

    /// Opens the store in `dir` as it is: no migration, any schema version (a backup
    /// copies the data as found).
    ///
    /// # Errors
    /// sled errors (for example the directory is used by another running Livret).
    pub fn open_unmigrated(dir: &Path, cache_bytes: u64) -> Result<Store> {
        // No background flusher thread: every write flushes before it returns (see
        // `write`), and without the thread the directory's lock is released as soon as
        // the store is dropped (a flusher could hold it for up to its period).
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .flush_every_ms(None)
            .open()?;
        let data = db.open_tree("data")?;
        Ok(Store {
            db,
            data,
            gate: std::sync::Arc::new(tokio::sync::RwLock::new(())),
        })
    }

    /// The schema version of the open data.
    ///
    /// # Errors
    /// sled failure or unreadable meta.
    pub fn schema_version(&self) -> Result<u32> {
        let meta = self.db.open_tree("meta")?;
        match meta.get("schema_version")? {
            Some(v) => Ok(u32::from_be_bytes(
                v.as_ref().try_into().map_err(|_| StoreError::BadMeta)?,
            )),
            None => Ok(0),
        }
    }

    /// Writes everything to disk.
    ///
    /// # Errors
    /// sled failure.
    pub async fn flush(&self) -> Result<()> {
        self.db.flush_async().await?;
        Ok(())
    }

    /// Runs `f` as one transaction on the data tree, then flushes.
    ///
    /// # Errors
    /// The error `f` aborted with, or sled failure.
    pub async fn write<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T> {
        let _open = self.gate.read().await;
        let out = self.data.transaction(|t| f(&Tx(t))).map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::Sled(e),
        })?;
        self.flush().await?;
        Ok(out)
    }

    /// Replaces the record at `key` with `update(current)` in one transaction, so two
    /// concurrent changes never overwrite each other; `update` returns `None` to leave
    /// it unchanged. Returns the stored record and whether `update` was applied; `None`
    /// when there is no record.
    async fn update_record<T: Record + Clone>(
        &self,
        key: Vec<u8>,
        update: impl Fn(T) -> Option<T>,
    ) -> Result<Option<(T, bool)>> {
        self.write(|tx| match tx.get::<T>(&key)? {
            Some(current) => match update(current.clone()) {
                Some(next) => {
                    tx.put(&key, &next)?;
                    Ok(Some((next, true)))
                }
                None => Ok(Some((current, false))),
            },
            None => Ok(None),
        })
        .await
    }

    /// Stores `value` at `key` unless something is there (ids made by forms: a double
    /// submission stores once). True when stored.
    async fn insert_new<T: Record>(&self, key: Vec<u8>, value: &T) -> Result<bool> {
        self.write(|tx| {
            if tx.get_raw(&key)?.is_some() {
                return Ok(false);
            }
            tx.put(&key, value)?;
            Ok(true)
        })
        .await
    }

    fn get<T: Record>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.data.get(key)? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    fn scan<T: Record>(&self, prefix: &[u8]) -> Result<Vec<T>> {
        self.data
            .scan_prefix(prefix)
            .map(|kv| {
                let (_, v) = kv?;
                Ok(decode(&v)?)
            })
            .collect()
    }

    /// Ids found at the end of the index keys under `prefix`.
    fn index_ids(&self, prefix: &[u8]) -> Result<Vec<[u8; 16]>> {
        self.data
            .scan_prefix(prefix)
            .keys()
            .map(|k| {
                let k = k?;
                Ok(id16(&k[k.len().saturating_sub(16)..]).unwrap_or_default())
            })
            .collect()
    }

    /// True when no school exists yet (a fresh data directory).
    ///
    /// # Errors
    /// sled failure.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.data.scan_prefix(keys::SCHOOL).next().is_none())
    }

    /// The school (an instance serves one school).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn school(&self) -> Result<Option<School>> {
        Ok(self.scan::<School>(keys::SCHOOL)?.into_iter().next())
    }

    /// Every class, sorted by name.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn classes(&self) -> Result<Vec<Class>> {
        let mut all: Vec<Class> = self.scan(keys::CLASS)?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// Every referential the store holds (shipped and imported), by code.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn referentials(&self) -> Result<Vec<Referential>> {
        self.scan(keys::REFERENTIAL)
    }

    /// Stores a new class unless another has the same name key (checked in the same
    /// transaction). Returns false, writing nothing, when the name is taken.
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_class(&self, class: &Class) -> Result<bool> {
        let name = keys::key(&[
            keys::CLASS_NAME,
            crate::domain::class_form::name_key(&class.name).as_bytes(),
        ]);
        self.write(|tx| {
            if tx.get_raw(&name)?.is_some() {
                return Ok(false);
            }
            tx.put_raw(&name, class.id.as_bytes())?;
            tx.put(&keys::key(&[keys::CLASS, class.id.as_bytes()]), class)?;
            Ok(true)
        })
        .await
    }

    /// One class.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn class(&self, id: ClassId) -> Result<Option<Class>> {
        self.get(&keys::key(&[keys::CLASS, id.as_bytes()]))
    }

    /// One student.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn student(&self, id: StudentId) -> Result<Option<Student>> {
        self.get(&keys::key(&[keys::STUDENT, id.as_bytes()]))
    }

    /// The students of a class, sorted by surname.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn students_of_class(&self, class: ClassId) -> Result<Vec<Student>> {
        let mut out = Vec::new();
        for id in self.index_ids(&keys::key(&[keys::STUDENT_BY_CLASS, class.as_bytes()]))? {
            if let Some(s) = self.student(StudentId::from_bytes(id))? {
                out.push(s);
            }
        }
        out.sort_by_key(|s| s.name.sort_key());
        Ok(out)
    }

    /// One teacher.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn teacher(&self, id: TeacherId) -> Result<Option<Teacher>> {
        self.get(&keys::key(&[keys::TEACHER, id.as_bytes()]))
    }

    /// Every teacher, sorted by surname.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn teachers(&self) -> Result<Vec<Teacher>> {
        let mut all: Vec<Teacher> = self.scan(keys::TEACHER)?;
        all.sort_by_key(|t| t.name.sort_key());
        Ok(all)
    }

    /// One coordinator.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn coordinator(&self, id: CoordinatorId) -> Result<Option<Coordinator>> {
        self.get(&keys::key(&[keys::COORDINATOR, id.as_bytes()]))
    }

    /// Every tutor, sorted by surname.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn tutors(&self) -> Result<Vec<Tutor>> {
        let mut all: Vec<Tutor> = self.scan(keys::TUTOR)?;
        all.sort_by_key(|t| t.name.sort_key());
        Ok(all)
    }

    /// Every coordinator, sorted by surname.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn coordinators(&self) -> Result<Vec<Coordinator>> {
        let mut all: Vec<Coordinator> = self.scan(keys::COORDINATOR)?;
        all.sort_by_key(|t| t.name.sort_key());
        Ok(all)
    }

    /// One company.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn company(&self, id: CompanyId) -> Result<Option<Company>> {
        self.get(&keys::key(&[keys::COMPANY, id.as_bytes()]))
    }

    /// One tutor.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn tutor(&self, id: TutorId) -> Result<Option<Tutor>> {
        self.get(&keys::key(&[keys::TUTOR, id.as_bytes()]))
    }

    /// One placement.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn placement(&self, id: PlacementId) -> Result<Option<Placement>> {
        self.get(&keys::key(&[keys::PLACEMENT, id.as_bytes()]))
    }

    fn placements_by(&self, index: &[u8], person: &[u8; 16]) -> Result<Vec<Placement>> {
        let mut out = Vec::new();
        for id in self.index_ids(&keys::key(&[index, person]))? {
            if let Some(p) = self.placement(PlacementId::from_bytes(id))? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// A student's placements, latest start first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn placements_of_student(&self, id: StudentId) -> Result<Vec<Placement>> {
        self.placements_by(keys::PLACEMENT_BY_STUDENT, id.as_bytes())
    }

    /// A tutor's placements, latest start first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn placements_of_tutor(&self, id: TutorId) -> Result<Vec<Placement>> {
        self.placements_by(keys::PLACEMENT_BY_TUTOR, id.as_bytes())
    }

    /// A referent's placements, latest start first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn placements_of_referent(&self, id: TeacherId) -> Result<Vec<Placement>> {
        self.placements_by(keys::PLACEMENT_BY_REFERENT, id.as_bytes())
    }

    /// A placement's logbook, newest day first (then newest written first).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn logbook(&self, placement: PlacementId) -> Result<Vec<LogbookEntry>> {
        self.scan(&keys::key(&[keys::LOGBOOK, placement.as_bytes()]))
    }

    /// A placement's entries for one day (one prefix range: placement, date).
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn logbook_of_day(
        &self,
        placement: PlacementId,
        day: jiff::civil::Date,
    ) -> Result<Vec<LogbookEntry>> {
        self.scan(&keys::key(&[
            keys::LOGBOOK,
            placement.as_bytes(),
            &keys::inverted_date(day),
        ]))
    }

    /// Number of entries in a placement's logbook (reads keys only).
    ///
    /// # Errors
    /// sled failure.
    pub fn logbook_count(&self, placement: PlacementId) -> Result<usize> {
        let mut n = 0;
        for k in self
            .data
            .scan_prefix(keys::key(&[keys::LOGBOOK, placement.as_bytes()]))
            .keys()
        {
            k?;
            n += 1;
        }
        Ok(n)
    }

    /// One logbook entry by id.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn logbook_entry(&self, id: LogbookEntryId) -> Result<Option<LogbookEntry>> {
        match self
            .data
            .get(keys::key(&[keys::LOGBOOK_ID, id.as_bytes()]))?
        {
            Some(k) => self.get(&k),
            None => Ok(None),
        }
    }

    fn logbook_key(entry: &LogbookEntry) -> Vec<u8> {
        keys::key(&[
            keys::LOGBOOK,
            entry.placement.as_bytes(),
            &keys::inverted_date(entry.date),
            &keys::inverted_time(entry.created_at),
            entry.id.as_bytes(),
        ])
    }

    fn put_logbook_entry(tx: &Tx<'_>, entry: &LogbookEntry) -> TxResult<()> {
        let key = Self::logbook_key(entry);
        tx.put(&key, entry)?;
        tx.put_raw(&keys::key(&[keys::LOGBOOK_ID, entry.id.as_bytes()]), &key)
    }

    /// Stores a new logbook entry unless one with the same id exists (the id is an
    /// idempotency key, issue 4). Returns the stored entry and whether it was new.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn insert_logbook_entry(&self, entry: &LogbookEntry) -> Result<(LogbookEntry, bool)> {
        self.write(|tx| {
            if let Some(key) = tx.get_raw(&keys::key(&[keys::LOGBOOK_ID, entry.id.as_bytes()]))?
                && let Some(existing) = tx.get::<LogbookEntry>(&key)?
            {
                return Ok((existing, false));
            }
            Self::put_logbook_entry(tx, entry)?;
            Ok((entry.clone(), true))
        })
        .await
    }

    /// Replaces the entry with `entry.id` of `entry.placement` by `entry` (a student's
    /// correction), moving it in the newest-first order when its date changed. Returns
    /// false, changing nothing, when no such entry exists in that placement.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn replace_logbook_entry(&self, entry: &LogbookEntry) -> Result<bool> {
        let index = keys::key(&[keys::LOGBOOK_ID, entry.id.as_bytes()]);
        self.write(|tx| {
            let Some(old_key) = tx.get_raw(&index)? else {
                return Ok(false);
            };
            match tx.get::<LogbookEntry>(&old_key)? {
                Some(old) if old.placement == entry.placement => {
                    tx.remove(&old_key)?;
                    Self::put_logbook_entry(tx, entry)?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        })
        .await
    }

    /// A placement's activity sheets, latest day first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn sheets(&self, placement: PlacementId) -> Result<Vec<ActivitySheet>> {
        let mut all: Vec<ActivitySheet> =
            self.scan(&keys::key(&[keys::SHEET, placement.as_bytes()]))?;
        all.sort_by(|a, b| b.date.cmp(&a.date).then(b.created_at.cmp(&a.created_at)));
        Ok(all)
    }

    /// One activity sheet of a placement.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn sheet(
        &self,
        placement: PlacementId,
        id: ActivitySheetId,
    ) -> Result<Option<ActivitySheet>> {
        self.get(&keys::key(&[
            keys::SHEET,
            placement.as_bytes(),
            id.as_bytes(),
        ]))
    }

    /// Replaces a sheet with `update(current)` in one transaction, so two concurrent
    /// changes (the student editing, the tutor commenting) never overwrite each other.
    /// `update` returns `None` to leave the sheet unchanged. Returns the stored sheet
    /// and whether `update` was applied; `None` when the sheet does not exist.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn update_sheet(
        &self,
        placement: PlacementId,
        id: ActivitySheetId,
        update: impl Fn(ActivitySheet) -> Option<ActivitySheet>,
    ) -> Result<Option<(ActivitySheet, bool)>> {
        let key = keys::key(&[keys::SHEET, placement.as_bytes(), id.as_bytes()]);
        self.update_record(key, update).await
    }

    /// Stores a new activity sheet unless its placement already has one with that id
    /// (the id is made by the form: a double submission stores one sheet). Returns true
    /// when it was stored.
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_sheet(&self, sheet: &ActivitySheet) -> Result<bool> {
        let key = keys::key(&[keys::SHEET, sheet.placement.as_bytes(), sheet.id.as_bytes()]);
        self.insert_new(key, sheet).await
    }

    /// A referential by code.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn referential(&self, code: &str) -> Result<Option<Referential>> {
        self.get(&keys::key(&[keys::REFERENTIAL, code.as_bytes()]))
    }

    /// Stores the shipped referentials that the store does not hold yet (a school's
    /// own corrected version, once imported, is kept).
    ///
    /// # Errors
    /// sled failure.
    pub async fn ensure_referentials(&self, shipped: &[Referential]) -> Result<()> {
        self.write(|tx| {
            for r in shipped {
                let key = keys::key(&[keys::REFERENTIAL, r.code.as_bytes()]);
                if tx.get_raw(&key)?.is_none() {
                    tx.put(&key, r)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Writes a whole school in one transaction (the demo, later imports).
    ///
    /// # Errors
    /// sled failure.
    pub async fn seed(&self, seed: &SchoolSeed) -> Result<()> {
        use keys::*;
        self.write(|tx| {
            if let Some(s) = &seed.school {
                tx.put(&key(&[SCHOOL, s.id.as_bytes()]), s)?;
            }
            for c in &seed.classes {
                tx.put(&key(&[CLASS, c.id.as_bytes()]), c)?;
                let name = crate::domain::class_form::name_key(&c.name);
                tx.put_raw(&key(&[CLASS_NAME, name.as_bytes()]), c.id.as_bytes())?;
            }
            for s in &seed.students {
                tx.put(&key(&[STUDENT, s.id.as_bytes()]), s)?;
                tx.put_raw(
                    &key(&[STUDENT_BY_CLASS, s.class.as_bytes(), s.id.as_bytes()]),
                    &[],
                )?;
            }
            for t in &seed.teachers {
                tx.put(&key(&[TEACHER, t.id.as_bytes()]), t)?;
            }
            for c in &seed.coordinators {
                tx.put(&key(&[COORDINATOR, c.id.as_bytes()]), c)?;
            }
            for c in &seed.companies {
                tx.put(&key(&[COMPANY, c.id.as_bytes()]), c)?;
            }
            for t in &seed.tutors {
                tx.put(&key(&[TUTOR, t.id.as_bytes()]), t)?;
            }
            for p in &seed.placements {
                tx.put(&key(&[PLACEMENT, p.id.as_bytes()]), p)?;
                let start = inverted_date(p.start);
                for (index, person) in [
                    (PLACEMENT_BY_STUDENT, p.student.as_bytes()),
                    (PLACEMENT_BY_TUTOR, p.tutor.as_bytes()),
                    (PLACEMENT_BY_REFERENT, p.referent.as_bytes()),
                ] {
                    tx.put_raw(&key(&[index, person, &start, p.id.as_bytes()]), &[])?;
                }
            }
            for e in &seed.logbook {
                Self::put_logbook_entry(tx, e)?;
            }
            for s in &seed.sheets {
                tx.put(&key(&[SHEET, s.placement.as_bytes(), s.id.as_bytes()]), s)?;
            }
            for e in &seed.evaluations {
                tx.put(
                    &key(&[keys::EVALUATION, e.student.as_bytes(), e.id.as_bytes()]),
                    e,
                )?;
            }
            for r in &seed.company_reviews {
                tx.put(&key(&[keys::COMPANY_REVIEW, r.placement.as_bytes()]), r)?;
            }
            for r in &seed.interim_reviews {
                tx.put(
                    &key(&[keys::INTERIM_REVIEW, r.student.as_bytes(), r.id.as_bytes()]),
                    r,
                )?;
            }
            for a in &seed.attendances {
                tx.put(&key(&[keys::ATTENDANCE, a.placement.as_bytes()]), a)?;
            }
            Ok(())
        })
        .await
    }

    /// Every placement of the school, latest start first.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn placements(&self) -> Result<Vec<Placement>> {
        let mut all: Vec<Placement> = self.scan(keys::PLACEMENT)?;
        all.sort_by_key(|p| std::cmp::Reverse(p.start));
        Ok(all)
    }

    /// Issues a link token for `token.subject`, replacing (and so revoking) that
    /// subject's previous token of the same kind. `hash` is the SHA-256 of the secret.
    /// A tutor's previous link is kept, marked superseded (its page then says it was
    /// replaced), the sessions it opened end, and the tutor's pending request for a new
    /// link is cleared.
    ///
    /// # Errors
    /// sled failure.
    pub async fn issue_token(&self, hash: &[u8; 32], token: &AccessToken) -> Result<()> {
        let of = keys::key(&[
            keys::TOKEN_OF,
            &keys::subject(&token.subject),
            &[token.kind.tag()],
        ]);
        // A tutor's new link ends every session opened with the previous one.
        let sessions = match token.kind {
            AccessKind::TutorAccess => self.session_hashes_of(&token.subject)?,
            _ => Vec::new(),
        };
        self.write(|tx| {
            for session in &sessions {
                Self::remove_session(tx, &token.subject, session)?;
            }
            if let Some(old) = tx.get_raw(&of)? {
                let old_key = keys::key(&[keys::TOKEN, &old]);
                match tx.get::<AccessToken>(&old_key)? {
                    Some(mut previous) if token.kind == AccessKind::TutorAccess => {
                        previous.superseded = true;
                        tx.put(&old_key, &previous)?;
                    }
                    _ => tx.remove(&old_key)?,
                }
            }
            if let Subject::Tutor(tutor) = token.subject {
                tx.remove(&keys::key(&[keys::ACCESS_REQUEST, tutor.as_bytes()]))?;
            }
            tx.put(&keys::key(&[keys::TOKEN, hash]), token)?;
            tx.put_raw(&of, hash)
        })
        .await
    }

    /// The token stored under this hash.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn token(&self, hash: &[u8; 32]) -> Result<Option<AccessToken>> {
        self.get(&keys::key(&[keys::TOKEN, hash]))
    }

    /// Replaces the first-start link (a new one revokes the previous one). Returns false,
    /// storing nothing, once a school exists: the link only serves an empty store.
    ///
    /// # Errors
    /// sled failure.
    pub async fn issue_setup_link(&self, link: &SetupLink) -> Result<bool> {
        if !self.is_empty()? {
            return Ok(false);
        }
        self.write(|tx| {
            tx.put(keys::SETUP_LINK, link)?;
            Ok(true)
        })
        .await
    }

    /// The current first-start link, if any.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn setup_link(&self) -> Result<Option<SetupLink>> {
        self.get(keys::SETUP_LINK)
    }

    /// Creates the school and its first coordinator with the first-start link whose
    /// hash is `hash`, and deletes the link, in one transaction: two concurrent uses of
    /// the link create one school. Returns false, writing nothing, when the link is no
    /// longer there.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn complete_setup(
        &self,
        hash: &[u8; 32],
        school: &School,
        coordinator: &Coordinator,
    ) -> Result<bool> {
        self.write(|tx| match tx.get::<SetupLink>(keys::SETUP_LINK)? {
            Some(link) if &link.hash == hash => {
                tx.remove(keys::SETUP_LINK)?;
                tx.put(&keys::key(&[keys::SCHOOL, school.id.as_bytes()]), school)?;
                tx.put(
                    &keys::key(&[keys::COORDINATOR, coordinator.id.as_bytes()]),
                    coordinator,
                )?;
                Ok(true)
            }
            _ => Ok(false),
        })
        .await
    }

    /// Stores a new session under the hash of its cookie value; with `redeem` (the hash
    /// of an invitation of the same person), uses that invitation up in the same
    /// transaction, and returns false, storing nothing, when it is already gone.
    ///
    /// # Errors
    /// sled failure.
    pub async fn insert_session(
        &self,
        hash: &[u8; 32],
        session: &Session,
        redeem: Option<&[u8; 32]>,
    ) -> Result<bool> {
        self.write(|tx| {
            if let Some(token_hash) = redeem {
                let key = keys::key(&[keys::TOKEN, token_hash]);
                match tx.get::<AccessToken>(&key)? {
                    Some(t) if t.kind == AccessKind::Invitation && t.subject == session.subject => {
                        tx.remove(&key)?;
                        tx.remove(&keys::key(&[
                            keys::TOKEN_OF,
                            &keys::subject(&t.subject),
                            &[t.kind.tag()],
                        ]))?;
                    }
                    _ => return Ok(false),
                }
            }
            if let Some(via) = &session.via {
                let key = keys::key(&[keys::TOKEN, via]);
                if let Some(mut link) = tx.get::<AccessToken>(&key)? {
                    link.last_used = Some(session.created);
                    tx.put(&key, &link)?;
                }
            }
            tx.put(&keys::key(&[keys::SESSION, hash]), session)?;
            tx.put_raw(
                &keys::key(&[keys::SESSION_OF, &keys::subject(&session.subject), hash]),
                &[],
            )?;
            Ok(true)
        })
        .await
    }

    /// The session stored under this hash.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn session(&self, hash: &[u8; 32]) -> Result<Option<Session>> {
        self.get(&keys::key(&[keys::SESSION, hash]))
    }

    /// Ends a session.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub async fn delete_session(&self, hash: &[u8; 32]) -> Result<()> {
        self.write(|tx| {
            if let Some(s) = tx.get::<Session>(&keys::key(&[keys::SESSION, hash]))? {
                tx.remove(&keys::key(&[
                    keys::SESSION_OF,
                    &keys::subject(&s.subject),
                    hash,
                ]))?;
            }
            tx.remove(&keys::key(&[keys::SESSION, hash]))
        })
        .await
    }
}
