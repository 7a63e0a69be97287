//! What a Stripe webhook event does, once its signature is verified. Checkout Sessions that
//! mahnwerk started carry `metadata[tenant]` and `metadata[invoice_number]` (see
//! [`super::stripe`]); the events about them:
//! - `checkout.session.completed` with `payment_status = paid` (card, wallets): the payment is
//!   recorded through [`record_payment`], source `stripe`, reference the PaymentIntent (the
//!   session's id when it has none), amount `amount_total` in the session's currency;
//! - `checkout.session.completed` with `payment_status = unpaid` (an asynchronous method such as
//!   SEPA Direct Debit): nothing is recorded yet; `payment.pending` says the money is on its way,
//!   and the payment holds the case's dunning ([`crate::pay::hold`]) for at most the configured
//!   days;
//! - `checkout.session.async_payment_succeeded`: recorded as above, and the hold ends settled;
//! - `checkout.session.async_payment_failed`: `payment.failed`; the hold ends, and dunning
//!   resumes with the next stage (the case was never closed).
//!
//! Every other event type, and sessions without mahnwerk's metadata (the same Stripe account may
//! sell other things), are acknowledged and ignored. Each event is acted on once: its id goes
//! into `psp_events` in the same transaction as what it does, so a replay changes nothing. An
//! event about an invoice the tenant does not have is acknowledged and logged (Stripe retries
//! anything but a 2xx for days, and the answer would not change).

use super::from_minor_units;
use super::stripe_signature::{self, SignatureError};
use crate::config::stripe::StripeConfig;
use crate::domain::legal::TenantLaw;
use crate::domain::{
    AttributionWindow, Currency, HoldState, InvoiceNumber, Money, PaymentSource, PendingHold, TenantId,
};
use crate::pay::hold::{hold_for_pending, release_hold};
use crate::pay::{record_payment, PaymentOutcome, PaymentRecord};
use crate::runtime::{EventBody, NewEvent};
use crate::store::{Store, StoreError, StoreTx};
use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The provider's name in `psp_events`.
const PROVIDER: &str = "stripe";

/// Stripe's webhook endpoint: the signing secret, the tolerance, the attribution window the
/// payments it records credit reminders with, and how long a pending payment holds dunning.
pub struct StripeWebhook {
    secret: SecretString,
    tolerance: Duration,
    window: AttributionWindow,
    hold: PendingHold,
    /// The law each tenant's payments are applied under.
    law: Arc<TenantLaw>,
}

/// What one delivered event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Not an event mahnwerk acts on (another type, or a session it did not start).
    Ignored,
    /// This event id was handled before: nothing changed.
    Replayed,
    /// The payment went through [`record_payment`]; what that did.
    Payment(PaymentOutcome),
    /// `payment.pending` or `payment.failed` was written about the case.
    Reported,
    /// The session names an invoice the tenant does not have: nothing changed.
    UnknownInvoice,
}

/// Why a delivery is refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// Signed, but not an event as Stripe documents it; names the field.
    #[error("{0}")]
    Malformed(String),
    #[error("recording the event: {0}")]
    Store(#[from] StoreError),
}

impl StripeWebhook {
    pub fn new(
        config: &StripeConfig,
        window: AttributionWindow,
        hold: PendingHold,
        law: Arc<TenantLaw>,
    ) -> Self {
        Self {
            secret: config.webhook_secret.clone(),
            tolerance: Duration::from_secs(config.webhook_tolerance_secs),
            window,
            hold,
            law,
        }
    }

    /// Verifies `signature` (the `Stripe-Signature` header, `None` if absent) over `raw_body`
    /// at `now`, then acts on the event, once per event id.
    pub async fn receive(
        &self,
        store: &dyn Store,
        signature: Option<&str>,
        raw_body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<WebhookOutcome, WebhookError> {
        stripe_signature::verify(
            self.secret.expose_secret().as_bytes(),
            raw_body,
            signature,
            now,
            self.tolerance,
        )?;
        let event = event_of(raw_body)?;
        let action = action_of(&event, now)?;
        if let Action::Ignore(why) = action {
            tracing::debug!(event = %event.id, kind = %event.kind, why, "stripe event ignored");
            return Ok(WebhookOutcome::Ignored);
        }
        let mut tx = store.begin().await?;
        if !tx.insert_psp_event(PROVIDER, &event.id, now).await? {
            tracing::info!(event = %event.id, kind = %event.kind, "stripe event replayed; nothing changed");
            return Ok(WebhookOutcome::Replayed);
        }
        let outcome = self.apply(tx.as_mut(), action, now).await?;
        tx.commit().await?;
        tracing::info!(event = %event.id, kind = %event.kind, ?outcome, "stripe event handled");
        Ok(outcome)
    }

    async fn apply(
        &self,
        tx: &mut dyn StoreTx,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<WebhookOutcome, StoreError> {
        match action {
            Action::Ignore(_) => Ok(WebhookOutcome::Ignored),
            Action::Record(payment) => self.record(tx, &payment, now).await,
            Action::Pending(payment) => self.report(tx, &payment, None, now).await,
            Action::Failed(payment, reason) => self.report(tx, &payment, Some(reason), now).await,
        }
    }

    /// Records `payment` through [`record_payment`]; its hold, if it held the case, ends settled.
    async fn record(
        &self,
        tx: &mut dyn StoreTx,
        payment: &Payment,
        now: DateTime<Utc>,
    ) -> Result<WebhookOutcome, StoreError> {
        let record = PaymentRecord {
            tenant: payment.tenant.clone(),
            invoice_number: payment.invoice_number.clone(),
            amount: Some(payment.amount),
            paid_at: payment.at,
            source: PaymentSource::Stripe,
            reference: payment.reference.clone(),
        };
        let outcome = record_payment(tx, &record, self.window, self.law.as_ref(), now).await?;
        if let Some(case) = tx.lock_case_by_invoice(&payment.tenant, &payment.invoice_number).await? {
            let paid = (PaymentSource::Stripe, payment.reference.as_str());
            release_hold(tx, &case, paid, HoldState::Settled, now).await?;
        }
        if !matches!(outcome, PaymentOutcome::Recorded { .. }) {
            tracing::warn!(tenant = %payment.tenant, reference = %payment.reference, ?outcome,
                "stripe payment not recorded");
        }
        Ok(match outcome {
            PaymentOutcome::UnknownInvoice => WebhookOutcome::UnknownInvoice,
            other => WebhookOutcome::Payment(other),
        })
    }

    /// `payment` is pending (`failed` is `None`): it holds the case; or it failed with the PSP's
    /// reason: its hold ends and dunning resumes. Either is written as an event about the case.
    async fn report(
        &self,
        tx: &mut dyn StoreTx,
        payment: &Payment,
        failed: Option<Option<String>>,
        now: DateTime<Utc>,
    ) -> Result<WebhookOutcome, StoreError> {
        let Some(case) = tx.lock_case_by_invoice(&payment.tenant, &payment.invoice_number).await? else {
            tracing::warn!(tenant = %payment.tenant, reference = %payment.reference,
                "stripe event about an unknown invoice; nothing changed");
            return Ok(WebhookOutcome::UnknownInvoice);
        };
        let (amount, currency) = (payment.amount.amount(), payment.amount.currency());
        let (source, reference) = (PaymentSource::Stripe, payment.reference.clone());
        let body = match failed {
            None => {
                let held_until = hold_for_pending(tx, &case, (source, &reference), self.hold, now).await?;
                EventBody::PaymentPending { amount, currency, source, reference, held_until }
            }
            Some(reason) => {
                release_hold(tx, &case, (source, &reference), HoldState::Failed, now).await?;
                EventBody::PaymentFailed { amount, currency, source, reference, reason }
            }
        };
        tx.append_events(&[NewEvent::from(&case.subject().event(payment.at, body))]).await?;
        Ok(WebhookOutcome::Reported)
    }
}

/// A Stripe event as delivered: only what mahnwerk reads.
#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    /// When Stripe created the event, in Unix seconds.
    created: Option<i64>,
    data: EnvelopeData,
}

#[derive(Deserialize)]
struct EnvelopeData {
    object: serde_json::Value,
}

/// A Checkout Session, as `data.object` of the `checkout.session.*` events.
struct Session {
    id: String,
    payment_status: Option<String>,
    payment_intent: Option<PaymentIntent>,
    amount_total: Option<i64>,
    currency: Option<String>,
    metadata: BTreeMap<String, String>,
}

impl Session {
    /// Read member by member, so that a refusal names the member (`data.object.amount_total`);
    /// serde's own error about a `Value` names neither the member nor a position.
    fn from_object(object: &serde_json::Value) -> Result<Self, WebhookError> {
        if !object.is_object() {
            return Err(WebhookError::Malformed("data.object: not a Checkout Session: not an object".into()));
        }
        fn member<T: serde::de::DeserializeOwned>(
            object: &serde_json::Value,
            name: &str,
        ) -> Result<T, WebhookError> {
            let value = object.get(name).cloned().unwrap_or(serde_json::Value::Null);
            serde_json::from_value(value)
                .map_err(|e| WebhookError::Malformed(format!("data.object.{name}: {e}")))
        }
        Ok(Self {
            id: member(object, "id")?,
            payment_status: member(object, "payment_status")?,
            payment_intent: member(object, "payment_intent")?,
            amount_total: member(object, "amount_total")?,
            currency: member(object, "currency")?,
            metadata: member::<Option<_>>(object, "metadata")?.unwrap_or_default(),
        })
    }
}

/// The session's PaymentIntent: its id, or the object when the event was expanded.
#[derive(Deserialize)]
#[serde(untagged)]
enum PaymentIntent {
    Id(String),
    Expanded { id: String, last_payment_error: Option<PaymentError> },
}

#[derive(Deserialize)]
struct PaymentError {
    message: Option<String>,
}

/// A payment an event is about, in the invoice's terms.
#[derive(Debug, Clone, PartialEq)]
struct Payment {
    tenant: TenantId,
    invoice_number: InvoiceNumber,
    amount: Money,
    reference: String,
    at: DateTime<Utc>,
}

/// What an event asks for.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Ignore(&'static str),
    Record(Payment),
    Pending(Payment),
    Failed(Payment, Option<String>),
}

/// The longest PSP reason kept in `payment.failed`.
const MAX_REASON_CHARS: usize = 200;

/// The event a (verified) body holds.
fn event_of(raw_body: &[u8]) -> Result<Envelope, WebhookError> {
    serde_json::from_slice(raw_body)
        .map_err(|e| WebhookError::Malformed(format!("body: not a Stripe event: {e}")))
}

fn action_of(event: &Envelope, now: DateTime<Utc>) -> Result<Action, WebhookError> {
    let kind = event.kind.as_str();
    if !matches!(
        kind,
        "checkout.session.completed"
            | "checkout.session.async_payment_succeeded"
            | "checkout.session.async_payment_failed"
    ) {
        return Ok(Action::Ignore("not an event mahnwerk acts on"));
    }
    let session = Session::from_object(&event.data.object)?;
    let (Some(tenant), Some(number)) =
        (session.metadata.get("tenant"), session.metadata.get("invoice_number"))
    else {
        return Ok(Action::Ignore("a session mahnwerk did not start"));
    };
    let (Ok(tenant), Ok(invoice_number)) = (TenantId::parse(tenant), InvoiceNumber::parse(number)) else {
        return Ok(Action::Ignore("metadata names no tenant or invoice mahnwerk could have"));
    };
    let malformed = |field: &str, why: String| WebhookError::Malformed(format!("data.object.{field}: {why}"));
    let code = session.currency.as_deref().ok_or_else(|| malformed("currency", "missing".into()))?;
    let currency =
        Currency::parse(&code.to_ascii_uppercase()).map_err(|e| malformed("currency", e.to_string()))?;
    let units = session.amount_total.ok_or_else(|| malformed("amount_total", "missing".into()))?;
    if units < 0 {
        return Err(malformed("amount_total", format!("{units} is negative")));
    }
    let (reference, reason) = match &session.payment_intent {
        Some(PaymentIntent::Id(id)) => (id.clone(), None),
        Some(PaymentIntent::Expanded { id, last_payment_error }) => {
            (id.clone(), last_payment_error.as_ref().and_then(|e| e.message.clone()))
        }
        None => (session.id.clone(), None),
    };
    let at = event.created.and_then(|t| Utc.timestamp_opt(t, 0).single()).unwrap_or(now);
    let payment =
        Payment { tenant, invoice_number, amount: from_minor_units(units, currency), reference, at };
    Ok(match (kind, session.payment_status.as_deref()) {
        ("checkout.session.completed", Some("paid")) | ("checkout.session.async_payment_succeeded", _) => {
            Action::Record(payment)
        }
        ("checkout.session.completed", Some("unpaid")) => Action::Pending(payment),
        ("checkout.session.completed", _) => Action::Ignore("nothing to pay"),
        _ => {
            let reason = reason
                .map(|r| r.trim().chars().take(MAX_REASON_CHARS).collect::<String>())
                .filter(|r| !r.is_empty());
            Action::Failed(payment, reason)
        }
    })
}

#[cfg(test)]
#[path = "stripe_events_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::str::FromStr;

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_765_000_100, 0).unwrap()
    }

    fn event(kind: &str, session: serde_json::Value) -> Envelope {
        serde_json::from_value(
            json!({"id": "evt_1", "object": "event", "type": kind, "created": 1_765_000_000,
                                      "data": {"object": session}}),
        )
        .unwrap()
    }

    fn session(status: &str) -> serde_json::Value {
        json!({"id": "cs_test_1", "object": "checkout.session", "payment_status": status,
               "payment_intent": "pi_1", "amount_total": 12_345, "currency": "eur",
               "client_reference_id": "7",
               "metadata": {"tenant": "acme", "invoice_number": "RE-2026-0042", "reminder_id": "7"}})
    }

    fn payment(reference: &str) -> Payment {
        Payment {
            tenant: TenantId::parse("acme").unwrap(),
            invoice_number: InvoiceNumber::parse("RE-2026-0042").unwrap(),
            amount: Money::parse("123.45", Currency::parse("EUR").unwrap()).unwrap(),
            reference: reference.into(),
            at: Utc.timestamp_opt(1_765_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn paid_and_async_succeeded_record_unpaid_is_pending_failed_fails() {
        let act = |kind, session| action_of(&event(kind, session), now()).unwrap();
        assert_eq!(act("checkout.session.completed", session("paid")), Action::Record(payment("pi_1")));
        assert_eq!(act("checkout.session.completed", session("unpaid")), Action::Pending(payment("pi_1")));
        assert_eq!(
            act("checkout.session.async_payment_succeeded", session("paid")),
            Action::Record(payment("pi_1"))
        );
        assert_eq!(
            act("checkout.session.async_payment_failed", session("unpaid")),
            Action::Failed(payment("pi_1"), None)
        );
        let mut expanded = session("unpaid");
        expanded["payment_intent"] =
            json!({"id": "pi_2", "last_payment_error": {"message": "The account has been closed."}});
        assert_eq!(
            act("checkout.session.async_payment_failed", expanded),
            Action::Failed(payment("pi_2"), Some("The account has been closed.".into()))
        );
        let mut no_intent = session("paid");
        no_intent["payment_intent"] = serde_json::Value::Null;
        assert_eq!(act("checkout.session.completed", no_intent), Action::Record(payment("cs_test_1")));
    }

    #[test]
    fn amounts_in_the_sessions_currency() {
        let mut yen = session("paid");
        yen["currency"] = json!("jpy");
        yen["amount_total"] = json!(5000);
        let Action::Record(paid) = action_of(&event("checkout.session.completed", yen), now()).unwrap()
        else {
            panic!("recorded")
        };
        assert_eq!(
            (paid.amount.amount(), paid.amount.currency().code()),
            (rust_decimal::Decimal::from_str("5000").unwrap(), "JPY")
        );
    }

    #[test]
    fn other_events_and_foreign_sessions_are_ignored() {
        let ignored =
            |kind, session| matches!(action_of(&event(kind, session), now()), Ok(Action::Ignore(_)));
        assert!(ignored("payment_intent.succeeded", json!({"id": "pi_1"})));
        assert!(ignored("checkout.session.expired", session("unpaid")));
        assert!(ignored("checkout.session.completed", session("no_payment_required")));
        let mut foreign = session("paid");
        foreign["metadata"] = json!({});
        assert!(ignored("checkout.session.completed", foreign));
        let mut odd = session("paid");
        odd["metadata"]["tenant"] = json!("Not A Tenant!");
        assert!(ignored("checkout.session.completed", odd));
    }

    #[test]
    fn a_session_of_ours_without_amount_or_currency_names_the_field() {
        for (field, value, named) in [
            ("amount_total", serde_json::Value::Null, "data.object.amount_total: missing"),
            ("currency", json!("zzz"), "data.object.currency:"),
            ("currency", serde_json::Value::Null, "data.object.currency: missing"),
        ] {
            let mut bad = session("paid");
            bad[field] = value;
            let error =
                action_of(&event("checkout.session.completed", bad), now()).err().unwrap().to_string();
            assert!(error.starts_with(named), "{error}");
        }
        let error =
            action_of(&event("checkout.session.completed", json!({"object": "x"})), now()).err().unwrap();
        assert!(error.to_string().starts_with("data.object.id: "), "{error}");
        let error = action_of(&event("checkout.session.completed", json!("x")), now()).err().unwrap();
        assert!(error.to_string().starts_with("data.object: not a Checkout Session"), "{error}");
        let mut odd = session("paid");
        odd["amount_total"] = json!("12345");
        let error = action_of(&event("checkout.session.completed", odd), now()).err().unwrap();
        assert!(error.to_string().starts_with("data.object.amount_total: invalid type"), "{error}");
    }
}
