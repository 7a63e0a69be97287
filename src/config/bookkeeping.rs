//! `[creditors.<tenant>.bookkeeping]`: the accounts the bookings export posts to, and the
//! creditor's DATEV numbers. The defaults follow DATEV's SKR03 chart of accounts; a creditor on
//! SKR04 or with its own accounts sets them here (its accountant knows which).

use serde::Deserialize;

/// The accounts of each kind of booking, and who the DATEV file is for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bookkeeping {
    /// Trade receivables, the other side of every booking (SKR03 `1400`).
    pub receivables: String,
    /// Where money paid arrives (SKR03 `1200`, Bank).
    pub bank: String,
    /// Reminder fees and the flat fee charged (SKR03 `2700`, Sonstige Erträge).
    pub fees: String,
    /// Default interest charged (SKR03 `2650`, Sonstige Zinsen und ähnliche Erträge).
    pub interest: String,
    /// Credits granted (SKR03 `8700`, Erlösschmälerungen).
    pub credits: String,
    /// Receivables written off (SKR03 `2400`, Forderungsverluste).
    pub write_offs: String,
    /// DATEV consultant number (Beraternummer, 1001 to 9999999; default 1001).
    pub datev_consultant: u32,
    /// DATEV client number (Mandantennummer, 1 to 99999; default 1).
    pub datev_client: u32,
    /// Digits of the general-ledger accounts (Sachkontenlänge, 4 to 8; default 4).
    pub account_digits: u8,
    /// The chart of accounts DATEV is told (`03` SKR03, `04` SKR04; default `03`).
    pub chart: String,
}

impl Default for Bookkeeping {
    fn default() -> Self {
        Self {
            receivables: "1400".into(),
            bank: "1200".into(),
            fees: "2700".into(),
            interest: "2650".into(),
            credits: "8700".into(),
            write_offs: "2400".into(),
            datev_consultant: 1001,
            datev_client: 1,
            account_digits: 4,
            chart: "03".into(),
        }
    }
}

impl Bookkeeping {
    /// Checks the numbers DATEV would refuse; the error names the key.
    pub fn validate(&self, tenant: &str) -> Result<(), String> {
        let key = |name: &str| format!("creditors.{tenant}.bookkeeping.{name}");
        for (name, account) in [
            ("receivables", &self.receivables),
            ("bank", &self.bank),
            ("fees", &self.fees),
            ("interest", &self.interest),
            ("credits", &self.credits),
            ("write_offs", &self.write_offs),
        ] {
            if account.is_empty() || account.len() > 9 || !account.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!(
                    "{} must be an account number of up to 9 digits, got {account:?}",
                    key(name)
                ));
            }
        }
        if !(1001..=9_999_999).contains(&self.datev_consultant) {
            return Err(format!("{} must be 1001 to 9999999", key("datev_consultant")));
        }
        if !(1..=99_999).contains(&self.datev_client) {
            return Err(format!("{} must be 1 to 99999", key("datev_client")));
        }
        if !(4..=8).contains(&self.account_digits) {
            return Err(format!("{} must be 4 to 8", key("account_digits")));
        }
        if self.chart.len() != 2 || !self.chart.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("{} must be two digits such as \"03\"", key("chart")));
        }
        Ok(())
    }
}
