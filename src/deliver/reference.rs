//! How an invoice is named on a bank transfer, written once for both directions: the letters
//! print the ISO 11649 creditor reference minted here, and the bank import reads it back and
//! looks the invoice up by the same match key.
//!
//! The match key of an invoice number is its ASCII letters and digits, upper case (`RE-2026-0042`
//! → `RE20260042`): what the RF reference carries after its check digits, and what an invoice
//! number written with other spaces, dashes or case in a transfer's text comes down to.

use mahnwerk_channels::creditor_reference::RfReference;

/// The match key of an invoice number (or of any text naming one): its ASCII letters and digits,
/// upper case.
pub fn match_key(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// The RF creditor reference printed for `invoice_number`: `RF`, check digits, its match key;
/// `None` when the key does not fit a reference (empty, or more than 21 letters and digits).
pub fn creditor_reference(invoice_number: &str) -> Option<RfReference> {
    RfReference::from_reference(&match_key(invoice_number)).ok()
}

/// The match key an RF reference names, when its check digits are right; `None` for a mistyped
/// or incomplete reference (or text that is none).
pub fn key_of_reference(text: &str) -> Option<String> {
    RfReference::parse(text).ok().map(|rf| rf.reference().to_owned())
}

/// Every valid RF reference in free text (`… RF18 5390 0754 7034 Danke`), as match keys, in
/// order. A reference may be printed in groups, so the words after `RF` and its check digits are
/// joined one by one and the longest join whose check digits are right is taken.
pub fn references_in_text(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || ",;:/()+".contains(c)).collect();
    let mut keys = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let starts = word.len() >= 4
            && word.is_char_boundary(2)
            && word[..2].eq_ignore_ascii_case("RF")
            && word[2..].starts_with(|c: char| c.is_ascii_digit());
        if !starts {
            i += 1;
            continue;
        }
        let mut joined = String::new();
        let mut best: Option<(String, usize)> = None;
        for (taken, next) in words[i..].iter().enumerate() {
            if next.is_empty() {
                continue;
            }
            joined.push_str(next);
            if joined.len() > 4 + mahnwerk_channels::creditor_reference::MAX_REFERENCE_LEN {
                break;
            }
            if let Some(key) = key_of_reference(&joined) {
                best = Some((key, taken + 1));
            }
        }
        match best {
            Some((key, taken)) => {
                keys.push(key);
                i += taken;
            }
            None => i += 1,
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_keeps_letters_and_digits_upper_case() {
        assert_eq!(match_key("RE-2026-0042"), "RE20260042");
        assert_eq!(match_key("re 2026/0042"), "RE20260042");
        assert_eq!(match_key("  Re–2026-0042. "), "RE20260042");
    }

    #[test]
    fn the_printed_reference_reads_back_to_the_invoice_s_key() {
        let rf = creditor_reference("RE-2026-0042").unwrap();
        assert_eq!(key_of_reference(rf.as_str()).as_deref(), Some("RE20260042"));
        assert_eq!(key_of_reference(&rf.printed()).as_deref(), Some("RE20260042"));
        assert_eq!(key_of_reference(&rf.printed().to_lowercase()).as_deref(), Some("RE20260042"));
        // Letters and digits only, upper case: exactly what the letter printed.
        assert_eq!(rf, RfReference::from_reference("RE20260042").unwrap());
    }

    #[test]
    fn a_mistyped_reference_is_refused() {
        let rf = creditor_reference("RE-2026-0042").unwrap();
        let typo = rf.as_str().replace("0042", "0043");
        assert_eq!(key_of_reference(&typo), None);
        assert_eq!(key_of_reference("RE-2026-0042"), None);
    }

    #[test]
    fn too_long_numbers_get_no_reference() {
        assert!(creditor_reference("INV-0000000000000000000001").is_none());
        assert!(creditor_reference("---").is_none());
    }

    #[test]
    fn references_are_found_in_grouped_and_compact_form() {
        let a = creditor_reference("RE-2026-0042").unwrap();
        let b = creditor_reference("RE-2026-0043").unwrap();
        let text = format!("Zahlung {} und {} Danke", a.printed(), b.as_str().to_lowercase());
        assert_eq!(references_in_text(&text), ["RE20260042", "RE20260043"]);
        assert!(references_in_text("RF99 1234 Danke").is_empty());
        assert!(references_in_text("Referenz fehlt").is_empty());
    }
}
