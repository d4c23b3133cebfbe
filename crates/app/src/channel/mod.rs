//! The ward PC's side of the administrator's signed channel: pin its first root, then check
//! it (HTTPS or a drop folder, the same checks) and install what a verified release lists —
//! trusted keys, the roster, packs, a shared config fragment. In three steps like the
//! snapshot, so a shell never waits on the network holding the app: [`Hikae::channel_prepare`],
//! [`fetch`] (no data held), [`Hikae::channel_done`].
//!
//! What the PC trusts (the root, the versions seen, the verified targets, what it installed)
//! is kept in the encrypted store, where the OS user cannot rewrite it.

pub mod publish;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use hikae_channel::{Fetched as Round, Target, TargetKind, Targets, Trusted, Update};
use hikae_domain::audit::{Action, Event};
use hikae_domain::{Error, Result};
use hikae_sync::channel::{Source, Traffic};

use crate::{packs::KeyRole, Hikae};
use hikae_auth::session::Permission;

const STATE: &str = "channel:state";
const INSTALLED: &str = "channel:installed:";
const CHECKED_AT: &str = "channel_checked_at";
const RESULT: &str = "channel_result";
/// How a kept result starts: a refused round, or one whose metadata verified but a file did not.
const REFUSED: &str = "refused: ";
const PARTLY_REFUSED: &str = "partly refused: ";
/// Most a metadata file may be.
const META_MAX: u64 = 1024 * 1024;
/// Most a distributed file may be.
const TARGET_MAX: u64 = 32 * 1024 * 1024;
/// Even when the timestamp names no newer root, the next root is looked for this often: a
/// stolen timestamp key alone cannot hide a rotation for longer.
const ROOT_PROBE_HOURS: i64 = 24;

/// What this PC has verified of the channel (kept in the encrypted store).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    trusted: Trusted,
    targets: Option<Targets>,
    roots_checked_at: Option<DateTime<Utc>>,
}

/// Step 1's result: where to look and what is trusted already.
pub struct Plan {
    source: Source,
    state: State,
    installed: BTreeMap<String, String>,
    probe_roots: bool,
    now: DateTime<Utc>,
}

/// Step 2's result: a verified round and the files it needs installed.
pub struct Fetch {
    update: Update,
    next: Trusted,
    files: Vec<(String, Target, Vec<u8>)>,
    /// Files of the release that could not be fetched or were refused (tried again next time).
    refused: Vec<String>,
    traffic: Traffic,
}

/// What one check did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChannelCheck {
    pub source: String,
    /// The release (targets version) this PC now follows.
    pub release: u64,
    pub root_version: u64,
    pub unchanged: bool,
    pub installed: Vec<String>,
    pub refused: Vec<String>,
    pub requests: u32,
    pub bytes: u64,
}

/// The channel as this PC knows it (`hikae fleet channel`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChannelStatus {
    pub source: Option<String>,
    pub root_version: Option<u64>,
    pub release: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub checked_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    /// Path → SHA-256 of each file installed from the channel.
    pub installed: BTreeMap<String, String>,
}

impl ChannelStatus {
    /// Why the last check was refused (wholly or a file of it), if it was.
    pub fn refusal(&self) -> Option<&str> {
        let r = self.result.as_deref()?;
        r.strip_prefix(REFUSED)
            .or_else(|| r.strip_prefix(PARTLY_REFUSED))
    }
}

impl Hikae {
    fn channel_state(&self) -> Result<Option<State>> {
        match self.store.trust_value(STATE)? {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s).map(Some).map_err(|e| {
                Error::Input(format!(
                    "the channel state in the store cannot be read: {e}"
                ))
            }),
        }
    }

    /// Pins the channel's first root (the administrator's `root.json`, brought out of band
    /// like a trusted key). Administrators; audited. A root is pinned once: later roots come
    /// through the channel, signed by this one's keys.
    pub fn channel_trust(&mut self, root_file: &[u8]) -> Result<u64> {
        self.require(Permission::Administer)?;
        if let Some(s) = self.channel_state()? {
            return Err(Error::Conflict(format!(
                "this PC already trusts the channel's root version {}: new roots come through the channel, signed by its keys",
                s.trusted.root.version
            )));
        }
        let trusted = Trusted::first(root_file)?;
        let v = trusted.root.version;
        let state = State {
            trusted,
            targets: None,
            roots_checked_at: None,
        };
        let e = Event::new(&self.actor, Action::Settings).detail(format!(
            "channel root version {v} pinned (SHA-256 {})",
            &hikae_channel::sha256_hex(root_file)[..16]
        ));
        self.store.audit_with_next_write(e);
        self.store
            .set_trust_value(STATE, &serde_json::to_string(&state).map_err(json)?)?;
        Ok(v)
    }

    /// The channel as this PC knows it.
    pub fn channel_status(&self) -> Result<ChannelStatus> {
        let cfg = crate::config::load(&self.data_dir)?;
        let source = Source::new(&cfg.channel, &cfg.tls)?.map(|s| s.describe());
        let state = self.channel_state()?;
        Ok(ChannelStatus {
            source,
            root_version: state.as_ref().map(|s| s.trusted.root.version),
            release: state.as_ref().map(|s| s.trusted.targets),
            checked_at: self
                .store
                .device_get(CHECKED_AT)?
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
            result: self.store.device_get(RESULT)?,
            installed: self.installed_from_channel()?,
        })
    }

    /// Whether the desktop's background check is due: a channel is configured, checks are
    /// periodic, and the last one (refused or not) is `check_minutes` old.
    pub fn channel_due(&self) -> Result<bool> {
        let cfg = crate::config::load(&self.data_dir)?.channel;
        if !cfg.configured() || cfg.check_minutes == 0 || self.channel_state()?.is_none() {
            return Ok(false);
        }
        let last = self
            .store
            .device_get(CHECKED_AT)?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(last
            .is_none_or(|t| Utc::now() - t >= chrono::Duration::minutes(cfg.check_minutes as i64)))
    }

    fn installed_from_channel(&self) -> Result<BTreeMap<String, String>> {
        Ok(self
            .store
            .trust_values(INSTALLED)?
            .into_iter()
            .map(|(k, v)| (k[INSTALLED.len()..].to_string(), v))
            .collect())
    }

    /// Checks the channel and installs what a verified release lists, in one go (the CLI's
    /// `hikae fleet update`). `Ok(None)` when no channel is configured.
    pub fn channel_check(&mut self) -> Result<Option<ChannelCheck>> {
        let Some(plan) = self.channel_prepare()? else {
            return Ok(None);
        };
        let fetched = fetch(&plan);
        self.channel_done(&plan, fetched).map(Some)
    }

    /// Step 1: the source and what is trusted; `Ok(None)` when no channel is configured.
    /// Needs no one at the keyboard: what the channel brings is signed, its own authority.
    pub fn channel_prepare(&mut self) -> Result<Option<Plan>> {
        let cfg = crate::config::load(&self.data_dir)?;
        let Some(source) = Source::new(&cfg.channel, &cfg.tls)? else {
            return Ok(None);
        };
        let state = self.channel_state()?.ok_or_else(|| {
            Error::Input(format!(
                "[channel] names {}, but this PC trusts no channel root yet: an administrator pins it with `hikae fleet channel-trust root.json`",
                source.describe()
            ))
        })?;
        let now = Utc::now();
        let probe_roots = state
            .roots_checked_at
            .is_none_or(|t| now - t >= chrono::Duration::hours(ROOT_PROBE_HOURS));
        Ok(Some(Plan {
            source,
            installed: self.installed_from_channel()?,
            state,
            probe_roots,
            now,
        }))
    }

    /// Step 3: installs what was fetched (trusted keys, then the roster, packs, the config
    /// fragment), keeps the new trusted state, audits the check. A refused round changes
    /// nothing; a file refused at install is left for the next check.
    pub fn channel_done(&mut self, plan: &Plan, fetched: Result<Fetch>) -> Result<ChannelCheck> {
        let src = plan.source.describe();
        self.store
            .device_set(CHECKED_AT, &Utc::now().to_rfc3339())?;
        let f = match fetched {
            Ok(f) => f,
            Err(err) => {
                self.store.device_set(RESULT, &format!("{REFUSED}{err}"))?;
                let e = Event::new(&self.actor, Action::Sync)
                    .detail(format!("channel check of {src} refused: {err}"))
                    .failed();
                self.store.audit(&e)?;
                return Err(err);
            }
        };
        // another check finished while this one fetched: keep its result, not an older one
        let now_state = self.channel_state()?;
        if now_state
            .as_ref()
            .is_some_and(|s| s.trusted != plan.state.trusted)
        {
            return Err(Error::Conflict(
                "another channel check finished first; nothing was installed by this one".into(),
            ));
        }
        let mut files = f.files;
        let rank = |k: TargetKind| match k {
            TargetKind::TrustedKey => 0,
            TargetKind::Roster => 1,
            TargetKind::Pack => 2,
            TargetKind::Config => 3,
        };
        files.sort_by_key(|(p, t, _)| (rank(t.kind), p.clone()));
        let mut installed = Vec::new();
        let mut refused = f.refused;
        for (path, t, bytes) in &files {
            match self.install_target(path, t, bytes) {
                Ok(what) => {
                    self.store
                        .set_trust_value(&format!("{INSTALLED}{path}"), &t.sha256)?;
                    installed.push(format!("{path}: {what}"));
                }
                Err(e) => {
                    let ev = Event::new(&self.actor, Action::Sync)
                        .detail(format!("channel file {path} refused: {e}"))
                        .failed();
                    self.store.audit(&ev)?;
                    refused.push(format!("{path}: {e}"));
                }
            }
        }
        let targets = match &f.update {
            Update::New(t) => Some(t.clone()),
            Update::Unchanged => plan.state.targets.clone(),
        };
        let state = State {
            trusted: f.next,
            targets,
            roots_checked_at: if plan.probe_roots {
                Some(plan.now)
            } else {
                plan.state.roots_checked_at
            },
        };
        let unchanged = matches!(f.update, Update::Unchanged) && installed.is_empty();
        let out = ChannelCheck {
            source: src.clone(),
            release: state.trusted.targets,
            root_version: state.trusted.root.version,
            unchanged,
            installed,
            refused,
            requests: f.traffic.requests,
            bytes: f.traffic.bytes,
        };
        let summary = if out.unchanged && out.refused.is_empty() {
            format!("release {} unchanged", out.release)
        } else {
            format!(
                "release {}: {} installed{}{}",
                out.release,
                out.installed.len(),
                if out.installed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", out.installed.join("; "))
                },
                if out.refused.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} refused ({})",
                        out.refused.len(),
                        out.refused.join("; ")
                    )
                }
            )
        };
        self.store.device_set(
            RESULT,
            &if out.refused.is_empty() {
                format!("ok: {summary}")
            } else {
                format!("{PARTLY_REFUSED}{summary}")
            },
        )?;
        let mut e = Event::new(&self.actor, Action::Sync).detail(format!(
            "channel check of {src}: {summary}; {} request(s), {} bytes",
            out.requests, out.bytes
        ));
        if !out.refused.is_empty() {
            e = e.failed();
        }
        self.store.audit_with_next_write(e);
        self.store
            .set_trust_value(STATE, &serde_json::to_string(&state).map_err(json)?)?;
        Ok(out)
    }

    /// Installs one verified file; says what it did.
    fn install_target(&mut self, path: &str, t: &Target, bytes: &[u8]) -> Result<String> {
        let text = || {
            std::str::from_utf8(bytes).map_err(|_| Error::Input(format!("{path}: not UTF-8 text")))
        };
        match t.kind {
            TargetKind::TrustedKey => self.channel_keys(path, text()?),
            TargetKind::Roster => {
                let f = crate::security::FetchedRoster {
                    url: format!("channel:{path}"),
                    text: text()?.to_string(),
                    signature: t.signature.clone(),
                };
                Ok(match self.install_fetched_roster(&f)? {
                    Some(r) => format!("roster version {}", r.version),
                    None => "roster not newer than the one installed".into(),
                })
            }
            TargetKind::Pack => self.channel_pack(path, bytes, t.signature.as_deref()),
            TargetKind::Config => {
                let mut cfg = crate::config::load(&self.data_dir)?;
                let names =
                    cfg.merge_fragment(text()?, std::path::Path::new(&format!("channel:{path}")))?;
                crate::config::save(&cfg, &self.data_dir)?;
                let e = Event::new(&self.actor, Action::Settings).detail(format!(
                    "config.toml [{}] set from channel:{path}",
                    names.join("], [")
                ));
                self.store.audit(&e)?;
                Ok(format!("config [{}]", names.join("], [")))
            }
        }
    }

    /// A pack from the channel: signed by a trusted pack key, like any install.
    fn channel_pack(&mut self, path: &str, bytes: &[u8], sig: Option<&str>) -> Result<String> {
        let (pack, _) =
            hikae_packs::install::validate(bytes, sig, &self.rules).map_err(crate::pack_error)?;
        let (id, version) = (pack.manifest.id.clone(), pack.manifest.version.clone());
        if let Some(cur) = self.current_version(&id) {
            let (c, n) = (
                hikae_packs::install::parse_version(&cur),
                hikae_packs::install::parse_version(&version),
            );
            if n <= c {
                return Ok(format!("{id} {version} (this PC has {cur})"));
            }
        }
        let _ = path;
        self.install_pack_as(bytes, sig, "channel")?;
        Ok(format!("{id} {version}"))
    }

    /// The channel's trusted-keys file (`packs KEY` / `rosters KEY` lines) is the whole list of
    /// keys the channel vouches for: keys it added before and no longer lists are revoked.
    fn channel_keys(&mut self, path: &str, text: &str) -> Result<String> {
        let mut want: Vec<(KeyRole, String)> = Vec::new();
        for (n, l) in text.lines().enumerate() {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (role, key) = match l.split_once(char::is_whitespace) {
                Some(("packs", k)) => (KeyRole::Packs, k.trim()),
                Some(("rosters", k)) => (KeyRole::Rosters, k.trim()),
                _ => {
                    return Err(Error::Input(format!(
                        "{path}:{}: expected `packs KEY` or `rosters KEY`",
                        n + 1
                    )))
                }
            };
            minisign_verify::PublicKey::from_base64(key).map_err(|e| {
                Error::Input(format!("{path}:{}: not a minisign public key: {e}", n + 1))
            })?;
            want.push((role, key.to_string()));
        }
        let (added, revoked) = self.set_channel_keys(&want)?;
        Ok(format!(
            "{} key(s) trusted, {added} new, {revoked} revoked",
            want.len()
        ))
    }
}

fn json(e: serde_json::Error) -> Error {
    Error::Input(format!("channel state: {e}"))
}

/// The `signed.root_version` and `signed.snapshot.version` a timestamp claims, read before it
/// is verified only to decide what to fetch (the check verifies everything).
fn claims(ts: &[u8]) -> (u64, u64) {
    let v: serde_json::Value = serde_json::from_slice(ts).unwrap_or_default();
    let s = &v["signed"];
    (
        s["root_version"].as_u64().unwrap_or(0),
        s["snapshot"]["version"].as_u64().unwrap_or(0),
    )
}

/// Step 2: reads the channel and verifies it; fetches the files this PC has not installed.
/// Holds no data; safe off the UI thread. An unchanged channel costs one request.
pub fn fetch(plan: &Plan) -> Result<Fetch> {
    let src = &plan.source;
    let mut traffic = Traffic::default();
    let ts = src
        .get("timestamp.json", META_MAX, &mut traffic)?
        .ok_or_else(|| {
            Error::Input(format!(
                "channel {}: no timestamp.json (nothing published yet?)",
                src.describe()
            ))
        })?;
    let trusted = &plan.state.trusted;
    let (root_claim, snap_claim) = claims(&ts);
    let mut roots = Vec::new();
    if plan.probe_roots || root_claim > trusted.root.version {
        let mut v = trusted.root.version + 1;
        while let Some(r) = src.get(&format!("{v}.root.json"), META_MAX, &mut traffic)? {
            roots.push(r);
            v += 1;
            if roots.len() > 64 {
                return Err(Error::Input(
                    "channel: more than 64 new roots at once: refused".into(),
                ));
            }
        }
    }
    let (snapshot, targets) = if snap_claim != trusted.snapshot || !roots.is_empty() {
        (
            src.get("snapshot.json", META_MAX, &mut traffic)?,
            src.get("targets.json", META_MAX, &mut traffic)?,
        )
    } else {
        (None, None)
    };
    let round = Round {
        roots: roots.iter().map(Vec::as_slice).collect(),
        timestamp: &ts,
        snapshot: snapshot.as_deref(),
        targets: targets.as_deref(),
    };
    let (update, next) = hikae_channel::check(trusted, &round, plan.now)?;
    let listed = match &update {
        Update::New(t) => Some(t),
        Update::Unchanged => plan.state.targets.as_ref(),
    };
    let mut files = Vec::new();
    let mut refused = Vec::new();
    for (path, t) in listed.map(|t| t.targets.iter()).into_iter().flatten() {
        if plan.installed.get(path) == Some(&t.sha256) {
            continue;
        }
        let got = src
            .get(
                &format!("targets/{path}"),
                t.length.min(TARGET_MAX),
                &mut traffic,
            )
            .and_then(|b| {
                b.ok_or_else(|| Error::Input(format!("{path}: listed but not in the channel")))
            })
            .and_then(|b| {
                listed
                    .map(|l| hikae_channel::check_target(l, path, &b))
                    .transpose()
                    .map(|_| b)
            });
        match got {
            Ok(b) => files.push((path.clone(), t.clone(), b)),
            Err(e) => refused.push(format!("{path}: {e}")),
        }
    }
    Ok(Fetch {
        update,
        next,
        files,
        refused,
        traffic,
    })
}
