//! `GET /api/v1/debtors/{id}`: a debtor's contact data, the consent in force per channel, and
//! all of the debtor's cases.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::{ChannelKind, ConsentKind, Consents, DebtorId};
use crate::store::console::{CaseFilter, CaseSummary, DebtorRecord};
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Most cases one debtor page lists.
const MAX_CASES: u32 = 1000;

/// A debtor, whether each channel may be used, and the debtor's cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct DebtorDetail {
    pub debtor: DebtorRecord,
    /// Per channel: whether the consent in force lets reminders go out on it (the planner's
    /// rule: an opt-out stops a channel; WhatsApp needs an opt-in).
    pub channel_permitted: BTreeMap<String, bool>,
    pub cases: Vec<CaseSummary>,
}

/// One debtor.
#[utoipa::path(
    get, path = "/api/v1/debtors/{id}", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    responses((status = 200, body = DebtorDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn one(
    State(state): State<ApiState>,
    access: Access,
    Path(id): Path<String>,
) -> Result<Json<DebtorDetail>, ConsoleError> {
    let id = DebtorId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    debtor_detail(&state, &access, &id).await.map(Json)
}

/// The debtor with consents and cases (the API's and the debtor page's).
pub(super) async fn debtor_detail(
    state: &ApiState,
    access: &Access,
    id: &DebtorId,
) -> Result<DebtorDetail, ConsoleError> {
    let mut tx = super::short_reads(state).await?;
    let debtor = tx.tenant_debtor(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let filter = CaseFilter { debtor: Some(id.clone()), limit: MAX_CASES, ..CaseFilter::default() };
    let cases = tx.tenant_cases(&access.tenant, &filter).await?;
    drop(tx);
    let mut consents = Consents::default();
    for consent in &debtor.consents {
        let kind = match consent.kind.as_str() {
            "opt_in" => ConsentKind::OptIn,
            _ => ConsentKind::OptOut,
        };
        if let Ok(channel) = consent.channel.parse::<ChannelKind>() {
            consents.set(channel, kind);
        }
    }
    let channel_permitted = ChannelKind::ALL
        .iter()
        .map(|channel| (channel.as_str().to_owned(), consents.permits(*channel)))
        .collect();
    Ok(DebtorDetail { debtor, channel_permitted, cases })
}
