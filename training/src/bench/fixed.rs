//! The fixed schedule mahnwerk replaces: email at 10:00, a letter where no email is held.

use mahnwerk_models::sim::SimChannel;

use super::policy::{Policy, Query};

const HOUR: u8 = 10;

pub struct Fixed;

impl Policy for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }

    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8) {
        let channel =
            if query.channels.contains(&SimChannel::Email) { SimChannel::Email } else { SimChannel::Letter };
        let hour = if query.hours.contains(&HOUR) { HOUR } else { query.hours[0] };
        (channel, hour)
    }
}
