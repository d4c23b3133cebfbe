//! The one way the core talks to the network: to URLs an administrator put in `config.toml`,
//! with timeouts, no proxy from the environment, no redirects, size limits, and the TLS
//! settings of `[tls]` (hospital CA, client certificate).

use std::path::Path;
use std::time::Duration;

use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig as UreqTls};

use hikae_domain::config::TlsConfig;
use hikae_domain::error::{Error, Result};

/// Most a fetched file may be (a roster of a large hospital is well under this).
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Refuses anything but https:// URLs, and http:// to this PC itself (a local test server):
/// plain http to another host would carry the token and the PDFs in clear.
pub fn check_url(url: &str) -> Result<()> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(Error::Input(format!(
            "{url}: only https:// URLs are used (http:// only for this PC itself)"
        )));
    };
    if is_loopback(host_of(rest)) {
        Ok(())
    } else {
        Err(Error::Input(format!(
            "{url}: http:// is only allowed for this PC itself (127.0.0.1, ::1, localhost); use https:// for {}",
            host_of(rest)
        )))
    }
}

/// The host of what follows `scheme://`: without user info, port or path; IPv6 without brackets.
fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    host_port.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::Input(format!(
            "config.toml [tls] {what} = {}: {e}",
            path.display()
        ))
    })
}

fn certs(path: &Path, what: &str) -> Result<Vec<Certificate<'static>>> {
    let pem = read_pem(path, what)?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Input(format!("{}: not a PEM file: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::Input(format!(
            "config.toml [tls] {what} = {}: no certificate in the file",
            path.display()
        )));
    }
    Ok(certs)
}

/// The TLS part of an agent from `[tls]`.
pub fn tls(cfg: &TlsConfig) -> Result<UreqTls> {
    let mut b = UreqTls::builder();
    if let Some(ca) = &cfg.ca_file {
        b = b.root_certs(RootCerts::new_with_certs(&certs(ca, "ca_file")?));
    }
    match (&cfg.client_cert, &cfg.client_key) {
        (Some(cert), Some(key)) => {
            let chain = certs(cert, "client_cert")?;
            let key_pem = read_pem(key, "client_key")?;
            let key = PrivateKey::from_pem(&key_pem).map_err(|e| {
                Error::Input(format!(
                    "config.toml [tls] client_key = {}: {e}",
                    key.display()
                ))
            })?;
            check_client_cert(&chain, &key_pem, cert)?;
            b = b.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
        (None, None) => {}
        _ => {
            return Err(Error::Input(
                "config.toml [tls]: client_cert and client_key go together".into(),
            ))
        }
    }
    Ok(b.build())
}

/// What rustls would refuse (e.g. an X.509 v1 certificate, a key that does not fit) as an error
/// that names the file: ureq would panic on it at the first connection.
fn check_client_cert(chain: &[Certificate<'static>], key_pem: &[u8], path: &Path) -> Result<()> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let der = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        Error::Input(format!(
            "config.toml [tls] client_key for {}: {e}",
            path.display()
        ))
    })?;
    let certs = chain
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Input(format!("TLS: {e}")))?
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_client_auth_cert(certs, der)
    .map(|_| ())
    .map_err(|e| {
        Error::Input(format!(
            "config.toml [tls] client_cert = {}: not usable as a client certificate ({e:?}); it must be an X.509 v3 certificate whose key is client_key",
            path.display()
        ))
    })
}

/// An agent for configured endpoints: `timeout` for a whole call, errors as values (so the
/// caller sees the status and body), no proxy, no redirects.
pub fn agent(cfg: &TlsConfig, timeout: Duration) -> Result<ureq::Agent> {
    Ok(ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(Duration::from_secs(5).min(timeout)))
        .proxy(None)
        .http_status_as_error(false)
        .max_redirects(0)
        .tls_config(tls(cfg)?)
        .build()
        .into())
}

/// GETs `url` as text; `Ok(None)` for 404 (e.g. no signature published).
pub fn get_text(url: &str, cfg: &TlsConfig) -> Result<Option<String>> {
    check_url(url)?;
    let mut resp = agent(cfg, Duration::from_secs(10))?
        .get(url)
        .call()
        .map_err(|e| Error::Input(format!("could not reach {url}: {e}")))?;
    match resp.status().as_u16() {
        200 => {}
        404 => return Ok(None),
        s => return Err(Error::Input(format!("{url}: the server answered {s}"))),
    }
    let text = resp
        .body_mut()
        .with_config()
        .limit(MAX_BYTES)
        .read_to_string()
        .map_err(|e| Error::Input(format!("{url}: {e}")))?;
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn http_only_to_this_pc() {
        for ok in [
            "https://fhir.example-hospital.jp/fhir/R4",
            "http://127.0.0.1:8080/fhir",
            "http://127.10.0.1/",
            "http://localhost:3000",
            "http://[::1]:8080/x",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://fhir.example-hospital.jp/fhir/R4",
            "http://10.0.0.5:8080/",
            "http://127.0.0.1.example.jp/",
            "http://localhost@evil.example/",
            "http://[2001:db8::1]/",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
        ] {
            let e = check_url(bad).expect_err(bad).to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
