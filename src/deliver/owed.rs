//! What is owed, line by line, as every debtor-facing text prints it: the invoice amount, each
//! fee, each period of interest with its rate and dates, what was paid, and the total. One
//! function turns the legal engine's [`Breakdown`] into these lines, in the debtor's language, so
//! the email, the letter and the pay-page never disagree about a figure or its name.

use super::locale::Locale;
use crate::domain::legal::{Breakdown, FeeKind};
use crate::domain::{Currency, Money};
use rust_decimal::Decimal;
use serde::Serialize;

/// One printed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwedLine {
    pub label: String,
    /// Written in the language's way; a payment with a leading minus sign.
    pub amount: String,
}

/// The lines and the total, ready to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwedLines {
    pub lines: Vec<OwedLine>,
    pub total_label: String,
    pub total: String,
    pub total_amount: Decimal,
    /// The sum of the fees and of the interest, for texts that name them in a sentence.
    pub fees: Decimal,
    pub interest: Decimal,
}

/// `breakdown` as lines in `language` (a tag's primary subtag; English for any other).
pub fn owed_lines(breakdown: &Breakdown, language: &str) -> OwedLines {
    let words = Words::of(language);
    // The invoice amount, what was paid and the total carry the letter's names in every text.
    let names = super::words::Words::of(language);
    let locale = Locale::of(language);
    let currency: Currency = breakdown.currency;
    let show = |amount: Decimal| locale.money(&Money::new(amount, currency));
    let totals = &breakdown.totals;
    let mut lines = vec![OwedLine { label: names.principal.to_owned(), amount: show(totals.principal) }];
    for claim in &breakdown.claims {
        for fee in claim.fees.iter().filter(|f| f.owed > Decimal::ZERO) {
            let label = match fee.kind {
                FeeKind::FlatFee => words.flat_fee.to_owned(),
                FeeKind::ReminderFee => words.reminder_fee.replace("{date}", &locale.date(fee.on)),
                FeeKind::CollectionCost => {
                    fee.label.clone().unwrap_or_else(|| words.collection_cost.to_owned())
                }
            };
            lines.push(OwedLine { label, amount: show(fee.owed) });
        }
        for period in claim.interest.iter().filter(|p| p.amount > Decimal::ZERO) {
            let rate = locale.decimal(period.rate.0, 2);
            let label = words
                .interest
                .replace("{rate}", &rate)
                .replace("{from}", &locale.date(period.from))
                .replace("{until}", &locale.date(period.until));
            lines.push(OwedLine { label, amount: show(period.amount) });
        }
    }
    let paid = totals.paid.total();
    if paid > Decimal::ZERO {
        lines.push(OwedLine { label: names.paid.to_owned(), amount: show(-paid) });
    }
    OwedLines {
        lines,
        total_label: names.total.to_owned(),
        total: show(totals.total),
        total_amount: totals.total,
        fees: totals.fees,
        interest: totals.interest,
    }
}

/// The names of the fee and interest lines in one language (the invoice amount, the payments
/// and the total are named by [`super::words::Words`]). `{date}`, `{rate}` (a number: the
/// percent sign is the language's), `{from}` and `{until}` are filled in.
struct Words {
    flat_fee: &'static str,
    reminder_fee: &'static str,
    collection_cost: &'static str,
    interest: &'static str,
}

impl Words {
    fn of(language: &str) -> Self {
        let primary = language.split(['-', '_']).next().unwrap_or(language);
        let w = |flat_fee, reminder_fee, collection_cost, interest| Words {
            flat_fee,
            reminder_fee,
            collection_cost,
            interest,
        };
        match primary {
            "de" => w(
                "Verzugspauschale (§ 288 Abs. 5 BGB)",
                "Mahnkosten (Schreiben vom {date})",
                "Kosten der Rechtsverfolgung",
                "Verzugszinsen {rate} % vom {from} bis {until}",
            ),
            "fr" => w(
                "Indemnité forfaitaire de retard (§ 288 al. 5 BGB)",
                "Frais de relance (courrier du {date})",
                "Frais de recouvrement",
                "Intérêts de retard {rate} % du {from} au {until}",
            ),
            "es" => w(
                "Indemnización fija por demora (§ 288 apdo. 5 BGB)",
                "Gastos de reclamación (escrito del {date})",
                "Gastos de cobro",
                "Intereses de demora {rate} % del {from} al {until}",
            ),
            "it" => w(
                "Indennizzo forfettario per il ritardo (§ 288 c. 5 BGB)",
                "Spese di sollecito (lettera del {date})",
                "Spese di recupero",
                "Interessi di mora {rate} % dal {from} al {until}",
            ),
            "nl" => w(
                "Forfaitaire vergoeding voor te late betaling (§ 288 lid 5 BGB)",
                "Aanmaningskosten (brief van {date})",
                "Incassokosten",
                "Wettelijke rente {rate} % van {from} tot en met {until}",
            ),
            "pl" => w(
                "Ryczałt za opóźnienie (§ 288 ust. 5 BGB)",
                "Koszty upomnienia (pismo z dnia {date})",
                "Koszty windykacji",
                "Odsetki za opóźnienie {rate} % od {from} do {until}",
            ),
            "tr" => w(
                "Gecikme götürü tazminatı (§ 288 f. 5 BGB)",
                "İhtar masrafları ({date} tarihli yazı)",
                "Tahsilat masrafları",
                "Gecikme faizi %{rate} ({from} – {until})",
            ),
            _ => w(
                "Flat-rate compensation for late payment (§ 288 (5) BGB)",
                "Reminder costs (letter of {date})",
                "Costs of collection",
                "Default interest {rate}% from {from} to {until}",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::legal::{CaseClaim, Germany, ReceivedPayment, SentReminder};
    use crate::domain::{ChannelKind, DebtorKind, InvoiceNumber};
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A business debtor, 1,000.00 due 31 Jan 2025, reminded by email on 3 Feb and by letter on
    /// 17 Feb (2.50), 200.00 paid on 1 Mar, owed on 1 Apr 2025.
    fn breakdown() -> Breakdown {
        CaseClaim {
            invoice: InvoiceNumber::parse("R-7").unwrap(),
            debtor: DebtorKind::Business,
            currency: Currency::parse("EUR").unwrap(),
            principal: Decimal::new(100_000, 2),
            issued_on: day(2025, 1, 20),
            due_on: day(2025, 1, 31),
            due_by_calendar: false,
            states_30_day_rule: false,
            reminders: vec![
                SentReminder {
                    stage: 0,
                    channel: ChannelKind::Email,
                    sent_on: day(2025, 2, 3),
                    fee: Decimal::ZERO,
                },
                SentReminder {
                    stage: 1,
                    channel: ChannelKind::Letter,
                    sent_on: day(2025, 2, 17),
                    fee: Decimal::new(250, 2),
                },
            ],
            payments: vec![ReceivedPayment {
                received_on: day(2025, 3, 1),
                amount: Decimal::new(20_000, 2),
                reduces_principal: false,
            }],
            default_on: None,
        }
        .owed(&Germany::default(), day(2025, 4, 1))
        .unwrap()
    }

    #[test]
    fn every_line_in_german() {
        let owed = owed_lines(&breakdown(), "de");
        let labels: Vec<&str> = owed.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels[0], "Rechnungsbetrag");
        assert_eq!(labels[1], "Verzugspauschale (§ 288 Abs. 5 BGB)");
        // The letter's 2.50 is absorbed by the flat fee (§ 288 (5) sentence 3): no line of its own.
        assert!(!labels.iter().any(|l| l.starts_with("Mahnkosten")), "{labels:?}");
        // 2.27 % + 9 points for a business debtor, from the day after the email arrived.
        assert_eq!(labels[2], "Verzugszinsen 11,27 % vom 04.02.2025 bis 28.02.2025");
        assert_eq!(labels[3], "Verzugszinsen 11,27 % vom 01.03.2025 bis 31.03.2025");
        assert_eq!(owed.lines.last().unwrap().label, "Bereits gezahlt");
        assert!(owed.lines.last().unwrap().amount.starts_with('-'));
        assert_eq!(owed.total_label, "Offener Gesamtbetrag");
    }

    #[test]
    fn the_lines_add_up_to_the_total() {
        let b = breakdown();
        let owed = owed_lines(&b, "en");
        let parse = |s: &str| s.replace(['€', ','], "").parse::<Decimal>().unwrap();
        let sum: Decimal = owed.lines.iter().map(|l| parse(&l.amount)).sum();
        assert_eq!(sum, parse(&owed.total));
        assert_eq!(parse(&owed.total), b.totals.total);
    }

    #[test]
    fn every_language_has_its_own_words() {
        let b = breakdown();
        let totals: std::collections::BTreeSet<String> =
            super::super::locale::LANGUAGES.iter().map(|l| owed_lines(&b, l).total_label).collect();
        assert_eq!(totals.len(), super::super::locale::LANGUAGES.len());
    }
}
