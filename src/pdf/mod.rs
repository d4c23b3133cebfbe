//! A4 PDF output: lays a [`Document`] out into pages and writes them with printpdf.
//!
//! Layout is ours (printpdf's HTML path breaks kinsoku and drops page numbers): text is
//! broken into lines in `linebreak`, blocks are placed top to bottom, tables split across
//! pages with their header repeated, and every page gets the patient header, "n / N" and
//! the downtime footer. The font is embedded as a subset. A character the font lacks is
//! printed as 〓 and reported in [`Pdf::substituted`]; it is never a silent box.
//! This module never sees the database or the pack.

mod font;
mod linebreak;

use std::sync::OnceLock;

use printpdf::{
    Codepoint, Color, Greyscale, Line as PLine, LinePoint, Mm, Op, PaintMode, ParsedFont,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix,
    TextRenderingMode,
};

use font::Metrics;
pub use font::{missing_glyphs, SUBSTITUTE};
use linebreak::{break_lines, min_width, natural_width, Line};

use crate::doc::{Block, Document, Inline, Span, Timeline, TimelineRow};
use crate::error::{Error, Result};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 48.0;
const TOP: f32 = 64.0;
const BOTTOM: f32 = PAGE_H - 62.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const LINE_HEIGHT: f32 = 1.6;
const CELL_PAD: f32 = 4.0;

/// What surrounds the content on every page of one record.
#[derive(Debug, Clone, Default)]
pub struct PageFrame {
    /// Left of the header, e.g. "患者ID P-0001　山田 花子".
    pub header_left: String,
    /// Right of the header before the page number, e.g. the record type.
    pub header_right: String,
    /// A mark in the header such as "下書き（未確定）".
    pub status_mark: Option<String>,
    /// Small print at the bottom of every page.
    pub footer_lines: Vec<String>,
    /// Large light text across every page (drafts, drills).
    pub watermark: Option<String>,
    /// Larger type for patients.
    pub large_type: bool,
}

/// A finished PDF.
#[derive(Debug)]
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Characters the font could not print, each replaced by [`SUBSTITUTE`].
    pub substituted: Vec<char>,
}

#[derive(Debug, Clone)]
enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        gray: f32,
        text: String,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        gray: f32,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: f32,
    },
}

struct Composer<'m> {
    m: &'m Metrics,
    pages: Vec<Vec<Item>>,
    items: Vec<Item>,
    y: f32,
    base: f32,
}

impl<'m> Composer<'m> {
    fn lh(&self, size: f32) -> f32 {
        size * LINE_HEIGHT
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.items));
        self.y = TOP;
    }

    fn at_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    /// Starts a new page unless `h` more points fit on this one.
    fn ensure(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM && !self.at_top() {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn put_line(&mut self, x: f32, line: &Line, size: f32, gray: f32) {
        let baseline = self.y + self.lh(size) / 2.0 + 0.36 * size;
        for (dx, text, bold) in &line.runs {
            self.items.push(Item::Text {
                x: x + dx,
                y: baseline,
                size,
                bold: *bold,
                gray,
                text: text.clone(),
            });
        }
    }

    fn paragraph(&mut self, text: &Inline, x: f32, width: f32, size: f32, gray: f32) {
        let lh = self.lh(size);
        for line in break_lines(text, size, width, self.m) {
            self.ensure(lh);
            self.put_line(x, &line, size, gray);
            self.y += lh;
        }
    }

    fn block(&mut self, block: &Block, next: Option<&Block>) {
        let base = self.base;
        let lh = self.lh(base);
        match block {
            Block::Heading { level, text } => {
                let (size, before, after) = match level {
                    1 => (base * 1.55, 0.0, 8.0),
                    2 => (base * 1.15, 10.0, 4.0),
                    _ => (base * 1.05, 6.0, 2.0),
                };
                let lines = break_lines(&bolden(text), size, CONTENT_W - 8.0, self.m);
                let h = lines.len() as f32 * self.lh(size);
                // keep a heading with at least two lines of what follows
                let follow = if next.is_some() { 2.0 * lh } else { 0.0 };
                if !self.ensure(before + h + after + follow) && !self.at_top() {
                    self.y += before;
                }
                if *level == 2 {
                    self.items.push(Item::Fill {
                        x: MARGIN_X,
                        y: self.y,
                        w: CONTENT_W,
                        h,
                        gray: 0.92,
                    });
                    self.items.push(Item::Fill {
                        x: MARGIN_X,
                        y: self.y,
                        w: 3.0,
                        h,
                        gray: 0.35,
                    });
                }
                let indent = if *level == 2 { 8.0 } else { 0.0 };
                for line in &lines {
                    self.put_line(MARGIN_X + indent, line, size, 0.0);
                    self.y += self.lh(size);
                }
                if *level == 1 {
                    self.items.push(Item::Rule {
                        x1: MARGIN_X,
                        y1: self.y + 2.0,
                        x2: MARGIN_X + CONTENT_W,
                        y2: self.y + 2.0,
                        width: 1.2,
                        gray: 0.2,
                    });
                }
                self.y += after;
            }
            Block::Paragraph { text, note } => {
                let (size, gray) = if *note {
                    (base * 0.88, 0.35)
                } else {
                    (base, 0.0)
                };
                self.paragraph(text, MARGIN_X, CONTENT_W, size, gray);
                self.y += base * 0.5;
            }
            Block::Rule => {
                self.ensure(8.0);
                self.items.push(Item::Rule {
                    x1: MARGIN_X,
                    y1: self.y + 4.0,
                    x2: MARGIN_X + CONTENT_W,
                    y2: self.y + 4.0,
                    width: 0.5,
                    gray: 0.5,
                });
                self.y += 8.0;
            }
            Block::List { ordered, items } => {
                for (i, item) in items.iter().enumerate() {
                    let marker = if *ordered {
                        format!("{}.", i + 1)
                    } else {
                        "・".to_string()
                    };
                    let indent = base * 1.6;
                    let lines = break_lines(item, base, CONTENT_W - indent, self.m);
                    for (j, line) in lines.iter().enumerate() {
                        self.ensure(lh);
                        if j == 0 {
                            let m = Line {
                                runs: vec![(0.0, marker.clone(), false)],
                                width: 0.0,
                            };
                            self.put_line(MARGIN_X, &m, base, 0.0);
                        }
                        self.put_line(MARGIN_X + indent, line, base, 0.0);
                        self.y += lh;
                    }
                }
                self.y += base * 0.5;
            }
            Block::KeyValue(pairs) => self.key_values(pairs),
            Block::Table { header, rows } => self.table(header.as_deref(), rows),
            Block::Timeline(t) => {
                // one axis per page-sized chunk of rows
                for chunk in t.rows.chunks(28) {
                    self.timeline(t, chunk);
                }
            }
        }
    }

    fn timeline(&mut self, t: &Timeline, rows: &[TimelineRow]) {
        let size = self.base * 0.85;
        let lh = self.lh(size);
        let row_h = lh + 2.0;
        let label_w = 190.0;
        let x0 = MARGIN_X + label_w + 6.0;
        let w = CONTENT_W - label_w - 6.0 - 44.0;
        let (step, end) = t.axis();
        let xs = |v: f32| x0 + (v.clamp(0.0, end) / end) * w;
        self.ensure(lh * 2.0 + row_h * rows.len() as f32 + 4.0);
        // axis labels
        let mut v = 0.0;
        while v <= end + 0.01 {
            let text = format!(
                "{}{}",
                v as i64,
                if v == 0.0 { t.unit.as_str() } else { "" }
            );
            let tw = natural_width(&Inline::plain(&text), size * 0.9, self.m);
            self.items.push(Item::Text {
                x: xs(v) - tw / 2.0,
                y: self.y + lh * 0.75,
                size: size * 0.9,
                bold: false,
                gray: 0.3,
                text,
            });
            v += step;
        }
        self.y += lh;
        let top = self.y;
        let bottom = top + row_h * rows.len() as f32;
        let mut v = 0.0;
        while v <= end + 0.01 {
            self.items.push(Item::Rule {
                x1: xs(v),
                y1: top,
                x2: xs(v),
                y2: bottom,
                width: if v == 0.0 { 0.8 } else { 0.3 },
                gray: if v == 0.0 { 0.2 } else { 0.75 },
            });
            v += step;
        }
        for row in rows {
            let label = break_lines(&Inline::plain(&row.label), size, label_w, self.m);
            if let Some(first) = label.first() {
                let mut first = first.clone();
                if label.len() > 1 {
                    if let Some(last) = first.runs.last_mut() {
                        last.1.push('…');
                    }
                }
                self.put_line(MARGIN_X, &first, size, 0.0);
            }
            let bar_y = self.y + row_h * 0.2;
            let bar_h = row_h * 0.6;
            match row.at {
                Some(at) => {
                    let late = row.target.is_some_and(|tg| at > tg);
                    self.items.push(Item::Fill {
                        x: x0,
                        y: bar_y,
                        w: (xs(at) - x0).max(1.0),
                        h: bar_h,
                        gray: if late { 0.15 } else { 0.6 },
                    });
                    let text = format!("{at:.1}");
                    self.items.push(Item::Text {
                        x: xs(at) + 3.0,
                        y: self.y + lh / 2.0 + 0.36 * size,
                        size: size * 0.9,
                        bold: late,
                        gray: 0.0,
                        text,
                    });
                }
                None => self.items.push(Item::Text {
                    x: x0 + 4.0,
                    y: self.y + lh / 2.0 + 0.36 * size,
                    size: size * 0.9,
                    bold: false,
                    gray: 0.35,
                    text: "未実施".to_string(),
                }),
            }
            if let Some(tg) = row.target {
                self.items.push(Item::Rule {
                    x1: xs(tg),
                    y1: self.y,
                    x2: xs(tg),
                    y2: self.y + row_h,
                    width: 1.6,
                    gray: 0.0,
                });
            }
            self.items.push(Item::Rule {
                x1: MARGIN_X,
                y1: self.y + row_h,
                x2: MARGIN_X + CONTENT_W,
                y2: self.y + row_h,
                width: 0.2,
                gray: 0.8,
            });
            self.y += row_h;
        }
        self.y += self.base * 0.6;
    }

    fn key_values(&mut self, pairs: &[(Inline, Inline)]) {
        let base = self.base;
        let lh = self.lh(base);
        let key_w = pairs
            .iter()
            .map(|(k, _)| natural_width(&bolden(k), base, self.m))
            .fold(0.0, f32::max)
            .clamp(CONTENT_W * 0.18, CONTENT_W * 0.32)
            + 10.0;
        for (k, v) in pairs {
            let kl = break_lines(&bolden(k), base, key_w - 10.0, self.m);
            let vl = break_lines(v, base, CONTENT_W - key_w, self.m);
            let n = kl.len().max(vl.len());
            // keep short pairs together; long values may continue on the next page
            self.ensure(lh * n.min(3) as f32);
            for i in 0..n {
                if self.ensure(lh) {
                    // continued value on a new page: repeat the key, greyed
                    if let Some(first) = kl.first() {
                        self.put_line(MARGIN_X, first, base, 0.55);
                    }
                } else if let Some(l) = kl.get(i) {
                    self.put_line(MARGIN_X, l, base, 0.2);
                }
                if let Some(l) = vl.get(i) {
                    self.put_line(MARGIN_X + key_w, l, base, 0.0);
                }
                self.y += lh;
            }
            self.items.push(Item::Rule {
                x1: MARGIN_X,
                y1: self.y + 1.5,
                x2: MARGIN_X + CONTENT_W,
                y2: self.y + 1.5,
                width: 0.3,
                gray: 0.75,
            });
            self.y += 3.0;
        }
        self.y += base * 0.5;
    }

    fn table(&mut self, header: Option<&[Inline]>, rows: &[Vec<Inline>]) {
        let size = self.base * 0.95;
        let lh = self.lh(size);
        let ncols = header
            .map_or(0, <[Inline]>::len)
            .max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if ncols == 0 {
            return;
        }
        let header_cells: Option<Vec<Inline>> = header.map(|h| h.iter().map(bolden).collect());
        // column widths between each column's longest unbreakable piece and its natural width
        let mut mins = vec![0.0f32; ncols];
        let mut maxs = vec![0.0f32; ncols];
        for row in header_cells.iter().chain(rows.iter()) {
            for (i, cell) in row.iter().enumerate() {
                // short cells (names, rooms, dates) should not wrap: every ideograph is a
                // break opportunity, so the unbreakable width alone would squeeze them
                let natural = natural_width(cell, size, self.m);
                let keep = min_width(cell, size, self.m).max(natural.min(size * 7.0));
                mins[i] = mins[i].max(keep.min(CONTENT_W / ncols as f32 * 1.5) + 2.0 * CELL_PAD);
                maxs[i] = maxs[i].max(natural + 2.0 * CELL_PAD);
            }
        }
        let (smin, smax): (f32, f32) = (mins.iter().sum(), maxs.iter().sum());
        let widths: Vec<f32> = if smax <= CONTENT_W {
            maxs.iter()
                .map(|w| w + (CONTENT_W - smax) / ncols as f32)
                .collect()
        } else if smin <= CONTENT_W {
            let k = (CONTENT_W - smin) / (smax - smin).max(0.01);
            mins.iter()
                .zip(&maxs)
                .map(|(a, b)| a + (b - a) * k)
                .collect()
        } else {
            mins.iter().map(|w| w * CONTENT_W / smin).collect()
        };
        let layout_row = |row: &[Inline]| -> Vec<Vec<Line>> {
            (0..ncols)
                .map(|i| match row.get(i) {
                    Some(cell) => break_lines(cell, size, widths[i] - 2.0 * CELL_PAD, self.m),
                    None => vec![],
                })
                .collect()
        };
        let header_lines = header_cells.as_ref().map(|h| layout_row(h));
        let header_h = header_lines.as_ref().map_or(0.0, |h| row_height(h, lh));
        let draw_header = |c: &mut Composer| {
            if let Some(h) = &header_lines {
                c.draw_row(h, &widths, 0, usize::MAX, size, true);
            }
        };
        let first_row_h = rows.first().map_or(0.0, |r| row_height(&layout_row(r), lh));
        self.ensure(header_h + first_row_h.min(3.0 * lh + 2.0 * CELL_PAD));
        draw_header(self);
        for row in rows {
            let cells = layout_row(row);
            let nlines = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
            let h = row_height(&cells, lh);
            if self.y + h > BOTTOM && h <= BOTTOM - TOP - header_h {
                self.new_page();
                draw_header(self);
            }
            // rows taller than the space left are split between lines
            let mut from = 0;
            while from < nlines {
                let room = ((BOTTOM - self.y - 2.0 * CELL_PAD) / lh).floor().max(0.0) as usize;
                if room == 0 {
                    self.new_page();
                    draw_header(self);
                    continue;
                }
                let to = (from + room).min(nlines);
                self.draw_row(&cells, &widths, from, to, size, false);
                from = to;
                if from < nlines {
                    self.new_page();
                    draw_header(self);
                }
            }
        }
        self.y += self.base * 0.8;
    }

    /// Draws lines `from..to` of a row's cells with borders and advances the cursor.
    fn draw_row(
        &mut self,
        cells: &[Vec<Line>],
        widths: &[f32],
        from: usize,
        to: usize,
        size: f32,
        header: bool,
    ) {
        let lh = self.lh(size);
        let nlines = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let to = to.min(nlines);
        let h = (to - from) as f32 * lh + 2.0 * CELL_PAD;
        if header {
            self.items.push(Item::Fill {
                x: MARGIN_X,
                y: self.y,
                w: CONTENT_W,
                h,
                gray: 0.9,
            });
        }
        let top = self.y;
        let mut x = MARGIN_X;
        for (i, w) in widths.iter().enumerate() {
            self.y = top + CELL_PAD;
            for line in cells
                .get(i)
                .map(|c| &c[from.min(c.len())..to.min(c.len())])
                .unwrap_or(&[])
            {
                self.put_line(x + CELL_PAD, line, size, 0.0);
                self.y += lh;
            }
            self.items.push(Item::Rule {
                x1: x,
                y1: top,
                x2: x,
                y2: top + h,
                width: 0.5,
                gray: 0.45,
            });
            x += w;
        }
        self.items.push(Item::Rule {
            x1: x,
            y1: top,
            x2: x,
            y2: top + h,
            width: 0.5,
            gray: 0.45,
        });
        self.items.push(Item::Rule {
            x1: MARGIN_X,
            y1: top,
            x2: x,
            y2: top,
            width: 0.5,
            gray: 0.45,
        });
        self.items.push(Item::Rule {
            x1: MARGIN_X,
            y1: top + h,
            x2: x,
            y2: top + h,
            width: 0.5,
            gray: 0.45,
        });
        self.y = top + h;
    }
}

fn row_height(cells: &[Vec<Line>], lh: f32) -> f32 {
    cells.iter().map(Vec::len).max().unwrap_or(0).max(1) as f32 * lh + 2.0 * CELL_PAD
}

fn bolden(text: &Inline) -> Inline {
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

/// Replaces characters the font lacks by 〓, remembering which.
fn substitute(doc: &Document, m: &Metrics, missing: &mut Vec<char>) -> Document {
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

fn fix_plain(s: &str, m: &Metrics, missing: &mut Vec<char>) -> String {
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

fn layout(
    doc: &Document,
    frame: &PageFrame,
    m: &Metrics,
    missing: &mut Vec<char>,
) -> Vec<Vec<Item>> {
    let doc = substitute(doc, m, missing);
    let mut c = Composer {
        m,
        pages: Vec::new(),
        items: Vec::new(),
        y: TOP,
        base: if frame.large_type { 13.5 } else { 10.5 },
    };
    for (i, block) in doc.blocks.iter().enumerate() {
        c.block(block, doc.blocks.get(i + 1));
    }
    c.new_page();
    c.pages
}

fn frame_items(
    frame: &PageFrame,
    page: usize,
    total: usize,
    m: &Metrics,
    missing: &mut Vec<char>,
) -> Vec<Item> {
    let mut items = Vec::new();
    let size = 8.5;
    let left = fix_plain(&frame.header_left, m, missing);
    items.push(Item::Text {
        x: MARGIN_X,
        y: 36.0,
        size,
        bold: true,
        gray: 0.0,
        text: left,
    });
    let right = format!(
        "{}　{} / {}",
        fix_plain(&frame.header_right, m, missing),
        page,
        total
    );
    let rw = natural_width(&Inline::bold(&right), size, m);
    items.push(Item::Text {
        x: MARGIN_X + CONTENT_W - rw,
        y: 36.0,
        size,
        bold: true,
        gray: 0.0,
        text: right,
    });
    if let Some(mark) = &frame.status_mark {
        let mark = fix_plain(mark, m, missing);
        let w = natural_width(&Inline::bold(&mark), size, m);
        items.push(Item::Text {
            x: (PAGE_W - w) / 2.0,
            y: 36.0,
            size,
            bold: true,
            gray: 0.3,
            text: mark,
        });
    }
    items.push(Item::Rule {
        x1: MARGIN_X,
        y1: 44.0,
        x2: MARGIN_X + CONTENT_W,
        y2: 44.0,
        width: 0.8,
        gray: 0.2,
    });
    items.push(Item::Rule {
        x1: MARGIN_X,
        y1: BOTTOM + 12.0,
        x2: MARGIN_X + CONTENT_W,
        y2: BOTTOM + 12.0,
        width: 0.4,
        gray: 0.5,
    });
    let mut y = BOTTOM + 24.0;
    for (i, line) in frame.footer_lines.iter().enumerate() {
        let text = fix_plain(line, m, missing);
        let text = if i == 0 {
            Inline::bold(&text)
        } else {
            Inline::plain(&text)
        };
        for l in break_lines(&text, 7.0, CONTENT_W, m) {
            for (dx, t, bold) in l.runs {
                items.push(Item::Text {
                    x: MARGIN_X + dx,
                    y,
                    size: 7.0,
                    bold,
                    gray: 0.3,
                    text: t,
                });
            }
            y += 9.5;
        }
    }
    items
}

fn gray(g: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: g,
        icc_profile: None,
    })
}

fn parsed_font() -> Result<&'static ParsedFont> {
    static F: OnceLock<Option<ParsedFont>> = OnceLock::new();
    F.get_or_init(|| {
        let mut font = ParsedFont::from_bytes(font::REGULAR_TTF, 0, &mut Vec::new())?;
        // printpdf clones the font into every document. These two maps serve only
        // character→glyph lookups, which we do ourselves (`glyphs`, with the text attached
        // for ToUnicode), so an empty copy keeps each clone cheap.
        font.cmap_subtable = None;
        font.reverse_glyph_cache.clear();
        Some(font)
    })
    .as_ref()
    .ok_or_else(|| Error::Layout("the bundled font could not be parsed".into()))
}

/// Lays out and writes several records into one PDF; page numbers count within each record.
pub fn render_many(parts: &[(&Document, &PageFrame)], title: &str) -> Result<Pdf> {
    render_many_with(parts, title, &mut |_| {})
}

/// As [`render_many`], calling `laid_out(n)` after the n-th part is laid out (before the
/// final write, which takes about as long as laying out a few records).
pub fn render_many_with(
    parts: &[(&Document, &PageFrame)],
    title: &str,
    laid_out: &mut dyn FnMut(usize),
) -> Result<Pdf> {
    let m = Metrics::get()?;
    let mut pdf = PdfDocument::new(title);
    // printpdf names fonts (and their subset tag) with a process-wide counter; one fixed
    // six-letter tag keeps the output reproducible (each PDF embeds this one font)
    let random_id = pdf.add_font(parsed_font()?);
    let font_id = printpdf::FontId("HIKAEF".into());
    let added = pdf
        .resources
        .fonts
        .map
        .remove(&random_id)
        .ok_or_else(|| Error::Layout("the font was not added to the PDF".into()))?;
    pdf.resources.fonts.map.insert(font_id.clone(), added);
    let font = PdfFontHandle::External(font_id);
    let mut missing = Vec::new();
    let mut pages = Vec::new();
    for (n, (doc, frame)) in parts.iter().enumerate() {
        let laid = layout(doc, frame, m, &mut missing);
        let total = laid.len();
        for (i, body) in laid.into_iter().enumerate() {
            let mut items = frame_items(frame, i + 1, total, m, &mut missing);
            items.extend(body);
            let wm = frame
                .watermark
                .as_ref()
                .map(|w| fix_plain(w, m, &mut missing));
            pages.push(PdfPage::new(
                Mm(210.0),
                Mm(297.0),
                page_ops(&items, wm.as_deref(), &font, m),
            ));
        }
        laid_out(n + 1);
    }
    let count = pages.len();
    let bytes = save(pdf.with_pages(pages))?;
    Ok(Pdf {
        bytes,
        pages: count,
        substituted: missing,
    })
}

/// Lays out and writes one record.
pub fn render(doc: &Document, frame: &PageFrame, title: &str) -> Result<Pdf> {
    render_many(&[(doc, frame)], title)
}

/// Serializes with printpdf (which subsets the fonts), then compresses the streams ourselves:
/// printpdf's own path uses zlib level 9, which took a quarter of the render time for a few
/// percent of size (see docs/PERFORMANCE.md).
fn save(pdf: &PdfDocument) -> Result<Vec<u8>> {
    use std::io::Write;
    let opts = PdfSaveOptions {
        optimize: false,
        ..PdfSaveOptions::default()
    };
    let mut doc = pdf.to_lopdf_document(&opts, &mut Vec::new());
    // printpdf puts random file IDs in the trailer; derive them from the content instead, so
    // the same record always prints to the same bytes (the FHIR attachment hash relies on it)
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    for obj in doc.objects.values() {
        if let lopdf::Object::Stream(stream) = obj {
            sha2::Digest::update(&mut h, &stream.content);
        }
    }
    let id: String = sha2::Digest::finalize(h)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    doc.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone().into_bytes(), lopdf::StringFormat::Literal),
            lopdf::Object::String(id.into_bytes(), lopdf::StringFormat::Literal),
        ]),
    );
    for obj in doc.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = obj {
            if stream.allows_compression && stream.dict.get(b"Filter").is_err() {
                let mut z = flate2::write::ZlibEncoder::new(
                    Vec::new(),
                    flate2::Compression::new(COMPRESSION_LEVEL),
                );
                z.write_all(&stream.content)
                    .map_err(|e| Error::Layout(format!("compressing a PDF stream: {e}")))?;
                let packed = z
                    .finish()
                    .map_err(|e| Error::Layout(format!("compressing a PDF stream: {e}")))?;
                if packed.len() < stream.content.len() {
                    stream.dict.set("Filter", "FlateDecode");
                    stream.set_content(packed);
                }
            }
        }
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes)
        .map_err(|e| Error::Layout(format!("writing the PDF: {e}")))?;
    Ok(bytes)
}

const COMPRESSION_LEVEL: u32 = 6;

/// Stroke width of synthesized bold, as a fraction of the font size.
const BOLD_STROKE: f32 = 0.035;

/// Text as glyph ids from our own cmap lookup, each carrying its character for ToUnicode.
/// (Passing `TextItem::Text` makes printpdf look every character up through a cmap path that
/// took over a quarter of the render time.)
fn glyphs(text: &str, m: &Metrics) -> TextItem {
    TextItem::GlyphIds(
        text.chars()
            .map(|c| Codepoint::with_cid(m.glyph_id(c), 0.0, c.to_string()))
            .collect(),
    )
}

fn page_ops(items: &[Item], watermark: Option<&str>, font: &PdfFontHandle, m: &Metrics) -> Vec<Op> {
    let mut ops = Vec::with_capacity(items.len() * 4);
    if let Some(w) = watermark {
        let size = 64.0;
        let width = natural_width(&Inline::bold(w), size, m);
        let (c, s) = (
            std::f32::consts::FRAC_1_SQRT_2,
            std::f32::consts::FRAC_1_SQRT_2,
        );
        // centre the rotated text on the page
        let (cx, cy) = (PAGE_W / 2.0, PAGE_H / 2.0);
        let x = cx - (width / 2.0) * c + (size * 0.35) * s;
        let y = cy - (width / 2.0) * s - (size * 0.35) * c;
        ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: gray(0.88) },
            Op::SetFont {
                font: font.clone(),
                size: Pt(size),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Raw([c, s, -s, c, x, y]),
            },
            Op::ShowText {
                items: vec![glyphs(w, m)],
            },
            Op::EndTextSection,
        ]);
    }
    for item in items {
        match item {
            Item::Fill {
                x,
                y,
                w,
                h,
                gray: g,
            } => {
                ops.push(Op::SetFillColor { col: gray(*g) });
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(*x),
                        y: Pt(PAGE_H - y - h),
                        width: Pt(*w),
                        height: Pt(*h),
                        mode: Some(PaintMode::Fill),
                        winding_order: None,
                    },
                });
            }
            Item::Rule {
                x1,
                y1,
                x2,
                y2,
                width,
                gray: g,
            } => {
                ops.push(Op::SetOutlineColor { col: gray(*g) });
                ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                ops.push(Op::DrawLine {
                    line: PLine {
                        points: vec![
                            LinePoint {
                                p: Point {
                                    x: Pt(*x1),
                                    y: Pt(PAGE_H - y1),
                                },
                                bezier: false,
                            },
                            LinePoint {
                                p: Point {
                                    x: Pt(*x2),
                                    y: Pt(PAGE_H - y2),
                                },
                                bezier: false,
                            },
                        ],
                        is_closed: false,
                    },
                });
            }
            Item::Text { .. } => {}
        }
    }
    ops.push(Op::StartTextSection);
    let mut cur: Option<(bool, u32, u32)> = None;
    for item in items {
        if let Item::Text {
            x,
            y,
            size,
            bold: b,
            gray: g,
            text,
        } = item
        {
            let key = (*b, size.to_bits(), g.to_bits());
            if cur != Some(key) {
                ops.push(Op::SetFillColor { col: gray(*g) });
                ops.push(Op::SetFont {
                    font: font.clone(),
                    size: Pt(*size),
                });
                // bold is synthesized: fill plus a thin stroke of the same colour
                ops.push(Op::SetTextRenderingMode {
                    mode: if *b {
                        TextRenderingMode::FillStroke
                    } else {
                        TextRenderingMode::Fill
                    },
                });
                if *b {
                    ops.push(Op::SetOutlineColor { col: gray(*g) });
                    ops.push(Op::SetOutlineThickness {
                        pt: Pt(size * BOLD_STROKE),
                    });
                }
                cur = Some(key);
            }
            ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(*x), Pt(PAGE_H - y)),
            });
            ops.push(Op::ShowText {
                items: vec![glyphs(text, m)],
            });
        }
    }
    ops.push(Op::EndTextSection);
    ops
}
