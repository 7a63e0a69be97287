//! Turning a delivery job into the message one channel sends, in the creditor's name and the
//! debtor's language (German or English for now; the templates issue brings the rest). The
//! debtor sees the creditor, never mahnwerk.

use super::letter::{self, CreditorBank};
use crate::domain::{ChannelKind, Money, Tone};
use crate::store::DeliveryJob;
use mahnwerk_channels::{
    EmailMessage, LetterMessage, MessengerMessage, OutgoingMessage, SmsMessage, WhatsappMessage,
};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The creditor as its debtors know it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Creditor {
    /// Display name, e.g. "ACME Stadtwerke GmbH".
    pub name: String,
    /// Sender address of reminder emails.
    pub email: String,
    /// Where debtors can call to talk about the claim.
    #[serde(default)]
    pub phone: Option<String>,
    /// Letterhead lines under the name (street, postal code and city).
    #[serde(default)]
    pub address_lines: Vec<String>,
    /// Where debtors transfer to: printed on letters with an EPC QR code.
    #[serde(default)]
    pub bank: Option<CreditorBank>,
}

/// Creditors by tenant, with a fallback for tenants not configured.
#[derive(Debug, Clone, Default)]
pub struct Creditors {
    pub by_tenant: BTreeMap<String, Creditor>,
    /// Sender address for tenants without their own.
    pub default_email: String,
}

impl Creditors {
    pub fn get(&self, tenant: &str) -> Creditor {
        self.by_tenant.get(tenant).cloned().unwrap_or_else(|| Creditor {
            name: tenant.to_owned(),
            email: self.default_email.clone(),
            phone: None,
            address_lines: Vec::new(),
            bank: None,
        })
    }
}

/// Why a job cannot be rendered: the debtor lacks the address for the chosen channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("debtor has no {0} address")]
pub struct MissingAddress(pub &'static str);

struct Texts {
    subject: String,
    greeting: String,
    body: String,
    closing: String,
}

fn texts(job: &DeliveryJob, creditor: &Creditor, open: &Money) -> Texts {
    let number = job.invoice_number.as_str();
    let due = job.due_on.format("%d.%m.%Y");
    let contact = creditor.phone.as_deref().unwrap_or(&creditor.email);
    let name = &job.debtor.name;
    if job.debtor.language.primary() == "de" {
        let ask = match job.tone {
            Tone::Friendly => "sicher ist es Ihnen nur entgangen:",
            Tone::Neutral => "leider konnten wir noch keinen Zahlungseingang feststellen:",
            Tone::Firm => "trotz unserer Erinnerungen ist folgende Forderung weiterhin offen:",
        };
        Texts {
            subject: format!("{}: Rechnung {number}", job.stage_name),
            greeting: format!("Guten Tag {name},"),
            body: format!(
                "{ask} Die Rechnung {number}, fällig am {due}, ist mit {} noch offen. Bitte überweisen Sie \
                 den Betrag unter Angabe der Rechnungsnummer. Haben Sie Fragen oder brauchen Sie eine \
                 Ratenzahlung? Sprechen Sie uns an: {contact}.",
                german_amount(open)
            ),
            closing: format!("Mit freundlichen Grüßen\n{}", creditor.name),
        }
    } else {
        let (title, ask) = match job.tone {
            Tone::Friendly => ("Payment reminder", "perhaps this slipped your attention:"),
            Tone::Neutral => ("Reminder", "we have not yet received your payment:"),
            Tone::Firm => ("Final reminder", "despite our reminders the following amount is still unpaid:"),
        };
        Texts {
            subject: format!("{title}: invoice {number}"),
            greeting: format!("Dear {name},"),
            body: format!(
                "{ask} invoice {number}, due on {}, has {open} outstanding. Please transfer the amount \
                 quoting the invoice number. Questions, or would instalments help? Talk to us: {contact}.",
                job.due_on.format("%Y-%m-%d")
            ),
            closing: format!("Kind regards\n{}", creditor.name),
        }
    }
}

/// `1234.5 EUR` as Germans write it: `1.234,50 €`.
pub fn german_amount(money: &Money) -> String {
    let digits = money.currency().minor_units() as usize;
    let plain = format!("{:.*}", digits, money.amount().abs());
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if money.amount().is_sign_negative() { "-" } else { "" };
    let symbol = if money.currency().code() == "EUR" { "€" } else { money.currency().code() };
    if frac.is_empty() {
        format!("{sign}{grouped} {symbol}")
    } else {
        format!("{sign}{grouped},{frac} {symbol}")
    }
}

/// Renders `job` for its channel; a letter is dated `today`.
pub fn render(
    job: &DeliveryJob,
    creditor: &Creditor,
    today: chrono::NaiveDate,
) -> Result<OutgoingMessage, MissingAddress> {
    let open = Money::new(job.amount_due.amount() - job.amount_paid + job.fee, job.amount_due.currency());
    let t = texts(job, creditor, &open);
    let short = format!("{}: {} {}", creditor.name, t.subject, t.body);
    let debtor = &job.debtor;
    Ok(match job.channel {
        ChannelKind::Email => OutgoingMessage::Email(EmailMessage {
            from_name: creditor.name.clone(),
            from_address: creditor.email.clone(),
            reply_to: None,
            to_name: Some(debtor.name.clone()),
            to_address: debtor.email.as_ref().ok_or(MissingAddress("email"))?.to_string(),
            subject: t.subject,
            text_body: format!("{}\n\n{}\n\n{}\n", t.greeting, t.body, t.closing),
            html_body: None,
            ..EmailMessage::default()
        }),
        ChannelKind::Sms => OutgoingMessage::Sms(SmsMessage {
            to: debtor.phone.as_ref().ok_or(MissingAddress("phone"))?.to_string(),
            sender_id: None,
            body: short,
        }),
        ChannelKind::Whatsapp => OutgoingMessage::Whatsapp(WhatsappMessage {
            to: debtor.whatsapp.as_ref().ok_or(MissingAddress("whatsapp"))?.to_string(),
            language: debtor.language.to_string(),
            body: short,
            ..WhatsappMessage::default()
        }),
        ChannelKind::Messenger => OutgoingMessage::Messenger(MessengerMessage {
            psid: debtor.messenger_psid.clone().ok_or(MissingAddress("messenger"))?,
            text: short,
            ..MessengerMessage::default()
        }),
        ChannelKind::Letter => {
            let address = debtor.address.as_ref().ok_or(MissingAddress("postal"))?;
            let mut recipient_lines = vec![debtor.name.clone(), address.line1.clone()];
            recipient_lines.extend(address.line2.clone());
            recipient_lines.push(format!("{} {}", address.postal_code, address.city));
            recipient_lines.push(address.country.to_string());
            let mut sender_lines = vec![creditor.name.clone()];
            sender_lines.extend(creditor.address_lines.iter().cloned());
            OutgoingMessage::Letter(LetterMessage {
                sender_lines,
                recipient_lines,
                subject: t.subject,
                body: format!("{}\n\n{}\n\n{}", t.greeting, t.body, t.closing),
                document: Some(Box::new(letter::document(job, creditor, today))),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;
    use rust_decimal::Decimal;

    #[test]
    fn german_amounts() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(german_amount(&Money::new(Decimal::new(123456, 2), eur)), "1.234,56 €");
        assert_eq!(german_amount(&Money::new(Decimal::new(5, 0), eur)), "5,00 €");
        assert_eq!(
            german_amount(&Money::new(Decimal::new(1234567, 0), Currency::parse("JPY").unwrap())),
            "1.234.567 JPY"
        );
    }
}
