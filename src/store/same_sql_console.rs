//! The console steps ([`super::console::ConsoleSteps`]), written once for both backends:
//! `impl_console_steps!(Backend)` expands in each backend's `tx.rs`, which supplies by name only
//! `LOCKED_CASE` and `LOCK_CASE` (the case-with-invoice select and what locks it, as the core
//! steps use them). Money is read as text and compared as a double (`CAST(… AS DOUBLE
//! PRECISION)` means the same on both), and every query names the tenant.

use super::console::{
    ApiKeyRecord, AuditEntry, AuditFilter, CaseFilter, CaseSummary, ConsentRecord, OperatorRecord,
    SessionRecord, TimelineAllocation, TimelineDispute, TimelineHold, TimelinePayment, TimelinePromise,
    TimelineReminder,
};
use super::rows::{case_state, corrupt, decimal};
use super::StoreError;
use crate::domain::{KeyScope, OperatorRole, TenantId};
use chrono::{DateTime, NaiveDate, Utc};

/// A case with its invoice and debtor, as the console lists it; filters follow. The tenant (`$1`)
/// is the case's own (written from its invoice's, never changed): checking the invoice's too made
/// PostgreSQL count the tenant twice and expect a twentieth of the rows there are, and then
/// choose to sort where walking the tenant's cases in order was a hundred times cheaper.
pub(super) const CASE_SUMMARY: &str = "SELECT c.id AS case_id, i.number AS invoice_number, i.debtor_id, \
     d.name AS debtor_name, c.state, c.stages_planned, c.next_action_at, i.currency, \
     CAST(i.amount_due AS TEXT) AS amount_due, CAST(i.amount_paid AS TEXT) AS amount_paid, i.issued_on, \
     i.due_on, c.default_on, c.default_ground, i.plan, i.received_at, c.opened_at, c.updated_at \
     FROM cases c JOIN invoices i ON i.id = c.invoice_id \
     JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE c.tenant = $1";

/// A value of the case list's query, bound in the order of its `$n`.
pub(super) enum ListBind {
    Text(String),
    Int(i64),
    Date(NaiveDate),
}

/// Binds a list query's values ([`ListBind`]) onto `$statement` in order.
macro_rules! bind_list {
    ($statement:expr, $binds:expr) => {{
        let mut statement = $statement;
        for value in $binds {
            statement = match value {
                crate::store::same_sql_console::ListBind::Text(text) => statement.bind(text),
                crate::store::same_sql_console::ListBind::Int(number) => statement.bind(number),
                crate::store::same_sql_console::ListBind::Date(day) => statement.bind(day),
            };
        }
        statement
    }};
}

pub(super) use bind_list;

/// The case list's query for `filter` (the tenant is `$1`) and what to bind after the tenant.
/// Only the filters given are written, so that each combination is a statement of its own with
/// a plan of its own: written once for all as `($n IS NULL OR …)`, the text search could not
/// become a join (PostgreSQL turns an `IN (…)` into one only where it is not under an `OR`), and
/// a plan kept for every combination suited none (see the README, "Console at scale").
pub(super) fn case_list(filter: &CaseFilter) -> (String, Vec<ListBind>) {
    let mut sql = String::from(CASE_SUMMARY);
    let mut binds = Vec::new();
    let mut condition = |sql: &mut String, template: &str, value: ListBind| {
        binds.push(value);
        sql.push_str(&template.replace("$n", &format!("${}", binds.len() + 1)));
    };
    if let Some(state) = filter.state {
        condition(&mut sql, " AND c.state = $n", ListBind::Text(state.as_str().to_owned()));
    }
    if let Some(stage) = filter.stage {
        condition(&mut sql, " AND c.stages_planned = $n", ListBind::Int(i64::from(stage)));
    }
    if let Some(channel) = filter.channel {
        let exists = " AND EXISTS (SELECT 1 FROM reminders r WHERE r.case_id = c.id AND r.channel = $n)";
        condition(&mut sql, exists, ListBind::Text(channel.as_str().to_owned()));
    }
    if let Some(day) = filter.due_on_or_before {
        condition(&mut sql, " AND i.due_on <= $n", ListBind::Date(day));
    }
    if let Some(day) = filter.due_on_or_after {
        condition(&mut sql, " AND i.due_on >= $n", ListBind::Date(day));
    }
    let amount =
        |op: &str| format!(" AND CAST(i.amount_due AS DOUBLE PRECISION) {op} CAST($n AS DOUBLE PRECISION)");
    if let Some(least) = filter.min_amount {
        condition(&mut sql, &amount(">="), ListBind::Text(least.to_string()));
    }
    if let Some(most) = filter.max_amount {
        condition(&mut sql, &amount("<="), ListBind::Text(most.to_string()));
    }
    if let Some(text) = &filter.text {
        // The invoices whose number holds the text, and those of the debtors whose id or name
        // does, joined to the cases (docs/console.md, "At scale"). The numbers are compared in
        // the index of (tenant, number) alone and the invoices found by number after, so that
        // the search reads the tenant's numbers, not its invoices; a debtor's id is compared in
        // the debtors, which are fewer (a listed case's debtor is always one of them).
        let matching = " AND c.invoice_id IN (\
             SELECT m.id FROM invoices m WHERE m.tenant = $1 AND m.number IN (\
               SELECT n.number FROM invoices n WHERE n.tenant = $1 AND LOWER(n.number) LIKE $n ESCAPE '!') \
             UNION SELECT m.id FROM debtors md JOIN invoices m ON m.tenant = md.tenant AND m.debtor_id = md.id \
             WHERE md.tenant = $1 AND (LOWER(md.id) LIKE $n ESCAPE '!' OR LOWER(md.name) LIKE $n ESCAPE '!'))";
        condition(&mut sql, matching, ListBind::Text(like_pattern(text)));
    }
    if let Some(debtor) = &filter.debtor {
        condition(&mut sql, " AND i.debtor_id = $n", ListBind::Text(debtor.as_str().to_owned()));
    }
    if let Some(after) = filter.after_id {
        condition(&mut sql, " AND c.id > $n", ListBind::Int(after));
    }
    condition(&mut sql, " ORDER BY c.id LIMIT $n", ListBind::Int(i64::from(filter.limit)));
    (sql, binds)
}

/// The audit log's query for `filter` (the tenant is `$1`) and what to bind after the tenant;
/// like the case list, only the filters given are written.
pub(super) fn audit_list(filter: &AuditFilter) -> (String, Vec<ListBind>) {
    let mut sql = format!("{AUDIT_COLUMNS} WHERE tenant = $1");
    let mut binds = Vec::new();
    let mut condition = |sql: &mut String, template: &str, value: ListBind| {
        binds.push(value);
        sql.push_str(&template.replace("$n", &format!("${}", binds.len() + 1)));
    };
    if let Some(action) = &filter.action {
        condition(&mut sql, " AND action = $n", ListBind::Text(action.clone()));
    }
    if let Some(case_id) = filter.case_id {
        condition(&mut sql, " AND case_id = $n", ListBind::Int(case_id));
    }
    if let Some(debtor) = &filter.debtor {
        // The debtor's own entries (Mahnstopp, contact data) and those of the debtor's cases.
        let about = " AND (debtor_id = $n OR case_id IN (SELECT c.id FROM cases c \
             JOIN invoices i ON i.id = c.invoice_id WHERE c.tenant = $1 AND i.debtor_id = $n))";
        condition(&mut sql, about, ListBind::Text(debtor.as_str().to_owned()));
    }
    if let Some(before) = filter.before_id {
        condition(&mut sql, " AND id < $n", ListBind::Int(before));
    }
    condition(&mut sql, " ORDER BY id DESC LIMIT $n", ListBind::Int(i64::from(filter.limit)));
    (sql, binds)
}

/// `%text%` for `LIKE … ESCAPE '!'`, in lower case, the text's own `%`, `_` and `!` escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('!', "!!").replace('%', "!%").replace('_', "!_");
    format!("%{escaped}%")
}

pub(super) const TIMELINE_REMINDERS: &str = "SELECT r.id, r.stage, r.stage_name, r.channel, r.send_at, \
     CAST(r.local_hour AS INTEGER) AS local_hour, r.status, r.sent_at, r.attempts, r.last_error, r.propensity, \
     r.policy_version, r.receipt_status, r.receipt_at, r.created_at \
     FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND r.case_id = $2 ORDER BY r.id";

pub(super) const TIMELINE_PAYMENTS: &str = "SELECT p.id, CAST(p.amount AS TEXT), p.currency, p.paid_at, p.source, \
     p.reference, p.recorded_at FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN cases c ON c.invoice_id = i.id \
     WHERE i.tenant = $1 AND c.id = $2 ORDER BY p.paid_at, p.id";

/// The stored allocations of the payments on the invoice of `$1`'s case `$2`, by payment and
/// position.
pub(super) const TIMELINE_ALLOCATIONS: &str = "SELECT a.payment_id, t.number, a.rule, CAST(a.costs AS TEXT), \
     CAST(a.interest AS TEXT), CAST(a.principal AS TEXT) \
     FROM payment_allocations a JOIN payments p ON p.id = a.payment_id JOIN invoices t ON t.id = a.invoice_id \
     JOIN invoices i ON i.id = p.invoice_id JOIN cases c ON c.invoice_id = i.id \
     WHERE i.tenant = $1 AND c.id = $2 ORDER BY a.payment_id, a.position";

pub(super) const TIMELINE_HOLDS: &str =
    "SELECT h.source, h.reference, h.held_until, h.state, h.created_at, h.ended_at \
     FROM payment_holds h JOIN cases c ON c.id = h.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND h.case_id = $2 ORDER BY h.created_at, h.reference";

pub(super) const TIMELINE_PROMISES: &str =
    "SELECT p.promised_on, p.resume_at, p.state, p.created_at, p.ended_at \
     FROM promises p JOIN cases c ON c.id = p.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND p.case_id = $2 ORDER BY p.id";

pub(super) const TIMELINE_DISPUTES: &str =
    "SELECT x.reason, x.details, x.opened_at, x.resolution, x.resolved_at \
     FROM disputes x JOIN cases c ON c.id = x.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND x.case_id = $2 ORDER BY x.id";

/// One case of the tenant (`$1`) by id (`$2`), with the columns a due case is read with
/// ([`super::rows::DueCaseRow`]), due or not.
pub(super) fn planning_case_sql() -> String {
    use super::rows::{CONSENT_COLUMNS, DEBTOR_COLUMNS, MESSENGER_INBOUND, PREVIOUS_SEND};
    format!(
        "SELECT c.id AS case_id, c.state, c.stages_planned, c.opened_at, i.tenant, i.number, i.due_on, \
         i.currency, CAST(i.amount_due AS TEXT) AS amount_due, CAST(i.amount_paid AS TEXT) AS amount_paid, i.plan, \
         {DEBTOR_COLUMNS}, {CONSENT_COLUMNS}, {MESSENGER_INBOUND}, {PREVIOUS_SEND} \
         FROM cases c JOIN invoices i ON i.id = c.invoice_id \
         JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
         WHERE i.tenant = $1 AND c.id = $2"
    )
}

/// Most case ids one statement of [`invoice_numbers_sql`] binds (SQLite allows 32,766 variables,
/// PostgreSQL 65,535; a page names far fewer).
pub(super) const INVOICE_NUMBERS_AT_ONCE: usize = 1000;

/// The invoice numbers of `$1`'s cases `$2`, `$3`, … (`count` of them), by case id.
pub(super) fn invoice_numbers_sql(count: usize) -> String {
    let ids: Vec<String> = (0..count).map(|n| format!("${}", n + 2)).collect();
    format!(
        "SELECT c.id, i.number FROM cases c JOIN invoices i ON i.id = c.invoice_id \
         WHERE c.tenant = $1 AND c.id IN ({}) ORDER BY c.id",
        ids.join(", ")
    )
}

pub(super) const AUDIT_COLUMNS: &str =
    "SELECT id, at, actor, action, case_id, debtor_id, before, after FROM audit_log";

pub(super) const DEBTOR: &str =
    "SELECT id, kind, name, contact_person, language, timezone, email, phone, whatsapp, \
     whatsapp_opt_in, messenger_psid, address_line1, address_line2, postal_code, city, country, iban, \
     updated_at FROM debtors WHERE tenant = $1 AND id = $2";

/// The consent in force per channel of `$1`'s debtor `$2`.
pub(super) const LATEST_CONSENTS: &str = "SELECT channel, kind, at, source FROM consent_state \
     WHERE tenant = $1 AND debtor_id = $2 ORDER BY channel";

pub(super) const SESSION: &str = "SELECT o.id, o.tenant, o.email, o.role, s.csrf_token, s.expires_at \
     FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = $1 AND s.expires_at > $2";

/// An amount as money is written: without the database's trailing zeros, but with at least two
/// decimals (`129.90`, `0.00`, `12.345`).
pub(super) fn cents(amount: rust_decimal::Decimal) -> rust_decimal::Decimal {
    let mut amount = amount.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}

#[derive(sqlx::FromRow)]
pub(super) struct CaseSummaryRow {
    case_id: i64,
    invoice_number: String,
    debtor_id: String,
    debtor_name: String,
    state: String,
    stages_planned: i32,
    next_action_at: Option<DateTime<Utc>>,
    currency: String,
    amount_due: String,
    amount_paid: String,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    default_on: Option<NaiveDate>,
    default_ground: Option<String>,
    plan: String,
    received_at: DateTime<Utc>,
    opened_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl CaseSummaryRow {
    pub(super) fn into_summary(self) -> Result<CaseSummary, StoreError> {
        Ok(CaseSummary {
            case_id: self.case_id,
            invoice_number: self.invoice_number,
            debtor_id: self.debtor_id,
            debtor_name: self.debtor_name,
            state: case_state(&self.state)?,
            stages_planned: self.stages_planned.max(0) as u32,
            next_action_at: self.next_action_at,
            currency: self.currency,
            amount_due: cents(decimal("amount due", &self.amount_due)?),
            amount_paid: cents(decimal("amount paid", &self.amount_paid)?),
            issued_on: self.issued_on,
            due_on: self.due_on,
            default_on: self.default_on,
            default_ground: self.default_ground,
            plan: self.plan,
            received_at: self.received_at,
            opened_at: self.opened_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ReminderRow {
    id: i64,
    stage: i32,
    stage_name: String,
    channel: String,
    send_at: DateTime<Utc>,
    local_hour: i32,
    status: String,
    sent_at: Option<DateTime<Utc>>,
    attempts: i32,
    last_error: Option<String>,
    propensity: f64,
    policy_version: String,
    receipt_status: Option<String>,
    receipt_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<ReminderRow> for TimelineReminder {
    fn from(r: ReminderRow) -> Self {
        TimelineReminder {
            id: r.id,
            stage: r.stage.max(0) as u32 + 1,
            stage_name: r.stage_name,
            channel: r.channel,
            send_at: r.send_at,
            local_hour: r.local_hour,
            status: r.status,
            sent_at: r.sent_at,
            attempts: r.attempts,
            last_error: r.last_error,
            propensity: r.propensity,
            policy_version: r.policy_version,
            receipt_status: r.receipt_status,
            receipt_at: r.receipt_at,
            created_at: r.created_at,
        }
    }
}

pub(super) type PaymentRow = (i64, String, String, DateTime<Utc>, String, String, DateTime<Utc>);

pub(super) type AllocationRow = (i64, String, String, String, String, String);

/// The payments with their allocations (`allocations` in payment and position order).
pub(super) fn payments(
    rows: Vec<PaymentRow>,
    allocations: Vec<AllocationRow>,
) -> Result<Vec<TimelinePayment>, StoreError> {
    let mut parts: std::collections::HashMap<i64, Vec<TimelineAllocation>> = std::collections::HashMap::new();
    for (payment_id, invoice_number, rule, costs, interest, principal) in allocations {
        parts.entry(payment_id).or_default().push(TimelineAllocation {
            invoice_number,
            rule,
            costs: cents(decimal("allocated costs", &costs)?),
            interest: cents(decimal("allocated interest", &interest)?),
            principal: cents(decimal("allocated principal", &principal)?),
        });
    }
    rows.into_iter()
        .map(|(id, amount, currency, paid_at, source, reference, recorded_at)| {
            Ok(TimelinePayment {
                amount: cents(decimal("payment amount", &amount)?),
                currency,
                paid_at,
                source,
                reference,
                recorded_at,
                allocations: parts.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

pub(super) type HoldRow = (String, String, DateTime<Utc>, String, DateTime<Utc>, Option<DateTime<Utc>>);

pub(super) fn hold((source, reference, held_until, state, created_at, ended_at): HoldRow) -> TimelineHold {
    TimelineHold { source, reference, held_until, state, created_at, ended_at }
}

pub(super) type PromiseRow = (NaiveDate, DateTime<Utc>, String, DateTime<Utc>, Option<DateTime<Utc>>);

pub(super) fn promise((promised_on, resume_at, state, created_at, ended_at): PromiseRow) -> TimelinePromise {
    TimelinePromise { promised_on, resume_at, state, created_at, ended_at }
}

pub(super) type DisputeRow = (String, String, DateTime<Utc>, Option<String>, Option<DateTime<Utc>>);

pub(super) fn dispute((reason, details, opened_at, resolution, resolved_at): DisputeRow) -> TimelineDispute {
    TimelineDispute { reason, details, opened_at, resolution, resolved_at }
}

pub(super) type AuditRow = (i64, DateTime<Utc>, String, String, Option<i64>, Option<String>, String, String);

pub(super) fn audit_entry(
    (id, at, actor, action, case_id, debtor_id, before, after): AuditRow,
) -> Result<AuditEntry, StoreError> {
    let json = |raw: &str| serde_json::from_str(raw).map_err(|e| corrupt("audit entry", e));
    Ok(AuditEntry { id, at, actor, action, case_id, debtor_id, before: json(&before)?, after: json(&after)? })
}

pub(super) type ConsentRow = (String, String, DateTime<Utc>, String);

pub(super) fn consent((channel, kind, at, source): ConsentRow) -> ConsentRecord {
    ConsentRecord { channel, kind, at, source }
}

fn tenant(raw: &str) -> Result<TenantId, StoreError> {
    TenantId::parse(raw).map_err(|e| corrupt("tenant", e))
}

fn role(raw: &str) -> Result<OperatorRole, StoreError> {
    OperatorRole::parse(raw).ok_or_else(|| corrupt("operator role", raw))
}

pub(super) type OperatorRow = (i64, String, String, String, String);

pub(super) fn operator((id, t, email, r, password_hash): OperatorRow) -> Result<OperatorRecord, StoreError> {
    Ok(OperatorRecord { id, tenant: tenant(&t)?, email, role: role(&r)?, password_hash })
}

pub(super) type SessionRow = (i64, String, String, String, String, DateTime<Utc>);

pub(super) fn session(
    (operator_id, t, email, r, csrf_token, expires_at): SessionRow,
) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord { operator_id, tenant: tenant(&t)?, email, role: role(&r)?, csrf_token, expires_at })
}

pub(super) type ApiKeyRow = (i64, String, String, String, Option<DateTime<Utc>>);

pub(super) fn api_key((id, t, prefix, scope, revoked_at): ApiKeyRow) -> Result<ApiKeyRecord, StoreError> {
    let scope = KeyScope::parse(&scope).ok_or_else(|| corrupt("key scope", &scope))?;
    Ok(ApiKeyRecord { id, tenant: tenant(&t)?, prefix, scope, revoked_at })
}

macro_rules! impl_console_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::console::ConsoleSteps for $tx {
            async fn insert_operator(
                &mut self,
                tenant: &TenantId,
                email: &str,
                role: crate::domain::OperatorRole,
                password_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO operators (tenant, email, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (tenant, email) DO NOTHING RETURNING id",
                )
                .bind(tenant.as_str())
                .bind(email)
                .bind(role.as_str())
                .bind(password_hash)
                .bind(now)
                .fetch_optional(&mut *self.0)
                .await?)
            }

            async fn operator_by_email(
                &mut self,
                tenant: &TenantId,
                email: &str,
            ) -> Result<Option<crate::store::console::OperatorRecord>, StoreError> {
                let row: Option<crate::store::same_sql_console::OperatorRow> = sqlx::query_as(
                    "SELECT id, tenant, email, role, password_hash FROM operators WHERE tenant = $1 AND email = $2",
                )
                .bind(tenant.as_str())
                .bind(email)
                .fetch_optional(&mut *self.0)
                .await?;
                row.map(crate::store::same_sql_console::operator).transpose()
            }

            async fn login_failures_since(
                &mut self,
                scope: crate::store::console::LoginScope<'_>,
                email: &str,
                since: DateTime<Utc>,
            ) -> Result<u32, StoreError> {
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM login_failures WHERE tenant = $1 AND email = $2 AND at > $3",
                )
                .bind(scope.key())
                .bind(email)
                .bind(since)
                .fetch_one(&mut *self.0)
                .await?;
                Ok(u32::try_from(count).unwrap_or(u32::MAX))
            }

            async fn record_login_failure(
                &mut self,
                scope: crate::store::console::LoginScope<'_>,
                email: &str,
                at: DateTime<Utc>,
                forget_before: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM login_failures WHERE at < $1")
                    .bind(forget_before)
                    .execute(&mut *self.0)
                    .await?;
                sqlx::query("INSERT INTO login_failures (tenant, email, at) VALUES ($1, $2, $3)")
                    .bind(scope.key())
                    .bind(email)
                    .bind(at)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn clear_login_failures(
                &mut self,
                scope: crate::store::console::LoginScope<'_>,
                email: &str,
            ) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM login_failures WHERE tenant = $1 AND email = $2")
                    .bind(scope.key())
                    .bind(email)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn insert_session(
                &mut self,
                token_hash: &str,
                operator_id: i64,
                csrf_token: &str,
                now: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM operator_sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                sqlx::query(
                    "INSERT INTO operator_sessions (token_hash, operator_id, csrf_token, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(operator_id)
                .bind(csrf_token)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }

            async fn session(
                &mut self,
                token_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<crate::store::console::SessionRecord>, StoreError> {
                let row: Option<crate::store::same_sql_console::SessionRow> =
                    sqlx::query_as(crate::store::same_sql_console::SESSION)
                        .bind(token_hash)
                        .bind(now)
                        .fetch_optional(&mut *self.0)
                        .await?;
                row.map(crate::store::same_sql_console::session).transpose()
            }

            async fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn insert_api_key(
                &mut self,
                tenant: &TenantId,
                key_hash: &str,
                prefix: &str,
                scope: crate::domain::KeyScope,
                now: DateTime<Utc>,
            ) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO api_keys (tenant, key_hash, prefix, scope, created_at) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id",
                )
                .bind(tenant.as_str())
                .bind(key_hash)
                .bind(prefix)
                .bind(scope.as_str())
                .bind(now)
                .fetch_one(&mut *self.0)
                .await?)
            }

            async fn api_key(&mut self, key_hash: &str) -> Result<Option<crate::store::console::ApiKeyRecord>, StoreError> {
                let row: Option<crate::store::same_sql_console::ApiKeyRow> = sqlx::query_as(
                    "SELECT id, tenant, prefix, scope, revoked_at FROM api_keys WHERE key_hash = $1",
                )
                .bind(key_hash)
                .fetch_optional(&mut *self.0)
                .await?;
                row.map(crate::store::same_sql_console::api_key).transpose()
            }

            async fn revoke_api_key(&mut self, tenant: &TenantId, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE api_keys SET revoked_at = $3 WHERE tenant = $1 AND id = $2 AND revoked_at IS NULL",
                )
                .bind(tenant.as_str())
                .bind(id)
                .bind(now)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_audit(&mut self, entry: &crate::store::console::NewAuditEntry<'_>) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO audit_log (tenant, at, actor, action, case_id, debtor_id, before, after) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(entry.tenant.as_str())
                .bind(entry.at)
                .bind(entry.actor)
                .bind(entry.action)
                .bind(entry.case_id)
                .bind(entry.debtor_id.map(|d| d.as_str()))
                .bind(entry.before.to_string())
                .bind(entry.after.to_string())
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }

            async fn audit_log(
                &mut self,
                tenant: &TenantId,
                filter: &crate::store::console::AuditFilter,
            ) -> Result<Vec<crate::store::console::AuditEntry>, StoreError> {
                use crate::store::same_sql_console as sql;
                let (query, binds) = sql::audit_list(filter);
                let statement = sqlx::query_as::<_, sql::AuditRow>(&query).bind(tenant.as_str());
                let statement = crate::store::same_sql_console::bind_list!(statement, binds);
                let rows = statement.fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::audit_entry).collect()
            }

            async fn tenant_cases(
                &mut self,
                tenant: &TenantId,
                filter: &crate::store::console::CaseFilter,
            ) -> Result<Vec<crate::store::console::CaseSummary>, StoreError> {
                use crate::store::same_sql_console as sql;
                let (query, binds) = sql::case_list(filter);
                let statement = sqlx::query_as::<_, sql::CaseSummaryRow>(&query).bind(tenant.as_str());
                let statement = crate::store::same_sql_console::bind_list!(statement, binds);
                let rows = statement.fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::CaseSummaryRow::into_summary).collect()
            }

            async fn invoice_numbers(
                &mut self,
                tenant: &TenantId,
                case_ids: &[i64],
            ) -> Result<Vec<(i64, String)>, StoreError> {
                use crate::store::same_sql_console as sql;
                let mut numbers = Vec::with_capacity(case_ids.len());
                for ids in case_ids.chunks(sql::INVOICE_NUMBERS_AT_ONCE) {
                    let query = sql::invoice_numbers_sql(ids.len());
                    let mut statement = sqlx::query_as::<_, (i64, String)>(&query).bind(tenant.as_str());
                    for id in ids {
                        statement = statement.bind(*id);
                    }
                    numbers.extend(statement.fetch_all(&mut *self.0).await?);
                }
                Ok(numbers)
            }

            async fn tenant_case(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<Option<crate::store::console::CaseSummary>, StoreError> {
                use crate::store::same_sql_console as sql;
                let query = format!("{} AND c.id = $2", sql::CASE_SUMMARY);
                let row: Option<sql::CaseSummaryRow> = sqlx::query_as(&query)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_optional(&mut *self.0)
                    .await?;
                row.map(sql::CaseSummaryRow::into_summary).transpose()
            }

            async fn case_history(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<crate::store::console::CaseHistory, StoreError> {
                use crate::store::same_sql_console as sql;
                let reminders: Vec<sql::ReminderRow> = sqlx::query_as(sql::TIMELINE_REMINDERS)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                let payments: Vec<sql::PaymentRow> = sqlx::query_as(sql::TIMELINE_PAYMENTS)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                let allocations: Vec<sql::AllocationRow> = sqlx::query_as(sql::TIMELINE_ALLOCATIONS)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                let holds: Vec<sql::HoldRow> = sqlx::query_as(sql::TIMELINE_HOLDS)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                let promises: Vec<sql::PromiseRow> = sqlx::query_as(sql::TIMELINE_PROMISES)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                let disputes: Vec<sql::DisputeRow> = sqlx::query_as(sql::TIMELINE_DISPUTES)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                let audit_query = format!("{} WHERE tenant = $1 AND case_id = $2 ORDER BY id", sql::AUDIT_COLUMNS);
                let audit: Vec<sql::AuditRow> = sqlx::query_as(&audit_query)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                Ok(crate::store::console::CaseHistory {
                    reminders: reminders.into_iter().map(Into::into).collect(),
                    payments: sql::payments(payments, allocations)?,
                    holds: holds.into_iter().map(sql::hold).collect(),
                    promises: promises.into_iter().map(sql::promise).collect(),
                    disputes: disputes.into_iter().map(sql::dispute).collect(),
                    audit: audit.into_iter().map(sql::audit_entry).collect::<Result<_, _>>()?,
                })
            }

            async fn lock_tenant_case(&mut self, tenant: &TenantId, case_id: i64) -> Result<Option<LockedCase>, StoreError> {
                let sql = format!("{LOCKED_CASE} WHERE i.tenant = $1 AND c.id = $2{LOCK_CASE}");
                let row: Option<LockedCaseRow> = sqlx::query_as(&sql)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_optional(&mut *self.0)
                    .await?;
                row.map(LockedCaseRow::into_locked).transpose()
            }

            async fn planning_case(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<Option<crate::store::DueCase>, StoreError> {
                let sql = crate::store::same_sql_console::planning_case_sql();
                let row: Option<DueCaseRow> = sqlx::query_as(&sql)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_optional(&mut *self.0)
                    .await?;
                row.map(DueCaseRow::into_due_case).transpose()
            }

            async fn set_invoice_plan(
                &mut self,
                invoice_id: i64,
                plan: &crate::domain::PlanName,
            ) -> Result<(), StoreError> {
                sqlx::query("UPDATE invoices SET plan = $1 WHERE id = $2")
                    .bind(plan.as_str())
                    .bind(invoice_id)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn stage_reminder(
                &mut self,
                case_id: i64,
                stage: u32,
                channel: crate::domain::ChannelKind,
            ) -> Result<Option<(String, bool)>, StoreError> {
                let row: Option<(String, Option<DateTime<Utc>>)> = sqlx::query_as(
                    "SELECT status, sent_at FROM reminders \
                     WHERE case_id = $1 AND stage = $2 AND channel = $3 AND instalment = 0",
                )
                .bind(case_id)
                .bind(i64::from(stage))
                .bind(channel.as_str())
                .fetch_optional(&mut *self.0)
                .await?;
                Ok(row.map(|(status, sent_at)| (status, sent_at.is_some())))
            }

            async fn pending_reminders(&mut self, case_id: i64) -> Result<Vec<i64>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM reminders WHERE case_id = $1 AND status IN ('scheduled', 'queued') ORDER BY id",
                )
                .bind(case_id)
                .fetch_all(&mut *self.0)
                .await?)
            }

            async fn debtor_case_ids(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Vec<i64>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT c.id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                     WHERE i.tenant = $1 AND i.debtor_id = $2 ORDER BY c.id",
                )
                .bind(tenant.as_str())
                .bind(debtor.as_str())
                .fetch_all(&mut *self.0)
                .await?)
            }

            async fn tenant_debtor(
                &mut self,
                tenant: &TenantId,
                id: &crate::domain::DebtorId,
            ) -> Result<Option<crate::store::console::DebtorRecord>, StoreError> {
                use crate::store::same_sql_console as sql;
                let row: Option<crate::store::console::DebtorRecord> = sqlx::query_as(sql::DEBTOR)
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&mut *self.0)
                    .await?;
                let Some(mut record) = row else { return Ok(None) };
                let consents: Vec<sql::ConsentRow> = sqlx::query_as(sql::LATEST_CONSENTS)
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .fetch_all(&mut *self.0)
                    .await?;
                record.consents = consents.into_iter().map(sql::consent).collect();
                Ok(Some(record))
            }

            async fn set_contact(
                &mut self,
                tenant: &TenantId,
                id: &crate::domain::DebtorId,
                contact: &crate::store::console::ContactData,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE debtors SET email = $3, phone = $4, whatsapp = $5, messenger_psid = $6, updated_at = $7 \
                     WHERE tenant = $1 AND id = $2",
                )
                .bind(tenant.as_str())
                .bind(id.as_str())
                .bind(contact.email.as_ref().map(|e| e.as_str()))
                .bind(contact.phone.as_ref().map(|p| p.as_str()))
                .bind(contact.whatsapp.as_ref().map(|p| p.as_str()))
                .bind(contact.messenger_psid.as_deref())
                .bind(now)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn plan_short_reads(&mut self) -> Result<(), StoreError> {
                if !NO_PARALLEL_WORKERS.is_empty() {
                    sqlx::query(NO_PARALLEL_WORKERS).execute(&mut *self.0).await?;
                }
                Ok(())
            }
        }
    };
}

pub(super) use impl_console_steps;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CaseState, ChannelKind};

    #[test]
    fn the_case_list_writes_only_the_filters_given_numbered_after_the_tenant() {
        let (sql, binds) = case_list(&CaseFilter { limit: 51, ..CaseFilter::default() });
        assert!(sql.ends_with("WHERE c.tenant = $1 ORDER BY c.id LIMIT $2"), "{sql}");
        assert_eq!(binds.len(), 1);

        let filter = CaseFilter {
            state: Some(CaseState::Reminding),
            channel: Some(ChannelKind::Sms),
            text: Some("50%_Rabatt!".into()),
            after_id: Some(700),
            limit: 51,
            ..CaseFilter::default()
        };
        let (sql, binds) = case_list(&filter);
        assert!(sql.contains(" AND c.state = $2 AND EXISTS (") && sql.contains("r.channel = $3)"), "{sql}");
        assert_eq!(sql.matches("LIKE $4 ESCAPE '!'").count(), 3, "{sql}");
        assert!(sql.ends_with(" AND c.id > $5 ORDER BY c.id LIMIT $6"), "{sql}");
        assert!(!sql.contains("IS NULL"), "{sql}");
        let texts: Vec<&str> = binds
            .iter()
            .filter_map(|b| if let ListBind::Text(t) = b { Some(t.as_str()) } else { None })
            .collect();
        assert_eq!(texts, ["reminding", "sms", "%50!%!_rabatt!!%"]);
        assert_eq!(binds.len(), 5);
    }
}
