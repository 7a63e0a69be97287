//! Bank lines that name no invoice, on every backend: from a payer whose IBAN the creditor stored
//! for one debtor, applied to that debtor's open invoices in the order of § 366 (2) BGB (one
//! payment per invoice, hand-computed), the rest of an overpayment kept for review, a re-import
//! that books nothing; an IBAN two debtors share, and a payer known by name only, left unmatched.

use crate::support::db::{self, Raw};
use crate::support::rules::Rules;
use chrono::{NaiveDate, Utc};
use mahnwerk::config::payments::CsvLayout;
use mahnwerk::domain::legal::Germany;
use mahnwerk::domain::{
    AttributionWindow, CaseState, Currency, Debtor, DebtorId, DebtorKind, Invoice, InvoiceNumber, Language,
    Money, PaymentTerms, PlanName, TenantId, Timezone,
};
use mahnwerk::intake::IntakeCommand;
use mahnwerk::pay::import::{
    import_lines, statement_lines, unmatched, ImportOptions, ImportReport, InvoicePart, UnnamedApplied,
};
use mahnwerk::store::bank::BankLineStatus;
use mahnwerk::store::console::TimelinePayment;
use mahnwerk::store::Store;
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;

const TENANT: &str = "acme";
const ERIKA: &str = "DE02100100100006820101";
const PAUL: &str = "DE12500105170648489890";
const SCHULZ: &str = "DE27100777770209299700";

fn dec(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// An invoice issued 1 October 2026 to consumer `debtor` (named `name`, with `iban`).
fn overdue(
    number: &str,
    amount: &str,
    due_on: NaiveDate,
    terms: PaymentTerms,
    debtor: (&str, &str, Option<&str>),
) -> IntakeCommand {
    let (id, name, iban) = debtor;
    let invoice = Invoice {
        tenant: tenant(),
        number: InvoiceNumber::parse(number).unwrap(),
        issued_on: day(10, 1),
        due_on,
        amount_due: Money::parse(amount, Currency::parse("EUR").unwrap()).unwrap(),
        terms,
        lines: Vec::new(),
        debtor: Debtor {
            id: DebtorId::parse(id).unwrap(),
            kind: DebtorKind::Consumer,
            name: name.into(),
            contact_person: None,
            language: Language::parse("de").unwrap(),
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            email: None,
            phone: None,
            whatsapp: None,
            whatsapp_opt_in: false,
            messenger_psid: None,
            address: None,
            iban: iban.map(str::to_owned),
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

/// Erika (C-1) owes three invoices, Paul (C-2) one; Anna (C-3) and Bernd (C-4) Schulz share an
/// account; Max (C-5) gave none.
async fn take_in(store: &Arc<dyn Store>) {
    let plain = PaymentTerms::default();
    let calendar = PaymentTerms { due_by_calendar: true, ..PaymentTerms::default() };
    let erika = ("C-1", "Erika Mustermann", Some(ERIKA));
    let commands = vec![
        // Not yet due on 10 November.
        overdue("RE-2026-0203", "500.00", day(12, 1), plain, erika),
        // Due 15 October, no calendar date, no reminder: due, not in default.
        overdue("RE-2026-0202", "200.00", day(10, 15), plain, erika),
        // Payable by the calendar date 31 October: in default from 1 November.
        overdue("RE-2026-0201", "300.00", day(10, 31), calendar, erika),
        overdue("RE-2026-0204", "100.00", day(10, 15), plain, ("C-2", "Paul Beispiel", Some(PAUL))),
        overdue("RE-2026-0205", "50.00", day(10, 15), plain, ("C-3", "Anna Schulz", Some(SCHULZ))),
        overdue("RE-2026-0206", "70.00", day(10, 15), plain, ("C-4", "Bernd Schulz", Some(SCHULZ))),
        overdue("RE-2026-0207", "42.00", day(10, 15), plain, ("C-5", "Max Mustermann", None)),
    ];
    store.apply_intake(&commands).await.expect("intake");
}

/// Four transfers of 10 November 2026 naming no invoice.
const STATEMENT: &str =
    "Buchungstag;Verwendungszweck;Name Zahlungsbeteiligter;IBAN Zahlungsbeteiligter;Betrag;Waehrung
10.11.2026;Danke fuer die Geduld;Erika Mustermann;DE02 1001 0010 0006 8201 01;400,00;EUR
10.11.2026;Zahlung;Paul Beispiel;DE12500105170648489890;130,00;EUR
10.11.2026;Zahlung;Familie Schulz;DE27100777770209299700;50,00;EUR
10.11.2026;Zahlung;Max Mustermann;;40,00;EUR";

async fn import(store: &Arc<dyn Store>, file: &Path) -> ImportReport {
    let lines =
        statement_lines(std::fs::File::open(file).unwrap(), file, None, &CsvLayout::default()).unwrap();
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

async fn payments_of(store: &Arc<dyn Store>, number: &str) -> Vec<TimelinePayment> {
    let view = store.case_by_invoice(TENANT, number).await.unwrap().unwrap_or_else(|| panic!("{number}"));
    let mut tx = store.begin().await.unwrap();
    tx.case_history(&tenant(), view.case_id).await.unwrap().payments
}

fn part(invoice: &str, amount: &str) -> InvoicePart {
    InvoicePart { invoice: invoice.into(), amount: dec(amount) }
}

async fn suite_366(store: Arc<dyn Store>, _raw: Raw) {
    take_in(&store).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("umsaetze.csv");
    std::fs::write(&file, STATEMENT).unwrap();
    let report = import(&store, &file).await;

    let mut tx = store.begin().await.unwrap();
    let matched = tx.bank_lines(&tenant(), BankLineStatus::Matched).await.unwrap();
    drop(tx);
    let key_of = |invoices: &str| {
        matched
            .iter()
            .find(|l| l.invoices.as_deref() == Some(invoices))
            .unwrap_or_else(|| panic!("{matched:?}"))
            .line_key
            .clone()
    };
    let (erika, paul) = (key_of("RE-2026-0201,RE-2026-0202"), key_of("RE-2026-0204"));
    assert!(matched.iter().all(|l| l.matched_by.as_deref() == Some("payer_iban")), "{matched:?}");
    // Erika's 400.00 (§ 366 (2)): RE-0201 first, due and in default (interest 1 - 9 November,
    // 300 x 6.27 % x 9 / 365 = 0.4638 -> 0.46, so 300.46); RE-0202, due, the rest 99.54;
    // RE-0203, not yet due, nothing. Paul's 130.00: RE-0204 takes 100.00, 30.00 is left.
    let expected = ImportReport {
        lines: 4,
        applied_by_366_2: 2,
        applied_by_366_2_lines: vec![
            UnnamedApplied {
                line_key: erika.clone(),
                debtor: "C-1".into(),
                paid: vec![part("RE-2026-0201", "300.46"), part("RE-2026-0202", "99.54")],
                rest: dec("0"),
            },
            UnnamedApplied {
                line_key: paul.clone(),
                debtor: "C-2".into(),
                paid: vec![part("RE-2026-0204", "100.00")],
                rest: dec("30.00"),
            },
        ],
        unmatched: 2,
        payments_recorded: 3,
        ..ImportReport::default()
    };
    assert_eq!(report, expected);
    assert!(report.to_string().contains("applied by § 366 (2):       2"), "{report}");

    assert_eq!(case(&store, "RE-2026-0201").await, (CaseState::Paid, dec("300.46")));
    let (state, paid) = case(&store, "RE-2026-0202").await;
    assert!(matches!(state, CaseState::Open | CaseState::Reminding), "{state:?}");
    assert_eq!(paid, dec("99.54"));
    assert_eq!(case(&store, "RE-2026-0203").await.1, dec("0"));
    assert_eq!(case(&store, "RE-2026-0204").await, (CaseState::Paid, dec("100")));
    for number in ["RE-2026-0205", "RE-2026-0206", "RE-2026-0207"] {
        assert_eq!(case(&store, number).await.1, dec("0"), "{number}");
    }
    // One payment per invoice, under the line's key and the invoice; its parts (§ 367) stored
    // as chosen by § 366 (2).
    let first = payments_of(&store, "RE-2026-0201").await;
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].source.as_str(), &first[0].reference), ("bank", &format!("{erika}/RE-2026-0201")));
    let a = &first[0].allocations;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        (a[0].rule.as_str(), a[0].costs, a[0].interest, a[0].principal),
        ("due_first", dec("0"), dec("0.46"), dec("300"))
    );
    let second = payments_of(&store, "RE-2026-0202").await;
    assert_eq!(second[0].reference, format!("{erika}/RE-2026-0202"));
    assert_eq!(
        (second[0].allocations[0].rule.as_str(), second[0].allocations[0].principal),
        ("due_first", dec("99.54"))
    );

    // Kept for review: the Schulzes' line with its reason, Max's line (a name identifies no
    // one), and the rest of Paul's.
    let mut waiting = unmatched::unmatched(store.as_ref(), &tenant()).await.unwrap();
    // Chunks in flight together commit in either order: by amount.
    waiting.sort_by_key(|line| std::cmp::Reverse(line.amount));
    let seen: Vec<(Decimal, Option<&str>)> =
        waiting.iter().map(|l| (l.amount, l.debtor_name.as_deref())).collect();
    assert_eq!(
        seen,
        [
            (dec("50"), Some("Familie Schulz")),
            (dec("40"), Some("Max Mustermann")),
            (dec("30"), Some("Paul Beispiel"))
        ]
    );
    let note = waiting[0].note.as_deref().unwrap_or_default();
    assert!(note.contains("stored for 2 debtors (C-3, C-4)"), "{note}");
    assert_eq!(waiting[1].note, None);
    assert_eq!(waiting[2].line_key, format!("{paul}/rest"));
    let rest = waiting[2].note.as_deref().unwrap_or_default();
    assert!(rest.contains("paid RE-2026-0204 100.00 under § 366 (2) BGB"), "{rest}");
    assert!(unmatched::table(&waiting).contains("stored for 2 debtors"));

    // The same statement again books nothing.
    let payments = store.stats().await.unwrap().payments;
    assert_eq!(payments, 3);
    let again = import(&store, &file).await;
    assert_eq!(again, ImportReport { lines: 4, duplicates_skipped: 4, ..ImportReport::default() });
    assert_eq!(store.stats().await.unwrap().payments, payments);
    assert_eq!(case(&store, "RE-2026-0202").await.1, dec("99.54"));
    assert_eq!(unmatched::unmatched(store.as_ref(), &tenant()).await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_naming_no_invoice_is_applied_by_section_366_2_to_its_payer_s_debts() {
    let stores = db::stores().await;
    db::run_suite(&stores, "suite_366", suite_366).await;
}
