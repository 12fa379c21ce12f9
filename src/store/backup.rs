//! Backups of the whole store and their restore (issue 9).
//!
//! A backup file is, in order:
//! - the header: the 14 bytes `LIVRET-BACKUP\0`, the format version (one byte, 1), the
//!   schema version of the data (u32) and the moment it was taken (i64 seconds since
//!   the Unix epoch), big-endian;
//! - the body, gzip-compressed: entries `tree (u8: 1 meta, 2 data), key length (u32),
//!   key, value length (u32), value`, then one `0` byte;
//! - the SHA-256 of the header and the compressed body (32 bytes).
//!
//! A backup is consistent: it is read while writes wait (every write goes through
//! [`Store::write`], which holds the store's gate for reading; the backup holds it for
//! writing), so it holds exactly the changes acknowledged before it began, never half
//! of a transaction.

use super::{Store, StoreError, keys};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;

/// Directory of the automatic backups taken before a migration, inside the data
/// directory; a restore leaves it in place.
pub const AUTO_DIR: &str = "sauvegardes";

/// The first bytes of a backup file.
pub const MAGIC: &[u8; 14] = b"LIVRET-BACKUP\0";
/// The backup format this binary writes and reads.
pub const FORMAT: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 1 + 4 + 8;
const TREE_META: u8 = 1;
const TREE_DATA: u8 = 2;
/// Longest key or value accepted when reading a backup (sled's own limit is far
/// above; a larger length means a damaged file).
const MAX_ITEM: u32 = 64 << 20;

/// Why a backup file cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Not a Livret backup (wrong first bytes) or too short.
    #[error("ce fichier n'est pas une sauvegarde de Livret")]
    NotABackup,
    /// Written in a format this binary does not know.
    #[error(
        "format de sauvegarde {0} inconnu : restaurez avec la version de Livret qui l'a faite, ou une plus récente"
    )]
    UnknownFormat(u8),
    /// The checksum does not match: the file was damaged or cut.
    #[error(
        "la somme de contrôle de la sauvegarde ne correspond pas : le fichier est abîmé ou incomplet, rien n'a été restauré"
    )]
    Checksum,
    /// The data's schema is newer than this binary's.
    #[error(
        "cette sauvegarde vient d'une version plus récente de Livret (schéma {found}, cette version lit jusqu'au schéma {supported}) : installez une version récente pour la restaurer"
    )]
    NewerSchema {
        /// Schema of the backup.
        found: u32,
        /// Newest schema this binary knows.
        supported: u32,
    },
    /// The body cannot be read although the checksum matches.
    #[error("contenu de la sauvegarde illisible : {0}")]
    Corrupt(String),
    /// The target directory already holds data and `--force` was not given.
    #[error(
        "le répertoire {0} contient déjà des données : rien n'a été modifié (ajoutez --force pour les remplacer ; elles seront mises de côté, pas effacées)"
    )]
    NotEmpty(String),
    /// Reading or writing files failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a backup holds: its schema, when it was taken, and how many records of each
/// kind (French labels, for the command's report and the coordinator's page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    /// Schema version of the data.
    pub schema: u32,
    /// When the backup was taken.
    pub taken_at: Timestamp,
    /// Entries of both trees.
    pub entries: u64,
    /// Records per kind, in [`KINDS`] order, kinds with none left out.
    pub counts: Vec<(&'static str, u64)>,
}

impl BackupSummary {
    /// One line per kind, for the command line: `élèves : 24`.
    pub fn lines(&self) -> Vec<String> {
        self.counts
            .iter()
            .map(|(label, n)| format!("  {label} : {n}"))
            .collect()
    }
}

/// Key prefixes counted in a summary, with their French labels.
pub const KINDS: &[(&[u8], &str)] = &[
    (keys::SCHOOL, "établissement"),
    (keys::CLASS, "classes"),
    (keys::STUDENT, "élèves"),
    (keys::TEACHER, "enseignants"),
    (keys::COORDINATOR, "coordination"),
    (keys::COMPANY, "organismes d'accueil"),
    (keys::TUTOR, "tuteurs"),
    (keys::PLACEMENT, "PFMP"),
    (keys::LOGBOOK, "entrées de journal de bord"),
    (keys::SHEET, "fiches activités"),
    (keys::EVALUATION, "évaluations"),
    (keys::COMPANY_REVIEW, "bilans entreprise"),
    (keys::INTERIM_REVIEW, "bilans intermédiaires"),
    (keys::ATTENDANCE, "relevés de présence"),
    (keys::PASSKEY, "clés d'accès"),
    (keys::PUSH, "abonnements aux notifications"),
];

#[derive(Default)]
struct Counter {
    entries: u64,
    counts: Vec<u64>,
}

impl Counter {
    fn new() -> Counter {
        Counter {
            entries: 0,
            counts: vec![0; KINDS.len()],
        }
    }

    fn add(&mut self, tree: u8, key: &[u8]) {
        self.entries += 1;
        if tree != TREE_DATA {
            return;
        }
        if let Some(i) = KINDS.iter().position(|(p, _)| key.starts_with(p)) {
            self.counts[i] += 1;
        }
    }

    fn summary(self, schema: u32, taken_at: Timestamp) -> BackupSummary {
        BackupSummary {
            schema,
            taken_at,
            entries: self.entries,
            counts: KINDS
                .iter()
                .zip(self.counts)
                .filter(|(_, n)| *n > 0)
                .map(|((_, label), n)| (*label, n))
                .collect(),
        }
    }
}

/// A writer that hashes what goes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_entry(out: &mut impl Write, tree: u8, key: &[u8], value: &[u8]) -> std::io::Result<()> {
    let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
    out.write_all(&[tree])?;
    out.write_all(&len(key.len()))?;
    out.write_all(key)?;
    out.write_all(&len(value.len()))?;
    out.write_all(value)
}

impl Store {
    /// Writes a consistent backup of the whole store to `out`, taken at `now`: writes
    /// wait while it reads (see the module's doc). Blocking: call it from
    /// `spawn_blocking` or a command-line path, with the guard of
    /// [`Store::pause_writes`] held.
    ///
    /// # Errors
    /// sled failure or `out` failing.
    pub fn write_backup(
        &self,
        _paused: &WritesPaused,
        out: impl Write,
        now: Timestamp,
    ) -> std::result::Result<BackupSummary, BackupError> {
        let schema = self.schema_version()?;
        let meta = self.db.open_tree("meta").map_err(StoreError::from)?;
        let mut out = Hashing {
            inner: out,
            hash: Sha256::new(),
        };
        out.write_all(MAGIC)?;
        out.write_all(&[FORMAT])?;
        out.write_all(&schema.to_be_bytes())?;
        out.write_all(&now.as_second().to_be_bytes())?;
        let mut counter = Counter::new();
        let mut gz = GzEncoder::new(&mut out, Compression::default());
        for (tree, t) in [(TREE_META, &meta), (TREE_DATA, &self.data)] {
            for kv in t.iter() {
                let (k, v) = kv.map_err(StoreError::from)?;
                write_entry(&mut gz, tree, &k, &v)?;
                counter.add(tree, &k);
            }
        }
        gz.write_all(&[0])?;
        gz.finish()?;
        let digest = out.hash.finalize();
        out.inner.write_all(&digest)?;
        out.inner.flush()?;
        Ok(counter.summary(schema, now))
    }

    /// Writes a backup of data of schema `found` into
    /// `dir/sauvegardes/avant-migration-schema-<found>-<time>.sauvegarde` before a
    /// migration (nothing else runs yet: the store was just opened). Returns its path.
    ///
    /// # Errors
    /// The directory or the file cannot be written: the migration does not run.
    pub(super) fn backup_before_migration(
        &self,
        dir: &Path,
        found: u32,
    ) -> super::Result<std::path::PathBuf> {
        let failed = |e: std::io::Error| StoreError::Sled(sled::Error::Io(e));
        let now = crate::clock::Clock::system("UTC")
            .map(|c| c.now())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let auto = dir.join(AUTO_DIR);
        std::fs::create_dir_all(&auto).map_err(failed)?;
        let path = auto.join(format!(
            "avant-migration-schema-{found}-{}.sauvegarde",
            now.strftime("%Y-%m-%d-%H%M%S")
        ));
        let guard = self
            .gate
            .clone()
            .try_write_owned()
            .map_err(|e| failed(std::io::Error::other(e.to_string())))?;
        let paused = WritesPaused(guard);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Every student's record is in it: owner only.
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(failed)?;
        let mut out = std::io::BufWriter::new(file);
        self.write_backup(&paused, &mut out, now)
            .map_err(|e| match e {
                BackupError::Store(s) => s,
                BackupError::Io(e) => failed(e),
                other => failed(std::io::Error::other(other.to_string())),
            })?;
        let file = out.into_inner().map_err(|e| failed(e.into_error()))?;
        file.sync_all().map_err(failed)?;
        Ok(path)
    }

    /// The last good backup, if any was recorded.
    ///
    /// # Errors
    /// sled failure or unreadable record.
    pub fn last_backup(&self) -> super::Result<Option<BackupRecord>> {
        self.get(keys::LAST_BACKUP)
    }

    /// Records `b` as the last good backup.
    ///
    /// # Errors
    /// sled failure.
    pub async fn put_last_backup(&self, b: &BackupRecord) -> super::Result<()> {
        self.write(|tx| tx.put(keys::LAST_BACKUP, b)).await
    }

    /// Waits for the writes in progress to finish and holds new ones back until the
    /// returned guard is dropped (a backup's consistent read).
    pub async fn pause_writes(&self) -> WritesPaused {
        WritesPaused(self.gate.clone().write_owned().await)
    }
}

/// The last good backup, stored under `last-backup` (shown to the coordinator).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupRecord {
    /// When it was taken.
    pub at: Timestamp,
    /// Where it was written.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Entries it holds.
    pub entries: u64,
}

impl super::codec::Record for BackupRecord {
    const KIND: &'static str = "backup-record";
}

/// Held while a backup reads the store: writes wait (see [`Store::pause_writes`]).
pub struct WritesPaused(#[allow(dead_code)] tokio::sync::OwnedRwLockWriteGuard<()>);

/// A checked backup file: its header's facts and its entries.
pub struct Backup {
    /// Schema version of the data.
    pub schema: u32,
    /// When it was taken.
    pub taken_at: Timestamp,
    entries: Vec<(u8, Vec<u8>, Vec<u8>)>,
}

impl Backup {
    /// Checks `bytes` (a whole backup file): first bytes, format, checksum, then reads
    /// the entries. Nothing is written anywhere.
    ///
    /// # Errors
    /// [`BackupError`] saying what is wrong, in French.
    pub fn read(bytes: &[u8]) -> std::result::Result<Backup, BackupError> {
        if bytes.len() < HEADER_LEN + 32 || !bytes.starts_with(MAGIC) {
            return Err(BackupError::NotABackup);
        }
        let format = bytes[MAGIC.len()];
        if format != FORMAT {
            return Err(BackupError::UnknownFormat(format));
        }
        let (signed, digest) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(signed).as_slice() != digest {
            return Err(BackupError::Checksum);
        }
        let be4 = |at: usize| -> [u8; 4] {
            let mut b = [0u8; 4];
            b.copy_from_slice(&signed[at..at + 4]);
            b
        };
        let schema = u32::from_be_bytes(be4(MAGIC.len() + 1));
        let mut secs = [0u8; 8];
        secs.copy_from_slice(&signed[MAGIC.len() + 5..HEADER_LEN]);
        let taken_at = Timestamp::from_second(i64::from_be_bytes(secs))
            .map_err(|e| BackupError::Corrupt(e.to_string()))?;
        let supported = super::migrations::current();
        if schema > supported {
            return Err(BackupError::NewerSchema {
                found: schema,
                supported,
            });
        }
        let mut body = GzDecoder::new(&signed[HEADER_LEN..]);
        let corrupt = |what: &str| BackupError::Corrupt(what.to_string());
        let mut entries = Vec::new();
        loop {
            let mut tag = [0u8; 1];
            body.read_exact(&mut tag)
                .map_err(|_| corrupt("fin inattendue"))?;
            if tag[0] == 0 {
                break;
            }
            if tag[0] != TREE_META && tag[0] != TREE_DATA {
                return Err(corrupt("arbre inconnu"));
            }
            let mut item = || -> std::result::Result<Vec<u8>, BackupError> {
                let mut len = [0u8; 4];
                body.read_exact(&mut len)
                    .map_err(|_| corrupt("fin inattendue"))?;
                let len = u32::from_be_bytes(len);
                if len > MAX_ITEM {
                    return Err(corrupt("longueur invalide"));
                }
                let mut buf = vec![0u8; len as usize];
                body.read_exact(&mut buf)
                    .map_err(|_| corrupt("fin inattendue"))?;
                Ok(buf)
            };
            let key = item()?;
            let value = item()?;
            entries.push((tag[0], key, value));
        }
        // The schema the data itself records must be the header's (a file put
        // together by hand would restore data the service then refuses).
        let stored = entries
            .iter()
            .find(|(tree, key, _)| *tree == TREE_META && key.as_slice() == b"schema_version")
            .map(|(_, _, v)| v.as_slice().try_into().map(u32::from_be_bytes));
        match stored {
            Some(Ok(v)) if v == schema => {}
            None if schema == 0 => {}
            _ => return Err(corrupt("version du schéma incohérente")),
        }
        Ok(Backup {
            schema,
            taken_at,
            entries,
        })
    }

    /// What the backup holds, counted.
    pub fn summary(&self) -> BackupSummary {
        let mut counter = Counter::new();
        for (tree, key, _) in &self.entries {
            counter.add(*tree, key);
        }
        counter.summary(self.schema, self.taken_at)
    }

    /// Restores into `dir`. When `dir` holds data, refuses unless `force`; with
    /// `force`, the old content is moved aside into `dir/avant-restauration-<time>/`
    /// (never deleted) and that path returned. The data is first written to
    /// `dir/.restauration-<time>/`, then moved in place, so a failed write leaves the
    /// old data untouched. Everything stays inside `dir`, which may be a mount point
    /// (a Docker volume) that cannot itself be renamed. The entries `sauvegardes`
    /// (automatic backups), `lost+found` and earlier `avant-restauration-*` ones are
    /// neither counted as data nor moved.
    ///
    /// # Errors
    /// [`BackupError::NotEmpty`] (nothing changed); file system or sled failures (the
    /// service must be stopped: its store is locked while it runs).
    pub fn restore(
        &self,
        dir: &Path,
        force: bool,
        now: Timestamp,
    ) -> std::result::Result<Option<std::path::PathBuf>, BackupError> {
        std::fs::create_dir_all(dir)?;
        let stamp = now
            .strftime("%Y-%m-%d-%H%M%S-%f")
            .to_string()
            .replace('.', "");
        let staging_name = format!(".restauration-{stamp}");
        let kept = |name: &str| {
            name == AUTO_DIR
                || name == "lost+found"
                || name == "acme"
                || name.starts_with("avant-restauration-")
                || name.starts_with(".restauration-")
        };
        let mut old = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !kept(&name) {
                old.push(entry.file_name());
            }
        }
        if !old.is_empty() && !force {
            return Err(BackupError::NotEmpty(dir.display().to_string()));
        }
        let staging = dir.join(&staging_name);
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        let written = (|| -> std::result::Result<(), BackupError> {
            let db = sled::Config::new()
                .path(&staging)
                .flush_every_ms(None)
                .open()
                .map_err(StoreError::from)?;
            let meta = db.open_tree("meta").map_err(StoreError::from)?;
            let data = db.open_tree("data").map_err(StoreError::from)?;
            for (tree, key, value) in &self.entries {
                let t = if *tree == TREE_META { &meta } else { &data };
                t.insert(key.as_slice(), value.as_slice())
                    .map_err(StoreError::from)?;
            }
            db.flush().map_err(StoreError::from)?;
            Ok(())
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        let aside = if old.is_empty() {
            None
        } else {
            let aside = dir.join(format!("avant-restauration-{stamp}"));
            std::fs::create_dir(&aside)?;
            for name in &old {
                std::fs::rename(dir.join(name), aside.join(name))?;
            }
            Some(aside)
        };
        let moved = (|| -> std::io::Result<()> {
            for entry in std::fs::read_dir(&staging)? {
                let entry = entry?;
                std::fs::rename(entry.path(), dir.join(entry.file_name()))?;
            }
            std::fs::remove_dir(&staging)
        })();
        if let Err(e) = moved {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e.into());
        }
        Ok(aside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_header_schema_that_is_not_the_datas_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let paused = store.pause_writes().await;
        let mut bytes = Vec::new();
        store
            .write_backup(&paused, &mut bytes, Timestamp::UNIX_EPOCH)
            .unwrap();
        drop(paused);
        assert!(Backup::read(&bytes).is_ok());
        // Header says schema 1, the data says the current one; checksum made to match.
        let mut forged = bytes[..bytes.len() - 32].to_vec();
        forged[MAGIC.len() + 1..MAGIC.len() + 5].copy_from_slice(&1u32.to_be_bytes());
        let digest = Sha256::digest(&forged);
        forged.extend_from_slice(&digest);
        match Backup::read(&forged) {
            Err(BackupError::Corrupt(why)) => assert!(why.contains("schéma"), "{why}"),
            other => panic!("{:?}", other.map(|b| b.schema)),
        }
    }
}
