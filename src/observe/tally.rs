//! Counting a batch before telling the recorder: the hot loops add to a short list, and each
//! distinct label set costs one registry lookup per batch, not one per item.

/// Counts per label set of one batch; [`Tally::flush`] hands them to the counter `name`. A
/// batch has few distinct label sets (tenants × channels), so a list searched in order beats a
/// hash map here.
#[derive(Debug, Default)]
pub struct Tally<const N: usize> {
    counts: Vec<([String; N], u64)>,
}

impl<const N: usize> Tally<N> {
    /// One more for `labels` (values in the order of the keys given to [`Tally::flush`]).
    pub fn add(&mut self, labels: [&str; N]) {
        match self.counts.iter_mut().find(|(key, _)| key.iter().zip(labels).all(|(k, l)| k == l)) {
            Some((_, count)) => *count += 1,
            None => self.counts.push((labels.map(str::to_owned), 1)),
        }
    }

    /// Adds every count to the counter `name`, labelled with `keys`.
    pub fn flush(self, name: &'static str, keys: [&'static str; N]) {
        for (values, count) in self.counts {
            let labels: Vec<metrics::Label> =
                keys.iter().zip(values).map(|(key, value)| metrics::Label::new(*key, value)).collect();
            metrics::counter!(name, labels).increment(count);
        }
    }
}

/// A field path as a label value: list indexes dropped (`lines[3].quantity` is
/// `lines[].quantity`), so the values stay as few as the schema's fields.
pub fn field_label(field: &str) -> String {
    let mut label = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => {
                in_index = true;
                label.push('[');
            }
            ']' => {
                in_index = false;
                label.push(']');
            }
            _ if in_index => {}
            _ => label.push(c),
        }
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_label_sets_add_up() {
        let mut tally = Tally::<2>::default();
        tally.add(["email", "acme"]);
        tally.add(["sms", "acme"]);
        tally.add(["email", "acme"]);
        assert_eq!(
            tally.counts,
            vec![(["email".to_owned(), "acme".to_owned()], 2), (["sms".to_owned(), "acme".to_owned()], 1)]
        );
    }

    #[test]
    fn field_labels_drop_list_indexes() {
        assert_eq!(field_label("lines[12].quantity"), "lines[].quantity");
        assert_eq!(field_label("debtor.email"), "debtor.email");
    }
}
