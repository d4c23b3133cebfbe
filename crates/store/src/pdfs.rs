//! The exact PDF of each finalized record (schema v11), kept from the moment it was finalized:
//! a finalized record never changes, so neither does its PDF. Sync attaches these bytes and
//! print reuses them, instead of rendering again. Kept per patient identity: a record sent
//! under a patient's real ID (after a temporary ID was mapped) is rendered for that.

use rusqlite::{params, OptionalExtension};

use super::{db_err, Store};
use hikae_domain::error::Result;
use hikae_domain::record::Patient;

/// The patient identity a kept PDF was printed with.
pub fn patient_key(p: &Patient) -> String {
    format!("{}\u{1f}{}", p.id, p.name)
}

impl Store {
    /// Keeps `pdf` as the PDF of finalized record `record_id` (the first one kept stays).
    pub fn keep_pdf(&mut self, record_id: &str, patient: &Patient, pdf: &[u8]) -> Result<()> {
        let key = patient_key(patient);
        let sha = hikae_files::sha256_hex(pdf);
        self.audited(|w| {
            w.tx.execute(
                "INSERT OR IGNORE INTO record_pdfs (record_id, patient_key, sha256, pdf) \
                 SELECT ?1, ?2, ?3, ?4 FROM records WHERE id = ?1 AND status = 'finalized'",
                params![record_id, key, sha, pdf],
            )
            .map_err(|e| w.db(e))?;
            Ok(())
        })
    }

    /// The kept PDF of `record_id` as printed for `patient`, if there is one and its bytes
    /// still hash to what was kept.
    pub fn kept_pdf(&self, record_id: &str, patient: &Patient) -> Result<Option<Vec<u8>>> {
        let row: Option<(String, String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT patient_key, sha256, pdf FROM record_pdfs WHERE record_id = ?1",
                [record_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(row.and_then(|(key, sha, pdf)| {
            (key == patient_key(patient) && hikae_files::sha256_hex(&pdf) == sha).then_some(pdf)
        }))
    }
}

impl Store {
    /// Keeps the EHR resources finalized record `record_id` was written about (JSON; the first
    /// kept stays). Drill records are never sent, so callers keep nothing for them.
    pub fn keep_sources(&mut self, record_id: &str, json: &str) -> Result<()> {
        let now = super::ts(chrono::Utc::now());
        self.audited(|w| {
            w.tx.execute(
                "INSERT OR IGNORE INTO record_sources (record_id, taken_at, json) \
                 SELECT ?1, ?2, ?3 FROM records WHERE id = ?1 AND status = 'finalized'",
                params![record_id, now, json],
            )
            .map_err(|e| w.db(e))?;
            Ok(())
        })
    }

    /// The EHR resources kept for `record_id`, if any.
    pub fn kept_sources(&self, record_id: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT json FROM record_sources WHERE record_id = ?1",
                [record_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }
}
