//! Drawing one debtor: segment, payer type, locale, contacts, attention per channel, hours.

use rand::Rng;

use super::channel::{PerChannel, SimChannel};
use super::config::SimConfig;
use super::debtor::{AgeGroup, Contact, PayerType, Segment, SimDebtor};
use super::hours::draw_hour_profile;
use super::invoice::TASTES;
use super::sample::{log_normal, pick};

/// A country with its zone and the languages spoken by debtors there.
struct Locale {
    country: &'static str,
    timezone: &'static str,
    languages: &'static [(f64, &'static str)],
}

/// Weighted like a German creditor's customer base: mostly Germany, some DACH and neighbours.
const LOCALES: [(f64, Locale); 5] = [
    (0.70, Locale { country: "DE", timezone: "Europe/Berlin", languages: &[(0.95, "de"), (0.05, "en")] }),
    (0.10, Locale { country: "AT", timezone: "Europe/Vienna", languages: &[(0.97, "de"), (0.03, "en")] }),
    (
        0.08,
        Locale {
            country: "CH",
            timezone: "Europe/Zurich",
            languages: &[(0.70, "de"), (0.25, "fr"), (0.05, "en")],
        },
    ),
    (0.06, Locale { country: "FR", timezone: "Europe/Paris", languages: &[(0.92, "fr"), (0.08, "en")] }),
    (0.06, Locale { country: "GB", timezone: "Europe/London", languages: &[(1.0, "en")] }),
];

const AGE_MIX: [(f64, AgeGroup); 3] =
    [(0.30, AgeGroup::Young), (0.45, AgeGroup::Middle), (0.25, AgeGroup::Senior)];

/// Probability that the creditor holds each contact: (email, phone, WhatsApp opt-in given a
/// phone, Messenger).
fn contact_odds(segment: Segment, age: Option<AgeGroup>) -> (f64, f64, f64, f64) {
    match (segment, age) {
        (Segment::Business, _) => (0.97, 0.75, 0.12, 0.03),
        (Segment::Consumer, Some(AgeGroup::Young)) => (0.80, 0.95, 0.65, 0.40),
        (Segment::Consumer, Some(AgeGroup::Senior)) => (0.60, 0.60, 0.15, 0.05),
        (Segment::Consumer, _) => (0.90, 0.85, 0.45, 0.20),
    }
}

/// Typical attention per channel (email, SMS, WhatsApp, Messenger, letter) before the personal
/// perturbation: the young live on their phones, seniors and businesses read letters, businesses
/// read email and ignore chat apps.
fn base_attention(segment: Segment, age: Option<AgeGroup>) -> [f64; 5] {
    match (segment, age) {
        (Segment::Business, _) => [0.90, 0.50, 0.50, 0.30, 0.85],
        (Segment::Consumer, Some(AgeGroup::Young)) => [0.55, 0.85, 0.95, 0.70, 0.50],
        (Segment::Consumer, Some(AgeGroup::Senior)) => [0.65, 0.60, 0.60, 0.30, 0.95],
        (Segment::Consumer, _) => [0.80, 0.80, 0.80, 0.50, 0.75],
    }
}

/// How much more (or less) often than `dead_contact_rate` a held contact of this channel is dead:
/// abandoned inboxes and Messenger accounts are common, changed phone numbers less so, and
/// letters fail only when someone moved without forwarding.
fn dead_factor(channel: SimChannel) -> f64 {
    match channel {
        SimChannel::Email | SimChannel::Messenger => 1.0,
        SimChannel::Sms | SimChannel::Whatsapp => 0.5,
        SimChannel::Letter => 0.2,
    }
}

/// Spread of personal attention around the base, as a log-normal sigma.
const ATTENTION_SIGMA: f64 = 0.35;
/// Nobody notices every message.
const MAX_ATTENTION: f64 = 0.98;

/// Draws debtor number `index` (0-based). The order of draws is part of the reproducibility
/// contract: changing it changes every seeded population.
pub(crate) fn draw_debtor<R: Rng + ?Sized>(index: usize, config: &SimConfig, rng: &mut R) -> SimDebtor {
    let segment = if rng.gen_bool(config.business_share) { Segment::Business } else { Segment::Consumer };
    let age_group = match segment {
        Segment::Consumer => Some(pick(rng, &AGE_MIX)),
        Segment::Business => None,
    };
    let mix = match segment {
        Segment::Consumer => config.consumer_payers,
        Segment::Business => config.business_payers,
    };
    let payer = pick(rng, &PayerType::ALL.map(|p| (mix.weight(p), p)));
    let locale = pick(rng, &LOCALES.each_ref().map(|(w, l)| (*w, l)));
    let language = pick(rng, locale.languages);
    let name = draw_name(rng, segment, language, locale.country);

    let (email, phone, whatsapp, messenger) = contact_odds(segment, age_group);
    let has_phone = rng.gen_bool(phone);
    let contact = Contact {
        has_email: rng.gen_bool(email),
        has_phone,
        whatsapp_opt_in: has_phone && rng.gen_bool(whatsapp),
        messenger: rng.gen_bool(messenger),
    };
    let base = base_attention(segment, age_group);
    let attention = PerChannel::from_fn(|channel| {
        // Draw for every channel, held or not, so that one contact's presence does not shift
        // the random stream of the others.
        let personal = log_normal(rng, base[channel.index()], ATTENTION_SIGMA).min(MAX_ATTENTION);
        let dead = rng.gen_bool(config.dead_contact_rate * dead_factor(channel));
        if contact.has_channel(channel) && !dead {
            personal
        } else {
            0.0
        }
    });
    let hour_profile = draw_hour_profile(rng, segment);

    let amount_scale_cents = (match segment {
        Segment::Consumer => log_normal(rng, 8_000.0, 0.6).clamp(2_000.0, 50_000.0),
        Segment::Business => log_normal(rng, 150_000.0, 0.9).clamp(20_000.0, 2_000_000.0),
    } * config.amount_factor)
        .round() as i64;
    let (min, max) = config.invoices_per_debtor;
    let invoice_count = rng.gen_range(min..=max);
    let product_taste = rng.gen_range(0..TASTES);
    // Drawn last and only when asked for, so that every other draw, and the default world, stay
    // as they were.
    let mut attention = attention;
    if config.one_dead_channel_share > 0.0 && rng.gen_bool(config.one_dead_channel_share) {
        let live: Vec<SimChannel> = SimChannel::ALL
            .into_iter()
            .filter(|&c| c != SimChannel::Letter && contact.has_channel(c) && attention.get(c) > 0.0)
            .collect();
        if !live.is_empty() {
            let dead = live[rng.gen_range(0..live.len())];
            attention = PerChannel::from_fn(|c| if c == dead { 0.0 } else { attention.get(c) });
        }
    }

    SimDebtor {
        id: format!("SIM-{:06}", index + 1),
        segment,
        age_group,
        payer,
        timezone: locale.timezone.to_owned(),
        language: language.to_owned(),
        country: locale.country.to_owned(),
        name,
        contact,
        attention,
        hour_profile,
        amount_scale_cents,
        invoice_count,
        product_taste,
    }
}

fn draw_name<R: Rng + ?Sized>(rng: &mut R, segment: Segment, language: &str, country: &str) -> String {
    let (first, last, trades): (&[&str], &[&str], &[&str]) = match language {
        "fr" => (
            &["Camille", "Louis", "Chloé", "Hugo", "Manon", "Jules"],
            &["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre"],
            &["Bâtiment", "Logistique", "Technique", "Commerce", "Conseil"],
        ),
        "en" => (
            &["Oliver", "Amelia", "Harry", "Isla", "Jack", "Emily"],
            &["Smith", "Jones", "Taylor", "Brown", "Evans", "Wilson"],
            &["Building", "Logistics", "Engineering", "Trading", "Consulting"],
        ),
        _ => (
            &["Erika", "Max", "Anna", "Lukas", "Sabine", "Jonas", "Petra", "Felix"],
            &["Mustermann", "Schmidt", "Müller", "Weber", "Wagner", "Becker", "Hoffmann", "Koch"],
            &["Bau", "Logistik", "Technik", "Handel", "Beratung"],
        ),
    };
    let surname = last[rng.gen_range(0..last.len())];
    match segment {
        Segment::Consumer => format!("{} {surname}", first[rng.gen_range(0..first.len())]),
        Segment::Business => {
            let trade = trades[rng.gen_range(0..trades.len())];
            let form = match country {
                "AT" | "DE" => "GmbH",
                "CH" => "AG",
                "FR" => "SARL",
                _ => "Ltd",
            };
            format!("{surname} {trade} {form}")
        }
    }
}
