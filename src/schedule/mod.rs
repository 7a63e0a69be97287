//! Scheduling: the database holds time. The scheduler role claims cases whose next action is
//! due, lets the [`Planner`] decide the next stage's channel and hour (transactional outbox:
//! reminder row and case update in one transaction), and dispatches reminders whose send time
//! has come to their channel's queue.

pub mod calendar;
pub mod catch_up;
pub mod dispatch;
pub mod erase;
pub mod escalate;
pub mod instalment_reminders;
pub mod lift_stop;
pub mod limitation;
pub mod pause;
pub mod plan;
pub mod planner;
pub mod policy;
pub mod replan;
pub mod reschedule;
pub mod resend;
pub mod resume;
pub mod switch_plan;

pub use catch_up::CatchUpRules;
pub use dispatch::{
    catch_up_late, dispatch_due, dispatch_with, redispatch_lost, relay_events, DispatchError,
    PublishReminders,
};
pub use instalment_reminders::instalment_reminders;
pub use limitation::warn_limitation_near;
pub use plan::{plan_due_cases, settle_outcomes, Decide, LawOf};
pub use planner::{Planner, ResendRefused};
pub use policy::{Decision, DecisionRequest, FixedPolicy, Policy};
pub use replan::replan_stage;
pub use resume::resume_broken_promises;

use crate::domain::AttributionWindow;
use crate::queue::{Queue, Topology};
use crate::runtime::Clock;
use crate::shutdown::Shutdown;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How many cases or reminders one step handles in one transaction.
pub const BATCH: u32 = 1000;

/// What one scheduler step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StepOutcome {
    pub cases_planned: usize,
    /// Reminders whose attribution window closed without a payment (reward 0).
    pub outcomes_settled: usize,
    pub reminders_dispatched: usize,
    pub events_published: usize,
}

impl StepOutcome {
    pub fn is_idle(&self) -> bool {
        self.work() == 0
    }

    fn work(&self) -> usize {
        self.cases_planned + self.outcomes_settled + self.reminders_dispatched + self.events_published
    }
}

/// The scheduler role: plan due cases, dispatch due reminders, repeat.
pub struct Scheduler {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub topology: Topology,
    pub planner: Arc<Planner>,
    pub clock: Arc<dyn Clock>,
    /// How long after a reminder a payment still counts as its success.
    pub attribution: AttributionWindow,
    /// Pause between steps when there was nothing to do.
    pub idle_poll: Duration,
    /// The grace after a promised date or an instalment's due date before dunning resumes.
    pub grace: crate::domain::PromiseRules,
    /// What happens to reminders found after their allowed window (downtime).
    pub catch_up: CatchUpRules,
    /// Queued this long without a send result, a reminder is dispatched again.
    pub redispatch_after: chrono::Duration,
    /// The law each tenant's claims are computed under, for the claim statement.
    pub law_of: Arc<dyn Fn(&crate::domain::TenantId) -> crate::domain::legal::Germany + Send + Sync>,
}

impl Scheduler {
    /// One step: plans, settles, dispatches and publishes at most one batch each.
    pub async fn step(&self) -> anyhow::Result<StepOutcome> {
        let planned = self.plan_step().await?;
        let dispatched = self.dispatch_step().await?;
        Ok(StepOutcome {
            cases_planned: planned.cases_planned,
            outcomes_settled: planned.outcomes_settled,
            reminders_dispatched: dispatched.reminders_dispatched,
            events_published: dispatched.events_published,
        })
    }

    /// Plans up to one batch of due cases, and settles up to one batch of reminders whose
    /// attribution window closed without a payment (reward 0, with its outcome event).
    pub async fn plan_step(&self) -> anyhow::Result<StepOutcome> {
        let now = self.clock.now();
        let decide = |case: &crate::store::DueCase| self.planner.decide(case, now);
        resume_broken_promises(self.store.as_ref(), now, self.grace, BATCH).await?;
        let cases_planned =
            plan_due_cases(self.store.as_ref(), now, BATCH, &decide, self.law_of.as_ref()).await?;
        let outcomes_settled = settle_outcomes(self.store.as_ref(), now, self.attribution, BATCH).await?;
        warn_limitation_near(self.store.as_ref(), now, crate::domain::legal::LIMITATION_WARNING_DAYS, BATCH)
            .await?;
        Ok(StepOutcome { cases_planned, outcomes_settled, ..StepOutcome::default() })
    }

    /// Dispatches up to one batch of due reminders and publishes up to one batch of stored
    /// events (outcomes, escalations) to the events exchange.
    pub async fn dispatch_step(&self) -> anyhow::Result<StepOutcome> {
        let reminders_dispatched = self.dispatch_reminders().await?;
        let events_published = self.relay_events().await?;
        Ok(StepOutcome { reminders_dispatched, events_published, ..StepOutcome::default() })
    }

    /// Puts back one batch of reminders whose delivery message was lost, catches up one batch
    /// of reminders found after their window, then dispatches up to one batch of due reminders
    /// to their channels' queues; returns how many of all three.
    pub async fn dispatch_reminders(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let lost = redispatch_lost(self.store.as_ref(), now, self.redispatch_after, BATCH).await?;
        let caught_up = catch_up_late(self.store.as_ref(), now, &self.catch_up, BATCH).await?;
        let dispatched =
            dispatch_due(self.store.as_ref(), self.queue.as_ref(), &self.topology, now, BATCH).await?;
        Ok(lost + caught_up + dispatched)
    }

    /// Publishes up to one batch of stored events to the events exchange.
    pub async fn relay_events(&self) -> anyhow::Result<usize> {
        relay_events(self.store.as_ref(), self.queue.as_ref(), &self.topology, BATCH).await
    }

    /// Plans, dispatches and relays events concurrently until shutdown: three loops, so that a
    /// backlog of events never holds up reminders whose send time has come (each loop waits for
    /// its own broker confirms). Errors (database or broker away) are logged and retried with
    /// backoff; the role only ends on shutdown.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let this = Arc::new(self);
        let (planner, dispatcher, relay) = (Arc::clone(&this), Arc::clone(&this), Arc::clone(&this));
        let planning = repeat("planning", shutdown.clone(), this.idle_poll, move || {
            let planner = Arc::clone(&planner);
            async move { planner.plan_step().await.map(|outcome| outcome.work()) }
        });
        let dispatching = repeat("dispatching", shutdown.clone(), this.idle_poll, move || {
            let dispatcher = Arc::clone(&dispatcher);
            async move { dispatcher.dispatch_reminders().await }
        });
        let relaying = repeat("relaying events", shutdown, this.idle_poll, move || {
            let relay = Arc::clone(&relay);
            async move { relay.relay_events().await }
        });
        tokio::join!(planning, dispatching, relaying);
        Ok(())
    }
}

/// Runs `step` until shutdown: again at once after work, after `idle_poll` when there was none,
/// with growing backoff after errors.
async fn repeat<F, Fut>(what: &'static str, mut shutdown: Shutdown, idle_poll: Duration, step: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_triggered() {
        let pause = match step().await {
            Ok(0) => idle_poll,
            Ok(_) => {
                backoff = Duration::from_millis(100);
                Duration::ZERO
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    retry_in_ms = backoff.as_millis() as u64,
                    "{what} failed"
                );
                backoff = (backoff * 2).min(Duration::from_secs(10));
                backoff
            }
        };
        if !pause.is_zero() && shutdown.sleep(pause).await {
            break;
        }
    }
}
