//! `hikae fleet`: this PC's readiness heartbeat, and the administrator's report over every PC.

use clap::Subcommand;

use crate::util::outln;
use hikae_app::Hikae;

#[derive(Subcommand)]
pub enum FleetCmd {
    /// Send this PC's readiness (versions, unsent records, last drill and self-test, disk,
    /// clock) to the [sync] FHIR server as its Device: one request
    Heartbeat {
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// What this PC would report, without sending it
    Readiness,
    /// Every PC's last report from the [sync] FHIR server, what needs attention first
    /// (administrators)
    Status {
        /// As JSON
        #[arg(long)]
        json: bool,
        /// Flag unsent records older than this
        #[arg(long, default_value_t = 4)]
        unsent_hours: i64,
        /// Flag PCs not heard from for this long
        #[arg(long, default_value_t = 24)]
        not_seen_hours: i64,
        /// Flag PCs without a drill for this long
        #[arg(long, default_value_t = 90)]
        drill_days: i64,
        /// Also write the report as an A4 PDF
        #[arg(long, value_name = "OUT.pdf")]
        pdf: Option<std::path::PathBuf>,
    },
}

pub fn run(app: &mut Hikae, cmd: FleetCmd) -> anyhow::Result<()> {
    match cmd {
        FleetCmd::Heartbeat { json } => {
            let h = app.heartbeat()?;
            if json {
                return outln!("{}", serde_json::to_string_pretty(&h)?);
            }
            outln!(
                "Device {} sent to {}: {} request, {} bytes sent, {} received{}",
                h.device_id,
                h.endpoint,
                h.requests,
                h.bytes_sent,
                h.bytes_received,
                h.clock_offset_secs
                    .map(|o| format!("; clock offset {o} s"))
                    .unwrap_or_default()
            )
        }
        FleetCmd::Readiness => {
            let r = app.readiness()?;
            outln!("{}", serde_json::to_string_pretty(&r)?)
        }
        FleetCmd::Status {
            json,
            unsent_hours,
            not_seen_hours,
            drill_days,
            pdf,
        } => {
            let limits = hikae_app::fleet::limits(unsent_hours, not_seen_hours, drill_days)?;
            let r = app.fleet_status(&limits)?;
            if let Some(out) = &pdf {
                let doc = app.export_fleet_pdf(&r, out)?;
                eprintln!("{}: {} pages", out.display(), doc.pages);
            }
            if json {
                return outln!("{}", serde_json::to_string_pretty(&r)?);
            }
            let unready = r.rows.iter().filter(|x| !x.flags.is_empty()).count();
            outln!(
                "{} PCs from {} at {}: {} need attention",
                r.rows.len(),
                r.endpoint,
                hikae_app::snapshot::as_of_label(r.at),
                unready
            )?;
            for row in &r.rows {
                let p = &row.report;
                let packs = p
                    .packs
                    .iter()
                    .map(|(id, v)| format!("{id} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                outln!(
                    "{} {:<24} app {} | {} | roster {} | unsent {}",
                    if row.flags.is_empty() { "✓" } else { "✗" },
                    p.label,
                    p.app_version,
                    packs,
                    p.roster_version
                        .map(|v| format!("v{v}"))
                        .unwrap_or_else(|| "—".into()),
                    p.outbox_depth
                )?;
                for f in &row.flags {
                    outln!("    ! {}", f.text())?;
                }
            }
            for u in &r.unreadable {
                outln!("unreadable: {u}")?;
            }
            Ok(())
        }
    }
}
