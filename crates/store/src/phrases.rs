//! Each user's own stock phrases (schema v15), kept in the encrypted store.

use chrono::Utc;
use rusqlite::params;

use hikae_domain::error::Result;

use super::{db_err, ts, Store};

/// One saved personal phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalPhrase {
    pub id: i64,
    pub field: String,
    pub text: String,
    pub reading: Option<String>,
}

impl Store {
    /// Saves a phrase of `owner` for `template`/`field` (the same text twice is kept once),
    /// with the queued audit entry. Returns its id.
    pub fn save_phrase(
        &mut self,
        owner: &str,
        template: &str,
        field: &str,
        text: &str,
        reading: Option<&str>,
    ) -> Result<i64> {
        let now = ts(Utc::now());
        self.audited(|w| {
            w.tx.execute(
                "INSERT INTO personal_phrases (owner, template, field, text, reading, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT(owner, template, field, text) DO UPDATE SET reading = excluded.reading",
                params![owner, template, field, text, reading, now],
            )
            .map_err(|e| w.db(e))?;
            w.tx.query_row(
                "SELECT id FROM personal_phrases WHERE owner = ?1 AND template = ?2 AND field = ?3 AND text = ?4",
                params![owner, template, field, text],
                |r| r.get(0),
            )
            .map_err(|e| w.db(e))
        })
    }

    /// Deletes one of `owner`'s phrases; `NotFound` (and nothing logged) if there is none.
    pub fn delete_phrase(&mut self, owner: &str, id: i64) -> Result<()> {
        self.audited(|w| {
            let n =
                w.tx.execute(
                    "DELETE FROM personal_phrases WHERE id = ?1 AND owner = ?2",
                    params![id, owner],
                )
                .map_err(|e| w.db(e))?;
            if n == 0 {
                return Err(hikae_domain::error::Error::NotFound(format!(
                    "phrase {id} (not yours, or already deleted)"
                )));
            }
            Ok(())
        })
    }

    /// `owner`'s phrases for `template`, oldest first.
    pub fn personal_phrases(&self, owner: &str, template: &str) -> Result<Vec<PersonalPhrase>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, field, text, reading FROM personal_phrases \
                 WHERE owner = ?1 AND template = ?2 ORDER BY id",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = st
            .query_map(params![owner, template], |r| {
                Ok(PersonalPhrase {
                    id: r.get(0)?,
                    field: r.get(1)?,
                    text: r.get(2)?,
                    reading: r.get(3)?,
                })
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }
}
