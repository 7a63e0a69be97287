//! Why the console did not make an intervention the caller may make: the case's state (or its
//! dispute's) does not allow it, or the same thing was done before. The JSON API answers the
//! English sentence (`Display`, 409, as it always has); a page says it in its own language
//! ([`Refusal::say`]), with states, channels and statuses in the page's words.

use super::error::ConsoleError;
use super::i18n::Lang;
use super::words::Vocabulary;
use crate::domain::{CaseState, ChannelKind};
use axum::http::StatusCode;
use std::fmt;

/// An intervention a case's state can forbid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    Pause,
    Resume,
    Escalate,
    Resend,
    SwitchPlan,
    Credit,
    Cancel,
    Reschedule,
    Dispute,
    ResolveDispute,
}

impl Blocked {
    /// What a case in the state does not do: as the API says it, then in a page's English and
    /// German.
    fn phrases(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Pause => ("cannot take case.pause", "cannot be paused", "kann nicht pausiert werden"),
            Self::Resume => ("cannot take case.resume", "cannot be resumed", "kann nicht fortgesetzt werden"),
            Self::Escalate => ("cannot be escalated", "cannot be escalated", "kann nicht eskaliert werden"),
            Self::Resend => ("takes no reminders", "takes no reminders", "erhält keine Mahnungen"),
            Self::SwitchPlan => {
                ("follows no plan any more", "follows no plan any more", "folgt keinem Mahnplan mehr")
            }
            Self::Credit => (
                "with nothing open takes no credit",
                "with nothing open takes no credit",
                "ohne offenen Betrag nimmt keine Gutschrift an",
            ),
            Self::Cancel => ("cannot be cancelled", "cannot be cancelled", "kann nicht storniert werden"),
            Self::Reschedule => (
                "takes no reminders to reschedule",
                "takes no reminders to reschedule",
                "hat keine Mahnung, die sich verschieben ließe",
            ),
            Self::Dispute => {
                ("cannot be disputed", "cannot be disputed", "kann nicht als bestritten markiert werden")
            }
            Self::ResolveDispute => {
                ("has no dispute to resolve", "has no dispute to resolve", "hat keinen Streitfall zu klären")
            }
        }
    }
}

/// A refused intervention (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The case's state does not allow it.
    State {
        state: CaseState,
        blocked: Blocked,
    },
    /// A plan switch to the plan the case follows.
    AlreadyOnPlan(String),
    /// A credit with a reference the case has seen.
    ReferenceUsed(String),
    AlreadyDisputed,
    NoOpenDispute,
    /// A payment or cancellation for a closed case.
    ClosedAlready,
    /// A resend before the first stage was planned.
    NothingPlanned,
    /// A resend on a channel the stage has a reminder on.
    StageHasChannel {
        stage: u32,
        channel: ChannelKind,
        status: String,
    },
    /// Lifting a Mahnstopp when none is in force for the debtor (none made, or the last one
    /// lifted at `lifted_at`).
    NoMahnstopp {
        lifted_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

impl Refusal {
    pub fn state(state: CaseState, blocked: Blocked) -> Self {
        Self::State { state, blocked }
    }

    /// The refusal as a page in `lang` says it.
    pub fn say(&self, lang: Lang) -> String {
        let de = lang == Lang::De;
        match self {
            Self::State { state, blocked } => {
                let (_, en, german) = blocked.phrases();
                let word = lang.word(Vocabulary::State, state.as_str());
                if de {
                    format!("ein Fall im Status „{word}“ {german}")
                } else {
                    format!("a case that is {word} {en}")
                }
            }
            Self::AlreadyOnPlan(name) if de => format!("der Fall folgt bereits dem Mahnplan „{name}“"),
            Self::ReferenceUsed(reference) if de => {
                format!("die Referenz „{reference}“ wurde für diesen Fall schon verwendet")
            }
            Self::AlreadyDisputed if de => "der Fall ist bereits bestritten".to_owned(),
            Self::NoOpenDispute if de => "der Fall hat keinen offenen Streitfall".to_owned(),
            Self::ClosedAlready if de => {
                "der Fall ist bereits geschlossen (bezahlt oder storniert)".to_owned()
            }
            Self::NothingPlanned if de => {
                "es ist noch keine Stufe geplant: die erste Mahnung plant der Planer".to_owned()
            }
            Self::StageHasChannel { stage, channel, status } => {
                let channel = lang.word(Vocabulary::Channel, channel.as_str());
                let status = lang.word(Vocabulary::ReminderStatus, status);
                if de {
                    format!(
                        "Stufe {stage} hat bereits eine Mahnung per {channel} ({status}); bitte einen anderen Kanal wählen"
                    )
                } else {
                    format!("stage {stage} has a reminder by {channel} already ({status}); choose another channel")
                }
            }
            Self::NoMahnstopp { lifted_at } if de => match lifted_at {
                Some(at) => format!(
                    "für den Schuldner gilt kein Mahnstopp (der letzte wurde am {} (UTC) aufgehoben)",
                    at.format("%Y-%m-%d %H:%M")
                ),
                None => "für den Schuldner gilt kein Mahnstopp".to_owned(),
            },
            english => english.to_string(),
        }
    }
}

/// The API's English sentence.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::State { state, blocked } => write!(f, "a case that is {state} {}", blocked.phrases().0),
            Self::AlreadyOnPlan(name) => write!(f, "the case follows plan '{name}' already"),
            Self::ReferenceUsed(reference) => {
                write!(f, "the reference '{reference}' was used on this case before")
            }
            Self::AlreadyDisputed => f.write_str("the case is disputed already"),
            Self::NoOpenDispute => f.write_str("the case has no open dispute"),
            Self::ClosedAlready => f.write_str("the case is closed already (paid or cancelled)"),
            Self::NothingPlanned => {
                write!(f, "{}", crate::schedule::ResendRefused::NothingPlanned)
            }
            Self::StageHasChannel { stage, channel, status } => {
                write!(
                    f,
                    "stage {stage} has a reminder on {channel} already ({status}); choose another channel"
                )
            }
            Self::NoMahnstopp { lifted_at: Some(at) } => write!(
                f,
                "no Mahnstopp is in force for the debtor (the last one was lifted at {})",
                at.format("%Y-%m-%d %H:%M UTC")
            ),
            Self::NoMahnstopp { lifted_at: None } => f.write_str("no Mahnstopp is in force for the debtor"),
        }
    }
}

/// What a page says when an intervention was refused, with the status to answer; `None` for an
/// error a page does not re-draw for (401, 403, 404, 503, …). A wrong field is named: on an
/// English page as the API names it, on a German one in words, with the reasons the console
/// gives itself in German (a parser's own reason stays as it says it).
pub(super) fn page_refusal(lang: Lang, error: &ConsoleError) -> Option<(StatusCode, String)> {
    let (status, why) = match error {
        ConsoleError::Refused(refusal) => (StatusCode::CONFLICT, refusal.say(lang)),
        ConsoleError::Conflict(why) => (StatusCode::CONFLICT, why.clone()),
        ConsoleError::Field(error) if lang == Lang::De => {
            let field = lang.word(Vocabulary::Field, &error.field);
            (StatusCode::UNPROCESSABLE_ENTITY, format!("{field}: {}", german_reason(&error.reason)))
        }
        ConsoleError::Field(error) => {
            (StatusCode::UNPROCESSABLE_ENTITY, format!("{}: {}", error.field, error.reason))
        }
        _ => return None,
    };
    Some((status, format!("{}: {why}", lang.text("not_done"))))
}

/// The console's own reasons for a wrong field, in German; any other as it is.
fn german_reason(reason: &str) -> String {
    let said = match reason {
        "must be in the future" => "muss in der Zukunft liegen",
        "must not be empty" => "darf nicht leer sein",
        "must be a string" => "muss ein Text sein",
        "is required" => "fehlt",
        other => match other.strip_prefix("is required: ") {
            Some(what) => return format!("fehlt ({what})"),
            None => other,
        },
    };
    said.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_keeps_its_sentences_and_a_page_speaks_its_language() {
        let paused = Refusal::state(CaseState::Paused, Blocked::Pause);
        assert_eq!(paused.to_string(), "a case that is paused cannot take case.pause");
        assert_eq!(paused.say(Lang::En), "a case that is paused cannot be paused");
        assert_eq!(paused.say(Lang::De), "ein Fall im Status „pausiert“ kann nicht pausiert werden");
        let closed = Refusal::state(CaseState::Paid, Blocked::Credit);
        assert_eq!(closed.to_string(), "a case that is paid with nothing open takes no credit");
        assert_eq!(
            closed.say(Lang::De),
            "ein Fall im Status „bezahlt“ ohne offenen Betrag nimmt keine Gutschrift an"
        );
        let there = Refusal::StageHasChannel { stage: 1, channel: ChannelKind::Email, status: "sent".into() };
        assert_eq!(
            there.to_string(),
            "stage 1 has a reminder on email already (sent); choose another channel"
        );
        assert_eq!(
            there.say(Lang::De),
            "Stufe 1 hat bereits eine Mahnung per E-Mail (versandt); bitte einen anderen Kanal wählen"
        );
        assert_eq!(
            Refusal::NothingPlanned.to_string(),
            "no stage was planned yet: the scheduler plans the first reminder"
        );
        assert_eq!(Refusal::AlreadyDisputed.say(Lang::En), "the case is disputed already");
        let lifted = chrono::DateTime::parse_from_rfc3339("2026-01-20T09:30:00Z").unwrap().to_utc();
        let none_in_force = Refusal::NoMahnstopp { lifted_at: Some(lifted) };
        assert_eq!(
            none_in_force.to_string(),
            "no Mahnstopp is in force for the debtor (the last one was lifted at 2026-01-20 09:30 UTC)"
        );
        assert_eq!(
            none_in_force.say(Lang::De),
            "für den Schuldner gilt kein Mahnstopp (der letzte wurde am 2026-01-20 09:30 (UTC) aufgehoben)"
        );
        assert_eq!(
            Refusal::NoMahnstopp { lifted_at: None }.say(Lang::En),
            "no Mahnstopp is in force for the debtor"
        );
        assert_eq!(
            Refusal::ReferenceUsed("r-1".into()).say(Lang::De),
            "die Referenz „r-1“ wurde für diesen Fall schon verwendet"
        );
    }

    #[test]
    fn a_wrong_field_is_named_in_the_page_language() {
        let late = ConsoleError::field("at", "must be in the future");
        let (status, en) = page_refusal(Lang::En, &late).unwrap();
        assert_eq!(
            (status, en.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "Not done: at: must be in the future")
        );
        let (_, de) = page_refusal(Lang::De, &late).unwrap();
        assert_eq!(de, "Nicht ausgeführt: nicht vor: muss in der Zukunft liegen");
        let phone = ConsoleError::field("phone", "'12' is not an E.164 number");
        assert_eq!(
            page_refusal(Lang::De, &phone).unwrap().1,
            "Nicht ausgeführt: Mobiltelefon: '12' is not an E.164 number"
        );
        let refused = ConsoleError::Refused(Refusal::state(CaseState::Cancelled, Blocked::Cancel));
        let (status, de) = page_refusal(Lang::De, &refused).unwrap();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(de, "Nicht ausgeführt: ein Fall im Status „storniert“ kann nicht storniert werden");
        assert!(page_refusal(Lang::De, &ConsoleError::NotFound).is_none());
    }
}
