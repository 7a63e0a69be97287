//! The charts as PNG beside their SVG, for slides and tickets that take no SVG: each SVG
//! rasterised by `resvg` at twice its size on white, its text set in the Liberation Sans the
//! letters embed (shipped in `channels/fonts/`, so the picture is the same on every machine and
//! no system font is read).

use anyhow::Context as _;
use resvg::{tiny_skia, usvg};
use std::sync::OnceLock;

/// Pixels per SVG unit.
const SCALE: f32 = 2.0;

const FONT: &[u8] = include_bytes!("../../../channels/fonts/LiberationSans-Regular.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../../../channels/fonts/LiberationSans-Bold.ttf");

/// The options every chart is read with: the shipped font as every generic family.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = usvg::Options { font_family: "Liberation Sans".into(), ..usvg::Options::default() };
        let fonts = options.fontdb_mut();
        fonts.load_font_data(FONT.to_vec());
        fonts.load_font_data(FONT_BOLD.to_vec());
        fonts.set_sans_serif_family("Liberation Sans");
        fonts.set_serif_family("Liberation Sans");
        fonts.set_monospace_family("Liberation Sans");
        options
    })
}

/// `svg` as a PNG file's bytes.
pub fn png(svg: &str) -> anyhow::Result<Vec<u8>> {
    let tree = usvg::Tree::from_str(svg, options()).context("reading the chart's SVG")?;
    let size = tree.size().to_int_size().scale_by(SCALE).context("the chart's size")?;
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).context("a picture of the chart's size")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(SCALE, SCALE), &mut pixmap.as_mut());
    pixmap.encode_png().context("encoding the PNG")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_becomes_a_png_of_twice_its_size_with_its_text_drawn() {
        let text = r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" style="font-family:sans-serif;font-size:12px"><text x="4" y="20">Zahlung ł ś</text></svg>"#;
        let blank = r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"></svg>"#;
        let bytes = png(text).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let picture = tiny_skia::Pixmap::decode_png(&bytes).unwrap();
        assert_eq!((picture.width(), picture.height()), (240, 80));
        let inked = |p: &tiny_skia::Pixmap| p.pixels().iter().filter(|px| px.red() < 128).count();
        assert!(inked(&picture) > 100, "the text is drawn: {} dark pixels", inked(&picture));
        let empty = tiny_skia::Pixmap::decode_png(&png(blank).unwrap()).unwrap();
        assert_eq!(inked(&empty), 0, "white where nothing is drawn");
        assert!(png("<svg").is_err(), "a broken SVG is an error, not a blank picture");
    }
}
