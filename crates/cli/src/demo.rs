//! `hikae demo`: fictional records, with their PDFs or in bulk.

use std::path::PathBuf;

use clap::Args;

use hikae_app::Hikae;

use crate::util::{outln, short};

#[derive(Args)]
pub struct DemoArgs {
    /// Output folder (default: DATA_DIR/demo-pdf)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Instead: create N fictional records without PDFs (load tests, benchmarks)
    #[arg(long, value_name = "N", conflicts_with = "out")]
    bulk: Option<usize>,
    /// Instead: write a fictional inpatient ward (Location ward-5e) as a FHIR batch Bundle,
    /// to POST to a test or training FHIR server (never a production one)
    #[arg(long, value_name = "OUT.json", conflicts_with_all = ["out", "bulk"])]
    fhir_ward: Option<PathBuf>,
    /// With --fhir-ward: beds (1–200)
    #[arg(long, default_value_t = 40, requires = "fhir_ward")]
    beds: usize,
}

pub fn run(app: &mut Hikae, a: DemoArgs) -> anyhow::Result<()> {
    if let Some(out) = a.fhir_ward {
        if !(1..=200).contains(&a.beds) {
            anyhow::bail!("--beds {}: use 1 to 200", a.beds);
        }
        let (entries, beds) = hikae_app::demo_ward::ward(7, a.beds, chrono::Utc::now());
        let bundle =
            serde_json::json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
        crate::util::write_file(&out, serde_json::to_string(&bundle)?.as_bytes())?;
        return outln!(
            "{} fictional inpatients ({} resources) of {} written to {}",
            beds.len(),
            bundle["entry"].as_array().map_or(0, Vec::len),
            hikae_app::demo_ward::WARD,
            out.display()
        );
    }
    if let Some(n) = a.bulk {
        let made = hikae_app::demo::bulk(app, n)?;
        return outln!(
            "{made} fictional records created in {}",
            app.data_dir().display()
        );
    }
    let out = a.out.unwrap_or_else(|| app.data_dir().join("demo-pdf"));
    let made = hikae_app::demo::run(app, &out)?;
    for d in &made {
        let b = app.template_of(&d.record)?;
        let t = b.template();
        outln!(
            "{}  {}  {} {}  {}  ({} pages)",
            short(&d.record.id),
            t.form.title.ja,
            d.record.patient.id,
            d.record.patient.name,
            d.record.status.label_ja(),
            d.pages
        )?;
    }
    outln!("\nPDFs written to {}", out.display())?;
    outln!("data folder: {}", app.data_dir().display())
}
