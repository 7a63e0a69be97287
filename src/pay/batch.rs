//! Recording payments as a batch inside one transaction: the cases of the invoices named are
//! locked (in id order) and their payments read, each payment is decided in memory by
//! [`super::rule`] against its case as the batch's earlier payments left it, and
//! [`PaymentBatch::write`] then stores what was decided with a few statements for the whole
//! batch, whatever its size. One payment alone is a batch of one ([`super::record_payment`]),
//! so every payment takes this path and the same rule. How each payment is applied (§§ 366,
//! 367 BGB) is stored with it, as the legal engine computes it (`super::allocations`).

use super::rule::{self, Booking, Decision};
use super::{PaymentOutcome, PaymentRecord};
use crate::domain::legal::TenantLaw;
use crate::domain::{AttributionWindow, CaseState, InvoiceNumber, PaymentSource, PromiseState, TenantId};
use crate::runtime::{Event, EventBody, NewEvent};
use crate::store::payments::RecordedPayment;
use crate::store::tx::{CaseUpdate, LockedCase, NewPayment, UnsettledReminder};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

/// An invoice by its tenant and number.
type InvoiceKey = (TenantId, InvoiceNumber);

/// Payments decided and not written yet, with the cases they were decided against.
pub struct PaymentBatch<'a> {
    window: AttributionWindow,
    /// The law each tenant's payments are applied under.
    law: &'a TenantLaw,
    now: DateTime<Utc>,
    /// Every invoice looked up: its case as the batch's payments left it; `None` when the
    /// tenant has no such invoice.
    cases: HashMap<InvoiceKey, Option<LockedCase>>,
    /// The payments on those invoices, stored or in this batch.
    recorded: HashSet<RecordedPayment>,
    booked: Vec<Booked>,
}

/// A payment to write.
struct Booked {
    payment: PaymentRecord,
    invoice_id: i64,
    booking: Booking,
    /// The case row it closes, as it is written back.
    closes: Option<CaseUpdate>,
    /// The case was paused when the payment came: it may be paying an instalment plan.
    paused: bool,
    /// The case's stages planned: none, and no reminder can have been sent.
    stages_planned: u32,
    /// The debtor named this invoice (§ 366 (1) BGB); false for a part of a payment that named
    /// none and was split over the debtor's invoices under § 366 (2) ([`Self::add_unnamed`]).
    named: bool,
}

impl<'a> PaymentBatch<'a> {
    /// An empty batch whose payments credit reminders within `window`, are applied under each
    /// tenant's `law` and are recorded at `now`.
    pub fn new(window: AttributionWindow, law: &'a TenantLaw, now: DateTime<Utc>) -> Self {
        Self { window, law, now, cases: HashMap::new(), recorded: HashSet::new(), booked: Vec::new() }
    }

    /// Locks the cases of `invoices` (those not looked up yet) and reads their payments: two
    /// statements per tenant. Lock what a batch pays before adding to it: [`Self::add`] looks
    /// up an invoice it meets first on its own, out of id order.
    pub async fn lock(
        &mut self,
        tx: &mut dyn StoreTx,
        invoices: impl IntoIterator<Item = InvoiceKey>,
    ) -> Result<(), StoreError> {
        let mut by_tenant: BTreeMap<TenantId, Vec<InvoiceNumber>> = BTreeMap::new();
        for (tenant, number) in invoices {
            if !self.cases.contains_key(&(tenant.clone(), number.clone())) {
                by_tenant.entry(tenant).or_default().push(number);
            }
        }
        for (tenant, mut numbers) in by_tenant {
            numbers.sort_unstable();
            numbers.dedup();
            let found = tx.lock_cases_by_invoice(&tenant, &numbers).await?;
            let invoice_ids: Vec<i64> = found.iter().map(|case| case.invoice_id).collect();
            for number in numbers {
                self.cases.insert((tenant.clone(), number), None);
            }
            for case in found {
                self.cases.insert((case.tenant.clone(), case.invoice_number.clone()), Some(case));
            }
            self.recorded.extend(tx.recorded_payments(&invoice_ids).await?);
        }
        Ok(())
    }

    /// `tenant`'s invoice `number` as the batch's payments left it, if it was looked up and exists.
    pub fn case(&self, tenant: &TenantId, number: &InvoiceNumber) -> Option<&LockedCase> {
        self.cases.get(&(tenant.clone(), number.clone()))?.as_ref()
    }

    /// Decides `payment` against its case as it stands in the batch (looking the invoice up
    /// first when the batch has not) and keeps it for [`Self::write`].
    pub async fn add(
        &mut self,
        tx: &mut dyn StoreTx,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, StoreError> {
        self.add_as(tx, payment, true).await
    }

    /// As [`Self::add`], for the part of a payment naming no invoice that the legal engine
    /// applied to this one under § 366 (2) BGB (`domain::legal::unnamed_payment_over`): the same
    /// rule, and its allocation is stored as `due_first` rather than `stated`.
    pub async fn add_unnamed(
        &mut self,
        tx: &mut dyn StoreTx,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, StoreError> {
        self.add_as(tx, payment, false).await
    }

    async fn add_as(
        &mut self,
        tx: &mut dyn StoreTx,
        payment: &PaymentRecord,
        named: bool,
    ) -> Result<PaymentOutcome, StoreError> {
        let key = (payment.tenant.clone(), payment.invoice_number.clone());
        if !self.cases.contains_key(&key) {
            self.lock(tx, [key.clone()]).await?;
        }
        let case = self.cases.get_mut(&key).and_then(Option::as_mut);
        let decision = rule::decide(case.as_deref(), payment, &self.recorded);
        let outcome = decision.outcome();
        if let (Decision::Record(booking), Some(case)) = (decision, case) {
            self.recorded.insert(rule::key(case, payment));
            let closes = booking.closes.map(|state| CaseUpdate {
                case_id: case.case_id,
                state,
                stages_planned: case.stages_planned,
                next_action_at: None,
                updated_at: payment.paid_at,
            });
            let paused = case.state == CaseState::Paused;
            booking.apply_to(case);
            self.booked.push(Booked {
                payment: payment.clone(),
                invoice_id: case.invoice_id,
                booking: *booking,
                closes,
                paused,
                stages_planned: case.stages_planned,
                named,
            });
        }
        Ok(outcome)
    }

    /// Stores the batch's payments and what they do: the payments, the invoices' paid amounts,
    /// the cases they close (their pending reminders cancelled, queued for the post-payment
    /// hooks, promises kept, instalment plans completed, reminders credited) and the events, in
    /// the order recording them one by one writes them.
    #[tracing::instrument(name = "record_payments", skip_all, fields(payments = self.booked.len()))]
    pub async fn write(self, tx: &mut dyn StoreTx) -> Result<(), StoreError> {
        if self.booked.is_empty() {
            return Ok(());
        }
        let payments: Vec<NewPayment> = self
            .booked
            .iter()
            .map(|b| NewPayment {
                tenant: &b.payment.tenant,
                invoice_id: b.invoice_id,
                amount: b.booking.amount,
                paid_at: b.payment.paid_at,
                source: b.payment.source,
                reference: &b.payment.reference,
                recorded_at: self.now,
            })
            .collect();
        let payment_ids = tx.insert_payments(&payments).await?;
        let booked = self.booked_payments();
        let allocated = super::allocations::allocate(tx, self.law, &booked, self.now).await?;
        tx.insert_allocations(&allocated.rows(&payment_ids)?).await?;
        tx.fix_default_dates(&allocated.defaults).await?;
        count(&self.booked);
        // Each invoice's last paid amount is its paid amount after the whole batch.
        let paid: BTreeMap<i64, Decimal> =
            self.booked.iter().map(|b| (b.invoice_id, b.booking.paid)).collect();
        tx.set_amounts_paid(&paid.into_iter().collect::<Vec<_>>()).await?;
        let mut closing = close_cases(tx, &self.booked, self.window, self.now).await?;
        // A part payment on a paused case may cover instalments of its plan: their reminders
        // still to go out are cancelled (only a paused case can be on a plan).
        for booked in self.booked.iter().filter(|b| b.paused && b.closes.is_none()) {
            let case_id = booked.booking.recorded.case_id;
            super::instalments::cancel_paid_reminders(tx, case_id, booked.booking.paid, self.now).await?;
        }
        let mut events = Vec::with_capacity(self.booked.len());
        for booked in &self.booked {
            events.push(NewEvent::from(&booked.booking.recorded));
            if let Some(closed) = booked.closes.as_ref().and_then(|c| closing.remove(&c.case_id)) {
                let closed = rule::closing_events(
                    &booked.booking.recorded,
                    closed.kept_promise,
                    closed.completed_plan,
                    closed.outcomes,
                );
                events.extend(closed.iter().map(NewEvent::from));
            }
        }
        tx.append_events(&events).await
    }
}

impl PaymentBatch<'_> {
    /// The booked payments as the allocation reads them, in the order recorded.
    fn booked_payments(&self) -> Vec<super::allocations::BookedPayment<'_>> {
        self.booked
            .iter()
            .map(|b| super::allocations::BookedPayment {
                payment: &b.payment,
                case_id: b.booking.recorded.case_id,
                invoice_id: b.invoice_id,
                amount: b.booking.amount.amount(),
                paid_before: b.booking.paid - b.booking.amount.amount(),
                stages_planned: b.stages_planned,
                named: b.named,
            })
            .collect()
    }
}

/// What the store said when a batch's cases closed.
#[derive(Default)]
struct Closed {
    kept_promise: Option<NaiveDate>,
    completed_plan: bool,
    /// `reminder.outcome` of each reminder credited, in id order.
    outcomes: Vec<Event>,
}

/// Closes the cases `booked` closes, by case id.
async fn close_cases(
    tx: &mut dyn StoreTx,
    booked: &[Booked],
    window: AttributionWindow,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Closed>, StoreError> {
    let updates: Vec<CaseUpdate> = booked.iter().filter_map(|b| b.closes).collect();
    if updates.is_empty() {
        return Ok(HashMap::new());
    }
    // What closed each case: money, or the creditor's credit or write-off.
    let closed_by: HashMap<i64, PaymentSource> =
        booked.iter().filter_map(|b| Some((b.closes?.case_id, b.payment.source))).collect();
    let paid_at: Vec<(i64, DateTime<Utc>)> = updates.iter().map(|u| (u.case_id, u.updated_at)).collect();
    let case_ids: Vec<i64> = updates.iter().map(|u| u.case_id).collect();
    tx.save_cases(&updates).await?;
    tx.cancel_pending_reminders_of(&paid_at).await?;
    // The post-payment hooks (`crate::hooks`) run after this commits, from this outbox: once per
    // case that money closed, whichever source paid it (a credit or write-off thanks no one).
    let paid_in_cash: Vec<(i64, DateTime<Utc>)> =
        paid_at.iter().copied().filter(|(case_id, _)| closed_by[case_id].is_cash()).collect();
    tx.queue_paid_cases(&paid_in_cash).await?;
    let mut closed: HashMap<i64, Closed> = case_ids.iter().map(|&id| (id, Closed::default())).collect();
    for (case_id, promised_on) in tx.end_promises(&case_ids, PromiseState::Kept, now).await? {
        closed.entry(case_id).or_default().kept_promise = Some(promised_on);
    }
    for case_id in tx.end_instalment_plans(&case_ids, PromiseState::Kept, now).await? {
        closed.entry(case_id).or_default().completed_plan = true;
    }
    let mut unsettled: HashMap<i64, Vec<UnsettledReminder>> = HashMap::new();
    for (case_id, reminder) in tx.unsettled_reminders(&case_ids).await? {
        unsettled.entry(case_id).or_default().push(reminder);
    }
    let (mut earners, mut others) = (Vec::new(), Vec::new());
    for &(case_id, at) in &paid_at {
        let unsettled = unsettled.get(&case_id).map_or(&[][..], Vec::as_slice);
        let credit = rule::credit(unsettled, at, window, closed_by[&case_id]);
        earners.extend(credit.earner);
        others.extend(credit.others);
    }
    // Only where no outcome is set yet: a scheduler settling closed windows may have got there first.
    let mut settled = tx.set_reward(&earners, 1.0).await?;
    settled.extend(tx.set_reward(&others, 0.0).await?);
    settled.sort_unstable();
    let paid_at: HashMap<i64, DateTime<Utc>> = paid_at.into_iter().collect();
    for (subject, line) in tx.decisions(&settled).await? {
        let at = paid_at[&subject.case_id];
        let outcome = subject.event(at, EventBody::ReminderOutcome(line));
        closed.entry(outcome.case_id).or_default().outcomes.push(outcome);
    }
    Ok(closed)
}

/// Counts the batch's payments as the transaction records them: one whose commit then fails and
/// that is retried counts twice (rare: the database refusing a whole batch).
fn count(booked: &[Booked]) {
    let mut counts: HashMap<(&'static str, &TenantId), u64> = HashMap::new();
    for b in booked {
        *counts.entry((b.payment.source.as_str(), &b.payment.tenant)).or_default() += 1;
    }
    for ((source, tenant), n) in counts {
        metrics::counter!(crate::observe::names::PAYMENTS, "source" => source, "tenant" => tenant.as_str().to_owned())
            .increment(n);
    }
}
