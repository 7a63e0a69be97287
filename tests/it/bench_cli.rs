//! `mahnwerk bench pipeline` as a user runs it, small: every figure is measured on the real
//! PostgreSQL and RabbitMQ and printed as the JSON object the README describes, and the scratch
//! databases it made are gone afterwards. (How fast it is, is the benchmark's business, not a
//! test's.)

use crate::support;

use std::process::{Command, Stdio};
use support::servers::{amqp_url, server_url};

#[test]
fn a_small_pipeline_benchmark_measures_every_path_and_cleans_up() {
    let (Some(database_url), Some(amqp_url)) = (server_url("MAHNWERK_TEST_DATABASE_URL"), amqp_url()) else {
        return;
    };
    let outbox = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mahnwerk"))
        .args(["bench", "pipeline", "--messages", "60", "--rounds", "1", "--json", "--outbox"])
        .arg(outbox.path())
        .env("MAHNWERK_DATABASE_URL", &database_url)
        .env("MAHNWERK_AMQP_URL", &amqp_url)
        .env("MAHNWERK_LINKS_SECRET", "bench-test-secret-bench-test-secret")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The scratch databases are named after the benchmark's process id.
    let scratch_prefix = format!("bench{}r", child.id());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed: {stderr}");
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    for key in ["raw_msgs_per_s", "intake_msgs_per_s", "delivered_per_s", "delivered_with_outcomes_per_s"] {
        let value = figures[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {figures}"));
        assert!(value.is_finite() && value > 0.0, "{key} = {value}");
    }
    // The host's CPU time per item: read from /proc/stat on Linux (ticks of 10 ms, so a run of
    // 60 messages may read zero), `null` elsewhere.
    for key in [
        "raw_host_cpu_us",
        "intake_host_cpu_us",
        "delivered_host_cpu_us",
        "delivered_with_outcomes_host_cpu_us",
    ] {
        if cfg!(target_os = "linux") {
            let value = figures[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {figures}"));
            assert!(value.is_finite() && value >= 0.0, "{key} = {value}");
        } else {
            assert!(figures[key].is_null(), "{key} = {}", figures[key]);
        }
    }
    assert_eq!((figures["messages"].as_u64(), figures["rounds"].as_u64()), (Some(60), Some(1)));
    assert_eq!(std::fs::read_dir(outbox.path()).unwrap().count(), 0, "the scratch outboxes are removed");

    let leftovers = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&database_url).await.unwrap();
        sqlx::query_scalar::<_, String>("SELECT datname FROM pg_database WHERE datname LIKE 'bench%'")
            .fetch_all(&mut connection)
            .await
            .unwrap()
    });
    assert!(leftovers.iter().all(|name| !name.starts_with(&scratch_prefix)), "{leftovers:?}");
}

/// `mahnwerk bench import`, small, on SQLite: both runs reported, every entry accounted for.
#[test]
fn a_small_import_benchmark_reports_both_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.sqlite", dir.path().display());
    let output = Command::new(env!("CARGO_BIN_EXE_mahnwerk"))
        .args(["bench", "import", "--entries", "60", "--json", "--database-url", &url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "bench failed: {}", String::from_utf8_lossy(&output.stderr));
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let runs = figures["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "60 entries is one size: {figures}");
    let report = &runs[0]["report"];
    // Per 20 entries: one debit, one unmatched, one split (two payments), the rest one payment.
    assert_eq!((report["lines"].as_u64(), report["debits_skipped"].as_u64()), (Some(57), Some(3)));
    assert_eq!((report["unmatched"].as_u64(), report["split"].as_u64()), (Some(3), Some(3)));
    assert_eq!(report["payments_recorded"].as_u64(), Some(57));
    assert_eq!(report["matched_by_amount_and_name"].as_u64(), Some(3));
    assert!(runs[0]["entries_per_s"].as_f64().unwrap() > 0.0);
}

/// `mahnwerk bench bad-input`, small, on the real PostgreSQL and RabbitMQ: every malformed
/// message of every kind dead-lettered with its reason and recorded, every valid one stored once,
/// the changed duplicates not applied, no panic, and the intake's memory read.
#[test]
fn a_small_bad_input_benchmark_accounts_for_every_message() {
    let (Some(database_url), Some(amqp_url)) = (server_url("MAHNWERK_TEST_DATABASE_URL"), amqp_url()) else {
        return;
    };
    let child = Command::new(env!("CARGO_BIN_EXE_mahnwerk"))
        .args(["bench", "bad-input", "--malformed", "220", "--valid", "50", "--json"])
        .env("MAHNWERK_DATABASE_URL", &database_url)
        .env("MAHNWERK_AMQP_URL", &amqp_url)
        .env("MAHNWERK_LINKS_SECRET", "bench-test-secret-bench-test-secret")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let scratch = format!("badinput{}", child.id());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("one JSON object; stderr: {stderr}"));
    assert!(output.status.success(), "checks failed: {figures}\n{stderr}");
    let count = |key: &str| figures[key].as_i64().unwrap_or_else(|| panic!("{key} missing in {figures}"));
    // 220 malformed messages in 11 kinds, 20 each; the changed duplicates are not malformed.
    assert_eq!(count("expected_rejections"), 200, "{figures}");
    assert_eq!(count("panics"), 0);
    assert_eq!(count("dead_lettered"), 200);
    assert_eq!(count("dead_lettered_with_reason"), 200);
    assert_eq!(count("rejections_recorded"), 200);
    assert_eq!(count("invoices_stored"), 50);
    assert_eq!(count("changed_by_duplicates"), 0);
    let kinds = figures["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 12, "valid and eleven malformed kinds: {figures}");
    for kind in kinds {
        let (name, sent, dead) = (
            kind["kind"].as_str().unwrap(),
            kind["sent"].as_u64().unwrap(),
            kind["dead_lettered"].as_u64().unwrap(),
        );
        match name {
            "valid" => assert_eq!((sent, dead), (50, 0)),
            "duplicate_changed" => assert_eq!((sent, dead), (20, 0)),
            _ => {
                assert_eq!((sent, dead), (20, 20), "{kind}");
                assert_eq!(kind["with_reason"].as_u64(), Some(20), "{kind}");
            }
        }
    }
    if cfg!(target_os = "linux") {
        let memory = &figures["memory"];
        for key in ["before_kib", "after_kib", "peak_kib"] {
            assert!(memory[key].as_u64().is_some_and(|kib| kib > 0), "{key}: {memory}");
        }
    }
    let leftovers = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&database_url).await.unwrap();
        sqlx::query_scalar::<_, String>("SELECT datname FROM pg_database WHERE datname = $1")
            .bind(&scratch)
            .fetch_all(&mut connection)
            .await
            .unwrap()
    });
    assert!(leftovers.is_empty(), "the scratch database is dropped: {leftovers:?}");
}
