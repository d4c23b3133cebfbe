//! Declared downtimes and continuity drills (schema v8), and the record columns that tie a
//! record to them. A drill's records may be purged once the drill has ended; nothing else
//! about a finalized record may be deleted, and drill records never enter the outbox (both
//! enforced by triggers).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{audit, db_err, parse_ts, ts, Store};
use hikae_domain::audit::{Entry, Event};
use hikae_domain::downtime::{Downtime, Scope, ServiceKind};
use hikae_domain::error::{Error, Result};

/// A drill as stored. The scenario and the frozen report are JSON the store does not read.
#[derive(Debug, Clone)]
pub struct DrillRow {
    pub id: String,
    pub scenario_id: String,
    pub scenario_json: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    /// The audit entry that started it: the drill's events are the ones from here on.
    pub start_seq: i64,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub participants: Vec<String>,
    pub notes: String,
    pub findings: String,
    pub actions: String,
    pub report_json: Option<String>,
    pub purged_at: Option<DateTime<Utc>>,
    pub purged_by: Option<String>,
    pub purged_records: Option<i64>,
}

/// How a drill ends: what people typed, and the report frozen at that moment.
#[derive(Debug, Clone)]
pub struct DrillEnd {
    pub at: DateTime<Utc>,
    pub by: String,
    pub participants: Vec<String>,
    pub notes: String,
    pub findings: String,
    pub actions: String,
    pub report_json: String,
}

const DOWNTIME_COLS: &str =
    "id, services_json, scope, reason, declared_by, started_at, ended_by, ended_at, end_note, drill_id";
const DRILL_COLS: &str =
    "id, scenario_id, scenario_json, started_by, started_at, start_seq, ended_by, ended_at, \
    participants_json, notes, findings, actions, report_json, purged_at, purged_by, purged_records";

fn conv(i: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
}

fn downtime_row(r: &rusqlite::Row) -> rusqlite::Result<Downtime> {
    let services: Vec<ServiceKind> =
        serde_json::from_str(&r.get::<_, String>(1)?).map_err(|e| conv(1, e))?;
    let scope: String = r.get(2)?;
    Ok(Downtime {
        id: r.get(0)?,
        services,
        scope: if scope == "hospital" {
            Scope::Hospital
        } else {
            Scope::Ward
        },
        reason: r.get(3)?,
        declared_by: r.get(4)?,
        started_at: parse_ts(&r.get::<_, String>(5)?)?,
        ended_by: r.get(6)?,
        ended_at: r
            .get::<_, Option<String>>(7)?
            .map(|s| parse_ts(&s))
            .transpose()?,
        end_note: r.get(8)?,
        drill_id: r.get(9)?,
    })
}

fn drill_row(r: &rusqlite::Row) -> rusqlite::Result<DrillRow> {
    let opt_ts = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        r.get::<_, Option<String>>(i)?
            .map(|s| parse_ts(&s))
            .transpose()
    };
    let participants: Vec<String> = match r.get::<_, Option<String>>(8)? {
        Some(j) => serde_json::from_str(&j).map_err(|e| conv(8, e))?,
        None => Vec::new(),
    };
    Ok(DrillRow {
        id: r.get(0)?,
        scenario_id: r.get(1)?,
        scenario_json: r.get(2)?,
        started_by: r.get(3)?,
        started_at: parse_ts(&r.get::<_, String>(4)?)?,
        start_seq: r.get(5)?,
        ended_by: r.get(6)?,
        ended_at: opt_ts(7)?,
        participants,
        notes: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
        findings: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
        actions: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        report_json: r.get(12)?,
        purged_at: opt_ts(13)?,
        purged_by: r.get(14)?,
        purged_records: r.get(15)?,
    })
}

impl Store {
    /// Runs `f` in an audited write whose entry `e` comes first (`f` gets its sequence number).
    fn with_audit<T>(
        &mut self,
        e: &Event,
        f: impl FnOnce(&rusqlite::Transaction, i64) -> Result<T>,
    ) -> Result<T> {
        let queued = self.pending_audit.take();
        let out = self.audited(|w| {
            let seq = w.log(e)?;
            f(&w.tx, seq)
        });
        self.pending_audit = queued;
        out
    }

    pub fn active_downtime(&self) -> Result<Option<Downtime>> {
        self.conn
            .query_row(
                &format!("SELECT {DOWNTIME_COLS} FROM downtimes WHERE ended_at IS NULL ORDER BY started_at DESC LIMIT 1"),
                [],
                downtime_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    /// Every declared downtime, newest first.
    pub fn downtimes(&self) -> Result<Vec<Downtime>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {DOWNTIME_COLS} FROM downtimes ORDER BY started_at DESC"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], downtime_row)
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| db_err(&self.path, e));
        rows
    }

    /// Stores a declaration with its audit entry. Refused while another is in force.
    pub fn declare_downtime(&mut self, d: &Downtime, e: &Event) -> Result<()> {
        let services =
            serde_json::to_string(&d.services).map_err(|e| Error::Input(e.to_string()))?;
        let path = self.path.clone();
        self.with_audit(e, |tx, _| {
            let open: Option<String> = tx
                .query_row(
                    "SELECT id FROM downtimes WHERE ended_at IS NULL",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|err| db_err(&path, err))?;
            if let Some(id) = open {
                return Err(Error::Conflict(format!("{id}: a downtime is already declared; end it first")));
            }
            tx.execute(
                &format!("INSERT INTO downtimes ({DOWNTIME_COLS}) VALUES (?1,?2,?3,?4,?5,?6,NULL,NULL,NULL,?7)"),
                params![d.id, services, d.scope.as_str(), d.reason, d.declared_by, ts(d.started_at), d.drill_id],
            )
            .map_err(|err| db_err(&path, err))?;
            Ok(())
        })
    }

    /// Ends the downtime in force, with its audit entry.
    pub fn end_downtime(&mut self, by: &str, note: Option<&str>, e: &Event) -> Result<Downtime> {
        let Some(open) = self.active_downtime()? else {
            return Err(Error::NotFound("a declared downtime".into()));
        };
        let path = self.path.clone();
        self.with_audit(e, |tx, _| {
            tx.execute(
                "UPDATE downtimes SET ended_by = ?1, ended_at = ?2, end_note = ?3 WHERE id = ?4",
                params![by, ts(Utc::now()), note, open.id],
            )
            .map_err(|err| db_err(&path, err))?;
            Ok(())
        })?;
        self.downtime(&open.id)
    }

    pub fn downtime(&self, id: &str) -> Result<Downtime> {
        self.conn
            .query_row(
                &format!("SELECT {DOWNTIME_COLS} FROM downtimes WHERE id = ?1"),
                [id],
                downtime_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?
            .ok_or_else(|| Error::NotFound(format!("downtime {id}")))
    }

    /// Starts a drill; `e` (drill_start) is its first audit entry. Refused while another runs.
    pub fn start_drill(
        &mut self,
        id: &str,
        scenario_id: &str,
        scenario_json: &str,
        by: &str,
        e: &Event,
    ) -> Result<DrillRow> {
        let path = self.path.clone();
        self.with_audit(e, |tx, seq| {
            let open: Option<String> = tx
                .query_row("SELECT id FROM drills WHERE ended_at IS NULL", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|err| db_err(&path, err))?;
            if let Some(id) = open {
                return Err(Error::Conflict(format!("{id}: a drill is already running; end it first")));
            }
            tx.execute(
                "INSERT INTO drills (id, scenario_id, scenario_json, started_by, started_at, start_seq) VALUES (?1,?2,?3,?4,?5,?6)",
                params![id, scenario_id, scenario_json, by, ts(Utc::now()), seq],
            )
            .map_err(|err| db_err(&path, err))?;
            Ok(())
        })?;
        self.drill(id)
    }

    pub fn active_drill(&self) -> Result<Option<DrillRow>> {
        self.conn
            .query_row(
                &format!("SELECT {DRILL_COLS} FROM drills WHERE ended_at IS NULL LIMIT 1"),
                [],
                drill_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn drill(&self, id: &str) -> Result<DrillRow> {
        self.conn
            .query_row(
                &format!("SELECT {DRILL_COLS} FROM drills WHERE id = ?1"),
                [id],
                drill_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?
            .ok_or_else(|| Error::NotFound(format!("drill {id}")))
    }

    /// Every drill, newest first.
    pub fn drills(&self) -> Result<Vec<DrillRow>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {DRILL_COLS} FROM drills ORDER BY started_at DESC"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], drill_row)
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| db_err(&self.path, e));
        rows
    }

    /// Ends the running drill `id` with what people typed and the frozen report.
    /// A downtime declared during the drill (a practice one) ends with it.
    pub fn end_drill(&mut self, id: &str, end: &DrillEnd, e: &Event) -> Result<DrillRow> {
        let participants =
            serde_json::to_string(&end.participants).map_err(|e| Error::Input(e.to_string()))?;
        let path = self.path.clone();
        self.with_audit(e, |tx, _| {
            let n = tx
                .execute(
                    "UPDATE drills SET ended_by = ?1, ended_at = ?2, participants_json = ?3, notes = ?4, findings = ?5, \
                     actions = ?6, report_json = ?7 WHERE id = ?8 AND ended_at IS NULL",
                    params![end.by, ts(end.at), participants, end.notes, end.findings, end.actions, end.report_json, id],
                )
                .map_err(|err| db_err(&path, err))?;
            if n > 0 {
                tx.execute(
                    "UPDATE downtimes SET ended_by = ?1, ended_at = ?2, end_note = '訓練終了' WHERE drill_id = ?3 AND ended_at IS NULL",
                    params![end.by, ts(end.at), id],
                )
                .map_err(|err| db_err(&path, err))?;
            }
            if n == 0 {
                return Err(Error::Conflict(format!("{id}: this drill is not running")));
            }
            Ok(())
        })?;
        self.drill(id)
    }

    /// Removes every record made in drill `id` (which has ended), with its search row, and
    /// notes how many. Returns that number.
    pub fn purge_drill(&mut self, id: &str, by: &str, e: &Event) -> Result<usize> {
        let d = self.drill(id)?;
        if d.ended_at.is_none() {
            return Err(Error::Conflict(format!(
                "{id}: end the drill before removing its records"
            )));
        }
        if d.purged_at.is_some() {
            return Err(Error::Conflict(format!(
                "{id}: this drill's records were already removed"
            )));
        }
        let path = self.path.clone();
        self.with_audit(e, |tx, _| {
            let db = |err| db_err(&path, err);
            tx.execute(
                "DELETE FROM record_search WHERE rowid IN (SELECT rowid FROM records WHERE drill_id = ?1)",
                [id],
            )
            .map_err(db)?;
            tx.execute(
                "DELETE FROM record_bigrams WHERE rowid IN (SELECT rowid FROM records WHERE drill_id = ?1)",
                [id],
            )
            .map_err(db)?;
            let n = tx
                .execute("DELETE FROM records WHERE drill_id = ?1", [id])
                .map_err(db)?;
            tx.execute(
                "UPDATE drills SET purged_at = ?1, purged_by = ?2, purged_records = ?3 WHERE id = ?4",
                params![ts(Utc::now()), by, n as i64, id],
            )
            .map_err(db)?;
            Ok(n)
        })
    }

    /// (id, finalized?) of every record made in drill `id`.
    pub fn drill_records(&self, id: &str) -> Result<Vec<(String, bool)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, status = 'finalized' FROM records WHERE drill_id = ?1")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| db_err(&self.path, e));
        rows
    }

    /// Audit entries from `seq` on, oldest first.
    pub fn audit_from(&self, seq: i64) -> Result<Vec<Entry>> {
        audit::entries_from(&self.conn, seq).map_err(|e| db_err(&self.path, e))
    }
}
