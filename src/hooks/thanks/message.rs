//! One thank-you message rendered for its channel: the email with a text and an HTML part and
//! RFC 8058's one-click `List-Unsubscribe` pointing at the opt-out link; the short text on SMS
//! and Messenger; on WhatsApp the approved template `thank_you_recommendations` (marketing
//! outside the 24-hour window needs one), with the debtor's name, the first item, its link and
//! the opt-out link as parameters.

use super::optout::OptOut;
use super::templates::{ItemVars, ThanksTemplates, ThanksVars};
use crate::deliver::locale::Locale;
use crate::deliver::words::Words;
use crate::deliver::Creditor;
use crate::deliver::Links;
use crate::domain::{ChannelKind, Money};
use crate::pay::page::click::Click;
use crate::pay::page::recommended::reason_text;
use crate::pay::page::words;
use crate::runtime::RecommendedItem;
use crate::store::marketing::{MarketingAudience, ThankYouJob};
use chrono::{DateTime, Utc};
use mahnwerk_channels::{
    EmailMessage, ListUnsubscribe, MessengerMessage, OutgoingMessage, SmsMessage, WhatsappMessage,
    WhatsappTemplate,
};
use mahnwerk_models::recommend::CatalogueItem;
use std::collections::HashMap;

/// The approved WhatsApp template a thank-you message is sent as.
pub const WHATSAPP_TEMPLATE: &str = "thank_you_recommendations";

/// Everything a message is made of.
pub struct Parts<'a> {
    pub job: &'a ThankYouJob,
    pub audience: &'a MarketingAudience,
    /// The items to show, best first (at least one).
    pub items: &'a [RecommendedItem],
    /// The tenant's catalogue by SKU (names the item an item goes with).
    pub catalogue: &'a HashMap<String, CatalogueItem>,
    pub creditor: &'a Creditor,
    pub links: &'a Links,
    pub now: DateTime<Utc>,
}

/// The message for `parts.job`'s channel, or why it cannot be made (naming what is missing).
pub fn compose(templates: &ThanksTemplates, parts: &Parts<'_>) -> Result<OutgoingMessage, String> {
    let (job, debtor) = (parts.job, &parts.audience.debtor);
    let tenant = &job.subject.tenant;
    let language = ThanksTemplates::language_of(&debtor.language);
    let (t, locale) = (words::words(language), Locale::of(language));
    let items: Vec<ItemVars> = parts
        .items
        .iter()
        .map(|item| ItemVars {
            name: item.name.clone(),
            price: locale.money(&Money::new(item.price, job.currency)),
            reason: reason_text(t, &item.reason, parts.catalogue),
            link: Click::new(tenant.clone(), job.subject.case_id, item.rank, parts.now).url(parts.links),
        })
        .collect();
    let first = items.first().cloned().ok_or("nothing to recommend")?;
    let vars = ThanksVars {
        salutation: Words::of(language).salutation(debtor),
        creditor_name: parts.creditor.name.clone(),
        creditor_email: parts.creditor.email.clone(),
        invoice_number: job.subject.invoice_number.to_string(),
        items,
        opt_out_link: OptOut::new(tenant.clone(), job.id, parts.now).url(parts.links),
    };
    let render =
        |name: &str| templates.render(tenant, &debtor.language, name, &vars).map_err(|e| e.to_string());
    let missing = |what: &str| format!("the debtor has no {what}");
    Ok(match job.channel {
        ChannelKind::Email => OutgoingMessage::Email(EmailMessage {
            from_name: parts.creditor.name.clone(),
            from_address: parts.creditor.email.clone(),
            reply_to: None,
            to_name: Some(debtor.name.clone()),
            to_address: debtor.email.as_ref().ok_or_else(|| missing("email address"))?.to_string(),
            subject: one_line(&render("thanks_subject")?),
            text_body: format!("{}\n", render("thanks_text")?.trim()),
            html_body: Some(render("thanks_html")?),
            // RFC 8058 one-click needs HTTPS; on a plain-HTTP base URL the link is in the text only.
            list_unsubscribe: vars
                .opt_out_link
                .starts_with("https://")
                .then(|| ListUnsubscribe { url: vars.opt_out_link.clone(), mailto: None }),
            attachments: Vec::new(),
        }),
        ChannelKind::Sms => OutgoingMessage::Sms(SmsMessage {
            to: debtor.phone.as_ref().ok_or_else(|| missing("phone number"))?.to_string(),
            sender_id: None,
            body: one_line(&render("thanks_short")?),
        }),
        ChannelKind::Whatsapp => OutgoingMessage::Whatsapp(WhatsappMessage {
            to: debtor.whatsapp.as_ref().ok_or_else(|| missing("WhatsApp number"))?.to_string(),
            language: debtor.language.to_string(),
            body: one_line(&render("thanks_short")?),
            template: Some(WhatsappTemplate {
                name: WHATSAPP_TEMPLATE.to_owned(),
                body_parameters: [debtor.name.clone(), first.name, first.link, vars.opt_out_link.clone()]
                    .iter()
                    .map(|p| one_line(p))
                    .collect(),
            }),
            last_inbound_at: None,
        }),
        ChannelKind::Messenger => OutgoingMessage::Messenger(MessengerMessage {
            psid: debtor.messenger_psid.clone().ok_or_else(|| missing("Messenger id"))?,
            text: one_line(&render("thanks_short")?),
            last_inbound_at: parts.audience.messenger_inbound_at,
        }),
        ChannelKind::Letter => return Err("no thank-you letters".to_owned()),
    })
}

/// `text` on one line, runs of white space as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
