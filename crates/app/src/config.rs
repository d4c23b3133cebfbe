//! `<data dir>/config.toml`: read and written here; its shape and rules are
//! `hikae_domain::config`.

use std::path::Path;

pub use hikae_domain::config::*;
use hikae_domain::{Error, Result};

/// Reads the configuration; a missing file is the default (no trusted keys, no network).
pub fn load(data_dir: &Path) -> Result<Config> {
    let path = Config::path(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => Config::parse(&text, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Writes atomically (temporary file, then rename).
pub fn save(config: &Config, data_dir: &Path) -> Result<()> {
    let text = config.to_toml()?;
    hikae_files::private_dir(data_dir)?;
    hikae_files::write_atomically(&Config::path(data_dir), text.as_bytes())
}
