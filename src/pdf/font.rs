//! The bundled fonts (BIZ UDPGothic Regular and Bold, SIL OFL 1.1, `data/fonts/`):
//! glyph advances for layout and glyph coverage, so no character ever prints as a box.

use std::sync::OnceLock;

use ttf_parser::Face;

use crate::error::{Error, Result};

pub(crate) static REGULAR_TTF: &[u8] = include_bytes!("../../data/fonts/BIZUDPGothic-Regular.ttf");
pub(crate) static BOLD_TTF: &[u8] = include_bytes!("../../data/fonts/BIZUDPGothic-Bold.ttf");

/// Printed in place of a character the font lacks: 〓 (geta), the customary Japanese mark
/// for a missing character. Every substitution is reported to the caller.
pub const SUBSTITUTE: char = '〓';

pub(crate) struct Metrics {
    regular: Face<'static>,
    bold: Face<'static>,
    upem: f32,
}

impl Metrics {
    pub(crate) fn get() -> Result<&'static Metrics> {
        static M: OnceLock<std::result::Result<Metrics, String>> = OnceLock::new();
        M.get_or_init(|| {
            let regular =
                Face::parse(REGULAR_TTF, 0).map_err(|e| format!("bundled regular font: {e}"))?;
            let bold = Face::parse(BOLD_TTF, 0).map_err(|e| format!("bundled bold font: {e}"))?;
            let upem = f32::from(regular.units_per_em());
            Ok(Metrics {
                regular,
                bold,
                upem,
            })
        })
        .as_ref()
        .map_err(|e| Error::Layout(e.clone()))
    }

    fn face(&self, bold: bool) -> &Face<'static> {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    pub(crate) fn has_glyph(&self, c: char, bold: bool) -> bool {
        self.face(bold).glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// Advance of `c` at 1 pt, in pt.
    pub(crate) fn advance(&self, c: char, bold: bool) -> f32 {
        let face = self.face(bold);
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
        if !c.is_control() && !(m.has_glyph(c, false) && m.has_glyph(c, true)) && !out.contains(&c)
        {
            out.push(c);
        }
    }
    Ok(out)
}
