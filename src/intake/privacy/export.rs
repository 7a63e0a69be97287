//! Art. 15 GDPR: everything stored about one debtor of one tenant, as one JSON document: the
//! contact data and the consent in force, the whole consent ledger, the whole marketing consent
//! ledger (consents to advertising and objections), every case with its invoice
//! and lines, reminders (channel, status, dates), payments, promises, disputes, instalments,
//! the events about it, the claim statements of its escalation, the products recommended after
//! its payment, and every operator action about the debtor or one of its cases.

use crate::domain::{DebtorId, TenantId};
use crate::store::console::{
    AuditEntry, CaseSummary, DebtorRecord, TimelineDispute, TimelinePayment, TimelinePromise,
    TimelineReminder,
};
use crate::store::debtor_data::{
    ConsentEvent, InstalmentRecord, InvoiceLineRecord, IssuedLineRecord, StoredEvent, StoredStatement,
};
use crate::store::marketing::MarketingConsentRecord;
use crate::store::recommend::StoredRecommendation;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The version of the export's shape, in every export as `"schema"`.
pub const EXPORT_SCHEMA: &str = "mahnwerk.debtor_export.v1";

/// Everything stored about one debtor.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DebtorExport {
    /// [`EXPORT_SCHEMA`].
    pub schema: String,
    pub tenant: String,
    pub exported_at: DateTime<Utc>,
    /// Contact data, with the consent in force per channel.
    pub debtor: DebtorRecord,
    /// Every consent event, oldest first.
    pub consent_ledger: Vec<ConsentEvent>,
    /// Every marketing consent event (explicit consents to advertising and objections to it,
    /// a ledger of its own beside the reminders'), in the order that decides which is in force:
    /// the last per channel is.
    pub marketing_consent_ledger: Vec<MarketingConsentEntry>,
    pub cases: Vec<CaseData>,
    /// Lines of invoices issued to the debtor but never dunned (`invoice.issued`), kept as
    /// purchase history for product recommendations.
    pub purchase_history: Vec<IssuedLineRecord>,
    /// Operator actions about the debtor itself (contact edits, Mahnstopp, erasure).
    pub operator_actions: Vec<AuditEntry>,
}

/// One event of the marketing consent ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MarketingConsentEntry {
    /// `email`, `sms`, `whatsapp` or `messenger`.
    pub channel: String,
    /// `opt_in` (an explicit consent to advertising) or `opt_out` (an objection).
    pub kind: String,
    /// When the debtor gave the consent or made the objection.
    pub given_at: DateTime<Utc>,
    /// Who reported it: `intake` (the creditor, with an invoice), `operator` (the console) or
    /// `opt_out_link` (the debtor, through a thank-you message).
    pub source: String,
    /// What carried it: `invoice <number>`, the operator, `thank-you message <id>`.
    pub detail: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

impl From<MarketingConsentRecord> for MarketingConsentEntry {
    fn from(record: MarketingConsentRecord) -> Self {
        Self {
            channel: record.channel.as_str().to_owned(),
            kind: record.kind.as_str().to_owned(),
            given_at: record.at,
            source: record.source,
            detail: record.detail,
            recorded_at: record.recorded_at,
        }
    }
}

/// One case of the debtor, with everything that happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseData {
    pub case: CaseSummary,
    pub invoice_lines: Vec<InvoiceLineRecord>,
    pub reminders: Vec<TimelineReminder>,
    pub payments: Vec<TimelinePayment>,
    pub promises: Vec<TimelinePromise>,
    pub disputes: Vec<TimelineDispute>,
    pub instalments: Vec<InstalmentRecord>,
    /// The events about the case (`docs/events.md`), oldest first.
    pub events: Vec<StoredEvent>,
    /// The claim statements fixed when the case escalated, oldest first.
    pub claim_statements: Vec<StoredStatement>,
    /// Operator actions about the case.
    pub operator_actions: Vec<AuditEntry>,
    /// What was recommended to the debtor after the case was paid, if anything.
    pub recommendation: Option<RecommendationShown>,
}

/// The products recommended to the debtor after a payment (the thank-you view, the shop webhook).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RecommendationShown {
    pub model_version: i64,
    pub created_at: DateTime<Utc>,
    /// Best first.
    pub items: Vec<RecommendedProduct>,
}

/// One recommended product, with the reason the debtor was shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecommendedProduct {
    pub rank: u32,
    pub sku: String,
    pub name: String,
    pub reason: String,
}

impl From<StoredRecommendation> for RecommendationShown {
    fn from(stored: StoredRecommendation) -> Self {
        Self {
            model_version: stored.model_version,
            created_at: stored.created_at,
            items: stored
                .items
                .into_iter()
                .map(|item| RecommendedProduct {
                    rank: item.rank,
                    sku: item.sku,
                    name: item.name,
                    reason: item.reason_text,
                })
                .collect(),
        }
    }
}

/// Everything stored about `tenant`'s debtor `debtor`, read inside `tx`; `None` when the tenant
/// has no such debtor.
pub async fn debtor_export(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<Option<DebtorExport>, StoreError> {
    let Some(record) = tx.tenant_debtor(tenant, debtor).await? else { return Ok(None) };
    let consent_ledger = tx.consent_ledger(tenant, debtor).await?;
    let marketing = tx.marketing_ledger(tenant, debtor).await?;
    let mut cases = Vec::new();
    for case_id in tx.debtor_case_ids(tenant, debtor).await? {
        let Some(case) = tx.tenant_case(tenant, case_id).await? else { continue };
        let history = tx.case_history(tenant, case_id).await?;
        cases.push(CaseData {
            case,
            invoice_lines: tx.invoice_lines(tenant, case_id).await?,
            reminders: history.reminders,
            payments: history.payments,
            promises: history.promises,
            disputes: history.disputes,
            instalments: tx.instalments(tenant, case_id).await?,
            events: tx.case_events(tenant, case_id).await?,
            claim_statements: tx.claim_statements_of(tenant, case_id).await?,
            operator_actions: history.audit,
            recommendation: tx.recommendation(tenant, case_id).await?.map(RecommendationShown::from),
        });
    }
    Ok(Some(DebtorExport {
        schema: EXPORT_SCHEMA.to_owned(),
        tenant: tenant.as_str().to_owned(),
        exported_at: now,
        debtor: record,
        consent_ledger,
        marketing_consent_ledger: marketing.into_iter().map(MarketingConsentEntry::from).collect(),
        cases,
        purchase_history: tx.issued_lines_of(tenant, debtor).await?,
        operator_actions: tx.debtor_audit(tenant, debtor).await?,
    }))
}
