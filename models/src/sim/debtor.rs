//! One simulated debtor: who they are, which contacts the creditor holds, and when they listen.

use serde::{Deserialize, Serialize};

use super::channel::{PerChannel, SimChannel};

/// Consumer (B2C) or business (B2B). The wire names match the intake message's `debtor.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    Consumer,
    Business,
}

impl Segment {
    pub const ALL: [Segment; 2] = [Segment::Consumer, Segment::Business];

    pub const fn as_str(self) -> &'static str {
        match self {
            Segment::Consumer => "consumer",
            Segment::Business => "business",
        }
    }

    /// Position in [`Segment::ALL`], for the response model's tables.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// How a debtor deals with invoices. Hidden from the pipeline: a policy has to infer it from
/// outcomes, which is the point of the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayerType {
    /// Mostly pays before any reminder; the rest pay on the first one that reaches them.
    Punctual,
    /// Pays soon after a reminder that reaches them, at any stage.
    Forgetful,
    /// Needs several stages: unlikely to pay on the first reminder, likely on the firm ones.
    Slow,
    /// Pays with low probability, somewhat better on firm and late stages.
    Struggling,
    /// Never pays, whatever is sent.
    Never,
}

impl PayerType {
    pub const ALL: [PayerType; 5] =
        [PayerType::Punctual, PayerType::Forgetful, PayerType::Slow, PayerType::Struggling, PayerType::Never];

    pub const fn as_str(self) -> &'static str {
        match self {
            PayerType::Punctual => "punctual",
            PayerType::Forgetful => "forgetful",
            PayerType::Slow => "slow",
            PayerType::Struggling => "struggling",
            PayerType::Never => "never",
        }
    }

    /// Position in [`PayerType::ALL`], for the response model's tables.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Rough age of a consumer; it shapes which contacts exist and which are read (young people answer
/// WhatsApp, seniors read letters). Businesses have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeGroup {
    Young,
    Middle,
    Senior,
}

/// Which contacts the creditor holds. The postal address is always known, so a letter is always
/// possible. A contact being held says nothing about whether it is read: see
/// [`SimDebtor::attention`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub has_email: bool,
    pub has_phone: bool,
    /// WhatsApp needs a phone number and the debtor's opt-in.
    pub whatsapp_opt_in: bool,
    /// A Messenger page-scoped id exists (the debtor once wrote to the creditor's page).
    pub messenger: bool,
}

impl Contact {
    /// Whether the pipeline may address `channel` at all. This is what a real creditor knows: dead
    /// contacts still count as held.
    pub fn has_channel(&self, channel: SimChannel) -> bool {
        match channel {
            SimChannel::Email => self.has_email,
            SimChannel::Sms => self.has_phone,
            SimChannel::Whatsapp => self.has_phone && self.whatsapp_opt_in,
            SimChannel::Messenger => self.messenger,
            SimChannel::Letter => true,
        }
    }

    /// The channels the pipeline may use, in [`SimChannel::ALL`] order.
    pub fn channels(&self) -> Vec<SimChannel> {
        SimChannel::ALL.into_iter().filter(|&c| self.has_channel(c)).collect()
    }
}

/// A simulated debtor. Fields visible to a real creditor (id, segment, locale, name, contact,
/// typical amount) and the hidden ground truth (payer type, attention, hour profile) live side by
/// side; callers that play the pipeline must only use the former.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimDebtor {
    /// `SIM-000001`, numbered from 1 in population order.
    pub id: String,
    pub segment: Segment,
    /// `Some` for consumers, `None` for businesses.
    pub age_group: Option<AgeGroup>,
    /// Hidden: how this debtor pays.
    pub payer: PayerType,
    /// IANA zone: mostly `Europe/Berlin`, some Vienna, Zurich, Paris, London.
    pub timezone: String,
    /// `de`, `en` or `fr`.
    pub language: String,
    /// ISO 3166 alpha-2, consistent with the timezone: DE, AT, CH, FR, GB.
    pub country: String,
    /// Display name: a person for consumers, a company for businesses.
    pub name: String,
    pub contact: Contact,
    /// Hidden: probability in [0, 1] that a message on each channel is noticed. Zero where the
    /// contact is missing, and also where it is held but dead (an inbox nobody reads).
    pub attention: PerChannel<f64>,
    /// Hidden: responsiveness by local hour, in [0, 1] with a maximum of 1 at the debtor's best
    /// hour. Consumers peak at lunch or in the evening, businesses in office hours; each debtor is
    /// shifted and perturbed.
    pub hour_profile: [f64; 24],
    /// The size of this debtor's typical invoice in euro cents; invoices scatter around it.
    pub amount_scale_cents: i64,
    /// How many invoices this debtor receives over the horizon.
    pub invoice_count: u32,
    /// Which product group this debtor mostly buys (an index into the invoice catalog), so that
    /// line items carry a signal a recommender can learn from.
    pub product_taste: u8,
}

impl SimDebtor {
    /// The digits of the id (`"000001"`), used to derive stable fake addresses.
    fn serial(&self) -> &str {
        self.id.strip_prefix("SIM-").unwrap_or(&self.id)
    }

    /// A deliverable-looking address under the reserved `example.org` domain, if an email is held.
    pub fn email_address(&self) -> Option<String> {
        self.contact.has_email.then(|| format!("sim-{}@example.org", self.serial()))
    }

    /// An E.164 number in a mobile range of the debtor's country, if a phone is held. Also the
    /// WhatsApp number when [`Contact::whatsapp_opt_in`] is set.
    pub fn phone_e164(&self) -> Option<String> {
        // Prefix and subscriber digits of a valid mobile number in each country's numbering plan
        // (the intake refuses numbers the plan does not have).
        let (prefix, digits) = match self.country.as_str() {
            "AT" => ("+43664", 8),
            "CH" => ("+4179", 7),
            "FR" => ("+336", 8),
            "GB" => ("+447400", 6),
            _ => ("+49151", 8),
        };
        self.contact.has_phone.then(|| {
            let serial = format!("{:0>8}", self.serial());
            format!("{prefix}{}", &serial[serial.len() - digits..])
        })
    }

    /// A fake Messenger page-scoped id, if one is held.
    pub fn messenger_psid(&self) -> Option<String> {
        self.contact.messenger.then(|| format!("sim-psid-{}", self.serial()))
    }

    /// The local hour (0..=23) at which this debtor is most responsive; the earliest if several tie.
    pub fn peak_hour(&self) -> u8 {
        let mut best = 0;
        for (hour, &value) in self.hour_profile.iter().enumerate() {
            if value > self.hour_profile[best] {
                best = hour;
            }
        }
        best as u8
    }
}
