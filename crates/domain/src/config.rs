//! Per-PC configuration (`<data dir>/config.toml`), edited by administrators. Every network
//! address the core may contact is in here; with none set, Hikae never touches the network.
//!
//! ```toml
//! [packs]
//! trusted_keys = ["RWQ…"]        # base64 minisign public keys
//! [roster]
//! url = "https://…/roster.toml"   # signed staff roster (+ .minisig)
//! [sync]
//! endpoint = "https://fhir.example-hospital.jp/fhir/R4"
//! patient_system = "urn:oid:1.2.392.100495.20.3.51.1…"
//! token_file = "/etc/hikae/fhir-token"   # bearer token (or use a client certificate)
//! [tls]
//! ca_file = "/etc/hikae/hospital-ca.pem" # the hospital's own CA, instead of the public roots
//! client_cert = "/etc/hikae/ward.pem"    # client certificate chain + key (mutual TLS)
//! client_key = "/etc/hikae/ward.key"
//! [snapshot]                              # read-only copy of these wards' patients
//! wards = ["ward-5e"]                     # FHIR Location ids
//! refresh_minutes = 15
//! retention_hours = 72                    # kept this long without a refresh, then deleted
//! [monitor]                               # services probed for the status line
//! interval_secs = 30
//! [[monitor.service]]
//! id = "ai"
//! kind = "ai"                             # ai | idp | ehr | other
//! name = "生成AI文書作成サービス"
//! url = "https://ai.example-hospital.jp/health"
//! [channel]                               # the administrator's signed distribution channel
//! url = "https://fleet.example-hospital.jp/hikae/"   # a static folder (or:)
//! folder = "/var/lib/hikae/channel"       # a drop folder endpoint management fills
//! check_minutes = 60
//! ```
//! The `[sync]` endpoint is probed as the EHR (`/metadata`) unless an `ehr` service is listed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::downtime::ServiceKind;
use crate::error::{Error, Result};

pub const CONFIG_FILE: &str = "config.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub packs: PackConfig,
    #[serde(default)]
    pub roster: RosterConfig,
    #[serde(default)]
    pub sync: SyncConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    #[serde(default)]
    pub monitor: MonitorConfig,
    #[serde(default)]
    pub snapshot: SnapshotConfig,
    #[serde(default)]
    pub fleet: FleetConfig,
    #[serde(default)]
    pub channel: ChannelConfig,
}

/// Where this PC looks for the administrator's signed channel (packs, rosters, keys, a config
/// fragment): a static folder over HTTPS, or a local drop folder. Both are checked the same
/// way; what is trusted comes from the channel's pinned root, not from here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub folder: Option<PathBuf>,
    /// Minutes between checks (desktop app); 0 checks only on demand.
    #[serde(default = "default_check_minutes")]
    pub check_minutes: u64,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            url: None,
            folder: None,
            check_minutes: default_check_minutes(),
        }
    }
}

fn default_check_minutes() -> u64 {
    60
}

impl ChannelConfig {
    /// What is wrong with the section, naming the setting.
    pub fn check(&self) -> Result<()> {
        let url = self.url.as_deref().filter(|u| !u.trim().is_empty());
        if url.is_some() && self.folder.is_some() {
            return Err(Error::Input(
                "config.toml [channel]: set url or folder, not both".into(),
            ));
        }
        if self.check_minutes > 7 * 24 * 60 {
            return Err(Error::Input(format!(
                "config.toml [channel] check_minutes = {}: use 0 (on demand only) to 10080",
                self.check_minutes
            )));
        }
        Ok(())
    }

    pub fn configured(&self) -> bool {
        self.url.as_deref().is_some_and(|u| !u.trim().is_empty()) || self.folder.is_some()
    }
}

/// The sections a channel's shared config fragment may set. Never `[packs]` or `[tls]`
/// (trusted keys and certificate paths) nor `[channel]` itself.
pub const FRAGMENT_SECTIONS: [&str; 5] = ["monitor", "sync", "snapshot", "fleet", "roster"];

/// The readiness heartbeat (a FHIR `Device` per PC on the `[sync]` endpoint).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// What the administrator calls this PC in the fleet report (default: the host name).
    #[serde(default)]
    pub label: Option<String>,
    /// Minutes between heartbeats while the server answers (desktop app); 0 sends none.
    #[serde(default = "default_heartbeat_minutes")]
    pub heartbeat_minutes: u64,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            label: None,
            heartbeat_minutes: default_heartbeat_minutes(),
        }
    }
}

fn default_heartbeat_minutes() -> u64 {
    60
}

impl FleetConfig {
    /// What is wrong with the section, naming the setting.
    pub fn check(&self) -> Result<()> {
        if let Some(l) = &self.label {
            if l.trim().is_empty() || l.chars().count() > 64 || l.chars().any(char::is_control) {
                return Err(Error::Input(format!(
                    "config.toml [fleet] label = {l:?}: use 1 to 64 characters, no control characters"
                )));
            }
        }
        if self.heartbeat_minutes > 24 * 60 {
            return Err(Error::Input(format!(
                "config.toml [fleet] heartbeat_minutes = {}: use 0 (none) to 1440",
                self.heartbeat_minutes
            )));
        }
        Ok(())
    }
}

/// The ward snapshot: a read-only copy of the configured wards' patients, kept while the
/// `[sync]` endpoint answers. Nothing is fetched while `wards` is empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotConfig {
    /// FHIR Location ids of the wards (the Location an inpatient Encounter lists).
    #[serde(default)]
    pub wards: Vec<String>,
    /// Minutes between refreshes while the server answers (desktop app).
    #[serde(default = "default_refresh_minutes")]
    pub refresh_minutes: u64,
    /// Hours a copy is kept without a refresh confirming it; vital signs and downtime
    /// documents older than this are dropped too.
    #[serde(default = "default_retention_hours")]
    pub retention_hours: u64,
    /// An incremental refresh asks for what changed since the previous one, less this many
    /// seconds (by the server's clock), for writes the server committed late.
    #[serde(default = "default_overlap_secs")]
    pub overlap_secs: u64,
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        SnapshotConfig {
            wards: Vec::new(),
            refresh_minutes: default_refresh_minutes(),
            retention_hours: default_retention_hours(),
            overlap_secs: default_overlap_secs(),
        }
    }
}

fn default_refresh_minutes() -> u64 {
    15
}
fn default_retention_hours() -> u64 {
    72
}
fn default_overlap_secs() -> u64 {
    60
}

/// A FHIR logical id: 1–64 of `A-Z a-z 0-9 - .`.
pub fn is_fhir_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

impl SnapshotConfig {
    /// What is wrong with the section, naming the setting.
    pub fn check(&self) -> Result<()> {
        if let Some(w) = self.wards.iter().find(|w| !is_fhir_id(w)) {
            return Err(Error::Input(format!(
                "config.toml [snapshot] wards: {w:?} is not a FHIR Location id (1–64 of A-Z a-z 0-9 - .)"
            )));
        }
        if self.refresh_minutes == 0 || self.refresh_minutes > 24 * 60 {
            return Err(Error::Input(format!(
                "config.toml [snapshot] refresh_minutes = {}: use 1 to 1440",
                self.refresh_minutes
            )));
        }
        if self.retention_hours == 0 || self.retention_hours > 24 * 30 {
            return Err(Error::Input(format!(
                "config.toml [snapshot] retention_hours = {}: use 1 to 720",
                self.retention_hours
            )));
        }
        if self.overlap_secs > 24 * 3600 {
            return Err(Error::Input(format!(
                "config.toml [snapshot] overlap_secs = {}: use 0 to 86400",
                self.overlap_secs
            )));
        }
        Ok(())
    }
}

/// Sync back to the hospital's FHIR R4 server. Nothing is sent without an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// FHIR base URL (http:// only for a server on this PC or in tests; use https://).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The identifier system of the hospital's patient IDs.
    #[serde(default = "default_patient_system")]
    pub patient_system: String,
    /// 保険医療機関番号 (10 digits) and name, for JP-CLINS document identifiers and the
    /// custodian organization.
    #[serde(default)]
    pub institution_no: Option<String>,
    #[serde(default)]
    pub institution_name: Option<String>,
    /// A file holding the bearer token (kept out of this file so it can be readable by fewer).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Records per request.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Seconds before a request is abandoned (and retried later).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// A production endpoint never receives drill records. Only a test server may say false.
    #[serde(default = "default_true")]
    pub production: bool,
    /// Patient IDs starting with one of these were given out during the downtime; their
    /// records wait until someone maps them to the real ID.
    #[serde(default = "default_temporary_prefixes")]
    pub temporary_id_prefixes: Vec<String>,
    /// Seconds between checks whether the server is reachable (desktop app).
    #[serde(default = "default_interval")]
    pub check_interval_secs: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            endpoint: None,
            patient_system: default_patient_system(),
            institution_no: None,
            institution_name: None,
            token_file: None,
            batch_size: default_batch_size(),
            timeout_secs: default_timeout(),
            production: true,
            temporary_id_prefixes: default_temporary_prefixes(),
            check_interval_secs: default_interval(),
        }
    }
}

fn default_patient_system() -> String {
    "urn:oid:1.2.392.100495.20.3.51.1".into()
}
fn default_batch_size() -> usize {
    20
}
fn default_timeout() -> u64 {
    30
}
fn default_true() -> bool {
    true
}
fn default_temporary_prefixes() -> Vec<String> {
    // the app gives out DT-YYYYMMDD-HHMM-XXX; paper downtime forms often use 仮…
    vec!["DT-".into(), "仮".into()]
}
fn default_interval() -> u64 {
    60
}

/// TLS for every connection the core makes (roster, sync).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file of CA certificates to trust instead of the public web roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM certificate chain presented to servers that ask for one.
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert`.
    #[serde(default)]
    pub client_key: Option<PathBuf>,
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

/// `[monitor]` in config.toml.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    /// Seconds between probes of a healthy service.
    #[serde(default = "default_probe_interval")]
    pub interval_secs: u64,
    /// A probe without an answer within this many milliseconds counts as no answer.
    #[serde(default = "default_probe_timeout")]
    pub timeout_ms: u64,
    /// An answer slower than this is "degraded".
    #[serde(default = "default_slow")]
    pub slow_ms: u64,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceDef>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            interval_secs: default_probe_interval(),
            timeout_ms: default_probe_timeout(),
            slow_ms: default_slow(),
            services: Vec::new(),
        }
    }
}

fn default_probe_interval() -> u64 {
    30
}
fn default_probe_timeout() -> u64 {
    3000
}
fn default_slow() -> u64 {
    2000
}

/// One service to watch: a URL that answers when the service works (a health endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub id: String,
    pub kind: ServiceKind,
    pub name: String,
    pub url: String,
}

impl Config {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(CONFIG_FILE)
    }

    /// Parses config.toml's text; errors name `path:line:col`.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |s| {
                let before = &text[..s.start.min(text.len())];
                (
                    before.matches('\n').count() + 1,
                    before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                )
            });
            Error::Input(format!("{}:{line}:{col}: {}", path.display(), e.message()))
        })
    }

    /// Takes each section the fragment `text` (from `origin`) names in place of this
    /// config's; returns the section names. The fragment must parse as a config, name only
    /// [`FRAGMENT_SECTIONS`], and leave every section valid; otherwise nothing changes.
    pub fn merge_fragment(&mut self, text: &str, origin: &Path) -> Result<Vec<String>> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| Error::Input(format!("{}: {}", origin.display(), e.message())))?;
        let names: Vec<String> = table.keys().cloned().collect();
        if let Some(bad) = names
            .iter()
            .find(|n| !FRAGMENT_SECTIONS.contains(&n.as_str()))
        {
            return Err(Error::Input(format!(
                "{}: a shared config fragment may set only [{}], not [{bad}]",
                origin.display(),
                FRAGMENT_SECTIONS.join("], [")
            )));
        }
        let frag = Config::parse(text, origin)?;
        let mut next = self.clone();
        for n in &names {
            match n.as_str() {
                "monitor" => next.monitor = frag.monitor.clone(),
                "sync" => next.sync = frag.sync.clone(),
                "snapshot" => next.snapshot = frag.snapshot.clone(),
                "fleet" => next.fleet = frag.fleet.clone(),
                "roster" => next.roster = frag.roster.clone(),
                _ => {}
            }
        }
        let within = |e: Error| Error::Input(format!("{}: {e}", origin.display()));
        next.snapshot.check().map_err(within)?;
        next.fleet.check().map_err(within)?;
        *self = next;
        Ok(names)
    }

    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| Error::Input(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_replaces_only_its_sections_and_never_keys_or_tls() {
        let mut c = Config::parse(
            "[packs]\ntrusted_keys = [\"RWQkeep\"]\n[sync]\nendpoint = \"https://old.example.jp/fhir\"\n[fleet]\nlabel = \"5E-1\"\n",
            Path::new("config.toml"),
        )
        .expect("config");
        let o = Path::new("channel:config/ward.toml");
        let names = c
            .merge_fragment(
                "[sync]\nendpoint = \"https://new.example.jp/fhir\"\n[monitor]\ninterval_secs = 45\n",
                o,
            )
            .expect("merge");
        assert_eq!(names, ["monitor", "sync"]);
        assert_eq!(
            c.sync.endpoint.as_deref(),
            Some("https://new.example.jp/fhir")
        );
        assert_eq!(c.monitor.interval_secs, 45);
        assert_eq!(c.fleet.label.as_deref(), Some("5E-1"), "untouched");
        for bad in [
            "[packs]\ntrusted_keys = [\"RWQevil\"]\n",
            "[tls]\nca_file = \"/tmp/evil.pem\"\n",
            "[channel]\nfolder = \"/tmp\"\n",
            "[snapshot]\nrefresh_minutes = 0\n",
            "[sync\n",
        ] {
            let before = c.to_toml().expect("toml");
            let e = c.merge_fragment(bad, o).expect_err(bad).to_string();
            assert!(e.contains("channel:config/ward.toml"), "{bad}: {e}");
            assert_eq!(c.to_toml().expect("toml"), before, "{bad} changed nothing");
        }
        assert_eq!(c.packs.trusted_keys, ["RWQkeep"]);
    }
}
