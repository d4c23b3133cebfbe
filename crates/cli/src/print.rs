//! `hikae print`, `printers`, `checklist`: paper (CUPS) and PDFs of several records.

use std::path::PathBuf;

use clap::Args;

use hikae_app::audit::Action;
use hikae_app::{Error, Hikae};

use crate::util::{outln, warn_substituted, write_file};

#[derive(Args)]
pub struct PrintArgs {
    /// Records, in the order they are printed
    #[arg(required = true)]
    records: Vec<String>,
    /// Printer name (see `hikae printers`)
    #[arg(long, required_unless_present = "pdf", conflicts_with = "pdf")]
    printer: Option<String>,
    #[arg(long, default_value_t = 1)]
    copies: u32,
    /// Write one PDF instead of printing
    #[arg(long, value_name = "OUT.pdf")]
    pdf: Option<PathBuf>,
}

#[derive(Args)]
pub struct ChecklistArgs {
    /// Procedure id, e.g. ai-outage
    procedure: String,
    /// A checklist run (its ticks, who and when)
    #[arg(long)]
    run: Option<String>,
    #[arg(long, value_name = "OUT.pdf")]
    pdf: PathBuf,
}

pub fn print(app: &mut Hikae, a: PrintArgs) -> anyhow::Result<()> {
    let PrintArgs {
        records,
        printer,
        copies,
        pdf: out,
    } = a;
    let records = records
        .iter()
        .map(|r| app.resolve_id(r))
        .collect::<Result<Vec<_>, _>>()?;
    let pdf = app.pdf_many(&records, &mut |_| {})?;
    warn_substituted(&pdf.substituted);
    let (action, what) = match (&printer, &out) {
        (Some(p), _) => (Action::Print, format!("printer {p}, {copies} copies")),
        (None, Some(o)) => (Action::Export, format!("pdf {}", o.display())),
        (None, None) => (Action::Export, String::new()),
    };
    for id in &records {
        app.audit_output(id, action, &what)?;
    }
    match (printer, out) {
        (Some(p), _) => {
            let job = hikae_app::print::print_pdf(
                &pdf.bytes,
                &p,
                &format!("Hikae {} records", records.len()),
                copies,
            )?;
            eprintln!("sent {} pages to {p} (job {job})", pdf.pages);
        }
        (None, Some(out)) => {
            write_file(&out, &pdf.bytes)?;
            eprintln!("wrote {} ({} pages)", out.display(), pdf.pages);
        }
        (None, None) => return Err(Error::Input("give --printer NAME or --pdf FILE".into()).into()),
    }
    Ok(())
}

pub fn printers() -> anyhow::Result<()> {
    let list = hikae_app::print::printers()?;
    if list.is_empty() {
        outln!("(no printers set up)")?;
    }
    for p in list {
        outln!("{}{}", p.name, if p.default { "  (default)" } else { "" })?;
    }
    Ok(())
}

pub fn checklist(app: &mut Hikae, a: ChecklistArgs) -> anyhow::Result<()> {
    let pdf = app.checklist_pdf(&a.procedure, a.run.as_deref())?;
    write_file(&a.pdf, &pdf.bytes)?;
    eprintln!("wrote {} ({} pages)", a.pdf.display(), pdf.pages);
    Ok(())
}
