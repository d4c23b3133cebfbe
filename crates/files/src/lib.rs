//! Writing files safely: whole or not at all, readable by the owner only.
//!
//! A ward PC's OS account is shared and curious. Everything Hikae writes (the database, the
//! keyring, the audit anchor, exported PDFs) is created `0600` in folders made `0700`, through
//! a temporary file that is created exclusively (never an existing file or a planted symlink)
//! under an unpredictable name, then renamed over the target.
//!
//! Architecture Invariant: depends on `hikae-domain` (for the error type) and nothing else of
//! ours; it knows nothing of what the files hold.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use hikae_domain::error::{Error, Result};

/// Writes via a temporary file in the same folder and a rename, so a failure never leaves half a
/// file; the temporary file is removed on failure. The result is readable by the owner only.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("export");
    let (tmp, mut file) = create_temp(dir, name)?;
    let written = file
        .write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| Error::io(&tmp, e));
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })?;
    // the rename itself is durable only once the folder is synced (a keyring saved before a
    // rekey must survive a power cut)
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    Ok(())
}

/// A new, empty file next to where `name` goes: created exclusively (`O_EXCL`: an existing file
/// or symlink of that name is an error, never followed) with mode 0600, under a random name.
pub fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..8 {
        let tmp = dir.join(format!(".{name}.{}.tmp", random_hex()));
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        match o.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some((tmp, e)),
            Err(e) => return Err(Error::io(&tmp, e)),
        }
    }
    match last {
        Some((tmp, e)) => Err(Error::io(tmp, e)),
        None => Err(Error::Input(format!(
            "{}: no temporary file could be made",
            dir.display()
        ))),
    }
}

/// Makes `dir` (and its missing parents) and sets it to 0700: only the owner may list or enter.
pub fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    restrict(dir, 0o700)
}

/// Sets an existing file to 0600 (no-op where the file does not exist yet).
pub fn private_file(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => restrict(path, 0o600),
        Ok(_) => Err(Error::Input(format!(
            "{}: expected a file (found a link or folder); refusing to use it",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> Result<()> {
    // Windows: the per-user profile folders Hikae uses are already private to the user
    Ok(())
}

/// 16 random bytes as hex, from the OS (`/dev/urandom`), falling back to the hasher's per-process
/// random keys where that is not available.
fn random_hex() -> String {
    let mut b = [0u8; 16];
    let from_os = File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_ok();
    if !from_os {
        use std::hash::{BuildHasher, Hasher};
        for chunk in b.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-256 of bytes (hex).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// SHA-256 of a file's bytes (hex), read in pieces.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|x| format!("{x:02x}")).collect())
}

/// Whether `path` lies inside `dir` (both resolved; a path that does not exist yet is judged by
/// its folder).
pub fn is_inside(path: &Path, dir: &Path) -> bool {
    let resolve = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = p.parent().filter(|x| !x.as_os_str().is_empty())?;
        Some(parent.canonicalize().ok()?.join(p.file_name()?))
    };
    match (resolve(path), dir.canonicalize().ok()) {
        (Some(p), Some(d)) => p.starts_with(d),
        _ => false,
    }
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

    #[cfg(unix)]
    #[test]
    fn files_are_owner_only_and_a_planted_temporary_symlink_is_never_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"untouched").expect("victim");
        // the temporary name the old code used (`.{name}.{pid}.tmp`), planted as a symlink
        let target = dir.path().join("a.pdf");
        let planted = dir
            .path()
            .join(format!(".a.pdf.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).expect("symlink");
        super::write_atomically(&target, b"%PDF").expect("write");
        assert_eq!(std::fs::read(&victim).expect("read"), b"untouched");
        assert_eq!(std::fs::read(&target).expect("read"), b"%PDF");
        let mode = std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        // an exclusive create refuses an existing name, link or not
        let (tmp, _) = super::create_temp(dir.path(), "x").expect("temp");
        assert!(std::fs::symlink_metadata(&tmp).expect("exists").is_file());
        super::private_dir(&dir.path().join("data")).expect("dir");
        let m = std::fs::metadata(dir.path().join("data"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(m & 0o777, 0o700);
    }

    #[test]
    fn inside_a_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("mkdir");
        assert!(super::is_inside(&data.join("keyring.json"), &data));
        assert!(super::is_inside(&data.join("../data/x.pdf"), &data));
        assert!(!super::is_inside(&dir.path().join("out.pdf"), &data));
    }
}
