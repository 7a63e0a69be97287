//! The pay-page's fixed words in the eight languages of the reminders (`words/<language>.toml`,
//! embedded), and which language a visitor reads: the debtor's own, else the first of their
//! browser's `Accept-Language` that we have, else English.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The languages the pay-page is written in; English is the fallback.
pub const LANGUAGES: [&str; 8] = ["en", "de", "fr", "es", "it", "nl", "pl", "tr"];

const SOURCES: [(&str, &str); 8] = [
    ("en", include_str!("words/en.toml")),
    ("de", include_str!("words/de.toml")),
    ("fr", include_str!("words/fr.toml")),
    ("es", include_str!("words/es.toml")),
    ("it", include_str!("words/it.toml")),
    ("nl", include_str!("words/nl.toml")),
    ("pl", include_str!("words/pl.toml")),
    ("tr", include_str!("words/tr.toml")),
];

/// One language's words by key.
pub type Words = BTreeMap<String, String>;

/// The words of `language` (one of [`LANGUAGES`]; anything else reads English).
pub fn words(language: &str) -> &'static Words {
    static ALL: OnceLock<BTreeMap<&'static str, Words>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(language, source)| {
                let words: Words = toml::from_str(source)
                    .unwrap_or_else(|e| panic!("src/pay/page/words/{language}.toml: {e}"));
                (*language, words)
            })
            .collect()
    });
    all.get(language).unwrap_or(&all["en"])
}

/// The language to show: the debtor's (`de-AT` reads `de`) when we have it, else the first
/// language of `accept_language` (an `Accept-Language` header, by its q-values) that we have,
/// else English.
pub fn choose(debtor_language: Option<&str>, accept_language: Option<&str>) -> &'static str {
    if let Some(found) = debtor_language.and_then(supported) {
        return found;
    }
    let mut wanted: Vec<(f32, &str)> = accept_language
        .unwrap_or("")
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((q, tag))
        })
        .collect();
    // Stable: equal q-values keep the browser's order.
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
    wanted.into_iter().find_map(|(_, tag)| supported(tag)).unwrap_or("en")
}

fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
    LANGUAGES.into_iter().find(|&language| language == primary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
    }

    #[test]
    fn every_language_has_every_word_with_the_same_placeholders() {
        let english = words("en");
        for language in LANGUAGES {
            let these = words(language);
            assert_eq!(
                these.keys().collect::<Vec<_>>(),
                english.keys().collect::<Vec<_>>(),
                "{language}.toml has other keys than en.toml"
            );
            for (key, text) in these {
                assert!(!text.trim().is_empty(), "{language}.{key} is empty");
                assert_eq!(placeholders(text), placeholders(&english[key]), "{language}.{key}: {text}");
            }
        }
    }

    #[test]
    fn the_debtor_language_wins_then_the_browser_then_english() {
        assert_eq!(choose(Some("de-AT"), Some("fr")), "de");
        assert_eq!(choose(Some("sv"), Some("sv-SE, nl;q=0.8, fr;q=0.9")), "fr");
        assert_eq!(choose(None, Some("pt-BR,pt;q=0.9")), "en");
        assert_eq!(choose(None, Some("tr;q=0, it")), "it");
        assert_eq!(choose(None, None), "en");
    }
}
