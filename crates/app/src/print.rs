//! Printing straight to a printer through the system's print service (CUPS: `lpstat`, `lp`).
//!
//! The PDF goes to `lp` on its standard input, so no temporary file is written anywhere.
//! Only printers CUPS already knows are offered; nothing here opens a network connection
//! of its own.

use std::io::Write;
use std::process::{Command, Stdio};

use serde::Serialize;

use hikae_domain::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Printer {
    pub name: String,
    pub default: bool,
}

/// Printers CUPS offers, the default first. Empty when there is no print service.
pub fn printers() -> Result<Vec<Printer>> {
    let names = match lpstat(&["-e"]) {
        Ok(out) => out,
        Err(None) => return Ok(Vec::new()),
        // lpstat fails when the scheduler is not running: no printers to offer
        Err(Some(_)) => return Ok(Vec::new()),
    };
    let default = lpstat(&["-d"]).ok().and_then(|out| parse_default(&out));
    let mut list: Vec<Printer> = names
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|n| Printer {
            name: n.to_string(),
            default: default.as_deref() == Some(n),
        })
        .collect();
    list.sort_by_key(|p| !p.default);
    Ok(list)
}

fn parse_default(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.strip_prefix("system default destination: "))
        .map(|s| s.trim().to_string())
}

/// Runs lpstat; `Err(None)` when it is not installed, `Err(Some(stderr))` when it failed.
fn lpstat(args: &[&str]) -> std::result::Result<String, Option<String>> {
    let out = Command::new("lpstat")
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|_| None)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Some(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

/// Sends a PDF to `printer`; returns the print job's id (e.g. `Ward-3F-12`).
pub fn print_pdf(pdf: &[u8], printer: &str, title: &str, copies: u32) -> Result<String> {
    let known = printers()?;
    if !known.iter().any(|p| p.name == printer) {
        return Err(Error::Print(if known.is_empty() {
            "no printer is set up on this PC (CUPS); save the PDF and print it from another PC"
                .into()
        } else {
            format!(
                "printer '{printer}' is not set up on this PC; choose one of: {}",
                known
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }));
    }
    if !(1..=20).contains(&copies) {
        return Err(Error::Input(format!("copies must be 1–20, not {copies}")));
    }
    let mut child = Command::new("lp")
        .args(["-d", printer, "-n", &copies.to_string(), "-t", title, "-"])
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Print(format!("cannot run lp: {e}")))?;
    let write = child
        .stdin
        .take()
        .ok_or_else(|| Error::Print("lp has no input".into()))
        .and_then(|mut input| {
            input
                .write_all(pdf)
                .map_err(|e| Error::Print(format!("sending the PDF to lp: {e}")))
        });
    let out = child
        .wait_with_output()
        .map_err(|e| Error::Print(format!("lp: {e}")))?;
    if !out.status.success() {
        return Err(Error::Print(format!(
            "printer '{printer}' refused the job: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    write?;
    parse_job_id(&String::from_utf8_lossy(&out.stdout)).ok_or_else(|| {
        Error::Print(format!(
            "lp gave no job id: {}",
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    })
}

/// `request id is Ward-PDF-1 (0 file(s))` → `Ward-PDF-1`
fn parse_job_id(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.strip_prefix("request id is "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lp_and_lpstat_output() {
        assert_eq!(
            parse_job_id("request id is Ward-PDF-12 (0 file(s))\n").as_deref(),
            Some("Ward-PDF-12")
        );
        assert_eq!(parse_job_id("lp: error"), None);
        assert_eq!(
            parse_default("system default destination: 3F-East\n").as_deref(),
            Some("3F-East")
        );
        assert_eq!(parse_default("no system default destination\n"), None);
    }
}
