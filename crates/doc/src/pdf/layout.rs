//! Placing blocks on pages: paragraphs, key–value lists, tables split across pages with
//! their header repeated, and the page frame (header, "n / N", footer).

use super::font::Metrics;
use super::glyphs::{bolden, fix_plain, substitute};
use super::linebreak::{break_lines, min_width, natural_width, Line};
use super::{
    Item, PageFrame, BOTTOM, CELL_PAD, CONTENT_W, LINE_HEIGHT, MARGIN_X, PAGE_H, PAGE_W, TOP,
};
use crate::{Block, Document, Inline};

pub(super) struct Composer<'m> {
    pub(super) m: &'m Metrics,
    pub(super) pages: Vec<Vec<Item>>,
    pub(super) items: Vec<Item>,
    pub(super) y: f32,
    pub(super) base: f32,
    /// Where content ends on every page: [`content_bottom`] of the frame.
    pub(super) bottom: f32,
}

impl<'m> Composer<'m> {
    pub(super) fn lh(&self, size: f32) -> f32 {
        size * LINE_HEIGHT
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.items));
        self.y = TOP;
    }

    pub(super) fn at_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    /// Starts a new page unless `h` more points fit on this one.
    pub(super) fn ensure(&mut self, h: f32) -> bool {
        if self.y + h > self.bottom && !self.at_top() {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub(super) fn put_line(&mut self, x: f32, line: &Line, size: f32, gray: f32) {
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

    pub(super) fn paragraph(&mut self, text: &Inline, x: f32, width: f32, size: f32, gray: f32) {
        let lh = self.lh(size);
        for line in break_lines(text, size, width, self.m) {
            self.ensure(lh);
            self.put_line(x, &line, size, gray);
            self.y += lh;
        }
    }

    pub(super) fn block(&mut self, block: &Block, next: Option<&Block>) {
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
    pub(super) fn key_values(&mut self, pairs: &[(Inline, Inline)]) {
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

    pub(super) fn table(&mut self, header: Option<&[Inline]>, rows: &[Vec<Inline>]) {
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
            if self.y + h > self.bottom && h <= self.bottom - TOP - header_h {
                self.new_page();
                draw_header(self);
            }
            // rows taller than the space left are split between lines
            let mut from = 0;
            while from < nlines {
                let room = ((self.bottom - self.y - 2.0 * CELL_PAD) / lh)
                    .floor()
                    .max(0.0) as usize;
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
    pub(super) fn draw_row(
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

pub(super) fn row_height(cells: &[Vec<Line>], lh: f32) -> f32 {
    cells.iter().map(Vec::len).max().unwrap_or(0).max(1) as f32 * lh + 2.0 * CELL_PAD
}

/// The body of `doc` on pages whose footer has `footer_lines` lines.
pub(super) fn layout(
    doc: &Document,
    frame: &PageFrame,
    footer_lines: usize,
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
        bottom: content_bottom(footer_lines),
    };
    for (i, block) in doc.blocks.iter().enumerate() {
        c.block(block, doc.blocks.get(i + 1));
    }
    c.new_page();
    c.pages
}

/// The header, page number and `footer` (see [`footer`]) of one page.
pub(super) fn frame_items(
    frame: &PageFrame,
    footer: &[Line],
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
    let bottom = content_bottom(footer.len());
    items.push(Item::Rule {
        x1: MARGIN_X,
        y1: bottom + 12.0,
        x2: MARGIN_X + CONTENT_W,
        y2: bottom + 12.0,
        width: 0.4,
        gray: 0.5,
    });
    let mut y = bottom + 24.0;
    for l in footer {
        for (dx, t, bold) in &l.runs {
            items.push(Item::Text {
                x: MARGIN_X + dx,
                y,
                size: 7.0,
                bold: *bold,
                gray: 0.3,
                text: t.clone(),
            });
        }
        y += FOOTER_LEADING;
    }
    items
}

const FOOTER_LEADING: f32 = 9.5;
/// The lowest footer baseline: 18 pt (6.4 mm) above the sheet's edge, inside what printers
/// can print.
const FOOTER_LIMIT: f32 = PAGE_H - 18.0;

/// The footer's lines as printed (the first bold), broken to the content width: once per
/// record, for every page of it.
pub(super) fn footer(frame: &PageFrame, m: &Metrics, missing: &mut Vec<char>) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, line) in frame.footer_lines.iter().enumerate() {
        let text = fix_plain(line, m, missing);
        let text = if i == 0 {
            Inline::bold(&text)
        } else {
            Inline::plain(&text)
        };
        out.extend(break_lines(&text, 7.0, CONTENT_W, m));
    }
    out
}

/// Where content ends when the footer has `lines` lines: [`BOTTOM`], raised as far as a
/// longer footer needs so that its last line stays above [`FOOTER_LIMIT`].
pub(super) fn content_bottom(lines: usize) -> f32 {
    let last = BOTTOM + 24.0 + lines.saturating_sub(1) as f32 * FOOTER_LEADING;
    BOTTOM - (last - FOOTER_LIMIT).max(0.0)
}
