//! `POST /api/v1/debtors/{id}/marketing-consent`: an operator records the debtor's explicit
//! consent to marketing on one channel (with the date the debtor gave it, for the proof Art. 7 (1)
//! GDPR asks of the creditor), or an objection. The consent lets thank-you messages with
//! recommendations go out on SMS, WhatsApp and Messenger, and by email beyond the
//! existing-customer exception (`crate::domain::marketing`); it is written through the one rule
//! every source of marketing consent follows (`crate::intake::marketing::record_event`), with its
//! audit entry in one transaction.
//!
//! The same kind already in force is answered 200 with `"recorded": false` (a repeated request
//! is harmless). An event older than the other kind in force (a consent dated before the
//! debtor's later objection, or an objection dated before a later consent) would change nothing
//! and is refused with 409 naming the event in force: the operator learns that the consent they
//! hold does not count, rather than seeing it stored beside the objection that outranks it.

use super::audit::{record, Recorded};
use super::auth::Writer;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::{ChannelKind, ConsentKind, ConsentSource, DebtorId, MARKETING_CHANNELS};
use crate::intake::marketing::{record_event, ConsentChange};
use crate::store::marketing::MarketingConsentEvent;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Record a marketing consent (`opt_in`) or objection (`opt_out`) of the debtor on one channel.
#[utoipa::path(
    post, path = "/api/v1/debtors/{id}/marketing-consent", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    request_body(content = Object, content_type = "application/json",
        description = "channel (email, sms, whatsapp, messenger), consent (opt_in or opt_out), \
                       given_at (RFC 3339, not in the future; default now)"),
    responses(
        (status = 200, description = "Recorded, or the same kind was in force already (`after.recorded` \
            is false, nothing written); the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Older than the other kind in force on the channel (a consent given \
            before a later objection, or an objection before a later consent): nothing written; the \
            error names the event in force", body = ErrorBody),
        (status = 422, description = "A field is wrong; it is named", body = ErrorBody)
    )
)]
pub async fn marketing_consent(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    let debtor = DebtorId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    // The debtor first: another tenant learns nothing from an error about the body.
    let audience = tx.marketing_audience(&access.tenant, &debtor).await?.ok_or(ConsoleError::NotFound)?;
    let request: Value = serde_json::from_slice(&body)
        .map_err(|e| ConsoleError::field("$", format!("not valid JSON: {e}")))?;
    let (channel, kind, at) = parse(&request, now)?;
    let event = MarketingConsentEvent {
        tenant: access.tenant.clone(),
        debtor: debtor.clone(),
        channel,
        kind,
        at,
        source: ConsentSource::Operator,
        detail: Some(access.actor.clone()),
    };
    let before = json!({"channel": channel.as_str(), "marketing_consent": audience.marketing.latest(channel).map(|k| k.as_str())});
    let recorded = match record_event(tx.as_mut(), &event, now).await? {
        ConsentChange::Recorded => true,
        ConsentChange::AlreadyInForce => false,
        ConsentChange::Superseded { in_force, since } => {
            return Err(ConsoleError::Conflict(superseded(channel, kind, at, in_force, since)))
        }
        ConsentChange::UnknownDebtor => return Err(ConsoleError::NotFound),
    };
    let after = json!({"channel": channel.as_str(), "marketing_consent": kind.as_str(), "given_at": at,
                       "recorded": recorded});
    let entry =
        record(tx.as_mut(), &access, "debtor.marketing_consent", None, Some(&debtor), before, after, now)
            .await?;
    tx.commit().await?;
    Ok(Json(entry))
}

/// Why an event of `kind` at `at` on `channel` changes nothing: `in_force` since `since` outranks it.
fn superseded(
    channel: ChannelKind,
    kind: ConsentKind,
    at: DateTime<Utc>,
    in_force: ConsentKind,
    since: DateTime<Utc>,
) -> String {
    let name = |kind| match kind {
        ConsentKind::OptIn => "consent",
        ConsentKind::OptOut => "objection",
    };
    let when = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    format!(
        "the debtor's {} to marketing by {channel} of {} is in force; \
         this {} of {} is older and changes nothing",
        name(in_force),
        when(since),
        name(kind),
        when(at)
    )
}

/// The channel, the kind and the time of the request, or the field that is wrong.
fn parse(
    request: &Value,
    now: DateTime<Utc>,
) -> Result<(ChannelKind, ConsentKind, DateTime<Utc>), ConsoleError> {
    let channel = request["channel"]
        .as_str()
        .and_then(|c| c.parse::<ChannelKind>().ok())
        .filter(|c| MARKETING_CHANNELS.contains(c))
        .ok_or_else(|| ConsoleError::field("channel", "must be one of email, sms, whatsapp, messenger"))?;
    let kind = match request["consent"].as_str() {
        Some("opt_in") => ConsentKind::OptIn,
        Some("opt_out") => ConsentKind::OptOut,
        _ => {
            return Err(ConsoleError::field(
                "consent",
                "must be \"opt_in\" (an explicit consent) or \"opt_out\" (an objection)",
            ))
        }
    };
    let at = match &request["given_at"] {
        Value::Null => now,
        given => given
            .as_str()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|at| at.with_timezone(&Utc))
            .filter(|at| *at <= now)
            .ok_or_else(|| ConsoleError::field("given_at", "must be an RFC 3339 time, not in the future"))?,
    };
    Ok((channel, kind, at))
}
