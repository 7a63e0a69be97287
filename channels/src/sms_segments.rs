//! How many SMS segments a text costs: GSM 03.38 (3GPP TS 23.038) 7-bit when every character is
//! in the default alphabet or its extension table, UCS-2 otherwise.
//!
//! A single message carries 160 septets (GSM-7) or 70 UTF-16 code units (UCS-2). A longer text is
//! sent as a concatenated message whose parts lose room to the user data header: 153 septets or
//! 67 code units each. Characters of the extension table (`€ [ ] { } \ ^ ~ |` and form feed) take
//! two septets (escape + code), and neither such a pair nor a UTF-16 surrogate pair is split
//! across parts, so a part can end one unit short; the count below packs parts the same way.
//!
//! National language shift tables (Turkish, Spanish, Portuguese, …) are not used: providers such
//! as Twilio send those languages as UCS-2 unless told otherwise, so counting them as UCS-2 is
//! what gets billed.

/// Septets in a single GSM-7 message.
pub const GSM7_SINGLE: usize = 160;
/// Septets per part of a concatenated GSM-7 message.
pub const GSM7_PART: usize = 153;
/// UTF-16 code units in a single UCS-2 message.
pub const UCS2_SINGLE: usize = 70;
/// UTF-16 code units per part of a concatenated UCS-2 message.
pub const UCS2_PART: usize = 67;

/// How the text will be encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmsEncoding {
    /// GSM 03.38 default alphabet, 7 bits a character.
    Gsm7,
    /// UCS-2 (in practice UTF-16), 16 bits a code unit.
    Ucs2,
}

impl SmsEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        }
    }

    /// Units that fit in a message sent as one segment.
    pub fn single_limit(self) -> usize {
        match self {
            SmsEncoding::Gsm7 => GSM7_SINGLE,
            SmsEncoding::Ucs2 => UCS2_SINGLE,
        }
    }

    /// Units that fit in each part of a concatenated message.
    pub fn part_limit(self) -> usize {
        match self {
            SmsEncoding::Gsm7 => GSM7_PART,
            SmsEncoding::Ucs2 => UCS2_PART,
        }
    }
}

/// The cost of one text as an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsCount {
    pub encoding: SmsEncoding,
    /// Unicode scalar values (Rust `char`s) in the text.
    pub characters: usize,
    /// Septets for GSM-7, UTF-16 code units for UCS-2.
    pub units: usize,
    /// Segments billed; 0 for an empty text, which is not sent at all.
    pub segments: usize,
}

impl SmsCount {
    /// Counts `text`.
    pub fn of(text: &str) -> Self {
        let encoding = if text.chars().all(|c| gsm7_septets(c).is_some()) {
            SmsEncoding::Gsm7
        } else {
            SmsEncoding::Ucs2
        };
        let cost = |c: char| match encoding {
            SmsEncoding::Gsm7 => gsm7_septets(c).unwrap_or(2),
            SmsEncoding::Ucs2 => c.len_utf16(),
        };
        let units = text.chars().map(cost).sum();
        let segments = if units == 0 {
            0
        } else if units <= encoding.single_limit() {
            1
        } else {
            pack_parts(text.chars().map(cost), encoding.part_limit())
        };
        SmsCount { encoding, characters: text.chars().count(), units, segments }
    }

    /// Whether the text fits in at most `limit_segments` segments (an empty text always does).
    pub fn fits(&self, limit_segments: usize) -> bool {
        self.segments <= limit_segments
    }
}

/// Counts `text`; shorthand for [`SmsCount::of`].
pub fn count(text: &str) -> SmsCount {
    SmsCount::of(text)
}

/// Whether `text` fits in at most `limit_segments` segments.
pub fn fits(text: &str, limit_segments: usize) -> bool {
    SmsCount::of(text).fits(limit_segments)
}

/// The distinct characters, in order of first appearance, that force `text` out of GSM-7 into
/// UCS-2. Lets a template author see why a reminder costs three segments instead of one
/// (typically typographic quotes, a non-breaking space or an emoji).
pub fn non_gsm_characters(text: &str) -> Vec<char> {
    let mut found = Vec::new();
    for c in text.chars() {
        if gsm7_septets(c).is_none() && !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

/// Septets `c` takes in GSM-7: 1 in the default alphabet, 2 in the extension table, `None` if it
/// cannot be sent in GSM-7 at all.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Greedy packing as a sender does it: an item (escape pair, surrogate pair) that does not fit in
/// what is left of the current part starts the next one.
fn pack_parts(costs: impl Iterator<Item = usize>, part: usize) -> usize {
    let mut parts = 1;
    let mut used = 0;
    for cost in costs {
        if used + cost > part {
            parts += 1;
            used = 0;
        }
        used += cost;
    }
    parts
}

/// The 128 positions of the GSM 03.38 default alphabet, minus 0x1B (the escape to the extension
/// table), in code order: row 0x00 `@£$¥èéùìòÇ LF ØøCRÅå`, row 0x10 `Δ_ΦΓΛΩΠΨΣΘΞ ESC ÆæßÉ`,
/// then space to `?`, `¡A…ZÄÖÑÜ§`, `¿a…zäöñüà`.
const BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

/// The extension table, each sent as escape + code: form feed, `^ { } \ [ ~ ] |` and `€`.
const EXTENSION: &str = "\u{000C}^{}\\[~]|€";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_alphabet_has_127_characters_and_extension_10() {
        assert_eq!(BASIC.chars().count(), 127);
        assert_eq!(EXTENSION.chars().count(), 10);
        let mut all: Vec<char> = BASIC.chars().chain(EXTENSION.chars()).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 137, "no character is in both tables");
    }

    #[test]
    fn german_reminder_with_umlauts_is_gsm7() {
        let text = "Hallo Frau Müller, Ihre Rechnung Nr. 2024-17 über 123,45 EUR ist offen.";
        let n = count(text);
        assert_eq!(n.encoding, SmsEncoding::Gsm7);
        assert_eq!(n.units, n.characters);
        assert_eq!(n.segments, 1);
    }

    #[test]
    fn euro_sign_costs_two_septets() {
        let n = count("123,45 €");
        assert_eq!((n.encoding, n.characters, n.units), (SmsEncoding::Gsm7, 8, 9));
    }

    #[test]
    fn boundaries_gsm7() {
        assert_eq!(count("").segments, 0);
        assert_eq!(count(&"a".repeat(160)).segments, 1);
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
        // 159 + one euro = 161 septets: two parts.
        assert_eq!(count(&format!("{}€", "a".repeat(159))).segments, 2);
        assert_eq!(count(&format!("{}€", "a".repeat(158))).segments, 1);
    }

    #[test]
    fn escape_pair_is_not_split_across_parts() {
        // 152 septets + € (2) would straddle the first part's 153rd septet, so € moves to part
        // two: 152 | 2 + 153 | 1 -> three parts, although 306 septets alone would fit in two.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        let n = count(&text);
        assert_eq!(n.units, 306);
        assert_eq!(n.segments, 3);
    }

    #[test]
    fn boundaries_ucs2() {
        assert_eq!(count(&"ğ".repeat(70)).segments, 1);
        assert_eq!(count(&"ğ".repeat(71)).segments, 2);
        assert_eq!(count(&"ğ".repeat(134)).segments, 2);
        assert_eq!(count(&"ğ".repeat(135)).segments, 3);
        let n = count("Ödeme hatırlatması");
        assert_eq!(n.encoding, SmsEncoding::Ucs2);
        assert_eq!(n.units, n.characters);
    }

    #[test]
    fn emoji_outside_the_bmp_counts_two_units() {
        let n = count("Danke 🙂");
        assert_eq!((n.encoding, n.characters, n.units), (SmsEncoding::Ucs2, 7, 8));
        // 66 units + a surrogate pair would straddle a 67-unit part, so it moves to part two.
        let text = format!("{}🙂{}", "ş".repeat(66), "ş".repeat(66));
        assert_eq!(count(&text).units, 134);
        assert_eq!(count(&text).segments, 3);
    }

    #[test]
    fn non_gsm_characters_explain_ucs2() {
        assert_eq!(non_gsm_characters("„Bitte“ zahlen – danke"), vec!['„', '“', '–']);
        assert!(non_gsm_characters("Bitte zahlen: {link} [€]").is_empty());
    }

    #[test]
    fn fits_helper() {
        assert!(fits(&"a".repeat(306), 2));
        assert!(!fits(&"a".repeat(307), 2));
        assert!(fits("", 0));
    }

    fn gsm_char() -> impl Strategy<Value = char> {
        let all: Vec<char> = BASIC.chars().chain(EXTENSION.chars()).collect();
        proptest::sample::select(all)
    }

    proptest! {
        #[test]
        fn gsm_only_text_counts_septets(chars in prop::collection::vec(gsm_char(), 0..500)) {
            let text: String = chars.iter().collect();
            let n = count(&text);
            let ext = chars.iter().filter(|c| EXTENSION.contains(**c)).count();
            prop_assert_eq!(n.encoding, SmsEncoding::Gsm7);
            prop_assert_eq!(n.characters, chars.len());
            prop_assert_eq!(n.units, chars.len() + ext);
        }

        #[test]
        fn one_foreign_character_switches_to_ucs2(text in "[a-z ]{0,100}", c in "[^\\x00-\\x7F]") {
            let c = c.chars().next().unwrap();
            prop_assume!(gsm7_septets(c).is_none());
            let mixed = format!("{text}{c}");
            let n = count(&mixed);
            prop_assert_eq!(n.encoding, SmsEncoding::Ucs2);
            prop_assert_eq!(n.units, mixed.encode_utf16().count());
        }

        /// Segments agree with the limits: one segment exactly when the text fits a single
        /// message, never fewer parts than the units need, at most one extra part per unit of
        /// slack lost to unsplittable pairs, and never fewer segments after appending.
        #[test]
        fn segment_bounds(text in "\\PC{0,400}", more in "\\PC{0,5}") {
            let n = count(&text);
            let single = n.encoding.single_limit();
            let part = n.encoding.part_limit();
            if n.units == 0 {
                prop_assert_eq!(n.segments, 0);
            } else if n.units <= single {
                prop_assert_eq!(n.segments, 1);
            } else {
                prop_assert!(n.segments >= n.units.div_ceil(part));
                prop_assert!(n.segments <= n.units.div_ceil(part - 1));
            }
            let longer = count(&format!("{text}{more}"));
            prop_assert!(longer.segments >= n.segments);
        }
    }
}
