//! One claim statement as a PDF in the letters' layout (DIN 5008): the creditor as sender, the
//! debtor in the address window, an information block, the facts in sentences (invoice, default,
//! limitation, each reminder, each payment and where it went) and the amounts table the debtor's
//! letters print, computed on the day the case escalated. No payment block: it is not a request
//! to pay but the record of what is owed and why.

use super::words::StatementWords;
use crate::deliver::letter::{footer_lines, recipient_lines, sender_lines};
use crate::deliver::locale::Locale;
use crate::deliver::owed::owed_lines;
use crate::deliver::words::{language_of_country, Words};
use crate::deliver::Creditor;
use crate::domain::legal::{ClaimStatement, Note};
use crate::domain::Money;
use mahnwerk_channels::letter::{render_pdf, LetterError};
use mahnwerk_channels::{AmountRow, InfoRow, LetterDocument, LetterMessage};
use rust_decimal::Decimal;

/// The statement as a letter, in the creditor's language.
pub fn statement_letter(statement: &ClaimStatement, creditor: &Creditor) -> LetterMessage {
    let language = language_of_country(creditor.country());
    let words = StatementWords::of(language);
    let names = Words::of(words.language);
    let locale = Locale::of(words.language);
    let breakdown = &statement.breakdown;
    let money = |amount: Decimal| locale.money(&Money::new(amount, breakdown.currency));
    let date = |day| locale.date(day);
    let invoice = statement.invoice().map(|i| i.to_string()).unwrap_or_default();

    let mut body = vec![words.as_of.replace("{date}", &date(breakdown.as_of)), String::new()];
    for claim in &breakdown.claims {
        body.push(
            words
                .invoice
                .replace("{invoice}", claim.invoice.as_str())
                .replace("{due}", &date(claim.due_on))
                .replace("{principal}", &money(claim.principal)),
        );
        match &claim.in_default {
            Some(default) => {
                let received = default.reminder_received_on.map(date);
                let ground = words.ground(default.ground, received.as_deref());
                body.push(
                    words.in_default.replace("{date}", &date(default.from)).replace("{ground}", &ground),
                );
            }
            None => body.push(words.not_in_default.to_owned()),
        }
        body.push(words.limitation.replace("{date}", &date(claim.limitation.last_day)));
        if claim.limitation.time_barred(breakdown.as_of) {
            body.push(words.time_barred.to_owned());
        }
    }
    body.push(String::new());
    if statement.reminders.is_empty() {
        body.push(words.no_reminders.to_owned());
    } else {
        body.push(words.reminders.to_owned());
        for reminder in &statement.reminders {
            body.push(
                words
                    .reminder
                    .replace("{stage}", &(reminder.stage + 1).to_string())
                    .replace("{date}", &date(reminder.sent_on))
                    .replace("{channel}", words.channel(reminder.channel)),
            );
        }
    }
    body.push(String::new());
    if breakdown.payments.is_empty() {
        body.push(words.no_payments.to_owned());
    } else {
        body.push(words.payments.to_owned());
        for payment in &breakdown.payments {
            let mut applied = crate::domain::legal::Applied::default();
            for allocation in &payment.allocations {
                applied.add(allocation.applied);
            }
            body.push(
                words
                    .payment
                    .replace("{date}", &date(payment.received_on))
                    .replace("{amount}", &money(payment.amount))
                    .replace("{costs}", &money(applied.costs))
                    .replace("{interest}", &money(applied.interest))
                    .replace("{principal}", &money(applied.principal)),
            );
        }
    }
    for note in &breakdown.notes {
        if let Note::RatePastTableEnd { from, base_rate } = note {
            body.push(String::new());
            body.push(
                words
                    .rate_past_table_end
                    .replace("{date}", &date(*from))
                    .replace("{rate}", &locale.decimal(base_rate.0, 2)),
            );
        }
    }

    let owed = owed_lines(breakdown, words.language);
    let row = |label: &str, amount: &str| AmountRow { label: label.to_owned(), amount: amount.to_owned() };
    let info_row = |label: &str, value: String| InfoRow { label: label.to_owned(), value };
    let mut info = vec![
        info_row(names.customer_number, statement.debtor.id.to_string()),
        info_row(names.invoice_number, invoice.clone()),
    ];
    info.extend(creditor.phone.clone().map(|phone| info_row(names.phone, phone)));
    info.push(info_row(names.email, creditor.email.clone()));
    let debtor = &statement.debtor;
    LetterMessage {
        sender_lines: sender_lines(creditor),
        recipient_lines: recipient_lines(
            &debtor.name,
            debtor.kind,
            debtor.contact_person.as_deref(),
            debtor.address.as_ref(),
            creditor,
        ),
        subject: words.subject.replace("{invoice}", &invoice),
        body: body.join("\n"),
        document: Some(Box::new(LetterDocument {
            date: date(breakdown.as_of),
            info,
            amounts: owed.lines.iter().map(|line| row(&line.label, &line.amount)).collect(),
            total: Some(row(&owed.total_label, &owed.total)),
            bank: None,
            transfer: None,
            pay_link: None,
            footer_lines: footer_lines(creditor),
            captions: names.captions(),
        })),
    }
}

/// The statement as PDF bytes with its file name (`Forderungsaufstellung-RE-1.pdf`).
pub fn statement_pdf(
    statement: &ClaimStatement,
    creditor: &Creditor,
) -> Result<(String, Vec<u8>), LetterError> {
    let words = StatementWords::of(language_of_country(creditor.country()));
    let invoice = statement.invoice().map(|i| i.to_string()).unwrap_or_else(|| statement.case_id.to_string());
    let safe: String = invoice
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let name = format!("{}{safe}.pdf", words.file_stem);
    Ok((name, render_pdf(&statement_letter(statement, creditor))?))
}
