//! The commands intake makes of the creditors' messages, and what applying each one did.

use crate::domain::{
    DisputeResolution, Invoice, InvoiceNumber, MarketingConsentClaim, PaymentRecord, PlanName, TenantId,
};
use chrono::{DateTime, Utc};
use mahnwerk_models::recommend::CatalogueItem;

/// A parsed intake message, ready to be applied.
#[derive(Debug, Clone)]
// Commands live only for one batch; boxing the invoice would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum IntakeCommand {
    /// An overdue invoice; `plan` is already resolved against the plan book.
    Overdue {
        invoice: Invoice,
        plan: PlanName,
        received_at: DateTime<Utc>,
        /// The creditor's word on the debtor's marketing consent (`debtor.marketing_consent`),
        /// recorded when the invoice is new.
        marketing_consent: Option<MarketingConsentClaim>,
    },
    /// An issued invoice (`invoice.issued`): its lines become purchase history, and its
    /// debtor's marketing consent claim is recorded; nothing is dunned.
    Issued {
        invoice: Invoice,
        received_at: DateTime<Utc>,
        /// As for [`IntakeCommand::Overdue`], recorded on every delivery (the ledger's rule makes
        /// a replay write nothing).
        marketing_consent: Option<MarketingConsentClaim>,
    },
    Paid(PaymentRecord),
    Cancelled {
        tenant: TenantId,
        invoice_number: InvoiceNumber,
        at: DateTime<Utc>,
    },
    /// One item of the tenant's catalogue (`catalogue.item`).
    CatalogueItem {
        tenant: TenantId,
        item: CatalogueItem,
        received_at: DateTime<Utc>,
    },
    /// The creditor resolved the debtor's dispute (`case.dispute_resolved`).
    DisputeResolved {
        tenant: TenantId,
        invoice_number: InvoiceNumber,
        resolution: DisputeResolution,
        note: String,
        at: DateTime<Utc>,
    },
}

impl IntakeCommand {
    /// The message's kind, as the intake metrics name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Overdue { .. } => "overdue",
            Self::Issued { .. } => "issued",
            Self::Paid(_) => "paid",
            Self::Cancelled { .. } => "cancelled",
            Self::DisputeResolved { .. } => "dispute_resolved",
            Self::CatalogueItem { .. } => "catalogue_item",
        }
    }

    /// The tenant the message is from.
    pub fn tenant(&self) -> &TenantId {
        match self {
            Self::Overdue { invoice, .. } | Self::Issued { invoice, .. } => &invoice.tenant,
            Self::Paid(payment) => &payment.tenant,
            Self::Cancelled { tenant, .. }
            | Self::DisputeResolved { tenant, .. }
            | Self::CatalogueItem { tenant, .. } => tenant,
        }
    }
}

/// What applying one intake command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    Created,
    /// The invoice was already known; nothing changed.
    Duplicate,
    PaymentRecorded {
        case_closed: bool,
    },
    PaymentDuplicate,
    /// An issued invoice's lines stored as purchase history (`new` of them were not stored
    /// before).
    Issued {
        new: u64,
    },
    CaseCancelled,
    /// A catalogue item stored (new, or replacing the one with its SKU).
    CatalogueItem,
    DisputeResolved,
    /// A dispute resolution for a case without an open dispute; nothing changed.
    NoOpenDispute,
    /// Cancelling a case that is already paid or cancelled.
    AlreadyClosed,
    UnknownInvoice,
    CurrencyMismatch {
        expected: String,
    },
}
