//! The audit page: `GET /console/audit`, the tenant's audit log newest first as `GET
//! /api/v1/audit` reads it, for every role that may read it there (viewers too): when, who,
//! what in words, the case or debtor it touched (linked to their pages), and before → after in
//! the page's words (`audit_text`). Filtered by action, case or debtor with the API's own
//! query; fifty entries a page, the next page by cursor as in the case list.

use super::audit::{audit_entries, AuditQuery};
use super::audit_text::{actor, change, named_cases};
use super::auth::session_access;
use super::debtor_page::debtor_path;
use super::error::ConsoleError;
use super::i18n::Lang;
use super::pages::{page, to_login, who, LangQuery};
use super::words::{identifiers, Vocabulary};
use crate::api::ApiState;
use crate::store::console::AuditEntry;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use std::collections::BTreeMap;

/// Entries on one page.
const PAGE: u32 = 50;

/// `GET /console/audit`.
pub async fn audit(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
    Query(chosen): Query<LangQuery>,
) -> Result<Response, ConsoleError> {
    let Some((access, _)) = session_access(&state, &headers).await? else { return Ok(to_login()) };
    let lang = Lang::choose(chosen.lang.as_deref(), &headers);
    let (entries, next, status, error) = match query.filter(PAGE) {
        Ok(filter) => {
            let (entries, next) = audit_entries(&state, &access, filter).await?;
            (entries, next, StatusCode::OK, None)
        }
        Err(ConsoleError::Field(wrong)) => {
            let field = lang.word(Vocabulary::Field, &wrong.field);
            let why = format!("{}: {field}: {}", lang.text("filter_not_applied"), wrong.reason);
            (Vec::new(), None, StatusCode::UNPROCESSABLE_ENTITY, Some(why))
        }
        Err(other) => return Err(other),
    };
    let numbers = invoice_numbers(&state, &access.tenant, &entries).await?;
    let rows: Vec<_> = entries.iter().map(|entry| row(lang, entry, &numbers)).collect();
    let given = |raw: &Option<String>| raw.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let (action, case_id, debtor_id) = (given(&query.action), given(&query.case_id), given(&query.debtor_id));
    let next_link = next.map(|cursor| {
        let params = serde_urlencoded::to_string([
            ("action", action.as_str()),
            ("case_id", case_id.as_str()),
            ("debtor_id", debtor_id.as_str()),
            ("cursor", &cursor.to_string()),
        ]);
        format!("/console/audit?{}", params.unwrap_or_default())
    });
    let actions: Vec<_> = identifiers(Vocabulary::Action)
        .map(|id| context! { id, word => lang.word(Vocabulary::Action, id) })
        .collect();
    let filtered = !(action.is_empty() && case_id.is_empty() && debtor_id.is_empty());
    Ok(page(
        status,
        "audit.html.j2",
        lang,
        chosen.lang.is_some(),
        context! { operator => who(&access), tenant => access.tenant.as_str(), rows, actions, action, case_id,
        debtor_id, filtered, next_link, error },
    ))
}

/// The invoice number of every case the entries name, in one read; another tenant's case is not
/// found and keeps its id.
async fn invoice_numbers(
    state: &ApiState,
    tenant: &crate::domain::TenantId,
    entries: &[AuditEntry],
) -> Result<BTreeMap<i64, String>, ConsoleError> {
    let mut ids: Vec<i64> = entries
        .iter()
        .flat_map(|e| e.case_id.into_iter().chain(named_cases(&e.before)).chain(named_cases(&e.after)))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut tx = super::short_reads(state).await?;
    Ok(tx.invoice_numbers(tenant, &ids).await?.into_iter().collect())
}

/// One entry as the page's table shows it.
fn row(lang: Lang, entry: &AuditEntry, numbers: &BTreeMap<i64, String>) -> minijinja::Value {
    let case = entry.case_id.map(|id| {
        let number = numbers.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        context! { href => format!("/console/cases/{id}"), number }
    });
    let debtor = entry.debtor_id.as_deref().map(|id| context! { href => debtor_path(id), id });
    context! {
        at => entry.at.format("%Y-%m-%d %H:%M").to_string(),
        who => actor(lang, &entry.actor),
        action => lang.word(Vocabulary::Action, &entry.action),
        case, debtor,
        before => change(lang, &entry.before, numbers),
        after => change(lang, &entry.after, numbers),
    }
}
