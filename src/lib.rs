//! mahnwerk: an omnichannel dunning worker. Overdue invoices come in over AMQP; reminders go out
//! by email, SMS, WhatsApp, Messenger or letter, at the hour and on the channel a policy picks;
//! a payment stops the dunning at once.
//!
//! # Layout
//! One module per stage of an invoice's path, in the order the data travels:
//! - [`domain`]: pure types (parsed values, invoices, the case state machine, dunning plans).
//! - [`intake`]: `mahnwerk.invoice.v1` messages in, validated, stored, or dead-lettered.
//! - [`schedule`]: due cases planned (policy, quiet hours, outbox), due reminders dispatched.
//! - [`deliver`]: per-channel workers that render and send reminders, and what providers report.
//! - [`pay`]: payments from every source, through one function.
//! - [`hooks`]: what follows a payment that closed a case: product recommendations.
//! - [`learn`]: the adaptive policy made reachable (`policy serve --stdio`).
//! - [`api`]: the HTTP server of receipt webhooks (Twilio, Meta): statuses, inbound, opt-outs.
//! - [`observe`]: metrics, `/healthz` and `/readyz` of every role, the log format.
//! - [`runtime`]: what every stage may use: the clock, the events, the queue's message shapes.
//! - [`store`] and [`queue`]: the edges — PostgreSQL/SQLite and RabbitMQ/in-process.
//! - [`app`] wires the roles together from a [`config::Config`]; [`shutdown`] stops them.
//! - [`demo`], [`enqueue`] and [`bench`] are the commands built on top.

pub mod api;
pub mod app;
pub mod bench;
pub mod config;
pub mod deliver;
pub mod demo;
pub mod domain;
pub mod enqueue;
pub mod handoff;
pub mod hooks;
pub mod intake;
pub mod learn;
pub mod observe;
pub mod pay;
pub mod progress;
pub mod queue;
pub mod runtime;
pub mod schedule;
pub mod shutdown;
pub mod store;

#[cfg(test)]
mod fuzz;
