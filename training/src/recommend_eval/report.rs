//! The figures of one benchmark run: a table per world (a row per seed, then mean and spread),
//! the targets, and a summary over worlds.

use std::fmt::Write as _;

use mahnwerk_models::recommend::Day;

use super::metrics::Scores;

/// The recommender must lead the better popularity baseline by this much hit rate@3 (absolute)
/// at every seed in every world...
pub const HIT_MARGIN: f64 = 0.03;
/// ...and by this much NDCG@3.
pub const NDCG_MARGIN: f64 = 0.02;

/// One world at one seed.
pub struct Outcome {
    pub seed: u64,
    pub lines: usize,
    /// Lines before the split day: what the recommender was fitted on.
    pub train_lines: usize,
    pub debtors: usize,
    pub items: usize,
    pub split_day: Day,
    pub horizon_days: u32,
    /// Debtors asked for (they bought an allowed item after the split), and how many of them
    /// had bought nothing before it.
    pub evaluated: usize,
    pub new_debtors: usize,
    pub recommender: Scores,
    pub global: Scores,
    pub segment: Scores,
    pub generate_secs: f64,
    pub fit_secs: f64,
    pub rss_before_fit: Option<u64>,
    pub fit_peak: Option<u64>,
    /// Whether the peak was reset before the fit (else it covers the run so far).
    pub peak_reset: bool,
}

impl Outcome {
    /// The recommender's lead over the better baseline: (hit rate, NDCG).
    fn lead(&self) -> (f64, f64) {
        let hit = self.recommender.hit_rate() - self.global.hit_rate().max(self.segment.hit_rate());
        let ndcg = self.recommender.ndcg() - self.global.ndcg().max(self.segment.ndcg());
        (hit, ndcg)
    }
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".into(), |b| format!("{:.0}", b as f64 / (1024.0 * 1024.0)))
}

/// Mean and sample standard deviation.
fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}

/// The table of one world, its conditions and whether the targets were met at every seed.
pub fn table(world: &str, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        let _ = writeln!(
            out,
            "conditions: world {world} · seed {} · {} lines ({} before the split) · {} debtors · {} items · \
             split day {} (predict days {}..={}) · {} debtors evaluated ({} new) · generated in {:.1} s · fit on one thread{}",
            o.seed,
            o.lines,
            o.train_lines,
            o.debtors,
            o.items,
            o.split_day,
            o.split_day,
            o.horizon_days - 1,
            o.evaluated,
            o.new_debtors,
            o.generate_secs,
            if o.peak_reset { "" } else { " · peak memory NOT reset before the fit (process peak so far)" },
        );
    }
    let _ = writeln!(
        out,
        "\n| seed | recommender hit@3 | NDCG@3 | global popularity hit@3 | NDCG@3 | segment popularity hit@3 | NDCG@3 | lead hit@3 | lead NDCG@3 | fit s | RSS before fit MiB | peak during fit MiB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for o in outcomes {
        let (hit, ndcg) = o.lead();
        let _ = writeln!(
            out,
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:+.3} | {:+.3} | {:.2} | {} | {} |",
            o.seed,
            o.recommender.hit_rate(),
            o.recommender.ndcg(),
            o.global.hit_rate(),
            o.global.ndcg(),
            o.segment.hit_rate(),
            o.segment.ndcg(),
            hit,
            ndcg,
            o.fit_secs,
            mib(o.rss_before_fit),
            mib(o.fit_peak),
        );
    }
    let stat = |f: &dyn Fn(&Outcome) -> f64| {
        let (m, sd) = mean_sd(&outcomes.iter().map(f).collect::<Vec<_>>());
        format!("{m:.3} ± {sd:.3}")
    };
    let _ = writeln!(
        out,
        "| mean ± sd | {} | {} | {} | {} | {} | {} | {} | {} | {} | | |",
        stat(&|o| o.recommender.hit_rate()),
        stat(&|o| o.recommender.ndcg()),
        stat(&|o| o.global.hit_rate()),
        stat(&|o| o.global.ndcg()),
        stat(&|o| o.segment.hit_rate()),
        stat(&|o| o.segment.ndcg()),
        stat(&|o| o.lead().0),
        stat(&|o| o.lead().1),
        stat(&|o| o.fit_secs),
    );
    let (met, text) = targets(outcomes);
    let _ = writeln!(out, "\ntarget (lead over the better baseline >= {HIT_MARGIN} hit@3 and >= {NDCG_MARGIN} NDCG@3 at every seed): {}", if met { "met" } else { "MISSED" });
    out.push_str(&text);
    out
}

/// Whether the recommender leads by the margins at every seed, and a line per miss.
fn targets(outcomes: &[Outcome]) -> (bool, String) {
    let mut text = String::new();
    for o in outcomes {
        let (hit, ndcg) = o.lead();
        if hit < HIT_MARGIN || ndcg < NDCG_MARGIN {
            let _ = writeln!(text, "  seed {}: lead {hit:+.3} hit@3, {ndcg:+.3} NDCG@3", o.seed);
        }
    }
    (text.is_empty(), text)
}

/// One line per world: the means, and whether the targets were met everywhere.
pub fn summary(worlds: &[(&str, Vec<Outcome>)]) -> String {
    let mut out = String::from(
        "summary: mean over seeds, hit@3 / NDCG@3\n\n| world | recommender | global popularity | segment popularity | targets |\n|---|---|---|---|---|\n",
    );
    let mut missed = Vec::new();
    for (world, outcomes) in worlds {
        let mean = |f: &dyn Fn(&Outcome) -> f64| mean_sd(&outcomes.iter().map(f).collect::<Vec<_>>()).0;
        let (met, _) = targets(outcomes);
        if !met {
            missed.push(*world);
        }
        let _ = writeln!(
            out,
            "| {world} | {:.3} / {:.3} | {:.3} / {:.3} | {:.3} / {:.3} | {} |",
            mean(&|o| o.recommender.hit_rate()),
            mean(&|o| o.recommender.ndcg()),
            mean(&|o| o.global.hit_rate()),
            mean(&|o| o.global.ndcg()),
            mean(&|o| o.segment.hit_rate()),
            mean(&|o| o.segment.ndcg()),
            if met { "met" } else { "missed" },
        );
    }
    if missed.is_empty() {
        out.push_str("\ntargets met in every world\n");
    } else {
        let _ = writeln!(out, "\ntargets missed in: {}", missed.join(", "));
    }
    out
}
