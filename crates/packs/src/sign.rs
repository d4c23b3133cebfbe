//! Pack signatures in the minisign format, so administrators can sign with `hikae pack sign`
//! or Debian's `minisign`, and anyone can check with `minisign -V`. The signed trusted comment
//! names the pack id and version (`hikae-pack id=… version=…`), so a valid signature of one
//! pack cannot be attached to another or to another version.

use std::io::Cursor;

use hikae_domain::error::{Error, Result};

const COMMENT_PREFIX: &str = "hikae-pack";
/// Staff rosters are signed the same way, with their own prefix, so neither can pass for the other.
pub const ROSTER_PREFIX: &str = "hikae-roster";

pub fn trusted_comment(id: &str, version: &str) -> String {
    format!("{COMMENT_PREFIX} id={id} version={version}")
}

/// Parses `hikae-pack id=X version=Y`.
pub fn parse_comment(comment: &str) -> Option<(String, String)> {
    parse_comment_of(COMMENT_PREFIX, comment)
}

fn parse_comment_of(prefix: &str, comment: &str) -> Option<(String, String)> {
    let rest = comment.strip_prefix(prefix)?.trim();
    let mut id = None;
    let mut version = None;
    for part in rest.split_whitespace() {
        if let Some(v) = part.strip_prefix("id=") {
            id = Some(v.to_string());
        } else if let Some(v) = part.strip_prefix("version=") {
            version = Some(v.to_string());
        }
    }
    Some((id?, version?))
}

/// A new key pair as minisign files: (public key file text, secret key file text).
/// Without a password the secret key is stored unencrypted (like `minisign -G -W`).
pub fn keygen(password: Option<String>) -> Result<(String, String)> {
    let err = |e: minisign::PError| Error::Input(format!("key generation failed: {e}"));
    let kp = match password {
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p)).map_err(err)?,
        None => minisign::KeyPair::generate_unencrypted_keypair().map_err(err)?,
    };
    let pk = kp.pk.to_box().map_err(err)?.to_string();
    let sk = kp
        .sk
        .to_box(Some("Hikae pack signing key"))
        .map_err(err)?
        .to_string();
    Ok((pk, sk))
}

/// Signs `data` for pack `id`/`version` with a minisign secret key file's text.
pub fn sign(
    data: &[u8],
    secret_key: &str,
    password: Option<String>,
    id: &str,
    version: &str,
) -> Result<String> {
    sign_as(data, secret_key, password, &trusted_comment(id, version))
}

/// Signs a staff roster (`hikae-roster id=<hospital> version=<n>`).
pub fn sign_roster(
    data: &[u8],
    secret_key: &str,
    password: Option<String>,
    id: &str,
    version: &str,
) -> Result<String> {
    sign_as(
        data,
        secret_key,
        password,
        &format!("{ROSTER_PREFIX} id={id} version={version}"),
    )
}

fn sign_as(
    data: &[u8],
    secret_key: &str,
    password: Option<String>,
    comment: &str,
) -> Result<String> {
    let err = |e: minisign::PError| Error::Input(format!("signing failed: {e}"));
    let sk_box = minisign::SecretKeyBox::from_string(secret_key).map_err(err)?;
    let sk = match password {
        Some(p) => sk_box.into_secret_key(Some(p)).map_err(err)?,
        None => sk_box.into_unencrypted_secret_key().map_err(err)?,
    };
    let sig = minisign::sign(
        None,
        &sk,
        Cursor::new(data),
        Some(comment),
        Some("signature of a Hikae file"),
    )
    .map_err(err)?;
    Ok(sig.to_string())
}

/// Public key as stored in configuration: the base64 line of a minisign `.pub` file.
pub fn public_key_line(pub_file_text: &str) -> Option<String> {
    pub_file_text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
        .map(str::to_string)
}

#[derive(Debug, Clone, PartialEq)]
pub enum SigError {
    Missing,
    Malformed(String),
    UntrustedKey,
    BadSignature,
    NotAHikaePack,
}

impl std::fmt::Display for SigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigError::Missing => f.write_str("missing signature (.minisig file next to the pack)"),
            SigError::Malformed(e) => write!(f, "the signature file is not a minisign signature: {e}"),
            SigError::UntrustedKey => f.write_str("signed with a key that is not trusted on this PC (see `hikae pack trust`)"),
            SigError::BadSignature => f.write_str("bad signature: the pack was changed after signing, or the signature belongs to another file"),
            SigError::NotAHikaePack => f.write_str("the signature's trusted comment does not name what this file is (a Hikae pack or roster, with its id and version)"),
        }
    }
}

/// Verifies `data` against `signature` with any of `trusted_keys` (base64 public keys).
/// Returns the (id, version) the signer vouched for.
pub fn verify(
    data: &[u8],
    signature: Option<&str>,
    trusted_keys: &[String],
) -> std::result::Result<(String, String), SigError> {
    verify_as(COMMENT_PREFIX, data, signature, trusted_keys)
}

/// As [`verify`], for a staff roster.
pub fn verify_roster(
    data: &[u8],
    signature: Option<&str>,
    trusted_keys: &[String],
) -> std::result::Result<(String, String), SigError> {
    verify_as(ROSTER_PREFIX, data, signature, trusted_keys)
}

fn verify_as(
    prefix: &str,
    data: &[u8],
    signature: Option<&str>,
    trusted_keys: &[String],
) -> std::result::Result<(String, String), SigError> {
    let sig_text = signature.ok_or(SigError::Missing)?;
    let sig = minisign_verify::Signature::decode(sig_text)
        .map_err(|e| SigError::Malformed(e.to_string()))?;
    let mut key_matched = false;
    for key in trusted_keys {
        let Ok(pk) = minisign_verify::PublicKey::from_base64(key.trim()) else {
            continue;
        };
        match pk.verify(data, &sig, false) {
            Ok(()) => {
                let comment = sig
                    .trusted_comment()
                    .trim_start_matches("trusted comment:")
                    .trim();
                return parse_comment_of(prefix, comment).ok_or(SigError::NotAHikaePack);
            }
            Err(minisign_verify::Error::UnexpectedKeyId) => {}
            Err(_) => key_matched = true,
        }
    }
    Err(if key_matched {
        SigError::BadSignature
    } else {
        SigError::UntrustedKey
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_and_tamper() {
        let (pk, sk) = keygen(None).expect("keygen");
        let key = public_key_line(&pk).expect("key line");
        let data = b"pack bytes";
        let sig = sign(data, &sk, None, "ward", "1.2.0").expect("sign");
        assert_eq!(
            verify(data, Some(&sig), std::slice::from_ref(&key)),
            Ok(("ward".into(), "1.2.0".into()))
        );
        assert_eq!(
            verify(b"pack bytez", Some(&sig), std::slice::from_ref(&key)),
            Err(SigError::BadSignature)
        );
        let (other_pk, _) = keygen(None).expect("keygen");
        assert_eq!(
            verify(
                data,
                Some(&sig),
                &[public_key_line(&other_pk).expect("line")]
            ),
            Err(SigError::UntrustedKey)
        );
        assert_eq!(
            verify(data, None, std::slice::from_ref(&key)),
            Err(SigError::Missing)
        );
        // editing the trusted comment breaks the global signature
        let forged = sig.replace("version=1.2.0", "version=9.9.9");
        assert_eq!(
            verify(data, Some(&forged), &[key]),
            Err(SigError::BadSignature)
        );
    }
}
