//! The store's narrow steps for marketing after a payment ([`MarketingSteps`], part of every
//! [`StoreTx`](super::StoreTx)): the marketing consent ledger and the thank-you messages' outbox.
//! Whether a message may go out, and on which channel, is decided in `crate::domain::marketing`
//! and `crate::hooks::thanks`; these steps only read and write rows.

use super::StoreError;
use crate::domain::{
    ChannelKind, ConsentKind, ConsentSource, Consents, Currency, Debtor, DebtorId, MarketingBasis,
    MarketingConsents, TenantId,
};
use crate::runtime::Subject;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One event for the marketing consent ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketingConsentEvent {
    pub tenant: TenantId,
    pub debtor: DebtorId,
    pub channel: ChannelKind,
    /// An opt-in is an explicit consent, an opt-out an objection.
    pub kind: ConsentKind,
    /// When it was given (a consent) or made (an objection).
    pub at: DateTime<Utc>,
    pub source: ConsentSource,
    /// What carried it (`invoice <number>`, the operator, `thank-you message <id>`), written by
    /// mahnwerk and never the debtor's words or addresses: it outlives an erasure as part of the
    /// proof (`crate::intake::privacy::erase`).
    pub detail: Option<String>,
}

/// One event of the marketing consent ledger, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketingConsentRecord {
    pub channel: ChannelKind,
    pub kind: ConsentKind,
    /// When it was given (a consent) or made (an objection).
    pub at: DateTime<Utc>,
    /// [`ConsentSource`]'s name (`intake`, `operator`, `opt_out_link`).
    pub source: String,
    pub detail: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A debtor with what decides whether they may be advertised to: their addresses, their
/// reminder consent and their marketing consent in force per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketingAudience {
    pub debtor: Debtor,
    pub consents: Consents,
    pub marketing: MarketingConsents,
    /// When the debtor last wrote on Messenger: the Send API delivers only within 24 hours.
    pub messenger_inbound_at: Option<DateTime<Utc>>,
}

/// A thank-you message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThankYou {
    pub case_id: i64,
    pub tenant: TenantId,
    pub channel: ChannelKind,
    pub basis: MarketingBasis,
    pub created_at: DateTime<Utc>,
}

/// A thank-you message leased for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThankYouJob {
    pub id: i64,
    /// The paid case it thanks for.
    pub subject: Subject,
    pub channel: ChannelKind,
    pub basis: MarketingBasis,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The paid invoice's currency: the catalogue's prices are in it.
    pub currency: Currency,
}

/// How one attempt to send a thank-you message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThankYouResult {
    Sent {
        provider_id: String,
    },
    /// A transient failure: tried again at `at`.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// A permanent failure, or the attempts used up.
    Failed {
        error: String,
    },
    /// Not sent, by decision: the consent changed since it was queued, or nothing is left to
    /// recommend.
    Withheld {
        reason: String,
    },
}

/// The narrow steps of marketing after payment.
#[async_trait]
pub trait MarketingSteps: Send {
    /// Appends `event` to the marketing ledger; `false` when the tenant has no such debtor or
    /// the same event (subject, channel, kind, time, source) is there already.
    async fn record_marketing_consent(
        &mut self,
        event: &MarketingConsentEvent,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Stores `debtor` as `tenant`'s (and the tenant, if new) unless the tenant has a debtor
    /// with its id already, whose data then stay as they are; whether it was new. The marketing
    /// ledger is kept per debtor: an issued invoice, which writes no debtor otherwise, stores
    /// one through this before its claim.
    async fn store_debtor_if_new(
        &mut self,
        tenant: &TenantId,
        debtor: &Debtor,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The marketing consent ledger of `tenant`'s debtor `debtor`, in the order that decides
    /// which event is in force (by `at`, then as recorded): the last event per channel is.
    async fn marketing_ledger(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
    ) -> Result<Vec<MarketingConsentRecord>, StoreError>;

    /// The debtor with their reminder and marketing consent in force; `None` when the tenant has
    /// no such debtor.
    async fn marketing_audience(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
    ) -> Result<Option<MarketingAudience>, StoreError>;

    /// Queues a thank-you message, due at once; `false` (and nothing written) when the case has
    /// one already.
    async fn queue_thank_you(&mut self, message: &NewThankYou) -> Result<bool, StoreError>;

    /// Leases up to `limit` pending thank-you messages due at `now` until `until`, the earliest
    /// due first (on PostgreSQL skipping those another sender holds): no other lease takes them
    /// meanwhile, committed or not.
    async fn lease_thank_yous(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
        until: DateTime<Utc>,
    ) -> Result<Vec<ThankYouJob>, StoreError>;

    /// Records how an attempt ended, on a message still pending (a late result changes nothing
    /// on one already finished).
    async fn finish_thank_you(
        &mut self,
        id: i64,
        result: &ThankYouResult,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The debtor and channel of `tenant`'s thank-you message `id`, if there is one.
    async fn thank_you_recipient(
        &mut self,
        tenant: &TenantId,
        id: i64,
    ) -> Result<Option<(DebtorId, ChannelKind)>, StoreError>;
}
