//! The record store: one SQLite (SQLCipher-capable) file per ward PC.
//!
//! Owns the schema and its migrations, durability (WAL, `synchronous=FULL`, one transaction
//! per save, so a crash loses at most the save that was never acknowledged), the rule that
//! finalized records never change (enforced by triggers, not just by this code), and search.
//! It knows nothing about forms or packs: callers validate before they save.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, TransactionBehavior};

use hikae_domain::error::{Error, Result};
use hikae_domain::form::{FormDef, Values};
use hikae_domain::record::{new_id, Context, Patient, Provenance, Record, Status};

mod audit;
mod checklist;
mod continuity;
mod outbox;
pub use audit::AuditQuery;
pub use checklist::{ChecklistRun, Tick};
pub use continuity::{DrillEnd, DrillRow};
pub use outbox::{Filing, OutboxCounts, OutboxEntry, PatientMapping, SyncState};

/// Schema history. Append only: a released migration is never edited.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(V1_RECORDS),
    Migration::Rust(v2_search_index),
    Migration::Sql(V3_PACK_EVENTS),
    Migration::Sql(checklist::V4_CHECKLISTS),
    Migration::Sql(audit::V5_AUDIT),
    Migration::Sql(outbox::V6_OUTBOX),
    Migration::Sql(outbox::V7_PATIENT_MAP),
    Migration::Sql(continuity::V8_CONTINUITY),
];

enum Migration {
    Sql(&'static str),
    Rust(fn(&rusqlite::Transaction) -> rusqlite::Result<()>),
}

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const V1_RECORDS: &str = "
CREATE TABLE records (
    id                TEXT PRIMARY KEY,
    series_id         TEXT NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    supersedes        TEXT REFERENCES records(id),
    correction_reason TEXT,
    patient_id        TEXT NOT NULL,
    patient_name      TEXT NOT NULL,
    pack_id           TEXT NOT NULL,
    pack_version      TEXT NOT NULL,
    template_id       TEXT NOT NULL,
    template_version  TEXT NOT NULL,
    template_hash     TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'finalized')),
    author            TEXT NOT NULL,
    final_reviewer    TEXT,
    values_json       TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    finalized_at      TEXT,
    revision          INTEGER NOT NULL DEFAULT 1,
    UNIQUE (series_id, version)
);
CREATE INDEX records_patient ON records(patient_id);
CREATE INDEX records_updated ON records(updated_at);
CREATE TRIGGER records_finalized_no_update BEFORE UPDATE ON records WHEN OLD.status = 'finalized'
BEGIN SELECT RAISE(ABORT, 'finalized records are immutable'); END;
CREATE TRIGGER records_finalized_no_delete BEFORE DELETE ON records WHEN OLD.status = 'finalized'
BEGIN SELECT RAISE(ABORT, 'finalized records are immutable'); END;
";

/// v3: who installed or rolled back which template pack, when and why.
const V3_PACK_EVENTS: &str = "
CREATE TABLE pack_events (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('install', 'rollback')),
    pack_id      TEXT NOT NULL,
    from_version TEXT,
    to_version   TEXT NOT NULL,
    by_whom      TEXT NOT NULL,
    reason       TEXT
);
CREATE TRIGGER pack_events_append_only_u BEFORE UPDATE ON pack_events BEGIN SELECT RAISE(ABORT, 'pack events are append-only'); END;
CREATE TRIGGER pack_events_append_only_d BEFORE DELETE ON pack_events BEGIN SELECT RAISE(ABORT, 'pack events are append-only'); END;
";

/// v2: full-text search (trigram tokenizer: works for Japanese without word splitting).
fn v2_search_index(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    tx.execute_batch("CREATE VIRTUAL TABLE record_search USING fts5(body, tokenize = 'trigram');")?;
    let rows: Vec<(i64, String, String, String)> = tx
        .prepare("SELECT rowid, patient_id, patient_name, values_json FROM records")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (rowid, pid, name, json) in rows {
        let values: Values = serde_json::from_str(&json).unwrap_or_default();
        tx.execute(
            "INSERT INTO record_search(rowid, body) VALUES (?1, ?2)",
            params![rowid, search_body(&pid, &name, &values)],
        )?;
    }
    Ok(())
}

fn search_body(patient_id: &str, patient_name: &str, values: &Values) -> String {
    format!(
        "{patient_id}\n{patient_name}\n{}",
        FormDef::search_text(values)
    )
}

pub struct Store {
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

/// An installation or rollback of a template pack.
#[derive(Debug, Clone, PartialEq)]
pub struct PackEvent {
    pub at: DateTime<Utc>,
    /// "install" or "rollback"
    pub action: String,
    pub pack_id: String,
    pub from_version: Option<String>,
    pub to_version: String,
    pub by: String,
    pub reason: Option<String>,
}

/// Search criteria; all given criteria must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Free text; whitespace-separated terms must all appear.
    pub text: Option<String>,
    /// Exact patient ID, or part of the name.
    pub patient: Option<String>,
    pub template: Option<String>,
    pub status: Option<Status>,
    /// A day in Japan time: records created or last changed that day.
    pub date: Option<chrono::NaiveDate>,
    pub limit: Option<usize>,
}

/// A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (`ESCAPE '\\'`).
fn like_contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The UTC bounds of a day in Japan time, as stored timestamps (which sort as text).
fn jst_day_utc(day: chrono::NaiveDate) -> Result<(String, String)> {
    use chrono::TimeZone;
    let start = |d: chrono::NaiveDate| {
        chrono_tz::Asia::Tokyo
            .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .single()
            .map(|t| ts(t.with_timezone(&Utc)))
            .ok_or_else(|| Error::Input(format!("no such day in Japan time: {d}")))
    };
    let next = day
        .succ_opt()
        .ok_or_else(|| Error::Input(format!("date out of range: {day}")))?;
    Ok((start(day)?, start(next)?))
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

const COLUMNS: &str = "id, series_id, version, supersedes, correction_reason, patient_id, patient_name, pack_id, \
    pack_version, template_id, template_version, template_hash, status, author, final_reviewer, values_json, \
    created_at, updated_at, finalized_at, revision, drill_id, context_json";

fn row_to_record(r: &Row) -> rusqlite::Result<Record> {
    let status: String = r.get(12)?;
    let json: String = r.get(15)?;
    let conv = |i, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    Ok(Record {
        id: r.get(0)?,
        series_id: r.get(1)?,
        version: r.get(2)?,
        supersedes: r.get(3)?,
        correction_reason: r.get(4)?,
        patient: Patient {
            id: r.get(5)?,
            name: r.get(6)?,
        },
        provenance: Provenance {
            pack_id: r.get(7)?,
            pack_version: r.get(8)?,
            template_id: r.get(9)?,
            template_version: r.get(10)?,
            template_hash: r.get(11)?,
        },
        status: Status::parse(&status)
            .ok_or_else(|| conv(12, format!("bad status {status:?}").into()))?,
        author: r.get(13)?,
        final_reviewer: r.get(14)?,
        values: serde_json::from_str(&json).map_err(|e| conv(15, Box::new(e)))?,
        created_at: parse_ts(&r.get::<_, String>(16)?)?,
        updated_at: parse_ts(&r.get::<_, String>(17)?)?,
        finalized_at: r
            .get::<_, Option<String>>(18)?
            .map(|s| parse_ts(&s))
            .transpose()?,
        revision: r.get(19)?,
        context: {
            let mut c: Context = match r.get::<_, Option<String>>(21)? {
                Some(j) => serde_json::from_str(&j).map_err(|e| conv(21, Box::new(e)))?,
                None => Context::default(),
            };
            c.drill_id = r.get(20)?;
            c
        },
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
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            pending_audit: None,
        };
        store.migrate(found, version)?;
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
                &format!(
                    "ATTACH DATABASE ?1 AS enc KEY \"{key}\""
                ),
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

    /// The patients of the most recently changed records, newest first, each once.
    pub fn recent_patients(&self, limit: usize) -> Result<Vec<Patient>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT patient_id, patient_name FROM records WHERE drill_id IS NULL GROUP BY patient_id \
                 ORDER BY max(updated_at) DESC LIMIT ?1",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(Patient {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Whether `path` is a readable, unencrypted SQLite file with a Hikae schema. Read-only.
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

    fn migrate(&mut self, from: i64, to: i64) -> Result<()> {
        for v in from..to {
            let path = self.path.clone();
            let db_err = |e: rusqlite::Error| Error::Database {
                path: path.clone(),
                message: format!("migration to schema {}: {}", v + 1, describe(&e)),
            };
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(db_err)?;
            match &MIGRATIONS[v as usize] {
                Migration::Sql(sql) => tx.execute_batch(sql),
                Migration::Rust(f) => f(&tx),
            }
            .map_err(db_err)?;
            tx.pragma_update(None, "user_version", v + 1)
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
        }
        Ok(())
    }

    pub fn create(&mut self, new: NewRecord) -> Result<Record> {
        let now = Utc::now();
        let id = new_id();
        let rec = Record {
            id: id.clone(),
            series_id: id,
            version: 1,
            supersedes: None,
            correction_reason: None,
            patient: new.patient,
            provenance: new.provenance,
            status: Status::Draft,
            author: new.author,
            final_reviewer: None,
            values: new.values,
            created_at: now,
            updated_at: now,
            finalized_at: None,
            revision: 1,
            context: new.context,
        };
        self.insert(&rec)?;
        Ok(rec)
    }

    fn insert(&mut self, rec: &Record) -> Result<()> {
        let json = serde_json::to_string(&rec.values).map_err(|e| Error::Input(e.to_string()))?;
        let context = (rec.context != Context::default())
            .then(|| serde_json::to_string(&rec.context))
            .transpose()
            .map_err(|e| Error::Input(e.to_string()))?;
        let mut pending = self.pending_audit.take();
        if let Some(e) = pending.as_mut() {
            e.record_id.get_or_insert_with(|| rec.id.clone());
            e.patient_id.get_or_insert_with(|| rec.patient.id.clone());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_err(&self.path, e))?;
        let res = (|| {
            tx.execute(
                &format!("INSERT INTO records ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)"),
                params![
                    rec.id, rec.series_id, rec.version, rec.supersedes, rec.correction_reason, rec.patient.id, rec.patient.name,
                    rec.provenance.pack_id, rec.provenance.pack_version, rec.provenance.template_id, rec.provenance.template_version,
                    rec.provenance.template_hash, rec.status.as_str(), rec.author, rec.final_reviewer, json,
                    ts(rec.created_at), ts(rec.updated_at), rec.finalized_at.map(ts), rec.revision,
                    rec.context.drill_id, context
                ],
            )?;
            let rowid = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO record_search(rowid, body) VALUES (?1, ?2)",
                params![
                    rowid,
                    search_body(&rec.patient.id, &rec.patient.name, &rec.values)
                ],
            )?;
            let anchor = pending
                .as_ref()
                .map(|e| audit::append(&tx, e))
                .transpose()?;
            tx.commit().map(|_| anchor)
        })();
        let anchor = res.map_err(|e| db_err(&self.path, e))?;
        self.anchor(anchor)
    }

    fn anchor(&self, written: Option<(i64, String)>) -> Result<()> {
        match written {
            Some((seq, hash)) => self.write_anchor(seq, &hash),
            None => Ok(()),
        }
    }

    /// Finds a record by id or by a unique prefix of at least 6 characters.
    pub fn get(&self, id: &str) -> Result<Record> {
        let exact = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM records WHERE id = ?1"),
                [id],
                row_to_record,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?;
        if let Some(r) = exact {
            return Ok(r);
        }
        if id.chars().count() < 6 || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(Error::RecordNotFound(id.to_string()));
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM records WHERE id LIKE ?1 || '%' LIMIT 2"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let found: Vec<Record> = stmt
            .query_map([id], row_to_record)
            .and_then(|rows| rows.collect())
            .map_err(|e| db_err(&self.path, e))?;
        match found.len() {
            1 => Ok(found
                .into_iter()
                .next()
                .ok_or_else(|| Error::RecordNotFound(id.to_string()))?),
            0 => Err(Error::RecordNotFound(id.to_string())),
            _ => Err(Error::Input(format!(
                "'{id}' matches more than one record; give more of the id"
            ))),
        }
    }

    /// Replaces a draft's values in one transaction. Returns the saved record.
    pub fn save_values(&mut self, id: &str, values: &Values) -> Result<Record> {
        self.write_draft(id, values, None)
    }

    /// Marks a draft finalized with its (normalized) values; from then on it is immutable.
    pub fn finalize(&mut self, id: &str, values: &Values, final_reviewer: &str) -> Result<Record> {
        self.write_draft(id, values, Some(final_reviewer))
    }

    /// Writes a draft's values (finalizing it if `finalize_by` is given), its search row and
    /// the queued audit entry in one transaction.
    fn write_draft(
        &mut self,
        id: &str,
        values: &Values,
        finalize_by: Option<&str>,
    ) -> Result<Record> {
        let json = serde_json::to_string(values).map_err(|e| Error::Input(e.to_string()))?;
        let now = ts(Utc::now());
        let pending = self.pending_audit.take();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_err(&self.path, e))?;
        let (rowid, pid, pname) = draft_row(&tx, &self.path, id)?;
        let res = (|| {
            match finalize_by {
                None => tx.execute(
                    "UPDATE records SET values_json = ?1, updated_at = ?2, revision = revision + 1 WHERE id = ?3",
                    params![json, now, id],
                )?,
                Some(reviewer) => tx.execute(
                    "UPDATE records SET status = 'finalized', values_json = ?1, final_reviewer = ?2, finalized_at = ?3, updated_at = ?3, revision = revision + 1 WHERE id = ?4",
                    params![json, reviewer, now, id],
                )?,
            };
            tx.execute(
                "UPDATE record_search SET body = ?1 WHERE rowid = ?2",
                params![search_body(&pid, &pname, values), rowid],
            )?;
            if finalize_by.is_some() {
                // waits for the FHIR server from the moment it is final
                outbox::enqueue(&tx, id)?;
            }
            let anchor = pending
                .as_ref()
                .map(|e| audit::append(&tx, e))
                .transpose()?;
            tx.commit().map(|_| anchor)
        })();
        let anchor = res.map_err(|e| db_err(&self.path, e))?;
        self.anchor(anchor)?;
        self.get(id)
    }

    /// Starts a correction of a finalized record: a new draft version linked to it.
    /// The correction keeps the original's drill and paper origin; `downtime` is the one in
    /// force now.
    pub fn correct(
        &mut self,
        id: &str,
        reason: &str,
        author: &str,
        downtime: Option<hikae_domain::downtime::DowntimeMark>,
    ) -> Result<Record> {
        let old = self.get(id)?;
        if old.status != Status::Finalized {
            return Err(Error::BadState {
                id: old.id,
                reason: "only finalized records are corrected; edit the draft instead".into(),
            });
        }
        let newer: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM records WHERE supersedes = ?1",
                [&old.id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?;
        if let Some(n) = newer {
            return Err(Error::BadState {
                id: old.id,
                reason: format!("already corrected by {n}; correct the newest version"),
            });
        }
        let now = Utc::now();
        let rec = Record {
            id: new_id(),
            series_id: old.series_id.clone(),
            version: old.version + 1,
            supersedes: Some(old.id.clone()),
            correction_reason: Some(reason.to_string()),
            status: Status::Draft,
            author: author.to_string(),
            final_reviewer: None,
            created_at: now,
            updated_at: now,
            finalized_at: None,
            revision: 1,
            context: Context {
                downtime,
                ..old.context.clone()
            },
            ..old
        };
        self.insert(&rec)?;
        Ok(rec)
    }

    /// Records matching `q`, most recently updated first.
    pub fn search(&self, q: &Query) -> Result<Vec<Record>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(text) = &q.text {
            for term in text
                .split(|c: char| c.is_whitespace())
                .filter(|t| !t.is_empty())
            {
                if term.chars().count() >= 3 {
                    // trigram index: the term as one quoted phrase
                    clauses.push(
                        "rowid IN (SELECT rowid FROM record_search WHERE record_search MATCH ?)"
                            .into(),
                    );
                    args.push(format!("\"{}\"", term.replace('"', "\"\"")));
                } else {
                    // 1–2 character terms (common in Japanese) are below the trigram size
                    clauses.push(
                        "rowid IN (SELECT rowid FROM record_search WHERE body LIKE ? ESCAPE '\\')"
                            .into(),
                    );
                    args.push(like_contains(term));
                }
            }
        }
        if let Some(p) = &q.patient {
            clauses.push("(patient_id = ? OR patient_name LIKE ? ESCAPE '\\')".into());
            args.push(p.clone());
            args.push(like_contains(p));
        }
        if let Some(t) = &q.template {
            clauses.push("template_id = ?".into());
            args.push(t.clone());
        }
        if let Some(s) = q.status {
            clauses.push("status = ?".into());
            args.push(s.as_str().into());
        }
        if let Some(day) = q.date {
            let (from, to) = jst_day_utc(day)?;
            clauses.push(
                "((created_at >= ? AND created_at < ?) OR (updated_at >= ? AND updated_at < ?))"
                    .into(),
            );
            args.extend([from.clone(), to.clone(), from, to]);
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM records {filter} ORDER BY updated_at DESC, rowid DESC LIMIT {}",
            q.limit.unwrap_or(500)
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), row_to_record)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Id of the version that replaces `id`, if a correction exists.
    pub fn superseded_by(&self, id: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT id FROM records WHERE supersedes = ?1 ORDER BY version DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn record_pack_event(&mut self, e: &PackEvent) -> Result<()> {
        let pending = self.pending_audit.take();
        let tx = self.conn.transaction().map_err(|e| db_err(&self.path, e))?;
        let anchor = tx
            .execute(
                "INSERT INTO pack_events (at, action, pack_id, from_version, to_version, by_whom, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![ts(e.at), e.action, e.pack_id, e.from_version, e.to_version, e.by, e.reason],
            )
            .and_then(|_| pending.as_ref().map(|ev| audit::append(&tx, ev)).transpose())
            .and_then(|a| tx.commit().map(|_| a))
            .map_err(|e| db_err(&self.path, e))?;
        self.anchor(anchor)
    }

    pub fn pack_events(&self) -> Result<Vec<PackEvent>> {
        let mut stmt = self
            .conn
            .prepare("SELECT at, action, pack_id, from_version, to_version, by_whom, reason FROM pack_events ORDER BY id")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(PackEvent {
                    at: parse_ts(&r.get::<_, String>(0)?)?,
                    action: r.get(1)?,
                    pack_id: r.get(2)?,
                    from_version: r.get(3)?,
                    to_version: r.get(4)?,
                    by: r.get(5)?,
                    reason: r.get(6)?,
                })
            })
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Direct SQL access for tests that must prove the database itself refuses a change.
    #[cfg(feature = "test-support")]
    pub fn raw_connection(&self) -> &Connection {
        &self.conn
    }
}

/// The search-index row and patient of a record that must still be a draft.
fn draft_row(tx: &rusqlite::Transaction, path: &Path, id: &str) -> Result<(i64, String, String)> {
    let row: Option<(i64, String, String, String)> = tx
        .query_row(
            "SELECT rowid, status, patient_id, patient_name FROM records WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(|e| db_err(path, e))?;
    match row {
        None => Err(Error::RecordNotFound(id.to_string())),
        Some((_, status, _, _)) if status != Status::Draft.as_str() => {
            Err(Error::Finalized(id.to_string()))
        }
        Some((rowid, _, pid, pname)) => Ok((rowid, pid, pname)),
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
        Some(rusqlite::ErrorCode::DiskFull) => "the disk is full".into(),
        Some(rusqlite::ErrorCode::DatabaseBusy) => "the database is busy (is another Hikae running?)".into(),
        _ => e.to_string(),
    }
}
