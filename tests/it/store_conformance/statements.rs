//! The claim statement of an escalated case on every backend: fixed and stored when the case
//! escalates (the engine's breakdown on the debtor's date, the reminders sent with dates and
//! channels, the payments and where they went), read back for the export only while the case is
//! escalated, filtered by tenant and time; `case.escalated` carries its sums.

use super::*;
use mahnwerk::domain::legal::DefaultGround;

/// RE-1 (100 €, 20 € paid) and RE-2 escalate after one email reminder each; returns when.
async fn escalate_two(store: &Arc<dyn Store>) -> DateTime<Utc> {
    let arrivals =
        [overdue(&invoice_for("RE-1", debtor("C-1"), eur("100.00")), t0()), overdue(&invoice("RE-2"), t0())];
    intake(store, &arrivals).await;
    // The first reminder by email on 2 March puts the debtor in default from 3 March.
    let ids = plan_reminders(
        store,
        t0(),
        &[("RE-1", ChannelKind::Email, t0() + hours(1)), ("RE-2", ChannelKind::Email, t0() + hours(1))],
    )
    .await;
    send(store, t0() + hours(2), &ids).await;
    // 20 € paid on 20 March: § 367 applies it to the interest accrued, then to the principal.
    let paid_at = at("2026-03-20T10:00:00Z");
    store.record_payment(&payment("RE-1", Some(eur("20.00")), paid_at, "part-1"), WINDOW).await.unwrap();

    let escalated_at = at("2026-04-02T08:00:00Z");
    assert_eq!(plan(store, escalated_at, &|_| CaseDecision::Escalate).await, 2);
    escalated_at
}

pub(super) async fn suite_claim_statements(store: Arc<dyn Store>, _raw: Raw) {
    let escalated_at = escalate_two(&store).await;
    let read = |tenant: Option<&str>, since: Option<DateTime<Utc>>| {
        let store = store.clone();
        let tenant = tenant.map(|t| TenantId::parse(t).unwrap());
        async move {
            let mut tx = store.begin().await.unwrap();
            let statements = tx.escalated_statements(tenant.as_ref(), since).await.unwrap();
            tx.commit().await.unwrap();
            statements
        }
    };
    let statements = read(None, None).await;
    assert_eq!(statements.len(), 2, "{statements:#?}");
    let statement = statements.iter().find(|s| s.invoice().unwrap().as_str() == "RE-1").unwrap();
    assert_eq!(statement.escalated_at, escalated_at);
    assert_eq!(statement.debtor.name, "Erika Mustermann");
    assert_eq!(statement.debtor.id.as_str(), "C-1");
    assert_eq!(statement.reminders.len(), 1);
    assert_eq!(statement.reminders[0].channel, ChannelKind::Email);
    assert_eq!(statement.reminders[0].sent_on, day(2026, 3, 2));
    let breakdown = &statement.breakdown;
    assert_eq!(breakdown.as_of, day(2026, 4, 2), "the debtor's date in Berlin");
    let claim = &breakdown.claims[0];
    let default = claim.in_default.expect("in default");
    assert_eq!((default.from, default.ground), (day(2026, 3, 3), DefaultGround::Reminder));
    assert_eq!(claim.limitation.last_day, day(2029, 12, 31), "three years from the end of 2026");
    // Interest at 1.27 % + 5 points for a consumer, act/365, rounded per period: 100.00 € from
    // 3 to 19 March (17 days) 0.29 €; the payment clears it and 19.71 € of principal; 80.29 €
    // from 20 March to 1 April (13 days) 0.18 €. No fee: the only reminder put the debtor in
    // default.
    assert_eq!(breakdown.payments.len(), 1);
    let applied = breakdown.payments[0].allocations[0].applied;
    assert_eq!(
        (applied.costs, applied.interest, applied.principal),
        (dec("0.00"), dec("0.29"), dec("19.71"))
    );
    let totals = statement.totals();
    assert_eq!(
        (totals.principal, totals.fees, totals.interest, totals.paid, totals.total),
        (dec("100.00"), dec("0.00"), dec("0.47"), dec("20.00"), dec("80.47"))
    );
    assert_eq!(totals.in_default_from, Some(day(2026, 3, 3)));

    // By time and by tenant.
    assert_eq!(read(None, Some(escalated_at)).await.len(), 2);
    assert!(read(None, Some(escalated_at + hours(1))).await.is_empty());
    assert_eq!(read(Some(TENANT), None).await.len(), 2);
    assert!(read(Some("someone-else"), None).await.is_empty());
    // A case paid after it escalated is no longer handed on.
    store.record_payment(&payment("RE-2", None, escalated_at + hours(3), "all-2"), WINDOW).await.unwrap();
    let left = read(None, None).await;
    assert_eq!(left.iter().map(|s| s.invoice().unwrap().to_string()).collect::<Vec<_>>(), ["RE-1"]);
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// `mahnwerk cases export --escalated` as a user runs it, on the embedded database: the JSON
/// array, the CSV of sums and a PDF per case that reads (pdftotext) as the statement.
#[tokio::test]
async fn cases_export_writes_json_csv_and_pdf() {
    use crate::cli::{mahnwerk, run};
    let dir = tempfile::tempdir().unwrap();
    let store =
        mahnwerk::store::open(&format!("sqlite://{}/cli.sqlite", dir.path().display())).await.unwrap();
    escalate_two(&store).await;
    drop(store);

    let json: serde_json::Value =
        serde_json::from_str(&run(mahnwerk(dir.path()).args(["cases", "export", "--escalated"]))).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2, "{json:#}");
    assert_eq!(json[0]["breakdown"]["totals"]["total"], "80.47", "{json:#}");

    let csv = run(mahnwerk(dir.path()).args(["cases", "export", "--escalated", "--format", "csv"]));
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let first = rows.records().next().unwrap().unwrap();
    let field = |name: &str| first.get(header.iter().position(|h| h == name).unwrap()).unwrap().to_owned();
    assert_eq!(
        [field("invoice_number"), field("total"), field("in_default_from"), field("reminders_sent")],
        ["RE-1", "80.47", "2026-03-03", "1"]
    );

    let out = dir.path().join("statements");
    run(mahnwerk(dir.path())
        .args(["cases", "export", "--escalated", "--format", "pdf", "--out"])
        .arg(&out)
        .args(["--since", "2026-04-02"]));
    let pdf = std::fs::read(out.join("Forderungsaufstellung-RE-1.pdf")).unwrap();
    let Some(text) = crate::email_letter::pdf_text(&pdf) else { return };
    for expected in [
        "Forderungsaufstellung zur Rechnung RE-1",
        "Erika Mustermann",
        "In Verzug seit dem 03.03.2026: Zugang der Mahnung am 02.03.2026",
        "verjährt mit Ablauf des 31.12.2029",
        "1. Mahnung am 02.03.2026 per E-Mail",
        "20.03.2026: 20,00 €, verrechnet auf Kosten 0,00 €, Zinsen 0,29 €, Hauptforderung 19,71 €",
        "80,47 €",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    save_first_page(&pdf, "claim-statement-de");
}

/// Saves `pdf` and its first page as `target/test-artefacts/screenshots/<name>.{pdf,png}`.
fn save_first_page(pdf: &[u8], name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(dir.join(name))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
