//! A tenant's catalogue as creditors hand it over: a CSV file with a header, or JSON lines, with
//! the columns `sku`, `name`, `url`, `price`, `category`, `active`, `repeatable`
//! (`mahnwerk catalogue import`), or one item per `catalogue.item` message on the intake
//! exchange. Every error names the line and the field, and a file with one is refused whole.

use mahnwerk_models::recommend::CatalogueItem;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;

/// The columns a catalogue line may have; `sku`, `name`, `url` and `price` are required.
pub const COLUMNS: [&str; 7] = ["sku", "name", "url", "price", "category", "active", "repeatable"];

/// Why a catalogue was refused: the line (from 1, the CSV header being line 1) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, field {field}: {reason}")]
pub struct CatalogueError {
    pub line: usize,
    pub field: String,
    pub reason: String,
}

impl CatalogueError {
    fn new(line: usize, field: &str, reason: impl Into<String>) -> Self {
        Self { line, field: field.to_owned(), reason: reason.into() }
    }
}

/// A field's value as read, before its rule is applied.
enum Raw<'a> {
    Text(&'a str),
    Bool(bool),
    Other(&'static str),
}

/// What an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub items: usize,
    pub active: usize,
}

/// Parses `text` and stores its items in `tenant`'s catalogue, in one transaction: a file with
/// an error stores nothing.
pub async fn import(
    store: &dyn crate::store::Store,
    tenant: &crate::domain::TenantId,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Imported> {
    let items = parse(text)?;
    let mut tx = store.begin().await?;
    tx.upsert_catalogue(tenant, &items, now).await?;
    tx.commit().await?;
    Ok(Imported { items: items.len(), active: items.iter().filter(|i| i.active).count() })
}

/// Parses a catalogue file: JSON lines when its first non-blank character is `{`, CSV otherwise.
pub fn parse(text: &str) -> Result<Vec<CatalogueItem>, CatalogueError> {
    let items = if text.trim_start().starts_with('{') { json_lines(text)? } else { csv(text)? };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (line, item) in &items {
        if let Some(first) = seen.insert(item.sku.as_str(), *line) {
            return Err(CatalogueError::new(
                *line,
                "sku",
                format!("'{}' is on line {first} already", item.sku),
            ));
        }
    }
    Ok(items.into_iter().map(|(_, item)| item).collect())
}

fn csv(text: &str) -> Result<Vec<(usize, CatalogueItem)>, CatalogueError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| CatalogueError::new(1, "$", format!("not a CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(CatalogueError::new(
            1,
            unknown,
            format!("unknown column (known: {})", COLUMNS.join(", ")),
        ));
    }
    let mut items = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            CatalogueError::new(line, "$", format!("not a CSV line: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let get = |field: &str| {
            let at = header.iter().position(|h| h == field)?;
            record.get(at).map(str::trim).filter(|v| !v.is_empty()).map(Raw::Text)
        };
        items.push((line, item(line, get)?));
    }
    Ok(items)
}

fn json_lines(text: &str) -> Result<Vec<(usize, CatalogueItem)>, CatalogueError> {
    let mut items = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(raw)
            .map_err(|e| CatalogueError::new(line, "$", format!("not valid JSON: {e}")))?;
        let Value::Object(object) = &value else {
            return Err(CatalogueError::new(line, "$", "must be a JSON object"));
        };
        if let Some(unknown) = object.keys().find(|k| !COLUMNS.contains(&k.as_str())) {
            return Err(CatalogueError::new(
                line,
                unknown,
                format!("unknown field (known: {})", COLUMNS.join(", ")),
            ));
        }
        items.push((line, from_json(line, &value)?));
    }
    Ok(items)
}

/// One catalogue item from a JSON object (a line of a JSON-lines file, or the body of a
/// `catalogue.item` message); unknown fields are the caller's to refuse or ignore.
pub fn from_json(line: usize, value: &Value) -> Result<CatalogueItem, CatalogueError> {
    item(line, |field| match value.get(field)? {
        Value::Null => None,
        Value::String(s) => Some(Raw::Text(s.as_str())),
        Value::Bool(b) => Some(Raw::Bool(*b)),
        Value::Number(_) => Some(Raw::Other("a number")),
        Value::Array(_) => Some(Raw::Other("an array")),
        Value::Object(_) => Some(Raw::Other("an object")),
    })
}

fn item<'a>(line: usize, get: impl Fn(&str) -> Option<Raw<'a>>) -> Result<CatalogueItem, CatalogueError> {
    let text = |field: &str, required: bool| -> Result<Option<&'a str>, CatalogueError> {
        match get(field) {
            None if required => Err(CatalogueError::new(line, field, "is required")),
            None => Ok(None),
            Some(Raw::Text(s)) => Ok(Some(s)),
            Some(Raw::Bool(_)) => Err(CatalogueError::new(line, field, "must be a string, not a boolean")),
            Some(Raw::Other(what)) => {
                Err(CatalogueError::new(line, field, format!("must be a string, not {what}")))
            }
        }
    };
    let flag = |field: &str, default: bool| -> Result<bool, CatalogueError> {
        match get(field) {
            None => Ok(default),
            Some(Raw::Bool(b)) => Ok(b),
            Some(Raw::Text(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(CatalogueError::new(line, field, format!("'{s}' is neither true nor false"))),
            },
            Some(Raw::Other(what)) => {
                Err(CatalogueError::new(line, field, format!("must be true or false, not {what}")))
            }
        }
    };
    let sku = text("sku", true)?.unwrap_or_default();
    if sku.chars().count() > 64 || sku.chars().any(char::is_control) {
        return Err(CatalogueError::new(line, "sku", "must be 1 to 64 printable characters"));
    }
    let name = text("name", true)?.unwrap_or_default();
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(CatalogueError::new(line, "name", "must be 1 to 200 printable characters"));
    }
    let url = text("url", true)?.unwrap_or_default();
    let parsed = reqwest::Url::parse(url).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    if parsed.is_none() || url.len() > 2000 {
        return Err(CatalogueError::new(line, "url", format!("'{url}' is not an http(s) URL")));
    }
    let price = text("price", true)?.unwrap_or_default();
    let cents = price_cents(price).ok_or_else(|| {
        CatalogueError::new(
            line,
            "price",
            format!("'{price}' is not a price like \"19.90\" (at least 0, at most 2 decimals)"),
        )
    })?;
    Ok(CatalogueItem {
        sku: sku.to_owned(),
        name: name.to_owned(),
        url: url.to_owned(),
        price_cents: cents,
        category: text("category", false)?.unwrap_or_default().to_owned(),
        active: flag("active", true)?,
        repeatable: flag("repeatable", false)?,
    })
}

fn price_cents(raw: &str) -> Option<i64> {
    let ok_chars = raw.chars().all(|c| c.is_ascii_digit() || c == '.');
    let price: Decimal =
        raw.parse().ok().filter(|_| ok_chars && !raw.starts_with('.') && !raw.ends_with('.'))?;
    if price.normalize().scale() > 2 {
        return None;
    }
    (price * Decimal::ONE_HUNDRED).to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_lines_read_the_same_items() {
        let csv = "sku,name,url,price,category,active,repeatable\n\
                   TON-1,Toner,https://shop.example/ton,19.90,office,true,yes\n\
                   PAP-5,Papier,https://shop.example/pap,4.5,office,false,\n";
        let json = "{\"sku\":\"TON-1\",\"name\":\"Toner\",\"url\":\"https://shop.example/ton\",\"price\":\"19.90\",\"category\":\"office\",\"repeatable\":true}\n\
                    \n{\"sku\":\"PAP-5\",\"name\":\"Papier\",\"url\":\"https://shop.example/pap\",\"price\":\"4.5\",\"category\":\"office\",\"active\":false}\n";
        let from_csv = parse(csv).unwrap();
        assert_eq!(from_csv, parse(json).unwrap());
        assert_eq!(from_csv[0].price_cents, 1990);
        assert!(from_csv[0].active && from_csv[0].repeatable);
        assert_eq!(from_csv[1].price_cents, 450);
        assert!(!from_csv[1].active && !from_csv[1].repeatable);
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let header = "sku,name,url,price\n";
        let cases = [
            (
                format!("{header}A,Toner,https://x.example/a,1.00\nB,Papier,https://x.example/b,abc\n"),
                3,
                "price",
            ),
            (format!("{header}A,Toner,ftp://x.example/a,1.00\n"), 2, "url"),
            (format!("{header}A,,https://x.example/a,1.00\n"), 2, "name"),
            (format!("{header}A,Toner,https://x.example/a,1.001\n"), 2, "price"),
            (format!("{header}A,Toner,https://x.example/a,-1\n"), 2, "price"),
            (format!("{header}A,T,https://x.example/a,1\nA,T,https://x.example/a,2\n"), 3, "sku"),
            ("sku,name,url,price,colour\n".to_owned(), 1, "colour"),
            ("sku,name,url,price,active\nA,T,https://x.example/a,1,maybe\n".to_owned(), 2, "active"),
            (
                "{\"sku\":\"A\",\"name\":\"T\",\"url\":\"https://x.example/a\",\"price\":1}\n".to_owned(),
                1,
                "price",
            ),
            (
                "{\"sku\":\"A\"}\n{\"sku\":\"B\",\"name\":\"T\",\"url\":\"https://x.example/a\"}\n"
                    .to_owned(),
                1,
                "name",
            ),
            (
                "{\"sku\":\"A\",\"name\":\"T\",\"url\":\"https://x.example/a\",\"price\":\"1\"}\n{oops\n"
                    .to_owned(),
                2,
                "$",
            ),
        ];
        for (text, line, field) in cases {
            let error = parse(&text).unwrap_err();
            assert_eq!((error.line, error.field.as_str()), (line, field), "{error} for {text:?}");
        }
    }
}
