//! The printable document model and its parser.
//!
//! A record's HTML template produces a small, strict subset of HTML. The same HTML is the
//! on-screen preview and, parsed here into [`Block`]s, the input of the PDF layout, so the
//! preview and the paper say the same thing. Anything outside the subset is an error with
//! line and column, so administrators learn about it from `hikae pack check`, not at 3 a.m.
//!
//! Supported: `h1`–`h3`, `p`, `dl/dt/dd`, `table/thead/tbody/tr/th/td`, `ul/ol/li`, `hr`,
//! inline `strong`/`b` (bold), `span`/`em`/`small`, `br`, and the transparent containers
//! `div`, `section`, `article`, `header`, `footer`, `main`. Whitespace follows CSS
//! `white-space: pre-line`: runs of spaces collapse, line feeds are kept.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading {
        level: u8,
        text: Inline,
    },
    Paragraph {
        text: Inline,
        note: bool,
    },
    KeyValue(Vec<(Inline, Inline)>),
    Table {
        header: Option<Vec<Inline>>,
        rows: Vec<Vec<Inline>>,
    },
    List {
        ordered: bool,
        items: Vec<Inline>,
    },
    Rule,
    /// A chart drawn into the PDF (not reachable from template HTML): one bar per row from
    /// zero to its time, with the row's target as a vertical mark.
    Timeline(Timeline),
}

/// Rows on a shared minutes axis (drill timings against their targets).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Unit shown on the axis, e.g. "分".
    pub unit: String,
    pub rows: Vec<TimelineRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub label: String,
    /// When it happened (in `unit` from the start); None: it did not happen.
    pub at: Option<f32>,
    pub target: Option<f32>,
}

impl Timeline {
    /// The axis: (step, end), a round step giving at most 8 intervals and covering every
    /// time and target.
    pub fn axis(&self) -> (f32, f32) {
        let max = self
            .rows
            .iter()
            .flat_map(|r| [r.at, r.target])
            .flatten()
            .filter(|v| v.is_finite())
            .fold(1.0f32, f32::max);
        let step = [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 240.0, 480.0]
            .into_iter()
            .find(|s| max / s <= 8.0)
            .unwrap_or(960.0);
        (step, (max / step).ceil().max(1.0) * step)
    }
}

/// Styled text: a sequence of runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inline {
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub bold: bool,
}

impl Inline {
    pub fn plain(s: &str) -> Self {
        Inline {
            spans: vec![Span {
                text: s.to_string(),
                bold: false,
            }],
        }
    }
    pub fn bold(s: &str) -> Self {
        Inline {
            spans: vec![Span {
                text: s.to_string(),
                bold: true,
            }],
        }
    }
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.iter().all(|s| s.text.is_empty())
    }
    fn push(&mut self, text: &str, bold: bool) {
        match self.spans.last_mut() {
            Some(last) if last.bold == bold => last.text.push_str(text),
            _ => self.spans.push(Span {
                text: text.to_string(),
                bold,
            }),
        }
    }
    /// pre-line whitespace: collapse spaces, drop spaces next to line feeds, trim the ends.
    fn finish(mut self) -> Self {
        for span in &mut self.spans {
            let mut out = String::with_capacity(span.text.len());
            let mut pending_space = false;
            for c in span.text.chars() {
                match c {
                    ' ' | '\t' | '\r' => pending_space = true,
                    '\n' => {
                        pending_space = false;
                        while out.ends_with(' ') {
                            out.pop();
                        }
                        out.push('\n');
                    }
                    _ => {
                        if pending_space && !out.is_empty() && !out.ends_with('\n') {
                            out.push(' ');
                        }
                        pending_space = false;
                        out.push(c);
                    }
                }
            }
            if pending_space {
                out.push(' ');
            }
            span.text = out;
        }
        // trim leading/trailing whitespace across spans
        while let Some(first) = self.spans.first_mut() {
            let t = first.text.trim_start().to_string();
            if t.is_empty() {
                self.spans.remove(0);
            } else {
                first.text = t;
                break;
            }
        }
        while let Some(last) = self.spans.last_mut() {
            let t = last.text.trim_end().to_string();
            if t.is_empty() {
                self.spans.pop();
            } else {
                last.text = t;
                break;
            }
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MarkupError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for MarkupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.col, self.message
        )
    }
}

#[derive(Debug)]
enum Node {
    Element {
        name: String,
        class: String,
        children: Vec<Node>,
    },
    Text(String),
}

const VOID: &[&str] = &["br", "hr"];
const ALLOWED: &[&str] = &[
    "h1", "h2", "h3", "p", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "ul",
    "ol", "li", "hr", "br", "strong", "b", "span", "em", "small", "div", "section", "article",
    "header", "footer", "main",
];

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, at: usize, message: impl Into<String>) -> MarkupError {
        let before = &self.src[..at.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        MarkupError {
            line,
            col,
            message: message.into(),
        }
    }

    /// Parses children until `</until>` (or end of input when `until` is None).
    fn children(&mut self, until: Option<(&str, usize)>) -> Result<Vec<Node>, MarkupError> {
        let mut out = Vec::new();
        loop {
            let rest = &self.src[self.pos..];
            if rest.is_empty() {
                return match until {
                    Some((name, at)) => Err(self.err(at, format!("<{name}> is never closed"))),
                    None => Ok(out),
                };
            }
            if rest.starts_with("<!") || rest.starts_with("<?") {
                // comments, doctypes and processing instructions are not part of the subset:
                // browsers and this parser disagree on where some comments end
                return Err(self.err(
                    self.pos,
                    "comments and <! … > declarations are not supported in record templates (use Tera's {# … #})",
                ));
            }
            if rest.starts_with("</") {
                let start = self.pos;
                let end = rest
                    .find('>')
                    .ok_or_else(|| self.err(start, "unterminated end tag"))?;
                let name = rest[2..end].trim().to_ascii_lowercase();
                self.pos += end + 1;
                return match until {
                    Some((open, _)) if open == name => Ok(out),
                    Some((open, _)) => Err(self.err(
                        start,
                        format!("</{name}> closes <{open}>; close <{open}> first"),
                    )),
                    None => Err(self.err(start, format!("</{name}> has no matching <{name}>"))),
                };
            }
            if rest.starts_with('<') {
                let start = self.pos;
                let end = rest
                    .find('>')
                    .ok_or_else(|| self.err(start, "unterminated tag"))?;
                let inner = &rest[1..end];
                let self_closing = inner.ends_with('/');
                let inner = inner.trim_end_matches('/');
                let name_end = inner
                    .find(|c: char| c.is_whitespace())
                    .unwrap_or(inner.len());
                let name = inner[..name_end].to_ascii_lowercase();
                if !ALLOWED.contains(&name.as_str()) {
                    return Err(self.err(
                        start,
                        format!(
                            "<{name}> is not supported in record templates (allowed: {})",
                            ALLOWED.join(", ")
                        ),
                    ));
                }
                let class = class_attr(&inner[name_end..]).map_err(|m| self.err(start, m))?;
                self.pos += end + 1;
                let children = if self_closing || VOID.contains(&name.as_str()) {
                    Vec::new()
                } else {
                    self.children(Some((&name, start)))?
                };
                out.push(Node::Element {
                    name,
                    class,
                    children,
                });
                continue;
            }
            let end = rest.find('<').unwrap_or(rest.len());
            let text = decode_entities(&rest[..end]);
            self.pos += end;
            out.push(Node::Text(text));
        }
    }
}

/// The tag's attributes: `class` only (names of letters, digits, `-` and `_`). Anything
/// else (event handlers, `style`, `src`, …) is an error, so what the preview shows is exactly
/// what the PDF is laid out from and nothing more.
fn class_attr(s: &str) -> Result<String, String> {
    let mut class = String::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, next) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = after[1..]
                        .find(q)
                        .ok_or_else(|| format!("attribute {name}: the quote is never closed"))?;
                    (&after[1..1 + end], &after[2 + end..])
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            rest = next.trim_start();
            v
        } else {
            ""
        };
        if name != "class" {
            return Err(format!(
                "attribute {name} is not supported in record templates (only class)"
            ));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ' ')
        {
            return Err(format!(
                "class=\"{value}\": use letters, digits, - and _ only"
            ));
        }
        class = value.to_string();
    }
    Ok(class)
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&e| e <= 10).and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses template output into printable blocks.
pub fn parse(html: &str) -> Result<Document, MarkupError> {
    let mut p = Parser { src: html, pos: 0 };
    let nodes = p.children(None)?;
    let mut doc = Document::default();
    blocks(&nodes, &mut doc.blocks);
    Ok(doc)
}

fn is_container(name: &str) -> bool {
    matches!(
        name,
        "div" | "section" | "article" | "header" | "footer" | "main"
    )
}

fn is_inline(node: &Node) -> bool {
    match node {
        Node::Text(_) => true,
        Node::Element { name, .. } => matches!(
            name.as_str(),
            "strong" | "b" | "span" | "em" | "small" | "br"
        ),
    }
}

fn blocks(nodes: &[Node], out: &mut Vec<Block>) {
    let mut loose: Vec<&Node> = Vec::new();
    let flush = |loose: &mut Vec<&Node>, out: &mut Vec<Block>| {
        if loose.is_empty() {
            return;
        }
        let mut text = Inline::default();
        for n in loose.drain(..) {
            inline(n, false, &mut text);
        }
        let text = text.finish();
        if !text.is_empty() {
            out.push(Block::Paragraph { text, note: false });
        }
    };
    for node in nodes {
        if is_inline(node) {
            loose.push(node);
            continue;
        }
        flush(&mut loose, out);
        let Node::Element {
            name,
            class,
            children,
        } = node
        else {
            continue;
        };
        match name.as_str() {
            "h1" | "h2" | "h3" => {
                let level = name.as_bytes()[1] - b'0';
                out.push(Block::Heading {
                    level,
                    text: inline_of(children),
                });
            }
            "p" => {
                let text = inline_of(children);
                if !text.is_empty() {
                    out.push(Block::Paragraph {
                        text,
                        note: class.split_whitespace().any(|c| c == "note"),
                    });
                }
            }
            "hr" => out.push(Block::Rule),
            "dl" => {
                let mut pairs: Vec<(Inline, Inline)> = Vec::new();
                for child in children {
                    if let Node::Element { name, children, .. } = child {
                        match name.as_str() {
                            "dt" => pairs.push((inline_of(children), Inline::default())),
                            "dd" => match pairs.last_mut() {
                                Some((_, v)) if v.is_empty() => *v = inline_of(children),
                                _ => pairs.push((Inline::default(), inline_of(children))),
                            },
                            _ => {}
                        }
                    }
                }
                out.push(Block::KeyValue(pairs));
            }
            "ul" | "ol" => {
                let items = children
                    .iter()
                    .filter_map(|c| match c {
                        Node::Element { name, children, .. } if name == "li" => {
                            Some(inline_of(children))
                        }
                        _ => None,
                    })
                    .collect();
                out.push(Block::List {
                    ordered: name == "ol",
                    items,
                });
            }
            "table" => {
                let mut header = None;
                let mut rows = Vec::new();
                collect_rows(children, false, &mut header, &mut rows);
                out.push(Block::Table { header, rows });
            }
            _ if is_container(name) => blocks(children, out),
            // stray table/list parts outside their parent: print their text
            _ => {
                let text = inline_of(children);
                if !text.is_empty() {
                    out.push(Block::Paragraph { text, note: false });
                }
            }
        }
    }
    flush(&mut loose, out);
}

fn collect_rows(
    nodes: &[Node],
    in_head: bool,
    header: &mut Option<Vec<Inline>>,
    rows: &mut Vec<Vec<Inline>>,
) {
    for n in nodes {
        let Node::Element { name, children, .. } = n else {
            continue;
        };
        match name.as_str() {
            "thead" => collect_rows(children, true, header, rows),
            "tbody" => collect_rows(children, false, header, rows),
            "tr" => {
                let mut all_th = true;
                let cells: Vec<Inline> = children
                    .iter()
                    .filter_map(|c| match c {
                        Node::Element { name, children, .. } if name == "th" || name == "td" => {
                            all_th &= name == "th";
                            Some(inline_of(children))
                        }
                        _ => None,
                    })
                    .collect();
                if (in_head || (all_th && rows.is_empty())) && header.is_none() {
                    *header = Some(cells);
                } else {
                    rows.push(cells);
                }
            }
            _ => {}
        }
    }
}

fn inline_of(children: &[Node]) -> Inline {
    let mut text = Inline::default();
    for c in children {
        inline(c, false, &mut text);
    }
    text.finish()
}

fn inline(node: &Node, bold: bool, out: &mut Inline) {
    match node {
        Node::Text(t) => out.push(t, bold),
        Node::Element { name, children, .. } => {
            let bold = bold || matches!(name.as_str(), "strong" | "b" | "th" | "dt");
            if name == "br" {
                out.push("\n", bold);
                return;
            }
            let block_like = !is_inline(node);
            if block_like && !out.is_empty() {
                out.push("\n", bold);
            }
            for c in children {
                inline(c, bold, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let d = parse(
            "<h1>退院時サマリー</h1>\n<section><h2>経過</h2><p>入院後、  点滴加療。\n  経過良好。</p>\
             <dl><dt>主訴</dt><dd>発熱 &amp; 咳嗽</dd></dl>\
             <table><thead><tr><th>薬剤</th><th>用量</th></tr></thead><tbody><tr><td>A</td><td><strong>1</strong>錠</td></tr></tbody></table>\
             <ul><li>一</li><li>二</li></ul><hr></section>",
        )
        .expect("parses");
        assert_eq!(d.blocks.len(), 7);
        assert_eq!(
            d.blocks[0],
            Block::Heading {
                level: 1,
                text: Inline::plain("退院時サマリー")
            }
        );
        assert_eq!(
            d.blocks[2],
            Block::Paragraph {
                text: Inline::plain("入院後、 点滴加療。\n経過良好。"),
                note: false
            }
        );
        assert_eq!(
            d.blocks[3],
            Block::KeyValue(vec![(Inline::plain("主訴"), Inline::plain("発熱 & 咳嗽"))])
        );
        let Block::Table { header, rows } = &d.blocks[4] else {
            panic!("table expected")
        };
        assert_eq!(header.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            rows[0][1].spans,
            vec![
                Span {
                    text: "1".into(),
                    bold: true
                },
                Span {
                    text: "錠".into(),
                    bold: false
                }
            ]
        );
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let e = parse("<p>ok</p>\n  <img src=x>").expect_err("img is not allowed");
        assert_eq!((e.line, e.col), (2, 3));
        assert!(e.message.contains("<img>"));
        let e = parse("<p><strong>x</p>").expect_err("mismatched");
        assert!(e.message.contains("</p> closes <strong>"), "{e}");
        let e = parse("<section><p>x</p>").expect_err("unclosed");
        assert!(e.message.contains("never closed"));
    }

    #[test]
    fn entities_from_tera_escaping_are_decoded() {
        let d =
            parse("<p>&lt;script&gt; &#x27;a&#x27; &#x2F; &#12354; &unknown;</p>").expect("parses");
        assert_eq!(
            d.blocks[0],
            Block::Paragraph {
                text: Inline::plain("<script> 'a' / あ &unknown;"),
                note: false
            }
        );
    }

    #[test]
    fn only_the_class_attribute_passes() {
        let ok = parse("<p class=\"note\">a</p><p class='x y'>b</p><span class=note>c</span>")
            .expect("class is fine");
        assert_eq!(ok.blocks.len(), 3);
        for bad in [
            "<p onclick=\"alert(1)\">x</p>",
            "<p class=\"note\" style=\"color:red\">x</p>",
            "<span onmouseover=x>y</span>",
            "<p class=\"a\\\" onclick=\\\"x\">z</p>",
            "<p class=\"javascript:x()\">z</p>",
            "<div hidden>z</div>",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!((e.line, e.col), (1, 1), "{bad}: {e}");
        }
    }
}
