//! The token bucket on a real transport (the sandbox), on tokio's paused clock: when each send
//! goes out, in virtual time, with no wall-clock waiting.

use std::sync::Arc;
use std::time::Duration;

use mahnwerk_channels::sandbox::SandboxChannel;
use mahnwerk_channels::{Channel, ChannelKind, OutgoingMessage, RateLimit, RateLimited, SmsMessage};
use tokio::time::Instant;

fn sms(n: usize) -> OutgoingMessage {
    OutgoingMessage::Sms(SmsMessage { to: "+4915112345678".into(), sender_id: None, body: format!("n{n}") })
}

/// Milliseconds since `start` at which each of `count` concurrent sends finished.
async fn send_times(limited: Arc<RateLimited<SandboxChannel>>, count: usize, start: Instant) -> Vec<u128> {
    let mut tasks = Vec::new();
    for n in 0..count {
        let limited = Arc::clone(&limited);
        tasks.push(tokio::spawn(async move {
            limited.send(&format!("r-{n}"), &sms(n)).await.expect("sent");
            Instant::now().duration_since(start).as_millis()
        }));
        // Let each task queue up before the next, so arrival order is the spawn order.
        tokio::task::yield_now().await;
    }
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.unwrap());
    }
    times
}

#[tokio::test(start_paused = true)]
async fn a_burst_goes_out_at_once_then_one_send_per_token() {
    let outbox = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let limited = RateLimited::new(
        SandboxChannel::new(ChannelKind::Sms, outbox.path()),
        RateLimit { per_second: 2.0, burst: 3 },
    )
    .unwrap();
    assert_eq!(limited.kind(), ChannelKind::Sms);

    let times = send_times(Arc::new(limited), 6, start).await;

    assert_eq!(times, [0, 0, 0, 500, 1000, 1500]);
    let lines = std::fs::read_to_string(outbox.path().join("sms.jsonl")).unwrap_or_default();
    assert_eq!(lines.lines().count(), 6, "{lines}");
}

#[tokio::test(start_paused = true)]
async fn a_quiet_spell_refills_the_bucket_but_never_beyond_the_burst() {
    let outbox = tempfile::tempdir().unwrap();
    let limited = Arc::new(
        RateLimited::new(
            SandboxChannel::new(ChannelKind::Sms, outbox.path()),
            RateLimit { per_second: 1.0, burst: 2 },
        )
        .unwrap(),
    );
    send_times(Arc::clone(&limited), 2, Instant::now()).await;

    tokio::time::sleep(Duration::from_secs(60)).await;
    let times = send_times(limited, 4, Instant::now()).await;

    assert_eq!(times, [0, 0, 1000, 2000]);
}
