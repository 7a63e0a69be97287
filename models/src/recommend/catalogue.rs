//! The tenant's catalogue: what may be recommended, with what a debtor is shown.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::RecommendError;

/// One product the tenant sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueItem {
    pub sku: String,
    pub name: String,
    pub url: String,
    pub price_cents: i64,
    pub category: String,
    /// Only active items are ever recommended.
    pub active: bool,
    /// Bought again and again (consumables, subscriptions): recommended even right after a
    /// purchase.
    pub repeatable: bool,
}

/// The catalogue indexed by SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<CatalogueItem>", into = "Vec<CatalogueItem>")]
pub struct Catalogue {
    items: Vec<CatalogueItem>,
    by_sku: HashMap<String, usize>,
}

impl Catalogue {
    /// The catalogue of `items`; a SKU may appear only once.
    pub fn new(items: Vec<CatalogueItem>) -> Result<Self, RecommendError> {
        let mut by_sku = HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if by_sku.insert(item.sku.clone(), i).is_some() {
                return Err(RecommendError::DuplicateSku(item.sku.clone()));
            }
        }
        Ok(Catalogue { items, by_sku })
    }

    pub fn get(&self, sku: &str) -> Option<&CatalogueItem> {
        self.by_sku.get(sku).map(|&i| &self.items[i])
    }

    pub fn items(&self) -> &[CatalogueItem] {
        &self.items
    }
}

impl TryFrom<Vec<CatalogueItem>> for Catalogue {
    type Error = RecommendError;

    fn try_from(items: Vec<CatalogueItem>) -> Result<Self, RecommendError> {
        Catalogue::new(items)
    }
}

impl From<Catalogue> for Vec<CatalogueItem> {
    fn from(catalogue: Catalogue) -> Self {
        catalogue.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(sku: &str) -> CatalogueItem {
        CatalogueItem {
            sku: sku.to_owned(),
            name: format!("name of {sku}"),
            url: format!("https://shop.example/{sku}"),
            price_cents: 100,
            category: "c".to_owned(),
            active: true,
            repeatable: false,
        }
    }

    #[test]
    fn a_sku_is_found_and_may_appear_once() {
        let catalogue = Catalogue::new(vec![item("A"), item("B")]).unwrap();
        assert_eq!(catalogue.get("B").map(|i| i.name.as_str()), Some("name of B"));
        assert!(catalogue.get("C").is_none());
        assert_eq!(Catalogue::new(vec![item("A"), item("A")]), Err(RecommendError::DuplicateSku("A".into())));
    }

    #[test]
    fn a_catalogue_reads_back_from_json_and_refuses_duplicates() {
        let catalogue = Catalogue::new(vec![item("A"), item("B")]).unwrap();
        let json = serde_json::to_string(&catalogue).unwrap();
        assert_eq!(serde_json::from_str::<Catalogue>(&json).unwrap(), catalogue);
        let twice = serde_json::to_string(&vec![item("A"), item("A")]).unwrap();
        assert!(serde_json::from_str::<Catalogue>(&twice).is_err());
    }
}
