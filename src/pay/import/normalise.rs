//! Normalising what a bank line says so that it compares with what the store holds: debtor names
//! (case, umlauts, accents, word order, salutations) and invoice numbers written into free text
//! (spaces, dashes and case: see [`crate::deliver::reference::match_key`]).

use crate::deliver::reference::match_key;

/// Salutations and titles a bank puts before a name, which the invoice's debtor name lacks.
const SALUTATIONS: &[&str] = &["herr", "herrn", "frau", "hr", "fr", "dr", "prof", "mr", "mrs", "ms"];

/// A name as it compares: lower case, umlauts and common accents folded (`Müller` = `Mueller`),
/// punctuation dropped, salutations dropped, words sorted (`MUSTERMANN, ERIKA` = `Erika
/// Mustermann`).
pub fn name_key(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' | 'æ' => folded.push_str("ae"),
            'ö' | 'ø' | 'œ' => folded.push_str("oe"),
            'ü' => folded.push_str("ue"),
            'ß' => folded.push_str("ss"),
            'á' | 'à' | 'â' | 'ã' | 'å' => folded.push('a'),
            'é' | 'è' | 'ê' | 'ë' => folded.push('e'),
            'í' | 'ì' | 'î' | 'ï' => folded.push('i'),
            'ó' | 'ò' | 'ô' | 'õ' => folded.push('o'),
            'ú' | 'ù' | 'û' => folded.push('u'),
            'ç' => folded.push('c'),
            'ñ' => folded.push('n'),
            c if c.is_alphanumeric() => folded.push(c),
            _ => folded.push(' '),
        }
    }
    let mut words: Vec<&str> = folded.split_whitespace().filter(|w| !SALUTATIONS.contains(w)).collect();
    words.sort_unstable();
    words.join(" ")
}

/// Longest run of words joined into one candidate invoice number (`RE 2026 0042`).
const MAX_WORDS: usize = 4;

/// A stretch of a transfer's text that may name an invoice: its match key and which words it
/// covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub key: String,
    pub first_word: usize,
    pub words: usize,
}

/// Every run of 1 to 4 consecutive words of `text` as a match key, where the key has at least
/// three characters and a digit (invoice numbers have digits; `Rechnung` alone is no number).
pub fn number_candidates(text: &str) -> Vec<Candidate> {
    let words: Vec<&str> =
        text.split(|c: char| c.is_whitespace() || ",;:()+".contains(c)).filter(|w| !w.is_empty()).collect();
    let mut candidates = Vec::new();
    for first in 0..words.len() {
        let mut key = String::new();
        for taken in 1..=MAX_WORDS.min(words.len() - first) {
            key.push_str(&match_key(words[first + taken - 1]));
            if key.len() >= 3 && key.len() <= 64 && key.bytes().any(|b| b.is_ascii_digit()) {
                candidates.push(Candidate { key: key.clone(), first_word: first, words: taken });
            }
        }
    }
    candidates
}

/// From the candidates that name a known invoice (`known`), the invoices the text names, in the
/// order it names them: at each word the longest known run wins, and the words it covers are not
/// read again; an invoice named twice counts once.
pub fn named_in_order(candidates: &[Candidate], known: impl Fn(&str) -> bool) -> Vec<&str> {
    let mut named: Vec<&str> = Vec::new();
    let mut next_free = 0;
    let mut hits: Vec<&Candidate> = candidates.iter().filter(|c| known(&c.key)).collect();
    hits.sort_by_key(|c| (c.first_word, std::cmp::Reverse(c.words)));
    for hit in hits {
        if hit.first_word < next_free {
            continue;
        }
        next_free = hit.first_word + hit.words;
        if !named.contains(&hit.key.as_str()) {
            named.push(&hit.key);
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_umlauts_order_or_salutation() {
        assert_eq!(name_key("Erika Mustermann"), name_key("MUSTERMANN, ERIKA"));
        assert_eq!(name_key("Jürgen Müller"), name_key("JUERGEN MUELLER"));
        assert_eq!(name_key("Herrn Dr. Hans Groß"), name_key("hans gross"));
        assert_eq!(name_key("Frau Zoë Lefèvre"), "lefevre zoe");
        assert_ne!(name_key("Erika Mustermann"), name_key("Erik Mustermann"));
    }

    #[test]
    fn invoice_numbers_are_found_however_they_are_written() {
        let keys = |text: &str| number_candidates(text).into_iter().map(|c| c.key).collect::<Vec<_>>();
        for text in
            ["Rechnung RE-2026-0042", "re 2026 0042 vielen Dank", "RE2026-0042,Kd 1001", "RE–2026–0042"]
        {
            assert!(keys(text).contains(&"RE20260042".to_owned()), "{text}: {:?}", keys(text));
        }
        assert!(!keys("Rechnung Danke").iter().any(|k| k == "RECHNUNG"));
    }

    #[test]
    fn the_longest_known_run_wins_and_order_is_kept() {
        let text = "RE 2026 0043 und RE-2026-0042 sowie RE-2026-0043";
        let candidates = number_candidates(text);
        let known = ["RE2026", "RE20260042", "RE20260043"];
        let named = named_in_order(&candidates, |k| known.contains(&k));
        assert_eq!(named, ["RE20260043", "RE20260042"]);
    }
}
