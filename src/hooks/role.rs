//! The `recommender` role: loops around the one-step functions of this module's siblings —
//! refitting every tenant's recommender each `[recommend] refit_secs`, running the post-payment
//! hooks whenever paid cases are queued (polling each `poll_ms` when idle, backing off up to
//! 30 s while the store fails), and looking for conversions each `conversion_scan_secs`. The
//! thank-you and shop webhook senders' loops are beside their steps (`thanks::sender`,
//! `shop::sender`). One process runs it (`--role recommender`, or `all`);
//! several would only fit the same models twice, and the hook runner claims cases with `SKIP
//! LOCKED`, so a second one is harmless.

use super::{refit, HookRunner, Outcome};
use crate::config::recommend::RecommendConfig;
use crate::runtime::Clock;
use crate::shutdown::Shutdown;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Longest pause after a failing step.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs `step` until shutdown: again at once while it handles something, each `poll` when idle,
/// backing off (doubling up to [`MAX_BACKOFF`]) while the store fails, with a warning that says
/// `what` failed. The hook runner and the senders of the thank-you messages and shop webhooks
/// all loop this way.
pub async fn poll_steps<F, Fut>(
    what: &str,
    poll: Duration,
    mut shutdown: Shutdown,
    mut step: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, crate::store::StoreError>>,
{
    let mut backoff = poll;
    loop {
        let pause = match step().await {
            Ok(Outcome::Handled(_)) => {
                backoff = poll;
                Duration::ZERO
            }
            Ok(Outcome::Idle) => {
                backoff = poll;
                poll
            }
            Err(error) => {
                tracing::warn!(%error, "{what} failed; trying again");
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
        };
        if shutdown.is_triggered() || (!pause.is_zero() && shutdown.sleep(pause).await) {
            return Ok(());
        }
    }
}

/// Runs the hooks until shutdown.
pub async fn run_hooks(runner: HookRunner, poll: Duration, shutdown: Shutdown) -> anyhow::Result<()> {
    poll_steps("post-payment hooks", poll, shutdown, || runner.try_execute_task()).await
}

/// Refits every tenant's recommender until shutdown, first at once.
pub async fn run_refits(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: RecommendConfig,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let params = config.params()?;
    let every = Duration::from_secs(config.refit_secs);
    loop {
        if let Err(error) = refit::refit_all(store.as_ref(), &params, clock.now()).await {
            tracing::warn!(error = %format!("{error:#}"), "refitting recommenders failed; trying again later");
        }
        if shutdown.sleep(every).await {
            return Ok(());
        }
    }
}

/// Looks for conversions every `[recommend] conversion_scan_secs` until shutdown, first at once.
pub async fn run_conversions(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: RecommendConfig,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let every = Duration::from_secs(config.conversion_scan_secs);
    loop {
        let scanned = super::conversions::record_conversions(
            store.as_ref(),
            config.conversion_window_days,
            clock.now(),
        )
        .await;
        if let Err(error) = scanned {
            tracing::warn!(%error, "looking for conversions failed; trying again later");
        }
        if shutdown.sleep(every).await {
            return Ok(());
        }
    }
}
