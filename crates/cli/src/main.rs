//! `hikae`: the headless command line for administrators and scripts.

mod continuity;
mod pack;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use hikae_app::{default_data_dir, Hikae};
use hikae_app::audit::Action;
use hikae_app::form::Values;
use hikae_app::record::{jst, Patient, Record, Status};
use hikae_app::Query;
use hikae_app::Error;

const EXIT_CODES: &str = "Exit codes: 0 ok, 1 other error, 2 usage, 3 invalid values, 4 not found, 5 database, 6 record state (e.g. finalized), 7 pack refused, 8 audit log tampered, 9 locked (wrong or missing PIN), 10 not allowed for your role";

#[derive(Parser)]
#[command(name = "hikae", version, about = "Hikae (控え): offline downtime records for hospital wards", after_help = EXIT_CODES)]
struct Cli {
    /// Data folder (default: the per-user data directory)
    #[arg(long, global = true, env = "HIKAE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Who is acting, for the audit log (default: the author given, else the OS user)
    #[arg(long, global = true, env = "HIKAE_USER", value_name = "NAME")]
    user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the record templates of the installed pack
    Templates,
    /// Start a new draft record; prints its id
    New(NewArgs),
    /// Change fields of a draft: FIELD=VALUE ... (tables take JSON), or --from FILE.json
    Set(SetArgs),
    /// Show a record's details and values
    Show {
        record: String,
        /// Print the record as JSON
        #[arg(long)]
        json: bool,
    },
    /// Check a record against its form and list what must be fixed before finalizing
    Validate { record: String },
    /// Finalize a draft (it becomes read-only)
    Finalize {
        record: String,
        /// The person responsible for the content (最終確認者)
        #[arg(long)]
        reviewer: String,
    },
    /// Start a correction of a finalized record: a new draft version linked to it
    Correct {
        record: String,
        #[arg(long)]
        reason: String,
        #[arg(long, env = "HIKAE_USER")]
        author: String,
    },
    /// Render a record to PDF, HTML or plain text
    Render(RenderArgs),
    /// List records, newest first
    List(Filter),
    /// Search records by free text (any length, Japanese included)
    Search {
        /// Words that must all appear
        #[arg(required = true)]
        query: Vec<String>,
        #[command(flatten)]
        filter: Filter,
    },
    /// Template packs: create, check, build, sign, verify, install, roll back
    #[command(subcommand)]
    Pack(pack::PackCmd),
    /// Print records in one go: to a printer (CUPS) or into one PDF file
    Print {
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
    },
    /// List the printers this PC can print to (the default first)
    Printers,
    /// Print a downtime procedure's checklist: blank for paper, or a run with its ticks
    Checklist {
        /// Procedure id, e.g. ai-outage
        procedure: String,
        /// A checklist run (its ticks, who and when)
        #[arg(long)]
        run: Option<String>,
        #[arg(long, value_name = "OUT.pdf")]
        pdf: PathBuf,
    },
    /// Encrypt this PC's data: the first administrator's PIN (HIKAE_PIN or asked), the ward's
    /// emergency code (HIKAE_EMERGENCY_CODE or asked); prints the recovery key once
    Setup {
        #[arg(long)]
        admin_id: String,
    },
    /// Change the ward's emergency (break-glass) code (HIKAE_NEW_EMERGENCY_CODE or asked),
    /// or --disable break-glass after recovery (administrators)
    EmergencyCode {
        #[arg(long)]
        disable: bool,
    },
    /// Give a staff member their own PIN (data must be unlocked: HIKAE_STAFF + HIKAE_PIN)
    Enrol { staff_id: String },
    /// The staff roster: sign (administrators' PC), install, show
    #[command(subcommand)]
    Roster(RosterCmd),
    /// The audit log: verify its chain, list entries, export them (JSON Lines, FHIR AuditEvent)
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Send finalized records to the hospital's FHIR server ([sync] in config.toml)
    Sync(SyncArgs),
    /// Declared downtime: declare, end, list (charge nurses, administrators)
    #[command(subcommand)]
    Downtime(continuity::DowntimeCmd),
    /// Continuity drills: scenarios, start, status, end, list, report, purge
    #[command(subcommand)]
    Drill(continuity::DrillCmd),
    /// The 8-hour print pack: blank forms with the patient header filled in, the downtime
    /// procedures and the contact sheet, in one PDF
    PrintPack(continuity::PrintPackArgs),
    /// Probe the services of config.toml ([monitor], [sync] endpoint) once and show their state
    Status,
    /// Create fictional demo records and write their PDFs to a folder
    Demo {
        /// Output folder (default: DATA_DIR/demo-pdf)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Instead: create N fictional records without PDFs (load tests, benchmarks)
        #[arg(long, value_name = "N", conflicts_with = "out")]
        bulk: Option<usize>,
    },
}

#[derive(Subcommand)]
enum RosterCmd {
    /// Sign roster.toml with a minisign secret key (writes FILE.minisig)
    Sign {
        file: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Install a signed roster on this PC (administrators; only newer versions)
    Install {
        file: PathBuf,
        /// Signature file (default: FILE.minisig)
        #[arg(long)]
        sig: Option<PathBuf>,
    },
    /// Show the installed roster
    Show,
    /// Fetch the roster from the URL in config.toml ([roster] url) and install it if newer
    Refresh,
}

#[derive(Args)]
struct SyncArgs {
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

#[derive(Subcommand)]
enum AuditCmd {
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

#[derive(Args)]
struct NewArgs {
    /// Template id (see `hikae templates`)
    template: String,
    #[arg(long)]
    patient_id: String,
    #[arg(long)]
    patient_name: String,
    #[arg(long, env = "HIKAE_USER")]
    author: String,
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
}

#[derive(Args)]
struct SetArgs {
    record: String,
    /// Values from a JSON object file
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// FIELD=VALUE pairs
    values: Vec<String>,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct Format {
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
struct RenderArgs {
    record: String,
    #[command(flatten)]
    format: Format,
}

#[derive(Args, Default)]
struct Filter {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hikae: {e}");
            let code = match e.downcast_ref::<Error>() {
                Some(Error::Invalid(_)) => 3,
                Some(
                    Error::RecordNotFound(_) | Error::TemplateNotFound(_) | Error::NotFound(_),
                ) => 4,
                Some(Error::Database { .. } | Error::SchemaTooNew { .. }) => 5,
                Some(Error::Finalized(_) | Error::BadState { .. } | Error::Conflict(_)) => 6,
                Some(Error::Pack { .. }) => 7,
                Some(Error::AuditBroken(_)) => 8,
                Some(Error::Locked(_)) => 9,
                Some(Error::Forbidden(_)) => 10,
                _ => 1,
            };
            ExitCode::from(code)
        }
    }
}

fn open(data_dir: Option<PathBuf>) -> anyhow::Result<Hikae> {
    let dir = match data_dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let app = if hikae_app::Hikae::is_encrypted(&dir) {
        unlock(&dir)?
    } else {
        Hikae::open(&dir)?
    };
    for w in &app.warnings {
        eprintln!("hikae: warning: {w}");
    }
    Ok(app)
}

fn run_sync(app: &mut Hikae, args: SyncArgs) -> anyhow::Result<()> {
    use hikae_app::sync;
    match args.cmd {
        Some(SyncCmd::Report { pdf, json }) => {
            if let Some(path) = pdf {
                let doc = app.reconciliation_pdf()?;
                write_file(&path, &doc.bytes)?;
                eprintln!("{} ({} pages)", path.display(), doc.pages);
                return Ok(());
            }
            let r = app.reconciliation()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            let c = r.counts;
            println!(
                "acknowledged {}  pending {}  rejected {}  held (temporary ID) {}  drafts {}",
                c.acknowledged, c.pending, c.rejected, c.held, r.drafts
            );
            for u in &r.unmapped {
                println!(
                    "  map {} ({}): {} records wait",
                    u.temporary_id, u.patient_name, u.records
                );
            }
            for row in &r.rows {
                println!(
                    "{:<14} {} {} {} {}",
                    format!("{:?}", row.state).to_lowercase(),
                    row.record_id,
                    row.template_title,
                    row.patient_id,
                    row.server_id
                        .as_deref()
                        .or(row.last_error.as_deref())
                        .unwrap_or("")
                );
            }
        }
        Some(SyncCmd::Map {
            temporary_id,
            real_id,
            name,
        }) => {
            let n = app.map_patient(&temporary_id, &real_id, name.as_deref())?;
            println!("{temporary_id} → {real_id}: {n} records will be sent under {real_id}");
        }
        Some(SyncCmd::Resend { record }) => {
            app.resend(&record)?;
            println!("{record} is back in line");
        }
        None if args.dry_run => {
            let out = app.sync_preview(usize::MAX >> 1)?;
            let mut nd = String::new();
            for o in &out {
                println!("would send {}", o.summary);
                for e in &o.entries {
                    nd.push_str(&serde_json::to_string(&e["resource"])?);
                    nd.push('\n');
                }
            }
            let c = app.sync_counts()?;
            println!(
                "{} records would be sent; {} wait for a temporary patient ID to be mapped; {} rejected",
                out.len(),
                c.held,
                c.rejected
            );
            if let Some(path) = args.out {
                write_file(&path, nd.as_bytes())?;
            }
        }
        None => {
            let client = app.sync_client()?;
            let opts = sync::Options {
                max_wait: std::time::Duration::from_secs(args.max_wait),
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
            println!(
                "{endpoint}: {} acknowledged, {} rejected, {} still pending, {} held for a temporary patient ID ({} requests)",
                p.acknowledged, p.rejected, o.pending, o.held, p.requests
            );
            if let Some(e) = &p.last_error {
                println!("last error: {e}");
            }
            if p.phase == sync::Phase::Unreachable {
                anyhow::bail!("stopped: {}", p.last_error.clone().unwrap_or_default());
            }
        }
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Setup { admin_id } = &cli.command {
        let dir = match &cli.data_dir {
            Some(d) => d.clone(),
            None => default_data_dir()?,
        };
        let pin = secret(
            "HIKAE_PIN",
            &format!("PIN or passphrase for {admin_id}: "),
            true,
        )?;
        let code = secret(
            "HIKAE_EMERGENCY_CODE",
            "the ward's emergency (break-glass) code: ",
            true,
        )?;
        let setup = Hikae::setup_encryption(&dir, admin_id, &pin, &code)?;
        println!("The data in {} is now encrypted.", dir.display());
        println!(
            "\nRECOVERY KEY (shown once; print it and keep it in the safe):\n\n    {}\n",
            setup.recovery_key
        );
        return Ok(());
    }
    if let Command::Roster(RosterCmd::Sign { file, key }) = &cli.command {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let roster = hikae_app::authoring::Roster::parse(&text)?;
        let sk = std::fs::read_to_string(key).map_err(|e| Error::io(key, e))?;
        let sig = hikae_app::authoring::sign::sign_roster(
            text.as_bytes(),
            &sk,
            std::env::var("HIKAE_SIGNING_PASSWORD").ok(),
            &roster.hospital,
            &roster.version.to_string(),
        )?;
        let out = PathBuf::from(format!("{}.minisig", file.display()));
        write_file(&out, sig.as_bytes())?;
        eprintln!(
            "signed {} version {} → {}",
            roster.hospital,
            roster.version,
            out.display()
        );
        return Ok(());
    }
    if let Command::Pack(cmd) = cli.command {
        if !pack::needs_data(&cmd) {
            return pack::run(None, cmd);
        }
        let mut app = open(cli.data_dir)?;
        if let Some(name) = cli
            .user
            .filter(|n| !n.trim().is_empty() && app.session().is_none())
        {
            app.set_actor(hikae_app::audit::Actor::named(&name));
        }
        return pack::run(Some(&mut app), cmd);
    }
    let mut app = open(cli.data_dir)?;
    let who = cli.user.clone().or(match &cli.command {
        Command::New(a) => Some(a.author.clone()),
        Command::Correct { author, .. } => Some(author.clone()),
        _ => None,
    });
    // a logged-in session names the actor itself; names given only label unencrypted use
    if let Some(name) = who.filter(|n| !n.trim().is_empty() && app.session().is_none()) {
        app.set_actor(hikae_app::audit::Actor::named(&name));
    }
    match cli.command {
        Command::Setup { .. } => {} // handled before the data is opened
        Command::Enrol { staff_id } => {
            let pin = secret(
                "HIKAE_NEW_PIN",
                &format!("new PIN or passphrase for {staff_id}: "),
                true,
            )?;
            app.enrol(&staff_id, &pin)?;
            println!("{staff_id} can now unlock this PC with their PIN");
        }
        Command::Audit(cmd) => return run_audit(&mut app, cmd),
        Command::Downtime(cmd) => return continuity::downtime(&mut app, cmd),
        Command::Drill(cmd) => return continuity::drill(&mut app, cmd),
        Command::PrintPack(args) => return continuity::print_pack(&mut app, args),
        Command::Status => return continuity::status(&app),
        Command::Sync(args) => return run_sync(&mut app, args),
        Command::EmergencyCode { disable } => {
            if disable {
                app.set_emergency_code(None)?;
                println!("break-glass access is now disabled on this PC");
            } else {
                let code = secret("HIKAE_NEW_EMERGENCY_CODE", "new emergency code: ", true)?;
                app.set_emergency_code(Some(&code))?;
                println!("emergency code changed; seal the new one at the station");
            }
        }
        Command::Roster(RosterCmd::Sign { .. }) => {} // handled before the data is opened
        Command::Roster(RosterCmd::Install { file, sig }) => {
            let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
            let sig_path =
                sig.unwrap_or_else(|| PathBuf::from(format!("{}.minisig", file.display())));
            let sig = std::fs::read_to_string(&sig_path).ok();
            let r = app.install_roster(&text, sig.as_deref())?;
            println!(
                "installed roster {} version {} ({} staff)",
                r.hospital,
                r.version,
                r.staff.len()
            );
        }
        Command::Roster(RosterCmd::Refresh) => match app.refresh_roster()? {
            Some(r) => println!("installed roster {} version {}", r.hospital, r.version),
            None => println!("nothing newer (or no [roster] url in config.toml)"),
        },
        Command::Roster(RosterCmd::Show) => match app.roster()? {
            None => println!("(no roster installed)"),
            Some(r) => {
                println!("{} version {} (issued {})", r.hospital, r.version, r.issued);
                for s in r.staff {
                    println!(
                        "  {:<8} {:<10} {:<16} {}  {}",
                        s.id,
                        s.role.as_str(),
                        s.name,
                        s.kana,
                        s.ward
                    );
                }
            }
        },
        Command::Pack(_) => {} // handled above
        Command::Templates => {
            for b in app.templates() {
                let t = b.template();
                println!(
                    "{:<22} {} / {}  (v{})",
                    t.form.id, t.form.title.ja, t.form.title.en, t.form.version
                );
                println!("{:<22} 用途: {}", "", t.scope.approved_uses.join("、"));
            }
            for p in app.active_packs() {
                let m = &p.manifest;
                println!("\npack: {} {} ({})", m.id, m.version, m.name.ja);
            }
        }
        Command::New(a) => {
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
            let rec = app.new_record_with(
                &a.template,
                Patient {
                    id: a.patient_id,
                    name: a.patient_name,
                },
                &a.author,
                values,
                paper,
            )?;
            println!("{}", rec.id);
            report_remaining(&app.validate(&rec.id)?);
        }
        Command::Set(a) => {
            let rec = app.get(&a.record)?;
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
            println!(
                "saved {} (revision {}) at {}",
                short(&saved.id),
                saved.revision,
                jst(saved.updated_at)
            );
            report_remaining(&remaining);
        }
        Command::Show { record, json } => {
            let rec = app.view(&record)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rec)?);
            } else {
                print_record(&app, &rec)?;
            }
        }
        Command::Validate { record } => {
            let problems = app.validate(&record)?;
            if problems.is_empty() {
                println!("ok: ready to finalize");
            } else {
                return Err(Error::Invalid(problems).into());
            }
        }
        Command::Finalize { record, reviewer } => {
            let rec = app.finalize(&record, &reviewer)?;
            println!(
                "finalized {} at {} (final reviewer: {reviewer})",
                rec.id,
                rec.finalized_at.map(jst).unwrap_or_default()
            );
        }
        Command::Correct {
            record,
            reason,
            author,
        } => {
            let rec = app.correct(&record, &reason, &author)?;
            println!("{}", rec.id);
            eprintln!(
                "correction draft (version {}) of {}; edit it with `hikae set`, then finalize",
                rec.version,
                rec.supersedes.as_deref().unwrap_or("")
            );
        }
        Command::Render(a) => {
            let f = a.format;
            let (action, what) = match (&f.pdf, &f.html, &f.text) {
                (Some(p), _, _) => (Action::Export, format!("pdf {}", p.display())),
                (_, Some(p), _) => (Action::Export, format!("html {}", p.display())),
                (_, _, Some(p)) => (Action::Export, format!("text {}", p.display())),
                _ => (Action::Export, String::new()),
            };
            app.audit_output(&a.record, action, &what)?;
            if let Some(out) = f.pdf {
                let pdf = app.pdf(&a.record)?;
                write_file(&out, &pdf.bytes)?;
                warn_substituted(&pdf.substituted);
                eprintln!(
                    "wrote {} ({} pages, {} bytes)",
                    out.display(),
                    pdf.pages,
                    pdf.bytes.len()
                );
            } else if let Some(out) = f.html {
                write_out(&out, app.html(&a.record)?.as_bytes())?;
            } else if let Some(out) = f.text {
                write_out(&out, app.text(&a.record)?.as_bytes())?;
            }
        }
        Command::Print {
            records,
            printer,
            copies,
            pdf: out,
        } => {
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
                (None, None) => {
                    return Err(Error::Input("give --printer NAME or --pdf FILE".into()).into())
                }
            }
        }
        Command::Printers => {
            let list = hikae_app::print::printers()?;
            if list.is_empty() {
                println!("(no printers set up)");
            }
            for p in list {
                println!("{}{}", p.name, if p.default { "  (default)" } else { "" });
            }
        }
        Command::Checklist {
            procedure,
            run,
            pdf: out,
        } => {
            let pdf = app.checklist_pdf(&procedure, run.as_deref())?;
            write_file(&out, &pdf.bytes)?;
            eprintln!("wrote {} ({} pages)", out.display(), pdf.pages);
        }
        Command::List(filter) => print_list(&app.search(&query(None, &filter)?)?),
        Command::Search {
            query: words,
            filter,
        } => print_list(&app.search(&query(Some(words.join(" ")), &filter)?)?),
        Command::Demo { bulk: Some(n), .. } => {
            let made = hikae_app::demo::bulk(&mut app, n)?;
            println!(
                "{made} fictional records created in {}",
                app.data_dir().display()
            );
        }
        Command::Demo { out, bulk: None } => {
            let out = out.unwrap_or_else(|| app.data_dir().join("demo-pdf"));
            let made = hikae_app::demo::run(&mut app, &out)?;
            for d in &made {
                let b = app.template_of(&d.record)?;
                let t = b.template();
                println!(
                    "{}  {}  {} {}  {}  ({} pages)",
                    short(&d.record.id),
                    t.form.title.ja,
                    d.record.patient.id,
                    d.record.patient.name,
                    d.record.status.label_ja(),
                    d.pages
                );
            }
            println!("\nPDFs written to {}", out.display());
            println!("data folder: {}", app.data_dir().display());
        }
    }
    Ok(())
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

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn print_list(records: &[Record]) {
    if records.is_empty() {
        println!("(no records)");
        return;
    }
    for r in records {
        println!(
            "{}  {:<16}  {:<20}  {:<14} {:<10}  v{}  {}",
            short(&r.id),
            r.status.label_ja(),
            r.provenance.template_id,
            r.patient.id,
            r.patient.name,
            r.version,
            jst(r.updated_at)
        );
    }
}

fn print_record(app: &Hikae, r: &Record) -> anyhow::Result<()> {
    let b = app.template_of(r)?;
    let t = b.template();
    println!("{}  {}", t.form.title.ja, r.status.label_ja());
    println!(
        "id:        {} (version {}, revision {})",
        r.id, r.version, r.revision
    );
    println!("patient:   {} {}", r.patient.id, r.patient.name);
    println!("author:    {}", r.author);
    if let Some(rv) = &r.final_reviewer {
        println!("reviewer:  {rv}");
    }
    println!(
        "created:   {}   updated: {}",
        jst(r.created_at),
        jst(r.updated_at)
    );
    if let Some(reason) = &r.correction_reason {
        println!(
            "corrects:  {} — {reason}",
            r.supersedes.as_deref().unwrap_or("")
        );
    }
    if let Some(newer) = app.superseded_by(&r.id)? {
        println!("superseded by: {newer}");
    }
    println!(
        "template:  {} v{} ({} {}, #{})",
        r.provenance.template_id,
        r.provenance.template_version,
        r.provenance.pack_id,
        r.provenance.pack_version,
        short(&r.provenance.template_hash)
    );
    println!();
    for f in &t.form.fields {
        let v = r.values.get(&f.id).cloned().unwrap_or(Value::Null);
        let shown = match &v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        println!(
            "{} {}{}: {}",
            f.id,
            f.label.ja,
            if f.required { " (必須)" } else { "" },
            shown
        );
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

fn write_out(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path == Path::new("-") {
        std::io::stdout().write_all(bytes)?;
        Ok(())
    } else {
        write_file(path, bytes)
    }
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    Ok(hikae_app::write_atomically(path, bytes)?)
}

fn warn_substituted(chars: &[char]) {
    if !chars.is_empty() {
        let list: String = chars
            .iter()
            .map(|c| format!("{c} (U+{:04X}) ", *c as u32))
            .collect();
        eprintln!(
            "hikae: warning: the font has no glyph for {list}— printed as 〓; check the paper copy"
        );
    }
}

fn run_audit(app: &mut Hikae, cmd: AuditCmd) -> anyhow::Result<()> {
    use hikae_app::AuditQuery;
    app.require(hikae_app::auth::Permission::ReviewAudit)?;
    match cmd {
        AuditCmd::Verify => {
            let hikae_app::AuditCheck { entries, findings } = app.audit_check()?;
            if findings.is_empty() {
                println!(
                    "ok: {} entries, chain intact{}",
                    entries.len(),
                    entries
                        .last()
                        .map(|e| format!(", last {} at {}", e.seq, hikae_app::audit::ts(e.at)))
                        .unwrap_or_default()
                );
                return Ok(());
            }
            return Err(
                Error::AuditBroken(findings.iter().map(ToString::to_string).collect()).into(),
            );
        }
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
            let entries = app.audit_entries(&AuditQuery {
                actor,
                record_id: record,
                action,
                break_glass_only: break_glass,
                limit: Some(limit),
            })?;
            for e in entries {
                let ev = &e.event;
                println!(
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
                );
            }
        }
        AuditCmd::Export { jsonl, fhir } => {
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
        }
    }
    Ok(())
}

/// Opens encrypted data: the recovery key (HIKAE_RECOVERY_KEY), or a staff ID (HIKAE_STAFF)
/// with its PIN (HIKAE_PIN, else asked on the terminal).
fn unlock(dir: &std::path::Path) -> anyhow::Result<Hikae> {
    if let Ok(k) = std::env::var("HIKAE_RECOVERY_KEY") {
        return Hikae::unlock_with_recovery_key(dir, &k)?.ok_or_else(|| {
            Error::Locked("the recovery key does not open this data".into()).into()
        });
    }
    let staff = std::env::var("HIKAE_STAFF").map_err(|_| {
        Error::Locked("the data is encrypted: set HIKAE_STAFF (and HIKAE_PIN, or type it)".into())
    })?;
    let pin = secret("HIKAE_PIN", &format!("PIN for {staff}: "), false)?;
    Hikae::unlock(dir, &staff, &pin)?
        .ok_or_else(|| Error::Locked(format!("wrong staff ID or PIN for {staff}")).into())
}

/// A secret from the environment, else typed without echo (twice for a new one).
fn secret(var: &str, prompt: &str, new: bool) -> anyhow::Result<String> {
    if let Ok(v) = std::env::var(var) {
        return Ok(v);
    }
    let first = rpassword::prompt_password(prompt)
        .map_err(|e| Error::Input(format!("{var} is not set and no terminal to ask on ({e})")))?;
    if new && rpassword::prompt_password("again: ")? != first {
        return Err(Error::Input("the two entries differ".into()).into());
    }
    Ok(first)
}
