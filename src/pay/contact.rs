//! "Please contact me": the debtor leaves a phone number or an email address and a time window on
//! the pay-page, and the creditor learns it as a `contact.requested` event. Dunning goes on.

use crate::runtime::{EventBody, NewEvent};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// A checked request to be contacted (see the pay-page's form for the checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRequest {
    pub phone: Option<String>,
    pub email: Option<String>,
    /// When the debtor can be reached, e.g. `weekdays 9-12`.
    pub window: String,
    pub message: String,
}

/// Emits `contact.requested` for case `case_id`; `false` when there is no such case.
pub async fn request_contact(
    store: &dyn Store,
    case_id: i64,
    request: ContactRequest,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let Some(case) = tx.lock_case(case_id).await? else {
        return Ok(false);
    };
    let ContactRequest { phone, email, window, message } = request;
    let event = case.subject().event(now, EventBody::ContactRequested { phone, email, window, message });
    tx.append_events(&[NewEvent::from(&event)]).await?;
    tx.commit().await?;
    Ok(true)
}
