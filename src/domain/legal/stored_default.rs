//! The default date as the case stores it (`cases.default_on`, `cases.default_ground`): when a step
//! may fix it, and how the stored date stands in for the engine's own computation, so that every
//! letter, page and statement shows the date the case holds.
//!
//! A default date is fixed once no later fact can move it earlier. Reminders are the only facts
//! that arrive later, and one sent on or after `today` reaches the debtor on or after `today`, so
//! a date up to `today` is final; a calendar due date is final from the start (nothing precedes
//! the day after it); a reminder after the due date fixes the date when it is recorded as sent
//! (§ 286 (1) BGB), even while a posted letter is still on its way.

use super::default::in_default_from;
use super::{CaseClaim, DefaultFacts, DefaultGround, InDefault};
use crate::domain::Invoice;
use chrono::NaiveDate;

impl DefaultGround {
    /// The name stored and shown: `calendar_date`, `reminder`, `thirty_days`.
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultGround::CalendarDate => "calendar_date",
            DefaultGround::Reminder => "reminder",
            DefaultGround::ThirtyDays => "thirty_days",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [DefaultGround::CalendarDate, DefaultGround::Reminder, DefaultGround::ThirtyDays]
            .into_iter()
            .find(|ground| ground.as_str() == raw)
    }
}

impl InDefault {
    /// A default read back from the case. For [`DefaultGround::Reminder`] the reminder arrived
    /// the day before default began (§ 187 (1) BGB), which is what the fee rule looks for.
    pub fn stored(from: NaiveDate, ground: DefaultGround) -> Self {
        let reminder_received_on = (ground == DefaultGround::Reminder).then(|| from.pred_opt()).flatten();
        Self { from, ground, reminder_received_on }
    }
}

impl CaseClaim {
    /// An invoice as it arrives at intake: nothing sent, nothing paid, no default stored.
    pub fn arriving(invoice: &Invoice) -> Self {
        CaseClaim {
            invoice: invoice.number.clone(),
            debtor: invoice.debtor.kind,
            currency: invoice.amount_due.currency(),
            principal: invoice.amount_due.amount(),
            issued_on: invoice.issued_on,
            due_on: invoice.due_on,
            due_by_calendar: invoice.terms.due_by_calendar,
            states_30_day_rule: invoice.terms.states_30_day_rule,
            reminders: Vec::new(),
            payments: Vec::new(),
            default_on: None,
        }
    }

    /// What the law looks at to date the default, from everything known of the case (every
    /// reminder counted, a posted one on the day it will arrive).
    pub fn default_facts(&self, today: NaiveDate) -> DefaultFacts {
        DefaultFacts {
            debtor: self.debtor,
            due_on: self.due_on,
            due_by_calendar: self.due_by_calendar,
            invoice_received_on: Some(self.issued_on).filter(|&day| day <= today),
            invoice_states_30_day_rule: self.states_30_day_rule,
            reminders_received_on: self.reminders.iter().map(|r| r.received_on()).collect(),
        }
    }

    /// The default date a step that records these facts on `today` stores on the case: `None`
    /// when the case holds one already (it never moves), when the debtor is not in default on
    /// any ground, or when the only ground is a 30-day period still running that a reminder
    /// might yet beat (see the module).
    pub fn default_to_store(&self, today: NaiveDate) -> Option<InDefault> {
        if self.default_on.is_some() {
            return None;
        }
        let facts = self.default_facts(today);
        let computed = in_default_from(&facts)?;
        let fixed = match computed.ground {
            DefaultGround::CalendarDate | DefaultGround::Reminder => true,
            DefaultGround::ThirtyDays => {
                computed.from <= today || facts.reminders_received_on.iter().any(|&day| day > self.due_on)
            }
        };
        fixed.then_some(computed)
    }

    /// The case with the default `today`'s step stores on it, as the engine then sees it.
    pub fn with_default_fixed(mut self, today: NaiveDate) -> Self {
        if let Some(fixed) = self.default_to_store(today) {
            self.default_on = Some(fixed);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::legal::{Germany, ReceivedPayment, SentReminder};
    use crate::domain::{ChannelKind, Currency, DebtorKind, InvoiceNumber};
    use rust_decimal::Decimal;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// 500.00 EUR to a consumer, issued 1 March 2025, due 15 March 2025.
    fn plain(debtor: DebtorKind) -> CaseClaim {
        CaseClaim {
            invoice: InvoiceNumber::parse("RE-9").unwrap(),
            debtor,
            currency: Currency::parse("EUR").unwrap(),
            principal: Decimal::new(50_000, 2),
            issued_on: day(2025, 3, 1),
            due_on: day(2025, 3, 15),
            due_by_calendar: false,
            states_30_day_rule: false,
            reminders: vec![],
            payments: vec![],
            default_on: None,
        }
    }

    fn sent(stage: u32, channel: ChannelKind, sent_on: NaiveDate) -> SentReminder {
        SentReminder { stage, channel, sent_on, fee: Decimal::new(250, 2) }
    }

    #[test]
    fn a_calendar_date_is_fixed_at_intake() {
        let claim = CaseClaim { due_by_calendar: true, ..plain(DebtorKind::Consumer) };
        // Payable by 15 March: in default from 16 March, known the day the invoice arrives.
        let fixed = claim.default_to_store(day(2025, 3, 2)).unwrap();
        assert_eq!((fixed.from, fixed.ground), (day(2025, 3, 16), DefaultGround::CalendarDate));
    }

    #[test]
    fn a_plain_invoice_waits_for_its_first_reminder_after_the_due_date() {
        let mut claim = plain(DebtorKind::Consumer);
        assert_eq!(claim.default_to_store(day(2025, 3, 20)), None);
        // An email on the due date itself is no Mahnung.
        claim.reminders.push(sent(0, ChannelKind::Email, day(2025, 3, 15)));
        assert_eq!(claim.default_to_store(day(2025, 3, 15)), None);
        // A letter posted 24 March arrives 28 March (4 days): default from 29 March.
        claim.reminders.push(sent(1, ChannelKind::Letter, day(2025, 3, 24)));
        let fixed = claim.default_to_store(day(2025, 3, 24)).unwrap();
        assert_eq!(
            (fixed.from, fixed.ground, fixed.reminder_received_on),
            (day(2025, 3, 29), DefaultGround::Reminder, Some(day(2025, 3, 28)))
        );
        assert_eq!(InDefault::stored(fixed.from, fixed.ground), fixed);
        // Stored, it does not move: the next reminder fixes nothing.
        claim.default_on = Some(fixed);
        claim.reminders.push(sent(2, ChannelKind::Email, day(2025, 4, 7)));
        assert_eq!(claim.default_to_store(day(2025, 4, 7)), None);
    }

    #[test]
    fn thirty_days_are_fixed_once_they_have_run() {
        // A business: 30 days after the due date (15 March), default from 15 April.
        let claim = plain(DebtorKind::Business);
        assert_eq!(claim.default_to_store(day(2025, 4, 14)), None, "a reminder may still come first");
        let fixed = claim.default_to_store(day(2025, 4, 15)).unwrap();
        assert_eq!((fixed.from, fixed.ground), (day(2025, 4, 15), DefaultGround::ThirtyDays));
    }

    #[test]
    fn the_stored_default_and_the_computed_one_agree() {
        let mut claim = plain(DebtorKind::Business);
        claim.reminders.push(sent(0, ChannelKind::Email, day(2025, 3, 20)));
        claim.payments.push(ReceivedPayment {
            received_on: day(2025, 4, 10),
            amount: Decimal::new(10_000, 2),
            reduces_principal: false,
        });
        let law = Germany::default();
        let computed = claim.owed(&law, day(2025, 5, 1)).unwrap();
        let stored = claim.clone().with_default_fixed(day(2025, 3, 20));
        assert_eq!(
            stored.default_on.map(|d| (d.from, d.ground)),
            Some((day(2025, 3, 21), DefaultGround::Reminder))
        );
        assert_eq!(stored.owed(&law, day(2025, 5, 1)).unwrap(), computed);
        // A stored date wins over the facts: a case whose date was fixed earlier keeps it.
        let earlier = CaseClaim {
            default_on: Some(InDefault::stored(day(2025, 3, 19), DefaultGround::Reminder)),
            ..claim
        };
        let owed = earlier.owed(&law, day(2025, 5, 1)).unwrap();
        assert_eq!(owed.claims[0].in_default.map(|d| d.from), Some(day(2025, 3, 19)));
    }

    #[test]
    fn grounds_read_back_by_name() {
        for ground in [DefaultGround::CalendarDate, DefaultGround::Reminder, DefaultGround::ThirtyDays] {
            assert_eq!(DefaultGround::parse(ground.as_str()), Some(ground));
        }
        assert_eq!(DefaultGround::parse("soon"), None);
    }
}
