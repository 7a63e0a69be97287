//! Helpers of the scenario tests that run every role in-process on a manual clock: their
//! configuration, waiting for a condition, recognising that the roles are done for now, building
//! JSON messages.

#![allow(dead_code)]

use mahnwerk::config::Config;
use mahnwerk::queue::Message;
use mahnwerk::store::Store;
use std::time::Duration;

/// The configuration of a scenario that runs the roles: its namespace and outbox, a 20 ms poll,
/// the fixed schedule and the `api` role on a free port, then `rest` (the test's providers,
/// creditors and plans, as TOML), parsed and validated as `mahnwerk run` does.
pub fn service_config(namespace: &str, outbox: &std::path::Path, rest: &str) -> Config {
    let text = format!(
        "namespace = \"{namespace}\"\noutbox_dir = \"{}\"\npoll_interval_ms = 20\npolicy = \"fixed\"\n\n\
         [http]\nlisten = \"127.0.0.1:0\"\n{rest}",
        outbox.display()
    );
    let config: Config = toml::from_str(&text).expect("a valid config");
    config.validate().expect("valid");
    config
}

/// How long a scenario waits for the roles before it fails.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Polls `check` until it holds, failing the test after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Nothing due and nothing in flight: the roles have done all there is to do until `now`.
///
/// Seen twice, 100 ms apart, with no reminder changing status in between: on SQLite a dispatcher
/// that has leased reminders but not yet marked them queued looks done for that moment (a lease
/// reads as not due before it runs out), and a test that went on then would miss their delivery.
/// (On PostgreSQL the claimed reminders stay due until the dispatcher's commit marks them queued.)
pub async fn quiet(store: &dyn Store, now: chrono::DateTime<chrono::Utc>) -> bool {
    let Some(before) = nothing_to_do(store, now).await else { return false };
    tokio::time::sleep(Duration::from_millis(100)).await;
    nothing_to_do(store, now).await == Some(before)
}

/// The reminders by status when nothing is due or queued at `now`; `None` while something is.
async fn nothing_to_do(
    store: &dyn Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<std::collections::BTreeMap<String, u64>> {
    let stats = store.stats().await.expect("stats");
    let in_flight = stats.reminders.by_status.get("queued").copied().unwrap_or(0);
    let next_due = store.next_due_at().await.expect("next due");
    (in_flight == 0 && next_due.is_none_or(|due| due > now)).then_some(stats.reminders.by_status)
}

/// Lets the running roles live through simulated time up to `until`, as a service running all
/// along would: the clock moves from one due moment (a case to plan, a reminder to send) to the
/// next, and the roles finish each moment's work before it moves on. (Jumping a whole day at a
/// time would find reminders after their day's window, which the catch-up rule then re-times.)
pub async fn live_until(
    store: &dyn Store,
    clock: &mahnwerk::runtime::ManualClock,
    until: chrono::DateTime<chrono::Utc>,
) {
    use mahnwerk::runtime::Clock as _;
    loop {
        eventually("the moment's work done", || async { quiet(store, clock.now()).await }).await;
        let now = clock.now();
        if now >= until {
            return;
        }
        let next = store.next_due_at().await.expect("next due").unwrap_or(until);
        clock.set(next.clamp(now + chrono::Duration::seconds(1), until));
    }
}

/// A JSON message with `routing_key`, as producers publish them.
pub fn json(routing_key: &str, body: &serde_json::Value) -> Message {
    Message {
        routing_key: routing_key.into(),
        body: body.to_string().into_bytes(),
        headers: Vec::new(),
        content_type: Some("application/json".into()),
        message_id: None,
    }
}

/// Stops the roles and fails the test if any of them failed or panicked.
pub async fn stop_roles(
    trigger: mahnwerk::shutdown::ShutdownTrigger,
    mut roles: tokio::task::JoinSet<(String, anyhow::Result<()>)>,
) {
    trigger.trigger();
    while let Some(ended) = roles.join_next().await {
        let (name, result) = ended.expect("no role panicked");
        result.unwrap_or_else(|e| panic!("role {name} failed: {e:#}"));
    }
}
