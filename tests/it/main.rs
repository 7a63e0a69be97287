//! The service's integration tests, one binary with a module per subject: each extra test binary
//! would link the whole library again (matklad, "Delete Cargo Integration Tests").
//!
//! Tests that need a server read `MAHNWERK_TEST_DATABASE_URL` and `MAHNWERK_TEST_AMQP_URL`
//! (see [`support::servers`]); with `CI=true` a missing server fails the test instead of
//! skipping it.

// The channel crate's test doubles: a real SMTP server, a MIME reader, a DKIM verifier.
#[path = "../../channels/tests/support/dkim.rs"]
mod dkim;
#[path = "../../channels/tests/support/mime.rs"]
mod mime;
#[path = "../../channels/tests/support/smtp_sink.rs"]
mod smtp_sink;
mod support;

mod after_payment;
mod bank_import;
mod bank_import_366;
mod bench_cli;
mod bench_console;
mod bench_faults;
mod browser_console;
mod browser_console_debtor;
mod browser_harness;
mod browser_pay;
mod browser_plans;
mod browser_super_admin;
mod browser_unsubscribe;
mod catch_up;
mod cli;
mod config_check;
mod console_account_removal;
mod console_api;
mod console_credit;
mod console_debtor_page;
mod console_login;
mod console_mahnstopp;
mod console_mahnstopp_intake;
mod console_marketing_read;
mod console_overview;
mod console_page_actions;
mod console_pause;
mod console_plans;
mod console_privacy;
mod console_steer;
mod console_summary;
mod console_super_admin;
mod delivery_failures;
mod e2e;
mod email_letter;
mod intake_marketing_consent;
mod intake_memory;
mod intake_rejections;
mod layout;
mod learning_loop;
mod letter_pingen;
mod messenger_service;
mod observability;
mod pay_page;
mod preview_cli;
mod queue_amqp;
mod queue_amqp_reconnect;
mod queue_memory;
mod receipts_api;
mod recommendations;
mod redelivery;
mod sms_twilio;
mod store_conformance;
mod stripe_checkout;
mod stripe_webhook;
mod thank_you;
mod unsubscribe_api;
mod whatsapp_service;
