//! Pure types of a dunning case: parsed values, invoices and debtors, the case state machine and
//! dunning plans. Nothing here does IO; everything is built through `parse`/`TryFrom` once, at the
//! edge, so the rest of the service can trust what it holds.

mod access;
mod attribution;
mod case;
mod consent;
mod contact;
mod dispute;
mod error;
mod final_notice;
mod hold;
mod ids;
mod instalments;
mod invoice;
pub mod legal;
mod marketing;
mod money;
mod payment;
mod plan;
mod policy_version;
mod promise;

pub use access::{KeyScope, OperatorRole};
pub use attribution::AttributionWindow;
pub use case::{CaseEvent, CaseState, IllegalTransition};
pub use consent::{ConsentKind, ConsentSource, Consents};
pub use contact::{CountryCode, Email, Language, PhoneE164, PostalAddress, Timezone};
pub use dispute::{DisputeReason, DisputeResolution};
pub use error::{FieldError, Invalid};
pub use final_notice::{last_day_to_pay, Consequence};
pub use hold::{HoldState, PendingHold};
pub use ids::{DebtorId, InvoiceNumber, TenantId};
pub use instalments::{
    instalments_paid, numbered_after, open_of, standing, Instalment, InstalmentError, InstalmentNotice,
    InstalmentRules, PlanStanding,
};
pub use invoice::{Debtor, DebtorKind, Invoice, InvoiceLine, PaymentTerms};
pub use marketing::{
    changes_marketing_consent, marketing_basis, marketing_channel, MarketingBasis, MarketingConsentClaim,
    MarketingConsents, MARKETING_CHANNELS,
};
pub use money::{Currency, Money};
pub use payment::{PaymentRecord, PaymentSource};
pub use plan::{DunningPlan, PlanBook, PlanName, Stage, Tone};
pub use policy_version::PolicyVersion;
pub use promise::{PromiseError, PromiseRules, PromiseState};

pub use mahnwerk_channel_kind::ChannelKind;
