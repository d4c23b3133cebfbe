//! The record store: one SQLite (SQLCipher-capable) file per ward PC.
//!
//! Owns the schema and its migrations, durability (WAL, `synchronous=FULL`, one transaction
//! per save, so a crash loses at most the save that was never acknowledged), the rule that
//! finalized records never change (enforced by triggers, not just by this code), and search.
//! It knows nothing about forms or packs: callers validate before they save.
//!
//! Files: `schema` (migrations), `records` (records and search), `audit` (the log and the
//! one audited-write helper every change goes through), `checklist`, `continuity`
//! (downtimes, drills), `outbox` (sync), `packs` (install history), `snapshot` (the ward
//! snapshot's copy of FHIR resources), `checkpoint` (folds the
//! WAL into the file off the save path).
//!
//! Architecture Invariant: every write goes through `Store::audited`: the change and its
//! audit entries commit together, then the anchor moves.
//!
//! It depends on `hikae-domain` and `hikae-files` only: never on packs, rendering, auth or the
//! network.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

use hikae_domain::error::{Error, Result};
use hikae_domain::form::Values;
use hikae_domain::record::{Context, Patient, Provenance};

mod audit;
mod checklist;
mod checkpoint;
mod continuity;
mod device;
mod outbox;
mod packs;
mod pdfs;
mod phrases;
mod records;
mod schema;
mod snapshot;
mod trust;
pub use audit::AuditQuery;
pub use checklist::{ChecklistRun, Tick};
pub use continuity::{DrillEnd, DrillRow};
pub use device::OutboxTimes;
pub use outbox::{Filing, OutboxCounts, OutboxEntry, PatientMapping, SyncState};
pub use packs::PackEvent;
pub use phrases::PersonalPhrase;
pub use records::Query;
use records::{bigrams, search_body};
pub use schema::SCHEMA_VERSION;
pub use snapshot::{
    SnapshotChanges, SnapshotPatient, SnapshotPatientRow, SnapshotResource, SnapshotUpdate,
    SnapshotWardRow,
};

pub struct Store {
    /// Declared before `conn`: it stops first, so `conn` is the last to close.
    checkpointer: Option<checkpoint::Checkpointer>,
    conn: Connection,
    path: PathBuf,
    /// The audit event to write with the next change, in the same transaction.
    pending_audit: Option<hikae_domain::audit::Event>,
}

/// What a new record starts with.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub patient: Patient,
    pub provenance: Provenance,
    pub author: String,
    pub values: Values,
    pub context: Context,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

impl Store {
    /// Opens (or creates) the store at `path` and brings its schema up to date.
    /// A file that is not a Hikae database is reported and left untouched.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_at_version(path, SCHEMA_VERSION)
    }

    /// Opens (or creates) the store encrypted with `key`, an SQLCipher key literal (`x'…'`,
    /// from the keyring's data key). A wrong key, or a file
    /// that is not an encrypted Hikae database, is reported and the file left untouched.
    pub fn open_encrypted(path: &Path, key: &str) -> Result<Store> {
        Self::open_with(path, SCHEMA_VERSION, Some(key))
    }

    /// Opens and migrates only up to `version`; for migration tests.
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, version: i64) -> Result<Store> {
        Self::open_with(path, version, None)
    }

    fn open_with(path: &Path, version: i64, key: Option<&str>) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let db_err = |e: rusqlite::Error| Error::Database {
            path: path.to_path_buf(),
            message: describe(&e),
        };
        owner_only(path)?;
        let conn = Connection::open(path).map_err(db_err)?;
        if let Some(k) = key {
            // a wrong key is reported as an error below; SQLCipher's own log would repeat it
            // on stderr
            conn.execute_batch(&format!(
                "PRAGMA cipher_log_level = NONE; PRAGMA key = \"{k}\";"
            ))
            .map_err(db_err)?;
        }
        // The first read fails with NotADatabase on a foreign or corrupted file, or a wrong key.
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db_err)?;
        if found > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
            .map_err(db_err)?;
        conn.pragma_update(None, "wal_autocheckpoint", checkpoint::FALLBACK_PAGES)
            .map_err(db_err)?;
        let mut store = Store {
            checkpointer: None,
            conn,
            path: path.to_path_buf(),
            pending_audit: None,
        };
        store.migrate(found, version)?;
        store.checkpointer = Some(checkpoint::Checkpointer::start(path, key).map_err(db_err)?);
        Ok(store)
    }

    /// Encrypts an existing unencrypted store with `key`, in place: the encrypted copy is
    /// written next to it, synced, and renamed over it, so the file is either the old
    /// plaintext or the complete encrypted database, never a mix. The WAL is folded in first;
    /// no plaintext copy is left behind (SQLite's own -wal/-shm files are removed).
    pub fn encrypt_in_place(path: &Path, key: &str) -> Result<()> {
        let db_err = |e: rusqlite::Error| Error::Database {
            path: path.to_path_buf(),
            message: describe(&e),
        };
        let tmp = path.with_extension("encrypting");
        let _ = std::fs::remove_file(&tmp);
        owner_only(&tmp)?;
        {
            let conn = Connection::open(path).map_err(db_err)?;
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(db_err)?;
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .map_err(db_err)?;
            let tmp_str = tmp
                .to_str()
                .ok_or_else(|| Error::Input(format!("{}: path is not UTF-8", tmp.display())))?;
            conn.execute(
                &format!("ATTACH DATABASE ?1 AS enc KEY \"{key}\""),
                [tmp_str],
            )
            .map_err(db_err)?;
            conn.query_row("SELECT sqlcipher_export('enc')", [], |_| Ok(()))
                .map_err(db_err)?;
            conn.execute_batch(&format!(
                "PRAGMA enc.user_version = {version}; DETACH DATABASE enc;"
            ))
            .map_err(db_err)?;
            conn.execute_batch("PRAGMA journal_mode = DELETE;")
                .map_err(db_err)?;
        }
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        for suffix in ["-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(std::path::PathBuf::from(p));
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Whether `path` is a readable, unencrypted SQLite file with a Hikae schema. Read-only.
    /// Folds the WAL into an unencrypted database file and leaves it in rollback-journal mode,
    /// so that the file alone is the whole database and stays byte-for-byte the same until it
    /// is encrypted (setup names it by its hash).
    pub fn settle_for_encryption(path: &Path) -> Result<()> {
        let db_err = |e: rusqlite::Error| Error::Database {
            path: path.to_path_buf(),
            message: describe(&e),
        };
        let conn = Connection::open(path).map_err(db_err)?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .map_err(db_err)
    }

    pub fn is_unencrypted(path: &Path) -> bool {
        Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'records'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            })
            .is_ok_and(|n| n == 1)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| db_err(&self.path, e))
    }

    /// SQLite's `PRAGMA quick_check`: empty when the file is sound, else what it found.
    pub fn quick_check(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA quick_check")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Direct SQL access for tests that must prove the database itself refuses a change.
    #[cfg(feature = "test-support")]
    pub fn raw_connection(&self) -> &Connection {
        &self.conn
    }
}

/// The database and its WAL and shared-memory files are readable by the owner only. A new
/// database file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files
/// the database file's mode).
fn owner_only(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                hikae_files::private_file(Path::new(&p))?;
            }
            Ok(())
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

fn db_err(path: &Path, e: rusqlite::Error) -> Error {
    Error::Database {
        path: path.to_path_buf(),
        message: describe(&e),
    }
}

fn describe(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => "not a Hikae database, or damaged or encrypted with another key (the file was left untouched)".into(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => "the database file is damaged (the file was left untouched)".into(),
        Some(rusqlite::ErrorCode::ReadOnly) => "the database is read-only".into(),
        Some(rusqlite::ErrorCode::DiskFull) => "the disk is full (ディスクの空きがありません): nothing was written; what was saved before is intact. Free some space and try again".into(),
        Some(rusqlite::ErrorCode::DatabaseBusy) => "the database is busy (is another Hikae running?)".into(),
        _ => e.to_string(),
    }
}
