//! The keywords with which a debtor stops or restarts SMS by replying, in the languages mahnwerk
//! dunns in.
//!
//! Carriers and Twilio act on the English keywords themselves (Twilio answers them and then
//! refuses to send, error 21610), so the service must record the same opt-out or it keeps trying.
//! The other languages' words are ones a debtor in those countries plausibly sends; Twilio does
//! not act on them, so for them this is the only place the wish is heard.
//!
//! Like Twilio, only a message that is the keyword alone counts: "STOP" does, "stop calling me at
//! work" does not. Case, surrounding whitespace and trailing punctuation are ignored.

/// What a keyword reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptOut {
    /// No more messages on this number.
    Stop,
    /// Messages are welcome again after an earlier stop.
    Start,
}

/// Replies that stop messages. Uppercase; compared after uppercasing the reply.
const STOP_WORDS: &[&str] = &[
    // Twilio's and the US carriers' standard set.
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
    // German, Dutch, Scandinavian.
    "STOPP",
    "STOPPEN",
    "ABMELDEN",
    "ABBESTELLEN",
    "AFMELDEN",
    // French.
    "ARRET",
    "ARRÊT",
    "DESABONNER",
    "DÉSABONNER",
    // Spanish and Portuguese.
    "BAJA",
    "ALTO",
    "PARAR",
    "CANCELAR",
    // Italian.
    "ANNULLA",
    "BASTA",
];

/// Replies that restart messages. `YES`, which Twilio also accepts, is left out on purpose: a
/// debtor answering a question with "yes" has not asked for reminders again.
const START_WORDS: &[&str] = &["START", "UNSTOP"];

/// Whether an inbound SMS `body` is a stop or start keyword.
pub fn opt_out_keyword(body: &str) -> Option<OptOut> {
    let word = body.trim().trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
    if word.is_empty() || word.contains(char::is_whitespace) {
        return None;
    }
    let word = word.to_uppercase();
    if STOP_WORDS.contains(&word.as_str()) {
        Some(OptOut::Stop)
    } else if START_WORDS.contains(&word.as_str()) {
        Some(OptOut::Start)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_in_any_case_with_whitespace_and_punctuation() {
        for body in [
            "STOP",
            "stop",
            " Stop \n",
            "STOP.",
            "stop!",
            "Stopp",
            "STOPALL",
            "unsubscribe",
            "Cancel",
            "end",
            "QUIT",
            "abmelden",
            "Abbestellen",
            "afmelden",
            "ARRET",
            "arrêt",
            "Arrêt !",
            "baja",
            "annulla",
            "alto",
            "Parar",
            "cancelar",
            "optout",
        ] {
            assert_eq!(opt_out_keyword(body), Some(OptOut::Stop), "{body:?}");
        }
    }

    #[test]
    fn start_words_opt_back_in() {
        for body in ["START", "start", " Unstop. "] {
            assert_eq!(opt_out_keyword(body), Some(OptOut::Start), "{body:?}");
        }
    }

    #[test]
    fn sentences_questions_and_lookalikes_are_not_keywords() {
        for body in [
            "",
            "   ",
            "...",
            "stop calling me",
            "Please stop",
            "STOP ALL",
            "stopper",
            "yes",
            "Ja",
            "HELP",
            "unstoppable",
            "ENDE?",
            "S T O P",
            "bajar",
        ] {
            assert_eq!(opt_out_keyword(body), None, "{body:?}");
        }
    }
}
