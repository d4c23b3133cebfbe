//! The reconciliation report: every downtime record, whether the hospital's server has it,
//! and what still needs a person (rejections, temporary patient IDs to map).

use chrono::{DateTime, Utc};
use serde::Serialize;

use hikae_doc::pdf::PageFrame;
use hikae_doc::{Block, Document, Inline};
use hikae_domain::record::jst;
use hikae_store::{OutboxCounts, PatientMapping};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RowState {
    /// Not finalized: not sent (finalize it, or it stays on paper).
    Draft,
    Pending,
    /// Waiting for its temporary patient ID to be mapped.
    Held,
    Sending,
    Acknowledged,
    Rejected,
}

impl RowState {
    pub fn label_ja(self) -> &'static str {
        match self {
            RowState::Draft => "未確定（送信しない）",
            RowState::Pending => "送信待ち",
            RowState::Held => "仮ID対応付け待ち",
            RowState::Sending => "送信中",
            RowState::Acknowledged => "受領済み",
            RowState::Rejected => "受付拒否（要対応）",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ReconRow"))]
pub struct ReconciliationRow {
    pub record_id: String,
    pub version: u32,
    pub template_title: String,
    pub patient_id: String,
    pub patient_name: String,
    /// The real ID a temporary one was mapped to.
    pub mapped_to: Option<String>,
    pub author: String,
    pub finalized_at: Option<DateTime<Utc>>,
    pub state: RowState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub server_id: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// For a template that maps to a JP-CLINS document: whether this record goes as one
    /// (its patient was in the ward snapshot at finalize) or as a DocumentReference only.
    pub jpclins: Option<bool>,
}

/// A temporary patient ID whose records cannot be sent yet.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "UnmappedPatient"))]
pub struct Unmapped {
    pub temporary_id: String,
    pub patient_name: String,
    pub records: usize,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reconciliation {
    pub generated_at: DateTime<Utc>,
    pub endpoint: Option<String>,
    pub counts: OutboxCounts,
    pub drafts: usize,
    pub unmapped: Vec<Unmapped>,
    pub mappings: Vec<PatientMapping>,
    pub rows: Vec<ReconciliationRow>,
}

impl Reconciliation {
    /// The printable report (A4, Japanese).
    pub fn document(&self) -> (Document, PageFrame) {
        let c = &self.counts;
        let mut blocks = vec![
            Block::Heading {
                level: 1,
                text: Inline::plain("同期照合レポート（Reconciliation report）"),
            },
            Block::KeyValue(vec![
                (
                    Inline::bold("作成日時"),
                    Inline::plain(&jst(self.generated_at)),
                ),
                (
                    Inline::bold("送信先"),
                    Inline::plain(self.endpoint.as_deref().unwrap_or("未設定（送信しない）")),
                ),
                (
                    Inline::bold("受領済み"),
                    Inline::plain(&format!("{} 件", c.acknowledged)),
                ),
                (
                    Inline::bold("送信待ち"),
                    Inline::plain(&format!("{} 件", c.pending)),
                ),
                (
                    Inline::bold("受付拒否（要対応）"),
                    Inline::plain(&format!("{} 件", c.rejected)),
                ),
                (
                    Inline::bold("仮ID対応付け待ち"),
                    Inline::plain(&format!("{} 件", c.held)),
                ),
                (
                    Inline::bold("未確定（送信しない）"),
                    Inline::plain(&format!("{} 件", self.drafts)),
                ),
            ]),
        ];
        if !self.unmapped.is_empty() {
            blocks.push(Block::Heading {
                level: 2,
                text: Inline::plain("本IDへの対応付けが必要な仮患者ID"),
            });
            blocks.push(Block::Table {
                header: Some(vec![
                    Inline::bold("仮ID"),
                    Inline::bold("氏名"),
                    Inline::bold("記録数"),
                    Inline::bold("本ID（記入）"),
                ]),
                rows: self
                    .unmapped
                    .iter()
                    .map(|u| {
                        vec![
                            Inline::plain(&u.temporary_id),
                            Inline::plain(&u.patient_name),
                            Inline::plain(&u.records.to_string()),
                            Inline::plain(""),
                        ]
                    })
                    .collect(),
            });
        }
        if !self.mappings.is_empty() {
            blocks.push(Block::Heading {
                level: 2,
                text: Inline::plain("対応付け済みの仮患者ID"),
            });
            blocks.push(Block::Table {
                header: Some(vec![
                    Inline::bold("仮ID"),
                    Inline::bold("本ID"),
                    Inline::bold("対応付け"),
                ]),
                rows: self
                    .mappings
                    .iter()
                    .map(|m| {
                        vec![
                            Inline::plain(&m.temporary_id),
                            Inline::plain(&m.real_id),
                            Inline::plain(&format!("{}　{}", jst(m.mapped_at), m.mapped_by)),
                        ]
                    })
                    .collect(),
            });
        }
        blocks.push(Block::Heading {
            level: 2,
            text: Inline::plain("記録ごとの状態"),
        });
        blocks.push(Block::Table {
            header: Some(vec![
                Inline::bold("状態"),
                Inline::bold("記録"),
                Inline::bold("患者"),
                Inline::bold("確定"),
                Inline::bold("サーバーID・エラー"),
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let patient = match &r.mapped_to {
                        Some(real) => format!("{} → {real}\n{}", r.patient_id, r.patient_name),
                        None => format!("{}\n{}", r.patient_id, r.patient_name),
                    };
                    let server = match (&r.server_id, &r.last_error) {
                        (Some(id), _) => id.replace(' ', "\n"),
                        (None, Some(e)) => e.clone(),
                        (None, None) => String::new(),
                    };
                    let state = Inline::plain(r.state.label_ja());
                    vec![
                        if matches!(r.state, RowState::Rejected | RowState::Held) {
                            Inline::bold(r.state.label_ja())
                        } else {
                            state
                        },
                        Inline::plain(&format!(
                            "{}（第{}版）\n{}{}",
                            r.template_title,
                            r.version,
                            r.author,
                            match r.jpclins {
                                Some(false) => "\nJP-CLINS文書ではありません（PDFのみ・電子カルテの控えにない患者）",
                                _ => "",
                            }
                        )),
                        Inline::plain(&patient),
                        Inline::plain(&r.finalized_at.map(jst).unwrap_or_default()),
                        Inline::plain(&server),
                    ]
                })
                .collect(),
        });
        let frame = PageFrame {
            header_left: "同期照合レポート".into(),
            header_right: "Hikae 控え".into(),
            status_mark: None,
            footer_lines: vec![format!(
                "作成 {}　受領済み {} / 送信待ち {} / 拒否 {} / 仮ID待ち {}",
                jst(self.generated_at),
                c.acknowledged,
                c.pending,
                c.rejected,
                c.held
            )],
            watermark: None,
            large_type: false,
        };
        (Document { blocks }, frame)
    }
}
