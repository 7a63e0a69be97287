//! Learning: the adaptive channel and send-time policy of `mahnwerk-models` wired into the
//! service.
//!
//! - [`policy`]: the scheduler's [`AdaptivePolicy`], deciding with the newest snapshot and
//!   hot-reloading it;
//! - [`learner`]: the learner role, outcome events in, snapshots out;
//! - [`stdio`]: the policy protocol over stdio (`mahnwerk policy serve --stdio`).
//!
//! The loop: the planner logs each decision (context, arm, propensity, policy version) on the
//! reminder; a payment within the attribution window gives it reward 1, the window closing
//! without one gives 0 (the scheduler settles those); either writes a `reminder.outcome` event
//! in the same transaction; dispatchers publish events to `{ns}.events`; the learner consumes
//! them and writes snapshots; schedulers reload them.

pub mod dso_trend;
pub mod learner;
pub mod overview;
pub mod policy;
pub mod stats;
pub mod stdio;

pub use learner::{Learner, LearnerState};
pub use policy::AdaptivePolicy;
