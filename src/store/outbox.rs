//! The sync outbox: every finalized record waits here, in the same transaction that finalized
//! it, until the hospital's FHIR server has acknowledged it. Nothing is ever deleted; states
//! move pending → sending → acknowledged | rejected (and rejected → pending on resend).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{db_err, parse_ts, ts, Store};
use crate::error::{Error, Result};

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

/// Queues `record_id` inside the finalizing transaction.
pub(super) fn enqueue(tx: &rusqlite::Transaction, record_id: &str) -> rusqlite::Result<()> {
    let now = ts(Utc::now());
    tx.execute(
        "INSERT INTO outbox (record_id, state, next_attempt_at, queued_at) VALUES (?1, 'pending', ?2, ?2)",
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

    /// Entries due for sending at `now` (pending, or left in `sending` by a crash), oldest
    /// first, at most `limit`.
    pub fn outbox_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLS} FROM outbox WHERE state IN ('pending', 'sending') AND next_attempt_at <= ?1 \
                 ORDER BY next_attempt_at, queued_at LIMIT ?2"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map(params![ts(now), limit as i64], row)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    fn outbox_update(
        &mut self,
        record_id: &str,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<()> {
        let n = self
            .conn
            .execute(sql, args)
            .map_err(|e| db_err(&self.path, e))?;
        if n == 0 {
            return Err(Error::Input(format!("{record_id} is not in the outbox")));
        }
        Ok(())
    }

    pub fn outbox_sending(&mut self, record_id: &str) -> Result<()> {
        self.outbox_update(
            record_id,
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE record_id = ?1",
            &[&record_id],
        )
    }

    /// The server has the record (its id there, and when).
    pub fn outbox_acknowledged(&mut self, record_id: &str, server_id: &str) -> Result<()> {
        let now = ts(Utc::now());
        self.outbox_update(
            record_id,
            "UPDATE outbox SET state = 'acknowledged', server_id = ?2, acknowledged_at = ?3, last_error = NULL WHERE record_id = ?1",
            &[&record_id, &server_id, &now],
        )
    }

    /// A temporary failure: try again at `retry_at`.
    pub fn outbox_retry(
        &mut self,
        record_id: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        let at = ts(retry_at);
        self.outbox_update(
            record_id,
            "UPDATE outbox SET state = 'pending', last_error = ?2, next_attempt_at = ?3 WHERE record_id = ?1",
            &[&record_id, &error, &at],
        )
    }

    /// The server refused the record (4xx): it waits for a person to fix and resend it.
    pub fn outbox_rejected(&mut self, record_id: &str, error: &str) -> Result<()> {
        self.outbox_update(
            record_id,
            "UPDATE outbox SET state = 'rejected', last_error = ?2 WHERE record_id = ?1",
            &[&record_id, &error],
        )
    }

    /// Puts a rejected record back in line (after it was fixed, e.g. its patient ID mapped).
    pub fn outbox_resend(&mut self, record_id: &str) -> Result<()> {
        let now = ts(Utc::now());
        self.outbox_update(
            record_id,
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?2 WHERE record_id = ?1 AND state = 'rejected'",
            &[&record_id, &now],
        )
    }
}
