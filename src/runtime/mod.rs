//! What every stage may use, whatever its place on the data's path: where "now" comes from
//! ([`Clock`]), the events that say what happened to whom ([`events`]), and the messages and
//! headers the stages hand each other through the queue ([`messages`]). Nothing here imports a
//! stage.

pub mod clock;
pub mod events;
pub mod messages;

pub use clock::{Clock, ManualClock, SystemClock};
pub use events::{
    DecisionLine, Event, EventBody, NewEvent, RecommendedItem, RemindersSent, SentReminder, Subject,
};
pub use messages::{DeliveryMessage, EVENT_ID_HEADER, REMINDERS_PER_MESSAGE};
