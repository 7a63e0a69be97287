//! The store's SQL names statuses, states, consent kinds, receipts and channels by the words the
//! Rust enums write (`'scheduled'`, `'open'`, `'opt_out'`, …). The test here reads every SQL file
//! and statement of the store and fails on a quoted word that no enum writes, so that renaming a
//! variant cannot leave a query matching nothing.

#[cfg(test)]
mod tests {
    use crate::domain::{CaseState, ChannelKind, ConsentKind, PromiseState};
    use crate::store::{ReceiptStatus, ReminderStatus};
    use std::collections::BTreeSet;

    /// The store's sources, embedded at build time so the test reads what was compiled.
    const SOURCES: &[(&str, &str)] = &[
        ("same_sql.rs", include_str!("same_sql.rs")),
        ("same_sql_store.rs", include_str!("same_sql_store.rs")),
        ("pay_case.rs", include_str!("pay_case.rs")),
        ("reports.rs", include_str!("reports.rs")),
        ("rows.rs", include_str!("rows.rs")),
        ("postgres/tx.rs", include_str!("postgres/tx.rs")),
        ("postgres/outbox.rs", include_str!("postgres/outbox.rs")),
        ("postgres/intake.rs", include_str!("postgres/intake.rs")),
        ("postgres/reports.rs", include_str!("postgres/reports.rs")),
        ("postgres/relay.rs", include_str!("postgres/relay.rs")),
        ("postgres/views.rs", include_str!("postgres/views.rs")),
        ("sqlite/tx.rs", include_str!("sqlite/tx.rs")),
        ("sqlite/outbox.rs", include_str!("sqlite/outbox.rs")),
        ("sqlite/intake.rs", include_str!("sqlite/intake.rs")),
        ("sqlite/reports.rs", include_str!("sqlite/reports.rs")),
        ("sqlite/relay.rs", include_str!("sqlite/relay.rs")),
        ("sqlite/views.rs", include_str!("sqlite/views.rs")),
        ("same_sql_bank.rs", include_str!("same_sql_bank.rs")),
        ("claims.rs", include_str!("claims.rs")),
    ];

    /// SQL's own words in quotes (SQLite's `strftime(…, 'now')`), not names of ours.
    const SQL_WORDS: &[&str] = &["now"];

    fn known() -> BTreeSet<&'static str> {
        let mut words: BTreeSet<&'static str> = SQL_WORDS.iter().copied().collect();
        words.extend(ReminderStatus::ALL.map(ReminderStatus::as_str));
        words.extend(CaseState::ALL.map(CaseState::as_str));
        words.extend([ConsentKind::OptIn, ConsentKind::OptOut].map(ConsentKind::as_str));
        words.extend(ReceiptStatus::ALL.map(ReceiptStatus::as_str));
        words.extend(ChannelKind::ALL.map(ChannelKind::as_str));
        words.extend(PromiseState::ALL.map(PromiseState::as_str));
        words.extend(crate::store::bank::BankLineStatus::ALL.map(crate::store::bank::BankLineStatus::as_str));
        words
    }

    /// Every `'word'` of lowercase letters and underscores in `text`.
    fn quoted_words(text: &str) -> Vec<&str> {
        text.split('\'')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, inside)| inside)
            .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect()
    }

    #[test]
    fn every_quoted_word_in_the_store_s_sql_is_one_the_enums_write() {
        let known = known();
        let mut seen = 0;
        for (file, text) in SOURCES {
            // Comments are prose; a lifetime (`'a`) never quotes a whole lowercase word.
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for word in quoted_words(line) {
                    seen += 1;
                    assert!(
                        known.contains(word),
                        "{file}: '{word}' is no status, state, kind or channel: {line}"
                    );
                }
            }
        }
        assert!(seen >= 40, "the scan found the SQL ({seen} quoted words)");
    }

    #[test]
    fn a_renamed_word_would_be_caught() {
        assert_eq!(quoted_words("WHERE status = 'schedulde' AND x = 'sent'"), ["schedulde", "sent"]);
        assert!(!known().contains("schedulde"));
    }
}
