//! The printed letter as the service composes it: greeting, address window, information block
//! and amounts in the debtor's language, and the PDF read back with poppler's `pdftotext` and
//! rendered with `pdftoppm` (screenshots in `target/test-artefacts/screenshots/letter-*.png`).
//!
//! The PDF tests need poppler-utils: without it they fail under `CI=true` and are skipped
//! otherwise.

use super::links::{Links, LinksConfig};
use super::preview::{sample_job, PreviewOptions};
use super::render::{Creditor, CreditorBank};
use super::templates::Templates;
use crate::config::Config;
use crate::domain::{ChannelKind, CountryCode, DebtorId, DebtorKind, PostalAddress, Tone};
use crate::store::DeliveryJob;
use chrono::{DateTime, Utc};
use mahnwerk_channels::{LetterMessage, OutgoingMessage};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;

fn now() -> DateTime<Utc> {
    "2026-11-05T09:00:00Z".parse().unwrap()
}

fn creditor() -> Creditor {
    Creditor {
        name: "Stadtwerke Musterstadt GmbH".into(),
        email: "forderungen@stadtwerke-musterstadt.example".into(),
        phone: Some("+49 30 1234567".into()),
        address_lines: vec!["Am Markt 1".into(), "10115 Berlin".into()],
        country: None,
        bank: Some(CreditorBank {
            iban: "DE89370400440532013000".parse().unwrap(),
            bic: Some("COBADEFFXXX".parse().unwrap()),
            account_holder: None,
        }),
        logo_url: None,
        accent_colour: None,
        legal_footer: Some("Amtsgericht Berlin HRB 12345 · USt-IdNr. DE123456789".into()),
        legal: Default::default(),
        final_consequence: Default::default(),
        bookkeeping: Default::default(),
        thank_you_message: false,
        shop_webhook_url: None,
        shop_webhook_secret: None,
    }
}

/// The preview's sample case (Erika Mustermann in Berlin) in `language`, at stage 2.
fn job(language: &str, tone: Tone) -> DeliveryJob {
    let options = PreviewOptions {
        channel: ChannelKind::Letter,
        stage: 2,
        language: Some(language.into()),
        tone: Some(tone),
        tenant: Some("acme".into()),
        plan: None,
        out: "unused".into(),
    };
    let mut job = sample_job(&Config::default(), &options, now()).unwrap();
    job.reminder_id = 123_456_789;
    job
}

fn address(line1: &str, postal_code: &str, city: &str, country: &str) -> PostalAddress {
    PostalAddress {
        line1: line1.into(),
        line2: None,
        postal_code: postal_code.into(),
        city: city.into(),
        country: CountryCode::parse(country).unwrap(),
    }
}

/// Muster GmbH in Hamburg, a business, with `contact_person`.
fn business_job(contact_person: Option<&str>) -> DeliveryJob {
    let mut job = job("de", Tone::Neutral);
    job.debtor.kind = DebtorKind::Business;
    job.debtor.id = DebtorId::parse("K-20417").unwrap();
    job.debtor.name = "Muster GmbH".into();
    job.debtor.contact_person = contact_person.map(str::to_owned);
    job.debtor.address = Some(address("Hafenstraße 7", "20457", "Hamburg", "DE"));
    // 200.00 paid on 25 Oct 2026, after the first reminder (18 Oct) put the debtor in default.
    job.amount_paid = Decimal::new(20_000, 2);
    job.payments = vec![crate::domain::legal::ReceivedPayment {
        received_on: chrono::NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
        amount: Decimal::new(20_000, 2),
        reduces_principal: false,
    }];
    job
}

/// Łukasz Wiśniewski in Gdańsk, a consumer writing Polish.
fn polish_job() -> DeliveryJob {
    let mut job = job("pl", Tone::Friendly);
    job.debtor.name = "Łukasz Wiśniewski".into();
    job.debtor.address = Some(address("ul. Świętokrzyska 5", "80-001", "Gdańsk", "PL"));
    job
}

fn letter(job: &DeliveryJob, creditor: &Creditor) -> LetterMessage {
    let templates = Templates::shipped().unwrap();
    let links =
        Links::new(&LinksConfig { base_url: "https://pay.example.org".into(), ..LinksConfig::default() });
    match templates.render_job(job, creditor, &links, now()).unwrap() {
        OutgoingMessage::Letter(letter) => letter,
        other => panic!("not a letter: {other:?}"),
    }
}

#[test]
fn a_business_is_greeted_as_a_company_or_by_its_contact_person() {
    let plain = letter(&business_job(None), &creditor());
    assert!(plain.body.starts_with("Sehr geehrte Damen und Herren,\n"), "{}", plain.body);
    assert!(!plain.body.contains("Muster GmbH"), "{}", plain.body);
    assert_eq!(plain.recipient_lines, ["Muster GmbH", "Hafenstraße 7", "20457 Hamburg"]);

    let named = letter(&business_job(Some("Anna Schmidt")), &creditor());
    assert!(named.body.starts_with("Sehr geehrte/r Anna Schmidt,\n"), "{}", named.body);
    assert_eq!(named.recipient_lines, ["Muster GmbH", "Anna Schmidt", "Hafenstraße 7", "20457 Hamburg"]);

    for (language, greeting) in [
        ("en", "Dear Sir or Madam,"),
        ("fr", "Madame, Monsieur,"),
        ("nl", "Geachte heer, mevrouw,"),
        ("pl", "Szanowni Państwo,"),
        ("tr", "Sayın Yetkili,"),
    ] {
        let mut job = business_job(None);
        job.debtor.language = crate::domain::Language::parse(language).unwrap();
        let letter = letter(&job, &creditor());
        assert!(letter.body.starts_with(greeting), "{language}: {}", letter.body);
    }
}

#[test]
fn the_country_line_is_printed_only_abroad_in_the_senders_language() {
    let domestic = letter(&job("de", Tone::Neutral), &creditor());
    assert_eq!(domestic.recipient_lines, ["Erika Mustermann", "Musterstraße 1", "10115 Berlin"]);

    let abroad = letter(&polish_job(), &creditor());
    assert_eq!(
        abroad.recipient_lines,
        ["Łukasz Wiśniewski", "ul. Świętokrzyska 5", "80-001 Gdańsk", "POLEN"]
    );

    // From a Polish creditor the same address is domestic, and Berlin is in NIEMCY.
    let mut polish_creditor = creditor();
    polish_creditor.country = Some(CountryCode::parse("PL").unwrap());
    assert_eq!(letter(&polish_job(), &polish_creditor).recipient_lines.len(), 3);
    let to_berlin = letter(&job("de", Tone::Neutral), &polish_creditor);
    assert_eq!(to_berlin.recipient_lines.last().unwrap(), "NIEMCY");
}

#[test]
fn the_information_block_names_the_customer_the_invoice_and_the_contact() {
    let letter = letter(&business_job(None), &creditor());
    let document = letter.document.unwrap();
    let info: Vec<(&str, &str)> =
        document.info.iter().map(|row| (row.label.as_str(), row.value.as_str())).collect();
    assert_eq!(
        info,
        [
            ("Kundennummer", "K-20417"),
            ("Rechnungsnummer", "RE-2026-0042"),
            ("Rechnungsdatum", "01.10.2026"),
            ("Telefon", "+49 30 1234567"),
            ("E-Mail", "forderungen@stadtwerke-musterstadt.example"),
        ]
    );
    assert_eq!((document.captions.date.as_str(), document.date.as_str()), ("Datum", "05.11.2026"));
}

#[test]
fn the_amounts_are_the_invoice_what_was_paid_the_fee_and_the_total_due() {
    let mut job = business_job(None);
    job.fee = Decimal::ZERO;
    let letter = letter(&job, &creditor());
    let document = letter.document.unwrap();
    let rows: Vec<(&str, &str)> =
        document.amounts.iter().map(|row| (row.label.as_str(), row.amount.as_str())).collect();
    // The legal breakdown: a business in default from 19 Oct owes the 40 € flat fee and 1,27 + 9
    // points of interest; the payment of 25 Oct went to the fee and the interest first
    // (§ 367 BGB), so interest runs on a smaller principal from that day.
    assert_eq!(rows[0], ("Rechnungsbetrag", "1.234,56 €"));
    assert_eq!(rows[1], ("Verzugspauschale (§ 288 Abs. 5 BGB)", "40,00 €"));
    assert_eq!(rows[2].0, "Verzugszinsen 10,27 % vom 19.10.2026 bis 24.10.2026");
    assert_eq!(rows[3].0, "Verzugszinsen 10,27 % vom 25.10.2026 bis 04.11.2026");
    assert_eq!(rows[4], ("Bereits gezahlt", "-200,00 €"));
    assert_eq!(rows.len(), 5, "{rows:?}");
    let cents = |amount: &str| {
        amount.trim_end_matches(" €").replace('.', "").replace(',', ".").parse::<Decimal>().unwrap()
    };
    let total = document.total.unwrap();
    assert_eq!(total.label, "Offener Gesamtbetrag");
    assert_eq!(cents(&total.amount), rows.iter().map(|(_, amount)| cents(amount)).sum::<Decimal>());

    // The French letter calls only the total "dû".
    let french = letter_in("fr");
    let labels: Vec<&str> = french.amounts.iter().map(|row| row.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Montant de la facture",
            "Frais de relance (courrier du 05/11/2026)",
            "Intérêts de retard 6,27 % du 19/10/2026 au 04/11/2026"
        ]
    );
    assert_eq!(french.total.unwrap().label, "Total restant dû");
}

fn letter_in(language: &str) -> mahnwerk_channels::LetterDocument {
    let mut job = job(language, Tone::Neutral);
    job.fee = Decimal::new(250, 2);
    *letter(&job, &creditor()).document.unwrap()
}

#[test]
fn polish_and_turkish_letters_are_written_in_their_language() {
    let polish = letter(&polish_job(), &creditor());
    assert!(polish.body.starts_with("Dzień dobry Łukasz Wiśniewski,"), "{}", polish.body);
    assert!(polish.body.contains("Z poważaniem"), "{}", polish.body);
    assert_eq!(polish.subject, "Przypomnienie o płatności: faktura RE-2026-0042");
    let document = polish.document.unwrap();
    assert_eq!(document.captions.page, "Strona {page} z {pages}");
    assert_eq!(document.pay_link.unwrap().caption, "Zapłać online");

    let turkish = letter(&job("tr", Tone::Firm), &creditor());
    assert!(turkish.body.starts_with("Sayın Erika Mustermann,"), "{}", turkish.body);
    assert!(turkish.body.contains("Saygılarımızla"), "{}", turkish.body);
    assert_eq!(turkish.document.unwrap().total.unwrap().label, "Ödenecek toplam");

    // A language without shipped words or templates still reads English.
    let portuguese = letter(&job("pt", Tone::Firm), &creditor());
    assert!(portuguese.body.starts_with("Dear Erika Mustermann,"), "{}", portuguese.body);
    assert_eq!(portuguese.document.unwrap().captions.page, "Page {page} of {pages}");
}

fn poppler() -> bool {
    let found = Command::new("pdftotext").arg("-v").output().is_ok()
        && Command::new("pdftoppm").arg("-v").output().is_ok();
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI needs poppler-utils (pdftotext, pdftoppm)"
        );
        eprintln!("skipped: pdftotext/pdftoppm not found, install poppler-utils");
    }
    found
}

/// Prints `letter`, saves page 1 as `target/test-artefacts/screenshots/<name>.png` at 80 dpi, and
/// returns the PDF's text.
fn print_and_screenshot(letter: &LetterMessage, name: &str) -> String {
    let pdf = mahnwerk_channels::letter::render_pdf(letter).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path: PathBuf = dir.join(format!("{name}.pdf"));
    std::fs::write(&pdf_path, &pdf).unwrap();
    let png = dir.join(name);
    let args = ["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"];
    let output = Command::new("pdftoppm").args(args).arg(&pdf_path).arg(&png).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = Command::new("pdftotext").arg("-layout").arg(&pdf_path).arg("-").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    eprintln!("{name}: {} bytes, {}", pdf.len(), png.with_extension("png").display());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_german_business_letter_and_a_polish_consumer_letter_read_back_from_the_pdf() {
    if !poppler() {
        return;
    }
    let mut business = business_job(Some("Anna Schmidt"));
    business.fee = Decimal::new(500, 2);
    let text = print_and_screenshot(&letter(&business, &creditor()), "letter-de-business");
    for expected in [
        "Muster GmbH",
        "Anna Schmidt",
        "Sehr geehrte/r Anna Schmidt,",
        "Kundennummer",
        "K-20417",
        "Rechnungsdatum",
        "01.10.2026",
        "forderungen@stadtwerke-musterstadt.example",
        "Rechnungsbetrag",
        "Verzugspauschale (§ 288 Abs. 5 BGB)",
        "Verzugszinsen 10,27 %",
        "Bereits gezahlt",
        "Offener Gesamtbetrag",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert!(!text.lines().any(|line| line.trim() == "DE"), "a domestic letter has no country line:\n{text}");

    let text = print_and_screenshot(&letter(&polish_job(), &creditor()), "letter-pl-consumer");
    for expected in [
        "Łukasz Wiśniewski",
        "ul. Świętokrzyska 5",
        "80-001 Gdańsk",
        "POLEN",
        "Dzień dobry Łukasz Wiśniewski,",
        "Z poważaniem",
        "Nr klienta",
        "Razem do zapłaty",
        "Dane do przelewu",
        "Strona 1 z 1",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert!(!text.contains('?'), "a character printed as `?`:\n{text}");
}

#[test]
fn a_turkish_address_reads_back_from_the_pdf() {
    if !poppler() {
        return;
    }
    let mut job = job("tr", Tone::Friendly);
    job.debtor.name = "Şükrü Ağaoğlu".into();
    job.debtor.address = Some(address("İstiklal Cd. 1", "34433", "İstanbul", "TR"));
    let text = print_and_screenshot(&letter(&job, &creditor()), "letter-tr-consumer");
    for expected in ["Şükrü Ağaoğlu", "İstiklal Cd. 1", "34433 İstanbul", "TÜRKEI", "Sayın Şükrü Ağaoğlu,"]
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert!(!text.contains('?'), "a character printed as `?`:\n{text}");
}
