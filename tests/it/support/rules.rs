//! The stages' rules over a store, called the way the service calls them (each in its own
//! transaction), under the names the conformance suites use: the store persists, these decide.

#![allow(dead_code, async_fn_in_trait)]

use chrono::{DateTime, Utc};
use mahnwerk::deliver::{record_consent, record_deliveries, record_provider_report};
use mahnwerk::domain::AttributionWindow;
use mahnwerk::intake::{apply_commands, IntakeCommand, IntakeOutcome};
use mahnwerk::pay::{self, PaymentOutcome, PaymentRecord};
use mahnwerk::schedule::{plan_due_cases, settle_outcomes, Decide};
use mahnwerk::store::{ConsentEvent, DeliveryReport, ProviderReport, ReportOutcome, Store, StoreError};
use std::sync::Arc;
use std::time::Duration;

fn window(duration: Duration) -> AttributionWindow {
    AttributionWindow::hours((duration.as_secs() / 3600) as u32)
}

pub trait Rules {
    async fn apply_intake(&self, commands: &[IntakeCommand]) -> Result<Vec<IntakeOutcome>, StoreError>;
    async fn record_payment(
        &self,
        payment: &PaymentRecord,
        window: Duration,
    ) -> Result<IntakeOutcome, StoreError>;
    async fn plan_due_cases(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        decide: Decide<'_>,
    ) -> Result<usize, StoreError>;
    async fn record_deliveries(
        &self,
        reports: &[DeliveryReport],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn settle_outcomes(
        &self,
        now: DateTime<Utc>,
        window: Duration,
        limit: u32,
    ) -> Result<usize, StoreError>;
    async fn record_consent(&self, event: &ConsentEvent) -> Result<u64, StoreError>;
    async fn record_provider_report(&self, report: &ProviderReport) -> Result<ReportOutcome, StoreError>;
}

impl Rules for Arc<dyn Store> {
    async fn apply_intake(&self, commands: &[IntakeCommand]) -> Result<Vec<IntakeOutcome>, StoreError> {
        apply_commands(
            self.as_ref(),
            &mahnwerk::pay::Settlement::statutory(),
            commands,
            AttributionWindow::default(),
            Utc::now(),
        )
        .await
    }

    async fn record_payment(
        &self,
        payment: &PaymentRecord,
        duration: Duration,
    ) -> Result<IntakeOutcome, StoreError> {
        let law = mahnwerk::domain::legal::statutory_law;
        Ok(match pay::record(self.as_ref(), payment, window(duration), &law, Utc::now()).await? {
            PaymentOutcome::Recorded { case_closed } => IntakeOutcome::PaymentRecorded { case_closed },
            PaymentOutcome::Duplicate => IntakeOutcome::PaymentDuplicate,
            PaymentOutcome::UnknownInvoice => IntakeOutcome::UnknownInvoice,
            PaymentOutcome::CurrencyMismatch { expected } => IntakeOutcome::CurrencyMismatch { expected },
        })
    }

    async fn plan_due_cases(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        decide: Decide<'_>,
    ) -> Result<usize, StoreError> {
        let law_of = |_: &mahnwerk::domain::TenantId| mahnwerk::domain::legal::Germany::default();
        plan_due_cases(self.as_ref(), now, limit, decide, &law_of).await
    }

    async fn record_deliveries(
        &self,
        reports: &[DeliveryReport],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        record_deliveries(self.as_ref(), reports, now).await
    }

    async fn settle_outcomes(
        &self,
        now: DateTime<Utc>,
        duration: Duration,
        limit: u32,
    ) -> Result<usize, StoreError> {
        settle_outcomes(self.as_ref(), now, window(duration), limit).await
    }

    async fn record_consent(&self, event: &ConsentEvent) -> Result<u64, StoreError> {
        record_consent(self.as_ref(), event, Utc::now()).await
    }

    async fn record_provider_report(&self, report: &ProviderReport) -> Result<ReportOutcome, StoreError> {
        record_provider_report(self.as_ref(), report, Utc::now()).await
    }
}
