//! The one function every debtor-facing figure comes from: an [`Account`] (one debtor's open
//! invoices, reminders and payments) in, a [`Breakdown`] of what is owed on a given day out.
//! Letters, emails, the pay-page and the claim statement print this, so they can never disagree.

use super::account::{currency_from_code, validate};
use super::allocation::{apply_367, order_366, Candidate};
use super::fees::fee_lines;
use super::interest::accrue;
use super::{Account, Claim, CollectionCost, Payment, Reminder};
use super::{
    Allocation, AllocationRule, Applied, DayCount, DefaultFacts, FeeLine, InDefault, InterestPeriod,
    Jurisdiction, LegalError, Limitation, OpenItems, PaymentApplication, Percent, LIMITATION_WARNING_DAYS,
    ZERO_CENTS,
};
use crate::domain::{Currency, DebtorKind, InvoiceNumber};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What is owed on one invoice, line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimBreakdown {
    pub invoice: InvoiceNumber,
    pub principal: Decimal,
    pub due_on: NaiveDate,
    /// `None` while the debtor is not in default on this invoice: no interest, no fees.
    pub in_default: Option<InDefault>,
    pub limitation: Limitation,
    pub fees: Vec<FeeLine>,
    pub interest: Vec<InterestPeriod>,
    /// The sum of everything payments applied to this invoice.
    pub paid: Applied,
    pub open: OpenItems,
}

/// The sums over all invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub principal: Decimal,
    /// Fees owed (after the cap and the flat fee's set-off).
    pub fees: Decimal,
    pub interest: Decimal,
    pub paid: Applied,
    pub open: OpenItems,
    /// What the debtor owes on the day: `open.total()`.
    pub total: Decimal,
    /// Paid beyond everything owed.
    pub unapplied: Decimal,
}

/// Something the reader of a breakdown must be told; letters word these per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// From `from` on, the base rate is the last published one, assumed to continue: the rate
    /// table ends there and should be extended.
    RatePastTableEnd { from: NaiveDate, base_rate: Percent },
    /// The debtor is not (yet) in default on this invoice, so it bears no interest and no fees.
    NotInDefault { invoice: InvoiceNumber },
    /// A payment exceeded everything owed that day.
    Overpaid { received_on: NaiveDate, amount: Decimal },
    /// The claim becomes time-barred within [`LIMITATION_WARNING_DAYS`] days.
    LimitationNear { invoice: InvoiceNumber, last_day: NaiveDate },
    /// The claim is time-barred: the debtor may refuse to pay (§ 214 BGB).
    TimeBarred { invoice: InvoiceNumber, last_day: NaiveDate },
}

/// Everything owed by one debtor on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub jurisdiction: String,
    /// Interest is counted up to the day before this one: the breakdown says what settles the
    /// debt if paid on this day.
    pub as_of: NaiveDate,
    #[serde(deserialize_with = "currency_from_code")]
    pub currency: Currency,
    pub debtor: DebtorKind,
    pub day_count: DayCount,
    pub claims: Vec<ClaimBreakdown>,
    pub payments: Vec<PaymentApplication>,
    pub totals: Totals,
    pub notes: Vec<Note>,
}

/// One invoice while payments are applied in date order.
struct Running {
    in_default: Option<InDefault>,
    fees: Vec<FeeLine>,
    /// Interest is committed up to (excluding) this day; later days are still to accrue.
    accrued_until: NaiveDate,
    principal_open: Decimal,
    interest: Vec<InterestPeriod>,
    paid: Applied,
}

/// What `account` owes under `law` on `as_of`. Events after `as_of` (reminders sent, costs,
/// payments) are left out, so a breakdown of a past day is what was owed that day.
pub fn breakdown(
    law: &impl Jurisdiction,
    account: &Account,
    as_of: NaiveDate,
) -> Result<Breakdown, LegalError> {
    law.check_currency(account.currency)?;
    validate(account)?;
    let mut running: Vec<Running> =
        account.claims.iter().map(|c| start(law, account.debtor, c, as_of)).collect();

    let mut payments: Vec<&Payment> = account.payments.iter().filter(|p| p.received_on <= as_of).collect();
    payments.sort_by_key(|p| p.received_on); // stable: same-day payments in the order given
    let mut applications = Vec::new();
    for payment in payments {
        applications.push(apply(law, account, &mut running, payment)?);
    }

    let mut claims = Vec::new();
    for (claim, mut run) in account.claims.iter().zip(running) {
        let rest = accrue(run.principal_open, run.accrued_until, as_of, law.day_count(), |d| {
            law.default_rate(account.debtor, d)
        })?;
        run.interest.extend(rest);
        let fees: Decimal = run.fees.iter().map(|f| f.owed).sum();
        let interest: Decimal = run.interest.iter().map(|p| p.amount).sum();
        claims.push(ClaimBreakdown {
            invoice: claim.invoice.clone(),
            principal: claim.principal,
            due_on: claim.due_on,
            in_default: run.in_default,
            limitation: law.limitation(claim.due_on),
            open: OpenItems {
                costs: fees - run.paid.costs,
                interest: interest - run.paid.interest,
                principal: run.principal_open,
            },
            fees: run.fees,
            interest: run.interest,
            paid: run.paid,
        });
    }
    let totals = totals(&claims, &applications);
    let notes = notes(&claims, &applications, as_of);
    Ok(Breakdown {
        jurisdiction: law.code().to_owned(),
        as_of,
        currency: account.currency,
        debtor: account.debtor,
        day_count: law.day_count(),
        claims,
        payments: applications,
        totals,
        notes,
    })
}

/// A claim before any payment: its default, its fees, nothing accrued yet.
fn start(law: &impl Jurisdiction, debtor: DebtorKind, claim: &Claim, as_of: NaiveDate) -> Running {
    let reminders: Vec<Reminder> = claim.reminders.iter().filter(|r| r.sent_on <= as_of).cloned().collect();
    let facts = DefaultFacts {
        debtor,
        due_on: claim.due_on,
        due_by_calendar: claim.due_by_calendar,
        invoice_received_on: claim.invoice_received_on.filter(|&d| d <= as_of),
        invoice_states_30_day_rule: claim.invoice_states_30_day_rule,
        reminders_received_on: reminders.iter().map(|r| r.received_on).filter(|&d| d <= as_of).collect(),
    };
    let in_default = claim.fixed_default.or_else(|| law.in_default_from(&facts)).filter(|d| d.from <= as_of);
    let costs: Vec<CollectionCost> =
        claim.collection_costs.iter().filter(|c| c.on <= as_of).cloned().collect();
    let fees = fee_lines(law.flat_fee(debtor), in_default, &reminders, &costs, law.reminder_fee_cap());
    Running {
        in_default,
        fees,
        // Without default nothing accrues: the cursor sits at the end of time.
        accrued_until: in_default.map_or(NaiveDate::MAX, |d| d.from),
        principal_open: claim.principal,
        interest: Vec::new(),
        paid: Applied::default(),
    }
}

/// Applies one payment on the day it was received: what each invoice owes that day decides how
/// much it takes, and the invoices are filled in the order of § 366.
fn apply(
    law: &impl Jurisdiction,
    account: &Account,
    running: &mut [Running],
    payment: &Payment,
) -> Result<PaymentApplication, LegalError> {
    let day = payment.received_on;
    let mut previews = Vec::with_capacity(running.len());
    let mut candidates = Vec::with_capacity(running.len());
    for (claim, run) in account.claims.iter().zip(running.iter()) {
        let preview = accrue(run.principal_open, run.accrued_until, day, law.day_count(), |d| {
            law.default_rate(account.debtor, d)
        })?;
        previews.push(preview);
        candidates.push(Candidate {
            due_on: claim.due_on,
            stated: payment.for_invoice.as_ref() == Some(&claim.invoice),
            in_default: run.in_default.is_some_and(|d| d.from <= day),
        });
    }
    let mut left = payment.amount;
    let mut allocations = Vec::new();
    for i in order_366(day, &candidates) {
        if left <= Decimal::ZERO {
            break;
        }
        let run = &mut running[i];
        let costs_due: Decimal = run.fees.iter().filter(|f| f.on <= day).map(|f| f.owed).sum();
        let interest_due: Decimal =
            run.interest.iter().chain(&previews[i]).map(|p| p.amount).sum::<Decimal>() - run.paid.interest;
        let open = if payment.reduces_principal {
            OpenItems { principal: run.principal_open, ..OpenItems::default() }
        } else {
            OpenItems {
                costs: costs_due - run.paid.costs,
                interest: interest_due,
                principal: run.principal_open,
            }
        };
        let applied = apply_367(&open, left);
        if applied.total() <= Decimal::ZERO {
            continue;
        }
        // The interest up to this day is settled as of this day: later interest runs on what
        // principal is left, in a new period.
        run.interest.append(&mut previews[i]);
        run.accrued_until = run.accrued_until.max(day);
        run.principal_open -= applied.principal;
        run.paid.add(applied);
        left -= applied.total();
        let rule = if candidates[i].stated { AllocationRule::Stated } else { AllocationRule::DueFirst };
        allocations.push(Allocation { invoice: account.claims[i].invoice.clone(), rule, applied });
    }
    Ok(PaymentApplication {
        received_on: day,
        amount: payment.amount,
        for_invoice: payment.for_invoice.clone(),
        reduces_principal: payment.reduces_principal,
        allocations,
        unapplied: left.max(ZERO_CENTS),
    })
}

fn totals(claims: &[ClaimBreakdown], payments: &[PaymentApplication]) -> Totals {
    let mut t = Totals {
        principal: ZERO_CENTS,
        fees: ZERO_CENTS,
        interest: ZERO_CENTS,
        paid: Applied::default(),
        open: OpenItems::default(),
        total: ZERO_CENTS,
        unapplied: payments.iter().map(|p| p.unapplied).sum(),
    };
    for c in claims {
        t.principal += c.principal;
        t.fees += c.fees.iter().map(|f| f.owed).sum::<Decimal>();
        t.interest += c.interest.iter().map(|p| p.amount).sum::<Decimal>();
        t.paid.add(c.paid);
        t.open.costs += c.open.costs;
        t.open.interest += c.open.interest;
        t.open.principal += c.open.principal;
    }
    t.total = t.open.total();
    t
}

fn notes(claims: &[ClaimBreakdown], payments: &[PaymentApplication], as_of: NaiveDate) -> Vec<Note> {
    let mut notes = Vec::new();
    let past_end =
        claims.iter().flat_map(|c| &c.interest).filter(|p| p.rate_past_table_end).min_by_key(|p| p.from);
    if let Some(p) = past_end {
        notes.push(Note::RatePastTableEnd { from: p.from, base_rate: p.base_rate });
    }
    for c in claims {
        if c.in_default.is_none() {
            notes.push(Note::NotInDefault { invoice: c.invoice.clone() });
        }
        let open = c.open.total() > Decimal::ZERO;
        if open && c.limitation.time_barred(as_of) {
            notes.push(Note::TimeBarred { invoice: c.invoice.clone(), last_day: c.limitation.last_day });
        } else if open && c.limitation.limitation_near(as_of, LIMITATION_WARNING_DAYS) {
            notes.push(Note::LimitationNear { invoice: c.invoice.clone(), last_day: c.limitation.last_day });
        }
    }
    for p in payments.iter().filter(|p| p.unapplied > Decimal::ZERO) {
        notes.push(Note::Overpaid { received_on: p.received_on, amount: p.unapplied });
    }
    notes
}
