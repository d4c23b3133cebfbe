//! Use cases: what a person does with Hikae, as one call each. The CLI and the desktop
//! shell are thin layers over this; rules (validation before finalizing, drafts accept
//! anything typed, unknown fields refused) live here or below, never in a frontend.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::form::{FieldError, Values};
use crate::pack::{Pack, Template};
use crate::pdf::Pdf;
use crate::record::{Patient, Provenance, Record};
use crate::render;
use crate::store::{NewRecord, Query, Store};

pub const DB_FILE: &str = "hikae.db";

/// Where the data lives: `--data-dir`, else `HIKAE_DATA_DIR` (both resolved by the caller),
/// else the per-OS data directory.
pub fn default_data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("jp", "Hikae", "hikae")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::Input("no home directory found; pass --data-dir or set HIKAE_DATA_DIR".into())
        })
}

pub struct Hikae {
    pub store: Store,
    pack: Pack,
    data_dir: PathBuf,
}

impl Hikae {
    pub fn open(data_dir: &Path) -> Result<Hikae> {
        let pack = Pack::builtin().map_err(|problems| Error::Pack {
            file: "(built-in pack)".into(),
            message: problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        let store = Store::open(&data_dir.join(DB_FILE))?;
        Ok(Hikae {
            store,
            pack,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    pub fn template(&self, id: &str) -> Result<&Template> {
        self.pack
            .template(id)
            .ok_or_else(|| Error::TemplateNotFound(id.to_string()))
    }

    /// The template a record was made with.
    pub fn template_of(&self, record: &Record) -> Result<&Template> {
        self.template(&record.provenance.template_id)
    }

    pub fn new_record(
        &mut self,
        template_id: &str,
        patient: Patient,
        author: &str,
        values: Values,
    ) -> Result<Record> {
        if patient.id.trim().is_empty() || patient.name.trim().is_empty() {
            return Err(Error::Input(
                "a record needs the patient's ID and name".into(),
            ));
        }
        if author.trim().is_empty() {
            return Err(Error::Input("a record needs its author".into()));
        }
        let t = self.template(template_id)?;
        let problems = t.form.check_draft(&values);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let provenance = Provenance {
            pack_id: self.pack.manifest.id.clone(),
            pack_version: self.pack.manifest.version.clone(),
            template_id: t.form.id.clone(),
            template_version: t.form.version.clone(),
            template_hash: t.hash.clone(),
        };
        self.store.create(NewRecord {
            patient,
            provenance,
            author: author.trim().to_string(),
            values,
        })
    }

    /// Merges `patch` into a draft and saves it in one transaction. Returns the saved record
    /// and what would still stop it from being finalized.
    pub fn update(&mut self, id: &str, patch: Values) -> Result<(Record, Vec<FieldError>)> {
        let rec = self.store.get(id)?;
        let mut values = rec.values.clone();
        values.extend(patch);
        self.save(&rec, values)
    }

    /// Replaces all values of a draft (the desktop form's autosave).
    pub fn replace(&mut self, id: &str, values: Values) -> Result<(Record, Vec<FieldError>)> {
        let rec = self.store.get(id)?;
        self.save(&rec, values)
    }

    fn save(&mut self, rec: &Record, values: Values) -> Result<(Record, Vec<FieldError>)> {
        let form = &self.template_of(rec)?.form;
        let problems = form.check_draft(&values);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let remaining = form.validate(&values);
        let saved = self.store.save_values(&rec.id, &values)?;
        Ok((saved, remaining))
    }

    pub fn validate(&self, id: &str) -> Result<Vec<FieldError>> {
        let rec = self.store.get(id)?;
        Ok(self.template_of(&rec)?.form.validate(&rec.values))
    }

    /// Validates, normalizes and finalizes a draft. `final_reviewer` is the person
    /// responsible for the content (最終確認者).
    pub fn finalize(&mut self, id: &str, final_reviewer: &str) -> Result<Record> {
        if final_reviewer.trim().is_empty() {
            return Err(Error::Input(
                "finalizing needs the final reviewer (最終確認者)".into(),
            ));
        }
        let rec = self.store.get(id)?;
        let form = &self.template_of(&rec)?.form;
        let problems = form.validate(&rec.values);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let values = form.normalize(&rec.values);
        self.store.finalize(&rec.id, &values, final_reviewer.trim())
    }

    pub fn correct(&mut self, id: &str, reason: &str, author: &str) -> Result<Record> {
        if reason.trim().is_empty() {
            return Err(Error::Input("a correction needs a reason".into()));
        }
        self.store.correct(id, reason.trim(), author.trim())
    }

    pub fn get(&self, id: &str) -> Result<Record> {
        self.store.get(id)
    }

    pub fn search(&self, q: &Query) -> Result<Vec<Record>> {
        self.store.search(q)
    }

    pub fn pdf(&self, id: &str) -> Result<Pdf> {
        let rec = self.store.get(id)?;
        render::pdf(&self.pack, self.template_of(&rec)?, &rec)
    }

    pub fn html(&self, id: &str) -> Result<String> {
        let rec = self.store.get(id)?;
        render::html_page(&self.pack, self.template_of(&rec)?, &rec)
    }

    pub fn text(&self, id: &str) -> Result<String> {
        let rec = self.store.get(id)?;
        render::text(&self.pack, self.template_of(&rec)?, &rec)
    }
}
