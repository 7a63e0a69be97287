//! `GET /api/v1/debtors/{id}/marketing-consent`: the debtor's marketing consent in force per
//! marketing channel (email, SMS, WhatsApp, Messenger): an explicit consent, an objection, or
//! none; since when, from where; and whether a thank-you message may advertise on it, on which
//! basis. What is in force is the ledger's rule (`crate::intake::marketing::event_in_force`),
//! whether it permits advertising the domain's (`crate::domain::marketing_basis`): this module
//! only reads and says. The debtor page shows the same.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::{marketing_basis, DebtorId, MARKETING_CHANNELS};
use crate::intake::marketing::event_in_force;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The marketing consent of one debtor on every marketing channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketingConsentOverview {
    pub debtor_id: String,
    /// One entry per marketing channel, in the order email, sms, whatsapp, messenger.
    pub channels: Vec<ChannelMarketing>,
}

/// The marketing consent in force on one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelMarketing {
    #[schema(example = "sms")]
    pub channel: String,
    /// `opt_in` (an explicit consent), `opt_out` (an objection) or `none` (nothing recorded).
    #[schema(example = "opt_in")]
    pub consent: String,
    /// When the consent in force was given, or the objection made.
    pub since: Option<DateTime<Utc>>,
    /// Where it came from: `intake` (the creditor's invoice), `operator`, `opt_out_link`, …
    pub source: Option<String>,
    /// What carried it (`invoice RE-1`, the operator), as mahnwerk wrote it.
    pub detail: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
    /// Whether a thank-you message may advertise on the channel now (an address aside).
    pub may_advertise: bool,
    /// On what it would rest: `explicit_consent` (§ 7 (2) UWG) or `existing_customer` (§ 7 (3)
    /// UWG, email only); `null` when it may not.
    pub basis: Option<String>,
    /// Why it may not, in English; `null` when it may.
    pub why_not: Option<String>,
}

/// The debtor's marketing consent per channel.
#[utoipa::path(
    get, path = "/api/v1/debtors/{id}/marketing-consent", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    responses(
        (status = 200, body = MarketingConsentOverview),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub async fn read(
    State(state): State<ApiState>,
    access: Access,
    Path(id): Path<String>,
) -> Result<Json<MarketingConsentOverview>, ConsoleError> {
    let debtor = DebtorId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    marketing_overview(&state, &access, &debtor).await.map(Json)
}

/// The debtor's marketing consent per channel (the API's and the debtor page's).
pub(super) async fn marketing_overview(
    state: &ApiState,
    access: &Access,
    debtor: &DebtorId,
) -> Result<MarketingConsentOverview, ConsoleError> {
    let mut tx = state.store.begin().await?;
    let audience = tx.marketing_audience(&access.tenant, debtor).await?.ok_or(ConsoleError::NotFound)?;
    let ledger = tx.marketing_ledger(&access.tenant, debtor).await?;
    drop(tx);
    let channels = MARKETING_CHANNELS
        .iter()
        .map(|&channel| {
            let event = event_in_force(&ledger, channel);
            let basis = marketing_basis(channel, &audience.consents, &audience.marketing);
            ChannelMarketing {
                channel: channel.as_str().to_owned(),
                consent: event.map_or("none", |e| e.kind.as_str()).to_owned(),
                since: event.map(|e| e.at),
                source: event.map(|e| e.source.clone()),
                detail: event.and_then(|e| e.detail.clone()),
                recorded_at: event.map(|e| e.recorded_at),
                may_advertise: basis.is_ok(),
                basis: basis.as_ref().ok().map(|b| b.as_str().to_owned()),
                why_not: basis.err(),
            }
        })
        .collect();
    Ok(MarketingConsentOverview { debtor_id: debtor.as_str().to_owned(), channels })
}
