//! The `mahnwerk` binary as a user runs it: `enqueue` a file in the embedded mode, read the
//! result back with `stats --json`, run a small `demo`, `migrate`, export and erase a debtor.

use crate::support;

use std::process::Command;
use support::malformed::valid;

pub(crate) fn mahnwerk(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mahnwerk"));
    command
        .current_dir(dir)
        .env_remove("MAHNWERK_AMQP_URL")
        .env("MAHNWERK_DATABASE_URL", format!("sqlite://{}/cli.sqlite", dir.display()))
        .env("RUST_LOG", "warn");
    command
}

pub(crate) fn run(command: &mut Command) -> String {
    let output = command.output().expect("the binary runs");
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8 output")
}

#[test]
fn enqueue_then_stats_in_the_embedded_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..20).map(|i| valid(i).to_string()).collect();
    lines.push("{not json".into());
    lines.push(valid(3).to_string()); // a duplicate: changes nothing
    let file = dir.path().join("invoices.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();

    let summary = run(mahnwerk(dir.path()).arg("enqueue").arg(&file));
    assert!(summary.contains("published 22 messages"), "{summary}");
    assert!(summary.contains("rejected 1"), "{summary}");

    let stats: serde_json::Value =
        serde_json::from_str(&run(mahnwerk(dir.path()).args(["stats", "--json"]))).unwrap();
    assert_eq!(stats["cases"]["total"], 20);
    assert_eq!(stats["cases"]["open"], 20);
    assert_eq!(stats["intake_rejections"], 1);
    assert_eq!(stats["payments"], 0);
    assert!(stats["reminders"]["by_status"].is_object() && stats["reminders"]["by_channel"].is_object());
}

#[test]
fn a_debtor_is_exported_and_erased_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invoices.jsonl");
    std::fs::write(&file, [valid(1).to_string(), valid(2).to_string()].join("\n")).unwrap();
    run(mahnwerk(dir.path()).arg("enqueue").arg(&file));
    let export = |debtor: &str| -> serde_json::Value {
        let args = ["debtors", "export", "--tenant", "acme", "--debtor", debtor];
        serde_json::from_str(&run(mahnwerk(dir.path()).args(args))).unwrap()
    };
    let before = export("C-1");
    assert_eq!(
        (&before["debtor"]["name"], &before["debtor"]["phone"]),
        (&"Erika Mustermann".into(), &"+4915112345678".into())
    );
    assert_eq!(before["cases"][0]["case"]["invoice_number"], "RE-000001");

    let erased: serde_json::Value = serde_json::from_str(&run(
        mahnwerk(dir.path()).args(["debtors", "erase", "--tenant", "acme", "--debtor", "C-1"])
    ))
    .unwrap();
    assert_eq!((&erased["action"], &erased["actor"]), (&"debtor.erase".into(), &"cli".into()));
    let after = export("C-1");
    assert_eq!(after["debtor"]["name"], "[erased]");
    assert!(after["debtor"]["phone"].is_null() && after["debtor"]["address_line1"].is_null(), "{after}");
    assert_eq!(after["cases"][0]["case"]["amount_due"], "1234.50", "the figures stay");
    assert_eq!(export("C-2")["debtor"]["name"], "Erika Mustermann", "another debtor is untouched");

    let output = mahnwerk(dir.path())
        .args(["debtors", "export", "--tenant", "acme", "--debtor", "C-9"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("acme has no debtor C-9"), "{output:?}");
}

#[test]
fn a_bad_routing_key_is_refused_before_anything_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.jsonl");
    std::fs::write(&file, valid(1).to_string()).unwrap();
    let output = mahnwerk(dir.path())
        .arg("enqueue")
        .arg(&file)
        .args(["--routing-key", "invoice.lost"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--routing-key"));
}

#[test]
fn a_small_demo_compares_both_policies_and_fills_their_outboxes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("outbox");
    let report = run(mahnwerk(dir.path())
        .args(["demo", "--debtors", "60", "--days", "40", "--json", "--out"])
        .arg(&out));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.iter().map(|r| r["policy"].as_str().unwrap()).collect::<Vec<_>>(), ["fixed", "adaptive"]);
    for run in runs {
        let policy = run["policy"].as_str().unwrap();
        let reminders = run["stats"]["reminders"]["total"].as_u64().unwrap();
        assert!(reminders > 0, "{run}");
        assert!(run["overdue"].as_u64().unwrap() > 0);
        let out = out.join(policy);
        let emails = std::fs::read_dir(out.join("email")).map(|d| d.count()).unwrap_or(0);
        let other: usize = ["sms", "whatsapp", "messenger", "letter"]
            .iter()
            .map(|k| {
                std::fs::read_to_string(out.join(format!("{k}.jsonl")))
                    .map(|s| s.lines().count())
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!((emails + other) as u64, run["stats"]["reminders"]["by_status"]["sent"].as_u64().unwrap());
        // Every letter is also a printable PDF, with the creditor's bank details and an EPC
        // transfer referencing the invoice (the PDF itself is checked in mahnwerk-channels).
        let letters = std::fs::read_to_string(out.join("letter.jsonl")).unwrap_or_default();
        let pdfs = std::fs::read_dir(out.join("letters")).map(|d| d.count()).unwrap_or(0);
        assert_eq!(pdfs, letters.lines().count(), "{policy}");
        for line in letters.lines() {
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            let document = &line["message"]["document"];
            assert_eq!(document["bank"]["iban"], "DE89370400440532013000", "{line}");
            assert!(document["transfer"]["reference"].as_str().unwrap().starts_with("RF"), "{line}");
        }
    }
    assert_eq!(runs[0]["policy_version"], "fixed-v1");
    let adaptive_version = runs[1]["policy_version"].as_str().unwrap();
    assert!(
        adaptive_version.starts_with("bandit-v") && adaptive_version != "bandit-v0",
        "{adaptive_version}"
    );
    // Same population and invoices for both.
    assert_eq!(runs[0]["invoices"], runs[1]["invoices"]);
}

#[test]
fn migrate_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let printed = run(mahnwerk(dir.path()).arg("migrate"));
    assert!(printed.contains("migrations applied"), "{printed}");
    assert!(dir.path().join("cli.sqlite").exists());
}

#[test]
fn policy_serve_answers_thousands_of_interleaved_decides_and_late_outcomes() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mahnwerk"))
        .args(["policy", "serve", "--stdio", "--seed", "3"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut answer = String::new();
    let mut read = |answer: &mut String| -> serde_json::Value {
        answer.clear();
        output.read_line(answer).unwrap();
        serde_json::from_str(answer).unwrap_or_else(|e| panic!("{answer}: {e}"))
    };
    let mut waiting = Vec::new();
    for i in 0..2000 {
        let channels = if i % 3 == 0 { r#"["email","sms","letter"]"# } else { r#"["whatsapp","email"]"# };
        writeln!(
            input,
            r#"{{"op":"decide","id":"d{i}","debtor":"C-{}","context":{{"amount":{},"segment":"b2c","stage":{}}},"channels":{channels},"hours":[9,12,18]}}"#,
            i % 97,
            10 + i % 300,
            1 + i % 4
        )
        .unwrap();
        let v = read(&mut answer);
        assert_eq!(v["id"], format!("d{i}"));
        assert!(channels.contains(v["channel"].as_str().unwrap()), "{v}");
        assert!([9, 12, 18].contains(&v["hour"].as_u64().unwrap()), "{v}");
        waiting.push(i);
        // Outcomes arrive late and out of order: settle a decision from a while ago.
        if i % 7 == 3 && waiting.len() > 20 {
            let j = waiting.swap_remove(i % 13);
            writeln!(input, r#"{{"op":"outcome","id":"d{j}","reward":{}}}"#, j % 2).unwrap();
        }
        if i % 500 == 0 {
            writeln!(input, "this is not json").unwrap();
            assert!(read(&mut answer)["error"].is_string());
        }
    }
    writeln!(input, r#"{{"op":"flush"}}"#).unwrap();
    assert_eq!(read(&mut answer), serde_json::json!({"ok": true}));
    drop(input);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_demo_seed_gives_the_same_year_every_time() {
    // Sends run concurrently and finish in an order the threads decide; the simulated debtors
    // must still answer in one order, or the seed would not pin the outcome.
    let dir = tempfile::tempdir().unwrap();
    let year = |name: &str| {
        let out = dir.path().join(name);
        let report = run(mahnwerk(dir.path())
            .args(["demo", "--debtors", "300", "--days", "60", "--policy", "fixed", "--json", "--out"])
            .arg(&out));
        let report: serde_json::Value = serde_json::from_str(&report).unwrap();
        let run = report["runs"][0].clone();
        (run["paid_overdue"].clone(), run["payment_rate_by_quarter"].clone(), run["stats"].clone())
    };
    let first = year("first");
    assert!(first.0.as_u64().unwrap() > 0, "{first:?}");
    assert_eq!(first, year("second"));
}

/// `demo --config FILE` runs with the file's plans and says so: a plan that allows email only,
/// with no fallback, sends nothing else, and the report names the file.
#[test]
fn the_demo_runs_with_the_given_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.toml");
    std::fs::write(
        &config,
        r#"
[tenant_plans.demo-stadtwerke]
consumer = "email-only"
business = "email-only"

[[plans]]
name = "email-only"
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["email"]
[[plans.stages]]
name = "Letzte Mahnung"
wait_days = 10
tone = "firm"
channels = ["email"]

[learn]
lambda = 50
"#,
    )
    .unwrap();
    let out = dir.path().join("outbox");
    let report = run(mahnwerk(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["demo", "--debtors", "60", "--days", "40", "--policy", "fixed", "--json", "--out"])
        .arg(&out));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["configuration"], config.display().to_string());
    assert_eq!(report["lambda"], 50.0);
    let run = &report["runs"][0];
    let by_channel = run["stats"]["reminders"]["by_channel"].as_object().unwrap();
    assert!(by_channel["email"].as_u64().unwrap() > 0, "{run}");
    assert_eq!(by_channel.keys().collect::<Vec<_>>(), ["email"], "the plan allows email only: {run}");
    let by_stage = run["stats"]["reminders"]["by_stage"].as_object().unwrap();
    assert!(by_stage.keys().all(|stage| stage == "1" || stage == "2"), "two stages: {run}");

    // The last stage's emails (`rem-<case>-1`) name the deadline and what follows; the first's do not.
    let (mut last, mut first) = (0, 0);
    for entry in std::fs::read_dir(out.join("fixed").join("email")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Quoted-printable: soft line breaks joined, so the ASCII words stand whole.
        let text = std::fs::read_to_string(&path).unwrap().replace("=\r\n", "").replace("=\n", "");
        let announces = text.contains("Andernfalls") && text.contains("Inkassounternehmen");
        if name.ends_with("-1.eml") {
            assert!(announces, "{name} is a last stage without its deadline");
            last += 1;
        } else {
            assert!(!announces, "{name} is no last stage");
            first += 1;
        }
    }
    assert!(last > 0 && first > 0, "{last} last-stage and {first} first-stage emails");
}

/// A running `mahnwerk run` on a free port: the process, its log so far, the API's address, and
/// the rest of its log to read.
#[cfg(unix)]
pub(crate) struct Served {
    child: std::process::Child,
    log: String,
    pub(crate) addr: String,
    stderr: std::io::BufReader<std::process::ChildStderr>,
}

/// Starts `mahnwerk run` with `args` and `envs`, the API on a free port, and waits until the API
/// listens (every role was spawned by then, after the signal handlers were in place).
#[cfg(unix)]
fn serve(dir: &std::path::Path, envs: &[(&str, &str)], args: &[&str]) -> Served {
    serve_until(dir, envs, args, "api listening")
}

/// [`serve`], waiting for the log line that contains `listening` and an `addr=`.
#[cfg(unix)]
#[allow(clippy::zombie_processes)] // the child is waited for in `Served::terminate`
pub(crate) fn serve_until(
    dir: &std::path::Path,
    envs: &[(&str, &str)],
    args: &[&str],
    listening: &str,
) -> Served {
    use std::io::{BufRead, BufReader};
    let config = dir.join("serve.toml");
    std::fs::write(&config, "[http]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    let mut command = mahnwerk(dir);
    command.env("RUST_LOG", "info").env("NO_COLOR", "1").envs(envs.iter().copied());
    let mut child = command
        .arg("--config")
        .arg(&config)
        .arg("run")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            let status = child.wait();
            panic!("the service ended ({status:?}) before its API listened: {log}");
        }
        log.push_str(&line);
        if let (true, Some(at)) = (line.contains(listening), line.find("addr=")) {
            let addr = line[at + 5..].split_whitespace().next().unwrap().to_owned();
            return Served { child, log, addr, stderr };
        }
    }
}

#[cfg(unix)]
impl Served {
    /// Sends SIGTERM and waits for the process; returns its exit status and the rest of its log.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let killed = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let mut rest = self.log;
        std::io::Read::read_to_string(&mut self.stderr, &mut rest).unwrap();
        (self.child.wait().unwrap(), rest)
    }
}

/// `mahnwerk run` stops gracefully on SIGTERM (what docker, systemd and Kubernetes send), exiting
/// 0 and saying so; it used to handle only Ctrl-C and be killed mid-batch.
#[cfg(unix)]
#[test]
fn run_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (status, log) = serve(dir.path(), &[], &["--role", "all"]).terminate();
    assert!(status.success(), "{status:?}: {log}");
    assert!(log.contains("SIGTERM"), "{log}");
}

/// `migrate` and `stats` sign no link, so on PostgreSQL they need no `links.secret`; the roles,
/// which do, still refuse to start without one.
#[tokio::test]
async fn migrate_and_stats_need_only_the_database() {
    let Some(database) = support::servers::TestDatabase::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let with_postgres = |args: &[&str]| {
        let mut command = mahnwerk(dir.path());
        command.env("MAHNWERK_DATABASE_URL", &database.url).env_remove("MAHNWERK_LINKS_SECRET").args(args);
        command
    };
    let printed = run(&mut with_postgres(&["migrate"]));
    assert!(printed.contains("migrations applied"), "{printed}");
    let stats: serde_json::Value =
        serde_json::from_str(&run(&mut with_postgres(&["stats", "--json"]))).unwrap();
    assert_eq!(stats["cases"]["total"], 0, "{stats}");
    let refused = with_postgres(&["run", "--role", "api"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("links.secret"));
}

/// The `api` role serves with RabbitMQ unreachable: it writes only to the database, so it does
/// not connect to the broker at all (it used to retry forever and never answer `/healthz`).
#[cfg(unix)]
#[test]
fn the_api_role_serves_without_rabbitmq() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let envs = [
        // Nothing listens on port 1: a broker that is down.
        ("MAHNWERK_AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f"),
        ("MAHNWERK_LINKS_SECRET", "a-test-secret-of-enough-length"),
    ];
    let served = serve(dir.path(), &envs, &["--role", "api"]);
    let mut stream = std::net::TcpStream::connect(&served.addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (status, log) = served.terminate();
    assert!(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(status.success(), "{status:?}: {log}");
}

/// `demo --serve`: after the report the pay-page keeps running on the demo's database and the
/// report prints pay-links from the outbox, which open in a browser (here: plain HTTP) as the
/// case's page; SIGTERM stops it cleanly.
#[test]
fn the_demo_serves_the_pay_links_it_prints() {
    use std::io::{BufRead, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = mahnwerk(dir.path())
        .env("MAHNWERK_HTTP_LISTEN", format!("127.0.0.1:{port}"))
        .env("MAHNWERK_LINKS_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args(["demo", "--debtors", "80", "--days", "60", "--policy", "fixed", "--serve", "--out"])
        .arg(dir.path().join("outbox"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = Vec::new();
    let mut links = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix(&format!("http://127.0.0.1:{port}")) {
            links.push(url.split_whitespace().next().unwrap().to_owned());
        }
        let done = line.contains("none found") || (!links.is_empty() && line.trim().is_empty());
        printed.push(line);
        if done || links.len() == 5 {
            break;
        }
    }
    assert!(!links.is_empty(), "pay-links printed: {}", printed.join("\n"));
    let mut owing = 0;
    for path in &links {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{path}: {response}");
        owing += usize::from(response.contains("name=\"promised_on\""));
    }
    assert!(owing > 0, "at least one printed link asks for money: {}", printed.join("\n"));
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(child.wait().unwrap().success(), "SIGTERM stops the demo's server cleanly");
}

#[test]
fn a_super_admin_is_added_from_the_command_line_without_a_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let add = |args: &[&str]| {
        mahnwerk(dir.path())
            .args(["operators", "add"])
            .args(args)
            .env("MAHNWERK_OPERATOR_PASSWORD", "a long enough password")
            .output()
            .expect("the binary runs")
    };
    let added = add(&["--super-admin", "--email", "Root@Example.org"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(String::from_utf8_lossy(&added.stdout).contains("super-admin 1 added"));
    let again = add(&["--super-admin", "--email", "root@example.org"]);
    assert!(!again.status.success(), "one super-admin per email");
    let both = add(&["--super-admin", "--tenant", "acme", "--email", "x@example.org"]);
    assert!(!both.status.success(), "a super-admin has no tenant");
    let neither = add(&["--email", "x@example.org", "--role", "agent"]);
    assert!(!neither.status.success(), "an operator needs a tenant");
    let operator = add(&["--tenant", "acme", "--email", "x@example.org", "--role", "agent"]);
    assert!(operator.status.success(), "{}", String::from_utf8_lossy(&operator.stderr));
}
