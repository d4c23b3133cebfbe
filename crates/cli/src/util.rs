//! Helpers shared by the command groups: stdout that may be closed, files, short ids, warnings.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// `println!` for command output: returns an error instead of panicking when stdout fails.
/// A closed pipe (`hikae list | head -1`) becomes [`StdoutClosed`], which `main` turns into a
/// quiet exit 0. Use it as `outln!(...)?` for everything a command prints to stdout.
macro_rules! outln {
    () => {
        $crate::util::print_line(::std::format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::util::print_line(::std::format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Whoever read our stdout has gone away: nothing more to say, and nothing went wrong.
#[derive(Debug)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// One line of command output (see [`outln!`]).
pub fn print_line(args: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(stdout_error)
}

fn stdout_error(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::anyhow!("failed printing to stdout: {e}")
    }
}

/// Writes `bytes` to the file `path`, or to stdout for "-".
pub fn write_out(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path == Path::new("-") {
        let mut out = io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(stdout_error)
    } else {
        write_file(path, bytes)
    }
}

/// This PC's data folder, once known: no export may be written into it.
pub static DATA_DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    Ok(hikae_app::export_file(
        DATA_DIR.get().map(|d| d.as_path()),
        path,
        bytes,
    )?)
}

/// The first 8 characters of an id, as the lists show it.
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

pub fn warn_substituted(chars: &[char]) {
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
