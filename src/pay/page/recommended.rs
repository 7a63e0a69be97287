//! The thank-you view's product recommendations: what the recommendation hook stored for the
//! paid case, in the debtor's language, each behind its signed click link (`/r/{token}`). Only
//! items the catalogue still lists as active are shown.

use super::click::Click;
use super::words;
use crate::deliver::locale::Locale;
use crate::deliver::Links;
use crate::domain::{CaseState, Money};
use crate::store::PayCase;
use chrono::{DateTime, Utc};
use mahnwerk_models::recommend::{CatalogueItem, Reason};
use serde::Serialize;
use std::collections::HashMap;

/// One recommended item as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shown {
    pub name: String,
    /// The price in the debtor's locale (`19,90 €`).
    pub price: String,
    /// The signed click link, relative to the page.
    pub href: String,
    /// Why, in the debtor's language.
    pub reason: String,
}

/// The items to show on a paid case's page, best first: none unless the case is paid, and only
/// those `catalogue` (the tenant's, by SKU) still has as active.
pub fn shown(
    case: &PayCase,
    catalogue: &HashMap<String, CatalogueItem>,
    links: &Links,
    language: &'static str,
    now: DateTime<Utc>,
) -> Vec<Shown> {
    if case.state != CaseState::Paid {
        return Vec::new();
    }
    let (t, locale, currency) = (words::words(language), Locale::of(language), case.amount_due.currency());
    case.recommendations
        .iter()
        .filter(|item| catalogue.get(&item.sku).is_some_and(|c| c.active))
        .map(|item| {
            let reason = reason_text(t, &item.reason, catalogue);
            Shown {
                name: item.name.clone(),
                price: locale.money(&Money::new(item.price, currency)),
                href: Click::new(case.tenant.clone(), case.case_id, item.rank, now).path(links),
                reason,
            }
        })
        .collect()
}

/// Why an item is recommended, in the language of `t` (the pay-page's words), naming the item
/// it goes with by its catalogue name.
pub fn reason_text(t: &words::Words, reason: &Reason, catalogue: &HashMap<String, CatalogueItem>) -> String {
    match reason {
        Reason::OftenBoughtWith { sku } => {
            let name = catalogue.get(sku).map_or(sku.as_str(), |c| c.name.as_str());
            t["reason_often_bought_with"].replace("{name}", name)
        }
        Reason::BoughtBefore { .. } => t["reason_bought_before"].clone(),
        Reason::PopularInSegment { segment } if matches!(segment.as_str(), "business" | "b2b") => {
            t["reason_popular_business"].clone()
        }
        Reason::PopularInSegment { .. } => t["reason_popular_segment"].clone(),
        Reason::Popular => t["reason_popular"].clone(),
    }
}
