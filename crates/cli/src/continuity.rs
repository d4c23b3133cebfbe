//! `hikae downtime …`, `hikae drill …`, `hikae print-pack`, `hikae status`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use hikae_app::audit::Action;
use hikae_app::downtime::{services_ja, Scope, ServiceKind};
use hikae_app::monitor::{probe_due, Monitor};
use hikae_app::record::{jst, Patient};
use hikae_app::Error;
use hikae_app::{Hikae, PrintPackRequest, TemplateCopies};

use crate::util::{outln, write_file};

#[derive(Subcommand)]
pub enum DowntimeCmd {
    /// Declare a downtime: records made until it ends say so on every page
    Declare {
        /// Services that are down: ai, idp, ehr, other (comma-separated)
        #[arg(long, value_delimiter = ',', required = true)]
        services: Vec<String>,
        /// ward or hospital
        #[arg(long, default_value = "ward")]
        scope: String,
        #[arg(long)]
        reason: String,
    },
    /// End the declared downtime
    End {
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Every declared downtime, newest first
    List,
}

#[derive(Subcommand)]
pub enum DrillCmd {
    /// The drill scenarios of the active packs
    Scenarios,
    /// Start a drill: records made until it ends are drill records (never sent)
    Start { scenario: String },
    /// The running drill's timings so far
    Status,
    /// End the running drill with participants, findings and improvement actions
    End {
        #[arg(long = "participant")]
        participants: Vec<String>,
        #[arg(long, default_value = "")]
        notes: String,
        #[arg(long, default_value = "")]
        findings: String,
        #[arg(long, default_value = "")]
        actions: String,
    },
    /// Past drills with their key times
    List,
    /// A drill's report: JSON, or a PDF with the timeline chart
    Report {
        id: String,
        #[arg(long, value_name = "OUT.pdf")]
        pdf: Option<PathBuf>,
    },
    /// Remove the records made in an ended drill (the report stays)
    Purge { id: String },
}

#[derive(Args)]
pub struct PrintPackArgs {
    /// A patient: "ID NAME" (repeat), or see --patients
    #[arg(long = "patient")]
    patient: Vec<String>,
    /// A file with one patient per line: "ID NAME"
    #[arg(long, value_name = "FILE")]
    patients: Option<PathBuf>,
    /// Blank form per patient: TEMPLATE[:COPIES] (repeat)
    #[arg(long = "template")]
    templates: Vec<String>,
    #[arg(long)]
    no_procedures: bool,
    #[arg(long)]
    no_contacts: bool,
    /// Put the ward snapshot's census and a summary page per patient first; without
    /// --patient/--patients, the blank forms are for the census patients
    #[arg(long)]
    snapshot: bool,
    #[arg(long, value_name = "OUT.pdf")]
    out: PathBuf,
}

pub fn downtime(app: &mut Hikae, cmd: DowntimeCmd) -> anyhow::Result<()> {
    match cmd {
        DowntimeCmd::Declare {
            services,
            scope,
            reason,
        } => {
            let kinds = services
                .iter()
                .map(|s| {
                    ServiceKind::parse(s.trim()).ok_or_else(|| {
                        Error::Input(format!("--services: '{s}' (expected ai, idp, ehr, other)"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let d = app.declare_downtime(&kinds, Scope::parse(&scope)?, &reason)?;
            outln!("{}", d.id)?;
        }
        DowntimeCmd::End { note } => {
            let d = app.end_downtime(&note)?;
            outln!("{} ended {}", d.id, d.ended_at.map(jst).unwrap_or_default())?;
        }
        DowntimeCmd::List => {
            for d in app.downtimes()? {
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    d.id,
                    jst(d.started_at),
                    d.ended_at.map(jst).unwrap_or_else(|| "（継続中）".into()),
                    d.scope.label_ja(),
                    services_ja(&d.services),
                    d.declared_by,
                    d.reason
                )?;
            }
        }
    }
    Ok(())
}

pub fn drill(app: &mut Hikae, cmd: DrillCmd) -> anyhow::Result<()> {
    match cmd {
        DrillCmd::Scenarios => {
            for s in app.scenarios() {
                outln!("{}\t{}\t{}", s.id, s.title.ja, services_ja(&s.services))?;
            }
        }
        DrillCmd::Start { scenario } => outln!("{}", app.start_drill(&scenario)?.id)?,
        DrillCmd::Status => match app.running_drill()? {
            Some(r) => outln!("{}", json(&r)?)?,
            None => return Err(Error::NotFound("a running drill".into()).into()),
        },
        DrillCmd::End {
            participants,
            notes,
            findings,
            actions,
        } => outln!(
            "{}",
            json(&app.end_drill(&participants, &notes, &findings, &actions)?)?
        )?,
        DrillCmd::List => {
            let m = |v: Option<f32>| v.map_or("—".to_string(), |v| format!("{v:.1}"));
            outln!("id\tstarted\tscenario\tfirst record\tfirst finalized\tfirst printed\tmissed steps\tpurged")?;
            for d in app.drills()? {
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    d.id,
                    d.started_jst,
                    d.scenario_title,
                    m(d.first_record_min),
                    m(d.first_finalized_min),
                    m(d.first_printed_min),
                    d.missed,
                    if d.purged { "yes" } else { "no" }
                )?;
            }
        }
        DrillCmd::Report { id, pdf } => match pdf {
            Some(out) => {
                let pdf = app.drill_report_pdf(&id)?;
                write_file(&out, &pdf.bytes)?;
                eprintln!("wrote {} ({} pages)", out.display(), pdf.pages);
            }
            None => outln!("{}", json(&app.drill_report(&id)?)?)?,
        },
        DrillCmd::Purge { id } => {
            let n = app.purge_drill(&id)?;
            outln!("{n} drill records removed")?;
        }
    }
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)?)
}

/// "ID NAME" (split at the first space, full-width too).
fn patient(line: &str, at: &str) -> anyhow::Result<Patient> {
    let line = line.trim();
    let split = line.find([' ', '\t', '　']);
    match split {
        Some(i) if !line[i..].trim().is_empty() => Ok(Patient {
            id: line[..i].trim().to_string(),
            name: line[i..].trim().to_string(),
        }),
        _ => Err(Error::Input(format!("{at}: '{line}' needs a patient ID and a name")).into()),
    }
}

pub fn print_pack(app: &mut Hikae, a: PrintPackArgs) -> anyhow::Result<()> {
    let mut patients = Vec::new();
    for (i, p) in a.patient.iter().enumerate() {
        patients.push(patient(p, &format!("--patient #{}", i + 1))?);
    }
    if let Some(f) = &a.patients {
        let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
        for (i, line) in text.lines().enumerate() {
            if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
                patients.push(patient(line, &format!("{}:{}", f.display(), i + 1))?);
            }
        }
    }
    let templates = a
        .templates
        .iter()
        .map(|t| {
            let (id, copies) = t.split_once(':').unwrap_or((t, "1"));
            let copies = copies
                .parse::<usize>()
                .map_err(|_| Error::Input(format!("--template {t}: copies must be a number")))?;
            Ok(TemplateCopies {
                id: id.to_string(),
                copies,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if a.snapshot && patients.is_empty() && !templates.is_empty() {
        patients = app.pack_patients(hikae_app::MAX_PACK_PATIENTS)?;
    }
    let req = PrintPackRequest {
        patients,
        templates,
        procedures: !a.no_procedures,
        contacts: !a.no_contacts,
        snapshot: a.snapshot,
    };
    let pdf = app.print_pack(
        &req,
        Action::Export,
        &format!("PDF {}", a.out.display()),
        &mut |_, _| {},
    )?;
    write_file(&a.out, &pdf.bytes)?;
    eprintln!("wrote {} ({} pages)", a.out.display(), pdf.pages);
    Ok(())
}

pub fn selftest(app: &mut Hikae, json: bool) -> anyhow::Result<()> {
    use hikae_app::selftest::Verdict;
    let r = app.selftest()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&r)?)?;
    } else {
        for c in &r.checks {
            let v = match c.verdict {
                Verdict::Pass => "ok",
                Verdict::Warn => "WARN",
                Verdict::Fail => "FAIL",
            };
            outln!("{}\t{v}\t{}", c.id, c.detail)?;
        }
    }
    if r.verdict() == Verdict::Fail {
        let failed: Vec<&str> = r
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.id)
            .collect();
        anyhow::bail!("self-test failed: {}", failed.join(", "));
    }
    Ok(())
}

pub fn status(app: &Hikae) -> anyhow::Result<()> {
    for line in app.protection_report()? {
        outln!("protection\t{line}")?;
    }
    for (name, package, path, present) in hikae_app::font_report() {
        let state = if present {
            "present"
        } else {
            "MISSING (prints 〓)"
        };
        outln!("font\t{name}\t{package}\t{path}\t{state}")?;
    }
    let cfg = hikae_app::config::load(app.data_dir())?;
    let mut m = Monitor::new(&cfg);
    if m.is_empty() {
        outln!("no services configured ([monitor] or [sync] endpoint in config.toml)")?;
    }
    probe_due(&mut m, &cfg.tls);
    for s in m.statuses() {
        outln!(
            "{}\t{:?}\t{}\t{}",
            s.id,
            s.state,
            s.url,
            s.last_error.unwrap_or_default()
        )?;
    }
    if let Some(d) = app.active_downtime()? {
        outln!(
            "downtime {} declared {} by {}",
            d.id,
            jst(d.started_at),
            d.declared_by
        )?;
    }
    Ok(())
}
