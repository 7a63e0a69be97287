//! The debtor's marketing consent as the creditor reports it in an intake message
//! (`debtor.marketing_consent`: `{"email": "opt_in", "sms": "opt_out", "given_at": "…"}`):
//! read into a [`MarketingConsentClaim`], or refused naming the member that is wrong; and, for a
//! new overdue invoice or an issued one, recorded in the marketing ledger (source `intake`), each
//! channel only where it changes the consent in force.
//!
//! [`record_event`] is the one way any marketing consent or objection enters the ledger: the
//! console's and the opt-out link's go through it too, so [`changes_marketing_consent`] is
//! applied the same way whoever reports the event.

use super::fields::Fields;
use super::message::rfc3339;
use crate::domain::{
    changes_marketing_consent, ChannelKind, ConsentKind, ConsentSource, FieldError, Invoice,
    MarketingConsentClaim, MARKETING_CHANNELS,
};
use crate::store::marketing::{MarketingConsentEvent, MarketingConsentRecord};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Duration, Utc};

/// How far after the receipt `given_at` may lie: the creditor's clock may run a little ahead.
pub const GIVEN_AT_TOLERANCE_MINUTES: i64 = 5;

/// The `marketing_consent` member of the debtor object `debtor`, received at `now`; `None` when
/// it is absent or names no channel.
pub(super) fn claim(
    debtor: &Fields<'_>,
    now: DateTime<Utc>,
) -> Result<Option<MarketingConsentClaim>, FieldError> {
    let Some(fields) = debtor.opt_object("marketing_consent")? else { return Ok(None) };
    let mut channels = Vec::new();
    for name in fields.names().filter(|name| *name != "given_at") {
        let channel = name.parse::<ChannelKind>().ok().filter(|c| MARKETING_CHANNELS.contains(c));
        let Some(channel) = channel else {
            let known: Vec<&str> = MARKETING_CHANNELS.iter().map(|c| c.as_str()).collect();
            return Err(fields.error_at(name, format!("'{name}' is not one of {}", known.join(", "))));
        };
        if let Some(kind) = fields.opt_parse(name, ConsentKind::parse)? {
            channels.push((channel, kind));
        }
    }
    let given_at = fields.opt_parse("given_at", rfc3339)?;
    if let Some(at) = given_at {
        let latest = now + Duration::minutes(GIVEN_AT_TOLERANCE_MINUTES);
        if at > latest {
            return Err(fields.error_at(
                "given_at",
                format!(
                    "{} is in the future: at most {GIVEN_AT_TOLERANCE_MINUTES} minutes after receipt ({})",
                    at.to_rfc3339(),
                    now.to_rfc3339()
                ),
            ));
        }
    }
    if channels.is_empty() {
        return Ok(None);
    }
    let given_at = given_at.ok_or_else(|| fields.error_at("given_at", "is required"))?;
    // A time within the tolerance after receipt is the creditor's clock running ahead: the
    // consent was given by the time the message arrived. Taken as the receipt time, no event
    // in the ledger lies after its recording, so an objection made through the opt-out link
    // (at its own "now") is never older than a consent it follows.
    Ok(Some(MarketingConsentClaim { channels, given_at: given_at.min(now) }))
}

/// What recording one marketing consent event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentChange {
    /// Written: it is the consent in force on its channel now.
    Recorded,
    /// Nothing written: the same kind is in force on that channel (a replay, or said again).
    AlreadyInForce,
    /// Nothing written: the other kind is in force on that channel, from an event at `since`
    /// that is later than this one (or at the same instant, an objection).
    Superseded { in_force: ConsentKind, since: DateTime<Utc> },
    /// Nothing written: the tenant has no such debtor.
    UnknownDebtor,
}

/// The event in force on `channel`, `ledger` being in the order of
/// [`crate::store::marketing::MarketingSteps::marketing_ledger`] (the last event per channel is
/// in force); `None` when the ledger has none on it.
pub fn event_in_force(
    ledger: &[MarketingConsentRecord],
    channel: ChannelKind,
) -> Option<&MarketingConsentRecord> {
    ledger.iter().rev().find(|event| event.channel == channel)
}

/// The kind and time of the event in force on `channel` ([`event_in_force`]).
fn in_force(ledger: &[MarketingConsentRecord], channel: ChannelKind) -> Option<(ConsentKind, DateTime<Utc>)> {
    event_in_force(ledger, channel).map(|event| (event.kind, event.at))
}

/// Why `event` would change nothing on `ledger` ([`changes_marketing_consent`]); `None` when it
/// changes the consent in force.
fn unchanged(ledger: &[MarketingConsentRecord], event: &MarketingConsentEvent) -> Option<ConsentChange> {
    let current = in_force(ledger, event.channel);
    if changes_marketing_consent(current, event.kind, event.at) {
        return None;
    }
    Some(match current {
        Some((kind, since)) if kind != event.kind => ConsentChange::Superseded { in_force: kind, since },
        _ => ConsentChange::AlreadyInForce,
    })
}

/// Appends `event` to the marketing ledger where it changes the consent in force on its channel
/// ([`changes_marketing_consent`]: never the kind in force again, never an event older than the
/// one in force). The one way every source records marketing consent: an intake message's claim
/// ([`record`]), the console's `POST /api/v1/debtors/{id}/marketing-consent` and the
/// thank-you message's opt-out link.
pub async fn record_event(
    tx: &mut dyn StoreTx,
    event: &MarketingConsentEvent,
    now: DateTime<Utc>,
) -> Result<ConsentChange, StoreError> {
    let ledger = tx.marketing_ledger(&event.tenant, &event.debtor).await?;
    if let Some(unchanged) = unchanged(&ledger, event) {
        return Ok(unchanged);
    }
    Ok(if tx.record_marketing_consent(event, now).await? {
        ConsentChange::Recorded
    } else if ledger.is_empty() {
        // The step writes nothing only for an unknown debtor or an event stored already, and
        // an empty ledger holds no event.
        ConsentChange::UnknownDebtor
    } else {
        ConsentChange::AlreadyInForce
    })
}

/// Records `claim`, from the invoice `invoice` received at `now`, in the marketing ledger: for
/// each channel an event (source `intake`, detail `invoice <number>`) where it changes the
/// consent in force, as [`record_event`] decides, the ledger read once for all channels.
/// Returns how many events were written.
pub(super) async fn record(
    tx: &mut dyn StoreTx,
    invoice: &Invoice,
    claim: &MarketingConsentClaim,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (tenant, debtor) = (&invoice.tenant, &invoice.debtor.id);
    let ledger = tx.marketing_ledger(tenant, debtor).await?;
    let mut written = 0;
    for &(channel, kind) in &claim.channels {
        let event = MarketingConsentEvent {
            tenant: tenant.clone(),
            debtor: debtor.clone(),
            channel,
            kind,
            at: claim.given_at,
            source: ConsentSource::Intake,
            detail: Some(format!("invoice {}", invoice.number)),
        };
        if unchanged(&ledger, &event).is_none() {
            written += u64::from(tx.record_marketing_consent(&event, now).await?);
        }
    }
    Ok(written)
}

/// Records the claim of an issued invoice (`invoice.issued`), which otherwise writes no debtor:
/// the ledger is kept per debtor, so a debtor the tenant does not have yet is stored first, as
/// the invoice gives it (a debtor already known keeps its own data: only a new overdue invoice
/// replaces them), and then the claim as from an overdue invoice ([`record`]). Nothing tells an
/// issued invoice seen before from a new one, and nothing needs to: on redelivery the debtor is
/// there, and the claim's own events (or later ones) are in force, so nothing is written.
pub(super) async fn record_issued(
    tx: &mut dyn StoreTx,
    invoice: &Invoice,
    claim: &MarketingConsentClaim,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    tx.store_debtor_if_new(&invoice.tenant, &invoice.debtor, now).await?;
    record(tx, invoice, claim, now).await
}

#[cfg(test)]
mod tests {
    use super::super::message::{parse, ISSUED, OVERDUE};
    use super::super::IntakeCommand;
    use super::{unchanged, ConsentChange};
    use crate::domain::{
        ChannelKind, ChannelKind::*, ConsentKind, ConsentKind::*, ConsentSource, DebtorId, FieldError,
        MarketingConsentClaim, PlanBook, TenantId,
    };
    use crate::store::marketing::{MarketingConsentEvent, MarketingConsentRecord};
    use chrono::{DateTime, Utc};
    use serde_json::{json, Value};

    fn now() -> DateTime<Utc> {
        "2026-11-02T10:00:00Z".parse().unwrap()
    }

    fn with_consent(consent: Value) -> Vec<u8> {
        json!({
            "schema": "mahnwerk.invoice.v1", "tenant": "acme", "invoice_number": "RE-1",
            "issued_on": "2026-10-01", "due_on": "2026-10-15", "currency": "EUR", "amount_due": "10.00",
            "debtor": {"id": "C-1", "name": "Erika Mustermann", "language": "de",
                "timezone": "Europe/Berlin", "email": "erika@example.org", "marketing_consent": consent}
        })
        .to_string()
        .into_bytes()
    }

    fn claim_of(consent: Value) -> Result<Option<MarketingConsentClaim>, FieldError> {
        match parse(OVERDUE, &with_consent(consent), &PlanBook::default(), now()) {
            Ok(IntakeCommand::Overdue { marketing_consent, .. }) => Ok(marketing_consent),
            Ok(other) => panic!("{other:?}"),
            Err((error, _)) => Err(error),
        }
    }

    fn refusal(consent: Value) -> (String, String) {
        let error = claim_of(consent).unwrap_err();
        (error.field, error.reason)
    }

    #[test]
    fn a_consent_per_channel_with_the_time_it_was_given() {
        let claim = claim_of(json!({"email": "opt_in", "sms": "opt_out", "whatsapp": null,
                                    "given_at": "2026-10-01T08:00:00+02:00"}))
        .unwrap()
        .unwrap();
        let mut channels = claim.channels.clone();
        channels.sort();
        assert_eq!(channels, vec![(Email, OptIn), (Sms, OptOut)], "null is absent");
        assert_eq!(claim.given_at, "2026-10-01T06:00:00Z".parse::<DateTime<Utc>>().unwrap());
        let soon = claim_of(json!({"messenger": "opt_in", "given_at": "2026-11-02T10:04:59Z"}));
        let soon = soon.unwrap().expect("a clock a little ahead is tolerated");
        assert_eq!(soon.given_at, now(), "and taken as the receipt time");
    }

    #[test]
    fn an_issued_invoice_carries_its_claim_as_an_overdue_one_does() {
        let body = with_consent(json!({"sms": "opt_in", "given_at": "2026-10-01T08:00:00Z"}));
        match parse(ISSUED, &body, &PlanBook::default(), now()) {
            Ok(IntakeCommand::Issued { marketing_consent: Some(claim), received_at, .. }) => {
                assert_eq!(claim.channels, vec![(Sms, OptIn)]);
                assert_eq!(received_at, now());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_event_changes_nothing_when_its_kind_is_in_force_or_a_later_other_kind_is() {
        let at = |hour: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(hour);
        let stored = |channel, kind, hour| MarketingConsentRecord {
            channel,
            kind,
            at: at(hour),
            source: "intake".into(),
            detail: None,
            recorded_at: at(hour),
        };
        let event = |channel: ChannelKind, kind: ConsentKind, hour| MarketingConsentEvent {
            tenant: TenantId::parse("acme").unwrap(),
            debtor: DebtorId::parse("C-1").unwrap(),
            channel,
            kind,
            at: at(hour),
            source: ConsentSource::Operator,
            detail: None,
        };
        let ledger = [stored(Sms, OptIn, 1), stored(Sms, OptOut, 2), stored(Email, OptIn, 4)];
        let superseded = ConsentChange::Superseded { in_force: OptOut, since: at(2) };
        assert_eq!(unchanged(&ledger, &event(Sms, OptIn, 1)), Some(superseded), "older than the objection");
        assert_eq!(unchanged(&ledger, &event(Sms, OptIn, 2)), Some(superseded), "the objection wins a tie");
        assert_eq!(unchanged(&ledger, &event(Sms, OptOut, 9)), Some(ConsentChange::AlreadyInForce));
        assert_eq!(unchanged(&ledger, &event(Sms, OptIn, 3)), None, "a consent given again");
        assert_eq!(
            unchanged(&ledger, &event(Email, OptOut, 3)),
            Some(ConsentChange::Superseded { in_force: OptIn, since: at(4) }),
            "withdrawn before consenting"
        );
        assert_eq!(unchanged(&ledger, &event(Whatsapp, OptIn, 0)), None, "nothing in force there");
    }

    #[test]
    fn no_channel_is_no_claim() {
        assert_eq!(claim_of(Value::Null).unwrap(), None);
        assert_eq!(claim_of(json!({})).unwrap(), None);
        assert_eq!(claim_of(json!({"given_at": "2026-10-01T08:00:00Z"})).unwrap(), None);
    }

    #[test]
    fn each_error_names_the_member() {
        let at = "2026-10-01T08:00:00Z";
        let cases = [
            (json!({"fax": "opt_in", "given_at": at}), "debtor.marketing_consent.fax", "'fax' is not one of email, sms, whatsapp, messenger"),
            (json!({"letter": "opt_in", "given_at": at}), "debtor.marketing_consent.letter", "'letter' is not one of email, sms, whatsapp, messenger"),
            (json!({"sms": "yes", "given_at": at}), "debtor.marketing_consent.sms", "'yes' is neither \"opt_in\" nor \"opt_out\""),
            (json!({"sms": true, "given_at": at}), "debtor.marketing_consent.sms", "must be a string, not a boolean"),
            (json!({"email": "opt_in"}), "debtor.marketing_consent.given_at", "is required"),
            (json!({"email": "opt_in", "given_at": "2026-10-01"}), "debtor.marketing_consent.given_at", "'2026-10-01' is not an RFC 3339 time like 2026-10-20T09:30:00Z"),
            (json!({"email": "opt_in", "given_at": "2026-11-02T10:05:01Z"}), "debtor.marketing_consent.given_at", "2026-11-02T10:05:01+00:00 is in the future: at most 5 minutes after receipt (2026-11-02T10:00:00+00:00)"),
            (json!(["email"]), "debtor.marketing_consent", "must be an object, not an array"),
        ];
        for (consent, field, reason) in cases {
            assert_eq!(refusal(consent.clone()), (field.to_owned(), reason.to_owned()), "{consent}");
        }
    }
}
