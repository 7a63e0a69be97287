//! QR codes for the letter as vector shapes: each row's runs of dark modules become filled
//! rectangles, so the code stays sharp at any print resolution and needs no image support.
//!
//! Both codes use error correction level M, which EPC069-12 prescribes for the GiroCode, and carry
//! the quiet zone of four modules that ISO/IEC 18004 asks for around the symbol.

use qrcode::{Color, EcLevel, QrCode};

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

/// Encodes `data` at level M. Fails only when the data does not fit the largest QR version.
pub fn encode(data: &str) -> Result<QrSymbol, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let colors = code.to_colors();
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
    fn too_much_data_is_an_error_not_a_panic() {
        assert!(encode(&"x".repeat(5000)).is_err());
    }
}
