//! `GET /api/v1/exports/bookings`: the tenant's bookings of a period (payments, fees, interest,
//! credits, write-offs; `crate::pay::bookings`) as CSV or as a DATEV booking batch, on the
//! accounts of `[creditors.<tenant>.bookkeeping]`.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::pay::bookings::{self, datev, BookingsError, Period};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingsQuery {
    /// First day (`YYYY-MM-DD`, UTC), default the first of this month.
    pub from: Option<String>,
    /// Last day, included; default today.
    pub to: Option<String>,
    /// `csv` (default) or `datev`.
    pub format: Option<String>,
}

fn day(field: &str, raw: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ConsoleError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(default),
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| ConsoleError::field(field, format!("'{raw}' is not a day like 2026-01-31"))),
    }
}

/// The bookings of a period for the creditor's bookkeeping.
#[utoipa::path(
    get, path = "/api/v1/exports/bookings", tag = "exports", params(BookingsQuery),
    responses(
        (status = 200, description = "`csv`: UTF-8 with a header line (kind, date, invoice_number, debtor_id, \
            amount, currency, debit_account, credit_account, reference). `datev`: a DATEV booking batch \
            (EXTF 700, category 21), Windows-1252", body = String, content_type = "text/csv"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "`from`, `to` or `format` is wrong; it is named", body = ErrorBody)
    )
)]
pub async fn bookings_export(
    State(state): State<ApiState>,
    access: Access,
    Query(query): Query<BookingsQuery>,
) -> Result<Response, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let now = state.clock.now();
    let today = now.date_naive();
    let first_of_month = today.with_day(1).unwrap_or(today);
    let period = Period {
        from: day("from", query.from.as_deref(), first_of_month)?,
        to: day("to", query.to.as_deref(), today)?,
    };
    if period.to < period.from {
        return Err(ConsoleError::field("to", "is before from"));
    }
    let datev = match query.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "datev" => true,
        _ => return Err(ConsoleError::field("format", "must be csv or datev")),
    };
    let creditor = console.creditors.get(access.tenant.as_str());
    let mut tx = state.store.begin().await?;
    let found =
        bookings::bookings(tx.as_mut(), &access.tenant, period, &creditor.bookkeeping, &creditor.law()).await;
    drop(tx);
    let found = match found {
        Ok(found) => found,
        Err(BookingsError::Store(e)) => return Err(e.into()),
        Err(e @ BookingsError::Claim { .. }) => return Err(ConsoleError::Internal(e.to_string())),
    };
    let (body, content_type, name) = if datev {
        let currency = found.first().map_or("EUR", |b| b.currency.as_str());
        let body = datev::write(&found, period, &creditor.bookkeeping, currency, now)
            .map_err(|e| ConsoleError::field("to", e))?;
        (
            body,
            "text/csv; charset=windows-1252",
            format!("EXTF_Buchungsstapel_{}_{}.csv", period.from, period.to),
        )
    } else {
        let body =
            bookings::csv::write(&found).map_err(|e| ConsoleError::Internal(format!("writing CSV: {e}")))?;
        (body, "text/csv; charset=utf-8", format!("bookings_{}_{}.csv", period.from, period.to))
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
