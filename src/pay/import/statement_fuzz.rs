//! Fuzzing the bank statement readers (camt.053 and CSV): arbitrary bytes and valid statements
//! with a field replaced, a piece cut out or text inserted never panic and always end; every
//! error names where (`line 17`, `entry at line 120`) and which field; valid lines still read.

use super::*;
use crate::config::payments::CsvLayout;
use crate::fuzz;
use proptest::prelude::*;
use std::io::Cursor;

const CAMT: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
    <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n<BkToCstmrStmt>\n\
    <GrpHdr><MsgId>M1</MsgId></GrpHdr>\n<Stmt>\n<Id>S1</Id>\n\
    <Ntry>\n<Amt Ccy=\"EUR\">12.50</Amt>\n<CdtDbtInd>CRDT</CdtDbtInd>\n\
    <BookgDt><Dt>2026-11-02</Dt></BookgDt>\n<AcctSvcrRef>A1</AcctSvcrRef>\n<NtryDtls><TxDtls>\n\
    <Refs><EndToEndId>E2E-1</EndToEndId></Refs>\n\
    <RltdPties><Dbtr><Pty><Nm>M&amp;M M&#xFC;ller</Nm></Pty></Dbtr></RltdPties>\n\
    <RmtInf><Ustrd>RE-2026-0042</Ustrd>\
    <Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>\n\
    </TxDtls></NtryDtls>\n</Ntry>\n\
    <Ntry><Amt Ccy=\"EUR\">3.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry>\n\
    </Stmt>\n</BkToCstmrStmt>\n</Document>\n";

const CSV: &str = "Buchungstag;Betrag;Waehrung;Verwendungszweck;Name Zahlungsbeteiligter;Buchungsreferenz\n\
    02.11.2026;1.234,50;EUR;RE-2026-0042;Erika Mustermann;B1\n\
    03.11.2026;-3,00;EUR;Gebuehr;Bank;B2\n";

/// More items than any input of these sizes can hold: reaching it means the reader loops.
const AT_MOST: usize = 10_000;

fn read(bytes: Vec<u8>, format: Format) -> Vec<Result<Parsed, ParseError>> {
    let lines =
        statement_lines(Cursor::new(bytes), Path::new("statement"), Some(format), &CsvLayout::default())
            .expect("reading from memory cannot fail");
    let items: Vec<_> = lines.take(AT_MOST).collect();
    assert!(items.len() < AT_MOST, "the reader does not end");
    items
}

fn check(bytes: Vec<u8>, format: Format) -> Result<(), TestCaseError> {
    let items = read(bytes, format);
    for (i, item) in items.iter().enumerate() {
        if let Err(error) = item {
            prop_assert!(
                error.at.starts_with("line ") || error.at.starts_with("entry at line "),
                "{error:?}"
            );
            prop_assert!(!error.field.is_empty() && !error.reason.is_empty(), "{error:?}");
            prop_assert_eq!(i, items.len() - 1, "nothing is read after an error");
        }
    }
    Ok(())
}

/// `valid` with one change: the bytes `start..start+len` replaced by `insert`.
fn spliced(valid: &str, start: usize, len: usize, insert: &str) -> Vec<u8> {
    let mut bytes = valid.as_bytes().to_vec();
    let start = start % (bytes.len() + 1);
    let end = (start + len).min(bytes.len());
    bytes.splice(start..end, insert.bytes());
    bytes
}

/// `valid` with the text between the `nth` `>` and the following `<` (an element's value, or the
/// whitespace between elements) replaced by `text`.
fn value_replaced(valid: &str, nth: usize, text: &str) -> Vec<u8> {
    let opens: Vec<usize> = valid.match_indices('>').map(|(i, _)| i + 1).collect();
    let start = opens[nth % opens.len()];
    let end = valid[start..].find('<').map_or(valid.len(), |i| start + i);
    format!("{}{text}{}", &valid[..start], &valid[end..]).into_bytes()
}

proptest! {
    #![proptest_config(fuzz::config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in fuzz::bytes(512), camt in any::<bool>()) {
        check(bytes, if camt { Format::Camt053 } else { Format::Csv })?;
    }

    #[test]
    fn camt_with_a_piece_cut_or_inserted_never_panics(start in 0usize..2_000, len in 0usize..64, insert in fuzz::near_text(16)) {
        check(spliced(CAMT, start, len, &insert), Format::Camt053)?;
    }

    #[test]
    fn camt_with_one_value_replaced_never_panics(nth in 0usize..200, text in fuzz::near_text(24)) {
        check(value_replaced(CAMT, nth, &text), Format::Camt053)?;
    }

    #[test]
    fn csv_with_a_piece_cut_or_inserted_never_panics(start in 0usize..400, len in 0usize..32, insert in fuzz::near_text(16)) {
        check(spliced(CSV, start, len, &insert), Format::Csv)?;
    }

    #[test]
    fn csv_with_one_field_replaced_never_panics(row in 0usize..3, column in 0usize..6, text in fuzz::near_text(24)) {
        let mut rows: Vec<Vec<String>> =
            CSV.lines().map(|l| l.split(';').map(str::to_owned).collect()).collect();
        rows[row][column] = text;
        let csv = rows.iter().map(|r| r.join(";")).collect::<Vec<_>>().join("\n");
        check(csv.into_bytes(), Format::Csv)?;
    }

    #[test]
    fn valid_amounts_still_read(units in 1u64..1_000_000_000, cents in 0u32..100) {
        let amount = format!("{units}.{cents:02}");
        let camt = CAMT.replace(">12.50<", &format!(">{amount}<"));
        let items = read(camt.into_bytes(), Format::Camt053);
        let Some(Ok(Parsed::Credit(line))) = items.first() else { panic!("{amount}: {items:?}") };
        prop_assert_eq!(line.amount.amount().to_string(), amount.clone());
        let csv = CSV.replace("1.234,50", &amount.replace('.', ","));
        let items = read(csv.into_bytes(), Format::Csv);
        let Some(Ok(Parsed::Credit(line))) = items.first() else { panic!("{amount}: {items:?}") };
        prop_assert_eq!(line.amount.amount().to_string(), amount);
    }
}

#[test]
fn the_valid_statements_read() {
    let camt = read(CAMT.as_bytes().to_vec(), Format::Camt053);
    assert!(matches!(camt.as_slice(), [Ok(Parsed::Credit(_)), Ok(Parsed::Debit)]), "{camt:?}");
    let csv = read(CSV.as_bytes().to_vec(), Format::Csv);
    assert!(matches!(csv.as_slice(), [Ok(Parsed::Credit(_)), Ok(Parsed::Debit)]), "{csv:?}");
}

#[test]
fn deeply_nested_xml_is_refused_or_read_without_overflowing_the_stack() {
    let mut xml = String::from(CAMT);
    let deep = "<Ntry>".repeat(100_000);
    xml.insert_str(xml.find("<Ntry>").unwrap(), &deep);
    let items = read(xml.into_bytes(), Format::Camt053);
    assert!(items.len() < AT_MOST);
}
