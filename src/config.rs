//! Per-PC configuration (`<data dir>/config.toml`), edited by administrators:
//! which public keys may sign template packs.
//!
//! ```toml
//! [packs]
//! trusted_keys = ["RWQ…"]   # base64 minisign public keys
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const CONFIG_FILE: &str = "config.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub packs: PackConfig,
    #[serde(default)]
    pub roster: RosterConfig,
}

/// Where this PC fetches the staff roster when the network is up. The signature (at the same
/// URL + `.minisig`) is what makes it trustworthy; nothing is fetched without a URL here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterConfig {
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackConfig {
    #[serde(default)]
    pub trusted_keys: Vec<String>,
}

impl Config {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(CONFIG_FILE)
    }

    /// Reads the configuration; a missing file is the default (no trusted keys).
    pub fn load(data_dir: &Path) -> Result<Config> {
        let path = Self::path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                let (line, col) = e.span().map_or((0, 0), |s| {
                    let before = &text[..s.start.min(text.len())];
                    (
                        before.matches('\n').count() + 1,
                        before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                    )
                });
                Error::Input(format!("{}:{line}:{col}: {}", path.display(), e.message()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Writes atomically (temporary file, then rename).
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        let path = Self::path(data_dir);
        let text = toml::to_string_pretty(self).map_err(|e| Error::Input(e.to_string()))?;
        std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
    }
}
