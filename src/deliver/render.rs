//! Turning a delivery job into the message one channel sends: the job's values formatted for
//! the debtor's language ([`Vars`]), poured into the creditor's templates ([`Templates`]), with
//! the reminder's signed pay and unsubscribe links. The debtor sees the creditor, never mahnwerk.

use super::letter;
use super::links::Links;
use super::locale::Locale;
use super::owed::{owed_lines, OwedLine, OwedLines};
use super::templates::{TemplateError, Templates};
use super::words::Words;
pub use crate::config::creditors::{Creditor, CreditorBank};
use crate::domain::{ChannelKind, Money, Tone};
use crate::store::DeliveryJob;
use chrono::{DateTime, NaiveDate, Utc};
use mahnwerk_channels::{
    Attachment, EmailMessage, LetterMessage, ListUnsubscribe, MessengerMessage, OutgoingMessage, SmsMessage,
    WhatsappMessage, WhatsappTemplate,
};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

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
            country: None,
            bank: None,
            logo_url: None,
            accent_colour: None,
            legal_footer: None,
            legal: Default::default(),
            final_consequence: Default::default(),
            bookkeeping: Default::default(),
            thank_you_message: false,
            shop_webhook_url: None,
            shop_webhook_secret: None,
        })
    }
}

/// Why a job cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The debtor lacks the address for the chosen channel.
    #[error("debtor has no {0} address")]
    MissingAddress(&'static str),
    /// No template for the channel (a tenant directory cannot remove shipped ones, so only
    /// when a required template is missing in every language tried).
    #[error("no {0} template")]
    MissingTemplate(&'static str),
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The letter attached to an email cannot be laid out.
    #[error("attached letter: {0}")]
    Letter(mahnwerk_channels::letter::LetterError),
}

/// What a template can read: the names of [`super::templates::VARIABLES`], every value already
/// written the way the template's language writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Vars {
    pub debtor_name: String,
    /// The greeting line with its punctuation, in the template's language: a consumer by name
    /// (`Guten Tag Erika Mustermann,`), a business by its contact person or as a company
    /// (`Sehr geehrte Damen und Herren,`). English words for a language mahnwerk ships none for.
    pub salutation: String,
    pub creditor_name: String,
    pub creditor_email: String,
    /// Empty when the creditor gave no phone number.
    pub creditor_phone: String,
    /// The phone number if there is one, else the email address: where to talk to the creditor.
    pub contact: String,
    pub invoice_number: String,
    /// What is owed now: the open principal, fees and interest ([`super::owed`]).
    pub amount: String,
    /// The open part of the invoice itself.
    pub principal: String,
    /// The fees owed, all reminders together.
    pub fee: String,
    pub has_fee: bool,
    /// How `amount` is made up, line by line, the total last: `{label, amount}` each.
    pub breakdown: Vec<OwedLine>,
    /// Whether there is more to it than the invoice amount (fees, interest or payments).
    pub has_breakdown: bool,
    pub due_date: String,
    pub today: String,
    pub pay_link: String,
    pub unsubscribe_link: String,
    /// The plan's stage, counted from 1.
    pub stage: u32,
    pub stage_name: String,
    /// `friendly`, `neutral` or `firm`.
    pub tone: &'static str,
    /// An instalment reminder's instalment, from 1 (0 on a stage's reminder), of `instalments`.
    pub instalment: u32,
    pub instalments: u32,
    /// What is still open of that instalment, and its due date (empty on a stage's reminder).
    pub instalment_amount: String,
    pub instalment_due_date: String,
    /// Whether it is the reminder on the due date (else the one before it).
    pub instalment_due_today: bool,
    /// The instalment's due date has passed (a notice sent late, after downtime).
    pub instalment_overdue: bool,
    /// On the plan's last stage, the last day to pay (empty on every other reminder).
    pub deadline: String,
    /// On the plan's last stage, that day and what the creditor does after it, as sentences
    /// ([`super::final_notice`]); empty on every other reminder.
    pub final_notice: String,
}

impl Vars {
    /// The values of `job` for a template written in `language`.
    pub fn of(
        job: &DeliveryJob,
        creditor: &Creditor,
        language: &str,
        links: &Links,
        now: DateTime<Utc>,
    ) -> Self {
        let locale = Locale::of(language);
        let currency = job.amount_due.currency();
        let principal = Money::new(job.amount_due.amount() - job.amount_paid, currency);
        let today = now.with_timezone(&job.debtor.timezone.tz()).date_naive();
        let owed = owed_of(job, creditor, today, language);
        let deadline = super::final_notice::deadline(job, today);
        let phone = creditor.phone.clone().unwrap_or_default();
        let instalment = super::instalment::facts(job);
        Self {
            debtor_name: job.debtor.name.clone(),
            salutation: Words::of(language).salutation(&job.debtor),
            creditor_name: creditor.name.clone(),
            creditor_email: creditor.email.clone(),
            contact: if phone.is_empty() { creditor.email.clone() } else { phone.clone() },
            creditor_phone: phone,
            invoice_number: job.invoice_number.to_string(),
            amount: owed.as_ref().map(|o| o.total.clone()).unwrap_or_else(|| locale.money(&principal)),
            principal: locale.money(&principal),
            fee: locale.money(&Money::new(owed.as_ref().map(|o| o.fees).unwrap_or_default(), currency)),
            has_fee: owed.as_ref().is_some_and(|o| !o.fees.is_zero()),
            has_breakdown: owed.as_ref().is_some_and(|o| o.lines.len() > 1),
            breakdown: owed
                .map(|o| {
                    let mut lines = o.lines;
                    lines.push(OwedLine { label: o.total_label, amount: o.total });
                    lines
                })
                .unwrap_or_default(),
            due_date: locale.date(job.due_on),
            today: locale.date(now.date_naive()),
            pay_link: links.pay_url(&job.tenant, job.reminder_id, now),
            unsubscribe_link: links.unsubscribe_url(&job.tenant, job.reminder_id, job.channel, now),
            stage: job.stage + 1,
            stage_name: job.stage_name.clone(),
            tone: job.tone.as_str(),
            instalment: instalment.map_or(0, |i| i.number),
            instalments: instalment.map_or(0, |i| i.of),
            instalment_amount: instalment
                .map(|i| locale.money(&Money::new(i.open, currency)))
                .unwrap_or_default(),
            instalment_due_date: instalment.map(|i| locale.date(i.due_on)).unwrap_or_default(),
            // By the debtor's date it goes out, not by which notice it is: a notice re-timed
            // after downtime past the due date must not say "due today".
            instalment_due_today: instalment.is_some_and(|i| i.due_on == today),
            instalment_overdue: instalment.is_some_and(|i| i.due_on < today),
            deadline: deadline.map(|day| locale.date(day)).unwrap_or_default(),
            final_notice: super::final_notice::sentence(
                language,
                job.tone,
                deadline,
                creditor.final_consequence,
            ),
        }
    }

    /// A complete sample (every variable set, a fee, a phone number) for checking templates.
    pub fn sample(language: &str, tone: Tone, stage: u32) -> Self {
        let locale = Locale::of(language);
        let eur = crate::domain::Currency::parse("EUR").expect("EUR is a currency");
        let money = |cents| locale.money(&Money::new(Decimal::new(cents, 2), eur));
        let due = NaiveDate::from_ymd_opt(2026, 10, 15).expect("a date");
        let token = "cDpzdGFkdHdlcmtlLW11c3RlcnN0YWR0OjEyMzQ1Njc4OToxNzk1MTg0MDAw.dm-x2_O_dStolQKmcmYNkOuNFhUTVAy5WnYq-27TnEc";
        Self {
            debtor_name: "Erika Mustermann".into(),
            salutation: Words::of(language).dear_person.replace("{name}", "Erika Mustermann"),
            creditor_name: "Stadtwerke Musterstadt GmbH".into(),
            creditor_email: "forderungen@stadtwerke-musterstadt.example".into(),
            creditor_phone: "+49 30 1234567".into(),
            contact: "+49 30 1234567".into(),
            invoice_number: "RE-2026-0042".into(),
            amount: money(123_706),
            principal: money(123_456),
            fee: money(250),
            has_fee: true,
            breakdown: vec![
                OwedLine { label: "Rechnungsbetrag".into(), amount: money(123_456) },
                OwedLine { label: "Mahnkosten (Schreiben vom 29.10.2026)".into(), amount: money(250) },
                OwedLine { label: "Zu zahlen".into(), amount: money(123_706) },
            ],
            has_breakdown: true,
            due_date: locale.date(due),
            today: locale.date(due + chrono::Days::new(21)),
            pay_link: format!("https://pay.example.org/pay/{token}"),
            unsubscribe_link: format!("https://pay.example.org/unsubscribe/{token}"),
            stage,
            stage_name: "Zahlungserinnerung".into(),
            tone: tone.as_str(),
            instalment: 2,
            instalments: 3,
            instalment_amount: money(41_152),
            instalment_due_date: locale.date(due + chrono::Days::new(35)),
            instalment_due_today: false,
            instalment_overdue: false,
            deadline: locale.date(due + chrono::Days::new(34)),
            final_notice: super::final_notice::sentence(
                language,
                tone,
                Some(due + chrono::Days::new(34)),
                crate::domain::Consequence::CollectionAgency,
            ),
        }
    }

    /// The sample without the optional parts (no fee, no phone), for the other branches.
    pub fn sample_without_extras(language: &str, tone: Tone, stage: u32) -> Self {
        let mut vars = Self::sample(language, tone, stage);
        vars.creditor_phone.clear();
        vars.contact = vars.creditor_email.clone();
        vars.has_fee = false;
        vars.has_breakdown = false;
        vars.breakdown.clear();
        vars.amount = vars.principal.clone();
        vars.instalment_due_today = true;
        vars.deadline.clear();
        vars.final_notice.clear();
        vars
    }
}

/// What `job` owes on `today` (the debtor's day it is sent), under the creditor's law, in
/// `language`; `None`, with a warning, should the engine refuse the stored facts.
pub fn owed_of(
    job: &DeliveryJob,
    creditor: &Creditor,
    today: NaiveDate,
    language: &str,
) -> Option<OwedLines> {
    match job.claim(today).owed(&creditor.law(), today) {
        Ok(breakdown) => Some(owed_lines(&breakdown, language)),
        Err(e) => {
            tracing::warn!(reminder = job.reminder_id, error = %e, "what is owed cannot be computed; the invoice amount is shown");
            None
        }
    }
}

/// Lines joined by spaces: a subject is one line whatever the template's layout.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Templates {
    /// Renders `job` for its channel as it is sent at `now`, with `links` signed for it.
    pub fn render_job(
        &self,
        job: &DeliveryJob,
        creditor: &Creditor,
        links: &Links,
        now: DateTime<Utc>,
    ) -> Result<OutgoingMessage, RenderError> {
        let (tenant, language, tone) = (&job.tenant, &job.debtor.language, job.tone);
        // An instalment reminder says the same on every channel: its subject and its text (short
        // for SMS).
        let instalment = job.instalment > 0;
        let name = |name: &'static str| -> &'static str {
            match (instalment, name) {
                (false, name) => name,
                (true, "email_subject" | "letter_subject") => "instalment_subject",
                (true, "sms") => "instalment_sms",
                (true, _) => "instalment",
            }
        };
        let text = |template: &'static str| self.text(name(template), job, creditor, links, now);
        let debtor = &job.debtor;
        Ok(match job.channel {
            ChannelKind::Email => {
                let to_address =
                    debtor.email.as_ref().ok_or(RenderError::MissingAddress("email"))?.to_string();
                let body = name("email_text");
                let found =
                    self.find(tenant, language, body, tone).ok_or(RenderError::MissingTemplate(body))?;
                let vars = Vars::of(job, creditor, &found.language, links, now);
                let html = match self.beside(&found, "email_html", tone).filter(|_| !instalment) {
                    Some(html) => Some(self.render(&html, &vars)?),
                    None => None,
                };
                OutgoingMessage::Email(EmailMessage {
                    from_name: creditor.name.clone(),
                    from_address: creditor.email.clone(),
                    reply_to: None,
                    to_name: Some(debtor.name.clone()),
                    to_address,
                    subject: one_line(&text("email_subject")?.0),
                    text_body: format!("{}\n", self.render(&found, &vars)?.trim()),
                    html_body: html,
                    // RFC 8058 one-click needs HTTPS; a plain-HTTP base URL (the embedded default)
                    // keeps the link in the footer only.
                    list_unsubscribe: vars
                        .unsubscribe_link
                        .starts_with("https://")
                        .then(|| ListUnsubscribe { url: vars.unsubscribe_link.clone(), mailto: None }),
                    attachments: if self.attach_letter && !instalment {
                        vec![self.letter_attachment(job, creditor, links, now)?]
                    } else {
                        Vec::new()
                    },
                })
            }
            ChannelKind::Sms => OutgoingMessage::Sms(SmsMessage {
                to: debtor.phone.as_ref().ok_or(RenderError::MissingAddress("phone"))?.to_string(),
                sender_id: None,
                body: text("sms")?.0,
            }),
            ChannelKind::Whatsapp => {
                let to = debtor.whatsapp.as_ref().ok_or(RenderError::MissingAddress("whatsapp"))?.to_string();
                let (body, _) = text("chat")?;
                // The approved template is in the debtor's language; its parameters are too.
                let vars = Vars::of(job, creditor, language.as_str(), links, now);
                let (amount, due_date) = if instalment {
                    (vars.instalment_amount, vars.instalment_due_date)
                } else {
                    (vars.amount, vars.due_date)
                };
                let parameters = [vars.debtor_name, amount, vars.invoice_number, due_date, vars.pay_link];
                OutgoingMessage::Whatsapp(WhatsappMessage {
                    to,
                    language: debtor.language.to_string(),
                    body,
                    template: Some(WhatsappTemplate {
                        name: self.whatsapp_template(tenant, &job.stage_name, tone),
                        body_parameters: parameters.into_iter().map(|p| one_line(&p)).collect(),
                    }),
                    last_inbound_at: job.last_inbound_at,
                })
            }
            ChannelKind::Messenger => OutgoingMessage::Messenger(MessengerMessage {
                psid: debtor.messenger_psid.clone().ok_or(RenderError::MissingAddress("messenger"))?,
                text: text("chat")?.0,
                last_inbound_at: job.last_inbound_at,
            }),
            ChannelKind::Letter => {
                if debtor.address.is_none() {
                    return Err(RenderError::MissingAddress("postal"));
                }
                if instalment {
                    OutgoingMessage::Letter(self.instalment_letter(job, creditor, links, now)?)
                } else {
                    OutgoingMessage::Letter(self.letter(job, creditor, links, now)?.0)
                }
            }
        })
    }

    /// Template `name` rendered for `job` in the debtor's language (or the nearest there is),
    /// trimmed, with the language it was written in.
    fn text(
        &self,
        name: &'static str,
        job: &DeliveryJob,
        creditor: &Creditor,
        links: &Links,
        now: DateTime<Utc>,
    ) -> Result<(String, String), RenderError> {
        let found = self
            .find(&job.tenant, &job.debtor.language, name, job.tone)
            .ok_or(RenderError::MissingTemplate(name))?;
        let vars = Vars::of(job, creditor, &found.language, links, now);
        Ok((self.render(&found, &vars)?.trim().to_owned(), found.language))
    }

    /// The letter for `job` and the language its body was written in. Without a postal address
    /// (only when attached to an email) the address field holds the debtor's name alone.
    fn letter(
        &self,
        job: &DeliveryJob,
        creditor: &Creditor,
        links: &Links,
        now: DateTime<Utc>,
    ) -> Result<(LetterMessage, String), RenderError> {
        let text = |name: &'static str| self.text(name, job, creditor, links, now);
        let debtor = &job.debtor;
        let recipient_lines = letter::recipient_lines(
            &debtor.name,
            debtor.kind,
            debtor.contact_person.as_deref(),
            debtor.address.as_ref(),
            creditor,
        );
        let sender_lines = letter::sender_lines(creditor);
        let (body, body_language) = text("letter_body")?;
        let pay_link = links.pay_url(&job.tenant, job.reminder_id, now);
        let letter = LetterMessage {
            sender_lines,
            recipient_lines,
            subject: one_line(&text("letter_subject")?.0),
            body,
            document: Some(Box::new(letter::document(
                job,
                creditor,
                now.date_naive(),
                &body_language,
                pay_link,
            ))),
        };
        Ok((letter, body_language))
    }

    /// An instalment reminder's letter: its subject and text, without the dunning letter's
    /// payment block (what is owed in all is not what is due now).
    fn instalment_letter(
        &self,
        job: &DeliveryJob,
        creditor: &Creditor,
        links: &Links,
        now: DateTime<Utc>,
    ) -> Result<LetterMessage, RenderError> {
        let debtor = &job.debtor;
        Ok(LetterMessage {
            sender_lines: letter::sender_lines(creditor),
            recipient_lines: letter::recipient_lines(
                &debtor.name,
                debtor.kind,
                debtor.contact_person.as_deref(),
                debtor.address.as_ref(),
                creditor,
            ),
            subject: one_line(&self.text("instalment_subject", job, creditor, links, now)?.0),
            body: self.text("instalment", job, creditor, links, now)?.0,
            document: None,
        })
    }

    /// The letter of `job` as a PDF attachment named like `Mahnung-RE-2026-0042.pdf` in the
    /// language of the letter.
    fn letter_attachment(
        &self,
        job: &DeliveryJob,
        creditor: &Creditor,
        links: &Links,
        now: DateTime<Utc>,
    ) -> Result<Attachment, RenderError> {
        let (letter, language) = self.letter(job, creditor, links, now)?;
        let content = mahnwerk_channels::letter::render_pdf(&letter).map_err(RenderError::Letter)?;
        Ok(Attachment {
            filename: letter::attachment_name(&language, job.invoice_number.as_str()),
            content_type: "application/pdf".to_owned(),
            content,
        })
    }
}
