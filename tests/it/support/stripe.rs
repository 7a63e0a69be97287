//! What the Stripe tests share: the `[stripe]` section, and invoices in dunning with a
//! reminder whose pay-link a debtor could have followed.

#![allow(dead_code)]

use super::rules::Rules;
use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use mahnwerk::config::stripe::StripeConfig;
use mahnwerk::domain::{
    ChannelKind, Currency, Debtor, DebtorId, DebtorKind, Email, Invoice, InvoiceNumber, Language, Money,
    PlanName, PolicyVersion, TenantId, Timezone, Tone,
};
use mahnwerk::intake::{IntakeCommand, IntakeOutcome};
use mahnwerk::store::{CaseDecision, DueCase, NewReminder, Store};
use std::sync::Arc;

pub const TENANT: &str = "stadtwerke";
pub const SECRET_KEY: &str = "sk_test_51Mahnwerk0000";
pub const WEBHOOK_SECRET: &str = "whsec_test_mahnwerk_endpoint";

/// `[stripe]` with Stripe's API at `api_base`, offering card and SEPA Direct Debit.
pub fn config(api_base: &str) -> StripeConfig {
    let mut config = StripeConfig::new(SECRET_KEY.to_owned().into(), WEBHOOK_SECRET.to_owned().into());
    config.api_base = api_base.to_owned();
    config.payment_method_types = vec!["card".into(), "sepa_debit".into()];
    config.timeout_secs = 2;
    config.validate().expect("a valid [stripe]");
    config
}

/// When the invoices arrive; whole seconds, so both backends keep it exactly.
pub fn t0() -> DateTime<Utc> {
    "2026-03-02T08:00:00Z".parse().unwrap()
}

pub fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

pub fn eur(raw: &str) -> Money {
    Money::parse(raw, Currency::parse("EUR").unwrap()).unwrap()
}

/// Opens a case for each of `numbers` (EUR, `amount` each) at [`t0`] and plans a first email
/// reminder for it, sent at once; returns the reminders' ids in the order of `numbers`.
pub async fn dunned(store: &Arc<dyn Store>, numbers: &[&str], amount: &str) -> Vec<i64> {
    let commands: Vec<IntakeCommand> = numbers
        .iter()
        .map(|number| IntakeCommand::Overdue {
            invoice: invoice(number, eur(amount)),
            plan: PlanName::parse("standard-b2c").unwrap(),
            received_at: t0(),
            marketing_consent: None,
        })
        .collect();
    let outcomes = store.apply_intake(&commands).await.expect("intake");
    assert!(outcomes.iter().all(|o| *o == IntakeOutcome::Created), "{outcomes:?}");
    let decide = |case: &DueCase| CaseDecision::Remind(reminder(case, t0()));
    let planned = store.plan_due_cases(t0(), 100, &decide).await.expect("planning");
    assert_eq!(planned, numbers.len());
    let mut ids = Vec::new();
    for number in numbers {
        ids.push(store.reminders_of(TENANT, number).await.unwrap()[0].id);
    }
    ids
}

fn invoice(number: &str, amount: Money) -> Invoice {
    Invoice {
        tenant: tenant(),
        number: InvoiceNumber::parse(number).unwrap(),
        issued_on: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        due_on: NaiveDate::from_ymd_opt(2026, 2, 15).unwrap(),
        amount_due: amount,
        terms: Default::default(),
        lines: Vec::new(),
        debtor: Debtor {
            id: DebtorId::parse(&format!("D-{number}")).unwrap(),
            kind: DebtorKind::Consumer,
            name: "Erika Mustermann".into(),
            language: Language::parse("de").unwrap(),
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            email: Some(Email::parse("erika@example.org").unwrap()),
            phone: None,
            whatsapp: None,
            whatsapp_opt_in: false,
            messenger_psid: None,
            contact_person: None,
            address: None,
            iban: None,
            unreachable: Default::default(),
        },
        plan: Some("standard-b2c".into()),
    }
}

/// The email reminder of `case`'s next stage, sent at `send_at`, the case due again a week later.
pub fn reminder(case: &DueCase, send_at: DateTime<Utc>) -> NewReminder {
    NewReminder {
        stage: case.stages_planned,
        stage_name: "Zahlungserinnerung".into(),
        tone: Tone::Friendly,
        fee: rust_decimal::Decimal::ZERO,
        channel: ChannelKind::Email,
        send_at,
        send_by: send_at + Span::hours(11),
        local_hour: 9,
        context: serde_json::json!({"stage": case.stages_planned}),
        allowed: serde_json::json!({"channels": ["email"], "hours": [9]}),
        propensity: 1.0,
        policy_version: PolicyVersion::fixed(),
        next_action_at: send_at + Span::days(7),
        instalment: 0,
        escalates_after_days: None,
    }
}
