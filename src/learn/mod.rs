//! Learning: the adaptive channel and send-time policy of `mahnwerk-models` made reachable from
//! the service. For now the policy protocol over stdio ([`stdio`]); the learner role (outcome
//! events in, snapshots out) and the scheduler's hot-reloaded policy come next.

pub mod stdio;
