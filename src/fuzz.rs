//! What the parsers' fuzz tests share (tests only): the proptest configuration, arbitrary bytes,
//! and structure-aware mutations of a valid JSON document, each naming the field it broke in the
//! form the parsers' errors use (`debtor.address.city`, `lines[0].quantity`).
//!
//! `cargo fuzz` needs a nightly compiler; these are proptest properties instead, run with the
//! unit tests. Each test keeps its default number of cases small (a few seconds in all); set
//! `PROPTEST_CASES` to run more, e.g. `PROPTEST_CASES=20000 cargo test --lib fuzz`.

use proptest::prelude::*;
use serde_json::{Map, Value};

/// `default_cases` cases, or `PROPTEST_CASES` when it is set.
pub fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Arbitrary bytes, up to `max` of them: mostly not UTF-8, mostly not JSON.
pub fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=max)
}

/// Text made of the characters the formats care about (quotes, brackets, separators, digits,
/// signs, a few letters, a control character and a non-ASCII one), so that arbitrary input gets
/// past the first byte more often than random bytes do.
pub fn near_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(
                "{}[]\",:;.-+0123456789eEtfnul aZ<>/=&%\\\n\r\t\u{0}é€".chars().collect::<Vec<_>>()
            ),
            any::<char>(),
        ],
        0..=max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Any JSON value, a few levels deep.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        near_text(24).prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(near_text(8), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Every place in `value` (objects' members and arrays' items, at any depth), root excluded.
pub fn paths(value: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        let children: Vec<(Step, &Value)> = match value {
            Value::Object(map) => map.iter().map(|(k, v)| (Step::Key(k.clone()), v)).collect(),
            Value::Array(items) => items.iter().enumerate().map(|(i, v)| (Step::Index(i), v)).collect(),
            _ => Vec::new(),
        };
        for (step, child) in children {
            prefix.push(step);
            out.push(prefix.clone());
            walk(child, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// A path as the parsers' errors name it: `debtor.address.city`, `lines[0].quantity`.
pub fn field_name(path: &[Step]) -> String {
    let mut name = String::new();
    for step in path {
        match step {
            Step::Key(key) if name.is_empty() => name.push_str(key),
            Step::Key(key) => {
                name.push('.');
                name.push_str(key);
            }
            Step::Index(i) => name.push_str(&format!("[{i}]")),
        }
    }
    name
}

/// How one field of a valid document is broken.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Left out.
    Removed,
    /// Replaced by a value of another JSON type than it had (never `null`).
    WrongType(Value),
    /// Replaced by another value of any type, `null` included.
    Replaced(Value),
}

/// `valid` with one field broken, and the path of that field.
#[derive(Debug, Clone)]
pub struct Broken {
    pub document: Value,
    pub path: Vec<Step>,
    pub mutation: Mutation,
}

impl Broken {
    pub fn field(&self) -> String {
        field_name(&self.path)
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.document.to_string().into_bytes()
    }
}

/// `valid` with one of its fields (any depth) removed, given a value of the wrong type, or
/// replaced by an arbitrary value.
pub fn one_field_broken(valid: Value) -> impl Strategy<Value = Broken> {
    let places = paths(&valid);
    assert!(!places.is_empty(), "a document with fields");
    let mutation = prop_oneof![
        1 => Just(Mutation::Removed),
        2 => json_value().prop_map(Mutation::WrongType),
        2 => json_value().prop_map(Mutation::Replaced),
    ];
    (proptest::sample::select(places), mutation).prop_filter_map(
        "a value of the same type is no wrong type",
        move |(path, mutation)| {
            let mut document = valid.clone();
            let slot = locate(&mut document, &path);
            let mutation = match mutation {
                // A field that is null has no type to get wrong: any value is a replacement.
                Mutation::WrongType(new) if slot.is_null() => Mutation::Replaced(new),
                Mutation::WrongType(new) if new.is_null() || same_type(slot, &new) => return None,
                other => other,
            };
            apply(&mut document, &path, &mutation);
            Some(Broken { document, path, mutation })
        },
    )
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn locate<'a>(document: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(document, |value, step| match step {
        Step::Key(key) => &mut value[key.as_str()],
        Step::Index(i) => &mut value[*i],
    })
}

fn apply(document: &mut Value, path: &[Step], mutation: &Mutation) {
    let (last, parent) = path.split_last().expect("not the root");
    let parent = locate(document, parent);
    match (mutation, last, parent) {
        (Mutation::Removed, Step::Key(key), Value::Object(map)) => {
            map.remove(key);
        }
        (Mutation::Removed, Step::Index(i), Value::Array(items)) => {
            items.remove(*i);
        }
        (Mutation::WrongType(new) | Mutation::Replaced(new), _, parent) => {
            *locate(parent, std::slice::from_ref(last)) = new.clone();
        }
        _ => unreachable!("paths() only names members of objects and items of arrays"),
    }
}

/// `depth` arrays nested in each other: `[[[…]]]`.
pub fn deeply_nested(depth: usize) -> Vec<u8> {
    let mut body = vec![b'['; depth];
    body.extend(std::iter::repeat_n(b']', depth));
    body
}
