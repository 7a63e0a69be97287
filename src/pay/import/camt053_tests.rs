//! The camt.053 reader over in-memory statements: what it reads, what it skips, and the errors
//! it names.

use super::*;

const V02: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02";

fn document(namespace: &str, entries: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{namespace}\">\n<BkToCstmrStmt>\n\
         <GrpHdr><MsgId>M1</MsgId></GrpHdr>\n<Stmt>\n<Id>S1</Id>\n\
         <Bal><Amt Ccy=\"EUR\">1.00</Amt></Bal>\n{entries}</Stmt>\n</BkToCstmrStmt>\n</Document>\n"
    )
}

const CREDIT: &str = "<Ntry>\n<Amt Ccy=\"EUR\">12.50</Amt>\n<CdtDbtInd>CRDT</CdtDbtInd>\n\
    <BookgDt><Dt>2026-11-02</Dt></BookgDt>\n<AcctSvcrRef>A1</AcctSvcrRef>\n<NtryDtls><TxDtls>\n\
    <Refs><EndToEndId>E2E-1</EndToEndId></Refs>\n\
    <RltdPties><Dbtr><Nm>M&amp;M M&#xFC;ller</Nm></Dbtr></RltdPties>\n\
    <RmtInf><Ustrd>Teil 1</Ustrd><Ustrd>Teil 2</Ustrd>\
    <Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>\n\
    </TxDtls></NtryDtls>\n</Ntry>\n";

const DEBIT: &str = "<Ntry><Amt Ccy=\"EUR\">3.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>\
    <BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry>\n";

/// A batch entry: two transactions with amounts of their own, no entry reference.
const BATCH: &str = "<Ntry><Amt Ccy=\"EUR\">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
    <BookgDt><DtTm>2026-11-03T10:00:00</DtTm></BookgDt><NtryDtls>\
    <TxDtls><AmtDtls><TxAmt><Amt Ccy=\"EUR\">10.00</Amt></TxAmt></AmtDtls></TxDtls>\
    <TxDtls><AmtDtls><TxAmt><Amt Ccy=\"EUR\">20.00</Amt></TxAmt></AmtDtls>\
    <RmtInf><Ustrd>RE-7</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n";

fn read(xml: &str) -> Vec<Result<Parsed, ParseError>> {
    // A one-byte buffer: the reader must not need the file (nor an element) in one piece.
    Camt053::new(std::io::BufReader::with_capacity(1, xml.as_bytes())).collect()
}

fn eur(raw: &str) -> Money {
    Money::new(raw.parse().unwrap(), Currency::parse("EUR").unwrap())
}

#[test]
fn credits_are_read_and_debits_skipped() {
    let parsed = read(&document(V02, &format!("{CREDIT}{DEBIT}{BATCH}")));
    let parsed: Vec<Parsed> = parsed.into_iter().map(Result::unwrap).collect();
    assert_eq!(parsed.len(), 4);
    let Parsed::Credit(line) = &parsed[0] else { panic!("a credit first") };
    assert_eq!(line.bank_reference.as_deref(), Some("A1/E2E-1"));
    assert_eq!(line.booked_on, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
    assert_eq!(line.amount, eur("12.50"));
    assert_eq!(line.debtor_name.as_deref(), Some("M&M Müller"));
    assert_eq!(line.text, "Teil 1 Teil 2");
    assert_eq!(line.references, ["RF18539007547034"]);
    assert_eq!(parsed[1], Parsed::Debit);
    let Parsed::Credit(first) = &parsed[2] else { panic!("batch credit") };
    let Parsed::Credit(second) = &parsed[3] else { panic!("batch credit") };
    assert_eq!((first.amount, second.amount), (eur("10.00"), eur("20.00")));
    assert_eq!((first.bank_reference.as_deref(), second.text.as_str()), (None, "RE-7"));
}

#[test]
fn version_08_names_the_debtor_under_pty() {
    let ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";
    let entry =
        CREDIT.replace("<Dbtr><Nm>M&amp;M M&#xFC;ller</Nm></Dbtr>", "<Dbtr><Pty><Nm>Erika</Nm></Pty></Dbtr>");
    let parsed = read(&document(ns, &entry));
    let Ok(Parsed::Credit(line)) = &parsed[0] else { panic!("{parsed:?}") };
    assert_eq!(line.debtor_name.as_deref(), Some("Erika"));
}

#[test]
fn an_unknown_version_is_refused() {
    let parsed = read(&document("urn:iso:std:iso:20022:tech:xsd:camt.053.001.04", CREDIT));
    let error = parsed[0].clone().unwrap_err();
    assert_eq!(error.field, "Document/@xmlns");
    assert!(error.reason.contains("unknown camt version 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.04'"));
    assert_eq!(parsed.len(), 1);
    let other = read("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>");
    assert!(other[0].clone().unwrap_err().reason.contains("unknown camt version"));
}

#[test]
fn malformed_xml_names_its_line_and_what_came_before_stays_read() {
    let broken = format!("{CREDIT}<Ntry><Amt Ccy=\"EUR\">1.00</Amt>\n</Nrty>\n");
    let parsed = read(&document(V02, &broken));
    assert!(matches!(parsed[0], Ok(Parsed::Credit(_))));
    let error = parsed[1].clone().unwrap_err();
    assert_eq!(error.field, "XML");
    assert!(error.reason.starts_with("malformed XML"), "{error}");
    assert_eq!(error.at, "line 20", "{error}");
    assert_eq!(parsed.len(), 2);
}

#[test]
fn a_bad_amount_names_the_field_and_line() {
    let bad = CREDIT.replace("<Amt Ccy=\"EUR\">12.50</Amt>", "<Amt Ccy=\"EUR\">12,50</Amt>");
    let parsed = read(&document(V02, &bad));
    let error = parsed[0].clone().unwrap_err();
    assert_eq!(error.to_string(), "line 9: Ntry/Amt: '12,50' is not a positive amount");
    let no_date = CREDIT.replace("<BookgDt><Dt>2026-11-02</Dt></BookgDt>", "");
    let error = read(&document(V02, &no_date))[0].clone().unwrap_err();
    assert_eq!((error.field.as_str(), error.reason.as_str()), ("Ntry/BookgDt", "missing"));
}

#[test]
fn not_a_statement_is_refused() {
    assert!(read("")[0].clone().unwrap_err().reason.contains("empty file"));
    let error = read(&format!("<Document xmlns=\"{V02}\"><Other/></Document>"))[0].clone().unwrap_err();
    assert!(error.reason.contains("not a bank-to-customer statement"), "{error}");
}

/// Found by the fuzz properties: quick-xml reads `< ` as an element without a name, and the
/// errors then named the field "".
#[test]
fn an_element_without_a_name_is_malformed_xml() {
    for xml in ["< Document/>".to_owned(), document(V02, "< \n")] {
        let error = read(&xml).pop().unwrap().unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.reason.as_str()),
            ("XML", "malformed XML: an element without a name")
        );
    }
}

#[test]
fn the_payer_s_iban_is_read_when_valid() {
    let with = |iban: &str| {
        let entry = CREDIT.replace(
            "<Dbtr><Nm>M&amp;M M&#xFC;ller</Nm></Dbtr>",
            &format!("<Dbtr><Nm>M</Nm></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>"),
        );
        let parsed = read(&document(V02, &entry));
        let Ok(Parsed::Credit(line)) = &parsed[0] else { panic!("{parsed:?}") };
        line.payer_iban.as_ref().map(|i| i.as_str().to_owned())
    };
    assert_eq!(with("DE02100100100006820101").as_deref(), Some("DE02100100100006820101"));
    // A mistyped check digit identifies no one; the line is still read.
    assert_eq!(with("DE03100100100006820101"), None);
    let parsed = read(&document(V02, CREDIT));
    let Ok(Parsed::Credit(line)) = &parsed[0] else { panic!("{parsed:?}") };
    assert_eq!(line.payer_iban, None);
}
