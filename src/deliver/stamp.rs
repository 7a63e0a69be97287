//! Which copy of a delivery message may send a reminder. A reminder queued longer than the
//! re-dispatch lease without a send result is dispatched again (its delivery message may have
//! been lost: a purged queue, a broker that lost it), so two copies of it can be about; each
//! carries its dispatch stamp, and only the newest copy, while it is younger than the lease minus
//! [`SEND_MARGIN`], sends. A copy whose reminder was re-timed after it was published (catch-up
//! after downtime, a retry) is early and sends nothing either: the dispatcher publishes it again
//! at its time.

use crate::store::DeliveryJob;
use chrono::{DateTime, Duration, Utc};

/// How long before the re-dispatch lease runs out a copy stops sending: more than a send and
/// its recording take, so the copy that is about to be superseded never overlaps the new one.
pub const SEND_MARGIN: Duration = Duration::minutes(5);

/// Why the copy stamped `stamp` must not send `job` at `now`, if it must not.
pub fn stale_copy(
    job: &DeliveryJob,
    stamp: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    redispatch_after: Duration,
) -> Option<&'static str> {
    if job.send_at > now + Duration::minutes(1) {
        return Some("not due yet: re-timed after it was published");
    }
    let stamp = stamp?;
    // Stored stamps may have lost precision (microseconds); compare milliseconds. A stored stamp
    // older than this copy's is the dispatcher's commit not seen yet: this copy is the newest.
    if job.queued_at.is_some_and(|newest| newest.timestamp_millis() > stamp.timestamp_millis()) {
        return Some("an older copy: the reminder was dispatched again");
    }
    if now - stamp > redispatch_after - SEND_MARGIN {
        return Some("too late for this copy: the reminder is dispatched again");
    }
    None
}
