//! Setting up encryption at rest on a ward PC, and unlocking it.

use std::path::Path;

use super::{Hikae, DB_FILE};
use crate::audit::{Action, Actor, Event};
use crate::auth::keyring::{check_secret, new_recovery_key};
use crate::auth::{DataKey, Keyring, SlotKind};
use crate::error::{Error, Result};
use crate::store::Store;

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
            Store::encrypt_in_place(&db, &key)?;
        } else {
            drop(Store::open_encrypted(&db, &key)?);
        }
        let mut app = Hikae::open_with_key(data_dir, &key)?;
        app.set_actor(Actor::named(admin_id.trim()));
        app.audit(
            Event::new(&Actor::named(admin_id.trim()), Action::Settings)
                .detail("encryption at rest set up (account, recovery and emergency slots)"),
        )?;
        Ok(Setup { recovery_key })
    }

    /// Unlocks with a staff ID and PIN; `Ok(None)` for a wrong PIN or unknown ID.
    pub fn unlock(data_dir: &Path, staff_id: &str, secret: &str) -> Result<Option<Hikae>> {
        let ring = Keyring::load(data_dir)?;
        match ring.unlock(SlotKind::Account, staff_id.trim(), secret)? {
            Some(key) => Hikae::open_with_key(data_dir, &key).map(Some),
            None => Ok(None),
        }
    }

    /// Unlocks with the administrator's recovery key.
    pub fn unlock_with_recovery_key(data_dir: &Path, recovery_key: &str) -> Result<Option<Hikae>> {
        let ring = Keyring::load(data_dir)?;
        match ring.unlock(SlotKind::Recovery, "recovery", recovery_key.trim())? {
            Some(key) => Hikae::open_with_key(data_dir, &key).map(Some),
            None => Ok(None),
        }
    }

    /// Gives `staff_id` their own way in: a keyring slot under their PIN or passphrase.
    /// Needs the data unlocked. Audited.
    pub fn enrol(&mut self, staff_id: &str, secret: &str) -> Result<()> {
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
}
