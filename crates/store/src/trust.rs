//! What this PC trusts, kept inside the encrypted store (schema v9): the administrator
//! recorded at setup, and version floors (the highest roster and pack versions ever
//! installed), so that a file writer can neither make someone an administrator nor roll a
//! roster or pack back.

use rusqlite::{params, OptionalExtension};

use super::{db_err, Store};
use hikae_domain::error::Result;

impl Store {
    pub fn trust_value(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM trust WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    /// Every (key, value) whose key starts with `prefix`, in key order.
    pub fn trust_values(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key, value FROM trust WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Sets `key` (with the queued audit entry, in one transaction). The triggers refuse a
    /// second setup administrator and a lower floor.
    pub fn set_trust_value(&mut self, key: &str, value: &str) -> Result<()> {
        self.audited(|w| {
            w.tx.execute(
                "INSERT INTO trust (key, value) VALUES (?1, ?2) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(|e| w.db(e))?;
            Ok(())
        })
    }

    /// Re-encrypts the whole database under `new_key` (an SQLCipher key literal), in place.
    /// SQLCipher rekeys in one transaction; the WAL is folded in first and WAL mode resumed
    /// after (rekeying is not done in WAL mode).
    pub fn rekey(&mut self, new_key: &str) -> Result<()> {
        // its connection holds the old key and would keep the file from leaving WAL mode
        self.checkpointer = None;
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .map_err(|e| db_err(&self.path, e))?;
        let out = self
            .conn
            .execute_batch(&format!("PRAGMA rekey = \"{new_key}\";"))
            .map_err(|e| db_err(&self.path, e));
        self.conn
            .execute_batch("PRAGMA journal_mode = WAL;")
            .map_err(|e| db_err(&self.path, e))?;
        out?;
        // the rekeyed file reads back under the new key
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| db_err(&self.path, e))?;
        self.checkpointer = Some(
            super::checkpoint::Checkpointer::start(&self.path, Some(new_key))
                .map_err(|e| db_err(&self.path, e))?,
        );
        Ok(())
    }
}
