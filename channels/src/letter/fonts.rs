//! The two fonts of the letter, Helvetica and Helvetica-Bold, as the standard Type 1 fonts every
//! PDF reader has: text is encoded in WinAnsiEncoding (Windows-1252, where `€` is 0x80), and
//! widths come from Adobe's font metrics so lines can be wrapped and amounts right-aligned
//! without embedding a font file.

/// Which of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The resource name in the page's font dictionary.
    pub fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
        }
    }

    /// The PostScript name of the standard font.
    pub fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
        }
    }

    /// Width of `text` set at `size` points, in points.
    pub fn width(self, text: &str, size: f32) -> f32 {
        let widths = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        };
        let units: u32 = win_ansi(text).iter().map(|&b| u32::from(widths[usize::from(b - 32)])).sum();
        units as f32 * size / 1000.0
    }
}

/// `text` in WinAnsiEncoding. Characters the encoding lacks become `?`; control characters
/// (tabs, stray line breaks) become spaces, so every byte is at least 32.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi_byte).collect()
}

fn win_ansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' | '\u{a0}'..='\u{ff}' => c as u8,
        c if c.is_control() => b' ',
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        // A narrow no-break space (French and Swiss amounts) prints as a no-break space.
        '\u{202f}' => 0xa0,
        _ => b'?',
    }
}

// Advance widths in 1/1000 em of WinAnsi codes 32 to 255 (0 where the code is unassigned), from
// Adobe's AFM files for Helvetica and Helvetica-Bold (version 003.001).
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 333, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 333, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 333, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 333, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 333, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 333, 0,
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 333, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 333, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_and_the_euro_sign_have_their_win_ansi_codes() {
        assert_eq!(win_ansi("Grüße €"), [b'G', b'r', 0xfc, 0xdf, b'e', b' ', 0x80]);
        assert_eq!(win_ansi("ÄÖÜäöü"), [0xc4, 0xd6, 0xdc, 0xe4, 0xf6, 0xfc]);
        assert_eq!(win_ansi("„a“ – b"), [0x84, b'a', 0x93, b' ', 0x96, b' ', b'b']);
        assert_eq!(win_ansi("a\tb\u{7f}ł"), [b'a', b' ', b'b', b' ', b'?']);
    }

    #[test]
    fn widths_are_helvetica_s() {
        // 1000 units at 1 pt is 1 pt: "A" is 667 units regular and 722 bold.
        assert_eq!(Font::Regular.width("A", 1000.0), 667.0);
        assert_eq!(Font::Bold.width("A", 1000.0), 722.0);
        // Seven digits and the euro sign at 556, the dot, comma and space at 278.
        assert!((Font::Regular.width("1.234,56 €", 10.0) - 47.26).abs() < 1e-3);
        // Unassigned codes never show up: they were replaced with `?` (556 units) first.
        assert_eq!(Font::Regular.width("ł", 1000.0), 556.0);
    }
}
