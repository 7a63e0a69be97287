//! The report's charts as SVG, drawn with the bench's small writer (`bench/svg.rs`): bars with
//! interval whiskers, a heatmap, grouped bars, stacked shares and rate lines with interval bands.
//! Each returns the SVG text.

use crate::bench::svg::Svg;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
/// Plot area margins: left (axis labels), right, top (title), bottom (category labels).
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 56.0;
const PALETTE: [&str; 8] =
    ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5"];
const AXIS: &str = "stroke:#444;stroke-width:1";
const GRID: &str = "stroke:#ddd;stroke-width:1";
const LABEL: &str = "fill:#222";
const SMALL: &str = "fill:#555;font-size:10px";

/// A colour per series index.
pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// One bar: label, value, optional 95 % interval, and the count under the label.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    pub n: u64,
}

/// Ticks at fifths of `y_max` (a nice number, so each fifth is one too), with as many decimals as
/// a fifth needs; `percent` reads values as shares of 1.
fn tick_label(y_max: f64, percent: bool) -> impl Fn(f64) -> String {
    let scale = if percent { 100.0 } else { 1.0 };
    let step = y_max * scale / 5.0;
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()).max(0.0) as usize };
    move |v: f64| {
        if percent {
            format!("{:.*} %", decimals, v * scale)
        } else {
            format!("{:.*}", decimals, v)
        }
    }
}

fn frame(
    title: &str,
    y_label: &str,
    y_max: f64,
    format: impl Fn(f64) -> String,
) -> (Svg, impl Fn(f64) -> f64) {
    let mut svg = Svg::new(WIDTH, HEIGHT);
    svg.rect(0.0, 0.0, WIDTH, HEIGHT, "fill:#fff");
    svg.text((WIDTH / 2.0, 22.0), "middle", "fill:#111;font-size:15px;font-weight:bold", title);
    let bottom = HEIGHT - BOTTOM;
    let y = move |v: f64| bottom - (v / y_max) * (bottom - TOP);
    for i in 0..=5 {
        let v = y_max * f64::from(i) / 5.0;
        svg.line((LEFT, y(v)), (WIDTH - RIGHT, y(v)), GRID);
        svg.text((LEFT - 6.0, y(v) + 4.0), "end", SMALL, &format(v));
    }
    svg.line((LEFT, TOP), (LEFT, bottom), AXIS);
    svg.line((LEFT, bottom), (WIDTH - RIGHT, bottom), AXIS);
    svg.text((14.0, (TOP + bottom) / 2.0), "middle", &format!("{LABEL};writing-mode:vertical-rl"), y_label);
    (svg, y)
}

/// A nice upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|v| *v >= max).unwrap_or(10.0 * power)
}

/// Bars with whiskers for their intervals; `percent` labels the axis in per cent of 1.
pub fn bars(title: &str, y_label: &str, bars: &[Bar], percent: bool) -> String {
    let top = bars.iter().map(|b| b.interval.map_or(b.value, |i| i.1).max(b.value)).fold(0.0, f64::max);
    let y_max = if percent { nice_max(top).min(1.0) } else { nice_max(top) };
    let (mut svg, y) = frame(title, y_label, y_max, tick_label(y_max, percent));
    let slot = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        let width = slot * 0.6;
        let left = x + (slot - width) / 2.0;
        svg.rect(left, y(bar.value), width, y(0.0) - y(bar.value), &format!("fill:{}", colour(i)));
        if let Some((lo, hi)) = bar.interval {
            let mid = left + width / 2.0;
            let whisker = "stroke:#111;stroke-width:1.5";
            svg.line((mid, y(lo)), (mid, y(hi)), whisker);
            svg.line((mid - 6.0, y(lo)), (mid + 6.0, y(lo)), whisker);
            svg.line((mid - 6.0, y(hi)), (mid + 6.0, y(hi)), whisker);
        }
        let value = if percent { format!("{:.1} %", bar.value * 100.0) } else { format!("{:.2}", bar.value) };
        svg.text(
            (left + width / 2.0, y(bar.interval.map_or(bar.value, |i| i.1)) - 5.0),
            "middle",
            SMALL,
            &value,
        );
        svg.text((x + slot / 2.0, HEIGHT - BOTTOM + 16.0), "middle", LABEL, &bar.label);
        svg.text((x + slot / 2.0, HEIGHT - BOTTOM + 30.0), "middle", SMALL, &format!("n = {}", bar.n));
    }
    svg.finish()
}

/// A heatmap of rates in [0, 1]: one row per `rows` entry, one column per hour; `cell` gives a
/// cell's rate and count (`None`: no settled decision). Cells with fewer than `min_n` are hatched
/// grey: too few to read.
pub fn heatmap(
    title: &str,
    rows: &[String],
    hours: &[u8],
    min_n: u64,
    cell: impl Fn(&str, u8) -> Option<(f64, u64)>,
) -> String {
    let height = TOP + 30.0 * rows.len() as f64 + 70.0;
    let mut svg = Svg::new(WIDTH, height);
    svg.rect(0.0, 0.0, WIDTH, height, "fill:#fff");
    svg.text((WIDTH / 2.0, 22.0), "middle", "fill:#111;font-size:15px;font-weight:bold", title);
    let left = 90.0;
    let cell_w = (WIDTH - left - RIGHT) / hours.len().max(1) as f64;
    let cell = &cell;
    let max = rows
        .iter()
        .flat_map(|r| hours.iter().filter_map(move |h| cell(r, *h)))
        .filter(|(_, n)| *n >= min_n)
        .map(|(rate, _)| rate)
        .fold(0.0, f64::max)
        .max(1e-9);
    for (r, row) in rows.iter().enumerate() {
        let y = TOP + 30.0 * r as f64;
        svg.text((left - 8.0, y + 19.0), "end", LABEL, row);
        for (c, hour) in hours.iter().enumerate() {
            let x = left + cell_w * c as f64;
            match cell(row, *hour) {
                Some((rate, n)) if n >= min_n => {
                    svg.rect(x, y, cell_w - 1.0, 29.0, &format!("fill:{}", shade(rate / max)));
                    let ink =
                        if rate / max > 0.6 { "fill:#fff;font-size:9px" } else { "fill:#222;font-size:9px" };
                    svg.text((x + cell_w / 2.0, y + 18.0), "middle", ink, &format!("{:.0}", rate * 100.0));
                }
                Some(_) => svg.rect(x, y, cell_w - 1.0, 29.0, "fill:#e4e4e4"),
                None => svg.rect(x, y, cell_w - 1.0, 29.0, "fill:#f7f7f7"),
            }
        }
    }
    let below = TOP + 30.0 * rows.len() as f64;
    for (c, hour) in hours.iter().enumerate() {
        svg.text((left + cell_w * (c as f64 + 0.5), below + 14.0), "middle", SMALL, &format!("{hour}"));
    }
    svg.text((left + (WIDTH - left - RIGHT) / 2.0, below + 30.0), "middle", LABEL, "local hour of sending");
    let legend = format!(
        "payment rate in % (darker: higher, up to {:.0} %); light grey: fewer than {min_n} settled decisions",
        max * 100.0
    );
    svg.text((left, below + 52.0), "start", SMALL, &legend);
    svg.finish()
}

/// White to the palette's blue, by `t` in [0, 1].
fn shade(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(240.0, 33.0), mix(244.0, 70.0), mix(252.0, 170.0))
}

/// Bars grouped by `groups` (x axis), one colour per series; `value(group, series)`.
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[String],
    value: impl Fn(&str, &str) -> Option<f64>,
) -> String {
    let top = groups.iter().flat_map(|g| series.iter().filter_map(|s| value(g, s))).fold(0.0, f64::max);
    let y_max = nice_max(top);
    let (mut svg, y) = frame(title, y_label, y_max, tick_label(y_max, false));
    let slot = (WIDTH - LEFT - RIGHT) / groups.len().max(1) as f64;
    let bar_w = slot * 0.8 / series.len().max(1) as f64;
    for (g, group) in groups.iter().enumerate() {
        let x0 = LEFT + slot * g as f64 + slot * 0.1;
        for (s, name) in series.iter().enumerate() {
            if let Some(v) = value(group, name) {
                let x = x0 + bar_w * s as f64;
                svg.rect(x, y(v), bar_w - 1.0, y(0.0) - y(v), &format!("fill:{}", colour(s)));
                svg.text((x + bar_w / 2.0, y(v) - 4.0), "middle", SMALL, &format!("{v:.1}"));
            }
        }
        svg.text((x0 + slot * 0.4, HEIGHT - BOTTOM + 16.0), "middle", LABEL, group);
    }
    legend(&mut svg, series);
    svg.finish()
}

/// Shares of each series per period, stacked to 100 %.
pub fn stacked_shares(title: &str, periods: &[(String, Vec<u64>)], series: &[String]) -> String {
    let (mut svg, y) = frame(title, "share of decisions", 1.0, tick_label(1.0, true));
    let slot = (WIDTH - LEFT - RIGHT) / periods.len().max(1) as f64;
    let every = periods.len().div_ceil(12).max(1);
    for (p, (label, counts)) in periods.iter().enumerate() {
        let total: u64 = counts.iter().sum();
        let x = LEFT + slot * p as f64;
        let mut base = 0.0;
        for (s, n) in counts.iter().enumerate() {
            let share = if total == 0 { 0.0 } else { *n as f64 / total as f64 };
            svg.rect(
                x + 1.0,
                y(base + share),
                slot - 2.0,
                y(base) - y(base + share),
                &format!("fill:{}", colour(s)),
            );
            base += share;
        }
        if p % every == 0 {
            svg.text((x + slot / 2.0, HEIGHT - BOTTOM + 16.0), "middle", SMALL, label);
        }
    }
    legend(&mut svg, series);
    svg.finish()
}

/// One line of rates over periods: its name and, per period, the rate and its 95 % interval
/// (`None`: nothing settled in that period).
pub struct RateLine {
    pub name: String,
    pub points: Vec<Option<(f64, (f64, f64))>>,
}

/// A point of a drawn run: the period's index, the rate and its interval.
type RunPoint = (usize, f64, (f64, f64));

/// Rates in [0, 1] over `periods` (x axis), one coloured line per series with its interval as a
/// translucent band; a period without a value breaks the line.
pub fn rate_lines(title: &str, y_label: &str, periods: &[String], lines: &[RateLine]) -> String {
    let top =
        lines.iter().flat_map(|l| l.points.iter().flatten()).map(|(_, (_, hi))| *hi).fold(0.0, f64::max);
    let y_max = nice_max(top).min(1.0);
    let (mut svg, y) = frame(title, y_label, y_max, tick_label(y_max, true));
    let slot = (WIDTH - LEFT - RIGHT) / periods.len().max(1) as f64;
    let x = |i: usize| LEFT + slot * (i as f64 + 0.5);
    for (s, line) in lines.iter().enumerate() {
        // Runs of consecutive periods with a value: each is drawn on its own.
        let mut runs: Vec<Vec<RunPoint>> = vec![Vec::new()];
        for (i, point) in line.points.iter().enumerate() {
            match point {
                Some((rate, interval)) => runs.last_mut().unwrap().push((i, *rate, *interval)),
                None if !runs.last().unwrap().is_empty() => runs.push(Vec::new()),
                None => {}
            }
        }
        for run in runs.iter().filter(|r| !r.is_empty()) {
            let mut band: Vec<(f64, f64)> = run.iter().map(|(i, _, (_, hi))| (x(*i), y(*hi))).collect();
            band.extend(run.iter().rev().map(|(i, _, (lo, _))| (x(*i), y(*lo))));
            svg.polygon(&band, &format!("fill:{};fill-opacity:0.18;stroke:none", colour(s)));
            let centre: Vec<(f64, f64)> = run.iter().map(|(i, rate, _)| (x(*i), y(*rate))).collect();
            svg.polyline(&centre, &format!("stroke:{};stroke-width:2", colour(s)));
            for (px, py) in &centre {
                svg.rect(px - 2.5, py - 2.5, 5.0, 5.0, &format!("fill:{}", colour(s)));
            }
        }
    }
    let every = periods.len().div_ceil(12).max(1);
    for (i, label) in periods.iter().enumerate().filter(|(i, _)| i % every == 0) {
        svg.text((x(i), HEIGHT - BOTTOM + 16.0), "middle", SMALL, label);
    }
    let names: Vec<String> = lines.iter().map(|l| l.name.clone()).collect();
    legend(&mut svg, &names);
    svg.finish()
}

/// One point of a reliability curve: the mean predicted probability of a bin, the observed
/// rate with its 95 % interval, and the count.
pub struct Reliability {
    pub predicted: f64,
    pub observed: f64,
    pub interval: (f64, f64),
    pub n: u64,
}

/// A reliability diagram: observed payment rate against predicted probability, both from 0 to
/// 1, with the diagonal a calibrated model follows.
pub fn reliability(title: &str, points: &[Reliability], note: &str) -> String {
    let (mut svg, y) = frame(title, "observed payment rate", 1.0, tick_label(1.0, true));
    let x = |p: f64| LEFT + p * (WIDTH - LEFT - RIGHT);
    svg.line((x(0.0), y(0.0)), (x(1.0), y(1.0)), "stroke:#999;stroke-width:1;stroke-dasharray:4 4");
    for i in 0..=5 {
        let p = f64::from(i) / 5.0;
        svg.text((x(p), HEIGHT - BOTTOM + 16.0), "middle", SMALL, &format!("{:.0} %", p * 100.0));
    }
    svg.text(
        (x(0.5), HEIGHT - BOTTOM + 32.0),
        "middle",
        LABEL,
        "predicted probability of payment (held out)",
    );
    let whisker = "stroke:#111;stroke-width:1.2";
    let centre: Vec<(f64, f64)> = points.iter().map(|p| (x(p.predicted), y(p.observed))).collect();
    svg.polyline(&centre, &format!("stroke:{};stroke-width:2", colour(0)));
    for point in points {
        let (px, (lo, hi)) = (x(point.predicted), point.interval);
        svg.line((px, y(lo)), (px, y(hi)), whisker);
        svg.rect(px - 3.0, y(point.observed) - 3.0, 6.0, 6.0, &format!("fill:{}", colour(0)));
        svg.text((px, y(hi) - 4.0), "middle", SMALL, &format!("n = {}", point.n));
    }
    svg.text((LEFT + 8.0, TOP + 14.0), "start", SMALL, note);
    svg.finish()
}

fn legend(svg: &mut Svg, series: &[String]) {
    let mut x = LEFT;
    for (s, name) in series.iter().enumerate() {
        svg.rect(x, HEIGHT - 22.0, 12.0, 12.0, &format!("fill:{}", colour(s)));
        svg.text((x + 16.0, HEIGHT - 12.0), "start", LABEL, name);
        x += 24.0 + 8.0 * name.len() as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.37), 0.5);
        assert_eq!(nice_max(0.011), 0.02);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(0.0), 1.0);
    }

    #[test]
    fn ticks_have_the_decimals_a_fifth_needs() {
        let percent = tick_label(0.5, true);
        assert_eq!((percent(0.1), percent(0.5)), ("10 %".to_owned(), "50 %".to_owned()));
        assert_eq!(tick_label(0.02, true)(0.004), "0.4 %");
        assert_eq!(tick_label(1.0, false)(0.2), "0.2");
        assert_eq!(tick_label(20.0, false)(4.0), "4");
    }

    #[test]
    fn rate_lines_break_where_a_period_has_no_value() {
        let line = RateLine {
            name: "bandit".into(),
            points: vec![Some((0.3, (0.2, 0.4))), Some((0.35, (0.25, 0.45))), None, Some((0.4, (0.3, 0.5)))],
        };
        let periods: Vec<String> = ["03-01", "03-08", "03-15", "03-22"].map(String::from).to_vec();
        let svg = rate_lines("t", "y", &periods, &[line]);
        assert_eq!(svg.matches("<polyline").count(), 2, "two runs: before and after the gap");
        assert_eq!(svg.matches("<polygon").count(), 2, "a band per run");
        assert_eq!(svg.matches("width=\"5\"").count(), 3, "a marker per value");
        assert!(svg.contains(">bandit</text>") && svg.contains(">03-22</text>"));
    }

    #[test]
    fn the_reliability_diagram_has_its_diagonal_and_a_whisker_per_bin() {
        let point =
            |p: f64, n| Reliability { predicted: p, observed: p + 0.02, interval: (p - 0.05, p + 0.09), n };
        let svg = reliability("t", &[point(0.1, 40), point(0.5, 300)], "Brier 0.2");
        assert!(svg.contains("stroke-dasharray"), "the diagonal");
        assert_eq!(svg.matches("stroke:#111").count(), 2);
        assert!(svg.contains(">n = 300</text>") && svg.contains(">Brier 0.2</text>"));
    }

    #[test]
    fn bars_draw_one_whisker_per_interval() {
        let bar = |label: &str, interval| Bar { label: label.into(), value: 0.3, interval, n: 10 };
        let svg = bars("t", "y", &[bar("sms", Some((0.2, 0.4))), bar("email", None)], true);
        assert_eq!(svg.matches("stroke:#111").count(), 3, "one whisker: a line and two caps");
        assert!(
            svg.contains(">sms</text>") && svg.contains(">n = 10</text>") && svg.contains(">30.0 %</text>")
        );
    }
}
