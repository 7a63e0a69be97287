//! The analysts' commands against the service's own database: a demo run of the real pipeline
//! on SQLite exported, fitted, evaluated and drawn; and publish → hot reload → learner →
//! rollback on a real PostgreSQL (`MAHNWERK_TEST_DATABASE_URL`; skipped without it, except under
//! `CI=true`, where a missing server fails).

use mahnwerk::config::{LearnConfig, PolicyKind};
use mahnwerk::domain::ChannelKind;
use mahnwerk::learn::{AdaptivePolicy, Learner};
use mahnwerk::queue::{MemoryQueue, Topology};
use mahnwerk::runtime::ManualClock;
use mahnwerk::schedule::{DecisionRequest, Policy};
use mahnwerk::store::Store;
use serde_json::Value;
use sqlx::Connection as _;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

fn train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mahnwerk-train")).args(args).env("USER", "tester").output().unwrap()
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

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Runs the service's demo (the real pipeline on SQLite, in-process, adaptive policy) and
/// returns its database's URL.
fn demo_database(dir: &Path) -> String {
    let options = mahnwerk::demo::DemoOptions {
        debtors: 3000,
        days: 120,
        seed: 11,
        out: dir.to_owned(),
        progress: false,
        policies: vec![PolicyKind::Adaptive],
        ..Default::default()
    };
    runtime().block_on(mahnwerk::demo::run(options)).expect("the demo runs");
    format!("sqlite://{}", dir.join("adaptive").join("demo.sqlite").display())
}

/// The Parquet export, read back with the `parquet` crate's row reader: one row per exported
/// line, in the same order, each typed column equal to the JSON line's value.
fn parquet_carries_the_same_rows(url: &str, dir: &Path, exported: &[Value]) {
    use parquet::file::reader::{FileReader as _, SerializedFileReader};
    use parquet::record::Field;
    let path = dir.join("decisions.parquet");
    ok(&["export", "--database-url", url, "--out", s(&path)]);
    let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let rows: Vec<_> = reader.get_row_iter(None).unwrap().map(|row| row.unwrap()).collect();
    assert_eq!(rows.len(), exported.len(), "one row per decision");
    let micros =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().timestamp_micros();
    for (row, line) in rows.iter().zip(exported) {
        let field = |name: &str| row.get_column_iter().find(|(n, _)| n.as_str() == name).unwrap().1.clone();
        let text = |v: &Value| Field::Str(v.as_str().unwrap().to_owned());
        assert_eq!(field("id"), text(&line["id"]), "{line}");
        assert_eq!(field("channel"), text(&line["channel"]));
        assert_eq!(field("case_id"), Field::Long(line["case_id"].as_i64().unwrap()));
        assert_eq!(field("hour"), Field::Int(line["hour"].as_i64().unwrap() as i32));
        // serde_json reads a float to within one unit in the last place; Parquet keeps it exact.
        let close = |field: Field, v: &Value| match field {
            Field::Double(x) => (x - v.as_f64().unwrap()).abs() < 1e-12,
            other => panic!("{other:?} is not a double"),
        };
        assert!(close(field("propensity"), &line["propensity"]), "{line}");
        assert_eq!(field("at"), Field::TimestampMicros(micros(&line["at"])));
        let optional =
            |v: &Value, some: &dyn Fn(&Value) -> Field| if v.is_null() { Field::Null } else { some(v) };
        match field("reward") {
            Field::Null => assert!(line["reward"].is_null(), "{line}"),
            reward => assert!(close(reward, &line["reward"]), "{line}"),
        }
        assert_eq!(field("paid_at"), optional(&line["paid_at"], &|v| Field::TimestampMicros(micros(v))));
        assert_eq!(field("context_segment"), optional(&line["context"]["segment"], &text));
        let Field::Decimal(paid) = field("amount_paid") else { panic!("amount_paid is a decimal") };
        let unscaled = i128::from_be_bytes(paid.data().try_into().unwrap());
        let expected: rust_decimal::Decimal = line["amount_paid"].as_str().unwrap().parse().unwrap();
        assert_eq!(rust_decimal::Decimal::from_i128_with_scale(unscaled, 4), expected, "{line}");
    }
}

#[test]
fn export_fit_evaluate_and_report_on_a_real_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = demo_database(&dir.path().join("demo"));
    let sent: i64 = runtime().block_on(async {
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM reminders WHERE sent_at IS NOT NULL")
            .fetch_one(&mut db)
            .await
            .unwrap()
    });
    assert!(sent > 50, "the demo sent {sent} reminders");

    let log = dir.path().join("decisions.jsonl");
    ok(&["export", "--database-url", &url, "--out", s(&log)]);
    let exported = lines(&log);
    assert_eq!(exported.len() as i64, sent, "one line per sent reminder");
    let prices = mahnwerk::config::default_costs_eur();
    let (mut paid, mut unpaid) = (0, 0);
    for line in &exported {
        let channel: ChannelKind = line["channel"].as_str().unwrap().parse().unwrap();
        assert_eq!(line["cost_eur"].as_f64(), Some(prices[&channel]), "{line}");
        let propensity = line["propensity"].as_f64().unwrap();
        assert!(propensity > 0.0 && propensity <= 1.0, "{line}");
        assert!(line["policy_version"].as_str().unwrap().starts_with("bandit-v"), "{line}");
        assert!(line["channels"].as_array().unwrap().contains(&line["channel"]), "{line}");
        match line["reward"].as_f64() {
            Some(r) if r > 0.5 => {
                paid += 1;
                // A reward of 1 means the invoice was paid in full after this reminder was sent.
                assert!(
                    line["paid_at"].is_string() && line["hours_to_pay"].as_f64().unwrap() >= 0.0,
                    "{line}"
                );
                assert_ne!(line["amount_paid"], "0", "{line}");
            }
            Some(_) => unpaid += 1,
            None => assert!(line["reward"].is_null()),
        }
    }
    assert!(paid > 0 && unpaid > 0, "{paid} paid and {unpaid} unpaid decisions");

    // The filters select, and CSV carries the same rows.
    let none = dir.path().join("none.jsonl");
    ok(&["export", "--database-url", &url, "--tenant", "nobody", "--out", s(&none)]);
    assert!(lines(&none).is_empty());
    ok(&["export", "--database-url", &url, "--since", "2030-01-01", "--out", s(&none)]);
    assert!(lines(&none).is_empty());
    let csv = dir.path().join("decisions.csv");
    ok(&["export", "--database-url", &url, "--out", s(&csv)]);
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), exported.len() + 1, "a header and one row per decision");
    assert!(csv_text.starts_with("id,reminder_id,tenant,case_id,"));
    parquet_carries_the_same_rows(&url, dir.path(), &exported);

    // The exported log is what fit and evaluate read. An adaptive policy's log concentrates on
    // the arms it likes (since the cost-aware objective, letters hardly at all), so a run of this
    // size has an effective sample size only a little above 10 for a greedy candidate (5 with
    // 1,500 debtors): evaluate refuses below the default 50, and is told to accept 10 here.
    let model = dir.path().join("model.json");
    ok(&["fit", "--log", s(&log), "--out", s(&model)]);
    let evaluation: Value = serde_json::from_str(&ok(&[
        "evaluate",
        "--log",
        s(&log),
        "--model",
        s(&model),
        "--json",
        "--bootstrap",
        "50",
        "--min-ess",
        "10",
    ]))
    .unwrap();
    assert_eq!(evaluation["n"].as_i64(), Some((paid + unpaid) as i64), "{evaluation}");
    let logged = evaluation["logged"].as_f64().unwrap();
    assert!((logged - paid as f64 / (paid + unpaid) as f64).abs() < 1e-9, "{evaluation}");

    // The report draws it, with the numbers behind each chart.
    let report = dir.path().join("report");
    ok(&["report", "--log", s(&log), "--out", s(&report)]);
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    for chart in [
        "rate_by_channel",
        "rate_by_stage",
        "heatmap_channel_hour",
        "days_to_pay",
        "channel_mix",
        "learning_curve",
        "cost_per_collected",
        "calibration",
    ] {
        let svg = std::fs::read_to_string(report.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{chart}");
        assert!(page.contains(&format!("<section id=\"{chart}\">")), "{chart} is on the page");
        let png = std::fs::read(report.join(format!("{chart}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{chart}.png is a PNG");
    }
    let overall = format!("{:.1} %", 100.0 * paid as f64 / (paid + unpaid) as f64);
    assert!(page.contains(&format!("Overall payment rate {overall}")), "the page says {overall}");

    // A broken line is named by its number and field.
    let mut text: Vec<String> = std::fs::read_to_string(&log).unwrap().lines().map(str::to_owned).collect();
    text[2] = text[2].replacen("\"hour\":", "\"hour\":\"late\",\"was\":", 1);
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, text.join("\n")).unwrap();
    let error = failure(&["report", "--log", s(&broken), "--out", s(&report)]);
    assert!(error.contains("line 3") && error.contains("`hour`"), "{error}");
    let error = failure(&["evaluate", "--log", s(&broken), "--model", s(&model)]);
    assert!(error.contains("line 3") && error.contains("`hour`"), "{error}");
}

/// A PostgreSQL database of its own, dropped at the end.
struct TestDatabase {
    url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    fn create() -> Option<Self> {
        let admin_url = match std::env::var("MAHNWERK_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("MAHNWERK_TEST_DATABASE_URL is not set, and CI=true: this test needs PostgreSQL")
            }
            _ => {
                eprintln!("skipping: MAHNWERK_TEST_DATABASE_URL is not set");
                return None;
            }
        };
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("mahnwerk_test_train_{}_{nanos}", std::process::id());
        runtime().block_on(async {
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connecting to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.unwrap();
        });
        let url = mahnwerk::bench::database_url_with_name(&admin_url, &name);
        Some(TestDatabase { url, admin_url, name })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        runtime().block_on(async {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
        });
    }
}

/// The version a scheduler's decision records.
fn decided_with(policy: &AdaptivePolicy) -> String {
    let context = serde_json::json!({"stage": 1, "segment": "b2c"}).as_object().unwrap().clone();
    let request = DecisionRequest {
        debtor: "acme/C-1",
        context: &context,
        channels: &[ChannelKind::Email, ChannelKind::Sms],
        hours: &[9, 18],
        amount: 100.0,
        last_stage: false,
    };
    policy.decide(&request).policy_version.to_string()
}

/// Two different models, fitted with the CLI on simulated logs of 2000 and 1500 decisions.
fn two_models(dir: &Path) -> (String, String) {
    let mut models = Vec::new();
    for (seed, policy, decisions) in [("1", "uniform", "2000"), ("2", "fixed", "1500")] {
        let log = dir.join(format!("sim-{seed}.jsonl"));
        let model = dir.join(format!("model-{seed}.json"));
        ok(&["simulate", "--out", s(&log), "--policy", policy, "--seed", seed, "--decisions", decisions]);
        ok(&["fit", "--log", s(&log), "--out", s(&model)]);
        models.push(s(&model).to_owned());
    }
    let b = models.pop().unwrap();
    (models.pop().unwrap(), b)
}

#[test]
fn publish_is_hot_reloaded_continued_by_the_learner_and_rolled_back_on_postgres() {
    let Some(database) = TestDatabase::create() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (model_a, model_b) = two_models(dir.path());
    let body_a = std::fs::read_to_string(&model_a).unwrap();
    let url = database.url.clone();
    let rt = runtime();
    let store: Arc<dyn Store> = rt.block_on(mahnwerk::store::open(&url)).unwrap();
    let topology = Topology::new("train-test".to_owned());
    let learner = Learner {
        store: Arc::clone(&store),
        queue: Arc::new(MemoryQueue::new(topology.clone())),
        topology,
        clock: Arc::new(ManualClock::new("2026-12-01T10:00:00Z".parse().unwrap())),
        settings: LearnConfig::default(),
    };
    // A running installation: the learner has written v1, the scheduler decides with it.
    let mut state = rt.block_on(learner.load_state()).unwrap();
    assert_eq!(rt.block_on(learner.save(&mut state)).unwrap(), 1);
    let scheduler = AdaptivePolicy::new(7, 0.0, mahnwerk::config::default_costs_eur());
    assert!(rt.block_on(scheduler.reload_from(store.as_ref())).unwrap());
    assert_eq!(decided_with(&scheduler), "bandit-v1");

    // Publish A, with the evaluation that justified it.
    let evaluation = dir.path().join("evaluation.json");
    std::fs::write(&evaluation, r#"{"dr":{"value":0.31,"ci95":[0.29,0.33]},"n":2000}"#).unwrap();
    let said = ok(&[
        "publish",
        &model_a,
        "--database-url",
        &url,
        "--note",
        "better on sms",
        "--evaluation",
        s(&evaluation),
        "--by",
        "alice",
    ]);
    assert!(said.contains("bandit-v2"), "{said}");
    // The running scheduler picks it up on its next poll, through the same reload it always uses.
    assert!(rt.block_on(scheduler.reload_from(store.as_ref())).unwrap());
    assert_eq!(decided_with(&scheduler), "bandit-v2");
    assert_eq!(rt.block_on(store.latest_policy_snapshot()).unwrap().unwrap().body, body_a);

    // The learner, before its next snapshot, continues from A instead of writing over it.
    assert!(rt.block_on(learner.adopt_published(&mut state, &[])).unwrap());
    assert_eq!(state.version, Some(2));
    // Model A learned from 2000 outcomes (B from 1500, the learner's own from none).
    assert_eq!(state.bandit().stats().updates, 2000, "the learner holds model A");
    assert!(!rt.block_on(learner.adopt_published(&mut state, &[])).unwrap(), "nothing newer");
    assert_eq!(rt.block_on(learner.save(&mut state)).unwrap(), 3);
    assert!(rt.block_on(scheduler.reload_from(store.as_ref())).unwrap());
    assert_eq!(decided_with(&scheduler), "bandit-v3");

    // Publish B, then roll back: A again, as the newest version.
    assert!(ok(&["publish", &model_b, "--database-url", &url]).contains("bandit-v4"));
    assert!(rt.block_on(scheduler.reload_from(store.as_ref())).unwrap());
    assert_eq!(decided_with(&scheduler), "bandit-v4");
    let said = ok(&["rollback", "--database-url", &url]);
    assert!(said.contains("v2") && said.contains("bandit-v5"), "{said}");
    assert!(rt.block_on(scheduler.reload_from(store.as_ref())).unwrap());
    assert_eq!(decided_with(&scheduler), "bandit-v5");
    assert_eq!(rt.block_on(store.latest_policy_snapshot()).unwrap().unwrap().body, body_a);

    // Who, when, why.
    let versions: Vec<Value> = ok(&["versions", "--database-url", &url, "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(i64, &str, &str, Option<i64>)> = versions
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["published_by"].as_str().unwrap(),
                v["note"].as_str().unwrap(),
                v["restores"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (5, "tester", "rollback to v2", Some(2)),
            (4, "tester", "", None),
            (2, "alice", "better on sms", None)
        ]
    );
    assert_eq!(versions[2]["evaluation"]["dr"]["value"], 0.31);
    assert!(ok(&["versions", "--database-url", &url])
        .contains("schedulers use bandit-v5, the newest published version"));

    // What cannot be done says why.
    assert!(failure(&["rollback", "3", "--database-url", &url]).contains("v3 was never published"));
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"not\":\"a model\"}").unwrap();
    assert!(failure(&["publish", s(&broken), "--database-url", &url]).contains("is not a model snapshot"));
    assert!(failure(&[
        "publish",
        &model_a,
        "--database-url",
        &url,
        "--evaluation",
        s(&broken).replace(".json", ".missing").as_str()
    ])
    .contains("reading"));
    drop(store);
}
