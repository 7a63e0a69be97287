//! The printed letter as a debtor and a scanner see it: text read back with poppler's pdftotext,
//! page 1 rasterised at 300 dpi with pdftoppm and its QR codes decoded with rqrr.
//!
//! Needs poppler-utils. Without it these tests fail under `CI=true` and are skipped otherwise.

use std::path::Path;
use std::process::Command;
use std::str::FromStr;

use mahnwerk_channels::creditor_reference::RfReference;
use mahnwerk_channels::epc_qr::EpcPayment;
use mahnwerk_channels::iban::{Bic, Iban};
use mahnwerk_channels::sandbox::SandboxChannel;
use mahnwerk_channels::{
    AmountRow, BankDetails, Channel, ChannelKind, InfoRow, LetterCaptions, LetterDocument, LetterMessage,
    OutgoingMessage, PayLink, Transfer,
};
use rust_decimal::Decimal;

const PAY_LINK: &str = "https://pay.example/p/9f2c4e7a-1b3d-4c5e-8f60-123456789abc?sig=Q2xhdWRl";

fn poppler() -> bool {
    let found = Command::new("pdftoppm").arg("-v").output().is_ok()
        && Command::new("pdftotext").arg("-v").output().is_ok();
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

fn letter() -> LetterMessage {
    LetterMessage {
        sender_lines: vec!["Müller & Söhne GmbH".into(), "Hauptstraße 5".into(), "10115 Berlin".into()],
        recipient_lines: vec!["Erika Mustermann".into(), "Weißdornweg 12".into(), "80331 München".into()],
        subject: "2. Mahnung – Rechnung RE-2026-0042".into(),
        body: "Sehr geehrte Frau Mustermann,\n\nleider konnten wir bis heute keinen Zahlungseingang für \
               unsere Rechnung RE-2026-0042 vom 1. September 2026 feststellen. Bitte überweisen Sie den \
               offenen Betrag von 1.251,90 € bis zum 4. November 2026.\n\nMit freundlichen Grüßen\n\
               Müller & Söhne GmbH"
            .into(),
        document: Some(Box::new(LetterDocument {
            date: "Berlin, 21. Oktober 2026".into(),
            info: Vec::new(),
            amounts: vec![
                row("Hauptforderung", "1.234,56 €"),
                row("Mahngebühren", "5,00 €"),
                row("Verzugszinsen", "12,34 €"),
            ],
            total: Some(row("Gesamtbetrag", "1.251,90 €")),
            bank: Some(BankDetails {
                account_holder: "Müller & Söhne GmbH".into(),
                iban: Iban::parse("DE89370400440532013000").unwrap(),
                bic: Some(Bic::parse("COBADEFFXXX").unwrap()),
            }),
            transfer: Some(Transfer {
                amount: Decimal::from_str("1251.90").unwrap(),
                reference: Some(RfReference::parse("RF18539007547034").unwrap()),
                text: None,
            }),
            pay_link: Some(PayLink { url: PAY_LINK.into(), caption: "Online bezahlen".into() }),
            footer_lines: vec!["Tel. 030 1234567 · forderungen@mueller-soehne.example · Amtsgericht \
                                Charlottenburg HRB 12345"
                .into()],
            captions: LetterCaptions::default(),
        })),
    }
}

fn row(label: &str, amount: &str) -> AmountRow {
    AmountRow { label: label.into(), amount: amount.into() }
}

/// Sends `letter` through the letter sandbox and returns the PDF's path (inside `outbox`).
async fn print(outbox: &Path, key: &str, letter: LetterMessage) -> std::path::PathBuf {
    let channel = SandboxChannel::new(ChannelKind::Letter, outbox);
    channel.send(key, &OutgoingMessage::Letter(letter)).await.expect("the letter is printed");
    channel.letter_path(key).unwrap()
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(output.status.success(), "{program}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn text_of(pdf: &Path) -> String {
    run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])
}

#[tokio::test]
async fn the_sandbox_keeps_the_json_line_and_adds_the_pdf() {
    let outbox = tempfile::tempdir().unwrap();
    let pdf = print(outbox.path(), "reminder-7", letter()).await;

    assert_eq!(pdf, outbox.path().join("letters").join("reminder-7.pdf"));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let lines = std::fs::read_to_string(outbox.path().join("letter.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(lines.trim_end()).unwrap();
    assert_eq!(line["idempotency_key"], "reminder-7");
    assert_eq!(line["message"]["recipient_lines"][0], "Erika Mustermann");
    assert_eq!(line["message"]["document"]["bank"]["iban"], "DE89370400440532013000");
    assert_eq!(line["message"]["document"]["transfer"]["amount"], "1251.90");
}

#[tokio::test]
async fn the_text_reads_back_with_umlauts_and_the_euro_sign() {
    if !poppler() {
        return;
    }
    let outbox = tempfile::tempdir().unwrap();
    let text = text_of(&print(outbox.path(), "r-1", letter()).await);

    for expected in [
        "Müller & Söhne GmbH",
        "Müller & Söhne GmbH · Hauptstraße 5 · 10115 Berlin",
        "Erika Mustermann",
        "Weißdornweg 12",
        "80331 München",
        "Berlin, 21. Oktober 2026",
        "2. Mahnung – Rechnung RE-2026-0042",
        "Mit freundlichen Grüßen",
        "Mahngebühren",
        "1.234,56 €",
        "Gesamtbetrag",
        "1.251,90 €",
        "Bankverbindung",
        "IBAN: DE89 3704 0044 0532 0130 00",
        "BIC: COBADEFFXXX",
        "Verwendungszweck: RF18 5390 0754 7034",
        "Zahlen mit Code",
        "Online bezahlen",
        "forderungen@mueller-soehne.example",
        "Seite 1 von 1",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    // The amounts are right-aligned: the total ends where the principal ends.
    let end = |label: &str, needle: &str| {
        let line = text.lines().find(|line| line.starts_with(label)).unwrap();
        line.find(needle).unwrap() + needle.chars().count()
    };
    assert_eq!(end("Hauptforderung", "1.234,56 €"), end("Gesamtbetrag", "1.251,90 €"), "\n{text}");
}

#[tokio::test]
async fn the_recipient_sits_in_the_window_of_the_envelope() {
    if !poppler() {
        return;
    }
    let outbox = tempfile::tempdir().unwrap();
    let pdf = print(outbox.path(), "r-2", letter()).await;
    let html = run("pdftotext", &["-bbox", "-f", "1", "-l", "1", pdf.to_str().unwrap(), "-"]);

    let page_height: f32 = attribute(html.lines().find(|l| l.contains("<page ")).unwrap(), "height");
    assert!((page_height - 841.89).abs() < 0.5, "A4 is 297 mm high, got {page_height} pt");
    let mm = |pt: f32| pt * 25.4 / 72.0;
    for word in ["Erika", "Mustermann", "München"] {
        let line = html.lines().find(|l| l.ends_with(&format!(">{word}</word>"))).unwrap();
        let (x_min, x_max) = (mm(attribute(line, "xMin")), mm(attribute(line, "xMax")));
        let (y_min, y_max) = (mm(attribute(line, "yMin")), mm(attribute(line, "yMax")));
        assert!(x_min >= 20.0 && x_max <= 105.0, "{word} at {x_min}..{x_max} mm from the left");
        assert!(y_min >= 45.0 && y_max <= 90.0, "{word} at {y_min}..{y_max} mm from the top");
    }
    // The return line is at the top of the field, above the recipient; the letterhead above the
    // field has the same street.
    let first_top = attribute(html.lines().find(|l| l.ends_with(">Erika</word>")).unwrap(), "yMin");
    let mut streets: Vec<(f32, f32)> = html
        .lines()
        .filter(|l| l.ends_with(">Hauptstraße</word>"))
        .map(|l| (mm(attribute(l, "yMin")), mm(attribute(l, "yMax"))))
        .collect();
    streets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(streets.len(), 2, "{streets:?}");
    let (top, bottom) = streets[1];
    assert!(top >= 45.0 && bottom < mm(first_top), "return line at {top}..{bottom} mm");
    assert!(streets[0].1 < 45.0, "the letterhead stays above the field: {streets:?}");
}

fn attribute(tag: &str, name: &str) -> f32 {
    let start =
        tag.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("no {name} in {tag}")) + name.len() + 2;
    let end = start + tag[start..].find('"').unwrap();
    tag[start..end].parse().unwrap()
}

#[tokio::test]
async fn both_qr_codes_scan_from_a_300_dpi_rendering() {
    if !poppler() {
        return;
    }
    let outbox = tempfile::tempdir().unwrap();
    let pdf = print(outbox.path(), "r-3", letter()).await;
    let png = outbox.path().join("page");
    run(
        "pdftoppm",
        &[
            "-r",
            "300",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
    );

    let image = image::open(png.with_extension("png")).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32)[0],
    );
    let decoded: Vec<String> =
        prepared.detect_grids().iter().map(|grid| grid.decode().expect("the code decodes").1).collect();
    assert_eq!(decoded.len(), 2, "{decoded:?}");

    let epc = decoded.iter().find(|payload| payload.starts_with("BCD\n")).expect("a GiroCode");
    let payment = EpcPayment::parse(epc).unwrap();
    assert_eq!(payment.iban().as_str(), "DE89370400440532013000");
    assert_eq!(payment.bic().map(|bic| bic.as_str()), Some("COBADEFFXXX"));
    assert_eq!(payment.name(), "Müller & Söhne GmbH");
    assert_eq!(payment.amount(), Some(Decimal::from_str("1251.90").unwrap()));
    assert_eq!(payment.reference().map(|r| r.as_str()), Some("RF18539007547034"));
    assert!(decoded.iter().any(|payload| payload == PAY_LINK), "{decoded:?}");
}

#[tokio::test]
async fn a_long_letter_runs_over_pages_with_numbers() {
    if !poppler() {
        return;
    }
    let mut long = letter();
    long.body =
        "Dieser Absatz wiederholt sich, damit der Brief länger als eine Seite wird. ".repeat(8) + "\n\n";
    long.body = long.body.repeat(6);
    let outbox = tempfile::tempdir().unwrap();
    let text = text_of(&print(outbox.path(), "r-4", long).await);

    let pages = text.split('\u{c}').filter(|page| !page.trim().is_empty()).count();
    assert!(pages >= 2, "{text}");
    assert!(text.contains("Seite 1 von "), "{text}");
    assert!(text.contains(&format!("Seite {pages} von {pages}")), "{text}");
    // Everything after the body still comes out, on the last page.
    let last = text.split('\u{c}').rfind(|page| !page.trim().is_empty()).unwrap();
    assert!(last.contains("1.251,90 €") && last.contains("Zahlen mit Code"), "{last}");
}

#[tokio::test]
async fn a_letter_from_before_the_pdf_still_prints() {
    let old: OutgoingMessage = serde_json::from_str(
        r#"{"kind":"letter","message":{"sender_lines":["Acme GmbH","Hauptstr. 1"],
            "recipient_lines":["Erika Mustermann","Musterstr. 1","10115 Berlin"],
            "subject":"Mahnung","body":"Sehr geehrte Frau Mustermann"}}"#,
    )
    .unwrap();
    let outbox = tempfile::tempdir().unwrap();
    let channel = SandboxChannel::new(ChannelKind::Letter, outbox.path());
    channel.send("old-1", &old).await.unwrap();
    let pdf = channel.letter_path("old-1").unwrap();
    if poppler() {
        let text = text_of(&pdf);
        assert!(text.contains("Erika Mustermann") && text.contains("Mahnung"), "{text}");
    }
}

#[tokio::test]
async fn a_letter_that_cannot_be_printed_fails_permanently_and_writes_nothing() {
    let mut bad = letter();
    bad.document.as_mut().unwrap().bank = None;
    let outbox = tempfile::tempdir().unwrap();
    let channel = SandboxChannel::new(ChannelKind::Letter, outbox.path());

    let error = channel.send("bad-1", &OutgoingMessage::Letter(bad)).await.unwrap_err();

    assert!(!error.is_retryable());
    assert!(error.reason().contains("document.transfer"), "{error}");
    assert!(!channel.letter_path("bad-1").unwrap().exists());
    assert!(!channel.path().exists() || std::fs::read_to_string(channel.path()).unwrap().is_empty());
}

/// A letter to `recipient_lines` with the information block filled in.
fn letter_to(recipient_lines: &[&str]) -> LetterMessage {
    let mut letter = letter();
    letter.recipient_lines = recipient_lines.iter().map(|line| line.to_string()).collect();
    let document = letter.document.as_mut().unwrap();
    document.date = "21.10.2026".into();
    document.info = [
        ("Kundennummer", "C-1001"),
        ("Rechnungsnummer", "RE-2026-0042"),
        ("Rechnungsdatum", "01.09.2026"),
        ("Telefon", "+49 30 1234567"),
        ("E-Mail", "forderungen@mueller-soehne.example"),
    ]
    .into_iter()
    .map(|(label, value)| InfoRow { label: label.into(), value: value.into() })
    .collect();
    letter
}

#[tokio::test]
async fn polish_and_turkish_names_and_addresses_read_back_exactly() {
    if !poppler() {
        return;
    }
    let outbox = tempfile::tempdir().unwrap();
    let addresses: [&[&str]; 2] = [
        &["Łukasz Wiśniewski", "ul. Świętokrzyska 5", "80-001 Gdańsk", "POLEN"],
        &["Şükrü Ağaoğlu", "İstiklal Cd. 1", "34433 İstanbul", "TÜRKEI"],
    ];
    for (i, address) in addresses.into_iter().enumerate() {
        let mut letter = letter_to(address);
        letter.body = format!("{},\n\nzażółć gęślą jaźń, ığüşöç İĞÜŞÖÇ.", address[0]);
        let pdf = print(outbox.path(), &format!("latin-{i}"), letter).await;
        let text = text_of(&pdf);
        for line in address {
            assert!(text.contains(line), "{line:?} missing from:\n{text}");
        }
        assert!(text.contains("zażółć gęślą jaźń, ığüşöç İĞÜŞÖÇ."), "{text}");
        assert!(!text.contains('?'), "a character printed as `?`:\n{text}");
        // Two subset fonts, not two whole ones (400 KB each).
        let size = std::fs::metadata(&pdf).unwrap().len();
        eprintln!("{}: {size} bytes", address[0]);
        assert!(size < 60_000, "{size} bytes");
    }
}

#[tokio::test]
async fn the_information_block_sits_beside_the_address_field_and_ends_with_the_date() {
    if !poppler() {
        return;
    }
    let outbox = tempfile::tempdir().unwrap();
    let pdf =
        print(outbox.path(), "info-1", letter_to(&["Muster GmbH", "Musterstr. 1", "10115 Berlin"])).await;
    let text = text_of(&pdf);
    for expected in
        ["Kundennummer", "C-1001", "RE-2026-0042", "01.09.2026", "forderungen@mueller-soehne.example"]
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    let html = run("pdftotext", &["-bbox", "-f", "1", "-l", "1", pdf.to_str().unwrap(), "-"]);
    let mm = |pt: f32| pt * 25.4 / 72.0;
    let place = |word: &str| {
        let line = html
            .lines()
            .find(|l| l.ends_with(&format!(">{word}</word>")))
            .unwrap_or_else(|| panic!("{word}"));
        (
            mm(attribute(line, "xMin")),
            mm(attribute(line, "xMax")),
            mm(attribute(line, "yMin")),
            mm(attribute(line, "yMax")),
        )
    };
    let mut previous = 0.0;
    for word in ["Kundennummer", "C-1001", "forderungen@mueller-soehne.example", "Datum", "21.10.2026"] {
        let (x_min, x_max, y_min, y_max) = place(word);
        assert!(x_min >= 124.9 && x_max <= 190.1, "{word} at {x_min}..{x_max} mm from the left");
        assert!(y_min >= 50.0 && y_max <= 100.0, "{word} at {y_min}..{y_max} mm from the top");
        assert!(y_min >= previous - 0.5, "{word} above the row before it");
        previous = y_min;
    }
    let (_, _, subject_top, _) = place("Mahnung");
    assert!(previous < subject_top, "the date comes before the subject");
}
