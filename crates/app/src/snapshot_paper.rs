//! The ward snapshot on paper, for the 8-hour print pack: the census, and one page per
//! patient with allergies first. Every page carries the copy's age.

use hikae_doc::pdf::PageFrame;
use hikae_doc::{Block, Document, Inline};
use hikae_domain::snapshot::{as_of_label, Census, CensusRow, PatientSummary};

fn sex(g: Option<&str>) -> &'static str {
    match g {
        Some("male") => "男",
        Some("female") => "女",
        Some("other") => "他",
        _ => "",
    }
}

fn age_sex(r: &CensusRow, today: chrono::NaiveDate) -> String {
    format!(
        "{}{}",
        r.age_on(today)
            .map(|a| format!("{a}歳"))
            .unwrap_or_default(),
        sex(r.gender.as_deref())
    )
}

fn footer(as_of: &str) -> Vec<String> {
    vec![
        format!("{as_of}。これ以降の変更（新しい指示・検査結果）は含まれません。"),
        "Read-only copy of the EHR at the time shown; later changes are not included.".into(),
    ]
}

/// The census of every ward in the copy.
pub fn census_document(c: &Census, today: chrono::NaiveDate, stamp: &str) -> (Document, PageFrame) {
    let p = Inline::plain;
    let b = Inline::bold;
    let oldest = c.wards.iter().map(|w| w.as_of).min();
    let as_of = oldest
        .map(as_of_label)
        .unwrap_or_else(|| "電子カルテの控えなし".into());
    let mut blocks = vec![Block::Heading {
        level: 1,
        text: p("入院患者一覧（病棟の控え）Census"),
    }];
    for w in &c.wards {
        blocks.push(Block::Heading {
            level: 2,
            text: p(&format!(
                "{}　{}名　{}",
                w.name.as_deref().unwrap_or(&w.ward),
                w.patients,
                as_of_label(w.as_of)
            )),
        });
        let rows = c
            .rows
            .iter()
            .filter(|r| r.ward == w.ward)
            .map(|r| {
                vec![
                    p(r.bed.as_deref().unwrap_or("—")),
                    p(&format!(
                        "{}{}",
                        r.name,
                        r.kana
                            .as_deref()
                            .map(|k| format!("（{k}）"))
                            .unwrap_or_default()
                    )),
                    p(r.patient_id.as_deref().unwrap_or(&r.patient)),
                    p(&age_sex(r, today)),
                    if r.allergies > 0 {
                        b(&format!("あり {}", r.allergies))
                    } else {
                        p("記録なし")
                    },
                    p(r.attending.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            header: Some(
                [
                    "病床",
                    "氏名（カナ）",
                    "患者ID",
                    "年齢性別",
                    "アレルギー",
                    "主治医",
                ]
                .iter()
                .map(|h| b(h))
                .collect(),
            ),
            rows,
        });
    }
    let frame = PageFrame {
        header_left: "入院患者一覧".into(),
        header_right: stamp.to_string(),
        status_mark: None,
        footer_lines: footer(&as_of),
        watermark: None,
        large_type: false,
    };
    (Document { blocks }, frame)
}

/// One patient's page: identity, allergies first, medications, problems, latest vitals.
pub fn summary_document(
    s: &PatientSummary,
    as_of: chrono::DateTime<chrono::Utc>,
    today: chrono::NaiveDate,
    stamp: &str,
) -> (Document, PageFrame) {
    let p = Inline::plain;
    let b = Inline::bold;
    let r = &s.row;
    let h2 = |t: &str| Block::Heading {
        level: 2,
        text: p(t),
    };
    let id = r.patient_id.as_deref().unwrap_or(&r.patient);
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: p(&format!("患者サマリー（控え）　{}", r.name)),
        },
        Block::KeyValue(vec![
            (
                b("氏名"),
                p(&format!(
                    "{}{}",
                    r.name,
                    r.kana
                        .as_deref()
                        .map(|k| format!("（{k}）"))
                        .unwrap_or_default()
                )),
            ),
            (
                b("患者ID・生年月日"),
                p(&format!(
                    "{id}　{}　{}",
                    r.birth_date
                        .map(|d| d.format("%Y/%m/%d").to_string())
                        .unwrap_or_default(),
                    age_sex(r, today)
                )),
            ),
            (
                b("病棟・病床・入院日"),
                p(&format!(
                    "{}　{}　{}",
                    r.ward_name.as_deref().unwrap_or(&r.ward),
                    r.bed.as_deref().unwrap_or("—"),
                    r.admitted
                        .as_deref()
                        .map(|a| a.get(..10).unwrap_or(a))
                        .unwrap_or("")
                )),
            ),
            (
                b("主治医・診療科"),
                p(format!(
                    "{}　{}",
                    r.attending.as_deref().unwrap_or(""),
                    r.department.as_deref().unwrap_or("")
                )
                .trim()),
            ),
            (
                b("主訴"),
                p(&r.complaint.as_deref().unwrap_or("").replace('\n', "　")),
            ),
            (
                b("入院理由"),
                p(&r.reason.as_deref().unwrap_or("").replace('\n', "　")),
            ),
        ]),
        h2("アレルギー Allergies"),
    ];
    if s.allergies.is_empty() {
        blocks.push(Block::Paragraph {
            text: p("記録なし（アレルギーがないことを意味しません。本人・家族に確認）"),
            note: false,
        });
    } else {
        blocks.push(Block::Table {
            header: Some(
                ["アレルゲン", "重篤度", "反応"]
                    .iter()
                    .map(|h| b(h))
                    .collect(),
            ),
            rows: s
                .allergies
                .iter()
                .map(|a| {
                    vec![
                        b(&a.text),
                        p(match a.criticality.as_deref() {
                            Some("high") => "高",
                            Some("low") => "低",
                            Some(_) => "評価不能",
                            None => "",
                        }),
                        p(a.reaction.as_deref().unwrap_or("")),
                    ]
                })
                .collect(),
        });
    }
    // lists and lines, not tables: a patient with ten medications still fits one page
    blocks.push(h2("内服・注射 Medications"));
    blocks.push(Block::List {
        ordered: false,
        items: s
            .medications
            .iter()
            .map(|m| {
                p(&format!(
                    "{}　{}",
                    m.text,
                    m.dosage.as_deref().unwrap_or("")
                ))
            })
            .collect(),
    });
    blocks.push(h2("問題・病名 Problems"));
    blocks.push(Block::Paragraph {
        text: p(&s
            .problems
            .iter()
            .map(|x| {
                format!(
                    "{}{}",
                    x.text,
                    x.code
                        .as_deref()
                        .map(|c| format!("（{c}）"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("、")),
        note: false,
    });
    blocks.push(h2("バイタル（最新）Vital signs"));
    blocks.push(Block::Paragraph {
        text: p(&s
            .vitals
            .iter()
            .map(|v| {
                let at =
                    v.at.as_deref()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| hikae_domain::record::jst(t.with_timezone(&chrono::Utc)))
                        .unwrap_or_default();
                format!(
                    "{} {}{}（{at}）",
                    v.label,
                    v.value,
                    v.unit.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("　／　")),
        note: false,
    });
    if !s.documents.is_empty() {
        blocks.push(h2("ダウンタイム中の記録（他の端末）"));
        blocks.push(Block::List {
            ordered: false,
            items: s
                .documents
                .iter()
                .map(|d| {
                    p(&format!(
                        "{}　{}　{}",
                        d.date.as_deref().unwrap_or(""),
                        d.title,
                        d.author.as_deref().unwrap_or("")
                    ))
                })
                .collect(),
        });
    }
    let frame = PageFrame {
        header_left: format!("患者ID {id}　{}", r.name),
        header_right: stamp.to_string(),
        status_mark: None,
        footer_lines: footer(&as_of_label(as_of)),
        watermark: None,
        large_type: false,
    };
    (Document { blocks }, frame)
}
