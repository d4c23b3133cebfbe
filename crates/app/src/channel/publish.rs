//! The administrator's side of the channel (`hikae fleet channel-init | publish | rotate-key`):
//! a folder any web server can serve, or that endpoint management copies into each PC's drop
//! folder, and a folder of the channel's secret keys that never leaves the administrator.
//!
//! Channel folder: `N.root.json` (every root version), `root.json` (the newest, to pin),
//! `timestamp.json`, `snapshot.json`, `targets.json`, `targets/<path>`. Keys folder:
//! `<role>-<n>.key` (minisign secret keys, 0600) and `.pub`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use hikae_channel::publish::{self as p, Current, Expiry, Keys};
use hikae_channel::{sha256_hex, Root, Target, TargetKind, ROLES};
use hikae_domain::{Error, Result};

/// What to put in the next release.
#[derive(Debug, Default)]
pub struct Request {
    /// Signed pack archives (`FILE.minisig` beside each).
    pub packs: Vec<PathBuf>,
    /// A signed roster (`FILE.minisig` beside it).
    pub roster: Option<PathBuf>,
    /// `packs KEY` / `rosters KEY` lines: the whole list of signing keys PCs trust from here.
    pub trusted_keys: Option<PathBuf>,
    /// A shared config fragment ([monitor], [sync], [snapshot], [fleet], [roster]).
    pub config: Option<PathBuf>,
    /// Channel paths to drop from the release.
    pub remove: Vec<String>,
}

/// What a publish made.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub release: u64,
    pub timestamp_version: u64,
    pub root_version: u64,
    /// Every path the release lists.
    pub targets: Vec<String>,
    /// Metadata files written (a re-signed timestamp alone when nothing changed).
    pub written: Vec<String>,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

/// Public (0644) and whole or nothing: a temporary file in the same folder, then a rename.
/// Metadata is written last, the timestamp last of all, so a PC reading mid-publish sees the
/// old release or refuses a mixed one, never installs half of one.
fn write_public(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Input(format!("{}: no folder", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| io(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io(path, e))
}

/// The secret keys in `keys_dir`, by role.
fn load_keys(keys_dir: &Path) -> Result<Keys> {
    let mut keys = Keys::default();
    let entries = std::fs::read_dir(keys_dir).map_err(|e| io(keys_dir, e))?;
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for path in names {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".key") else {
            continue;
        };
        let Some(role) = ROLES.iter().find(|r| stem.starts_with(&format!("{r}-"))) else {
            continue;
        };
        let secret = String::from_utf8(read(&path)?)
            .map_err(|_| Error::Input(format!("{}: not a key file", path.display())))?;
        let public =
            p::public_of(&secret).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        let entry = (p::key_id(&public), secret);
        match *role {
            "root" => keys.root.push(entry),
            "timestamp" => keys.timestamp.push(entry),
            "snapshot" => keys.snapshot.push(entry),
            _ => keys.targets.push(entry),
        }
    }
    Ok(keys)
}

/// Makes a key pair `<role>-<n>.key` / `.pub` in `keys_dir`; returns the public line.
fn make_key(keys_dir: &Path, role: &str) -> Result<String> {
    let (public, secret) = p::new_key()?;
    let mut n = 1;
    while keys_dir.join(format!("{role}-{n}.key")).exists() {
        n += 1;
    }
    hikae_files::write_atomically(&keys_dir.join(format!("{role}-{n}.key")), secret.as_bytes())?;
    hikae_files::write_atomically(
        &keys_dir.join(format!("{role}-{n}.pub")),
        format!("untrusted comment: hikae channel {role} key\n{public}\n").as_bytes(),
    )?;
    Ok(public)
}

/// The newest root version in the channel folder.
fn newest_root(dir: &Path) -> Result<(u64, Vec<u8>)> {
    let mut v = 0;
    while dir.join(format!("{}.root.json", v + 1)).exists() {
        v += 1;
    }
    if v == 0 {
        return Err(Error::Input(format!(
            "{}: no 1.root.json; make the channel with `hikae fleet channel-init`",
            dir.display()
        )));
    }
    Ok((v, read(&dir.join(format!("{v}.root.json")))?))
}

/// Makes a channel: keys for each role (`root_keys` root keys, all of which must sign a key
/// change) and its first root. Refuses a folder that holds a channel already.
pub fn init(dir: &Path, keys_dir: &Path, root_keys: usize) -> Result<Published> {
    if !(1..=9).contains(&root_keys) {
        return Err(Error::Input(format!("--root-keys {root_keys}: use 1 to 9")));
    }
    if dir.join("1.root.json").exists() {
        return Err(Error::Conflict(format!(
            "{}: a channel is there already (1.root.json)",
            dir.display()
        )));
    }
    hikae_files::private_dir(keys_dir)?;
    if std::fs::read_dir(keys_dir)
        .map_err(|e| io(keys_dir, e))?
        .next()
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "{}: not empty; a channel's keys go in a folder of their own",
            keys_dir.display()
        )));
    }
    let mut publics: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for role in ROLES {
        let n = if role == "root" { root_keys } else { 1 };
        for _ in 0..n {
            publics
                .entry(role)
                .or_default()
                .push(make_key(keys_dir, role)?);
        }
    }
    let root = p::root(1, &publics, root_keys, Utc::now() + Expiry::default().root)?;
    let keys = load_keys(keys_dir)?;
    let file = p::sign_root(&root, &keys.root)?;
    write_public(&dir.join("1.root.json"), &file)?;
    write_public(&dir.join("root.json"), &file)?;
    Ok(Published {
        release: 0,
        timestamp_version: 0,
        root_version: 1,
        targets: vec![],
        written: vec!["1.root.json".into(), "root.json".into()],
    })
}

/// The channel as published, verified (nothing is signed over a tampered folder).
fn current(dir: &Path) -> Result<(Root, Option<Current>)> {
    let (newest, root_file) = newest_root(dir)?;
    let root = hikae_channel::Trusted::first(&root_file)?.root;
    if !dir.join("timestamp.json").exists() {
        return Ok((root, None));
    }
    let ts = read(&dir.join("timestamp.json"))?;
    // verified under the root it was signed under (older after a rotation)
    let under = serde_json::from_slice::<serde_json::Value>(&ts)
        .ok()
        .and_then(|v| v["signed"]["root_version"].as_u64())
        .filter(|v| (1..=newest).contains(v))
        .unwrap_or(newest);
    let cur = p::current(
        &read(&dir.join(format!("{under}.root.json")))?,
        &ts,
        &read(&dir.join("snapshot.json"))?,
        &read(&dir.join("targets.json"))?,
    )?;
    Ok((root, Some(cur)))
}

fn target(kind: TargetKind, bytes: &[u8], signature: Option<String>) -> Target {
    Target {
        kind,
        length: bytes.len() as u64,
        sha256: sha256_hex(bytes),
        signature,
    }
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::Input(format!("{}: no file name", path.display())))
}

fn signature_of(path: &Path) -> Result<Option<String>> {
    let sig = PathBuf::from(format!("{}.minisig", path.display()));
    match std::fs::read_to_string(&sig) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&sig, e)),
    }
}

/// Adds what `req` names to the channel's targets (same path: replaced), checks each file,
/// and signs the next release; with nothing new, re-signs the timestamp only.
pub fn publish(dir: &Path, keys_dir: &Path, req: &Request) -> Result<Published> {
    publish_as(dir, keys_dir, req, false)
}

fn publish_as(dir: &Path, keys_dir: &Path, req: &Request, resign: bool) -> Result<Published> {
    let keys = load_keys(keys_dir)?;
    let (root, cur) = current(dir)?;
    let mut targets: BTreeMap<String, Target> = cur
        .as_ref()
        .map(|c| c.targets.targets.clone())
        .unwrap_or_default();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for pack in &req.packs {
        let bytes = read(pack)?;
        hikae_packs::archive::read(&bytes).map_err(|problems| {
            Error::Input(format!(
                "{}: not a pack archive: {}",
                pack.display(),
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        let sig = signature_of(pack)?.ok_or_else(|| {
            Error::Input(format!(
                "{}: no {}.minisig beside it (sign it with `hikae pack sign`)",
                pack.display(),
                pack.display()
            ))
        })?;
        let path = format!("packs/{}", file_name(pack)?);
        targets.insert(path.clone(), target(TargetKind::Pack, &bytes, Some(sig)));
        files.push((path, bytes));
    }
    if let Some(r) = &req.roster {
        let bytes = read(r)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::Input(format!("{}: not UTF-8", r.display())))?;
        hikae_auth::roster::Roster::parse(text)
            .map_err(|e| Error::Input(format!("{}: {e}", r.display())))?;
        let sig = signature_of(r)?.ok_or_else(|| {
            Error::Input(format!(
                "{}: no .minisig beside it (sign it with `hikae roster sign`)",
                r.display()
            ))
        })?;
        let path = format!("roster/{}", file_name(r)?);
        targets.retain(|_, t| t.kind != TargetKind::Roster);
        targets.insert(path.clone(), target(TargetKind::Roster, &bytes, Some(sig)));
        files.push((path, bytes));
    }
    if let Some(k) = &req.trusted_keys {
        let bytes = read(k)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::Input(format!("{}: not UTF-8", k.display())))?;
        for (n, l) in text.lines().enumerate() {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let ok = match l.split_once(char::is_whitespace) {
                Some(("packs" | "rosters", key)) => {
                    minisign_verify::PublicKey::from_base64(key.trim()).is_ok()
                }
                _ => false,
            };
            if !ok {
                return Err(Error::Input(format!(
                    "{}:{}: expected `packs KEY` or `rosters KEY` (a minisign public key)",
                    k.display(),
                    n + 1
                )));
            }
        }
        let path = "keys/trusted-keys".to_string();
        targets.insert(path.clone(), target(TargetKind::TrustedKey, &bytes, None));
        files.push((path, bytes));
    }
    if let Some(c) = &req.config {
        let bytes = read(c)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::Input(format!("{}: not UTF-8", c.display())))?;
        hikae_domain::config::Config::default().merge_fragment(text, c)?;
        let path = format!("config/{}", file_name(c)?);
        targets.insert(path.clone(), target(TargetKind::Config, &bytes, None));
        files.push((path, bytes));
    }
    for r in &req.remove {
        if targets.remove(r).is_none() {
            return Err(Error::Input(format!(
                "--remove {r}: the channel lists no such file"
            )));
        }
    }
    let rel = p::release(
        &root,
        cur.as_ref(),
        targets.clone(),
        &keys,
        &Expiry::default(),
        Utc::now(),
        resign,
    )?;
    // the files first, the metadata after them, the timestamp last
    for (path, bytes) in &files {
        write_public(&dir.join("targets").join(path), bytes)?;
    }
    let mut written = Vec::new();
    if let Some(t) = &rel.targets {
        write_public(&dir.join("targets.json"), t)?;
        written.push("targets.json".to_string());
    }
    if let Some(s) = &rel.snapshot {
        write_public(&dir.join("snapshot.json"), s)?;
        written.push("snapshot.json".to_string());
    }
    write_public(&dir.join("timestamp.json"), &rel.timestamp)?;
    written.push("timestamp.json".to_string());
    Ok(Published {
        release: rel.version,
        timestamp_version: cur.map_or(0, |c| c.timestamp.version) + 1,
        root_version: root.version,
        targets: targets.keys().cloned().collect(),
        written,
    })
}

/// Replaces `role`'s keys with a new key (for the root role: as many new keys as before, all
/// needed), signs the next root with the old root keys and the new ones, and re-signs the
/// release under it. The old secret keys move to `keys_dir/retired/`.
pub fn rotate_key(dir: &Path, keys_dir: &Path, role: &str) -> Result<Published> {
    if !ROLES.contains(&role) {
        return Err(Error::Input(format!(
            "--role {role}: one of {}",
            ROLES.join(", ")
        )));
    }
    let old_keys = load_keys(keys_dir)?;
    let (old_root, _) = current(dir)?;
    let n = old_keys.of(role).len().max(1);
    let retired = keys_dir.join("retired");
    hikae_files::private_dir(&retired)?;
    // move the old files out before making new ones (the new take their numbers)
    for e in std::fs::read_dir(keys_dir)
        .map_err(|e| io(keys_dir, e))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with(&format!("{role}-")) {
            let to = retired.join(format!("v{}-{name}", old_root.version));
            std::fs::rename(e.path(), &to).map_err(|err| io(&to, err))?;
        }
    }
    let mut publics = Vec::new();
    for _ in 0..n {
        publics.push(make_key(keys_dir, role)?);
    }
    let threshold = if role == "root" { n } else { 1 };
    let next = p::rotated(
        &old_root,
        role,
        &publics,
        threshold,
        Utc::now() + Expiry::default().root,
    )?;
    let new_keys = load_keys(keys_dir)?;
    let mut signers = old_keys.root.clone();
    for k in &new_keys.root {
        if !signers.iter().any(|(id, _)| id == &k.0) {
            signers.push(k.clone());
        }
    }
    let file = p::sign_root(&next, &signers)?;
    write_public(&dir.join(format!("{}.root.json", next.version)), &file)?;
    write_public(&dir.join("root.json"), &file)?;
    // the release again under the new keys (a new timestamp naming the new root)
    let mut out = publish_as(dir, keys_dir, &Request::default(), true)?;
    out.written.insert(0, format!("{}.root.json", next.version));
    Ok(out)
}
