//! `mahnwerk-train fit` as an analyst runs it: a decision log in, a snapshot out that the policy
//! server loads, and a clear error for a broken line.

use mahnwerk_models::bandit::{Bandit, Context, Request, Snapshot};
use std::process::Command;

fn train() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mahnwerk-train"))
}

/// A log in which email at 10:00 gets paid far more often than SMS at 18:00.
fn log() -> String {
    let mut lines = Vec::new();
    for i in 0..600 {
        let (channel, hour, paid) =
            if i % 2 == 0 { ("email", 10, i % 3 != 0) } else { ("sms", 18, i % 17 == 0) };
        lines.push(format!(
            r#"{{"at":"2026-11-01T10:00:00Z","debtor":"C-{}","context":{{"segment":"b2c","stage":1}},"channel":"{channel}","hour":{hour},"propensity":0.5,"reward":{},"policy_version":"fixed-v1"}}"#,
            i % 50,
            u8::from(paid)
        ));
    }
    lines.push(r#"{"debtor":"C-1","context":{},"channel":"email","hour":10,"reward":null}"#.into());
    lines.join("\n")
}

#[test]
fn fit_writes_a_snapshot_that_prefers_what_got_paid() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, out) = (dir.path().join("decisions.jsonl"), dir.path().join("model.json"));
    std::fs::write(&log_path, log()).unwrap();
    for warm_start in [false, true] {
        let mut command = train();
        command.args(["fit", "--log"]).arg(&log_path).arg("--out").arg(&out);
        if warm_start {
            command.arg("--warm-start");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(printed.contains("read 601 decisions, learned from 600"), "{printed}");

        let snapshot: Snapshot = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let mut bandit = Bandit::from_snapshot(snapshot, 1).unwrap();
        let context = Context::new().cat("segment", "b2c").num("stage", 1.0);
        let channels = ["email", "sms"];
        let hours = [10, 18];
        let request = Request::new(&context, &channels, &hours);
        let estimates = bandit.estimates(&request).unwrap();
        let email_10 =
            estimates.iter().find(|e| (e.channel_index, e.hour) == (0, 10)).map(|e| e.p_pay).unwrap();
        let sms_18 =
            estimates.iter().find(|e| (e.channel_index, e.hour) == (1, 18)).map(|e| e.p_pay).unwrap();
        assert!(
            email_10 > sms_18 + 0.2,
            "warm start {warm_start}: email@10 {email_10:.2} vs sms@18 {sms_18:.2}"
        );
    }
}

#[test]
fn a_broken_line_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, out) = (dir.path().join("decisions.jsonl"), dir.path().join("model.json"));
    std::fs::write(
        &log_path,
        format!("{}\n{{\"channel\":\"email\",\"hour\":\"ten\",\"reward\":1}}\n", log()),
    )
    .unwrap();
    let output = train().args(["fit", "--log"]).arg(&log_path).arg("--out").arg(&out).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 602"), "{stderr}");
    assert!(!out.exists());
}
