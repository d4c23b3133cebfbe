//! The data key and its wrapped copies (`<data>/keyring.json`).
//!
//! Each slot holds the data key encrypted with XChaCha20-Poly1305 under a key derived from one
//! secret with Argon2id (64 MiB, 3 passes). The slot's kind and id are bound in as associated
//! data, so a slot cannot be moved to another account. A wrong secret fails authentication;
//! the file itself reveals nothing but who has a slot.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use hikae_domain::error::{Error, Result};

pub const KEYRING_FILE: &str = "keyring.json";

/// Argon2id cost: 64 MiB, 3 passes, 1 lane (OWASP's first recommended setting).
const M_COST_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;
const P_COST: u32 = 1;
/// Upper bounds for parameters read from a keyring file (1 GiB, 16 passes, 8 lanes).
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;

/// The key the database is encrypted with. Zeroed when dropped.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> DataKey {
        let k = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&k);
        DataKey(out)
    }

    /// The SQLCipher raw-key literal: `x'…'` (64 hex digits).
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex(&self.0[..])))
    }

    /// HMAC-SHA-256 of `msg` under a key derived from this one (hex): proves that whoever
    /// wrote `msg` held the data key.
    pub fn mac(&self, msg: &[u8]) -> String {
        use sha2::{Digest, Sha256};
        let mut k = Zeroizing::new([0u8; 64]);
        k[..32].copy_from_slice(&Sha256::digest([&b"hikae-mac/1"[..], &self.0[..]].concat()));
        let pad =
            |b: u8| -> Zeroizing<Vec<u8>> { Zeroizing::new(k.iter().map(|x| x ^ b).collect()) };
        let inner = Sha256::digest([&pad(0x36)[..], msg].concat());
        hex(&Sha256::digest([&pad(0x5c)[..], &inner[..]].concat()))
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// What a right secret opens.
pub struct Opened {
    /// The data key the database should open with.
    pub key: DataKey,
    /// The data key before an unfinished rotation (the database may still be under it).
    pub previous: Option<DataKey>,
    /// A format-1 slot (the data key sealed directly under the PIN): renewed at this login.
    pub legacy: bool,
}

fn seal(key: &[u8], msg: &[u8], aad: &[u8]) -> Result<(String, String)> {
    let cipher = XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| Error::Input("keyring: bad key length".into()))?;
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(&nonce, Payload { msg, aad })
        .map_err(|_| Error::Input("keyring: wrapping failed".into()))?;
    Ok((hex(&nonce), hex(&sealed)))
}

/// `Ok(None)` when the key does not open it (wrong secret); `Err` for a damaged entry.
fn open(key: &[u8], nonce: &str, sealed: &str, aad: &[u8]) -> Result<Option<Zeroizing<[u8; 32]>>> {
    let nonce = unhex(nonce)
        .filter(|n| n.len() == 24)
        .ok_or_else(|| Error::Input("keyring: nonce is not 24 hex bytes".into()))?;
    let ct = unhex(sealed).ok_or_else(|| Error::Input("keyring: not hex".into()))?;
    let cipher = XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| Error::Input("keyring: bad key length".into()))?;
    let Ok(plain) = cipher.decrypt(
        chacha20poly1305::XNonce::from_slice(&nonce),
        Payload { msg: &ct, aad },
    ) else {
        return Ok(None);
    };
    let plain = Zeroizing::new(plain);
    if plain.len() != 32 {
        return Err(Error::Input(
            "keyring: a sealed key has the wrong length".into(),
        ));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&plain);
    Ok(Some(out))
}

fn key_aad(kind: SlotKind, id: &str) -> Vec<u8> {
    format!("hikae-keyring/2 key {} {id}", kind.as_str()).into_bytes()
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let v = unhex(s)?;
    v.try_into().ok()
}

/// The key both sides of a sealed box derive from the X25519 shared secret.
fn box_key(shared: &[u8; 32], ephemeral: &[u8; 32], public: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut k = Zeroizing::new([0u8; 32]);
    k.copy_from_slice(&Sha256::digest(
        [&b"hikae-keyring/2 box"[..], shared, ephemeral, public].concat(),
    ));
    k
}

/// Seals `key` to the slot's X25519 `public` key (an ephemeral key each time).
fn seal_to(public: &[u8; 32], key: &DataKey, aad: &[u8]) -> Result<Sealed> {
    let eph = x25519_dalek::StaticSecret::random_from_rng(OsRng);
    let eph_pub = x25519_dalek::PublicKey::from(&eph);
    let shared = eph.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    let k = box_key(shared.as_bytes(), eph_pub.as_bytes(), public);
    let (nonce, sealed) = seal(&k[..], &key.0[..], aad)?;
    Ok(Sealed {
        ephemeral: hex(eph_pub.as_bytes()),
        nonce,
        sealed,
    })
}

/// Opens a sealed box with the slot's private key.
fn open_with(private: &[u8; 32], s: &Sealed, aad: &[u8]) -> Result<Option<Zeroizing<[u8; 32]>>> {
    let secret = x25519_dalek::StaticSecret::from(*private);
    let public = x25519_dalek::PublicKey::from(&secret);
    let eph = hex32(&s.ephemeral)
        .ok_or_else(|| Error::Input("keyring: ephemeral key is not 32 hex bytes".into()))?;
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(eph));
    let k = box_key(shared.as_bytes(), &eph, public.as_bytes());
    open(&k[..], &s.nonce, &s.sealed, aad)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    /// A staff member's PIN or passphrase.
    Account,
    /// The administrator's recovery key (printed once at setup, kept in a safe).
    Recovery,
    /// The ward's emergency code for break-glass access (sealed envelope).
    Emergency,
}

impl SlotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Account => "account",
            SlotKind::Recovery => "recovery",
            SlotKind::Emergency => "emergency",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub kind: SlotKind,
    /// Staff ID for accounts; "recovery" / "emergency" otherwise.
    pub id: String,
    salt: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    nonce: String,
    /// Format 1: the data key, sealed under the key derived from the secret. Format 2: the
    /// slot's X25519 private key, sealed the same way.
    wrapped: String,
    /// Format 2: the slot's X25519 public key (hex). Anyone may seal a key *to* the slot with
    /// it; only the slot's secret opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public: Option<String>,
    /// Format 2: the data key sealed to the slot's public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<Sealed>,
    /// During a key rotation: the previous data key, sealed likewise, until the database is
    /// rekeyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_key: Option<Sealed>,
    /// Bound to this PC's TPM: the key that opens `wrapped` also needs a secret only the TPM
    /// unseals, with an authorization derived from the PIN (so the TPM counts every guess).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tpm: Option<TpmBinding>,
    /// What kind of secret opens the slot (for the protection shown on the start screen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<SecretClass>,
}

/// The TPM-sealed part of a slot's key (the sealed object's public and private areas, hex).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TpmBinding {
    public: String,
    private: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretClass {
    /// Digits only, or fewer than [`PASSPHRASE_MIN`] characters.
    Pin,
    /// At least [`PASSPHRASE_MIN`] characters, not only digits.
    Passphrase,
}

/// The passphrase length an administrator's policy can require of every way in.
pub const PASSPHRASE_MIN: usize = 12;

impl SecretClass {
    pub fn of(secret: &str) -> SecretClass {
        if secret.chars().count() >= PASSPHRASE_MIN && !secret.chars().all(|c| c.is_ascii_digit()) {
            SecretClass::Passphrase
        } else {
            SecretClass::Pin
        }
    }
}

/// What protects the data at rest against someone who copies the data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Every PIN and the emergency code are bound to this PC's TPM: a copy is useless
    /// elsewhere, and on this PC the TPM limits guesses.
    Tpm,
    /// No TPM, but every way in is a passphrase.
    Passphrase,
    /// PINs without a TPM: a copied keyring can be guessed offline (Argon2id per guess).
    Pin,
}

impl Protection {
    pub fn code(self) -> &'static str {
        match self {
            Protection::Tpm => "tpm",
            Protection::Passphrase => "passphrase",
            Protection::Pin => "pin",
        }
    }
}

/// The TPM's authorization for a slot, and the key that opens the slot given the TPM's secret:
/// both from the Argon2id output, under different labels.
fn tpm_auth(kek: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&Sha256::digest(
        [&b"hikae-tpm/1 auth"[..], &kek[..]].concat(),
    ));
    out
}

fn tpm_kek(kek: &[u8; 32], tpm_secret: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&Sha256::digest(
        [&b"hikae-tpm/1 kek"[..], &kek[..], &tpm_secret[..]].concat(),
    ));
    out
}

/// A key sealed to a slot's public key: an ephemeral X25519 public key, a nonce and the
/// XChaCha20-Poly1305 ciphertext (hex).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    ephemeral: String,
    nonce: String,
    sealed: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyring {
    pub format: u32,
    pub slots: Vec<Slot>,
    #[serde(skip)]
    path: PathBuf,
    /// The TPM new account and emergency slots are sealed to (see [`Keyring::bind_to_tpm`]).
    #[serde(skip)]
    tpm: Option<String>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn aad(kind: SlotKind, id: &str) -> Vec<u8> {
    format!("hikae-keyring/1 {} {id}", kind.as_str()).into_bytes()
}

fn derive(secret: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| Error::Input(format!("keyring: bad Argon2 parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret.as_bytes(), salt, &mut out[..])
        .map_err(|e| Error::Input(format!("keyring: key derivation failed: {e}")))?;
    Ok(out)
}

/// Checks a new secret: PINs of at least 6 digits, or passphrases of at least 10 characters.
pub fn check_secret(kind: SlotKind, secret: &str) -> Result<()> {
    let n = secret.chars().count();
    let digits = secret.chars().all(|c| c.is_ascii_digit());
    let ok = match kind {
        SlotKind::Account | SlotKind::Emergency => (digits && n >= 6) || n >= 10,
        SlotKind::Recovery => n >= 20,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Input(match kind {
            SlotKind::Recovery => "a recovery key needs at least 20 characters".into(),
            _ => "use a PIN of at least 6 digits, or a passphrase of at least 10 characters".into(),
        }))
    }
}

impl Keyring {
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join(KEYRING_FILE)
    }

    pub fn exists(data_dir: &Path) -> bool {
        Self::path_in(data_dir).is_file()
    }

    /// A new keyring for `key`, to be filled with `add` and written with `save`.
    pub fn new(data_dir: &Path) -> Keyring {
        Keyring {
            format: 1,
            slots: Vec::new(),
            path: Self::path_in(data_dir),
            tpm: None,
        }
    }

    pub fn load(data_dir: &Path) -> Result<Keyring> {
        let path = Self::path_in(data_dir);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let mut k: Keyring = serde_json::from_str(&text).map_err(|e| {
            Error::Input(format!("{}: not a readable keyring: {e}", path.display()))
        })?;
        if k.format != 1 {
            return Err(Error::Input(format!(
                "{}: keyring format {} is not supported",
                path.display(),
                k.format
            )));
        }
        k.path = path;
        // once slots are bound to the TPM, every new PIN is too (or refused without it)
        if k.slots.iter().any(|s| s.tpm.is_some()) {
            k.tpm = Some(hikae_tpm::configured().unwrap_or_default());
        }
        Ok(k)
    }

    /// Seals every account and emergency slot added from now on to the TPM at `tcti` as well
    /// (the recovery key's slot stays off the TPM: it is the way back after a board swap).
    pub fn bind_to_tpm(&mut self, tcti: &str) {
        self.tpm = Some(tcti.to_string());
    }

    /// Whether new PINs are sealed to a TPM.
    pub fn tpm_bound(&self) -> bool {
        self.tpm.is_some()
    }

    /// What protects this keyring's PINs and codes against a copy.
    pub fn protection(&self) -> Protection {
        let ways_in: Vec<&Slot> = self
            .slots
            .iter()
            .filter(|s| s.kind != SlotKind::Recovery)
            .collect();
        if !ways_in.is_empty() && ways_in.iter().all(|s| s.tpm.is_some()) {
            Protection::Tpm
        } else if !ways_in.is_empty()
            && ways_in
                .iter()
                .all(|s| s.secret == Some(SecretClass::Passphrase))
        {
            Protection::Passphrase
        } else {
            Protection::Pin
        }
    }

    /// Account and emergency slots whose secret is a PIN (digits only).
    pub fn pin_slots(&self) -> Vec<(SlotKind, String)> {
        self.slots
            .iter()
            .filter(|s| s.kind != SlotKind::Recovery && s.secret != Some(SecretClass::Passphrase))
            .map(|s| (s.kind, s.id.clone()))
            .collect()
    }

    /// Writes the keyring atomically (whole or not at all).
    pub fn save(&self) -> Result<()> {
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Input(format!("keyring: {e}")))?;
        hikae_files::write_atomically(&self.path, json.as_bytes())
    }

    pub fn slot(&self, kind: SlotKind, id: &str) -> Option<&Slot> {
        self.slots.iter().find(|s| s.kind == kind && s.id == id)
    }

    /// Adds (or replaces) the slot `kind`/`id`: a new X25519 key pair whose private key is
    /// sealed under `secret`, and `key` sealed to its public key.
    pub fn add(&mut self, kind: SlotKind, id: &str, secret: &str, key: &DataKey) -> Result<()> {
        check_secret(kind, secret)?;
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&XChaCha20Poly1305::generate_nonce(&mut OsRng)[..16]);
        let mut kek = derive(secret, &salt, M_COST_KIB, T_COST, P_COST)?;
        let mut tpm = None;
        if let (Some(tcti), true) = (&self.tpm, kind != SlotKind::Recovery) {
            if tcti.is_empty() {
                return Err(Error::Locked(
                    "this PC's PINs are sealed to its TPM, and no TPM can be reached (HIKAE_TPM_TCTI, /dev/tpmrm0): a new PIN cannot be made without it".into(),
                ));
            }
            let mut t = hikae_tpm::Tpm::open(tcti)?;
            let mut tpm_secret = Zeroizing::new([0u8; 32]);
            tpm_secret.copy_from_slice(&XChaCha20Poly1305::generate_key(&mut OsRng));
            // staff PINs count against the TPM's lockout; the emergency code does not, so that
            // others' wrong PINs never block break-glass (it has its own count in Hikae)
            let blob = t.seal(&tpm_secret, &tpm_auth(&kek), kind == SlotKind::Account)?;
            kek = tpm_kek(&kek, &tpm_secret);
            tpm = Some(TpmBinding {
                public: hex(&blob.public),
                private: hex(&blob.private),
            });
        }
        let private = x25519_dalek::StaticSecret::random_from_rng(OsRng);
        let public = x25519_dalek::PublicKey::from(&private);
        let (nonce, wrapped) = seal(&kek[..], private.as_bytes(), &aad(kind, id))?;
        let sealed_key = seal_to(public.as_bytes(), key, &key_aad(kind, id))?;
        self.slots.retain(|s| !(s.kind == kind && s.id == id));
        self.slots.push(Slot {
            kind,
            id: id.to_string(),
            salt: hex(&salt),
            m_cost_kib: M_COST_KIB,
            t_cost: T_COST,
            p_cost: P_COST,
            nonce,
            wrapped,
            public: Some(hex(public.as_bytes())),
            key: Some(sealed_key),
            previous_key: None,
            tpm,
            secret: (kind != SlotKind::Recovery).then(|| SecretClass::of(secret)),
        });
        Ok(())
    }

    /// Seals `key` to every format-2 slot, keeping `previous` beside it until
    /// [`Keyring::finish_rekey`] (an interrupted rotation never strands the data). Needs no
    /// secret: each slot's public key is enough. Refused while format-1 slots remain.
    pub fn rewrap_all(&mut self, key: &DataKey, previous: &DataKey) -> Result<usize> {
        let legacy = self.legacy_slots();
        if !legacy.is_empty() {
            return Err(Error::BadState {
                id: "keyring".into(),
                reason: format!(
                    "these ways in were made before keys could be rotated and have not been used since: {}; each must be used once (log in, or use the code or key), or be enrolled again, before the keys are rotated",
                    legacy
                        .iter()
                        .map(|(k, i)| format!("{} {i}", k.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        for slot in &mut self.slots {
            let public = slot.public.as_deref().and_then(hex32).ok_or_else(|| {
                Error::Input(format!(
                    "keyring: slot {} {} has no public key",
                    slot.kind.as_str(),
                    slot.id
                ))
            })?;
            let aad = key_aad(slot.kind, &slot.id);
            slot.key = Some(seal_to(&public, key, &aad)?);
            slot.previous_key = Some(seal_to(&public, previous, &aad)?);
        }
        Ok(self.slots.len())
    }

    /// The rotation is complete: the previous data key is forgotten in every slot.
    pub fn finish_rekey(&mut self) {
        for s in &mut self.slots {
            s.previous_key = None;
        }
    }

    /// Slots whose format predates key rotation (they are renewed at their next use).
    pub fn legacy_slots(&self) -> Vec<(SlotKind, String)> {
        self.slots
            .iter()
            .filter(|s| s.key.is_none())
            .map(|s| (s.kind, s.id.clone()))
            .collect()
    }

    pub fn remove(&mut self, kind: SlotKind, id: &str) -> bool {
        let before = self.slots.len();
        self.slots.retain(|s| !(s.kind == kind && s.id == id));
        self.slots.len() != before
    }

    /// The data key, if `secret` opens slot `kind`/`id`. `Ok(None)` for a wrong secret or a
    /// missing slot (the caller counts it as a failed attempt); `Err` for a damaged keyring.
    pub fn unlock(&self, kind: SlotKind, id: &str, secret: &str) -> Result<Option<DataKey>> {
        Ok(self.unlock_all(kind, id, secret)?.map(|o| o.key))
    }

    /// What `secret` opens in slot `kind`/`id`: the data key, the previous one during an
    /// unfinished rekey, and the slot's own secret.
    pub fn unlock_all(&self, kind: SlotKind, id: &str, secret: &str) -> Result<Option<Opened>> {
        let Some(slot) = self.slot(kind, id) else {
            // the same work as for a slot that exists, so the time does not tell which IDs
            // have accounts here
            derive(secret, &[0u8; 16], M_COST_KIB, T_COST, P_COST)?;
            return Ok(None);
        };
        let bad = |what: &str| {
            Error::Input(format!(
                "{}: slot {} {id}: {what}",
                self.path.display(),
                kind.as_str()
            ))
        };
        let salt = unhex(&slot.salt).ok_or_else(|| bad("salt is not hex"))?;
        let nonce = unhex(&slot.nonce)
            .filter(|n| n.len() == 24)
            .ok_or_else(|| bad("nonce is not 24 hex bytes"))?;
        let wrapped = unhex(&slot.wrapped).ok_or_else(|| bad("wrapped key is not hex"))?;
        if slot.m_cost_kib < 8 * 1024 || slot.t_cost < 1 || slot.p_cost < 1 {
            return Err(bad("key derivation cost below the minimum"));
        }
        // a keyring file is outside input: parameters that would take gigabytes or minutes
        // are refused before anything is allocated
        if slot.m_cost_kib > MAX_M_COST_KIB || slot.t_cost > MAX_T_COST || slot.p_cost > MAX_P_COST
        {
            return Err(bad(&format!(
                "key derivation parameters out of bounds (memory {} KiB, passes {}, lanes {}; at most {MAX_M_COST_KIB} KiB, {MAX_T_COST}, {MAX_P_COST})",
                slot.m_cost_kib, slot.t_cost, slot.p_cost
            )));
        }
        let mut kek = derive(secret, &salt, slot.m_cost_kib, slot.t_cost, slot.p_cost)?;
        if let Some(b) = &slot.tpm {
            let blob = hikae_tpm::SealedBlob {
                public: unhex(&b.public).ok_or_else(|| bad("TPM public area is not hex"))?,
                private: unhex(&b.private).ok_or_else(|| bad("TPM private area is not hex"))?,
            };
            let Some(tcti) = hikae_tpm::configured() else {
                return Err(Error::Locked(
                    "this PIN is sealed to the PC's TPM, and no TPM can be reached (HIKAE_TPM_TCTI, /dev/tpmrm0)".into(),
                ));
            };
            match hikae_tpm::Tpm::open(&tcti)?.unseal(&blob, &tpm_auth(&kek))? {
                hikae_tpm::Unsealed::Secret(t) => kek = tpm_kek(&kek, &t),
                hikae_tpm::Unsealed::WrongAuth => return Ok(None),
            }
        }
        let cipher =
            XChaCha20Poly1305::new_from_slice(&kek[..]).map_err(|_| bad("bad key length"))?;
        let plain = match cipher.decrypt(
            chacha20poly1305::XNonce::from_slice(&nonce),
            Payload {
                msg: &wrapped,
                aad: &aad(kind, id),
            },
        ) {
            Ok(p) => Zeroizing::new(p),
            Err(_) => return Ok(None),
        };
        if plain.len() != 32 {
            return Err(bad("wrapped key has the wrong length"));
        }
        let mut inner = Zeroizing::new([0u8; 32]);
        inner.copy_from_slice(&plain);
        let Some(sealed_key) = &slot.key else {
            // format 1: the slot holds the data key itself
            return Ok(Some(Opened {
                key: DataKey(inner),
                previous: None,
                legacy: true,
            }));
        };
        let aad = key_aad(kind, id);
        let key = open_with(&inner, sealed_key, &aad)?
            .ok_or_else(|| bad("the data key does not open with the slot's private key"))?;
        let previous = match &slot.previous_key {
            Some(p) => Some(DataKey(
                open_with(&inner, p, &aad)?
                    .ok_or_else(|| bad("the previous data key does not open"))?,
            )),
            None => None,
        };
        Ok(Some(Opened {
            key: DataKey(key),
            previous,
            legacy: false,
        }))
    }
}

/// A random recovery key to print once: 32 characters in groups of 4 (about 160 bits).
pub fn new_recovery_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let raw = XChaCha20Poly1305::generate_key(&mut OsRng);
    let chars: Vec<char> = raw
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_opens_only_with_its_secret_and_for_its_own_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = DataKey::generate();
        let mut k = Keyring::new(dir.path());
        k.add(SlotKind::Account, "N0001", "246810", &key)
            .expect("add");
        k.save().expect("save");
        let k = Keyring::load(dir.path()).expect("load");
        let got = k
            .unlock(SlotKind::Account, "N0001", "246810")
            .expect("unlock");
        assert_eq!(
            got.map(|g| g.sqlcipher_literal().to_string()),
            Some(key.sqlcipher_literal().to_string())
        );
        assert!(k
            .unlock(SlotKind::Account, "N0001", "246811")
            .expect("wrong")
            .is_none());
        assert!(k
            .unlock(SlotKind::Account, "N0002", "246810")
            .expect("other")
            .is_none());

        // a slot copied under another staff ID does not open (the id is bound in)
        let mut moved = k.clone();
        let mut s = moved.slots[0].clone();
        s.id = "N0002".into();
        moved.slots.push(s);
        assert!(moved
            .unlock(SlotKind::Account, "N0002", "246810")
            .expect("moved")
            .is_none());
        let text = std::fs::read_to_string(Keyring::path_in(dir.path())).expect("read");
        assert!(
            !text.contains(&key.sqlcipher_literal()[2..66]),
            "the key is not in the file"
        );
    }

    #[test]
    fn weak_secrets_are_refused() {
        assert!(check_secret(SlotKind::Account, "1234").is_err());
        assert!(check_secret(SlotKind::Account, "123456").is_ok());
        assert!(check_secret(SlotKind::Account, "short").is_err());
        assert!(check_secret(SlotKind::Account, "ながいパスフレーズです").is_ok());
        assert!(check_secret(SlotKind::Recovery, &new_recovery_key()).is_ok());
    }

    #[test]
    fn parameters_from_the_file_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = DataKey::generate();
        let mut ring = Keyring::new(dir.path());
        ring.add(SlotKind::Account, "N0001", "333333", &key)
            .expect("add");
        ring.save().expect("save");
        let path = Keyring::path_in(dir.path());
        let text = std::fs::read_to_string(&path).expect("read");
        for (field, value) in [
            ("m_cost_kib", "4294967295"),
            ("t_cost", "4000000000"),
            ("p_cost", "0"),
        ] {
            let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
            v["slots"][0][field] = serde_json::from_str(value).expect("number");
            std::fs::write(&path, v.to_string()).expect("write");
            let ring = Keyring::load(dir.path()).expect("load");
            let t = std::time::Instant::now();
            let e = ring
                .unlock(SlotKind::Account, "N0001", "333333")
                .expect_err(field)
                .to_string();
            assert!(e.contains("keyring.json") && e.contains("N0001"), "{e}");
            assert!(
                t.elapsed() < std::time::Duration::from_secs(1),
                "{field}: refused at once"
            );
        }
    }

    #[test]
    fn an_unknown_id_costs_the_same_work_as_a_known_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = DataKey::generate();
        let mut ring = Keyring::new(dir.path());
        ring.add(SlotKind::Account, "N0001", "333333", &key)
            .expect("add");
        let time = |id: &str| {
            let t = std::time::Instant::now();
            assert!(ring
                .unlock(SlotKind::Account, id, "999999")
                .expect("unlock")
                .is_none());
            t.elapsed()
        };
        let known = time("N0001");
        let unknown = time("X9999");
        // one Argon2id derivation (tens of ms) either way, not an instant answer
        assert!(
            unknown * 3 > known,
            "unknown {unknown:?} vs known {known:?}"
        );
    }
}
