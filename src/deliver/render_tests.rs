//! Tests of the shipped templates and tenant overrides, through [`Templates::render_job`] on the
//! preview's sample case: what the debtor would read.

use super::links::{Links, LinksConfig};
use super::locale::LANGUAGES;
use super::preview::{sample_job, PreviewOptions};
use super::render::{Creditor, Vars};
use super::templates::{Templates, VARIABLES};
use crate::config::Config;
use crate::domain::{ChannelKind, Tone};
use crate::store::DeliveryJob;
use chrono::{DateTime, Utc};
use mahnwerk_channels::capabilities::DEFAULT_SMS_MAX_SEGMENTS;
use mahnwerk_channels::{sms_segments, OutgoingMessage};
use std::collections::BTreeMap;

const TONES: [Tone; 3] = [Tone::Friendly, Tone::Neutral, Tone::Firm];

pub(super) fn now() -> DateTime<Utc> {
    "2026-11-05T09:00:00Z".parse().unwrap()
}

pub(super) fn creditor() -> Creditor {
    Creditor {
        name: "Stadtwerke Musterstadt GmbH".into(),
        email: "forderungen@stadtwerke-musterstadt.example".into(),
        phone: Some("+49 30 1234567".into()),
        address_lines: vec!["Am Markt 1".into(), "10115 Berlin".into()],
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
    }
}

pub(super) fn links() -> Links {
    Links::new(&LinksConfig { base_url: "https://pay.example.org".into(), ..LinksConfig::default() })
}

pub(super) fn job(channel: ChannelKind, language: &str, tone: Tone, tenant: &str) -> DeliveryJob {
    let options = PreviewOptions {
        channel,
        stage: 2,
        language: Some(language.into()),
        tone: Some(tone),
        tenant: Some(tenant.into()),
        plan: None,
        out: "unused".into(),
    };
    let mut job = sample_job(&Config::default(), &options, now()).unwrap();
    job.reminder_id = 123_456_789;
    job
}

/// Every text the debtor reads in `message`.
pub(super) fn texts(message: &OutgoingMessage) -> Vec<String> {
    match message {
        OutgoingMessage::Email(m) => {
            vec![m.subject.clone(), m.text_body.clone(), m.html_body.clone().unwrap_or_default()]
        }
        OutgoingMessage::Sms(m) => vec![m.body.clone()],
        OutgoingMessage::Whatsapp(m) => vec![m.body.clone()],
        OutgoingMessage::Messenger(m) => vec![m.text.clone()],
        OutgoingMessage::Letter(m) => vec![m.subject.clone(), m.body.clone()],
    }
}

#[test]
fn every_shipped_template_renders_for_every_language_tone_and_channel() {
    let templates = Templates::shipped().unwrap();
    let links = links();
    for language in LANGUAGES.iter().copied().chain(["de-AT", "pt"]) {
        for tone in TONES {
            for channel in ChannelKind::ALL {
                let job = job(channel, language, tone, "acme");
                let message = templates.render_job(&job, &creditor(), &links, now()).unwrap();
                let pay_link = links.pay_url(&job.tenant, job.reminder_id, now());
                let all = texts(&message).join("\n");
                assert!(!all.contains("{{") && !all.contains("{%"), "{language} {tone:?} {channel}: {all}");
                assert!(all.contains("RE-2026-0042"), "{language} {tone:?} {channel}: {all}");
                match &message {
                    OutgoingMessage::Letter(letter) => {
                        let document = letter.document.as_ref().unwrap();
                        assert_eq!(document.pay_link.as_ref().unwrap().url, pay_link);
                    }
                    OutgoingMessage::Email(email) => {
                        assert!(
                            email.text_body.contains(&pay_link)
                                && email.html_body.as_ref().unwrap().contains(&pay_link)
                        );
                        let unsubscribe = links.unsubscribe_url(&job.tenant, job.reminder_id, channel, now());
                        assert!(email.text_body.contains(&unsubscribe), "{language}: {}", email.text_body);
                        assert!(!email.subject.contains('\n'));
                    }
                    _ => assert!(all.contains(&pay_link), "{language} {tone:?} {channel}: {all}"),
                }
                assert!(
                    all.contains("+49 30 1234567"),
                    "no offer to talk: {language} {tone:?} {channel}: {all}"
                );
            }
        }
    }
}

#[test]
fn a_german_email_reads_as_a_german_creditor_writes_it() {
    let templates = Templates::shipped().unwrap();
    let mut job = job(ChannelKind::Email, "de", Tone::Friendly, "acme");
    job.fee = rust_decimal::Decimal::ZERO;
    let OutgoingMessage::Email(email) = templates.render_job(&job, &creditor(), &links(), now()).unwrap()
    else {
        panic!("not an email")
    };
    let pay_link = links().pay_url(&job.tenant, job.reminder_id, now());
    assert_eq!(email.subject, "1. Mahnung: Rechnung RE-2026-0042");
    assert_eq!(email.from_name, "Stadtwerke Musterstadt GmbH");
    for text in [&email.text_body, email.html_body.as_ref().unwrap()] {
        for expected in
            ["Guten Tag Erika Mustermann", "1.234,56 €", "RE-2026-0042", "15.10.2026", "+49 30 1234567"]
        {
            assert!(text.contains(expected), "{expected:?} missing in {text}");
        }
        assert!(text.contains(&pay_link), "{text}");
        assert!(!text.to_lowercase().contains("mahnwerk"), "white label: {text}");
    }
    assert!(
        email.text_body.contains("Mit freundlichen Grüßen\nStadtwerke Musterstadt GmbH"),
        "{}",
        email.text_body
    );
}

#[test]
fn english_amounts_and_dates_in_an_english_sms() {
    let templates = Templates::shipped().unwrap();
    let job = job(ChannelKind::Sms, "en", Tone::Neutral, "acme");
    let OutgoingMessage::Sms(sms) = templates.render_job(&job, &creditor(), &links(), now()).unwrap() else {
        panic!("not an SMS")
    };
    assert!(sms.body.contains("€1,240.67") && sms.body.contains("15 October 2026"), "{}", sms.body);
}

#[test]
fn shipped_sms_fit_the_segment_limit() {
    let templates = Templates::shipped().unwrap();
    for language in LANGUAGES {
        for tone in TONES {
            let job = job(ChannelKind::Sms, language, tone, "stadtwerke-musterstadt");
            let OutgoingMessage::Sms(sms) = templates.render_job(&job, &creditor(), &links(), now()).unwrap()
            else {
                panic!("not an SMS")
            };
            let count = sms_segments::count(&sms.body);
            eprintln!(
                "{language} {tone:?}: {} characters, {:?}, {} segments",
                count.characters, count.encoding, count.segments
            );
            assert!(
                count.fits(DEFAULT_SMS_MAX_SEGMENTS),
                "{language} {tone:?}: {count:?}, not GSM-7: {:?}\n{}",
                sms_segments::non_gsm_characters(&sms.body),
                sms.body
            );
        }
    }
}

#[test]
fn whatsapp_names_the_approved_template_and_its_parameters() {
    let whatsapp =
        BTreeMap::from([("acme".to_owned(), BTreeMap::from([("*".to_owned(), "acme_reminder".to_owned())]))]);
    let templates = Templates::load(None, whatsapp).unwrap();
    let links = links();
    let render = |tenant: &str| {
        let job = job(ChannelKind::Whatsapp, "de", Tone::Firm, tenant);
        let OutgoingMessage::Whatsapp(message) =
            templates.render_job(&job, &creditor(), &links, now()).unwrap()
        else {
            panic!("not WhatsApp")
        };
        (message, links.pay_url(&job.tenant, job.reminder_id, now()))
    };
    let (message, pay_link) = render("other");
    let template = message.template.unwrap();
    assert_eq!(template.name, "payment_reminder_firm");
    assert_eq!(
        template.body_parameters,
        ["Erika Mustermann", "1.240,67 €", "RE-2026-0042", "15.10.2026", &pay_link]
    );
    assert_eq!(message.language, "de");
    assert!(message.body.contains("Guten Tag Erika Mustermann"));
    assert_eq!(render("acme").0.template.unwrap().name, "acme_reminder");
}

#[test]
fn variables_are_exactly_what_the_context_holds() {
    let json = serde_json::to_value(Vars::sample("de", Tone::Firm, 1)).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let mut known = VARIABLES.to_vec();
    keys.sort();
    known.sort();
    assert_eq!(keys, known);
}

fn write(dir: &std::path::Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_misspelt_variable_in_an_override_fails_the_load_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acme/de/email_text.j2", "Hallo {{ debtor_name }}, offen: {{ amout }}\n{{ pay_link }}");
    let error = Templates::load(Some(dir.path()), BTreeMap::new()).unwrap_err().to_string();
    assert!(error.contains("acme/de/email_text.j2") && error.contains("`amout`"), "{error}");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acme/de/sms.j2", "{{ amount.cents }}");
    let error = Templates::load(Some(dir.path()), BTreeMap::new()).unwrap_err().to_string();
    assert!(error.contains("acme/de/sms.j2"), "{error}");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acme/de/emial_text.j2", "{{ amount }}");
    let error = Templates::load(Some(dir.path()), BTreeMap::new()).unwrap_err().to_string();
    assert!(error.contains("emial_text.j2") && error.contains("email_text"), "{error}");
}

#[test]
fn a_tenant_override_wins_in_its_language_and_tone() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acme/de/sms.j2", "ACME: {{ invoice_number }} über {{ amount }}: {{ pay_link }}");
    write(dir.path(), "acme/de/sms.firm.j2", "ACME, letzte Erinnerung: {{ amount }} {{ pay_link }}");
    write(dir.path(), "acme/de/email_text.j2", "Hallo {{ debtor_name }}: {{ pay_link }}");
    let templates = Templates::load(Some(dir.path()), BTreeMap::new()).unwrap();
    let sms = |tenant: &str, language: &str, tone: Tone| match templates
        .render_job(&job(ChannelKind::Sms, language, tone, tenant), &creditor(), &links(), now())
        .unwrap()
    {
        OutgoingMessage::Sms(sms) => sms.body,
        other => panic!("{other:?}"),
    };
    assert!(sms("acme", "de", Tone::Friendly).starts_with("ACME: RE-2026-0042 über 1.240,67 €: https://"));
    assert!(sms("acme", "de-AT", Tone::Neutral).starts_with("ACME: RE-2026-0042"));
    assert!(sms("acme", "de", Tone::Firm).starts_with("ACME, letzte Erinnerung: 1.240,67 €"));
    assert!(
        sms("other", "de", Tone::Friendly).starts_with("Stadtwerke Musterstadt GmbH: Freundliche Erinnerung")
    );
    // A French debtor of the same tenant reads the shipped French text, not the German override.
    assert!(sms("acme", "fr", Tone::Friendly).contains("la facture RE-2026-0042"));
    // The override has no HTML part beside it: the email goes out as the tenant's text alone.
    let OutgoingMessage::Email(email) = templates
        .render_job(&job(ChannelKind::Email, "de", Tone::Friendly, "acme"), &creditor(), &links(), now())
        .unwrap()
    else {
        panic!("not an email")
    };
    assert!(email.text_body.starts_with("Hallo Erika Mustermann: https://") && email.html_body.is_none());
    assert_eq!(email.subject, "1. Mahnung: Rechnung RE-2026-0042");
}

#[test]
fn html_escapes_what_the_debtor_sent() {
    let templates = Templates::shipped().unwrap();
    let mut job = job(ChannelKind::Email, "en", Tone::Friendly, "acme");
    job.debtor.name = "<b>Erika & Co</b>".into();
    let OutgoingMessage::Email(email) = templates.render_job(&job, &creditor(), &links(), now()).unwrap()
    else {
        panic!("not an email")
    };
    let html = email.html_body.unwrap();
    assert!(html.contains("&lt;b&gt;Erika &amp; Co&lt;/b&gt;") && !html.contains("<b>Erika"), "{html}");
    assert!(email.text_body.contains("Dear <b>Erika & Co</b>,"));
}

#[test]
fn a_french_letter_has_french_captions_and_amounts() {
    let templates = Templates::shipped().unwrap();
    let OutgoingMessage::Letter(letter) = templates
        .render_job(&job(ChannelKind::Letter, "fr", Tone::Neutral, "acme"), &creditor(), &links(), now())
        .unwrap()
    else {
        panic!("not a letter")
    };
    assert_eq!(letter.subject, "Relance : la facture RE-2026-0042 est toujours ouverte");
    assert!(letter.body.starts_with("Bonjour Erika Mustermann,"), "{}", letter.body);
    let document = letter.document.unwrap();
    // 1 234,56 of principal; this second stage's 2,50 (the first, by email on 18/10, put the
    // debtor in default from 19/10 and earns nothing); 6,27 % (1,27 + 5 points, a consumer) on
    // 1 234,56 for the 17 days from 19/10 to 04/11 (the letter's day is counted when paid
    // later): 1 234,56 × 6,27 % × 17 / 365 = 3,61.
    let rows: Vec<(&str, &str)> =
        document.amounts.iter().map(|r| (r.label.as_str(), r.amount.as_str())).collect();
    assert_eq!(
        rows,
        [
            ("Montant de la facture", "1 234,56 €"),
            ("Frais de relance (courrier du 05/11/2026)", "2,50 €"),
            ("Intérêts de retard 6,27 % du 19/10/2026 au 04/11/2026", "3,61 €"),
        ]
    );
    assert_eq!(document.total.unwrap().amount, "1 240,67 €");
    assert_eq!(document.captions.page, "Page {page} sur {pages}");
    assert_eq!(document.date, "05/11/2026");
}

#[test]
fn templates_dir_and_whatsapp_names_come_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "acme/en/chat.j2", "{{ creditor_name }}: {{ amount }} {{ pay_link }}");
    let file = "[whatsapp_templates.acme]\n\"1. Mahnung\" = \"acme_dunning_1\"\n\"*\" = \"acme_reminder\"\n";
    let dir_name = dir.path().to_str().unwrap().to_owned();
    let config = Config::layered(Some((file, "test.toml")), |name| {
        (name == "MAHNWERK_TEMPLATES_DIR").then(|| dir_name.clone())
    })
    .unwrap();
    let templates = super::Templates::from_config(&config).unwrap();
    let OutgoingMessage::Whatsapp(message) = templates
        .render_job(&job(ChannelKind::Whatsapp, "en", Tone::Neutral, "acme"), &creditor(), &links(), now())
        .unwrap()
    else {
        panic!("not WhatsApp")
    };
    assert_eq!(message.template.unwrap().name, "acme_dunning_1");
    assert!(
        message.body.starts_with("Stadtwerke Musterstadt GmbH: €1,240.67 https://pay.example.org/pay/"),
        "{}",
        message.body
    );
}

/// The preview's sample case at `stage` (from 1) of the consumer plan (four stages), in German.
fn staged_job(stage: u32, channel: ChannelKind) -> DeliveryJob {
    let options = PreviewOptions {
        channel,
        stage,
        language: Some("de".into()),
        tone: None,
        tenant: Some("acme".into()),
        plan: None,
        out: "unused".into(),
    };
    sample_job(&Config::default(), &options, now()).unwrap()
}

#[test]
fn the_last_stage_names_its_deadline_and_what_follows_it() {
    let templates = Templates::shipped().unwrap();
    let links = links();
    // Sent Thursday 5 November 2026; the case escalates 14 days later, so the 18th is the last day,
    // in the firm words of the last stage.
    let last_day = "Ihre Zahlung muss spätestens am 18.11.2026 bei uns eingehen.";
    let agency = "Andernfalls übergeben wir die Forderung ohne weitere Mahnung an ein Inkassounternehmen.";
    for channel in [ChannelKind::Email, ChannelKind::Letter] {
        let last = staged_job(4, channel);
        assert_eq!((last.stage_name.as_str(), last.escalates_after_days), ("Letzte Mahnung", Some(14)));
        let message = templates.render_job(&last, &creditor(), &links, now()).unwrap();
        for text in texts(&message).iter().skip(1) {
            assert!(text.contains(&format!("{last_day} {agency}")), "{channel}: {text}");
        }
        let court = Creditor { final_consequence: crate::domain::Consequence::CourtDunning, ..creditor() };
        let all = texts(&templates.render_job(&last, &court, &links, now()).unwrap()).join("\n");
        assert!(all.contains("einen gerichtlichen Mahnbescheid") && !all.contains("Inkasso"), "{all}");
        let bare = Creditor { final_consequence: crate::domain::Consequence::None, ..creditor() };
        let all = texts(&templates.render_job(&last, &bare, &links, now()).unwrap()).join("\n");
        assert!(all.contains(last_day) && !all.contains("Andernfalls"), "{all}");

        // An earlier stage names no deadline.
        let earlier = staged_job(3, channel);
        assert_eq!(earlier.escalates_after_days, None);
        let all = texts(&templates.render_job(&earlier, &creditor(), &links, now()).unwrap()).join("\n");
        assert!(!all.contains("spätestens") && !all.contains("Andernfalls"), "{all}");
    }
}
