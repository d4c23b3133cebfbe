//! Line breaking: break opportunities from UAX #14 (unicode-linebreak, which keeps 、。」）
//! and small kana off line starts), widths from the font, and a character-level fallback for
//! words and URLs longer than a line that still respects kinsoku.

use unicode_linebreak::{linebreaks, BreakOpportunity};

use super::font::Metrics;
use crate::Inline;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    /// (x offset in pt, text, bold)
    pub runs: Vec<(f32, String, bool)>,
    pub width: f32,
}

/// Characters that must not begin a line (JIS X 4051 line-start prohibitions).
fn no_line_start(c: char) -> bool {
    "、。，．,.）〕］｝〉》」』】〙〗〟’”)]}>:;!?！？：；ゝゞ々ー・…‥ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ〜～％%℃".contains(c)
}

/// Characters that must not end a line.
fn no_line_end(c: char) -> bool {
    "（〔［｛〈《「『【〘〖〝‘“([{<".contains(c)
}

pub(crate) fn break_lines(text: &Inline, size: f32, max_width: f32, m: &Metrics) -> Vec<Line> {
    let mut s = String::new();
    let mut bold_ranges: Vec<(usize, bool)> = Vec::new();
    for span in &text.spans {
        bold_ranges.push((s.len(), span.bold));
        s.push_str(&span.text);
    }
    if s.is_empty() {
        return vec![Line {
            runs: Vec::new(),
            width: 0.0,
        }];
    }
    let bold_at = |b: usize| {
        bold_ranges
            .iter()
            .rev()
            .find(|(start, _)| *start <= b)
            .is_some_and(|(_, bold)| *bold)
    };
    // cum[b] = width of s[..b] at char boundary b
    let mut cum = vec![0.0f32; s.len() + 1];
    let mut w = 0.0;
    for (i, c) in s.char_indices() {
        cum[i] = w;
        if c != '\n' {
            w += m.advance(c) * size;
        }
    }
    cum[s.len()] = w;
    let width = |a: usize, b: usize| cum[b] - cum[a];
    let trimmed_end = |a: usize, b: usize| a + s[a..b].trim_end().len();

    let mut lines = Vec::new();
    let emit = |a: usize, b: usize, lines: &mut Vec<Line>| {
        let b = trimmed_end(a, b);
        let mut runs = Vec::new();
        let mut run_start = a;
        while run_start < b {
            let bold = bold_at(run_start);
            let run_end = bold_ranges
                .iter()
                .map(|(st, _)| *st)
                .find(|&st| st > run_start && st < b)
                .unwrap_or(b);
            let t = &s[run_start..run_end];
            if !t.is_empty() {
                runs.push((width(a, run_start), t.to_string(), bold));
            }
            run_start = run_end;
        }
        lines.push(Line {
            runs,
            width: width(a, b),
        });
    };

    let mut line_start = 0;
    let mut seg_start = 0;
    for (brk, kind) in linebreaks(&s) {
        let seg_end = brk;
        let fits = |ls: usize| width(ls, trimmed_end(ls, seg_end)) <= max_width + 0.01;
        if !fits(line_start) {
            if seg_start > line_start {
                emit(line_start, seg_start, &mut lines);
                line_start = seg_start;
            }
            // a single segment wider than the line: break between characters
            while !fits(line_start) {
                let mut cut = line_start;
                for (i, c) in s[line_start..seg_end].char_indices() {
                    let at = line_start + i;
                    if at > line_start && width(line_start, at + c.len_utf8()) > max_width {
                        cut = at;
                        break;
                    }
                }
                if cut <= line_start {
                    break;
                }
                // kinsoku: move prohibited characters to the previous line's end
                let mut adj = cut;
                while let Some(c) = s[adj..].chars().next() {
                    let prev = s[..adj].chars().next_back();
                    if (no_line_start(c) || prev.is_some_and(no_line_end)) && adj > line_start + 1 {
                        adj -= prev.map_or(1, char::len_utf8);
                    } else {
                        break;
                    }
                }
                let cut = if adj > line_start { adj } else { cut };
                emit(line_start, cut, &mut lines);
                line_start = cut;
            }
        }
        if kind == BreakOpportunity::Mandatory {
            let end = if s[..seg_end].ends_with('\n') {
                seg_end - 1
            } else {
                seg_end
            };
            if end > line_start || seg_end == s.len() || s[line_start..seg_end].contains('\n') {
                emit(line_start, end.max(line_start), &mut lines);
            }
            line_start = seg_end;
        }
        seg_start = seg_end;
    }
    if lines.is_empty() {
        lines.push(Line {
            runs: Vec::new(),
            width: 0.0,
        });
    }
    lines
}

/// Width of the widest unbreakable piece (for table column sizing).
pub(crate) fn min_width(text: &Inline, size: f32, m: &Metrics) -> f32 {
    let mut best: f32 = 0.0;
    for span in &text.spans {
        let mut last = 0;
        for (brk, _) in linebreaks(&span.text) {
            let piece = span.text[last..brk].trim_end();
            best = best.max(piece.chars().map(|c| m.advance(c)).sum::<f32>() * size);
            last = brk;
        }
    }
    best
}

/// Width of the text set on one line (longest explicit line).
pub(crate) fn natural_width(text: &Inline, size: f32, m: &Metrics) -> f32 {
    let mut best: f32 = 0.0;
    let mut cur = 0.0;
    for span in &text.spans {
        for c in span.text.chars() {
            if c == '\n' {
                best = best.max(cur);
                cur = 0.0;
            } else {
                cur += m.advance(c) * size;
            }
        }
    }
    best.max(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, width_em: f32) -> Vec<String> {
        let m = Metrics::get().expect("fonts");
        break_lines(&Inline::plain(text), 10.0, width_em * 10.0, m)
            .into_iter()
            .map(|l| l.runs.into_iter().map(|r| r.1).collect())
            .collect()
    }

    #[test]
    fn kinsoku_keeps_closing_marks_off_line_starts() {
        let text = "患者は「発熱と咳嗽が続く」と訴え、入院となった。経過は良好であり、退院とした。";
        for width in [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 13.0] {
            let ls = lines(text, width);
            assert_eq!(ls.concat(), text, "no text lost at width {width}");
            for l in &ls[1..] {
                let first = l.chars().next().expect("non-empty line");
                assert!(
                    !no_line_start(first),
                    "width {width}: line starts with {first:?}: {ls:?}"
                );
            }
            for l in &ls {
                let last = l.chars().next_back().expect("non-empty line");
                assert!(
                    !no_line_end(last),
                    "width {width}: line ends with {last:?}: {ls:?}"
                );
            }
        }
    }

    #[test]
    fn long_urls_are_broken_and_hard_newlines_kept() {
        let url =
            "https://example.invalid/a/very/long/path/that/does/not/fit/on/one/line/at/all.html";
        let ls = lines(url, 12.0);
        assert!(ls.len() > 1);
        assert_eq!(ls.concat(), url);
        assert_eq!(
            lines("一行目\n\n三行目", 20.0),
            vec!["一行目", "", "三行目"]
        );
        assert_eq!(lines("word word word", 100.0), vec!["word word word"]);
    }
}
