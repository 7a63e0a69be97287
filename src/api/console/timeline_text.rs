//! What the case page writes for each entry of a case's timeline: one line in the page's
//! language, built from the entry's details as the API answers them, with the identifiers in
//! them (states, channels, statuses, sources, reasons, audit actions) put in words (`words`).
//! Times stay as the API writes them (UTC), the creditor's own names as stored; amounts are
//! written in the page's language (`money_text`).

use super::i18n::Lang;
use super::money_text::amount_text;
use super::words::Vocabulary;
use serde_json::Value;

/// How a payment was applied (§§ 366, 367 BGB), as stored with it: `; applied to RE-1: costs
/// 2.50 EUR, interest 5.33 EUR, principal 292.17 EUR` (nothing for a payment stored without
/// allocations).
fn allocations(lang: Lang, allocations: &Value, currency: &str) -> String {
    let money = |value: &Value| amount_text(lang, &scalar(value), currency);
    let de = lang == Lang::De;
    let parts: Vec<String> = allocations
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let (costs, interest, principal) =
                if de { ("Kosten", "Zinsen", "Hauptforderung") } else { ("costs", "interest", "principal") };
            format!(
                "{}: {costs} {}, {interest} {}, {principal} {}",
                scalar(&a["invoice_number"]),
                money(&a["costs"]),
                money(&a["interest"]),
                money(&a["principal"])
            )
        })
        .collect();
    match (parts.is_empty(), de) {
        (true, _) => String::new(),
        (false, true) => format!("; verrechnet auf {}", parts.join("; ")),
        (false, false) => format!("; applied to {}", parts.join("; ")),
    }
}

/// The kind of the entry in words, and one line on what it says.
pub fn entry_text(lang: Lang, kind: &str, details: &Value) -> (String, String) {
    let s = |key: &str| scalar(&details[key]);
    let w = |vocabulary, key: &str| lang.word(vocabulary, &s(key)).to_owned();
    let money = |key: &str| amount_text(lang, &s(key), &s("currency"));
    let de = lang == Lang::De;
    let line = match kind {
        "intake" if de => format!("{}, fällig am {}", money("amount_due"), s("due_on")),
        "intake" => format!("{} due {}", money("amount_due"), s("due_on")),
        "reminder" => format!(
            "{} {} ({}) {} {}, {} {}: {}; {} {} (p = {})",
            lang.text("stage"),
            s("stage"),
            s("stage_name"),
            if de { "per" } else { "by" },
            w(Vocabulary::Channel, "channel"),
            if de { "geplant für" } else { "planned for" },
            s("send_at"),
            w(Vocabulary::ReminderStatus, "status"),
            if de { "Strategie" } else { "policy" },
            s("policy_version"),
            s("propensity")
        ),
        "receipt" => w(Vocabulary::Receipt, "status"),
        "payment" => format!(
            "{} ({}){}",
            money("amount"),
            w(Vocabulary::Source, "source"),
            allocations(lang, &details["allocations"], &s("currency"))
        ),
        "payment_pending" => format!(
            "{}, {} {}: {}",
            w(Vocabulary::Source, "source"),
            if de { "Mahnen wartet bis" } else { "dunning waits until" },
            s("held_until"),
            w(Vocabulary::Hold, "state")
        ),
        "promise" => format!(
            "{} {}: {}",
            if de { "Zahlung zugesagt bis" } else { "to pay by" },
            s("promised_on"),
            w(Vocabulary::Promise, "state")
        ),
        "dispute" => format!("{}: {}", w(Vocabulary::Reason, "reason"), s("details")),
        "operator" => format!(
            "{} {} {}: {} → {}",
            w(Vocabulary::Action, "action"),
            if de { "durch" } else { "by" },
            s("actor"),
            change(lang, &details["before"]),
            change(lang, &details["after"])
        ),
        _ => details.to_string(),
    };
    (lang.word(Vocabulary::Kind, kind).to_owned(), line)
}

/// A JSON value as text: a string without its quotes, nothing as a dash.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "–".to_owned(),
        other => other.to_string(),
    }
}

/// An audit entry's before or after in words, as the audit page says it (case ids without
/// their invoice numbers: the timeline is one case's own).
fn change(lang: Lang, value: &Value) -> String {
    super::audit_text::change(lang, value, &std::collections::BTreeMap::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_german_page_says_words_not_identifiers() {
        let reminder = json!({"stage": 1, "stage_name": "Zahlungserinnerung", "channel": "email",
            "send_at": "2026-01-05T09:00:00Z", "status": "sent", "policy_version": "bandit-v3", "propensity": 0.5});
        let (kind, line) = entry_text(Lang::De, "reminder", &reminder);
        assert_eq!(kind, "Mahnung");
        assert_eq!(
            line,
            "Stufe 1 (Zahlungserinnerung) per E-Mail, geplant für 2026-01-05T09:00:00Z: versandt; \
             Strategie bandit-v3 (p = 0.5)"
        );
        let (_, line) = entry_text(Lang::En, "reminder", &reminder);
        assert!(
            line.starts_with("Stage 1 (Zahlungserinnerung) by email") && line.contains(": sent;"),
            "{line}"
        );

        let paid = json!({"amount": "10.00", "currency": "EUR", "source": "write_off"});
        assert_eq!(
            entry_text(Lang::De, "payment", &paid),
            ("Zahlung".into(), "10,00 € (Abschreibung)".into())
        );
        assert_eq!(entry_text(Lang::En, "payment", &paid).1, "10.00 EUR (write-off)");
        let applied = json!({"amount": "300.00", "currency": "EUR", "source": "bank",
            "allocations": [{"invoice_number": "RE-1", "costs": "2.50", "interest": "5.33", "principal": "292.17"}]});
        assert_eq!(
            entry_text(Lang::De, "payment", &applied).1,
            format!(
                "300,00 € ({}); verrechnet auf RE-1: Kosten 2,50 €, Zinsen 5,33 €, Hauptforderung 292,17 €",
                Lang::De.word(Vocabulary::Source, "bank")
            )
        );

        let paused = json!({"action": "case.pause", "actor": "operator:a@example.org",
            "before": {"state": "reminding"}, "after": {"state": "paused", "reminders_cancelled": 1}});
        assert_eq!(
            entry_text(Lang::De, "operator", &paused),
            (
                "Eingriff".into(),
                "Mahnen pausiert durch operator:a@example.org: Status wird gemahnt → Status pausiert, \
                 entfallene Mahnungen 1"
                    .into()
            )
        );
        let (_, line) = entry_text(Lang::En, "operator", &paused);
        assert_eq!(
            line,
            "dunning paused by operator:a@example.org: state being reminded → state paused, reminders cancelled 1"
        );
    }

    #[test]
    fn holds_promises_and_disputes_in_words() {
        let hold = json!({"source": "stripe", "held_until": "2026-01-20T00:00:00Z", "state": "open"});
        assert_eq!(
            entry_text(Lang::En, "payment_pending", &hold).1,
            "online payment (Stripe), dunning waits until 2026-01-20T00:00:00Z: pending"
        );
        let promise = json!({"promised_on": "2026-01-31", "state": "kept"});
        assert_eq!(
            entry_text(Lang::De, "promise", &promise).1,
            "Zahlung zugesagt bis 2026-01-31: eingehalten"
        );
        let dispute = json!({"reason": "defective", "details": "broken"});
        assert_eq!(
            entry_text(Lang::De, "dispute", &dispute),
            ("Einwand".into(), "mangelhaft: broken".into())
        );
        let receipt = json!({"reminder_id": 1, "status": "failed"});
        assert_eq!(entry_text(Lang::De, "receipt", &receipt).1, "nicht zugestellt");
    }
}
