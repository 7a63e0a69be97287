//! Catch-up after downtime, on both backends, with a simulated clock: a reminder found after its
//! allowed window is re-timed to the debtor's next allowed moment (never on a Sunday or a public
//! holiday, at the policy's hour), one days late is planned anew, one late within its window goes
//! at once, and the gap to the next stage runs from the actual send; the first stage's gap runs
//! from the invoice's arrival.

use crate::support;
use support::db::{run_suite, stores, Raw};
use support::malformed::valid;

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use mahnwerk::app::Service;
use mahnwerk::config::{Config, PolicyKind};
use mahnwerk::domain::{DunningPlan, PlanName};
use mahnwerk::queue::{MemoryQueue, Message, Queue, Topology};
use mahnwerk::runtime::ManualClock;
use mahnwerk::store::{ReminderStatus, ReminderView, Store};
use std::sync::Arc;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

struct World {
    store: Arc<dyn Store>,
    queue: Arc<MemoryQueue>,
    topology: Topology,
    clock: Arc<ManualClock>,
    service: Service,
    _dir: tempfile::TempDir,
}

async fn world(store: Arc<dyn Store>, start: DateTime<Utc>) -> World {
    world_with_plans(store, start, Vec::new()).await
}

async fn world_with_plans(store: Arc<dyn Store>, start: DateTime<Utc>, plans: Vec<DunningPlan>) -> World {
    let dir = tempfile::tempdir().unwrap();
    let topology = Topology::new("mahnwerk");
    let queue = Arc::new(MemoryQueue::new(topology.clone()));
    // The fixed schedule: email at 10:00 local time, so every send time is known beforehand.
    let config = Config {
        outbox_dir: dir.path().join("outbox"),
        policy: PolicyKind::Fixed,
        plans,
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::new(start));
    let service = Service::assemble(&config, Arc::clone(&store), queue.clone(), clock.clone()).unwrap();
    World { store, queue, topology, clock, service, _dir: dir }
}

impl World {
    /// Hands in invoice `RE-00000<i>` (debtor in Berlin, Germany).
    async fn overdue(&self, i: usize) {
        self.hand_in(valid(i)).await;
    }

    /// Hands in one `invoice.overdue` body.
    async fn hand_in(&self, invoice: serde_json::Value) {
        let message = Message::new("invoice.overdue", invoice.to_string().into_bytes());
        self.queue.publish(&self.topology.intake_exchange(), vec![message]).await.unwrap();
        let mut consumer = self.queue.consume(&self.topology.intake_queue(), 100).await.unwrap();
        let batch = self.queue.take_ready(&self.topology.intake_queue(), consumer.as_mut(), 100).await;
        self.service.intake().process_batch(&batch).await.unwrap();
    }

    /// Everything the roles do at the clock's time until there is nothing left to do.
    async fn settle_at(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        for _ in 0..5 {
            let outcome = self.service.scheduler().step().await.unwrap();
            for worker in self.service.channel_workers() {
                let queue_name = self.topology.delivery_queue(worker.transport.kind().as_str());
                let mut consumer = self.queue.consume(&queue_name, 100).await.unwrap();
                let batch = self.queue.take_ready(&queue_name, consumer.as_mut(), 100).await;
                worker.process_batch(&batch).await.unwrap();
            }
            if outcome.is_idle() {
                break;
            }
        }
    }

    async fn reminders(&self, i: usize) -> Vec<ReminderView> {
        self.store.reminders_of("acme", &format!("RE-{i:06}")).await.unwrap()
    }
}

fn sent(reminders: &[ReminderView]) -> Vec<DateTime<Utc>> {
    reminders.iter().filter_map(|r| r.sent_at).collect()
}

#[tokio::test]
async fn after_sixteen_days_down_the_reminder_is_planned_anew_for_monday_not_sent_on_sunday() {
    run_suite(&stores().await, "catch-up after 16 days", |store: Arc<dyn Store>, _raw: Raw| async move {
        // Thursday 2026-11-05, 07:00 Berlin: planned for 10:00 that day.
        let w = world(store, utc("2026-11-05T06:00:00Z")).await;
        w.overdue(1).await;
        w.settle_at(utc("2026-11-05T06:00:00Z")).await;
        let planned = w.reminders(1).await;
        assert_eq!(planned[0].send_at, utc("2026-11-05T09:00:00Z"), "{planned:?}");
        // Down for 16 days; back on Sunday 2026-11-22 at 16:10 Berlin.
        let sunday = utc("2026-11-22T15:10:00Z");
        assert_eq!(sunday.weekday(), Weekday::Sun);
        w.settle_at(sunday).await;
        let reminders = w.reminders(1).await;
        assert!(sent(&reminders).is_empty(), "nothing goes out on a Sunday: {reminders:?}");
        assert_eq!(reminders.len(), 1, "the stage is planned anew on its own row: {reminders:?}");
        assert_eq!(reminders[0].stage, 0);
        assert_eq!(reminders[0].status, ReminderStatus::Scheduled);
        assert_eq!(reminders[0].send_at, utc("2026-11-23T09:00:00Z"), "Monday 10:00 Berlin: {reminders:?}");
        // Monday 10:00: it goes out.
        w.settle_at(utc("2026-11-23T09:00:00Z")).await;
        let reminders = w.reminders(1).await;
        assert_eq!(sent(&reminders), [utc("2026-11-23T09:00:00Z")], "{reminders:?}");
        // The next stage ("1. Mahnung", 7 days) comes 7 days after that send, not 16 hours later.
        let mut day = utc("2026-11-23T09:00:00Z");
        while day < utc("2026-12-02T09:00:00Z") {
            day += Duration::hours(8);
            w.settle_at(day).await;
        }
        let reminders = w.reminders(1).await;
        assert_eq!(reminders.len(), 2, "{reminders:?}");
        assert_eq!(reminders[1].stage, 1);
        assert!(reminders[1].send_at >= utc("2026-11-30T09:00:00Z"), "{reminders:?}");
        assert_eq!(sent(&reminders).len(), 2, "{reminders:?}");
    })
    .await;
}

#[tokio::test]
async fn after_a_weekend_down_the_reminder_waits_past_sunday_and_whit_monday_and_the_plan_moves_with_it() {
    run_suite(
        &stores().await,
        "catch-up over a holiday weekend",
        |store: Arc<dyn Store>, _raw: Raw| async move {
            // Thursday 2026-05-21, 20:00 Berlin: planned for Friday 10:00.
            let w = world(store, utc("2026-05-21T18:00:00Z")).await;
            w.overdue(1).await;
            w.settle_at(utc("2026-05-21T18:00:00Z")).await;
            assert_eq!(w.reminders(1).await[0].send_at, utc("2026-05-22T08:00:00Z"));
            // Down all Friday; back on Saturday at 21:30 Berlin, after Saturday's window.
            for moment in ["2026-05-23T19:30:00Z", "2026-05-24T10:00:00Z", "2026-05-25T10:00:00Z"] {
                w.settle_at(utc(moment)).await;
                let reminders = w.reminders(1).await;
                assert!(
                    sent(&reminders).is_empty(),
                    "nothing on Saturday night, Sunday, Whit Monday: {moment} {reminders:?}"
                );
            }
            let reminders = w.reminders(1).await;
            assert_eq!(reminders.len(), 1, "re-timed, not planned anew: {reminders:?}");
            let tuesday_ten = utc("2026-05-26T08:00:00Z");
            let send_at = reminders[0].send_at;
            assert!(
                send_at >= tuesday_ten && send_at < tuesday_ten + Duration::minutes(60),
                "Tuesday 10:00 Berlin, spread within the hour: {send_at}"
            );
            w.settle_at(tuesday_ten + Duration::minutes(60)).await;
            let first_sent = sent(&w.reminders(1).await);
            assert_eq!(first_sent.len(), 1);
            // Planned on Friday, the next stage would be due a week after Friday (May 29); it is due a
            // week after Tuesday's send.
            w.settle_at(utc("2026-05-29T12:00:00Z")).await;
            assert_eq!(w.reminders(1).await.len(), 1, "not a week after the planned Friday yet");
            w.settle_at(first_sent[0] + Duration::days(7)).await;
            let reminders = w.reminders(1).await;
            assert_eq!(reminders.len(), 2, "{reminders:?}");
            assert!(reminders[1].send_at >= first_sent[0] + Duration::days(7), "{reminders:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn late_but_inside_its_window_a_reminder_goes_at_once() {
    run_suite(&stores().await, "late inside the window", |store: Arc<dyn Store>, _raw: Raw| async move {
        // Monday 2026-11-02, 07:00 Berlin: planned for 10:00; the service is back at 14:00.
        let w = world(store, utc("2026-11-02T06:00:00Z")).await;
        w.overdue(1).await;
        w.settle_at(utc("2026-11-02T06:00:00Z")).await;
        w.settle_at(utc("2026-11-02T13:00:00Z")).await;
        assert_eq!(sent(&w.reminders(1).await), [utc("2026-11-02T13:00:00Z")]);
    })
    .await;
}

#[tokio::test]
async fn the_first_stage_waits_its_days_after_the_invoice_arrives() {
    run_suite(&stores().await, "first stage's wait", |store: Arc<dyn Store>, _raw: Raw| async move {
        let mut plan = DunningPlan::standard_b2c();
        plan.name = PlanName::parse("b2c-three-days").unwrap();
        plan.stages[0].wait_days = 3;
        // Monday 2026-11-02, 07:00 Berlin; the plan's first stage waits three days.
        let w = world_with_plans(store, utc("2026-11-02T06:00:00Z"), vec![plan]).await;
        let mut invoice = valid(1);
        invoice["plan"] = serde_json::json!("b2c-three-days");
        w.hand_in(invoice).await;
        for moment in ["2026-11-02T06:00:00Z", "2026-11-02T09:00:00Z", "2026-11-04T12:00:00Z"] {
            w.settle_at(utc(moment)).await;
            assert_eq!(w.reminders(1).await, vec![], "nothing planned at {moment}");
        }
        // Thursday 07:00 Berlin, three days after the arrival: planned for 10:00, and sent then.
        w.settle_at(utc("2026-11-05T06:00:00Z")).await;
        let planned = w.reminders(1).await;
        assert_eq!(planned.len(), 1, "{planned:?}");
        assert_eq!(planned[0].send_at, utc("2026-11-05T09:00:00Z"), "{planned:?}");
        w.settle_at(utc("2026-11-05T09:00:00Z")).await;
        assert_eq!(sent(&w.reminders(1).await), [utc("2026-11-05T09:00:00Z")]);
    })
    .await;
}
