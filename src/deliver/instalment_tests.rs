//! Instalment reminders as the debtor reads them, through [`Templates::render_job`] on the
//! preview's sample case (1.234,56 € in three instalments, the first paid): which instalment of
//! how many, what is open of it, its due date and the pay-link, on every channel and in every
//! shipped language; and when one is not sent at all.

use super::instalment::reason_not_to_send;
use super::locale::{Locale, LANGUAGES};
use super::render_tests::{creditor, job, links, now, texts};
use super::templates::Templates;
use crate::domain::{CaseState, ChannelKind, InstalmentNotice, InstalmentRules, Money, Tone};
use crate::store::tx::InstalmentPlan;
use crate::store::DeliveryJob;
use chrono::{DateTime, NaiveDate, Utc};
use mahnwerk_channels::capabilities::DEFAULT_SMS_MAX_SEGMENTS;
use mahnwerk_channels::{sms_segments, OutgoingMessage};
use rust_decimal::Decimal;

fn dec(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

/// The second instalment's `notice` on `channel` in `language`, the first instalment paid.
fn instalment_job(channel: ChannelKind, language: &str, notice: InstalmentNotice) -> DeliveryJob {
    let mut job = job(channel, language, Tone::Friendly, "acme");
    let agreed_on = NaiveDate::from_ymd_opt(2026, 10, 20).unwrap();
    let instalments = InstalmentRules::default().plan(agreed_on, job.amount_due.amount(), 3, 2).unwrap();
    job.instalment = 2;
    job.stage = notice.stage();
    job.stage_name = "instalment".into();
    job.fee = Decimal::ZERO;
    job.case_state = CaseState::Paused;
    job.amount_paid = dec("411.52");
    job.plan = Some(InstalmentPlan { instalments, paid_before: Decimal::ZERO });
    job
}

fn second_due() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

/// When `notice` goes out as planned: the upcoming one on the sample's day, the due one on the
/// due date (09:00 UTC, the same day in Berlin).
fn sent_at(notice: InstalmentNotice) -> DateTime<Utc> {
    match notice {
        InstalmentNotice::Upcoming => now(),
        InstalmentNotice::Due => second_due().and_hms_opt(9, 0, 0).unwrap().and_utc(),
    }
}

#[test]
fn a_german_and_an_english_instalment_reminder_name_the_instalment_amount_date_and_link() {
    let templates = Templates::shipped().unwrap();
    let render = |language, notice| {
        let job = instalment_job(ChannelKind::Email, language, notice);
        let at = sent_at(notice);
        let OutgoingMessage::Email(email) = templates.render_job(&job, &creditor(), &links(), at).unwrap()
        else {
            panic!("not an email")
        };
        (email, links().pay_url(&job.tenant, job.reminder_id, at))
    };
    let (email, pay_link) = render("de", InstalmentNotice::Upcoming);
    assert_eq!(email.subject, "Rate 2 von 3: Rechnung RE-2026-0042, fällig am 27.11.2026");
    assert!(
        email.text_body.contains(
            "am 27.11.2026 wird Rate 2 von 3 zur Rechnung RE-2026-0042 fällig: 411,52 €, zu zahlen bis zum 27.11.2026."
        ),
        "{}",
        email.text_body
    );
    assert!(email.text_body.starts_with("Guten Tag Erika Mustermann,"), "{}", email.text_body);
    assert!(email.text_body.contains(&pay_link), "{}", email.text_body);
    assert!(
        !email.text_body.contains("1.234,56"),
        "the instalment, not the whole claim: {}",
        email.text_body
    );
    assert!(email.html_body.is_none() && email.attachments.is_empty(), "no dunning letter with it");
    let (email, _) = render("de", InstalmentNotice::Due);
    assert!(email.text_body.contains("heute ist Rate 2 von 3 zur Rechnung RE-2026-0042 fällig: 411,52 €"));

    let (email, pay_link) = render("en", InstalmentNotice::Due);
    let en = Locale::of("en");
    let amount = en.money(&Money::new(dec("411.52"), email_currency()));
    assert_eq!(
        email.subject,
        format!("Instalment 2 of 3: invoice RE-2026-0042, due {}", en.date(second_due()))
    );
    assert!(
        email.text_body.contains(&format!(
            "Instalment 2 of 3 for invoice RE-2026-0042 is due today: {amount}, to be paid by {}.",
            en.date(second_due())
        )),
        "{}",
        email.text_body
    );
    assert!(email.text_body.contains(&pay_link), "{}", email.text_body);
}

fn email_currency() -> crate::domain::Currency {
    crate::domain::Currency::parse("EUR").unwrap()
}

#[test]
fn every_language_and_channel_states_the_instalment() {
    let templates = Templates::shipped().unwrap();
    for language in LANGUAGES {
        let locale = Locale::of(language);
        let amount = locale.money(&Money::new(dec("411.52"), email_currency()));
        for notice in InstalmentNotice::ALL {
            for channel in ChannelKind::ALL {
                let job = instalment_job(channel, language, notice);
                let message = templates.render_job(&job, &creditor(), &links(), sent_at(notice)).unwrap();
                let all = texts(&message).join("\n");
                let pay_link = links().pay_url(&job.tenant, job.reminder_id, sent_at(notice));
                let what = format!("{language} {notice:?} {channel}: {all}");
                assert!(!all.contains("{{") && !all.contains("{%"), "{what}");
                for expected in ["RE-2026-0042", "2", "3", &amount, &locale.date(second_due()), &pay_link] {
                    assert!(all.contains(expected), "{expected:?} missing: {what}");
                }
                if let OutgoingMessage::Letter(letter) = &message {
                    assert!(letter.document.is_none(), "no payment block for the whole claim: {what}");
                }
                if let OutgoingMessage::Sms(sms) = &message {
                    let count = sms_segments::count(&sms.body);
                    assert!(count.fits(DEFAULT_SMS_MAX_SEGMENTS), "{count:?}: {what}");
                    let gsm = count.encoding == mahnwerk_channels::sms_segments::SmsEncoding::Gsm7;
                    assert!(gsm && count.segments <= 2, "{count:?}: {what}");
                }
                if let OutgoingMessage::Whatsapp(whatsapp) = &message {
                    let parameters = &whatsapp.template.as_ref().unwrap().body_parameters;
                    assert_eq!(parameters[1], amount, "{what}");
                }
            }
        }
    }
}

/// What each shipped language says of an instalment whose due date has passed, in the letter
/// text (email, letter, chat) and in the SMS.
const OVERDUE: [(&str, &str, &str); 8] = [
    ("de", "war am 27.11.2026 fällig und ist noch offen", "war am 27.11.2026 fällig und ist noch offen"),
    ("en", "was due on", "was due on"),
    ("fr", "était due le", "était due le"),
    ("es", "venció el", "sigue pendiente desde el"),
    ("it", "è scaduta il", "è scaduta il"),
    ("nl", "verviel op", "verviel op"),
    ("pl", "była płatna", "byla platna"),
    ("tr", "idi ve taksit", "ödenmesi gerekiyordu"),
];

#[test]
fn a_notice_sent_after_the_due_date_says_the_instalment_was_due_not_that_it_is_due_today() {
    let templates = Templates::shipped().unwrap();
    // Sixteen days of downtime: both notices go out late, after the due date.
    let late = second_due().and_hms_opt(9, 0, 0).unwrap().and_utc() + chrono::Duration::days(16);
    let job = instalment_job(ChannelKind::Email, "de", InstalmentNotice::Due);
    let OutgoingMessage::Email(email) = templates.render_job(&job, &creditor(), &links(), late).unwrap()
    else {
        panic!("not an email")
    };
    assert!(
        email.text_body.contains(
            "Rate 2 von 3 zur Rechnung RE-2026-0042 war am 27.11.2026 fällig und ist noch offen: 411,52 €. \
             Bitte zahlen Sie sie jetzt."
        ),
        "{}",
        email.text_body
    );
    assert!(!email.text_body.contains("heute"), "{}", email.text_body);
    for (language, letter_words, sms_words) in OVERDUE {
        let locale = Locale::of(language);
        for notice in InstalmentNotice::ALL {
            for channel in ChannelKind::ALL {
                let job = instalment_job(channel, language, notice);
                let message = templates.render_job(&job, &creditor(), &links(), late).unwrap();
                let all = texts(&message).join("\n");
                let what = format!("{language} {notice:?} {channel}: {all}");
                let words = if channel == ChannelKind::Sms { sms_words } else { letter_words };
                assert!(all.contains(words) && all.contains(&locale.date(second_due())), "{what}");
                if let OutgoingMessage::Sms(sms) = &message {
                    let count = sms_segments::count(&sms.body);
                    let gsm = count.encoding == mahnwerk_channels::sms_segments::SmsEncoding::Gsm7;
                    assert!(gsm && count.segments <= 2, "{count:?}: {what}");
                }
            }
        }
    }
}

#[test]
fn an_instalment_reminder_goes_out_only_for_an_open_unpaid_instalment_of_a_paused_case() {
    let open = instalment_job(ChannelKind::Sms, "de", InstalmentNotice::Due);
    assert_eq!(reason_not_to_send(&open), None);
    let paid = DeliveryJob { amount_paid: dec("823.04"), ..open.clone() };
    assert_eq!(reason_not_to_send(&paid).as_deref(), Some("instalment 2 is paid"));
    let ended = DeliveryJob { plan: None, ..open.clone() };
    assert_eq!(reason_not_to_send(&ended).as_deref(), Some("instalment plan ended"));
    let closed = DeliveryJob { case_state: CaseState::Paid, ..open.clone() };
    assert_eq!(reason_not_to_send(&closed).as_deref(), Some("case is paid"));
    // A stage's reminder is not sent while the case is paused.
    let stage = DeliveryJob { instalment: 0, plan: None, ..open };
    assert_eq!(reason_not_to_send(&stage).as_deref(), Some("case is paused"));
}
