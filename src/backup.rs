//! Backups while the service runs, nightly backups, and the `livret backup` /
//! `livret restore` commands (issue 9). The file format and the consistent read are
//! in [`crate::store::backup`].
//!
//! A running Livret holds its data directory's lock, so `livret backup` cannot open
//! the store: it asks the running service through a Unix socket in the data directory
//! ([`SOCKET_NAME`], readable and writable by the service's user only), which answers
//! with the backup's bytes; the command writes the file itself, as the user who runs
//! it. When no service runs, the command opens the store directly.

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::backup::{Backup, BackupError, BackupSummary, MAGIC};
use jiff::Timestamp;
use std::path::{Path, PathBuf};

/// The control socket's file name in the data directory.
pub const SOCKET_NAME: &str = "livret.sock";
/// Extension of backup files: `livret-2026-11-30-023000.sauvegarde`.
pub const EXTENSION: &str = "sauvegarde";
/// Nightly backups kept when `--backup-keep` is not given.
pub const KEEP_DEFAULT: usize = 14;
/// Age after which the coordinator's page warns that the last good backup is old:
/// 26 hours (a nightly backup plus slack, issue 9).
pub const STALE_AFTER_HOURS: i64 = 26;

/// Where a backup is written before it is renamed to `path`: `<path>.partiel`.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partiel");
    PathBuf::from(name)
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Startup(format!("{what} {} : {e}", path.display()))
}

fn backup_error(e: BackupError) -> Error {
    match e {
        BackupError::Store(s) => Error::Store(s),
        other => Error::Startup(other.to_string()),
    }
}

/// Writes a consistent backup of `store` to `path` at `now`: into `<path>.partiel`
/// first, synced to disk, then renamed, so `path` is never a half-written file; then
/// records it as the last good backup (shown to the coordinator).
///
/// # Errors
/// [`Error::Startup`] with the path and the cause when the file cannot be written;
/// store failures.
pub async fn backup_to_file(store: &Store, path: &Path, now: Timestamp) -> Result<BackupSummary> {
    let paused = store.pause_writes().await;
    let partial = partial_path(path);
    let (store_c, partial_c, path_c) = (store.clone(), partial.clone(), path.to_path_buf());
    let written = tokio::task::spawn_blocking(move || -> Result<(BackupSummary, u64)> {
        let file = create_private(&partial_c)
            .map_err(|e| io_error("impossible de créer", &partial_c, &e))?;
        let mut out = std::io::BufWriter::new(file);
        let summary = store_c
            .write_backup(&paused, &mut out, now)
            .map_err(backup_error)?;
        drop(paused);
        let file = out
            .into_inner()
            .map_err(|e| io_error("impossible d'écrire", &partial_c, e.error()))?;
        file.sync_all()
            .map_err(|e| io_error("impossible d'écrire", &partial_c, &e))?;
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        std::fs::rename(&partial_c, &path_c)
            .map_err(|e| io_error("impossible de renommer", &partial_c, &e))?;
        Ok((summary, bytes))
    })
    .await
    .map_err(|e| Error::Internal(format!("sauvegarde interrompue : {e}")))?;
    let (summary, bytes) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    store
        .put_last_backup(&crate::store::backup::BackupRecord {
            at: now,
            file: path.display().to_string(),
            bytes,
            entries: summary.entries,
        })
        .await?;
    Ok(summary)
}

/// The name of a backup taken at `now` in `zone`: `livret-2026-11-30-023000.sauvegarde`.
pub fn file_name(now: Timestamp, zone: &jiff::tz::TimeZone) -> String {
    let at = now.to_zoned_datetime(zone.clone());
    format!(
        "livret-{}-{:02}{:02}{:02}.{EXTENSION}",
        at.date(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// True for a name [`file_name`] makes, `livret-YYYY-MM-DD-HHMMSS.sauvegarde`, and
/// nothing else: a backup made by hand into the same directory
/// (`livret-avant-mise-a-jour.sauvegarde`) is never pruned.
fn is_nightly_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix("livret-")
        .and_then(|rest| rest.strip_suffix(&format!(".{EXTENSION}")))
    else {
        return false;
    };
    stamp.len() == 17
        && stamp.char_indices().all(|(i, c)| match i {
            4 | 7 | 10 => c == '-',
            _ => c.is_ascii_digit(),
        })
}

/// Deletes the oldest backups of `dir` (files named like [`file_name`]) beyond the
/// `keep` newest; other files are never touched. Returns the deleted paths.
///
/// # Errors
/// The directory cannot be read.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_nightly_name)
        })
        .collect();
    // The names sort by date.
    ours.sort();
    let excess = ours.len().saturating_sub(keep.max(1));
    let mut deleted = Vec::new();
    for p in ours.into_iter().take(excess) {
        if std::fs::remove_file(&p).is_ok() {
            deleted.push(p);
        }
    }
    Ok(deleted)
}

/// Starts the nightly backups into `dir`, keeping the `keep` newest: one at 02:30
/// school time every night, and one a minute after start when the last good backup
/// is older than 24 hours (or there is none). Failures are logged and retried the
/// next night; the coordinator's page shows the date of the last good one.
pub fn start_nightly(
    store: Store,
    clock: Clock,
    dir: PathBuf,
    keep: usize,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let recent = store
            .last_backup()
            .ok()
            .flatten()
            .is_some_and(|b| clock.now().duration_since(b.at).as_hours() < 24);
        let mut first = !recent;
        loop {
            let wait = if first {
                std::time::Duration::from_secs(60)
            } else {
                until_next(&clock, 2, 30)
            };
            first = false;
            tokio::time::sleep(wait).await;
            nightly_once(&store, &clock, &dir, keep).await;
        }
    })
}

/// One nightly backup into `dir` and the pruning, logged.
pub async fn nightly_once(store: &Store, clock: &Clock, dir: &Path, keep: usize) {
    if let Err(e) = std::fs::create_dir_all(dir) {
        tracing::error!(dir = %dir.display(), "sauvegarde impossible : {e}");
        return;
    }
    let now = clock.now();
    let path = dir.join(file_name(now, clock.zone()));
    match backup_to_file(store, &path, now).await {
        Ok(s) => {
            tracing::info!(file = %path.display(), entries = s.entries, "sauvegarde faite");
            match prune(dir, keep) {
                Ok(deleted) => {
                    for p in deleted {
                        tracing::info!(file = %p.display(), "ancienne sauvegarde supprimée");
                    }
                }
                Err(e) => tracing::warn!(dir = %dir.display(), "nettoyage des sauvegardes : {e}"),
            }
        }
        Err(e) => tracing::error!(file = %path.display(), "sauvegarde échouée : {e}"),
    }
}

/// Time from now until the next `hour:minute` in the school's zone.
fn until_next(clock: &Clock, hour: i8, minute: i8) -> std::time::Duration {
    let now = clock.now_zoned();
    let today = now.date().at(hour, minute, 0, 0);
    let next = match today.to_zoned_datetime(clock.zone().clone()) {
        Ok(t) if t > now => t,
        _ => match today
            .checked_add(jiff::Span::new().days(1))
            .and_then(|d| d.to_zoned_datetime(clock.zone().clone()))
        {
            Ok(t) => t,
            Err(_) => return std::time::Duration::from_secs(24 * 3600),
        },
    };
    let secs = next.timestamp().as_second() - now.timestamp().as_second();
    std::time::Duration::from_secs(u64::try_from(secs.max(60)).unwrap_or(60))
}

/// Listens on the control socket in `data` ([`SOCKET_NAME`]) for `livret backup`:
/// each connection that sends `sauvegarde\n` gets a consistent backup's bytes, or a
/// line starting with `ERREUR` and the reason. The socket is made readable and
/// writable by the service's user only; a stale one left by a crash is replaced.
///
/// # Errors
/// The socket cannot be created (the data directory is read-only, say).
#[cfg(unix)]
pub fn start_socket(
    store: Store,
    clock: Clock,
    data: &Path,
) -> Result<tokio::task::JoinHandle<()>> {
    use std::os::unix::fs::PermissionsExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let path = data.join(SOCKET_NAME);
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)
        .map_err(|e| io_error("impossible de créer le point de contrôle", &path, &e))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| io_error("impossible de protéger", &path, &e))?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                continue;
            };
            let (store, clock) = (store.clone(), clock.clone());
            tokio::spawn(async move {
                let mut ask = [0u8; 11];
                if conn.read_exact(&mut ask).await.is_err() || &ask != b"sauvegarde\n" {
                    let _ = conn.write_all(b"ERREUR demande inconnue\n").await;
                    return;
                }
                let paused = store.pause_writes().await;
                let now = clock.now();
                let s2 = store.clone();
                let bytes = tokio::task::spawn_blocking(move || {
                    let mut buf = Vec::new();
                    s2.write_backup(&paused, &mut buf, now).map(|s| (buf, s))
                })
                .await;
                match bytes {
                    Ok(Ok((buf, summary))) => {
                        if conn.write_all(&buf).await.is_err() || conn.shutdown().await.is_err() {
                            return;
                        }
                        // The command checks and writes the file itself, then says
                        // so: only then is it recorded for the coordinator's card.
                        let mut ack = Vec::new();
                        let read = tokio::time::timeout(
                            std::time::Duration::from_secs(600),
                            (&mut conn).take(4096).read_to_end(&mut ack),
                        )
                        .await;
                        let ack = String::from_utf8_lossy(&ack);
                        let Some(file) = ack.strip_prefix("ecrite ").map(str::trim) else {
                            tracing::warn!(
                                ok = read.is_ok(),
                                "sauvegarde envoyée à la commande livret backup, qui ne l'a pas écrite"
                            );
                            return;
                        };
                        tracing::info!(
                            entries = summary.entries,
                            file,
                            "sauvegarde écrite par la commande livret backup"
                        );
                        let record = crate::store::backup::BackupRecord {
                            at: now,
                            file: file.to_string(),
                            bytes: buf.len() as u64,
                            entries: summary.entries,
                        };
                        if let Err(e) = store.put_last_backup(&record).await {
                            tracing::warn!("sauvegarde non notée : {e}");
                        }
                    }
                    Ok(Err(e)) => {
                        let _ = conn.write_all(format!("ERREUR {e}\n").as_bytes()).await;
                    }
                    Err(e) => {
                        let _ = conn.write_all(format!("ERREUR {e}\n").as_bytes()).await;
                    }
                }
            });
        }
    }))
}

/// `livret backup --to FILE --data DIR`: a consistent backup of the store in `data`,
/// from the running service through its socket when one runs, else by opening the
/// store. Returns the lines to print (what the backup holds).
///
/// # Errors
/// [`Error::Startup`] with a French reason: no data in `data`, the file cannot be
/// written, the service does not answer, the answer is not a valid backup.
pub async fn command_backup(
    data: &Path,
    to: &Path,
    clock: &Clock,
    cache_bytes: u64,
) -> Result<Vec<String>> {
    if !data.join("db").exists() {
        return Err(Error::Startup(format!(
            "aucune base Livret dans {} : vérifiez --data (ou LIVRET_DATA)",
            data.display()
        )));
    }
    let summary = if service_answers(data) {
        from_service(data, to).await?
    } else {
        check_owner(data, "backup")?;
        // As found: a backup never migrates anything.
        match Store::open_unmigrated(data, cache_bytes) {
            Ok(store) => {
                if store.schema_version()? == 0 {
                    return Err(Error::Startup(format!(
                        "{} ne contient pas de données Livret : rien à sauvegarder",
                        data.display()
                    )));
                }
                backup_to_file(&store, to, clock.now()).await?
            }
            Err(_) => from_service(data, to).await?,
        }
    };
    let mut lines = vec![format!(
        "sauvegarde écrite dans {} (schéma {}, {} enregistrements) :",
        to.display(),
        summary.schema,
        summary.entries
    )];
    lines.extend(summary.lines());
    Ok(lines)
}

#[cfg(unix)]
async fn from_service(data: &Path, to: &Path) -> Result<BackupSummary> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let path = data.join(SOCKET_NAME);
    let mut conn = tokio::net::UnixStream::connect(&path).await.map_err(|e| {
        Error::Startup(format!(
            "la base de {} est utilisée par un Livret en marche, mais son point de contrôle {} ne répond pas ({e}) : lancez la commande avec le même utilisateur que le service",
            data.display(),
            path.display()
        ))
    })?;
    conn.write_all(b"sauvegarde\n")
        .await
        .map_err(|e| Error::Startup(format!("le service ne répond pas : {e}")))?;
    let mut bytes = Vec::new();
    conn.read_to_end(&mut bytes)
        .await
        .map_err(|e| Error::Startup(format!("réponse du service interrompue : {e}")))?;
    if !bytes.starts_with(MAGIC) {
        let why = String::from_utf8_lossy(&bytes);
        return Err(Error::Startup(format!(
            "le service n'a pas pu faire la sauvegarde : {}",
            why.trim().trim_start_matches("ERREUR").trim()
        )));
    }
    // Checked before it is written: a damaged answer never passes for a backup.
    let summary = Backup::read(&bytes).map_err(backup_error)?.summary();
    write_file(to, &bytes)?;
    // Only now is it a good backup: the service records it for the coordinator.
    let _ = conn
        .write_all(format!("ecrite {}\n", to.display()).as_bytes())
        .await;
    let _ = conn.shutdown().await;
    Ok(summary)
}

#[cfg(not(unix))]
async fn from_service(data: &Path, _to: &Path) -> Result<BackupSummary> {
    Err(Error::Startup(format!(
        "la base de {} est utilisée par un Livret en marche : arrêtez-le pour sauvegarder, ou utilisez --backup-dir",
        data.display()
    )))
}

/// Creates (or truncates) `path` readable and writable by its owner only: a backup
/// holds every student's record.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes `bytes` to `to` through [`partial_path`], synced, then renamed; a failure
/// removes the partial file.
fn write_file(to: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let partial = partial_path(to);
    let written = create_private(&partial)
        .map_err(|e| io_error("impossible de créer", &partial, &e))
        .and_then(|mut f| {
            f.write_all(bytes)
                .and_then(|()| f.sync_all())
                .map_err(|e| io_error("impossible d'écrire", &partial, &e))
        })
        .and_then(|()| {
            std::fs::rename(&partial, to)
                .map_err(|e| io_error("impossible de renommer", &partial, &e))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// Refuses to work on `dir` as another user than its owner: files sled or a restore
/// would create there would belong to the wrong user (root, typically), and the
/// service could no longer open its data.
///
/// # Errors
/// [`Error::Startup`] naming the owner to run as.
#[cfg(unix)]
fn check_owner(dir: &Path, command: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(());
    };
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(Error::Startup(format!(
            "{} appartient à un autre utilisateur (uid {}) que celui qui lance la commande (uid {me}) : lancez-la en tant que cet utilisateur, par exemple « sudo -u livret livret {command} … », sinon les fichiers créés empêcheraient le service d'ouvrir ses données",
            dir.display(),
            meta.uid()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_dir: &Path, _command: &str) -> Result<()> {
    Ok(())
}

/// True when a Livret service answers on the control socket of `data`.
fn service_answers(data: &Path) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::net::UnixStream::connect(data.join(SOCKET_NAME)).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = data;
        false
    }
}

/// `livret restore --from FILE --data DIR [--force]`: checks the file (checksum,
/// format, schema) and restores it; returns the lines to print: what was restored,
/// and where the replaced data was put aside.
///
/// # Errors
/// [`Error::Startup`] with the reason: unreadable or damaged file, newer schema, a
/// non-empty data directory without `force` (nothing changed), a running service.
pub fn command_restore(
    from: &Path,
    data: &Path,
    force: bool,
    clock: &Clock,
) -> Result<Vec<String>> {
    let bytes = std::fs::read(from).map_err(|e| io_error("impossible de lire", from, &e))?;
    let backup = Backup::read(&bytes).map_err(backup_error)?;
    // Nothing is opened here (opening a store writes to it): a running service is
    // found by its control socket.
    if service_answers(data) {
        return Err(Error::Startup(format!(
            "un Livret en marche utilise {} : arrêtez-le avant de restaurer",
            data.display()
        )));
    }
    check_owner(data, "restore")?;
    let aside = backup
        .restore(data, force, clock.now())
        .map_err(backup_error)?;
    let summary = backup.summary();
    let mut lines = vec![format!(
        "restauré dans {} : sauvegarde du {} (schéma {}, {} enregistrements) :",
        data.display(),
        summary.taken_at,
        summary.schema,
        summary.entries
    )];
    lines.extend(summary.lines());
    if let Some(a) = aside {
        lines.push(format!(
            "les données remplacées sont mises de côté dans {} (supprimez-les quand vous n'en avez plus besoin)",
            a.display()
        ));
    }
    Ok(lines)
}

/// The data directory's size on disk, in bytes: the sled files and everything beside
/// them (automatic backups, data put aside by a restore), for the coordinator's card.
pub fn disk_usage(dir: &Path) -> u64 {
    fn walk(p: &Path) -> u64 {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|it| it.filter_map(|e| e.ok()).map(|e| walk(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    walk(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_the_newest_of_ours_and_never_touches_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let ours = [
            "livret-2026-03-01-023000.sauvegarde",
            "livret-2026-03-02-023000.sauvegarde",
            "livret-2026-03-03-023000.sauvegarde",
            "livret-2026-03-03-141500.sauvegarde",
            "livret-2026-03-04-023000.sauvegarde",
        ];
        let others = [
            "notes.txt",
            "autre.sauvegarde",
            "livret-manuel.tar.gz",
            "livret-2026-01-01-023000.sauvegarde.partiel",
            "copie-livret-2026-01-01-023000.sauvegarde",
            "livret-avant-mise-a-jour.sauvegarde",
            "livret-2026-03-05.sauvegarde",
        ];
        for name in ours.iter().chain(&others) {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        std::fs::create_dir(dir.path().join("livret-2025-01-01-000000.sauvegarde.d")).unwrap();

        let mut deleted = prune(dir.path(), 2).unwrap();
        deleted.sort();
        let expected: Vec<PathBuf> = ours[..3].iter().map(|n| dir.path().join(n)).collect();
        assert_eq!(deleted, expected);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want: Vec<String> = ours[3..]
            .iter()
            .chain(&others)
            .map(|s| s.to_string())
            .chain(["livret-2025-01-01-000000.sauvegarde.d".to_string()])
            .collect();
        want.sort();
        assert_eq!(left, want);

        // Keeping more than there are deletes nothing; keeping 0 still keeps one.
        assert!(prune(dir.path(), 10).unwrap().is_empty());
        assert_eq!(prune(dir.path(), 0).unwrap().len(), 1);
        assert!(dir.path().join(ours[4]).exists());
    }

    #[test]
    fn backup_file_names_sort_by_date_in_the_school_zone() {
        let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        let at: Timestamp = "2026-11-30T01:30:00Z".parse().unwrap();
        assert_eq!(file_name(at, &zone), "livret-2026-11-30-023000.sauvegarde");
    }
}
