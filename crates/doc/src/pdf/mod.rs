//! A4 PDF output: lays a [`Document`] out into pages and writes them with printpdf.
//!
//! Layout is ours (printpdf's HTML path breaks kinsoku and drops page numbers): text is
//! broken into lines in `linebreak`, blocks are placed top to bottom (`layout`; the drill
//! timeline chart in `chart`), tables split across pages with their header repeated, and
//! every page gets the patient header, "n / N" and the downtime footer. `glyphs` replaces
//! characters the font lacks by 〓 and reports them in [`Pdf::substituted`]; they are never
//! a silent box. `output` turns placed items into PDF operators and bytes (font subset,
//! compression, reproducible file ID).
//! This module never sees the database or the pack.

mod chart;
mod font;
mod glyphs;
mod layout;
mod linebreak;
mod output;

use font::Metrics;
pub use font::{missing_glyphs, SUBSTITUTE};
use printpdf::{Mm, PdfDocument, PdfFontHandle, PdfPage};

use crate::{Document, Error, Result};
use glyphs::fix_plain;
use layout::{frame_items, layout};
use output::{page_ops, parsed_font, save};

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
