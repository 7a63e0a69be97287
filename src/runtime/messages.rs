//! The messages stages hand each other through the queue: a delivery message (which reminders
//! a channel worker should send) and the header that names an event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most reminders one message on `mahnwerk.delivery` carries. A channel worker handles a
/// message's reminders in one batch (one load, one recording transaction, one ack), and the
/// broker's work is per message, not per reminder.
pub const REMINDERS_PER_MESSAGE: usize = 100;

/// The body of a message on `mahnwerk.delivery`: the ids of up to [`REMINDERS_PER_MESSAGE`]
/// reminders of one channel, `{"reminder_ids":[…]}`. Everything else is read from the database
/// when they are delivered, so a stale message cannot send stale content. The single-reminder
/// form of earlier versions, `{"reminder_id":N}`, is still read.
///
/// `queued_at` is the dispatch stamp: when the dispatcher published these reminders (and marked
/// them queued). A worker sends a reminder only on the copy whose stamp is the reminder's newest,
/// so a copy that turns up after the reminder was dispatched again is dropped. Absent in
/// messages of earlier versions, which are sent as before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryMessage {
    pub reminder_ids: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<DateTime<Utc>>,
}

impl DeliveryMessage {
    /// Reads either form.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Batch {
                reminder_ids: Vec<i64>,
                #[serde(default)]
                queued_at: Option<DateTime<Utc>>,
            },
            One {
                reminder_id: i64,
            },
        }
        Ok(match serde_json::from_slice(body)? {
            Wire::Batch { reminder_ids, queued_at } => Self { reminder_ids, queued_at },
            Wire::One { reminder_id } => Self { reminder_ids: vec![reminder_id], queued_at: None },
        })
    }
}

/// The header carrying an event's row id, so consumers can drop the rare duplicate (an event is
/// published again when its relay died between the broker's confirm and moving its cursor).
pub const EVENT_ID_HEADER: &str = "x-mahnwerk-event-id";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_batch_and_the_single_reminder_form() {
        let batch = DeliveryMessage::parse(br#"{"reminder_ids":[3,1,2]}"#).unwrap();
        assert_eq!(batch.reminder_ids, vec![3, 1, 2]);
        assert_eq!(batch.queued_at, None);
        let stamped =
            DeliveryMessage::parse(br#"{"reminder_ids":[3],"queued_at":"2026-12-06T10:00:00.123456Z"}"#)
                .unwrap();
        assert_eq!(stamped.queued_at.unwrap().to_rfc3339(), "2026-12-06T10:00:00.123456+00:00");
        let one = DeliveryMessage::parse(br#"{"reminder_id":7}"#).unwrap();
        assert_eq!(one.reminder_ids, vec![7]);
        assert!(DeliveryMessage::parse(br#"{"reminder_ids":"7"}"#).is_err());
        assert!(DeliveryMessage::parse(b"not json").is_err());
    }
}
