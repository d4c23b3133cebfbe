//! Writing placed items as PDF, ourselves: content operators per page, one subset CID font
//! per face of the chain that the document uses (subsetter; widths and ToUnicode from the
//! original face), compressed streams and a content-derived file ID (the same record prints
//! to the same bytes).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use lopdf::{dictionary, Dictionary, Object, ObjectId, Stream, StringFormat};
use subsetter::GlyphRemapper;

use super::font::{FontFace, Metrics};
use super::linebreak::natural_width;
use super::{Item, PAGE_H, PAGE_W};
use crate::Inline;
use crate::{Error, Result};

const COMPRESSION_LEVEL: u32 = 6;

/// Stroke width of synthesized bold, as a fraction of the font size.
const BOLD_STROKE: f32 = 0.035;

/// The glyphs one face contributes to a document: new ids (CIDs) in order of first use.
struct FaceUse {
    remap: GlyphRemapper,
    /// CID → (character, width in 1/1000 em).
    cids: BTreeMap<u16, (char, f32)>,
}

/// Accumulates pages; `finish` writes the fonts and the file.
pub(super) struct Writer<'m> {
    m: &'m Metrics,
    faces: BTreeMap<usize, FaceUse>,
    pages: Vec<Vec<u8>>,
}

/// Numbers in content streams: two decimals, trailing zeros trimmed.
fn num(out: &mut String, v: f32) {
    let v = (v * 100.0).round() / 100.0;
    let _ = write!(out, "{v}");
}

impl<'m> Writer<'m> {
    pub(super) fn new(m: &'m Metrics) -> Self {
        Writer {
            m,
            faces: BTreeMap::new(),
            pages: Vec::new(),
        }
    }

    pub(super) fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Shows `text` at the current text position, switching faces as the chain requires.
    fn show(&mut self, out: &mut String, text: &str, size: f32, cur: &mut Option<usize>) {
        let mut run = String::new();
        for c in text.chars() {
            let (fi, gid) = self.m.lookup(c).unwrap_or((0, 0));
            if *cur != Some(fi) {
                if !run.is_empty() {
                    let _ = writeln!(out, "<{run}> Tj");
                    run.clear();
                }
                let _ = write!(out, "/F{fi} ");
                num(out, size);
                out.push_str(" Tf\n");
                *cur = Some(fi);
            }
            let width = self.m.face(fi).width_1000(gid);
            let used = self.faces.entry(fi).or_insert_with(|| FaceUse {
                remap: GlyphRemapper::new(),
                cids: BTreeMap::new(),
            });
            let cid = used.remap.remap(gid);
            used.cids.entry(cid).or_insert((c, width));
            let _ = write!(run, "{cid:04X}");
        }
        if !run.is_empty() {
            let _ = writeln!(out, "<{run}> Tj");
        }
    }

    pub(super) fn page(&mut self, items: &[Item], watermark: Option<&str>) {
        let mut out = String::with_capacity(items.len() * 48);
        if let Some(w) = watermark {
            let size = 64.0;
            let width = natural_width(&Inline::bold(w), size, self.m);
            let (c, s) = (
                std::f32::consts::FRAC_1_SQRT_2,
                std::f32::consts::FRAC_1_SQRT_2,
            );
            // centre the rotated text on the page
            let (cx, cy) = (PAGE_W / 2.0, PAGE_H / 2.0);
            let x = cx - (width / 2.0) * c + (size * 0.35) * s;
            let y = cy - (width / 2.0) * s - (size * 0.35) * c;
            out.push_str("BT\n0.88 g\n");
            for v in [c, s, -s, c, x, y] {
                num(&mut out, v);
                out.push(' ');
            }
            out.push_str("Tm\n");
            let mut cur = None;
            self.show(&mut out, w, size, &mut cur);
            out.push_str("ET\n");
        }
        for item in items {
            match item {
                Item::Fill { x, y, w, h, gray } => {
                    num(&mut out, *gray);
                    out.push_str(" g\n");
                    for v in [*x, PAGE_H - y - h, *w, *h] {
                        num(&mut out, v);
                        out.push(' ');
                    }
                    out.push_str("re f\n");
                }
                Item::Rule {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    gray,
                } => {
                    num(&mut out, *gray);
                    out.push_str(" G\n");
                    num(&mut out, *width);
                    out.push_str(" w\n");
                    for v in [*x1, PAGE_H - y1] {
                        num(&mut out, v);
                        out.push(' ');
                    }
                    out.push_str("m ");
                    for v in [*x2, PAGE_H - y2] {
                        num(&mut out, v);
                        out.push(' ');
                    }
                    out.push_str("l S\n");
                }
                Item::Text { .. } => {}
            }
        }
        out.push_str("BT\n");
        let mut style: Option<(bool, u32, u32)> = None;
        let mut face: Option<usize> = None;
        for item in items {
            if let Item::Text {
                x,
                y,
                size,
                bold,
                gray,
                text,
            } = item
            {
                let key = (*bold, size.to_bits(), gray.to_bits());
                if style != Some(key) {
                    num(&mut out, *gray);
                    out.push_str(" g\n");
                    // bold is synthesized: fill plus a thin stroke of the same colour
                    if *bold {
                        num(&mut out, *gray);
                        out.push_str(" G\n");
                        num(&mut out, size * BOLD_STROKE);
                        out.push_str(" w\n2 Tr\n");
                    } else {
                        out.push_str("0 Tr\n");
                    }
                    style = Some(key);
                    face = None; // the size changed or may have: set the font again
                }
                out.push_str("1 0 0 1 ");
                num(&mut out, *x);
                out.push(' ');
                num(&mut out, PAGE_H - y);
                out.push_str(" Tm\n");
                self.show(&mut out, text, *size, &mut face);
            }
        }
        out.push_str("ET\n");
        self.pages.push(out.into_bytes());
    }

    pub(super) fn finish(self, title: &str) -> Result<Vec<u8>> {
        let mut doc = lopdf::Document::with_version("1.7");
        let mut fonts = Dictionary::new();
        for (fi, used) in &self.faces {
            let id = font_objects(&mut doc, self.m.face(*fi), used)?;
            fonts.set(format!("F{fi}"), Object::Reference(id));
        }
        let resources = doc.add_object(dictionary! { "Font" => fonts });
        let pages_id = doc.new_object_id();
        let mut kids = Vec::with_capacity(self.pages.len());
        for content in self.pages {
            let content = doc.add_object(Stream::new(Dictionary::new(), content));
            kids.push(Object::Reference(doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), Object::Real(PAGE_W), Object::Real(PAGE_H)],
                "Resources" => resources,
                "Contents" => content,
            })));
        }
        let count = kids.len() as i64;
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => count,
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        let info = doc.add_object(dictionary! {
            "Title" => Object::String(utf16be(title), StringFormat::Hexadecimal),
            "Producer" => Object::string_literal("Hikae"),
        });
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        // derive the file ID from the content, so the same record always prints to the same
        // bytes (the FHIR attachment hash relies on it)
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        for obj in doc.objects.values() {
            if let Object::Stream(stream) = obj {
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
            Object::Array(vec![
                Object::String(id.clone().into_bytes(), StringFormat::Literal),
                Object::String(id.into_bytes(), StringFormat::Literal),
            ]),
        );
        for obj in doc.objects.values_mut() {
            if let Object::Stream(stream) = obj {
                if stream.dict.get(b"Filter").is_err() {
                    let packed = deflate(&stream.content)?;
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
}

fn deflate(data: &[u8]) -> Result<Vec<u8>> {
    let mut z = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2),
        flate2::Compression::new(COMPRESSION_LEVEL),
    );
    z.write_all(data)
        .and_then(|_| z.finish())
        .map_err(|e| Error::Layout(format!("compressing a PDF stream: {e}")))
}

fn utf16be(s: &str) -> Vec<u8> {
    let mut out = vec![0xfe, 0xff];
    for u in s.encode_utf16() {
        out.extend(u.to_be_bytes());
    }
    out
}

/// The data of table `tag` in an OpenType file (subsetter's output has one face).
fn table<'a>(font: &'a [u8], tag: &[u8; 4]) -> Option<&'a [u8]> {
    let n = u16::from_be_bytes([*font.get(4)?, *font.get(5)?]) as usize;
    (0..n).find_map(|i| {
        let rec = font.get(12 + i * 16..28 + i * 16)?;
        if &rec[..4] != tag {
            return None;
        }
        let off = u32::from_be_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
        let len = u32::from_be_bytes([rec[12], rec[13], rec[14], rec[15]]) as usize;
        font.get(off..off.checked_add(len)?)
    })
}

/// A Type0 font with its CID font, descriptor, subset font file and ToUnicode map.
fn font_objects(doc: &mut lopdf::Document, face: &FontFace, used: &FaceUse) -> Result<ObjectId> {
    let sub = subsetter::subset(face.data, face.index, &used.remap)
        .map_err(|e| Error::Layout(format!("subsetting {}: {e:?}", face.ps_name)))?;
    // a subset tag derived from the glyphs, so output stays reproducible
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    for (cid, (c, _)) in &used.cids {
        sha2::Digest::update(&mut h, cid.to_be_bytes());
        sha2::Digest::update(&mut h, u32::from(*c).to_be_bytes());
    }
    let tag: String = sha2::Digest::finalize(h)
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect();
    let base = format!("{tag}+{}", face.ps_name);

    let (file_key, file) = if face.cff {
        let cff = table(&sub, b"CFF ")
            .ok_or_else(|| Error::Layout(format!("subset of {} has no CFF table", face.ps_name)))?;
        (
            "FontFile3",
            Stream::new(dictionary! { "Subtype" => "CIDFontType0C" }, cff.to_vec()),
        )
    } else {
        let len = sub.len() as i64;
        (
            "FontFile2",
            Stream::new(dictionary! { "Length1" => len }, sub),
        )
    };
    let file = doc.add_object(file);
    let (ascent, descent, cap, bbox) = face.vertical();
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => Object::Name(base.clone().into_bytes()),
        "Flags" => 4,
        "FontBBox" => bbox.iter().map(|v| Object::Integer(v.round() as i64)).collect::<Vec<_>>(),
        "ItalicAngle" => 0,
        "Ascent" => ascent.round() as i64,
        "Descent" => descent.round() as i64,
        "CapHeight" => cap.round() as i64,
        "StemV" => 80,
        file_key => file,
    });
    // widths: runs of consecutive CIDs as `c [w1 w2 ...]`
    let mut w: Vec<Object> = Vec::new();
    let mut run: Vec<Object> = Vec::new();
    let mut start = 0u16;
    let mut prev: Option<u16> = None;
    for (cid, (_, width)) in &used.cids {
        if prev.is_some_and(|p| p + 1 != *cid) {
            w.push(Object::Integer(i64::from(start)));
            w.push(Object::Array(std::mem::take(&mut run)));
        }
        if run.is_empty() {
            start = *cid;
        }
        run.push(Object::Integer(width.round() as i64));
        prev = Some(*cid);
    }
    if !run.is_empty() {
        w.push(Object::Integer(i64::from(start)));
        w.push(Object::Array(run));
    }
    let mut cid_font = dictionary! {
        "Type" => "Font",
        "Subtype" => if face.cff { "CIDFontType0" } else { "CIDFontType2" },
        "BaseFont" => Object::Name(base.clone().into_bytes()),
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "W" => w,
    };
    if !face.cff {
        cid_font.set("CIDToGIDMap", "Identity");
    }
    let cid_font = doc.add_object(cid_font);
    let to_unicode = doc.add_object(Stream::new(Dictionary::new(), to_unicode(&used.cids)));
    Ok(doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => Object::Name(base.into_bytes()),
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![Object::Reference(cid_font)],
        "ToUnicode" => to_unicode,
    }))
}

fn to_unicode(cids: &BTreeMap<u16, (char, f32)>) -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<_> = cids.iter().filter(|(cid, _)| **cid != 0).collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", chunk.len());
        for (cid, (c, _)) in chunk {
            let _ = write!(s, "<{cid:04X}> <");
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                let _ = write!(s, "{u:04X}");
            }
            s.push_str(">\n");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}
