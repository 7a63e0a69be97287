//! `mahnwerk-train bench-workflow`: the analysts' workflow on a million logged decisions, each
//! step its own process timed with its peak memory. `export` (JSON lines, and Parquet) reads
//! a scratch PostgreSQL database filled with the decisions ([`fixture`]); `fit` (plain, with a
//! warm start, importance-weighted, and both) and `evaluate` read the JSON-lines export. Beside them, in the same run, the plain work an analyst might do
//! instead: `psql`'s `\copy` of the same rows to CSV, and a pandas + scikit-learn script
//! (`baseline.py`: a logistic regression on one-hot features, also with the same importance
//! weights as `sample_weight`, IPS of its greedy choice) over the Parquet export, where Python
//! has those packages.
//!
//! # Layout
//! `fixture` (the database) · `process` (one step: time and peak memory) · `baseline.py` (the
//! plain script).

mod fixture;
mod process;

use anyhow::{bail, Context as _};
use process::{measure, Cost};
use sqlx::{Connection as _, Executor as _};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(clap::Args, Debug)]
pub struct WorkflowBenchArgs {
    /// Logged decisions to write, export, fit and evaluate on.
    #[arg(long, default_value_t = 1_000_000)]
    pub decisions: u64,
    /// A PostgreSQL server (any database on it): a scratch database is created there for the run
    /// and dropped after it.
    #[arg(long, env = "MAHNWERK_DATABASE_URL")]
    pub database_url: String,
    /// Directory for the exported files, the model and the baseline's script.
    #[arg(long, default_value = "target/bench-workflow")]
    pub out: PathBuf,
    /// The Python that runs the baseline script.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One step's figures: mahnwerk-train's, and the plain script's where it ran.
#[derive(Debug, serde::Serialize)]
struct Step {
    step: &'static str,
    mahnwerk: Cost,
    baseline: Option<(&'static str, Cost)>,
}

/// The figures of a run, with its conditions.
#[derive(Debug, serde::Serialize)]
struct Figures {
    decisions: u64,
    cores: usize,
    load_before: String,
    steps: Vec<Step>,
    baseline_missing: Option<String>,
    evaluation: serde_json::Value,
    baseline_evaluation: Option<serde_json::Value>,
}

pub fn run(args: &WorkflowBenchArgs) -> anyhow::Result<String> {
    if !args.database_url.starts_with("postgres") {
        bail!("--database-url: a PostgreSQL server is needed (the export is measured out of PostgreSQL)");
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let out = args.out.canonicalize()?;
    let scratch = format!("bench_workflow_{}", std::process::id());
    let scratch_url = database_url(&args.database_url, &scratch);
    crate::db::block_on(admin(&args.database_url, &format!("CREATE DATABASE {scratch}")))?;
    let result = (|| {
        crate::db::block_on(async {
            crate::db::open(&scratch_url).await?;
            fixture::fill(&scratch_url, args.decisions).await
        })?;
        steps(args, &scratch_url, &out)
    })();
    crate::db::block_on(admin(
        &args.database_url,
        &format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"),
    ))?;
    let figures = result?;
    Ok(if args.json { serde_json::to_string_pretty(&figures)? } else { table(&figures) })
}

fn steps(args: &WorkflowBenchArgs, url: &str, out: &Path) -> anyhow::Result<Figures> {
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_owned();
    let this = std::env::current_exe().context("finding mahnwerk-train")?;
    let train = |args: &[&str]| {
        let mut command = Command::new(&this);
        command.args(args);
        command
    };
    let path = |name: &str| out.join(name).display().to_string();
    let (jsonl, parquet, model) = (path("decisions.jsonl"), path("decisions.parquet"), path("model.json"));
    let csv = path("baseline.csv");
    let script = out.join("baseline.py");
    std::fs::write(&script, include_str!("baseline.py"))?;
    let baseline_missing = python_missing(&args.python);

    let (export, _) = measure("export", train(&["export", "--database-url", url, "--out", &jsonl]))?;
    let (export_parquet, _) =
        measure("export to Parquet", train(&["export", "--database-url", url, "--out", &parquet]))?;
    let mut copy = Command::new("psql");
    copy.args([url, "-q", "-c", &format!("\\copy ({}) TO '{csv}' CSV HEADER", COPY_SQL)]);
    let copied = measure("psql \\copy", copy).ok().map(|(cost, _)| ("psql \\copy to CSV", cost));
    let (fit, _) = measure("fit", train(&["fit", "--log", &jsonl, "--out", &model]))?;
    let fit_with = |what: &str, flags: &[&str]| {
        let mut command = train(&["fit", "--log", &jsonl, "--out", &path("model-variant.json")]);
        command.args(flags);
        measure(what, command).map(|(cost, _)| cost)
    };
    let fit_warm = fit_with("fit --warm-start", &["--warm-start"])?;
    let fit_weighted = fit_with("fit --importance-weights", &["--importance-weights"])?;
    let fit_weighted_warm =
        fit_with("fit --importance-weights --warm-start", &["--importance-weights", "--warm-start"])?;
    let (evaluate, evaluation) =
        measure("evaluate", train(&["evaluate", "--log", &jsonl, "--model", &model, "--json"]))?;
    let evaluation: serde_json::Value = serde_json::from_str(&evaluation).context("evaluate's JSON")?;

    let (mut baseline_fit, mut baseline_fit_weighted) = (None, None);
    let (mut baseline_evaluate, mut baseline_evaluation) = (None, None);
    if baseline_missing.is_none() {
        let pickle = path("baseline-model.pickle");
        let python = |what: &str| {
            let mut command = Command::new(&args.python);
            command.arg(&script).args([what, &parquet, &pickle]);
            command
        };
        let (cost, _) = measure("the pandas fit", python("fit"))?;
        baseline_fit = Some(("pandas + scikit-learn", cost));
        let (cost, _) = measure("the weighted pandas fit", python("fit-weighted"))?;
        baseline_fit_weighted = Some(("pandas + scikit-learn, sample_weight", cost));
        let (cost, printed) = measure("the pandas evaluation", python("evaluate"))?;
        baseline_evaluate = Some(("pandas (IPS, SNIPS)", cost));
        baseline_evaluation = serde_json::from_str(&printed).ok();
    }
    Ok(Figures {
        decisions: args.decisions,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_before,
        steps: vec![
            Step { step: "export (JSON lines)", mahnwerk: export, baseline: copied },
            Step { step: "export (Parquet)", mahnwerk: export_parquet, baseline: None },
            Step { step: "fit", mahnwerk: fit, baseline: baseline_fit },
            Step { step: "fit --warm-start", mahnwerk: fit_warm, baseline: None },
            Step {
                step: "fit --importance-weights",
                mahnwerk: fit_weighted,
                baseline: baseline_fit_weighted,
            },
            Step {
                step: "fit --importance-weights --warm-start",
                mahnwerk: fit_weighted_warm,
                baseline: None,
            },
            Step { step: "evaluate", mahnwerk: evaluate, baseline: baseline_evaluate },
        ],
        baseline_missing,
        evaluation,
        baseline_evaluation,
    })
}

/// The rows `export` reads, as a user would `\copy` them (the store's export query, flattened).
const COPY_SQL: &str = "SELECT r.id, r.case_id, i.tenant, i.number, i.debtor_id, r.context, r.created_at, r.allowed, \
     r.sent_at, r.channel, r.local_hour, r.stage, r.propensity, r.reward, r.policy_version, i.currency, i.amount_paid \
     FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE r.sent_at IS NOT NULL AND r.instalment = 0 ORDER BY r.id";

/// Why the baseline cannot run, if it cannot.
fn python_missing(python: &str) -> Option<String> {
    let probe = Command::new(python).args(["-c", "import pandas, pyarrow, sklearn"]).output();
    match probe {
        Ok(output) if output.status.success() => None,
        Ok(_) => Some(format!(
            "{python} lacks pandas, pyarrow or scikit-learn (pip install pandas pyarrow scikit-learn)"
        )),
        Err(e) => Some(format!("{python}: {e}")),
    }
}

/// `url` with its database replaced by `database`.
fn database_url(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let server = match base.rfind('/') {
        Some(slash) if slash > base.find("://").map_or(0, |i| i + 2) => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

async fn admin(url: &str, statement: &str) -> anyhow::Result<()> {
    let mut db = sqlx::PgConnection::connect(url).await.context("connecting to PostgreSQL")?;
    db.execute(statement).await.with_context(|| statement.to_owned())?;
    Ok(())
}

fn table(figures: &Figures) -> String {
    let mut text = format!(
        "bench-workflow: {} decisions, {} cores, load before {}\n\n| step | mahnwerk-train s | peak MiB | plain script | s | peak MiB |\n| --- | --- | --- | --- | --- | --- |\n",
        figures.decisions, figures.cores, figures.load_before
    );
    for step in &figures.steps {
        let (name, seconds, peak) = match &step.baseline {
            Some((name, cost)) => (*name, format!("{:.1}", cost.seconds), format!("{:.0}", cost.peak_mib)),
            None => ("-", "-".into(), "-".into()),
        };
        text += &format!(
            "| {} | {:.1} | {:.0} | {name} | {seconds} | {peak} |\n",
            step.step, step.mahnwerk.seconds, step.mahnwerk.peak_mib
        );
    }
    if let Some(missing) = &figures.baseline_missing {
        text += &format!("\nthe plain script did not run: {missing}\n");
    }
    text += &format!("\nevaluate: {}\n", figures.evaluation);
    if let Some(baseline) = &figures.baseline_evaluation {
        text += &format!("plain script: {baseline}\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scratch_database_replaces_the_url_s_own() {
        assert_eq!(
            database_url("postgres://u@127.0.0.1:5432/test", "scratch"),
            "postgres://u@127.0.0.1:5432/scratch"
        );
        assert_eq!(
            database_url("postgres://u@h/test?sslmode=disable", "scratch"),
            "postgres://u@h/scratch?sslmode=disable"
        );
        assert_eq!(database_url("postgres://u@h", "scratch"), "postgres://u@h/scratch");
    }
}
