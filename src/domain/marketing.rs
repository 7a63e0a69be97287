//! Whether a marketing message (the thank-you message with recommendations after a payment) may
//! go to a debtor on a channel, and on what legal basis (§ 7 UWG):
//! - by email under the existing-customer exception of § 7 (3) UWG: the creditor advertises its
//!   own similar products (the recommendations come from its own catalogue and its own customers'
//!   purchases) to an address it got with a sale, the debtor has not objected, and every message
//!   says how to object (the opt-out link);
//! - on any channel but letters with an explicit marketing consent (§ 7 (2) UWG);
//! - never where the debtor opted out of reminders on that channel, nor where they objected to
//!   marketing there.
//!
//! Marketing consent is its own purpose, beside the reminders' consent ([`Consents`]): its ledger
//! is kept apart, and an objection to advertising stops no reminder.

use super::{ChannelKind, ConsentKind, Consents};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt;

/// The channels a thank-you message may use, in the order they are tried.
pub const MARKETING_CHANNELS: [ChannelKind; 4] =
    [ChannelKind::Email, ChannelKind::Sms, ChannelKind::Whatsapp, ChannelKind::Messenger];

/// A debtor's marketing consent per channel: the kind of the latest event of the marketing
/// ledger (an opt-in is an explicit consent, an opt-out an objection).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketingConsents(BTreeMap<ChannelKind, ConsentKind>);

impl MarketingConsents {
    pub fn set(&mut self, channel: ChannelKind, kind: ConsentKind) {
        self.0.insert(channel, kind);
    }

    /// The latest event's kind on `channel`, `None` if the ledger has none.
    pub fn latest(&self, channel: ChannelKind) -> Option<ConsentKind> {
        self.0.get(&channel).copied()
    }
}

/// On what a marketing message rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarketingBasis {
    /// § 7 (3) UWG: email to an existing customer about the creditor's own similar products.
    ExistingCustomer,
    /// § 7 (2) UWG: the debtor's explicit consent to advertising on this channel.
    ExplicitConsent,
}

impl MarketingBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExistingCustomer => "existing_customer",
            Self::ExplicitConsent => "explicit_consent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "existing_customer" => Some(Self::ExistingCustomer),
            "explicit_consent" => Some(Self::ExplicitConsent),
            _ => None,
        }
    }
}

impl fmt::Display for MarketingBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The basis on which a marketing message may go out on `channel`, or why it may not.
pub fn marketing_basis(
    channel: ChannelKind,
    reminders: &Consents,
    marketing: &MarketingConsents,
) -> Result<MarketingBasis, String> {
    if !MARKETING_CHANNELS.contains(&channel) {
        return Err(format!("no marketing by {channel}"));
    }
    if reminders.latest(channel) == Some(ConsentKind::OptOut) {
        return Err(format!("the debtor opted out of reminders by {channel}"));
    }
    match marketing.latest(channel) {
        Some(ConsentKind::OptOut) => Err(format!("the debtor objected to marketing by {channel}")),
        Some(ConsentKind::OptIn) => Ok(MarketingBasis::ExplicitConsent),
        None if channel == ChannelKind::Email => Ok(MarketingBasis::ExistingCustomer),
        None => Err(format!("no explicit marketing consent for {channel}")),
    }
}

/// The creditor's word on a debtor's marketing consent, as an intake message carries it
/// (`debtor.marketing_consent`): per channel an explicit consent (`OptIn`) or an objection
/// (`OptOut`), all given (or made) at `given_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketingConsentClaim {
    /// At most one entry per channel, each one of [`MARKETING_CHANNELS`].
    pub channels: Vec<(ChannelKind, ConsentKind)>,
    pub given_at: DateTime<Utc>,
}

/// Whether an event of `kind` given at `at` changes the marketing consent in force on a channel
/// whose latest event is `in_force` (its kind and time; `None` when the ledger has none).
/// Repeating the kind in force changes nothing, and so does an event older than the one in
/// force: a consent the creditor reports again after the debtor objected does not undo the
/// objection. At the same instant an objection wins over a consent.
pub fn changes_marketing_consent(
    in_force: Option<(ConsentKind, DateTime<Utc>)>,
    kind: ConsentKind,
    at: DateTime<Utc>,
) -> bool {
    match in_force {
        None => true,
        Some((current, _)) if current == kind => false,
        Some((_, since)) => at > since || (at == since && kind == ConsentKind::OptOut),
    }
}

/// The first channel of [`MARKETING_CHANNELS`] the debtor has an address on (`reachable`) and
/// may be advertised to on, with its basis; `None` when there is none.
pub fn marketing_channel(
    reachable: impl Fn(ChannelKind) -> bool,
    reminders: &Consents,
    marketing: &MarketingConsents,
) -> Option<(ChannelKind, MarketingBasis)> {
    MARKETING_CHANNELS
        .into_iter()
        .filter(|&channel| reachable(channel))
        .find_map(|channel| marketing_basis(channel, reminders, marketing).ok().map(|basis| (channel, basis)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChannelKind::*;

    #[test]
    fn email_rests_on_the_existing_customer_exception_until_an_objection() {
        let (reminders, mut marketing) = (Consents::default(), MarketingConsents::default());
        assert_eq!(marketing_basis(Email, &reminders, &marketing), Ok(MarketingBasis::ExistingCustomer));
        marketing.set(Email, ConsentKind::OptOut);
        assert_eq!(
            marketing_basis(Email, &reminders, &marketing).unwrap_err(),
            "the debtor objected to marketing by email"
        );
        marketing.set(Email, ConsentKind::OptIn);
        assert_eq!(marketing_basis(Email, &reminders, &marketing), Ok(MarketingBasis::ExplicitConsent));
    }

    #[test]
    fn other_channels_need_an_explicit_consent_and_letters_none_at_all() {
        let (reminders, mut marketing) = (Consents::default(), MarketingConsents::default());
        for channel in [Sms, Whatsapp, Messenger] {
            assert_eq!(
                marketing_basis(channel, &reminders, &marketing).unwrap_err(),
                format!("no explicit marketing consent for {channel}")
            );
            marketing.set(channel, ConsentKind::OptIn);
            assert_eq!(marketing_basis(channel, &reminders, &marketing), Ok(MarketingBasis::ExplicitConsent));
        }
        marketing.set(Letter, ConsentKind::OptIn);
        assert_eq!(marketing_basis(Letter, &reminders, &marketing).unwrap_err(), "no marketing by letter");
    }

    #[test]
    fn a_claim_changes_the_consent_in_force_only_when_later_and_different() {
        use ConsentKind::*;
        let at = |hour: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(hour);
        assert!(changes_marketing_consent(None, OptIn, at(1)));
        assert!(changes_marketing_consent(None, OptOut, at(1)));
        assert!(!changes_marketing_consent(Some((OptIn, at(1))), OptIn, at(5)), "said again: nothing new");
        assert!(changes_marketing_consent(Some((OptIn, at(1))), OptOut, at(2)));
        assert!(!changes_marketing_consent(Some((OptOut, at(2))), OptIn, at(1)), "an older consent");
        assert!(changes_marketing_consent(Some((OptOut, at(2))), OptIn, at(3)), "consent given again");
        assert!(
            !changes_marketing_consent(Some((OptIn, at(3))), OptOut, at(2)),
            "withdrawn before consenting"
        );
        assert!(changes_marketing_consent(Some((OptIn, at(2))), OptOut, at(2)), "objection wins a tie");
        assert!(!changes_marketing_consent(Some((OptOut, at(2))), OptIn, at(2)), "objection wins a tie");
    }

    #[test]
    fn a_reminder_opt_out_stops_marketing_there_even_with_a_consent() {
        let (mut reminders, mut marketing) = (Consents::default(), MarketingConsents::default());
        reminders.set(Email, ConsentKind::OptOut);
        reminders.set(Sms, ConsentKind::OptOut);
        marketing.set(Sms, ConsentKind::OptIn);
        marketing.set(Whatsapp, ConsentKind::OptIn);
        assert!(marketing_basis(Email, &reminders, &marketing).is_err());
        assert_eq!(
            marketing_basis(Sms, &reminders, &marketing).unwrap_err(),
            "the debtor opted out of reminders by sms"
        );
        let everywhere = |_| true;
        assert_eq!(
            marketing_channel(everywhere, &reminders, &marketing),
            Some((Whatsapp, MarketingBasis::ExplicitConsent))
        );
        assert_eq!(marketing_channel(|c| c == Messenger, &reminders, &marketing), None);
    }
}
