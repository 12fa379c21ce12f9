//! Schema versions and the append-only list of migrations.
//!
//! The schema version lives in the `meta` tree under `schema_version` (u32, big
//! endian). Version N is reached by running migration N on data of version N-1. Never
//! edit or reorder an entry: only append.

use super::StoreError;

/// One step from version `to - 1` to version `to`.
pub struct Migration {
    /// Version reached.
    pub to: u32,
    /// What it changes, for the log.
    pub description: &'static str,
    /// The change itself, on the data tree.
    pub run: fn(&sled::Tree) -> Result<(), StoreError>,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[Migration {
    to: 1,
    description: "première structure : école, classes, personnes, PFMP, journal de bord, fiches activités, jetons, sessions",
    run: |_| Ok(()),
}];

/// The schema version this binary writes.
pub fn current() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.to)
}
