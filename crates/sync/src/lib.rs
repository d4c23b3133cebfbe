//! Sync back to the hospital's FHIR R4 server.
//!
//! Finalizing a record puts it in the store's outbox in the same transaction. A sync run
//! takes due entries in batches, sends each batch as one FHIR `batch` Bundle whose entries are
//! conditional creates (`ifNoneExist` on the record's `urn:uuid:` identifier), and files each
//! record's answer: acknowledged (server ids kept), rejected (the server's OperationOutcome,
//! for a person to fix and resend), or retried later with exponential back-off and jitter
//! (or after the server's `Retry-After`). A retry after a lost answer finds the resource the
//! server already made, so nothing is created twice. Nothing local is ever deleted.
//!
//! The run never holds the data while it waits for the network: [`Host`] lends the
//! [`Outbox`] (the app, over its store) for the short steps that read and write it, so a
//! desktop UI stays responsive.
//!
//! Architecture Invariant: this crate never sees the store or the app; it knows the outbox
//! only through the [`Outbox`] trait, and the network only through [`net`]'s agents.
//!
//! It depends on `hikae-domain` only.

pub mod channel;
pub mod fhir;
pub mod fleet;
pub mod monitor;
pub mod net;
pub mod snapshot;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use hikae_domain::config::{Config, SyncConfig};
use hikae_domain::error::{Error, Result};

/// How a run behaves beyond `config.toml` (tests shorten the waits).
#[derive(Debug, Clone)]
pub struct Options {
    /// Build and count what would be sent, send nothing, change nothing.
    pub dry_run: bool,
    /// First retry delay; doubles per attempt up to `retry_max`, with jitter.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Longest a run waits for a retry to fall due before it stops (the records stay queued
    /// for the next run).
    pub max_wait: Duration,
    /// Whole requests failing in a row before the run calls the server unreachable.
    pub give_up_after: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: false,
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(15 * 60),
            max_wait: Duration::from_secs(60),
            give_up_after: 6,
        }
    }
}

/// Where a run stands, for a progress bar.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SyncProgress"))]
pub struct Progress {
    /// Records sendable when the run started, plus any that became due during it.
    pub total: usize,
    pub acknowledged: usize,
    pub rejected: usize,
    /// Attempts that failed for now and will be retried.
    pub retries: usize,
    pub requests: usize,
    /// What the run is doing (the UI words it).
    pub phase: Phase,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SyncPhase"))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Sending,
    /// Waiting for a retry (back-off or the server's Retry-After).
    Waiting,
    Done,
    /// Stopped: the server could not be reached or refused our credentials.
    Unreachable,
    Cancelled,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SyncOutcome"))]
pub struct Outcome {
    pub progress: Progress,
    /// Left in the outbox, to be sent by a later run.
    pub pending: usize,
    /// Waiting for a temporary patient ID to be mapped.
    pub held: usize,
}

/// What a run needs from whoever owns the outbox (the app implements it over its store).
pub trait Outbox {
    /// Puts records a stopped or crashed run left `sending` back in line; how many.
    fn recover(&mut self) -> Result<usize>;
    /// Records per request, as configured.
    fn batch_size(&self) -> Result<usize>;
    fn counts(&self) -> Result<Counts>;
    /// When the next waiting record falls due (None: nothing waits).
    fn next_due(&self) -> Result<Option<DateTime<Utc>>>;
    /// Up to `n` due records, built for sending and marked `sending`.
    fn take(&mut self, n: usize) -> Result<Vec<Outgoing>>;
    /// Files the server's answers for a batch.
    fn apply(&mut self, batch: &[Outgoing], answers: &[Answer], opts: &Options) -> Result<Applied>;
    /// The audit log's chain head as a request entry, with its sequence number; None when
    /// the server already has it.
    fn audit_head(&mut self) -> Result<Option<(i64, Value)>>;
    /// The server stored the chain head up to `seq`.
    fn audit_head_sent(&mut self, seq: i64) -> Result<()>;
}

/// The outbox's records by state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Due now or later (not held).
    pub sendable: usize,
    /// Still to be sent by a later run.
    pub pending: usize,
    /// Waiting for a temporary patient ID to be mapped.
    pub held: usize,
}

/// How many records of a batch ended in each state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Applied {
    pub acknowledged: usize,
    pub rejected: usize,
    pub retried: usize,
}

/// Lends the outbox to the run for its short steps.
pub trait Host {
    type Outbox: Outbox;
    fn with<R>(&self, f: impl FnOnce(&mut Self::Outbox) -> Result<R>) -> Result<R>;
}

/// A `Host` for callers that own the outbox (CLI, tests).
pub struct Direct<'a, O>(pub std::cell::RefCell<&'a mut O>);

impl<O: Outbox> Host for Direct<'_, O> {
    type Outbox = O;
    fn with<R>(&self, f: impl FnOnce(&mut O) -> Result<R>) -> Result<R> {
        f(&mut self.0.borrow_mut())
    }
}

/// One record's part of a batch: its request entries, in order.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub record_id: String,
    /// Attempts before this one (for the back-off).
    pub attempts: i64,
    pub summary: String,
    pub entries: Vec<Value>,
}

/// The server's answer for one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Every entry created (or found already there): the server ids.
    Stored(Vec<String>),
    /// The server refused it (4xx): the OperationOutcome's text.
    Refused(String),
    /// Try again (5xx, timeout, connection lost); `after` from Retry-After.
    Again {
        error: String,
        after: Option<Duration>,
    },
}

/// The FHIR endpoint, as configured.
pub struct Client {
    agent: ureq::Agent,
    endpoint: String,
    token: Option<String>,
}

impl Client {
    pub fn from_config(config: &Config) -> Result<Client> {
        let s = &config.sync;
        let endpoint = endpoint(s)?;
        if s.batch_size == 0 || s.batch_size > 500 {
            return Err(Error::Input(format!(
                "config.toml [sync] batch_size = {}: use 1 to 500",
                s.batch_size
            )));
        }
        if s.timeout_secs == 0 {
            return Err(Error::Input(
                "config.toml [sync] timeout_secs must be at least 1".into(),
            ));
        }
        let token = match &s.token_file {
            None => None,
            Some(p) => {
                let t = std::fs::read_to_string(p).map_err(|e| {
                    Error::Input(format!(
                        "config.toml [sync] token_file = {}: {e}",
                        p.display()
                    ))
                })?;
                let t = t.trim().to_string();
                if t.is_empty() || t.contains(char::is_whitespace) {
                    return Err(Error::Input(format!(
                        "{}: the file should hold one bearer token",
                        p.display()
                    )));
                }
                Some(t)
            }
        };
        Ok(Client {
            agent: crate::net::agent(&config.tls, Duration::from_secs(s.timeout_secs))?,
            endpoint,
            token,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether the server answers its capability statement (for "sync when reachable").
    pub fn reachable(&self) -> Result<()> {
        let mut req = self
            .agent
            .get(format!("{}/metadata", self.endpoint))
            .header("Accept", "application/fhir+json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let resp = req
            .call()
            .map_err(|e| Error::Input(format!("{}: {e}", self.endpoint)))?;
        match resp.status().as_u16() {
            200 => Ok(()),
            s => Err(Error::Input(format!(
                "{}/metadata answered {s}",
                self.endpoint
            ))),
        }
    }

    /// POSTs a `batch` Bundle of `entries` and reads the batch-response, up to `limit`
    /// bytes. Returns the answer's entries (one per entry sent, checked), the bytes read and
    /// the server's clock (its `Date` header).
    pub(crate) fn batch(
        &self,
        entries: Vec<Value>,
        limit: u64,
    ) -> Result<(Vec<Value>, u64, Option<DateTime<Utc>>)> {
        let n = entries.len();
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
        let body = serde_json::to_vec(&bundle).map_err(|e| Error::Input(e.to_string()))?;
        let mut req = self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/fhir+json")
            .header("Accept", "application/fhir+json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = req
            .send(&body[..])
            .map_err(|e| Error::Input(format!("{}: {e}", self.endpoint)))?;
        let status = resp.status().as_u16();
        let date = resp
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&Utc));
        let text = resp
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_string()
            .map_err(|e| {
                Error::Input(format!(
                    "{}: the answer was cut off or is larger than {limit} bytes: {e}",
                    self.endpoint
                ))
            })?;
        if status != 200 {
            let why = whole_for(status, &text, None).error;
            return Err(Error::Input(format!(
                "{} answered {status}: {why}",
                self.endpoint
            )));
        }
        let bytes = text.len() as u64;
        let reply: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Input(format!("{}: the answer is not JSON: {e}", self.endpoint)))?;
        let answers = match (&reply["resourceType"], &reply["entry"]) {
            (Value::String(t), Value::Array(a)) if t == "Bundle" && a.len() == n => a.clone(),
            _ => {
                return Err(Error::Input(format!(
                    "{}: the answer is not a batch-response with {n} entries",
                    self.endpoint
                )))
            }
        };
        Ok((answers, bytes, date))
    }

    /// Sends one batch; answers in the order of `batch`. `Err` is for the whole request
    /// (network, 5xx, 429): every record in it is tried again.
    fn send(&self, batch: &[Outgoing]) -> std::result::Result<Vec<Answer>, Whole> {
        let entries: Vec<&Value> = batch.iter().flat_map(|o| o.entries.iter()).collect();
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
        let body = serde_json::to_vec(&bundle).map_err(|e| Whole::fatal(e.to_string()))?;
        let mut req = self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/fhir+json")
            .header("Accept", "application/fhir+json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = req
            .send(&body[..])
            .map_err(|e| Whole::again(e.to_string()))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if status != 200 {
            // an error answer is read for its OperationOutcome only, and only so far
            let text = resp
                .body_mut()
                .with_config()
                .limit(MAX_ERROR_REPLY)
                .read_to_string()
                .unwrap_or_else(|e| format!("(answer not read: {e})"));
            return Err(whole_for(status, &text, retry_after));
        }
        // the batch-response is parsed as it arrives, never held whole, and only up to a size
        // proportional to what was sent
        let limit = reply_limit(entries.len());
        let reply: Value = serde_json::from_reader(
            resp.body_mut().with_config().limit(limit).reader(),
        )
        .map_err(|e| {
            Whole::again(if e.is_io() {
                format!("the server's answer is larger than {limit} bytes for {} entries, or was cut off: {e}", entries.len())
            } else {
                format!("the server's answer is not JSON: {e}")
            })
        })?;
        let answers = reply["entry"].as_array().cloned().unwrap_or_default();
        if reply["resourceType"] != "Bundle" || answers.len() != entries.len() {
            return Err(Whole::again(format!(
                "the server's answer has {} entries for {} sent (not a batch-response)",
                answers.len(),
                entries.len()
            )));
        }
        let mut out = Vec::with_capacity(batch.len());
        let mut at = 0;
        for o in batch {
            let part = &answers[at..at + o.entries.len()];
            at += o.entries.len();
            out.push(answer_for(part));
        }
        Ok(out)
    }
}

/// Why a whole request failed.
#[derive(Debug)]
struct Whole {
    error: String,
    after: Option<Duration>,
    /// Stop the run (credentials refused): more requests would not help.
    stop: bool,
    /// Send the batch's records one by one to find the one the server refuses.
    split: bool,
}

impl Whole {
    fn again(error: String) -> Whole {
        Whole {
            error,
            after: None,
            stop: false,
            split: false,
        }
    }
    fn fatal(error: String) -> Whole {
        Whole {
            error,
            after: None,
            stop: true,
            split: false,
        }
    }
}

/// Most of an error answer that is read (its OperationOutcome text).
const MAX_ERROR_REPLY: u64 = 256 * 1024;

/// Most of a batch-response that is read: a generous 64 KiB per entry sent, plus 1 MiB, at
/// most 32 MiB. A real server's answer per entry is well under 2 KiB.
fn reply_limit(entries: usize) -> u64 {
    (1024 * 1024 + 64 * 1024 * entries as u64).min(32 * 1024 * 1024)
}

/// A whole request answered with something other than 200.
fn whole_for(status: u16, text: &str, retry_after: Option<Duration>) -> Whole {
    match status {
        401 | 403 => Whole {
            error: format!(
                "the server refused our credentials ({status}): check [sync] token_file or the client certificate"
            ),
            after: None,
            stop: true,
            split: false,
        },
        408 | 429 | 500..=599 => Whole {
            error: format!("the server answered {status}{}", outcome_suffix(text)),
            after: retry_after,
            stop: false,
            split: false,
        },
        // the server refused the batch as a whole: find the record it minds by sending them
        // one by one
        _ => Whole {
            error: format!("the server answered {status}{}", outcome_suffix(text)),
            after: None,
            stop: false,
            split: true,
        },
    }
}

fn endpoint(s: &SyncConfig) -> Result<String> {
    let e = s
        .endpoint
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            Error::Input("no FHIR server is configured: set [sync] endpoint in config.toml".into())
        })?;
    crate::net::check_url(e)?;
    Ok(e.trim_end_matches('/').to_string())
}

/// `Retry-After`: seconds, or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s.min(3600)));
    }
    let t = DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (t.with_timezone(&Utc) - Utc::now())
        .num_seconds()
        .clamp(0, 3600);
    Some(Duration::from_secs(secs as u64))
}

fn outcome_suffix(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .map(|v| outcome_text(&v))
        .filter(|t| !t.is_empty())
        .map(|t| format!(": {t}"))
        .unwrap_or_default()
}

/// The issues of an OperationOutcome as one line.
pub fn outcome_text(oo: &Value) -> String {
    oo["issue"]
        .as_array()
        .map(|issues| {
            issues
                .iter()
                .map(|i| {
                    let text = i["details"]["text"]
                        .as_str()
                        .or_else(|| i["diagnostics"].as_str())
                        .unwrap_or("");
                    let at = i["expression"][0].as_str().unwrap_or("");
                    match (at.is_empty(), text.is_empty()) {
                        (_, true) => i["code"].as_str().unwrap_or("error").to_string(),
                        (true, false) => text.to_string(),
                        (false, false) => format!("{text} ({at})"),
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// One record's answer from its entries in a batch-response.
fn answer_for(entries: &[Value]) -> Answer {
    let mut ids = Vec::new();
    let mut again = None;
    for e in entries {
        let status = e["response"]["status"].as_str().unwrap_or("");
        let code: u16 = status
            .split_whitespace()
            .next()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let text = outcome_text(&e["response"]["outcome"]);
        match code {
            200..=299 => {
                let loc = e["response"]["location"]
                    .as_str()
                    .or_else(|| e["fullUrl"].as_str())
                    .unwrap_or("");
                // "DocumentReference/123/_history/1" → "DocumentReference/123"
                let id = loc.split("/_history").next().unwrap_or(loc);
                let id = match (id.is_empty(), &e["resource"]) {
                    (false, _) => id.to_string(),
                    (true, r) => format!(
                        "{}/{}",
                        r["resourceType"].as_str().unwrap_or("?"),
                        r["id"].as_str().unwrap_or("?")
                    ),
                };
                ids.push(id);
            }
            408 | 429 | 500..=599 | 0 => {
                again = Some(format!(
                    "{}{}",
                    if status.is_empty() {
                        "no status"
                    } else {
                        status
                    },
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(": {text}")
                    }
                ))
            }
            _ => {
                return Answer::Refused(if text.is_empty() {
                    status.to_string()
                } else {
                    format!("{status}: {text}")
                })
            }
        }
    }
    match again {
        Some(error) => Answer::Again { error, after: None },
        None => Answer::Stored(ids),
    }
}

/// Exponential back-off with jitter: `base · 2^(attempt-1)`, capped, then a random point in
/// its upper half (so many PCs coming back at once do not retry in step).
pub fn backoff(attempt: i64, base: Duration, max: Duration) -> Duration {
    let exp = attempt.clamp(1, 30) as u32 - 1;
    let d = base.saturating_mul(2u32.saturating_pow(exp)).min(max);
    let r = (uuid::Uuid::new_v4().as_u64_pair().0 % 1000) as u32;
    d / 2 + (d / 2) * r / 1000
}

/// Sends what is due until nothing is left, the server is unreachable, or `cancel` is set.
/// `progress` is called after every request.
pub fn run(
    host: &impl Host,
    client: &Client,
    opts: &Options,
    cancel: &AtomicBool,
    mut progress: impl FnMut(&Progress),
) -> Result<Outcome> {
    let (batch_size, sendable) = host.with(|app| {
        app.recover()?;
        Ok((app.batch_size()?, app.counts()?.sendable))
    })?;
    let mut p = Progress {
        total: sendable,
        ..Progress::default()
    };
    progress(&p);
    let mut failures_in_row = 0u32;
    let mut not_before: Option<Instant> = None;
    let mut seen = std::collections::HashSet::new();
    let mut prefetched: Option<Vec<Outgoing>> = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            p.phase = Phase::Cancelled;
            break;
        }
        if let Some(t) = not_before.take() {
            p.phase = Phase::Waiting;
            progress(&p);
            if !sleep_until(t, cancel) {
                p.phase = Phase::Cancelled;
                break;
            }
            p.phase = Phase::Sending;
        }
        let batch = match prefetched.take() {
            Some(b) if !b.is_empty() => b,
            _ => host.with(|app| app.take(batch_size))?,
        };
        if batch.is_empty() {
            // nothing due now: wait for the next retry if it is soon enough
            match host.with(|app| app.next_due())? {
                None => {
                    p.phase = Phase::Done;
                    break;
                }
                Some(at) => {
                    let wait = (at - Utc::now()).to_std().unwrap_or_default();
                    if wait > opts.max_wait {
                        p.phase = Phase::Waiting;
                        break;
                    }
                    not_before = Some(Instant::now() + wait);
                    continue;
                }
            }
        }
        for o in &batch {
            if seen.insert(o.record_id.clone()) && seen.len() > p.total {
                p.total = seen.len();
            }
        }
        // while this batch is on the wire, the next one is built (its PDFs rendered): the
        // server's work and ours overlap. Not while the server is failing.
        let (sent, next) = std::thread::scope(|s| {
            let wire = s.spawn(|| client.send(&batch));
            let next = if failures_in_row == 0 && !cancel.load(Ordering::Relaxed) {
                Some(host.with(|app| app.take(batch_size)))
            } else {
                None
            };
            let sent = wire
                .join()
                .unwrap_or_else(|_| Err(Whole::again("the sending thread failed".into())));
            (sent, next)
        });
        prefetched = next.transpose()?;
        let whole = file(host, &batch, sent, opts, &mut p)?;
        match whole {
            None => failures_in_row = 0,
            Some(w) if w.split && batch.len() > 1 => {
                // the server refused the batch as a whole: one record at a time finds the one
                // it minds, and the others still arrive
                for o in &batch {
                    if let Some(w1) = exchange(host, client, std::slice::from_ref(o), opts, &mut p)?
                    {
                        if w1.stop {
                            p.phase = Phase::Unreachable;
                            break;
                        }
                    }
                }
                if p.phase == Phase::Unreachable {
                    break;
                }
            }
            Some(w) => {
                if w.stop {
                    p.phase = Phase::Unreachable;
                    break;
                }
                failures_in_row += 1;
                if failures_in_row >= opts.give_up_after {
                    p.phase = Phase::Unreachable;
                    break;
                }
                if let Some(after) = w.after {
                    not_before = Some(Instant::now() + after);
                }
            }
        }
        progress(&p);
    }
    // a batch built ahead but not sent goes back in line, due at once
    if let Some(b) = prefetched.take().filter(|b| !b.is_empty()) {
        let back = vec![
            Answer::Again {
                error: "not sent: the run stopped".into(),
                after: Some(Duration::ZERO),
            };
            b.len()
        ];
        host.with(|app| app.apply(&b, &back, opts))?;
    }
    // the server answered this run (something was filed, accepted or refused)
    if p.acknowledged + p.rejected > 0 {
        send_audit_head(host, client);
    }
    progress(&p);
    let counts = host.with(|app| app.counts())?;
    Ok(Outcome {
        progress: p,
        pending: counts.pending,
        held: counts.held,
    })
}

/// After a run the server answered, the audit log's chain head goes too, so a copy of where
/// the log ended lives off the PC. Best effort: a failure is retried after the next run.
fn send_audit_head(host: &impl Host, client: &Client) {
    let Ok(Some((seq, entry))) = host.with(|o| o.audit_head()) else {
        return;
    };
    let out = Outgoing {
        record_id: String::new(),
        attempts: 0,
        summary: format!("audit chain head {seq}"),
        entries: vec![entry],
    };
    if let Ok(answers) = client.send(std::slice::from_ref(&out)) {
        if matches!(answers.first(), Some(Answer::Stored(_))) {
            let _ = host.with(|o| o.audit_head_sent(seq));
        }
    }
}

/// Sends one batch and files the answers; the whole-request failure, if any.
fn exchange(
    host: &impl Host,
    client: &Client,
    batch: &[Outgoing],
    opts: &Options,
    p: &mut Progress,
) -> Result<Option<Whole>> {
    file(host, batch, client.send(batch), opts, p)
}

/// Files the answer to one sent batch; the whole-request failure, if any.
fn file(
    host: &impl Host,
    batch: &[Outgoing],
    sent: std::result::Result<Vec<Answer>, Whole>,
    opts: &Options,
    p: &mut Progress,
) -> Result<Option<Whole>> {
    p.requests += 1;
    let (answers, whole) = match sent {
        Ok(a) => (a, None),
        Err(w) => {
            let a = if w.split && batch.len() == 1 {
                Answer::Refused(w.error.clone())
            } else {
                Answer::Again {
                    error: w.error.clone(),
                    after: if w.split {
                        Some(Duration::ZERO)
                    } else {
                        w.after
                    },
                }
            };
            (vec![a; batch.len()], Some(w))
        }
    };
    let n = host.with(|app| app.apply(batch, &answers, opts))?;
    p.acknowledged += n.acknowledged;
    p.rejected += n.rejected;
    p.retries += n.retried;
    if let Some(e) = answers.iter().find_map(|a| match a {
        Answer::Again { error, .. } | Answer::Refused(error) => Some(error),
        Answer::Stored(_) => None,
    }) {
        p.last_error = Some(e.clone());
    }
    Ok(whole)
}

/// Sleeps in short steps so a shutdown is noticed; false if cancelled.
fn sleep_until(t: Instant, cancel: &AtomicBool) -> bool {
    while Instant::now() < t {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep((t - Instant::now()).min(Duration::from_millis(100)));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        for attempt in 1..10 {
            let full = base.saturating_mul(2u32.pow(attempt as u32 - 1)).min(max);
            let d = backoff(attempt, base, max);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?} of {full:?}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_a_date() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("99999"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn answers_per_record() {
        let ok = json!({"response": {"status": "201 Created", "location": "DocumentReference/a/_history/1"}});
        let found = json!({"response": {"status": "200 OK", "location": "Bundle/b/_history/3"}});
        let bad = json!({"response": {"status": "400 Bad Request", "outcome": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "details": {"text": "Invalid code"}, "expression": ["DocumentReference.status"]}]}}});
        let busy = json!({"response": {"status": "503 Service Unavailable"}});
        assert_eq!(
            answer_for(&[ok.clone(), found]),
            Answer::Stored(vec!["DocumentReference/a".into(), "Bundle/b".into()])
        );
        assert_eq!(
            answer_for(&[ok.clone(), bad]),
            Answer::Refused("400 Bad Request: Invalid code (DocumentReference.status)".into())
        );
        assert!(matches!(answer_for(&[ok, busy]), Answer::Again { .. }));
    }
}

/// Property tests over what the FHIR server answers: any JSON as a batch-response entry, any
/// Retry-After and OperationOutcome text. Read or refused, never a panic.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn cases(n: u32) -> ProptestConfig {
        let n = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(n);
        ProptestConfig::with_cases(n)
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            ".{0,24}".prop_map(Value::String),
            "(200|201|400|409|412|429|500|503|99999|2x|) ?[A-Za-z ]{0,8}".prop_map(Value::String),
            "(DocumentReference|Bundle|x)/[0-9a-z/_]{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "response",
                        "status",
                        "location",
                        "outcome",
                        "issue",
                        "severity",
                        "diagnostics",
                        "details",
                        "text",
                        "fullUrl",
                        "resource",
                        "id",
                        "resourceType",
                        "expression",
                    ])
                    .prop_map(str::to_string),
                    inner,
                    0..6,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(cases(512))]
        #[test]
        fn any_batch_response_entries_give_an_answer(entries in prop::collection::vec(json(), 0..6)) {
            let _ = answer_for(&entries);
        }

        #[test]
        fn any_outcome_gives_text(v in json()) {
            let _ = outcome_text(&v);
        }

        #[test]
        fn any_retry_after_is_read_or_ignored_and_bounded(s in ".{0,40}|[0-9]{1,25}") {
            if let Some(d) = parse_retry_after(&s) {
                prop_assert!(d <= Duration::from_secs(3600));
            }
        }
    }
}
