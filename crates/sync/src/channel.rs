//! The two transports of the administrator's signed channel: HTTPS polling of a static folder
//! any web server can serve, and a local drop folder the hospital's endpoint management fills.
//! Both only hand over bytes, bounded in size; what is trusted is decided by `hikae-channel`.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use hikae_domain::config::{ChannelConfig, TlsConfig};
use hikae_domain::error::{Error, Result};

/// Where the channel is read from.
pub enum Source {
    Https { base: String, agent: ureq::Agent },
    Folder(PathBuf),
}

/// What one check cost on the wire (or the disk).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    pub requests: u32,
    pub bytes: u64,
}

/// Names in the channel: plain relative paths (the metadata's and the targets' checked ones).
fn plain(name: &str) -> Result<()> {
    if name.is_empty()
        || name.starts_with('/')
        || name
            .chars()
            .any(|c| c == '\\' || c == ':' || c.is_control())
        || name
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return Err(Error::Input(format!(
            "channel: {name:?} is not a plain relative path"
        )));
    }
    Ok(())
}

impl Source {
    /// The configured source, or `None` when `[channel]` names none.
    pub fn new(cfg: &ChannelConfig, tls: &TlsConfig) -> Result<Option<Source>> {
        cfg.check()?;
        if let Some(url) = cfg.url.as_deref().filter(|u| !u.trim().is_empty()) {
            crate::net::check_url(url)?;
            let base = if url.ends_with('/') {
                url.to_string()
            } else {
                format!("{url}/")
            };
            let agent = crate::net::agent(tls, Duration::from_secs(20))?;
            return Ok(Some(Source::Https { base, agent }));
        }
        Ok(cfg.folder.clone().map(Source::Folder))
    }

    /// Where, for messages and the audit log.
    pub fn describe(&self) -> String {
        match self {
            Source::Https { base, .. } => base.clone(),
            Source::Folder(p) => p.display().to_string(),
        }
    }

    /// The file `name`, at most `max` bytes; `Ok(None)` when the channel has no such file.
    pub fn get(&self, name: &str, max: u64, t: &mut Traffic) -> Result<Option<Vec<u8>>> {
        plain(name)?;
        t.requests += 1;
        let too_big = |what: &str| {
            Error::Input(format!(
                "channel: {what} is larger than {max} bytes: refused"
            ))
        };
        let bytes = match self {
            Source::Https { base, agent } => {
                let url = format!("{base}{name}");
                let mut resp = agent
                    .get(&url)
                    .call()
                    .map_err(|e| Error::Input(format!("could not reach {url}: {e}")))?;
                match resp.status().as_u16() {
                    200 => {}
                    404 => return Ok(None),
                    s => return Err(Error::Input(format!("{url}: the server answered {s}"))),
                }
                let mut buf = Vec::new();
                resp.body_mut()
                    .as_reader()
                    .take(max + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::Input(format!("{url}: {e}")))?;
                if buf.len() as u64 > max {
                    return Err(too_big(&url));
                }
                buf
            }
            Source::Folder(dir) => {
                let path = dir.join(name);
                let f = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(Error::io(&path, e)),
                };
                let mut buf = Vec::new();
                f.take(max + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::io(&path, e))?;
                if buf.len() as u64 > max {
                    return Err(too_big(&path.display().to_string()));
                }
                buf
            }
        };
        t.bytes += bytes.len() as u64;
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_source_reads_bounded_plain_names_only() {
        let dir = std::env::temp_dir().join(format!("hikae-channel-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("timestamp.json"), b"0123456789").expect("write");
        let s = Source::Folder(dir.clone());
        let mut t = Traffic::default();
        assert_eq!(
            s.get("timestamp.json", 10, &mut t).expect("get").as_deref(),
            Some(&b"0123456789"[..])
        );
        assert!(s.get("missing.json", 10, &mut t).expect("none").is_none());
        assert!(s
            .get("timestamp.json", 9, &mut t)
            .expect_err("too big")
            .to_string()
            .contains("larger than 9 bytes"));
        for bad in ["../x", "/etc/passwd", "a//b", "a\\b", "c:x", ""] {
            assert!(s.get(bad, 10, &mut t).is_err(), "{bad}");
        }
        assert_eq!(t.requests, 3);
        std::fs::remove_dir_all(&dir).ok();
    }
}
