//! `hikae`: the headless command line for administrators and scripts.
//!
//! This file holds the command line itself, opening the data (and unlocking it from the
//! environment) and the exit codes; each command group lives in its own module.

mod audit;
mod continuity;
mod demo;
mod fleet;
mod pack;
mod print;
mod records;
mod security;
mod snapshot;
mod sync;
mod util;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use hikae_app::{default_data_dir, Error, Hikae, Installation};

use security::RosterCmd;

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
    /// Demo mode: a folder that is not set up is used unencrypted, for fictional data only,
    /// with デモ DEMO on every page (an administrator sets real PCs up with `hikae setup`)
    #[arg(long, global = true, env = "HIKAE_DEMO", value_parser = clap::builder::FalseyValueParser::new())]
    demo: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the record templates of the installed pack
    Templates,
    /// Start a new draft record; prints its id
    New(records::NewArgs),
    /// Change fields of a draft: FIELD=VALUE ... (tables take JSON), or --from FILE.json
    Set(records::SetArgs),
    /// Show a record's details and values
    Show(records::ShowArgs),
    /// Check a record against its form and list what must be fixed before finalizing
    Validate(records::ValidateArgs),
    /// Finalize a draft (it becomes read-only)
    Finalize(records::FinalizeArgs),
    /// Start a correction of a finalized record: a new draft version linked to it
    Correct(records::CorrectArgs),
    /// Render a record to PDF, HTML or plain text
    Render(records::RenderArgs),
    /// List records, newest first
    List(records::Filter),
    /// Search records by free text (any length, Japanese included)
    Search(records::SearchArgs),
    /// Template packs: create, check, build, sign, verify, install, roll back
    #[command(subcommand)]
    Pack(pack::PackCmd),
    /// Print records in one go: to a printer (CUPS) or into one PDF file
    Print(print::PrintArgs),
    /// List the printers this PC can print to (the default first)
    Printers,
    /// Print a downtime procedure's checklist: blank for paper, or a run with its ticks
    Checklist(print::ChecklistArgs),
    /// Encrypt this PC's data: the first administrator's PIN (HIKAE_PIN or asked), the ward's
    /// emergency code (HIKAE_EMERGENCY_CODE or asked); prints the recovery key once
    Setup(security::SetupArgs),
    /// Change the ward's emergency (break-glass) code (HIKAE_NEW_EMERGENCY_CODE or asked),
    /// or --disable break-glass after recovery (administrators)
    EmergencyCode(security::EmergencyCodeArgs),
    /// Give a staff member their own PIN (data must be unlocked: HIKAE_STAFF + HIKAE_PIN)
    Enrol(security::EnrolArgs),
    /// Take a staff member's PIN away (administrators): their slot is removed and the data
    /// re-encrypted under a new key, so an old copy of the keyring opens nothing
    Unenrol(security::EnrolArgs),
    /// Failed-login lockouts on this PC (administrators): list, or reset one ID or all
    #[command(subcommand)]
    Lockout(security::LockoutCmd),
    /// Security policy on this PC (administrators): passphrases instead of PINs
    #[command(subcommand)]
    Policy(security::PolicyCmd),
    /// The staff roster: sign (administrators' PC), install, show
    #[command(subcommand)]
    Roster(security::RosterCmd),
    /// The audit log: verify its chain, list entries, export them (JSON Lines, FHIR AuditEvent)
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Send finalized records to the hospital's FHIR server ([sync] in config.toml)
    Sync(sync::SyncArgs),
    /// The ward snapshot: a read-only copy of the [snapshot] wards' patients from the FHIR
    /// server (refresh, census, show)
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCmd),
    /// The fleet of ward PCs: this PC's readiness heartbeat to the FHIR server, and the
    /// administrator's report over every PC (heartbeat, readiness, status)
    #[command(subcommand)]
    Fleet(fleet::FleetCmd),
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
    /// Is this PC ready for the next outage? Store, audit chain, packs, fonts, printer, disk,
    /// clock; exits non-zero when a check fails (audited)
    Selftest {
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// Create fictional demo records and write their PDFs to a folder
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // the reader of our output went away (`hikae list | head -1`): end quietly
        Err(e) if e.is::<util::StdoutClosed>() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hikae: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn exit_code(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<Error>() {
        Some(Error::Invalid(_)) => 3,
        Some(Error::RecordNotFound(_) | Error::TemplateNotFound(_) | Error::NotFound(_)) => 4,
        Some(Error::Database { .. } | Error::SchemaTooNew { .. }) => 5,
        Some(Error::Finalized(_) | Error::BadState { .. } | Error::Conflict(_)) => 6,
        Some(Error::Pack { .. }) => 7,
        Some(Error::AuditBroken(_)) => 8,
        Some(Error::Locked(_)) => 9,
        Some(Error::Forbidden(_)) => 10,
        _ => 1,
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let Cli {
        data_dir,
        user,
        demo,
        command,
    } = cli;
    if let Ok(d) = data_folder(data_dir.clone()) {
        let _ = util::DATA_DIR.set(d);
    }
    // the commands that run without opening this PC's data
    match command {
        Command::Setup(a) => return security::setup(&data_folder(data_dir)?, &a),
        Command::Roster(RosterCmd::Sign { file, key }) => {
            return security::sign_roster(&file, &key)
        }
        Command::Pack(cmd) if !pack::needs_data(&cmd) => return pack::run(None, cmd),
        Command::Fleet(cmd) if !fleet::needs_data(&cmd) => return fleet::run_authoring(cmd),
        _ => {}
    }
    let mut app = open(data_dir, demo)?;
    let who = user.or(match &command {
        Command::New(a) => Some(a.author.clone()),
        Command::Correct(a) => Some(a.author.clone()),
        _ => None,
    });
    // a logged-in session names the actor itself; names given only label unencrypted use
    if let Some(name) = who.filter(|n| !n.trim().is_empty() && app.session().is_none()) {
        app.set_actor(hikae_app::audit::Actor::named(&name));
    }
    dispatch(&mut app, command)
}

fn dispatch(app: &mut Hikae, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Templates => records::templates(app),
        Command::New(a) => records::new(app, a),
        Command::Set(a) => records::set(app, a),
        Command::Show(a) => records::show(app, a),
        Command::Validate(a) => records::validate(app, a),
        Command::Finalize(a) => records::finalize(app, a),
        Command::Correct(a) => records::correct(app, a),
        Command::Render(a) => records::render(app, a),
        Command::List(filter) => records::list(app, &filter),
        Command::Search(a) => records::search(app, &a),
        Command::Pack(cmd) => pack::run(Some(app), cmd),
        Command::Print(a) => print::print(app, a),
        Command::Printers => print::printers(),
        Command::Checklist(a) => print::checklist(app, a),
        Command::Setup(_) => Ok(()), // handled before the data is opened
        Command::EmergencyCode(a) => security::emergency_code(app, &a),
        Command::Enrol(a) => security::enrol(app, &a),
        Command::Unenrol(a) => security::unenrol(app, &a),
        Command::Lockout(cmd) => security::lockout(app, cmd),
        Command::Policy(cmd) => security::policy(app, cmd),
        Command::Roster(cmd) => security::roster(app, cmd),
        Command::Audit(cmd) => audit::run(app, cmd),
        Command::Sync(args) => sync::run(app, args),
        Command::Snapshot(cmd) => snapshot::run(app, cmd),
        Command::Fleet(cmd) => fleet::run(app, cmd),
        Command::Downtime(cmd) => continuity::downtime(app, cmd),
        Command::Drill(cmd) => continuity::drill(app, cmd),
        Command::PrintPack(args) => continuity::print_pack(app, args),
        Command::Status => continuity::status(app),
        Command::Selftest { json } => continuity::selftest(app, json),
        Command::Demo(a) => demo::run(app, a),
    }
}

fn data_folder(data_dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match data_dir {
        Some(d) => Ok(d),
        None => Ok(default_data_dir()?),
    }
}

fn open(data_dir: Option<PathBuf>, demo: bool) -> anyhow::Result<Hikae> {
    let dir = data_folder(data_dir)?;
    let app = match Hikae::installation(&dir) {
        Installation::Encrypted => unlock(&dir)?,
        _ if demo => Hikae::open_demo(&dir)?,
        Installation::Demo => {
            return Err(Error::BadState {
                id: dir.display().to_string(),
                reason: "this is a demo folder (fictional data, not encrypted): pass --demo to use it".into(),
            }
            .into())
        }
        Installation::NotSetUp => {
            return Err(Error::BadState {
                id: dir.display().to_string(),
                reason: "Hikae is not set up on this PC: an administrator runs `hikae setup` (or the desktop app's first-run screen), which encrypts the data; for a demo with fictional data only, pass --demo".into(),
            }
            .into())
        }
    };
    for w in &app.warnings {
        eprintln!("hikae: warning: {w}");
    }
    if app.is_demo() {
        eprintln!("hikae: demo mode — fictional data only, not encrypted (デモ: 架空データのみ・暗号化なし)");
    }
    Ok(app)
}

/// Opens encrypted data: the recovery key (HIKAE_RECOVERY_KEY), or a staff ID (HIKAE_STAFF)
/// with its PIN (HIKAE_PIN, else asked on the terminal).
fn unlock(dir: &Path) -> anyhow::Result<Hikae> {
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
pub(crate) fn secret(var: &str, prompt: &str, new: bool) -> anyhow::Result<String> {
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
