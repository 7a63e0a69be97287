//! A small SVG writer: enough elements for a line chart, text escaped, numbers rounded so the
//! file stays small and diffable.

use std::fmt::Write as _;

/// An SVG document being built, `width x height` user units.
pub struct Svg {
    width: f64,
    height: f64,
    body: String,
}

impl Svg {
    pub fn new(width: f64, height: f64) -> Self {
        Svg { width, height, body: String::new() }
    }

    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, style: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" style="{}"/>"#,
            n(x),
            n(y),
            n(width),
            n(height),
            escape(style)
        );
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), style: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" style="{}"/>"#,
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            escape(style)
        );
    }

    pub fn polyline(&mut self, points: &[(f64, f64)], style: &str) {
        let mut list = String::new();
        for (i, &(x, y)) in points.iter().enumerate() {
            if i > 0 {
                list.push(' ');
            }
            let _ = write!(list, "{},{}", n(x), n(y));
        }
        let _ = writeln!(self.body, r#"<polyline points="{list}" style="fill:none;{}"/>"#, escape(style));
    }

    /// A closed, filled shape through `points`.
    pub fn polygon(&mut self, points: &[(f64, f64)], style: &str) {
        let list: Vec<String> = points.iter().map(|&(x, y)| format!("{},{}", n(x), n(y))).collect();
        let _ = writeln!(self.body, r#"<polygon points="{}" style="{}"/>"#, list.join(" "), escape(style));
    }

    /// Text anchored at `(x, y)`; `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, (x, y): (f64, f64), anchor: &str, style: &str, content: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{anchor}" style="{}">{}</text>"#,
            n(x),
            n(y),
            escape(style),
            escape(content)
        );
    }

    pub fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             style=\"font-family:sans-serif;font-size:12px\">\n{}</svg>\n",
            self.body,
            w = n(self.width),
            h = n(self.height)
        )
    }
}

/// At most two decimals, no trailing zeros.
fn n(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_text_is_escaped() {
        assert_eq!(n(1.0), "1");
        assert_eq!(n(1.256), "1.26");
        assert_eq!(n(-0.001), "0");
        let mut svg = Svg::new(10.0, 5.0);
        svg.text((1.0, 2.0), "start", "fill:#000", "a < b & \"c\"");
        svg.polyline(&[(0.0, 0.0), (1.5, 2.25)], "stroke:red");
        let out = svg.finish();
        assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"5\""));
        assert!(out.contains(">a &lt; b &amp; &quot;c&quot;</text>"));
        assert!(out.contains(r#"points="0,0 1.5,2.25""#));
        assert!(out.trim_end().ends_with("</svg>"));
    }
}
