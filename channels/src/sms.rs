//! SMS: sending through Twilio's Messages API, and reading the STOP and START keywords debtors
//! reply with.

pub mod keywords;
pub mod twilio;

pub use keywords::{opt_out_keyword, OptOut};
pub use twilio::{names_a_dead_number, TwilioSettings, TwilioSettingsError, TwilioSms};
