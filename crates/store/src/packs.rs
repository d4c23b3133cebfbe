//! The history of pack installs and rollbacks on this PC.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{db_err, parse_ts, ts, Store};
use hikae_domain::error::Result;

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

impl Store {
    pub fn record_pack_event(&mut self, e: &PackEvent) -> Result<()> {
        self.audited(|w| {
            w.tx.execute(
                "INSERT INTO pack_events (at, action, pack_id, from_version, to_version, by_whom, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![ts(e.at), e.action, e.pack_id, e.from_version, e.to_version, e.by, e.reason],
            )
            .map_err(|err| w.db(err))?;
            Ok(())
        })
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
}
