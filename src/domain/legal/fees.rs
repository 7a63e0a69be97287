//! The costs a debtor in default owes besides interest: the flat fee of § 288 (5) BGB and each
//! reminder's actual cost up to a cap, with the flat fee set off against the other costs of
//! collection as § 288 (5) sentence 3 requires.

use super::{CollectionCost, InDefault, Reminder, ZERO_CENTS};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// § 288 (5) BGB: 40 EUR once per claim against a business debtor in default. Not a
    /// reminder fee ("Mahngebühr"), and printed as its own line.
    FlatFee,
    /// One reminder's cost, as damages for delay (§§ 280, 286 BGB).
    ReminderFee,
    /// A later cost of collection the creditor states (collection agency, court dunning).
    CollectionCost,
}

/// Why a fee line is less than what the creditor stated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeeNote {
    /// This reminder put the debtor in default (§ 286 (1) BGB); it was sent before default, so
    /// its cost is no damage caused by the delay.
    PutInDefault,
    /// Sent before the debtor was in default on other grounds; no fee either.
    BeforeDefault,
    /// The stated cost exceeded the cap; the cap is charged.
    Capped { cap: Decimal },
}

/// One cost on the claim, as the letter shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    pub kind: FeeKind,
    /// The day the cost arose: the start of default for the flat fee, the day sent for a reminder.
    pub on: NaiveDate,
    /// The reminder's stage in the dunning plan.
    pub stage: Option<u32>,
    /// The creditor's words for a collection cost.
    pub label: Option<String>,
    /// What the creditor stated (its actual cost), or the flat fee.
    pub stated: Decimal,
    /// What the law lets it charge: after the default rule and the cap.
    pub allowed: Decimal,
    /// The part already covered by the flat fee (§ 288 (5) sentence 3 BGB).
    pub offset_by_flat_fee: Decimal,
    /// `allowed - offset_by_flat_fee`: what this line adds to the debt.
    pub owed: Decimal,
    pub note: Option<FeeNote>,
}

/// The fee lines of one claim in the order they arose (the flat fee first, on the first day of
/// default). Reminders sent before default earn nothing; the rest are capped at `cap`. The flat
/// fee then absorbs reminder fees and collection costs, earliest first, until its 40 EUR are used
/// up: a business debtor owes max(40, costs of collection), never both.
pub fn fee_lines(
    flat_fee: Option<Decimal>,
    default: Option<InDefault>,
    reminders: &[Reminder],
    costs: &[CollectionCost],
    cap: Decimal,
) -> Vec<FeeLine> {
    let mut lines = Vec::new();
    if let (Some(fee), Some(default)) = (flat_fee, default) {
        lines.push(line(FeeKind::FlatFee, default.from, None, None, fee, fee, None));
    }
    let mut later: Vec<FeeLine> = reminders
        .iter()
        .map(|r| {
            let (allowed, note) = match default {
                Some(d) if r.sent_on >= d.from && r.actual_cost > cap => (cap, Some(FeeNote::Capped { cap })),
                Some(d) if r.sent_on >= d.from => (r.actual_cost, None),
                Some(d) if d.reminder_received_on == Some(r.received_on) => {
                    (ZERO_CENTS, Some(FeeNote::PutInDefault))
                }
                _ => (ZERO_CENTS, Some(FeeNote::BeforeDefault)),
            };
            line(FeeKind::ReminderFee, r.sent_on, Some(r.stage), None, r.actual_cost, allowed, note)
        })
        .chain(costs.iter().map(|c| {
            line(FeeKind::CollectionCost, c.on, None, Some(c.label.clone()), c.amount, c.amount, None)
        }))
        .collect();
    later.sort_by_key(|l| l.on); // stable: reminders before costs of the same day
    let mut flat_left = if lines.is_empty() { ZERO_CENTS } else { lines[0].allowed };
    for l in &mut later {
        l.offset_by_flat_fee = l.allowed.min(flat_left);
        l.owed = l.allowed - l.offset_by_flat_fee;
        flat_left -= l.offset_by_flat_fee;
    }
    lines.extend(later);
    lines
}

fn line(
    kind: FeeKind,
    on: NaiveDate,
    stage: Option<u32>,
    label: Option<String>,
    stated: Decimal,
    allowed: Decimal,
    note: Option<FeeNote>,
) -> FeeLine {
    FeeLine { kind, on, stage, label, stated, allowed, offset_by_flat_fee: ZERO_CENTS, owed: allowed, note }
}
