//! The events published on `{ns}.events`: one serde type, versioned, each saying whom it is about
//! (tenant, case, invoice, debtor, time) before what happened. Stages build them; the store
//! keeps them in its log (the transactional outbox) and the relay publishes them with the kind
//! as routing key and [`Event::to_json`] as body. `docs/events.md` shows every kind's body.

use crate::domain::{
    ChannelKind, Currency, DebtorId, DisputeReason, DisputeResolution, InvoiceNumber, PaymentSource,
    PlanName, PolicyVersion, TenantId,
};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The version of the events' shape, in every body as `"schema"`. A consumer that meets
/// another version should not guess.
pub const EVENT_SCHEMA: &str = "mahnwerk.event.v1";

/// One thing that happened to one case. The identity fields come first in the body, then
/// `kind` and the kind's own fields (see [`EventBody`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub schema: Schema,
    pub tenant: TenantId,
    pub case_id: i64,
    pub invoice_number: InvoiceNumber,
    pub debtor_id: DebtorId,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: EventBody,
}

/// The single version of [`EVENT_SCHEMA`]; serialises as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Schema {
    #[default]
    #[serde(rename = "mahnwerk.event.v1")]
    V1,
}

/// Whom an event is about: the case of one invoice of one debtor of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub tenant: TenantId,
    pub case_id: i64,
    pub invoice_number: InvoiceNumber,
    pub debtor_id: DebtorId,
}

impl Subject {
    /// The event `body` about this subject, at `occurred_at`.
    pub fn event(&self, occurred_at: DateTime<Utc>, body: EventBody) -> Event {
        Event {
            schema: Schema::V1,
            tenant: self.tenant.clone(),
            case_id: self.case_id,
            invoice_number: self.invoice_number.clone(),
            debtor_id: self.debtor_id.clone(),
            occurred_at,
            body,
        }
    }
}

/// What happened, by kind; the kind is the routing key on the events exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum EventBody {
    /// A payment was recorded against the case's invoice, from any source.
    #[serde(rename = "payment.recorded")]
    PaymentRecorded {
        amount: Decimal,
        currency: Currency,
        /// Where it came from: `amqp` (an `invoice.paid` message).
        source: PaymentSource,
        /// The source's reference: a replay with the same reference is recorded once.
        reference: String,
        paid_at: DateTime<Utc>,
        /// What is still open on the invoice after this payment (0 when paid in full or more).
        remaining: Decimal,
        /// Whether this payment closed the case (it covered what was due).
        case_closed: bool,
    },
    /// The debtor paid with an asynchronous method (SEPA Direct Debit): the PSP has the mandate,
    /// the money is not there yet. Nothing is recorded and dunning goes on until it arrives
    /// (`payment.recorded`) or fails (`payment.failed`).
    #[serde(rename = "payment.pending")]
    PaymentPending {
        amount: Decimal,
        currency: Currency,
        /// The PSP: `stripe`.
        source: PaymentSource,
        /// The PSP's reference, the one `payment.recorded` will carry.
        reference: String,
        /// Until when the payment holds the case's dunning at the latest (no reminder meanwhile);
        /// absent when the case takes no reminders anyway (disputed, escalated, closed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        held_until: Option<DateTime<Utc>>,
    },
    /// A pending payment failed (a direct debit refused or returned): nothing was recorded, and
    /// the case, never closed, is dunned on.
    #[serde(rename = "payment.failed")]
    PaymentFailed {
        amount: Decimal,
        currency: Currency,
        source: PaymentSource,
        reference: String,
        /// The PSP's reason, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A pending payment's hold ran out without word from the PSP: dunning resumes.
    #[serde(rename = "payment.hold_expired")]
    PaymentHoldExpired { source: PaymentSource, reference: String, held_until: DateTime<Utc> },
    /// The creditor cancelled the invoice: no more reminders.
    #[serde(rename = "case.cancelled")]
    CaseCancelled {
        /// What was still open when it was cancelled.
        open_amount: Decimal,
        currency: Currency,
    },
    /// The claim becomes time-barred within the warning window (§§ 195, 199 BGB): the creditor
    /// must act (a court dunning procedure stops the clock, § 204 BGB; reminders do not). Once
    /// per case.
    #[serde(rename = "case.limitation_near")]
    LimitationNear {
        /// The last day before the claim is time-barred.
        limitation_last_day: chrono::NaiveDate,
        /// The case's state now (`reminding`, `escalated`, …).
        state: String,
        open_amount: Decimal,
        currency: Currency,
    },
    /// Every stage of the plan was sent without payment; the case goes to the creditor.
    #[serde(rename = "case.escalated")]
    CaseEscalated {
        open_amount: Decimal,
        currency: Currency,
        /// How many of the plan's stages were planned before it ran out.
        stages_sent: u32,
        plan: PlanName,
        /// The claim statement's sums on the day (principal, fees, interest, paid, total, the
        /// start of default and the limitation date), from the legal engine.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        claim: Option<crate::domain::legal::StatementTotals>,
    },
    /// A reminder's address turned out dead (hard bounce, unknown number, returned letter): the
    /// address is remembered as unreachable and the stage is planned again on another channel.
    #[serde(rename = "channel.unreachable")]
    ChannelUnreachable { reminder_id: i64, channel: ChannelKind, stage: u32 },
    /// The debtor opted out of the reminder's channel before it went out: skipped, and the stage
    /// is planned again on the channels the debtor still allows.
    #[serde(rename = "channel.opted_out")]
    ChannelOptedOut { reminder_id: i64, channel: ChannelKind, stage: u32 },
    /// A reminder's outcome is known: the decision-log line of `docs/decision-log.md`.
    #[serde(rename = "reminder.outcome")]
    ReminderOutcome(DecisionLine),
    /// The debtor promised on the pay-page to pay by a date: dunning pauses until `resume_at`.
    #[serde(rename = "promise.made")]
    PromiseMade { promised_on: NaiveDate, resume_at: DateTime<Utc> },
    /// A payment closed the case while a promise was open.
    #[serde(rename = "promise.kept")]
    PromiseKept { promised_on: NaiveDate },
    /// The promise's grace ran out unpaid: dunning resumes with the next stage.
    #[serde(rename = "promise.broken")]
    PromiseBroken { promised_on: NaiveDate },
    /// The debtor disputes the claim: the case is held until the creditor resolves it.
    #[serde(rename = "case.disputed")]
    CaseDisputed { reason: DisputeReason, details: String },
    /// The creditor resolved the dispute: dunning resumes, or the case is cancelled.
    #[serde(rename = "case.dispute_resolved")]
    DisputeResolved { resolution: DisputeResolution, note: String },
    /// The debtor agreed an instalment plan within the creditor's rules on the pay-page: dunning
    /// pauses while the instalments are paid on time.
    #[serde(rename = "instalments.agreed")]
    InstalmentsAgreed { instalments: Vec<InstalmentLine> },
    /// An instalment was not paid when its grace ran out: the rest is due and dunning resumes.
    #[serde(rename = "instalment.missed")]
    InstalmentMissed { seq: u32, due_on: NaiveDate, amount: Decimal },
    /// A payment closed the case while an instalment plan was open.
    #[serde(rename = "instalments.completed")]
    InstalmentsCompleted,
    /// The debtor asked for more instalments, or smaller ones, than the creditor's rules allow:
    /// the creditor decides. Dunning goes on meanwhile.
    #[serde(rename = "instalment.requested")]
    InstalmentRequested { months: u32, amount: Decimal, currency: Currency },
    /// The debtor asked to be contacted, by phone or email, within a time window.
    #[serde(rename = "contact.requested")]
    ContactRequested { phone: Option<String>, email: Option<String>, window: String, message: String },
    /// After a payment closed the case, the recommendation hook chose these catalogue items for
    /// the debtor (shown on the pay-page's thank-you view).
    #[serde(rename = "recommendation.created")]
    RecommendationCreated {
        /// The version of the tenant's fitted recommender (its snapshot) that chose them.
        model_version: i64,
        items: Vec<RecommendedItem>,
    },
    /// The debtor followed the link of a recommended item on the thank-you view.
    #[serde(rename = "recommendation.clicked")]
    RecommendationClicked {
        model_version: i64,
        /// The item's place in `recommendation.created`, from 1.
        rank: u32,
        sku: String,
    },
    /// A later invoice of the debtor (dunned, or sent as `invoice.issued`) contains a SKU that
    /// was recommended for this case, within `[recommend] conversion_window_days`. Once per
    /// (recommendation, SKU); the event is about the case the recommendation was made for.
    #[serde(rename = "recommendation.converted")]
    RecommendationConverted {
        model_version: i64,
        sku: String,
        /// When the recommendation was made.
        recommended_at: DateTime<Utc>,
        /// The later invoice the SKU was bought in, and its issue date.
        invoice: String,
        issued_on: NaiveDate,
    },
}

/// One item of `recommendation.created`: the catalogue's item as shown, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendedItem {
    /// Its place in the list, from 1 (best first).
    pub rank: u32,
    pub sku: String,
    pub name: String,
    pub url: String,
    /// The catalogue's price, in the currency of the tenant's invoices.
    pub price: Decimal,
    /// Comparable within one list only.
    pub score: f32,
    /// Why, as the model says it (`{"kind": "often_bought_with", "sku": "TON-1"}`, …).
    pub reason: mahnwerk_models::recommend::Reason,
    /// Why, as the debtor reads it ("often bought with Toner").
    pub reason_text: String,
}

/// One instalment of `instalments.agreed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalmentLine {
    pub seq: u32,
    pub due_on: NaiveDate,
    pub amount: Decimal,
}

/// One decision with its outcome, as the learner learns it and analysts export it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionLine {
    /// The decision's id (the reminder's, as text), matching the policy protocol's `id`.
    pub id: String,
    pub reminder_id: i64,
    /// The learner's key for the debtor: see [`learner_debtor_key`].
    pub debtor: String,
    pub context: serde_json::Value,
    /// When the decision was made.
    pub at: DateTime<Utc>,
    /// The arms it chose among.
    pub channels: serde_json::Value,
    pub hours: serde_json::Value,
    pub sent_at: Option<DateTime<Utc>>,
    pub channel: ChannelKind,
    pub hour: u8,
    /// 1-based stage of the plan.
    pub stage: u32,
    pub propensity: f64,
    /// 1 when a payment followed within the attribution window, 0 when the window closed
    /// without one.
    pub reward: Option<f64>,
    pub policy_version: PolicyVersion,
}

/// `reminders.sent`: the reminders of one tenant and channel that one delivery batch recorded
/// as sent. One event per batch instead of one per reminder keeps the event log's cost off the
/// delivery path; each listed reminder names its own case, invoice and debtor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemindersSent {
    pub schema: Schema,
    pub tenant: TenantId,
    pub occurred_at: DateTime<Utc>,
    /// Always `reminders.sent`.
    pub kind: SentKind,
    pub channel: ChannelKind,
    pub reminders: Vec<SentReminder>,
}

/// The kind of [`RemindersSent`]; serialises as `reminders.sent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SentKind {
    #[default]
    #[serde(rename = "reminders.sent")]
    RemindersSent,
}

/// One reminder of a `reminders.sent` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentReminder {
    pub reminder_id: i64,
    pub case_id: i64,
    pub invoice_number: InvoiceNumber,
    pub debtor_id: DebtorId,
    /// 1-based stage of the plan; on an instalment reminder its notice (1 before the due date,
    /// 2 on it).
    pub stage: u32,
    /// The instalment (from 1) an instalment reminder is about; absent on a stage's reminder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instalment: Option<u32>,
}

/// An event as the store's log keeps it until the relay publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: &'static str,
    /// The case it is about; `None` for a `reminders.sent` batch.
    pub case_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    /// The body as published.
    pub data: String,
}

impl From<&Event> for NewEvent {
    fn from(event: &Event) -> Self {
        Self {
            kind: event.kind(),
            case_id: Some(event.case_id),
            occurred_at: event.occurred_at,
            data: event.to_json(),
        }
    }
}

impl From<&RemindersSent> for NewEvent {
    fn from(sent: &RemindersSent) -> Self {
        Self {
            kind: crate::queue::SENT_EVENT,
            case_id: None,
            occurred_at: sent.occurred_at,
            data: serde_json::to_string(sent).expect("events serialise: every field is a plain value"),
        }
    }
}

/// The learner's key for a debtor: debtor ids are unique per tenant only.
pub fn learner_debtor_key(tenant: &TenantId, debtor: &DebtorId) -> String {
    format!("{tenant}/{debtor}")
}

/// Appends a `reminder.outcome` event for each of these reminders, from their rows as they are
/// now (so after their reward was set), in id order.
pub async fn record_outcomes(tx: &mut dyn StoreTx, ids: &[i64], at: DateTime<Utc>) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let events: Vec<NewEvent> = tx
        .decisions(ids)
        .await?
        .into_iter()
        .map(|(subject, line)| NewEvent::from(&subject.event(at, EventBody::ReminderOutcome(line))))
        .collect();
    tx.append_events(&events).await
}

impl Event {
    /// The routing key on the events exchange.
    pub fn kind(&self) -> &'static str {
        match &self.body {
            EventBody::PaymentRecorded { .. } => "payment.recorded",
            EventBody::PaymentPending { .. } => "payment.pending",
            EventBody::PaymentFailed { .. } => "payment.failed",
            EventBody::PaymentHoldExpired { .. } => "payment.hold_expired",
            EventBody::CaseCancelled { .. } => "case.cancelled",
            EventBody::CaseEscalated { .. } => "case.escalated",
            EventBody::LimitationNear { .. } => "case.limitation_near",
            EventBody::ChannelUnreachable { .. } => "channel.unreachable",
            EventBody::ChannelOptedOut { .. } => "channel.opted_out",
            EventBody::ReminderOutcome(_) => crate::queue::OUTCOME_EVENT,
            EventBody::PromiseMade { .. } => "promise.made",
            EventBody::PromiseKept { .. } => "promise.kept",
            EventBody::PromiseBroken { .. } => "promise.broken",
            EventBody::CaseDisputed { .. } => "case.disputed",
            EventBody::DisputeResolved { .. } => "case.dispute_resolved",
            EventBody::ContactRequested { .. } => "contact.requested",
            EventBody::InstalmentsAgreed { .. } => "instalments.agreed",
            EventBody::InstalmentMissed { .. } => "instalment.missed",
            EventBody::InstalmentsCompleted => "instalments.completed",
            EventBody::InstalmentRequested { .. } => "instalment.requested",
            EventBody::RecommendationCreated { .. } => "recommendation.created",
            EventBody::RecommendationClicked { .. } => "recommendation.clicked",
            EventBody::RecommendationConverted { .. } => "recommendation.converted",
        }
    }

    /// The body as published.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events serialise: every field is a plain value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn subject() -> Subject {
        Subject {
            tenant: TenantId::parse("acme").unwrap(),
            case_id: 7,
            invoice_number: InvoiceNumber::parse("RE-1").unwrap(),
            debtor_id: DebtorId::parse("C-1").unwrap(),
        }
    }

    #[test]
    fn identity_first_then_kind_and_fields() {
        let at = Utc.with_ymd_and_hms(2026, 10, 17, 6, 0, 0).unwrap();
        let event = subject().event(
            at,
            EventBody::CaseCancelled {
                open_amount: Decimal::new(1250, 2),
                currency: Currency::parse("EUR").unwrap(),
            },
        );
        let json: serde_json::Value = serde_json::from_str(&event.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"schema": "mahnwerk.event.v1", "tenant": "acme", "case_id": 7,
                "invoice_number": "RE-1", "debtor_id": "C-1", "occurred_at": "2026-10-17T06:00:00Z",
                "kind": "case.cancelled", "open_amount": "12.50", "currency": "EUR"})
        );
        assert_eq!(event.kind(), json["kind"]);
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn every_kind_names_its_routing_key_in_the_body() {
        let at = Utc.with_ymd_and_hms(2026, 10, 17, 6, 0, 0).unwrap();
        let line = DecisionLine {
            id: "3".into(),
            reminder_id: 3,
            debtor: "acme/C-1".into(),
            context: serde_json::json!({"stage": 1}),
            at,
            channels: serde_json::json!(["email"]),
            hours: serde_json::json!([9]),
            sent_at: Some(at),
            channel: ChannelKind::Email,
            hour: 9,
            stage: 1,
            propensity: 1.0,
            reward: Some(0.0),
            policy_version: PolicyVersion::fixed(),
        };
        let eur = Currency::parse("EUR").unwrap();
        let bodies = [
            EventBody::ReminderOutcome(line),
            EventBody::PaymentPending {
                amount: Decimal::new(4200, 2),
                currency: eur,
                source: PaymentSource::Stripe,
                reference: "pi_1".into(),
                held_until: Some(at),
            },
            EventBody::PaymentHoldExpired {
                source: PaymentSource::Stripe,
                reference: "pi_1".into(),
                held_until: at,
            },
            EventBody::PaymentFailed {
                amount: Decimal::new(4200, 2),
                currency: eur,
                source: PaymentSource::Stripe,
                reference: "pi_1".into(),
                reason: Some("The bank account has been closed.".into()),
            },
            EventBody::ChannelOptedOut { reminder_id: 3, channel: ChannelKind::Sms, stage: 2 },
        ];
        for body in bodies {
            let event = subject().event(at, body);
            let json: serde_json::Value = serde_json::from_str(&event.to_json()).unwrap();
            assert_eq!(json["kind"], event.kind());
            assert_eq!(json["case_id"], 7);
            assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
        }
    }
}
