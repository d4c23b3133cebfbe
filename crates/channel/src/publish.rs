//! Making the channel's metadata (the administrator's side, `hikae fleet publish`): a first
//! root, the next release, a re-signed timestamp, a rotated key. Pure: the caller reads and
//! writes the files and keeps the secret keys.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use super::*;

/// A role's signing keys: (key id, minisign secret key file text).
pub type Signers = Vec<(String, String)>;

/// The secret keys of each role.
#[derive(Default)]
pub struct Keys {
    pub root: Signers,
    pub timestamp: Signers,
    pub snapshot: Signers,
    pub targets: Signers,
}

impl Keys {
    pub fn of(&self, role: &str) -> &Signers {
        match role {
            "root" => &self.root,
            "timestamp" => &self.timestamp,
            "snapshot" => &self.snapshot,
            _ => &self.targets,
        }
    }
}

/// How long each role's metadata stays valid. The timestamp is short, so a channel an attacker
/// freezes stops installing soon; it is re-signed by `hikae fleet publish` with nothing new.
#[derive(Debug, Clone, Copy)]
pub struct Expiry {
    pub root: Duration,
    pub targets: Duration,
    pub snapshot: Duration,
    pub timestamp: Duration,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry {
            root: Duration::days(365),
            targets: Duration::days(90),
            snapshot: Duration::days(30),
            timestamp: Duration::days(7),
        }
    }
}

/// A key's id: the first 16 hex digits of the SHA-256 of its base64 public key line.
pub fn key_id(public: &str) -> String {
    sha256_hex(public.trim().as_bytes())[..16].to_string()
}

/// A new key pair: (public base64 line, secret key file text).
pub fn new_key() -> Result<(String, String)> {
    let kp = minisign::KeyPair::generate_unencrypted_keypair()
        .map_err(|e| err(format!("making a key: {e}")))?;
    let secret = kp
        .sk
        .to_box(None)
        .map_err(|e| err(format!("making a key: {e}")))?
        .to_string();
    Ok((kp.pk.to_base64(), secret))
}

/// The public key of a secret key file.
pub fn public_of(secret: &str) -> Result<String> {
    let sk = minisign::SecretKeyBox::from_string(secret)
        .and_then(|b| b.into_unencrypted_secret_key())
        .map_err(|e| err(format!("not an unencrypted minisign secret key: {e}")))?;
    let pk = minisign::PublicKey::from_secret_key(&sk)
        .map_err(|e| err(format!("not a minisign secret key: {e}")))?;
    Ok(pk.to_base64())
}

/// A root naming each role's public keys; `root_threshold` of the root keys sign key changes.
pub fn root(
    version: u64,
    publics: &BTreeMap<&str, Vec<String>>,
    root_threshold: usize,
    expires: DateTime<Utc>,
) -> Result<Root> {
    let mut keys = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for name in ROLES {
        let pks = publics
            .get(name)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| err(format!("the {name} role has no key")))?;
        let ids: Vec<String> = pks.iter().map(|p| key_id(p)).collect();
        for (id, p) in ids.iter().zip(pks) {
            keys.insert(id.clone(), p.trim().to_string());
        }
        let threshold = if name == "root" { root_threshold } else { 1 };
        if threshold == 0 || threshold > ids.len() {
            return Err(err(format!(
                "the {name} role has {} key(s): a threshold of {threshold} cannot be met",
                ids.len()
            )));
        }
        roles.insert(
            name.to_string(),
            Role {
                keyids: ids,
                threshold,
            },
        );
    }
    Ok(Root {
        kind: "root".into(),
        version,
        expires,
        keys,
        roles,
    })
}

/// A root file signed by `by` (for a rotation: the old root's keys and the new root's).
pub fn sign_root(root: &Root, by: &Signers) -> Result<Vec<u8>> {
    sign("root", root.version, root, by)
}

/// The channel as it stands, verified from its own root: what the next release builds on.
pub struct Current {
    pub root: Root,
    pub timestamp: Timestamp,
    pub snapshot_file: Vec<u8>,
    pub targets: Targets,
}

/// Verifies a published channel's files with its newest root (the publisher checks what it
/// builds on, so a tampered channel folder is not signed over). Expiry is not checked here:
/// re-signing an expired timestamp is how a frozen channel is thawed.
pub fn current(root_file: &[u8], ts: &[u8], snap: &[u8], tgt: &[u8]) -> Result<Current> {
    let fail = |e: Error| {
        err(format!(
            "the published channel does not verify, so nothing is signed over it: {e}"
        ))
    };
    let root = Trusted::first(root_file).map_err(fail)?.root;
    let timestamp: Timestamp =
        verified("timestamp", ts, &root.keys, role(&root, "timestamp")?).map_err(fail)?;
    pinned("snapshot", snap, &timestamp.snapshot).map_err(fail)?;
    let s: Snapshot =
        verified("snapshot", snap, &root.keys, role(&root, "snapshot")?).map_err(fail)?;
    pinned("targets", tgt, &s.targets).map_err(fail)?;
    let targets: Targets =
        verified("targets", tgt, &root.keys, role(&root, "targets")?).map_err(fail)?;
    if targets.version != s.targets.version || s.version != timestamp.snapshot.version {
        return Err(fail(err("the versions of its files disagree")));
    }
    Ok(Current {
        root,
        timestamp,
        snapshot_file: snap.to_vec(),
        targets,
    })
}

/// The metadata files of a release.
pub struct Release {
    pub targets: Option<Vec<u8>>,
    pub snapshot: Option<Vec<u8>>,
    pub timestamp: Vec<u8>,
    pub version: u64,
}

/// The next release listing `targets` (the whole list). If it lists exactly what `prev`
/// does, only a new timestamp is made (re-signing keeps the channel from going stale), unless
/// `resign` (after a key rotation every role signs again).
pub fn release(
    root: &Root,
    prev: Option<&Current>,
    targets: BTreeMap<String, Target>,
    keys: &Keys,
    expiry: &Expiry,
    now: DateTime<Utc>,
    resign: bool,
) -> Result<Release> {
    let ts_version = prev.map_or(0, |p| p.timestamp.version) + 1;
    let timestamp = |snapshot: MetaRef| -> Result<Vec<u8>> {
        let ts = Timestamp {
            kind: "timestamp".into(),
            version: ts_version,
            expires: now + expiry.timestamp,
            root_version: root.version,
            snapshot,
        };
        sign("timestamp", ts_version, &ts, &keys.timestamp)
    };
    if let Some(p) = prev.filter(|p| !resign && p.targets.targets == targets) {
        // nothing new: the same snapshot, re-pinned by a fresh timestamp
        return Ok(Release {
            targets: None,
            snapshot: None,
            timestamp: timestamp(p.timestamp.snapshot.clone())?,
            version: p.targets.version,
        });
    }
    let v = prev.map_or(0, |p| p.targets.version) + 1;
    let sv = prev.map_or(0, |p| p.timestamp.snapshot.version) + 1;
    let t = Targets {
        kind: "targets".into(),
        version: v,
        expires: now + expiry.targets,
        targets,
    };
    let tfile = sign("targets", v, &t, &keys.targets)?;
    let snap = Snapshot {
        kind: "snapshot".into(),
        version: sv,
        expires: now + expiry.snapshot,
        targets: meta_ref(v, &tfile),
    };
    let sfile = sign("snapshot", sv, &snap, &keys.snapshot)?;
    let tsfile = timestamp(meta_ref(sv, &sfile))?;
    Ok(Release {
        targets: Some(tfile),
        snapshot: Some(sfile),
        timestamp: tsfile,
        version: v,
    })
}

/// The next root with `role`'s keys replaced by `publics` (a rotation after a loss or a
/// compromise). Its file must be signed by the old root's threshold and the new one's.
pub fn rotated(
    old: &Root,
    role_name: &str,
    publics: &[String],
    threshold: usize,
    expires: DateTime<Utc>,
) -> Result<Root> {
    let mut by_role: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for name in ROLES {
        let pks = if name == role_name {
            publics.to_vec()
        } else {
            role(old, name)?
                .keyids
                .iter()
                .filter_map(|id| old.keys.get(id).cloned())
                .collect()
        };
        by_role.insert(name, pks);
    }
    let root_threshold = if role_name == "root" {
        threshold
    } else {
        role(old, "root")?.threshold
    };
    let mut next = root(old.version + 1, &by_role, root_threshold, expires)?;
    // keep the other roles' thresholds
    for name in ROLES.iter().filter(|n| **n != role_name && **n != "root") {
        if let (Some(r), Some(o)) = (next.roles.get_mut(*name), old.roles.get(*name)) {
            r.threshold = o.threshold;
        }
    }
    let used: BTreeSet<&String> = next.roles.values().flat_map(|r| &r.keyids).collect();
    next.keys.retain(|id, _| used.contains(id));
    Ok(next)
}
