//! The bookings as plain CSV (UTF-8, comma-separated, a header line, amounts with a decimal
//! point), for spreadsheets and bookkeeping software other than DATEV.

use super::Booking;
use rust_decimal::Decimal;

/// The header line's columns.
pub const COLUMNS: [&str; 9] = [
    "kind",
    "date",
    "invoice_number",
    "debtor_id",
    "amount",
    "currency",
    "debit_account",
    "credit_account",
    "reference",
];

/// An amount with two decimals at least (`129.90`, `0.05`, `12.345`).
pub fn amount(amount: Decimal) -> String {
    let mut amount = amount.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount.to_string()
}

/// `bookings` as CSV with a header line.
pub fn write(bookings: &[Booking]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for b in bookings {
        writer.write_record([
            b.kind.as_str(),
            &b.date.to_string(),
            &b.invoice_number,
            &b.debtor_id,
            &amount(b.amount),
            &b.currency,
            &b.debit,
            &b.credit,
            &b.reference,
        ])?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
