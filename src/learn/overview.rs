//! The console's overview of a tenant: the statistics' figures ([`super::stats::tenant_stats`])
//! and, from the same facts, what the overview page adds: how many cases are in each state,
//! what was collected since the start of the month, and how the reminders sent split by channel.

use super::stats::{tenant_stats, TenantFacts, TenantStats};
use crate::domain::{CaseState, ChannelKind};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// What the overview shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub stats: TenantStats,
    /// Cases per state, every state listed (zero where none), in the state machine's order.
    pub cases_by_state: Vec<(CaseState, u64)>,
    /// The first day of the month "this month" means (UTC).
    pub month_start: NaiveDate,
    /// Paid in cash (bank, card, `invoice.paid`) since `month_start`, per currency; credits and
    /// write-offs are not collected money.
    pub collected_this_month: BTreeMap<String, Decimal>,
    /// Reminders sent per channel, every channel listed, in the channels' order.
    pub channel_mix: Vec<(ChannelKind, u64)>,
}

/// The overview at `now` from the facts `tenant_stats` takes.
pub fn overview(
    facts: &TenantFacts,
    costs_eur: &BTreeMap<ChannelKind, f64>,
    learner_version: Option<i64>,
    now: DateTime<Utc>,
) -> Overview {
    let stats = tenant_stats(facts, costs_eur, learner_version);
    let cases_by_state = CaseState::ALL
        .into_iter()
        .map(|state| (state, facts.cases.iter().filter(|c| c.state == state).map(|c| c.cases).sum()))
        .collect();
    let today = now.date_naive();
    let month_start = today.with_day(1).unwrap_or(today);
    let mut collected_this_month = BTreeMap::new();
    // The payments come added up per month: those of a month starting at or after this one's.
    let this_month = facts.payments.iter().filter(|p| p.source.is_cash() && p.month >= month_start);
    for payments in this_month {
        *collected_this_month.entry(payments.currency.clone()).or_insert(Decimal::ZERO) += payments.amount;
    }
    let channel_mix = ChannelKind::ALL
        .into_iter()
        .map(|channel| {
            (channel, facts.sent.iter().filter(|s| s.channel == channel.as_str()).map(|s| s.sent).sum())
        })
        .collect();
    Overview { stats, cases_by_state, month_start, collected_this_month, channel_mix }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentSource;
    use crate::store::tenant_stats::{CaseAmounts, PaymentSums, SentFact};
    use chrono::TimeZone;

    #[test]
    fn states_month_and_channels_are_counted_from_the_facts() {
        let case = |state, cases| CaseAmounts {
            state,
            currency: "EUR".into(),
            cases,
            amount_due: Decimal::new(100, 0) * Decimal::from(cases),
            amount_paid: Decimal::ZERO,
        };
        let cases = vec![case(CaseState::Reminding, 2), case(CaseState::Paid, 1)];
        let pay = |source, amount, month| PaymentSums {
            source,
            currency: "EUR".into(),
            month: NaiveDate::from_ymd_opt(2026, month, 1).unwrap(),
            amount: Decimal::new(amount, 0),
            amount_days: Decimal::ZERO,
        };
        let payments = vec![
            pay(PaymentSource::Bank, 30, 11),
            pay(PaymentSource::Stripe, 20, 12),
            pay(PaymentSource::Bank, 5, 12),
            pay(PaymentSource::Credit, 7, 12),
        ];
        let sent = |channel: &str, sent| SentFact {
            stage: 1,
            channel: channel.into(),
            local_hour: 10,
            reward: None,
            sent,
        };
        let sent = vec![sent("email", 2), sent("sms", 1)];
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let facts = TenantFacts { as_of: now, cases, payments, sent, earned: Vec::new() };
        let view = overview(&facts, &BTreeMap::new(), None, now);
        assert_eq!(view.month_start, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(view.collected_this_month.get("EUR"), Some(&Decimal::new(25, 0)), "cash since the 1st");
        let count = |state| view.cases_by_state.iter().find(|(s, _)| *s == state).unwrap().1;
        assert_eq!((count(CaseState::Reminding), count(CaseState::Paid), count(CaseState::Open)), (2, 1, 0));
        assert_eq!(view.cases_by_state.len(), CaseState::ALL.len());
        let sent_on = |c| view.channel_mix.iter().find(|(k, _)| *k == c).unwrap().1;
        assert_eq!(
            (sent_on(ChannelKind::Email), sent_on(ChannelKind::Sms), sent_on(ChannelKind::Letter)),
            (2, 1, 0)
        );
    }
}
