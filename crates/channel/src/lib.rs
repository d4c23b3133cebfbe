//! The signed distribution channel's metadata (issue 18, part 1): what a ward PC checks before
//! it installs anything an administrator distributes (packs, rosters, trusted keys, a config
//! fragment). The shape is The Update Framework's (TUF): four roles, each a JSON file
//! `{"signed": {...}, "signatures": [{"keyid", "sig"}]}` signed by a threshold of its keys, with
//! minisign (Ed25519) signatures over the canonical bytes of `signed` (serde_json's sorted keys,
//! no whitespace) and a trusted comment naming the role and version, so a signature of one file
//! cannot be moved to another.
//!
//! - `root`: the keys and thresholds of every role; a new root must be signed by a threshold of
//!   the old root's keys *and* of its own (a single stolen key cannot rotate keys).
//! - `timestamp`: the newest snapshot (version, length, SHA-256); short expiry (freeze).
//! - `snapshot`: the targets metadata of this release (version, length, SHA-256): no mixing of
//!   files from different releases.
//! - `targets`: each distributed file's kind, length and SHA-256: nothing else is accepted.
//!
//! Versions never go down (rollback); an expired role stops *installing*, never working with
//! what was verified before. This crate is pure: no network, no files, no clock of its own.

use std::collections::BTreeMap;
use std::io::Cursor;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use hikae_domain::error::{Error, Result};

pub const ROLES: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub keyids: Vec<String>,
    pub threshold: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    #[serde(rename = "_type")]
    pub kind: String,
    pub version: u64,
    pub expires: DateTime<Utc>,
    /// Key id → the base64 line of a minisign public key.
    pub keys: BTreeMap<String, String>,
    /// "root", "timestamp", "snapshot", "targets".
    pub roles: BTreeMap<String, Role>,
}

/// Another metadata file, pinned: its version and its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaRef {
    pub version: u64,
    pub length: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timestamp {
    #[serde(rename = "_type")]
    pub kind: String,
    pub version: u64,
    pub expires: DateTime<Utc>,
    /// The root version in force when this was signed: a PC that trusts an older root fetches
    /// the newer ones first (so an unchanged check is one request; see [`check`]).
    pub root_version: u64,
    pub snapshot: MetaRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(rename = "_type")]
    pub kind: String,
    pub version: u64,
    pub expires: DateTime<Utc>,
    pub targets: MetaRef,
}

/// What a distributed file is, so the PC installs it the right way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Pack,
    Roster,
    TrustedKey,
    Config,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub kind: TargetKind,
    pub length: u64,
    pub sha256: String,
    /// A pack's or roster's own minisign signature (its author's key, which the PC must trust
    /// for that role): the channel vouches for the release, the signature for the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(rename = "_type")]
    pub kind: String,
    pub version: u64,
    pub expires: DateTime<Utc>,
    /// Path in the channel → the file.
    pub targets: BTreeMap<String, Target>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Signature {
    keyid: String,
    sig: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    signed: Value,
    signatures: Vec<Signature>,
}

fn err(msg: impl Into<String>) -> Error {
    Error::Input(format!("channel: {}", msg.into()))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A pin of `bytes` as version `version`.
pub fn meta_ref(version: u64, bytes: &[u8]) -> MetaRef {
    MetaRef {
        version,
        length: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    }
}

fn comment(role: &str, version: u64) -> String {
    format!("hikae-channel role={role} version={version}")
}

fn canonical(v: &Value) -> Result<Vec<u8>> {
    // serde_json's map is ordered by key: the same value always gives the same bytes
    serde_json::to_vec(v).map_err(|e| err(e.to_string()))
}

/// Signs role metadata with each (key id, minisign secret key file text); returns the file.
pub fn sign<T: Serialize>(
    role: &str,
    version: u64,
    signed: &T,
    keys: &[(String, String)],
) -> Result<Vec<u8>> {
    let value = serde_json::to_value(signed).map_err(|e| err(e.to_string()))?;
    let bytes = canonical(&value)?;
    let mut signatures = Vec::new();
    for (keyid, secret) in keys {
        let bad = |e: minisign::PError| err(format!("signing {role} with {keyid}: {e}"));
        let sk = minisign::SecretKeyBox::from_string(secret)
            .map_err(bad)?
            .into_unencrypted_secret_key()
            .map_err(bad)?;
        let sig = minisign::sign(
            None,
            &sk,
            Cursor::new(&bytes),
            Some(&comment(role, version)),
            Some("Hikae channel metadata"),
        )
        .map_err(bad)?;
        signatures.push(Signature {
            keyid: keyid.clone(),
            sig: sig.to_string(),
        });
    }
    serde_json::to_vec_pretty(&Envelope {
        signed: value,
        signatures,
    })
    .map_err(|e| err(e.to_string()))
}

/// The `signed` part of a metadata file, once `role`'s threshold of `root`'s keys has signed
/// it (each key counted once, each signature's trusted comment naming this role and version).
fn verified<T: for<'de> Deserialize<'de>>(
    role: &str,
    file: &[u8],
    keys: &BTreeMap<String, String>,
    r: &Role,
) -> Result<T> {
    let env: Envelope = serde_json::from_slice(file)
        .map_err(|e| err(format!("{role}.json is not channel metadata: {e}")))?;
    let bytes = canonical(&env.signed)?;
    let version = env.signed["version"].as_u64().unwrap_or(0);
    // counted by key, not by name: one key listed under two ids signs once
    let mut good: Vec<&str> = Vec::new();
    for s in &env.signatures {
        if !r.keyids.contains(&s.keyid) {
            continue;
        }
        let Some(pk) = keys.get(&s.keyid) else {
            continue;
        };
        let key = pk.trim();
        if good.contains(&key) {
            continue;
        }
        let (Ok(pk), Ok(sig)) = (
            minisign_verify::PublicKey::from_base64(pk),
            minisign_verify::Signature::decode(&s.sig),
        ) else {
            continue;
        };
        let said = sig
            .trusted_comment()
            .trim_start_matches("trusted comment:")
            .trim();
        if said != comment(role, version) {
            continue;
        }
        if pk.verify(&bytes, &sig, false).is_ok() {
            good.push(key);
        }
    }
    if r.threshold == 0 || good.len() < r.threshold {
        return Err(err(format!(
            "{role}.json version {version} has {} valid signature(s) of the {} its role needs: refused",
            good.len(),
            r.threshold.max(1)
        )));
    }
    let out: T =
        serde_json::from_value(env.signed).map_err(|e| err(format!("{role}.json: {e}")))?;
    Ok(out)
}

fn role<'a>(root: &'a Root, name: &str) -> Result<&'a Role> {
    root.roles.get(name).ok_or_else(|| {
        err(format!(
            "root.json version {} has no {name} role",
            root.version
        ))
    })
}

fn kind_is(kind: &str, want: &str) -> Result<()> {
    if kind == want {
        Ok(())
    } else {
        Err(err(format!(
            "a {kind:?} file where {want}.json was expected"
        )))
    }
}

/// What a PC has verified before, kept where its OS user cannot rewrite it (the encrypted store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trusted {
    pub root: Root,
    pub timestamp: u64,
    pub snapshot: u64,
    pub targets: u64,
}

impl Trusted {
    /// The first root, installed by the administrator (pinned out of band, like a trusted key).
    pub fn first(root_file: &[u8]) -> Result<Trusted> {
        let env: Envelope = serde_json::from_slice(root_file)
            .map_err(|e| err(format!("root.json is not channel metadata: {e}")))?;
        let root: Root = serde_json::from_value(env.signed.clone())
            .map_err(|e| err(format!("root.json: {e}")))?;
        kind_is(&root.kind, "root")?;
        // a root vouches for itself with its own threshold
        let root: Root = verified("root", root_file, &root.keys, role(&root, "root")?)?;
        Ok(Trusted {
            root,
            timestamp: 0,
            snapshot: 0,
            targets: 0,
        })
    }
}

/// The files of one check of the channel: new roots in order (each the next version), then
/// the timestamp, and the snapshot and targets only when the timestamp names new ones.
pub struct Fetched<'a> {
    pub roots: Vec<&'a [u8]>,
    pub timestamp: &'a [u8],
    pub snapshot: Option<&'a [u8]>,
    pub targets: Option<&'a [u8]>,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// The timestamp names the snapshot already verified: nothing to fetch or install.
    Unchanged,
    /// A new release: its targets, to fetch and check with [`check_target`].
    New(Targets),
}

/// Checks one round of the channel against what this PC trusts, at `now`; returns what to
/// install and the new trusted state, or refuses with what is wrong. Nothing is trusted from a
/// round that fails (the caller keeps its old state).
pub fn check(trusted: &Trusted, f: &Fetched, now: DateTime<Utc>) -> Result<(Update, Trusted)> {
    let mut root = trusted.root.clone();
    // 1. key rotation: each new root signed by the old root's threshold and its own
    for file in &f.roots {
        let by_old: Root = verified("root", file, &root.keys, role(&root, "root")?)?;
        kind_is(&by_old.kind, "root")?;
        let by_new: Root = verified("root", file, &by_old.keys, role(&by_old, "root")?)?;
        if by_new.version != root.version + 1 {
            return Err(err(format!(
                "root.json version {} after version {}: roots go up one at a time (rollback or a skipped root)",
                by_new.version, root.version
            )));
        }
        root = by_new;
    }
    if root.expires <= now {
        return Err(err(format!(
            "root.json version {} expired at {}: nothing new is installed until the administrator publishes a new one",
            root.version, root.expires
        )));
    }
    // a timestamp or snapshot key taken away (rotated after a compromise): what it vouched for
    // may have been fast-forwarded, so those two floors start again (TUF 5.3.11); the targets
    // floor never does
    let role_keys = |r: &Root, name: &str| -> std::collections::BTreeSet<String> {
        r.roles
            .get(name)
            .map(|role| {
                role.keyids
                    .iter()
                    .filter_map(|id| r.keys.get(id).map(|k| k.trim().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let removed = |name: &str| {
        let kept = role_keys(&root, name);
        role_keys(&trusted.root, name)
            .iter()
            .any(|k| !kept.contains(k))
    };
    let reset = removed("timestamp") || removed("snapshot");
    let floor = |name: &str, v: u64| if reset && name != "targets" { 0 } else { v };
    // 2. the timestamp: signed under a root this PC has (read before the signature only to
    // say so: a refusal either way), never older, not expired
    let claimed = serde_json::from_slice::<Value>(f.timestamp)
        .ok()
        .and_then(|v| v["signed"]["root_version"].as_u64())
        .unwrap_or(0);
    if claimed > root.version {
        return Err(err(format!(
            "timestamp.json was signed under root.json version {claimed}, and this PC has verified only version {}: the newer root(s) were not fetched",
            root.version
        )));
    }
    let ts: Timestamp = verified(
        "timestamp",
        f.timestamp,
        &root.keys,
        role(&root, "timestamp")?,
    )?;
    kind_is(&ts.kind, "timestamp")?;
    if ts.version < floor("timestamp", trusted.timestamp) {
        return Err(err(format!(
            "timestamp.json version {} is older than version {} verified before: rollback refused",
            ts.version, trusted.timestamp
        )));
    }
    if ts.expires <= now {
        return Err(err(format!(
            "timestamp.json expired at {}: the channel is stale (frozen); nothing new is installed, what is installed keeps working",
            ts.expires
        )));
    }
    if ts.snapshot.version < floor("snapshot", trusted.snapshot) {
        return Err(err(format!(
            "timestamp.json names snapshot version {}, older than version {} verified before: rollback refused",
            ts.snapshot.version, trusted.snapshot
        )));
    }
    let mut next = Trusted {
        root: root.clone(),
        timestamp: ts.version,
        snapshot: trusted.snapshot,
        targets: trusted.targets,
    };
    if ts.snapshot.version == trusted.snapshot && !reset && f.snapshot.is_none() {
        return Ok((Update::Unchanged, next));
    }
    // 3. the snapshot: exactly the bytes the timestamp pins
    let snap_file = f
        .snapshot
        .ok_or_else(|| err("timestamp.json names a new snapshot.json, which was not fetched"))?;
    pinned("snapshot", snap_file, &ts.snapshot)?;
    let snap: Snapshot = verified("snapshot", snap_file, &root.keys, role(&root, "snapshot")?)?;
    kind_is(&snap.kind, "snapshot")?;
    if snap.version != ts.snapshot.version {
        return Err(err(format!(
            "snapshot.json says version {}, the timestamp pins version {}",
            snap.version, ts.snapshot.version
        )));
    }
    if snap.expires <= now {
        return Err(err(format!("snapshot.json expired at {}", snap.expires)));
    }
    if snap.targets.version < floor("targets", trusted.targets) {
        return Err(err(format!(
            "snapshot.json names targets version {}, older than version {} verified before: rollback refused",
            snap.targets.version, trusted.targets
        )));
    }
    // 4. the targets: exactly the bytes the snapshot pins (no files from another release)
    let tfile = f
        .targets
        .ok_or_else(|| err("snapshot.json names a targets.json, which was not fetched"))?;
    pinned("targets", tfile, &snap.targets)?;
    let targets: Targets = verified("targets", tfile, &root.keys, role(&root, "targets")?)?;
    kind_is(&targets.kind, "targets")?;
    if targets.version != snap.targets.version {
        return Err(err(format!(
            "targets.json says version {}, the snapshot pins version {}: files of different releases (mix-and-match) refused",
            targets.version, snap.targets.version
        )));
    }
    if targets.expires <= now {
        return Err(err(format!("targets.json expired at {}", targets.expires)));
    }
    for (path, t) in &targets.targets {
        if !is_sha256(&t.sha256) {
            return Err(err(format!(
                "targets.json: {path:?} has no SHA-256 (64 hex digits)"
            )));
        }
        if path.is_empty()
            || path.len() > 200
            || path.starts_with('/')
            || path
                .chars()
                .any(|c| c == '\\' || c == ':' || c.is_control())
            || path
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..")
        {
            return Err(err(format!(
                "targets.json lists {path:?}: not a plain relative path"
            )));
        }
    }
    next.snapshot = snap.version;
    next.targets = targets.version;
    Ok((Update::New(targets), next))
}

/// 64 lowercase hex digits.
fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn pinned(role: &str, file: &[u8], pin: &MetaRef) -> Result<()> {
    if !is_sha256(&pin.sha256) {
        return Err(err(format!(
            "the pin of {role}.json has no SHA-256 (64 hex digits)"
        )));
    }
    if file.len() as u64 != pin.length || sha256_hex(file) != pin.sha256 {
        return Err(err(format!(
            "{role}.json is not the file its pin names ({} bytes, SHA-256 {}…; expected {} bytes, {}…): another release's or a changed file, refused",
            file.len(),
            &sha256_hex(file)[..12],
            pin.length,
            &pin.sha256[..pin.sha256.len().min(12)]
        )));
    }
    Ok(())
}

/// A distributed file is installed only if the verified targets list it with exactly these
/// bytes; anything else (a file not listed, or changed) is refused.
pub fn check_target<'a>(targets: &'a Targets, path: &str, bytes: &[u8]) -> Result<&'a Target> {
    let t = targets.targets.get(path).ok_or_else(|| {
        err(format!(
            "{path}: not in targets.json version {}: refused",
            targets.version
        ))
    })?;
    if bytes.len() as u64 != t.length {
        return Err(err(format!(
            "{path}: {} bytes, targets.json says {}: refused",
            bytes.len(),
            t.length
        )));
    }
    if sha256_hex(bytes) != t.sha256 {
        return Err(err(format!(
            "{path}: its SHA-256 is not the one targets.json names: changed after publishing, refused"
        )));
    }
    Ok(t)
}

pub mod publish;

#[cfg(test)]
mod tests;
