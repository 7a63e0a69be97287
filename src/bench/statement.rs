//! A generated camt.053.001.08 statement for `mahnwerk bench import`, written entry by entry
//! (never held in memory), and the overdue invoices its entries pay. Per 20 entries:
//! 12 pay an invoice in full by RF reference, 2 name its number in the text, 1 pays half by
//! reference (partial), 1 pays two invoices named in the text (split), 1 is matched by amount
//! and name, 1 pays 10.00 too much by reference (credit), 1 matches nothing, 1 is a debit.

use crate::deliver::reference::creditor_reference;
use crate::domain::{
    Currency, Debtor, DebtorId, DebtorKind, Invoice, InvoiceNumber, Language, Money, PlanName, TenantId,
    Timezone,
};
use crate::intake::IntakeCommand;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::io::Write;

/// What entry `i` of the statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Reference,
    NumberInText,
    Partial,
    Split,
    AmountAndName,
    Overpaid,
    Unmatched,
    Debit,
}

pub fn kind(i: usize) -> Kind {
    match i % 20 {
        0..=11 => Kind::Reference,
        12 | 13 => Kind::NumberInText,
        14 => Kind::Partial,
        15 => Kind::Split,
        16 => Kind::AmountAndName,
        17 => Kind::Overpaid,
        18 => Kind::Unmatched,
        _ => Kind::Debit,
    }
}

fn number(i: usize) -> String {
    format!("BI-{i:07}")
}

fn second_number(i: usize) -> String {
    format!("BI-{i:07}-B")
}

/// Invoice `i`'s amount: unique per invoice, so that amount and name find one.
fn amount(i: usize) -> Decimal {
    Decimal::new(5_000 + i as i64, 2)
}

fn name(i: usize) -> String {
    format!("Kundin Nummer {i}")
}

/// The overdue invoices entries `range` pay, as intake commands.
pub fn invoices(
    tenant: &TenantId,
    range: std::ops::Range<usize>,
    received_at: DateTime<Utc>,
) -> Vec<IntakeCommand> {
    let eur = Currency::parse("EUR").expect("EUR");
    let plan = PlanName::parse("standard-b2c").expect("the built-in plan");
    let mut commands = Vec::new();
    for i in range {
        let numbers = match kind(i) {
            Kind::Unmatched | Kind::Debit => continue,
            Kind::Split => vec![number(i), second_number(i)],
            _ => vec![number(i)],
        };
        for invoice_number in numbers {
            let invoice = Invoice {
                tenant: tenant.clone(),
                number: InvoiceNumber::parse(&invoice_number).expect("a valid number"),
                issued_on: NaiveDate::from_ymd_opt(2026, 10, 1).expect("a date"),
                due_on: NaiveDate::from_ymd_opt(2026, 10, 15).expect("a date"),
                amount_due: Money::new(amount(i), eur),
                terms: Default::default(),
                lines: Vec::new(),
                debtor: Debtor {
                    id: DebtorId::parse(&format!("K-{i}")).expect("a valid id"),
                    kind: DebtorKind::Consumer,
                    name: name(i),
                    language: Language::parse("de").expect("de"),
                    timezone: Timezone::parse("Europe/Berlin").expect("a zone"),
                    email: None,
                    phone: None,
                    whatsapp: None,
                    whatsapp_opt_in: false,
                    messenger_psid: None,
                    contact_person: None,
                    address: None,
                    iban: None,
                    unreachable: Default::default(),
                },
                plan: None,
            };
            commands.push(IntakeCommand::Overdue {
                invoice,
                plan: plan.clone(),
                received_at,
                marketing_consent: None,
            });
        }
    }
    commands
}

/// Writes the statement of `entries` entries to `out`.
pub fn write(out: impl Write, entries: usize) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">"#)?;
    writeln!(
        out,
        "<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-11-13T06:00:00</CreDtTm></GrpHdr>"
    )?;
    writeln!(out, "<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>")?;
    for i in 0..entries {
        let kind = kind(i);
        let (paid, credit) = match kind {
            Kind::Partial => (amount(i) / Decimal::TWO, true),
            Kind::Split => (amount(i) * Decimal::TWO, true),
            Kind::Overpaid => (amount(i) + Decimal::TEN, true),
            Kind::Unmatched => (Decimal::new(777, 2), true),
            Kind::Debit => (Decimal::new(1999, 2), false),
            _ => (amount(i), true),
        };
        let rf = || creditor_reference(&number(i)).expect("fits").to_string();
        let (payer, remittance) = match kind {
            Kind::Reference | Kind::Partial | Kind::Overpaid => {
                (name(i), format!("<Strd><CdtrRefInf><Ref>{}</Ref></CdtrRefInf></Strd>", rf()))
            }
            Kind::NumberInText => (name(i), format!("<Ustrd>Rechnung {} vielen Dank</Ustrd>", number(i))),
            Kind::Split => (name(i), format!("<Ustrd>{} und {}</Ustrd>", number(i), second_number(i))),
            Kind::AmountAndName => (name(i).to_uppercase(), "<Ustrd>Danke</Ustrd>".to_owned()),
            Kind::Unmatched => (format!("Fremder {i}"), format!("<Ustrd>Spende {i}</Ustrd>")),
            Kind::Debit => ("Lieferant GmbH".to_owned(), "<Ustrd>Einkauf</Ustrd>".to_owned()),
        };
        let booked =
            NaiveDate::from_ymd_opt(2026, 11, 1).expect("a date") + chrono::Days::new((i / 5000) as u64);
        writeln!(
            out,
            "<Ntry><Amt Ccy=\"EUR\">{paid}</Amt><CdtDbtInd>{}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <BookgDt><Dt>{booked}</Dt></BookgDt><AcctSvcrRef>B{i:09}</AcctSvcrRef><NtryDtls><TxDtls>\
             <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><RltdPties><Dbtr><Pty><Nm>{payer}</Nm></Pty></Dbtr>\
             </RltdPties><RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>",
            if credit { "CRDT" } else { "DBIT" }
        )?;
    }
    writeln!(out, "</Stmt></BkToCstmrStmt></Document>")?;
    out.flush()
}
