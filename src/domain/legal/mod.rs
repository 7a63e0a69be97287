//! What a debtor owes, the way the law of the creditor's jurisdiction allows: when default began,
//! the default interest, the fees that may be charged, how a payment is applied, when the claim
//! becomes time-barred, and one [`Breakdown`] of it all that letters, emails and the pay-page show.
//!
//! Pure functions over plain data: no IO, no clock (the caller passes the day to compute for), so
//! a breakdown as of any past day is exactly what was owed that day. Germany ([`Germany`]: §§ 286,
//! 288, 247, 366, 367, 195, 199 BGB) is the first [`Jurisdiction`].
//!
//! # Layout
//! - `jurisdiction`: the trait a country's rules implement; `germany`: the German one.
//! - `default`, `base_rate`, `interest`, `fees`, `allocation`, `limitation`: one rule each.
//! - `account`: the input; `breakdown`: runs the rules over it and returns the result.
//! - `case_claim`: a stored dunning case as the engine's input; `stored_default`: when its
//!   default date is fixed and stored on the case; `no_statute`: the rules for a
//!   claim no jurisdiction here covers; `unnamed_payment`: a payment naming no invoice over one
//!   debtor's open cases (§ 366 (2)).

mod account;
mod allocation;
mod amount;
mod base_rate;
mod breakdown;
mod case_claim;
mod default;
mod error;
mod fees;
mod germany;
mod interest;
mod jurisdiction;
mod limitation;
mod no_statute;
mod statement;
mod stored_default;
mod unnamed_payment;

#[cfg(test)]
mod tests_cases;
#[cfg(test)]
mod tests_props;

pub use account::{Account, Claim, CollectionCost, Payment, Reminder};
pub use allocation::{Allocation, AllocationRule, Applied, OpenItems, PaymentApplication};
pub use amount::{round_cents, Percent, ZERO_CENTS};
pub use base_rate::{BaseRateSpan, BaseRateTable, BUNDESBANK_SOURCE};
pub use breakdown::{breakdown, Breakdown, ClaimBreakdown, Note, Totals};
pub use case_claim::{CaseClaim, ReceivedPayment, SentReminder, StatementTotals, LETTER_DELIVERY_DAYS};
pub use default::{DefaultFacts, DefaultGround, InDefault};
pub use error::LegalError;
pub use fees::{FeeKind, FeeLine, FeeNote};
pub use germany::{statutory_law, Germany, GermanyConfig, TenantLaw, FLAT_FEE_EUR, REMINDER_FEE_CAP_EUR};
pub use interest::{DayCount, InterestPeriod, RateSpan};
pub use jurisdiction::Jurisdiction;
pub use limitation::{Limitation, LIMITATION_WARNING_DAYS};
pub use no_statute::NoStatute;
pub use statement::{ClaimStatement, StatementDebtor};
pub use unnamed_payment::unnamed_payment_over;
