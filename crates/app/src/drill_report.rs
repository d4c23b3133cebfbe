//! The printable drill report: scenario, participants, the timeline chart, times against
//! targets, steps done and missed, findings and improvement actions.

use hikae_doc::pdf::PageFrame;
use hikae_doc::{Block, Document, Inline, Timeline, TimelineRow};
use hikae_domain::downtime::services_ja;
use hikae_domain::drill::Report;
use hikae_domain::record::DRILL_MARK;

/// The printable report: scenario, participants, the timeline chart, times against
/// targets, steps done and missed, findings and improvement actions.
pub fn document(r: &Report) -> (Document, PageFrame) {
    let p = Inline::plain;
    let b = Inline::bold;
    let h2 = |t: &str| Block::Heading {
        level: 2,
        text: p(t),
    };
    let fmt_min = |m: Option<f32>| m.map_or("—".to_string(), |m| format!("{m:.1} 分"));
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: p("継続訓練 報告書（Continuity drill report）"),
        },
        Block::KeyValue(vec![
            (b("訓練ID"), p(&r.id)),
            (b("シナリオ"), p(&r.scenario.title.ja)),
            (b("想定"), p(&r.scenario.description.ja)),
            (
                b("停止するサービス"),
                p(&format!(
                    "{}（{} 時間の想定）",
                    services_ja(&r.scenario.services),
                    r.scenario.hours
                )),
            ),
            (
                b("開始"),
                p(&format!("{}　{}", r.started_jst, r.started_by)),
            ),
            (
                b("終了"),
                p(&match (&r.ended_jst, &r.ended_by) {
                    (Some(at), Some(by)) => format!("{at}　{by}"),
                    _ => "実施中".to_string(),
                }),
            ),
            (b("所要時間"), p(&format!("{:.0} 分", r.elapsed_min))),
            (
                b("参加者"),
                p(&if r.participants.is_empty() {
                    "（記録なし）".to_string()
                } else {
                    r.participants.join("、")
                }),
            ),
            (
                b("訓練中の記録"),
                p(&format!(
                    "作成 {} 件・確定 {} 件・印刷/PDF {} 件{}",
                    r.records.created,
                    r.records.finalized,
                    r.records.printed,
                    match (&r.purged_jst, r.purged_records) {
                        (Some(at), Some(n)) => format!("（{at} に {n} 件を削除済み）"),
                        _ => String::new(),
                    }
                )),
            ),
        ]),
        h2("タイムライン（開始からの経過時間）"),
    ];
    let mut rows: Vec<TimelineRow> = r
        .milestones
        .iter()
        .map(|m| TimelineRow {
            label: m.label.clone(),
            at: m.minutes,
            target: m.target,
        })
        .collect();
    rows.extend(r.steps.iter().map(|s| TimelineRow {
        label: format!("{} {}. {}", s.procedure_title, s.step, s.text),
        at: Some(s.minutes),
        target: None,
    }));
    blocks.push(Block::Timeline(Timeline {
        unit: "分".into(),
        rows,
    }));
    blocks.push(Block::Paragraph {
        text: p("棒：開始からの経過時間（分、数字は実績）。濃い棒は目標超過。縦の太線：目標。"),
        note: true,
    });
    blocks.push(h2("目標との比較"));
    blocks.push(Block::Table {
        header: Some(vec![b("項目"), b("目標"), b("実績"), b("時刻"), b("判定")]),
        rows: r
            .milestones
            .iter()
            .map(|m| {
                vec![
                    p(&m.label),
                    p(&fmt_min(m.target)),
                    p(&fmt_min(m.minutes)),
                    p(m.at_jst.as_deref().unwrap_or("—")),
                    match (m.minutes, m.met) {
                        (None, _) => p("未実施"),
                        (Some(_), Some(true)) => p("達成"),
                        (Some(_), Some(false)) => b("未達"),
                        (Some(_), None) => p("—"),
                    },
                ]
            })
            .collect(),
    });
    blocks.push(h2("実施された手順"));
    if r.steps.is_empty() {
        blocks.push(Block::Paragraph {
            text: p("（チェックリストの実施記録はありません）"),
            note: false,
        });
    } else {
        blocks.push(Block::Table {
            header: Some(vec![b("手順"), b("No."), b("内容"), b("実施者"), b("経過")]),
            rows: r
                .steps
                .iter()
                .map(|s| {
                    vec![
                        p(&s.procedure_title),
                        p(&s.step.to_string()),
                        p(&s.text),
                        p(&format!("{}\n{}", s.by, s.at_jst)),
                        p(&fmt_min(Some(s.minutes))),
                    ]
                })
                .collect(),
        });
    }
    blocks.push(h2("実施されなかった手順"));
    if r.missed.is_empty() {
        blocks.push(Block::Paragraph {
            text: p("なし"),
            note: false,
        });
    } else {
        blocks.push(Block::List {
            ordered: false,
            items: r
                .missed
                .iter()
                .map(|m| p(&format!("{} {}. {}", m.procedure_title, m.step, m.text)))
                .collect(),
        });
    }
    for (title, text) in [
        ("所見（Findings）", &r.findings),
        ("改善策（Improvement actions）", &r.actions),
        ("メモ（Notes）", &r.notes),
    ] {
        blocks.push(h2(title));
        blocks.push(Block::Paragraph {
            text: p(if text.trim().is_empty() {
                "（記入なし）"
            } else {
                text
            }),
            note: false,
        });
    }
    let frame = PageFrame {
        header_left: format!("継続訓練報告書　訓練ID {}", r.id),
        header_right: r.scenario.title.ja.clone(),
        status_mark: Some("訓練 DRILL".into()),
        footer_lines: vec![
            "訓練の記録です（患者の記録ではありません）— Hikae 控え".to_string(),
            format!("シナリオ: {}　開始: {}", r.scenario.id, r.started_jst),
        ],
        watermark: Some(DRILL_MARK.to_string()),
        large_type: false,
    };
    (Document { blocks }, frame)
}
