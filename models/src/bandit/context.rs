//! The context of one decision: named numeric and categorical values, any keys the caller has.
//!
//! On the wire (the policy protocol's `"context"`) it is a JSON object whose values are numbers or
//! strings; booleans are read as the categories `"true"`/`"false"` and `null` as "not known" (the
//! key is skipped). Unknown keys are welcome: every key is hashed, none is declared in advance.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One context value.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValue {
    /// A quantity (`amount`, `days_overdue`, `stage`). Encoded by magnitude, see
    /// [`features`](super::features).
    Num(f64),
    /// A category (`segment`, `country`, `plan`). Every distinct string is its own feature.
    Cat(String),
}

/// The features of one decision, in the caller's order. Duplicate keys are kept (both become
/// features); the caller decides what a key means.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    entries: Vec<(String, FeatureValue)>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a numeric feature (builder style).
    pub fn num(mut self, key: impl Into<String>, value: f64) -> Self {
        self.entries.push((key.into(), FeatureValue::Num(value)));
        self
    }

    /// Adds a categorical feature (builder style).
    pub fn cat(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.entries.push((key.into(), FeatureValue::Cat(value.into())));
        self
    }

    pub fn push(&mut self, key: impl Into<String>, value: FeatureValue) {
        self.entries.push((key.into(), value));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FeatureValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl FromIterator<(String, FeatureValue)> for Context {
    fn from_iter<I: IntoIterator<Item = (String, FeatureValue)>>(iter: I) -> Self {
        Context { entries: iter.into_iter().collect() }
    }
}

impl Serialize for FeatureValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FeatureValue::Num(x) => s.serialize_f64(*x),
            FeatureValue::Cat(c) => s.serialize_str(c),
        }
    }
}

impl<'de> Deserialize<'de> for FeatureValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl Visitor<'_> for ValueVisitor {
    type Value = FeatureValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, a string or a boolean")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<FeatureValue, E> {
        Ok(FeatureValue::Num(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<FeatureValue, E> {
        Ok(FeatureValue::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<FeatureValue, E> {
        Ok(FeatureValue::Num(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<FeatureValue, E> {
        Ok(FeatureValue::Cat(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<FeatureValue, E> {
        Ok(FeatureValue::Cat(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<FeatureValue, E> {
        Ok(FeatureValue::Cat(if v { "true" } else { "false" }.to_owned()))
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ContextVisitor)
    }
}

struct ContextVisitor;

impl<'de> Visitor<'de> for ContextVisitor {
    type Value = Context;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of numbers and strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some((key, value)) = map.next_entry::<String, Option<FeatureValue>>()? {
            if let Some(value) = value {
                entries.push((key, value));
            }
        }
        Ok(Context { entries })
    }
}
