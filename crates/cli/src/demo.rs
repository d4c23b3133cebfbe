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
}

pub fn run(app: &mut Hikae, a: DemoArgs) -> anyhow::Result<()> {
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
