//! Fonts: the bundled BIZ UDPGothic (SIL OFL 1.1, `data/fonts/`) first, then a fallback chain
//! of Debian's system fonts for what it lacks, so a patient's name prints as itself:
//! Noto Sans CJK JP (a broader Gothic; CFF), IPAmj明朝 (the 文字情報基盤 font for personal
//! names) and DejaVu Sans (sub/superscripts and symbols). Fallbacks are read only when a
//! document needs a character the bundled font lacks, by memory map (IPAmj明朝 is 46 MB).
//! Bold is synthesized when drawing (fill + stroke), so a PDF embeds one subset per face used.

use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId};

use crate::{Error, Result};

pub(crate) static REGULAR_TTF: &[u8] =
    include_bytes!("../../../../data/fonts/BIZUDPGothic-Regular.ttf");

/// Printed in place of a character no font has: 〓 (geta), the customary Japanese mark for
/// a missing character. Every substitution is reported to the caller.
pub const SUBSTITUTE: char = '〓';

/// The fallback chain after the bundled font, in order: (name, Debian package, path, face
/// index). Root-owned system paths; a missing file is skipped (and reported by
/// [`font_report`]).
pub const FALLBACKS: &[(&str, &str, &str, u32)] = &[
    (
        "Noto Sans CJK JP",
        "fonts-noto-cjk",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        0,
    ),
    (
        "IPAmj明朝",
        "fonts-ipamj-mincho",
        "/usr/share/fonts/truetype/ipamj/ipamjm.ttf",
        0,
    ),
    (
        "DejaVu Sans",
        "fonts-dejavu-core",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        0,
    ),
];

/// One face of the chain.
pub(crate) struct FontFace {
    pub(crate) data: &'static [u8],
    pub(crate) index: u32,
    pub(crate) face: Face<'static>,
    pub(crate) upem: f32,
    /// CFF outlines (embedded as CIDFontType0C) rather than TrueType glyf.
    pub(crate) cff: bool,
    /// PostScript name without spaces, for BaseFont.
    pub(crate) ps_name: String,
    path: &'static str,
}

impl FontFace {
    fn parse(
        data: &'static [u8],
        index: u32,
        fallback_name: &str,
        path: &'static str,
    ) -> Result<FontFace> {
        let face = Face::parse(data, index).map_err(|e| Error::Layout(format!("font: {e}")))?;
        let upem = f32::from(face.units_per_em());
        let cff = face.tables().cff.is_some();
        let ps_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_else(|| fallback_name.to_string())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>();
        Ok(FontFace {
            data,
            index,
            face,
            upem,
            cff,
            path,
            ps_name: if ps_name.is_empty() {
                "Font".into()
            } else {
                ps_name
            },
        })
    }

    fn glyph(&self, c: char) -> Option<GlyphId> {
        self.face.glyph_index(c).filter(|g| g.0 != 0)
    }

    /// Advance of `g` in thousandths of an em (PDF glyph space).
    pub(crate) fn width_1000(&self, g: u16) -> f32 {
        self.face
            .glyph_hor_advance(GlyphId(g))
            .map_or(0.0, |a| f32::from(a) * 1000.0 / self.upem)
    }

    /// (ascent, descent, cap height, bbox) in thousandths of an em.
    pub(crate) fn vertical(&self) -> (f32, f32, f32, [f32; 4]) {
        let k = 1000.0 / self.upem;
        let f = &self.face;
        let b = f.global_bounding_box();
        (
            f32::from(f.ascender()) * k,
            f32::from(f.descender()) * k,
            f32::from(f.capital_height().unwrap_or(f.ascender())) * k,
            [
                f32::from(b.x_min) * k,
                f32::from(b.y_min) * k,
                f32::from(b.x_max) * k,
                f32::from(b.y_max) * k,
            ],
        )
    }
}

pub(crate) struct Metrics {
    faces: Vec<FontFace>,
}

/// The fallback faces present on this machine (mapped once per process).
fn fallbacks() -> &'static [FontFace] {
    static F: OnceLock<Vec<FontFace>> = OnceLock::new();
    F.get_or_init(|| {
        FALLBACKS
            .iter()
            .filter_map(|(name, _, path, index)| {
                let data = map(path)?;
                FontFace::parse(data, *index, name, path).ok()
            })
            .collect()
    })
}

fn map(path: &str) -> Option<&'static [u8]> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: a read-only map of a root-owned system font; it is never written through
    // and lives for the process (fonts are not replaced while Hikae runs; a package
    // upgrade replaces the file by rename, which leaves this mapping intact).
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    let map: &'static memmap2::Mmap = Box::leak(Box::new(map));
    Some(&map[..])
}

impl Metrics {
    pub(crate) fn get() -> Result<&'static Metrics> {
        static M: OnceLock<std::result::Result<Metrics, String>> = OnceLock::new();
        M.get_or_init(|| {
            let bundled = FontFace::parse(REGULAR_TTF, 0, "BIZUDPGothic", "(bundled)")
                .map_err(|e| e.to_string())?;
            Ok(Metrics {
                faces: vec![bundled],
            })
        })
        .as_ref()
        .map_err(|e| Error::Layout(format!("bundled font: {e}")))
    }

    /// Face `i` of the chain (0 = bundled, then [`FALLBACKS`] present here).
    pub(crate) fn face(&self, i: usize) -> &FontFace {
        match i {
            0 => &self.faces[0],
            _ => &fallbacks()[i - 1],
        }
    }

    /// Which face prints `c`, and its glyph there.
    pub(crate) fn lookup(&self, c: char) -> Option<(usize, u16)> {
        if let Some(g) = self.faces[0].glyph(c) {
            return Some((0, g.0));
        }
        fallbacks()
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.glyph(c).map(|g| (i + 1, g.0)))
    }

    pub(crate) fn has_glyph(&self, c: char) -> bool {
        self.lookup(c).is_some()
    }

    /// Advance of `c` at 1 pt, in pt.
    pub(crate) fn advance(&self, c: char) -> f32 {
        match self.lookup(c) {
            Some((i, g)) => self.face(i).width_1000(g) / 1000.0,
            None => 0.0,
        }
    }
}

/// Characters of `text` no installed font can print (deduplicated, in order of appearance).
pub fn missing_glyphs(text: &str) -> Result<Vec<char>> {
    let m = Metrics::get()?;
    let mut out = Vec::new();
    for c in text.chars() {
        if !c.is_control() && !m.has_glyph(c) && !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// One line per face of the chain: name, package, path and whether it is usable here.
pub fn font_report() -> Vec<(String, String, String, bool)> {
    let loaded: Vec<&str> = fallbacks().iter().map(|f| f.path).collect();
    let mut out = vec![(
        "BIZ UDPGothic".to_string(),
        "(bundled)".to_string(),
        "data/fonts/BIZUDPGothic-Regular.ttf".to_string(),
        true,
    )];
    for (name, package, path, _) in FALLBACKS {
        out.push((
            name.to_string(),
            package.to_string(),
            path.to_string(),
            loaded.contains(path),
        ));
    }
    out
}
