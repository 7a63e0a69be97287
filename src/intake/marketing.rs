//! The debtor's marketing consent as the creditor reports it in an intake message
//! (`debtor.marketing_consent`: `{"email": "opt_in", "sms": "opt_out", "given_at": "…"}`):
//! read into a [`MarketingConsentClaim`], or refused naming the member that is wrong; and, for a
//! new invoice, recorded in the marketing ledger beside the console's consents and the opt-out
//! link's objections (source `intake`), each channel only where it changes the consent in force.

use super::fields::Fields;
use super::message::rfc3339;
use crate::domain::{
    changes_marketing_consent, ChannelKind, ConsentKind, ConsentSource, FieldError, Invoice,
    MarketingConsentClaim, MARKETING_CHANNELS,
};
use crate::store::marketing::MarketingConsentEvent;
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
    Ok(Some(MarketingConsentClaim { channels, given_at }))
}

/// Records `claim`, from the new invoice `invoice` received at `now`, in the marketing ledger:
/// for each channel an event (source `intake`, detail `invoice <number>`) where it changes the
/// consent in force ([`changes_marketing_consent`]: never an older consent over an objection).
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
        let in_force = ledger.iter().rev().find(|event| event.channel == channel).map(|e| (e.kind, e.at));
        if !changes_marketing_consent(in_force, kind, claim.given_at) {
            continue;
        }
        let event = MarketingConsentEvent {
            tenant: tenant.clone(),
            debtor: debtor.clone(),
            channel,
            kind,
            at: claim.given_at,
            source: ConsentSource::Intake,
            detail: Some(format!("invoice {}", invoice.number)),
        };
        written += u64::from(tx.record_marketing_consent(&event, now).await?);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::super::message::{parse, OVERDUE};
    use super::super::IntakeCommand;
    use crate::domain::{ChannelKind::*, ConsentKind::*, FieldError, MarketingConsentClaim, PlanBook};
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
        assert!(soon.unwrap().is_some(), "a clock a little ahead is tolerated");
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
