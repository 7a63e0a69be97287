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

/// The ranked lists scored, in this order in [`Outcome::scores`].
pub const METHOD_NAMES: [&str; METHODS] =
    ["recommender", "global popularity", "segment popularity", "buy again, then segment popularity"];
pub const METHODS: usize = 4;
const RECOMMENDER: usize = 0;
const GLOBAL: usize = 1;
const SEGMENT: usize = 2;

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
    /// Per method (see [`METHOD_NAMES`]).
    pub scores: [Scores; METHODS],
    /// The same lists against only the relevant items the debtor had never bought (debtors
    /// with at least one such item).
    pub new_items: [Scores; METHODS],
    pub generate_secs: f64,
    pub fit_secs: f64,
    pub rss_before_fit: Option<u64>,
    pub fit_peak: Option<u64>,
    /// Whether the peak was reset before the fit (else it covers the run so far).
    pub peak_reset: bool,
}

impl Outcome {
    /// The recommender's lead over the better popularity baseline: (hit rate, NDCG).
    fn lead(&self) -> (f64, f64) {
        let s = &self.scores;
        let hit = s[RECOMMENDER].hit_rate() - s[GLOBAL].hit_rate().max(s[SEGMENT].hit_rate());
        let ndcg = s[RECOMMENDER].ndcg() - s[GLOBAL].ndcg().max(s[SEGMENT].ndcg());
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

fn stat(outcomes: &[Outcome], f: impl Fn(&Outcome) -> f64) -> String {
    let (m, sd) = mean_sd(&outcomes.iter().map(f).collect::<Vec<_>>());
    format!("{m:.3} ± {sd:.3}")
}

/// Columns `hit@3 | NDCG@3` per method.
fn header(first: &str) -> String {
    let methods: Vec<String> = METHOD_NAMES.iter().map(|m| format!("{m} hit@3 | NDCG@3")).collect();
    format!("| {first} | {} |", methods.join(" | "))
}

fn rule(columns: usize) -> String {
    format!("|{}", "---|".repeat(columns))
}

/// The table of one world, its conditions and whether the targets were met at every seed.
pub fn table(world: &str, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        let _ = writeln!(
            out,
            "conditions: world {world} · seed {} · {} lines ({} before the split) · {} debtors · {} items · \
             split day {} (predict days {}..={}) · {} debtors evaluated ({} new) · generated in {:.1} s · \
             fit on one thread{}",
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
        "\n{} lead hit@3 | lead NDCG@3 | fit s | RSS before fit MiB | peak RSS during fit MiB |\n{}",
        header("seed"),
        rule(1 + 2 * METHODS + 5)
    );
    for o in outcomes {
        let (hit, ndcg) = o.lead();
        let scores: Vec<String> =
            o.scores.iter().map(|s| format!("{:.3} | {:.3}", s.hit_rate(), s.ndcg())).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {hit:+.3} | {ndcg:+.3} | {:.2} | {} | {} |",
            o.seed,
            scores.join(" | "),
            o.fit_secs,
            mib(o.rss_before_fit),
            mib(o.fit_peak),
        );
    }
    let means: Vec<String> = (0..METHODS)
        .map(|m| {
            format!(
                "{} | {}",
                stat(outcomes, |o| o.scores[m].hit_rate()),
                stat(outcomes, |o| o.scores[m].ndcg())
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "| mean ± sd | {} | {} | {} | {} | | |",
        means.join(" | "),
        stat(outcomes, |o| o.lead().0),
        stat(outcomes, |o| o.lead().1),
        stat(outcomes, |o| o.fit_secs),
    );

    let _ = writeln!(
        out,
        "\nthe same lists against only the items the debtor had never bought (debtors with one):\n\n{} \n{}",
        header("seed | debtors"),
        rule(2 + 2 * METHODS)
    );
    for o in outcomes {
        let scores: Vec<String> =
            o.new_items.iter().map(|s| format!("{:.3} | {:.3}", s.hit_rate(), s.ndcg())).collect();
        let _ =
            writeln!(out, "| {} | {} | {} |", o.seed, o.new_items[RECOMMENDER].debtors(), scores.join(" | "));
    }
    let (met, text) = targets(outcomes);
    let _ = writeln!(
        out,
        "\ntarget (lead over the better popularity baseline >= {HIT_MARGIN} hit@3 and >= {NDCG_MARGIN} \
         NDCG@3 at every seed): {}",
        if met { "met" } else { "MISSED" }
    );
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
    let mut out = format!(
        "summary: mean over seeds, hit@3 / NDCG@3\n\n| world | {} | targets |\n{}\n",
        METHOD_NAMES.join(" | "),
        rule(2 + METHODS)
    );
    let mut missed = Vec::new();
    for (world, outcomes) in worlds {
        let mean = |f: &dyn Fn(&Outcome) -> f64| mean_sd(&outcomes.iter().map(f).collect::<Vec<_>>()).0;
        let (met, _) = targets(outcomes);
        if !met {
            missed.push(*world);
        }
        let cells: Vec<String> = (0..METHODS)
            .map(|m| {
                format!("{:.3} / {:.3}", mean(&|o| o.scores[m].hit_rate()), mean(&|o| o.scores[m].ndcg()))
            })
            .collect();
        let _ = writeln!(out, "| {world} | {} | {} |", cells.join(" | "), if met { "met" } else { "missed" });
    }
    if missed.is_empty() {
        out.push_str("\ntargets met in every world\n");
    } else {
        let _ = writeln!(out, "\ntargets missed in: {}", missed.join(", "));
    }
    out
}
