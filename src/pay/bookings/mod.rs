//! The creditor's bookings of a period, for its bookkeeping: every payment, credit and write-off
//! recorded in the period, and the reminder fees and default interest the case's claim grew by
//! in it, each as one booking between two accounts (`[creditors.<tenant>.bookkeeping]`, SKR03 by
//! default). Written as CSV ([`csv`]) or as a DATEV booking batch ([`datev`]).
//!
//! Fees and interest are not stored as they arise: the legal engine computes them for any day
//! from the case as stored ([`crate::domain::legal::CaseClaim::owed`]). What a case's claim grew
//! by in the period is what it owed at the period's end (or the day the case closed, if earlier)
//! less what it owed the day before the period began: an accrual, so consecutive periods add up
//! to the whole and no euro is booked twice.
//!
//! # Layout
//! - this file: [`Booking`], [`Period`] and [`bookings`], the rule.
//! - `csv`: the plain CSV; `datev`: the DATEV format (EXTF, Buchungsstapel).

pub mod csv;
pub mod datev;

use crate::config::bookkeeping::Bookkeeping;
use crate::domain::legal::Germany;
use crate::domain::{PaymentSource, TenantId};
use crate::store::bookings::PaymentEntry;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;

/// What a booking is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BookingKind {
    /// Money paid: bank to receivables.
    Payment,
    /// Reminder fees and the flat fee charged: receivables to fee revenue.
    Fee,
    /// Default interest charged: receivables to interest revenue.
    Interest,
    /// A credit granted: credits to receivables.
    Credit,
    /// A write-off: losses to receivables.
    WriteOff,
}

impl BookingKind {
    pub const ALL: [BookingKind; 5] =
        [Self::Payment, Self::Fee, Self::Interest, Self::Credit, Self::WriteOff];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Fee => "fee",
            Self::Interest => "interest",
            Self::Credit => "credit",
            Self::WriteOff => "write_off",
        }
    }

    /// The booking text DATEV shows (German, as the accountant reads it).
    pub fn text(self) -> &'static str {
        match self {
            Self::Payment => "Zahlung",
            Self::Fee => "Mahngebühren",
            Self::Interest => "Verzugszinsen",
            Self::Credit => "Gutschrift",
            Self::WriteOff => "Forderungsverlust",
        }
    }

    /// The account debited and the account credited.
    pub fn accounts(self, accounts: &Bookkeeping) -> (&str, &str) {
        let receivables = accounts.receivables.as_str();
        match self {
            Self::Payment => (accounts.bank.as_str(), receivables),
            Self::Fee => (receivables, accounts.fees.as_str()),
            Self::Interest => (receivables, accounts.interest.as_str()),
            Self::Credit => (accounts.credits.as_str(), receivables),
            Self::WriteOff => (accounts.write_offs.as_str(), receivables),
        }
    }

    fn of(source: PaymentSource) -> Self {
        match source {
            PaymentSource::Credit => Self::Credit,
            PaymentSource::WriteOff => Self::WriteOff,
            PaymentSource::Amqp | PaymentSource::Bank | PaymentSource::Stripe => Self::Payment,
        }
    }
}

/// One booking: `amount` from `debit` to `credit`, always positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub kind: BookingKind,
    pub date: NaiveDate,
    pub invoice_number: String,
    pub debtor_id: String,
    pub amount: Decimal,
    pub currency: String,
    pub debit: String,
    pub credit: String,
    /// The payment's reference, or the span a fee or interest accrued over.
    pub reference: String,
}

/// The days of a period, both included (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    fn start(self) -> DateTime<Utc> {
        self.from.and_time(NaiveTime::MIN).and_utc()
    }

    /// The first instant after the period.
    fn end(self) -> DateTime<Utc> {
        let next = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        next.and_time(NaiveTime::MIN).and_utc()
    }
}

/// Why the bookings could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum BookingsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("case {case_id}: the legal engine cannot compute its claim: {reason}")]
    Claim { case_id: i64, reason: String },
}

/// `tenant`'s bookings of `period`, read inside `tx`: payments, credits and write-offs in the
/// order they were paid, then each case's fee and interest accruals by case.
pub async fn bookings(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    period: Period,
    accounts: &Bookkeeping,
    law: &Germany,
) -> Result<Vec<Booking>, BookingsError> {
    let mut out: Vec<Booking> = tx
        .payments_between(tenant, period.start(), period.end())
        .await?
        .into_iter()
        .map(|payment| paid(payment, accounts))
        .collect();
    let before = period.from.checked_sub_days(Days::new(1)).unwrap_or(period.from);
    for case in tx.case_entries(tenant).await? {
        // A closed case accrues nothing after the day it closed.
        let last_day =
            if case.state.is_final() { period.to.min(case.updated_at.date_naive()) } else { period.to };
        if last_day < period.from {
            continue;
        }
        let Some(claim) = tx.case_claim(case.case_id).await? else { continue };
        let owed = |day| {
            claim
                .owed(law, day)
                .map_err(|e| BookingsError::Claim { case_id: case.case_id, reason: e.to_string() })
        };
        let (at_end, at_start) = (owed(last_day)?.totals, owed(before)?.totals);
        for (kind, grew) in [
            (BookingKind::Fee, at_end.fees - at_start.fees),
            (BookingKind::Interest, at_end.interest - at_start.interest),
        ] {
            if grew > Decimal::ZERO {
                let (debit, credit) = kind.accounts(accounts);
                out.push(Booking {
                    kind,
                    date: last_day,
                    invoice_number: case.invoice_number.clone(),
                    debtor_id: case.debtor_id.clone(),
                    amount: grew,
                    currency: claim.currency.code().to_owned(),
                    debit: debit.to_owned(),
                    credit: credit.to_owned(),
                    reference: format!("{}..{last_day}", period.from),
                });
            }
        }
    }
    Ok(out)
}

fn paid(payment: PaymentEntry, accounts: &Bookkeeping) -> Booking {
    let kind = BookingKind::of(payment.source);
    let (debit, credit) = kind.accounts(accounts);
    Booking {
        kind,
        date: payment.paid_at.date_naive(),
        invoice_number: payment.invoice_number,
        debtor_id: payment.debtor_id,
        amount: payment.amount,
        currency: payment.currency,
        debit: debit.to_owned(),
        credit: credit.to_owned(),
        reference: payment.reference,
    }
}
