//! The decision for one due case: which stage comes next, which channels and hours are allowed,
//! what the policy picks among them, and when the case is due again. Pure: [`super::plan`] calls
//! it for each case it claimed, inside that transaction.

use super::calendar;
use super::policy::{DecisionRequest, Policy};
use crate::domain::{ChannelKind, DebtorKind, DunningPlan, Invalid, PlanBook, PolicyVersion};
use crate::store::{CaseDecision, DueCase, NewReminder};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub struct Planner {
    plans: PlanBook,
    policy: Arc<dyn Policy>,
}

impl Planner {
    pub fn new(plans: PlanBook, policy: Arc<dyn Policy>) -> Self {
        Self { plans, policy }
    }

    /// The version of the policy decisions are made with right now.
    pub fn policy_version(&self) -> PolicyVersion {
        self.policy.version()
    }

    /// The plan the case follows: the one it names, or, should that have been removed from the
    /// configuration after intake, the segment's default.
    fn plan_of(&self, case: &DueCase) -> Result<&DunningPlan, Invalid> {
        self.plans
            .get(case.plan.as_str())
            .or_else(|_| self.plans.resolve(&case.tenant, case.debtor.kind, None))
    }

    pub fn decide(&self, case: &DueCase, now: DateTime<Utc>) -> CaseDecision {
        let plan = match self.plan_of(case) {
            Ok(plan) => plan,
            Err(error) => {
                tracing::error!(case_id = case.case_id, %error, "no plan applies; retrying in a day");
                return CaseDecision::Wait { until: now + Duration::days(1) };
            }
        };
        let index = case.stages_planned as usize;
        let gap_days = plan.stage(index).map_or(plan.escalate_after_days, |next| next.wait_days);
        if let Some(until) = waiting_for_previous_stage(case, index, gap_days, now) {
            return CaseDecision::Wait { until };
        }
        let Some(stage) = plan.stage(index) else {
            return CaseDecision::Escalate;
        };
        let channels = allowed_channels(&stage.channels, &stage.fallback, &reachable(case, now));
        if channels.is_empty() {
            return CaseDecision::Escalate;
        }
        CaseDecision::Remind(self.remind(case, plan, index, &channels, now))
    }

    /// A reminder of the case's current stage (the last one planned) on `channel`, chosen by an
    /// operator: allowed exactly when the planner could have offered that channel for that stage
    /// now (the plan's channels or, when none of those reaches the debtor, its fallback;
    /// reachable; consented; Messenger's window open). The policy picks the hour among the
    /// allowed ones, so quiet hours and business days hold; the decision is logged with the one
    /// channel as all that was allowed.
    pub fn resend(
        &self,
        case: &DueCase,
        channel: ChannelKind,
        now: DateTime<Utc>,
    ) -> Result<NewReminder, ResendRefused> {
        let plan = self.plan_of(case).map_err(|e| ResendRefused::NoPlan(e.to_string()))?;
        let index = (case.stages_planned as usize).checked_sub(1).ok_or(ResendRefused::NothingPlanned)?;
        let stage = plan.stage(index).ok_or(ResendRefused::NoSuchStage(index + 1))?;
        if !stage.channels.contains(&channel) && !stage.fallback.contains(&channel) {
            return Err(ResendRefused::NotInPlan { stage: index + 1 });
        }
        if !case.debtor.reachable_channels().contains(&channel) {
            return Err(ResendRefused::Unreachable);
        }
        if !case.consents.permits(channel) {
            return Err(ResendRefused::NoConsent);
        }
        if channel == ChannelKind::Messenger && !messenger_window_open(case, now) {
            return Err(ResendRefused::MessengerWindowClosed);
        }
        if !allowed_channels(&stage.channels, &stage.fallback, &reachable(case, now)).contains(&channel) {
            return Err(ResendRefused::FallbackOnly { stage: index + 1 });
        }
        Ok(self.remind(case, plan, index, &[channel], now))
    }

    /// The reminder of stage `index` on one of `channels` (allowed, never empty), at the hour and
    /// on the channel the policy picks.
    fn remind(
        &self,
        case: &DueCase,
        plan: &DunningPlan,
        index: usize,
        channels: &[ChannelKind],
        now: DateTime<Utc>,
    ) -> NewReminder {
        let stage = &plan.stages[index];
        let hours = calendar::allowed_hours();
        let context = context(case, index, now);
        let debtor = crate::runtime::events::learner_debtor_key(&case.tenant, &case.debtor.id);
        let decision = self.policy.decide(&DecisionRequest {
            debtor: &debtor,
            context: &context,
            channels,
            hours: &hours,
            amount: open_amount(case),
            last_stage: plan.stage(index + 1).is_none(),
        });
        let country = case.debtor.country().map(|c| c.as_str());
        let send_at = calendar::next_send_time(now, case.debtor.timezone.tz(), country, decision.hour);
        let wait_days = plan.stage(index + 1).map_or(plan.escalate_after_days, |next| next.wait_days);
        NewReminder {
            stage: index as u32,
            stage_name: stage.name.clone(),
            tone: stage.tone,
            fee: stage.fee,
            channel: decision.channel,
            send_at,
            send_by: super::catch_up::send_by(send_at, case.debtor.timezone.tz()),
            local_hour: decision.hour,
            context: Value::Object(context),
            allowed: json!({
                "channels": channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "hours": hours,
            }),
            propensity: decision.propensity,
            policy_version: decision.policy_version,
            next_action_at: send_at + Duration::days(i64::from(wait_days)),
            instalment: 0,
            escalates_after_days: plan.stage(index + 1).is_none().then_some(plan.escalate_after_days),
        }
    }
}

/// Why an operator's resend on a channel is refused: each says what the planner would not offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResendRefused {
    #[error("no stage was planned yet: the scheduler plans the first reminder")]
    NothingPlanned,
    #[error("the case's plan has no stage {0} (was the plan switched?)")]
    NoSuchStage(usize),
    #[error("no plan applies to the case: {0}")]
    NoPlan(String),
    #[error("stage {stage} of the case's plan does not allow this channel")]
    NotInPlan { stage: usize },
    #[error("stage {stage} allows this channel only as a fallback, and one of its own channels reaches the debtor")]
    FallbackOnly { stage: usize },
    #[error(
        "the debtor has no address on this channel (or it is known to be dead, or WhatsApp lacks an opt-in)"
    )]
    Unreachable,
    #[error("the debtor opted out of this channel")]
    NoConsent,
    #[error("Messenger delivers only within 24 hours of the debtor's last message, which would close before the reminder goes out")]
    MessengerWindowClosed,
}

/// The channels the case's debtor can be reached on now: an address, consent (a channel the
/// debtor opted out of is never offered, not even as the fallback when none of the stage's
/// channels is reachable), and for Messenger an open window.
fn reachable(case: &DueCase, now: DateTime<Utc>) -> Vec<ChannelKind> {
    case.debtor
        .reachable_channels()
        .into_iter()
        .filter(|c| case.consents.permits(*c))
        .filter(|c| *c != ChannelKind::Messenger || messenger_window_open(case, now))
        .collect()
}

/// How close to its due moment a stage may be planned anyway: the gap is counted in days, and
/// the reminder goes out at the policy's hour after it, so a few seconds of dispatch lag must
/// not cost a second planning round.
const GAP_TOLERANCE: Duration = Duration::hours(1);

/// The plan's gap before stage `index` (or before escalation) runs from the previous stage's
/// actual send, not from its planned time: while a reminder of the case is still to go out
/// (re-timed after downtime, retrying a provider error) the case waits and looks again in an
/// hour; once sent, it waits until `gap_days` after the send. The first stage's gap runs from
/// the case's opening (the invoice's receipt). `None`: plan now.
fn waiting_for_previous_stage(
    case: &DueCase,
    index: usize,
    gap_days: u32,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if index == 0 {
        let ready = case.opened_at + Duration::days(i64::from(gap_days));
        return (ready > now + GAP_TOLERANCE).then_some(ready);
    }
    if case.reminder_pending {
        return Some(now + Duration::hours(1));
    }
    let ready = case.last_sent_at? + Duration::days(i64::from(gap_days));
    (ready > now + GAP_TOLERANCE).then_some(ready)
}

/// The stage's channels the debtor can be reached on, in the stage's order; when none of them
/// is reachable, the stage's fallback channels that are. The plan binds: no other channel is
/// ever offered, and an empty answer escalates the case.
fn allowed_channels(
    stage: &[ChannelKind],
    fallback: &[ChannelKind],
    reachable: &[ChannelKind],
) -> Vec<ChannelKind> {
    let reachable_of = |list: &[ChannelKind]| -> Vec<ChannelKind> {
        list.iter().copied().filter(|c| reachable.contains(c)).collect()
    };
    let preferred = reachable_of(stage);
    if preferred.is_empty() {
        reachable_of(fallback)
    } else {
        preferred
    }
}

/// Messenger delivers a business's message only within 24 hours of the person's last message to
/// the page, and no message tag covers a payment reminder. So Messenger is offered only when the
/// reminder would go out inside that window whichever allowed hour the policy picks.
fn messenger_window_open(case: &DueCase, now: DateTime<Utc>) -> bool {
    let Some(wrote) = case.messenger_inbound_at else { return false };
    let closes = wrote + Duration::hours(24);
    let country = case.debtor.country().map(|c| c.as_str());
    let tz = case.debtor.timezone.tz();
    calendar::allowed_hours()
        .into_iter()
        .all(|hour| calendar::next_send_time(now, tz, country, hour) < closes)
}

fn open_amount(case: &DueCase) -> f64 {
    (case.amount_due.amount() - case.amount_paid).try_into().unwrap_or(0.0)
}

/// The features logged with a decision and offered to the policy: what the creditor knows about
/// this case and debtor, never anything learned.
fn context(case: &DueCase, stage: usize, now: DateTime<Utc>) -> Map<String, Value> {
    let amount = open_amount(case);
    let days_overdue = (now.date_naive() - case.due_on).num_days().max(0);
    let segment = match case.debtor.kind {
        DebtorKind::Consumer => "b2c",
        DebtorKind::Business => "b2b",
    };
    let mut context = Map::new();
    context.insert("tenant".into(), json!(case.tenant.as_str()));
    context.insert("stage".into(), json!(stage + 1));
    context.insert("amount".into(), json!(amount));
    context.insert("days_overdue".into(), json!(days_overdue));
    context.insert("segment".into(), json!(segment));
    context.insert("language".into(), json!(case.debtor.language.primary()));
    context.insert("currency".into(), json!(case.amount_due.currency().code()));
    if let Some(country) = case.debtor.country() {
        context.insert("country".into(), json!(country.as_str()));
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    #[test]
    fn channels_keep_stage_order_and_fall_back_only_as_the_plan_says() {
        use ChannelKind::*;
        assert_eq!(allowed_channels(&[Letter, Email], &[], &[Email, Sms, Letter]), vec![Letter, Email]);
        assert_eq!(allowed_channels(&[Email], &[Letter, Sms], &[Sms]), vec![Sms]);
        assert!(allowed_channels(&[Email], &[], &[Sms]).is_empty(), "no fallback: the case escalates");
        assert!(allowed_channels(&[Email], &[Letter], &[]).is_empty());
    }

    fn channels() -> impl Strategy<Value = Vec<ChannelKind>> {
        proptest::sample::subsequence(ChannelKind::ALL.to_vec(), 0..=5).prop_shuffle()
    }

    proptest! {
        /// No reminder is ever offered on a channel its stage does not allow (in `channels`, or in
        /// `fallback` when none of those reaches the debtor), nor on one that cannot reach them.
        #[test]
        fn only_the_stage_s_channels_are_offered(stage in channels(), fallback in channels(), reachable in channels()) {
            let offered = allowed_channels(&stage, &fallback, &reachable);
            let preferred_reachable = stage.iter().any(|c| reachable.contains(c));
            for channel in &offered {
                prop_assert!(reachable.contains(channel));
                if preferred_reachable {
                    prop_assert!(stage.contains(channel));
                } else {
                    prop_assert!(fallback.contains(channel));
                }
            }
            let any_allowed = stage.iter().chain(&fallback).any(|c| reachable.contains(c));
            prop_assert_eq!(offered.is_empty(), !any_allowed);
        }
    }
}
