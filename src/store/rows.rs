//! Rows as both backends return them, and their conversion back into domain values. Both
//! backends select money as text (`::text` on PostgreSQL, TEXT columns on SQLite) so that one row
//! type serves both; a value that no longer parses is [`StoreError::Corrupt`].

use super::records::*;
use super::reports::ReceiptStatus;
use super::StoreError;
use crate::domain::*;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;

pub(super) fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

pub(super) fn decimal(what: &str, raw: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(raw).map_err(|e| corrupt(what, e))
}

pub(super) fn money(raw: &str, currency: &str) -> Result<Money, StoreError> {
    let currency = Currency::parse(currency).map_err(|e| corrupt("currency", e))?;
    Ok(Money::new(decimal("amount", raw)?, currency))
}

pub(super) fn channel(raw: &str) -> Result<ChannelKind, StoreError> {
    raw.parse().map_err(|e| corrupt("channel", e))
}

pub(super) fn tone(raw: &str) -> Result<Tone, StoreError> {
    match raw {
        "friendly" => Ok(Tone::Friendly),
        "neutral" => Ok(Tone::Neutral),
        "firm" => Ok(Tone::Firm),
        other => Err(corrupt("tone", other)),
    }
}

/// The default date a case stores (`default_on`, `default_ground`), if it stores one.
pub(super) fn stored_default(
    on: Option<NaiveDate>,
    ground: Option<&str>,
) -> Result<Option<crate::domain::legal::InDefault>, StoreError> {
    use crate::domain::legal::{DefaultGround, InDefault};
    match (on, ground) {
        (Some(on), Some(ground)) => {
            let ground = DefaultGround::parse(ground).ok_or_else(|| corrupt("default ground", ground))?;
            Ok(Some(InDefault::stored(on, ground)))
        }
        (None, None) => Ok(None),
        _ => Err(corrupt("default date", "a date without its ground or a ground without its date")),
    }
}

pub(super) fn case_state(raw: &str) -> Result<CaseState, StoreError> {
    CaseState::parse(raw).ok_or_else(|| corrupt("case state", raw))
}

pub(super) fn reminder_status(raw: &str) -> Result<ReminderStatus, StoreError> {
    ReminderStatus::parse(raw).ok_or_else(|| corrupt("reminder status", raw))
}

/// The debtor columns, selected with these names by both backends.
#[derive(sqlx::FromRow)]
pub(super) struct DebtorRow {
    pub debtor_id: String,
    pub kind: String,
    pub name: String,
    pub language: String,
    pub timezone: String,
    pub email: Option<String>,
    /// JSON object channel -> dead address, or NULL.
    pub unreachable: Option<String>,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub whatsapp_opt_in: bool,
    pub messenger_psid: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub contact_person: Option<String>,
    pub iban: Option<String>,
}

impl DebtorRow {
    pub fn into_debtor(self) -> Result<Debtor, StoreError> {
        let address = match (self.address_line1, self.postal_code, self.city, self.country) {
            (Some(line1), Some(postal_code), Some(city), Some(country)) => {
                let country = CountryCode::parse(&country).map_err(|e| corrupt("country", e))?;
                Some(
                    PostalAddress::parse(&line1, self.address_line2.as_deref(), &postal_code, &city, country)
                        .map_err(|(field, e)| corrupt(field, e))?,
                )
            }
            _ => None,
        };
        Ok(Debtor {
            id: DebtorId::parse(&self.debtor_id).map_err(|e| corrupt("debtor id", e))?,
            kind: DebtorKind::parse(&self.kind).map_err(|e| corrupt("debtor kind", e))?,
            name: self.name,
            contact_person: self.contact_person,
            language: Language::parse(&self.language).map_err(|e| corrupt("language", e))?,
            timezone: Timezone::parse(&self.timezone).map_err(|e| corrupt("timezone", e))?,
            email: self.email.map(|e| Email::from_store(&e)).transpose().map_err(|e| corrupt("email", e))?,
            phone: self
                .phone
                .map(|p| PhoneE164::from_store(&p))
                .transpose()
                .map_err(|e| corrupt("phone", e))?,
            whatsapp: self
                .whatsapp
                .map(|p| PhoneE164::from_store(&p))
                .transpose()
                .map_err(|e| corrupt("whatsapp", e))?,
            whatsapp_opt_in: self.whatsapp_opt_in,
            messenger_psid: self.messenger_psid,
            address,
            iban: self.iban,
            unreachable: match self.unreachable {
                Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("debtors.unreachable", e))?,
                None => Default::default(),
            },
        })
    }
}

/// The columns of a due case joined with its invoice and debtor.
#[derive(sqlx::FromRow)]
pub(super) struct DueCaseRow {
    pub case_id: i64,
    pub state: String,
    pub stages_planned: i32,
    pub tenant: String,
    pub number: String,
    pub due_on: NaiveDate,
    pub currency: String,
    pub amount_due: String,
    pub amount_paid: String,
    pub plan: String,
    #[sqlx(flatten)]
    pub debtor: DebtorRow,
    #[sqlx(flatten)]
    pub consents: ConsentColumns,
    /// See [`MESSENGER_INBOUND`].
    pub messenger_inbound_at: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
    /// See [`PREVIOUS_SEND`].
    pub last_sent_at: Option<DateTime<Utc>>,
    pub reminders_pending: i64,
}

/// The case `c`'s latest actual send of a stage and how many of its stages' reminders are still
/// to go out, selected as `last_sent_at` and `reminders_pending` by both backends' planners
/// (instalment reminders are no stage: the stages' gaps do not count from them).
pub(super) const PREVIOUS_SEND: &str =
    "(SELECT MAX(ps.sent_at) FROM reminders ps WHERE ps.case_id = c.id AND ps.instalment = 0) AS last_sent_at, \
     (SELECT COUNT(*) FROM reminders pp WHERE pp.case_id = c.id AND pp.instalment = 0 \
       AND pp.status IN ('scheduled', 'queued')) AS reminders_pending";

/// When the debtor last wrote on Messenger, selected as `messenger_inbound_at` by both backends'
/// planners (`d` is the debtor): the Send API only delivers inside 24 hours of that.
pub(super) const MESSENGER_INBOUND: &str = "(SELECT ib.last_at FROM inbound_contacts ib \
     WHERE ib.tenant = d.tenant AND ib.debtor_id = d.id AND ib.channel = 'messenger') AS messenger_inbound_at";

impl DueCaseRow {
    pub fn into_due_case(self) -> Result<DueCase, StoreError> {
        Ok(DueCase {
            case_id: self.case_id,
            state: case_state(&self.state)?,
            stages_planned: self.stages_planned as u32,
            tenant: TenantId::parse(&self.tenant).map_err(|e| corrupt("tenant", e))?,
            invoice_number: InvoiceNumber::parse(&self.number).map_err(|e| corrupt("invoice number", e))?,
            due_on: self.due_on,
            amount_due: money(&self.amount_due, &self.currency)?,
            amount_paid: decimal("amount paid", &self.amount_paid)?,
            plan: PlanName::parse(&self.plan).map_err(|e| corrupt("invoices.plan", e))?,
            debtor: self.debtor.into_debtor()?,
            consents: self.consents.into_consents()?,
            messenger_inbound_at: self.messenger_inbound_at,
            opened_at: self.opened_at,
            last_sent_at: self.last_sent_at,
            reminder_pending: self.reminders_pending > 0,
        })
    }
}

/// The columns of a reminder joined with its case, invoice and debtor.
#[derive(sqlx::FromRow)]
pub(super) struct DeliveryJobRow {
    pub reminder_id: i64,
    pub idempotency_key: String,
    pub status: String,
    pub attempts: i32,
    pub send_at: DateTime<Utc>,
    pub queued_at: Option<DateTime<Utc>>,
    pub channel: String,
    pub stage: i32,
    pub stage_name: String,
    pub tone: String,
    pub fee: String,
    pub case_state: String,
    pub case_id: i64,
    pub tenant: String,
    pub number: String,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub due_by_calendar: bool,
    pub states_30_day_rule: bool,
    pub default_on: Option<NaiveDate>,
    pub default_ground: Option<String>,
    pub currency: String,
    pub amount_due: String,
    pub amount_paid: String,
    #[sqlx(flatten)]
    pub debtor: DebtorRow,
    #[sqlx(flatten)]
    pub consents: ConsentColumns,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub instalment: i32,
    pub escalates_after_days: Option<i32>,
}

impl DeliveryJobRow {
    pub fn into_job(self) -> Result<DeliveryJob, StoreError> {
        Ok(DeliveryJob {
            reminder_id: self.reminder_id,
            idempotency_key: self.idempotency_key,
            status: reminder_status(&self.status)?,
            attempts: self.attempts as u32,
            send_at: self.send_at,
            queued_at: self.queued_at,
            channel: channel(&self.channel)?,
            stage: self.stage as u32,
            stage_name: self.stage_name,
            tone: tone(&self.tone)?,
            fee: decimal("fee", &self.fee)?,
            case_state: case_state(&self.case_state)?,
            tenant: TenantId::parse(&self.tenant).map_err(|e| corrupt("tenant", e))?,
            case_id: self.case_id,
            invoice_number: InvoiceNumber::parse(&self.number).map_err(|e| corrupt("invoice number", e))?,
            issued_on: self.issued_on,
            due_on: self.due_on,
            terms: PaymentTerms {
                due_by_calendar: self.due_by_calendar,
                states_30_day_rule: self.states_30_day_rule,
            },
            default_on: stored_default(self.default_on, self.default_ground.as_deref())?,
            amount_due: money(&self.amount_due, &self.currency)?,
            amount_paid: decimal("amount paid", &self.amount_paid)?,
            sent: Vec::new(),
            payments: Vec::new(),
            debtor: self.debtor.into_debtor()?,
            consents: self.consents.into_consents()?,
            last_inbound_at: self.last_inbound_at,
            instalment: self.instalment as u32,
            escalates_after_days: self.escalates_after_days.map(|days| days as u32),
            plan: None,
        })
    }
}

/// The consent in force on one channel of the debtor `d`, selected as `consent_<channel>`: one
/// lookup by key in `consent_state`, which the store keeps beside the ledger.
macro_rules! consent_in_force {
    ($channel:literal) => {
        concat!(
            "(SELECT s.kind FROM consent_state s WHERE s.tenant = d.tenant AND s.debtor_id = d.id AND s.channel = '",
            $channel,
            "') AS consent_",
            $channel
        )
    };
}

/// The consent in force on every channel of the debtor `d`, read into [`ConsentColumns`].
pub(super) const CONSENT_COLUMNS: &str = concat!(
    consent_in_force!("email"),
    ", ",
    consent_in_force!("sms"),
    ", ",
    consent_in_force!("whatsapp"),
    ", ",
    consent_in_force!("messenger"),
    ", ",
    consent_in_force!("letter")
);

/// The columns [`CONSENT_COLUMNS`] selects: the kind in force per channel, `None` where the
/// ledger has no event for it.
#[derive(sqlx::FromRow)]
pub(super) struct ConsentColumns {
    pub consent_email: Option<String>,
    pub consent_sms: Option<String>,
    pub consent_whatsapp: Option<String>,
    pub consent_messenger: Option<String>,
    pub consent_letter: Option<String>,
}

impl ConsentColumns {
    pub fn into_consents(self) -> Result<Consents, StoreError> {
        let mut consents = Consents::default();
        for channel in ChannelKind::ALL {
            let kind = match channel {
                ChannelKind::Email => self.consent_email.as_deref(),
                ChannelKind::Sms => self.consent_sms.as_deref(),
                ChannelKind::Whatsapp => self.consent_whatsapp.as_deref(),
                ChannelKind::Messenger => self.consent_messenger.as_deref(),
                ChannelKind::Letter => self.consent_letter.as_deref(),
            };
            if let Some(kind) = kind {
                consents
                    .set(channel, ConsentKind::parse(kind).map_err(|e| corrupt("consent_state.kind", e))?);
            }
        }
        Ok(consents)
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ReminderViewRow {
    pub id: i64,
    pub stage: i32,
    pub channel: String,
    pub status: String,
    pub send_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub provider_id: Option<String>,
    pub reward: Option<f64>,
    pub policy_version: String,
    pub receipt_status: Option<String>,
    pub receipt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub receipt_error: Option<String>,
    pub instalment: i32,
}

impl ReminderViewRow {
    pub fn into_view(self) -> Result<ReminderView, StoreError> {
        Ok(ReminderView {
            id: self.id,
            stage: self.stage as u32,
            channel: channel(&self.channel)?,
            status: reminder_status(&self.status)?,
            send_at: self.send_at,
            sent_at: self.sent_at,
            provider_id: self.provider_id,
            reward: self.reward,
            policy_version: PolicyVersion::parse(&self.policy_version)
                .map_err(|e| corrupt("reminders.policy_version", e))?,
            receipt_status: self
                .receipt_status
                .map(|raw| ReceiptStatus::parse(&raw).ok_or_else(|| corrupt("receipt status", raw)))
                .transpose()?,
            receipt_at: self.receipt_at,
            last_error: self.last_error,
            receipt_error: self.receipt_error,
            instalment: self.instalment as u32,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CaseViewRow {
    pub case_id: i64,
    pub state: String,
    pub stages_planned: i32,
    pub amount_paid: String,
    pub next_action_at: Option<DateTime<Utc>>,
}

impl CaseViewRow {
    pub fn into_view(self) -> Result<CaseView, StoreError> {
        Ok(CaseView {
            case_id: self.case_id,
            state: case_state(&self.state)?,
            stages_planned: self.stages_planned as u32,
            amount_paid: decimal("amount paid", &self.amount_paid)?,
            next_action_at: self.next_action_at,
        })
    }
}

/// The columns both backends select for a debtor, prefixed by the `debtors` alias `d`.
pub(super) const DEBTOR_COLUMNS: &str =
    "d.id AS debtor_id, d.kind, d.name, d.language, d.timezone, d.email, d.unreachable, \
     d.phone, d.whatsapp, d.whatsapp_opt_in, d.messenger_psid, d.address_line1, d.address_line2, \
     d.postal_code, d.city, d.country, d.contact_person, d.iban";

/// The `(key, count)` rows `stats` is built from.
pub(super) struct StatsRows {
    pub cases: Vec<(String, i64)>,
    pub statuses: Vec<(String, i64)>,
    pub channels: Vec<(String, i64)>,
    pub stages: Vec<(String, i64)>,
    pub receipts: Vec<(String, i64)>,
    /// `(channel, kind, debtors)` of the consent in force.
    pub consents: Vec<(String, String, i64)>,
    pub payments: i64,
    pub rejections: i64,
}

/// The SQL both backends count receipts and consents in force with.
pub(super) const RECEIPT_COUNTS: &str =
    "SELECT receipt_status, COUNT(*) FROM reminders WHERE receipt_status IS NOT NULL GROUP BY receipt_status";
pub(super) const CONSENT_COUNTS: &str =
    "SELECT channel, kind, COUNT(*) FROM consent_state GROUP BY channel, kind";

/// Builds the stats from `(key, count)` rows.
pub(super) fn stats_from(rows: StatsRows) -> Stats {
    let StatsRows { cases, statuses, channels, stages, receipts, consents, payments, rejections } = rows;
    let mut stats =
        Stats { payments: payments as u64, intake_rejections: rejections as u64, ..Stats::default() };
    for state in CaseState::ALL {
        stats.cases.by_state.insert(state.as_str().to_owned(), 0);
    }
    for (state, n) in cases {
        stats.cases.total += n as u64;
        stats.cases.by_state.insert(state, n as u64);
    }
    for status in ReminderStatus::ALL {
        stats.reminders.by_status.insert(status.as_str().to_owned(), 0);
    }
    for (status, n) in statuses {
        stats.reminders.total += n as u64;
        stats.reminders.by_status.insert(status, n as u64);
    }
    stats.reminders.by_channel = channels.into_iter().map(|(k, n)| (k, n as u64)).collect();
    stats.reminders.by_stage = stages.into_iter().map(|(k, n)| (k, n as u64)).collect();
    for status in ReceiptStatus::ALL {
        stats.reminders.by_receipt.insert(status.as_str().to_owned(), 0);
    }
    for (status, n) in receipts {
        stats.reminders.by_receipt.insert(status, n as u64);
    }
    for (channel, kind, n) in consents {
        let by_kind = stats.consents.entry(channel).or_insert_with(|| {
            [ConsentKind::OptIn, ConsentKind::OptOut].map(|k| (k.as_str().to_owned(), 0)).into()
        });
        by_kind.insert(kind, n as u64);
    }
    stats
}

/// The open instalment plan of case `$1`, in order.
pub(super) const OPEN_INSTALMENTS: &str = "SELECT seq, due_on, CAST(amount AS TEXT) AS amount, \
     CAST(paid_before AS TEXT) AS paid_before FROM instalments WHERE case_id = $1 AND state = 'open' ORDER BY seq";

#[derive(sqlx::FromRow)]
pub(super) struct InstalmentRow {
    seq: i32,
    due_on: NaiveDate,
    amount: String,
    paid_before: String,
}

/// The plan the rows of [`OPEN_INSTALMENTS`] make; `None` without rows.
pub(super) fn instalment_plan(
    rows: Vec<InstalmentRow>,
) -> Result<Option<super::tx::InstalmentPlan>, StoreError> {
    let Some(first) = rows.first() else { return Ok(None) };
    let paid_before = decimal("paid before", &first.paid_before)?;
    let instalments = rows
        .iter()
        .zip(1..)
        .map(|(row, number)| {
            Ok(crate::domain::Instalment {
                seq: row.seq as u32,
                number,
                due_on: row.due_on,
                amount: decimal("instalment amount", &row.amount)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(super::tx::InstalmentPlan { instalments, paid_before }))
}
