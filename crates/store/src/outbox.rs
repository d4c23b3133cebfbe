//! The sync outbox: every finalized record waits here, in the same transaction that finalized
//! it, until the hospital's FHIR server has acknowledged it. Nothing is ever deleted; states
//! move pending → sending → acknowledged | rejected (and rejected → pending on resend).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{db_err, parse_ts, ts, Store};
use hikae_domain::audit::Event;
use hikae_domain::error::{Error, Result};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientMapping {
    pub temporary_id: String,
    pub real_id: String,
    pub real_name: Option<String>,
    pub mapped_by: String,
    pub mapped_at: DateTime<Utc>,
}

fn mapping_row(r: &rusqlite::Row) -> rusqlite::Result<PatientMapping> {
    Ok(PatientMapping {
        temporary_id: r.get(0)?,
        real_id: r.get(1)?,
        real_name: r.get(2)?,
        mapped_by: r.get(3)?,
        mapped_at: parse_ts(&r.get::<_, String>(4)?)?,
    })
}

/// `(substr(r.patient_id, 1, length(?n)) = ?n OR …) AND r.patient_id NOT IN (mapped)`, for
/// `count` prefixes bound from parameter `first` on.
fn held_clause(count: usize, first: usize) -> String {
    if count == 0 {
        return "0".into();
    }
    let any: Vec<String> = (first..first + count)
        .map(|i| format!("substr(r.patient_id, 1, length(?{i})) = ?{i}"))
        .collect();
    format!(
        "(({}) AND r.patient_id NOT IN (SELECT temporary_id FROM patient_map))",
        any.join(" OR ")
    )
}

fn qualified() -> String {
    COLS.split(", ")
        .map(|c| format!("o.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records per outbox state (`held`: waiting for a temporary patient ID to be mapped).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxCounts {
    pub pending: usize,
    pub held: usize,
    pub acknowledged: usize,
    pub rejected: usize,
    /// Pending and not held: what a run can send.
    pub sendable: usize,
}

/// A change to one outbox entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Filing {
    Sending,
    Acknowledged {
        server_id: String,
    },
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    Rejected {
        error: String,
    },
    /// A rejected record goes back in line (after a person fixed what the server minded).
    Resend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    Pending,
    Sending,
    Acknowledged,
    Rejected,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Pending => "pending",
            SyncState::Sending => "sending",
            SyncState::Acknowledged => "acknowledged",
            SyncState::Rejected => "rejected",
        }
    }
    fn parse(s: &str) -> Option<SyncState> {
        [
            SyncState::Pending,
            SyncState::Sending,
            SyncState::Acknowledged,
            SyncState::Rejected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutboxEntry {
    pub record_id: String,
    pub state: SyncState,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub server_id: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub queued_at: DateTime<Utc>,
}

const COLS: &str =
    "record_id, state, attempts, next_attempt_at, last_error, server_id, acknowledged_at, queued_at";

fn row(r: &rusqlite::Row) -> rusqlite::Result<OutboxEntry> {
    let state: String = r.get(1)?;
    Ok(OutboxEntry {
        record_id: r.get(0)?,
        state: SyncState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("bad outbox state {state:?}").into(),
            )
        })?,
        attempts: r.get(2)?,
        next_attempt_at: parse_ts(&r.get::<_, String>(3)?)?,
        last_error: r.get(4)?,
        server_id: r.get(5)?,
        acknowledged_at: r
            .get::<_, Option<String>>(6)?
            .map(|s| parse_ts(&s))
            .transpose()?,
        queued_at: parse_ts(&r.get::<_, String>(7)?)?,
    })
}

/// Queues `record_id` inside the finalizing transaction (unless it is a drill record: those
/// are never sent).
pub(super) fn enqueue(tx: &rusqlite::Transaction, record_id: &str) -> rusqlite::Result<()> {
    let now = ts(Utc::now());
    tx.execute(
        "INSERT INTO outbox (record_id, state, next_attempt_at, queued_at) \
         SELECT ?1, 'pending', ?2, ?2 WHERE (SELECT drill_id FROM records WHERE id = ?1) IS NULL",
        params![record_id, now],
    )
    .map(|_| ())
}

impl Store {
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLS} FROM outbox ORDER BY queued_at, record_id"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], row)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    pub fn outbox_entry(&self, record_id: &str) -> Result<Option<OutboxEntry>> {
        self.conn
            .query_row(
                &format!("SELECT {COLS} FROM outbox WHERE record_id = ?1"),
                [record_id],
                row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    /// Entries due for sending at `now`, oldest first, at most `limit`. Records of patients whose ID starts with one of
    /// `temporary_prefixes` wait until that ID is mapped to a real one.
    pub fn outbox_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        temporary_prefixes: &[String],
    ) -> Result<Vec<OutboxEntry>> {
        let held = held_clause(temporary_prefixes.len(), 3);
        let sql = format!(
            "SELECT {} FROM outbox o JOIN records r ON r.id = o.record_id \
             WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 AND NOT {held} \
             ORDER BY o.next_attempt_at, o.queued_at LIMIT ?2",
            qualified()
        );
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![];
        let now = ts(now);
        let limit = limit as i64;
        args.push(&now);
        args.push(&limit);
        for p in temporary_prefixes {
            args.push(p);
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map(args.as_slice(), row)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Puts entries a stopped or crashed run left in `sending` back in line (a run starts with
    /// this; sending them again is safe, the creates are conditional). Returns how many.
    pub fn outbox_recover(&mut self) -> Result<usize> {
        let now = ts(Utc::now());
        self.conn
            .execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?1 WHERE state = 'sending'",
                [now],
            )
            .map_err(|e| db_err(&self.path, e))
    }

    /// When the next waiting entry is due (none: nothing left to send now or later).
    pub fn outbox_next_due(&self, temporary_prefixes: &[String]) -> Result<Option<DateTime<Utc>>> {
        let held = held_clause(temporary_prefixes.len(), 1);
        let sql = format!(
            "SELECT min(o.next_attempt_at) FROM outbox o JOIN records r ON r.id = o.record_id \
             WHERE o.state = 'pending' AND NOT {held}"
        );
        let args: Vec<&dyn rusqlite::ToSql> = temporary_prefixes
            .iter()
            .map(|p| p as &dyn rusqlite::ToSql)
            .collect();
        let at: Option<String> = self
            .conn
            .query_row(&sql, args.as_slice(), |r| r.get(0))
            .map_err(|e| db_err(&self.path, e))?;
        at.map(|s| parse_ts(&s).map_err(|e| db_err(&self.path, e)))
            .transpose()
    }

    /// How many records are in each state.
    pub fn outbox_counts(&self, temporary_prefixes: &[String]) -> Result<OutboxCounts> {
        let held = held_clause(temporary_prefixes.len(), 1);
        let sql = format!(
            "SELECT \
               coalesce(sum(o.state IN ('pending', 'sending') AND NOT {held}), 0), \
               coalesce(sum(o.state IN ('pending', 'sending') AND {held}), 0), \
               coalesce(sum(o.state = 'acknowledged'), 0), \
               coalesce(sum(o.state = 'rejected'), 0) \
             FROM outbox o JOIN records r ON r.id = o.record_id"
        );
        let args: Vec<&dyn rusqlite::ToSql> = temporary_prefixes
            .iter()
            .map(|p| p as &dyn rusqlite::ToSql)
            .collect();
        self.conn
            .query_row(&sql, args.as_slice(), |r| {
                Ok(OutboxCounts {
                    pending: r.get::<_, i64>(0)? as usize,
                    held: r.get::<_, i64>(1)? as usize,
                    acknowledged: r.get::<_, i64>(2)? as usize,
                    rejected: r.get::<_, i64>(3)? as usize,
                    sendable: r.get::<_, i64>(0)? as usize,
                })
            })
            .map_err(|e| db_err(&self.path, e))
    }

    /// Saves who mapped a temporary downtime patient ID to the hospital's real one.
    pub fn map_patient(&mut self, m: &PatientMapping) -> Result<()> {
        self.audited(|w| {
            w.tx.execute(
                "INSERT INTO patient_map (temporary_id, real_id, real_name, mapped_by, mapped_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT(temporary_id) DO UPDATE SET real_id = ?2, real_name = ?3, mapped_by = ?4, mapped_at = ?5",
                params![m.temporary_id, m.real_id, m.real_name, m.mapped_by, ts(m.mapped_at)],
            )
            .map_err(|e| w.db(e))?;
            Ok(())
        })
    }

    pub fn patient_mapping(&self, temporary_id: &str) -> Result<Option<PatientMapping>> {
        self.conn
            .query_row(
                "SELECT temporary_id, real_id, real_name, mapped_by, mapped_at FROM patient_map WHERE temporary_id = ?1",
                [temporary_id],
                mapping_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn patient_mappings(&self) -> Result<Vec<PatientMapping>> {
        let mut stmt = self
            .conn
            .prepare("SELECT temporary_id, real_id, real_name, mapped_by, mapped_at FROM patient_map ORDER BY mapped_at")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], mapping_row)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Files outbox changes, with their audit events, in one transaction.
    pub fn outbox_file(&mut self, changes: &[(String, Filing)], events: &[Event]) -> Result<()> {
        let now = ts(Utc::now());
        let queued = self.pending_audit.take();
        let out = self.audited(|w| {
        for (id, f) in changes {
            let n = match f {
                Filing::Sending => w.tx.execute(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE record_id = ?1",
                    params![id],
                ),
                Filing::Acknowledged { server_id } => w.tx.execute(
                    "UPDATE outbox SET state = 'acknowledged', server_id = ?2, acknowledged_at = ?3, last_error = NULL WHERE record_id = ?1",
                    params![id, server_id, now],
                ),
                Filing::Retry { error, at } => w.tx.execute(
                    "UPDATE outbox SET state = 'pending', last_error = ?2, next_attempt_at = ?3 WHERE record_id = ?1",
                    params![id, error, ts(*at)],
                ),
                Filing::Rejected { error } => w.tx.execute(
                    "UPDATE outbox SET state = 'rejected', last_error = ?2 WHERE record_id = ?1",
                    params![id, error],
                ),
                Filing::Resend => w.tx.execute(
                    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, attempts = 0 WHERE record_id = ?1 AND state = 'rejected'",
                    params![id, now],
                ),
            }
            .map_err(|e| w.db(e))?;
            if n == 0 {
                return Err(Error::Input(match f {
                    Filing::Resend => format!("{id} is not a rejected record in the outbox"),
                    _ => format!("{id} is not in the outbox"),
                }));
            }
        }
        for e in events {
            w.log(e)?;
        }
        Ok(())
        });
        self.pending_audit = queued;
        out
    }
}
