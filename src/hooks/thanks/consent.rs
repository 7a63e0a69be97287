//! Recording marketing consent: an explicit consent or an objection, appended to the marketing
//! ledger unless the same kind is in force already (so a replayed link or request writes
//! nothing). Used by the opt-out link ([`super::optout`]) and the console's
//! `POST /api/v1/debtors/{id}/marketing-consent`.

use crate::store::marketing::MarketingConsentEvent;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// What recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Recorded,
    /// The same kind was in force on that channel: nothing written.
    AlreadyInForce,
    /// The tenant has no such debtor.
    UnknownDebtor,
}

/// Appends `event` to the marketing ledger unless its kind is in force already.
pub async fn record(
    tx: &mut dyn StoreTx,
    event: &MarketingConsentEvent,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let Some(audience) = tx.marketing_audience(&event.tenant, &event.debtor).await? else {
        return Ok(Recorded::UnknownDebtor);
    };
    if audience.marketing.latest(event.channel) == Some(event.kind) {
        return Ok(Recorded::AlreadyInForce);
    }
    Ok(if tx.record_marketing_consent(event, now).await? {
        Recorded::Recorded
    } else {
        Recorded::AlreadyInForce
    })
}
