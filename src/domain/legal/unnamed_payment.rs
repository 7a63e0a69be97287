//! A payment that names no invoice (§ 366 (2) BGB), over one debtor's open cases: the cases
//! become one [`Account`] of several claims, the payment is applied by [`breakdown`] after the
//! payments each case has had, and the result says how much each invoice takes (costs, interest,
//! principal under § 367) and what is left over. The order is the engine's (`order_366`), not
//! written again here.

use super::{breakdown, Account, CaseClaim, Germany, Jurisdiction, LegalError, NoStatute, Payment};
use super::{PaymentApplication, ReceivedPayment};
use crate::domain::Currency;

/// How `payment`, received from the debtor of `claims` without naming an invoice, is applied
/// over those claims on the day it was received, after each claim's own payments (which named
/// their invoice). `claims` are one debtor's open cases in `currency`; none is an error naming
/// the field. The result's allocations are in the order the invoices were filled, each with
/// rule `due_first`; `unapplied` is what exceeded everything owed that day.
pub fn unnamed_payment_over(
    law: &Germany,
    claims: &[CaseClaim],
    currency: Currency,
    payment: ReceivedPayment,
) -> Result<PaymentApplication, LegalError> {
    let day = payment.received_on;
    let Some(first) = claims.first() else {
        return Err(LegalError::NoClaims { field: "claims".into() });
    };
    let mut account = Account { debtor: first.debtor, currency, claims: Vec::new(), payments: Vec::new() };
    for claim in claims {
        if claim.currency != currency {
            return Err(LegalError::MixedCurrency {
                invoice: claim.invoice.to_string(),
                found: claim.currency.code().to_owned(),
                expected: currency.code().to_owned(),
            });
        }
        let single = claim.account();
        account.claims.extend(single.claims);
        account.payments.extend(single.payments);
    }
    // Last among the day's payments: `breakdown` applies same-day payments in the order given.
    account.payments.push(Payment {
        received_on: day,
        amount: payment.amount.round_dp(2),
        for_invoice: None,
        reduces_principal: payment.reduces_principal,
    });
    let owed = if law.check_currency(currency).is_ok() {
        breakdown(law, &account, day)?
    } else {
        breakdown(&NoStatute, &account, day)?
    };
    owed.payments.last().cloned().ok_or(LegalError::PaymentNotApplied { received_on: day })
}

#[cfg(test)]
#[path = "unnamed_payment_tests.rs"]
mod tests;
