//! An overdue invoice and the debtor who owes it, as the service holds them after intake.

use super::{
    ChannelKind, CountryCode, Currency, DebtorId, Email, InvoiceNumber, Language, Money, PhoneE164,
    PostalAddress, TenantId, Timezone,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether the debtor is a person or a company; dunning plans differ by segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DebtorKind {
    Consumer,
    Business,
}

impl DebtorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consumer => "consumer",
            Self::Business => "business",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, super::Invalid> {
        match raw {
            "consumer" => Ok(Self::Consumer),
            "business" => Ok(Self::Business),
            _ => Err(super::Invalid::new(format!("'{raw}' is neither \"consumer\" nor \"business\""))),
        }
    }
}

/// A debtor with every way the creditor gave us to reach them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Debtor {
    pub id: DebtorId,
    pub kind: DebtorKind,
    pub name: String,
    /// For a business: the person letters and emails are addressed to (`Sehr geehrte/r …`), under
    /// the company's name in the address window. Without one a business is greeted as a company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_person: Option<String>,
    pub language: Language,
    pub timezone: Timezone,
    pub email: Option<Email>,
    pub phone: Option<PhoneE164>,
    pub whatsapp: Option<PhoneE164>,
    pub whatsapp_opt_in: bool,
    pub messenger_psid: Option<String>,
    pub address: Option<PostalAddress>,
    /// The debtor's bank account as the creditor knows it (IBAN, electronic form: upper case,
    /// no spaces; checked at intake). A bank line from this account that names no invoice is
    /// applied to the debtor's open invoices (§ 366 (2) BGB, `crate::pay::import`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// Addresses that proved dead, by channel (a hard bounce, a number that does not exist):
    /// the channel is unreachable for as long as the debtor's address on it is still this one,
    /// so a corrected address from a newer invoice makes it usable again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unreachable: BTreeMap<ChannelKind, String>,
}

impl Debtor {
    /// The channels this debtor can be reached on at all: an address for the medium, and for
    /// WhatsApp a recorded opt-in. Consent withdrawn later is checked at scheduling time.
    pub fn reachable_channels(&self) -> Vec<ChannelKind> {
        ChannelKind::ALL
            .into_iter()
            .filter(|&kind| kind != ChannelKind::Whatsapp || self.whatsapp_opt_in)
            .filter(|&kind| match self.address_on(kind) {
                Some(address) => self.unreachable.get(&kind) != Some(&address),
                None => false,
            })
            .collect()
    }

    /// The debtor's address on one medium as one string (the postal address on one line), the
    /// form in which a dead address is remembered in [`Debtor::unreachable`].
    pub fn address_on(&self, kind: ChannelKind) -> Option<String> {
        match kind {
            ChannelKind::Email => self.email.as_ref().map(|e| e.to_string()),
            ChannelKind::Sms => self.phone.as_ref().map(|p| p.to_string()),
            ChannelKind::Whatsapp => self.whatsapp.as_ref().map(|p| p.to_string()),
            ChannelKind::Messenger => self.messenger_psid.clone(),
            ChannelKind::Letter => self.address.as_ref().map(|a| {
                let mut parts = vec![a.line1.as_str()];
                parts.extend(a.line2.as_deref());
                parts.extend([a.postal_code.as_str(), a.city.as_str(), a.country.as_str()]);
                parts.join(", ")
            }),
        }
    }

    /// The country whose calendar applies: the postal address's, else none known.
    pub fn country(&self) -> Option<&CountryCode> {
        self.address.as_ref().map(|a| &a.country)
    }
}

/// One line of an invoice; kept for letters and for post-payment recommendations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub sku: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
}

/// An overdue invoice as handed over by the creditor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invoice {
    pub tenant: TenantId,
    pub number: InvoiceNumber,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub amount_due: Money,
    /// What the invoice said about its due date: it decides when default begins.
    pub terms: PaymentTerms,
    pub lines: Vec<InvoiceLine>,
    pub debtor: Debtor,
    /// The dunning plan the creditor asked for; `None` lets the tenant's default for the
    /// debtor's segment apply.
    pub plan: Option<String>,
}

/// What an invoice said about paying it, as far as the start of default depends on it
/// (§ 286 BGB). Both default to false: an invoice that says neither puts the debtor in default
/// only with the first reminder after the due date (or 30 days on, for a business).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTerms {
    /// The due date was set by the calendar ("zahlbar bis 31.03."): default begins the day after
    /// it without a reminder (§ 286 (2) Nr. 1 BGB).
    pub due_by_calendar: bool,
    /// The invoice pointed out that default follows 30 days after it is due and received
    /// (§ 286 (3) BGB); only then does that rule apply to a consumer.
    pub states_30_day_rule: bool,
}

impl Invoice {
    pub fn currency(&self) -> Currency {
        self.amount_due.currency()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debtor() -> Debtor {
        Debtor {
            id: DebtorId::parse("C-1").unwrap(),
            kind: DebtorKind::Consumer,
            name: "Erika Mustermann".into(),
            contact_person: None,
            language: Language::parse("de").unwrap(),
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            email: None,
            phone: None,
            whatsapp: None,
            whatsapp_opt_in: false,
            messenger_psid: None,
            address: None,
            iban: None,
            unreachable: Default::default(),
        }
    }

    #[test]
    fn reachable_channels_follow_contacts_and_opt_in() {
        let mut d = debtor();
        assert!(d.reachable_channels().is_empty());
        d.email = Some(Email::parse("erika@example.org").unwrap());
        d.whatsapp = Some(PhoneE164::parse("+4915112345678").unwrap());
        assert_eq!(d.reachable_channels(), vec![ChannelKind::Email]);
        d.whatsapp_opt_in = true;
        assert_eq!(d.reachable_channels(), vec![ChannelKind::Email, ChannelKind::Whatsapp]);
    }

    #[test]
    fn a_dead_address_is_unreachable_until_it_changes() {
        let mut d = debtor();
        d.email = Some(Email::parse("erika@example.org").unwrap());
        d.phone = Some(PhoneE164::parse("+4915112345678").unwrap());
        d.unreachable.insert(ChannelKind::Email, "erika@example.org".into());
        assert_eq!(d.reachable_channels(), vec![ChannelKind::Sms]);
        d.email = Some(Email::parse("erika.m@example.org").unwrap());
        assert_eq!(d.reachable_channels(), vec![ChannelKind::Email, ChannelKind::Sms]);
    }
}
