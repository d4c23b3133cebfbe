//! Fictional demo records (`data/demo/records.json`): what `hikae demo` creates so that a new
//! user sees the main job (records made, finalized, printed) in one command, and what the
//! tests and benchmarks render. Every patient and staff name here is invented.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Hikae;
use hikae_domain::error::{Error, Result};
use hikae_domain::form::Values;
use hikae_domain::record::{Patient, Record};

pub static FIXTURES_JSON: &str = include_str!("../../../data/demo/records.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Fixture {
    pub template: String,
    pub patient: Patient,
    pub author: String,
    /// Finalized by this reviewer when present; left a draft otherwise.
    #[serde(default)]
    pub final_reviewer: Option<String>,
    pub values: Values,
}

pub fn fixtures() -> Result<Vec<Fixture>> {
    serde_json::from_str(FIXTURES_JSON)
        .map_err(|e| Error::Input(format!("data/demo/records.json: {e}")))
}

/// A demo record and the PDF written for it.
pub struct DemoOutput {
    pub record: Record,
    pub pdf_path: PathBuf,
    pub pages: usize,
}

/// Creates the demo records and writes their PDFs into `out_dir`.
pub fn run(app: &mut Hikae, out_dir: &Path) -> Result<Vec<DemoOutput>> {
    hikae_files::private_dir(out_dir)?;
    let mut out = Vec::new();
    for (i, f) in fixtures()?.into_iter().enumerate() {
        let rec = app.new_record(&f.template, f.patient, &f.author, f.values)?;
        let rec = match &f.final_reviewer {
            Some(reviewer) => app.finalize(&rec.id, reviewer)?,
            None => rec,
        };
        let pdf = app.pdf(&rec.id)?;
        let name = format!(
            "{:02}-{}-{}{}.pdf",
            i + 1,
            rec.provenance.template_id,
            rec.patient.id,
            if f.final_reviewer.is_none() {
                "-draft"
            } else {
                ""
            }
        );
        let path = out_dir.join(name);
        hikae_files::write_atomically(&path, &pdf.bytes)?;
        out.push(DemoOutput {
            record: rec,
            pdf_path: path,
            pages: pdf.pages,
        });
    }
    Ok(out)
}

/// Creates `n` fictional records (the demo fixtures over and over, each with its own patient
/// ID `LOAD-000001`…), without PDFs: data for load tests and memory benchmarks.
pub fn bulk(app: &mut Hikae, n: usize) -> Result<usize> {
    let fx = fixtures()?;
    if fx.is_empty() {
        return Ok(0);
    }
    for i in 0..n {
        let f = fx[i % fx.len()].clone();
        let patient = Patient {
            id: format!("LOAD-{:06}", i + 1),
            name: f.patient.name,
        };
        let rec = app.new_record(&f.template, patient, &f.author, f.values)?;
        if let Some(reviewer) = &f.final_reviewer {
            app.finalize(&rec.id, reviewer)?;
        }
    }
    Ok(n)
}
