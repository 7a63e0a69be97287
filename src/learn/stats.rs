//! A tenant's figures for the console (`GET /api/v1/stats`), computed from the facts the store
//! reads ([`crate::store::tenant_stats`]):
//! - **open**: what is still owed on cases that are not closed, per currency;
//! - **collected**: money paid (not credits or write-offs), per currency; credits and write-offs
//!   beside it;
//! - **DSO** (days sales outstanding, as a collector counts it): the days from an invoice's
//!   issue to the money paid for it, averaged weighted by amount, over every payment in money;
//! - **paid share** by stage, channel and local hour: of the sent reminders whose outcome is
//!   known, the share that earned a payment (reward 1: paid within the attribution window);
//! - **channel cost per collected euro**: what the channel's sent reminders cost (`[learn]
//!   costs_eur`) over the euros paid on the cases whose payment one of them earned;
//! - the learner's current version (the newest policy snapshot), as reminders record it.

use crate::domain::{ChannelKind, PaymentSource};
use crate::store::tenant_stats::{CaseAmounts, EarnedFact, PaymentSums, SentFact};
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The currency channel costs are set and compared in (`[learn] costs_eur`).
pub const COST_CURRENCY: &str = "EUR";

/// The sources of money paid (not credits or write-offs): what counts as collected.
pub fn cash_sources() -> Vec<PaymentSource> {
    PaymentSource::ALL.into_iter().filter(|s| s.is_cash()).collect()
}

/// What a tenant's figures are computed from, as the store reads it
/// ([`crate::store::tenant_stats`]); `earned` with [`COST_CURRENCY`] and [`cash_sources`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantFacts {
    /// When they were read: the figures are as of this moment.
    pub as_of: DateTime<Utc>,
    pub cases: Vec<CaseAmounts>,
    pub payments: Vec<PaymentSums>,
    pub sent: Vec<SentFact>,
    pub earned: Vec<EarnedFact>,
}

/// Sent reminders of one kind, and how many earned a payment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct PaidShare {
    pub sent: u64,
    /// Whose outcome is known (the attribution window closed or a payment came).
    pub settled: u64,
    /// That earned a payment.
    pub paid: u64,
    /// `paid / settled`; absent while nothing is settled.
    pub share: Option<f64>,
}

/// What one channel cost and brought.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ChannelCost {
    pub sent: u64,
    /// `sent` times the channel's cost per message.
    pub cost_eur: f64,
    /// Euros paid on the cases whose payment a reminder on this channel earned.
    #[schema(value_type = String)]
    pub collected_eur: Decimal,
    /// `cost_eur / collected_eur`; absent while nothing was collected.
    pub cost_per_collected_euro: Option<f64>,
}

/// A tenant's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct TenantStats {
    /// The moment the figures are as of: the tenant's summary is read in the background every
    /// `[console] summary_refresh_secs` (and once on the first call for a tenant), so what
    /// happened since is not in them yet. The learner's version is current.
    pub as_of: DateTime<Utc>,
    pub cases: u64,
    pub open_cases: u64,
    /// Still owed on cases that are not closed, per currency.
    #[schema(value_type = Object)]
    pub open: BTreeMap<String, Decimal>,
    /// Money paid, per currency.
    #[schema(value_type = Object)]
    pub collected: BTreeMap<String, Decimal>,
    #[schema(value_type = Object)]
    pub credited: BTreeMap<String, Decimal>,
    #[schema(value_type = Object)]
    pub written_off: BTreeMap<String, Decimal>,
    /// Days from issue to payment, weighted by amount; absent before the first payment.
    pub dso_days: Option<f64>,
    pub paid_share_by_stage: BTreeMap<String, PaidShare>,
    pub paid_share_by_channel: BTreeMap<String, PaidShare>,
    /// By the debtor's local hour the reminder was planned for (`"0"` to `"23"`).
    pub paid_share_by_hour: BTreeMap<String, PaidShare>,
    pub channel_cost: BTreeMap<String, ChannelCost>,
    /// The newest policy snapshot (`bandit-v7`), as reminders record their policy version;
    /// absent while the learner has written none.
    pub learner_version: Option<String>,
}

/// The figures from the facts; `costs_eur` per message and channel, `learner_version` the
/// newest snapshot's.
pub fn tenant_stats(
    facts: &TenantFacts,
    costs_eur: &BTreeMap<ChannelKind, f64>,
    learner_version: Option<i64>,
) -> TenantStats {
    let mut stats = TenantStats {
        as_of: facts.as_of,
        cases: facts.cases.iter().map(|group| group.cases).sum(),
        learner_version: learner_version.map(|v| format!("bandit-v{v}")),
        ..TenantStats::default()
    };
    for group in facts.cases.iter().filter(|c| !c.state.is_final()) {
        stats.open_cases += group.cases;
        // A group's cases are all paid beyond their amount or none: it owes its difference, or
        // nothing (never less).
        let open = (group.amount_due - group.amount_paid).max(Decimal::ZERO);
        *stats.open.entry(group.currency.clone()).or_default() += open;
    }
    stats.dso_days = dso_days(&facts.payments);
    for payments in &facts.payments {
        let sums = match payments.source {
            PaymentSource::Credit => &mut stats.credited,
            PaymentSource::WriteOff => &mut stats.written_off,
            PaymentSource::Amqp | PaymentSource::Bank | PaymentSource::Stripe => &mut stats.collected,
        };
        *sums.entry(payments.currency.clone()).or_default() += payments.amount;
    }
    for reminders in &facts.sent {
        let earned = reminders.reward == Some(1.0);
        let n = reminders.sent;
        for (shares, key) in [
            (&mut stats.paid_share_by_stage, reminders.stage.to_string()),
            (&mut stats.paid_share_by_channel, reminders.channel.clone()),
            (&mut stats.paid_share_by_hour, reminders.local_hour.to_string()),
        ] {
            let share = shares.entry(key).or_default();
            share.sent += n;
            share.settled += if reminders.reward.is_some() { n } else { 0 };
            share.paid += if earned { n } else { 0 };
        }
        let cost = stats.channel_cost.entry(reminders.channel.clone()).or_default();
        cost.sent += n;
        let per_message =
            reminders.channel.parse::<ChannelKind>().ok().and_then(|c| costs_eur.get(&c).copied());
        cost.cost_eur += per_message.unwrap_or(0.0) * n as f64;
    }
    for brought in &facts.earned {
        stats.channel_cost.entry(brought.channel.clone()).or_default().collected_eur += brought.amount_eur;
    }
    let all_shares =
        [&mut stats.paid_share_by_stage, &mut stats.paid_share_by_channel, &mut stats.paid_share_by_hour];
    for shares in all_shares {
        for share in shares.values_mut() {
            share.share = (share.settled > 0).then(|| share.paid as f64 / share.settled as f64);
        }
    }
    for cost in stats.channel_cost.values_mut() {
        cost.collected_eur = money(cost.collected_eur);
        let collected = cost.collected_eur.to_f64().unwrap_or(0.0);
        cost.cost_per_collected_euro = (collected > 0.0).then(|| cost.cost_eur / collected);
    }
    for sums in [&mut stats.open, &mut stats.collected, &mut stats.credited, &mut stats.written_off] {
        for sum in sums.values_mut() {
            *sum = money(*sum);
        }
    }
    stats
}

/// An amount as money is written: no trailing zeros beyond two decimals (`129.90`, `0.00`).
fn money(amount: Decimal) -> Decimal {
    let mut amount = amount.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}

/// DSO over `payments`: the days from each invoice's issue to a payment in money for it (credits
/// and write-offs are no money), averaged weighted by the amount paid, to one decimal; `None`
/// without a payment in money. The days times the amounts come added up from the store
/// ([`PaymentSums::amount_days`]). The overview's trend applies it to each month's payments.
pub fn dso_days<'a>(payments: impl IntoIterator<Item = &'a PaymentSums>) -> Option<f64> {
    let (mut weighted_days, mut weight) = (Decimal::ZERO, Decimal::ZERO);
    for sums in payments.into_iter().filter(|p| p.source.is_cash()) {
        weighted_days += sums.amount_days;
        weight += sums.amount;
    }
    if weight <= Decimal::ZERO {
        return None;
    }
    (weighted_days / weight).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero).to_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CaseState;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn dec(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    #[test]
    fn counted_reminders_count_as_many() {
        let facts = TenantFacts {
            sent: vec![SentFact {
                stage: 1,
                channel: "sms".into(),
                local_hour: 18,
                reward: Some(1.0),
                sent: 3,
            }],
            ..TenantFacts::default()
        };
        let costs = BTreeMap::from([(ChannelKind::Sms, 0.08)]);
        let stats = tenant_stats(&facts, &costs, None);
        let by_hour = &stats.paid_share_by_hour["18"];
        assert_eq!((by_hour.sent, by_hour.settled, by_hour.paid, by_hour.share), (3, 3, 3, Some(1.0)));
        assert!((stats.channel_cost["sms"].cost_eur - 0.24).abs() < 1e-12);
        assert_eq!(cash_sources(), [PaymentSource::Amqp, PaymentSource::Bank, PaymentSource::Stripe]);
    }

    #[test]
    fn figures_from_facts() {
        let case = |state, cases, due: &str, paid: &str| CaseAmounts {
            state,
            currency: "EUR".into(),
            cases,
            amount_due: dec(due),
            amount_paid: dec(paid),
        };
        // Two reminding cases owing 60 and 20, a paid one, and one paid beyond its amount (owes
        // nothing, and takes nothing from the others).
        let cases = [
            case(CaseState::Reminding, 2, "120", "40"),
            case(CaseState::Paid, 1, "50", "50"),
            case(CaseState::Reminding, 1, "10", "15"),
        ];
        // Issued on 1 January, paid on the day given.
        let pay = |source, amount: &str, day: i64| PaymentSums {
            source,
            currency: "EUR".into(),
            month: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            amount: dec(amount),
            amount_days: dec(amount) * Decimal::from(day - 1),
        };
        let payments = vec![
            pay(PaymentSource::Bank, "30", 11),
            pay(PaymentSource::Credit, "10", 12),
            pay(PaymentSource::Stripe, "50", 21),
        ];
        let sent = |stage, channel: &str, reward, sent| SentFact {
            stage,
            channel: channel.into(),
            local_hour: 9,
            reward,
            sent,
        };
        let reminders =
            vec![sent(1, "email", Some(0.0), 1), sent(1, "sms", Some(1.0), 1), sent(2, "sms", None, 1)];
        let earned = vec![EarnedFact { channel: "sms".into(), amount_eur: dec("50") }];
        let as_of = Utc.with_ymd_and_hms(2026, 1, 22, 8, 0, 0).unwrap();
        let facts = TenantFacts { as_of, cases: cases.to_vec(), payments, sent: reminders, earned };
        let costs = BTreeMap::from([(ChannelKind::Email, 0.0), (ChannelKind::Sms, 0.08)]);
        let stats = tenant_stats(&facts, &costs, Some(7));
        assert_eq!((stats.cases, stats.open_cases, stats.as_of), (4, 3, as_of));
        assert_eq!(stats.open["EUR"], dec("80"));
        assert_eq!((stats.collected["EUR"], stats.credited["EUR"]), (dec("80"), dec("10")));
        // (10 days x 30 + 20 days x 50) / 80
        assert_eq!(stats.dso_days, Some(16.3));
        let first = &stats.paid_share_by_stage["1"];
        assert_eq!((first.sent, first.settled, first.paid, first.share), (2, 2, 1, Some(0.5)));
        assert_eq!(stats.paid_share_by_stage["2"].share, None, "nothing settled yet");
        let sms = &stats.channel_cost["sms"];
        assert_eq!((sms.sent, sms.collected_eur), (2, dec("50")));
        assert!((sms.cost_per_collected_euro.unwrap() - 0.16 / 50.0).abs() < 1e-12);
        assert_eq!(stats.channel_cost["email"].cost_per_collected_euro, None);
        assert_eq!(stats.learner_version.as_deref(), Some("bandit-v7"));
    }
}
