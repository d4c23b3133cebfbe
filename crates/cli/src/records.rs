//! `hikae templates`, `new`, `set`, `show`, `validate`, `finalize`, `correct`, `render`,
//! `list`, `search`: the records themselves.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use hikae_app::audit::Action;
use hikae_app::form::Values;
use hikae_app::record::{jst, Patient, Record, Status};
use hikae_app::Error;
use hikae_app::{Hikae, Query};

use crate::util::{outln, short, warn_substituted, write_file, write_out};

#[derive(Args)]
pub struct NewArgs {
    /// Template id (see `hikae templates`)
    template: String,
    #[arg(long)]
    patient_id: String,
    #[arg(long)]
    patient_name: String,
    #[arg(long, env = "HIKAE_USER")]
    pub author: String,
    /// Initial values from a JSON object file
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// FIELD=VALUE pairs
    values: Vec<String>,
    /// Back-entry of a paper record: when it was written on paper (e.g. "2026/11/22 03:10")
    #[arg(long, requires = "paper_author")]
    paper_written_at: Option<String>,
    /// Back-entry of a paper record: who wrote it
    #[arg(long, requires = "paper_written_at")]
    paper_author: Option<String>,
    /// Start from the patient's previous record (the fields the pack carries over, each
    /// to be confirmed before finalizing); VALUES and --from are applied on top
    #[arg(long, conflicts_with_all = ["paper_written_at", "paper_author"])]
    from_previous: bool,
}

#[derive(Args)]
pub struct SetArgs {
    record: String,
    /// Values from a JSON object file
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// FIELD=VALUE pairs
    values: Vec<String>,
}

#[derive(Args)]
pub struct ShowArgs {
    record: String,
    /// Print the record as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ValidateArgs {
    record: String,
}

#[derive(Args)]
pub struct FinalizeArgs {
    record: String,
    /// The person responsible for the content (最終確認者)
    #[arg(long)]
    reviewer: String,
    /// Confirm that every field carried over from the previous record and not edited is
    /// still true (needed to finalize such a record)
    #[arg(long)]
    confirm_carried: bool,
}

#[derive(Args)]
pub struct CorrectArgs {
    record: String,
    #[arg(long)]
    reason: String,
    #[arg(long, env = "HIKAE_USER")]
    pub author: String,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Format {
    /// Write an A4 PDF
    #[arg(long, value_name = "OUT.pdf")]
    pdf: Option<PathBuf>,
    /// Write a standalone HTML page ("-" for stdout)
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
    /// Write plain text for the EHR ("-" for stdout)
    #[arg(long, value_name = "OUT.txt")]
    text: Option<PathBuf>,
}

#[derive(Args)]
pub struct RenderArgs {
    record: String,
    #[command(flatten)]
    format: Format,
}

#[derive(Args, Default)]
pub struct Filter {
    /// draft or finalized
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    template: Option<String>,
    /// Patient ID, or part of the name
    #[arg(long)]
    patient: Option<String>,
    /// Day (Japan time) the record was made or last changed, e.g. 2026-11-21
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<chrono::NaiveDate>,
    #[arg(long, default_value_t = 100)]
    limit: usize,
}

#[derive(Args)]
pub struct SearchArgs {
    /// Words that must all appear
    #[arg(required = true)]
    query: Vec<String>,
    #[command(flatten)]
    filter: Filter,
}

pub fn templates(app: &Hikae) -> anyhow::Result<()> {
    for b in app.templates() {
        let t = b.template();
        outln!(
            "{:<22} {} / {}  (v{})",
            t.form.id,
            t.form.title.ja,
            t.form.title.en,
            t.form.version
        )?;
        outln!("{:<22} 用途: {}", "", t.scope.approved_uses.join("、"))?;
    }
    for p in app.active_packs() {
        let m = &p.manifest;
        outln!("\npack: {} {} ({})", m.id, m.version, m.name.ja)?;
    }
    Ok(())
}

pub fn new(app: &mut Hikae, a: NewArgs) -> anyhow::Result<()> {
    let t = app.template(&a.template)?;
    let mut values = match &a.from {
        Some(f) => read_json_object(f)?,
        None => Values::new(),
    };
    parse_pairs(&t.template().form, &a.values, &mut values)?;
    let paper = match (&a.paper_written_at, &a.paper_author) {
        (Some(at), Some(by)) => Some(hikae_app::record::PaperOrigin {
            written_at: hikae_app::paper_time(at)?,
            author: by.clone(),
        }),
        _ => None,
    };
    let patient = Patient {
        id: a.patient_id,
        name: a.patient_name,
    };
    let rec = if a.from_previous {
        let rec = app.new_record_from_previous(&a.template, patient, &a.author)?;
        if let Some(c) = &rec.context.carried {
            eprintln!(
                "carried from {} ({}): {} — edit each, or confirm them when finalizing (--confirm-carried)",
                c.from_record,
                jst(c.from_time),
                c.labels.join("、")
            );
        }
        if values.is_empty() {
            rec
        } else {
            app.update(&rec.id, values)?.0
        }
    } else {
        app.new_record_with(&a.template, patient, &a.author, values, paper)?
    };
    outln!("{}", rec.id)?;
    report_remaining(&app.validate(&rec.id)?);
    Ok(())
}

pub fn set(app: &mut Hikae, a: SetArgs) -> anyhow::Result<()> {
    let id = app.resolve_id(&a.record)?;
    let rec = app.get(&id)?;
    let bound = app.template_of(&rec)?;
    let form = &bound.template().form;
    let mut patch = match &a.from {
        Some(f) => read_json_object(f)?,
        None => Values::new(),
    };
    parse_pairs(form, &a.values, &mut patch)?;
    if patch.is_empty() {
        anyhow::bail!("nothing to set: give FIELD=VALUE pairs or --from FILE.json");
    }
    let (saved, remaining) = app.update(&rec.id, patch)?;
    outln!(
        "saved {} (revision {}) at {}",
        short(&saved.id),
        saved.revision,
        jst(saved.updated_at)
    )?;
    report_remaining(&remaining);
    Ok(())
}

pub fn show(app: &mut Hikae, a: ShowArgs) -> anyhow::Result<()> {
    let id = app.resolve_id(&a.record)?;
    let rec = app.view(&id)?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&rec)?)
    } else {
        print_record(app, &rec)
    }
}

pub fn validate(app: &mut Hikae, a: ValidateArgs) -> anyhow::Result<()> {
    let id = app.resolve_id(&a.record)?;
    let problems = app.validate(&id)?;
    if problems.is_empty() {
        outln!("ok: ready to finalize")
    } else {
        Err(Error::Invalid(problems).into())
    }
}

pub fn finalize(app: &mut Hikae, a: FinalizeArgs) -> anyhow::Result<()> {
    let id = app.resolve_id(&a.record)?;
    let rec = app.finalize_confirming(&id, &a.reviewer, a.confirm_carried)?;
    outln!(
        "finalized {} at {} (final reviewer: {})",
        rec.id,
        rec.finalized_at.map(jst).unwrap_or_default(),
        a.reviewer
    )
}

pub fn correct(app: &mut Hikae, a: CorrectArgs) -> anyhow::Result<()> {
    let id = app.resolve_id(&a.record)?;
    let rec = app.correct(&id, &a.reason, &a.author)?;
    outln!("{}", rec.id)?;
    eprintln!(
        "correction draft (version {}) of {}; edit it with `hikae set`, then finalize",
        rec.version,
        rec.supersedes.as_deref().unwrap_or("")
    );
    Ok(())
}

pub fn render(app: &mut Hikae, a: RenderArgs) -> anyhow::Result<()> {
    let id = app.resolve_id(&a.record)?;
    let f = a.format;
    let (action, what) = match (&f.pdf, &f.html, &f.text) {
        (Some(p), _, _) => (Action::Export, format!("pdf {}", p.display())),
        (_, Some(p), _) => (Action::Export, format!("html {}", p.display())),
        (_, _, Some(p)) => (Action::Export, format!("text {}", p.display())),
        _ => (Action::Export, String::new()),
    };
    app.audit_output(&id, action, &what)?;
    if let Some(out) = f.pdf {
        let pdf = app.pdf(&id)?;
        write_file(&out, &pdf.bytes)?;
        warn_substituted(&pdf.substituted);
        eprintln!(
            "wrote {} ({} pages, {} bytes)",
            out.display(),
            pdf.pages,
            pdf.bytes.len()
        );
    } else if let Some(out) = f.html {
        write_out(&out, app.html(&id)?.as_bytes())?;
    } else if let Some(out) = f.text {
        write_out(&out, app.text(&id)?.as_bytes())?;
    }
    Ok(())
}

pub fn list(app: &mut Hikae, filter: &Filter) -> anyhow::Result<()> {
    print_list(&app.search(&query(None, filter)?)?)
}

pub fn search(app: &mut Hikae, a: &SearchArgs) -> anyhow::Result<()> {
    print_list(&app.search(&query(Some(a.query.join(" ")), &a.filter)?)?)
}

fn query(text: Option<String>, f: &Filter) -> anyhow::Result<Query> {
    let status = match f.status.as_deref() {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            Error::Input(format!("--status must be draft or finalized, not '{s}'"))
        })?),
    };
    Ok(Query {
        text,
        patient: f.patient.clone(),
        template: f.template.clone(),
        status,
        date: f.date,
        limit: Some(f.limit),
    })
}

fn print_list(records: &[Record]) -> anyhow::Result<()> {
    if records.is_empty() {
        return outln!("(no records)");
    }
    for r in records {
        outln!(
            "{}  {:<16}  {:<20}  {:<14} {:<10}  v{}  {}",
            short(&r.id),
            r.status.label_ja(),
            r.provenance.template_id,
            r.patient.id,
            r.patient.name,
            r.version,
            jst(r.updated_at)
        )?;
    }
    Ok(())
}

fn print_record(app: &Hikae, r: &Record) -> anyhow::Result<()> {
    let b = app.template_of(r)?;
    let t = b.template();
    outln!("{}  {}", t.form.title.ja, r.status.label_ja())?;
    outln!(
        "id:        {} (version {}, revision {})",
        r.id,
        r.version,
        r.revision
    )?;
    outln!("patient:   {} {}", r.patient.id, r.patient.name)?;
    outln!("author:    {}", r.author)?;
    if let Some(rv) = &r.final_reviewer {
        outln!("reviewer:  {rv}")?;
    }
    outln!(
        "created:   {}   updated: {}",
        jst(r.created_at),
        jst(r.updated_at)
    )?;
    if let Some(reason) = &r.correction_reason {
        outln!(
            "corrects:  {} — {reason}",
            r.supersedes.as_deref().unwrap_or("")
        )?;
    }
    if let Some(newer) = app.superseded_by(&r.id)? {
        outln!("superseded by: {newer}")?;
    }
    outln!(
        "template:  {} v{} ({} {}, #{})",
        r.provenance.template_id,
        r.provenance.template_version,
        r.provenance.pack_id,
        r.provenance.pack_version,
        short(&r.provenance.template_hash)
    )?;
    outln!()?;
    for f in &t.form.fields {
        let v = r.values.get(&f.id).cloned().unwrap_or(Value::Null);
        let shown = match &v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        outln!(
            "{} {}{}: {}",
            f.id,
            f.label.ja,
            if f.required { " (必須)" } else { "" },
            shown
        )?;
    }
    Ok(())
}

fn report_remaining(problems: &[hikae_app::form::FieldError]) {
    if !problems.is_empty() {
        eprintln!("still to do before finalizing ({}):", problems.len());
        for p in problems {
            eprintln!("  - {p}");
        }
    }
}

fn parse_pairs(
    form: &hikae_app::form::FormDef,
    pairs: &[String],
    out: &mut Values,
) -> anyhow::Result<()> {
    let mut errors = Vec::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            anyhow::bail!("'{pair}' is not FIELD=VALUE");
        };
        match form.parse_input(k.trim(), v) {
            Ok(value) => {
                out.insert(k.trim().to_string(), value);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors).into())
    }
}

fn read_json_object(path: &Path) -> anyhow::Result<Values> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::Input(format!(
            "{}: expected a JSON object of field values",
            path.display()
        ))
        .into()),
        Err(e) => Err(Error::Input(format!(
            "{}:{}:{}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
        .into()),
    }
}
