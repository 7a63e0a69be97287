//! Reading fields out of a JSON object with errors that name the field's full path
//! (`debtor.address.postal_code`, `lines[2].quantity`), the way the rejection header reports them.

use crate::domain::{FieldError, Invalid};
use serde_json::{Map, Value};

/// A JSON object and the path it sits at.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// The message root; `$` is its name in errors about the whole message.
    pub fn root(value: &'a Value) -> Result<Self, FieldError> {
        match value {
            Value::Object(object) => Ok(Self { object, path: String::new() }),
            _ => Err(FieldError::new("$", "the message must be a JSON object")),
        }
    }

    /// The full path of `name` inside this object.
    pub fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn error(&self, name: &str, reason: impl std::fmt::Display) -> FieldError {
        FieldError::new(self.path(name), reason)
    }

    /// The path of this object itself (`debtor`, `lines[0]`).
    pub fn own_path(&self) -> &str {
        if self.path.is_empty() {
            "$"
        } else {
            &self.path
        }
    }

    /// The names of the object's members, null ones included.
    pub fn names(&self) -> impl Iterator<Item = &'a str> {
        self.object.keys().map(String::as_str)
    }

    /// A present, non-null value.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Result<&'a str, FieldError> {
        self.opt_str(name)?.ok_or_else(|| self.error(name, "is required"))
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.error(name, format!("must be a string, not {}", kind(other)))),
        }
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(name, format!("must be true or false, not {}", kind(other)))),
        }
    }

    /// A required string parsed by `parse`.
    pub fn parse<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Result<T, FieldError> {
        let raw = self.str(name)?;
        parse(raw).map_err(|e| self.error(name, e))
    }

    /// An optional string parsed by `parse`.
    pub fn opt_parse<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Result<Option<T>, FieldError> {
        self.opt_str(name)?.map(|raw| parse(raw).map_err(|e| self.error(name, e))).transpose()
    }

    pub fn object(&self, name: &str) -> Result<Fields<'a>, FieldError> {
        self.opt_object(name)?.ok_or_else(|| self.error(name, "is required"))
    }

    pub fn opt_object(&self, name: &str) -> Result<Option<Fields<'a>>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(object)) => Ok(Some(Fields { object, path: self.path(name) })),
            Some(other) => Err(self.error(name, format!("must be an object, not {}", kind(other)))),
        }
    }

    /// The objects of an optional array, each with its `name[i]` path.
    pub fn opt_objects(&self, name: &str) -> Result<Vec<Fields<'a>>, FieldError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = format!("{}[{i}]", self.path(name));
                    match item {
                        Value::Object(object) => Ok(Fields { object, path }),
                        other => {
                            Err(FieldError::new(path, format!("must be an object, not {}", kind(other))))
                        }
                    }
                })
                .collect(),
            Some(other) => Err(self.error(name, format!("must be an array, not {}", kind(other)))),
        }
    }

    /// A required decimal given as a string (`"12.50"`); a JSON number is refused because it
    /// would pass through a float on many senders' side.
    pub fn decimal(&self, name: &str) -> Result<rust_decimal::Decimal, FieldError> {
        match self.get(name) {
            Some(Value::Number(_)) => {
                Err(self.error(name, "must be a decimal string like \"12.50\", not a JSON number"))
            }
            _ => self.parse(name, |raw| {
                let well_formed = !raw.is_empty()
                    && raw.trim_start_matches('-').split('.').count() <= 2
                    && raw.trim_start_matches('-').chars().all(|c| c.is_ascii_digit() || c == '.')
                    && !raw.trim_start_matches('-').starts_with('.')
                    && !raw.ends_with('.');
                if !well_formed {
                    return Err(Invalid::new(format!("'{raw}' is not a decimal like \"12.50\"")));
                }
                raw.parse().map_err(|e| Invalid::new(format!("'{raw}': {e}")))
            }),
        }
    }

    /// Rejects a JSON number where an amount string is expected, with the same wording as
    /// [`Fields::decimal`].
    pub fn amount_str(&self, name: &str) -> Result<&'a str, FieldError> {
        if let Some(Value::Number(_)) = self.get(name) {
            return Err(self.error(name, "must be a decimal string like \"1234.50\", not a JSON number"));
        }
        self.str(name)
    }

    pub fn error_at(&self, name: &str, reason: impl std::fmt::Display) -> FieldError {
        self.error(name, reason)
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
