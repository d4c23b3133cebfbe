//! The status monitor: probes the services a ward depends on (configured URLs only, short
//! timeouts, back-off while a service is down) and keeps their state: up, degraded (slow,
//! failing answers, or one missed probe) or down (no answer twice in a row). It only
//! *suggests*: declaring a downtime, or recovering from one, is a person's decision.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use hikae_domain::config::{Config, TlsConfig};
use hikae_domain::downtime::{Downtime, ServiceKind};
use hikae_domain::error::Result;
use hikae_domain::record::jst;

pub use hikae_domain::config::{MonitorConfig, ServiceDef};

/// Longest wait between probes of a service that does not answer.
const MAX_BACKOFF: Duration = Duration::from_secs(120);
/// Missed probes in a row before a service counts as down.
const DOWN_AFTER: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ServiceState"))]
#[serde(rename_all = "snake_case")]
pub enum State {
    Unknown,
    Up,
    Degraded,
    Down,
}

/// What one probe saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// An HTTP answer (any status) after `ms` milliseconds.
    Answer { status: u16, ms: u64 },
    /// No answer: refused, timed out, TLS failure, name not found.
    NoAnswer(String),
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServiceStatus {
    pub id: String,
    pub kind: ServiceKind,
    pub name: String,
    pub url: String,
    pub state: State,
    pub since: Option<DateTime<Utc>>,
    pub since_jst: Option<String>,
    pub checked_jst: Option<String>,
    pub latency_ms: Option<u64>,
    pub last_error: Option<String>,
}

/// What the monitor proposes to the people on the ward.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Suggestion {
    /// "declare": a service is down and no downtime covers it; "recover": a service of the
    /// declared downtime answers again.
    #[cfg_attr(feature = "ts", ts(type = "\"declare\" | \"recover\""))]
    pub kind: &'static str,
    pub services: Vec<ServiceKind>,
    pub since_jst: String,
}

#[derive(Debug, Clone)]
struct Tracked {
    def: ServiceDef,
    state: State,
    since: Option<DateTime<Utc>>,
    checked: Option<DateTime<Utc>>,
    latency_ms: Option<u64>,
    last_error: Option<String>,
    misses: u32,
    next: Instant,
}

pub struct Monitor {
    cfg: MonitorConfig,
    services: Vec<Tracked>,
}

impl Monitor {
    /// The services of `config.toml`'s `[monitor]`, plus the FHIR endpoint of `[sync]` as the
    /// EHR (its `/metadata`) unless an EHR service is listed. Nothing configured: nothing
    /// probed.
    pub fn new(config: &Config) -> Monitor {
        let mut defs = config.monitor.services.clone();
        if let Some(ep) = &config.sync.endpoint {
            if !defs.iter().any(|d| d.kind == ServiceKind::Ehr) {
                defs.push(ServiceDef {
                    id: "ehr".into(),
                    kind: ServiceKind::Ehr,
                    name: "電子カルテ（FHIR）".into(),
                    url: format!("{}/metadata", ep.trim_end_matches('/')),
                });
            }
        }
        let now = Instant::now();
        Monitor {
            cfg: config.monitor.clone(),
            services: defs
                .into_iter()
                .map(|def| Tracked {
                    def,
                    state: State::Unknown,
                    since: None,
                    checked: None,
                    latency_ms: None,
                    last_error: None,
                    misses: 0,
                    next: now,
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// (index, URL) of the services whose probe is due at `now`.
    pub fn due(&self, now: Instant) -> Vec<(usize, String)> {
        self.services
            .iter()
            .enumerate()
            .filter(|(_, s)| s.next <= now)
            .map(|(i, s)| (i, s.def.url.clone()))
            .collect()
    }

    /// When the next probe is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.services.iter().map(|s| s.next).min()
    }

    pub fn url(&self, i: usize) -> Option<&str> {
        self.services.get(i).map(|s| s.def.url.as_str())
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.cfg.timeout_ms.clamp(200, 30_000))
    }

    /// Files what a probe of service `i` saw; true if its state changed.
    pub fn observe(&mut self, i: usize, probe: Probe, at: DateTime<Utc>, now: Instant) -> bool {
        let interval = Duration::from_secs(self.cfg.interval_secs.clamp(5, 3600));
        let slow = self.cfg.slow_ms;
        let Some(s) = self.services.get_mut(i) else {
            return false;
        };
        s.checked = Some(at);
        let state = match probe {
            Probe::Answer { status, ms } => {
                s.misses = 0;
                s.latency_ms = Some(ms);
                let failing = status >= 500
                    || status == 429
                    || (status >= 400 && !matches!(status, 401 | 403));
                if failing {
                    s.last_error = Some(format!("HTTP {status}"));
                    State::Degraded
                } else if ms > slow {
                    s.last_error = Some(format!("応答が遅い（{ms} ms）"));
                    State::Degraded
                } else {
                    State::Up
                }
            }
            Probe::NoAnswer(err) => {
                s.misses += 1;
                s.latency_ms = None;
                s.last_error = Some(err);
                if s.misses >= DOWN_AFTER {
                    State::Down
                } else {
                    State::Degraded
                }
            }
        };
        // back off while it does not answer: interval, ×2, ×4 … up to MAX_BACKOFF
        let wait = if s.misses == 0 {
            interval
        } else {
            interval
                .saturating_mul(2u32.saturating_pow(s.misses.min(16) - 1))
                .min(MAX_BACKOFF.max(interval))
        };
        s.next = now + wait;
        let changed = s.state != state;
        if changed {
            s.state = state;
            s.since = Some(at);
        }
        changed
    }

    pub fn statuses(&self) -> Vec<ServiceStatus> {
        self.services
            .iter()
            .map(|s| ServiceStatus {
                id: s.def.id.clone(),
                kind: s.def.kind,
                name: s.def.name.clone(),
                url: s.def.url.clone(),
                state: s.state,
                since: s.since,
                since_jst: s.since.map(jst),
                checked_jst: s.checked.map(jst),
                latency_ms: s.latency_ms,
                last_error: s.last_error.clone(),
            })
            .collect()
    }

    /// A downtime to declare (a service is down, none declared for it), or a recovery to
    /// begin (a service of the declared downtime is up again).
    pub fn suggestion(&self, declared: Option<&Downtime>) -> Option<Suggestion> {
        let pick = |want: State, filter: &dyn Fn(ServiceKind) -> bool| {
            let hit: Vec<&Tracked> = self
                .services
                .iter()
                .filter(|s| s.state == want && filter(s.def.kind))
                .collect();
            let mut kinds: Vec<ServiceKind> = hit.iter().map(|s| s.def.kind).collect();
            kinds.sort();
            kinds.dedup();
            let since = hit.iter().filter_map(|s| s.since).min();
            (!kinds.is_empty()).then(|| (kinds, since.map(jst).unwrap_or_default()))
        };
        match declared {
            None => pick(State::Down, &|_| true).map(|(services, since_jst)| Suggestion {
                kind: "declare",
                services,
                since_jst,
            }),
            // a practice downtime ends with its drill
            Some(d) if d.drill_id.is_some() => None,
            // a real one: a declared service answers again, having come up after the declaration
            Some(d) => pick(State::Up, &|k| {
                d.services.contains(&k)
                    && self.services.iter().any(|s| {
                        s.def.kind == k
                            && s.state == State::Up
                            && s.since.is_some_and(|t| t > d.started_at)
                    })
            })
            .map(|(services, since_jst)| Suggestion {
                kind: "recover",
                services,
                since_jst,
            }),
        }
    }
}

/// Probes `url` once with a GET: any HTTP answer is an answer (its status judged by
/// [`Monitor::observe`]); the body is not read.
pub fn probe(url: &str, tls: &TlsConfig, timeout: Duration) -> Result<Probe> {
    crate::net::check_url(url)?;
    let agent = crate::net::agent(tls, timeout)?;
    let t0 = Instant::now();
    Ok(match agent.get(url).call() {
        Ok(resp) => Probe::Answer {
            status: resp.status().as_u16(),
            ms: t0.elapsed().as_millis() as u64,
        },
        Err(e) => Probe::NoAnswer(e.to_string()),
    })
}

/// Probes `due` (from [`Monitor::due`]) one after the other, each within `timeout`. Needs no
/// monitor, so a shared one stays unlocked while the network is waited for.
pub fn probe_each(
    due: &[(usize, String)],
    tls: &TlsConfig,
    timeout: Duration,
) -> Vec<(usize, Probe)> {
    due.iter()
        .map(|(i, url)| {
            let p = probe(url, tls, timeout).unwrap_or_else(|e| Probe::NoAnswer(e.to_string()));
            (*i, p)
        })
        .collect()
}

impl Monitor {
    /// Files the probes' results; true if any state changed.
    pub fn observe_all(&mut self, probes: Vec<(usize, Probe)>) -> bool {
        let mut changed = false;
        for (i, p) in probes {
            changed |= self.observe(i, p, Utc::now(), Instant::now());
        }
        changed
    }
}

/// Probes every due service of `m` now and returns whether any state changed.
pub fn probe_due(m: &mut Monitor, tls: &TlsConfig) -> bool {
    let probes = probe_each(&m.due(Instant::now()), tls, m.timeout());
    m.observe_all(probes)
}
