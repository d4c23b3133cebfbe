//! Sealing a 32-byte secret to this PC's TPM 2.0 (through tpm2-tss), with an authorization
//! value the caller derives from a PIN.
//!
//! The sealed object lives outside the TPM as two blobs (its public area and its encrypted
//! private area, both safe to store in a file): only the TPM that made them can load them, and
//! it unseals only with the right authorization. Every wrong authorization counts against the
//! TPM's dictionary-attack (DA) lockout, so guessing is limited by the TPM itself, and a copied
//! disk is useless on any other machine.
//!
//! The parent is the owner hierarchy's ECC P-256 storage key, made from the TPM's seed each
//! time (the same template gives the same key on the same TPM), so nothing is stored in the
//! TPM. Authorizations travel in HMAC sessions with parameter encryption, never in clear.
//!
//! Architecture Invariant: knows nothing of keyrings, PINs or staff; takes bytes, gives bytes.

use std::str::FromStr;

use tss_esapi::attributes::ObjectAttributesBuilder;
use tss_esapi::constants::{PropertyTag, Tss2ResponseCodeKind};
use tss_esapi::handles::KeyHandle;
use tss_esapi::interface_types::algorithm::{HashingAlgorithm, PublicAlgorithm};
use tss_esapi::interface_types::ecc::EccCurve;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::structures::{
    Auth, Digest, EccPoint, KeyedHashScheme, Private, Public, PublicBuilder,
    PublicEccParametersBuilder, PublicKeyedHashParameters, SensitiveData,
    SymmetricDefinitionObject,
};
use tss_esapi::traits::{Marshall, UnMarshall};
use tss_esapi::{Context, TctiNameConf};
use zeroize::Zeroizing;

use hikae_domain::error::{Error, Result};

/// The TCTI (how to reach the TPM) from `HIKAE_TPM_TCTI` ("swtpm:host=…,port=…" in tests,
/// "none" to use no TPM), else the kernel's resource manager when the PC has one.
pub fn configured() -> Option<String> {
    match std::env::var("HIKAE_TPM_TCTI") {
        Ok(v) if v.trim() == "none" || v.trim().is_empty() => None,
        Ok(v) => Some(v.trim().to_string()),
        Err(_) => std::path::Path::new("/dev/tpmrm0")
            .exists()
            .then(|| "device:/dev/tpmrm0".to_string()),
    }
}

/// A sealed secret as stored: the object's public and private areas (TPM wire format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBlob {
    pub public: Vec<u8>,
    pub private: Vec<u8>,
}

/// What an unseal attempt gave.
pub enum Unsealed {
    Secret(Zeroizing<[u8; 32]>),
    /// The authorization is wrong (the TPM counted a failure).
    WrongAuth,
}

/// The TPM's dictionary-attack settings and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures before the TPM refuses every DA-protected authorization.
    pub max_tries: u32,
    /// Seconds after which one failure is forgotten.
    pub recovery_secs: u32,
    /// Failures counted now.
    pub failures: u32,
}

pub struct Tpm {
    ctx: Context,
    tcti: String,
    primary: Option<KeyHandle>,
}

fn tpm_error(tcti: &str, what: &str, e: tss_esapi::Error) -> Error {
    Error::Input(format!("TPM ({tcti}): {what}: {e}"))
}

fn kind(e: &tss_esapi::Error) -> Option<Tss2ResponseCodeKind> {
    match e {
        tss_esapi::Error::Tss2Error(rc) => rc.kind(),
        tss_esapi::Error::WrapperError(_) => None,
    }
}

impl Tpm {
    /// Connects to the TPM named by `tcti` (see [`configured`]).
    pub fn open(tcti: &str) -> Result<Tpm> {
        // tpm2-tss logs every refused authorization to stderr; a wrong PIN is not news there
        if std::env::var_os("TSS2_LOG").is_none() {
            std::env::set_var("TSS2_LOG", "all+NONE");
        }
        let conf = TctiNameConf::from_str(tcti)
            .map_err(|e| Error::Input(format!("TPM: '{tcti}' is not a TCTI name: {e}")))?;
        let ctx = Context::new(conf).map_err(|e| tpm_error(tcti, "cannot connect", e))?;
        Ok(Tpm {
            ctx,
            tcti: tcti.to_string(),
            primary: None,
        })
    }

    /// The TPM [`configured`] on this PC, if any.
    pub fn open_configured() -> Result<Option<Tpm>> {
        configured().map(|t| Tpm::open(&t)).transpose()
    }

    pub fn tcti(&self) -> &str {
        &self.tcti
    }

    /// The storage parent: the owner hierarchy's ECC P-256 storage key (SRK template).
    fn primary(&mut self) -> Result<KeyHandle> {
        if let Some(h) = self.primary {
            return Ok(h);
        }
        let tcti = self.tcti.clone();
        let err = |e| tpm_error(&tcti, "cannot make the storage key", e);
        let attrs = ObjectAttributesBuilder::new()
            .with_fixed_tpm(true)
            .with_fixed_parent(true)
            .with_sensitive_data_origin(true)
            .with_user_with_auth(true)
            .with_decrypt(true)
            .with_restricted(true)
            .with_no_da(true)
            .build()
            .map_err(err)?;
        let public = PublicBuilder::new()
            .with_public_algorithm(PublicAlgorithm::Ecc)
            .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
            .with_object_attributes(attrs)
            .with_ecc_parameters(
                PublicEccParametersBuilder::new_restricted_decryption_key(
                    SymmetricDefinitionObject::AES_128_CFB,
                    EccCurve::NistP256,
                )
                .build()
                .map_err(err)?,
            )
            .with_ecc_unique_identifier(EccPoint::default())
            .build()
            .map_err(err)?;
        let handle = self
            .ctx
            .execute_with_nullauth_session(|c| {
                c.create_primary(Hierarchy::Owner, public, None, None, None, None)
            })
            .map_err(err)?
            .key_handle;
        self.primary = Some(handle);
        Ok(handle)
    }

    /// Seals `secret` under `auth`: only this TPM, given `auth`, unseals it. With
    /// `dictionary_attack`, every wrong `auth` counts against the TPM's lockout (and the object
    /// is refused while the TPM is locked out); without, it never locks (for a way in that must
    /// work while the TPM is locked, such as the ward's emergency code).
    pub fn seal(
        &mut self,
        secret: &[u8; 32],
        auth: &[u8; 32],
        dictionary_attack: bool,
    ) -> Result<SealedBlob> {
        let parent = self.primary()?;
        let tcti = self.tcti.clone();
        let err = |e| tpm_error(&tcti, "cannot seal", e);
        let attrs = ObjectAttributesBuilder::new()
            .with_fixed_tpm(true)
            .with_fixed_parent(true)
            .with_user_with_auth(true)
            .with_no_da(!dictionary_attack)
            .build()
            .map_err(err)?;
        let public = PublicBuilder::new()
            .with_public_algorithm(PublicAlgorithm::KeyedHash)
            .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
            .with_object_attributes(attrs)
            .with_keyed_hash_parameters(PublicKeyedHashParameters::new(KeyedHashScheme::Null))
            .with_keyed_hash_unique_identifier(Digest::default())
            .build()
            .map_err(err)?;
        let auth = Auth::try_from(auth.to_vec()).map_err(err)?;
        let data = SensitiveData::try_from(secret.to_vec()).map_err(err)?;
        let made = self
            .ctx
            .execute_with_nullauth_session(|c| {
                c.create(parent, public, Some(auth), Some(data), None, None)
            })
            .map_err(err)?;
        Ok(SealedBlob {
            public: made.out_public.marshall().map_err(err)?,
            private: made.out_private.value().to_vec(),
        })
    }

    /// Unseals with `auth`. A blob this TPM did not make is refused with an error (a copied
    /// keyring on another PC); a wrong `auth` is [`Unsealed::WrongAuth`]; while the TPM is in
    /// lockout, `Err(Locked)`.
    pub fn unseal(&mut self, blob: &SealedBlob, auth: &[u8; 32]) -> Result<Unsealed> {
        let parent = self.primary()?;
        let tcti = self.tcti.clone();
        let public = Public::unmarshall(&blob.public)
            .map_err(|e| tpm_error(&tcti, "the sealed key's public area is damaged", e))?;
        let private = Private::try_from(blob.private.clone())
            .map_err(|e| tpm_error(&tcti, "the sealed key's private area is damaged", e))?;
        let object = self
            .ctx
            .execute_with_nullauth_session(|c| c.load(parent, private, public))
            .map_err(|e| {
                Error::Locked(format!(
                    "this key was sealed to another PC's TPM, or the TPM was cleared ({tcti}: {e}); use the recovery key"
                ))
            })?;
        let auth =
            Auth::try_from(auth.to_vec()).map_err(|e| tpm_error(&tcti, "bad authorization", e))?;
        let result = self.ctx.tr_set_auth(object.into(), auth).and_then(|_| {
            self.ctx
                .execute_with_nullauth_session(|c| c.unseal(object.into()))
        });
        // the loaded object is flushed either way (it holds a TPM slot)
        let _ = self.ctx.flush_context(object.into());
        match result {
            Ok(data) => {
                let v = Zeroizing::new(data.value().to_vec());
                let secret: [u8; 32] = v.as_slice().try_into().map_err(|_| {
                    Error::Input(format!(
                        "TPM ({tcti}): the sealed secret has the wrong length"
                    ))
                })?;
                Ok(Unsealed::Secret(Zeroizing::new(secret)))
            }
            Err(e) => match kind(&e) {
                Some(Tss2ResponseCodeKind::AuthFail | Tss2ResponseCodeKind::BadAuth) => {
                    Ok(Unsealed::WrongAuth)
                }
                Some(Tss2ResponseCodeKind::Lockout) => {
                    let l = self.lockout().ok();
                    Err(Error::Locked(format!(
                        "the PC's TPM refuses PINs for now: too many wrong ones ({}); it forgets one every {} s, or the hospital's IT resets it",
                        l.map(|l| format!("{} of {}", l.failures, l.max_tries))
                            .unwrap_or_else(|| "its limit".into()),
                        l.map(|l| l.recovery_secs.to_string())
                            .unwrap_or_else(|| "few hundred".into())
                    )))
                }
                _ => Err(tpm_error(&tcti, "cannot unseal", e)),
            },
        }
    }

    /// The TPM's dictionary-attack settings and failure count.
    pub fn lockout(&mut self) -> Result<Lockout> {
        let tcti = self.tcti.clone();
        let mut get = |tag| -> Result<u32> {
            Ok(self
                .ctx
                .get_tpm_property(tag)
                .map_err(|e| tpm_error(&tcti, "cannot read its lockout settings", e))?
                .unwrap_or(0))
        };
        Ok(Lockout {
            max_tries: get(PropertyTag::MaxAuthFail)?,
            recovery_secs: get(PropertyTag::LockoutInterval)?,
            failures: get(PropertyTag::LockoutCounter)?,
        })
    }
}

#[cfg(feature = "test-support")]
pub mod swtpm;
