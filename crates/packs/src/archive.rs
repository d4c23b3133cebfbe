//! The distributable pack file (`<id>-<version>.hikaepack`): a gzip-compressed tar of the
//! pack directory. Reading it is hostile-input parsing: absolute paths, `..`, links,
//! duplicate names, non-UTF-8 names, over-large files and decompression bombs are refused
//! with the entry's name, before anything is written anywhere.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::{problem, PackProblem};

/// Files of a pack: relative path (with `/`) → content.
pub type Files = BTreeMap<String, Vec<u8>>;

pub const MAX_ARCHIVE_BYTES: u64 = 16 << 20;
pub const MAX_FILE_BYTES: u64 = 4 << 20;
pub const MAX_TOTAL_BYTES: u64 = 32 << 20;
pub const MAX_FILES: usize = 2000;

fn check_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("empty file name".into());
    }
    if name.starts_with('/') || name.contains('\\') || name.contains(':') {
        return Some("absolute or non-portable path".into());
    }
    if name
        .split('/')
        .any(|c| c == ".." || c == "." || c.is_empty())
    {
        return Some("path with '..', '.' or an empty component".into());
    }
    if name.chars().any(char::is_control) {
        return Some("control character in the file name".into());
    }
    None
}

/// Reads a pack directory (the administrators' source form) with the same rules as archives.
pub fn read_dir(root: &Path) -> Result<Files, Vec<PackProblem>> {
    let mut files = Files::new();
    let mut problems = Vec::new();
    let mut total = 0u64;
    walk(root, root, &mut files, &mut problems, &mut total);
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Files,
    problems: &mut Vec<PackProblem>,
    total: &mut u64,
) {
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(problem(&rel(dir), format!("cannot read folder: {e}")));
            return;
        }
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = rel(&path);
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue; // editor and VCS files (.git, .swp) are not part of a pack
        }
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                problems.push(problem(&name, format!("cannot read: {e}")));
                continue;
            }
        };
        if meta.file_type().is_symlink() {
            problems.push(problem(&name, "links are not allowed in a pack"));
        } else if meta.is_dir() {
            walk(root, &path, files, problems, total);
        } else if meta.len() > MAX_FILE_BYTES {
            problems.push(problem(
                &name,
                format!(
                    "{} bytes; a pack file may have at most {MAX_FILE_BYTES}",
                    meta.len()
                ),
            ));
        } else {
            *total += meta.len();
            match std::fs::read(&path) {
                Ok(bytes) => {
                    files.insert(name, bytes);
                }
                Err(e) => problems.push(problem(&name, format!("cannot read: {e}"))),
            }
        }
    }
    if *total > MAX_TOTAL_BYTES && !problems.iter().any(|p| p.message.contains("in total")) {
        problems.push(problem(
            &rel(root),
            format!("more than {MAX_TOTAL_BYTES} bytes in total"),
        ));
    }
}

/// A reproducible archive of `files` (sorted names, zero times and owners).
pub fn build(files: &Files) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    for (name, content) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, content.as_slice())?;
    }
    tar.into_inner()?.finish()
}

/// Unpacks an archive in memory, refusing anything unsafe. Nothing touches the disk.
pub fn read(bytes: &[u8]) -> Result<Files, Vec<PackProblem>> {
    const ARCHIVE: &str = "(archive)";
    if bytes.len() as u64 > MAX_ARCHIVE_BYTES {
        return Err(vec![problem(
            ARCHIVE,
            format!(
                "{} bytes; a pack file may have at most {MAX_ARCHIVE_BYTES}",
                bytes.len()
            ),
        )]);
    }
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(vec![problem(
            ARCHIVE,
            "not a Hikae pack archive (a .hikaepack is a gzip-compressed tar)",
        )]);
    }
    // the limit applies to the decompressed stream, so a small bomb cannot expand unchecked
    let gz = flate2::read::GzDecoder::new(bytes).take(MAX_TOTAL_BYTES + 1024 * 1024);
    let mut archive = tar::Archive::new(gz);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            return Err(vec![problem(
                ARCHIVE,
                format!("not a Hikae pack archive: {e}"),
            )])
        }
    };
    let mut files = Files::new();
    let mut problems = Vec::new();
    let mut total = 0u64;
    for (i, entry) in entries.enumerate() {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(problem(
                    ARCHIVE,
                    format!("damaged or truncated archive (entry {}): {e}", i + 1),
                ));
                break;
            }
        };
        if i >= MAX_FILES {
            problems.push(problem(ARCHIVE, format!("more than {MAX_FILES} entries")));
            break;
        }
        let raw_name = entry.path_bytes().into_owned();
        let Ok(name) = String::from_utf8(raw_name.clone()) else {
            problems.push(problem(
                &String::from_utf8_lossy(&raw_name),
                "file name is not UTF-8",
            ));
            continue;
        };
        let name = name.trim_end_matches('/').to_string();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            if let Some(why) = check_name(&name) {
                problems.push(problem(&name, why));
            }
            continue;
        }
        if !kind.is_file() {
            problems.push(problem(
                &name,
                "links and special files are not allowed in a pack",
            ));
            continue;
        }
        if let Some(why) = check_name(&name) {
            problems.push(problem(&name, why));
            continue;
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_FILE_BYTES {
            problems.push(problem(
                &name,
                format!("{size} bytes; a pack file may have at most {MAX_FILE_BYTES}"),
            ));
            continue;
        }
        total += size;
        if total > MAX_TOTAL_BYTES {
            problems.push(problem(
                ARCHIVE,
                format!("more than {MAX_TOTAL_BYTES} bytes when unpacked"),
            ));
            break;
        }
        let mut content = Vec::with_capacity(size as usize);
        if let Err(e) = (&mut entry).take(MAX_FILE_BYTES).read_to_end(&mut content) {
            problems.push(problem(&name, format!("cannot read: {e}")));
            break;
        }
        if files.insert(name.clone(), content).is_some() {
            problems.push(problem(&name, "appears twice in the archive"));
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}
