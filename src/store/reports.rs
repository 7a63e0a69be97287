//! What comes back after sending, as the [`Store`](super::Store) records it: delivery receipts
//! matched to reminders, the debtor's inbound messages (the chat channels' 24-hour window), and
//! consent events for the ledger. One webhook call becomes one [`ProviderReport`], recorded in one
//! transaction.

use crate::domain::{ChannelKind, ConsentKind, ConsentSource, DebtorId, TenantId};
use chrono::{DateTime, Utc};

/// How far a sent message got, as providers report it. Receipts only move forward: a
/// `delivered` arriving after `read` changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReceiptStatus {
    Sent,
    Delivered,
    Read,
    /// The provider gave up after accepting the message (Twilio `undelivered`/`failed`, Meta
    /// `failed`).
    Failed,
}

impl ReceiptStatus {
    pub const ALL: [ReceiptStatus; 4] = [Self::Sent, Self::Delivered, Self::Read, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The order receipts move in. Failed ranks with delivered (either ends the delivery); only a
    /// read, which proves delivery, may follow either.
    pub fn rank(self) -> i32 {
        match self {
            Self::Sent => 1,
            Self::Delivered | Self::Failed => 2,
            Self::Read => 3,
        }
    }
}

/// The rank of the stored `receipt_status` in SQL (both backends), to compare with
/// [`ReceiptStatus::rank`] so that a receipt never moves backwards.
pub(super) const STORED_RECEIPT_RANK: &str =
    "CASE receipt_status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 \
     WHEN 'failed' THEN 2 WHEN 'read' THEN 3 ELSE 0 END";

/// Which reminders a receipt is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptTarget {
    /// The provider's message id, as the delivery recorded it (`reminders.provider_id`).
    ProviderId(String),
    /// Every reminder sent on the channel to this contact up to `watermark` (Messenger's read
    /// receipts name no message, only a time).
    UpTo { contact: String, watermark: DateTime<Utc> },
}

/// One status report about sent messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub channel: ChannelKind,
    pub target: ReceiptTarget,
    pub status: ReceiptStatus,
    pub at: DateTime<Utc>,
    /// The provider's error code or title for a failure; no personal data.
    pub error: Option<String>,
    /// A failure whose code says the address itself is dead (Twilio 30005, WhatsApp 131026…;
    /// the channels crate keeps one list per provider): recording it also remembers the debtor's
    /// address on the channel as unreachable, writes `channel.unreachable`, and hands the stage
    /// back to the planner — as a synchronous dead-address refusal does.
    pub unreachable: bool,
}

/// A message from a debtor to us, by its contact on `channel` (E.164 number, Messenger PSID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub channel: ChannelKind,
    pub contact: String,
    pub at: DateTime<Utc>,
    /// The provider's id of the message (Twilio's `MessageSid`), where its time is only the time
    /// of receipt: the message is recorded once by it, so a replayed signed request moves
    /// nothing. `None` where the provider dates the message itself (Meta), since the later of
    /// two times already makes a replay harmless there.
    pub message_id: Option<String>,
}

/// Whose consent an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentSubject {
    /// One debtor of one tenant (an unsubscribe link, an operator).
    Debtor { tenant: TenantId, debtor: DebtorId },
    /// Every debtor, of any tenant, with this contact on the event's channel: the phone number
    /// for SMS, the WhatsApp number, the Messenger PSID or the email address. A STOP to a shared
    /// sender number stops all messages from it, whichever creditor they come from.
    Contact(String),
}

/// One event for the consent ledger. The ledger only grows; the latest event per (tenant,
/// debtor, channel), by `at` and then by order of recording, is the consent in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    pub subject: ConsentSubject,
    pub channel: ChannelKind,
    pub kind: ConsentKind,
    pub at: DateTime<Utc>,
    pub source: ConsentSource,
    /// What was received, e.g. the keyword; no personal data.
    pub detail: Option<String>,
    /// The provider's id of the message that carried it (Twilio's `MessageSid`): the same
    /// provider event is recorded once per debtor, however often it is replayed.
    pub provider_event_id: Option<String>,
}

/// Everything one webhook call reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderReport {
    pub receipts: Vec<Receipt>,
    pub inbound: Vec<Inbound>,
    pub consents: Vec<ConsentEvent>,
}

impl ProviderReport {
    pub fn is_empty(&self) -> bool {
        self.receipts.is_empty() && self.inbound.is_empty() && self.consents.is_empty()
    }
}

/// What recording a [`ProviderReport`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportOutcome {
    /// Reminders whose receipt moved forward.
    pub receipts: u64,
    /// Debtors whose last inbound time was recorded (none for a message already recorded).
    pub inbound: u64,
    /// Ledger rows written (one per matching debtor and event).
    pub consents: u64,
}

/// The SQL column of `debtors` that holds a debtor's contact on `channel`; letters have none.
pub(super) fn contact_column(channel: ChannelKind) -> Option<&'static str> {
    match channel {
        ChannelKind::Email => Some("email"),
        ChannelKind::Sms => Some("phone"),
        ChannelKind::Whatsapp => Some("whatsapp"),
        ChannelKind::Messenger => Some("messenger_psid"),
        ChannelKind::Letter => None,
    }
}

/// The debtor's address on `channel` as SQL over the `debtors` row `d`, written as
/// [`Debtor::address_on`](crate::domain::Debtor::address_on) writes it (the form
/// `debtors.unreachable` remembers a dead address in): the contact column, or for letters the
/// postal address joined by ", " (NULL when there is none). The same SQL on both backends.
pub(super) fn address_expression(channel: ChannelKind) -> String {
    match contact_column(channel) {
        Some(column) => format!("d.{column}"),
        None => "d.address_line1 || ', ' || COALESCE(d.address_line2 || ', ', '') || d.postal_code \
                 || ', ' || d.city || ', ' || d.country"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_rank_forward_and_round_trip() {
        use ReceiptStatus::*;
        assert!(Sent.rank() < Delivered.rank() && Delivered.rank() < Read.rank());
        assert_eq!(Failed.rank(), Delivered.rank());
        for status in ReceiptStatus::ALL {
            assert_eq!(ReceiptStatus::parse(status.as_str()), Some(status));
            assert!(STORED_RECEIPT_RANK.contains(&format!("'{}' THEN {}", status.as_str(), status.rank())));
        }
    }
}
