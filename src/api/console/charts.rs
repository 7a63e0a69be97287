//! The overview's charts, rendered on the server as inline SVG: horizontal bars with each
//! figure written beside its bar, and columns over time (the DSO trend) with each figure written
//! above its column, so a chart reads without colour and without a script. Only
//! presentation attributes are used (the console's Content-Security-Policy allows no style
//! attribute and no script), and every label is escaped.

use std::fmt::Write as _;

/// One bar: what it is, its size, and the figure written beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

const WIDTH: u32 = 520;
const LABEL_WIDTH: u32 = 140;
const BAR_SPACE: u32 = 270;
const ROW: u32 = 30;

/// A horizontal bar chart titled `title` (also its accessible name), bars in `colour`; the
/// longest bar fills the space, and a zero is a hairline.
pub fn bar_chart(title: &str, bars: &[Bar], colour: &str) -> String {
    let height = ROW * bars.len().max(1) as u32 + 36;
    let largest = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{t}"><title>{t}</title><text x="0" y="18" font-size="15" font-weight="600" fill="#0b3d5c">{t}</text>"##,
        t = escape(title),
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 32 + ROW * i as u32;
        let length =
            if largest > 0.0 { (bar.value / largest * f64::from(BAR_SPACE)).round() as u32 } else { 0 };
        let length = length.max(2);
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ty}" font-size="13" text-anchor="end" fill="#1a1a1a">{label}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{h}" rx="3" fill="{colour}"/><text x="{vx}" y="{ty}" font-size="13" fill="#1a1a1a">{shown}</text>"##,
            lx = LABEL_WIDTH - 8,
            ty = y + 15,
            label = escape(&bar.label),
            h = ROW - 10,
            colour = escape(colour),
            vx = LABEL_WIDTH + length + 6,
            shown = escape(&bar.shown),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One column of a chart over time: its label under it, its size (`None`: nothing to show that
/// time, drawn as no column and a dash), and the figure written above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub label: String,
    pub value: Option<f64>,
    pub shown: String,
}

const PLOT_TOP: u32 = 44;
const PLOT_HEIGHT: u32 = 150;

/// A column chart titled `title`, oldest column left, columns in `colour`; the largest column
/// fills the plot's height, a zero is a hairline, a missing value leaves its place empty.
pub fn column_chart(title: &str, columns: &[Column], colour: &str) -> String {
    let height = PLOT_TOP + PLOT_HEIGHT + 26;
    let baseline = PLOT_TOP + PLOT_HEIGHT;
    let slot = (WIDTH - 10) / columns.len().max(1) as u32;
    let largest = columns.iter().filter_map(|c| c.value).fold(0.0_f64, f64::max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{t}"><title>{t}</title><text x="0" y="18" font-size="15" font-weight="600" fill="#0b3d5c">{t}</text><line x1="5" y1="{baseline}" x2="{x2}" y2="{baseline}" stroke="#8a949e" stroke-width="1"/>"##,
        t = escape(title),
        x2 = WIDTH - 5,
    );
    for (i, column) in columns.iter().enumerate() {
        let middle = 5 + slot * i as u32 + slot / 2;
        let top = match column.value {
            Some(value) => {
                let length =
                    if largest > 0.0 { (value / largest * f64::from(PLOT_HEIGHT)).round() as u32 } else { 0 };
                let length = length.max(2);
                let _ = write!(
                    svg,
                    r##"<rect x="{x}" y="{y}" width="{w}" height="{length}" rx="2" fill="{colour}"/>"##,
                    x = middle - slot * 3 / 10,
                    y = baseline - length,
                    w = slot * 3 / 5,
                    colour = escape(colour),
                );
                baseline - length
            }
            None => baseline,
        };
        let _ = write!(
            svg,
            r##"<text x="{middle}" y="{fy}" font-size="11" text-anchor="middle" fill="#1a1a1a">{shown}</text><text x="{middle}" y="{ly}" font-size="11" text-anchor="middle" fill="#1a1a1a">{label}</text>"##,
            fy = top - 4,
            shown = escape(&column.shown),
            ly = baseline + 16,
            label = escape(&column.label),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text for an SVG element or attribute.
fn escape(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar { label: label.into(), value, shown: value.to_string() }
    }

    #[test]
    fn bars_scale_to_the_largest_and_labels_are_escaped() {
        let svg =
            bar_chart("Cases <by> state", &[bar("open", 10.0), bar("a&b", 5.0), bar("paid", 0.0)], "#0b5c8a");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"width="270" height="20""#), "the largest fills the space: {svg}");
        assert!(svg.contains(r#"width="135" height="20""#), "half of it: {svg}");
        assert!(svg.contains(r#"width="2" height="20""#), "a zero is a hairline: {svg}");
        assert!(svg.contains("Cases &lt;by&gt; state") && svg.contains("a&amp;b"), "{svg}");
        assert!(!svg.contains("style="), "no style attribute: the CSP forbids it");
    }

    #[test]
    fn columns_scale_to_the_largest_and_a_missing_value_is_a_dash() {
        let column = |label: &str, value: Option<f64>| Column {
            label: label.into(),
            value,
            shown: value.map_or("–".into(), |v| v.to_string()),
        };
        let svg = column_chart(
            "DSO <per> month",
            &[
                column("01/26", Some(20.0)),
                column("02/26", None),
                column("03/26", Some(10.0)),
                column("04/26", Some(0.0)),
            ],
            "#6a3d9a",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 3, "no column where nothing was paid: {svg}");
        assert!(svg.contains(r#"y="44" width="76" height="150""#), "the largest fills the plot: {svg}");
        assert!(svg.contains(r#"y="119" width="76" height="75""#), "half of it: {svg}");
        assert!(svg.contains(r#"y="192" width="76" height="2""#), "a zero is a hairline: {svg}");
        assert!(svg.contains(">–</text>") && svg.contains(">02/26</text>"), "{svg}");
        assert!(svg.contains("DSO &lt;per&gt; month"), "{svg}");
        assert!(!svg.contains("style="), "no style attribute: the CSP forbids it");
    }

    #[test]
    fn nothing_to_show_is_still_a_chart() {
        let svg = bar_chart("Empty", &[], "#000");
        assert!(svg.contains("<title>Empty</title>"));
    }
}
