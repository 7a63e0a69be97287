//! Dispatching on every backend: due reminders are handed to the publisher and marked queued;
//! a failed publish leaves them scheduled, to go out again; while one dispatcher is publishing
//! a batch, another gets none of it.

use super::*;
use async_trait::async_trait;
use mahnwerk::schedule::{dispatch_with, DispatchError, PublishReminders};
use tokio::sync::Notify;

/// Remembers what it was asked to publish; fails instead when `fail` is set; waits for `hold`
/// to be released first when it is given, after telling `entered`.
#[derive(Default)]
struct Publisher {
    published: Mutex<Vec<ClaimedReminder>>,
    fail: bool,
    hold: Option<(Arc<Notify>, Arc<Notify>)>,
}

#[async_trait]
impl PublishReminders for Publisher {
    async fn publish(
        &self,
        reminders: &[ClaimedReminder],
        _queued_at: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        if let Some((entered, release)) = &self.hold {
            entered.notify_one();
            release.notified().await;
        }
        if self.fail {
            anyhow::bail!("the broker is away");
        }
        self.published.lock().unwrap().extend_from_slice(reminders);
        Ok(())
    }
}

impl Publisher {
    fn ids(&self) -> BTreeSet<i64> {
        self.published.lock().unwrap().iter().map(|r| r.id).collect()
    }
}

async fn dispatch(
    store: &Arc<dyn Store>,
    now: DateTime<Utc>,
    limit: u32,
    publisher: &Publisher,
) -> Result<usize, DispatchError> {
    dispatch_with(store.as_ref(), now, limit, publisher).await
}

async fn statuses(store: &Arc<dyn Store>, numbers: &[&str]) -> Vec<ReminderStatus> {
    let mut seen = Vec::new();
    for number in numbers {
        seen.push(status_of(store, number, 0).await);
    }
    seen
}

pub(super) async fn suite_dispatch(store: Arc<dyn Store>, _raw: Raw) {
    let numbers = ["RE-1", "RE-2", "RE-3", "RE-4", "RE-5"];
    intake(&store, &numbers.iter().map(|n| overdue(&invoice(n), t0())).collect::<Vec<_>>()).await;
    let plans: Vec<_> = numbers
        .iter()
        .enumerate()
        .map(|(n, number)| {
            let channel = if n == 1 { ChannelKind::Sms } else { ChannelKind::Email };
            (*number, channel, t0() + hours(1 + n as i64))
        })
        .collect();
    let ids = plan_reminders(&store, t0(), &plans).await;

    // Due ones only, oldest first, up to the limit; published, then queued.
    let now = t0() + hours(2);
    let publisher = Publisher::default();
    assert_eq!(dispatch(&store, now, 1, &publisher).await.unwrap(), 1);
    assert_eq!(dispatch(&store, now, 10, &publisher).await.unwrap(), 1);
    assert_eq!(
        *publisher.published.lock().unwrap(),
        [
            ClaimedReminder { id: ids[0], channel: ChannelKind::Email },
            ClaimedReminder { id: ids[1], channel: ChannelKind::Sms }
        ]
    );
    assert_eq!(
        statuses(&store, &numbers[..3]).await,
        [ReminderStatus::Queued, ReminderStatus::Queued, ReminderStatus::Scheduled]
    );
    assert_eq!(
        dispatch(&store, now, 10, &publisher).await.unwrap(),
        0,
        "queued ones are not dispatched again"
    );
    assert_eq!(publisher.ids().len(), 2);

    // A failed publish queues nothing; the reminder goes out on a later try.
    let now = t0() + hours(3);
    let failing = Publisher { fail: true, ..Publisher::default() };
    let error = dispatch(&store, now, 10, &failing).await.expect_err("the publish failed");
    assert!(matches!(error, DispatchError::Publish(_)), "{error}");
    assert!(error.to_string().contains("the broker is away"), "{error}");
    assert_eq!(status_of(&store, "RE-3", 0).await, ReminderStatus::Scheduled);
    let later = now + Span::from_std(LEASE).unwrap() + Span::seconds(1);
    let retry = Publisher::default();
    assert_eq!(dispatch(&store, later, 10, &retry).await.unwrap(), 1);
    assert_eq!(retry.ids(), BTreeSet::from([ids[2]]));
    assert_eq!(status_of(&store, "RE-3", 0).await, ReminderStatus::Queued);

    // While one dispatcher publishes a batch, another gets none of it.
    let now = t0() + hours(10);
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = Arc::new(Publisher {
        hold: Some((Arc::clone(&entered), Arc::clone(&release))),
        ..Publisher::default()
    });
    let first = {
        let (store, slow) = (Arc::clone(&store), Arc::clone(&slow));
        tokio::spawn(async move { dispatch_with(store.as_ref(), now, 10, slow.as_ref()).await })
    };
    entered.notified().await;
    let second = Publisher::default();
    assert_eq!(dispatch(&store, now, 10, &second).await.unwrap(), 0, "the batch is taken");
    release.notify_one();
    assert_eq!(first.await.unwrap().unwrap(), 2);
    assert_eq!(slow.ids(), BTreeSet::from([ids[3], ids[4]]));
    assert_eq!(statuses(&store, &numbers[3..]).await, [ReminderStatus::Queued, ReminderStatus::Queued]);
}
