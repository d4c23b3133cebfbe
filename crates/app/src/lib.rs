//! Use cases: what a person does with Hikae, as one call each. The CLI and the desktop
//! shell are thin layers over this; rules (validation before finalizing, drafts accept
//! anything typed, unknown fields refused, packs verified) live here or below, never in a
//! frontend.
//!
//! Architecture Invariant: this crate is the only API the shells use. The store is private
//! to it (no public field, no re-export of `Store`), and every use case that reads or writes
//! patient data calls `require(...)` before it touches the store.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod audit_review;
pub mod authoring;
mod batch;
mod carry;
pub mod channel;
mod checklist;
pub mod config;
mod continuity;
pub mod demo;
pub mod demo_ward;
mod drill_report;
pub mod fleet;
mod packs;
pub mod phrases;
pub mod print;
mod security;
pub mod selftest;
pub mod snapshot;
mod snapshot_paper;
pub mod sync;
mod unprintable;
pub use continuity::{paper_time, PrintPackRequest, TemplateCopies, MAX_PACK_PATIENTS};
pub use unprintable::{unprintable, Unprintable};

// What the shells may name: the domain's plain data, the document types they hand on, and the
// store's query and row types (never the store itself).
pub use hikae_doc::pdf::{font_report, missing_glyphs, Pdf, SUBSTITUTE};
pub use hikae_domain::snapshot::{Census, CensusRow, PatientSummary};
pub use hikae_domain::{audit, downtime, drill, form, procedure, record, Error, Result};

/// Writes a file a person chose (a PDF, text, an export): whole or not at all, readable by the
/// owner only, and never inside this PC's data folder (an export must not replace the keyring
/// or the database).
pub fn export_file(data_dir: Option<&Path>, path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(d) = data_dir.filter(|d| hikae_files::is_inside(path, d)) {
        return Err(Error::Forbidden(format!(
            "{}: exports cannot be written into Hikae's data folder ({}); choose another folder",
            path.display(),
            d.display()
        )));
    }
    hikae_files::write_atomically(path, bytes)
}
pub use hikae_store::{AuditQuery, ChecklistRun, OutboxCounts, PatientMapping, Query};
pub use hikae_sync::monitor;

/// Roles and permissions (the rules live in `hikae_auth::session`).
pub mod auth {
    pub use hikae_auth::attempts::Record as LoginFailures;
    pub use hikae_auth::roster::StaffRole;
    pub use hikae_auth::session::Permission;
}

/// Rendering helpers the shells show (the preview HTML goes through [`Hikae::preview_html`]).
pub mod render {
    pub use hikae_domain::record::context_lines;
}

pub use audit_review::AuditCheck;
pub use batch::{BatchProgress, MAX_BATCH};
pub use packs::KeyRole;
pub use security::{FetchedRoster, Protection, Setup};

use hikae_auth::session::Permission;
use hikae_auth::{DataKey, Keyring};
use hikae_domain::audit::{Action, Actor, Event};
use hikae_domain::form::{FieldError, Values};
use hikae_domain::record::{PaperOrigin, Patient, Provenance, Record};
use hikae_packs::install::{PackDir, Rules};
use hikae_packs::render as pack_render;
use hikae_packs::{Pack, PackProblem, Template};
use hikae_store::{NewRecord, Store};

pub const DB_FILE: &str = "hikae.db";
/// Marks a data folder made in demo mode (`--demo`).
pub const DEMO_MARKER: &str = "DEMO";
const DEMO_MARKER_TEXT: &str =
    "Hikae demo folder (--demo): fictional data only, NOT encrypted. Never use it for patients.\n";
/// The watermark on every page made in demo mode.
pub const DEMO_MARK: &str = "デモ DEMO";
const DEMO_STATUS: &str = "デモ（架空データ・暗号化なし）";

/// What a data folder is, before anything is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installation {
    /// Set up: encrypted, opens at a login.
    Encrypted,
    /// Made with `--demo`: fictional data, not encrypted, marked on every page.
    Demo,
    /// Nothing set up yet: the administrator's first-run setup comes first.
    NotSetUp,
}

/// Where the data lives: `--data-dir`, else `HIKAE_DATA_DIR` (both resolved by the caller),
/// else the per-OS data directory.
pub fn default_data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("jp", "Hikae", "hikae")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::Input("no home directory found; pass --data-dir or set HIKAE_DATA_DIR".into())
        })
}

/// A template together with the pack it belongs to.
#[derive(Clone)]
pub struct Bound {
    pub pack: Arc<Pack>,
    index: usize,
}

impl Bound {
    fn find(pack: &Arc<Pack>, template_id: &str) -> Option<Bound> {
        pack.templates
            .iter()
            .position(|t| t.form.id == template_id)
            .map(|index| Bound {
                pack: pack.clone(),
                index,
            })
    }
    pub fn template(&self) -> &Template {
        &self.pack.templates[self.index]
    }
}

fn pack_error(problems: Vec<PackProblem>) -> Error {
    Error::Pack {
        file: problems.first().map(|p| p.file.clone()).unwrap_or_default(),
        message: problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  "),
    }
}

pub struct Hikae {
    store: Store,
    builtin: Arc<Pack>,
    /// The active version of each installed pack.
    installed: Vec<Arc<Pack>>,
    /// Older versions loaded to render records made with them.
    older: Mutex<Vec<Arc<Pack>>>,
    packs: PackDir,
    rules: Rules,
    data_dir: PathBuf,
    /// Installed packs that failed verification at start (they are not used).
    pub warnings: Vec<String>,
    /// Who is acting now: every audit entry names them.
    actor: Actor,
    /// When each (record, actor) edit or preview was last audited: they are logged once per
    /// `EDIT_AUDIT_EVERY`, not once per keystroke save.
    edit_audited: std::collections::HashMap<(String, String), std::time::Instant>,
    /// The data key while unlocked (to enrol more accounts); None for unencrypted data.
    key: Option<DataKey>,
    /// The person logged in (encrypted installations).
    session: Option<hikae_auth::session::Session>,
    /// Screen locked: nothing is read or written until someone logs in again.
    locked: bool,
    /// Opened with `--demo` (see [`Hikae::open_demo`]).
    demo: bool,
    /// The keys trusted to sign staff rosters (pack keys are in `rules`).
    roster_keys: Vec<String>,
}

/// Autosave writes on every change; the audit log gets one "edit" per record, person and
/// this interval.
const EDIT_AUDIT_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl Hikae {
    /// Whether the data in `data_dir` is encrypted (a keyring exists): then it opens only
    /// after a login, with [`Hikae::open_with_key`].
    pub fn is_encrypted(data_dir: &Path) -> bool {
        Keyring::exists(data_dir)
    }

    /// What this data folder is: set up (encrypted; opens at a login), a demo made with
    /// `--demo`, or not set up yet (the first-run setup comes first).
    pub fn installation(data_dir: &Path) -> Installation {
        if Keyring::exists(data_dir) {
            Installation::Encrypted
        } else if data_dir.join(DEMO_MARKER).is_file() {
            Installation::Demo
        } else {
            Installation::NotSetUp
        }
    }

    /// Opens a demo folder (`--demo`): fictional data only, not encrypted, every page and
    /// screen marked デモ DEMO. A new folder becomes a demo folder; a folder with records that
    /// were not made in demo mode is refused (an administrator sets it up, which encrypts them),
    /// and encrypted data opens only at a login.
    pub fn open_demo(data_dir: &Path) -> Result<Hikae> {
        let marker = data_dir.join(DEMO_MARKER);
        match Self::installation(data_dir) {
            Installation::Encrypted => {
                return Err(Error::Locked(
                    "the data on this PC is encrypted: unlock it with a staff ID and PIN, or the recovery key".into(),
                ))
            }
            Installation::NotSetUp if data_dir.join(DB_FILE).exists() => {
                return Err(Error::BadState {
                    id: data_dir.display().to_string(),
                    reason: "this folder holds records that are not encrypted and were not made in demo mode: an administrator sets this PC up (the first-run screen, or `hikae setup`), which encrypts them; demo mode never opens them".into(),
                })
            }
            Installation::NotSetUp => {
                hikae_files::private_dir(data_dir)?;
                hikae_files::write_atomically(&marker, DEMO_MARKER_TEXT.as_bytes())?;
            }
            Installation::Demo => hikae_files::private_dir(data_dir)?,
        }
        let store = Store::open(&data_dir.join(DB_FILE))?;
        let mut app = Self::with_store(data_dir, store, false)?;
        app.demo = true;
        Ok(app)
    }

    /// Demo mode: nothing here is encrypted, and everything it prints says so.
    pub fn is_demo(&self) -> bool {
        self.demo
    }

    /// The page frame of a record's PDF, with the demo mark in demo mode.
    pub(crate) fn frame(&self, template: &Template, rec: &Record) -> hikae_doc::pdf::PageFrame {
        let mut f = pack_render::page_frame(template, rec);
        self.mark_demo(&mut f);
        f
    }

    /// Marks a page frame デモ DEMO in demo mode (unchanged otherwise).
    pub(crate) fn mark_demo(&self, f: &mut hikae_doc::pdf::PageFrame) {
        if self.demo {
            f.watermark = Some(DEMO_MARK.to_string());
            f.status_mark = Some(match f.status_mark.take() {
                Some(m) => format!("{DEMO_STATUS}・{m}"),
                None => DEMO_STATUS.to_string(),
            });
        }
    }

    /// Opens encrypted data with the data key from the keyring. A missing database file is
    /// an error here (never silently a new, empty one).
    pub fn open_with_key(data_dir: &Path, key: &DataKey) -> Result<Hikae> {
        hikae_files::private_dir(data_dir)?;
        let db = data_dir.join(DB_FILE);
        if !db.is_file() {
            return Err(Error::Database {
                path: db,
                message: "the encrypted database is missing (restore it from backup; the keyring alone holds no records)".into(),
            });
        }
        let store = match Store::open_encrypted(&db, &key.sqlcipher_literal()) {
            Ok(s) => s,
            // setup saved the keyring but was stopped before the database was encrypted:
            // finish it now (only if the file really is an unencrypted Hikae database)
            Err(e) if Store::is_unencrypted(&db) => {
                // only the database this PC's own setup named may be encrypted now: anything
                // else in its place was put there, and is refused untouched
                if !security::marker::names(data_dir, key, &db)? {
                    return Err(Error::Database {
                        path: db,
                        message: "an unencrypted database is where the encrypted one should be, and no setup on this PC named it: it is refused and left untouched (restore the encrypted database from backup and tell the administrator)".into(),
                    });
                }
                Store::encrypt_in_place(&db, &key.sqlcipher_literal()).map_err(|_| e)?;
                security::marker::remove(data_dir)?;
                Store::open_encrypted(&db, &key.sqlcipher_literal())?
            }
            Err(e) => return Err(e),
        };
        let mut app = Self::with_store(data_dir, store, true)?;
        app.key = Some(key.clone());
        Ok(app)
    }

    fn with_store(data_dir: &Path, mut store: Store, encrypted: bool) -> Result<Hikae> {
        let builtin = Arc::new(Pack::builtin().map_err(pack_error)?);
        let config = crate::config::load(data_dir)?;
        let keys = packs::trusted_keys(&mut store, &config, encrypted)?;
        let mut app = Hikae {
            store,
            builtin,
            installed: Vec::new(),
            older: Mutex::new(Vec::new()),
            packs: PackDir::new(data_dir),
            rules: Rules {
                trusted_keys: keys.packs,
                drill_mode: false,
            },
            roster_keys: keys.rosters,
            data_dir: data_dir.to_path_buf(),
            warnings: Vec::new(),
            actor: Actor::named(&format!(
                "os-user:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            )),
            edit_audited: std::collections::HashMap::new(),
            key: None,
            session: None,
            locked: false,
            demo: false,
        };
        app.load_installed();
        app.check_audit_anchor()?;
        Ok(app)
    }

    /// At every open: does the log still end where its anchor says? A cut-off tail, a
    /// rewritten entry, a deleted anchor or an older database put back are recorded in the log
    /// itself (an `audit_finding` entry, which `audit verify` reports from then on) and shown
    /// as a warning.
    fn check_audit_anchor(&mut self) -> Result<()> {
        let text = match self.store.audit_anchor() {
            Ok(anchor) => {
                let (last, at_anchor) = self.store.audit_head(anchor.as_ref().map(|a| a.0))?;
                let findings = hikae_domain::audit::check_anchor(last, anchor, at_anchor);
                if findings.is_empty() {
                    return Ok(());
                }
                findings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            // a damaged anchor file is a finding too, never a reason not to open
            Err(e) => format!("the audit anchor cannot be read: {e}"),
        };
        self.warnings.push(format!(
            "監査ログの異常 / audit log finding: {text} — tell the administrator"
        ));
        let e = Event::new(&Actor::named("hikae"), Action::AuditFinding)
            .failed()
            .detail(text);
        self.store.audit(&e).map(|_| ())
    }

    fn load_installed(&mut self) {
        self.installed.clear();
        self.warnings.clear();
        for v in self.packs.installed().into_iter().filter(|v| v.active) {
            // installed before the version was kept: kept from now on
            if let Ok(None) = self.store.trust_value(&packs::active_key(&v.id)) {
                if let Err(e) = self
                    .store
                    .set_trust_value(&packs::active_key(&v.id), &v.version)
                {
                    self.warnings.push(format!("installed pack {}: {e}", v.id));
                }
            }
            match self.verify_installed(&v) {
                Ok(p) => self.installed.push(Arc::new(p)),
                Err(e) => self.warnings.push(e),
            }
        }
    }

    /// Loads an installed pack version again (signature, hashes), refusing it when it is not
    /// the version this PC made active: that is kept in the encrypted store, so an `active`
    /// file edited back to an older version is a silent rollback, and is not used.
    fn verify_installed(
        &self,
        v: &hikae_packs::install::InstalledVersion,
    ) -> std::result::Result<Pack, String> {
        match self.store.trust_value(&packs::active_key(&v.id)) {
            Ok(Some(expected)) if expected != v.version => {
                return Err(format!(
                    "installed pack {} is not used: packs/{}/active says {}, but this PC made {expected} active (changed outside Hikae; install or roll back with `hikae pack`)",
                    v.id, v.id, v.version
                ))
            }
            Err(e) => return Err(format!("installed pack {} is not used: {e}", v.id)),
            _ => {}
        }
        self.packs
            .load(&v.id, &v.version, &self.rules)
            .map_err(|problems| {
                format!(
                    "installed pack {} {} is not used: {}",
                    v.id,
                    v.version,
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })
    }

    /// Who acts from now on (the person logged in, or the name given on the command line).
    pub fn set_actor(&mut self, actor: Actor) {
        self.actor = actor;
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// An audit event about `record` by the current actor, with the purpose and data category
    /// its template is approved for.
    fn record_event(&self, action: Action, record: &Record) -> Event {
        let mut e = Event::new(&self.actor, action);
        e.record_id = Some(record.id.clone());
        e.patient_id = Some(record.patient.id.clone());
        if let Ok(b) = self.template_of(record) {
            let scope = &b.template().scope;
            e.purpose = Some(scope.approved_uses.join("、")).filter(|s| !s.is_empty());
            e.data_category = Some(scope.data_categories.join("、")).filter(|s| !s.is_empty());
        }
        e.final_reviewer = record.final_reviewer.clone();
        e
    }

    /// Logs that a record left the store on paper, as a file, or on the clipboard. Call
    /// before handing the output over.
    pub fn audit_output(&mut self, id: &str, action: Action, detail: &str) -> Result<()> {
        self.require(Permission::Read)?;
        let rec = self.store.get(id)?;
        let e = self.record_event(action, &rec).detail(detail);
        self.store.audit(&e).map(|_| ())
    }

    /// Logs an event that concerns no record (login, settings, drills).
    pub(crate) fn audit(&mut self, e: Event) -> Result<()> {
        self.store.audit(&e).map(|_| ())
    }

    /// Test hook: the store itself, for tests that prove the database refuses what the API
    /// would never ask.
    #[cfg(feature = "test-support")]
    pub fn test_store(&self) -> &Store {
        &self.store
    }

    #[cfg(feature = "test-support")]
    pub fn test_store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Test hook: appends any event, as a forger with the app's API would.
    #[cfg(feature = "test-support")]
    pub fn append_audit_event(&mut self, e: Event) -> Result<()> {
        self.audit(e)
    }

    /// On an unencrypted PC the person at the keyboard names themselves on the start screen:
    /// every audit entry from now on names them, starting with this login.
    pub fn name_user(&mut self, name: &str) -> Result<()> {
        let name = name.trim();
        if self.key.is_some() {
            return Err(Error::Locked("log in with your staff ID and PIN".into()));
        }
        if name.is_empty() {
            return Err(Error::Input("a name is needed".into()));
        }
        let actor = Actor::named(name);
        self.set_actor(actor.clone());
        self.audit(
            Event::new(&actor, Action::Login)
                .detail("named on the start screen (no local account)"),
        )
    }

    /// A setting changed on the settings screen (language, text size, auto-lock): audited.
    pub fn audit_setting(&mut self, name: &str, value: &str) -> Result<()> {
        let e = Event::new(&self.actor, Action::Settings).detail(format!("{name} = {value}"));
        self.audit(e)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Packs offering templates for new records: installed ones, then the built-in pack
    /// unless an installed pack with its id replaces it.
    pub fn active_packs(&self) -> Vec<Arc<Pack>> {
        let mut out = self.installed.clone();
        if !out
            .iter()
            .any(|p| p.manifest.id == self.builtin.manifest.id)
        {
            out.push(self.builtin.clone());
        }
        out
    }

    /// Templates for new records (the first pack offering an id wins).
    pub fn templates(&self) -> Vec<Bound> {
        let mut out: Vec<Bound> = Vec::new();
        for pack in self.active_packs() {
            for t in &pack.templates {
                if !out.iter().any(|b| b.template().form.id == t.form.id) {
                    out.extend(Bound::find(&pack, &t.form.id));
                }
            }
        }
        out
    }

    /// The template new records of `id` are made with.
    pub fn template(&self, id: &str) -> Result<Bound> {
        self.active_packs()
            .iter()
            .find_map(|p| Bound::find(p, id))
            .ok_or_else(|| Error::TemplateNotFound(id.to_string()))
    }

    /// The exact pack version and template a record was made with, verified by hash.
    pub fn template_of(&self, record: &Record) -> Result<Bound> {
        let p = &record.provenance;
        let pack = self
            .pack_version(&p.pack_id, &p.pack_version)
            .map_err(|e| match e {
                Error::Pack { file, message } => Error::Pack {
                    file,
                    message: format!(
                        "record {} was made with this pack version, which is not available: {message}",
                        record.id
                    ),
                },
                other => other,
            })?;
        let bound = Bound::find(&pack, &p.template_id)
            .ok_or_else(|| Error::TemplateNotFound(p.template_id.clone()))?;
        if bound.template().hash != p.template_hash {
            return Err(Error::Pack {
                file: format!("{} {} / {}", p.pack_id, p.pack_version, p.template_id),
                message:
                    "the template differs from the one this record was made with (hash mismatch)"
                        .into(),
            });
        }
        Ok(bound)
    }

    /// A specific version of a pack: active, built in, or loaded from the pack folder.
    pub fn pack_version(&self, pack_id: &str, version: &str) -> Result<Arc<Pack>> {
        let matches = |pk: &Arc<Pack>| pk.manifest.id == pack_id && pk.manifest.version == version;
        if let Some(pk) = self
            .installed
            .iter()
            .chain(std::iter::once(&self.builtin))
            .find(|pk| matches(pk))
        {
            return Ok(pk.clone());
        }
        let mut older = self
            .older
            .lock()
            .map_err(|_| Error::Input("pack cache poisoned".into()))?;
        if let Some(pk) = older.iter().find(|pk| matches(pk)) {
            return Ok(pk.clone());
        }
        if pack_id == self.builtin.manifest.id {
            if let Some(earlier) = Pack::builtin_earlier(version) {
                let pk = Arc::new(earlier.map_err(pack_error)?);
                older.push(pk.clone());
                return Ok(pk);
            }
        }
        let loaded = Arc::new(self.packs.load(pack_id, version, &self.rules).map_err(
            |problems| {
                Error::Pack {
                    file: format!("{pack_id} {version}"),
                    message: problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            },
        )?);
        older.push(loaded.clone());
        Ok(loaded)
    }

    pub fn new_record(
        &mut self,
        template_id: &str,
        patient: Patient,
        author: &str,
        values: Values,
    ) -> Result<Record> {
        self.new_record_with(template_id, patient, author, values, None)
    }

    /// A new record; `paper` when it is typed in from a paper record written earlier (its
    /// original time and author are printed on it). A record made while a drill runs is a
    /// drill record; one made while a downtime is declared carries that downtime.
    pub fn new_record_with(
        &mut self,
        template_id: &str,
        patient: Patient,
        author: &str,
        values: Values,
        paper: Option<PaperOrigin>,
    ) -> Result<Record> {
        self.create_record(template_id, patient, author, values, paper, None, None)
    }

    /// A new record carrying fields from an earlier one (see `new_record_from_previous`).
    pub(crate) fn create_record_carried(
        &mut self,
        template_id: &str,
        patient: Patient,
        author: &str,
        values: Values,
        carried: hikae_domain::record::Carried,
    ) -> Result<Record> {
        self.create_record(
            template_id,
            patient,
            author,
            values,
            None,
            None,
            Some(carried),
        )
    }

    /// A new record whose `values` were taken from the ward snapshot (see
    /// `new_record_from_snapshot`).
    pub(crate) fn new_record_prefilled(
        &mut self,
        template_id: &str,
        patient: Patient,
        author: &str,
        values: Values,
        prefill: hikae_domain::record::Prefilled,
    ) -> Result<Record> {
        self.create_record(
            template_id,
            patient,
            author,
            values,
            None,
            Some(prefill),
            None,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn create_record(
        &mut self,
        template_id: &str,
        patient: Patient,
        author: &str,
        values: Values,
        paper: Option<PaperOrigin>,
        prefill: Option<hikae_domain::record::Prefilled>,
        carried: Option<hikae_domain::record::Carried>,
    ) -> Result<Record> {
        if patient.id.trim().is_empty() || patient.name.trim().is_empty() {
            return Err(Error::Input(
                "a record needs the patient's ID and name".into(),
            ));
        }
        if author.trim().is_empty() {
            return Err(Error::Input("a record needs its author".into()));
        }
        self.require(Permission::WriteDraft)?;
        let bound = self.template(template_id)?;
        let t = bound.template();
        let problems = t.form.check_draft(&values);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let provenance = Provenance {
            pack_id: bound.pack.manifest.id.clone(),
            pack_version: bound.pack.manifest.version.clone(),
            template_id: t.form.id.clone(),
            template_version: t.form.version.clone(),
            template_hash: t.hash.clone(),
        };
        let mut e = Event::new(&self.actor, Action::Create);
        e.purpose = Some(t.scope.approved_uses.join("、")).filter(|s| !s.is_empty());
        e.data_category = Some(t.scope.data_categories.join("、")).filter(|s| !s.is_empty());
        let mut context = self.context_now(paper)?;
        context.prefill = prefill;
        let mut detail = format!(
            "{} ({} {})",
            t.form.id, bound.pack.manifest.id, bound.pack.manifest.version
        );
        if let Some(c) = &carried {
            detail.push_str(&format!(
                "; carried from {} (v{}): {}",
                c.from_record,
                c.from_version,
                c.fields.join(", ")
            ));
        }
        context.carried = carried;
        for line in pack_render::context_lines(&context) {
            detail.push_str("; ");
            detail.push_str(&line);
        }
        e.detail = Some(detail);
        self.store.audit_with_next_write(e);
        self.store.create(NewRecord {
            patient,
            provenance,
            author: author.trim().to_string(),
            values,
            context,
        })
    }

    /// Merges `patch` into a draft and saves it in one transaction. Returns the saved record
    /// and what would still stop it from being finalized.
    pub fn update(&mut self, id: &str, patch: Values) -> Result<(Record, Vec<FieldError>)> {
        self.require(Permission::WriteDraft)?;
        let rec = self.store.get(id)?;
        let mut values = rec.values.clone();
        values.extend(patch);
        self.save(&rec, values)
    }

    /// Replaces all values of a draft (the desktop form's autosave).
    pub fn replace(&mut self, id: &str, values: Values) -> Result<(Record, Vec<FieldError>)> {
        self.require(Permission::WriteDraft)?;
        let rec = self.store.get(id)?;
        self.save(&rec, values)
    }

    fn save(&mut self, rec: &Record, values: Values) -> Result<(Record, Vec<FieldError>)> {
        self.require(Permission::WriteDraft)?;
        let bound = self.template_of(rec)?;
        let form = &bound.template().form;
        let problems = form.check_draft(&values);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let remaining = form.validate(&values);
        let key = (rec.id.clone(), self.actor.id.clone());
        let due = self
            .edit_audited
            .get(&key)
            .is_none_or(|t| t.elapsed() >= EDIT_AUDIT_EVERY);
        if due {
            let e = self.record_event(Action::Edit, rec);
            self.store.audit_with_next_write(e);
        }
        let saved = match &rec.context.carried {
            Some(c) => {
                let mut context = rec.context.clone();
                let mut c = c.clone();
                c.confirm_edited(&values);
                context.carried = Some(c);
                self.store
                    .save_values_with_context(&rec.id, &values, &context)?
            }
            None => self.store.save_values(&rec.id, &values)?,
        };
        if due {
            self.edit_audited.insert(key, std::time::Instant::now());
        }
        Ok((saved, remaining))
    }

    pub fn validate(&self, id: &str) -> Result<Vec<FieldError>> {
        self.require(Permission::Read)?;
        let rec = self.store.get(id)?;
        Ok(self
            .template_of(&rec)?
            .template()
            .form
            .validate(&rec.values))
    }

    /// Validates, normalizes and finalizes a draft. `final_reviewer` is the person
    /// responsible for the content (最終確認者).
    pub fn finalize(&mut self, id: &str, final_reviewer: &str) -> Result<Record> {
        self.finalize_confirming(id, final_reviewer, false)
    }

    /// Finalizes; `confirm_carried`: the reviewer confirms that fields carried over from an
    /// earlier record and not edited are still true (without it such a record is refused).
    pub fn finalize_confirming(
        &mut self,
        id: &str,
        final_reviewer: &str,
        confirm_carried: bool,
    ) -> Result<Record> {
        if final_reviewer.trim().is_empty() {
            return Err(Error::Input(
                "finalizing needs the final reviewer (最終確認者)".into(),
            ));
        }
        let rec = self.store.get(id)?;
        self.require(Permission::Finalize {
            template_id: &rec.provenance.template_id,
        })?;
        let bound = self.template_of(&rec)?;
        let form = &bound.template().form;
        let problems = form.validate(&rec.values);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let unconfirmed = Self::unconfirmed_carried(&rec);
        if !unconfirmed.is_empty() && !confirm_carried {
            return Err(Error::BadState {
                id: rec.id.clone(),
                reason: format!(
                    "carried over from an earlier record and not yet confirmed: {} (confirm each, or confirm them all when finalizing)",
                    unconfirmed.join("、")
                ),
            });
        }
        let rec = if unconfirmed.is_empty() {
            rec
        } else {
            // the reviewer confirmed them all: the footer and the log say so
            let mut context = rec.context.clone();
            if let Some(c) = context.carried.as_mut() {
                c.confirmed = c.fields.clone();
            }
            let e = self.record_event(Action::Edit, &rec).detail(format!(
                "carried fields confirmed at finalize: {}",
                unconfirmed.join("、")
            ));
            self.store.audit_with_next_write(e);
            self.store
                .save_values_with_context(&rec.id, &rec.values, &context)?
        };
        let values = form.normalize(&rec.values);
        let mut e = self.record_event(Action::Finalize, &rec);
        e.final_reviewer = Some(final_reviewer.trim().to_string());
        self.store.audit_with_next_write(e);
        let done = self
            .store
            .finalize(&rec.id, &values, final_reviewer.trim())?;
        self.keep_pdf(&done);
        self.keep_sources(&done);
        Ok(done)
    }

    /// Renders a record just finalized once and keeps the bytes (what sync sends and print
    /// reuses). Drill records are never sent, so nothing is kept for them. A failure here
    /// only means it is rendered later, when needed.
    fn keep_pdf(&mut self, rec: &Record) {
        if rec.context.drill_id.is_some() {
            return;
        }
        let Ok(b) = self.template_of(rec) else {
            return;
        };
        let frame = self.frame(b.template(), rec);
        if let Ok(pdf) = pack_render::pdf_framed(&b.pack, b.template(), rec, frame) {
            if let Err(e) = self.store.keep_pdf(&rec.id, &rec.patient, &pdf.bytes) {
                self.warnings
                    .push(format!("record {}: its PDF was not kept: {e}", rec.id));
            }
        }
    }

    /// The PDF bytes of a record: the kept ones for a finalized record printed for the same
    /// patient identity, else rendered now.
    pub(crate) fn pdf_bytes(&self, rec: &Record) -> Result<Vec<u8>> {
        if rec.status == hikae_domain::record::Status::Finalized {
            if let Some(b) = self.store.kept_pdf(&rec.id, &rec.patient)? {
                return Ok(b);
            }
        }
        let b = self.template_of(rec)?;
        Ok(
            pack_render::pdf_framed(&b.pack, b.template(), rec, self.frame(b.template(), rec))?
                .bytes,
        )
    }

    pub fn correct(&mut self, id: &str, reason: &str, author: &str) -> Result<Record> {
        self.require(Permission::WriteDraft)?;
        if reason.trim().is_empty() {
            return Err(Error::Input("a correction needs a reason".into()));
        }
        let old = self.store.get(id)?;
        if let Some(d) = self.store.active_drill()? {
            if old.context.drill_id.is_none() {
                // the correction would be a real record; sent, it would supersede the real one
                return Err(Error::Conflict(format!(
                    "drill {} is running: correct real records after it ends",
                    d.id
                )));
            }
        }
        let downtime = self.store.active_downtime()?.map(|d| d.mark());
        let e = self.record_event(Action::Correct, &old).detail(format!(
            "correction of {}: {}",
            old.id,
            reason.trim()
        ));
        let mut e = e;
        // the entry names the new version, which the store fills in
        e.record_id = None;
        self.store.audit_with_next_write(e);
        let out = self
            .store
            .correct(id, reason.trim(), author.trim(), downtime);
        if out.is_err() {
            // refused: the queued entry must not attach itself to the next write
            self.store.discard_pending_audit();
        }
        out
    }

    /// A record for a person to see: logged as a view.
    pub fn view(&mut self, id: &str) -> Result<Record> {
        self.require(Permission::Read)?;
        let rec = self.store.get(id)?;
        let e = self.record_event(Action::View, &rec);
        self.store.audit(&e)?;
        Ok(rec)
    }

    /// Patients of the latest records (one click in "new record"). Kept in the encrypted
    /// store, never in the webview's storage.
    pub fn recent_patients(&self, limit: usize) -> Result<Vec<Patient>> {
        self.require(Permission::Read)?;
        self.store.recent_patients(limit)
    }

    /// A record for internal use (no audit entry: nothing is shown to anyone).
    pub fn get(&self, id: &str) -> Result<Record> {
        self.require(Permission::Read)?;
        self.store.get(id)
    }

    pub fn search(&self, q: &Query) -> Result<Vec<Record>> {
        self.require(Permission::Read)?;
        self.store.search(q)
    }

    pub fn pdf(&self, id: &str) -> Result<Pdf> {
        self.require(Permission::Read)?;
        let rec = self.store.get(id)?;
        let b = self.template_of(&rec)?;
        pack_render::pdf_framed(&b.pack, b.template(), &rec, self.frame(b.template(), &rec))
    }

    /// The HTML fragment of the on-screen preview: the same HTML the PDF is laid out from.
    /// Shown to a person, so logged as a view: once per record, person and
    /// `EDIT_AUDIT_EVERY` (the preview follows every autosave while someone writes).
    pub fn preview_html(&mut self, id: &str) -> Result<String> {
        self.require(Permission::Read)?;
        let rec = self.store.get(id)?;
        self.preview_of(&rec)
    }

    /// As [`Hikae::preview_html`], of a record the caller already holds (the autosave returns
    /// it with the save: one round trip per change, not two).
    pub fn preview_of(&mut self, rec: &Record) -> Result<String> {
        self.require(Permission::Read)?;
        let b = self.template_of(rec)?;
        let html = pack_render::preview_html(&b.pack, b.template(), rec)?;
        let key = (format!("view {}", rec.id), self.actor.id.clone());
        if self
            .edit_audited
            .get(&key)
            .is_none_or(|t| t.elapsed() >= EDIT_AUDIT_EVERY)
        {
            let e = self.record_event(Action::View, rec).detail("preview");
            self.store.audit(&e)?;
            self.edit_audited.insert(key, std::time::Instant::now());
        }
        Ok(html)
    }

    /// The full id a person typed a unique prefix of (6+ characters; the CLI). Every other use
    /// case takes whole ids only.
    pub fn resolve_id(&self, prefix: &str) -> Result<String> {
        self.require(Permission::Read)?;
        self.store.resolve_id(prefix.trim())
    }

    /// The later version that corrects `id`, if one was made.
    pub fn superseded_by(&self, id: &str) -> Result<Option<String>> {
        self.require(Permission::Read)?;
        self.store.superseded_by(id)
    }

    pub fn html(&self, id: &str) -> Result<String> {
        self.require(Permission::Read)?;
        let rec = self.store.get(id)?;
        let b = self.template_of(&rec)?;
        pack_render::html_page(&b.pack, b.template(), &rec)
    }

    pub fn text(&self, id: &str) -> Result<String> {
        self.require(Permission::Read)?;
        let rec = self.store.get(id)?;
        let b = self.template_of(&rec)?;
        pack_render::text(&b.pack, b.template(), &rec)
    }

    // --- template packs (administrators) ---
}
