//! The analysts' workflow end to end, as a person runs it: simulate logs, fit a model, evaluate
//! it off-policy (`--json`), compare it with another; refusals and broken lines as they see them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mahnwerk-train")).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let output = train(args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn failure(args: &[&str]) -> String {
    let output = train(args);
    assert!(!output.status.success(), "{args:?} should fail: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr).unwrap()
}

fn path(dir: &Path, name: &str) -> (PathBuf, String) {
    let p = dir.join(name);
    let s = p.to_str().unwrap().to_owned();
    (p, s)
}

fn simulate(out: &str, policy: &str, seed: &str, decisions: &str) {
    ok(&["simulate", "--out", out, "--policy", policy, "--seed", seed, "--decisions", decisions]);
}

#[test]
fn simulate_fit_evaluate_compare() {
    let dir = tempfile::tempdir().unwrap();
    let (_, train_log) = path(dir.path(), "train.jsonl");
    let (eval_path, eval_log) = path(dir.path(), "eval.jsonl");
    let (_, fixed_log) = path(dir.path(), "fixed.jsonl");
    let (_, model) = path(dir.path(), "model.json");
    let (_, live) = path(dir.path(), "live.jsonl");
    let (_, live_model) = path(dir.path(), "live.json");
    simulate(&train_log, "uniform", "1", "8000");
    simulate(&eval_log, "uniform", "2", "4000");
    simulate(&fixed_log, "fixed", "3", "2000");
    simulate(&live, "adaptive", "4", "1000");
    ok(&["fit", "--log", &train_log, "--out", &model]);
    ok(&["fit", "--log", &live, "--out", &live_model]);

    // Every field the service writes, and a propensity that is the uniform policy's.
    let text = std::fs::read_to_string(&eval_path).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    for key in [
        "schema",
        "tenant",
        "case_id",
        "invoice_number",
        "debtor_id",
        "occurred_at",
        "kind",
        "id",
        "reminder_id",
        "debtor",
        "context",
        "at",
        "channels",
        "hours",
        "sent_at",
        "channel",
        "hour",
        "stage",
        "propensity",
        "reward",
        "policy_version",
    ] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
    let arms = first["channels"].as_array().unwrap().len() * first["hours"].as_array().unwrap().len();
    assert_eq!(first["propensity"].as_f64().unwrap(), 1.0 / arms as f64);
    let paid = text.lines().filter(|l| l.contains(r#""reward":1.0"#)).count();

    let printed = ok(&["evaluate", "--log", &eval_log, "--model", &model, "--json", "--bootstrap", "200"]);
    assert!(printed.starts_with(r#"{"ips":{"value":"#), "{printed}");
    let report: serde_json::Value = serde_json::from_str(&printed).unwrap();
    // The contract's keys first, in this order (a JSON map read back does not keep the order).
    let at = |key: &str| printed.find(key).unwrap_or_else(|| panic!("{key} missing: {printed}"));
    let order =
        [at(r#"},"snips":{"#), at(r#"},"dr":{"#), at(r#"},"ess":"#), at(r#","logged":"#), at(r#","n":"#)];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{printed}");
    assert_eq!(report["n"], 4000);
    assert_eq!(report["logged"].as_f64().unwrap(), paid as f64 / 4000.0);
    for estimator in ["ips", "snips", "dr"] {
        let value = report[estimator]["value"].as_f64().unwrap();
        let ci = report[estimator]["ci95"].as_array().unwrap();
        let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
        assert!(lo < value && value < hi && (0.0..=1.0).contains(&value), "{estimator}: {printed}");
    }
    // The fitted model learned something: better than sending at random.
    assert!(report["dr"]["value"].as_f64().unwrap() > report["logged"].as_f64().unwrap(), "{printed}");
    assert!(report["ess"].as_f64().unwrap() > 10.0);
    assert!(report["net_eur_per_decision"]["dr"]["value"].is_number(), "{printed}");

    let table = ok(&["evaluate", "--log", &eval_log, "--model", &model, "--bootstrap", "100"]);
    assert!(table.contains("doubly robust") && table.contains("effective sample size"), "{table}");

    let compared = ok(&["compare", "--log", &eval_log, "--candidate", &model, "--live", &live_model]);
    assert!(compared.contains("verdict: the candidate is "), "{compared}");
    assert!(
        compared.contains("per segment") && compared.contains("b2c") && compared.contains("letter"),
        "{compared}"
    );
    let json = ok(&["compare", "--log", &eval_log, "--candidate", &model, "--live", &live_model, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(["better", "worse", "not distinguishable"].contains(&json["verdict"].as_str().unwrap()));

    // The model's own sampling as the target, its probabilities estimated by Monte Carlo.
    let thompson = ok(&[
        "evaluate", "--log", &eval_log, "--model", &model, "--json", "--target", "thompson", "--draws", "16",
    ]);
    let thompson: serde_json::Value = serde_json::from_str(&thompson).unwrap();
    assert_eq!(thompson["target"], "thompson (16 draws per decision)");
    assert!(thompson["dr"]["value"].as_f64().unwrap() > thompson["logged"].as_f64().unwrap());

    // The other logging policies write their own propensities.
    for (log, version) in [(&fixed_log, "fixed-v1"), (&live, "bandit-v0")] {
        for line in std::fs::read_to_string(log).unwrap().lines() {
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            let propensity = line["propensity"].as_f64().unwrap();
            assert_eq!(line["policy_version"], version);
            assert!(propensity > 0.0 && propensity <= 1.0, "{line}");
            if version == "fixed-v1" {
                assert_eq!((propensity, line["hour"].as_u64()), (1.0, Some(10)), "{line}");
            }
        }
    }

    // A fixed schedule's log cannot evaluate a model that chooses differently.
    let refused = failure(&["evaluate", "--log", &fixed_log, "--model", &model]);
    assert!(refused.contains("propensity 1"), "{refused}");
}

#[test]
fn broken_lines_are_named_or_skipped_and_counted_and_pending_ones_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, log) = path(dir.path(), "log.jsonl");
    let (_, model) = path(dir.path(), "model.json");
    simulate(&log, "uniform", "7", "4000");
    ok(&["fit", "--log", &log, "--out", &model]);
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let broken = lines[10].replace(r#""propensity":"#, r#""propensity":"high","was":"#);
    let pending = lines[11]
        .replace(r#""reward":0.0"#, r#""reward":null"#)
        .replace(r#""reward":1.0"#, r#""reward":null"#);
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[10] = broken;
    edited[11] = pending;
    std::fs::write(&log_path, edited.join("\n") + "\n").unwrap();

    let error = failure(&["evaluate", "--log", &log, "--model", &model]);
    assert!(error.contains("line 11: field `propensity`"), "{error}");
    assert!(error.contains("--skip-bad"), "{error}");

    let printed =
        ok(&["evaluate", "--log", &log, "--model", &model, "--json", "--skip-bad", "--bootstrap", "50"]);
    let report: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!((report["skipped_bad"].as_u64(), report["pending"].as_u64()), (Some(1), Some(1)), "{printed}");
    assert_eq!(report["n"], 3998);
    assert!(report["skipped_lines"][0].as_str().unwrap().starts_with("line 11: field `propensity`"));
}

#[test]
fn a_weighted_fit_is_evaluated_like_any_other_and_its_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, log) = path(dir.path(), "adaptive.jsonl");
    let (_, eval_log) = path(dir.path(), "eval.jsonl");
    let (model_path, model) = path(dir.path(), "weighted.json");
    simulate(&log, "adaptive", "5", "3000");
    simulate(&eval_log, "uniform", "6", "6000");

    let printed = ok(&["fit", "--log", &log, "--out", &model, "--importance-weights", "--clip", "5"]);
    assert!(printed.contains("learned from 3000"), "{printed}");
    assert!(printed.contains("importance weights: clipped at 5 ("), "{printed}");
    let evaluated = ok(&["evaluate", "--log", &eval_log, "--model", &model, "--json", "--bootstrap", "100"]);
    let report: serde_json::Value = serde_json::from_str(&evaluated).unwrap();
    assert_eq!(report["n"], 6000);
    for estimator in ["ips", "snips", "dr"] {
        assert!(report[estimator]["value"].as_f64().is_some_and(|v| (0.0..=1.0).contains(&v)), "{evaluated}");
    }

    // The flags' mistakes, each named; nothing is written.
    std::fs::remove_file(&model_path).unwrap();
    let error = failure(&["fit", "--log", &log, "--out", &model, "--clip", "5"]);
    assert!(error.contains("--clip: only with --importance-weights"), "{error}");
    let error = failure(&["fit", "--log", &log, "--out", &model, "--importance-weights", "--clip", "0.5"]);
    assert!(error.contains("--clip: must be a finite number >= 1, got 0.5"), "{error}");
    let error = failure(&[
        "fit",
        "--log",
        &log,
        "--out",
        &model,
        "--importance-weights",
        "--warm-start",
        "--clip",
        "0.5",
    ]);
    assert!(error.contains("--clip: must be a finite number >= 1, got 0.5"), "{error}");
    assert!(!model_path.exists());

    // With a warm start the regression is weighted too.
    let printed = ok(&["fit", "--log", &log, "--out", &model, "--importance-weights", "--warm-start"]);
    assert!(printed.contains("learned from 3000"), "{printed}");
    assert!(printed.contains("warm-started from an importance-weighted logistic regression ("), "{printed}");
    assert!(printed.contains("importance weights: clipped at 10 ("), "{printed}");
    let evaluated = ok(&["evaluate", "--log", &eval_log, "--model", &model, "--json", "--bootstrap", "100"]);
    let report: serde_json::Value = serde_json::from_str(&evaluated).unwrap();
    assert!(report["dr"]["value"].as_f64().is_some_and(|v| (0.0..=1.0).contains(&v)), "{evaluated}");
    std::fs::remove_file(&model_path).unwrap();

    // A decision without its propensity cannot be weighted: its line and field are named.
    let text = std::fs::read_to_string(&log_path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let propensity = lines[41].find(r#""propensity":"#).unwrap();
    let end = propensity + lines[41][propensity..].find(',').unwrap() + 1;
    lines[41].replace_range(propensity..end, "");
    std::fs::write(&log_path, lines.join("\n") + "\n").unwrap();
    let error = failure(&["fit", "--log", &log, "--out", &model, "--importance-weights"]);
    assert!(error.contains("line 42: field `propensity`: is missing or null"), "{error}");
    assert!(!model_path.exists());
    // Without weights the propensity is not needed.
    ok(&["fit", "--log", &log, "--out", &model]);
}

/// The informed logging policy, as an analyst reproduces the weighted fit's figures
/// (docs/analysts.md): its log carries its own version and propensities, is fitted with weights,
/// and a bad exploration share is named.
#[test]
fn an_informed_log_is_simulated_and_fitted_with_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, log) = path(dir.path(), "informed.jsonl");
    let (_, model) = path(dir.path(), "weighted.json");
    simulate(&log, "informed:0.1", "3", "2000");
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2000);
    assert!(lines.iter().all(|l| l["policy_version"] == "informed-v1"), "{}", lines[0]);
    // Most decisions are the best arm's (propensity 1 - 0.1 + 0.1 / arms); the rest are drawn.
    let best = lines.iter().filter(|l| l["propensity"].as_f64().unwrap() > 0.9).count();
    assert!((1_700..2_000).contains(&best), "{best} of 2000 at the best arm");
    let printed = ok(&["fit", "--log", &log, "--out", &model, "--importance-weights"]);
    assert!(printed.contains("learned from 2000"), "{printed}");
    let error = failure(&["simulate", "--out", &log, "--policy", "informed:1.5"]);
    assert!(
        error.contains("--policy: informed:1.5: the exploration share must be between 0 and 1"),
        "{error}"
    );
}
