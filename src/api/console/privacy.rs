//! A debtor's GDPR rights through the console: `GET /api/v1/debtors/{id}/export` (Art. 15,
//! everything stored about the debtor as JSON, `crate::intake::privacy::export`) and
//! `POST /api/v1/debtors/{id}/erase` (Art. 17, an admin's login only: the personal data are
//! overwritten and dunning stops, `crate::schedule::erase`), the erasure recorded in the audit
//! log with what was overwritten by kind, never the data.

use super::audit::{record, Recorded};
use super::auth::{Access, Writer};
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::{DebtorId, TenantId};
use crate::intake::privacy::{debtor_export, DebtorExport};
use crate::schedule::erase::erase_debtor;
use crate::store::{Store, StoreError};
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::json;

fn debtor_id(raw: &str) -> Result<DebtorId, ConsoleError> {
    DebtorId::parse(raw).map_err(|_| ConsoleError::NotFound)
}

/// Everything stored about the debtor (Art. 15 GDPR).
#[utoipa::path(
    get, path = "/api/v1/debtors/{id}/export", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    responses(
        (status = 200, description = "Contact data, consent ledger, cases with invoices, lines, reminders, \
            payments, promises, disputes, instalments, events, and operator actions", body = DebtorExport),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub async fn export(
    State(state): State<ApiState>,
    access: Access,
    Path(id): Path<String>,
) -> Result<Json<DebtorExport>, ConsoleError> {
    let debtor = debtor_id(&id)?;
    let export = export_debtor(state.store.as_ref(), &access.tenant, &debtor, state.clock.now()).await?;
    export.map(Json).ok_or(ConsoleError::NotFound)
}

/// Erase the debtor (Art. 17 GDPR): personal data overwritten, bookkeeping figures kept, the
/// debtor's cases that still take reminders paused. Admins' logins only.
#[utoipa::path(
    post, path = "/api/v1/debtors/{id}/erase", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    responses(
        (status = 200, description = "Erased; the audit entry (`after` counts what was overwritten and lists \
            the cases paused)", body = Recorded),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin's login", body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub async fn erase(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<String>,
) -> Result<Json<Recorded>, ConsoleError> {
    let debtor = debtor_id(&id)?;
    erase_and_record(state.store.as_ref(), &access, &debtor, state.clock.now()).await.map(Json)
}

/// Everything stored about `tenant`'s debtor, in a transaction of its own (the console's route
/// and `mahnwerk debtors export`).
pub async fn export_debtor(
    store: &dyn Store,
    tenant: &TenantId,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<Option<DebtorExport>, StoreError> {
    let mut tx = store.begin().await?;
    debtor_export(tx.as_mut(), tenant, debtor, now).await
}

/// Erases the debtor for `access` and records it in the audit log, in one transaction (the
/// console's route and `mahnwerk debtors erase`, which acts as the installation's admin).
pub async fn erase_and_record(
    store: &dyn Store,
    access: &Access,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<Recorded, ConsoleError> {
    let mut tx = store.begin().await?;
    // Not found before forbidden: another tenant's debtor looks like a missing one to everyone.
    tx.tenant_debtor(&access.tenant, debtor).await?.ok_or(ConsoleError::NotFound)?;
    access.require_admin("erasing a debtor needs an admin's login")?;
    let erasure =
        erase_debtor(tx.as_mut(), &access.tenant, debtor, now).await?.ok_or(ConsoleError::NotFound)?;
    let paused: Vec<i64> = erasure.paused.iter().map(|(case_id, _)| *case_id).collect();
    let before = json!({"erased": false});
    let after = json!({"erased": true, "overwritten": erasure.anonymised, "paused_cases": paused});
    let entry = record(tx.as_mut(), access, "debtor.erase", None, Some(debtor), before, after, now).await?;
    tx.commit().await?;
    Ok(entry)
}
