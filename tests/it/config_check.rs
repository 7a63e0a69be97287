//! `mahnwerk config check FILE` on the shipped `mahnwerk.example.toml`, as it is and with every
//! optional setting turned on, so the example cannot drift from the configuration structs; and
//! on a broken file, whose error names the key.

use std::path::Path;
use std::process::{Command, Output};

const EXAMPLE: &str = include_str!("../../mahnwerk.example.toml");

/// `mahnwerk config check FILE` without any MAHNWERK_* variable of the test's environment.
fn check(file: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mahnwerk"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MAHNWERK_")) {
        command.env_remove(name);
    }
    command.env("RUST_LOG", "warn").arg("config").arg("check").arg(file).output().expect("the binary runs")
}

fn checked(text: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mahnwerk.toml");
    std::fs::write(&file, text).unwrap();
    let output = check(&file);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), stdout, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn the_example_configuration_checks_as_shipped() {
    let (ok, stdout, stderr) = checked(EXAMPLE);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(": ok") && stdout.contains("database: sqlite://"), "{stdout}");
}

#[test]
fn the_example_configuration_checks_with_every_setting_on() {
    let on: String =
        EXAMPLE.lines().map(|line| line.strip_prefix("#: ").unwrap_or(line)).collect::<Vec<_>>().join("\n");
    assert!(on.lines().count() == EXAMPLE.lines().count() && on != EXAMPLE);
    let (ok, stdout, stderr) = checked(&on);
    assert!(ok, "{stderr}");
    for shown in
        ["sms: twilio", "whatsapp: cloud api", "messenger: send api", "letter: pingen", "stripe: checkout"]
    {
        assert!(stdout.contains(shown), "{shown}: {stdout}");
    }
    assert!(!stdout.contains("change me"), "a secret was printed: {stdout}");
}

#[test]
fn a_bad_key_fails_the_check_and_is_named() {
    let (ok, _, stderr) = checked("[learn]\nsnapshot_every = 0\n");
    assert!(!ok);
    assert!(stderr.contains("learn.snapshot_every"), "{stderr}");
    let (ok, _, stderr) = checked("[twilio]\naccount_sid = \"AC1\"\n");
    assert!(!ok);
    assert!(stderr.contains("twilio.auth_token is missing"), "{stderr}");
    let (ok, _, stderr) = checked(&EXAMPLE.replace("poll_interval_ms", "poll_interval"));
    assert!(!ok);
    assert!(stderr.contains("poll_interval"), "{stderr}");
}

#[test]
fn a_base_rate_table_that_lacks_a_begun_half_year_is_named_and_a_gap_is_refused() {
    // The shipped table ends with 1 January 2026; this runs after 1 July 2026 (the table's own
    // test pins the dates), so the statute's default table lacks that half-year.
    let (ok, _, stderr) = checked(EXAMPLE);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("warning: tenants without [creditors.<tenant>.legal]: the base-rate table")
            && stderr.contains("no rate from 2026-07-01"),
        "{stderr}"
    );
    let acme = |rates: &str| {
        format!(
            "{EXAMPLE}\n[creditors.acme]\nname = \"ACME\"\nemail = \"f@acme.example\"\n\
             [creditors.acme.legal]\nextra_base_rates = {rates}\n"
        )
    };
    let (ok, _, stderr) =
        checked(&acme(r#"[["2026-07-01", "1.27"], ["2027-01-01", "1.27"], ["2027-07-01", "1.27"]]"#));
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("creditors.acme.legal: the base-rate table"), "{stderr}");
    let (ok, _, stderr) = checked(&acme(r#"[["2027-01-01", "2.27"]]"#));
    assert!(!ok);
    assert!(stderr.contains("creditors.acme.legal") && stderr.contains("2026-07-01 is missing"), "{stderr}");
}
