//! The two fonts of the letter, Liberation Sans Regular and Bold, compiled into the binary from
//! `channels/fonts/` (SIL Open Font License 1.1, text beside them) and never read from the
//! system. They cover every Latin-script alphabet (ł, ń, ś, ş, ğ, ı, ő, ž, …), and their widths
//! match Helvetica's, the font the letter was first laid out in.
//!
//! Text is measured here glyph by glyph from the font's own metrics; [`super::pdf`] embeds only
//! the glyphs a letter uses (a subset) and writes each as a two-byte glyph id. A character the
//! font lacks is printed as `?`, and a control character (a tab, a stray line break) as a space.

use std::sync::OnceLock;
use ttf_parser::{Face, GlyphId};

static REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/LiberationSans-Bold.ttf");

/// Which of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    pub const ALL: [Font; 2] = [Font::Regular, Font::Bold];

    /// The resource name in the page's font dictionary.
    pub fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
        }
    }

    /// The PostScript name of the font, without the subset tag.
    pub fn postscript_name(self) -> &'static str {
        match self {
            Font::Regular => "LiberationSans",
            Font::Bold => "LiberationSans-Bold",
        }
    }

    /// The TrueType file.
    pub fn data(self) -> &'static [u8] {
        match self {
            Font::Regular => REGULAR,
            Font::Bold => BOLD,
        }
    }

    /// The parsed font, parsed once per process.
    pub fn face(self) -> &'static Face<'static> {
        static FACES: [OnceLock<Face<'static>>; 2] = [OnceLock::new(), OnceLock::new()];
        FACES[self as usize].get_or_init(|| Face::parse(self.data(), 0).expect("the shipped font parses"))
    }

    /// The glyph printed for `c`, with the character it stands for (what a reader copies out).
    pub fn glyph(self, c: char) -> (GlyphId, char) {
        let face = self.face();
        let c = if c.is_control() { ' ' } else { c };
        let substitutes: &[char] = match c {
            // A narrow no-break space (French and Swiss amounts) prints as a no-break space.
            '\u{202f}' => &['\u{202f}', '\u{a0}', ' '],
            _ => &[c],
        };
        substitutes
            .iter()
            .find_map(|&s| face.glyph_index(s).map(|glyph| (glyph, s)))
            .unwrap_or_else(|| (face.glyph_index('?').expect("the font has `?`"), '?'))
    }

    /// The glyphs of `text`, in order.
    pub fn glyphs(self, text: &str) -> impl Iterator<Item = (GlyphId, char)> + '_ {
        text.chars().map(move |c| self.glyph(c))
    }

    /// Advance width of `glyph` in 1/1000 em, as PDF font dictionaries want it.
    pub fn advance(self, glyph: GlyphId) -> f32 {
        let face = self.face();
        let units = face.glyph_hor_advance(glyph).unwrap_or(0);
        f32::from(units) * 1000.0 / f32::from(face.units_per_em())
    }

    /// Width of `text` set at `size` points, in points.
    pub fn width(self, text: &str, size: f32) -> f32 {
        let units: f32 = self.glyphs(text).map(|(glyph, _)| self.advance(glyph)).sum();
        units * size / 1000.0
    }

    /// Scales a value in font units to 1/1000 em.
    pub fn per_mille(self, units: i16) -> f32 {
        f32::from(units) * 1000.0 / f32::from(self.face().units_per_em())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_latin_letter_of_the_debtors_has_a_glyph() {
        let names = "Łukasz Wiśniewski, ul. Świętokrzyska 5, 80-001 Gdańsk · Şükrü Ağaoğlu, İstiklal Cd. 1, \
                     İstanbul · Grüße € „a“ – ő ű č ř ž å ø æ ñ ç ã õ ð þ ŀ ț ș ā ė ī ų";
        for c in names.chars() {
            assert_eq!(Font::Regular.glyph(c).1, c, "{c:?} is missing from the regular font");
            assert_eq!(Font::Bold.glyph(c).1, c, "{c:?} is missing from the bold font");
        }
    }

    #[test]
    fn missing_characters_print_as_a_question_mark_and_controls_as_spaces() {
        assert_eq!(Font::Regular.glyph('\u{4e2d}').1, '?');
        assert_eq!(Font::Regular.glyph('\t').1, ' ');
        assert_eq!(Font::Regular.glyph('\u{7f}').1, ' ');
        assert_ne!(Font::Regular.glyph('\u{202f}').1, '?');
    }

    #[test]
    fn widths_are_helvetica_s() {
        // Liberation Sans is metric-compatible with Helvetica: "A" is 667/1000 em regular and
        // 722 bold.
        assert!((Font::Regular.width("A", 1000.0) - 667.0).abs() < 0.5);
        assert!((Font::Bold.width("A", 1000.0) - 722.0).abs() < 0.5);
        // Seven digits and the euro sign at 556, the dot, comma and space at 278.
        assert!((Font::Regular.width("1.234,56 €", 10.0) - 47.26).abs() < 0.01);
        // A Polish letter is as wide as its base letter.
        assert_eq!(Font::Regular.width("ń", 10.0), Font::Regular.width("n", 10.0));
    }
}
