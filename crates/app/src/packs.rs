//! Pack administration on this PC: the installed versions, installing a signed pack, rolling
//! back, trusting a signing key. Every change is audited.

use chrono::Utc;

use super::{pack_error, Hikae};
use hikae_auth::session::Permission;
use hikae_domain::audit::{Action, Event};
use hikae_domain::{Error, Result};
use hikae_packs::install::{parse_version, InstalledVersion, Rules};
use hikae_packs::Pack;
use hikae_store::PackEvent;

impl Hikae {
    pub fn builtin_pack(&self) -> &Pack {
        &self.builtin
    }

    pub fn installed_packs(&self) -> Vec<InstalledVersion> {
        self.packs.installed()
    }

    pub fn pack_rules(&self) -> &Rules {
        &self.rules
    }

    pub(crate) fn current_version(&self, pack_id: &str) -> Option<String> {
        let installed = self.packs.active(pack_id);
        let builtin =
            (self.builtin.manifest.id == pack_id).then(|| self.builtin.manifest.version.clone());
        match (installed, builtin) {
            (Some(a), Some(b)) => Some(if parse_version(&a) >= parse_version(&b) {
                a
            } else {
                b
            }),
            (a, b) => a.or(b),
        }
    }

    /// Installs a signed pack archive; refused (with every reason) unless it passes every rule.
    pub fn install_pack(
        &mut self,
        archive: &[u8],
        signature: Option<&str>,
        by: &str,
    ) -> Result<(String, String, Option<String>)> {
        self.require(Permission::Administer)?;
        if by.trim().is_empty() {
            return Err(Error::Input(
                "installing a pack needs the administrator's name (--by)".into(),
            ));
        }
        self.install_pack_as(archive, signature, by)
    }

    /// The install itself: a signed archive is its own authority (the channel installs with
    /// no administrator at the keyboard, as a fetched roster does).
    pub(crate) fn install_pack_as(
        &mut self,
        archive: &[u8],
        signature: Option<&str>,
        by: &str,
    ) -> Result<(String, String, Option<String>)> {
        let (pack, previous) = self
            .packs
            .install(archive, signature, &self.rules, |id| {
                self.current_version(id)
            })
            .map_err(pack_error)?;
        let id = pack.manifest.id.clone();
        let version = pack.manifest.version.clone();
        let e = Event::new(&self.actor, Action::PackInstall).detail(format!(
            "{id} {} -> {version} by {}",
            previous.as_deref().unwrap_or("(none)"),
            by.trim()
        ));
        self.store.audit_with_next_write(e);
        self.store.record_pack_event(&PackEvent {
            at: Utc::now(),
            action: "install".into(),
            pack_id: id.clone(),
            from_version: previous.clone(),
            to_version: version.clone(),
            by: by.trim().into(),
            reason: None,
        })?;
        self.store.set_trust_value(&active_key(&id), &version)?;
        self.load_installed();
        Ok((id, version, previous))
    }

    /// Makes an older installed version active again. Audited; needs a reason.
    pub fn rollback_pack(
        &mut self,
        pack_id: &str,
        to: Option<&str>,
        reason: &str,
        by: &str,
    ) -> Result<(String, String)> {
        self.require(Permission::Administer)?;
        if reason.trim().is_empty() || by.trim().is_empty() {
            return Err(Error::Input("a rollback needs --reason and --by".into()));
        }
        let current = self
            .packs
            .active(pack_id)
            .ok_or_else(|| Error::Input(format!("pack '{pack_id}' is not installed")))?;
        let versions: Vec<String> = self
            .packs
            .installed()
            .into_iter()
            .filter(|v| v.id == pack_id)
            .map(|v| v.version)
            .collect();
        let target = match to {
            Some(t) if versions.iter().any(|v| v == t) => t.to_string(),
            Some(t) => {
                return Err(Error::Input(format!(
                    "version {t} of '{pack_id}' is not installed (installed: {})",
                    versions.join(", ")
                )))
            }
            None => versions
                .iter()
                .filter(|v| parse_version(v) < parse_version(&current))
                .max_by_key(|v| parse_version(v))
                .cloned()
                .ok_or_else(|| {
                    Error::Input(format!("no older version of '{pack_id}' is installed"))
                })?,
        };
        if target == current {
            return Err(Error::Input(format!(
                "{pack_id} {target} is already active"
            )));
        }
        self.packs
            .load(pack_id, &target, &self.rules)
            .map_err(pack_error)?;
        self.packs
            .set_active(pack_id, &target)
            .map_err(pack_error)?;
        let e = Event::new(&self.actor, Action::PackRollback).detail(format!(
            "{pack_id} {current} -> {target} by {}: {}",
            by.trim(),
            reason.trim()
        ));
        self.store.audit_with_next_write(e);
        self.store.record_pack_event(&PackEvent {
            at: Utc::now(),
            action: "rollback".into(),
            pack_id: pack_id.into(),
            from_version: Some(current.clone()),
            to_version: target.clone(),
            by: by.trim().into(),
            reason: Some(reason.trim().into()),
        })?;
        self.store.set_trust_value(&active_key(pack_id), &target)?;
        self.load_installed();
        Ok((current, target))
    }

    /// Adds a public key (minisign `.pub` text or its base64 line) to the trusted keys.
    pub fn trust_key(&mut self, public_key: &str, role: KeyRole) -> Result<String> {
        self.require(Permission::Administer)?;
        let line = hikae_packs::sign::public_key_line(public_key)
            .ok_or_else(|| Error::Input("no public key found".into()))?;
        minisign_verify::PublicKey::from_base64(&line)
            .map_err(|e| Error::Input(format!("not a minisign public key: {e}")))?;
        let other = match role {
            KeyRole::Packs => &self.roster_keys,
            KeyRole::Rosters => &self.rules.trusted_keys,
        };
        if other.contains(&line) {
            return Err(Error::Conflict(format!(
                "key {line} is already trusted for {}: rosters and packs are signed with separate keys (make a new key pair with `hikae pack keygen`)",
                role.other().as_str()
            )));
        }
        let e = Event::new(&self.actor, Action::Settings)
            .detail(format!("trusted signing key for {} {line}", role.as_str()));
        // kept in the encrypted store, where a file writer cannot add one
        self.store.audit_with_next_write(e);
        self.store
            .set_trust_value(&format!("{TRUSTED_KEY}{line}"), role.as_str())?;
        let mine = match role {
            KeyRole::Packs => &mut self.rules.trusted_keys,
            KeyRole::Rosters => &mut self.roster_keys,
        };
        if !mine.contains(&line) {
            mine.push(line.clone());
        }
        self.load_installed();
        Ok(line)
    }
}

impl Hikae {
    /// Makes `want` the keys the channel vouches for: each is trusted for its role (kept in
    /// the encrypted store, marked as the channel's), and keys the channel added before but no
    /// longer lists are revoked. Keys an administrator or the system file trusts are not
    /// touched. Returns (added, revoked).
    pub(crate) fn set_channel_keys(
        &mut self,
        want: &[(KeyRole, String)],
    ) -> Result<(usize, usize)> {
        let have = self.store.trust_values(TRUSTED_KEY)?;
        for (role, k) in want {
            let other = match role {
                KeyRole::Packs => &self.roster_keys,
                KeyRole::Rosters => &self.rules.trusted_keys,
            };
            if other.contains(k) || want.iter().any(|(r, x)| x == k && r != role) {
                return Err(Error::Conflict(format!(
                    "key {k} would be trusted for both packs and rosters: refused"
                )));
            }
        }
        let mut added = 0;
        for (role, k) in want {
            let value = format!("{} {CHANNEL_MARK}", role.as_str());
            let key = format!("{TRUSTED_KEY}{k}");
            let now = have
                .iter()
                .find(|(x, _)| *x == key)
                .map(|(_, v)| v.as_str());
            if now == Some(value.as_str()) {
                continue;
            }
            if now.is_some_and(|v| !v.ends_with(CHANNEL_MARK) && !v.starts_with(REVOKED)) {
                continue; // trusted by an administrator already: theirs to remove
            }
            let e = Event::new(&self.actor, Action::Settings).detail(format!(
                "trusted signing key for {} {k} (from the channel)",
                role.as_str()
            ));
            self.store.audit_with_next_write(e);
            self.store.set_trust_value(&key, &value)?;
            added += 1;
        }
        let mut revoked = 0;
        for (key, v) in &have {
            let k = &key[TRUSTED_KEY.len()..];
            if v.ends_with(CHANNEL_MARK) && !want.iter().any(|(_, x)| x == k) {
                let e = Event::new(&self.actor, Action::Settings).detail(format!(
                    "signing key {k} revoked (no longer in the channel)"
                ));
                self.store.audit_with_next_write(e);
                self.store
                    .set_trust_value(key, &format!("{REVOKED} {CHANNEL_MARK}"))?;
                revoked += 1;
            }
        }
        let config = crate::config::load(&self.data_dir)?;
        let encrypted = self.key.is_some();
        let keys = trusted_keys(&mut self.store, &config, encrypted)?;
        self.rules.trusted_keys = keys.packs;
        self.roster_keys = keys.rosters;
        self.load_installed();
        Ok((added, revoked))
    }
}

/// What marks a trusted key the channel added (the value after its role).
const CHANNEL_MARK: &str = "(channel)";
/// The role of a key the channel revoked (the trust table keeps every row).
const REVOKED: &str = "revoked";

/// What a trusted signing key may sign: template packs or staff rosters, never both (a key
/// that signs templates must not be able to make someone an administrator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    Packs,
    Rosters,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Packs => "packs",
            KeyRole::Rosters => "rosters",
        }
    }
    fn other(self) -> KeyRole {
        match self {
            KeyRole::Packs => KeyRole::Rosters,
            KeyRole::Rosters => KeyRole::Packs,
        }
    }
}

/// The trusted signing keys, by what they may sign.
#[derive(Debug, Default)]
pub(crate) struct TrustedKeys {
    pub packs: Vec<String>,
    pub rosters: Vec<String>,
}

impl TrustedKeys {
    /// Adds `key` for the roles `role` names: "packs", "rosters", or anything else (entries
    /// from before roles existed, a bare key line) for both.
    fn add(&mut self, key: String, role: &str) {
        // "packs (channel)" is a pack key; a revoked one signs nothing
        let role = role.split_whitespace().next().unwrap_or("");
        if role == REVOKED {
            return;
        }
        if role != "rosters" {
            self.packs.push(key.clone());
        }
        if role != "packs" {
            self.rosters.push(key);
        }
    }
}

/// The trust key under which the encrypted store keeps the version of a pack this PC made
/// active (by an install or an audited rollback).
pub(crate) fn active_key(pack_id: &str) -> String {
    format!("active:pack:{pack_id}")
}

const TRUSTED_KEY: &str = "trusted_key:";
const KEYS_ADOPTED: &str = "trusted_keys_from_config";

/// Keys the installer puts here, root-owned (Linux) or writable by administrators only
/// (Windows): one minisign public key a line, after its role (`packs RWQ…`, `rosters RWQ…`; a
/// bare key counts for both, as before roles).
fn system_keys_file() -> std::path::PathBuf {
    #[cfg(windows)]
    {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        std::path::PathBuf::from(base)
            .join("Hikae")
            .join("trusted-keys")
    }
    #[cfg(not(windows))]
    {
        std::path::PathBuf::from("/etc/hikae/trusted-keys")
    }
}

/// The keys of the system file's text: `packs KEY`, `rosters KEY`, or a bare key (both).
fn system_keys(text: &str) -> TrustedKeys {
    let mut keys = TrustedKeys::default();
    for l in text.lines().map(str::trim) {
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (role, key) = match l.split_once(char::is_whitespace) {
            Some((r @ ("packs" | "rosters"), k)) => (r, k.trim()),
            _ => ("both", l),
        };
        if let Some(k) = hikae_packs::sign::public_key_line(key) {
            keys.add(k, role);
        }
    }
    keys
}

/// The signing keys this PC trusts, by role: those the installer put in the system file (see
/// [`system_keys_file`]), and those administrators added (`hikae pack trust`, `hikae roster
/// trust`), kept in the encrypted store. `config.toml`'s `[packs] trusted_keys` is a file the
/// ward PC's user can write: it counts on a demo PC, and on an encrypted one only once, at the
/// first open after keys moved into the store (then never again).
pub(crate) fn trusted_keys(
    store: &mut hikae_store::Store,
    config: &crate::config::Config,
    encrypted: bool,
) -> Result<TrustedKeys> {
    let mut keys = std::fs::read_to_string(system_keys_file())
        .map(|t| system_keys(&t))
        .unwrap_or_default();
    if encrypted && store.trust_value(KEYS_ADOPTED)?.is_none() {
        for k in &config.packs.trusted_keys {
            store.set_trust_value(&format!("{TRUSTED_KEY}{k}"), "adopted from config.toml")?;
        }
        store.set_trust_value(KEYS_ADOPTED, "done")?;
    }
    for (k, role) in store.trust_values(TRUSTED_KEY)? {
        keys.add(k[TRUSTED_KEY.len()..].to_string(), &role);
    }
    if !encrypted {
        for k in &config.packs.trusted_keys {
            keys.add(k.clone(), "both");
        }
    }
    for list in [&mut keys.packs, &mut keys.rosters] {
        list.sort();
        list.dedup();
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_file_gives_each_key_its_role() {
        let (p, r, both) = (
            "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
            "RWRf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
            "RWSf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
        );
        let k = system_keys(&format!(
            "# installed by the hospital's IT\npacks {p}\nrosters   {r}\n\n{both}\n"
        ));
        assert_eq!(k.packs, vec![p.to_string(), both.to_string()]);
        assert_eq!(k.rosters, vec![r.to_string(), both.to_string()]);
    }
}
