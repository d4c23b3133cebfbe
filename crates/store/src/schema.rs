//! The schema and its migrations. Append only: a released migration is never edited, and
//! `PRAGMA user_version` is the number of migrations applied.

use rusqlite::{params, TransactionBehavior};

use super::{bigrams, describe, search_body, Store};
use hikae_domain::error::{Error, Result};
use hikae_domain::form::Values;

/// Schema history. Append only: a released migration is never edited.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(V1_RECORDS),
    Migration::Rust(v2_search_index),
    Migration::Sql(V3_PACK_EVENTS),
    Migration::Sql(V4_CHECKLISTS),
    Migration::Sql(V5_AUDIT),
    Migration::Sql(V6_OUTBOX),
    Migration::Sql(V7_PATIENT_MAP),
    Migration::Sql(V8_CONTINUITY),
    Migration::Sql(V9_TRUST),
    Migration::Rust(v10_bigram_index),
    Migration::Sql(V11_RECORD_PDFS),
    Migration::Sql(V12_SUPERSEDES_INDEX),
    Migration::Sql(V13_SNAPSHOT),
    Migration::Sql(V14_RECORD_SOURCES),
    Migration::Sql(V15_PERSONAL_PHRASES),
    Migration::Sql(V16_DEVICE_STATE),
];

enum Migration {
    Sql(&'static str),
    Rust(fn(&rusqlite::Transaction) -> rusqlite::Result<()>),
}

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) const V1_RECORDS: &str = "
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
pub(super) const V3_PACK_EVENTS: &str = "
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

/// v10: a bigram index for the 1- and 2-character terms the trigram index cannot serve
/// (肺炎, 発熱, 転倒: Japanese clinical words are very often two characters). Each record's
/// search text as overlapping character pairs, space-separated, for FTS5's `unicode61`
/// tokenizer; `detail=none` keeps it small (terms only, no positions), and contentless (the
/// pairs are never read back; `contentless_delete` lets a row be replaced).
fn v10_bigram_index(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE VIRTUAL TABLE record_bigrams USING fts5(grams, tokenize = 'unicode61 remove_diacritics 0', detail = none, content = '', contentless_delete = 1);",
    )?;
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT rowid, body FROM record_search")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut insert = tx.prepare("INSERT INTO record_bigrams(rowid, grams) VALUES (?1, ?2)")?;
    for (rowid, body) in rows {
        insert.execute(params![rowid, bigrams(&body)])?;
    }
    Ok(())
}

/// v11: the exact PDF of each finalized record, kept from when it was finalized (sync attaches
/// it and print reuses it instead of rendering again). Never changed or removed.
pub(super) const V11_RECORD_PDFS: &str = "
CREATE TABLE record_pdfs (
    record_id   TEXT PRIMARY KEY REFERENCES records(id),
    patient_key TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    pdf         BLOB NOT NULL
);
CREATE TRIGGER record_pdfs_kept_u BEFORE UPDATE ON record_pdfs
BEGIN SELECT RAISE(ABORT, 'a finalized record''s PDF is kept as it was'); END;
CREATE TRIGGER record_pdfs_kept_d BEFORE DELETE ON record_pdfs
BEGIN SELECT RAISE(ABORT, 'a finalized record''s PDF is kept as it was'); END;
";

/// v12: corrections by the version they supersede. Sync asks, for every record it sends,
/// whether a later version exists; without this index each ask scanned the whole table (at
/// 10,000 records that made sync quadratic: ~10 ms per record).
pub(super) const V12_SUPERSEDES_INDEX: &str = "
CREATE INDEX records_supersedes ON records(supersedes) WHERE supersedes IS NOT NULL;
";

/// v13: the ward snapshot, a read-only copy of the hospital's FHIR resources for the
/// configured wards (replaced by each refresh, never edited here). A patient's resources go
/// with the patient (discharge, retention).
pub(super) const V13_SNAPSHOT: &str = "
CREATE TABLE snapshot_wards (
    ward      TEXT PRIMARY KEY,
    name      TEXT,
    as_of     TEXT NOT NULL,
    full_at   TEXT NOT NULL,
    -- the server's clock (HTTP Date) at that refresh: changes are asked for after it
    server_as_of TEXT
);
CREATE TABLE snapshot_patients (
    patient        TEXT PRIMARY KEY,
    ward           TEXT NOT NULL,
    bed            TEXT,
    attending      TEXT,
    patient_json   TEXT NOT NULL,
    encounter_json TEXT NOT NULL,
    confirmed_at   TEXT NOT NULL
);
CREATE INDEX snapshot_patients_ward ON snapshot_patients(ward);
CREATE TABLE snapshot_resources (
    type          TEXT NOT NULL,
    id            TEXT NOT NULL,
    patient       TEXT NOT NULL REFERENCES snapshot_patients(patient) ON DELETE CASCADE,
    dated         TEXT,
    last_updated  TEXT,
    json          TEXT NOT NULL,
    PRIMARY KEY (type, id)
);
CREATE INDEX snapshot_resources_patient ON snapshot_resources(patient);
";

/// v4: checklist runs and their ticks.
pub(super) const V4_CHECKLISTS: &str = "
CREATE TABLE checklist_runs (
    id           TEXT PRIMARY KEY,
    procedure_id TEXT NOT NULL,
    pack_id      TEXT NOT NULL,
    pack_version TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    started_by   TEXT NOT NULL,
    ended_at     TEXT,
    ended_by     TEXT
);
CREATE INDEX checklist_runs_procedure ON checklist_runs(procedure_id, started_at);
CREATE TRIGGER checklist_runs_end_once BEFORE UPDATE ON checklist_runs
WHEN OLD.ended_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.procedure_id IS NOT OLD.procedure_id
  OR NEW.pack_id IS NOT OLD.pack_id OR NEW.pack_version IS NOT OLD.pack_version
  OR NEW.started_at IS NOT OLD.started_at OR NEW.started_by IS NOT OLD.started_by
BEGIN SELECT RAISE(ABORT, 'a checklist run only changes by being ended, once'); END;
CREATE TRIGGER checklist_runs_no_delete BEFORE DELETE ON checklist_runs
BEGIN SELECT RAISE(ABORT, 'checklist runs are kept'); END;
CREATE TABLE checklist_ticks (
    id        INTEGER PRIMARY KEY,
    run_id    TEXT NOT NULL REFERENCES checklist_runs(id),
    step      INTEGER NOT NULL CHECK (step >= 0),
    step_text TEXT NOT NULL,
    done      INTEGER NOT NULL CHECK (done IN (0, 1)),
    by_whom   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX checklist_ticks_run ON checklist_ticks(run_id, id);
CREATE TRIGGER checklist_ticks_open_run BEFORE INSERT ON checklist_ticks
WHEN (SELECT ended_at FROM checklist_runs WHERE id = NEW.run_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'the checklist run has ended'); END;
CREATE TRIGGER checklist_ticks_no_update BEFORE UPDATE ON checklist_ticks
BEGIN SELECT RAISE(ABORT, 'checklist ticks are append-only'); END;
CREATE TRIGGER checklist_ticks_no_delete BEFORE DELETE ON checklist_ticks
BEGIN SELECT RAISE(ABORT, 'checklist ticks are append-only'); END;
";

/// v5: the audit trail.
pub(super) const V5_AUDIT: &str = "
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    actor_name     TEXT NOT NULL,
    actor_role     TEXT,
    session        TEXT,
    break_glass    INTEGER NOT NULL CHECK (break_glass IN (0, 1)),
    action         TEXT NOT NULL,
    success        INTEGER NOT NULL CHECK (success IN (0, 1)),
    record_id      TEXT,
    patient_id     TEXT,
    purpose        TEXT,
    data_category  TEXT,
    final_reviewer TEXT,
    detail         TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// v6: the outbox.
pub(super) const V6_OUTBOX: &str = "
CREATE TABLE outbox (
    record_id       TEXT PRIMARY KEY REFERENCES records(id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'acknowledged', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    server_id       TEXT,
    acknowledged_at TEXT,
    queued_at       TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox entries are kept'); END;
CREATE TRIGGER outbox_acknowledged_final BEFORE UPDATE ON outbox WHEN OLD.state = 'acknowledged'
BEGIN SELECT RAISE(ABORT, 'an acknowledged record stays acknowledged'); END;
";

/// v7: temporary downtime patient IDs mapped to the hospital's real ones.
pub(super) const V7_PATIENT_MAP: &str = "
CREATE TABLE patient_map (
    temporary_id TEXT PRIMARY KEY,
    real_id      TEXT NOT NULL,
    real_name    TEXT,
    mapped_by    TEXT NOT NULL,
    mapped_at    TEXT NOT NULL
);
CREATE TRIGGER patient_map_no_delete BEFORE DELETE ON patient_map
BEGIN SELECT RAISE(ABORT, 'patient ID mappings are kept'); END;
";

pub(super) const V8_CONTINUITY: &str = "
CREATE TABLE downtimes (
    id            TEXT PRIMARY KEY,
    services_json TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('ward', 'hospital')),
    reason        TEXT NOT NULL,
    declared_by   TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_by      TEXT,
    ended_at      TEXT,
    end_note      TEXT,
    drill_id      TEXT
);
CREATE TRIGGER downtimes_end_once BEFORE UPDATE ON downtimes
WHEN OLD.ended_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.services_json IS NOT OLD.services_json
  OR NEW.scope IS NOT OLD.scope OR NEW.reason IS NOT OLD.reason OR NEW.declared_by IS NOT OLD.declared_by
  OR NEW.started_at IS NOT OLD.started_at OR NEW.drill_id IS NOT OLD.drill_id
BEGIN SELECT RAISE(ABORT, 'a downtime only changes by being ended, once'); END;
CREATE TRIGGER downtimes_no_delete BEFORE DELETE ON downtimes
BEGIN SELECT RAISE(ABORT, 'downtime periods are kept'); END;
CREATE TABLE drills (
    id                TEXT PRIMARY KEY,
    scenario_id       TEXT NOT NULL,
    scenario_json     TEXT NOT NULL,
    started_by        TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    start_seq         INTEGER NOT NULL,
    ended_by          TEXT,
    ended_at          TEXT,
    participants_json TEXT,
    notes             TEXT,
    findings          TEXT,
    actions           TEXT,
    report_json       TEXT,
    purged_at         TEXT,
    purged_by         TEXT,
    purged_records    INTEGER
);
CREATE TRIGGER drills_no_delete BEFORE DELETE ON drills
BEGIN SELECT RAISE(ABORT, 'drills are kept'); END;
CREATE TRIGGER drills_start_fixed BEFORE UPDATE ON drills
WHEN NEW.id IS NOT OLD.id OR NEW.scenario_id IS NOT OLD.scenario_id OR NEW.scenario_json IS NOT OLD.scenario_json
  OR NEW.started_by IS NOT OLD.started_by OR NEW.started_at IS NOT OLD.started_at OR NEW.start_seq IS NOT OLD.start_seq
  OR OLD.purged_at IS NOT NULL
  OR (OLD.ended_at IS NOT NULL AND (NEW.ended_at IS NOT OLD.ended_at OR NEW.ended_by IS NOT OLD.ended_by
      OR NEW.participants_json IS NOT OLD.participants_json OR NEW.notes IS NOT OLD.notes
      OR NEW.findings IS NOT OLD.findings OR NEW.actions IS NOT OLD.actions OR NEW.report_json IS NOT OLD.report_json))
  OR (OLD.ended_at IS NULL AND NEW.purged_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'a drill only changes by being ended, then purged, once each'); END;
ALTER TABLE records ADD COLUMN drill_id TEXT REFERENCES drills(id);
ALTER TABLE records ADD COLUMN context_json TEXT;
CREATE INDEX records_drill ON records(drill_id) WHERE drill_id IS NOT NULL;
DROP TRIGGER records_finalized_no_delete;
CREATE TRIGGER records_finalized_no_delete BEFORE DELETE ON records
WHEN OLD.status = 'finalized' AND OLD.drill_id IS NULL
BEGIN SELECT RAISE(ABORT, 'finalized records are immutable'); END;
CREATE TRIGGER records_drill_purge_only BEFORE DELETE ON records
WHEN OLD.drill_id IS NOT NULL AND (SELECT ended_at FROM drills WHERE id = OLD.drill_id) IS NULL
BEGIN SELECT RAISE(ABORT, 'drill records are removed only after the drill has ended'); END;
CREATE TRIGGER records_drill_fixed BEFORE UPDATE OF drill_id ON records
WHEN NEW.drill_id IS NOT OLD.drill_id
BEGIN SELECT RAISE(ABORT, 'a record''s drill is fixed when it is made'); END;
CREATE TRIGGER outbox_no_drill BEFORE INSERT ON outbox
WHEN (SELECT drill_id FROM records WHERE id = NEW.record_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'drill records are never sent'); END;
";

/// v9: what this PC trusts, inside the encrypted store where the OS user cannot rewrite it:
/// the administrator recorded at setup, and the highest roster and pack versions ever
/// installed (floors only go up; nothing is ever deleted).
pub(super) const V9_TRUST: &str = "
CREATE TABLE trust (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TRIGGER trust_no_delete BEFORE DELETE ON trust
BEGIN SELECT RAISE(ABORT, 'trust settings are kept'); END;
CREATE TRIGGER trust_setup_admin_once BEFORE UPDATE ON trust
WHEN (OLD.key = 'setup_admin' AND NEW.value IS NOT OLD.value) OR NEW.key IS NOT OLD.key
BEGIN SELECT RAISE(ABORT, 'the setup administrator is recorded once'); END;
CREATE TRIGGER trust_floors_rise BEFORE UPDATE ON trust
WHEN OLD.key = 'floor:roster' AND CAST(NEW.value AS INTEGER) < CAST(OLD.value AS INTEGER)
BEGIN SELECT RAISE(ABORT, 'a version floor only goes up'); END;
";

impl Store {
    pub(super) fn migrate(&mut self, from: i64, to: i64) -> Result<()> {
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
}

/// v14: the EHR resources a finalized record was written about (the ward snapshot's Patient,
/// Encounter and Conditions at the moment it was finalized), for its JP-CLINS document. Kept
/// as they were, like the PDF: a discharge later purges the snapshot, not this.
pub(super) const V14_RECORD_SOURCES: &str = "
CREATE TABLE record_sources (
    record_id TEXT PRIMARY KEY REFERENCES records(id),
    taken_at  TEXT NOT NULL,
    json      TEXT NOT NULL
);
CREATE TRIGGER record_sources_kept_u BEFORE UPDATE ON record_sources
BEGIN SELECT RAISE(ABORT, 'a finalized record''s sources are kept as they were'); END;
CREATE TRIGGER record_sources_kept_d BEFORE DELETE ON record_sources
BEGIN SELECT RAISE(ABORT, 'a finalized record''s sources are kept as they were'); END;
";

/// v15: each user's own stock phrases (定型文), per template field, inside the encrypted store.
pub(super) const V15_PERSONAL_PHRASES: &str = "
CREATE TABLE personal_phrases (
    id         INTEGER PRIMARY KEY,
    owner      TEXT NOT NULL,
    template   TEXT NOT NULL,
    field      TEXT NOT NULL,
    text       TEXT NOT NULL,
    reading    TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (owner, template, field, text)
);
";

/// v16: this PC's own state for the fleet: its stable device id (made once, never changed),
/// the last self-test's result and the clock offset the last heartbeat measured.
pub(super) const V16_DEVICE_STATE: &str = "
CREATE TABLE device_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TRIGGER device_id_once BEFORE UPDATE ON device_state
WHEN OLD.key = 'device_id' AND NEW.value IS NOT OLD.value
BEGIN SELECT RAISE(ABORT, 'the device id is made once'); END;
CREATE TRIGGER device_state_no_delete BEFORE DELETE ON device_state
BEGIN SELECT RAISE(ABORT, 'device state is kept'); END;
";
