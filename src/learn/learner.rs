//! The learner role (`mahnwerk run --role learner`, one per installation): consumes the
//! `reminder.outcome` events from `{ns}.learn.outcomes`, updates the model, and writes a
//! versioned snapshot to the store every `snapshot_every` outcomes or `snapshot_secs` seconds.
//!
//! Outcomes are acknowledged only once a stored snapshot holds them, so a crash loses no
//! learning: what was not acked comes back and is learned again from the last snapshot. For the
//! same reason the learner must be the only writer: two learners would each write snapshots
//! that miss the other's outcomes. An event published twice (its publisher died between the
//! broker's confirm and marking it) is recognised by its id and learned once.

use crate::config::LearnConfig;
use crate::queue::{Consumer, Delivery, Queue, Topology};
use crate::runtime::{Clock, EVENT_ID_HEADER};
use crate::shutdown::Shutdown;
use crate::store::Store;
use anyhow::Context as _;
use mahnwerk_models::bandit::{Bandit, BanditParams, LoggedDecision, Snapshot};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many event ids the learner remembers to drop duplicates.
const REMEMBERED_EVENTS: usize = 200_000;

/// The learner's model and bookkeeping between snapshots.
pub struct LearnerState {
    bandit: Bandit,
    /// The snapshot the model was loaded from or last saved as.
    pub version: Option<i64>,
    /// Outcomes learned since that snapshot.
    pub unsaved: u64,
    recent: RecentIds,
    pub counts: LearnerCounts,
}

/// What the learner did since it started.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LearnerCounts {
    pub learned: u64,
    pub duplicates: u64,
    /// Events that did not parse as an outcome (logged; the reminder row keeps the truth).
    pub unreadable: u64,
    pub snapshots: u64,
}

impl LearnerState {
    pub fn bandit(&self) -> &Bandit {
        &self.bandit
    }

    /// Learns from one outcome event. Returns whether it taught the model anything.
    pub fn learn(&mut self, delivery: &Delivery) -> bool {
        if let Some(id) = delivery.message.header(EVENT_ID_HEADER) {
            if !self.recent.insert(id) {
                self.counts.duplicates += 1;
                return false;
            }
        }
        self.learn_body(&delivery.message.body)
    }

    /// Continues from `snapshot` (stored as `version`) instead of the model in use, learning
    /// `since` again on top of it: the outcomes learned since the last snapshot, which no stored
    /// snapshot holds yet.
    pub fn adopt(&mut self, snapshot: Snapshot, version: i64, since: &[Delivery]) -> anyhow::Result<()> {
        self.bandit = Bandit::from_snapshot(snapshot, 0)
            .with_context(|| format!("policy snapshot v{version} was refused"))?;
        self.version = Some(version);
        self.unsaved = 0;
        // Counted when first learned.
        let counts = self.counts;
        for delivery in since {
            // Not through `learn`: these ids were seen already, and that is why they are here.
            self.learn_body(&delivery.message.body);
        }
        self.counts = counts;
        Ok(())
    }

    fn learn_body(&mut self, body: &[u8]) -> bool {
        let logged: LoggedDecision = match serde_json::from_slice(body) {
            Ok(logged) => logged,
            Err(error) => {
                self.counts.unreadable += 1;
                tracing::warn!(%error, "an outcome event does not parse; skipped");
                return false;
            }
        };
        match self.bandit.observe(&logged) {
            Ok(()) if logged.reward.is_some() => {
                self.counts.learned += 1;
                let reward = if logged.reward.is_some_and(|r| r > 0.0) { "paid" } else { "unpaid" };
                metrics::counter!(crate::observe::names::LEARNER_OUTCOMES, "reward" => reward).increment(1);
                self.unsaved += 1;
                true
            }
            Ok(()) => false,
            Err(error) => {
                self.counts.unreadable += 1;
                tracing::warn!(%error, "an outcome event was refused by the model; skipped");
                false
            }
        }
    }
}

/// The learner role.
#[derive(Clone)]
pub struct Learner {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub topology: Topology,
    pub clock: Arc<dyn Clock>,
    pub settings: LearnConfig,
}

impl Learner {
    /// `bandit` with this deployment's cost weight and exploration floor (`[learn] lambda` and
    /// `epsilon`), which its snapshots then carry.
    fn with_settings(&self, mut bandit: Bandit) -> anyhow::Result<Bandit> {
        bandit.set_lambda(self.settings.lambda).context("learn.lambda was validated with the config")?;
        bandit.set_epsilon(self.settings.epsilon).context("learn.epsilon was validated with the config")?;
        Ok(bandit)
    }

    /// The newest snapshot in the store; else the configured initial model; else a model with no
    /// data.
    pub async fn load_state(&self) -> anyhow::Result<LearnerState> {
        let (bandit, version) = match self.store.latest_policy_snapshot().await? {
            Some(record) => {
                let snapshot: Snapshot = serde_json::from_str(&record.body)
                    .with_context(|| format!("policy snapshot v{} does not parse", record.version))?;
                (self.with_settings(Bandit::from_snapshot(snapshot, 0)?)?, Some(record.version))
            }
            None => match &self.settings.initial_model {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading learn.initial_model {}", path.display()))?;
                    let snapshot: Snapshot = serde_json::from_str(&text).with_context(|| {
                        format!("learn.initial_model {} is not a model snapshot", path.display())
                    })?;
                    (self.with_settings(Bandit::from_snapshot(snapshot, 0)?)?, None)
                }
                None => {
                    use linfa::ParamGuard;
                    let params =
                        BanditParams::new().lambda(self.settings.lambda).epsilon(self.settings.epsilon);
                    (Bandit::new(params.check()?, 0), None)
                }
            },
        };
        Ok(LearnerState {
            bandit,
            version,
            unsaved: 0,
            recent: RecentIds::default(),
            counts: LearnerCounts::default(),
        })
    }

    /// Writes the model as a new snapshot; returns its version.
    pub async fn save(&self, state: &mut LearnerState) -> anyhow::Result<i64> {
        let body = serde_json::to_string(&state.bandit.snapshot()).context("serialising the model")?;
        let updates = i64::try_from(state.bandit.stats().updates).unwrap_or(i64::MAX);
        let version = self.store.save_policy_snapshot(self.clock.now(), updates, &body).await?;
        state.version = Some(version);
        state.unsaved = 0;
        state.counts.snapshots += 1;
        metrics::gauge!(crate::observe::names::LEARNER_SNAPSHOT_VERSION).set(version as f64);
        tracing::info!(version, updates, bytes = body.len(), "policy snapshot written");
        Ok(version)
    }

    /// Runs until shutdown: consume, learn, snapshot every `snapshot_every` outcomes or
    /// `snapshot_secs` seconds, ack what the snapshot holds. Broker or database outages pause it
    /// with backoff; it resumes from the last snapshot.
    pub async fn run(self, mut shutdown: Shutdown) -> anyhow::Result<()> {
        let mut backoff = Duration::from_millis(100);
        while !shutdown.is_triggered() {
            let result = async {
                let mut state = self.load_state().await.context("loading the model")?;
                let prefetch = u16::try_from(self.settings.snapshot_every).unwrap_or(u16::MAX);
                let mut consumer = self.queue.consume(&self.topology.learner_queue(), prefetch).await?;
                self.consume(&mut state, consumer.as_mut(), &mut shutdown).await
            }
            .await;
            match result {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        retry_in_ms = backoff.as_millis() as u64,
                        "learner interrupted; resuming from the last snapshot"
                    );
                    if shutdown.sleep(backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
        Ok(())
    }

    /// One subscription's life. Returns `Ok` on shutdown or when the consumer ended (the caller
    /// reloads and subscribes again), `Err` when a snapshot could not be written.
    async fn consume(
        &self,
        state: &mut LearnerState,
        consumer: &mut dyn Consumer,
        shutdown: &mut Shutdown,
    ) -> anyhow::Result<()> {
        let every = u64::from(self.settings.snapshot_every);
        let max_age = Duration::from_secs(self.settings.snapshot_secs);
        let mut held: Vec<Delivery> = Vec::new();
        let mut deadline: Option<Instant> = None;
        loop {
            let wait =
                deadline.map_or(Duration::from_secs(3600), |d| d.saturating_duration_since(Instant::now()));
            let flush = tokio::select! {
                next = consumer.next() => match next {
                    Some(delivery) => {
                        state.learn(&delivery);
                        held.push(delivery);
                        deadline.get_or_insert_with(|| Instant::now() + max_age);
                        held.len() as u64 >= every
                    }
                    // The connection went away: unacked outcomes come back; start over from the
                    // stored snapshot so none is learned twice.
                    None => return Ok(()),
                },
                _ = tokio::time::sleep(wait) => true,
                _ = shutdown.wait() => {
                    self.flush(state, &mut held).await?;
                    return Ok(());
                }
            };
            if flush {
                self.flush(state, &mut held).await?;
                deadline = None;
            }
        }
    }

    /// Takes up a snapshot the learner did not write (a model an analyst published with
    /// `mahnwerk-train publish` or `rollback`) when the store's newest is newer than the
    /// learner's own, so that the learner continues from the published model instead of
    /// overwriting it with its next snapshot. Returns whether it did.
    pub async fn adopt_published(&self, state: &mut LearnerState, held: &[Delivery]) -> anyhow::Result<bool> {
        let Some(latest) = self.store.latest_policy_version().await? else { return Ok(false) };
        if state.version.is_some_and(|own| own >= latest) {
            return Ok(false);
        }
        let Some(record) = self.store.latest_policy_snapshot().await? else { return Ok(false) };
        let snapshot: Snapshot = serde_json::from_str(&record.body)
            .with_context(|| format!("policy snapshot v{} does not parse", record.version))?;
        state.adopt(snapshot, record.version, held)?;
        tracing::info!(
            version = record.version,
            relearned = held.len(),
            "learner continues from a published snapshot"
        );
        Ok(true)
    }

    async fn flush(&self, state: &mut LearnerState, held: &mut Vec<Delivery>) -> anyhow::Result<()> {
        // Checked just before writing; a model published between this check and the write is
        // written over by the learner's snapshot (run `mahnwerk-train versions` to see it).
        self.adopt_published(state, held).await.context("taking up a published snapshot")?;
        if state.unsaved > 0 {
            self.save(state).await.context("writing a policy snapshot")?;
        }
        if let Some(last) = held.last() {
            last.ack(true).await?;
        }
        held.clear();
        Ok(())
    }
}

/// A bounded set of recently seen event ids, oldest forgotten first.
#[derive(Default)]
struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    /// Adds `id`; false if it was already there.
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == REMEMBERED_EVENTS {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{Message, QueueError};

    struct Settled;

    #[async_trait::async_trait]
    impl crate::queue::Ack for Settled {
        async fn ack(&self, _multiple: bool) -> Result<(), QueueError> {
            Ok(())
        }
        async fn requeue(&self) -> Result<(), QueueError> {
            Ok(())
        }
    }

    fn outcome(id: &str, reward: f64) -> Delivery {
        let body =
            format!(r#"{{"channel":"sms","hour":18,"reward":{reward},"context":{{"segment":"b2c"}}}}"#);
        let mut message = Message::new("reminder.outcome", body);
        message.headers.push((EVENT_ID_HEADER.to_owned(), crate::queue::HeaderValue::text(id)));
        Delivery::new(message, false, Box::new(Settled))
    }

    fn fresh() -> LearnerState {
        use linfa::ParamGuard;
        LearnerState {
            bandit: Bandit::new(BanditParams::new().check().unwrap(), 0),
            version: Some(1),
            unsaved: 0,
            recent: RecentIds::default(),
            counts: LearnerCounts::default(),
        }
    }

    #[test]
    fn adopting_a_published_model_learns_the_unsaved_outcomes_again_on_top_of_it() {
        let mut state = fresh();
        let held = [outcome("e1", 1.0), outcome("e2", 0.0)];
        for delivery in &held {
            assert!(state.learn(delivery));
        }
        // The published model: one that has learned three outcomes of its own.
        let mut published = fresh();
        for id in ["p1", "p2", "p3"] {
            published.learn(&outcome(id, 1.0));
        }
        state.adopt(published.bandit.snapshot(), 7, &held).unwrap();
        assert_eq!(state.version, Some(7));
        assert_eq!(state.bandit.stats().updates, 5, "the published model's 3 and the held 2");
        assert_eq!(state.unsaved, 2, "the held outcomes are in no stored snapshot yet");
        assert_eq!(state.counts.learned, 2, "each outcome counted once");
        assert!(!state.learn(&held[0]), "a redelivered held outcome is still a duplicate");
    }

    #[test]
    fn recent_ids_forget_the_oldest() {
        let mut recent = RecentIds::default();
        assert!(recent.insert("1"));
        assert!(!recent.insert("1"));
        for i in 2..=REMEMBERED_EVENTS + 1 {
            recent.insert(&i.to_string());
        }
        assert!(recent.insert("1"), "forgotten after {REMEMBERED_EVENTS} newer ids");
        assert_eq!(recent.order.len(), REMEMBERED_EVENTS);
    }
}
