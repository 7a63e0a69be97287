//! What a debtor is shown: a recommended item, its score and why it was chosen.

use serde::{Deserialize, Serialize};

use super::Catalogue;

/// Why an item was recommended: the largest of its score terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Debtors who bought `sku` (which this debtor bought) often bought this too.
    OftenBoughtWith { sku: String },
    /// The debtor bought this repeatable item before.
    BoughtBefore { sku: String },
    /// Popular lately with debtors of the debtor's segment.
    PopularInSegment { segment: String },
    /// Popular lately with everyone: the debtor's segment has no purchases yet.
    Popular,
}

impl Reason {
    /// The reason as a debtor reads it, with the catalogue's name for the item bought with
    /// (its SKU when the catalogue no longer has it): "often bought with Toner", "popular with
    /// businesses like you".
    pub fn render(&self, catalogue: &Catalogue) -> String {
        match self {
            Reason::OftenBoughtWith { sku } => {
                let name = catalogue.get(sku).map_or(sku.as_str(), |item| item.name.as_str());
                format!("often bought with {name}")
            }
            other => other.to_string(),
        }
    }
}

/// Renders with SKUs; [`Reason::render`] puts in the item's name.
impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::OftenBoughtWith { sku } => write!(f, "often bought with {sku}"),
            Reason::BoughtBefore { .. } => f.write_str("you bought this before"),
            Reason::PopularInSegment { segment } => {
                let who = match segment.as_str() {
                    "business" | "b2b" => "businesses",
                    _ => "customers",
                };
                write!(f, "popular with {who} like you")
            }
            Reason::Popular => f.write_str("popular with our customers"),
        }
    }
}

/// One recommended catalogue item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub sku: String,
    pub name: String,
    pub url: String,
    pub price_cents: i64,
    /// The item's score: co-purchase similarity + buy-again + weighted popularity. Comparable
    /// within one answer only.
    pub score: f32,
    pub reason: Reason,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::CatalogueItem;

    #[test]
    fn reasons_read_as_sentences() {
        let toner = CatalogueItem {
            sku: "TON".into(),
            name: "Toner".into(),
            url: String::new(),
            price_cents: 1,
            category: String::new(),
            active: true,
            repeatable: true,
        };
        let catalogue = Catalogue::new(vec![toner]).unwrap();
        let with = |sku: &str| Reason::OftenBoughtWith { sku: sku.into() };
        assert_eq!(with("TON").render(&catalogue), "often bought with Toner");
        assert_eq!(with("GONE").render(&catalogue), "often bought with GONE");
        let segment = |s: &str| Reason::PopularInSegment { segment: s.into() }.render(&catalogue);
        assert_eq!(segment("business"), "popular with businesses like you");
        assert_eq!(segment("consumer"), "popular with customers like you");
        assert_eq!(Reason::BoughtBefore { sku: "TON".into() }.to_string(), "you bought this before");
        let json = serde_json::to_string(&with("TON")).unwrap();
        assert_eq!(json, r#"{"kind":"often_bought_with","sku":"TON"}"#);
    }
}
