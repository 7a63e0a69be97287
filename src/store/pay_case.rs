//! What the pay-page shows for one signed link: the case of the link's reminder, with what is
//! owed, the debtor as addressed, and whether a promise or a dispute is open.

use super::rows::{case_state, corrupt, decimal, money};
use super::StoreError;
use crate::domain::legal::{
    Breakdown, CaseClaim, Germany, InDefault, LegalError, ReceivedPayment, SentReminder,
};
use crate::domain::{CaseState, DebtorKind, InvoiceNumber, Money, PaymentTerms, TenantId};
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
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub terms: PaymentTerms,
    /// The default date the case stores, once fixed.
    pub default_on: Option<InDefault>,
    pub amount_due: Money,
    pub amount_paid: Decimal,
    /// The reminders sent for the case and the payments received, for what is owed.
    pub sent: Vec<SentReminder>,
    pub payments: Vec<ReceivedPayment>,
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
            issued_on: NaiveDate::from_ymd_opt(2026, 10, 18).expect("a valid date"),
            due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("a valid date"),
            terms: PaymentTerms::default(),
            default_on: None,
            amount_due: Money::new(Decimal::new(12_990, 2), eur),
            amount_paid: Decimal::new(2_000, 2),
            sent: vec![
                SentReminder {
                    stage: 0,
                    channel: crate::domain::ChannelKind::Email,
                    sent_on: NaiveDate::from_ymd_opt(2026, 11, 3).expect("a valid date"),
                    fee: Decimal::ZERO,
                },
                SentReminder {
                    stage: 1,
                    channel: crate::domain::ChannelKind::Letter,
                    sent_on: NaiveDate::from_ymd_opt(2026, 11, 10).expect("a valid date"),
                    fee: Decimal::new(250, 2),
                },
            ],
            payments: vec![ReceivedPayment {
                received_on: NaiveDate::from_ymd_opt(2026, 11, 12).expect("a valid date"),
                amount: Decimal::new(2_000, 2),
                reduces_principal: false,
            }],
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

    /// The case as the legal engine sees it.
    pub fn claim(&self) -> CaseClaim {
        CaseClaim {
            invoice: self.invoice_number.clone(),
            debtor: self.debtor_kind,
            currency: self.amount_due.currency(),
            principal: self.amount_due.amount(),
            issued_on: self.issued_on,
            due_on: self.due_on,
            due_by_calendar: self.terms.due_by_calendar,
            states_30_day_rule: self.terms.states_30_day_rule,
            reminders: self.sent.clone(),
            payments: self.payments.clone(),
            default_on: self.default_on,
        }
    }

    /// What the case owes on `today` under `law`, line by line.
    pub fn owed(&self, law: &Germany, today: NaiveDate) -> Result<Breakdown, LegalError> {
        self.claim().owed(law, today)
    }

    /// What settles the case on `today`: principal, fees and interest less what was paid, nothing
    /// once the invoice itself is paid (the case is closed then). Should the engine refuse the
    /// stored facts, the open principal, with a warning.
    pub fn total_owed(&self, law: &Germany, today: NaiveDate) -> Decimal {
        let open = self.open_principal();
        if open.is_zero() {
            return Decimal::ZERO;
        }
        match self.owed(law, today) {
            Ok(owed) => owed.totals.total.max(open),
            Err(e) => {
                tracing::warn!(case = self.case_id, error = %e, "what is owed cannot be computed; asking for the principal");
                open
            }
        }
    }
}

/// The read behind [`super::Store::pay_case`]; the same on both backends.
pub(super) const PAY_CASE_SQL: &str =
    "SELECT r.id AS reminder_id, c.id AS case_id, c.state, i.tenant, i.number, i.issued_on, i.due_on, \
     i.due_by_calendar, i.states_30_day_rule, c.default_on, c.default_ground, i.currency, \
     CAST(i.amount_due AS TEXT) AS amount_due, CAST(i.amount_paid AS TEXT) AS amount_paid, \
     d.name AS debtor_name, d.kind AS debtor_kind, d.language, d.timezone, d.email AS debtor_email, \
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
    issued_on: NaiveDate,
    due_on: NaiveDate,
    due_by_calendar: bool,
    states_30_day_rule: bool,
    default_on: Option<NaiveDate>,
    default_ground: Option<String>,
    currency: String,
    amount_due: String,
    amount_paid: String,
    debtor_name: String,
    debtor_kind: String,
    language: String,
    timezone: String,
    debtor_email: Option<String>,
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
            issued_on: self.issued_on,
            due_on: self.due_on,
            terms: PaymentTerms {
                due_by_calendar: self.due_by_calendar,
                states_30_day_rule: self.states_30_day_rule,
            },
            default_on: super::rows::stored_default(self.default_on, self.default_ground.as_deref())?,
            amount_due: money(&self.amount_due, &self.currency)?,
            amount_paid: decimal("amount paid", &self.amount_paid)?,
            sent: Vec::new(),
            payments: Vec::new(),
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
