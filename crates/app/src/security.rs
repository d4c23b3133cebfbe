//! Setting up encryption at rest on a ward PC, and unlocking it.

use std::path::Path;

use chrono::Utc;

use super::{Hikae, DB_FILE};
use hikae_auth::attempts::{Attempts, Record as LoginFailures};
use hikae_auth::keyring::Opened;
use hikae_auth::keyring::{check_secret, new_recovery_key};
use hikae_auth::roster::{Roster, StaffRole};
use hikae_auth::session::{allowed, refusal, Permission, Session};
use hikae_auth::{DataKey, Keyring, SlotKind};
use hikae_domain::audit::{Action, Actor, Event};
use hikae_domain::error::{Error, Result};
use hikae_store::Store;

/// Trust settings kept in the encrypted store.
const SETUP_ADMIN: &str = "setup_admin";
const PASSPHRASE_POLICY: &str = "policy:passphrases";

/// The TPM setup binds PINs to: the configured one, if any (`HIKAE_TPM_TCTI=none` for none).
fn hikae_tpm_tcti() -> Option<String> {
    hikae_tpm::configured()
}

/// What protects a data folder at rest, as the start screen and `hikae status` say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// PINs sealed to this PC's TPM (a copy is useless elsewhere; the TPM limits guesses).
    Tpm,
    /// No TPM; every way in is a passphrase of 12+ characters.
    Passphrase,
    /// PINs without a TPM: a copied data folder can be guessed offline.
    Pin,
    /// `--demo`: not encrypted at all (fictional data only).
    Demo,
    /// Nothing set up yet.
    NotSetUp,
}

impl Protection {
    pub fn code(self) -> &'static str {
        match self {
            Protection::Tpm => "tpm",
            Protection::Passphrase => "passphrase",
            Protection::Pin => "pin",
            Protection::Demo => "demo",
            Protection::NotSetUp => "none",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Protection::Tpm => "暗号化・TPM保護 / encrypted, PINs sealed to this PC's TPM 2.0 (a copied disk opens nothing elsewhere; the TPM limits guesses here)",
            Protection::Passphrase => "暗号化・パスフレーズ / encrypted, passphrases of 12+ characters (no TPM)",
            Protection::Pin => "暗号化・PINのみ / encrypted with PINs only, no TPM: a copied data folder can be guessed offline (see docs/SECURITY.md)",
            Protection::Demo => "デモ・暗号化なし / demo mode: NOT encrypted, fictional data only",
            Protection::NotSetUp => "未設定 / not set up: an administrator runs the first-run setup",
        }
    }
}
const ROSTER_FLOOR: &str = "floor:roster";

/// A roster as offered by the hospital's server, not yet checked.
pub struct FetchedRoster {
    pub url: String,
    pub text: String,
    pub signature: Option<String>,
}

/// What `setup_encryption` made: the recovery key is shown once and never stored in clear.
pub struct Setup {
    pub recovery_key: String,
}

impl Hikae {
    /// Encrypts this PC's data: a new random data key, wrapped for the first administrator,
    /// for a recovery key (returned, to be printed and kept in a safe) and for the ward's
    /// emergency (break-glass) code. An existing unencrypted database is encrypted in place.
    pub fn setup_encryption(
        data_dir: &Path,
        admin_id: &str,
        admin_secret: &str,
        emergency_code: &str,
    ) -> Result<Setup> {
        Self::setup_steps(data_dir, admin_id, admin_secret, emergency_code, false)
    }

    /// Test hook: setup as if the power went off after the keyring was saved and before the
    /// database was encrypted.
    #[cfg(feature = "test-support")]
    pub fn setup_encryption_interrupted(
        data_dir: &Path,
        admin_id: &str,
        admin_secret: &str,
        emergency_code: &str,
    ) -> Result<Setup> {
        Self::setup_steps(data_dir, admin_id, admin_secret, emergency_code, true)
    }

    fn setup_steps(
        data_dir: &Path,
        admin_id: &str,
        admin_secret: &str,
        emergency_code: &str,
        interrupt: bool,
    ) -> Result<Setup> {
        if Keyring::exists(data_dir) {
            return Err(Error::BadState {
                id: Keyring::path_in(data_dir).display().to_string(),
                reason: "encryption is already set up on this PC".into(),
            });
        }
        if admin_id.trim().is_empty() {
            return Err(Error::Input(
                "the administrator's staff ID is needed".into(),
            ));
        }
        check_secret(SlotKind::Account, admin_secret)?;
        check_secret(SlotKind::Emergency, emergency_code)?;
        hikae_files::private_dir(data_dir)?;
        let key = DataKey::generate();
        let recovery_key = new_recovery_key();
        let mut ring = Keyring::new(data_dir);
        // where the PC has a TPM, every PIN is sealed to it as well
        if let Some(tcti) = hikae_tpm_tcti() {
            ring.bind_to_tpm(&tcti);
        }
        ring.add(SlotKind::Account, admin_id.trim(), admin_secret, &key)?;
        ring.add(SlotKind::Recovery, "recovery", &recovery_key, &key)?;
        ring.add(SlotKind::Emergency, "emergency", emergency_code, &key)?;
        let db = data_dir.join(DB_FILE);
        if db.is_file() {
            // make sure it is ours and current before rewriting it, then name it (by its hash,
            // under the data key) as the one database an interrupted setup may still encrypt
            let mut store = Store::open(&db)?;
            store.set_trust_value(SETUP_ADMIN, admin_id.trim())?;
            drop(store);
            Store::settle_for_encryption(&db)?;
            marker::write(data_dir, &key, &db)?;
        }
        // keyring first: if the encryption below is interrupted, the next unlock finishes it
        // (see `open_with_key`); the other order could leave encrypted data without its key
        ring.save()?;
        if interrupt {
            return Ok(Setup { recovery_key });
        }
        if db.is_file() {
            Store::encrypt_in_place(&db, &key.sqlcipher_literal())?;
            marker::remove(data_dir)?;
        } else {
            drop(Store::open_encrypted(&db, &key.sqlcipher_literal())?);
        }
        // a demo folder set up for real is a demo no longer
        let demo = data_dir.join(super::DEMO_MARKER);
        if demo.exists() {
            std::fs::remove_file(&demo).map_err(|e| Error::io(&demo, e))?;
        }
        let mut app = Hikae::open_with_key(data_dir, &key)?;
        app.set_actor(Actor::named(admin_id.trim()));
        // the one account that administers the PC until a roster says otherwise, recorded
        // where no file writer can change it
        let e = Event::new(&Actor::named(admin_id.trim()), Action::Settings).detail(format!(
            "encryption at rest set up (account, recovery and emergency slots; {}); setup administrator {}",
            if ring.tpm_bound() { "PINs sealed to this PC's TPM" } else { "no TPM" },
            admin_id.trim()
        ));
        if app.store.trust_value(SETUP_ADMIN)?.is_none() {
            app.store.audit_with_next_write(e);
            app.store.set_trust_value(SETUP_ADMIN, admin_id.trim())?;
        } else {
            app.audit(e)?;
        }
        Ok(Setup { recovery_key })
    }

    /// What protects `data_dir` (read before anyone logs in; the keyring says which slots are
    /// sealed to the TPM and which secrets are passphrases).
    pub fn protection(data_dir: &Path) -> Protection {
        match Hikae::installation(data_dir) {
            super::Installation::Demo => Protection::Demo,
            super::Installation::NotSetUp => Protection::NotSetUp,
            super::Installation::Encrypted => match Keyring::load(data_dir) {
                Ok(ring) => match ring.protection() {
                    hikae_auth::keyring::Protection::Tpm => Protection::Tpm,
                    hikae_auth::keyring::Protection::Passphrase => Protection::Passphrase,
                    hikae_auth::keyring::Protection::Pin => Protection::Pin,
                },
                Err(_) => Protection::Pin,
            },
        }
    }

    /// The protection in force, with the TPM's lockout settings and the ways in that are
    /// PINs: what `hikae status` shows an administrator.
    pub fn protection_report(&self) -> Result<Vec<String>> {
        let p = if self.demo {
            Protection::Demo
        } else {
            Hikae::protection(&self.data_dir)
        };
        let mut out = vec![p.describe().to_string()];
        if p == Protection::Tpm {
            if let Some(tcti) = hikae_tpm::configured() {
                match hikae_tpm::Tpm::open(&tcti).and_then(|mut t| t.lockout()) {
                    Ok(l) => {
                        out.push(format!(
                            "TPM {tcti}: after {} wrong PINs it refuses every PIN, then forgives one every {} s ({} counted now)",
                            l.max_tries, l.recovery_secs, l.failures
                        ));
                        let pc = hikae_auth::attempts::PC_FREE_FAILURES;
                        if l.max_tries < pc {
                            out.push(format!(
                                "warning: the TPM locks after {} failures, before Hikae's own limit of {pc} per PC: a few typos can stop every PIN login for {} s; ask IT to set the TPM's maxTries to {pc} or more (tpm2_dictionarylockout)",
                                l.max_tries, l.recovery_secs
                            ));
                        }
                    }
                    Err(e) => out.push(format!("TPM {tcti}: {e}")),
                }
            }
        }
        if self.key.is_some() {
            let policy = self.passphrase_policy()?;
            out.push(format!(
                "passphrase policy: {}",
                if policy {
                    "on (every new PIN must be a passphrase of 12+ characters)"
                } else {
                    "off"
                }
            ));
            let pins = Keyring::load(&self.data_dir)?.pin_slots();
            if p == Protection::Tpm && pins.iter().any(|(k, _)| *k == SlotKind::Emergency) {
                out.push("warning: the emergency code is a PIN, and it is not under the TPM's lockout (so that others' wrong PINs never block break-glass): on this PC it can be guessed offline in hours; use a code of 10+ characters".into());
            }
            if !pins.is_empty() && p != Protection::Tpm {
                out.push(format!(
                    "ways in that are PINs or short passphrases: {}",
                    pins.iter()
                        .map(|(k, i)| format!("{} {i}", k.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Ok(out)
    }

    /// Turns the passphrase policy on or off (administrators; audited). On: every new PIN and
    /// emergency code must be a passphrase of 12+ characters; refused while any way in is
    /// still a PIN (each is re-enrolled with a passphrase first), so the policy never claims
    /// more than the keyring holds.
    pub fn set_passphrase_policy(&mut self, on: bool) -> Result<()> {
        self.require(Permission::Administer)?;
        if on {
            let pins = Keyring::load(&self.data_dir)?.pin_slots();
            if !pins.is_empty() {
                return Err(Error::Conflict(format!(
                    "these ways in are PINs or passphrases shorter than {} characters: {}; enrol each again with a passphrase (or change the emergency code) first",
                    hikae_auth::keyring::PASSPHRASE_MIN,
                    pins.iter()
                        .map(|(k, i)| format!("{} {i}", k.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let e = Event::new(&self.actor, Action::Settings).detail(format!(
            "passphrase policy {}",
            if on { "on" } else { "off" }
        ));
        self.store.audit_with_next_write(e);
        self.store
            .set_trust_value(PASSPHRASE_POLICY, if on { "on" } else { "off" })
    }

    fn passphrase_policy(&self) -> Result<bool> {
        Ok(self.store.trust_value(PASSPHRASE_POLICY)?.as_deref() == Some("on"))
    }

    fn check_policy(&self, secret: &str) -> Result<()> {
        if self.passphrase_policy()?
            && hikae_auth::keyring::SecretClass::of(secret)
                != hikae_auth::keyring::SecretClass::Passphrase
        {
            return Err(Error::Input(format!(
                "the administrator's policy on this PC requires a passphrase of at least {} characters (not only digits)",
                hikae_auth::keyring::PASSPHRASE_MIN
            )));
        }
        Ok(())
    }

    /// First login on a locked PC: checks the lockout, the PIN (which unwraps the data key)
    /// and the roster, opens the data and starts the session. `Ok(None)` for a wrong staff ID
    /// or PIN (counted); `Err(Locked)` while the ID is locked out.
    pub fn unlock(data_dir: &Path, staff_id: &str, secret: &str) -> Result<Option<Hikae>> {
        let id = staff_id.trim();
        let mut attempts = Attempts::load(data_dir)?;
        attempts.check(id, Utc::now())?;
        let mut ring = Keyring::load(data_dir)?;
        let Some(opened) = ring.unlock_all(SlotKind::Account, id, secret)? else {
            attempts.failed(id, Utc::now())?;
            return Ok(None);
        };
        let mut app =
            Hikae::open_opened(data_dir, &mut ring, SlotKind::Account, id, secret, opened)?;
        app.finish_login(id, &mut attempts)?;
        Ok(Some(app))
    }

    /// Opens the data with what a secret opened in its slot: the current key, or (after a key
    /// rotation that was interrupted before the database was rekeyed) the previous one, and
    /// then finishes the rotation. A slot made before key rotation existed is renewed.
    fn open_opened(
        data_dir: &Path,
        ring: &mut Keyring,
        kind: SlotKind,
        id: &str,
        secret: &str,
        opened: Opened,
    ) -> Result<Hikae> {
        let Opened {
            key,
            previous,
            legacy,
        } = opened;
        let app = match (Hikae::open_with_key(data_dir, &key), &previous) {
            (Ok(app), _) => app,
            (Err(e), Some(prev)) => {
                let mut app = Hikae::open_with_key(data_dir, prev).map_err(|_| e)?;
                app.store.rekey(&key.sqlcipher_literal())?;
                app.key = Some(key.clone());
                app
            }
            (Err(e), None) => return Err(e),
        };
        if previous.is_some() {
            ring.finish_rekey();
            ring.save()?;
        }
        if legacy {
            // a slot from before key rotation: renewed now that its secret is at hand
            ring.add(kind, id, secret, &key)?;
            ring.save()?;
        }
        Ok(app)
    }

    /// Login on an open app (after a lock, or another person taking over the PC).
    /// `Ok(false)` for a wrong staff ID or PIN (counted and audited).
    pub fn login(&mut self, staff_id: &str, secret: &str) -> Result<bool> {
        let id = staff_id.trim();
        let mut attempts = Attempts::load(&self.data_dir)?;
        attempts.check(id, Utc::now())?;
        let ring = Keyring::load(&self.data_dir)?;
        let opened = ring.unlock_all(SlotKind::Account, id, secret)?;
        // the key the data is open with, or (during an unfinished rotation) the one before
        let same = match (&opened, &self.key) {
            (Some(o), Some(mine)) => {
                o.key.sqlcipher_literal() == mine.sqlcipher_literal()
                    || o.previous
                        .as_ref()
                        .is_some_and(|p| p.sqlcipher_literal() == mine.sqlcipher_literal())
            }
            _ => false,
        };
        if !same {
            attempts.failed(id, Utc::now())?;
            self.audit_failures(&mut attempts)?;
            return Ok(false);
        }
        self.finish_login(id, &mut attempts)?;
        Ok(true)
    }

    /// The roster decides the name and role; failures since the last login are logged now
    /// (they happened while the data was closed).
    fn finish_login(&mut self, id: &str, attempts: &mut Attempts) -> Result<()> {
        self.audit_failures(attempts)?;
        let roster = self.checked_roster()?;
        let (name, role) = match (&roster, roster.as_ref().and_then(|r| r.get(id))) {
            (_, Some(staff)) => (staff.name.clone(), staff.role),
            // before any roster is installed, only the administrator recorded at setup (in
            // the encrypted store) administers the PC
            (None, None) if self.store.trust_value(SETUP_ADMIN)?.as_deref() == Some(id) => {
                (id.to_string(), StaffRole::Admin)
            }
            (None, None) => {
                let e = Event::new(&Actor::named(id), Action::LoginFailed)
                    .failed()
                    .detail("no staff roster installed, and not the setup administrator");
                self.store.audit(&e)?;
                return Err(Error::Forbidden(format!(
                    "no staff roster is installed on this PC yet, and {id} is not the administrator who set it up: install the roster first"
                )));
            }
            (Some(r), None) => {
                let e = Event::new(&Actor::named(id), Action::LoginFailed)
                    .failed()
                    .detail(format!("not on the staff roster (version {})", r.version));
                self.store.audit(&e)?;
                return Err(Error::Forbidden(format!(
                    "{id} is not on this PC's staff roster (version {}); ask an administrator",
                    r.version
                )));
            }
        };
        attempts.succeeded(id)?;
        let session = Session::new(id, &name, role);
        self.start_session(session, Action::Login, "PIN")
    }

    /// Writes the failed logins that waited (at the start screen, while the data was closed)
    /// to the audit log, one entry each with the ID tried and when.
    fn audit_failures(&mut self, attempts: &mut Attempts) -> Result<()> {
        let (failures, dropped) = attempts.unaudited();
        for f in failures {
            let e = Event::new(&Actor::named(&f.id), Action::LoginFailed)
                .failed()
                .detail(format!(
                    "wrong staff ID or PIN at {}",
                    hikae_domain::audit::ts(f.at)
                ));
            self.store.audit(&e)?;
        }
        if dropped > 0 {
            let e = Event::new(&Actor::named("-"), Action::LoginFailed)
                .failed()
                .detail(format!("{dropped} more wrong PINs (counted, not listed)"));
            self.store.audit(&e)?;
        }
        attempts.audited()
    }

    /// Failed-login counts on this PC (per ID, and the PC's own budget), for the administrator.
    pub fn lockouts(&self) -> Result<(Vec<(String, LoginFailures)>, LoginFailures)> {
        self.require(Permission::Administer)?;
        let a = Attempts::load(&self.data_dir)?;
        Ok((
            a.all().map(|(id, r)| (id.to_string(), r.clone())).collect(),
            a.pc().clone(),
        ))
    }

    /// An administrator lifts a lockout: one staff ID, or (None) every ID and this PC's
    /// budget. Audited.
    pub fn reset_lockout(&mut self, staff_id: Option<&str>) -> Result<usize> {
        self.require(Permission::Administer)?;
        let mut a = Attempts::load(&self.data_dir)?;
        let n = a.reset(staff_id.map(str::trim))?;
        let what = match staff_id {
            Some(id) => format!("login lockout reset for {}", id.trim()),
            None => "login lockout reset for every staff ID and this PC".into(),
        };
        let e = Event::new(&self.actor, Action::Settings).detail(what);
        self.audit(e)?;
        Ok(n)
    }

    fn start_session(&mut self, session: Session, action: Action, how: &str) -> Result<()> {
        self.actor = session.actor();
        let detail = match &session.break_glass {
            Some(b) => format!(
                "{how}; reason: {}; until {}",
                b.reason,
                hikae_domain::audit::ts(b.expires_at)
            ),
            None => format!("{how}; role {}", session.role.as_str()),
        };
        let returning = self.locked
            && self
                .session
                .as_ref()
                .is_some_and(|s| s.staff_id == session.staff_id);
        self.session = Some(session);
        self.locked = false;
        let action = if returning { Action::Unlock } else { action };
        let e = Event::new(&self.actor, action).detail(detail);
        self.audit(e)
    }

    /// Emergency access when a person has no account here or central authentication is down:
    /// name, role and reason, plus the ward's emergency code (kept sealed at the station).
    /// The session is marked, expires after `BREAK_GLASS_HOURS`, is shown on screen and
    /// listed for review (`hikae audit list --break-glass`).
    pub fn break_glass(
        data_dir: &Path,
        name: &str,
        role: StaffRole,
        reason: &str,
        emergency_code: &str,
    ) -> Result<Hikae> {
        if name.trim().is_empty() || reason.trim().is_empty() {
            return Err(Error::Input(
                "break-glass access needs your name and a reason".into(),
            ));
        }
        if role == StaffRole::Admin {
            return Err(Error::Forbidden(
                "break-glass access is for patient care; administrators log in with their own account".into(),
            ));
        }
        let id = "break-glass";
        let mut attempts = Attempts::load(data_dir)?;
        // others' wrong PINs must not block emergency access: only its own count applies
        attempts.check_id(id, Utc::now())?;
        let ring = Keyring::load(data_dir)?;
        if ring.slot(SlotKind::Emergency, "emergency").is_none() {
            return Err(Error::Forbidden(
                "break-glass access is disabled on this PC; ask an administrator".into(),
            ));
        }
        let Some(opened) = ring.unlock_all(SlotKind::Emergency, "emergency", emergency_code)?
        else {
            attempts.failed(id, Utc::now())?;
            return Err(Error::Locked("the emergency code is not right".into()));
        };
        let mut ring = ring;
        let mut app = Hikae::open_opened(
            data_dir,
            &mut ring,
            SlotKind::Emergency,
            "emergency",
            emergency_code,
            opened,
        )?;
        app.audit_failures(&mut attempts)?;
        attempts.succeeded(id)?;
        let session = Session::emergency(name.trim(), role, reason.trim(), Utc::now());
        app.start_session(session, Action::BreakGlass, "emergency code")?;
        Ok(app)
    }

    /// Locks the screen: nothing is read or written until someone logs in again (the same
    /// person returns to their screen; anyone else starts a session of their own).
    pub fn lock(&mut self) -> Result<()> {
        if self.locked {
            return Ok(());
        }
        let e = Event::new(&self.actor, Action::Lock);
        self.audit(e)?;
        self.locked = true;
        Ok(())
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Refuses what the logged-in person's role may not do. Unencrypted installations
    /// (development, demos) have no accounts, so nothing is refused there without a session.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.locked {
            return Err(Error::Locked(
                "the screen is locked: log in to continue".into(),
            ));
        }
        match &self.session {
            Some(s) if s.expired(Utc::now()) => Err(Error::Locked(
                "break-glass access has expired: log in again (or renew it with a reason)".into(),
            )),
            Some(s) if !allowed(s.role, &p) => Err(Error::Forbidden(refusal(s.role, &p))),
            Some(_) => Ok(()),
            // only a demo folder (fictional data, --demo) has no accounts
            None if self.demo => Ok(()),
            None => Err(Error::Locked("log in first".into())),
        }
    }

    /// Unlocks with the administrator's recovery key.
    pub fn unlock_with_recovery_key(data_dir: &Path, recovery_key: &str) -> Result<Option<Hikae>> {
        let ring = Keyring::load(data_dir)?;
        let Some(opened) = ring.unlock_all(SlotKind::Recovery, "recovery", recovery_key.trim())?
        else {
            return Ok(None);
        };
        let mut ring = ring;
        let mut app = Hikae::open_opened(
            data_dir,
            &mut ring,
            SlotKind::Recovery,
            "recovery",
            recovery_key.trim(),
            opened,
        )?;
        app.audit_failures(&mut Attempts::load(data_dir)?)?;
        let session = Session::new("recovery", "recovery key", StaffRole::Admin);
        app.start_session(session, Action::Login, "recovery key")?;
        Ok(Some(app))
    }

    /// Gives `staff_id` their own way in: a keyring slot under their PIN or passphrase.
    /// Needs the data unlocked. Audited.
    pub fn enrol(&mut self, staff_id: &str, secret: &str) -> Result<()> {
        self.require(Permission::Administer)?;
        let key = self.key.clone().ok_or_else(|| {
            Error::Locked(
                "enrolling needs the data unlocked (it is not encrypted yet: run setup)".into(),
            )
        })?;
        if staff_id.trim().is_empty() {
            return Err(Error::Input("a staff ID is needed".into()));
        }
        self.check_policy(secret)?;
        let mut ring = Keyring::load(&self.data_dir)?;
        ring.add(SlotKind::Account, staff_id.trim(), secret, &key)?;
        ring.save()?;
        let e = Event::new(&self.actor, Action::Settings)
            .detail(format!("keyring: account {} enrolled", staff_id.trim()));
        self.audit(e)
    }

    /// Takes a staff member's way in away: their keyring slot is removed, and the data is
    /// re-encrypted under a new key that every remaining slot is rewrapped for, so a copy of the
    /// old keyring (with their PIN) opens nothing.
    pub fn unenrol(&mut self, staff_id: &str) -> Result<()> {
        self.require(Permission::Administer)?;
        let id = staff_id.trim();
        if self.session.as_ref().is_some_and(|s| s.staff_id == id) {
            return Err(Error::Conflict(
                "you cannot unenrol yourself; another administrator (or the recovery key) can"
                    .into(),
            ));
        }
        let mut ring = Keyring::load(&self.data_dir)?;
        if !ring.remove(SlotKind::Account, id) {
            return Err(Error::NotFound(format!("an account for {id} on this PC")));
        }
        self.rotate(ring, &format!("account {id} unenrolled"), false)
    }

    /// Test hook: unenrol as if the power went off after the rewrapped keyring was saved and
    /// before the database was rekeyed.
    #[cfg(feature = "test-support")]
    pub fn unenrol_interrupted(&mut self, staff_id: &str) -> Result<()> {
        self.require(Permission::Administer)?;
        let mut ring = Keyring::load(&self.data_dir)?;
        ring.remove(SlotKind::Account, staff_id.trim());
        self.rotate(ring, "interrupted", true)
    }

    /// A new data key: every slot of `ring` is rewrapped for it, then the database is rekeyed,
    /// then the previous key is forgotten. Each step is saved before the next, and an
    /// interrupted rotation is finished at the next unlock, so no step strands the data.
    fn rotate(&mut self, mut ring: Keyring, why: &str, interrupt: bool) -> Result<()> {
        let old = self
            .key
            .clone()
            .ok_or_else(|| Error::Locked("the data is not encrypted: run setup first".into()))?;
        let new = DataKey::generate();
        let slots = ring.rewrap_all(&new, &old)?;
        ring.save()?;
        if interrupt {
            return Ok(());
        }
        self.store.rekey(&new.sqlcipher_literal())?;
        ring.finish_rekey();
        ring.save()?;
        self.key = Some(new);
        let e = Event::new(&self.actor, Action::Settings).detail(format!(
            "keys rotated ({why}): the database is re-encrypted under a new key and {slots} remaining slot(s) rewrapped; older keyring copies open nothing"
        ));
        self.audit(e)
    }

    /// Installs a signed staff roster (administrators). Audited; a refused roster changes nothing.
    pub fn install_roster(&mut self, text: &str, signature: Option<&str>) -> Result<Roster> {
        self.require(Permission::Administer)?;
        if let (Ok(new), Some(floor)) = (Roster::parse(text), self.roster_floor()?) {
            if new.version < floor {
                return Err(Error::Input(format!(
                    "roster refused: version {} is older than version {floor}, the newest ever installed on this PC",
                    new.version
                )));
            }
        }
        let (from, roster) = Roster::install(&self.data_dir, text, signature, &self.roster_keys)?;
        let e = Event::new(&self.actor, Action::RosterInstall).detail(format!(
            "{} version {} -> {} ({} staff)",
            roster.hospital,
            from.map(|v| v.to_string())
                .unwrap_or_else(|| "(none)".into()),
            roster.version,
            roster.staff.len()
        ));
        self.store.audit_with_next_write(e);
        self.store
            .set_trust_value(ROSTER_FLOOR, &roster.version.to_string())?;
        Ok(roster)
    }

    /// The highest roster version ever installed here (kept in the encrypted store).
    fn roster_floor(&self) -> Result<Option<u64>> {
        Ok(self
            .store
            .trust_value(ROSTER_FLOOR)?
            .and_then(|v| v.parse().ok()))
    }

    /// The installed roster, refused if it is older than the newest ever installed here or
    /// missing after one was (`roster/active` edited back, or deleted, by a file writer).
    pub(crate) fn checked_roster(&self) -> Result<Option<Roster>> {
        let roster = Roster::load(&self.data_dir, &self.roster_keys)?;
        match (roster, self.roster_floor()?) {
            (Some(r), Some(floor)) if r.version < floor => Err(Error::Forbidden(format!(
                "the staff roster on this PC is version {}, older than version {floor} that was installed here: it was rolled back outside Hikae; an administrator must install the current roster",
                r.version
            ))),
            (None, Some(floor)) => Err(Error::Forbidden(format!(
                "the staff roster (version {floor}) is missing from this PC: it was removed outside Hikae; an administrator must install the current roster"
            ))),
            (r, _) => Ok(r),
        }
    }

    /// Changes the ward's emergency (break-glass) code, or with `None` disables break-glass on
    /// this PC (after recovery). Administrators; audited.
    pub fn set_emergency_code(&mut self, code: Option<&str>) -> Result<()> {
        self.require(Permission::Administer)?;
        let key = self
            .key
            .clone()
            .ok_or_else(|| Error::Locked("the data is not encrypted: run setup first".into()))?;
        let mut ring = Keyring::load(&self.data_dir)?;
        let what = match code {
            Some(c) => {
                self.check_policy(c)?;
                ring.add(SlotKind::Emergency, "emergency", c, &key)?;
                "emergency code changed"
            }
            None => {
                ring.remove(SlotKind::Emergency, "emergency");
                "break-glass disabled (emergency code removed)"
            }
        };
        // a copy of the keyring with the old code must open nothing: new key for everyone
        self.rotate(ring, what, false)
    }

    /// Fetches the roster offered at the URL in `config.toml` (and its signature), without
    /// touching the data: safe to run off the UI thread. `Ok(None)` without a URL.
    pub fn fetch_roster(data_dir: &Path) -> Result<Option<FetchedRoster>> {
        let config = crate::config::load(data_dir)?;
        let Some(url) = config.roster.url.filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let text = hikae_sync::net::get_text(&url, &config.tls)?
            .ok_or_else(|| Error::Input(format!("{url}: not found on the server")))?;
        let signature = hikae_sync::net::get_text(&format!("{url}.minisig"), &config.tls)?;
        Ok(Some(FetchedRoster {
            url,
            text,
            signature,
        }))
    }

    /// Installs a fetched roster if it is signed and newer; `Ok(None)` if it is not newer.
    /// Signed files are their own authority, so this needs no administrator at the keyboard.
    pub fn install_fetched_roster(&mut self, f: &FetchedRoster) -> Result<Option<Roster>> {
        let current = Roster::load(&self.data_dir, &self.roster_keys)
            .ok()
            .flatten()
            .map(|r| r.version)
            .max(self.roster_floor()?);
        let offered = Roster::parse(&f.text)?;
        if current.is_some_and(|c| offered.version <= c) {
            return Ok(None);
        }
        let (from, roster) = Roster::install(
            &self.data_dir,
            &f.text,
            f.signature.as_deref(),
            &self.roster_keys,
        )?;
        let e = Event::new(&self.actor, Action::RosterInstall).detail(format!(
            "refreshed from {}: {} version {} -> {}",
            f.url,
            roster.hospital,
            from.map(|v| v.to_string())
                .unwrap_or_else(|| "(none)".into()),
            roster.version
        ));
        self.store.audit_with_next_write(e);
        self.store
            .set_trust_value(ROSTER_FLOOR, &roster.version.to_string())?;
        Ok(Some(roster))
    }

    /// Fetch and install in one go (the CLI's `hikae roster refresh`).
    pub fn refresh_roster(&mut self) -> Result<Option<Roster>> {
        match Self::fetch_roster(&self.data_dir)? {
            Some(f) => self.install_fetched_roster(&f),
            None => Ok(None),
        }
    }

    /// The installed roster, verified, and not older than the newest ever installed here.
    pub fn roster(&self) -> Result<Option<Roster>> {
        self.checked_roster()
    }

    /// Moves the session's start and break-glass expiry into the past; for expiry tests.
    #[cfg(feature = "test-support")]
    pub fn backdate_session(&mut self, by: chrono::Duration) {
        if let Some(s) = self.session.as_mut() {
            s.started_at -= by;
            if let Some(b) = s.break_glass.as_mut() {
                b.expires_at -= by;
            }
        }
    }
}

/// The setup-in-progress marker: names the one unencrypted database an interrupted setup may
/// still encrypt, by its SHA-256, with a MAC under the data key. A database planted later (or
/// any file without a marker that verifies) is refused, never adopted.
pub(crate) mod marker {
    use std::path::{Path, PathBuf};

    use hikae_auth::DataKey;
    use hikae_domain::{Error, Result};

    const FILE: &str = "setup-in-progress";

    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE)
    }

    fn line(db: &Path) -> Result<String> {
        let name = db.file_name().and_then(|n| n.to_str()).unwrap_or("");
        Ok(format!(
            "hikae-setup/1 {name} {}",
            hikae_files::sha256_file(db)?
        ))
    }

    pub fn write(data_dir: &Path, key: &DataKey, db: &Path) -> Result<()> {
        let l = line(db)?;
        let mac = key.mac(l.as_bytes());
        hikae_files::write_atomically(&path(data_dir), format!("{l}\n{mac}\n").as_bytes())
    }

    /// Whether the marker names `db` as it is now, under this data key.
    pub fn names(data_dir: &Path, key: &DataKey, db: &Path) -> Result<bool> {
        let text = match std::fs::read_to_string(path(data_dir)) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(path(data_dir), e)),
        };
        let mut lines = text.lines();
        let (Some(l), Some(mac)) = (lines.next(), lines.next()) else {
            return Ok(false);
        };
        Ok(l == line(db)? && key.mac(l.as_bytes()) == mac.trim())
    }

    pub fn remove(data_dir: &Path) -> Result<()> {
        match std::fs::remove_file(path(data_dir)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path(data_dir), e)),
        }
    }
}
