//! Declared downtime: which services are down, for the ward or the whole hospital, since
//! when and why. Plain data; the store keeps the periods, records carry a [`DowntimeMark`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::record::jst;

/// The services a ward depends on (and the monitor probes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// The cloud generative-AI documentation service.
    Ai,
    /// The hospital's identity provider.
    Idp,
    /// The EHR / FHIR endpoint.
    Ehr,
    Other,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 4] = [
        ServiceKind::Ai,
        ServiceKind::Idp,
        ServiceKind::Ehr,
        ServiceKind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Ai => "ai",
            ServiceKind::Idp => "idp",
            ServiceKind::Ehr => "ehr",
            ServiceKind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<ServiceKind> {
        ServiceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_ja(self) -> &'static str {
        match self {
            ServiceKind::Ai => "生成AIサービス",
            ServiceKind::Idp => "認証基盤",
            ServiceKind::Ehr => "電子カルテ",
            ServiceKind::Other => "その他のシステム",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "DowntimeScope"))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Ward,
    Hospital,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ward => "ward",
            Scope::Hospital => "hospital",
        }
    }
    pub fn parse(s: &str) -> Result<Scope> {
        match s {
            "ward" => Ok(Scope::Ward),
            "hospital" => Ok(Scope::Hospital),
            _ => Err(Error::Input(format!(
                "scope '{s}': expected 'ward' or 'hospital'"
            ))),
        }
    }
    pub fn label_ja(self) -> &'static str {
        match self {
            Scope::Ward => "病棟",
            Scope::Hospital => "病院全体",
        }
    }
}

/// One declared downtime period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "DowntimePeriod"))]
pub struct Downtime {
    pub id: String,
    pub services: Vec<ServiceKind>,
    pub scope: Scope,
    pub reason: String,
    pub declared_by: String,
    pub started_at: DateTime<Utc>,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_note: Option<String>,
    /// Declared as part of this drill (a practice downtime).
    pub drill_id: Option<String>,
}

impl Downtime {
    pub fn mark(&self) -> DowntimeMark {
        DowntimeMark {
            id: self.id.clone(),
            started_at: self.started_at,
            scope: self.scope,
            services: self.services.clone(),
        }
    }
}

/// What a record made during a downtime keeps of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DowntimeMark {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub scope: Scope,
    pub services: Vec<ServiceKind>,
}

impl DowntimeMark {
    /// The line printed on the record.
    pub fn line(&self) -> String {
        format!(
            "ダウンタイム中に作成（{}〜 {}：{}停止）",
            jst(self.started_at),
            self.scope.label_ja(),
            services_ja(&self.services)
        )
    }
}

pub fn services_ja(services: &[ServiceKind]) -> String {
    services
        .iter()
        .map(|s| s.label_ja())
        .collect::<Vec<_>>()
        .join("・")
}

/// Checks a declaration: at least one service, a reason.
pub fn check_declaration(services: &[ServiceKind], reason: &str) -> Result<()> {
    if services.is_empty() {
        return Err(Error::Input(
            "declaring downtime: choose at least one service that is down".into(),
        ));
    }
    if reason.trim().is_empty() {
        return Err(Error::Input("declaring downtime: give a reason".into()));
    }
    Ok(())
}
