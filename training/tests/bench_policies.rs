//! `mahnwerk-train bench-policies` as an analyst runs it, at toy sizes: a table per seed and the
//! mean per world, with the conditions, learning-curve plots that are SVG files with one line per
//! policy, and every named world on request. No timing is asserted.

use std::process::Command;

const POLICIES: [&str; 9] = [
    "uniform",
    "fixed",
    "epsilon-greedy",
    "LinUCB",
    "LinUCB+debtor",
    "mahnwerk",
    "population oracle",
    "Bayes oracle",
    "oracle",
];

#[test]
fn prints_the_tables_and_writes_the_plots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plots");
    let output = Command::new(env!("CARGO_BIN_EXE_mahnwerk-train"))
        .args(["bench-policies", "--seeds", "1,2", "--rounds", "400", "--debtors", "60", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);

    for title in [
        "world default · seed 1 · 400 rounds · 60 debtors",
        "world default · seed 2 · 400 rounds",
        "world default · mean of seeds 1,2",
    ] {
        assert!(printed.contains(title), "no table titled {title:?} in\n{printed}");
    }
    assert!(printed.contains("machine threads"), "{printed}");
    for header in
        ["paid all", "paid last ¼", "vs oracle", "invoices", "EUR/payment", "letters", "decisions/s"]
    {
        assert!(printed.contains(header), "no column {header:?} in\n{printed}");
    }
    // Each policy has a row in each of the three tables, and the oracle is its own ceiling.
    for policy in POLICIES {
        let rows = printed.lines().filter(|l| l.starts_with(&format!("{policy} "))).count();
        assert_eq!(rows, 3, "{policy} rows in\n{printed}");
    }
    let oracle_rows: Vec<&str> = printed.lines().filter(|l| l.starts_with("oracle ")).collect();
    assert!(oracle_rows.iter().all(|l| l.contains("100.0%")), "{oracle_rows:?}");

    for name in [
        "learning-curve-default.svg",
        "learning-curve-default-seed-1.svg",
        "learning-curve-default-seed-2.svg",
    ] {
        let svg = std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{name}");
        assert!(svg.trim_end().ends_with("</svg>"), "{name}");
        assert_eq!(svg.matches("<polyline").count(), POLICIES.len(), "{name}: one line per policy");
        for policy in POLICIES {
            assert!(svg.contains(&format!(">{policy}</text>")), "{name}: no legend entry for {policy}");
        }
    }
    assert!(printed.contains(&format!(
        "learning curves written to {}",
        out.join("learning-curve-default.svg").display()
    )));
}

#[test]
fn every_world_runs_and_an_unknown_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mahnwerk-train"))
        .args([
            "bench-policies",
            "--seeds",
            "1",
            "--rounds",
            "200",
            "--debtors",
            "40",
            "--world",
            "all",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);
    for world in ["default", "sharp-hours", "flat-hours", "dead-channel", "drift", "few-large", "many-small"]
    {
        assert!(printed.contains(&format!("== world {world}: ")), "no world {world} in\n{printed}");
        assert!(printed.contains(&format!("targets in world {world} ")), "no targets for {world}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_mahnwerk-train"))
        .args(["bench-policies", "--world", "mars", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--world") && stderr.contains("mars") && stderr.contains("b2b-heavy"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_are_refused_with_the_reason() {
    let output = Command::new(env!("CARGO_BIN_EXE_mahnwerk-train"))
        .args(["bench-policies", "--rounds", "2", "--out"])
        .arg(std::env::temp_dir().join("mahnwerk-bench-refused"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--rounds"));
}
