//! Setting up encryption at rest on a ward PC, and unlocking it.

use std::path::Path;

use chrono::Utc;

use super::{Hikae, DB_FILE};
use hikae_auth::attempts::Attempts;
use hikae_auth::keyring::{check_secret, new_recovery_key};
use hikae_auth::roster::{Roster, StaffRole};
use hikae_auth::session::{allowed, refusal, Permission, Session};
use hikae_auth::{DataKey, Keyring, SlotKind};
use hikae_domain::audit::{Action, Actor, Event};
use hikae_domain::error::{Error, Result};
use hikae_store::Store;

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
        std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
        let key = DataKey::generate();
        let recovery_key = new_recovery_key();
        let mut ring = Keyring::new(data_dir);
        ring.add(SlotKind::Account, admin_id.trim(), admin_secret, &key)?;
        ring.add(SlotKind::Recovery, "recovery", &recovery_key, &key)?;
        ring.add(SlotKind::Emergency, "emergency", emergency_code, &key)?;
        let db = data_dir.join(DB_FILE);
        if db.is_file() {
            // make sure it is ours and current before rewriting it
            drop(Store::open(&db)?);
        }
        // keyring first: if the encryption below is interrupted, the next unlock finishes it
        // (see `open_with_key`); the other order could leave encrypted data without its key
        ring.save()?;
        if db.is_file() {
            Store::encrypt_in_place(&db, &key.sqlcipher_literal())?;
        } else {
            drop(Store::open_encrypted(&db, &key.sqlcipher_literal())?);
        }
        let mut app = Hikae::open_with_key(data_dir, &key)?;
        app.set_actor(Actor::named(admin_id.trim()));
        app.audit(
            Event::new(&Actor::named(admin_id.trim()), Action::Settings)
                .detail("encryption at rest set up (account, recovery and emergency slots)"),
        )?;
        Ok(Setup { recovery_key })
    }

    /// First login on a locked PC: checks the lockout, the PIN (which unwraps the data key)
    /// and the roster, opens the data and starts the session. `Ok(None)` for a wrong staff ID
    /// or PIN (counted); `Err(Locked)` while the ID is locked out.
    pub fn unlock(data_dir: &Path, staff_id: &str, secret: &str) -> Result<Option<Hikae>> {
        let id = staff_id.trim();
        let mut attempts = Attempts::load(data_dir)?;
        attempts.check(id, Utc::now())?;
        let ring = Keyring::load(data_dir)?;
        let Some(key) = ring.unlock(SlotKind::Account, id, secret)? else {
            attempts.failed(id, Utc::now())?;
            return Ok(None);
        };
        let mut app = Hikae::open_with_key(data_dir, &key)?;
        app.finish_login(id, &mut attempts)?;
        Ok(Some(app))
    }

    /// Login on an open app (after a lock, or another person taking over the PC).
    /// `Ok(false)` for a wrong staff ID or PIN (counted and audited).
    pub fn login(&mut self, staff_id: &str, secret: &str) -> Result<bool> {
        let id = staff_id.trim();
        let mut attempts = Attempts::load(&self.data_dir)?;
        attempts.check(id, Utc::now())?;
        let ring = Keyring::load(&self.data_dir)?;
        let opened = ring.unlock(SlotKind::Account, id, secret)?;
        let same = match (&opened, &self.key) {
            (Some(k), Some(mine)) => k.sqlcipher_literal() == mine.sqlcipher_literal(),
            _ => false,
        };
        if !same {
            let rec = attempts.failed(id, Utc::now())?;
            self.store.audit(
                &Event::new(&Actor::named(id), Action::LoginFailed)
                    .failed()
                    .detail(format!("wrong staff ID or PIN ({} in a row)", rec.failures)),
            )?;
            return Ok(false);
        }
        self.finish_login(id, &mut attempts)?;
        Ok(true)
    }

    /// The roster decides the name and role; failures since the last login are logged now
    /// (they happened while the data was closed).
    fn finish_login(&mut self, id: &str, attempts: &mut Attempts) -> Result<()> {
        if let Some(r) = attempts.get(id).filter(|r| r.failures > 0) {
            let e = Event::new(&Actor::named(id), Action::LoginFailed)
                .failed()
                .detail(format!(
                    "{} wrong PIN(s) before this login, the last at {}",
                    r.failures,
                    r.last_failure
                        .map(hikae_domain::audit::ts)
                        .unwrap_or_default()
                ));
            self.store.audit(&e)?;
        }
        let roster = Roster::load(&self.data_dir, &self.rules.trusted_keys)?;
        let (name, role) = match (&roster, roster.as_ref().and_then(|r| r.get(id))) {
            (_, Some(staff)) => (staff.name.clone(), staff.role),
            // before any roster is installed, the accounts made at setup administer the PC
            (None, None) => (id.to_string(), StaffRole::Admin),
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
        attempts.check(id, Utc::now())?;
        let ring = Keyring::load(data_dir)?;
        if ring.slot(SlotKind::Emergency, "emergency").is_none() {
            return Err(Error::Forbidden(
                "break-glass access is disabled on this PC; ask an administrator".into(),
            ));
        }
        let Some(key) = ring.unlock(SlotKind::Emergency, "emergency", emergency_code)? else {
            attempts.failed(id, Utc::now())?;
            return Err(Error::Locked("the emergency code is not right".into()));
        };
        let mut app = Hikae::open_with_key(data_dir, &key)?;
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
            None if self.key.is_some() => Err(Error::Locked("log in first".into())),
            None => Ok(()),
        }
    }

    /// Unlocks with the administrator's recovery key.
    pub fn unlock_with_recovery_key(data_dir: &Path, recovery_key: &str) -> Result<Option<Hikae>> {
        let ring = Keyring::load(data_dir)?;
        let Some(key) = ring.unlock(SlotKind::Recovery, "recovery", recovery_key.trim())? else {
            return Ok(None);
        };
        let mut app = Hikae::open_with_key(data_dir, &key)?;
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
        let mut ring = Keyring::load(&self.data_dir)?;
        ring.add(SlotKind::Account, staff_id.trim(), secret, &key)?;
        ring.save()?;
        let e = Event::new(&self.actor, Action::Settings)
            .detail(format!("keyring: account {} enrolled", staff_id.trim()));
        self.audit(e)
    }

    /// Installs a signed staff roster (administrators). Audited; a refused roster changes nothing.
    pub fn install_roster(&mut self, text: &str, signature: Option<&str>) -> Result<Roster> {
        self.require(Permission::Administer)?;
        let (from, roster) =
            Roster::install(&self.data_dir, text, signature, &self.rules.trusted_keys)?;
        let e = Event::new(&self.actor, Action::RosterInstall).detail(format!(
            "{} version {} -> {} ({} staff)",
            roster.hospital,
            from.map(|v| v.to_string())
                .unwrap_or_else(|| "(none)".into()),
            roster.version,
            roster.staff.len()
        ));
        self.audit(e)?;
        Ok(roster)
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
                ring.add(SlotKind::Emergency, "emergency", c, &key)?;
                "emergency code changed"
            }
            None => {
                ring.remove(SlotKind::Emergency, "emergency");
                "break-glass disabled (emergency code removed)"
            }
        };
        ring.save()?;
        let e = Event::new(&self.actor, Action::Settings).detail(what);
        self.audit(e)
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
        let current = Roster::load(&self.data_dir, &self.rules.trusted_keys)
            .ok()
            .flatten()
            .map(|r| r.version);
        let offered = Roster::parse(&f.text)?;
        if current.is_some_and(|c| offered.version <= c) {
            return Ok(None);
        }
        let (from, roster) = Roster::install(
            &self.data_dir,
            &f.text,
            f.signature.as_deref(),
            &self.rules.trusted_keys,
        )?;
        let e = Event::new(&self.actor, Action::RosterInstall).detail(format!(
            "refreshed from {}: {} version {} -> {}",
            f.url,
            roster.hospital,
            from.map(|v| v.to_string())
                .unwrap_or_else(|| "(none)".into()),
            roster.version
        ));
        self.audit(e)?;
        Ok(Some(roster))
    }

    /// Fetch and install in one go (the CLI's `hikae roster refresh`).
    pub fn refresh_roster(&mut self) -> Result<Option<Roster>> {
        match Self::fetch_roster(&self.data_dir)? {
            Some(f) => self.install_fetched_roster(&f),
            None => Ok(None),
        }
    }

    /// The installed roster, verified.
    pub fn roster(&self) -> Result<Option<Roster>> {
        Roster::load(&self.data_dir, &self.rules.trusted_keys)
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
