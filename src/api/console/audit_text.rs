//! What the audit page writes for an entry: who did it (an operator by email, a machine by its
//! key's prefix) and its before and after in the page's words: each field named, states,
//! channels, reasons, consents in words, cases by their invoice numbers, yes and no for flags,
//! amounts as the page's language writes numbers. Times stay as stored (UTC).

use super::i18n::Lang;
use super::words::Vocabulary;
use serde_json::Value;
use std::collections::BTreeMap;

/// The actor as a person reads it: `a@example.org`, `API key mwk_ab12cd34`, or
/// `root@example.org (super-admin)` for the installation's super-admin.
pub fn actor(lang: Lang, actor: &str) -> String {
    if let Some(email) = actor.strip_prefix(super::auth::SUPER_ADMIN_ACTOR) {
        return format!("{email} ({})", lang.text("super_admin"));
    }
    match (actor.strip_prefix("operator:"), actor.strip_prefix("key:")) {
        (Some(email), _) => email.to_owned(),
        (_, Some(prefix)) => format!("{} {prefix}", lang.text("api_key")),
        _ => actor.to_owned(),
    }
}

/// The case ids an entry names in its before and after (`paused_cases`, `resumed_cases`,
/// `cases[].case_id`), so
/// that the page can look up their invoice numbers.
pub fn named_cases(value: &Value) -> Vec<i64> {
    let listed_ids = ["paused_cases", "resumed_cases"].into_iter().flat_map(|name| value[name].as_array());
    let mut ids: Vec<i64> = listed_ids.flatten().filter_map(Value::as_i64).collect();
    let listed = value["cases"].as_array().into_iter().flatten();
    ids.extend(listed.filter_map(|case| case["case_id"].as_i64()));
    ids
}

/// A before or an after: each field and its value in words, the state first, then by name;
/// `numbers` holds the invoice number of each case id it may name.
pub fn change(lang: Lang, value: &Value, numbers: &BTreeMap<i64, String>) -> String {
    let Value::Object(fields) = value else { return scalar(lang, value) };
    if fields.is_empty() {
        return "–".to_owned();
    }
    let state_first = fields.iter().filter(|(name, _)| *name == "state");
    let said: Vec<String> = state_first
        .chain(fields.iter().filter(|(name, _)| *name != "state"))
        .map(|(name, value)| {
            format!("{} {}", lang.word(Vocabulary::Field, name), field(lang, name, value, numbers))
        })
        .collect();
    said.join(", ")
}

/// One field's value in words.
fn field(lang: Lang, name: &str, value: &Value, numbers: &BTreeMap<i64, String>) -> String {
    let case = |id: Option<i64>| match id {
        Some(id) => numbers.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
        None => "–".to_owned(),
    };
    let list =
        |items: Vec<String>| if items.is_empty() { lang.text("none").to_owned() } else { items.join(", ") };
    let raw = scalar(lang, value);
    match name {
        "state" => lang.word(Vocabulary::State, &raw).to_owned(),
        "channel" => lang.word(Vocabulary::Channel, &raw).to_owned(),
        "reason" => lang.word(Vocabulary::Reason, &raw).to_owned(),
        "resolution" => lang.word(Vocabulary::Resolution, &raw).to_owned(),
        "marketing_consent" => lang.word(Vocabulary::Consent, &raw).to_owned(),
        "open_amount" | "amount" => super::money_text::number_text(lang, &raw),
        "paused_cases" | "resumed_cases" => {
            list(value.as_array().into_iter().flatten().map(|id| case(id.as_i64())).collect())
        }
        "cases" => list(
            value
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let state = lang.word(Vocabulary::State, c["state"].as_str().unwrap_or_default());
                    format!("{} ({state})", case(c["case_id"].as_i64()))
                })
                .collect(),
        ),
        "overwritten" => match value {
            Value::Object(counts) => {
                list(counts.iter().map(|(kind, n)| format!("{kind} {}", scalar(lang, n))).collect())
            }
            other => scalar(lang, other),
        },
        _ => raw,
    }
}

/// A JSON value as text: a string without its quotes, a flag as yes or no, nothing as a dash.
fn scalar(lang: Lang, value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => lang.word(Vocabulary::Yes, if *flag { "true" } else { "false" }).to_owned(),
        Value::Null => "–".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mahnstopp_names_its_cases_by_invoice_number_in_words() {
        let before =
            json!({"cases": [{"case_id": 7, "state": "reminding"}, {"case_id": 9, "state": "open"}]});
        let after = json!({"paused_cases": [7, 9]});
        let mut ids = named_cases(&before);
        ids.extend(named_cases(&after));
        assert_eq!(ids, vec![7, 9, 7, 9]);
        let numbers = BTreeMap::from([(7, "RE-7".to_owned()), (9, "RE-9".to_owned())]);
        assert_eq!(change(Lang::De, &before, &numbers), "Fälle RE-7 (wird gemahnt), RE-9 (offen)");
        assert_eq!(change(Lang::En, &after, &numbers), "paused cases RE-7, RE-9");
        assert_eq!(change(Lang::De, &json!({"paused_cases": []}), &numbers), "pausierte Fälle keine");
        assert_eq!(change(Lang::En, &json!({"paused_cases": [3]}), &numbers), "paused cases #3");
    }

    #[test]
    fn states_flags_and_consents_in_words_and_actors_as_people_read_them() {
        let numbers = BTreeMap::new();
        let erased = json!({"erased": true, "overwritten": {"debtor": 1}, "paused_cases": []});
        assert_eq!(
            change(Lang::De, &erased, &numbers),
            "gelöscht ja, überschrieben debtor 1, pausierte Fälle keine"
        );
        let paused = json!({"state": "paused", "reminders_cancelled": 1});
        assert_eq!(change(Lang::En, &paused, &numbers), "state paused, reminders cancelled 1");
        let consent = json!({"channel": "sms", "marketing_consent": "opt_in", "recorded": false});
        assert_eq!(
            change(Lang::De, &consent, &numbers),
            "Kanal SMS, Werbeeinwilligung eingewilligt, neu erfasst nein"
        );
        assert_eq!(change(Lang::En, &json!({}), &numbers), "–");
        assert_eq!(actor(Lang::En, "operator:a@example.org"), "a@example.org");
        assert_eq!(actor(Lang::De, "key:mwk_ab12cd34"), "API-Schlüssel mwk_ab12cd34");
        assert_eq!(actor(Lang::De, "super_admin:root@example.org"), "root@example.org (Super-Admin)");
    }
}
