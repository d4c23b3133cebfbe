//! `hikae audit …`: verify the audit log's chain, list entries, export them.

use std::path::PathBuf;

use clap::Subcommand;

use hikae_app::audit::Action;
use hikae_app::record::jst;
use hikae_app::{AuditQuery, Error, Hikae};

use crate::util::{outln, short, write_file};

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Check that no entry was edited, deleted, inserted, reordered or cut off the end
    Verify,
    /// List entries, oldest first
    List {
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        record: Option<String>,
        /// e.g. view, create, edit, finalize, print, export, login_failed, break_glass
        #[arg(long)]
        action: Option<String>,
        /// Only entries made under break-glass access
        #[arg(long)]
        break_glass: bool,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Write every entry as JSON Lines and/or FHIR R4 AuditEvent resources (NDJSON)
    Export {
        #[arg(long, value_name = "OUT.jsonl")]
        jsonl: Option<PathBuf>,
        #[arg(long, value_name = "OUT.ndjson")]
        fhir: Option<PathBuf>,
    },
}

pub fn run(app: &mut Hikae, cmd: AuditCmd) -> anyhow::Result<()> {
    app.require(hikae_app::auth::Permission::ReviewAudit)?;
    match cmd {
        AuditCmd::Verify => verify(app),
        AuditCmd::List {
            actor,
            record,
            action,
            break_glass,
            limit,
        } => {
            let action = action
                .map(|a| {
                    Action::parse(&a).ok_or_else(|| {
                        Error::Input(format!(
                            "--action: unknown '{a}'; one of {}",
                            Action::ALL.map(|x| x.as_str()).join(", ")
                        ))
                    })
                })
                .transpose()?;
            list(
                app,
                &AuditQuery {
                    actor,
                    record_id: record,
                    action,
                    break_glass_only: break_glass,
                    limit: Some(limit),
                },
            )
        }
        AuditCmd::Export { jsonl, fhir } => export(app, jsonl, fhir),
    }
}

fn verify(app: &mut Hikae) -> anyhow::Result<()> {
    let hikae_app::AuditCheck { entries, findings } = app.audit_check()?;
    if !findings.is_empty() {
        return Err(Error::AuditBroken(findings.iter().map(ToString::to_string).collect()).into());
    }
    outln!(
        "ok: {} entries, chain intact{}",
        entries.len(),
        entries
            .last()
            .map(|e| format!(", last {} at {}", e.seq, hikae_app::audit::ts(e.at)))
            .unwrap_or_default()
    )
}

fn list(app: &mut Hikae, query: &AuditQuery) -> anyhow::Result<()> {
    for e in app.audit_entries(query)? {
        let ev = &e.event;
        outln!(
            "{:>6}  {}  {:<14} {}{}{}  {}{}",
            e.seq,
            jst(e.at),
            ev.action.as_str(),
            ev.actor.name,
            if ev.actor.break_glass {
                " [BREAK-GLASS]"
            } else {
                ""
            },
            if ev.success { "" } else { " FAILED" },
            ev.record_id.as_deref().map(short).unwrap_or("-"),
            ev.detail
                .as_deref()
                .map(|d| format!("  {d}"))
                .unwrap_or_default(),
        )?;
    }
    Ok(())
}

fn export(app: &mut Hikae, jsonl: Option<PathBuf>, fhir: Option<PathBuf>) -> anyhow::Result<()> {
    if jsonl.is_none() && fhir.is_none() {
        return Err(Error::Input("give --jsonl FILE and/or --fhir FILE".into()).into());
    }
    let entries = app.audit_entries(&AuditQuery::default())?;
    if let Some(p) = jsonl {
        let mut out = String::new();
        for e in &entries {
            out.push_str(&serde_json::to_string(e)?);
            out.push('\n');
        }
        write_file(&p, out.as_bytes())?;
        eprintln!("wrote {} ({} entries)", p.display(), entries.len());
    }
    if let Some(p) = fhir {
        let source = format!("Hikae {}", env!("CARGO_PKG_VERSION"));
        let mut out = String::new();
        for e in &entries {
            out.push_str(&hikae_app::audit::fhir_audit_event(e, &source).to_string());
            out.push('\n');
        }
        write_file(&p, out.as_bytes())?;
        eprintln!(
            "wrote {} ({} AuditEvent resources)",
            p.display(),
            entries.len()
        );
    }
    Ok(())
}
