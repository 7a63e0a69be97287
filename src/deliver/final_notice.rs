//! The sentence the last stage's reminder adds in each shipped language: the last day to pay and
//! what the creditor does after it ([`Consequence`]). Empty on every other reminder.

use super::locale::Locale;
use super::words::Words;
use crate::domain::{last_day_to_pay, Consequence, Tone};
use crate::store::DeliveryJob;
use chrono::NaiveDate;

/// One language's sentences: the deadline as each tone words it (`{date}` is replaced), then
/// each consequence, which every tone states alike.
struct Sentences {
    language: &'static str,
    /// The neutral tone's.
    deadline: &'static str,
    friendly_deadline: &'static str,
    firm_deadline: &'static str,
    collection_agency: &'static str,
    court_dunning: &'static str,
}

const ALL: [Sentences; 8] = [
    Sentences {
        language: "en",
        deadline: "Please pay by {date} at the latest.",
        friendly_deadline: "We kindly ask you to pay by {date}.",
        firm_deadline: "Payment must reach us by {date} at the latest.",
        collection_agency: "Otherwise we will pass the claim to a debt collection agency without further notice.",
        court_dunning: "Otherwise we will apply for a court payment order without further notice.",
    },
    Sentences {
        language: "de",
        deadline: "Bitte zahlen Sie bis spätestens {date}.",
        friendly_deadline: "Wir bitten Sie freundlich, bis spätestens {date} zu zahlen.",
        firm_deadline: "Ihre Zahlung muss spätestens am {date} bei uns eingehen.",
        collection_agency: "Andernfalls übergeben wir die Forderung ohne weitere Mahnung an ein Inkassounternehmen.",
        court_dunning: "Andernfalls beantragen wir ohne weitere Mahnung einen gerichtlichen Mahnbescheid.",
    },
    Sentences {
        language: "fr",
        deadline: "Veuillez payer au plus tard le {date}.",
        friendly_deadline: "Nous vous remercions de bien vouloir payer au plus tard le {date}.",
        firm_deadline: "Votre paiement doit nous parvenir au plus tard le {date}.",
        collection_agency: "À défaut, nous transmettrons la créance à une société de recouvrement sans autre avis.",
        court_dunning: "À défaut, nous engagerons sans autre avis une procédure d'injonction de payer.",
    },
    Sentences {
        language: "es",
        deadline: "Le rogamos que pague a más tardar el {date}.",
        friendly_deadline: "Le agradeceríamos que pagara a más tardar el {date}.",
        firm_deadline: "Su pago debe llegarnos a más tardar el {date}.",
        collection_agency: "En caso contrario, cederemos la reclamación a una agencia de cobro sin más aviso.",
        court_dunning: "En caso contrario, iniciaremos sin más aviso un proceso monitorio judicial.",
    },
    Sentences {
        language: "it",
        deadline: "La preghiamo di pagare entro il {date}.",
        friendly_deadline: "Le saremmo grati se pagasse entro il {date}.",
        firm_deadline: "Il pagamento deve pervenirci entro il {date}.",
        collection_agency: "In caso contrario affideremo il credito a una società di recupero crediti senza ulteriore preavviso.",
        court_dunning: "In caso contrario richiederemo un decreto ingiuntivo senza ulteriore preavviso.",
    },
    Sentences {
        language: "nl",
        deadline: "Wij verzoeken u uiterlijk op {date} te betalen.",
        friendly_deadline: "Wij vragen u vriendelijk uiterlijk op {date} te betalen.",
        firm_deadline: "Uw betaling moet uiterlijk op {date} bij ons binnen zijn.",
        collection_agency: "Anders dragen wij de vordering zonder verdere aankondiging over aan een incassobureau.",
        court_dunning: "Anders vragen wij zonder verdere aankondiging een gerechtelijk betalingsbevel aan.",
    },
    Sentences {
        language: "pl",
        deadline: "Prosimy o zapłatę najpóźniej do {date}.",
        friendly_deadline: "Uprzejmie prosimy o zapłatę najpóźniej do {date}.",
        firm_deadline: "Płatność musi do nas wpłynąć najpóźniej do {date}.",
        collection_agency: "W przeciwnym razie bez dalszego wezwania przekażemy roszczenie firmie windykacyjnej.",
        court_dunning: "W przeciwnym razie bez dalszego wezwania wystąpimy do sądu o nakaz zapłaty.",
    },
    Sentences {
        language: "tr",
        deadline: "Lütfen en geç {date} tarihine kadar ödeme yapınız.",
        friendly_deadline: "Ödemenizi en geç {date} tarihine kadar yapmanızı rica ederiz.",
        firm_deadline: "Ödemeniz en geç {date} tarihine kadar tarafımıza ulaşmalıdır.",
        collection_agency: "Aksi takdirde alacağı başka bir bildirimde bulunmaksızın bir tahsilat şirketine devredeceğiz.",
        court_dunning: "Aksi takdirde başka bir bildirimde bulunmaksızın mahkemeden ödeme emri talep edeceğiz.",
    },
];

/// The last day to pay that `job` names, when it is the reminder of its plan's last stage and
/// goes out on `today` (the debtor's date).
pub fn deadline(job: &DeliveryJob, today: NaiveDate) -> Option<NaiveDate> {
    job.escalates_after_days.map(|days| last_day_to_pay(today, days))
}

/// The deadline and the consequence as `language` words them in `tone`; empty without a
/// deadline.
pub fn sentence(language: &str, tone: Tone, deadline: Option<NaiveDate>, consequence: Consequence) -> String {
    let Some(deadline) = deadline else { return String::new() };
    let words = Words::of(language).language;
    let sentences = ALL.iter().find(|s| s.language == words).unwrap_or(&ALL[0]);
    let date = Locale::of(sentences.language).date(deadline);
    let wording = match tone {
        Tone::Friendly => sentences.friendly_deadline,
        Tone::Neutral => sentences.deadline,
        Tone::Firm => sentences.firm_deadline,
    };
    let first = wording.replace("{date}", &date);
    match consequence {
        Consequence::CollectionAgency => format!("{first} {}", sentences.collection_agency),
        Consequence::CourtDunning => format!("{first} {}", sentences.court_dunning),
        Consequence::None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn each_language_names_the_date_and_the_consequence() {
        let on = Some(day("2026-12-20"));
        assert_eq!(
            sentence("de", Tone::Neutral, on, Consequence::CollectionAgency),
            "Bitte zahlen Sie bis spätestens 20.12.2026. Andernfalls übergeben wir die Forderung ohne weitere \
             Mahnung an ein Inkassounternehmen."
        );
        assert_eq!(
            sentence("en-GB", Tone::Neutral, on, Consequence::CourtDunning),
            format!(
                "Please pay by {} at the latest. Otherwise we will apply for a court payment order without further notice.",
                Locale::of("en").date(day("2026-12-20"))
            )
        );
        assert_eq!(
            sentence("de", Tone::Neutral, on, Consequence::None),
            "Bitte zahlen Sie bis spätestens 20.12.2026."
        );
        assert_eq!(
            sentence("de", Tone::Friendly, on, Consequence::None),
            "Wir bitten Sie freundlich, bis spätestens 20.12.2026 zu zahlen."
        );
        assert_eq!(
            sentence("de", Tone::Firm, on, Consequence::CourtDunning),
            "Ihre Zahlung muss spätestens am 20.12.2026 bei uns eingehen. Andernfalls beantragen wir ohne weitere \
             Mahnung einen gerichtlichen Mahnbescheid."
        );
        for sentences in &ALL {
            let texts: Vec<String> = [Tone::Friendly, Tone::Neutral, Tone::Firm]
                .into_iter()
                .map(|tone| sentence(sentences.language, tone, on, Consequence::CollectionAgency))
                .collect();
            for text in &texts {
                assert!(text.contains(&Locale::of(sentences.language).date(day("2026-12-20"))), "{text}");
                assert!(!text.contains("{date}"), "{text}");
                assert!(
                    text.ends_with(sentences.collection_agency),
                    "the same consequence in every tone: {text}"
                );
            }
            assert!(texts[0] != texts[1] && texts[1] != texts[2] && texts[0] != texts[2], "{texts:?}");
        }
        assert_eq!(
            sentence("pt", Tone::Firm, on, Consequence::None),
            sentence("en", Tone::Firm, on, Consequence::None),
            "English else"
        );
        assert_eq!(sentence("de", Tone::Firm, None, Consequence::CollectionAgency), "", "not the last stage");
    }
}
