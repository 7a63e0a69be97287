//! Bank statement import on every backend: the fixtures in `tests/fixtures/bank/` (camt.053
//! 001.02 and 001.08, a German CSV export) against invoices taken in through intake, matched by
//! RF reference, invoice number and amount plus name; partial, split and overpaid payments; the
//! unmatched line kept and assigned by hand; a re-import that changes nothing; bad input that
//! stops with the line named and keeps what came before.

use crate::cli::{mahnwerk, run};
use crate::support::db::{self, Raw};
use crate::support::rules::Rules;
use chrono::{NaiveDate, Utc};
use mahnwerk::config::payments::CsvLayout;
use mahnwerk::domain::legal::Germany;
use mahnwerk::domain::{
    AttributionWindow, CaseState, Currency, Debtor, DebtorId, DebtorKind, Invoice, InvoiceNumber, Language,
    Money, PlanName, TenantId, Timezone,
};
use mahnwerk::intake::IntakeCommand;
use mahnwerk::pay::import::{import_lines, statement_lines, unmatched, Format, ImportOptions, ImportReport};
use mahnwerk::store::bank::BankLineStatus;
use mahnwerk::store::console::TimelinePayment;
use mahnwerk::store::Store;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const TENANT: &str = "acme";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank").join(name)
}

fn dec(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

/// The invoices the fixtures pay: (number, amount due, debtor's name).
const INVOICES: &[(&str, &str, &str)] = &[
    ("RE-2026-0101", "250.00", "Erika Mustermann"),
    ("RE-2026-0102", "400.00", "Jürgen Müller"),
    ("RE-2026-0103", "120.00", "Hans Groß & Söhne GmbH"),
    ("RE-2026-0104", "80.00", "Hans Groß & Söhne GmbH"),
    ("RE-2026-0105", "99.90", "Zoë Lefèvre"),
    ("RE-2026-0106", "60.00", "Karl Becker"),
    ("RE-2026-0107", "310.00", "Petra Schmidt"),
    ("RE-2026-0108", "42.00", "Max Mustermann"),
];

fn overdue(number: &str, amount: &str, name: &str, i: usize) -> IntakeCommand {
    let eur = Currency::parse("EUR").unwrap();
    let invoice = Invoice {
        tenant: tenant(),
        number: InvoiceNumber::parse(number).unwrap(),
        issued_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        due_on: NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
        amount_due: Money::parse(amount, eur).unwrap(),
        terms: Default::default(),
        lines: Vec::new(),
        debtor: Debtor {
            id: DebtorId::parse(&format!("C-{i}")).unwrap(),
            kind: DebtorKind::Consumer,
            name: name.into(),
            language: Language::parse("de").unwrap(),
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            email: None,
            phone: None,
            whatsapp: None,
            whatsapp_opt_in: false,
            messenger_psid: None,
            contact_person: None,
            address: None,
            iban: None,
            unreachable: Default::default(),
        },
        plan: None,
    };
    IntakeCommand::Overdue {
        invoice,
        plan: PlanName::parse("standard-b2c").unwrap(),
        received_at: Utc::now(),
        marketing_consent: None,
    }
}

/// The fixtures' invoices, taken in through intake.
async fn take_in(store: &Arc<dyn Store>) {
    let commands: Vec<IntakeCommand> =
        INVOICES.iter().enumerate().map(|(i, (n, a, d))| overdue(n, a, d, i)).collect();
    store.apply_intake(&commands).await.expect("intake");
}

async fn import(store: &Arc<dyn Store>, file: &Path, format: Option<Format>) -> ImportReport {
    let input = std::fs::File::open(file).unwrap();
    let lines = statement_lines(input, file, format, &CsvLayout::default()).unwrap();
    // Small chunks, two at a time: the chunks' transactions overlap on PostgreSQL.
    let options = ImportOptions {
        tenant: tenant(),
        window: AttributionWindow::default(),
        law: Germany::default(),
        chunk: 3,
        workers: 2,
    };
    import_lines(store.as_ref(), lines, &options, Utc::now()).await.expect("import")
}

async fn case(store: &Arc<dyn Store>, number: &str) -> (CaseState, Decimal) {
    let view = store.case_by_invoice(TENANT, number).await.unwrap().unwrap_or_else(|| panic!("{number}"));
    (view.state, view.amount_paid)
}

/// The payments of the case of invoice `number`, as the console's timeline shows them.
async fn payments_of(store: &Arc<dyn Store>, number: &str) -> Vec<TimelinePayment> {
    let view = store.case_by_invoice(TENANT, number).await.unwrap().unwrap_or_else(|| panic!("{number}"));
    let mut tx = store.begin().await.unwrap();
    tx.case_history(&tenant(), view.case_id).await.unwrap().payments
}

/// Every payment of the tenant's invoices.
async fn every_payment(store: &Arc<dyn Store>) -> Vec<TimelinePayment> {
    let mut payments = Vec::new();
    for n in 101..=108 {
        payments.extend(payments_of(store, &format!("RE-2026-0{n}")).await);
    }
    payments
}

/// The tenant's stored bank lines, whatever became of them.
async fn line_count(store: &Arc<dyn Store>) -> usize {
    let mut tx = store.begin().await.unwrap();
    let mut count = 0;
    for status in BankLineStatus::ALL {
        count += tx.bank_lines(&tenant(), status).await.unwrap().len();
    }
    count
}

/// What every fixture holds: the same eight bookings.
fn expected() -> ImportReport {
    ImportReport {
        lines: 7,
        matched_by_reference: 3,
        matched_by_invoice_number: 2,
        matched_by_amount_and_name: 1,
        applied_by_366_2: 0,
        applied_by_366_2_lines: Vec::new(),
        partial: 1,
        overpaid: 1,
        split: 1,
        unmatched: 1,
        duplicates_skipped: 0,
        debits_skipped: 1,
        payments_recorded: 7,
        credit: dec("5.00"),
        failed: None,
    }
}

async fn suite_fixture(store: Arc<dyn Store>, _raw: Raw, file: PathBuf) {
    take_in(&store).await;
    let report = import(&store, &file, None).await;
    assert_eq!(report, expected(), "{}", file.display());

    let paid = |amount: &str| (CaseState::Paid, dec(amount));
    assert_eq!(case(&store, "RE-2026-0101").await, paid("250"));
    // Partial: the case stays open and dunning goes on for the rest.
    let (state, amount_paid) = case(&store, "RE-2026-0102").await;
    assert!(matches!(state, CaseState::Open | CaseState::Reminding), "{state:?}");
    assert_eq!(amount_paid, dec("150"));
    assert_eq!(case(&store, "RE-2026-0103").await, paid("120"));
    assert_eq!(case(&store, "RE-2026-0104").await, paid("80"));
    assert_eq!(case(&store, "RE-2026-0105").await, paid("99.90"));
    // Overpaid: the whole amount recorded, the case closed, the surplus credit on the line.
    assert_eq!(case(&store, "RE-2026-0106").await, paid("65"));
    assert_eq!(case(&store, "RE-2026-0107").await, paid("310"));
    assert_eq!(case(&store, "RE-2026-0108").await.1, dec("0"));

    let mut tx = store.begin().await.unwrap();
    let matched = tx.bank_lines(&tenant(), BankLineStatus::Matched).await.unwrap();
    drop(tx);
    // By invoice: chunks in flight together commit in either order.
    let mut matched: Vec<String> = matched
        .iter()
        .map(|l| {
            format!("{}:{}:{}", l.matched_by.as_deref().unwrap(), l.invoices.as_deref().unwrap(), l.credit)
        })
        .collect();
    matched.sort_by_key(|m| m.split(':').nth(1).unwrap_or_default().to_owned());
    assert_eq!(
        matched,
        [
            "reference:RE-2026-0101:0.00",
            "reference:RE-2026-0102:0.00",
            "invoice_number:RE-2026-0103,RE-2026-0104:0.00",
            "invoice_number:RE-2026-0105:0.00",
            "reference:RE-2026-0106:5.00",
            "amount_and_name:RE-2026-0107:0.00",
        ]
    );
    let payments = every_payment(&store).await;
    assert!(payments.iter().all(|p| p.source == "bank"), "{payments:?}");
    // The split line's key with /1 and /2: one payment per invoice it named.
    let references: Vec<String> = payments.into_iter().map(|p| p.reference).collect();
    let second: Vec<&String> = references.iter().filter(|r| r.ends_with("/2")).collect();
    assert_eq!(second.len(), 1, "{references:?}");
    let key = second[0].strip_suffix("/2").unwrap();
    assert!(
        references.contains(&format!("{key}/1")) && !references.contains(&key.to_owned()),
        "{references:?}"
    );

    let waiting = unmatched::unmatched(store.as_ref(), &tenant()).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].amount, waiting[0].debtor_name.as_deref()), (dec("42"), Some("Max Unbekannt")));
    assert_eq!(waiting[0].remittance, "Mitgliedsbeitrag 2026");

    // The same file again: nothing new, not a payment, not an event, not a line.
    let counts = || async {
        (
            store.stats().await.unwrap().payments,
            store.backlog(Utc::now()).await.unwrap().events_unrelayed,
            line_count(&store).await,
        )
    };
    let before = counts().await;
    assert_eq!(before.0, 7);
    let again = import(&store, &file, None).await;
    assert_eq!(
        again,
        ImportReport { lines: 7, duplicates_skipped: 7, debits_skipped: 1, ..Default::default() },
        "re-import of {}",
        file.display()
    );
    assert_eq!(counts().await, before);
    assert_eq!(case(&store, "RE-2026-0102").await.1, dec("150"));
}

async fn run_fixture(name: &str) {
    let stores = db::stores().await;
    let file = fixture(name);
    db::run_suite(&stores, name, |store, raw| suite_fixture(store, raw, file.clone())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camt053_001_02_is_matched_split_and_kept_and_imports_once() {
    run_fixture("camt053_001_02.xml").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camt053_001_08_is_matched_split_and_kept_and_imports_once() {
    run_fixture("camt053_001_08.xml").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_german_csv_export_is_matched_split_and_kept_and_imports_once() {
    run_fixture("umsaetze.csv").await;
}

async fn suite_assign(store: Arc<dyn Store>, _raw: Raw) {
    take_in(&store).await;
    import(&store, &fixture("camt053_001_08.xml"), Some(Format::Camt053)).await;
    let line = unmatched::unmatched(store.as_ref(), &tenant()).await.unwrap().remove(0);
    let invoice = InvoiceNumber::parse("RE-2026-0108").unwrap();
    let window = AttributionWindow::default();
    let done = unmatched::assign(
        store.as_ref(),
        &tenant(),
        line.id,
        &invoice,
        window,
        &Germany::default(),
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(done.case_closed);
    assert_eq!(done.credit, dec("0"));
    assert_eq!(case(&store, "RE-2026-0108").await, (CaseState::Paid, dec("42")));
    assert!(unmatched::unmatched(store.as_ref(), &tenant()).await.unwrap().is_empty());
    let assigned = payments_of(&store, "RE-2026-0108").await;
    assert_eq!(assigned.len(), 1);
    assert_eq!((assigned[0].source.as_str(), &assigned[0].reference), ("bank", &line.line_key));
    // Assigned once: a second time is refused and changes nothing.
    let again = unmatched::assign(
        store.as_ref(),
        &tenant(),
        line.id,
        &invoice,
        window,
        &Germany::default(),
        Utc::now(),
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("assigned already"));
    let unknown = InvoiceNumber::parse("RE-9999").unwrap();
    let missing = unmatched::assign(
        store.as_ref(),
        &tenant(),
        999_999,
        &unknown,
        window,
        &Germany::default(),
        Utc::now(),
    )
    .await;
    assert!(missing.unwrap_err().to_string().contains("no bank line 999999"));
    assert_eq!(store.stats().await.unwrap().payments, 8);
    // The assigned line is a known line: a re-import does not bring it back.
    let report = import(&store, &fixture("camt053_001_08.xml"), None).await;
    assert_eq!((report.duplicates_skipped, report.unmatched), (7, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmatched_line_is_assigned_by_hand() {
    let stores = db::stores().await;
    db::run_suite(&stores, "suite_assign", suite_assign).await;
}

async fn suite_bad_amount(store: Arc<dyn Store>, _raw: Raw) {
    take_in(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("umsaetze.csv")).unwrap();
    let mut rows: Vec<String> = text.lines().map(str::to_owned).collect();
    rows[4] = rows[4].replace("200,00", "zweihundert");
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, rows.join("\n")).unwrap();
    let report = import(&store, &file, Some(Format::Csv)).await;
    assert_eq!(
        report.failed.as_deref(),
        Some("line 5: Betrag: 'zweihundert' is not an amount"),
        "{report:?}"
    );
    // The lines before it are imported; a corrected file then imports the rest only.
    assert_eq!((report.lines, report.payments_recorded), (2, 2));
    assert_eq!(line_count(&store).await, 2);
    let fixed = import(&store, &fixture("umsaetze.csv"), None).await;
    assert_eq!((fixed.duplicates_skipped, fixed.payments_recorded), (2, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_amount_stops_the_import_naming_the_line_and_keeps_the_lines_before() {
    let stores = db::stores().await;
    db::run_suite(&stores, "suite_bad_amount", suite_bad_amount).await;
}

/// The commands as an operator runs them, on the embedded default: invoices enqueued, the CSV
/// imported, the unmatched line listed and assigned.
#[test]
fn the_payments_commands_import_list_and_assign() {
    let dir = tempfile::tempdir().unwrap();
    let messages: Vec<String> = INVOICES
        .iter()
        .enumerate()
        .map(|(i, (number, amount, name))| {
            serde_json::json!({"schema": "mahnwerk.invoice.v1", "tenant": TENANT, "invoice_number": number,
                "issued_on": "2026-10-01", "due_on": "2026-10-15", "currency": "EUR", "amount_due": amount,
                "debtor": {"id": format!("C-{i}"), "kind": "consumer", "name": name, "language": "de",
                    "timezone": "Europe/Berlin", "email": "debtor@example.org"}})
            .to_string()
        })
        .collect();
    let invoices = dir.path().join("invoices.jsonl");
    std::fs::write(&invoices, messages.join("\n")).unwrap();
    run(mahnwerk(dir.path()).arg("enqueue").arg(&invoices));

    let refused =
        mahnwerk(dir.path()).args(["payments", "import"]).arg(fixture("umsaetze.csv")).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--tenant is required"), "{refused:?}");

    let csv = fixture("umsaetze.csv");
    let report: serde_json::Value = serde_json::from_str(&run(mahnwerk(dir.path())
        .args(["payments", "import", "--tenant", TENANT, "--json"])
        .arg(&csv)))
    .unwrap();
    assert_eq!((report["matched_by_reference"].as_u64(), report["unmatched"].as_u64()), (Some(3), Some(1)));

    let waiting: serde_json::Value = serde_json::from_str(&run(mahnwerk(dir.path()).args([
        "payments",
        "unmatched",
        "--json",
        "--tenant",
        TENANT,
    ])))
    .unwrap();
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    assert_eq!(waiting[0]["amount"], "42.00");
    let id = waiting[0]["id"].to_string();
    let table = run(mahnwerk(dir.path()).args(["payments", "unmatched", "--tenant", TENANT]));
    assert!(table.contains("Max Unbekannt") && table.contains("1 line(s) waiting"), "{table}");

    let assigned = run(mahnwerk(dir.path()).args([
        "payments",
        "assign",
        &id,
        "--invoice",
        "RE-2026-0108",
        "--tenant",
        TENANT,
    ]));
    assert!(assigned.contains("recorded as payment of RE-2026-0108; the case is closed"), "{assigned}");
    let stats: serde_json::Value =
        serde_json::from_str(&run(mahnwerk(dir.path()).args(["stats", "--json"]))).unwrap();
    assert_eq!(stats["payments"], 8);
}

async fn suite_one_invoice_in_many_chunks(store: Arc<dyn Store>, _raw: Raw) {
    take_in(&store).await;
    // 26 equal transfers of 10.00 for RE-2026-0101 (250.00 due), in chunks of 3, two chunks at a
    // time: every one is a payment of its own (equal lines are numbered, not merged), and the
    // chunks that share the invoice take turns.
    let header = "Buchungstag;Verwendungszweck;Name Zahlungsbeteiligter;Betrag;Waehrung";
    let line = "10.11.2026;RF56RE20260101;Erika Mustermann;10,00;EUR";
    let text = std::iter::once(header).chain(std::iter::repeat_n(line, 26)).collect::<Vec<_>>().join("\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.csv");
    std::fs::write(&file, text).unwrap();
    let report = import(&store, &file, None).await;
    assert_eq!((report.lines, report.matched_by_reference, report.payments_recorded), (26, 26, 26));
    assert_eq!((report.overpaid, report.credit), (1, dec("10")));
    assert_eq!(report.partial, 24, "{report:?}");
    assert_eq!(case(&store, "RE-2026-0101").await, (CaseState::Paid, dec("260")));
    assert_eq!(store.stats().await.unwrap().payments, 26);
    let again = import(&store, &file, None).await;
    assert_eq!((again.duplicates_skipped, again.payments_recorded), (26, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_paying_one_invoice_take_turns_and_every_equal_line_counts() {
    let stores = db::stores().await;
    db::run_suite(&stores, "suite_one_invoice_in_many_chunks", suite_one_invoice_in_many_chunks).await;
}
