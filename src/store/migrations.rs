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
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 1,
        description: "première structure : école, classes, personnes, PFMP, journal de bord, fiches activités, jetons, sessions",
        run: |_| Ok(()),
    },
    Migration {
        to: 2,
        description: "index des noms de classe (deux classes ne peuvent plus porter le même nom)",
        run: index_class_names,
    },
];

/// Migration 2: writes `class-name/<name key>` → class id for every existing class.
fn index_class_names(data: &sled::Tree) -> Result<(), StoreError> {
    use super::codec::decode;
    use super::keys;
    for kv in data.scan_prefix(keys::CLASS) {
        let (_, value) = kv?;
        let class: crate::domain::Class = decode(&value)?;
        let name = crate::domain::class_form::name_key(&class.name);
        data.insert(
            keys::key(&[keys::CLASS_NAME, name.as_bytes()]),
            class.id.as_bytes(),
        )?;
    }
    Ok(())
}

/// The schema version this binary writes.
pub fn current() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.to)
}
