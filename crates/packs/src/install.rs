//! Installed packs on a ward PC: `<data dir>/packs/<pack id>/<version>/` holds the signed
//! archive exactly as distributed (`pack.hikaepack` + `pack.hikaepack.minisig`), and
//! `<data dir>/packs/<pack id>/active` names the version in use.
//!
//! Every load re-verifies the signature, so a pack edited on disk after installation is
//! refused. Installing is atomic (write to a temporary folder, rename, then replace the
//! `active` file by rename): a failure at any step leaves the installed pack as it was.
//! Old versions are kept, both for rollback and because records made with them are
//! rendered with them.

use std::path::{Path, PathBuf};

use super::archive::{self, Files};
use super::check;
use super::sign;
use super::{problem, Lifecycle, Pack, PackProblem};

pub const ARCHIVE_NAME: &str = "pack.hikaepack";
pub const SIGNATURE_NAME: &str = "pack.hikaepack.minisig";

/// A version string `MAJOR.MINOR.PATCH`, compared numerically.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(parsed)
}

/// What the ward PC's rules need to know beyond the pack itself.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub trusted_keys: Vec<String>,
    /// Trial packs are accepted only in drill mode.
    pub drill_mode: bool,
}

/// Verifies and unpacks a signed archive with every rule a ward PC enforces, except the
/// version order (which depends on what is installed). Nothing is written.
pub fn validate(
    bytes: &[u8],
    signature: Option<&str>,
    rules: &Rules,
) -> Result<(Pack, Files), Vec<PackProblem>> {
    const SIG: &str = "(signature)";
    let signed = sign::verify(bytes, signature, &rules.trusted_keys)
        .map_err(|e| vec![problem(SIG, e.to_string())])?;
    let files = archive::read(bytes)?;
    let report = check::check(&files);
    if !report.errors.is_empty() {
        return Err(report.errors);
    }
    let pack = Pack::from_files(&files)?;
    let m = &pack.manifest;
    let mut problems = Vec::new();
    if (m.id.as_str(), m.version.as_str()) != (signed.0.as_str(), signed.1.as_str()) {
        problems.push(problem(
            SIG,
            format!(
                "signed for pack '{}' version {}, but the archive holds '{}' version {}",
                signed.0, signed.1, m.id, m.version
            ),
        ));
    }
    if m.state == Lifecycle::Trial && !rules.drill_mode {
        problems.push(problem(
            "pack.toml",
            "state = \"trial\": trial packs are accepted only in drill mode",
        ));
    }
    if parse_version(&m.version).is_none() {
        problems.push(problem(
            "pack.toml",
            format!(
                "version '{}' is not MAJOR.MINOR.PATCH (e.g. 2026.3.0)",
                m.version
            ),
        ));
    }
    let app = parse_version(env!("CARGO_PKG_VERSION"));
    match parse_version(&m.min_app_version) {
        None => problems.push(problem(
            "pack.toml",
            format!(
                "min_app_version '{}' is not MAJOR.MINOR.PATCH",
                m.min_app_version
            ),
        )),
        Some(need) if Some(need) > app => problems.push(problem(
            "pack.toml",
            format!(
                "needs Hikae {} or newer; this is {}",
                m.min_app_version,
                env!("CARGO_PKG_VERSION")
            ),
        )),
        Some(_) => {}
    }
    if problems.is_empty() {
        Ok((pack, files))
    } else {
        Err(problems)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstalledVersion {
    pub id: String,
    pub version: String,
    pub active: bool,
}

pub struct PackDir {
    root: PathBuf,
}

fn io(p: &Path, e: std::io::Error) -> Vec<PackProblem> {
    vec![problem(&p.display().to_string(), e.to_string())]
}

impl PackDir {
    pub fn new(data_dir: &Path) -> PackDir {
        PackDir {
            root: data_dir.join("packs"),
        }
    }

    /// Every installed version, sorted by pack id then version.
    pub fn installed(&self) -> Vec<InstalledVersion> {
        let mut out = Vec::new();
        let Ok(ids) = std::fs::read_dir(&self.root) else {
            return out;
        };
        for id_dir in ids.filter_map(|e| e.ok()).filter(|e| e.path().is_dir()) {
            let id = id_dir.file_name().to_string_lossy().into_owned();
            let active = self.active(&id);
            let Ok(versions) = std::fs::read_dir(id_dir.path()) else {
                continue;
            };
            for v in versions.filter_map(|e| e.ok()) {
                let version = v.file_name().to_string_lossy().into_owned();
                if parse_version(&version).is_some() && v.path().join(ARCHIVE_NAME).is_file() {
                    out.push(InstalledVersion {
                        active: active.as_deref() == Some(version.as_str()),
                        id: id.clone(),
                        version,
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            (&a.id, parse_version(&a.version)).cmp(&(&b.id, parse_version(&b.version)))
        });
        out
    }

    pub fn active(&self, id: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(id).join("active"))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// Loads an installed version, verifying its signature again.
    pub fn load(&self, id: &str, version: &str, rules: &Rules) -> Result<Pack, Vec<PackProblem>> {
        let dir = self.root.join(id).join(version);
        let bytes = std::fs::read(dir.join(ARCHIVE_NAME)).map_err(|e| io(&dir, e))?;
        let sig = std::fs::read_to_string(dir.join(SIGNATURE_NAME)).ok();
        // an installed trial pack stays loadable (records made in a drill must still print)
        let rules = Rules {
            drill_mode: true,
            ..rules.clone()
        };
        let (pack, _) = validate(&bytes, sig.as_deref(), &rules)?;
        if pack.manifest.id != id || pack.manifest.version != version {
            return Err(vec![problem(
                &dir.display().to_string(),
                "the installed archive does not match its folder",
            )]);
        }
        Ok(pack)
    }

    /// Installs a signed archive. `current_version(id)` is the version in use for that pack id
    /// (installed or built in); the new one must be newer. Returns the installed pack and the
    /// version it replaces.
    pub fn install(
        &self,
        bytes: &[u8],
        signature: Option<&str>,
        rules: &Rules,
        current_version: impl Fn(&str) -> Option<String>,
    ) -> Result<(Pack, Option<String>), Vec<PackProblem>> {
        let (pack, _) = validate(bytes, signature, rules)?;
        let (id, version) = (pack.manifest.id.clone(), pack.manifest.version.clone());
        let current = current_version(&id);
        let Some(new) = parse_version(&version) else {
            return Err(vec![problem(
                "pack.toml",
                format!("version '{version}' is not MAJOR.MINOR.PATCH"),
            )]);
        };
        if let Some(cur) = current.as_deref() {
            if parse_version(cur).is_some_and(|c| new <= c) {
                return Err(vec![problem(
                    "pack.toml",
                    format!("version {version} is not newer than the installed {cur}; an administrator can go back with `hikae pack rollback`"),
                )]);
            }
        }
        let pack_root = self.root.join(&id);
        let final_dir = pack_root.join(&version);
        if final_dir.exists() {
            // records made with that build are bound to it: a version number is never reused
            return Err(vec![problem(
                "pack.toml",
                format!("{id} {version} is already installed; give a changed pack a new version, or make it active with `hikae pack rollback {id} --to {version}`"),
            )]);
        }
        let tmp = pack_root.join(format!(".{version}.tmp"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
        let write = || -> std::io::Result<()> {
            std::fs::write(tmp.join(ARCHIVE_NAME), bytes)?;
            std::fs::write(tmp.join(SIGNATURE_NAME), signature.unwrap_or_default())?;
            std::fs::rename(&tmp, &final_dir)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(io(&final_dir, e));
        }
        self.set_active(&id, &version)?;
        Ok((pack, current))
    }

    pub fn set_active(&self, id: &str, version: &str) -> Result<(), Vec<PackProblem>> {
        let dir = self.root.join(id);
        let tmp = dir.join(".active.tmp");
        std::fs::write(&tmp, format!("{version}\n"))
            .and_then(|()| std::fs::rename(&tmp, dir.join("active")))
            .map_err(|e| io(&dir, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(parse_version("2026.10.0") > parse_version("2026.9.3"));
        assert_eq!(parse_version("1.2"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
        assert_eq!(parse_version("1.2.x"), None);
    }
}
