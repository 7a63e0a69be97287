//! A decision log's `context` object as the learner's features: the same conversion the
//! service's adaptive policy makes (`src/learn/policy.rs`, `to_context`), so that a model is
//! asked here exactly as the scheduler asks it.

use mahnwerk_models::bandit::{Context, FeatureValue};
use serde_json::{Map, Value};

/// Numbers stay numbers, strings and booleans are categories, anything else (null, arrays,
/// objects) is left out.
pub fn to_context(map: &Map<String, Value>) -> Context {
    let mut context = Context::new();
    for (key, value) in map {
        match value {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    context.push(key.as_str(), FeatureValue::Num(x));
                }
            }
            Value::String(s) => context.push(key.as_str(), FeatureValue::Cat(s.clone())),
            Value::Bool(b) => context.push(key.as_str(), FeatureValue::Cat(b.to_string())),
            Value::Null | Value::Array(_) | Value::Object(_) => {}
        }
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_numbers_strings_and_booleans_only() {
        let map = serde_json::json!({"amount": 12.5, "segment": "b2c", "vip": true, "x": null, "y": [1]});
        let context = to_context(map.as_object().unwrap());
        let keys: Vec<&str> = context.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["amount", "segment", "vip"]);
    }
}
