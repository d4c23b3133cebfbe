//! `hikae sync …`: send finalized records to the FHIR server, reconcile, map temporary IDs.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use hikae_app::sync;
use hikae_app::Hikae;

use crate::util::{outln, write_file};

#[derive(Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    cmd: Option<SyncCmd>,
    /// Show what would be sent; send nothing, change nothing
    #[arg(long)]
    dry_run: bool,
    /// With --dry-run: write the resources that would be sent as NDJSON
    #[arg(long, value_name = "OUT.ndjson", requires = "dry_run")]
    out: Option<PathBuf>,
    /// Longest wait for a retry before stopping (seconds; the rest stays queued)
    #[arg(long, default_value_t = 60)]
    max_wait: u64,
}

#[derive(Subcommand)]
enum SyncCmd {
    /// Every downtime record and whether the server has it (--pdf: printable report)
    Report {
        #[arg(long, value_name = "OUT.pdf")]
        pdf: Option<PathBuf>,
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// Map a temporary downtime patient ID to the real one (its records are then sent)
    Map {
        temporary_id: String,
        real_id: String,
        /// The patient's name as registered, if it differs
        #[arg(long)]
        name: Option<String>,
    },
    /// Put a rejected record back in line, after fixing what the server minded
    Resend { record: String },
}

pub fn run(app: &mut Hikae, args: SyncArgs) -> anyhow::Result<()> {
    match args.cmd {
        Some(SyncCmd::Report { pdf, json }) => report(app, pdf, json),
        Some(SyncCmd::Map {
            temporary_id,
            real_id,
            name,
        }) => {
            let n = app.map_patient(&temporary_id, &real_id, name.as_deref())?;
            outln!("{temporary_id} → {real_id}: {n} records will be sent under {real_id}")
        }
        Some(SyncCmd::Resend { record }) => {
            app.resend(&app.resolve_id(&record)?)?;
            outln!("{record} is back in line")
        }
        None if args.dry_run => dry_run(app, args.out),
        None => send(app, args.max_wait),
    }
}

fn report(app: &mut Hikae, pdf: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    if let Some(path) = pdf {
        let doc = app.reconciliation_pdf()?;
        write_file(&path, &doc.bytes)?;
        eprintln!("{} ({} pages)", path.display(), doc.pages);
        return Ok(());
    }
    let r = app.reconciliation()?;
    if json {
        return outln!("{}", serde_json::to_string_pretty(&r)?);
    }
    let c = r.counts;
    outln!(
        "acknowledged {}  pending {}  rejected {}  held (temporary ID) {}  drafts {}",
        c.acknowledged,
        c.pending,
        c.rejected,
        c.held,
        r.drafts
    )?;
    for u in &r.unmapped {
        outln!(
            "  map {} ({}): {} records wait",
            u.temporary_id,
            u.patient_name,
            u.records
        )?;
    }
    for row in &r.rows {
        outln!(
            "{:<14} {} {} {} {}",
            format!("{:?}", row.state).to_lowercase(),
            row.record_id,
            row.template_title,
            row.patient_id,
            row.server_id
                .as_deref()
                .or(row.last_error.as_deref())
                .unwrap_or("")
        )?;
    }
    Ok(())
}

fn dry_run(app: &mut Hikae, out: Option<PathBuf>) -> anyhow::Result<()> {
    let preview = app.sync_preview(usize::MAX >> 1)?;
    let mut nd = String::new();
    for o in &preview {
        outln!("would send {}", o.summary)?;
        for e in &o.entries {
            nd.push_str(&serde_json::to_string(&e["resource"])?);
            nd.push('\n');
        }
    }
    let c = app.sync_counts()?;
    outln!(
        "{} records would be sent; {} wait for a temporary patient ID to be mapped; {} rejected",
        preview.len(),
        c.held,
        c.rejected
    )?;
    if let Some(path) = out {
        write_file(&path, nd.as_bytes())?;
    }
    Ok(())
}

fn send(app: &mut Hikae, max_wait: u64) -> anyhow::Result<()> {
    let client = app.sync_client()?;
    let opts = sync::Options {
        max_wait: std::time::Duration::from_secs(max_wait),
        ..sync::Options::default()
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let endpoint = client.endpoint().to_string();
    let host = sync::Direct(std::cell::RefCell::new(app));
    let o = sync::run(&host, &client, &opts, &cancel, |p| {
        eprint!(
            "\r{}/{} acknowledged, {} rejected, {} retries   ",
            p.acknowledged, p.total, p.rejected, p.retries
        );
    })?;
    eprintln!();
    let p = &o.progress;
    let printed = outln!(
        "{endpoint}: {} acknowledged, {} rejected, {} still pending, {} held for a temporary patient ID ({} requests)",
        p.acknowledged, p.rejected, o.pending, o.held, p.requests
    )
    .and_then(|()| match &p.last_error {
        Some(e) => outln!("last error: {e}"),
        None => Ok(()),
    });
    // a closed stdout must not hide that the server could not be reached
    if p.phase == sync::Phase::Unreachable {
        anyhow::bail!("stopped: {}", p.last_error.clone().unwrap_or_default());
    }
    printed
}
