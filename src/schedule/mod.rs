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
pub const BATCH: u32 = 500;

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
        let now = self.clock.now();
        let planner = Arc::clone(&self.planner);
        let decide = move |case: &crate::store::DueCase| planner.decide(case, now);
        let cases_planned = self.store.plan_due_cases(now, BATCH, &decide).await?;
        let reminders_dispatched =
            dispatch_due(self.store.as_ref(), self.queue.as_ref(), &self.topology, now, BATCH).await?;
        Ok(StepOutcome { cases_planned, reminders_dispatched })
    }

    /// Steps until shutdown. Errors (database or broker away) are logged and retried with
    /// backoff; the role only ends on shutdown.
    pub async fn run(self, mut shutdown: Shutdown) -> anyhow::Result<()> {
        let mut backoff = Duration::from_millis(100);
        while !shutdown.is_triggered() {
            let pause = match self.step().await {
                Ok(outcome) => {
                    backoff = Duration::from_millis(100);
                    if outcome.is_idle() {
                        self.idle_poll
                    } else {
                        Duration::ZERO
                    }
                }
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        retry_in_ms = backoff.as_millis() as u64,
                        "scheduler step failed"
                    );
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    backoff
                }
            };
            if !pause.is_zero() && shutdown.sleep(pause).await {
                break;
            }
        }
        Ok(())
    }
}
