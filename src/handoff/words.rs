//! The claim statement's fixed words. A statement is read by the creditor and whoever collects
//! for them, so it is written in the creditor's language (the language of its country): German,
//! or English for every other.

use crate::domain::legal::DefaultGround;
use crate::domain::ChannelKind;

/// The words of one language; `{…}` are filled in.
pub struct StatementWords {
    pub language: &'static str,
    /// The subject line: `{invoice}`.
    pub subject: &'static str,
    /// The file name's stem: `{invoice}` is appended.
    pub file_stem: &'static str,
    /// `{date}`.
    pub as_of: &'static str,
    /// `{invoice}`, `{due}`, `{principal}`.
    pub invoice: &'static str,
    /// `{date}`, `{ground}`.
    pub in_default: &'static str,
    pub not_in_default: &'static str,
    /// `{date}`: the last day before the claim is time-barred.
    pub limitation: &'static str,
    pub time_barred: &'static str,
    pub reminders: &'static str,
    /// `{stage}`, `{date}`, `{channel}`. What a reminder cost is in the amounts table, as the
    /// engine charged it (nothing for the reminder that put the debtor in default).
    pub reminder: &'static str,
    pub no_reminders: &'static str,
    pub payments: &'static str,
    /// `{date}`, `{amount}`, `{costs}`, `{interest}`, `{principal}`.
    pub payment: &'static str,
    pub no_payments: &'static str,
    /// `{date}`, `{rate}`: the base rate assumed after the table's end.
    pub rate_past_table_end: &'static str,
}

impl StatementWords {
    /// The words for `language` (a tag's primary subtag); English for any but German.
    pub fn of(language: &str) -> &'static Self {
        match language.split(['-', '_']).next().unwrap_or(language) {
            "de" => &DE,
            _ => &EN,
        }
    }

    /// Why the debtor is in default, in a few words.
    pub fn ground(&self, ground: DefaultGround, reminder_received_on: Option<&str>) -> String {
        let (reminder, calendar, thirty) = if self.language == "de" {
            (
                "Zugang der Mahnung am {date} (§ 286 Abs. 1 BGB)",
                "kalendermäßig bestimmter Zahlungstermin (§ 286 Abs. 2 Nr. 1 BGB)",
                "30 Tage nach Fälligkeit und Zugang der Rechnung (§ 286 Abs. 3 BGB)",
            )
        } else {
            (
                "reminder received on {date} (§ 286 (1) BGB)",
                "payment date fixed by the calendar (§ 286 (2) no. 1 BGB)",
                "30 days after the due date and receipt of the invoice (§ 286 (3) BGB)",
            )
        };
        match ground {
            DefaultGround::Reminder => reminder.replace("{date}", reminder_received_on.unwrap_or("?")),
            DefaultGround::CalendarDate => calendar.to_owned(),
            DefaultGround::ThirtyDays => thirty.to_owned(),
        }
    }

    /// A channel's name.
    pub fn channel(&self, channel: ChannelKind) -> &'static str {
        match (self.language, channel) {
            ("de", ChannelKind::Email) => "E-Mail",
            ("de", ChannelKind::Letter) => "Brief",
            (_, ChannelKind::Email) => "email",
            (_, ChannelKind::Letter) => "letter",
            (_, ChannelKind::Sms) => "SMS",
            (_, ChannelKind::Whatsapp) => "WhatsApp",
            (_, ChannelKind::Messenger) => "Messenger",
        }
    }
}

const DE: StatementWords = StatementWords {
    language: "de",
    subject: "Forderungsaufstellung zur Rechnung {invoice}",
    file_stem: "Forderungsaufstellung-",
    as_of: "Stand: {date}",
    invoice: "Rechnung {invoice}, fällig am {due}, über {principal}.",
    in_default: "In Verzug seit dem {date}: {ground}.",
    not_in_default: "Ein Verzug des Schuldners ist nicht festgestellt: keine Zinsen und keine Verzugskosten.",
    limitation: "Verjährung: Die Forderung verjährt mit Ablauf des {date} (§§ 195, 199 BGB).",
    time_barred: "Die Forderung ist verjährt; der Schuldner kann die Leistung verweigern (§ 214 BGB).",
    reminders: "Mahnungen:",
    reminder: "{stage}. Mahnung am {date} per {channel}",
    no_reminders: "Es wurden keine Mahnungen versandt.",
    payments: "Zahlungen und ihre Verrechnung (§§ 366, 367 BGB):",
    payment: "{date}: {amount}, verrechnet auf Kosten {costs}, Zinsen {interest}, Hauptforderung {principal}",
    no_payments: "Es sind keine Zahlungen eingegangen.",
    rate_past_table_end: "Ab dem {date} ist der zuletzt veröffentlichte Basiszinssatz ({rate} %) angesetzt.",
};

const EN: StatementWords = StatementWords {
    language: "en",
    subject: "Statement of claim, invoice {invoice}",
    file_stem: "Statement-of-claim-",
    as_of: "As of {date}",
    invoice: "Invoice {invoice}, due on {due}, for {principal}.",
    in_default: "In default since {date}: {ground}.",
    not_in_default: "The debtor is not found to be in default: no interest and no default costs.",
    limitation: "Limitation: the claim becomes time-barred at the end of {date} (§§ 195, 199 BGB).",
    time_barred: "The claim is time-barred; the debtor may refuse to pay (§ 214 BGB).",
    reminders: "Reminders:",
    reminder: "Reminder {stage} on {date} by {channel}",
    no_reminders: "No reminders were sent.",
    payments: "Payments and how they were applied (§§ 366, 367 BGB):",
    payment: "{date}: {amount}, applied to costs {costs}, interest {interest}, principal {principal}",
    no_payments: "No payments were received.",
    rate_past_table_end: "From {date} on, the last published base rate ({rate} %) is assumed.",
};
