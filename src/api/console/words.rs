//! The pages' words for the identifiers the API writes: a case's state, a channel, a reminder's
//! or receipt's status, a payment's source, a promise's or pending payment's state, a dispute's
//! reason and resolution, a timeline entry's kind, an audit action and the fields its before and
//! after name, a consent and where it came from, a debtor's kind, the basis of advertising, yes and no. The JSON API keeps the identifiers; a page prints these words in its language
//! (English words on English pages too). An identifier without a word (one a later version
//! stores) is printed as it is; the tests rule that out for every identifier of today's enums.

use super::i18n::Lang;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// What an identifier names: the same one may mean different things (`open` is a case's state,
/// a promise's, and a pending payment's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Vocabulary {
    State,
    Channel,
    ReminderStatus,
    Receipt,
    Source,
    Promise,
    Hold,
    Reason,
    Resolution,
    Kind,
    Action,
    Field,
    Consent,
    ConsentSource,
    DebtorKind,
    Basis,
    Yes,
}

impl Vocabulary {
    /// The name a template uses: `{{ w.state[case.state] }}`.
    pub fn name(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Channel => "channel",
            Self::ReminderStatus => "reminder_status",
            Self::Receipt => "receipt",
            Self::Source => "source",
            Self::Promise => "promise",
            Self::Hold => "hold",
            Self::Reason => "reason",
            Self::Resolution => "resolution",
            Self::Kind => "kind",
            Self::Action => "action",
            Self::Field => "field",
            Self::Consent => "consent",
            Self::ConsentSource => "consent_source",
            Self::DebtorKind => "debtor_kind",
            Self::Basis => "basis",
            Self::Yes => "yes",
        }
    }
}

use Vocabulary::*;

/// Vocabulary, identifier, English, German.
const WORDS: &[(Vocabulary, &str, &str, &str)] = &[
    (State, "open", "open", "offen"),
    (State, "reminding", "being reminded", "wird gemahnt"),
    (State, "paid", "paid", "bezahlt"),
    (State, "cancelled", "cancelled", "storniert"),
    (State, "disputed", "disputed", "bestritten"),
    (State, "paused", "paused", "pausiert"),
    (State, "escalated", "escalated", "eskaliert"),
    (Channel, "email", "email", "E-Mail"),
    (Channel, "sms", "SMS", "SMS"),
    (Channel, "whatsapp", "WhatsApp", "WhatsApp"),
    (Channel, "messenger", "Messenger", "Messenger"),
    (Channel, "letter", "letter", "Brief"),
    (ReminderStatus, "scheduled", "scheduled", "geplant"),
    (ReminderStatus, "queued", "queued", "in Warteschlange"),
    (ReminderStatus, "sent", "sent", "versandt"),
    (ReminderStatus, "failed", "failed", "fehlgeschlagen"),
    (ReminderStatus, "cancelled", "cancelled", "entfallen"),
    (ReminderStatus, "skipped", "skipped", "übersprungen"),
    (Receipt, "sent", "sent", "versandt"),
    (Receipt, "delivered", "delivered", "zugestellt"),
    (Receipt, "read", "read", "gelesen"),
    (Receipt, "failed", "not delivered", "nicht zugestellt"),
    (Source, "amqp", "creditor's payment message", "Zahlungsmeldung des Gläubigers"),
    (Source, "bank", "bank transfer", "Banküberweisung"),
    (Source, "stripe", "online payment (Stripe)", "Online-Zahlung (Stripe)"),
    (Source, "credit", "credit", "Gutschrift"),
    (Source, "write_off", "write-off", "Abschreibung"),
    (Promise, "open", "open", "offen"),
    (Promise, "kept", "kept", "eingehalten"),
    (Promise, "broken", "broken", "nicht eingehalten"),
    (Promise, "replaced", "replaced", "ersetzt"),
    (Hold, "open", "pending", "unterwegs"),
    (Hold, "settled", "arrived", "eingegangen"),
    (Hold, "failed", "failed", "fehlgeschlagen"),
    (Hold, "expired", "expired", "abgelaufen"),
    (Reason, "already_paid", "already paid", "bereits bezahlt"),
    (Reason, "not_received", "not received", "nicht erhalten"),
    (Reason, "defective", "defective", "mangelhaft"),
    (Reason, "wrong_amount", "wrong amount", "falscher Betrag"),
    (Reason, "not_ordered", "not ordered", "nicht bestellt"),
    (Reason, "other", "other", "anderer Grund"),
    (Resolution, "claim_stands", "claim stands", "Forderung bleibt bestehen"),
    (Resolution, "claim_withdrawn", "claim withdrawn", "Forderung zurückgenommen"),
    (Kind, "intake", "received", "Eingang"),
    (Kind, "reminder", "reminder", "Mahnung"),
    (Kind, "receipt", "delivery receipt", "Zustellbestätigung"),
    (Kind, "payment", "payment", "Zahlung"),
    (Kind, "payment_pending", "payment on its way", "Zahlung unterwegs"),
    (Kind, "promise", "promise to pay", "Zahlungszusage"),
    (Kind, "dispute", "dispute", "Einwand"),
    (Kind, "operator", "operator action", "Eingriff"),
    (Action, "case.pause", "dunning paused", "Mahnen pausiert"),
    (Action, "case.resume", "dunning resumed", "Mahnen fortgesetzt"),
    (Action, "case.reschedule", "next reminder rescheduled", "nächste Mahnung verschoben"),
    (Action, "case.cancel", "case cancelled", "Fall storniert"),
    (Action, "case.escalate", "escalated", "eskaliert"),
    (Action, "case.resend", "reminder resent", "Mahnung erneut gesendet"),
    (Action, "case.plan", "plan switched", "Mahnplan gewechselt"),
    (Action, "case.dispute", "marked disputed", "als bestritten markiert"),
    (Action, "case.resolve_dispute", "dispute resolved", "Streitfall geklärt"),
    (Action, "case.credit", "credited", "gutgeschrieben"),
    (Action, "case.write_off", "written off", "abgeschrieben"),
    (Action, "debtor.stop", "Mahnstopp: every case paused", "Mahnstopp: alle Fälle pausiert"),
    (Action, "debtor.lift_stop", "Mahnstopp lifted", "Mahnstopp aufgehoben"),
    (Action, "debtor.contact", "contact data corrected", "Kontaktdaten korrigiert"),
    (Action, "debtor.erase", "debtor erased (GDPR)", "Schuldner gelöscht (DSGVO)"),
    (Action, "debtor.marketing_consent", "marketing consent recorded", "Werbeeinwilligung erfasst"),
    (Action, "operator.add", "operator added", "Bearbeiter angelegt"),
    (Action, "api_key.create", "API key created", "API-Schlüssel erstellt"),
    (Action, "operator.remove", "operator removed", "Bearbeiter entfernt"),
    (Action, "api_key.revoke", "API key revoked", "API-Schlüssel widerrufen"),
    (
        Action,
        "tenant.super_admin_entered",
        "super-admin began acting for the tenant",
        "Super-Admin handelt für den Mandanten",
    ),
    (Field, "state", "state", "Status"),
    (Field, "reminders_cancelled", "reminders cancelled", "entfallene Mahnungen"),
    (Field, "reminders_withdrawn", "reminders withdrawn", "zurückgezogene Mahnungen"),
    (Field, "next_action_at", "next step", "nächster Schritt"),
    (Field, "open_amount", "open", "offen"),
    (Field, "amount", "amount", "Betrag"),
    (Field, "reference", "reference", "Referenz"),
    (Field, "plan", "plan", "Mahnplan"),
    (Field, "stage", "stage", "Stufe"),
    (Field, "channel", "channel", "Kanal"),
    (Field, "send_at", "goes out", "Versand"),
    (Field, "reason", "reason", "Grund"),
    (Field, "resolution", "resolution", "Ergebnis"),
    (Field, "note", "note", "Notiz"),
    (Field, "email", "email", "E-Mail"),
    (Field, "phone", "mobile phone", "Mobiltelefon"),
    (Field, "whatsapp", "WhatsApp", "WhatsApp"),
    (Field, "messenger_psid", "Messenger id", "Messenger-ID"),
    (Field, "paused_cases", "paused cases", "pausierte Fälle"),
    (Field, "resumed_cases", "resumed cases", "fortgesetzte Fälle"),
    (Field, "stopped_at", "Mahnstopp of", "Mahnstopp vom"),
    (Field, "cases", "cases", "Fälle"),
    (Field, "at", "not before", "nicht vor"),
    (Field, "kind", "kind", "Art"),
    (Field, "details", "details", "Einzelheiten"),
    (Field, "$", "form", "Formular"),
    (Field, "erased", "erased", "gelöscht"),
    (Field, "overwritten", "overwritten", "überschrieben"),
    (Field, "marketing_consent", "marketing consent", "Werbeeinwilligung"),
    (Field, "given_at", "given on", "erteilt am"),
    (Field, "recorded", "newly recorded", "neu erfasst"),
    (Field, "role", "role", "Rolle"),
    (Field, "prefix", "key", "Schlüssel"),
    (Field, "scope", "scope", "Berechtigung"),
    (Field, "tenant", "tenant", "Mandant"),
    (Consent, "opt_in", "opted in", "eingewilligt"),
    (Consent, "opt_out", "opted out", "widersprochen"),
    (ConsentSource, "intake", "with the invoice", "mit der Rechnung"),
    (ConsentSource, "sms_keyword", "STOP by SMS", "STOP per SMS"),
    (ConsentSource, "email_unsubscribe", "unsubscribe link in an email", "Abmeldelink in einer E-Mail"),
    (ConsentSource, "whatsapp_block", "blocked on WhatsApp", "auf WhatsApp blockiert"),
    (ConsentSource, "chat_keyword", "keyword in a chat", "Stichwort im Chat"),
    (ConsentSource, "operator", "by an operator", "durch einen Bearbeiter"),
    (ConsentSource, "opt_out_link", "opt-out link", "Widerspruchslink"),
    (DebtorKind, "consumer", "consumer", "Verbraucher"),
    (DebtorKind, "business", "business", "Unternehmen"),
    (
        Basis,
        "explicit_consent",
        "explicit consent (§ 7 (2) UWG)",
        "ausdrückliche Einwilligung (§ 7 Abs. 2 UWG)",
    ),
    (Basis, "existing_customer", "existing customer (§ 7 (3) UWG)", "Bestandskunde (§ 7 Abs. 3 UWG)"),
    (Yes, "true", "yes", "ja"),
    (Yes, "false", "no", "nein"),
];

/// Every identifier of `vocabulary` that has a word, in the order listed (the audit page's
/// choice of actions).
pub fn identifiers(vocabulary: Vocabulary) -> impl Iterator<Item = &'static str> {
    WORDS.iter().filter(move |(v, ..)| *v == vocabulary).map(|(_, id, ..)| *id)
}

impl Lang {
    /// The word for `id` of `vocabulary` in this language; `id` itself if it has none.
    pub fn word(self, vocabulary: Vocabulary, id: &str) -> &str {
        match WORDS.iter().find(|(v, key, _, _)| *v == vocabulary && *key == id) {
            Some((_, _, en, _)) if self == Self::En => en,
            Some((_, _, _, de)) => de,
            None => id,
        }
    }

    /// Every word by vocabulary name and identifier, for the templates (`w.state["paid"]`).
    pub fn words(self) -> &'static BTreeMap<&'static str, BTreeMap<&'static str, &'static str>> {
        static EN: OnceLock<BTreeMap<&str, BTreeMap<&str, &str>>> = OnceLock::new();
        static DE: OnceLock<BTreeMap<&str, BTreeMap<&str, &str>>> = OnceLock::new();
        let build = || {
            let mut all: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
            for &(vocabulary, id, en, de) in WORDS {
                let word = if self == Self::En { en } else { de };
                all.entry(vocabulary.name()).or_default().insert(id, word);
            }
            all
        };
        match self {
            Self::En => EN.get_or_init(build),
            Self::De => DE.get_or_init(build),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CaseState, ChannelKind, DisputeReason, DisputeResolution, HoldState};
    use crate::domain::{MarketingBasis, PaymentSource, PromiseState};
    use crate::store::{ReceiptStatus, ReminderStatus};

    /// Every identifier today's enums write, by vocabulary.
    fn identifiers() -> Vec<(Vocabulary, Vec<&'static str>)> {
        use crate::domain::{ConsentKind, ConsentSource as Origin, DebtorKind as Debtor};
        let holds = [HoldState::Open, HoldState::Settled, HoldState::Failed, HoldState::Expired];
        let consent_sources = [
            Origin::Intake,
            Origin::SmsKeyword,
            Origin::EmailUnsubscribe,
            Origin::WhatsappBlock,
            Origin::ChatKeyword,
            Origin::Operator,
            Origin::OptOutLink,
        ];
        vec![
            (State, CaseState::ALL.map(CaseState::as_str).to_vec()),
            (Channel, ChannelKind::ALL.map(ChannelKind::as_str).to_vec()),
            (Vocabulary::ReminderStatus, ReminderStatus::ALL.map(ReminderStatus::as_str).to_vec()),
            (Receipt, ReceiptStatus::ALL.map(ReceiptStatus::as_str).to_vec()),
            (Source, PaymentSource::ALL.map(PaymentSource::as_str).to_vec()),
            (Promise, PromiseState::ALL.map(PromiseState::as_str).to_vec()),
            (Hold, holds.map(HoldState::as_str).to_vec()),
            (Reason, DisputeReason::ALL.map(DisputeReason::as_str).to_vec()),
            (Resolution, DisputeResolution::ALL.map(DisputeResolution::as_str).to_vec()),
            (Consent, [ConsentKind::OptIn, ConsentKind::OptOut].map(ConsentKind::as_str).to_vec()),
            (ConsentSource, consent_sources.map(Origin::as_str).to_vec()),
            (DebtorKind, [Debtor::Consumer, Debtor::Business].map(Debtor::as_str).to_vec()),
            (
                Basis,
                [MarketingBasis::ExplicitConsent, MarketingBasis::ExistingCustomer]
                    .map(MarketingBasis::as_str)
                    .to_vec(),
            ),
        ]
    }

    #[test]
    fn every_identifier_has_a_word_in_both_languages_and_only_one() {
        for (vocabulary, ids) in identifiers() {
            for id in ids {
                let found = WORDS.iter().filter(|(v, key, _, _)| *v == vocabulary && *key == id).count();
                assert_eq!(found, 1, "{vocabulary:?} {id}");
                assert!(
                    !Lang::De.word(vocabulary, id).is_empty() && !Lang::En.word(vocabulary, id).is_empty()
                );
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (vocabulary, id, en, de) in WORDS {
            assert!(seen.insert((vocabulary, id)), "{vocabulary:?} {id} twice");
            assert!(!en.is_empty() && !de.is_empty(), "{id}");
        }
        assert_eq!(Lang::De.word(State, "reminding"), "wird gemahnt");
        assert_eq!(Lang::En.word(State, "reminding"), "being reminded");
        assert_eq!(Lang::De.word(Promise, "open"), "offen");
        assert_eq!(Lang::En.word(Hold, "open"), "pending", "the same identifier, another vocabulary");
        assert_eq!(Lang::De.word(State, "dormant"), "dormant", "an unknown identifier stays as it is");
        assert_eq!(Lang::De.words()["channel"]["letter"], "Brief");
    }

    /// Every audit action the console records (the `"case.…"` and `"debtor.…"` literals of its
    /// handlers, and a credit's two, made from the kind) has a word.
    #[test]
    fn every_audit_action_has_a_word() {
        let sources = [
            include_str!("interventions.rs"),
            include_str!("../../schedule/lift_stop.rs"),
            include_str!("steering.rs"),
            include_str!("disputes.rs"),
            include_str!("privacy.rs"),
            include_str!("marketing.rs"),
            include_str!("tenant_accounts.rs"),
            include_str!("account_removal.rs"),
            include_str!("super_admin.rs"),
        ];
        let mut actions: Vec<String> = vec!["case.credit".into(), "case.write_off".into()];
        for source in sources {
            for prefix in ["\"case.", "\"debtor.", "\"operator.", "\"api_key.", "\"tenant."] {
                for rest in source.split(prefix).skip(1) {
                    let name: String = rest.chars().take_while(|c| *c != '"').collect();
                    actions.push(format!("{}.{name}", &prefix[1..prefix.len() - 1]));
                }
            }
        }
        assert!(actions.len() >= 15, "{actions:?}");
        for action in actions {
            assert_ne!(Lang::De.word(Action, &action), action, "{action} has no word");
        }
    }
}
