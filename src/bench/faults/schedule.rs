//! When the faults strike: each at a point of the run's progress drawn from a seeded generator,
//! so that a run can be repeated. Progress is the share of the work done, half of it the
//! invoices stored and half the reminders received by the provider; a role's process is killed,
//! or a server crashed, when the run first reaches the fault's point, after a further random
//! pause of up to [`MAX_EXTRA_PAUSE`] so that the instant within a batch is random too.

use super::purge::HELD_BACK;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// The longest random pause after a fault's point is reached.
pub const MAX_EXTRA_PAUSE: Duration = Duration::from_millis(400);

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// SIGKILL to the role's process, and a new one started at once.
    Kill(&'static str),
    /// The broker's node killed with SIGKILL and started again.
    RestartRabbitmq,
    /// PostgreSQL stopped at once without a checkpoint (a crash) and started again.
    RestartPostgres,
    /// The email delivery queue purged (its messages lost), and the roles restarted on a clock
    /// moved past the re-dispatch lease, so that the scheduler must dispatch again what was lost.
    LoseDeliveries,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Kill(role) => write!(f, "kill -9 {role}"),
            Fault::RestartRabbitmq => f.write_str("crash and restart RabbitMQ"),
            Fault::RestartPostgres => f.write_str("crash and restart PostgreSQL"),
            Fault::LoseDeliveries => f.write_str("purge the delivery queue, clock past the lease"),
        }
    }
}

/// One fault and when it strikes.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    pub fault: Fault,
    /// The share of the work done (0 to 1) at which it strikes.
    pub at: f64,
    pub extra_pause: Duration,
}

/// Where on the run's progress a purge of the delivery queue strikes: below `1 - HELD_BACK`, all
/// the invoices published before it can make (every one stored and its reminder received).
const PURGE_AT: std::ops::Range<f64> = 0.3..0.5;
const _: () = assert!(PURGE_AT.end < 1.0 - HELD_BACK, "the invoices published at the start reach the purge");

/// How many faults of each kind.
#[derive(Debug, Clone, Copy)]
pub struct FaultCounts {
    pub kills_per_role: u32,
    pub rabbitmq_restarts: u32,
    pub postgres_restarts: u32,
    pub delivery_purges: u32,
}

/// The faults of a run, in the order they strike. The intake's kills fall into the first half
/// of the work, when it is taking invoices in; a purge of the delivery queue between 30 % and
/// 50 %, which the invoices published at the start reach on their own (a run with a purge holds
/// [`HELD_BACK`] of them back until the purge has stopped the delivery role); the others
/// anywhere between 5 % and 90 %.
pub fn plan(seed: u64, roles: &[&'static str], counts: FaultCounts) -> Vec<Planned> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut faults = Vec::new();
    for &role in roles {
        for _ in 0..counts.kills_per_role {
            faults.push(Fault::Kill(role));
        }
    }
    faults.extend((0..counts.rabbitmq_restarts).map(|_| Fault::RestartRabbitmq));
    faults.extend((0..counts.postgres_restarts).map(|_| Fault::RestartPostgres));
    faults.extend((0..counts.delivery_purges).map(|_| Fault::LoseDeliveries));
    let mut planned: Vec<Planned> = faults
        .into_iter()
        .map(|fault| {
            let range = match fault {
                Fault::Kill("intake") => 0.02..0.45,
                Fault::LoseDeliveries => PURGE_AT,
                _ => 0.05..0.9,
            };
            Planned {
                fault,
                at: rng.gen_range(range),
                extra_pause: MAX_EXTRA_PAUSE.mul_f64(rng.gen::<f64>()),
            }
        })
        .collect();
    planned.sort_by(|a, b| a.at.total_cmp(&b.at));
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNTS: FaultCounts =
        FaultCounts { kills_per_role: 2, rabbitmq_restarts: 1, postgres_restarts: 3, delivery_purges: 1 };

    #[test]
    fn every_fault_is_planned_once_in_order_and_the_same_seed_plans_the_same() {
        let roles = ["intake", "scheduler", "delivery"];
        let planned = plan(7, &roles, COUNTS);
        assert_eq!(planned.len(), 2 * 3 + 1 + 3 + 1);
        for role in roles {
            assert_eq!(planned.iter().filter(|p| p.fault == Fault::Kill(role)).count(), 2);
        }
        assert_eq!(planned.iter().filter(|p| p.fault == Fault::RestartPostgres).count(), 3);
        let purge = planned.iter().find(|p| p.fault == Fault::LoseDeliveries).unwrap();
        assert!(PURGE_AT.contains(&purge.at), "{purge:?}");
        assert!(planned.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(planned.iter().all(|p| p.at > 0.0 && p.at < 0.9 && p.extra_pause <= MAX_EXTRA_PAUSE));
        let again: Vec<f64> = plan(7, &roles, COUNTS).iter().map(|p| p.at).collect();
        assert_eq!(again, planned.iter().map(|p| p.at).collect::<Vec<_>>());
        assert_ne!(plan(8, &roles, COUNTS)[0].at, planned[0].at);
    }
}
