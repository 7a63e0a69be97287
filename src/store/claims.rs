//! What the legal engine needs of a case beyond its invoice row: the reminders sent for it and
//! the payments received, read by case id in one keyed query each, the same SQL on both
//! backends except how a list of ids is bound (`= ANY($1)` or `IN (…)`, given as `filter`).

use super::rows::{channel, corrupt, decimal, money};
use super::{DeliveryJob, StoreError};
use crate::domain::legal::{CaseClaim, ReceivedPayment, SentReminder};
use crate::domain::{DebtorKind, InvoiceNumber};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// The invoice's columns the engine reads besides those every case read selects.
pub(super) const CLAIM_COLUMNS: &str =
    "c.id AS case_id, i.issued_on, i.due_by_calendar, i.states_30_day_rule, c.default_on, c.default_ground";

/// The invoice of the case `$1` as the engine needs it.
pub(super) const CLAIM_SQL: &str = "SELECT i.number, d.kind AS debtor_kind, i.currency, CAST(i.amount_due AS TEXT) AS amount_due, \
     i.issued_on, i.due_on, i.due_by_calendar, i.states_30_day_rule, c.default_on, c.default_ground \
     FROM cases c JOIN invoices i ON i.id = c.invoice_id JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
     WHERE c.id = $1";

/// The invoices of the cases `c.id …` (the caller appends the backend's id list) as the engine
/// needs them, keyed by case.
pub(super) const CLAIMS_SQL: &str = "SELECT c.id AS case_id, i.number, d.kind AS debtor_kind, i.currency, \
     CAST(i.amount_due AS TEXT) AS amount_due, i.issued_on, i.due_on, i.due_by_calendar, i.states_30_day_rule, \
     c.default_on, c.default_ground \
     FROM cases c JOIN invoices i ON i.id = c.invoice_id JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
     WHERE c.id";

/// A row of [`CLAIMS_SQL`].
#[derive(sqlx::FromRow)]
pub(super) struct KeyedClaimRow {
    pub(super) case_id: i64,
    #[sqlx(flatten)]
    pub(super) claim: ClaimRow,
}

#[derive(sqlx::FromRow)]
pub(super) struct ClaimRow {
    number: String,
    debtor_kind: String,
    currency: String,
    amount_due: String,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    due_by_calendar: bool,
    states_30_day_rule: bool,
    default_on: Option<NaiveDate>,
    default_ground: Option<String>,
}

impl ClaimRow {
    pub(super) fn into_claim(
        self,
        reminders: Vec<SentReminder>,
        payments: Vec<ReceivedPayment>,
    ) -> Result<CaseClaim, StoreError> {
        let principal = money(&self.amount_due, &self.currency)?;
        Ok(CaseClaim {
            invoice: InvoiceNumber::parse(&self.number).map_err(|e| corrupt("invoice number", e))?,
            debtor: DebtorKind::parse(&self.debtor_kind).map_err(|e| corrupt("debtor kind", e))?,
            currency: principal.currency(),
            principal: principal.amount(),
            issued_on: self.issued_on,
            due_on: self.due_on,
            due_by_calendar: self.due_by_calendar,
            states_30_day_rule: self.states_30_day_rule,
            reminders,
            payments,
            default_on: super::rows::stored_default(self.default_on, self.default_ground.as_deref())?,
        })
    }
}

/// The stages' reminders sent for the cases `x.case_id {filter}` (instalment reminders are none).
pub(super) fn sent_sql(filter: &str) -> String {
    format!(
        "SELECT x.case_id, x.stage, x.channel, x.sent_at, CAST(x.fee AS TEXT) AS fee FROM reminders x \
         WHERE x.status = 'sent' AND x.sent_at IS NOT NULL AND x.instalment = 0 AND x.case_id {filter}"
    )
}

/// The payments for the cases `c.id {filter}`.
pub(super) fn paid_sql(filter: &str) -> String {
    format!(
        "SELECT c.id AS case_id, p.paid_at, CAST(p.amount AS TEXT) AS amount, p.source FROM payments p \
         JOIN cases c ON c.invoice_id = p.invoice_id WHERE c.id {filter}"
    )
}

#[derive(sqlx::FromRow)]
pub(super) struct SentRow {
    case_id: i64,
    stage: i32,
    channel: String,
    sent_at: DateTime<Utc>,
    fee: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct PaidRow {
    case_id: i64,
    paid_at: DateTime<Utc>,
    amount: String,
    source: String,
}

/// The reminders sent for the cases `$sent` and the payments received for the cases `$paid`
/// (no query for an empty list), given the backend's `$in_ids` (a list of ids as `$1`) and the
/// `$ids` that binds one: the same SQL on both backends but for that.
macro_rules! read_histories {
    ($pool:expr, $sent:expr, $paid:expr, $in_ids:expr, $ids:expr) => {{
        use $crate::store::claims::{paid_sql, sent_sql, Histories, PaidRow, SentRow};
        let mut sent_rows: Vec<SentRow> = Vec::new();
        if !$sent.is_empty() {
            sent_rows = sqlx::query_as(&sent_sql($in_ids)).bind($ids($sent)).fetch_all($pool).await?;
        }
        let mut paid_rows: Vec<PaidRow> = Vec::new();
        if !$paid.is_empty() {
            paid_rows = sqlx::query_as(&paid_sql($in_ids)).bind($ids($paid)).fetch_all($pool).await?;
        }
        Histories::from_rows(sent_rows, paid_rows)
    }};
}

pub(super) use read_histories;

/// Delivery jobs from the rows of a backend's keyed read, completed the same way on both: each
/// case's reminders sent and payments received (through the backend's `histories`), and the
/// open instalment plan of each instalment reminder.
macro_rules! complete_jobs {
    ($pool:expr, $rows:expr) => {{
        let mut jobs: Vec<$crate::store::records::DeliveryJob> = $rows
            .into_iter()
            .map($crate::store::rows::DeliveryJobRow::into_job)
            .collect::<Result<_, $crate::store::StoreError>>()?;
        let (sent, paid) = $crate::store::claims::Histories::cases_of(&jobs);
        histories($pool, &sent, &paid).await?.attach(&mut jobs);
        $crate::store::same_sql_instalment_reminders::attach_plans!($pool, jobs)?;
        Ok(jobs)
    }};
}

pub(super) use complete_jobs;

/// The reminders and payments of some cases, by case id, each list in date order.
#[derive(Debug, Default)]
pub(super) struct Histories {
    sent: HashMap<i64, Vec<SentReminder>>,
    paid: HashMap<i64, Vec<ReceivedPayment>>,
}

impl Histories {
    pub(super) fn from_rows(sent: Vec<SentRow>, paid: Vec<PaidRow>) -> Result<Self, StoreError> {
        let mut histories = Self::default();
        for row in sent {
            let stage = u32::try_from(row.stage).map_err(|e| corrupt("reminder stage", e))?;
            histories.sent.entry(row.case_id).or_default().push(SentReminder {
                stage,
                channel: channel(&row.channel)?,
                sent_on: row.sent_at.date_naive(),
                fee: decimal("reminder fee", &row.fee)?,
            });
        }
        for row in paid {
            histories.paid.entry(row.case_id).or_default().push(ReceivedPayment {
                received_on: row.paid_at.date_naive(),
                amount: decimal("payment amount", &row.amount)?,
                reduces_principal: row.source == crate::domain::PaymentSource::Credit.as_str(),
            });
        }
        histories.sent.values_mut().for_each(|s| s.sort_by_key(|r| (r.sent_on, r.stage)));
        histories.paid.values_mut().for_each(|p| p.sort_by_key(|p| p.received_on));
        Ok(histories)
    }

    /// The cases of `jobs` that can have a history, each once: those past their first stage
    /// (a first-stage reminder follows none that was sent) for reminders, and those with money
    /// received (`amount_paid` is the sum of the payments) for payments. Most deliveries are
    /// first reminders of unpaid invoices, so most batches read neither.
    pub(super) fn cases_of(jobs: &[DeliveryJob]) -> (Vec<i64>, Vec<i64>) {
        let ids = |keep: &dyn Fn(&DeliveryJob) -> bool| -> Vec<i64> {
            let cases: std::collections::BTreeSet<i64> =
                jobs.iter().filter(|j| keep(j)).map(|j| j.case_id).collect();
            cases.into_iter().collect()
        };
        (ids(&|j| j.stage > 0), ids(&|j| !j.amount_paid.is_zero()))
    }

    /// Gives each job its case's reminders and payments.
    pub(super) fn attach(&self, jobs: &mut [DeliveryJob]) {
        for job in jobs {
            (job.sent, job.payments) = self.of(job.case_id);
        }
    }

    /// The case's reminders and payments (empty when it has none).
    pub(super) fn of(&self, case_id: i64) -> (Vec<SentReminder>, Vec<ReceivedPayment>) {
        (
            self.sent.get(&case_id).cloned().unwrap_or_default(),
            self.paid.get(&case_id).cloned().unwrap_or_default(),
        )
    }
}
