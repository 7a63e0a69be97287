//! What the pay-page shows for one signed link: the case of the link's reminder, with what is
//! owed, the debtor as addressed, and whether a promise or a dispute is open.

use super::rows::{case_state, corrupt, decimal, money};
use super::StoreError;
use crate::domain::{CaseState, DebtorKind, InvoiceNumber, Money, TenantId};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The case behind a pay-link.
#[derive(Debug, Clone, PartialEq)]
pub struct PayCase {
    /// The reminder whose link was followed.
    pub reminder_id: i64,
    pub case_id: i64,
    pub state: CaseState,
    pub tenant: TenantId,
    pub invoice_number: InvoiceNumber,
    pub due_on: NaiveDate,
    pub amount_due: Money,
    pub amount_paid: Decimal,
    /// The fee the latest sent reminder asked for (0 before one was sent).
    pub fee: Decimal,
    pub debtor_name: String,
    pub debtor_kind: DebtorKind,
    /// The debtor's language tag as stored (`de`, `de-AT`, …).
    pub language: String,
    /// The debtor's time zone: their "today" bounds a promised date.
    pub timezone: chrono_tz::Tz,
    pub debtor_email: Option<String>,
    /// The date of the open promise to pay, if any.
    pub promised_on: Option<NaiveDate>,
    /// Whether a dispute is open.
    pub disputed: bool,
    /// The open instalment plan, if any.
    pub instalments: Option<super::tx::InstalmentPlan>,
    /// What the recommendation hook chose for the debtor after the case was paid (best first).
    pub recommendations: Vec<crate::runtime::RecommendedItem>,
}

impl PayCase {
    /// A made-up case, for checking templates when they are loaded.
    pub fn sample() -> Self {
        use crate::domain::Currency;
        let eur = Currency::parse("EUR").expect("EUR is a currency");
        PayCase {
            reminder_id: 0,
            case_id: 0,
            state: CaseState::Reminding,
            tenant: TenantId::parse("sample").expect("a valid tenant id"),
            invoice_number: InvoiceNumber::parse("RE-2026-0001").expect("a valid invoice number"),
            due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("a valid date"),
            amount_due: Money::new(Decimal::new(12_990, 2), eur),
            amount_paid: Decimal::new(2_000, 2),
            fee: Decimal::new(500, 2),
            debtor_name: "Erika Mustermann".into(),
            debtor_kind: DebtorKind::Consumer,
            language: "de".into(),
            timezone: chrono_tz::Europe::Berlin,
            debtor_email: Some("erika@example.org".into()),
            promised_on: Some(NaiveDate::from_ymd_opt(2026, 11, 20).expect("a valid date")),
            disputed: false,
            instalments: None,
            recommendations: Vec::new(),
        }
    }

    /// What is left of the invoice's principal (never negative).
    pub fn open_principal(&self) -> Decimal {
        (self.amount_due.amount() - self.amount_paid).max(Decimal::ZERO)
    }

    /// What settles the case today: the open principal plus the fee, nothing once it is paid.
    pub fn total_owed(&self) -> Decimal {
        let open = self.open_principal();
        if open.is_zero() {
            Decimal::ZERO
        } else {
            open + self.fee
        }
    }
}

/// The read behind [`super::Store::pay_case`]; the same on both backends.
pub(super) const PAY_CASE_SQL: &str =
    "SELECT r.id AS reminder_id, c.id AS case_id, c.state, i.tenant, i.number, i.due_on, i.currency, \
     CAST(i.amount_due AS TEXT) AS amount_due, CAST(i.amount_paid AS TEXT) AS amount_paid, \
     d.name AS debtor_name, d.kind AS debtor_kind, d.language, d.timezone, d.email AS debtor_email, \
     (SELECT CAST(x.fee AS TEXT) FROM reminders x WHERE x.case_id = c.id AND x.status = 'sent' \
      ORDER BY x.stage DESC LIMIT 1) AS fee, \
     (SELECT p.promised_on FROM promises p WHERE p.case_id = c.id AND p.state = 'open') AS promised_on, \
     (SELECT COUNT(*) FROM disputes q WHERE q.case_id = c.id AND q.resolved_at IS NULL) AS open_disputes, \
     (SELECT x.items FROM recommendations x WHERE x.case_id = c.id) AS recommendations \
     FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
     JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
     WHERE r.id = $1 AND i.tenant = $2";

#[derive(sqlx::FromRow)]
pub(super) struct PayCaseRow {
    reminder_id: i64,
    case_id: i64,
    state: String,
    tenant: String,
    number: String,
    due_on: NaiveDate,
    currency: String,
    amount_due: String,
    amount_paid: String,
    debtor_name: String,
    debtor_kind: String,
    language: String,
    timezone: String,
    debtor_email: Option<String>,
    fee: Option<String>,
    promised_on: Option<NaiveDate>,
    open_disputes: i64,
    recommendations: Option<String>,
}

impl PayCaseRow {
    pub(super) fn into_pay_case(self) -> Result<PayCase, StoreError> {
        Ok(PayCase {
            reminder_id: self.reminder_id,
            case_id: self.case_id,
            state: case_state(&self.state)?,
            tenant: TenantId::parse(&self.tenant).map_err(|e| corrupt("tenant", e))?,
            invoice_number: InvoiceNumber::parse(&self.number).map_err(|e| corrupt("invoice number", e))?,
            due_on: self.due_on,
            amount_due: money(&self.amount_due, &self.currency)?,
            amount_paid: decimal("amount paid", &self.amount_paid)?,
            fee: self.fee.as_deref().map(|fee| decimal("fee", fee)).transpose()?.unwrap_or_default(),
            debtor_name: self.debtor_name,
            debtor_kind: DebtorKind::parse(&self.debtor_kind).map_err(|e| corrupt("debtor kind", e))?,
            language: self.language,
            timezone: self.timezone.parse::<chrono_tz::Tz>().map_err(|e| corrupt("debtor timezone", e))?,
            debtor_email: self.debtor_email,
            promised_on: self.promised_on,
            disputed: self.open_disputes > 0,
            instalments: None,
            recommendations: match self.recommendations {
                Some(items) => serde_json::from_str(&items).map_err(|e| corrupt("recommended items", e))?,
                None => Vec::new(),
            },
        })
    }
}
