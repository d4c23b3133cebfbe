//! Many records in one PDF: the ward handover sheet for a shift, or every record of a
//! patient, printed in one go with progress reported to the caller.

use serde::Serialize;

use super::Hikae;
use hikae_doc::pdf::{self, Pdf};
use hikae_domain::error::{Error, Result};
use hikae_packs::render;

/// Most records in one batch: about 2,000 pages, enough for any ward and small enough to
/// keep in memory.
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchProgress {
    /// Steps done: one per record rendered, one per record laid out, one for writing.
    pub done: usize,
    pub total: usize,
}

impl Hikae {
    /// Renders `ids` in the given order into one PDF. Each record keeps its own header,
    /// page numbers ("n / N" within the record) and footer. Fails as a whole, naming the
    /// record, if any of them cannot be rendered.
    pub fn pdf_many(&self, ids: &[String], progress: &mut dyn FnMut(BatchProgress)) -> Result<Pdf> {
        self.require(hikae_auth::session::Permission::Read)?;
        if ids.is_empty() {
            return Err(Error::Input("choose at least one record to print".into()));
        }
        if ids.len() > MAX_BATCH {
            return Err(Error::Input(format!(
                "{} records chosen; print at most {MAX_BATCH} at a time",
                ids.len()
            )));
        }
        let total = 2 * ids.len() + 1;
        let mut parts = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let rec = self.store.get(id)?;
            let b = self.template_of(&rec)?;
            let doc = render::document(&b.pack, b.template(), &rec).map_err(|e| {
                Error::Template(format!(
                    "record {} ({} {}): {e}",
                    rec.id, rec.patient.id, rec.patient.name
                ))
            })?;
            parts.push((doc, self.frame(b.template(), &rec)));
            progress(BatchProgress { done: i + 1, total });
        }
        let refs: Vec<_> = parts.iter().map(|(d, f)| (d, f)).collect();
        let n = ids.len();
        let pdf = pdf::render_many_with(&refs, &format!("{n}件の記録"), &mut |k| {
            progress(BatchProgress { done: n + k, total })
        })
        .map_err(Error::layout)?;
        progress(BatchProgress { done: total, total });
        Ok(pdf)
    }
}
