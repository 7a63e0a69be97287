//! `mahnwerk bench console` as a user runs it, small, on the real PostgreSQL: every route of the
//! load is reported with requests and none failed, every filter combination of the case list
//! was asked, the conditions are printed, and the scratch database is gone afterwards. (How fast
//! the console is, is the benchmark's business, not a test's.)

use crate::support;

use std::process::{Command, Stdio};
use support::servers::server_url;

#[test]
fn a_small_console_benchmark_asks_every_route_and_cleans_up() {
    let Some(database_url) = server_url("MAHNWERK_TEST_DATABASE_URL") else {
        return;
    };
    let child = Command::new(env!("CARGO_BIN_EXE_mahnwerk"))
        .args(["bench", "console", "--cases", "3000", "--tenants", "3", "--requests", "480"])
        .args(["--concurrency", "4", "--json"])
        .env("MAHNWERK_DATABASE_URL", &database_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let scratch = format!("mahnwerk_bench_console_{}", child.id());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("one JSON object; stderr: {stderr}"));
    assert!(output.status.success(), "bench failed: {figures}\n{stderr}");

    let routes = figures["routes"].as_array().expect("routes");
    let labels: Vec<&str> = routes.iter().filter_map(|r| r["route"].as_str()).collect();
    assert_eq!(
        labels,
        [
            "GET /api/v1/cases?…",
            "GET /console/cases?…",
            "GET /api/v1/cases/{id}",
            "GET /console/cases/{id}",
            "GET /api/v1/stats",
            "GET /console",
            "GET /healthz"
        ]
    );
    for route in routes {
        let requests = route["requests"].as_u64().unwrap();
        assert!(requests > 0, "no requests: {route}");
        assert_eq!(route["failed"].as_u64(), Some(0), "{route}");
        for key in ["p50_ms", "p99_ms", "max_ms", "per_s"] {
            assert!(route[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {route}");
        }
    }
    let target = |label: &str| routes.iter().find(|r| r["route"] == label).unwrap()["target_p99_ms"].as_f64();
    assert_eq!((target("GET /api/v1/cases?…"), target("GET /console/cases/{id}")), (Some(50.0), Some(50.0)));
    assert_eq!((target("GET /console"), target("GET /healthz")), (Some(200.0), None));
    let filters = figures["list_filters"].as_array().expect("list_filters");
    assert_eq!(filters.len(), 12, "{figures}");
    assert!(filters.iter().all(|f| f["requests"].as_u64() > Some(0)), "every filter asked: {figures}");
    assert_eq!(figures["failed"].as_u64(), Some(0));

    let conditions = &figures["conditions"];
    assert_eq!((conditions["cases"].as_u64(), conditions["tenants"].as_u64()), (Some(3000), Some(3)));
    assert_eq!(conditions["requests"].as_u64(), Some(480));
    assert!(conditions["reminders"].as_i64() > Some(3000), "some reminders per case: {conditions}");
    assert!(conditions["payments"].as_i64() > Some(0) && conditions["events"].as_i64() > Some(0));
    assert_eq!(conditions["database"].as_str(), Some(scratch.as_str()));
    assert!(["debug", "release"].contains(&conditions["build_profile"].as_str().unwrap()));

    let left = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&database_url).await.unwrap();
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_database WHERE datname = $1")
            .bind(&scratch)
            .fetch_one(&mut connection)
            .await
            .unwrap()
    });
    assert_eq!(left, 0, "the scratch database {scratch} is dropped");
}
