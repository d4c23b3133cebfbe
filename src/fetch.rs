//! The one way the core fetches anything over the network: from a URL an administrator put in
//! `config.toml`, with short timeouts, no proxy from the environment, and a size limit.

use std::time::Duration;

use crate::error::{Error, Result};

/// Most a fetched file may be (a roster of a large hospital is well under this).
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// GETs `url` as text; `Ok(None)` for 404 (e.g. no signature published).
pub fn get_text(url: &str) -> Result<Option<String>> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::Input(format!(
            "{url}: only http:// and https:// URLs are fetched"
        )));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .timeout_connect(Some(Duration::from_secs(3)))
        .proxy(None)
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut resp = agent
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
