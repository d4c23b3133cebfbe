//! The paper fallback, for when even the ward PC is unavailable: blank forms of a
//! template with the patient header already filled in, and the contact sheet. Written on
//! by hand, typed back in later as back-entered records (original time and author kept).

use crate::render::DOWNTIME_FOOTER;
use hikae_doc::pdf::PageFrame;
use hikae_doc::{Block, Document, Inline};
use hikae_domain::form::{FieldDef, FieldType, FormDef};
use hikae_domain::procedure::Contact;
use hikae_domain::record::Patient;

const WRITE: &str = "　"; // an empty cell keeps its height for handwriting

/// How to fill a field by hand.
fn blank_value(f: &FieldDef) -> String {
    match f.kind {
        FieldType::Date => "　　　　年　　月　　日".into(),
        FieldType::Datetime => "　　　　年　　月　　日　　時　　分".into(),
        FieldType::Number => format!("　　　　　　{}", f.unit.as_deref().unwrap_or("")),
        FieldType::Select => f
            .options
            .iter()
            .map(|o| format!("□ {}", o.ja))
            .collect::<Vec<_>>()
            .join("　"),
        FieldType::Checkbox => "□ はい　□ いいえ".into(),
        _ => WRITE.into(),
    }
}

fn label(f: &FieldDef) -> Inline {
    Inline::bold(&if f.required {
        format!("{}（必須）", f.label.ja)
    } else {
        f.label.ja.clone()
    })
}

/// A blank form of `form` for `patient`: every field with room to write.
pub fn blank_form(form: &FormDef, patient: &Patient, footer: &str) -> (Document, PageFrame) {
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: Inline::plain(&format!("{}（紙運用）", form.title.ja)),
        },
        Block::KeyValue(vec![
            (
                Inline::bold("患者"),
                Inline::plain(&format!("患者ID {}　{}", patient.id, patient.name)),
            ),
            (
                Inline::bold("記載日時"),
                Inline::plain("　　　　年　　月　　日　　時　　分"),
            ),
            (Inline::bold("記載者（署名）"), Inline::plain(WRITE)),
        ]),
    ];
    let mut simple: Vec<(Inline, Inline)> = Vec::new();
    let flush = |simple: &mut Vec<(Inline, Inline)>, blocks: &mut Vec<Block>| {
        if !simple.is_empty() {
            blocks.push(Block::KeyValue(std::mem::take(simple)));
        }
    };
    for f in &form.fields {
        match f.kind {
            FieldType::Multiline => {
                flush(&mut simple, &mut blocks);
                blocks.push(Block::Heading {
                    level: 3,
                    text: label(f),
                });
                blocks.push(Block::Table {
                    header: None,
                    rows: vec![vec![Inline::plain(WRITE)]; 4],
                });
            }
            FieldType::Table => {
                flush(&mut simple, &mut blocks);
                blocks.push(Block::Heading {
                    level: 3,
                    text: label(f),
                });
                let n = f.min_rows.unwrap_or(0).max(5);
                blocks.push(Block::Table {
                    header: Some(
                        f.columns
                            .iter()
                            .map(|c| Inline::bold(&c.label.ja))
                            .collect(),
                    ),
                    rows: vec![vec![Inline::plain(WRITE); f.columns.len().max(1)]; n],
                });
            }
            _ => simple.push((label(f), Inline::plain(&blank_value(f)))),
        }
    }
    flush(&mut simple, &mut blocks);
    blocks.push(Block::KeyValue(vec![
        (Inline::bold("最終確認者（署名）"), Inline::plain(WRITE)),
        (
            Inline::bold("後入力"),
            Inline::plain("□ Hikae に入力済み　入力日時　　月　　日　　：　　入力者"),
        ),
    ]));
    let frame = PageFrame {
        header_left: format!("患者ID {}　{}", patient.id, patient.name),
        header_right: form.title.ja.clone(),
        status_mark: Some("紙運用".into()),
        footer_lines: vec![
            DOWNTIME_FOOTER.to_string(),
            "紙で記載した記録は、復旧後に Hikae で「紙記録の後入力」として原本の記載日時・記載者とともに入力してください。"
                .into(),
            footer.to_string(),
        ],
        watermark: None,
        large_type: false,
    };
    (Document { blocks }, frame)
}

/// The contact sheet: every contact of the pack, to keep by the phone.
pub fn contact_sheet(contacts: &[Contact], footer: &str) -> (Document, PageFrame) {
    let blocks = vec![
        Block::Heading {
            level: 1,
            text: Inline::plain("非常時連絡先一覧（Emergency contacts）"),
        },
        Block::Table {
            header: Some(vec![Inline::bold("連絡先"), Inline::bold("番号・方法")]),
            rows: contacts
                .iter()
                .map(|c| {
                    vec![
                        Inline::plain(&format!("{}\n{}", c.label.ja, c.label.en)),
                        Inline::plain(&c.value),
                    ]
                })
                .collect(),
        },
    ];
    let frame = PageFrame {
        header_left: "非常時連絡先一覧".into(),
        header_right: "紙運用セット".into(),
        status_mark: None,
        footer_lines: vec![DOWNTIME_FOOTER.to_string(), footer.to_string()],
        watermark: None,
        large_type: false,
    };
    (Document { blocks }, frame)
}
