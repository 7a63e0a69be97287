//! Dense `u32` ids for SKUs, debtors and segments, so the counts are arrays, not string maps.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Names in first-seen order; a name's id is its position.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub(crate) struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    /// The id of `name`, given a new one the first time.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 names");
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    pub(crate) fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

impl From<Vec<String>> for Interner {
    fn from(names: Vec<String>) -> Self {
        // A duplicate name keeps its first id, as intern would have.
        let mut ids = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            ids.entry(name.clone()).or_insert(i as u32);
        }
        Interner { names, ids }
    }
}

impl From<Interner> for Vec<String> {
    fn from(interner: Interner) -> Self {
        interner.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_survive_serde() {
        let mut names = Interner::default();
        assert_eq!((names.intern("b"), names.intern("a"), names.intern("b")), (0, 1, 0));
        assert_eq!((names.id("a"), names.id("z"), names.name(0), names.len()), (Some(1), None, "b", 2));
        let back: Interner = serde_json::from_str(&serde_json::to_string(&names).unwrap()).unwrap();
        assert_eq!(back, names);
    }
}
