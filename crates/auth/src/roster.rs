//! The staff roster: who may log in on this PC and in which role. Administrators distribute it
//! as a signed file (`roster.toml` + minisign `.minisig`, trusted comment
//! `hikae-roster id=<hospital> version=<n>`), signed with a key this PC trusts (the same keys as
//! template packs). Versions only go up; the installed roster is re-verified at every start.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use hikae_domain::error::{Error, Result};
use hikae_packs::sign::{verify_roster, SigError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Nurse,
    /// リーダー看護師: a nurse who also declares downtime and runs drills.
    ChargeNurse,
    Doctor,
    Clerk,
    Admin,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Nurse => "nurse",
            StaffRole::ChargeNurse => "charge_nurse",
            StaffRole::Doctor => "doctor",
            StaffRole::Clerk => "clerk",
            StaffRole::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<StaffRole> {
        [
            StaffRole::Nurse,
            StaffRole::ChargeNurse,
            StaffRole::Doctor,
            StaffRole::Clerk,
            StaffRole::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
    pub fn label_ja(self) -> &'static str {
        match self {
            StaffRole::Nurse => "看護師",
            StaffRole::ChargeNurse => "リーダー看護師",
            StaffRole::Doctor => "医師",
            StaffRole::Clerk => "医療クラーク・事務",
            StaffRole::Admin => "管理者",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub kana: String,
    pub role: StaffRole,
    pub ward: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    pub format: u32,
    /// Increases with every distribution; a ward PC never goes back.
    pub version: u64,
    pub hospital: String,
    pub issued: String,
    pub staff: Vec<Staff>,
}

pub const ROSTER_DIR: &str = "roster";

impl Roster {
    /// Parses and checks a roster file; every problem is listed, with the entry it is in.
    pub fn parse(text: &str) -> Result<Roster> {
        let r: Roster =
            toml::from_str(text).map_err(|e| Error::Input(format!("roster.toml: {e}")))?;
        let mut problems = Vec::new();
        if r.format != 1 {
            problems.push(format!("format {} is not supported (1 is)", r.format));
        }
        if r.hospital.trim().is_empty() {
            problems.push("hospital is empty".into());
        }
        let mut seen = HashSet::new();
        for (i, s) in r.staff.iter().enumerate() {
            let at = format!("[[staff]] #{} ({})", i + 1, s.id);
            if s.id.trim().is_empty() || s.id.chars().any(|c| c.is_whitespace()) {
                problems.push(format!("{at}: id must be non-empty, without spaces"));
            }
            if !seen.insert(s.id.as_str()) {
                problems.push(format!("{at}: id appears twice"));
            }
            if s.name.trim().is_empty() {
                problems.push(format!("{at}: name is empty"));
            }
        }
        if !r.staff.iter().any(|s| s.role == StaffRole::Admin) {
            problems.push("no staff member has role = \"admin\"".into());
        }
        if problems.is_empty() {
            Ok(r)
        } else {
            Err(Error::Input(format!(
                "roster.toml:\n  {}",
                problems.join("\n  ")
            )))
        }
    }

    pub fn get(&self, id: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.id == id)
    }

    fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join(ROSTER_DIR)
    }

    /// The installed roster, verified against `trusted_keys`; `Ok(None)` if none is installed.
    pub fn load(data_dir: &Path, trusted_keys: &[String]) -> Result<Option<Roster>> {
        let dir = Self::dir(data_dir);
        let active = dir.join("active");
        let version = match std::fs::read_to_string(&active) {
            Ok(t) => t.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&active, e)),
        };
        let path = dir.join(format!("v{version}.toml"));
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let sig = std::fs::read_to_string(dir.join(format!("v{version}.toml.minisig"))).ok();
        let roster = Self::verified(&text, sig.as_deref(), trusted_keys)
            .map_err(|e| Error::Input(format!("installed roster {}: {e}", path.display())))?;
        Ok(Some(roster))
    }

    fn verified(text: &str, sig: Option<&str>, trusted_keys: &[String]) -> Result<Roster> {
        let (id, version) = verify_roster(text.as_bytes(), sig, trusted_keys)
            .map_err(|e: SigError| Error::Input(format!("roster refused: {e}")))?;
        let roster = Self::parse(text)?;
        if id != roster.hospital || version != roster.version.to_string() {
            return Err(Error::Input(format!(
                "roster refused: the signature is for {id} version {version}, the file says {} version {}",
                roster.hospital, roster.version
            )));
        }
        Ok(roster)
    }

    /// Checks a new roster and installs it if it is signed by a trusted key and newer than the
    /// installed one. Both files are replaced atomically; a refused roster changes nothing.
    pub fn install(
        data_dir: &Path,
        text: &str,
        sig: Option<&str>,
        trusted_keys: &[String],
    ) -> Result<(Option<u64>, Roster)> {
        let new = Self::verified(text, sig, trusted_keys)?;
        let current = Self::load(data_dir, trusted_keys).ok().flatten();
        if let Some(cur) = &current {
            if new.version <= cur.version {
                return Err(Error::Input(format!(
                    "roster refused: version {} is not newer than the installed version {}",
                    new.version, cur.version
                )));
            }
        }
        // each version in its own files, then one atomic switch of `active`
        let dir = Self::dir(data_dir);
        hikae_files::private_dir(&dir)?;
        let v = new.version;
        hikae_files::write_atomically(
            &dir.join(format!("v{v}.toml.minisig")),
            sig.unwrap_or_default().as_bytes(),
        )?;
        hikae_files::write_atomically(&dir.join(format!("v{v}.toml")), text.as_bytes())?;
        hikae_files::write_atomically(&dir.join("active"), format!("{v}\n").as_bytes())?;
        Ok((current.map(|c| c.version), new))
    }
}
