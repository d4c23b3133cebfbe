//! Writing placed items as PDF: operators per page, the font subset, compressed streams and
//! a content-derived file ID (the same record prints to the same bytes).

use std::sync::OnceLock;

use printpdf::{
    Codepoint, Color, Greyscale, Line as PLine, LinePoint, Op, PaintMode, ParsedFont, PdfDocument,
    PdfFontHandle, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix, TextRenderingMode,
};

use super::font::{self, Metrics};
use super::linebreak::natural_width;
use super::{Item, PAGE_H, PAGE_W};
use crate::Inline;
use crate::{Error, Result};

fn gray(g: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: g,
        icc_profile: None,
    })
}

pub(super) fn parsed_font() -> Result<&'static ParsedFont> {
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

/// Serializes with printpdf (which subsets the fonts), then compresses the streams ourselves:
/// printpdf's own path uses zlib level 9, which took a quarter of the render time for a few
/// percent of size (see docs/PERFORMANCE.md).
pub(super) fn save(pdf: &PdfDocument) -> Result<Vec<u8>> {
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

pub(super) fn page_ops(
    items: &[Item],
    watermark: Option<&str>,
    font: &PdfFontHandle,
    m: &Metrics,
) -> Vec<Op> {
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
