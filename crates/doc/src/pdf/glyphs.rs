//! Characters the font has no glyph for are printed as 〓 and remembered, never dropped.

use super::font::{Metrics, SUBSTITUTE};
use crate::{Block, Document, Inline, Span, Timeline, TimelineRow};

/// Replaces characters the font lacks by 〓, remembering which.
pub(super) fn substitute(doc: &Document, m: &Metrics, missing: &mut Vec<char>) -> Document {
    let fix = |t: &Inline, missing: &mut Vec<char>| Inline {
        spans: t
            .spans
            .iter()
            .map(|s| Span {
                text: s
                    .text
                    .chars()
                    .map(|c| match c {
                        '\n' => c,
                        '\t' | '\u{a0}' | '\u{3000}' if !m.has_glyph(c) => ' ',
                        _ if c.is_control() => ' ',
                        _ if m.has_glyph(c) => c,
                        _ => {
                            if !missing.contains(&c) {
                                missing.push(c);
                            }
                            SUBSTITUTE
                        }
                    })
                    .collect(),
                bold: s.bold,
            })
            .collect(),
    };
    let blocks = doc
        .blocks
        .iter()
        .map(|b| match b {
            Block::Heading { level, text } => Block::Heading {
                level: *level,
                text: fix(&bolden(text), missing),
            },
            Block::Paragraph { text, note } => Block::Paragraph {
                text: fix(text, missing),
                note: *note,
            },
            Block::KeyValue(p) => Block::KeyValue(
                p.iter()
                    .map(|(k, v)| (fix(&bolden(k), missing), fix(v, missing)))
                    .collect(),
            ),
            Block::Table { header, rows } => Block::Table {
                header: header
                    .as_ref()
                    .map(|h| h.iter().map(|c| fix(&bolden(c), missing)).collect()),
                rows: rows
                    .iter()
                    .map(|r| r.iter().map(|c| fix(c, missing)).collect())
                    .collect(),
            },
            Block::List { ordered, items } => Block::List {
                ordered: *ordered,
                items: items.iter().map(|i| fix(i, missing)).collect(),
            },
            Block::Rule => Block::Rule,
            Block::Timeline(t) => Block::Timeline(Timeline {
                unit: fix_plain(&t.unit, m, missing),
                rows: t
                    .rows
                    .iter()
                    .map(|r| TimelineRow {
                        label: fix_plain(&r.label, m, missing),
                        ..r.clone()
                    })
                    .collect(),
            }),
        })
        .collect();
    Document { blocks }
}

pub(super) fn fix_plain(s: &str, m: &Metrics, missing: &mut Vec<char>) -> String {
    s.chars()
        .map(|c| {
            if m.has_glyph(c) && m.has_glyph(c) {
                c
            } else {
                if !missing.contains(&c) {
                    missing.push(c);
                }
                SUBSTITUTE
            }
        })
        .collect()
}

pub(super) fn bolden(text: &Inline) -> Inline {
    Inline {
        spans: text
            .spans
            .iter()
            .map(|s| Span {
                text: s.text.clone(),
                bold: true,
            })
            .collect(),
    }
}
