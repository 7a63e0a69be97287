//! The store's narrow steps for the operator console ([`ConsoleSteps`], part of every
//! [`StoreTx`](super::StoreTx)): operator accounts, sessions and login failures, API keys, the
//! audit log, and the tenant's view of its cases and debtors. Every step that reads or writes a
//! tenant's data takes the tenant and filters by it in its SQL, so a caller holding tenant A can
//! never reach a row of tenant B. Who may log in, what a role may do and what an intervention
//! does are decided in `crate::api::console` and the stages; these steps only read and write.

use super::tx::LockedCase;
use super::StoreError;
use crate::domain::{CaseState, ChannelKind, DebtorId, Email, KeyScope, OperatorRole, PhoneE164, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// An operator account as stored (the password only as its argon2 PHC string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    pub id: i64,
    pub tenant: TenantId,
    pub email: String,
    pub role: OperatorRole,
    pub password_hash: String,
}

/// A live session and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub operator_id: i64,
    pub tenant: TenantId,
    pub email: String,
    pub role: OperatorRole,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// An API key as stored (only the hash of the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub tenant: TenantId,
    pub prefix: String,
    pub scope: KeyScope,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One operator intervention to record.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub tenant: &'a TenantId,
    pub at: DateTime<Utc>,
    /// `operator:<email>` or `key:<prefix>`.
    pub actor: &'a str,
    /// What was done: `case.pause`, `case.resume`, `case.cancel`, `debtor.stop`, `debtor.contact`.
    pub action: &'a str,
    pub case_id: Option<i64>,
    pub debtor_id: Option<&'a DebtorId>,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// One recorded intervention.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub case_id: Option<i64>,
    pub debtor_id: Option<String>,
    /// What the object looked like before (JSON).
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// And after.
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

/// Which of a tenant's audit entries to read, newest first: every filter is optional, and all
/// given ones must hold. Pages go by entry id: `before_id` is the last id of the previous page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// One action (`case.pause`, `debtor.stop`, …).
    pub action: Option<String>,
    /// The entries about this case.
    pub case_id: Option<i64>,
    /// The entries about this debtor and about any of the debtor's cases.
    pub debtor: Option<DebtorId>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// Which of a tenant's cases to list: every filter is optional, and all given ones must hold.
/// Pages go by case id: `after_id` is the last id of the previous page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub state: Option<CaseState>,
    /// Stages planned so far (1: the first reminder is planned or sent).
    pub stage: Option<u32>,
    /// Cases with at least one reminder on this channel.
    pub channel: Option<ChannelKind>,
    /// Due on or before this date (at least so many days overdue).
    pub due_on_or_before: Option<NaiveDate>,
    /// Due on or after this date (at most so many days overdue).
    pub due_on_or_after: Option<NaiveDate>,
    pub min_amount: Option<Decimal>,
    pub max_amount: Option<Decimal>,
    /// Part of the invoice number, the debtor id or the debtor's name, any case.
    pub text: Option<String>,
    pub debtor: Option<DebtorId>,
    pub after_id: Option<i64>,
    pub limit: u32,
}

/// A case as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseSummary {
    pub case_id: i64,
    pub invoice_number: String,
    pub debtor_id: String,
    pub debtor_name: String,
    #[schema(value_type = String, example = "reminding")]
    pub state: CaseState,
    /// Stages planned so far.
    pub stages_planned: u32,
    pub next_action_at: Option<DateTime<Utc>>,
    pub currency: String,
    #[schema(value_type = String, example = "129.90")]
    pub amount_due: Decimal,
    #[schema(value_type = String, example = "0")]
    pub amount_paid: Decimal,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// The first day of the debtor's default (§ 286 BGB) as the case stores it, once fixed.
    pub default_on: Option<NaiveDate>,
    /// Why: `calendar_date` (§ 286 (2) Nr. 1), `reminder` (§ 286 (1)) or `thirty_days` (§ 286 (3)).
    pub default_ground: Option<String>,
    pub plan: String,
    /// When intake took the invoice.
    pub received_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CaseSummary {
    /// What is still open on the invoice (never negative), as for a locked case.
    pub fn open_amount(&self) -> Decimal {
        super::tx::open_of(self.amount_due, self.amount_paid)
    }
}

/// A reminder on a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimelineReminder {
    pub id: i64,
    /// 1-based.
    pub stage: u32,
    pub stage_name: String,
    pub channel: String,
    /// The planned send time.
    pub send_at: DateTime<Utc>,
    pub local_hour: i32,
    pub status: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub propensity: f64,
    pub policy_version: String,
    pub receipt_status: Option<String>,
    pub receipt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A payment on a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimelinePayment {
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub currency: String,
    pub paid_at: DateTime<Utc>,
    pub source: String,
    /// The source's own key: the bank line, the PSP's payment, the creditor's message id.
    pub reference: String,
    pub recorded_at: DateTime<Utc>,
    /// How it was applied when recorded (§§ 366, 367 BGB), part by part; empty for payments
    /// recorded before allocations were stored.
    pub allocations: Vec<TimelineAllocation>,
}

/// The part of a payment applied to one invoice.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimelineAllocation {
    pub invoice_number: String,
    /// `stated` (the debtor named the invoice, § 366 (1)) or `due_first` (§ 366 (2)).
    pub rule: String,
    /// To costs (fees), then interest, then principal (§ 367 (1)).
    #[schema(value_type = String)]
    pub costs: Decimal,
    #[schema(value_type = String)]
    pub interest: Decimal,
    #[schema(value_type = String)]
    pub principal: Decimal,
}

/// A payment the PSP has accepted but not yet settled (a SEPA debit), on a case's timeline:
/// dunning waits for it until `held_until`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimelineHold {
    pub source: String,
    pub reference: String,
    pub held_until: DateTime<Utc>,
    /// `open`, `settled`, `failed` or `expired`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A promise to pay on a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimelinePromise {
    pub promised_on: NaiveDate,
    pub resume_at: DateTime<Utc>,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A dispute on a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimelineDispute {
    pub reason: String,
    pub details: String,
    pub opened_at: DateTime<Utc>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Everything that happened to one case, by kind (the console orders it into one timeline).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseHistory {
    pub reminders: Vec<TimelineReminder>,
    pub payments: Vec<TimelinePayment>,
    pub holds: Vec<TimelineHold>,
    pub promises: Vec<TimelinePromise>,
    pub disputes: Vec<TimelineDispute>,
    pub audit: Vec<AuditEntry>,
}

/// The latest consent event of a debtor on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConsentRecord {
    pub channel: String,
    /// `opt_in` or `opt_out`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub source: String,
}

/// A debtor's contact data as stored (read as the row `same_sql_console::DEBTOR` selects).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct DebtorRecord {
    pub id: String,
    pub kind: String,
    pub name: String,
    /// The person at a business debtor letters are addressed to.
    pub contact_person: Option<String>,
    pub language: String,
    pub timezone: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub whatsapp_opt_in: bool,
    pub messenger_psid: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// The debtor's bank account (IBAN, electronic form), as the creditor gave it.
    pub iban: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The consent in force per channel that has one (read apart from the row).
    #[sqlx(skip)]
    pub consents: Vec<ConsentRecord>,
}

/// The contact data an operator may correct, as they are to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactData {
    pub email: Option<Email>,
    pub phone: Option<PhoneE164>,
    pub whatsapp: Option<PhoneE164>,
    pub messenger_psid: Option<String>,
}

/// The narrow steps of the operator console.
/// Whose failed logins count together: a tenant's operator's, or the installation's
/// super-admin's (kept under the empty tenant name, which no tenant can have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginScope<'a> {
    Tenant(&'a TenantId),
    Installation,
}

impl LoginScope<'_> {
    /// The `login_failures.tenant` value.
    pub fn key(&self) -> &str {
        match self {
            Self::Tenant(tenant) => tenant.as_str(),
            Self::Installation => "",
        }
    }
}

#[async_trait]
pub trait ConsoleSteps: Send {
    /// Stores a new operator; `None` (and nothing written) when the tenant has one with this
    /// email already.
    async fn insert_operator(
        &mut self,
        tenant: &TenantId,
        email: &str,
        role: OperatorRole,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;

    async fn operator_by_email(
        &mut self,
        tenant: &TenantId,
        email: &str,
    ) -> Result<Option<OperatorRecord>, StoreError>;

    /// Failed logins of the account since `since`.
    async fn login_failures_since(
        &mut self,
        scope: LoginScope<'_>,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError>;

    /// Records a failed login at `at`, and forgets every account's failures before
    /// `forget_before` (they no longer count).
    async fn record_login_failure(
        &mut self,
        scope: LoginScope<'_>,
        email: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    async fn clear_login_failures(&mut self, scope: LoginScope<'_>, email: &str) -> Result<(), StoreError>;

    async fn insert_session(
        &mut self,
        token_hash: &str,
        operator_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The session with this token hash, if it has not expired at `now`.
    async fn session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError>;

    async fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError>;

    /// Stores a new API key (its hash) and returns its id.
    async fn insert_api_key(
        &mut self,
        tenant: &TenantId,
        key_hash: &str,
        prefix: &str,
        scope: KeyScope,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;

    /// The key with this hash, revoked or not.
    async fn api_key(&mut self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Revokes `tenant`'s key `id`; `false` when there is no such key or it was revoked before.
    async fn revoke_api_key(
        &mut self,
        tenant: &TenantId,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    async fn insert_audit(&mut self, entry: &NewAuditEntry<'_>) -> Result<(), StoreError>;

    /// `tenant`'s audit entries matching `filter`, newest first.
    async fn audit_log(
        &mut self,
        tenant: &TenantId,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// `tenant`'s cases matching `filter`, by case id.
    async fn tenant_cases(
        &mut self,
        tenant: &TenantId,
        filter: &CaseFilter,
    ) -> Result<Vec<CaseSummary>, StoreError>;

    /// The invoice number of each of `tenant`'s cases among `case_ids`, by case id (another
    /// tenant's or a missing case is left out): one read for a page's worth of ids.
    async fn invoice_numbers(
        &mut self,
        tenant: &TenantId,
        case_ids: &[i64],
    ) -> Result<Vec<(i64, String)>, StoreError>;

    /// `tenant`'s case `case_id`; `None` when the tenant has no such case.
    async fn tenant_case(
        &mut self,
        tenant: &TenantId,
        case_id: i64,
    ) -> Result<Option<CaseSummary>, StoreError>;

    /// What happened to `tenant`'s case `case_id` (empty for another tenant's case).
    async fn case_history(&mut self, tenant: &TenantId, case_id: i64) -> Result<CaseHistory, StoreError>;

    /// `tenant`'s case `case_id`, locked; `None` when the tenant has no such case.
    async fn lock_tenant_case(
        &mut self,
        tenant: &TenantId,
        case_id: i64,
    ) -> Result<Option<LockedCase>, StoreError>;

    /// The case's reminders still to go out (scheduled or queued), by id.
    async fn pending_reminders(&mut self, case_id: i64) -> Result<Vec<i64>, StoreError>;

    /// The ids of the debtor's cases, by id.
    async fn debtor_case_ids(&mut self, tenant: &TenantId, debtor: &DebtorId)
        -> Result<Vec<i64>, StoreError>;

    /// `tenant`'s debtor `id` with the latest consent per channel; `None` when there is none.
    async fn tenant_debtor(
        &mut self,
        tenant: &TenantId,
        id: &DebtorId,
    ) -> Result<Option<DebtorRecord>, StoreError>;

    /// `tenant`'s case `case_id` as the planner sees a due case (invoice, debtor, consents,
    /// Messenger window, previous send), whether due or not; `None` when the tenant has no
    /// such case. For an operator's step that plans or escalates one case now.
    async fn planning_case(
        &mut self,
        tenant: &TenantId,
        case_id: i64,
    ) -> Result<Option<crate::store::DueCase>, StoreError>;

    /// Makes `plan` the plan of the invoice `invoice_id` (the case's future stages follow it).
    async fn set_invoice_plan(
        &mut self,
        invoice_id: i64,
        plan: &crate::domain::PlanName,
    ) -> Result<(), StoreError>;

    /// The case's stage reminder of `stage` (0-based) on `channel`, if there is one: its status
    /// and whether it was ever sent.
    async fn stage_reminder(
        &mut self,
        case_id: i64,
        stage: u32,
        channel: ChannelKind,
    ) -> Result<Option<(String, bool)>, StoreError>;

    /// Writes the debtor's contact data; `false` when the tenant has no such debtor.
    async fn set_contact(
        &mut self,
        tenant: &TenantId,
        id: &DebtorId,
        contact: &ContactData,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Plans the rest of this transaction's statements without parallel workers: PostgreSQL's
    /// `max_parallel_workers_per_gather = 0`, for this transaction only (`SET LOCAL`). The
    /// console's reads take a few milliseconds, and starting workers cost 5–12 ms of that on a
    /// small host; the intake's and the delivery's paths keep the server's setting. SQLite has no
    /// parallel query: nothing to do.
    async fn plan_short_reads(&mut self) -> Result<(), StoreError>;
}
