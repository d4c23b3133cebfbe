//! Writing files safely: whole or not at all (temporary file + rename).

use std::path::Path;

use hikae_domain::error::{Error, Result};

/// Writes via a temporary file in the same folder and a rename, so a failure never leaves half a
/// file; the temporary file is removed on failure.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("export");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_whole_files_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.pdf");
        super::write_atomically(&p, b"%PDF-1.7").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"%PDF-1.7");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1);
        assert!(super::write_atomically(&dir.path().join("missing/b.pdf"), b"x").is_err());
    }
}
