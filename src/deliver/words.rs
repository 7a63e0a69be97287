//! The fixed words of a reminder in each shipped language: the greeting (a person by name, a
//! company as a company), the labels of the amounts table and of the letter's information block,
//! its captions, and country names for the address window (DIN 5008: in capitals, in the
//! sender's language).
//!
//! The amounts are labelled the same way in every language: the invoice amount, what was already
//! paid, each fee, and the total still due; only the total is "due".

use crate::domain::{Debtor, DebtorKind};
use mahnwerk_channels::LetterCaptions;

/// The fixed words of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// The language they are in.
    pub language: &'static str,
    /// A person by name: `{name}` is replaced.
    pub dear_person: &'static str,
    /// A company without a named contact.
    pub dear_company: &'static str,
    /// The named contact person at a company: `{name}` is replaced.
    pub dear_contact: &'static str,
    /// The invoice's own amount.
    pub principal: &'static str,
    /// Paid so far, shown as a negative row.
    pub paid: &'static str,
    pub fee: &'static str,
    /// What is still due, the sum of the rows above.
    pub total: &'static str,
    pub pay_online: &'static str,
    /// The information block: customer number, invoice number, invoice date, phone, email.
    pub customer_number: &'static str,
    pub invoice_number: &'static str,
    pub invoice_date: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    /// EPC code, bank details, account holder, reference, page, date.
    captions: [&'static str; 6],
    /// Its position in [`super::locale::LANGUAGES`], the column of [`COUNTRIES`].
    column: usize,
}

const EN: Words = Words {
    language: "en",
    dear_person: "Dear {name},",
    dear_company: "Dear Sir or Madam,",
    dear_contact: "Dear {name},",
    principal: "Invoice amount",
    paid: "Already paid",
    fee: "Reminder fee",
    total: "Total due",
    pay_online: "Pay online",
    customer_number: "Customer no.",
    invoice_number: "Invoice no.",
    invoice_date: "Invoice date",
    phone: "Phone",
    email: "Email",
    captions: [
        "Pay with code",
        "Bank details",
        "Account holder",
        "Reference",
        "Page {page} of {pages}",
        "Date",
    ],
    column: 0,
};

/// Every shipped language, in the order of [`super::locale::LANGUAGES`].
const ALL: [Words; 8] = [
    EN,
    Words {
        language: "de",
        dear_person: "Guten Tag {name},",
        dear_company: "Sehr geehrte Damen und Herren,",
        dear_contact: "Sehr geehrte/r {name},",
        principal: "Rechnungsbetrag",
        paid: "Bereits gezahlt",
        fee: "Mahngebühr",
        total: "Offener Gesamtbetrag",
        pay_online: "Online bezahlen",
        customer_number: "Kundennummer",
        invoice_number: "Rechnungsnummer",
        invoice_date: "Rechnungsdatum",
        phone: "Telefon",
        email: "E-Mail",
        captions: [
            "Zahlen mit Code",
            "Bankverbindung",
            "Kontoinhaber",
            "Verwendungszweck",
            "Seite {page} von {pages}",
            "Datum",
        ],
        column: 1,
    },
    Words {
        language: "fr",
        dear_person: "Bonjour {name},",
        dear_company: "Madame, Monsieur,",
        dear_contact: "Bonjour {name},",
        principal: "Montant de la facture",
        paid: "Déjà payé",
        fee: "Frais de relance",
        total: "Total restant dû",
        pay_online: "Payer en ligne",
        customer_number: "N° client",
        invoice_number: "N° de facture",
        invoice_date: "Date de facture",
        phone: "Téléphone",
        email: "E-mail",
        captions: [
            "Payer avec le code",
            "Coordonnées bancaires",
            "Titulaire du compte",
            "Référence",
            "Page {page} sur {pages}",
            "Date",
        ],
        column: 2,
    },
    Words {
        language: "es",
        dear_person: "Estimado/a {name}:",
        dear_company: "Estimados señores:",
        dear_contact: "Estimado/a {name}:",
        principal: "Importe de la factura",
        paid: "Ya pagado",
        fee: "Recargo por reclamación",
        total: "Total pendiente",
        pay_online: "Pagar en línea",
        customer_number: "N.º de cliente",
        invoice_number: "N.º de factura",
        invoice_date: "Fecha de factura",
        phone: "Teléfono",
        email: "Correo electrónico",
        captions: [
            "Pagar con el código",
            "Datos bancarios",
            "Titular de la cuenta",
            "Referencia",
            "Página {page} de {pages}",
            "Fecha",
        ],
        column: 3,
    },
    Words {
        language: "it",
        dear_person: "Gentile {name},",
        dear_company: "Spettabile Ditta,",
        dear_contact: "Gentile {name},",
        principal: "Importo della fattura",
        paid: "Già pagato",
        fee: "Spese di sollecito",
        total: "Totale dovuto",
        pay_online: "Paga online",
        customer_number: "Codice cliente",
        invoice_number: "N. fattura",
        invoice_date: "Data fattura",
        phone: "Telefono",
        email: "E-mail",
        captions: [
            "Paga con il codice",
            "Coordinate bancarie",
            "Intestatario del conto",
            "Causale",
            "Pagina {page} di {pages}",
            "Data",
        ],
        column: 4,
    },
    Words {
        language: "nl",
        dear_person: "Beste {name},",
        dear_company: "Geachte heer, mevrouw,",
        dear_contact: "Geachte {name},",
        principal: "Factuurbedrag",
        paid: "Reeds betaald",
        fee: "Aanmaningskosten",
        total: "Totaal openstaand",
        pay_online: "Online betalen",
        customer_number: "Klantnummer",
        invoice_number: "Factuurnummer",
        invoice_date: "Factuurdatum",
        phone: "Telefoon",
        email: "E-mail",
        captions: [
            "Betalen met code",
            "Bankgegevens",
            "Rekeninghouder",
            "Betalingskenmerk",
            "Pagina {page} van {pages}",
            "Datum",
        ],
        column: 5,
    },
    Words {
        language: "pl",
        dear_person: "Dzień dobry {name},",
        dear_company: "Szanowni Państwo,",
        dear_contact: "Dzień dobry {name},",
        principal: "Kwota faktury",
        paid: "Już zapłacono",
        fee: "Opłata za upomnienie",
        total: "Razem do zapłaty",
        pay_online: "Zapłać online",
        customer_number: "Nr klienta",
        invoice_number: "Nr faktury",
        invoice_date: "Data faktury",
        phone: "Telefon",
        email: "E-mail",
        captions: [
            "Zapłać kodem",
            "Dane do przelewu",
            "Odbiorca",
            "Tytuł przelewu",
            "Strona {page} z {pages}",
            "Data",
        ],
        column: 6,
    },
    Words {
        language: "tr",
        dear_person: "Sayın {name},",
        dear_company: "Sayın Yetkili,",
        dear_contact: "Sayın {name},",
        principal: "Fatura tutarı",
        paid: "Ödenen",
        fee: "İhtar masrafı",
        total: "Ödenecek toplam",
        pay_online: "Online öde",
        customer_number: "Müşteri no.",
        invoice_number: "Fatura no.",
        invoice_date: "Fatura tarihi",
        phone: "Telefon",
        email: "E-posta",
        captions: [
            "Kodla öde",
            "Banka bilgileri",
            "Hesap sahibi",
            "Ödeme referansı",
            "Sayfa {page} / {pages}",
            "Tarih",
        ],
        column: 7,
    },
];

impl Words {
    /// The words of a language tag's primary subtag (`de-AT` reads `de`); English for a language
    /// mahnwerk ships no words for.
    pub fn of(language: &str) -> Self {
        let primary = language.split(['-', '_']).next().unwrap_or(language);
        ALL.into_iter().find(|words| words.language == primary).unwrap_or(EN)
    }

    /// The greeting line of a letter or email to `debtor`, its punctuation included: a consumer
    /// by name; a business by its contact person when intake named one, else as a company.
    pub fn salutation(&self, debtor: &Debtor) -> String {
        match (debtor.kind, &debtor.contact_person) {
            (DebtorKind::Business, Some(contact)) => self.dear_contact.replace("{name}", contact),
            (DebtorKind::Business, None) => self.dear_company.to_owned(),
            _ => self.dear_person.replace("{name}", &debtor.name),
        }
    }

    /// The letter's captions.
    pub fn captions(&self) -> LetterCaptions {
        let [epc_qr, bank_details, account_holder, reference, page, date] = self.captions.map(str::to_owned);
        LetterCaptions { epc_qr, bank_details, account_holder, reference, page, date }
    }

    /// The name of `country` (ISO 3166-1 alpha-2) in capitals in this language, as DIN 5008 and
    /// the UPU want the last line of a foreign address; the code itself for a country not listed.
    pub fn country(&self, country: &str) -> String {
        COUNTRIES
            .iter()
            .find(|(code, _)| *code == country)
            .map_or_else(|| country.to_owned(), |(_, names)| names[self.column].to_owned())
    }
}

/// The language a creditor in `country` writes its letters' country lines in: the country's
/// main language among the shipped ones, else English.
pub fn language_of_country(country: &str) -> &'static str {
    match country {
        "DE" | "AT" | "CH" | "LI" => "de",
        "FR" | "MC" | "LU" => "fr",
        "ES" => "es",
        "IT" | "SM" => "it",
        "NL" | "BE" => "nl",
        "PL" => "pl",
        "TR" => "tr",
        _ => "en",
    }
}

/// Country names in capitals, in the order of [`super::locale::LANGUAGES`]: en, de, fr, es, it,
/// nl, pl, tr. The EU and EEA, and the neighbours mahnwerk's creditors write to most.
#[rustfmt::skip]
const COUNTRIES: &[(&str, [&str; 8])] = &[
    ("AT", ["AUSTRIA", "ÖSTERREICH", "AUTRICHE", "AUSTRIA", "AUSTRIA", "OOSTENRIJK", "AUSTRIA", "AVUSTURYA"]),
    ("BE", ["BELGIUM", "BELGIEN", "BELGIQUE", "BÉLGICA", "BELGIO", "BELGIË", "BELGIA", "BELÇİKA"]),
    ("BG", ["BULGARIA", "BULGARIEN", "BULGARIE", "BULGARIA", "BULGARIA", "BULGARIJE", "BUŁGARIA", "BULGARİSTAN"]),
    ("CH", ["SWITZERLAND", "SCHWEIZ", "SUISSE", "SUIZA", "SVIZZERA", "ZWITSERLAND", "SZWAJCARIA", "İSVİÇRE"]),
    ("CY", ["CYPRUS", "ZYPERN", "CHYPRE", "CHIPRE", "CIPRO", "CYPRUS", "CYPR", "KIBRIS"]),
    ("CZ", ["CZECHIA", "TSCHECHIEN", "TCHÉQUIE", "CHEQUIA", "CECHIA", "TSJECHIË", "CZECHY", "ÇEKYA"]),
    ("DE", ["GERMANY", "DEUTSCHLAND", "ALLEMAGNE", "ALEMANIA", "GERMANIA", "DUITSLAND", "NIEMCY", "ALMANYA"]),
    ("DK", ["DENMARK", "DÄNEMARK", "DANEMARK", "DINAMARCA", "DANIMARCA", "DENEMARKEN", "DANIA", "DANİMARKA"]),
    ("EE", ["ESTONIA", "ESTLAND", "ESTONIE", "ESTONIA", "ESTONIA", "ESTLAND", "ESTONIA", "ESTONYA"]),
    ("ES", ["SPAIN", "SPANIEN", "ESPAGNE", "ESPAÑA", "SPAGNA", "SPANJE", "HISZPANIA", "İSPANYA"]),
    ("FI", ["FINLAND", "FINNLAND", "FINLANDE", "FINLANDIA", "FINLANDIA", "FINLAND", "FINLANDIA", "FİNLANDİYA"]),
    ("FR", ["FRANCE", "FRANKREICH", "FRANCE", "FRANCIA", "FRANCIA", "FRANKRIJK", "FRANCJA", "FRANSA"]),
    ("GB", ["UNITED KINGDOM", "VEREINIGTES KÖNIGREICH", "ROYAUME-UNI", "REINO UNIDO", "REGNO UNITO", "VERENIGD KONINKRIJK", "WIELKA BRYTANIA", "BİRLEŞİK KRALLIK"]),
    ("GR", ["GREECE", "GRIECHENLAND", "GRÈCE", "GRECIA", "GRECIA", "GRIEKENLAND", "GRECJA", "YUNANİSTAN"]),
    ("HR", ["CROATIA", "KROATIEN", "CROATIE", "CROACIA", "CROAZIA", "KROATIË", "CHORWACJA", "HIRVATİSTAN"]),
    ("HU", ["HUNGARY", "UNGARN", "HONGRIE", "HUNGRÍA", "UNGHERIA", "HONGARIJE", "WĘGRY", "MACARİSTAN"]),
    ("IE", ["IRELAND", "IRLAND", "IRLANDE", "IRLANDA", "IRLANDA", "IERLAND", "IRLANDIA", "İRLANDA"]),
    ("IS", ["ICELAND", "ISLAND", "ISLANDE", "ISLANDIA", "ISLANDA", "IJSLAND", "ISLANDIA", "İZLANDA"]),
    ("IT", ["ITALY", "ITALIEN", "ITALIE", "ITALIA", "ITALIA", "ITALIË", "WŁOCHY", "İTALYA"]),
    ("LI", ["LIECHTENSTEIN", "LIECHTENSTEIN", "LIECHTENSTEIN", "LIECHTENSTEIN", "LIECHTENSTEIN", "LIECHTENSTEIN", "LIECHTENSTEIN", "LİHTENŞTAYN"]),
    ("LT", ["LITHUANIA", "LITAUEN", "LITUANIE", "LITUANIA", "LITUANIA", "LITOUWEN", "LITWA", "LİTVANYA"]),
    ("LU", ["LUXEMBOURG", "LUXEMBURG", "LUXEMBOURG", "LUXEMBURGO", "LUSSEMBURGO", "LUXEMBURG", "LUKSEMBURG", "LÜKSEMBURG"]),
    ("LV", ["LATVIA", "LETTLAND", "LETTONIE", "LETONIA", "LETTONIA", "LETLAND", "ŁOTWA", "LETONYA"]),
    ("MT", ["MALTA", "MALTA", "MALTE", "MALTA", "MALTA", "MALTA", "MALTA", "MALTA"]),
    ("NL", ["NETHERLANDS", "NIEDERLANDE", "PAYS-BAS", "PAÍSES BAJOS", "PAESI BASSI", "NEDERLAND", "HOLANDIA", "HOLLANDA"]),
    ("NO", ["NORWAY", "NORWEGEN", "NORVÈGE", "NORUEGA", "NORVEGIA", "NOORWEGEN", "NORWEGIA", "NORVEÇ"]),
    ("PL", ["POLAND", "POLEN", "POLOGNE", "POLONIA", "POLONIA", "POLEN", "POLSKA", "POLONYA"]),
    ("PT", ["PORTUGAL", "PORTUGAL", "PORTUGAL", "PORTUGAL", "PORTOGALLO", "PORTUGAL", "PORTUGALIA", "PORTEKİZ"]),
    ("RO", ["ROMANIA", "RUMÄNIEN", "ROUMANIE", "RUMANÍA", "ROMANIA", "ROEMENIË", "RUMUNIA", "ROMANYA"]),
    ("SE", ["SWEDEN", "SCHWEDEN", "SUÈDE", "SUECIA", "SVEZIA", "ZWEDEN", "SZWECJA", "İSVEÇ"]),
    ("SI", ["SLOVENIA", "SLOWENIEN", "SLOVÉNIE", "ESLOVENIA", "SLOVENIA", "SLOVENIË", "SŁOWENIA", "SLOVENYA"]),
    ("SK", ["SLOVAKIA", "SLOWAKEI", "SLOVAQUIE", "ESLOVAQUIA", "SLOVACCHIA", "SLOWAKIJE", "SŁOWACJA", "SLOVAKYA"]),
    ("TR", ["TÜRKİYE", "TÜRKEI", "TURQUIE", "TURQUÍA", "TURCHIA", "TURKIJE", "TURCJA", "TÜRKİYE"]),
    ("UA", ["UKRAINE", "UKRAINE", "UKRAINE", "UCRANIA", "UCRAINA", "OEKRAÏNE", "UKRAINA", "UKRAYNA"]),
    ("US", ["UNITED STATES", "VEREINIGTE STAATEN", "ÉTATS-UNIS", "ESTADOS UNIDOS", "STATI UNITI", "VERENIGDE STATEN", "STANY ZJEDNOCZONE", "AMERİKA BİRLEŞİK DEVLETLERİ"]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliver::locale::LANGUAGES;

    #[test]
    fn every_shipped_language_has_its_words_in_the_locale_order() {
        for (i, language) in LANGUAGES.iter().enumerate() {
            let words = Words::of(language);
            assert_eq!((words.language, words.column), (*language, i));
        }
        assert_eq!(Words::of("pl-PL").language, "pl");
        assert_eq!(Words::of("sv").language, "en");
    }

    #[test]
    fn the_amounts_are_labelled_the_same_way_in_every_language() {
        // Four different labels per language, and only the total speaks of what is due.
        let due = ["due", "offen", "dû", "pendiente", "dovuto", "openstaand", "do zapłaty", "ödenecek"];
        for words in ALL {
            let labels = [words.principal, words.paid, words.fee, words.total];
            let mut distinct = labels.to_vec();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 4, "{labels:?}");
            let says_due = |label: &str| due.iter().any(|word| label.to_lowercase().contains(word));
            assert!(says_due(words.total), "{}: {:?}", words.language, words.total);
            for label in [words.principal, words.paid, words.fee] {
                assert!(!says_due(label), "{}: {label:?} reads like the total", words.language);
            }
        }
    }

    #[test]
    fn country_names_are_in_capitals_in_the_senders_language() {
        assert_eq!(Words::of("de").country("PL"), "POLEN");
        assert_eq!(Words::of("pl").country("DE"), "NIEMCY");
        assert_eq!(Words::of("tr").country("DE"), "ALMANYA");
        assert_eq!(Words::of("fr").country("XK"), "XK");
        for (code, names) in COUNTRIES {
            for name in names {
                assert_eq!(name.to_uppercase(), *name, "{code}");
            }
        }
        assert_eq!(language_of_country("AT"), "de");
        assert_eq!(language_of_country("SE"), "en");
    }
}
