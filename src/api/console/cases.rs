//! `GET /api/v1/cases` (filters, pages by case id) and `GET /api/v1/cases/{id}` (one case and
//! everything that happened to it, oldest first).

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::{CaseState, ChannelKind, FieldError};
use crate::store::console::{CaseFilter, CaseHistory, CaseSummary};
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

/// Cases per page unless `limit` says otherwise, and the most it may say.
const PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

/// The list's query; every parameter is optional and all given ones must hold.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// open, reminding, paused, disputed, escalated, paid or cancelled.
    pub state: Option<String>,
    /// Stages planned so far (1: the first reminder).
    pub stage: Option<String>,
    /// Cases with a reminder on this channel (email, sms, whatsapp, messenger, letter).
    pub channel: Option<String>,
    pub min_days_overdue: Option<String>,
    pub max_days_overdue: Option<String>,
    /// Least amount due, a decimal like `100.00`.
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    /// Part of the invoice number, the debtor's id or name (any case).
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<String>,
}

/// One page of cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub cases: Vec<CaseSummary>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn parsed<T>(
    name: &str,
    raw: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<Option<T>, FieldError> {
    raw.as_deref()
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .map(|raw| parse(raw).ok_or_else(|| FieldError::new(name, format!("'{raw}' is not {what}"))))
        .transpose()
}

impl CaseQuery {
    /// The store's filter, with days overdue turned into due dates as of `today`.
    fn filter(&self, today: NaiveDate) -> Result<CaseFilter, FieldError> {
        let days = |name: &str, raw: &Option<String>| {
            parsed(name, raw, |r| r.parse::<u32>().ok(), "a number of days")
        };
        let amount = |name: &str, raw: &Option<String>| {
            parsed(name, raw, |r| r.parse::<Decimal>().ok(), "a decimal like 100.00")
        };
        let limit = parsed(
            "limit",
            &self.limit,
            |r| r.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE).contains(n)),
            "1 to 200",
        )?;
        Ok(CaseFilter {
            state: parsed("state", &self.state, CaseState::parse, "a case state")?,
            stage: parsed("stage", &self.stage, |r| r.parse().ok(), "a number")?,
            channel: parsed("channel", &self.channel, |r| r.parse::<ChannelKind>().ok(), "a channel")?,
            due_on_or_before: days("min_days_overdue", &self.min_days_overdue)?
                .map(|d| today - Duration::days(i64::from(d))),
            due_on_or_after: days("max_days_overdue", &self.max_days_overdue)?
                .map(|d| today - Duration::days(i64::from(d))),
            min_amount: amount("min_amount", &self.min_amount)?,
            max_amount: amount("max_amount", &self.max_amount)?,
            text: self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned),
            debtor: None,
            after_id: parsed("cursor", &self.cursor, |r| r.parse().ok(), "a cursor from a previous page")?,
            limit: limit.unwrap_or(PAGE),
        })
    }
}

/// List the tenant's cases.
#[utoipa::path(
    get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses(
        (status = 200, body = CasePage),
        (status = 401, body = ErrorBody),
        (status = 422, description = "A query parameter is wrong; it is named", body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<ApiState>,
    access: Access,
    Query(query): Query<CaseQuery>,
) -> Result<Json<CasePage>, ConsoleError> {
    let mut filter = query.filter(state.clock.now().date_naive())?;
    let page = filter.limit as usize;
    filter.limit += 1;
    let mut tx = super::short_reads(&state).await?;
    let mut cases = tx.tenant_cases(&access.tenant, &filter).await?;
    drop(tx);
    let next_cursor = (cases.len() > page).then(|| {
        cases.truncate(page);
        cases.last().map(|c| c.case_id.to_string()).unwrap_or_default()
    });
    Ok(Json(CasePage { cases, next_cursor }))
}

/// One thing that happened to a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// intake, reminder, receipt, payment, payment_pending, promise, dispute or operator.
    pub kind: String,
    /// What the entry's record holds (a reminder: stage, channel, planned time, status, policy
    /// version and propensity; an operator action: who, what, before and after; …).
    #[schema(value_type = Object)]
    pub details: Value,
}

/// A case and its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    pub case: CaseSummary,
    pub timeline: Vec<TimelineEntry>,
}

/// The history of a case as one list, oldest first (stable within one moment).
pub fn timeline(case: &CaseSummary, history: CaseHistory) -> Vec<TimelineEntry> {
    let entry = |at, kind: &str, details| TimelineEntry { at, kind: kind.to_owned(), details };
    let mut entries = vec![entry(
        case.received_at,
        "intake",
        json!({"invoice_number": case.invoice_number, "amount_due": case.amount_due, "currency": case.currency,
               "due_on": case.due_on, "plan": case.plan}),
    )];
    for reminder in history.reminders {
        if let (Some(status), Some(at)) = (&reminder.receipt_status, reminder.receipt_at) {
            entries.push(entry(at, "receipt", json!({"reminder_id": reminder.id, "status": status})));
        }
        let at = reminder.created_at;
        entries.push(entry(at, "reminder", serde_json::to_value(&reminder).unwrap_or_default()));
    }
    for payment in history.payments {
        entries.push(entry(payment.paid_at, "payment", serde_json::to_value(&payment).unwrap_or_default()));
    }
    for hold in history.holds {
        entries.push(entry(
            hold.created_at,
            "payment_pending",
            serde_json::to_value(&hold).unwrap_or_default(),
        ));
    }
    for promise in history.promises {
        entries.push(entry(
            promise.created_at,
            "promise",
            serde_json::to_value(&promise).unwrap_or_default(),
        ));
    }
    for dispute in history.disputes {
        entries.push(entry(dispute.opened_at, "dispute", serde_json::to_value(&dispute).unwrap_or_default()));
    }
    for action in history.audit {
        entries.push(entry(action.at, "operator", serde_json::to_value(&action).unwrap_or_default()));
    }
    entries.sort_by_key(|e| e.at);
    entries
}

/// One case with its timeline.
#[utoipa::path(
    get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, body = CaseDetail),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such case of your tenant", body = ErrorBody)
    )
)]
pub async fn one(
    State(state): State<ApiState>,
    access: Access,
    Path(id): Path<i64>,
) -> Result<Json<CaseDetail>, ConsoleError> {
    let mut tx = super::short_reads(&state).await?;
    let case = tx.tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let history = tx.case_history(&access.tenant, id).await?;
    drop(tx);
    let timeline = timeline(&case, history);
    Ok(Json(CaseDetail { case, timeline }))
}
