//! Payments: every payment, from any source (an `invoice.paid` message, the pay-page, a bank
//! statement), is recorded through one rule, by [`record_payment`] (or [`record_payments`] for
//! many in one transaction): it closes or reduces the case, cancels pending reminders, credits
//! the reminder that earned it (the learner's reward) and emits `payment.recorded`. Bank
//! statements are imported in [`import`], which reads back the RF creditor reference the letters
//! print (`crate::deliver::reference`).
//!
//! # Layout
//! - `record`: [`record_payment`] and [`record_payments`], the entry points every payment goes
//!   through; `allocations`: how each is applied (§§ 366, 367 BGB), stored with it; `rule`: what a payment does, decided without IO from the case as it stands;
//!   [`batch`]: many payments in one transaction with a few statements (one alone is a batch
//!   of one).
//! - `checkout`: [`checkout`], what the pay-page's "pay by card" button calls: one PSP checkout
//!   per attempt for the invoice of the followed reminder.
//! - [`psp`]: the [`psp::Psp`] trait, Stripe Checkout behind it, and Stripe's webhook events.
//! - `settlement`: [`Settlement`], the pay stage's rules as intake hands it `invoice.paid` and
//!   `case.dispute_resolved` messages.
//!
//! The creditor's credit or write-off of a claim ([`credit`]) goes through the same rule, as a
//! payment that is no money; [`bookings`] lists a period's payments, fees, interest, credits and
//! write-offs for the creditor's bookkeeping (CSV, DATEV).
//!
//! A payment a PSP reports as pending holds the case's dunning until it settles or fails
//! ([`hold`]).
//!
//! The debtor's other answers on the pay-page live here too: a promise to pay ([`promise`]), a
//! dispute ([`dispute`]), instalments ([`instalments`]) and a request to be contacted
//! ([`contact`]).

mod allocations;
pub mod batch;
pub mod bookings;
mod checkout;
pub mod contact;
pub mod credit;
pub mod dispute;
pub mod hold;
pub mod import;
pub mod instalments;
pub mod page;
pub mod promise;
pub mod psp;
mod record;
mod rule;
mod settlement;

pub use checkout::{checkout, CheckoutError, CheckoutStart};
pub use record::{record, record_payment, record_payments, PaymentOutcome};
pub use settlement::Settlement;

pub use crate::domain::PaymentRecord;
