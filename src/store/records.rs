//! The plain records that cross the [`Store`](super::Store) boundary: what intake rejects, what the
//! scheduler reads and decides, what delivery reads and reports, and the counts of `stats`.

use super::reports::ReceiptStatus;
use crate::domain::legal::{CaseClaim, InDefault, ReceivedPayment, SentReminder};
use crate::domain::{
    CaseState, ChannelKind, Consents, Debtor, InvoiceNumber, Money, PaymentTerms, PlanName, PolicyVersion,
    TenantId, Tone,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// A message intake could not accept, as stored in `intake_rejections`.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub received_at: DateTime<Utc>,
    pub routing_key: String,
    pub field: String,
    pub reason: String,
    pub tenant: Option<String>,
    pub invoice_number: Option<String>,
    /// The raw message, cut to 64 KiB so a hostile payload cannot fill the disk.
    pub payload: Vec<u8>,
}

/// A stored rejection as `mahnwerk rejections` lists it: what was refused, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRejection {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub routing_key: String,
    /// The field the message failed on (`body` when it was not JSON at all).
    pub field: String,
    pub reason: String,
    pub tenant: Option<String>,
    pub invoice_number: Option<String>,
    /// How many bytes of the message were kept (at most 64 KiB).
    pub payload_bytes: u64,
}

/// Whose rejections to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectionScope {
    All,
    /// Messages that named this tenant.
    Tenant(String),
    /// Messages whose tenant could not be read (not JSON, or no `tenant` field).
    NoTenant,
}

/// A case whose next action is due, with everything the scheduler needs to decide it.
#[derive(Debug, Clone)]
pub struct DueCase {
    pub case_id: i64,
    pub state: CaseState,
    /// How many stages were planned so far; the next stage has this 0-based index.
    pub stages_planned: u32,
    pub tenant: TenantId,
    pub invoice_number: InvoiceNumber,
    pub due_on: NaiveDate,
    pub amount_due: Money,
    pub amount_paid: Decimal,
    pub plan: PlanName,
    pub debtor: Debtor,
    /// The debtor's consent per channel, from the ledger.
    pub consents: Consents,
    /// When the debtor last wrote to the creditor on Messenger, if ever: the Send API delivers a
    /// reminder only inside 24 hours of that.
    pub messenger_inbound_at: Option<DateTime<Utc>>,
    /// When the case was opened (the invoice's receipt): the first stage's `wait_days` are
    /// counted from it.
    pub opened_at: DateTime<Utc>,
    /// When the case's latest reminder actually went out, if any did: the plan's gap to the
    /// next stage is measured from it.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// Whether a reminder of the case is still to go out (scheduled or queued).
    pub reminder_pending: bool,
}

impl DueCase {
    /// Whom events about this case are about.
    pub fn subject(&self) -> crate::runtime::Subject {
        crate::runtime::Subject {
            tenant: self.tenant.clone(),
            case_id: self.case_id,
            invoice_number: self.invoice_number.clone(),
            debtor_id: self.debtor.id.clone(),
        }
    }
}

/// The scheduler's verdict on a due case.
#[derive(Debug, Clone)]
pub enum CaseDecision {
    Remind(NewReminder),
    /// Every stage was sent without payment.
    Escalate,
    /// Nothing to do before this time (e.g. no channel allowed right now).
    Wait {
        until: DateTime<Utc>,
    },
}

/// A reminder to write into the outbox, with the decision's log.
#[derive(Debug, Clone)]
pub struct NewReminder {
    pub stage: u32,
    pub stage_name: String,
    pub tone: Tone,
    pub fee: Decimal,
    pub channel: ChannelKind,
    pub send_at: DateTime<Utc>,
    /// The end of the allowed window it was planned for: found later, it is caught up
    /// (`schedule::catch_up`), not sent.
    pub send_by: DateTime<Utc>,
    pub local_hour: u8,
    pub context: serde_json::Value,
    /// The arms the policy chose among: `{"channels": [...], "hours": [...]}`.
    pub allowed: serde_json::Value,
    pub propensity: f64,
    pub policy_version: PolicyVersion,
    /// When the case is due for its next stage.
    pub next_action_at: DateTime<Utc>,
    /// The instalment (from 1) an instalment reminder is about; 0 for a dunning stage's reminder.
    /// On an instalment reminder `stage` is its [`crate::domain::InstalmentNotice`].
    pub instalment: u32,
    /// On the plan's last stage: the days after its send when the case escalates unless paid,
    /// the deadline the reminder names. `None` on every other reminder.
    pub escalates_after_days: Option<u32>,
}

/// A reminder the dispatcher found after its allowed window closed (`schedule::catch_up`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateReminder {
    pub id: i64,
    pub case_id: i64,
    /// The plan stage, from 0.
    pub stage: u32,
    /// When it was planned to go out.
    pub send_at: DateTime<Utc>,
    /// The local hour the policy chose.
    pub local_hour: u8,
    pub timezone: chrono_tz::Tz,
    /// The debtor's country (ISO 3166-1 alpha-2), for public holidays.
    pub country: Option<String>,
}

/// A reminder claimed for dispatch (held until published and marked queued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedReminder {
    pub id: i64,
    pub channel: ChannelKind,
}

/// Everything a channel worker needs to render and send one reminder.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub reminder_id: i64,
    pub idempotency_key: String,
    pub status: ReminderStatus,
    pub attempts: u32,
    pub send_at: DateTime<Utc>,
    /// When it was last published to its channel's queue (its dispatch stamp), if ever.
    pub queued_at: Option<DateTime<Utc>>,
    pub channel: ChannelKind,
    pub stage: u32,
    pub stage_name: String,
    pub tone: Tone,
    pub fee: Decimal,
    pub case_state: CaseState,
    pub case_id: i64,
    pub tenant: TenantId,
    pub invoice_number: InvoiceNumber,
    /// The invoice's date, printed in the letter's information block.
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub terms: PaymentTerms,
    /// The default date the case stores, once fixed.
    pub default_on: Option<InDefault>,
    pub amount_due: Money,
    pub amount_paid: Decimal,
    /// The case's reminders sent so far and its payments, for what is owed.
    pub sent: Vec<SentReminder>,
    pub payments: Vec<ReceivedPayment>,
    pub debtor: Debtor,
    /// The debtor's consent per channel as it is now, re-checked before sending.
    pub consents: Consents,
    /// When the debtor last wrote to us on this reminder's channel (WhatsApp's and Messenger's
    /// 24-hour window), if ever.
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// The instalment (from 1) an instalment reminder is about; 0 for a dunning stage's reminder.
    pub instalment: u32,
    /// On the plan's last stage: the days after the send when the case escalates unless paid.
    pub escalates_after_days: Option<u32>,
    /// The case's open instalment plan, read for instalment reminders only; `None` once the
    /// plan ended (kept, missed or replaced).
    pub plan: Option<crate::store::tx::InstalmentPlan>,
}

impl DeliveryJob {
    /// The case as the legal engine sees it on `today`, with this reminder counted as sent that
    /// day (it is about to be: its own fee belongs on it).
    pub fn claim(&self, today: NaiveDate) -> CaseClaim {
        let mut reminders = self.sent.clone();
        // An instalment reminder is no dunning stage: no fee, not counted as a reminder sent.
        if self.instalment == 0 && !reminders.iter().any(|r| r.stage == self.stage) {
            reminders.push(SentReminder {
                stage: self.stage,
                channel: self.channel,
                sent_on: today,
                fee: self.fee,
            });
        }
        CaseClaim {
            invoice: self.invoice_number.clone(),
            debtor: self.debtor.kind,
            currency: self.amount_due.currency(),
            principal: self.amount_due.amount(),
            issued_on: self.issued_on,
            due_on: self.due_on,
            due_by_calendar: self.terms.due_by_calendar,
            states_30_day_rule: self.terms.states_30_day_rule,
            reminders,
            payments: self.payments.clone(),
            default_on: self.default_on,
        }
    }
}

/// Where a reminder stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReminderStatus {
    /// Written by the scheduler, waiting for its send time (or, with a running lease, being
    /// published by a dispatcher).
    Scheduled,
    /// Published to the channel's queue.
    Queued,
    Sent,
    Failed,
    /// The case closed (paid, cancelled, paused) before it went out.
    Cancelled,
    /// A channel worker saw the case closed and did not send.
    Skipped,
}

impl ReminderStatus {
    pub const ALL: [ReminderStatus; 6] =
        [Self::Scheduled, Self::Queued, Self::Sent, Self::Failed, Self::Cancelled, Self::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Not yet sent and still meant to be.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Scheduled | Self::Queued)
    }
}

/// What a channel worker did with a job.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    pub reminder_id: i64,
    pub result: DeliveryResult,
    /// The job sent, when its case stores no default date yet: recording it as sent may fix
    /// that date ([`CaseClaim::default_to_store`]). `None` when there is nothing to fix.
    pub undated: Option<Box<DeliveryJob>>,
}

#[derive(Debug, Clone)]
pub enum DeliveryResult {
    Sent {
        provider_id: String,
    },
    Skipped {
        reason: String,
    },
    /// A transient failure: back into the outbox for another try at `retry_at`.
    Retry {
        error: String,
        retry_at: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
    /// The debtor's address on this channel is dead (hard bounce, no such number, not on
    /// WhatsApp): the reminder failed, `address` is remembered as unreachable for the debtor,
    /// and the case's stage is planned again on another channel.
    Unreachable {
        error: String,
        address: String,
    },
    /// The debtor opted out of this channel between planning and sending: the reminder is
    /// skipped with `reason`, nothing is sent, and the case's stage is planned again on the
    /// channels the debtor still allows (or the case escalates when none is left).
    OptedOut {
        reason: String,
    },
}

/// One reminder as seen from outside (tests, operator views).
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderView {
    pub id: i64,
    pub stage: u32,
    pub channel: ChannelKind,
    pub status: ReminderStatus,
    pub send_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub provider_id: Option<String>,
    pub reward: Option<f64>,
    /// The policy (and model snapshot) that chose channel and hour.
    pub policy_version: PolicyVersion,
    /// The furthest delivery receipt the provider sent, and when.
    pub receipt_status: Option<ReceiptStatus>,
    pub receipt_at: Option<DateTime<Utc>>,
    /// Why the last attempt did not send (the channel's refusal or the provider's error), if so.
    pub last_error: Option<String>,
    /// What the provider's failed or undelivered receipt said, if so.
    pub receipt_error: Option<String>,
    /// The instalment an instalment reminder is about (from 1); 0 for a stage's reminder.
    pub instalment: u32,
}

/// One case as seen from outside.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseView {
    pub case_id: i64,
    pub state: CaseState,
    pub stages_planned: u32,
    pub amount_paid: Decimal,
    pub next_action_at: Option<DateTime<Utc>>,
}

/// What waits to leave (see [`super::Store::backlog`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Reminders whose send time has come and that no dispatcher has published yet.
    pub reminders_due: u64,
    /// Reminders published to their channel's queue, without a send result yet.
    pub reminders_queued: u64,
    /// Stored events the relay has not published yet.
    pub events_unrelayed: u64,
}

/// Counts for `mahnwerk stats --json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub cases: CaseCounts,
    pub reminders: ReminderCounts,
    pub payments: u64,
    pub intake_rejections: u64,
    /// Debtors per channel and consent in force (`{"sms": {"opt_in": 0, "opt_out": 3}}`).
    pub consents: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaseCounts {
    pub total: u64,
    #[serde(flatten)]
    pub by_state: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReminderCounts {
    pub total: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_channel: BTreeMap<String, u64>,
    pub by_stage: BTreeMap<String, u64>,
    /// Reminders by their furthest delivery receipt (`sent`, `delivered`, `read`, `failed`).
    pub by_receipt: BTreeMap<String, u64>,
}

/// The idempotency key of a reminder: stable across retries and redeliveries, unique per case
/// and stage (per case, instalment and notice for an instalment reminder), and acceptable to
/// every channel's key rules.
pub fn idempotency_key(case_id: i64, stage: u32, instalment: u32) -> String {
    if instalment == 0 {
        format!("rem-{case_id}-{stage}")
    } else {
        format!("rem-{case_id}-i{instalment}-{stage}")
    }
}

/// One event of the log, handed to the relay for publishing to `{ns}.events`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The routing key on the events exchange, e.g. `reminder.outcome`.
    pub kind: String,
    /// The event's JSON body as stored.
    pub data: String,
}

/// A model snapshot the learner wrote, as the schedulers load it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySnapshotRecord {
    /// Grows by one with every snapshot written; recorded on reminders as `bandit-v{version}`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// Outcomes the model had learned from when it was written.
    pub updates: i64,
    /// `mahnwerk_models::bandit::Snapshot` as JSON.
    pub body: String,
}

/// How many snapshots the store keeps (older ones are deleted when a new one is written), so an
/// operator can roll back a few versions.
pub const SNAPSHOTS_KEPT: i64 = 10;

/// Events handed to one relay, in the order to publish them (see
/// [`Store::next_events`](super::Store::next_events)). Publish them, then call
/// [`published`](Self::published); dropping the batch instead leaves them for the next relay.
pub struct EventBatch {
    pub events: Vec<EventRecord>,
    cursor: Box<dyn RelayCursor>,
}

impl EventBatch {
    pub(super) fn new(events: Vec<EventRecord>, cursor: Box<dyn RelayCursor>) -> Self {
        Self { events, cursor }
    }

    /// Moves the relay's cursor past these events: they are never handed out again.
    pub async fn published(self) -> Result<(), super::StoreError> {
        self.cursor.advance().await
    }
}

impl std::fmt::Debug for EventBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBatch").field("events", &self.events).finish_non_exhaustive()
    }
}

/// A backend's hold on the relay's position while a batch is being published.
#[async_trait::async_trait]
pub(super) trait RelayCursor: Send {
    /// Records the batch as published and lets the next relay go on after it.
    async fn advance(self: Box<Self>) -> Result<(), super::StoreError>;
}
