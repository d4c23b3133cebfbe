//! Records: one filled form about one patient, with its lifecycle (draft → finalized) and
//! provenance (which pack, version and template hash produced it). Plain data; the store
//! persists it, render prints it.

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;
use serde::{Deserialize, Serialize};

use crate::form::Values;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "RecordStatus"))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Finalized,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Finalized => "finalized",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "draft" => Some(Status::Draft),
            "finalized" => Some(Status::Finalized),
            _ => None,
        }
    }
    pub fn label_ja(self) -> &'static str {
        match self {
            Status::Draft => "下書き（未確定）",
            Status::Finalized => "確定",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Patient {
    pub id: String,
    pub name: String,
}

/// Which pack and template version a record was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Provenance {
    pub pack_id: String,
    pub pack_version: String,
    pub template_id: String,
    pub template_version: String,
    pub template_hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "RecordData"))]
pub struct Record {
    pub id: String,
    /// Shared by all versions of one record (the first version's id).
    pub series_id: String,
    pub version: u32,
    pub supersedes: Option<String>,
    pub correction_reason: Option<String>,
    pub patient: Patient,
    pub provenance: Provenance,
    pub status: Status,
    pub author: String,
    pub final_reviewer: Option<String>,
    #[cfg_attr(feature = "ts", ts(as = "crate::form::ValuesShape"))]
    pub values: Values,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finalized_at: Option<DateTime<Utc>>,
    /// Incremented by every save; lets a frontend tell which save the store holds.
    pub revision: i64,
    /// The circumstances it was made in: a drill, a declared downtime, written on paper first.
    #[serde(default)]
    pub context: Context,
}

/// The circumstances of a record, fixed when it is created and printed on every page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "RecordContext"))]
pub struct Context {
    /// Made during this continuity drill: watermarked, never sent, purged after the drill.
    pub drill_id: Option<String>,
    /// Made while this downtime was declared.
    pub downtime: Option<crate::downtime::DowntimeMark>,
    /// Typed in later from a paper record written during a total outage.
    pub paper: Option<PaperOrigin>,
    /// Started from the ward snapshot: which fields came from it, and from which copy.
    pub prefill: Option<Prefilled>,
    /// Started from the patient's previous record: which fields were carried over, and which
    /// the author has confirmed (edited or checked) since.
    pub carried: Option<Carried>,
}

/// Fields carried over from an earlier record (copy-forward). A carried field stays
/// unconfirmed until the author edits it or confirms it; finalizing with unconfirmed ones
/// needs an explicit confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Carried {
    pub from_record: String,
    pub from_version: u32,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from_time: DateTime<Utc>,
    pub from_author: String,
    pub from_template: String,
    /// Field ids carried, and their Japanese labels for the footer.
    pub fields: Vec<String>,
    pub labels: Vec<String>,
    pub confirmed: Vec<String>,
    /// The values as carried (a save that changes one confirms it).
    #[cfg_attr(feature = "ts", ts(skip))]
    pub values: crate::form::Values,
}

impl Carried {
    /// Carried field ids not yet confirmed.
    pub fn unconfirmed(&self) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|f| !self.confirmed.contains(f))
            .map(String::as_str)
            .collect()
    }

    /// Confirms every carried field whose value in `values` differs from what was carried.
    pub fn confirm_edited(&mut self, values: &crate::form::Values) {
        for f in &self.fields {
            if !self.confirmed.contains(f) && values.get(f) != self.values.get(f) {
                self.confirmed.push(f.clone());
            }
        }
    }
}

/// The fields a record took from the ward snapshot when it was started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Prefilled {
    /// The copy's age (its last refresh).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub as_of: DateTime<Utc>,
    /// Field ids, and their Japanese labels for the printed footer.
    pub fields: Vec<String>,
    pub labels: Vec<String>,
}

/// The paper original of a back-entered record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaperOrigin {
    /// When the paper record was written.
    pub written_at: DateTime<Utc>,
    /// Who wrote it.
    pub author: String,
}

/// Time as shown to staff: Asia/Tokyo, `2026/11/21 14:30`.
pub fn jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&Tokyo).format("%Y/%m/%d %H:%M").to_string()
}

/// Clock time as shown in the autosave indicator: Asia/Tokyo, `14:32:05`.
pub fn jst_clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&Tokyo).format("%H:%M:%S").to_string()
}

/// A new record id (UUID v4).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The footer every Hikae record carries: it was made outside the EHR and must go back in.
pub const DOWNTIME_FOOTER: &str = "ダウンタイム時作成 — 電子カルテへの取込が必要（Hikae 控え）";

/// The watermark and mark on everything a drill produces.
pub const DRILL_MARK: &str = "訓練 / DRILL";

/// Lines printed on a record about how it came about: in a drill, during a declared
/// downtime, typed in from paper.
pub fn context_lines(c: &Context) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = &c.drill_id {
        out.push(format!(
            "{DRILL_MARK}　訓練ID {d} — 訓練用の記録です（本番サーバーへは送信されません）"
        ));
    }
    if let Some(d) = &c.downtime {
        out.push(d.line());
    }
    if let Some(p) = &c.paper {
        out.push(format!(
            "紙記録からの後入力（原本記載 {} {}）",
            jst(p.written_at),
            p.author
        ));
    }
    if let Some(k) = &c.carried {
        out.push(format!(
            "前回記録（{} {}）から引き継ぎ: {}（{}項目中{}項目を作成者が確認）",
            jst(k.from_time),
            k.from_author,
            k.labels.join("・"),
            k.fields.len(),
            k.confirmed.len()
        ));
    }
    if let Some(p) = &c.prefill {
        // the identity always comes from the copy; then the fields the template maps
        let mut what = vec!["患者ID・氏名".to_string()];
        what.extend(p.labels.iter().cloned());
        out.push(format!(
            "電子カルテの控え（{}時点）から転記: {}（転記後に確認・編集可）",
            jst(p.as_of),
            what.join("・")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_shown_in_tokyo() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 21, 15, 30, 0)
            .single()
            .expect("valid time");
        assert_eq!(jst(t), "2026/11/22 00:30");
    }
}
