//! The bundled font (BIZ UDPGothic Regular, SIL OFL 1.1, `data/fonts/`): glyph ids,
//! advances for layout, and coverage, so no character ever prints as a box.
//! Bold is synthesized when drawing (fill + stroke), so every PDF embeds one subset font.

use std::sync::OnceLock;

use ttf_parser::Face;

use crate::{Error, Result};

pub(crate) static REGULAR_TTF: &[u8] =
    include_bytes!("../../../../data/fonts/BIZUDPGothic-Regular.ttf");

/// Printed in place of a character the font lacks: 〓 (geta), the customary Japanese mark
/// for a missing character. Every substitution is reported to the caller.
pub const SUBSTITUTE: char = '〓';

pub(crate) struct Metrics {
    face: Face<'static>,
    upem: f32,
}

impl Metrics {
    pub(crate) fn get() -> Result<&'static Metrics> {
        static M: OnceLock<std::result::Result<Metrics, String>> = OnceLock::new();
        M.get_or_init(|| {
            let face = Face::parse(REGULAR_TTF, 0).map_err(|e| format!("bundled font: {e}"))?;
            let upem = f32::from(face.units_per_em());
            Ok(Metrics { face, upem })
        })
        .as_ref()
        .map_err(|e| Error::Layout(e.clone()))
    }

    pub(crate) fn has_glyph(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// Glyph id of `c` (0, .notdef, when missing: callers substitute first).
    pub(crate) fn glyph_id(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    /// Advance of `c` at 1 pt, in pt.
    pub(crate) fn advance(&self, c: char) -> f32 {
        let face = &self.face;
        face.glyph_index(c)
            .and_then(|g| face.glyph_hor_advance(g))
            .map_or(0.0, |a| f32::from(a) / self.upem)
    }
}

/// Characters of `text` the bundled fonts cannot print (deduplicated, in order of appearance).
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
