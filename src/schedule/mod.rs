//! Scheduling: the database holds time. The scheduler role claims cases whose next action is
//! due, lets the [`Planner`] decide the next stage's channel and hour (transactional outbox:
//! reminder row and case update in one transaction), and dispatches reminders whose send time
//! has come to their channel's queue.

pub mod calendar;
pub mod clock;
pub mod dispatch;
pub mod planner;
pub mod policy;

pub use clock::{Clock, ManualClock, SystemClock};
pub use dispatch::{dispatch_due, DeliveryMessage};
pub use planner::Planner;
pub use policy::{Decision, DecisionRequest, FixedPolicy, Policy};

use crate::queue::{Queue, Topology};
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
    pub reminders_dispatched: usize,
}

impl StepOutcome {
    pub fn is_idle(&self) -> bool {
        self.cases_planned == 0 && self.reminders_dispatched == 0
    }
}

/// The scheduler role: plan due cases, dispatch due reminders, repeat.
pub struct Scheduler {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub topology: Topology,
    pub planner: Arc<Planner>,
    pub clock: Arc<dyn Clock>,
    /// Pause between steps when there was nothing to do.
    pub idle_poll: Duration,
}

impl Scheduler {
    /// One step: plans and dispatches at most one batch each.
    pub async fn step(&self) -> anyhow::Result<StepOutcome> {
        let cases_planned = self.plan_step().await?;
        let reminders_dispatched = self.dispatch_step().await?;
        Ok(StepOutcome { cases_planned, reminders_dispatched })
    }

    /// Plans up to one batch of due cases; returns how many.
    pub async fn plan_step(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let planner = Arc::clone(&self.planner);
        let decide = move |case: &crate::store::DueCase| planner.decide(case, now);
        Ok(self.store.plan_due_cases(now, BATCH, &decide).await?)
    }

    /// Dispatches up to one batch of due reminders; returns how many.
    pub async fn dispatch_step(&self) -> anyhow::Result<usize> {
        dispatch_due(self.store.as_ref(), self.queue.as_ref(), &self.topology, self.clock.now(), BATCH).await
    }

    /// Plans and dispatches concurrently until shutdown. Errors (database or broker away) are
    /// logged and retried with backoff; the role only ends on shutdown.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let this = Arc::new(self);
        let (planner, dispatcher) = (Arc::clone(&this), Arc::clone(&this));
        let planning = repeat("planning", shutdown.clone(), this.idle_poll, move || {
            let planner = Arc::clone(&planner);
            async move { planner.plan_step().await }
        });
        let dispatching = repeat("dispatching", shutdown, this.idle_poll, move || {
            let dispatcher = Arc::clone(&dispatcher);
            async move { dispatcher.dispatch_step().await }
        });
        tokio::join!(planning, dispatching);
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
