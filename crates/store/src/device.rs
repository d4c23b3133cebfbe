//! This PC's own state for the fleet report (schema v16): its device id, the last self-test,
//! the clock offset of the last heartbeat; and the outbox times a heartbeat reports.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use hikae_domain::error::Result;

use super::{db_err, parse_ts, Store};

/// The outbox's times a heartbeat reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxTimes {
    pub last_acknowledged: Option<DateTime<Utc>>,
    pub oldest_unsent: Option<DateTime<Utc>>,
}

impl Store {
    /// A value of this PC's state, if set.
    pub fn device_get(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT value FROM device_state WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    /// Sets a value (the device id only once: the schema refuses a second, different one).
    pub fn device_set(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO device_state (key, value) VALUES (?1, ?2) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| db_err(&self.path, e))
    }

    /// The device id; `fresh` (random, from the caller) becomes it the first time.
    pub fn device_id(&mut self, fresh: &str) -> Result<String> {
        if let Some(id) = self.device_get("device_id")? {
            return Ok(id);
        }
        let id = fresh.to_string();
        self.conn
            .execute(
                "INSERT OR IGNORE INTO device_state (key, value) VALUES ('device_id', ?1)",
                params![id],
            )
            .map_err(|e| db_err(&self.path, e))?;
        Ok(self.device_get("device_id")?.unwrap_or(id))
    }

    /// When the server last acknowledged a record, and when the oldest record still waiting
    /// (pending, sending or refused) was queued.
    pub fn outbox_times(&self) -> Result<OutboxTimes> {
        let (acked, oldest): (Option<String>, Option<String>) = self
            .conn
            .query_row(
                "SELECT (SELECT max(acknowledged_at) FROM outbox WHERE state = 'acknowledged'), \
                        (SELECT min(queued_at) FROM outbox WHERE state <> 'acknowledged')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| db_err(&self.path, e))?;
        Ok(OutboxTimes {
            last_acknowledged: acked.as_deref().and_then(|s| parse_ts(s).ok()),
            oldest_unsent: oldest.as_deref().and_then(|s| parse_ts(s).ok()),
        })
    }
}
