//! The drill report's timeline chart (`Block::Timeline`), drawn with rules and fills: a bar
//! per step from the drill's start, targets as vertical lines, late bars dark.

use super::layout::Composer;
use super::linebreak::{break_lines, natural_width};
use super::{Item, CONTENT_W, MARGIN_X};
use crate::{Inline, Timeline, TimelineRow};

impl Composer<'_> {
    pub(super) fn timeline(&mut self, t: &Timeline, rows: &[TimelineRow]) {
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
}
