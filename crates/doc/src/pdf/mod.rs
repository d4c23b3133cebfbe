//! A4 PDF output: lays a [`Document`] out into pages and writes them.
//!
//! Layout and writing are ours (HTML-to-PDF crates break kinsoku and drop page numbers): text is
//! broken into lines in `linebreak`, blocks are placed top to bottom (`layout`; the drill
//! timeline chart in `chart`), tables split across pages with their header repeated, and
//! every page gets the patient header, "n / N" and the downtime footer. `glyphs` replaces
//! characters no font of the chain (`font`) has by 〓 and reports them in [`Pdf::substituted`];
//! they are never a silent box. `output` turns placed items into PDF operators and bytes (a
//! font subset per face used, compression, reproducible file ID).
//! This module never sees the database or the pack.

mod chart;
mod font;
mod glyphs;
mod layout;
mod linebreak;
mod output;

use font::Metrics;
pub use font::{font_report, missing_glyphs, FALLBACKS, SUBSTITUTE};

use crate::{Document, Result};
use glyphs::fix_plain;
use layout::{footer, frame_items, layout};
use output::Writer;

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

/// One thing placed on a page, in points from the top left.
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
    let mut out = Writer::new(m);
    let mut missing = Vec::new();
    for (n, (doc, frame)) in parts.iter().enumerate() {
        let footer = footer(frame, m, &mut missing);
        let laid = layout(doc, frame, footer.len(), m, &mut missing);
        let total = laid.len();
        let wm = frame
            .watermark
            .as_ref()
            .map(|w| fix_plain(w, m, &mut missing));
        for (i, body) in laid.into_iter().enumerate() {
            let mut items = frame_items(frame, &footer, i + 1, total, m, &mut missing);
            items.extend(body);
            out.page(&items, wm.as_deref());
        }
        laid_out(n + 1);
    }
    let pages = out.page_count();
    let bytes = out.finish(title)?;
    Ok(Pdf {
        bytes,
        pages,
        substituted: missing,
    })
}

/// Lays out and writes one record.
pub fn render(doc: &Document, frame: &PageFrame, title: &str) -> Result<Pdf> {
    render_many(&[(doc, frame)], title)
}
